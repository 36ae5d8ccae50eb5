"""The sans-I/O Binance protocol, driven with bytes: every rule of the documented procedure."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from tests.binance.frames import agg_trade, depth_event, snapshot_body, trade
from tests.binance.reference import instrument
from tradecost.errors import InvalidInputError, SubscriptionError
from tradecost.feeds.binance.protocol import BinanceProtocol, DepthState
from tradecost.feeds.events import BookEvent, TradeEvent

T0 = 1_000_000_000


def spot(**kw: object) -> BinanceProtocol:
    options: dict[str, object] = {
        "instruments": {"BTCUSDT": instrument("BTCUSDT", Decimal("0.01"))}
    }
    options.update(kw)
    protocol = BinanceProtocol(["BTCUSDT"], "spot", **options)  # type: ignore[arg-type]
    protocol.connection_made(T0)
    return protocol


def futures(**kw: object) -> BinanceProtocol:
    options: dict[str, object] = {
        "instruments": {"BTCUSDT": instrument("BTCUSDT", Decimal("0.1"))},
        "trades": False,
    }
    options.update(kw)
    protocol = BinanceProtocol(["BTCUSDT"], "usdm", **options)  # type: ignore[arg-type]
    protocol.connection_made(T0)
    return protocol


SNAP_BIDS = [("100.00", "1.0"), ("99.99", "2.0")]
FUT_BIDS, FUT_ASKS = [("100.0", "1")], [("100.1", "1")]
SNAP_ASKS = [("100.01", "1.5"), ("100.02", "3.0")]


def live_spot(last_id: int = 100) -> BinanceProtocol:
    """A spot book in sync at ``last_id`` (bridged by one event)."""
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", last_id - 1, last_id, [("99.98", "4")]), T0)
    assert protocol.rest_requests() == ["BTCUSDT"]
    events = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(last_id - 1, SNAP_BIDS, SNAP_ASKS), T0
    )
    assert len(events) == 1 and protocol.is_synced("BTCUSDT")
    assert protocol.last_update_id("BTCUSDT") == last_id
    return protocol


def levels(book: object) -> tuple[list[list[float]], list[list[float]]]:
    return book.bids().tolist(), book.asks().tolist()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- connection


def test_connect_subscribes_every_stream_with_an_id():
    protocol = BinanceProtocol(
        ["BTCUSDT", "ethusdt"],
        "spot",
        instruments={s: instrument(s) for s in ("BTCUSDT", "ETHUSDT")},
    )
    protocol.connection_made(T0)
    (frame,) = protocol.data_to_send()
    assert json.loads(frame) == {
        "method": "SUBSCRIBE",
        "params": ["btcusdt@depth@100ms", "btcusdt@trade", "ethusdt@depth@100ms", "ethusdt@trade"],
        "id": 1,
    }
    assert protocol.receive(b'{"result":null,"id":1}', T0) == []
    assert protocol.stats.acks == 1
    protocol.unsubscribe(["ETHUSDT"])
    (frame,) = protocol.data_to_send()
    assert json.loads(frame) == {
        "method": "UNSUBSCRIBE",
        "params": ["ethusdt@depth@100ms", "ethusdt@trade"],
        "id": 2,
    }
    assert list(protocol.books) == ["BTCUSDT"]


def test_futures_subscribe_uses_aggtrade():
    protocol = BinanceProtocol(["BTCUSDT"], "usdm", instruments={"BTCUSDT": instrument("BTCUSDT")})
    protocol.connection_made(T0)
    assert json.loads(protocol.data_to_send()[0])["params"] == [
        "btcusdt@depth@100ms",
        "btcusdt@aggTrade",
    ]


@pytest.mark.parametrize(
    "reply",
    [
        b'{"error":{"code":2,"msg":"Invalid request: unknown property"},"id":1}',
        b'{"code":2,"msg":"Invalid request: unknown property","id":1}',
    ],
)
def test_a_refused_request_is_a_subscription_error(reply: bytes):
    protocol = spot()
    with pytest.raises(SubscriptionError, match="Binance error 2") as info:
        protocol.receive(reply, T0)
    assert info.value.arg["method"] == "SUBSCRIBE"


def test_server_shutdown_asks_for_a_reconnect():
    protocol = live_spot()
    assert protocol.receive(b'{"e":"serverShutdown","E":1700000000000}', T0) == []
    assert protocol.reconnect_requested and protocol.stats.shutdowns == 1


def test_connection_lost_marks_books_stale_and_reconnect_rebuilds():
    protocol = live_spot()
    (event,) = protocol.connection_lost(T0 + 5)
    assert isinstance(event, BookEvent) and event.stale and event.action == "resync"
    assert protocol.state("BTCUSDT") is DepthState.BUFFERING
    protocol.connection_made(T0 + 6)
    assert json.loads(protocol.data_to_send()[0])["method"] == "SUBSCRIBE"
    assert not protocol.is_synced("BTCUSDT")


def test_unknown_market_speed_and_empty_subscriptions_are_refused():
    with pytest.raises(InvalidInputError, match="spot' or 'usdm"):
        BinanceProtocol(["BTCUSDT"], "coinm", instruments={})
    with pytest.raises(InvalidInputError, match="250ms"):
        BinanceProtocol(["BTCUSDT"], "spot", speed="250ms", instruments={})
    with pytest.raises(InvalidInputError, match="nothing to subscribe"):
        BinanceProtocol(["BTCUSDT"], "spot", depth=False, trades=False, instruments={})


# --------------------------------------------------------------------------- spot procedure


def test_spot_buffers_then_bridges_the_snapshot():
    protocol = spot()
    # Buffered before the snapshot: the REST request goes out with the first event only.
    assert protocol.receive(depth_event("BTCUSDT", 95, 99, [("99.99", "9")]), T0) == []
    assert protocol.rest_requests() == ["BTCUSDT"]
    assert protocol.receive(depth_event("BTCUSDT", 100, 102, [("100.00", "5")]), T0) == []
    assert protocol.receive(depth_event("BTCUSDT", 103, 103, [], [("100.01", "0")]), T0) == []
    assert protocol.rest_requests() == []
    # L = 100: the event ending at 99 is dropped, 100..102 bridges (U <= L+1 <= u), 103 follows.
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(100, SNAP_BIDS, SNAP_ASKS), T0 + 1
    )
    assert event.action == "snapshot" and not event.stale and event.seq_id == 103
    assert levels(event.book) == ([[100.0, 5.0], [99.99, 2.0]], [[100.02, 3.0]])
    assert protocol.stats.rest_snapshots == 1 and protocol.stats.gaps == 0


def test_spot_drops_the_event_whose_u_equals_the_snapshot_id():
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", 98, 100, [("100.00", "7")]), T0)
    protocol.receive(depth_event("BTCUSDT", 101, 101, [("99.99", "8")]), T0)
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(100, SNAP_BIDS, SNAP_ASKS), T0
    )
    # 98..100 is in the snapshot already: its 7 must not overwrite the snapshot's 1.0.
    assert levels(event.book)[0] == [[100.0, 1.0], [99.99, 8.0]]
    assert event.seq_id == 101


def test_spot_refetches_a_snapshot_older_than_the_first_buffered_event():
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", 110, 112), T0)
    protocol.rest_requests()
    # L + 1 = 100 < U = 110: the snapshot cannot bridge; fetch again, keep buffering.
    assert (
        protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(99, SNAP_BIDS, SNAP_ASKS), T0) == []
    )
    assert protocol.stats.refetches == 1
    assert protocol.rest_requests() == ["BTCUSDT"]
    assert protocol.state("BTCUSDT") is DepthState.BUFFERING
    protocol.receive(depth_event("BTCUSDT", 113, 115, [("99.99", "6")]), T0)
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(112, SNAP_BIDS, SNAP_ASKS), T0
    )
    assert event.seq_id == 115 and levels(event.book)[0][1] == [99.99, 6.0]


def test_spot_snapshot_one_below_the_first_event_bridges_without_refetch():
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", 110, 112, [("99.99", "6")]), T0)
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(109, SNAP_BIDS, SNAP_ASKS), T0
    )
    assert event.seq_id == 112 and protocol.stats.refetches == 0


def test_spot_continuity_gap_marks_stale_and_rebuilds():
    protocol = live_spot(100)
    book = protocol.books["BTCUSDT"]
    (event,) = protocol.receive(depth_event("BTCUSDT", 101, 101, [("99.97", "1")]), T0)
    assert not event.stale and event.seq_id == 101 and event.action == "update"
    before = levels(book)
    # 102 is lost: 103..104 reveals the gap.
    (stale,) = protocol.receive(depth_event("BTCUSDT", 103, 104, [("99.96", "1")]), T0 + 1)
    assert stale.stale and stale.book is book
    assert levels(book) == before  # nothing applied past the gap
    stats = protocol.stats
    assert (stats.gaps, stats.resyncs, stats.stale_events) == (1, 1, 1)
    assert protocol.state("BTCUSDT") is DepthState.BUFFERING
    assert protocol.rest_requests() == ["BTCUSDT"]
    # No event at all until rebuilt.
    assert protocol.receive(depth_event("BTCUSDT", 105, 105, [("99.95", "1")]), T0 + 2) == []
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(104, [("99.00", "1")], [("101.00", "1")]), T0 + 3
    )
    assert not event.stale and event.seq_id == 105
    assert levels(book) == ([[99.95, 1.0], [99.0, 1.0]], [[101.0, 1.0]])


def test_spot_overlap_after_the_bridge_is_a_gap():
    protocol = live_spot(100)
    (stale,) = protocol.receive(depth_event("BTCUSDT", 100, 102), T0)
    assert stale.stale and protocol.stats.gaps == 1


def test_spot_duplicates_are_dropped():
    protocol = live_spot(100)
    protocol.receive(depth_event("BTCUSDT", 101, 103, [("99.97", "1")]), T0)
    assert protocol.receive(depth_event("BTCUSDT", 101, 103, [("99.97", "5")]), T0) == []
    assert protocol.receive(depth_event("BTCUSDT", 102, 102, [("99.97", "5")]), T0) == []
    assert protocol.stats.duplicates == 2 and protocol.stats.gaps == 0
    assert levels(protocol.books["BTCUSDT"])[0][-1] == [99.97, 1.0]


def test_a_gap_inside_the_buffer_restarts_from_the_event_after_it():
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", 100, 101), T0)
    protocol.receive(depth_event("BTCUSDT", 103, 104, [("99.99", "3")]), T0)
    protocol.rest_requests()
    assert (
        protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(100, SNAP_BIDS, SNAP_ASKS), T0)
        == []
    )
    assert protocol.stats.gaps == 1 and protocol.rest_requests() == ["BTCUSDT"]
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(102, SNAP_BIDS, SNAP_ASKS), T0
    )
    assert event.seq_id == 104 and levels(event.book)[0][1] == [99.99, 3.0]


def test_a_snapshot_with_nothing_buffered_must_be_bridged_by_the_next_event():
    protocol = spot()
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT", snapshot_body(100, SNAP_BIDS, SNAP_ASKS), T0
    )
    assert event.seq_id == 100
    (stale,) = protocol.receive(depth_event("BTCUSDT", 105, 106), T0)
    assert stale.stale and protocol.stats.gaps == 1


def test_a_bad_frame_for_a_live_book_leaves_it_unchanged_and_rebuilds():
    protocol = live_spot(100)
    book = protocol.books["BTCUSDT"]
    before = levels(book)
    # Valid JSON, invalid quantity: the compiled decoder refuses it; the book lost an update.
    bad = depth_event("BTCUSDT", 101, 101, [("99.90", "1"), ("99.91", "-1")])
    (stale,) = protocol.receive(bad, T0)
    assert stale.stale and levels(book) == before
    assert protocol.stats.bad_frames == 1 and protocol.stats.resyncs == 1
    # Off the 0.01 grid: refused before anything is applied.
    protocol = live_spot(100)
    book = protocol.books["BTCUSDT"]
    before = levels(book)
    (stale,) = protocol.receive(
        depth_event("BTCUSDT", 101, 101, [("99.90", "1"), ("99.915", "1")]), T0
    )
    assert stale.stale and levels(book) == before


def test_garbage_is_counted_not_fatal():
    protocol = live_spot(100)
    for frame in (b"", b"not json", b"[1,2]", b'{"stream":"x","data":5}', b"\xff\xfe"):
        assert protocol.receive(frame, T0) == []
    assert protocol.stats.bad_frames == 5
    assert protocol.is_synced("BTCUSDT")


def test_other_streams_and_symbols_are_ignored():
    protocol = live_spot(100)
    ticker = b'{"stream":"btcusdt@bookTicker","data":{"u":7,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}}'
    assert protocol.receive(ticker, T0) == []
    assert protocol.receive(depth_event("ETHUSDT", 1, 2), T0) == []
    assert protocol.stats.ignored == 2


# --------------------------------------------------------------------------- futures procedure


def test_futures_bridge_keeps_the_event_whose_u_equals_the_snapshot_id():
    protocol = futures()
    protocol.receive(depth_event("BTCUSDT", 80, 89, [("99.0", "1")], prev_id=70), T0)
    protocol.receive(depth_event("BTCUSDT", 95, 100, [("100.0", "7")], prev_id=89), T0)
    protocol.receive(depth_event("BTCUSDT", 130, 140, [("99.5", "2")], prev_id=100), T0)
    # Futures diffs list bids ascending; the book sorts them.
    (event,) = protocol.receive_rest_snapshot(
        "BTCUSDT",
        snapshot_body(100, [("100.0", "1"), ("99.9", "2")], [("100.1", "1")], event_ms=5),
        T0,
    )
    # u < L dropped (80..89); U <= L <= u applied (95..100, u == L); then pu chain (130..140).
    assert levels(event.book)[0] == [[100.0, 7.0], [99.9, 2.0], [99.5, 2.0]]
    assert event.seq_id == 140
    # Ids are shared across symbols: U jumps freely, only pu must chain.
    (event,) = protocol.receive(depth_event("BTCUSDT", 170, 171, [("99.5", "0")], prev_id=140), T0)
    assert not event.stale and event.seq_id == 171


def test_futures_pu_break_is_a_gap():
    protocol = futures()
    protocol.receive(depth_event("BTCUSDT", 95, 100, prev_id=89), T0)
    protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(99, FUT_BIDS, FUT_ASKS), T0)
    assert protocol.is_synced("BTCUSDT")
    (stale,) = protocol.receive(depth_event("BTCUSDT", 120, 125, prev_id=110), T0)
    assert stale.stale and protocol.stats.gaps == 1
    # An old event (u <= last) is a duplicate, not a gap.
    protocol = futures()
    protocol.receive(depth_event("BTCUSDT", 95, 100, prev_id=89), T0)
    protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(99, FUT_BIDS, FUT_ASKS), T0)
    assert protocol.receive(depth_event("BTCUSDT", 90, 95, prev_id=80), T0) == []
    assert protocol.stats.duplicates == 1 and protocol.stats.gaps == 0


def test_futures_refetch_and_missing_pu():
    protocol = futures()
    protocol.receive(depth_event("BTCUSDT", 101, 105, prev_id=90), T0)
    protocol.rest_requests()
    # L = 100 < U = 101: on futures this cannot bridge (U <= L needed).
    assert (
        protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(100, FUT_BIDS, FUT_ASKS), T0) == []
    )
    assert protocol.stats.refetches == 1
    # A futures diff without pu is malformed for this market.
    protocol.receive(depth_event("BTCUSDT", 106, 107), T0)
    assert protocol.stats.bad_frames == 1


def test_exchange_times_are_nanoseconds():
    protocol = live_spot(100)
    (event,) = protocol.receive(
        depth_event("BTCUSDT", 101, 101, [("99.97", "1")], event_ms=1_700_000_000_123), 42
    )
    assert event.exch_ts == 1_700_000_000_123_000_000 and event.local_ts == 42


# --------------------------------------------------------------------------- trades


def test_spot_trades_taker_side_from_m():
    protocol = spot()
    (sold,) = protocol.receive(trade("BTCUSDT", 12345, "61837.63", "0.02", True), 7)
    (bought,) = protocol.receive(trade("BTCUSDT", 12346, "61837.64", "0.5", False), 8)
    assert isinstance(sold, TradeEvent)
    assert (sold.side, bought.side) == ("sell", "buy")  # m true: the buyer was the maker
    assert sold.trade_id == "12345" and sold.size == 0.02 and sold.contracts == 0.02
    assert sold.price == 61837.63 and sold.exch_ts == 1_700_000_000_004_000_000
    assert sold.local_ts == 7 and sold.inst_id == "BTCUSDT"
    assert protocol.stats.trades == 2


def test_futures_aggtrade_ids():
    protocol = futures(trades=True, depth=False)
    (event,) = protocol.receive(agg_trade("BTCUSDT", 26129, "0.01633102", "4.7", False), 1)
    assert event.trade_id == "26129" and event.side == "buy"


def test_malformed_trades_are_bad_frames():
    protocol = spot()
    for payload in (
        {"e": "trade", "s": "BTCUSDT", "t": 1, "p": "x", "q": "1", "T": 1, "m": True},
        {"e": "trade", "s": "BTCUSDT", "t": 1, "p": "1", "q": "1", "T": 1, "m": "yes"},
        {"e": "trade", "s": "BTCUSDT", "t": 1, "p": "-1", "q": "1", "T": 1, "m": True},
        {"e": "trade", "s": "BTCUSDT", "p": "1", "q": "1", "T": 1, "m": True},
    ):
        assert protocol.receive(json.dumps(payload).encode(), 1) == []
    assert protocol.stats.bad_frames == 4 and protocol.stats.trades == 0


def test_books_are_the_same_objects_across_rebuilds():
    protocol = live_spot(100)
    book = protocol.books["BTCUSDT"]
    protocol.receive(depth_event("BTCUSDT", 150, 151), T0)
    protocol.receive_rest_snapshot("BTCUSDT", snapshot_body(150, SNAP_BIDS, SNAP_ASKS), T0)
    assert protocol.books["BTCUSDT"] is book and protocol.is_synced("BTCUSDT")
    np.testing.assert_array_equal(book.asks(), [[100.01, 1.5], [100.02, 3.0]])


def test_a_stalled_rebuild_asks_again_for_the_snapshot():
    protocol = spot()
    protocol.receive(depth_event("BTCUSDT", 100, 101), T0)
    assert protocol.rest_requests() == ["BTCUSDT"]
    # The request is still pending: no second one, however long it takes.
    assert protocol.check_timers(T0 + 10**10, silent_after_ns=None, rebuild_timeout_ns=10**9) == []
    assert protocol.rest_requests() == []
    protocol.rest_failed("BTCUSDT")  # the HTTP request failed: ask again
    assert protocol.rest_requests() == ["BTCUSDT"]


def test_a_silent_live_book_goes_stale():
    protocol = live_spot(100)
    events = protocol.check_timers(
        T0 + 11 * 10**9, silent_after_ns=10 * 10**9, rebuild_timeout_ns=None
    )
    (stale,) = events
    assert stale.stale and protocol.stats.resyncs == 1
    assert not protocol.is_synced("BTCUSDT")
    # A book that was not in sync has nothing stale to say when the connection drops.
    assert protocol.connection_lost(T0 + 12 * 10**9) == []


def test_mutated_frames_never_break_the_protocol():
    """Whatever arrives, ``receive`` returns (a refused request, SubscriptionError, is the only
    exception) and the counters account for every frame."""
    import random

    from tests.binance.test_decoder import _mutate

    rng = random.Random(7)
    seeds = [
        depth_event("BTCUSDT", 101, 101, [("99.97", "1")]),
        trade("BTCUSDT", 5, "100.00", "0.5", True),
        b'{"result":null,"id":1}',
        b'{"error":{"code":2,"msg":"x"},"id":1}',
        b'{"e":"serverShutdown","E":1}',
        b'{"stream":"btcusdt@bookTicker","data":{"u":7,"s":"BTCUSDT","b":"1","B":"1","a":"2"}}',
    ]
    protocol = live_spot(100)
    before = protocol.stats.messages
    refused = 0
    for _ in range(20_000):
        frame = _mutate(rng, rng.choice(seeds))
        try:
            events = protocol.receive(frame, T0)
        except SubscriptionError:
            refused += 1
            continue
        for event in events:
            assert isinstance(event, (BookEvent, TradeEvent))
    stats = protocol.stats
    assert stats.messages - before == 20_000
    assert stats.bad_frames > 1000 and refused > 0


def test_replies_with_odd_ids_are_counted_not_fatal():
    protocol = spot()
    for reply in (
        b'{"result":null,"id":[1]}',
        b'{"result":null,"id":{"a":1}}',
        b'{"result":null,"id":null}',
    ):
        assert protocol.receive(reply, T0) == []
    assert protocol.stats.acks == 3
