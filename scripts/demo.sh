#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs dependencies, builds promcast, then runs
#   promcast: the drift mapping (compose/statsd_mapping.yml) and the rule engine (scripts/demo/rules.yml),
#   a real Prometheus (Debian package) scraping it, backfilled with 7 days of drift history so forecasts
#     exist at once, receiving promcast's remote write and reading promcast's forecast paths back by
#     remote read (so a query_range ending in the future returns the forecast cone),
#   a real Alertmanager routing promcast's alerts to a webhook receiver (scripts/demo/webhook.py, the
#     stand-in for PagerDuty or Opsgenie),
#   and a synthetic batch pipeline (scripts/drift_pipeline.py) sending drift metrics with daily seasonality
#     and an injected anomaly a minute after start, then every 10 minutes,
# all on 127.0.0.1, and prints the URLs to open. Runs until Ctrl-C and cleans up its processes.
#
# Environment:
#   DEMO_SECONDS=N        stop by itself after N seconds; exit 1 unless a forecast is queryable in
#                         Prometheus (its cone included: a query_range ending 6h ahead returns points
#                         after now) and an anomaly alert reached Alertmanager by then
#   STATSD_PORT, WEB_PORT, PROMETHEUS_PORT, ALERTMANAGER_PORT   preferred ports (9125, 9102, 9090,
#                         9093); busy ones are replaced by free ones
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
alertmanager_bin=$(command -v prometheus-alertmanager || true)
promtool_bin=$(command -v promtool || true)
for b in "$prometheus_bin" "$alertmanager_bin" "$promtool_bin"; do
  [ -n "$b" ] || { echo "demo: prometheus, promtool or prometheus-alertmanager missing (scripts/install-deps.sh installs them)" >&2; exit 1; }
done

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
alertmanager_port=$(pick_port "${ALERTMANAGER_PORT:-9093}")
webhook_port=$(pick_port 5001)
if [ "$(printf '%s\n' "$statsd_port" "$web_port" "$prometheus_port" "$alertmanager_port" "$webhook_port" | sort -u | wc -l)" != 5 ]; then
  echo "demo: could not find five distinct free ports, try again" >&2
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

echo "demo: backfilling 7 days of drift history into Prometheus' storage ..."
/usr/bin/python3 "$root/scripts/drift_pipeline.py" --backfill "$work/history.om" --days 7 --step 60 \
  --job promcast --instance "127.0.0.1:$web_port"
"$promtool_bin" tsdb create-blocks-from openmetrics "$work/history.om" "$work/prometheus-data" >"$work/backfill.log" 2>&1 \
  || { echo "demo: backfill failed:" >&2; cat "$work/backfill.log" >&2; exit 1; }
rm -f "$work/history.om"

/usr/bin/python3 "$root/scripts/demo/webhook.py" "$webhook_port" >"$work/webhook.log" 2>&1 &
pids+=($!)
cat >"$work/alertmanager.yml" <<EOF
route:
  receiver: webhook
  group_by: [alertname]
  group_wait: 5s
  group_interval: 10s
  repeat_interval: 1h
  # routes:   # by severity, to the incident tools (fill in your keys):
  #   - matchers: [severity="critical"]
  #     receiver: pagerduty
  #   - matchers: [severity="warning"]
  #     receiver: opsgenie
receivers:
  - name: webhook
    webhook_configs:
      - url: http://127.0.0.1:$webhook_port/alerts
        send_resolved: true
  # - name: pagerduty
  #   pagerduty_configs:
  #     - routing_key: <your Events API v2 integration key>
  # - name: opsgenie
  #   opsgenie_configs:
  #     - api_key: <your Opsgenie API key>
EOF
"$alertmanager_bin" --config.file="$work/alertmanager.yml" --storage.path="$work/alertmanager-data" \
  --web.listen-address="127.0.0.1:$alertmanager_port" --cluster.listen-address= --log.level=warn \
  >"$work/alertmanager.log" 2>&1 &
pids+=($!)
alertmanager_pid=$!

"$promcast_bin" \
  --statsd.listen-udp="127.0.0.1:$statsd_port" --statsd.listen-tcp="127.0.0.1:$statsd_port" \
  --web.listen-address="127.0.0.1:$web_port" --statsd.mapping-config="$root/compose/statsd_mapping.yml" \
  --web.enable-lifecycle \
  --rules.config="$root/scripts/demo/rules.yml" --rules.query.url="http://127.0.0.1:$prometheus_port" \
  --rules.alertmanager.url="http://127.0.0.1:$alertmanager_port" \
  --rules.remote-write.url="http://127.0.0.1:$prometheus_port/api/v1/write" \
  --rules.external-label=source=promcast-demo >"$work/promcast.log" 2>&1 &
pids+=($!)
promcast_pid=$!

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: promcast
    static_configs:
      - targets: ["127.0.0.1:$web_port"]
# promcast serves the forecast paths (drift_wasserstein:yhat_path and its bands) at future timestamps;
# read_recent makes Prometheus ask it for recent and future ranges too.
remote_read:
  - url: http://127.0.0.1:$web_port/api/v1/read
    read_recent: true
EOF
"$prometheus_bin" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address="127.0.0.1:$prometheus_port" --web.enable-remote-write-receiver \
  --storage.tsdb.retention.time=30d --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
prometheus_pid=$!

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
wait_http "http://127.0.0.1:$alertmanager_port/-/ready" Alertmanager "$work/alertmanager.log" "$alertmanager_pid"
wait_http "http://127.0.0.1:$web_port/metrics" promcast "$work/promcast.log" "$promcast_pid"
wait_http "http://127.0.0.1:$prometheus_port/-/ready" Prometheus "$work/prometheus.log" "$prometheus_pid"

/usr/bin/python3 "$root/scripts/drift_pipeline.py" --host 127.0.0.1 --port "$statsd_port" \
  --interval "${PIPELINE_INTERVAL:-5}" --anomaly-after 60 >"$work/pipeline.log" 2>&1 &
pids+=($!)

cat <<EOF

promcast demo is running (logs in $work):
  promcast /metrics      http://127.0.0.1:$web_port/metrics
  promcast rules         http://127.0.0.1:$web_port/rules
  forecast in Prometheus http://127.0.0.1:$prometheus_port/graph?g0.expr=drift_wasserstein%3Ayhat%7Bhorizon%3D%221h%22%7D&g0.tab=0&g0.range_input=1h
  forecast cone (to +1d) http://127.0.0.1:$prometheus_port/graph?g0.expr=drift_wasserstein%3Ayhat_path&g0.tab=0&g0.range_input=2d&g0.end_input=$(date -u -d '+1 day' '+%Y-%m-%d%%20%H%%3A%M%%3A00')
  Alertmanager           http://127.0.0.1:$alertmanager_port/#/alerts   (webhook deliveries: $work/webhook.log)
  Prometheus graph       http://127.0.0.1:$prometheus_port/graph?g0.expr=drift_metrics&g0.tab=0&g0.range_input=15m
  Prometheus query API   http://127.0.0.1:$prometheus_port/api/v1/query?query=drift_metrics
  statsd (UDP and TCP)   127.0.0.1:$statsd_port   e.g.  echo "drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g" | nc -u -w0 127.0.0.1 $statsd_port
EOF

future_points() {  # PromQL -> points after now in a query_range from 1h ago to 6h ahead
  local now; now=$(date +%s)
  curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/query_range" --data-urlencode "query=$1" \
    --data-urlencode "start=$(( now - 3600 ))" --data-urlencode "end=$(( now + 6 * 3600 ))" --data-urlencode step=300 \
    | /usr/bin/python3 -c 'import json,sys; now=float(sys.argv[1]); r=json.load(sys.stdin)["data"]["result"]; print(sum(1 for s in r for t, _ in s["values"] if float(t) > now))' "$now"
}
query() {  # PromQL -> number of series in the answer
  curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" \
    | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))'
}
if [ -n "${DEMO_SECONDS:-}" ]; then
  echo "Stopping after $DEMO_SECONDS s at the latest (DEMO_SECONDS)."
  began=$(date +%s)
  forecast=0; cone=0; alert=0
  while [ $(( $(date +%s) - began )) -lt "$DEMO_SECONDS" ]; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "demo: a process exited early; logs:" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
    done
    if [ "$forecast" = 0 ] && [ "$(query 'drift_wasserstein:yhat{horizon="1h"}' 2>/dev/null || echo 0)" -gt 0 ]; then
      forecast=1; echo "demo: forecast queryable in Prometheus after $(( $(date +%s) - began )) s"
    fi
    if [ "$cone" = 0 ] && [ "$(future_points 'drift_wasserstein:yhat_path' 2>/dev/null || echo 0)" -gt 0 ]; then
      cone=1; echo "demo: forecast cone queryable in Prometheus ahead of now ($(future_points 'drift_wasserstein:yhat_path') future points in the next 6h) after $(( $(date +%s) - began )) s"
    fi
    if [ "$alert" = 0 ] && curl -fsS "http://127.0.0.1:$alertmanager_port/api/v2/alerts" 2>/dev/null | grep -q DriftAnomaly; then
      alert=1; echo "demo: DriftAnomaly alert in Alertmanager after $(( $(date +%s) - began )) s"
    fi
    [ "$forecast" = 1 ] && [ "$cone" = 1 ] && [ "$alert" = 1 ] && break
    sleep 2
  done
  echo
  echo "promcast has $(curl -fsS "http://127.0.0.1:$web_port/metrics" | grep -c '^drift_metrics{') drift_metrics series;" \
       "Prometheus has $(query 'drift_wasserstein:yhat' || echo 0) forecast series;" \
       "the webhook received $(grep -c '^webhook:' "$work/webhook.log" || true) notifications"
  curl -fsS "http://127.0.0.1:$web_port/metrics" | grep '^drift_wasserstein:yhat{.*cap-diameter.*horizon="1h"' || true
  if [ "$forecast" != 1 ] || [ "$cone" != 1 ] || [ "$alert" != 1 ]; then
    echo "demo: FAILED (forecast=$forecast cone=$cone alert=$alert); promcast log:" >&2
    tail -n 30 "$work/promcast.log" >&2
    exit 1
  fi
  echo "demo: OK"
else
  echo "Press Ctrl-C to stop."
  wait "$promcast_pid"
fi
