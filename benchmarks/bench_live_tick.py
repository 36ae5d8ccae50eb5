"""The live tick's estimate with the learned models against the same estimate without, in one run.

Three estimators price a $100k market buy on the 400-level book of bench_book: no models
(``simulate --no-models``), untrained ``LiveModels`` (what ``simulate`` starts with) and
``LiveModels`` trained on 10 simulated minutes. Each is measured twice: in a hot loop, and with
the caches cold before every call (``pedantic`` setup reads 64 MB, then sleeps 20 ms), which is
the live view's case: a tick every 100 ms with other work and idle time in between.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_live_tick.py -o python_files='bench_*.py' \
    --benchmark-only --benchmark-group-by=group --benchmark-columns=median,min,rounds
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import tradecost as tc
from benchmarks.workloads import make_workload

MODELS = ["none", "untrained", "trained"]
_EVICT = np.ones(8 * 1024 * 1024)  # 64 MB, more than the last-level cache


@pytest.fixture(scope="module")
def book() -> tc.OrderBook:
    b = tc.OrderBook("0.1", inst_id="BTC-USDT")
    b.apply_message(make_workload(n_updates=1).snapshot)
    return b


@pytest.fixture(scope="module")
def live_models() -> dict[str, Any]:
    from tradecost.models.live import LiveModels
    from tradecost.sim import SimulatedMarket

    trained = LiveModels("0.1", refit_every=2048, min_samples=2048, max_samples=4096)
    market = SimulatedMarket(symbol="BTC-USDT", seed=5)
    for timed in market.events(channels=("books-l2-tbt", "trades"), duration=600.0):
        trained.on_frame(timed.frame, timed.ts_ns)
        trained.drain()
    trained.online.wait()
    assert trained.online.predictors.slippage is not None, trained.online.errors
    return {"none": None, "untrained": LiveModels("0.1"), "trained": trained}


def estimator(models: Any) -> tc.CostEstimator:
    return tc.CostEstimator(
        "okx",
        "BTC-USDT",
        "Lv1",
        volatility=0.02,
        daily_volume_usd=1e9,
        slippage_model=models,
        fill_model=models,
    )


def evict_caches() -> None:
    """Read 64 MB, then leave the core idle for 20 ms, as between two ticks of the live view."""
    _EVICT.sum()
    time.sleep(0.02)


@pytest.mark.parametrize("models", MODELS)
def test_estimate_hot(benchmark: Any, book: tc.OrderBook, live_models: Any, models: str) -> None:
    benchmark.group = "live tick, hot loop: $100k estimate, models none / untrained / trained"
    r = benchmark(estimator(live_models[models]).estimate, book, "buy", 100_000.0)
    assert np.isfinite(r.slippage_p50_bps) == (models == "trained")


@pytest.mark.parametrize("models", MODELS)
def test_estimate_cold(benchmark: Any, book: tc.OrderBook, live_models: Any, models: str) -> None:
    benchmark.group = "live tick, cold caches: $100k estimate, models none / untrained / trained"
    r = benchmark.pedantic(
        estimator(live_models[models]).estimate,
        args=(book, "buy", 100_000.0),
        setup=evict_caches,
        rounds=300,
        iterations=1,
        warmup_rounds=5,
    )
    assert np.isfinite(r.slippage_p50_bps) == (models == "trained")
