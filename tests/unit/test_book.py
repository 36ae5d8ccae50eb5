"""OrderBook: exact ticks, ordering, updates, reads, errors."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

import tradecost as tc


def btc_book() -> tc.OrderBook:
    book = tc.OrderBook("0.1", inst_id="BTC-USDT")
    book.apply_snapshot(
        [["95000.1", "1.5"], ["95000", "2"], ["94999.5", "0.25"]],
        [["95000.3", "0.5"], ["95000.4", "3"], ["95001", "1"]],
    )
    return book


def test_reads_best_first():
    book = btc_book()
    assert book.best_bid == 95000.1
    assert book.best_ask == 95000.3
    assert book.mid == 95000.2
    assert book.spread == pytest.approx(0.2, abs=1e-12)
    assert book.spread_bps == pytest.approx(0.2 / 95000.2 * 1e4, rel=1e-12)
    assert not book.crossed
    np.testing.assert_array_equal(book.bids(), [[95000.1, 1.5], [95000.0, 2.0], [94999.5, 0.25]])
    np.testing.assert_array_equal(book.asks(2), [[95000.3, 0.5], [95000.4, 3.0]])
    np.testing.assert_array_equal(book.bid_ticks(), [950001, 950000, 949995])
    np.testing.assert_array_equal(book.ask_ticks(1), [950003])
    assert book.bids().dtype == np.float64
    assert book.bids(0).shape == (0, 2)
    assert book.n_bids == 3
    assert book.n_asks == 3


def test_unsorted_snapshot_is_sorted_and_zero_rows_skipped():
    book = tc.OrderBook("0.5")
    book.apply_snapshot([["10", "1"], ["11", "2"], ["10.5", "0"]], [["13", "1"], ["12", "4"]])
    np.testing.assert_array_equal(book.bids(), [[11, 2], [10, 1]])
    np.testing.assert_array_equal(book.asks(), [[12, 4], [13, 1]])


def test_update_inserts_replaces_deletes_and_ignores_unknown_deletes():
    book = btc_book()
    before = book.copy()
    book.apply_update([["95000.2", "4"], ["95000", "0"], ["94000", "0"]], [["95000.3", "0.75"]])
    np.testing.assert_array_equal(book.bids(), [[95000.2, 4.0], [95000.1, 1.5], [94999.5, 0.25]])
    assert book.best_ask_size == 0.75
    assert before != book
    book.apply_update([], [["95000.3", "0"], ["95000.4", "0"], ["95001", "0"]])
    assert book.n_asks == 0
    assert math.isnan(book.best_ask)
    assert math.isnan(book.mid)
    assert math.isnan(book.spread)


def test_prices_far_below_one_are_exact():
    book = tc.OrderBook("0.00000000001", inst_id="ELON-USDT")
    book.apply_snapshot([["0.00000074527", "100"]], [["0.00000074528", "159764443"]])
    assert book.best_ask == float("0.00000074528")
    assert book.price_to_ticks("0.00000074528") == 74528
    assert book.ticks_to_price(74527) == float("0.00000074527")
    assert book.spread == pytest.approx(1e-11, rel=1e-9)


def test_number_inputs_of_every_kind_agree():
    rows = [
        ["95000.1", "1.5"],
        [95000.1, 1.5],
        [Decimal("95000.1"), Decimal("1.5")],
        [np.float64(95000.1), np.float64(1.5)],
        [b"95000.1", b"1.5"],
    ]
    for row in rows:
        book = tc.OrderBook(0.1)
        book.apply_snapshot([row], [])
        assert book.best_bid == 95000.1
        assert book.best_bid_size == 1.5
    book = tc.OrderBook(Decimal("1"))
    book.apply_snapshot([[95000, 2]], [])
    assert book.bid_ticks()[0] == 95000


def test_trailing_zeros_and_exponents_are_the_same_price():
    book = tc.OrderBook("0.1")
    book.apply_snapshot([["95000.10", "1"]], [])
    book.apply_update([["9.50001e4", "2"]], [])
    assert book.n_bids == 1
    assert book.best_bid_size == 2


def test_depth_notional_and_imbalance_windows():
    book = btc_book()
    assert book.depth("bid") == 3.75
    assert book.depth("bid", levels=2) == 3.5
    assert book.depth("ask", levels=0) == 0.0
    # 1 bp of 95000.2 is 9.5: every level here is within 1 bp; 0.01 bp keeps only the touch.
    assert book.depth("ask", bps=1) == 4.5
    assert book.depth("ask", bps=0.02) == 0.5
    assert book.depth("bid", levels=1, bps=1) == 1.5
    assert book.notional("ask", levels=2) == pytest.approx(95000.3 * 0.5 + 95000.4 * 3)
    assert book.imbalance() == pytest.approx((1.5 - 0.5) / 2.0)
    assert book.imbalance(levels=3) == pytest.approx((3.75 - 4.5) / 8.25)
    assert math.isnan(tc.OrderBook("1").imbalance())


def test_crossed_and_locked_books_are_flagged():
    book = tc.OrderBook("1")
    book.apply_snapshot([["100", "1"]], [["101", "1"]])
    assert not book.crossed
    book.apply_update([["101", "1"]], [])
    assert book.crossed  # locked
    book.apply_update([["102", "1"]], [])
    assert book.crossed


def test_copy_is_independent_and_clear_empties():
    book = btc_book()
    twin = book.copy()
    assert twin == book
    assert twin is not book
    twin.apply_update([["95000.1", "0"]], [])
    assert twin != book
    assert book.best_bid == 95000.1
    book.clear()
    assert book.n_bids == book.n_asks == 0
    assert book == tc.OrderBook("0.1")
    assert book != tc.OrderBook("0.01")


def test_growth_beyond_initial_capacity():
    book = tc.OrderBook("1")
    book.apply_snapshot([[str(10_000 - i), "1"] for i in range(3000)], [])
    book.apply_update([[str(20_000 + i), "2"] for i in range(2000)], [])
    assert book.n_bids == 5000
    assert book.best_bid == 21_999
    assert (np.diff(book.bid_ticks()) < 0).all()


@pytest.mark.parametrize("tick", ["0", "-0.1", "abc", "nan", "inf", "", None, True])
def test_bad_tick_size_is_named(tick):
    with pytest.raises(tc.InvalidTickSizeError, match="tick size"):
        tc.OrderBook(tick)


def test_off_grid_price_is_named_and_book_unchanged():
    book = btc_book()
    before = book.copy()
    with pytest.raises(
        tc.OffGridPriceError, match=r"'95000.05' is not on the 0.1 tick grid of BTC-USDT"
    ):
        book.apply_update([["95000.2", "1"], ["95000.05", "1"]], [])
    assert book == before
    with pytest.raises(tc.OffGridPriceError):
        book.price_to_ticks("1.23")
    assert issubclass(tc.OffGridPriceError, ValueError)


@pytest.mark.parametrize("size", ["-1", "nan", "inf", "-inf", "abc", "", float("nan"), -0.5])
def test_bad_sizes_are_named_and_book_unchanged(size):
    book = btc_book()
    before = book.copy()
    with pytest.raises(tc.InvalidSizeError, match="size"):
        book.apply_update([["95000.2", "1"], ["95000.1", size]], [])
    assert book == before


@pytest.mark.parametrize("price", ["-95000", "0", "x", "", None])
def test_bad_prices_are_named(price):
    book = btc_book()
    with pytest.raises(tc.InvalidInputError, match="price"):
        book.apply_update([[price, "1"]], [])


def test_bad_row_shapes():
    book = btc_book()
    with pytest.raises(tc.InvalidInputError, match=r"\[price, size"):
        book.apply_update([["95000"]], [])
    with pytest.raises(tc.InvalidInputError):
        book.apply_update([5], [])


def test_errors_share_one_root():
    for cls in (
        tc.OffGridPriceError,
        tc.InvalidSizeError,
        tc.InvalidTickSizeError,
        tc.MalformedMessageError,
        tc.EmptyBookError,
        tc.CompiledCoreError,
    ):
        assert issubclass(cls, tc.TradecostError)
