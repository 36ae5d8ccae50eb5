"""Hypothesis: whatever the network does to the stream (drops, duplicates, reorders, stale REST
snapshots), every book event with ``stale=False`` shows exactly the exchange's book at its
update id, and the book comes back in sync once clean traffic and a fresh snapshot arrive."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.binance.frames import depth_event, snapshot_body
from tests.binance.reference import ReferenceBook, instrument
from tradecost.feeds.binance.protocol import BinanceProtocol
from tradecost.feeds.events import BookEvent

LEVEL = st.tuples(
    st.booleans(), st.integers(1, 30), st.sampled_from(["0", "1", "2.5", "0.001", "7"])
)


def price(tick: int) -> str:
    return f"{Decimal(tick) / 100:.2f}"


@settings(deadline=None)
@given(data=st.data(), futures=st.booleans(), n=st.integers(1, 30))
def test_no_wrong_book_is_ever_delivered_as_in_sync(data, futures, n):
    # The exchange: a true book and the diff events that move it.
    truth = ReferenceBook()
    truth.snapshot([[price(5), "1"]], [[price(25), "1"]])
    first_id = 100
    states = {first_id: truth.levels()}
    frames: list[bytes] = []
    ids = [first_id]
    last = first_id
    for _ in range(n):
        changes = data.draw(st.lists(LEVEL, min_size=0, max_size=4))
        bids = [(price(p), q) for is_bid, p, q in changes if is_bid]
        asks = [(price(p), q) for is_bid, p, q in changes if not is_bid]
        start = last + 1 + (data.draw(st.integers(0, 3)) if futures else 0)
        end = start + data.draw(st.integers(0, 2))
        frames.append(
            depth_event("BTCUSDT", start, end, bids, asks, prev_id=last if futures else None)
        )
        truth.update([list(b) for b in bids], [list(a) for a in asks])
        states[end] = truth.levels()
        ids.append(end)
        last = end

    # The network: drop, duplicate or swap events.
    order: list[int] = []
    i = 0
    while i < n:
        action = data.draw(st.sampled_from(["ok", "ok", "ok", "drop", "dup", "swap"]))
        if action == "drop":
            i += 1
        elif action == "swap" and i + 1 < n:
            order += [i + 1, i]
            i += 2
        else:
            order += [i, i] if action == "dup" else [i]
            i += 1

    protocol = BinanceProtocol(
        ["BTCUSDT"],
        "usdm" if futures else "spot",
        instruments={"BTCUSDT": instrument("BTCUSDT", Decimal("0.01"))},
        trades=False,
    )
    protocol.connection_made(0)
    book = protocol.books["BTCUSDT"]

    def check(events: list[object]) -> None:
        for event in events:
            assert isinstance(event, BookEvent)
            if event.stale:
                continue
            assert protocol.is_synced("BTCUSDT")
            bids, asks = states[event.seq_id]
            np.testing.assert_array_equal(book.bids(), np.array(bids).reshape(-1, 2))
            np.testing.assert_array_equal(book.asks(), np.array(asks).reshape(-1, 2))

    def snapshot(upto: int) -> bytes:
        """The exchange's book when the event at index ``upto`` had happened (maybe older)."""
        back = data.draw(st.integers(0, 2))
        at = ids[max(0, upto + 1 - back)]
        bids, asks = states[at]
        return snapshot_body(
            at, [(repr(p), repr(q)) for p, q in bids], [(repr(p), repr(q)) for p, q in asks]
        )

    waiting = False
    newest = -1
    for index in order:
        newest = max(newest, index)
        check(protocol.receive(frames[index], 1))
        waiting = waiting or bool(protocol.rest_requests())
        if waiting and data.draw(st.booleans()):
            waiting = False
            check(protocol.receive_rest_snapshot("BTCUSDT", snapshot(newest), 1))
            waiting = bool(protocol.rest_requests())

    # Clean traffic afterwards and a fresh snapshot: the book recovers.
    for _ in range(2):
        start = last + 1
        frames.append(
            depth_event(
                "BTCUSDT", start, start, [(price(7), "3")], prev_id=last if futures else None
            )
        )
        truth.update([[price(7), "3"]], [])
        states[start] = truth.levels()
        ids.append(start)
        last = start
        check(protocol.receive(frames[-1], 2))
        if protocol.rest_requests() or waiting:
            waiting = False
            bids, asks = states[start]
            body = snapshot_body(
                start, [(repr(p), repr(q)) for p, q in bids], [(repr(p), repr(q)) for p, q in asks]
            )
            check(protocol.receive_rest_snapshot("BTCUSDT", body, 2))
    if protocol.is_synced("BTCUSDT"):
        bids, asks = states[last]
        np.testing.assert_array_equal(book.bids(), np.array(bids).reshape(-1, 2))
