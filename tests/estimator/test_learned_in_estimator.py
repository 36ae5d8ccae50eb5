"""The learned models inside the estimator: untrained they say so and fall back; trained on
the simulated market's stream they answer p50 <= p90 and P(fill) from the classifier."""

from __future__ import annotations

import math

import pytest

import tradecost as tc
from tradecost.models.live import LiveModels
from tradecost.sim import SimulatedMarket


@pytest.fixture(scope="module")
def trained() -> tuple[LiveModels, tc.OrderBook]:
    market = SimulatedMarket(symbol="BTC-USDT", seed=5)
    models = LiveModels("0.1", refit_every=2048, min_samples=2048, max_samples=4096)
    book = tc.OrderBook("0.1")
    for timed in market.events(channels=("books-l2-tbt", "trades"), duration=600.0):
        models.on_frame(timed.frame, timed.ts_ns)
        models.drain()
        if timed.channel == "books-l2-tbt":
            book.apply_message(timed.frame)
    models.online.wait()
    return models, book


def estimator(models: LiveModels | None) -> tc.CostEstimator:
    return tc.CostEstimator(
        "okx",
        "BTC-USDT",
        "Lv1",
        volatility=0.02,
        daily_volume_usd=1e9,
        slippage_model=models,
        fill_model=models,
    )


def test_untrained_models_fall_back_and_say_so():
    models = LiveModels("0.1")
    book = tc.OrderBook("0.1")
    book.apply_snapshot([["100", "5"], ["99.9", "5"]], [["100.1", "5"], ["100.2", "5"]])
    r = estimator(models).estimate(book, "buy", 1000.0)
    assert math.isnan(r.slippage_p50_bps)
    assert "slippage_model_untrained" in r.flags
    limit = estimator(models).estimate(
        book, "buy", 1000.0, order_type="limit", offset_bps=0.0, horizon_s=5.0
    )
    assert limit.fill_model == "distance_prior"
    # the prior at the touch: 1 - exp(-A h) with A = 2/s, h = 5 s
    assert limit.fill_probability == pytest.approx(-math.expm1(-2.0 * 5.0))
    assert limit.maker_fraction == pytest.approx(limit.fill_probability)
    assert limit.taker_fraction == pytest.approx(1 - limit.fill_probability)
    assert "untrained" in models.status()


def test_trained_models_answer(trained):
    models, book = trained
    assert models.online.errors == []
    assert models.online.predictors.slippage is not None
    r = estimator(models).estimate(book, "buy", 50_000.0)
    assert math.isfinite(r.slippage_p50_bps)
    assert r.slippage_p50_bps <= r.slippage_p90_bps
    assert "slippage_model_untrained" not in r.flags
    status = models.status()
    assert "learned p50/p90" in status
    scores = models.online.scores
    assert scores["p50_pinball_model"] > 0 and scores["p50_pinball_walk_book"] > 0
    assert "out of sample: pinball p50" in status
    if models.online.predictors.fill is not None:
        near = estimator(models).estimate(
            book, "sell", 1000.0, order_type="limit", offset_bps=0.0, horizon_s=5.0
        )
        far = estimator(models).estimate(
            book, "sell", 1000.0, order_type="limit", offset_bps=5.0, horizon_s=5.0
        )
        assert near.fill_model == "model"
        assert far.fill_probability < near.fill_probability


def test_limit_order_fee_mixes_maker_and_taker(trained):
    models, book = trained
    r = estimator(models).estimate(
        book, "buy", 1000.0, order_type="limit", offset_bps=0.0, horizon_s=5.0
    )
    fees = tc.FeeSchedule.for_exchange("okx", "spot", "Lv1")
    assert r.fee_usd == pytest.approx(
        1000.0 * (fees.maker * r.maker_fraction + fees.taker * r.taker_fraction)
    )
    assert r.maker_fraction + r.taker_fraction == pytest.approx(1.0)


def test_marketable_limit_is_all_taker(trained):
    _, book = trained
    r = estimator(LiveModels("0.1")).estimate(
        book, "buy", 100.0, order_type="limit", offset_bps=-50.0
    )
    assert r.maker_fraction == 0.0
    assert r.levels >= 1
