#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs dependencies, builds promcast, then runs
#   promcast (the drift mapping from compose/statsd_mapping.yml),
#   a real Prometheus (Debian package) scraping it, with its storage in a temporary directory,
#   and a synthetic batch pipeline (scripts/drift_pipeline.py) sending drift metrics every few seconds,
# all on 127.0.0.1, and prints the URLs to open. Runs until Ctrl-C and cleans up its processes.
#
# Environment:
#   DEMO_SECONDS=N        stop by itself after N seconds (and print what Prometheus has)
#   STATSD_PORT, WEB_PORT, PROMETHEUS_PORT   preferred ports (9125, 9102, 9090); busy ones are
#                         replaced by free ones
#   PIPELINE_INTERVAL     seconds between pipeline batches (default 5)
#   SKIP_INSTALL=1, SKIP_BUILD=1, PROMCAST_BIN=path   reuse what is already there
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${SKIP_INSTALL:-0}" != 1 ]; then scripts/install-deps.sh; fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then scripts/build.sh release; fi
promcast_bin=${PROMCAST_BIN:-$root/build/app/promcast}
[ -x "$promcast_bin" ] || { echo "demo: $promcast_bin not found (build first)" >&2; exit 1; }
prometheus_bin=$(command -v prometheus || true)
[ -n "$prometheus_bin" ] || { echo "demo: prometheus not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }

# A port that is free on 127.0.0.1 for TCP and UDP: the preferred one if possible, else any.
pick_port() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
def free(port):
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", port))
            s.close()
        return True
    except OSError:
        return False
port = int(sys.argv[1])
if not free(port):
    while True:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
        if free(port):
            break
print(port)
EOF
}
statsd_port=$(pick_port "${STATSD_PORT:-9125}")
web_port=$(pick_port "${WEB_PORT:-9102}")
prometheus_port=$(pick_port "${PROMETHEUS_PORT:-9090}")
if [ "$web_port" = "$statsd_port" ] || [ "$prometheus_port" = "$statsd_port" ] || [ "$prometheus_port" = "$web_port" ]; then
  echo "demo: could not find three distinct free ports, try again" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/promcast-demo-XXXXXX")
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  echo "demo: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$promcast_bin" \
  --statsd.listen-udp="127.0.0.1:$statsd_port" --statsd.listen-tcp="127.0.0.1:$statsd_port" \
  --web.listen-address="127.0.0.1:$web_port" --statsd.mapping-config="$root/compose/statsd_mapping.yml" \
  --web.enable-lifecycle >"$work/promcast.log" 2>&1 &
pids+=($!)

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: promcast
    static_configs:
      - targets: ["127.0.0.1:$web_port"]
EOF
"$prometheus_bin" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)

wait_http() {  # url what log pid
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; then return 0; fi
    kill -0 "$4" 2>/dev/null || break  # exited (e.g. a port taken meanwhile): no point waiting
    sleep 0.2
  done
  echo "demo: $2 did not come up; its log:" >&2
  cat "$3" >&2
  exit 1
}
wait_http "http://127.0.0.1:$web_port/metrics" promcast "$work/promcast.log" "${pids[0]}"
wait_http "http://127.0.0.1:$prometheus_port/-/ready" Prometheus "$work/prometheus.log" "${pids[1]}"

/usr/bin/python3 "$root/scripts/drift_pipeline.py" --host 127.0.0.1 --port "$statsd_port" \
  --interval "${PIPELINE_INTERVAL:-5}" >"$work/pipeline.log" 2>&1 &
pids+=($!)

cat <<EOF

promcast demo is running (logs in $work):
  promcast /metrics      http://127.0.0.1:$web_port/metrics
  Prometheus graph       http://127.0.0.1:$prometheus_port/graph?g0.expr=drift_metrics&g0.tab=0&g0.range_input=15m
  Prometheus query API   http://127.0.0.1:$prometheus_port/api/v1/query?query=drift_metrics
  statsd (UDP and TCP)   127.0.0.1:$statsd_port   e.g.  echo "drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g" | nc -u -w0 127.0.0.1 $statsd_port
EOF

if [ -n "${DEMO_SECONDS:-}" ]; then
  echo "Stopping after $DEMO_SECONDS s (DEMO_SECONDS)."
  sleep "$DEMO_SECONDS"
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "demo: a process exited early; logs:" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
  done
  echo
  echo "promcast has $(curl -fsS "http://127.0.0.1:$web_port/metrics" | grep -c '^drift_metrics{') drift_metrics series;" \
       "Prometheus answers count(drift_metrics) = $(curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/query" \
       --data-urlencode 'query=count(drift_metrics)' | /usr/bin/python3 -c \
       'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')"
  curl -fsS "http://127.0.0.1:$web_port/metrics" | grep '^drift_metrics{column_name="cap-diameter",dataset_name="mushroom"' || true
else
  echo "Press Ctrl-C to stop."
  wait "${pids[0]}"
fi
