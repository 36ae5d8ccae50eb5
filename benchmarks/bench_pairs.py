"""Pairs analytics benchmarks (pytest-benchmark medians; no timing assertions).

Run: PYTHONPATH=src python -m pytest benchmarks/bench_pairs.py -o python_files='bench_*.py' \
         --benchmark-only --benchmark-group-by=group -p no:cacheprovider
 or: PYTHONPATH=src python benchmarks/bench_pairs.py   (JSON: medians and the rolling-ADF ratio)

Workloads: 1,000,000 one-minute closes of a cointegrated pair near 30,000 / 2,000 (seeded), window
300; the rolling ADF over 2,000 points of a random walk, window 300, 1 lag, regression "c", beside
statsmodels' ``adfuller(..., maxlag=1, autolag=None)`` called on each of the same 1,701 windows.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tradecost import pairs

N_POINTS = 1_000_000
WINDOW = 300
ADF_POINTS = 2_000


def pair(n: int = N_POINTS, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    log_x = np.log(30_000.0) + np.cumsum(rng.standard_normal(n)) * 1e-3
    phi = 0.5 ** (1 / 20)
    shocks = rng.standard_normal(n) * 1e-3
    spread = np.empty(n)
    spread[0] = 0.0
    for i in range(1, n):  # once per benchmark module: fine
        spread[i] = phi * spread[i - 1] + shocks[i]
    log_y = np.log(2_000.0) + 1.1 * (log_x - np.log(30_000.0)) + spread
    return np.exp(log_y), np.exp(log_x)


def walk(n: int = ADF_POINTS, seed: int = 3) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).standard_normal(n))


def adfuller_loop(series: np.ndarray, window: int) -> np.ndarray:
    from statsmodels.tsa.stattools import adfuller

    out = np.full(series.size, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for end in range(window - 1, series.size):
            out[end] = adfuller(
                series[end - window + 1 : end + 1], maxlag=1, autolag=None, result_object=False
            )[0]
    return out


@pytest.fixture(scope="module")
def prices() -> tuple[np.ndarray, np.ndarray]:
    return pair()


@pytest.mark.benchmark(group="pairs-analyze-1M")
def test_analyze_ols_1m_points(benchmark, prices):
    y, x = prices
    result = benchmark.pedantic(pairs.analyze, args=(y, x, WINDOW), rounds=5, iterations=1)
    assert np.isfinite(result.zscore[-1])


@pytest.mark.benchmark(group="pairs-analyze-1M")
def test_analyze_ols_exclusive_1m_points(benchmark, prices):
    y, x = prices
    result = benchmark.pedantic(
        pairs.analyze,
        args=(y, x, WINDOW),
        kwargs={"zscore_window": "exclusive"},
        rounds=5,
        iterations=1,
    )
    assert np.isfinite(result.zscore[-1])


@pytest.mark.benchmark(group="pairs-analyze-1M")
def test_analyze_kalman_1m_points(benchmark, prices):
    y, x = prices
    result = benchmark.pedantic(
        pairs.analyze, args=(y, x, WINDOW), kwargs={"method": "kalman"}, rounds=5, iterations=1
    )
    assert np.isfinite(result.beta[-1])


@pytest.mark.benchmark(group="pairs-rolling-adf")
def test_rolling_adf_tradecost(benchmark):
    series = walk()
    stat = benchmark.pedantic(pairs.rolling_adf, args=(series, WINDOW, 1), rounds=20)
    assert np.isfinite(stat[-1])


@pytest.mark.benchmark(group="pairs-rolling-adf")
def test_rolling_adf_statsmodels_loop(benchmark):
    pytest.importorskip("statsmodels")
    series = walk()
    stat = benchmark.pedantic(adfuller_loop, args=(series, WINDOW), rounds=3)
    np.testing.assert_allclose(stat, pairs.rolling_adf(series, WINDOW, 1), rtol=1e-8)


@pytest.mark.benchmark(group="pairs-adf-autolag")
def test_adf_autolag_tradecost(benchmark):
    series = walk(5_000)
    result = benchmark(pairs.adf, series)
    assert result.usedlag >= 0


@pytest.mark.benchmark(group="pairs-adf-autolag")
def test_adf_autolag_statsmodels(benchmark):
    stattools = pytest.importorskip("statsmodels.tsa.stattools")
    series = walk(5_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = benchmark.pedantic(stattools.adfuller, args=(series,), rounds=5)
    assert result[0] == pytest.approx(pairs.adf(series).stat, rel=1e-8)


def _median_seconds(function: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    y, x = pair()
    series = walk()
    analyze_s = _median_seconds(lambda: pairs.analyze(y, x, WINDOW), 5)
    kalman_s = _median_seconds(lambda: pairs.analyze(y, x, WINDOW, method="kalman"), 5)
    ours_s = _median_seconds(lambda: pairs.rolling_adf(series, WINDOW, 1), 20)
    loop_s = _median_seconds(lambda: adfuller_loop(series, WINDOW), 3)
    print(
        json.dumps(
            {
                "analyze_ols_1M_window_300_s": round(analyze_s, 4),
                "analyze_kalman_1M_s": round(kalman_s, 4),
                "rolling_adf_2000_points_window_300_s": round(ours_s, 6),
                "adfuller_loop_same_windows_s": round(loop_s, 3),
                "rolling_adf_speedup": round(loop_s / ours_s, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
