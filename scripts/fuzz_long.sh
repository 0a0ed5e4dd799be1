#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS (default 600) outside CI, starting from the committed
# seeds in fuzz/corpus/<target>, then merges the inputs that found new coverage back into that folder
# (libFuzzer's -merge=1 keeps only inputs that add coverage) so CI's short runs start from them.
# Needs the fuzz build: scripts/build.sh fuzz. Usage: scripts/fuzz_long.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
fi
for name in "${targets[@]}"; do
  bin=build-fuzz/fuzz/$name
  [ -x "$bin" ] || { echo "missing $bin: run scripts/build.sh fuzz" >&2; exit 1; }
  seeds=fuzz/corpus/${name%_fuzz}
  work=$(mktemp -d)
  mkdir -p "$seeds"
  cp -r "$seeds"/. "$work"/
  echo "-- $name: ${seconds} s"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 "$work" 2>&1 |
    grep -E '^(stat::|#[0-9]+ +DONE|==[0-9]+==|SUMMARY|Done)' || true
  # crashes leave crash-*/leak-*/timeout-* files in the working directory: fail loudly
  if ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
    echo "$name: a crashing input was found (see crash-*/leak-*/timeout-* here)" >&2
    exit 1
  fi
  before=$(ls "$seeds" | wc -l)
  "$bin" -merge=1 "$seeds" "$work" 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || true
  echo "$name: corpus $before -> $(ls "$seeds" | wc -l) files"
  rm -rf "$work"
done
