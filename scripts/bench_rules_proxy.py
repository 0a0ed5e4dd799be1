#!/usr/bin/python3
"""Writes series shaped like scripts/bench_rules.sh's (a daily sine of random level, amplitude and phase plus
3% Gaussian noise; 14 days at 5-minute steps) as timestamp,value CSV files, one per series, so the automatic
search the rule engine runs on them can be timed alone:

    /usr/bin/python3 scripts/bench_rules_proxy.py DIR/bench 40
    build-bench/bench/auto_arima_search --only fivemin --fivemin 0 --nab DIR --no-standard-errors

Seeded (42), so the same files every time. Each series draws its parameters and then its noise, so the
series are not those of bench_rules.sh (which interleaves series in time), only of the same shape.
"""
import math
import os
import random
import sys

out_dir = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
os.makedirs(out_dir, exist_ok=True)
rng = random.Random(42)
end = 1796000000 // 300 * 300  # a fixed end: the sine's phase follows the timestamps
start = end - 14 * 86400
for i in range(count):
    level, amp, phase = rng.uniform(100, 10000), rng.uniform(0.1, 0.5), rng.uniform(0, 2 * math.pi)
    with open(os.path.join(out_dir, f"s{i:02d}.csv"), "w") as f:
        f.write("timestamp,value\n")
        for t in range(start, end, 300):
            day = 2 * math.pi * (t % 86400) / 86400
            v = level * (1 + amp * math.sin(day + phase)) + rng.gauss(0, level * 0.03)
            f.write(f"{t},{v:.3f}\n")
