#!/usr/bin/env bash
# Configures and builds one flavour of promcast: release (default), asan, or fuzz.
# Usage: scripts/build.sh [release|asan|fuzz] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}; shift || true
jobs=${JOBS:-$(nproc)}
case "$flavour" in
  release) dir=build;      args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROMCAST_SANITIZE=ON -DPROMCAST_BENCH=OFF) ;;
  fuzz)    dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-19
                                 -DPROMCAST_FUZZ=ON -DPROMCAST_TESTS=OFF -DPROMCAST_BENCH=OFF) ;;
  *) echo "unknown flavour: $flavour" >&2; exit 2 ;;
esac
# ccache (when installed) makes rebuilds of unchanged files free, also across work trees under one base dir.
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}" CCACHE_NOHASHDIR=1
fi
cmake -S . -B "$dir" -G Ninja "${args[@]}" "$@"
if [ "$flavour" = fuzz ]; then
  cmake --build "$dir" -j "$jobs" --target $(cd fuzz && ls *_fuzz.cc | sed 's/\.cc$//')
else
  cmake --build "$dir" -j "$jobs"
fi
