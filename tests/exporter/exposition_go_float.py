#!/usr/bin/python3
"""Generates exposition_go_float.tsv: how Prometheus' expfmt writes a float64 sample value.

expfmt's writeFloat prints 1, 0 (also -0), -1, NaN, +Inf, -Inf literally and everything else with Go's
strconv.FormatFloat(v, 'g', -1, 64). This script emulates that from Go's documented rules, independently of
the C++ code: Python's repr() yields the same shortest round-trip digits as Go's shortest mode; Go's 'g'
with precision -1 then uses %e when the decimal exponent is < -4 or >= 6 (shortest mode fixes eprec at 6),
with at least two exponent digits, and %f with exactly the shortest digits otherwise.

Run: /usr/bin/python3 tests/exporter/exposition_go_float.py > tests/exporter/exposition_go_float.tsv
Each line: the value as a C99 hex float, a tab, the expected text.
"""
import decimal
import math
import random
import struct


def shortest_digits(v):
    """(digits, dp): |v| = 0.DIGITS * 10**dp with DIGITS the shortest round-trip digits (from repr)."""
    d = decimal.Decimal(repr(abs(v))).normalize()
    _, digit_tuple, exponent = d.as_tuple()
    digits = ''.join(map(str, digit_tuple))
    return digits, len(digits) + exponent


def go_format(v):
    if v == 1:
        return '1'
    if v == 0:
        return '0'
    if v == -1:
        return '-1'
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return '+Inf' if v > 0 else '-Inf'
    digits, dp = shortest_digits(v)
    sign = '-' if v < 0 else ''
    exp = dp - 1
    if exp < -4 or exp >= 6:
        s = digits[0]
        if len(digits) > 1:
            s += '.' + digits[1:]
        e = '-' if exp < 0 else '+'
        a = abs(exp)
        return sign + s + 'e' + e + ('0' if a < 10 else '') + str(a)
    if dp <= 0:
        return sign + '0.' + '0' * (-dp) + digits
    if dp >= len(digits):
        return sign + digits + '0' * (dp - len(digits))
    return sign + digits[:dp] + '.' + digits[dp:]


def main():
    values = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 0.1, 0.2, 0.3, 1e-4, 1e-5, 1.5e-5, 0.00012345, 123456.0,
              999999.0, 1e6, 1000001.0, 1234567.0, 123456789.0, 1e21, 1e22, 1e100, 1e-100, 5e-324,
              2.2250738585072014e-308, 1.7976931348623157e308, 42.0, -42.5, 3.141592653589793, 0.005,
              0.025, 2.5, 100000.0, 100000.5, 1e5 + 0.25, 99999.99999, 0.1 + 0.2, 1 / 3, 2 / 3, -1e-7,
              12345678901234567890.0, 9007199254740993.0, 4.35, 0.000123, 0.0001, 0.001, 1e15, 1e16,
              float('inf'), float('-inf'), float('nan'), 2 ** 53, 2 ** 63, -2 ** 63, 1.25e-310]
    rng = random.Random(20261123)
    for _ in range(400):
        bits = rng.getrandbits(64)
        v = struct.unpack('<d', struct.pack('<Q', bits))[0]
        if not math.isnan(v):
            values.append(v)
    for _ in range(300):
        values.append(round(rng.uniform(-1e7, 1e7), rng.randint(0, 6)))
        values.append(rng.lognormvariate(0, 6))
    for v in values:
        print(f'{float(v).hex()}\t{go_format(float(v))}')


if __name__ == '__main__':
    main()
