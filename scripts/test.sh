#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs dependencies, builds, runs the unit and
# integration suites, the same suites under ASan+UBSan, and each fuzzer for a bounded time.
# Set FUZZ_SECONDS (default 60) or SKIP_ASAN=1 / SKIP_FUZZ=1 to shorten a local run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== release build and tests"
scripts/build.sh release
ctest --test-dir build --output-on-failure -j 2

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan+UBSan build and tests"
  scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 -LE slow
fi

if [ "${SKIP_FUZZ:-0}" != 1 ] && ls fuzz/*_fuzz.cc >/dev/null 2>&1; then
  echo "== fuzzers (${FUZZ_SECONDS:-60} s each)"
  scripts/build.sh fuzz
  for f in fuzz/*_fuzz.cc; do
    name=$(basename "$f" .cc)
    corpus=$(mktemp -d)
    seeds="fuzz/corpus/${name%_fuzz}"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
    echo "-- $name"
    ./build-fuzz/fuzz/"$name" -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
    rm -rf "$corpus"
  done
fi
echo "== all tests passed"
