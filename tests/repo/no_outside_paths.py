#!/usr/bin/python3
"""Fails if a tracked file refers to a path outside the repository.

A clone is all a user, a packager or a fork has, so every test, benchmark, script and document must name
only paths inside it. Checked in every tracked file (git ls-files; a tree walk when there is no git):

1. machine-specific absolute paths: /work/, /home/, /root/, /mnt/, /Users/ (system paths such as /usr/,
   /etc/, /tmp/ and /proc/ are fine, as are URLs);
2. relative paths written with slashes (`../x/y`), resolved from the file's own folder, that leave the
   repository, and any parent-relative path into a folder named "shared", whatever the folder;
3. path pieces given one by one (`os.path.join(here, "..", "..", "..", "x")`, R's `file.path("..", ...)`),
   resolved the same way.

Usage: no_outside_paths.py REPO_ROOT   (exit 1 listing file:line: reason for every finding)
       no_outside_paths.py --self-test (the checks flag planted examples and pass clean ones)
This file is exempt from the scan: it has to spell out the patterns it looks for.
"""
import os
import re
import subprocess
import sys
import tempfile

ABSOLUTE = re.compile(r"(?<![\w.:/-])/(?:work|home|root|mnt|Users)/")
SLASHED = re.compile(r"(?<![\w.])((?:\.\./)+)([\w.-]*)")
PIECES = re.compile(r"""((?:["']\.\.["']\s*,\s*)+)["']?([\w.-]*)""")
SELF = os.path.abspath(__file__)


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True).stdout
        return [os.path.join(root, p) for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")]
            files += [os.path.join(d, n) for n in names]
        return files


def escapes(root, folder, ups):
    """True if going `ups` levels up from `folder` leaves `root`."""
    rel = os.path.relpath(folder, root)
    depth = 0 if rel == "." else len(rel.split(os.sep))
    return ups > depth


def findings(root, path):
    if os.path.abspath(path) == SELF:
        return []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []  # a tracked file deleted in the work tree
    if b"\0" in data:
        return []  # binary
    text = data.decode("utf-8", errors="replace")
    folder = os.path.dirname(os.path.abspath(path))
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for m in ABSOLUTE.finditer(line):
            out.append((number, f"absolute path outside the repository: {line[m.start():m.start() + 40]!r}"))
        for m in SLASHED.finditer(line):
            ups = m.group(1).count("../")
            if m.group(2) == "shared" or escapes(root, folder, ups):
                out.append((number, f"relative path outside the repository: {m.group(0)!r}"))
        for m in PIECES.finditer(line):
            ups = m.group(1).count("..")
            if m.group(2) == "shared" or escapes(root, folder, ups):
                out.append((number, f"path pieces leave the repository: {m.group(0)!r}"))
    return out


def scan(root):
    root = os.path.abspath(root)
    bad = []
    for path in tracked_files(root):
        for number, reason in findings(root, path):
            bad.append(f"{os.path.relpath(path, root)}:{number}: {reason}")
    return bad


def self_test():
    """Plants files that must be flagged and files that must pass; returns a list of failures."""
    up = ".." + "/"
    cases = {
        "bad/abs.cmake": ("set(DATA \"/" + "work/shared/data\")\n", True),
        "bad/home.sh": ("cat /" + "home/user/x.csv\n", True),
        "bad/shared.md": ("The data in `" + up + "shared/data/nab`.\n", True),
        "bad/deep/escape.txt": (up * 3 + "elsewhere/file\n", True),
        "bad/deep/pieces.py": ('os.path.join(here, "..", "..", "..", "x")\n', True),
        "bad/shared.R": ('read.csv(file.path("..", "shared", "data", "f.csv"))\n', True),
        "ok/deep/inside.py": ('os.path.join(here, "..", "..", "tests", "data")\n', False),
        "ok/compose.yml": ("- " + up + "scripts/x.py:/app/x.py:ro\n", False),
        "ok/url.md": ("see https://example.org/" + "home/x and /usr/share/common-licenses/GPL-3\n", False),
        "ok/ellipsis.md": ("results/random/.../random_x.csv and /tmp/out\n", False),
    }
    failures = []
    with tempfile.TemporaryDirectory() as root:
        for rel, (content, _) in cases.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(content)
        for rel, (_, should_flag) in cases.items():
            flagged = bool(findings(root, os.path.join(root, rel)))
            if flagged != should_flag:
                failures.append(f"{rel}: expected {'a finding' if should_flag else 'none'}, got the opposite")
    return failures


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        failures = self_test()
        for f in failures:
            print(f"self-test: {f}", file=sys.stderr)
        return 1 if failures else 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bad = scan(sys.argv[1])
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print(f"{len(bad)} reference(s) to paths outside the repository", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
