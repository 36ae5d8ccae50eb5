"""The compiled feature extractor against direct computations on hand-made books."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tradecost as tc
from tradecost.models import (
    LIMIT_FEATURES,
    MARKET_FEATURES,
    N_LIMIT_FEATURES,
    N_MARKET_FEATURES,
    FeatureExtractor,
)

F = {name: i for i, name in enumerate(MARKET_FEATURES)}
L = {name: i for i, name in enumerate(LIMIT_FEATURES)}


def research_book() -> tc.OrderBook:
    # research notes §4.1 test book
    book = tc.OrderBook(tick_size="0.5")
    book.apply_snapshot(
        [["99.5", "1.5"], ["99.0", "3"], ["98.0", "10"]],
        [["100.0", "1"], ["100.5", "2"], ["101.0", "5"]],
    )
    return book


@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("usd", [50.0, 250.0, 400.0, 5000.0])
def test_walk_features_equal_walk_book(side, usd):
    book = research_book()
    out = np.empty(N_MARKET_FEATURES)
    FeatureExtractor(depth_levels=2).extract(book, side, usd, out)
    for slot, factor in (("walk_bps", 1.0), ("walk_half_bps", 0.5), ("walk_double_bps", 2.0)):
        fill = tc.walk_book(book, side, notional=usd * factor)
        assert out[F[slot]] == pytest.approx(fill.slippage_bps, rel=1e-12)
    fill = tc.walk_book(book, side, notional=usd)
    assert out[F["unfilled_fraction"]] == pytest.approx(fill.remaining / usd, abs=1e-12)


def test_book_features_by_hand():
    book = research_book()
    out = np.empty(N_MARKET_FEATURES)
    FeatureExtractor(depth_levels=2).extract(book, "buy", 250.0, out)
    asks2 = 100.0 * 1 + 100.5 * 2
    bids2 = 99.5 * 1.5 + 99.0 * 3
    assert out[F["walk_bps"]] == pytest.approx(55.078, abs=1e-3)  # research notes vector
    assert out[F["spread_bps"]] == pytest.approx(0.5 / 99.75 * 1e4)
    assert out[F["log_depth_walked"]] == pytest.approx(math.log(asks2))
    assert out[F["log_depth_own"]] == pytest.approx(math.log(bids2))
    assert out[F["log_size_over_depth"]] == pytest.approx(math.log(250.0 / asks2))
    assert out[F["touch_imbalance"]] == pytest.approx((1.5 - 1) / 2.5)
    assert out[F["depth_imbalance"]] == pytest.approx((bids2 - asks2) / (bids2 + asks2))
    sell = np.empty(N_MARKET_FEATURES)
    FeatureExtractor(depth_levels=2).extract(book, "sell", 250.0, sell)
    assert sell[F["touch_imbalance"]] == pytest.approx(-out[F["touch_imbalance"]])
    assert sell[F["spread_bps"]] == pytest.approx(out[F["spread_bps"]])


def test_order_flow_imbalance_follows_cont_kukanov_stoikov():
    book = research_book()
    fx = FeatureExtractor(half_life_s=1e9)  # no decay within the test
    fx.update_book(book, 0)
    # bid queue grows 1.5 -> 2.5 at the same price: e = +1.0
    book.apply_update([["99.5", "2.5"]], [])
    fx.update_book(book, 1)
    # ask price improves 100.0 -> 99.9 isn't on the 0.5 grid; use a new best ask 100.0 removed:
    # ask moves up to 100.5 (size 2): e = +q_a(prev) = +1
    book.apply_update([], [["100.0", "0"]])
    fx.update_book(book, 2)
    out = np.empty(N_MARKET_FEATURES)
    fx.extract(book, "buy", 100.0, out)
    touch_mean = 0.5 * (2.5 + 2.0)
    assert out[F["order_flow_imbalance"]] == pytest.approx(2.0 / touch_mean, rel=1e-9)
    fx.extract(book, "sell", 100.0, out)
    assert out[F["order_flow_imbalance"]] == pytest.approx(-2.0 / touch_mean, rel=1e-9)


def test_trade_features_and_decay():
    book = research_book()
    fx = FeatureExtractor(half_life_s=1.0)
    fx.update_book(book, 0)
    assert not fx.warmed_up
    for k in range(10):
        fx.update_trade(k * 100_000_000, 100.0, 1.0, 1 if k % 5 else -1)
    fx.update_book(book, 2_000_000_000)
    assert fx.warmed_up
    out = np.empty(N_MARKET_FEATURES)
    fx.extract(book, "buy", 100.0, out)
    assert out[F["trade_imbalance"]] > 0.5  # 8 buys, 2 sells
    assert 0 < out[F["trade_rate"]] < 10.0
    assert out[F["volatility_bps"]] == 0.0  # the mid never moved


def test_limit_features_and_queue_ahead():
    book = research_book()
    out = np.empty(N_LIMIT_FEATURES)
    fx = FeatureExtractor()
    # buy at the touch (99.5): 1.5 ahead
    assert fx.extract_limit(book, "buy", 0, 995.0, 5.0, out) == 1.5
    assert out[L["distance_ticks"]] == 0
    assert out[L["log_queue_ratio"]] == pytest.approx(math.log1p(1.5 / (995.0 / 99.5)))
    assert out[L["spread_ticks"]] == 1
    assert out[L["horizon_s"]] == 5.0
    # buy 1 tick behind (99.0): 3 ahead; 3 ticks behind (98.0): 10; 2 behind (98.5): none
    assert fx.extract_limit(book, "buy", 1, 99.0, 5.0, out) == 3.0
    assert fx.extract_limit(book, "buy", 3, 98.0, 5.0, out) == 10.0
    assert fx.extract_limit(book, "buy", 2, 98.5, 5.0, out) == 0.0
    assert fx.extract_limit(book, "sell", 1, 100.5, 5.0, out) == 2.0
    # a buy one tick inside a one-tick spread would cross
    with pytest.raises(tc.InvalidInputError, match="crosses"):
        fx.extract_limit(book, "buy", -1, 100.0, 5.0, out)


def test_errors():
    fx = FeatureExtractor()
    book = research_book()
    with pytest.raises(tc.InvalidInputError):
        fx.extract(book, "buy", 100.0, np.empty(3))
    with pytest.raises(tc.InvalidInputError):
        fx.extract(book, "buy", -1.0, np.empty(N_MARKET_FEATURES))
    with pytest.raises(tc.InvalidInputError):
        fx.extract(book, "hold", 1.0, np.empty(N_MARKET_FEATURES))
    empty = tc.OrderBook(tick_size="0.5")
    with pytest.raises(tc.EmptyBookError):
        fx.extract(empty, "buy", 1.0, np.empty(N_MARKET_FEATURES))
    with pytest.raises(tc.InvalidInputError):
        FeatureExtractor(depth_levels=0)
