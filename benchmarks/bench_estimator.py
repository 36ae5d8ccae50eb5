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
    r = benchmark(estimator.estimate, book, "sell", 1_000_000.0, horizon_s=600.0, steps=10)
    assert r.risk_usd > 0


def test_cost_curve_64_sizes(benchmark: Any, book: tc.OrderBook, estimator: Any):
    benchmark.group = "cost curve, 64 sizes in one call"
    curve = benchmark(estimator.estimate_curve, book, "buy", np.geomspace(100, 5e6, 64))
    assert curve.complete.all()


@pytest.fixture(scope="module")
def trained_models() -> Any:
    """LiveModels trained on 20 simulated minutes of the synthetic market (tick-by-tick)."""
    from tradecost.models.live import LiveModels
    from tradecost.sim import SimulatedMarket

    market = SimulatedMarket(symbol="BTC-USDT", seed=11)
    models = LiveModels("0.1", refit_every=4096, min_samples=4096, max_samples=8192)
    for timed in market.events(channels=("books-l2-tbt", "trades"), duration=1200.0):
        models.on_frame(timed.frame, timed.ts_ns)
        models.drain()
    models.online.wait()
    assert models.online.predictors.slippage is not None, models.online.errors
    return models


@pytest.fixture(scope="module")
def learned_estimator(trained_models: Any) -> tc.CostEstimator:
    return tc.CostEstimator(
        "okx",
        "BTC-USDT",
        "Lv1",
        volatility=0.02,
        daily_volume_usd=1e9,
        slippage_model=trained_models,
        fill_model=trained_models,
    )


def test_estimate_with_learned_models(
    benchmark: Any, book: tc.OrderBook, learned_estimator: tc.CostEstimator
) -> None:
    benchmark.group = "full estimate with learned p50/p90 (features + compiled predictors)"
    r = benchmark(learned_estimator.estimate, book, "buy", 100_000.0)
    assert np.isfinite(r.slippage_p50_bps)
    assert r.slippage_p90_bps >= r.slippage_p50_bps


def test_estimate_limit_order_with_fill_model(
    benchmark: Any, book: tc.OrderBook, learned_estimator: tc.CostEstimator
) -> None:
    benchmark.group = "full estimate, limit order at the touch (fill probability)"
    r = benchmark(
        learned_estimator.estimate, book, "buy", 10_000.0, order_type="limit", offset_bps=0.0
    )
    assert 0.0 <= r.maker_fraction <= 1.0
