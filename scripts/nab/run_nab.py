#!/usr/bin/python3
"""Runs every promcast detector in streaming mode (`promcast detect --online`: each point judged only on
the points before it) over every file of the NAB subset, plus NAB's two reference baselines (baselines.py: its
random detector and its windowed Gaussian), then scores them all with nab_score.py.

One configuration per detector for the whole subset (DETECTORS below), as a user would set one rule for
many series. Usage (from the repository root, after building):
  /usr/bin/python3 scripts/nab/run_nab.py --promcast build/app/promcast [--out /tmp/nab-results] [--only NAME...]
      [--ablation]
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines  # noqa: E402
import nab_score  # noqa: E402

# name -> promcast detect arguments (every file is 5-minute data: a day is 288 points)
DETECTORS = {
    "promcast_esd": ["--method", "esd", "--direction", "both", "--alpha", "0.05", "--max-anoms", "0.1",
                     "--refit-every", "6", "--history", "2000", "--min-rel-scale", "0.01",
                     "--recent-max-window", "600"],
    "promcast_shesd": ["--method", "shesd", "--period", "288", "--direction", "both", "--alpha", "0.05",
                       "--max-anoms", "0.1", "--refit-every", "12", "--history", "1152", "--min-rel-scale", "0.01",
                       "--recent-max-window", "800"],
    "promcast_zscore": ["--method", "zscore", "--window", "2000", "--z", "3", "--recent-max-window", "600"],
    "promcast_robust_zscore": ["--method", "zscore", "--robust", "--window", "288", "--z", "3",
                               "--min-rel-scale", "0.01", "--recent-max-window", "288"],
    "promcast_residual": ["--method", "residual", "--order", "1,1,1", "--trend", "n", "--level", "99",
                          "--refit-every", "288", "--history", "1000", "--recent-max-window", "600"],
    "promcast_iforest": ["--method", "iforest", "--trees", "100", "--subsample", "256", "--contamination", "0.01",
                         "--diff", "--refit-every", "288", "--history", "2000", "--recent-max-window", "1000"],
    # Numenta's anomaly likelihood over a detector's scores plus NAB's new-range rule (docs/quality.md; the
    # window and tolerance were chosen on the 17 AWS files alone, see scripts/nab/split_check.py)
    "promcast_zscore_likelihood": ["--method", "zscore", "--window", "1000", "--z", "3", "--likelihood",
                                   "--range-tolerance", "0.1"],
    "promcast_residual_likelihood": ["--method", "residual", "--order", "1,1,1", "--trend", "n", "--level", "99",
                                     "--refit-every", "288", "--history", "1000", "--likelihood",
                                     "--range-tolerance", "0.1"],
}

# Which part of promcast_zscore_likelihood does what (run with --ablation): each stage alone and without
# the others. `--z 1e9` makes every z-score ~0, leaving the new-range rule alone.
ABLATION = {
    "zscore_w1000": ["--method", "zscore", "--window", "1000", "--z", "3"],
    "zscore_w1000_likelihood": ["--method", "zscore", "--window", "1000", "--z", "3", "--likelihood"],
    "zscore_w1000_range": ["--method", "zscore", "--window", "1000", "--z", "3", "--range-tolerance", "0.1"],
    "new_range_rule_alone": ["--method", "zscore", "--window", "1000", "--z", "1e9", "--range-tolerance", "0.1"],
    "zscore_recent_max_range": ["--method", "zscore", "--window", "2000", "--z", "3", "--recent-max-window", "600",
                                "--range-tolerance", "0.1"],
    "esd_likelihood": ["--method", "esd", "--direction", "both", "--alpha", "0.05", "--max-anoms", "0.1",
                       "--refit-every", "6", "--history", "2000", "--min-rel-scale", "0.01", "--likelihood",
                       "--range-tolerance", "0.1"],
    "shesd_likelihood": ["--method", "shesd", "--period", "288", "--direction", "both", "--alpha", "0.05",
                         "--max-anoms", "0.1", "--refit-every", "12", "--history", "1152", "--min-rel-scale",
                         "0.01", "--likelihood", "--range-tolerance", "0.1"],
    "iforest_likelihood": ["--method", "iforest", "--trees", "100", "--subsample", "256", "--contamination",
                           "0.01", "--diff", "--refit-every", "288", "--history", "2000", "--likelihood",
                           "--range-tolerance", "0.1"],
}


def nab_files(data_dir, labels):
    return [rel for rel in sorted(labels) if os.path.exists(os.path.join(data_dir, rel))]


def read_series(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["timestamp"] for r in rows], [float(r["value"]) for r in rows]


def write_result(path, timestamps, values, scores):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "value", "anomaly_score"])
        for t, v, s in zip(timestamps, values, scores):
            w.writerow([t, v, s])


def promcast_scores(promcast, values, detector_args):
    """anomaly_score of every row from `promcast detect --online`. The values go in on standard input with a
    row-index time axis: NAB pairs scores with rows by position, and one NAB file repeats a timestamp (a
    daylight saving hour) that promcast's CSV reader rejects as not strictly increasing."""
    text = "index,value\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(values))
    cmd = [promcast, "detect", "--input", "-", "--online"] + detector_args
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, input=text).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    if len(rows) != len(values):
        raise RuntimeError(f"promcast printed {len(rows)} rows for {len(values)} values")
    return [float(r["anomaly_score"]) for r in rows]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    nab_dir = os.path.normpath(os.path.join(here, "..", "..", "tests", "data", "nab"))  # in the repository
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--promcast", required=True)
    ap.add_argument("--data", default=os.path.join(nab_dir, "data"))
    ap.add_argument("--labels", default=os.path.join(nab_dir, "labels", "combined_windows.json"))
    ap.add_argument("--out", default="/tmp/promcast-nab-results")
    ap.add_argument("--only", nargs="*", help="detector names to run (default: all)")
    ap.add_argument("--ablation", action="store_true", help="run the ABLATION configurations instead")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    labels = nab_score.load_windows(args.labels)
    files = nab_files(args.data, labels)
    if args.ablation:
        DETECTORS.clear()
        DETECTORS.update(ABLATION)
    names = args.only or (["random", "windowed_gaussian"] + list(DETECTORS))
    for name in names:
        start = time.time()
        for rel in files:
            timestamps, values = read_series(os.path.join(args.data, rel))
            if name == "random":
                scores = baselines.random_scores(len(values))
            elif name == "windowed_gaussian":
                scores = baselines.windowed_gaussian(values)
            else:
                scores = promcast_scores(args.promcast, values, DETECTORS[name])
            write_result(os.path.join(args.out, name, rel), timestamps, values, scores)
        print(f"{name}: {time.time() - start:.1f} s", file=sys.stderr)

    table = []
    for name in names:
        results = {rel: nab_score.read_scores(os.path.join(args.out, name, rel)) for rel in files}
        row = [name]
        for costs in nab_score.PROFILES.values():
            threshold, _, _, _, normalized = nab_score.score_detector(results, labels, costs)
            row += [normalized, threshold]
        table.append(row)
    if args.markdown:
        print("| detector | standard | reward_low_FP_rate | reward_low_FN_rate | threshold (standard) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in table:
            print(f"| {r[0]} | {r[1]:.1f} | {r[3]:.1f} | {r[5]:.1f} | {r[2]:.4f} |")
    else:
        for r in table:
            print(f"{r[0]:28s} standard {r[1]:7.2f}  low_FP {r[3]:7.2f}  low_FN {r[5]:7.2f}  (thr {r[2]:.4f})")


if __name__ == "__main__":
    main()
