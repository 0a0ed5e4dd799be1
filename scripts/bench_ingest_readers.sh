#!/usr/bin/env bash
# UDP ingest with 1 and 2 SO_REUSEPORT reader threads (--statsd.udp-readers), several senders: for each
# reader count and each offered rate, starts promcast with the drift mapping on free loopback ports, sends
# 5 s of traffic (20 lines per datagram, 1,000 names) from SOCKETS source ports over THREADS sender threads
# with bench/statsd_load, and prints loss and promcast's own CPU seconds (from /proc/<pid>/stat), hence
# lines per promcast CPU-second: the per-core cost a user sizes a bigger machine with.
# Usage: [BUILD_DIR=build] [BENCH_DIR=build-bench] scripts/bench_ingest_readers.sh ["RATE ..."] [SOCKETS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-"1000000 2000000 3000000"}; sockets=${2:-4}; threads=${3:-2}
promcast="${BUILD_DIR:-build}/app/promcast"
load="${BENCH_DIR:-build-bench}/bench/statsd_load"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }

printf 'readers | offered (lines/s) | lines sent | lines counted | loss | achieved send rate | promcast CPU s | lines per promcast CPU-second\n'
for readers in 1 2; do
for rate in $rates; do
  lines=$((rate * 5))
  udp=$(free_port); web=$(free_port)
  "$promcast" --statsd.listen-udp=127.0.0.1:$udp --statsd.listen-tcp= --web.listen-address=127.0.0.1:$web \
    --statsd.mapping-config=compose/statsd_mapping.yml --statsd.udp-readers=$readers \
    --statsd.read-buffer=4194304 --log.level=warn &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$web/-/ready" > /dev/null && break; sleep 0.1; done
  cpu0=$(cpu_seconds $pid)
  out=$("$load" --target 127.0.0.1:$udp --metrics-url "http://127.0.0.1:$web/metrics" --rate "$rate" \
    --lines "$lines" --lines-per-datagram 20 --names 1000 --sockets "$sockets" --threads "$threads")
  cpu1=$(cpu_seconds $pid)
  kill $pid; wait $pid 2>/dev/null || true
  sent=$(awk '/^lines sent/ { print $3 }' <<< "$out")
  counted=$(awk '/^lines counted/ { print $3 }' <<< "$out")
  achieved=$(awk '/^achieved rate/ { print $3 }' <<< "$out")
  awk -v r="$readers" -v o="$rate" -v s="$sent" -v c="$counted" -v a="$achieved" -v c0="$cpu0" -v c1="$cpu1" 'BEGIN {
    cpu = c1 - c0; printf "%d | %d | %d | %d | %.2f %% | %.0f | %.2f | %.2f M\n", r, o, s, c, 100 * (s - c) / s, a, cpu, c / cpu / 1e6 }'
done
done
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
