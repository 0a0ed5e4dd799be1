#!/usr/bin/env bash
# Installs every Debian package promcast needs to build, test, benchmark and run its demo.
# Idempotent: apt-get skips what is already there. Works as root or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-19 libclang-rt-19-dev
  # libraries
  libboost-dev libsimdjson-dev prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libeigen3-dev liblbfgspp-dev libre2-dev zlib1g-dev libsnappy-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libssl-dev libcrypt-dev ccache chromium
  # real servers for integration tests and the demo
  prometheus prometheus-alertmanager victoria-metrics curl openssl
  # reference implementations for fixtures and side-by-side benchmarks
  python3-statsmodels python3-scipy python3-numpy r-base-core r-cran-forecast
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
# The servers' packages would start systemd units; tests start them as plain processes instead.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
