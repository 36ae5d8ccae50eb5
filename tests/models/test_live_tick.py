"""What the learned models do on the live tick: untrained, nothing; trained, one compiled call
that gives the same numbers as extracting the features and evaluating the predictor; the
dataset work runs on the event loop after the callback that queued the frame."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np
import pytest

import tradecost as tc
from tradecost.errors import EmptyBookError, InvalidInputError
from tradecost.models import N_MARKET_FEATURES, FeatureExtractor
from tradecost.models._inference import QuantilePredictor
from tradecost.models.datasets import DatasetBuilder
from tradecost.models.live import LiveModels
from tradecost.models.online import Predictors
from tradecost.sim import SimulatedMarket


class Untouchable:
    """Stands in for the feature extractor: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the extractor was used ({name}) while the model is untrained")


def two_sided_book() -> tc.OrderBook:
    book = tc.OrderBook("0.1")
    book.apply_snapshot(
        [["100.0", "2"], ["99.9", "1.5"], ["99.5", "7"]],
        [["100.1", "3"], ["100.3", "0.25"], ["101.0", "12"]],
    )
    return book


def streamed_extractor() -> FeatureExtractor:
    """An extractor with a few seconds of book and trade history (nonzero stream features)."""
    extractor = FeatureExtractor(depth_levels=2, half_life_s=1.0)
    rng = np.random.default_rng(3)
    book = tc.OrderBook("0.1")
    for step in range(40):
        bid = 100.0 + 0.1 * int(rng.integers(-3, 4))
        book.apply_snapshot(
            [[f"{bid:.1f}", f"{rng.uniform(0.5, 4):.3f}"]],
            [[f"{bid + 0.1:.1f}", f"{rng.uniform(0.5, 4):.3f}"]],
        )
        ts_ns = step * 100_000_000
        extractor.update_book(book, ts_ns)
        extractor.update_trade(ts_ns + 1, bid, float(rng.uniform(0.1, 1)), 1 if step % 3 else -1)
    return extractor


def crossing_predictor(seed: int) -> QuantilePredictor:
    """A random p50/p90 pair whose raw lines cross, so the sort inside the predictor matters."""
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=(2, N_MARKET_FEATURES))
    return QuantilePredictor(coef, rng.normal(size=2), [0.5, 0.9])


def test_untrained_slippage_prediction_computes_nothing():
    models = LiveModels("0.1")
    models._extractor = models.online.builder.extractor = Untouchable()  # type: ignore[assignment]
    p50, p90 = models.predict_quantiles(two_sided_book(), "buy", 1000.0)
    assert math.isnan(p50) and math.isnan(p90)


@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("usd", [10.0, 250.0, 1_500.0, 50_000.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predict_book_equals_extract_then_predict_into(side: str, usd: float, seed: int):
    book = two_sided_book()
    extractor = streamed_extractor()
    predictor = crossing_predictor(seed)
    features = np.empty(N_MARKET_FEATURES)
    extractor.extract(book, side, usd, features)
    assert np.isfinite(features).all() and features[10:].any()  # stream features in play
    expected = np.empty(2)
    predictor.predict_into(features, expected)
    assert predictor.predict_book(extractor, book, side, usd) == tuple(expected)


def test_trained_live_models_answer_what_the_predictor_says():
    models = LiveModels("0.1")
    predictor = crossing_predictor(5)
    models.online.predictors = Predictors(predictor, None, 1, 100, 0)
    book = two_sided_book()
    features = np.empty(N_MARKET_FEATURES)
    models.online.builder.extractor.extract(book, "sell", 700.0, features)
    expected = np.empty(2)
    predictor.predict_into(features, expected)
    assert models.predict_quantiles(book, "sell", 700.0) == (expected[0], expected[1])


def test_predict_book_checks_like_extract():
    book = two_sided_book()
    extractor = FeatureExtractor()
    predictor = crossing_predictor(0)
    with pytest.raises(InvalidInputError, match="side"):
        predictor.predict_book(extractor, book, "hold", 100.0)
    with pytest.raises(InvalidInputError, match="quantity_usd"):
        predictor.predict_book(extractor, book, "buy", -1.0)
    one_sided = tc.OrderBook("0.1")
    one_sided.apply_snapshot([["100.0", "1"]], [])
    with pytest.raises(EmptyBookError, match="no asks"):
        predictor.predict_book(extractor, one_sided, "buy", 100.0)
    fill_sized = QuantilePredictor(np.ones((1, 9)), [0.0], [0.5])
    with pytest.raises(InvalidInputError, match="14 market-order features"):
        fill_sized.predict_book(extractor, book, "buy", 100.0)


def test_frames_are_drained_on_the_loop_after_the_callback():
    frames = [
        (timed.frame, timed.ts_ns)
        for timed in SimulatedMarket(symbol="BTC-USDT", seed=2).events(
            channels=("books", "trades"), duration=5.0
        )
    ]
    reference = DatasetBuilder("0.1")
    for raw, ts_ns in frames:
        reference.feed(raw, ts_ns)
    assert reference.frames > 20

    async def tick() -> tuple[int, int]:
        models = LiveModels("0.1", loop=asyncio.get_running_loop())
        for raw, ts_ns in frames:  # one socket callback that receives every frame
            models.on_frame(raw, ts_ns)
        during = models.online.builder.frames
        await asyncio.sleep(0)  # the callback has returned: the loop runs the drain
        return during, models.online.builder.frames

    during, after = asyncio.run(tick())
    assert during == 0
    assert after == reference.frames
