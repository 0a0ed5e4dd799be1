#!/usr/bin/python3
"""NAB scorer (Numenta Anomaly Benchmark rules; checked rule by rule against NAB's sweeper, optimizer and
runner, see README.md in this folder).

For every data file a detector emits one anomaly score in [0, 1] per row; a threshold turns scores into
detections. Rules:
  * the first min(floor(0.15 * rows), 0.15 * 5000) rows are probationary and not scored;
  * a detection inside a labelled window scores A_TP * sigmoid'(position) / sigmoid'(-1), position =
    -(right - i + 1) / width, sigmoid'(x) = 2 / (1 + exp(5x)) - 1 (about +1 at the window start, ~0 at the end);
    only the best (i.e. the first) detection of each window counts; a window without detection costs -A_FN;
  * a detection outside every window costs A_FP * sigmoid'(|prev_right - i| / (prev_width - 1)) (-A_FP when no
    window precedes it or when it is 3 widths or more past the previous window);
  * a row is detected when its score is >= the threshold (rows with equal scores are detected together); the
    threshold is swept over every distinct score of the whole corpus per detector and profile and the one with
    the highest total wins (the highest such threshold on a tie);
  * normalized = 100 * (S - S_null) / (S_perfect - S_null), S_null = -A_FN per window that has a scored row (a
    detector that never detects), S_perfect = A_TP per labelled window (NAB counts every window of the labels,
    including one that probation hides).
Window limits and result rows are matched to the data by instant (a parsed timestamp), not by text.
Profiles: standard (A_TP 1, A_FP 0.11, A_FN 1), reward_low_FP_rate (A_FP 0.22), reward_low_FN_rate (A_FN 2).

Usage: nab_score.py --results DIR [--data DIR] [--labels FILE] [--markdown]
  DIR/<detector>/<relative data path>.csv holds a column `anomaly_score` (and `timestamp`) for every row;
  with --data, every results file must have exactly the data file's timestamps (NAB pairs scores with data
  rows by position and asserts equal lengths). Empty or NaN scores count as 0.
"""
import argparse
import csv
import datetime
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


def parse_timestamp(t):
    """An instant: NAB compares pandas Timestamps, so '2014-04-10 07:15:00.000000' and '2014-04-10 07:15:00'
    are the same row."""
    if isinstance(t, datetime.datetime):
        return t
    return datetime.datetime.fromisoformat(t.strip())


def probation_length(rows):
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000)


def sweep_rows(timestamps, scores, windows, name, costs):
    """(anomaly score, weighted score if detected, window id or None) for every scored row."""
    index = {parse_timestamp(t): i for i, t in enumerate(timestamps)}
    spans = []
    for start, end in windows:
        s, e = parse_timestamp(start), parse_timestamp(end)
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
    rows = []
    labelled_windows = 0
    for rel, (timestamps, scores) in sorted(results.items()):
        windows = windows_by_file.get(rel, [])
        rows += sweep_rows(timestamps, scores, windows, rel, costs)
        labelled_windows += len(windows)
    threshold, raw = best_threshold(rows, costs)
    null = -costs["fn"] * len({r[2] for r in rows if r[2] is not None})
    perfect = costs["tp"] * labelled_windows
    normalized = 100.0 * (raw - null) / (perfect - null) if perfect != null else float("nan")
    return threshold, raw, null, perfect, normalized


def read_scores(path):
    timestamps, scores = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            timestamps.append(parse_timestamp(row["timestamp"]))
            v = row.get("anomaly_score", "")
            score = float(v) if v not in ("", "nan") else 0.0
            scores.append(0.0 if math.isnan(score) else score)
    return timestamps, scores


def check_aligned(rel, timestamps, data_path):
    """Raises ValueError unless the results rows are the data file's rows, in order."""
    with open(data_path, newline="") as f:
        expected = [parse_timestamp(row["timestamp"]) for row in csv.DictReader(f)]
    if len(expected) != len(timestamps):
        raise ValueError(f"{rel}: {len(timestamps)} result rows for {len(expected)} data rows")
    for i, (got, want) in enumerate(zip(timestamps, expected)):
        if got != want:
            raise ValueError(f"{rel}: result row {i} is at {got}, the data row at {want}")


def load_windows(labels):
    with open(labels) as f:
        return json.load(f)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    nab_dir = os.path.normpath(os.path.join(here, "..", "..", "tests", "data", "nab"))  # in the repository
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True)
    ap.add_argument("--labels", default=os.path.join(nab_dir, "labels", "combined_windows.json"))
    ap.add_argument("--data", help="data directory: check every results file against its data file's rows")
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
            if args.data:
                check_aligned(rel, results[rel][0], os.path.join(args.data, rel))
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
