#!/usr/bin/python3
"""Hand-checkable cases for nab_score.py (run by ctest as forecaster.nab_scorer).

100 rows, probation = floor(0.15 * 100) = 15 rows, one window on rows 40..49 (width 10), standard profile.
  sigma(x) = 2 / (1 + exp(5x)) - 1;  sigma(-1) = 0.98661 (max TP), sigma(-0.5) = 0.84828.
  null = -1 (the window is missed), perfect = +1 (detected at row 40).
"""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nab_score  # noqa: E402

TS = [f"2020-01-01 00:{i // 60:02d}:{i % 60:02d}" for i in range(100)]
WINDOWS = {"f.csv": [[TS[40] + ".000000", TS[49] + ".000000"]]}
STD = nab_score.PROFILES["standard"]


def scores(**at):
    s = [0.0] * 100
    for k, v in at.items():
        s[int(k[1:])] = v
    return s


class NabScoreTest(unittest.TestCase):
    def score(self, s, profile=STD):
        return nab_score.score_detector({"f.csv": (TS, s)}, WINDOWS, profile)

    def test_detection_at_window_start_is_perfect(self):
        threshold, raw, null, perfect, normalized = self.score(scores(r40=1.0, r80=0.5))
        self.assertAlmostEqual(null, -1.0)
        self.assertAlmostEqual(perfect, 1.0)
        self.assertAlmostEqual(raw, 1.0)  # threshold 1.0 keeps the FP at row 80 out
        self.assertEqual(threshold, 1.0)
        self.assertAlmostEqual(normalized, 100.0)

    def test_detection_half_way_scores_the_sigmoid(self):
        # position -(49 - 45 + 1) / 10 = -0.5 -> 0.84828 / 0.98661 = 0.85979; normalized 100 * 1.85979 / 2
        _, raw, _, _, normalized = self.score(scores(r45=0.9))
        self.assertAlmostEqual(raw, 0.8597925669097837, places=12)
        self.assertAlmostEqual(normalized, 92.98962834548918, places=9)

    def test_false_positive_only_is_never_worth_detecting(self):
        # row 52 is 3/9 widths past the window: -0.11 * 0.68226 = -0.07505; best is to detect nothing -> 0
        _, raw, _, _, normalized = self.score(scores(r52=0.7))
        self.assertAlmostEqual(raw, -1.0)
        self.assertAlmostEqual(normalized, 0.0)
        rows = nab_score.sweep_rows(TS, scores(r52=0.7), WINDOWS["f.csv"], "f", STD)
        self.assertAlmostEqual([r for r in rows if r[0] == 0.7][0][1], -0.07504879692619866, places=12)

    def test_probationary_rows_are_ignored(self):
        _, raw, _, _, _ = self.score(scores(r10=1.0))
        self.assertAlmostEqual(raw, -1.0)

    def test_tp_plus_far_false_positives_under_low_fp_profile(self):
        # detect at row 40 (+1) and, at the same threshold, rows 90 and 95 (> 3 widths past: -0.22 each)
        _, raw, _, _, normalized = self.score(scores(r40=0.8, r90=0.8, r95=0.8),
                                              nab_score.PROFILES["reward_low_FP_rate"])
        self.assertAlmostEqual(raw, 1.0 - 2 * 0.22)
        self.assertAlmostEqual(normalized, 100 * (1.0 - 0.44 + 1.0) / 2.0)


if __name__ == "__main__":
    unittest.main()
