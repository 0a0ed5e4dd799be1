#!/usr/bin/python3
"""Times statsmodels' SARIMAX on the issue-3 benchmark cases, side by side with bench/sarimax_bench.cc.

Usage (from the repository root, Debian's python3-statsmodels):
    /usr/bin/python3 bench/compare_sarimax.py --make-data   # (re)writes bench/data/*.csv, seeded
    /usr/bin/python3 bench/compare_sarimax.py [--repeat 3] [--skip-slow]

Same data and specification as the C++ benchmark; statsmodels with exact diffuse initialization
(use_exact_diffuse=True, the likelihood our code reproduces), concentrate_scale=True, L-BFGS with a
tight tolerance. Reports wall time of fit + forecast and the loglik reached.
"""
import argparse
import math
import pathlib
import time
import warnings

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"


def make_data():
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261123)
    # 720 hourly points: a daily cycle that drifts slowly plus ARMA(1,1) noise.
    n = 720
    t = np.arange(n)
    e = rng.normal(0, 1, n)
    u = np.zeros(n)
    for i in range(1, n):
        u[i] = 0.6 * u[i - 1] + e[i] + 0.3 * e[i - 1]
    season = 10 * np.sin(2 * np.pi * t / 24) + 3 * np.cos(4 * np.pi * t / 24)
    y = 100 + season * (1 + 0.0005 * t) + u
    pd.DataFrame({"index": t, "value": np.round(y, 6)}).to_csv(DATA / "hourly_720.csv", index=False)
    # 4,032 five-minute points (two weeks): daily (288) and weekly (2016) cycles plus AR(2) noise.
    n = 4032
    t = np.arange(n)
    e = rng.normal(0, 1, n)
    u = np.zeros(n)
    for i in range(2, n):
        u[i] = 0.5 * u[i - 1] + 0.2 * u[i - 2] + e[i]
    y = 50 + 8 * np.sin(2 * np.pi * t / 288) + 2 * np.cos(4 * np.pi * t / 288) + 4 * np.sin(2 * np.pi * t / 2016) + u
    pd.DataFrame({"index": t, "value": np.round(y, 6)}).to_csv(DATA / "fivemin_4032.csv", index=False)


def fourier(t, period, k):
    cols = []
    for j in range(1, k + 1):
        cols.append(np.sin(2 * np.pi * j * t / period))
        cols.append(np.cos(2 * np.pi * j * t / period))
    return np.column_stack(cols)


def cases(skip_slow):
    air = np.log(pd.read_csv(ROOT / "tests/forecaster/fixtures/series/AirPassengers.csv")["value"].to_numpy(float))
    yield "airline_log_airpassengers", air, dict(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)), None, None, 24
    hourly = pd.read_csv(DATA / "hourly_720.csv")["value"].to_numpy(float)
    yield "sarima_101_111_24_hourly720", hourly, dict(order=(1, 0, 1), seasonal_order=(1, 1, 1, 24)), None, None, 24
    five = pd.read_csv(DATA / "fivemin_4032.csv")["value"].to_numpy(float)
    t = np.arange(len(five) + 24)
    x = np.column_stack([fourier(t, 288, 3), fourier(t, 2016, 3)])
    yield ("arima201_fourier_3_3_fivemin4032", five, dict(order=(2, 0, 1), trend="c"), x[:len(five)], x[len(five):], 24)
    if not skip_slow:
        yield "sarima_101_011_288_fivemin4032", five, dict(order=(1, 0, 1), seasonal_order=(0, 1, 1, 288)), None, None, 24


def main():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    ap = argparse.ArgumentParser()
    ap.add_argument("--make-data", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-slow", action="store_true", help="skip the s=288 SARIMA (a dense 578-state filter)")
    args = ap.parse_args()
    if args.make_data:
        make_data()
        return
    warnings.simplefilter("ignore")
    for name, y, spec, exog, future, h in cases(args.skip_slow):
        best = math.inf
        llf = None
        for _ in range(args.repeat if "288" not in name or "fourier" in name else 1):
            start = time.perf_counter()
            model = SARIMAX(y, exog=exog, use_exact_diffuse=True, concentrate_scale=True, **spec)
            res = model.fit(method="lbfgs", maxiter=1000, pgtol=1e-8, factr=1e2, disp=False)
            res.get_forecast(h, exog=future).summary_frame(alpha=0.05)
            best = min(best, time.perf_counter() - start)
            llf = res.llf
        print(f"statsmodels {name}: {best * 1000:.1f} ms  loglik {llf:.6f}", flush=True)


if __name__ == "__main__":
    main()
