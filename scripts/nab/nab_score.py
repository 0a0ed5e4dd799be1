#!/usr/bin/python3
"""NAB scorer (Numenta Anomaly Benchmark rules, written from the published description).

For every data file a detector emits one anomaly score in [0, 1] per row; a threshold turns scores into
detections. Rules:
  * the first min(floor(0.15 * rows), 0.15 * 5000) rows are probationary and not scored;
  * a detection inside a labelled window scores A_TP * sigmoid'(position) / sigmoid'(-1), position =
    -(right - i + 1) / width, sigmoid'(x) = 2 / (1 + exp(5x)) - 1 (about +1 at the window start, ~0 at the end);
    only the best (i.e. the first) detection of each window counts; a window without detection costs -A_FN;
  * a detection outside every window costs A_FP * sigmoid'(|prev_right - i| / (prev_width - 1)) (-A_FP when no
    window precedes it or when it is 3 widths or more past the previous window);
  * the threshold is chosen per detector and profile to maximise the score summed over all files;
  * normalized = 100 * (S - S_null) / (S_perfect - S_null), null = never detects, perfect = detects each window
    at its first scored row.
Profiles: standard (A_TP 1, A_FP 0.11, A_FN 1), reward_low_FP_rate (A_FP 0.22), reward_low_FN_rate (A_FN 2).

Usage: nab_score.py --results DIR [--data DIR] [--labels FILE]
  DIR/<detector>/<relative data path>.csv holds a column `anomaly_score` (and `timestamp`) for every row.
"""
import argparse
import csv
import json
import math
import os
import sys

PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}
PROBATION_PERCENT = 0.15


def scaled_sigmoid(x):
    if x >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def normalize_timestamp(t):
    t = t.strip()
    if t.endswith(".000000"):
        t = t[: -len(".000000")]
    return t


def probation_length(rows):
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000)


def sweep_rows(timestamps, scores, windows, name, costs):
    """(anomaly score, weighted score if detected, window id or None) for every scored row."""
    index = {t: i for i, t in enumerate(timestamps)}
    spans = []
    for start, end in windows:
        s, e = normalize_timestamp(start), normalize_timestamp(end)
        if s not in index or e not in index:
            raise ValueError(f"{name}: window {start}..{end} is not on the file's timestamps")
        spans.append((index[s], index[e]))
    spans.sort()
    max_tp = scaled_sigmoid(-1.0)
    probation = probation_length(len(timestamps))
    out = []
    k = 0
    cur = None
    prev_right = prev_width = None
    for i, score in enumerate(scores):
        if cur is None and k < len(spans) and i == spans[k][0]:
            cur = spans[k]
            k += 1
        if cur is not None:
            width = cur[1] - cur[0] + 1
            position = -(cur[1] - i + 1) / width
            weighted = scaled_sigmoid(position) * costs["tp"] / max_tp
            window = f"{name}|{cur[0]}"
        else:
            past = 3.0 if prev_right is None else abs(prev_right - i) / float(prev_width - 1)
            weighted = scaled_sigmoid(past) * costs["fp"]
            window = None
        if i >= probation:
            out.append((score, weighted, window))
        if cur is not None and i == cur[1]:
            prev_right, prev_width = cur[1], cur[1] - cur[0] + 1
            cur = None
    return out


def best_threshold(rows, costs):
    """Sweeps the threshold from above the highest score down; returns (threshold, total score)."""
    rows = sorted(rows, key=lambda r: r[0], reverse=True)
    windows = {r[2] for r in rows if r[2] is not None}
    parts = {w: -costs["fn"] for w in windows}
    fp = 0.0
    best = (1.1, sum(parts.values()) + fp)
    i = 0
    while i < len(rows):
        threshold = rows[i][0]
        while i < len(rows) and rows[i][0] == threshold:  # all rows at this score are detected together
            score, weighted, window = rows[i]
            if window is None:
                fp += weighted
            else:
                parts[window] = max(parts[window], weighted)
            i += 1
        total = sum(parts.values()) + fp
        if total > best[1]:
            best = (threshold, total)
    return best


def score_detector(results, windows_by_file, costs):
    """results: {relpath: (timestamps, scores)} -> (threshold, raw, null, perfect, normalized)."""
    rows, null_rows, perfect_rows = [], [], []
    for rel, (timestamps, scores) in sorted(results.items()):
        windows = windows_by_file.get(rel, [])
        rows += sweep_rows(timestamps, scores, windows, rel, costs)
        null_rows += sweep_rows(timestamps, [0.0] * len(scores), windows, rel, costs)
        probation = probation_length(len(timestamps))
        perfect = [0.0] * len(scores)
        index = {t: i for i, t in enumerate(timestamps)}
        for start, end in windows:
            first = max(index[normalize_timestamp(start)], math.ceil(probation))
            if first <= index[normalize_timestamp(end)]:
                perfect[first] = 1.0
        perfect_rows += sweep_rows(timestamps, perfect, windows, rel, costs)
    threshold, raw = best_threshold(rows, costs)
    _, null = best_threshold(null_rows, costs)
    _, best = best_threshold(perfect_rows, costs)
    normalized = 100.0 * (raw - null) / (best - null) if best != null else float("nan")
    return threshold, raw, null, best, normalized


def read_scores(path):
    timestamps, scores = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            timestamps.append(normalize_timestamp(row["timestamp"]))
            v = row.get("anomaly_score", "")
            scores.append(float(v) if v not in ("", "nan") else 0.0)
    return timestamps, scores


def load_windows(labels):
    with open(labels) as f:
        return json.load(f)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "nab"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True)
    ap.add_argument("--labels", default=os.path.join(shared, "labels", "combined_windows.json"))
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args()
    windows = load_windows(args.labels)
    detectors = sorted(d for d in os.listdir(args.results) if os.path.isdir(os.path.join(args.results, d)))
    table = []
    for det in detectors:
        results = {}
        for rel in windows:
            path = os.path.join(args.results, det, rel)
            if not os.path.exists(path):
                print(f"warning: {det} has no result for {rel}", file=sys.stderr)
                continue
            results[rel] = read_scores(path)
        row = [det]
        for profile, costs in PROFILES.items():
            threshold, raw, null, perfect, normalized = score_detector(results, windows, costs)
            row += [normalized, threshold]
        table.append(row)
    if args.markdown:
        print("| detector | standard | reward_low_FP_rate | reward_low_FN_rate | threshold (standard) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in table:
            print(f"| {r[0]} | {r[1]:.1f} | {r[3]:.1f} | {r[5]:.1f} | {r[2]:.4f} |")
    else:
        print(f"{'detector':32s} {'standard':>9s} {'low_FP':>9s} {'low_FN':>9s}  thresholds")
        for r in table:
            print(f"{r[0]:32s} {r[1]:9.2f} {r[3]:9.2f} {r[5]:9.2f}  {r[2]:.4f} {r[4]:.4f} {r[6]:.4f}")


if __name__ == "__main__":
    main()
