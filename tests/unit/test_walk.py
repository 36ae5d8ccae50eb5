"""walk_book / walk_book_curve against hand-computed vectors (docs/cost-model test book)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tradecost as tc


@pytest.fixture
def book() -> tc.OrderBook:
    b = tc.OrderBook("0.5")
    b.apply_snapshot(
        [["99.5", "1.5"], ["99", "3"], ["98", "10"]], [["100", "1"], ["100.5", "2"], ["101", "5"]]
    )
    return b


def test_buy_quantity(book):
    fill = tc.walk_book(book, "buy", quantity=2.5)
    assert fill.avg_price == pytest.approx(100.3, rel=1e-15)
    assert fill.slippage_bps == pytest.approx(55.138, abs=5e-4)
    assert fill.slippage_bps_touch == pytest.approx(30.0, abs=1e-9)
    assert (fill.quantity, fill.levels, fill.worst_price) == (2.5, 2, 100.5)
    assert fill.notional == pytest.approx(250.75)
    assert fill.complete
    assert fill.remaining == 0.0
    assert fill.side == "buy"
    assert fill.mid == 99.75
    assert fill.touch == 100.0


def test_buy_notional(book):
    fill = tc.walk_book(book, tc.Side.BUY, notional=250.0)
    assert fill.quantity == pytest.approx(2.49254, abs=5e-6)
    assert fill.avg_price == pytest.approx(100.2994, abs=5e-5)
    assert fill.slippage_bps == pytest.approx(55.078, abs=5e-4)
    assert fill.notional == 250.0
    assert fill.complete


def test_sell_quantity(book):
    fill = tc.walk_book(book, "sell", quantity=4)
    assert fill.avg_price == pytest.approx(99.1875, rel=1e-15)
    assert fill.slippage_bps == pytest.approx(56.391, abs=5e-4)
    assert fill.slippage_bps_touch == pytest.approx(31.407, abs=5e-4)
    assert fill.worst_price == 99.0
    assert fill.levels == 2


def test_too_thin_is_flagged_with_the_remainder(book):
    fill = tc.walk_book(book, "buy", quantity=10)
    assert not fill.complete
    assert fill.remaining == 2.0
    assert fill.quantity == 8.0
    assert fill.avg_price == 100.75
    assert fill.slippage_bps == pytest.approx((100.75 - 99.75) / 99.75 * 1e4, rel=1e-14)
    assert fill.levels == 3
    assert fill.worst_price == 101.0
    by_notional = tc.walk_book(book, "sell", notional=1e6)
    assert not by_notional.complete
    assert by_notional.remaining == pytest.approx(1e6 - (99.5 * 1.5 + 99 * 3 + 98 * 10))


def test_exact_level_boundary_takes_the_whole_level(book):
    fill = tc.walk_book(book, "buy", quantity=3)
    assert fill.complete
    assert fill.levels == 2
    assert fill.quantity == 3.0


def test_empty_side_raises_and_one_sided_book_has_nan_mid_slippage():
    empty = tc.OrderBook("1")
    with pytest.raises(tc.EmptyBookError, match="no asks"):
        tc.walk_book(empty, "buy", quantity=1)
    one_sided = tc.OrderBook("1")
    one_sided.apply_snapshot([], [["10", "1"]])
    fill = tc.walk_book(one_sided, "buy", quantity=0.5)
    assert math.isnan(fill.slippage_bps)
    assert fill.slippage_bps_touch == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one"),
        ({"quantity": 1, "notional": 1}, "exactly one"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"notional": float("nan")}, "notional"),
        ({"notional": float("inf")}, "notional"),
        ({"quantity": "abc"}, "not a number"),
    ],
)
def test_bad_order_sizes(book, kwargs, match):
    with pytest.raises(tc.InvalidInputError, match=match):
        tc.walk_book(book, "buy", **kwargs)


def test_bad_side(book):
    with pytest.raises(tc.InvalidInputError, match="'hold'"):
        tc.walk_book(book, "hold", quantity=1)  # type: ignore[arg-type]


def test_curve_equals_single_walks_bit_for_bit(book):
    sizes = np.array([0.1, 1.0, 2.5, 3.0, 7.99, 8.0, 8.01, 50.0])
    for side in ("buy", "sell"):
        curve = tc.walk_book_curve(book, side, quantities=sizes)
        assert len(curve) == len(sizes)
        for i, q in enumerate(sizes):
            fill = tc.walk_book(book, side, quantity=float(q))
            assert curve.avg_price[i] == fill.avg_price
            assert curve.quantity[i] == fill.quantity
            assert curve.notional[i] == fill.notional
            assert curve.levels[i] == fill.levels
            assert curve.worst_price[i] == fill.worst_price
            assert curve.complete[i] == fill.complete
            assert curve.remaining[i] == fill.remaining
            assert curve.slippage_bps[i] == fill.slippage_bps
    notionals = np.geomspace(1, 2000, 25)
    curve = tc.walk_book_curve(book, "buy", notionals=notionals)
    for i, n in enumerate(notionals):
        fill = tc.walk_book(book, "buy", notional=float(n))
        assert (curve.quantity[i], curve.levels[i]) == (fill.quantity, fill.levels)
    # slippage grows with size
    assert (np.diff(curve.slippage_bps) >= -1e-9).all()


def test_curve_rejects_bad_sizes(book):
    with pytest.raises(tc.InvalidInputError):
        tc.walk_book_curve(book, "buy", quantities=[1.0, -1.0])
    with pytest.raises(tc.InvalidInputError):
        tc.walk_book_curve(book, "buy")
    assert len(tc.walk_book_curve(book, "buy", quantities=[])) == 0
