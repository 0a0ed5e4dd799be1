#!/usr/bin/env python3
"""A synthetic Kafka broker's ingestion metrics for the compose stack and its test: an HTTP /metrics page
(what a JMX exporter would show) with

    kafka_server_brokertopicmetrics_messagesin_total{topic}    counter, messages in since the epoch
    kafka_topic_capacity_messages_per_second{topic}            gauge, what the topic's partitions sustain

Each topic's rate follows a daily cycle with its peak 6 hours after --anchor (unix seconds; by default 0,
so the peak is at 06:00 UTC). `orders` peaks above its capacity: promcast's 6h
forecast crosses capacity six hours before each peak, which is what the compose stack's Prometheus alert
KafkaIngestionOverCapacityIn6h fires on. Short waves stand in for noise. Values are pure functions of time, so --backfill (OpenMetrics for
`promtool tsdb create-blocks-from openmetrics`) continues seamlessly into the live page. Standard library only.
"""
import argparse
import math
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DAY = 86400
# topic -> (mean messages/s, relative daily amplitude, capacity messages/s)
TOPICS = {
    "orders": (1000.0, 0.5, 1400.0),
    "payments": (400.0, 0.3, 1000.0),
    "clicks": (5000.0, 0.35, 10000.0),
}


# Short waves on top of the daily cycle (periods in seconds, relative amplitudes): the rate's "noise",
# chosen with closed-form integrals so the counter is a pure function of time and never decreases.
WAVES = ((517.0, 0.04), (1291.0, 0.03), (3607.0, 0.02))


def messages_in(t, topic, anchor):
    """The counter at unix time t: the integral from 0 to t of
    base * (1 + amp * sin(2 pi (t - anchor) / DAY) + sum of the short waves), always positive."""
    base, amp, _ = TOPICS[topic]
    w = 2 * math.pi / DAY
    total = t - amp / w * (math.cos(w * (t - anchor)) - math.cos(w * anchor))
    for period, a in WAVES:
        v = 2 * math.pi / period
        phase = len(topic) * period / 7
        total -= a / v * (math.cos(v * (t + phase)) - math.cos(v * phase))
    return base * total


def exposition(t, anchor, timestamps=False):
    stamp = f" {int(t)}" if timestamps else ""
    out = []
    for topic in TOPICS:
        out.append(f'kafka_server_brokertopicmetrics_messagesin_total{{topic="{topic}"}} '
                   f"{messages_in(t, topic, anchor):.3f}{stamp}")
    for topic, (_, _, capacity) in TOPICS.items():
        out.append(f'kafka_topic_capacity_messages_per_second{{topic="{topic}"}} {capacity:g}{stamp}')
    return out


def backfill(path, end, days, step, anchor, job, instance):
    """OpenMetrics history of both families, `days` up to `end`, one sample per `step` seconds."""
    extra = f',instance="{instance}",job="{job}"'
    counters, gauges = [], []
    start = end - days * DAY
    t = start - start % step
    while t <= end:
        for topic, (_, _, capacity) in TOPICS.items():
            counters.append(f'kafka_server_brokertopicmetrics_messagesin_total{{topic="{topic}"{extra}}} '
                            f"{messages_in(t, topic, anchor):.3f} {t}\n")
            gauges.append(f'kafka_topic_capacity_messages_per_second{{topic="{topic}"{extra}}} {capacity:g} {t}\n')
        t += step
    with open(path, "w") as out:
        out.write("# HELP kafka_server_brokertopicmetrics_messagesin Messages in per topic.\n"
                  "# TYPE kafka_server_brokertopicmetrics_messagesin counter\n")
        out.writelines(counters)
        out.write("# HELP kafka_topic_capacity_messages_per_second Sustainable messages per second.\n"
                  "# TYPE kafka_topic_capacity_messages_per_second gauge\n")
        out.writelines(gauges)
        out.write("# EOF\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to serve /metrics on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9308, help="port to serve /metrics on (default 9308)")
    parser.add_argument("--anchor", default="0",
                        help="unix time 6 hours before a daily peak ('now' = the current time; default 0)")
    parser.add_argument("--backfill", metavar="FILE", help="write OpenMetrics history to FILE and exit")
    parser.add_argument("--days", type=int, default=14, help="days of history for --backfill")
    parser.add_argument("--step", type=int, default=60, help="seconds between backfilled samples")
    parser.add_argument("--end", type=float, default=0.0, help="end of the history (default: now)")
    parser.add_argument("--job", default="kafka", help="job label of the backfilled series")
    parser.add_argument("--instance", default="127.0.0.1:9308", help="instance label of the backfilled series")
    args = parser.parse_args()
    anchor = time.time() if args.anchor == "now" else float(args.anchor)

    if args.backfill:
        backfill(args.backfill, int(args.end or time.time()), args.days, args.step, anchor, args.job,
                 args.instance)
        return 0

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = ("# TYPE kafka_server_brokertopicmetrics_messagesin_total counter\n"
                    "# TYPE kafka_topic_capacity_messages_per_second gauge\n"
                    + "\n".join(exposition(time.time(), anchor)) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"kafka_pipeline: serving http://{args.host}:{args.port}/metrics", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
