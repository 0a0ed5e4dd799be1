#!/usr/bin/python3
"""The side-by-side table of docs/quality.md ("Forecast accuracy") from the CSVs of
bench/forecast_accuracy_tool.cc (DIR/accuracy.csv: promcast, snaive) and bench/forecast_accuracy.R
(DIR/r_accuracy.csv: auto.arima, stlf, snaive).

    /usr/bin/python3 bench/forecast_accuracy_table.py DIR [--per-series]

With DIR/accuracy_<variant>.csv files (`forecast_accuracy --variant V`; accuracy_rule.csv: a copy of
accuracy.csv from a run without --exclude), a table of the variants too, over every origin they ran at.

Pooling over series: every forecast counts once (per-series figures weighted by their n; MASE over the
series whose windows have a non-zero seasonal-naive scale). Only origins where every method forecast
are in the R file (the R script reads promcast's successful origins), so the samples are the same; the
script checks that by comparing the two seasonal-naive columns, which must agree to rounding.
"""
import csv
import math
import os
import sys
from collections import defaultdict

HORIZONS = [("12", "1h"), ("72", "6h"), ("288", "1d"), ("all", "all leads 1..288")]
METHODS = [("promcast", "promcast auto"), ("auto.arima", "R auto.arima + Fourier"),
           ("stlf", "R stlf (STL + ets)"), ("snaive", "seasonal naive")]


def load(path, methods=None):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if methods and r["method"] not in methods:
                continue
            for k in ("n", "mase", "smape", "cov80", "cov95"):
                v = r[k]
                r[k] = float("nan") if v in ("NA", "NaN", "") else float(v)
            rows.append(r)
    return rows


def group(series):
    return "artificial" if series.startswith("art_") else "realAWSCloudwatch"


def pool(rows):
    n = sum(r["n"] for r in rows)
    scaled = [r for r in rows if math.isfinite(r["mase"])]
    sn = sum(r["n"] for r in scaled)
    out = {"n": n, "mase": sum(r["n"] * r["mase"] for r in scaled) / sn if sn else float("nan")}
    for k in ("smape", "cov80", "cov95"):
        out[k] = sum(r["n"] * r[k] for r in rows) / n if n else float("nan")
    return out


def main():
    d = sys.argv[1]
    ours = load(f"{d}/accuracy.csv")
    theirs = load(f"{d}/r_accuracy.csv")
    r_series = {r["series"] for r in theirs}
    ours = [r for r in ours if r["series"] in r_series]
    # The check: both seasonal-naive columns from the same data and origins.
    naive = {(r["series"], r["horizon"]): r for r in ours if r["method"] == "snaive"}
    worst = 0.0
    for r in theirs:
        if r["method"] != "snaive":
            continue
        o = naive[(r["series"], r["horizon"])]
        assert o["n"] == r["n"], (r["series"], r["horizon"], o["n"], r["n"])
        for k in ("mase", "smape", "cov80", "cov95"):
            if math.isfinite(o[k]) or math.isfinite(r[k]):
                worst = max(worst, abs(o[k] - r[k]) / max(1.0, abs(r[k])))
    rows = [r for r in ours if r["method"] == "promcast"] + theirs
    series = sorted(r_series)
    print(f"{len(series)} series; seasonal naive, promcast's vs R's: largest relative difference {worst:.1e}\n")
    for title, keep in [("all series", lambda s: True),
                        ("realAWSCloudwatch", lambda s: group(s) == "realAWSCloudwatch"),
                        ("artificial", lambda s: group(s) == "artificial")]:
        names = [s for s in series if keep(s)]
        print(f"### {title} ({len(names)} series)\n")
        print("| horizon | method | n | MASE | sMAPE % | 80% coverage | 95% coverage |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for h, label in HORIZONS:
            for m, mlabel in METHODS:
                p = pool([r for r in rows if r["method"] == m and r["horizon"] == h and r["series"] in names])
                print(f"| {label} | {mlabel} | {p['n']:.0f} | {p['mase']:.3f} | {p['smape']:.1f} | "
                      f"{p['cov80']:.3f} | {p['cov95']:.3f} |")
        print()
    # Head to head over every lead, series by series.
    by = defaultdict(dict)
    for r in rows:
        if r["horizon"] == "all":
            by[r["series"]][r["method"]] = r
    wins = {m: sum(1 for s in series if math.isfinite(by[s]["promcast"]["mase"]) and
                   by[s]["promcast"]["mase"] < by[s][m]["mase"]) for m, _ in METHODS[1:]}
    scaled = sum(1 for s in series if math.isfinite(by[s]["promcast"]["mase"]))
    print("promcast's MASE (all leads) below the other's, series by series (of "
          f"{scaled} with a scale): " + ", ".join(f"{m} {w}" for m, w in wins.items()))
    # The variants of `forecast_accuracy --variant V` (the search called directly with changed options).
    variants = [("rule", "rule path, every origin"), ("search", "defaults (direct call)"), ("pq2", "max p, q = 2"), ("k2", "at most 2 harmonics"),
                ("k10", "up to 10 harmonics"), ("d0", "d = 0 (no differencing)")]
    present = [(v, label) for v, label in variants if os.path.exists(f"{d}/accuracy_{v}.csv")]
    if present:
        print("\n| variant | " + " | ".join(f"{label} MASE / sMAPE / c95" for _, label in HORIZONS) + " |")
        print("| --- |" + " --- |" * len(HORIZONS))
        for v, label in present:
            vr = [r for r in load(f"{d}/accuracy_{v}.csv", {"promcast"}) if r["series"] in r_series]
            cells = []
            for h, _ in HORIZONS:
                p = pool([r for r in vr if r["horizon"] == h])
                cells.append(f"{p['mase']:.3f} / {p['smape']:.1f} / {p['cov95']:.3f}")
            print(f"| {label} | " + " | ".join(cells) + " |")
    if "--per-series" in sys.argv:
        print("\n| series | " + " | ".join(f"{m} MASE / sMAPE / c95" for m, _ in METHODS) + " |")
        print("| --- |" + " --- |" * len(METHODS))
        for s in series:
            cells = [f"{by[s][m]['mase']:.2f} / {by[s][m]['smape']:.1f} / {by[s][m]['cov95']:.2f}" for m, _ in METHODS]
            print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
