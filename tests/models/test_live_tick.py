"""What the learned models do on the live tick: untrained, nothing; trained, one compiled call
that gives the same numbers as extracting the features and evaluating the predictor; the
dataset work runs on the event loop after the callback that queued the frame."""

from __future__ import annotations

import asyncio
import math
import sys
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
    # a book with no asks: extracting a buy's features raises, so NaN means nothing was computed
    no_asks = tc.OrderBook("0.1")
    no_asks.apply_snapshot([["100.0", "1"]], [])
    models = LiveModels("0.1")
    p50, p90 = models.predict_quantiles(no_asks, "buy", 1000.0)
    assert math.isnan(p50) and math.isnan(p90)
    models.online.predictors = Predictors(crossing_predictor(0), None, 1, 100, 0)
    with pytest.raises(EmptyBookError, match="no asks"):
        models.predict_quantiles(no_asks, "buy", 1000.0)


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


def contract_book(contracts_per_unit: float) -> tc.OrderBook:
    """The book of two_sided_book with its sizes in contracts of 1/contracts_per_unit base."""
    book = tc.OrderBook("0.1")
    bids = [["100.0", 2.0], ["99.9", 1.5], ["99.5", 7.0]]
    asks = [["100.1", 3.0], ["100.3", 0.25], ["101.0", 12.0]]
    book.apply_snapshot(
        [[price, f"{size * contracts_per_unit:g}"] for price, size in bids],
        [[price, f"{size * contracts_per_unit:g}"] for price, size in asks],
    )
    return book


@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("usd", [40.0, 250.0, 1_500.0])
def test_live_features_on_a_contract_book_are_those_of_the_same_book_in_base_units(
    side: str, usd: float
):
    # a swap book in contracts of 0.01 base (BTC-USDT-SWAP's ctVal): the features the live
    # prediction is made on equal those of the same book in base units, and those the dataset
    # builder gives the model to learn on
    models = LiveModels("0.1", contract_value=0.01)
    predictor = crossing_predictor(7)
    models.online.predictors = Predictors(predictor, None, 1, 100, 0)
    in_base = np.empty(N_MARKET_FEATURES)
    FeatureExtractor().extract(two_sided_book(), side, usd, in_base)
    in_contracts = np.empty(N_MARKET_FEATURES)
    models.online.builder.extract_market(contract_book(100.0), side, usd, in_contracts)
    np.testing.assert_allclose(in_contracts, in_base, rtol=1e-12, atol=1e-12)
    expected = np.empty(2)
    predictor.predict_into(in_contracts, expected)
    p50, p90 = models.predict_quantiles(contract_book(100.0), side, usd)
    assert (p50, p90) == (expected[0], expected[1])
    reference = np.empty(2)
    predictor.predict_into(in_base, reference)
    np.testing.assert_allclose((p50, p90), reference, rtol=1e-9)
    extractor = models.online.builder.extractor
    assert predictor.predict_book(extractor, contract_book(100.0), side, usd, 0.01) == (p50, p90)


def test_predict_book_rejects_a_bad_contract_value():
    predictor = crossing_predictor(0)
    for bad in (0.0, -0.01, math.nan, math.inf):
        with pytest.raises(InvalidInputError, match="contract_value"):
            predictor.predict_book(FeatureExtractor(), two_sided_book(), "buy", 100.0, bad)


@pytest.mark.parametrize("trained", [False, True])
def test_the_tick_runs_no_python_code_of_the_models(trained: bool):
    # the estimator's call reaches the compiled LiveQuantiles.predict_quantiles: no Python frame
    # of LiveModels (or of OnlineModels, to find the predictor) is entered on the tick
    models = LiveModels("0.1")
    if trained:
        models.online.predictors = Predictors(crossing_predictor(1), None, 1, 100, 0)
    book = two_sided_book()
    entered: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            entered.append(frame.f_code.co_qualname)

    sys.setprofile(profile)
    try:
        p50, p90 = models.predict_quantiles(book, "buy", 700.0)
    finally:
        sys.setprofile(None)
    assert entered == []
    assert math.isfinite(p50) == trained and math.isfinite(p90) == trained


def test_a_published_generation_reaches_the_next_tick():
    models = LiveModels("0.1")
    book = two_sided_book()
    first, second = crossing_predictor(2), crossing_predictor(3)
    models.online.predictors = Predictors(first, None, 1, 100, 0)
    assert models.predict_quantiles(book, "buy", 700.0) == first.predict_book(
        models.online.builder.extractor, book, "buy", 700.0
    )
    models.online.predictors = Predictors(second, None, 2, 200, 0)
    assert models.predict_quantiles(book, "buy", 700.0) == second.predict_book(
        models.online.builder.extractor, book, "buy", 700.0
    )
    models.online.predictors = Predictors(None, None, 3, 0, 0)
    assert all(math.isnan(v) for v in models.predict_quantiles(book, "buy", 700.0))
