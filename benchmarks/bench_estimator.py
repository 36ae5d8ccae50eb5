"""One full cost estimate per tick, on the 400-level BTC-USDT-like book of bench_book.

Run: pytest benchmarks/bench_estimator.py -o python_files='bench_*.py' --benchmark-only
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tradecost as tc
from benchmarks.workloads import make_workload


@pytest.fixture(scope="module")
def book() -> tc.OrderBook:
    b = tc.OrderBook("0.1", inst_id="BTC-USDT")
    b.apply_message(make_workload(n_updates=1).snapshot)
    return b


@pytest.fixture(scope="module")
def estimator() -> tc.CostEstimator:
    return tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)


@pytest.mark.parametrize("usd", [100.0, 100_000.0, 5_000_000.0])
def test_estimate_market_order(benchmark: Any, book: tc.OrderBook, estimator: Any, usd: float):
    benchmark.group = "full estimate, market order (walk, fees, impact, latency)"
    r = benchmark(estimator.estimate, book, "buy", usd)
    assert r.complete


def test_estimate_scheduled_order(benchmark: Any, book: tc.OrderBook, estimator: Any):
    benchmark.group = "full estimate, scheduled order (AC calibration + schedule)"
    r = benchmark(estimator.estimate, book, "sell", 1_000_000.0, horizon=600.0, steps=10)
    assert r.risk_usd > 0


def test_cost_curve_64_sizes(benchmark: Any, book: tc.OrderBook, estimator: Any):
    benchmark.group = "cost curve, 64 sizes in one call"
    curve = benchmark(estimator.estimate_curve, book, "buy", np.geomspace(100, 5e6, 64))
    assert curve.complete.all()
