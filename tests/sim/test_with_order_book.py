"""The simulated market's frames replayed through tradecost's compiled OrderBook."""

from __future__ import annotations

import json

import numpy as np

import tradecost as tc
from tradecost.sim import SimulatedMarket


def test_order_book_replay_is_never_crossed_and_checksums_verify() -> None:
    market = SimulatedMarket(seed=17)
    book = tc.OrderBook(tick_size="0.1", inst_id="BTC-USDT")
    message = tc.BookMessage()
    last_seq = None
    updates = 0
    for raw in market.messages(channels=("books", "trades"), checksum=True, duration=60.0):
        message.decode(raw)
        if message.kind != "book":
            assert message.kind == "other"
            continue
        if message.action == "update":
            assert message.prev_seq_id == last_seq
            updates += 1
        else:
            assert message.prev_seq_id == -1
        book.apply_message(message)
        last_seq = message.seq_id
        assert not book.crossed
        assert book.n_bids <= 400
        assert book.n_asks <= 400
        assert message.checksum == book.checksum()
    assert updates > 500


def test_order_book_from_tick_by_tick_frames_equals_the_truth() -> None:
    market = SimulatedMarket(seed=18)
    book = tc.OrderBook(tick_size="0.1")
    for raw in market.messages(channels=("books-l2-tbt",), duration=20.0):
        book.apply_message(raw)
        assert not book.crossed
    truth = market.book_snapshot().to_order_book()
    np.testing.assert_array_equal(book.bid_ticks(), truth.bid_ticks())
    np.testing.assert_array_equal(book.ask_ticks(), truth.ask_ticks())
    np.testing.assert_allclose(book.bids(), truth.bids())
    np.testing.assert_allclose(book.asks(), truth.asks())
    assert book.checksum() == market.book_snapshot().checksum


def test_every_trade_is_walkable_on_the_book_before_it() -> None:
    """A taker order's prints equal walk_book on the tick-by-tick book just before it."""
    market = SimulatedMarket(seed=19)
    book = tc.OrderBook(tick_size="0.1")
    pending: list[dict[str, str]] = []
    checked = 0
    for raw in market.messages(channels=("trades", "books-l2-tbt"), duration=60.0):
        message = json.loads(raw)
        if message["arg"]["channel"] == "trades":
            pending.append(message["data"][0])
            continue
        if pending:
            quantity = sum(float(t["sz"]) for t in pending)
            fill = tc.walk_book(book, pending[0]["side"], quantity=quantity)
            notional = sum(float(t["sz"]) * float(t["px"]) for t in pending)
            assert fill.complete
            assert fill.levels == len(pending)
            assert fill.worst_price == float(pending[-1]["px"])
            assert abs(fill.notional - notional) <= 1e-6 * notional
            checked += 1
            pending = []
        book.apply_message(raw)
    assert checked > 100
