#!/usr/bin/python3
"""Hand-checkable cases for nab_score.py and baselines.py (run by ctest as forecaster.nab_scorer).

100 rows, probation = floor(0.15 * 100) = 15 rows, one window on rows 40..49 (width 10), standard profile.
  sigma(x) = 2 / (1 + exp(5x)) - 1;  sigma(-1) = 0.98661 (max TP), sigma(-0.5) = 0.84828.
  null = -1 (the window is missed), perfect = +1 (detected at row 40).
The baselines are checked against rows of NAB's own published results files (numenta/NAB, results/random and
results/windowedGaussian, artificialWithAnomaly/art_daily_jumpsup.csv) and against closed forms.
"""
import math
import os
import statistics
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines  # noqa: E402
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

    def test_equal_totals_keep_the_highest_threshold(self):
        # row 41 (0.8) adds nothing once row 40 (0.9) has hit the window: both thresholds total +1; NAB keeps the
        # first one its descending sweep meets
        threshold, raw, _, _, _ = self.score(scores(r40=0.9, r41=0.8))
        self.assertEqual(threshold, 0.9)
        self.assertAlmostEqual(raw, 1.0)

    def test_equal_scores_are_detected_together(self):
        # the FP at row 20 (before any window: -0.11) cannot be left out while row 40 is detected
        threshold, raw, _, _, _ = self.score(scores(r20=0.5, r40=0.5))
        self.assertEqual(threshold, 0.5)
        self.assertAlmostEqual(raw, 1.0 - 0.11)

    def test_perfect_counts_every_labelled_window(self):
        # NAB's perfect score is A_TP per window of the labels, even one hidden by probation (rows 5..9); the null
        # score only misses the windows that can be scored. raw +1, null -1, perfect 2 -> 100 * 2 / 3
        windows = {"f.csv": [[TS[5], TS[9]], [TS[40], TS[49]]]}
        _, raw, null, perfect, normalized = nab_score.score_detector({"f.csv": (TS, scores(r40=1.0))}, windows, STD)
        self.assertAlmostEqual(raw, 1.0)
        self.assertAlmostEqual(null, -1.0)
        self.assertAlmostEqual(perfect, 2.0)
        self.assertAlmostEqual(normalized, 200.0 / 3.0)

    def test_window_cut_by_probation_still_counts_one_in_perfect(self):
        # window rows 10..19, rows 10..14 probationary: the best possible detection (row 15, position
        # -(19 - 15 + 1) / 10 = -0.5) earns 0.85979, but perfect stays 1 -> 100 * 1.85979 / 2
        windows = {"f.csv": [[TS[10], TS[19]]]}
        _, raw, null, perfect, normalized = nab_score.score_detector({"f.csv": (TS, scores(r15=1.0))}, windows, STD)
        self.assertAlmostEqual(raw, 0.8597925669097837, places=12)
        self.assertAlmostEqual(perfect, 1.0)
        self.assertAlmostEqual(normalized, 92.98962834548918, places=9)

    def test_windows_match_rows_by_instant(self):
        # NAB compares parsed timestamps: an ISO 'T' and no fraction name the same rows as the data's text
        iso = {"f.csv": [[TS[40].replace(" ", "T"), TS[49].replace(" ", "T")]]}
        _, raw, _, _, _ = nab_score.score_detector({"f.csv": (TS, scores(r45=0.9))}, iso, STD)
        self.assertAlmostEqual(raw, 0.8597925669097837, places=12)
        with self.assertRaises(ValueError):
            nab_score.score_detector({"f.csv": (TS, scores())}, {"f.csv": [["2020-01-01 00:00:30.5", TS[49]]]}, STD)

    def test_results_must_be_the_data_rows(self):
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "f.csv")
            with open(data, "w") as f:
                f.write("timestamp,value\n" + "".join(f"{t},1\n" for t in TS))
            nab_score.check_aligned("f.csv", [nab_score.parse_timestamp(t + ".000000") for t in TS], data)
            with self.assertRaises(ValueError):
                nab_score.check_aligned("f.csv", [nab_score.parse_timestamp(t) for t in TS[:-1]], data)
            shifted = [nab_score.parse_timestamp(t) for t in TS[1:] + ["2020-01-01 00:02:00"]]
            with self.assertRaises(ValueError):
                nab_score.check_aligned("f.csv", shifted, data)

    def test_missing_scores_count_as_zero(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.csv")
            with open(path, "w") as f:
                f.write("timestamp,anomaly_score\n2020-01-01 00:00:00,0.25\n2020-01-01 00:00:01,nan\n"
                        "2020-01-01 00:00:02,\n2020-01-01 00:00:03,NaN\n")
            _, s = nab_score.read_scores(path)
            self.assertEqual(s, [0.25, 0.0, 0.0, 0.0])


# First rows of NAB's art_daily_jumpsup.csv and the scores NAB's detectors wrote for them.
JUMPSUP = [19.761251903, 20.500833287, 19.9616414445, 21.4902660734, 20.1877394098, 19.9231256718, 21.6984039617,
           20.8787583842, 18.4461996294, 18.7108178448, 21.1484914518, 21.3434052847]
NAB_WINDOWED_GAUSSIAN = [0.0, 1.0, 0.676559734041, 0.999997090991, 0.640324316469, 0.774356343793, 0.99191659181,
                         0.697636734112, 0.99885771098, 0.958300719949, 0.83880433736, 0.86420653503]
NAB_RANDOM = [0.639426798458, 0.0250107552227, 0.275029318369, 0.223210738149, 0.736471214164]


class BaselinesTest(unittest.TestCase):
    def test_random_is_nab_seed_42_on_every_file(self):
        self.assertEqual(baselines.random_scores(5), NAB_RANDOM)
        self.assertEqual(baselines.random_scores(3), NAB_RANDOM[:3])  # the same draws whatever the file

    def test_windowed_gaussian_reproduces_nab_results_file(self):
        self.assertEqual(baselines.windowed_gaussian(JUMPSUP), NAB_WINDOWED_GAUSSIAN)

    def test_nab_results_precision_is_12_significant_digits(self):
        self.assertEqual(baselines.as_nab_results([0.99999999999951, 0.1234567890123456]), [1.0, 0.123456789012])

    def test_windowed_gaussian_slides_by_step_once_full(self):
        # window 3, step 2 on 1, 2, 3, 10, 4, 5, 6 (Phi = standard normal cdf, population sd):
        #   row 1: window [1], sd 0 -> 1e-6, z = 1e6 -> 1;  row 2: [1, 2], z = (3 - 1.5) / 0.5 = 3
        #   row 3: [1, 2, 3] mean 2 sd sqrt(2/3), z = 8 / sqrt(2/3) -> 1 in doubles; 10 waits in the step buffer
        #   row 4: same window, z = 2 / sqrt(2/3) = sqrt(6); the buffer is full: window [3, 10, 4] mean 17/3,
        #          sd sqrt(86) / 3
        #   row 5: 5 is mirrored to 2 * 17/3 - 5, z = 2 / sqrt(86);  row 6: z = 1 / sqrt(86) (buffer holds 6 only)
        phi = statistics.NormalDist().cdf
        expected = [0.0, 1.0, phi(3.0), 1.0, phi(math.sqrt(6.0)), phi(2.0 / math.sqrt(86.0)),
                    phi(1.0 / math.sqrt(86.0))]
        got = baselines.windowed_gaussian([1, 2, 3, 10, 4, 5, 6], window=3, step=2, digits=None)
        self.assertEqual(len(got), len(expected))
        for g, e in zip(got, expected):
            self.assertAlmostEqual(g, e, places=12)


if __name__ == "__main__":
    unittest.main()
