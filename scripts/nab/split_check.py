#!/usr/bin/python3
"""Out-of-sample check of the configuration of `promcast_zscore_likelihood` (run_nab.py): every
configuration of a small grid is run over the NAB subset once; the best one is chosen on one part of the
files alone and its score reported on the other part, for two splits (the 17 AWS files vs the 11
artificial ones, and alternate files of the sorted list), both ways. Standard profile; the scorer sweeps
the threshold on the part being scored, as NAB does for any corpus.
Usage (from the repository root): /usr/bin/python3 scripts/nab/split_check.py --promcast build/app/promcast
"""
import argparse
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nab_score  # noqa: E402
import run_nab  # noqa: E402

GRID = {"--window": ["1000", "2000", "5000"], "--likelihood-learning": ["150", "300"],
        "--likelihood-average": ["5", "10"], "--range-tolerance": ["0.05", "0.1"]}


def config_args(values):
    args = ["--method", "zscore", "--z", "3", "--likelihood"]
    for flag, v in zip(GRID, values):
        args += [flag, v]
        if flag == "--likelihood-learning":
            args += ["--likelihood-samples", v]  # learning and estimation periods of equal length, as NAB
    return args


def score(results, labels, files):
    return nab_score.score_detector({f: results[f] for f in files}, labels, nab_score.PROFILES["standard"])[4]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    nab_dir = os.path.normpath(os.path.join(here, "..", "..", "tests", "data", "nab"))  # in the repository
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--promcast", required=True)
    ap.add_argument("--data", default=os.path.join(nab_dir, "data"))
    ap.add_argument("--labels", default=os.path.join(nab_dir, "labels", "combined_windows.json"))
    args = ap.parse_args()
    labels = nab_score.load_windows(args.labels)
    files = run_nab.nab_files(args.data, labels)
    series = {rel: run_nab.read_series(os.path.join(args.data, rel)) for rel in files}
    aws = [f for f in files if f.startswith("realAWSCloudwatch/")]
    splits = {"AWS (17)": aws, "artificial (11)": [f for f in files if f not in aws],
              "even files (14)": files[0::2], "odd files (14)": files[1::2]}
    rows = []
    for values in itertools.product(*GRID.values()):
        a = config_args(values)
        results = {}
        for rel, (timestamps, vals) in series.items():
            results[rel] = ([nab_score.parse_timestamp(t) for t in timestamps],
                            run_nab.promcast_scores(args.promcast, vals, a))
        row = {"config": " ".join(f"{k} {v}" for k, v in zip(GRID, values)), "all": score(results, labels, files)}
        for name, part in splits.items():
            row[name] = score(results, labels, part)
        rows.append(row)
        print(f"{row['config']}: all {row['all']:.1f} " +
              " ".join(f"{n} {row[n]:.1f}" for n in splits), file=sys.stderr)
    print("| chosen on | configuration | score there | scored on | score | all 28 files |")
    print("| --- | --- | ---: | --- | ---: | ---: |")
    for chosen, other in [("AWS (17)", "artificial (11)"), ("artificial (11)", "AWS (17)"),
                          ("even files (14)", "odd files (14)"), ("odd files (14)", "even files (14)")]:
        best = max(rows, key=lambda r: r[chosen])  # first best on ties: grid order
        print(f"| {chosen} | `{best['config']}` | {best[chosen]:.1f} | {other} | {best[other]:.1f} | {best['all']:.1f} |")
    scores = sorted(r["all"] for r in rows)
    print(f"\nall {len(rows)} configurations on all 28 files: min {scores[0]:.1f}, median "
          f"{scores[len(scores) // 2]:.1f}, max {scores[-1]:.1f}")


if __name__ == "__main__":
    main()
