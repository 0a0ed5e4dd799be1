#!/usr/bin/python3
"""Writes web_config_bcrypt_fixture.tsv: bcrypt hashes made by Python's crypt module (libxcrypt) for the
three prefixes promcast accepts ($2a$, $2b$, $2y$) and costs 4 and 10, plus the published crypt_blowfish /
OpenBSD test vectors ("U*U" and friends, salt "CCC...") so that at least some expectations come from
outside the library promcast verifies with. Run: python3 web_config_bcrypt_fixture.py > web_config_bcrypt_fixture.tsv
(Python 3.11's crypt module is deprecated; it is only needed to regenerate the file.)
Columns: the password's UTF-8 bytes in hex (so that non-ASCII and empty passwords survive), hash."""
import random
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
rng = random.Random(20261207)  # fixed, so reruns give the same file


def salt(prefix, cost):
    # The last salt character only carries 4 significant bits; take one of the values bcrypt keeps.
    body = "".join(rng.choice(ALPHABET) for _ in range(21)) + rng.choice(".Oeu")
    return f"${prefix}${cost:02d}${body}"


PASSWORDS = ["secret", "correct horse battery staple", "p@ss:with:colons", "ünïcödé", "x" * 72]
print("# password_utf8_hex\thash")
for prefix in ("2a", "2b", "2y"):
    for cost in (4, 10):
        for password in PASSWORDS[:3] if cost == 10 else PASSWORDS:
            print(f"{password.encode().hex()}\t{crypt.crypt(password, salt(prefix, cost))}")
# Published vectors (crypt_blowfish's wrapper.c tests), checked here against the library that made the rest.
for password, expected in [
    ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
    ("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
    ("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"),
]:
    assert crypt.crypt(password, expected) == expected
    print(f"{password.encode().hex()}\t{expected}")
