#!/usr/bin/python3
"""NAB's two reference detectors, reproduced to check nab_score.py against NAB's published figures.

Both follow NAB's own detectors (nab/detectors/random, nab/detectors/gaussian) down to what reaches the
scorer: NAB's detectors ran under Python 2, whose pandas wrote every anomaly score to the results CSV with
str(float), i.e. 12 significant digits, and NAB scored those files. The rounding matters for the windowed
Gaussian: every point beyond about 7 sigma becomes exactly 1.0, so the threshold cannot separate the most
extreme points from merely large ones (full precision scores 30.6 on our subset, NAB's files 26.5).
"""
import math
import random

import numpy

# Python 2's str(float), which NAB's results files hold.
NAB_RESULT_DIGITS = 12


def as_nab_results(scores, digits=NAB_RESULT_DIGITS):
    """Scores as NAB's results files store them (digits significant digits); digits=None keeps them as they are."""
    if digits is None:
        return list(scores)
    return [float(f"{s:.{digits}g}") for s in scores]


def random_scores(count, seed=42, digits=NAB_RESULT_DIGITS):
    """NAB's random detector: it seeds Python's generator with 42 when it starts on a file, so every file gets
    the same sequence of uniform draws."""
    rng = random.Random(seed)
    return as_nab_results([rng.uniform(0, 1) for _ in range(count)], digits)


def windowed_gaussian(values, window=6400, step=100, digits=NAB_RESULT_DIGITS):
    """NAB's windowed Gaussian: each value scores 1 - Q(z), Q the normal tail probability, z its distance from
    the mean of the window in population standard deviations (values below the mean are mirrored above it).
    The window grows with every value up to `window` values, then slides by `step` values once `step` new
    ones have arrived; a zero deviation is replaced by 1e-6. The first value scores 0."""
    data = numpy.asarray(values, dtype=float)
    lo = hi = 0  # the window is data[lo:hi]; data[hi:i] waits in the step buffer
    mean, std = 0.0, 1.0
    out = []
    for i, v in enumerate(data):
        score = 0.0
        if hi > lo:
            x = v if v >= mean else 2.0 * mean - v
            z = (x - mean) / std
            score = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
        refresh = False
        if hi - lo < window:
            hi = i + 1
            refresh = True
        elif i + 1 - hi == step:
            lo, hi = lo + step, i + 1
            refresh = True
        if refresh:
            mean = float(numpy.mean(data[lo:hi]))
            std = float(numpy.std(data[lo:hi])) or 0.000001
        out.append(score)
    return as_nab_results(out, digits)
