"""Random snapshot/update streams through the compiled book and the Decimal reference book:
every level, every checksum and every walk must agree."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tests.reference import ReferenceBook, reference_walk

TICKS = ["1", "0.1", "0.5", "0.0025", "0.00000000001"]


@st.composite
def size_text(draw: st.DrawFn, allow_zero: bool) -> str:
    if allow_zero and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(["0", "0.0", "0.000"]))
    mantissa = draw(st.integers(1, 10**9))
    scale = draw(st.integers(0, 8))
    text = str(Decimal(mantissa).scaleb(-scale))
    return format(Decimal(text), "f")


@st.composite
def streams(draw: st.DrawFn):
    tick = Decimal(draw(st.sampled_from(TICKS)))
    center = draw(st.integers(1000, 10**6))
    width = draw(st.integers(1, 300))

    def price(side: str) -> str:
        # bids at or below center, asks above, plus a few crossing prices to test crossed books
        offset = draw(st.integers(0, width))
        k = center - offset if side == "bid" else center + 1 + offset
        text = format(tick * k, "f")
        if draw(st.booleans()) and "." in text:
            text = text + "0"  # trailing zeros must be the same price, and survive the checksum
        return text

    def rows(side: str, allow_zero: bool, n: int) -> list[list[str]]:
        return [[price(side), draw(size_text(allow_zero))] for _ in range(n)]

    snapshot = (
        rows("bid", False, draw(st.integers(0, 60))),
        rows("ask", False, draw(st.integers(0, 60))),
    )
    updates = [
        (rows("bid", True, draw(st.integers(0, 8))), rows("ask", True, draw(st.integers(0, 8))))
        for _ in range(draw(st.integers(0, 30)))
    ]
    return tick, snapshot, updates


def assert_same(book: tc.OrderBook, ref: ReferenceBook, tick: Decimal) -> None:
    bids, asks = ref.sorted_bids(), ref.sorted_asks()
    np.testing.assert_array_equal(book.bid_ticks(), [int(p / tick) for p, _ in bids])
    np.testing.assert_array_equal(book.ask_ticks(), [int(p / tick) for p, _ in asks])
    np.testing.assert_array_equal(book.bids()[:, 1], [float(s) for _, s in bids])
    np.testing.assert_array_equal(book.asks()[:, 1], [float(s) for _, s in asks])
    np.testing.assert_array_equal(book.bids()[:, 0], [float(p) for p, _ in bids])
    assert book.checksum() == ref.checksum()


def push(action: str, bids: list[list[str]], asks: list[list[str]], seq: int) -> bytes:
    """The same levels as an OKX v5 books push, bytes as on the wire."""
    return json.dumps(
        {
            "arg": {"channel": "books", "instId": "TEST-USDT"},
            "action": action,
            "data": [
                {
                    "asks": [[p, s, "0", "1"] for p, s in asks],
                    "bids": [[p, s, "0", "1"] for p, s in bids],
                    "ts": "1700000000000",
                    "checksum": 0,
                    "prevSeqId": seq - 1 if action == "update" else -1,
                    "seqId": seq,
                }
            ],
        },
        separators=(",", ":"),
    ).encode()


@given(streams())
def test_stream_matches_reference(stream):
    tick, (snap_bids, snap_asks), updates = stream
    book = tc.OrderBook(str(tick))
    wire = tc.OrderBook(str(tick))
    ref = ReferenceBook()
    book.apply_snapshot(snap_bids, snap_asks)
    wire.apply_message(push("snapshot", snap_bids, snap_asks, 1))
    ref.apply_snapshot(snap_bids, snap_asks)
    assert_same(book, ref, tick)
    assert wire == book
    for seq, (bids, asks) in enumerate(updates, start=2):
        book.apply_update(bids, asks)
        hdr = wire.apply_message(push("update", bids, asks, seq))
        ref.apply_update(bids, asks)
        assert_same(book, ref, tick)
        assert wire == book
        assert wire.checksum() == book.checksum()
        assert (hdr.seq_id, hdr.prev_seq_id) == (seq, seq - 1)


@given(streams(), st.data())
def test_walks_match_reference(stream, data):
    tick, (snap_bids, snap_asks), updates = stream
    book = tc.OrderBook(str(tick))
    ref = ReferenceBook()
    book.apply_snapshot(snap_bids, snap_asks)
    ref.apply_snapshot(snap_bids, snap_asks)
    for bids, asks in updates:
        book.apply_update(bids, asks)
        ref.apply_update(bids, asks)
    for side in ("buy", "sell"):
        levels = ref.sorted_asks() if side == "buy" else ref.sorted_bids()
        if not levels:
            continue
        total_q = sum(s for _, s in levels)
        total_n = sum(p * s for p, s in levels)
        for by, total in (("quantity", total_q), ("notional", total_n)):
            fraction = data.draw(st.sampled_from([0.001, 0.3, 0.999, 1.0, 1.5]))
            target = Decimal(repr(float(total) * fraction))
            if target <= 0:
                continue
            fill = tc.walk_book(book, side, **{by: float(target)})
            expected = reference_walk(ref, side, **{by: target})
            assert fill.levels == expected.levels
            assert fill.worst_price == float(expected.worst_price)
            if fill.complete != expected.complete:
                # only possible when the target sits on the total to within rounding
                assert abs(target - total) <= total * Decimal("1e-12")
                continue
            assert np.isclose(fill.quantity, float(expected.quantity), rtol=1e-9, atol=0)
            assert np.isclose(fill.notional, float(expected.notional), rtol=1e-9, atol=0)
            assert np.isclose(
                fill.remaining, float(expected.remaining), rtol=1e-9, atol=float(total) * 1e-12
            )
            plural = "quantities" if by == "quantity" else "notionals"
            curve = tc.walk_book_curve(book, side, **{plural: [float(target)]})
            assert curve.levels[0] == fill.levels
            assert curve.quantity[0] == fill.quantity
