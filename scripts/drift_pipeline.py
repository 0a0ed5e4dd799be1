#!/usr/bin/env python3
"""A small synthetic batch pipeline that reports data drift to statsd.

Every --interval seconds it draws a new batch for a few datasets and columns, compares each column
with its reference sample and sends one gauge per (dataset, version, column, statistic):

    drift_metrics.<dataset>.<version>.<column>.<metric>:<value>|g

which compose/statsd_mapping.yml turns into
drift_metrics{dataset_name, dataset_version, column_name, metric_name}.

Statistics: wasserstein (1-D earth mover's distance), psi (population stability index over
reference deciles), ks (two-sample Kolmogorov-Smirnov statistic), mean_shift (absolute difference of
means in reference standard deviations; statsd reads a gauge value starting with '-' as a decrement,
so every value sent is non-negative). Drift grows slowly with the batch number, with a sudden shift on one
column now and then, so the Prometheus graph has something to show. Standard library only.
"""
import argparse
import bisect
import math
import random
import socket
import sys
import time

# dataset -> (version, {column: (mean, stddev)})
DATASETS = {
    "mushroom": ("v1", {"cap-diameter": (6.7, 5.3), "stem-height": (6.6, 3.4), "stem-width": (12.1, 10.0)}),
    "titanic": ("v3", {"age": (29.7, 14.5), "fare": (32.2, 49.7)}),
    "credit": ("v2", {"income": (52000.0, 21000.0), "debt-ratio": (0.35, 0.12), "utilization": (0.31, 0.25)}),
}
SAMPLE_SIZE = 400


def wasserstein(a, b):
    """W1 between two equal-size samples: mean distance between their sorted values."""
    return sum(abs(x - y) for x, y in zip(sorted(a), sorted(b))) / len(a)


def ks_statistic(a, b):
    """Largest gap between the two empirical CDFs."""
    a, b = sorted(a), sorted(b)
    gap = 0.0
    for x in a + b:
        fa = bisect.bisect_right(a, x) / len(a)
        fb = bisect.bisect_right(b, x) / len(b)
        gap = max(gap, abs(fa - fb))
    return gap


def psi(reference, current, bins=10):
    """Population stability index over the reference sample's deciles."""
    ref = sorted(reference)
    edges = [ref[int(len(ref) * i / bins)] for i in range(1, bins)]

    def shares(sample):
        counts = [0] * bins
        for x in sample:
            counts[bisect.bisect_right(edges, x)] += 1
        return [max(c / len(sample), 1e-4) for c in counts]  # floor avoids log(0)

    return sum((c - r) * math.log(c / r) for r, c in zip(shares(reference), shares(current)))


def mean_shift(reference, current):
    mean_r = sum(reference) / len(reference)
    sd_r = math.sqrt(sum((x - mean_r) ** 2 for x in reference) / (len(reference) - 1)) or 1.0
    return abs(sum(current) / len(current) - mean_r) / sd_r


def batch_lines(rng, references, batch):
    lines = []
    for dataset, (version, columns) in DATASETS.items():
        for column, (mean, sd) in columns.items():
            drift = 0.02 * batch  # slow drift in units of stddev
            if rng.random() < 0.05:
                drift += rng.uniform(0.5, 1.5)  # an occasional sudden shift
            current = [rng.gauss(mean + drift * sd, sd * (1 + 0.01 * batch)) for _ in range(SAMPLE_SIZE)]
            reference = references[(dataset, column)]
            stats = {
                "wasserstein": wasserstein(reference, current),
                "psi": psi(reference, current),
                "ks": ks_statistic(reference, current),
                "mean_shift": mean_shift(reference, current),
            }
            for metric, value in stats.items():
                lines.append(f"drift_metrics.{dataset}.{version}.{column}.{metric}:{value:.6g}|g")
    return lines


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
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    references = {
        (dataset, column): [rng.gauss(mean, sd) for _ in range(SAMPLE_SIZE)]
        for dataset, (_, columns) in DATASETS.items()
        for column, (mean, sd) in columns.items()
    }
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    address = (args.host, args.port)
    batch = 0
    try:
        while args.batches == 0 or batch < args.batches:
            started = time.monotonic()
            lines = batch_lines(rng, references, batch)
            for packet in datagrams(lines):
                try:
                    sock.sendto(packet.encode(), address)
                except OSError as err:  # the exporter may not be up yet; the next batch retries
                    print(f"drift_pipeline: send failed: {err}", file=sys.stderr)
            if not args.quiet:
                print(f"drift_pipeline: batch {batch}: sent {len(lines)} drift metrics to {args.host}:{args.port}",
                      flush=True)
            batch += 1
            if args.batches == 0 or batch < args.batches:
                time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
