#!/usr/bin/env bash
# Backfills a fresh Prometheus with N series (default 1000) of 14 days at 5-minute steps (a daily cycle
# plus noise, each series its own level and phase), starts it on a free loopback port and runs
# bench/rules_eval against it. Usage: [BUILD_DIR=build] scripts/bench_rules.sh [SERIES] [WORKERS]
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000}; workers=${2:-2}
work=$(mktemp -d); trap 'kill $prom_pid 2>/dev/null || true; rm -rf "$work"' EXIT
end=$(( $(date +%s) / 300 * 300 ))
echo "generating $series series x 14d at 5m ..."
/usr/bin/python3 - "$series" "$end" > "$work/history.om" <<'PY'
import math, random, sys
n, end = int(sys.argv[1]), int(sys.argv[2])
start = end - 14 * 86400
print("# TYPE bench_ingest gauge")
rng = random.Random(42)
params = [(rng.uniform(100, 10000), rng.uniform(0.1, 0.5), rng.uniform(0, 2 * math.pi)) for _ in range(n)]
out = sys.stdout
for t in range(start, end + 1, 300):
    day = 2 * math.pi * (t % 86400) / 86400
    for i, (level, amp, phase) in enumerate(params):
        v = level * (1 + amp * math.sin(day + phase)) + rng.gauss(0, level * 0.03)
        out.write(f'bench_ingest{{series="{i}"}} {v:.3f} {t}\n')
print("# EOF")
PY
promtool tsdb create-blocks-from openmetrics --max-block-duration=24h "$work/history.om" "$work/data" > /dev/null
rm "$work/history.om"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1m\n' > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address=127.0.0.1:$port --storage.tsdb.retention.time=30d --log.level=warn &
prom_pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.5; done
"${BUILD_DIR:-build}"/bench/rules_eval --prometheus "http://127.0.0.1:$port" --end "$end" --workers "$workers"
