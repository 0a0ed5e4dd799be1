#!/usr/bin/env python3
"""A synthetic batch pipeline that reports data drift to statsd, with daily seasonality and injected anomalies.

Every --interval seconds it sends one gauge per (dataset, version, column, statistic):

    drift_metrics.<dataset>.<version>.<column>.<metric>:<value>|g

which compose/statsd_mapping.yml turns into
drift_metrics{dataset_name, dataset_version, column_name, metric_name}.

Each statistic (wasserstein, psi, ks, mean_shift) follows a daily cycle (a batch job's input changes with
the time of day) with multiplicative noise; the value at a time is a pure function of that time, so the
history written by --backfill (OpenMetrics for `promtool tsdb create-blocks-from openmetrics`) continues
seamlessly into the live values. Anomalies: from --anomaly-after seconds after start, every
--anomaly-every seconds, one column (in turn) drifts --anomaly-factor times its usual level for
--anomaly-seconds. Standard library only.
"""
import argparse
import hashlib
import math
import random
import socket
import sys
import time

# dataset -> (version, columns)
DATASETS = {
    "mushroom": ("v1", ["cap-diameter", "stem-height", "stem-width"]),
    "titanic": ("v3", ["age", "fare"]),
    "credit": ("v2", ["income", "debt-ratio", "utilization"]),
}
# usual level of each statistic
LEVELS = {"wasserstein": 0.12, "psi": 0.03, "ks": 0.06, "mean_shift": 0.1}
DAY = 86400


def columns():
    for dataset, (version, cols) in DATASETS.items():
        for column in cols:
            yield dataset, version, column


def noise(t, key):
    """A standard normal draw that depends only on (t, key): live values and backfill agree."""
    seed = int.from_bytes(hashlib.blake2b(f"{int(t)}|{key}".encode(), digest_size=8).digest(), "little")
    return random.Random(seed).gauss(0.0, 1.0)


def value(t, dataset, column, metric, anomaly=1.0):
    key = f"{dataset}/{column}/{metric}"
    phase = (sum(map(ord, dataset + column)) % 24) / 24 * 2 * math.pi
    daily = 1.0 + 0.35 * math.sin(2 * math.pi * (t % DAY) / DAY + phase)
    return max(0.0, LEVELS[metric] * daily * (1.0 + 0.04 * noise(t, key)) * anomaly)


def anomalous_column(t, start, args):
    """The column drifting at time t, if any (one at a time, in turn)."""
    if args.anomaly_every <= 0 or t < start + args.anomaly_after:
        return None
    since = t - start - args.anomaly_after
    if since % args.anomaly_every >= args.anomaly_seconds:
        return None
    cols = list(columns())
    return cols[int(since // args.anomaly_every) % len(cols)][2]


def lines_at(t, anomaly_column=None, factor=1.0):
    out = []
    for dataset, version, column in columns():
        for metric in LEVELS:
            f = factor if column == anomaly_column else 1.0
            out.append((dataset, version, column, metric, value(t, dataset, column, metric, f)))
    return out


def backfill(path, end, days, step, job, instance):
    """OpenMetrics history of every series, `days` up to `end` (unix seconds), one sample per `step`."""
    with open(path, "w") as out:
        out.write("# HELP drift_metrics Drift statistics of the batch pipeline.\n# TYPE drift_metrics gauge\n")
        start = end - days * DAY
        t = start - start % step
        while t <= end:
            for dataset, version, column, metric, v in lines_at(t):
                out.write(f'drift_metrics{{column_name="{column}",dataset_name="{dataset}",'
                          f'dataset_version="{version}",instance="{instance}",job="{job}",'
                          f'metric_name="{metric}"}} {v:.6g} {t}\n')
            t += step
        out.write("# EOF\n")


def datagrams(lines, limit=1400):
    """Packs lines into datagrams no larger than `limit` bytes, as statsd clients do."""
    packet = ""
    for line in lines:
        if packet and len(packet) + 1 + len(line) > limit:
            yield packet
            packet = ""
        packet = f"{packet}\n{line}" if packet else line
    if packet:
        yield packet


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="statsd host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9125, help="statsd UDP port (default 9125)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between batches (default 5)")
    parser.add_argument("--batches", type=int, default=0, help="stop after this many batches (0 = run until killed)")
    parser.add_argument("--anomaly-after", type=float, default=90.0, help="first anomaly this long after start")
    parser.add_argument("--anomaly-every", type=float, default=600.0, help="seconds between anomalies (0 = none)")
    parser.add_argument("--anomaly-seconds", type=float, default=120.0, help="how long an anomaly lasts")
    parser.add_argument("--anomaly-factor", type=float, default=6.0, help="drift level during an anomaly")
    parser.add_argument("--backfill", metavar="FILE", help="write OpenMetrics history to FILE and exit")
    parser.add_argument("--days", type=int, default=7, help="days of history for --backfill")
    parser.add_argument("--step", type=int, default=60, help="seconds between backfilled samples")
    parser.add_argument("--job", default="promcast", help="job label of the backfilled series")
    parser.add_argument("--instance", default="127.0.0.1:9102", help="instance label of the backfilled series")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    if args.backfill:
        backfill(args.backfill, int(time.time()), args.days, args.step, args.job, args.instance)
        return 0

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    address = (args.host, args.port)
    start = time.time()
    batch = 0
    try:
        while args.batches == 0 or batch < args.batches:
            started = time.monotonic()
            now = time.time()
            drifting = anomalous_column(now, start, args)
            lines = [f"drift_metrics.{d}.{ver}.{c}.{m}:{v:.6g}|g"
                     for d, ver, c, m, v in lines_at(now, drifting, args.anomaly_factor)]
            for packet in datagrams(lines):
                try:
                    sock.sendto(packet.encode(), address)
                except OSError as err:  # the exporter may not be up yet; the next batch retries
                    print(f"drift_pipeline: send failed: {err}", file=sys.stderr)
            if not args.quiet:
                note = f" (anomaly on {drifting})" if drifting else ""
                print(f"drift_pipeline: batch {batch}: sent {len(lines)} drift metrics to "
                      f"{args.host}:{args.port}{note}", flush=True)
            batch += 1
            if args.batches == 0 or batch < args.batches:
                time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
