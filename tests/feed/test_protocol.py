"""The sans-I/O OKX protocol core, driven with plain frames (doc vectors and real captures)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest

from tradecost.errors import InvalidInputError, SubscriptionError
from tradecost.feeds.okx import BookEvent, BookState, Instrument, OKXProtocol, TradeEvent
from tradecost.feeds.okx.protocol import login_request
from tradecost.feeds.relay import parse_relay_frame, parse_relay_timestamp
from tradecost.sim.levels import LevelBook, okx_checksum

BTC = "BTC-USDT"


def push(
    action: str,
    prev: int | None,
    seq: int | None,
    bids: list[list[str]] | None = None,
    asks: list[list[str]] | None = None,
    *,
    checksum: int = 0,
    inst_id: str = BTC,
    channel: str = "books",
) -> str:
    data: dict[str, Any] = {
        "asks": asks or [],
        "bids": bids or [],
        "ts": "1597026383085",
        "checksum": checksum,
    }
    if prev is not None:
        data["prevSeqId"] = prev
    if seq is not None:
        data["seqId"] = seq
    return json.dumps(
        {"arg": {"channel": channel, "instId": inst_id}, "action": action, "data": [data]}
    )


def lvl(price: str, size: str) -> list[str]:
    return [price, size, "0", "1"]


SNAP_BIDS = [lvl("8476.9", "256"), lvl("8475.5", "101")]
SNAP_ASKS = [lvl("8477.0", "415"), lvl("8477.3", "85")]


def ack(channel: str = "books", inst_id: str = BTC, req_id: str | None = None) -> str:
    reply: dict[str, Any] = {"event": "subscribe", "arg": {"channel": channel, "instId": inst_id}}
    if req_id is not None:
        reply["id"] = req_id
    return json.dumps(reply)


def live_protocol(**kw: Any) -> OKXProtocol:
    protocol = OKXProtocol([BTC], **kw)
    protocol.connection_made(0)
    protocol.receive(ack(), 1)
    events = protocol.receive(push("snapshot", -1, 10, SNAP_BIDS, SNAP_ASKS), 2)
    assert len(events) == 1
    assert protocol.is_synced(BTC)
    return protocol


def test_connection_made_sends_one_subscribe_per_channel_with_ids() -> None:
    protocol = OKXProtocol([BTC, "ETH-USDT"], trades=True)
    protocol.connection_made(0)
    sent = [json.loads(frame) for frame in protocol.data_to_send()]
    assert [(r["op"], r["args"][0]["channel"], r["args"][0]["instId"]) for r in sent] == [
        ("subscribe", "books", BTC),
        ("subscribe", "trades", BTC),
        ("subscribe", "books", "ETH-USDT"),
        ("subscribe", "trades", "ETH-USDT"),
    ]
    assert len({r["id"] for r in sent}) == 4
    assert protocol.data_to_send() == []


def test_doc_sequence_example_snapshot_update_heartbeat_reset() -> None:
    # OKX docs, "Order book channel / seqId": (-1,10) -> (10,15) -> (15,15) -> (15,3) -> (3,5)
    protocol = live_protocol()
    book = protocol.books[BTC]
    events = protocol.receive(push("update", 10, 15, [lvl("8476.9", "300")]), 3)
    assert [e.seq_id for e in events] == [15]
    assert protocol.receive(push("update", 15, 15), 4) == []  # heartbeat: no book change
    events = protocol.receive(push("update", 15, 3, asks=[lvl("8477.0", "0")]), 5)
    assert [e.seq_id for e in events] == [3]
    events = protocol.receive(push("update", 3, 5, asks=[lvl("8478.0", "1")]), 6)
    assert [e.seq_id for e in events] == [5]
    stats = protocol.stats
    assert (stats.heartbeats, stats.resets, stats.gaps, stats.resyncs) == (1, 1, 0, 0)
    assert protocol.last_seq_id(BTC) == 5
    assert book.bids().tolist() == [[8476.9, 300.0], [8475.5, 101.0]]
    assert book.asks().tolist() == [[8477.3, 85.0], [8478.0, 1.0]]


def test_gap_marks_stale_resubscribes_and_ignores_frames_until_the_new_snapshot() -> None:
    protocol = live_protocol()
    protocol.data_to_send()
    assert protocol.receive(push("update", 11, 12, [lvl("8476.9", "1")]), 3) == []
    assert protocol.stats.gaps == 1
    assert protocol.stats.resyncs == 1
    assert protocol.state(BTC) is BookState.RESYNCING
    ops = [
        (json.loads(f)["op"], json.loads(f)["args"][0]["channel"]) for f in protocol.data_to_send()
    ]
    assert ops == [("unsubscribe", "books"), ("subscribe", "books")]
    # in-flight updates of the old subscription never touch the book
    assert protocol.receive(push("update", 12, 13, [lvl("1.0", "1")]), 4) == []
    assert protocol.receive(push("snapshot", -1, 13, [lvl("1.0", "1")]), 4) == []
    assert protocol.stats.unsynced_dropped == 2
    protocol.receive(ack(), 5)
    assert protocol.state(BTC) is BookState.AWAITING_SNAPSHOT
    events = protocol.receive(push("snapshot", -1, 20, SNAP_BIDS, SNAP_ASKS), 6)
    assert len(events) == 1
    assert events[0].action == "snapshot"
    assert protocol.is_synced(BTC)
    assert protocol.last_seq_id(BTC) == 20


def test_duplicate_update_is_dropped_not_a_gap() -> None:
    protocol = live_protocol()
    update = push("update", 10, 11, [lvl("8476.9", "5")])
    assert len(protocol.receive(update, 3)) == 1
    assert protocol.receive(update, 4) == []
    assert protocol.stats.duplicates == 1
    assert protocol.stats.gaps == 0
    assert protocol.is_synced(BTC)


def test_checksum_verified_when_non_zero_and_mismatch_resyncs() -> None:
    protocol = live_protocol()
    truth = LevelBook()
    truth.replace(SNAP_BIDS, SNAP_ASKS)
    change = [lvl("8476.9", "7")]
    truth.apply(change, [])
    good = push("update", 10, 11, change, checksum=truth.checksum())
    assert len(protocol.receive(good, 3)) == 1
    assert protocol.books[BTC].checksum() == truth.checksum()
    bad = push("update", 11, 12, [lvl("8476.9", "8")], checksum=truth.checksum())
    assert protocol.receive(bad, 4) == []
    assert protocol.stats.checksum_errors == 1
    assert protocol.stats.resyncs == 1
    assert not protocol.is_synced(BTC)


def test_checksum_zero_is_absent() -> None:
    protocol = live_protocol()
    assert len(protocol.receive(push("update", 10, 11, [lvl("8476.9", "7")], checksum=0), 3)) == 1
    assert protocol.stats.checksum_errors == 0


def test_doc_checksum_vectors() -> None:
    # OKX docs "Checksum" examples (values as published with the same books, OKEx v3 docs)
    assert okx_checksum([["3366.1", "7"], ["3366", "6"]], [["3366.8", "9"], ["3368", "8"]]) == (
        -1881014294
    )
    assert okx_checksum([["3366.1", "7"]], [["3366.8", "9"], ["3368", "8"], ["3372", "8"]]) == (
        831078360
    )


def test_garbage_frames_are_counted_never_raised() -> None:
    protocol = live_protocol()
    for frame in ("}{ not json", "[1,2,3]", '{"arg":{"channel":"books"', b"\x00\xff", ""):
        assert protocol.receive(frame, 3) == []
    assert protocol.stats.bad_frames == 5
    assert protocol.is_synced(BTC)


def test_unknown_instrument_error_is_raised_with_its_code() -> None:
    protocol = OKXProtocol([BTC])
    protocol.connection_made(0)
    req_id = json.loads(protocol.data_to_send()[0])["id"]
    error = {
        "id": req_id,
        "event": "error",
        "code": "60018",
        "msg": "Wrong URL or channel:books,instId:NOPE-USDT doesn't exist.",
        "connId": "a4d3ae55",
    }
    with pytest.raises(SubscriptionError) as info:
        protocol.receive(json.dumps(error), 1)
    assert info.value.code == "60018"
    assert info.value.arg == {"channel": "books", "instId": BTC}
    assert "60018" in str(info.value)


def test_doc_error_example_60012_is_fatal(captures: Any) -> None:
    protocol = OKXProtocol([BTC])
    lines = (captures / "okx_v5_doc_examples.ndjson").read_text().splitlines()
    error = next(line for line in lines if '"event":"error"' in line)
    with pytest.raises(SubscriptionError) as info:
        protocol.receive(error, 0)
    assert info.value.code == "60012"


def test_notice_64008_requests_a_reconnect() -> None:
    protocol = live_protocol()
    protocol.receive('{"event":"notice","code":"64008","msg":"upgrade","connId":"a"}', 3)
    assert protocol.reconnect_requested
    assert protocol.stats.notices == 1


def test_snapshot_channels_books5_and_bbo_tbt_doc_examples(captures: Any) -> None:
    lines = (captures / "okx_v5_doc_examples.ndjson").read_text().splitlines()
    for channel, depth in (("books5", 5), ("bbo-tbt", 1)):
        frame = next(line for line in lines if f'"channel":"{channel}"' in line and "data" in line)
        protocol = OKXProtocol(["BCH-USDT-SWAP"], channel)
        protocol.connection_made(0)
        events = protocol.receive(frame, 1)
        assert len(events) == 1
        book = events[0].book
        assert book.n_bids == depth
        assert book.n_asks == depth
        assert book.best_bid == 111.05
        assert book.best_ask == 111.06
        assert protocol.receive(frame, 2) == []  # same seqId again: a duplicate
        assert protocol.stats.duplicates == 1


def rest_body(seq: int, bids: list[list[str]], asks: list[list[str]]) -> str:
    data = {"asks": asks, "bids": bids, "ts": "1597026383085", "seqId": seq}
    return json.dumps({"code": "0", "msg": "", "data": [data]})


def test_rest_bootstrap_aligned_on_seq_id() -> None:
    protocol = OKXProtocol([BTC], bootstrap="auto")
    protocol.connection_made(0)
    protocol.receive(ack(), 1)
    # no WebSocket snapshot: updates arrive straight away and are buffered
    protocol.receive(push("update", 100, 101, [lvl("8476.9", "1")]), 2)
    protocol.receive(push("update", 101, 102, [lvl("8476.8", "2")]), 3)
    assert protocol.state(BTC) is BookState.AWAITING_REST
    assert protocol.rest_requests() == [BTC]
    # a REST book older than the first buffered prevSeqId is fetched again
    assert protocol.receive_rest_snapshot(BTC, rest_body(99, SNAP_BIDS, SNAP_ASKS), 4) == []
    assert protocol.rest_requests() == [BTC]
    protocol.receive(push("update", 102, 103, [lvl("8476.7", "3")]), 5)
    # REST book at 101: drop 101, apply 102 (prev 101 <= 101 < 102) and 103
    events = protocol.receive_rest_snapshot(BTC, rest_body(101, SNAP_BIDS, SNAP_ASKS), 6)
    assert len(events) == 1
    assert events[0].action == "rest"
    assert protocol.is_synced(BTC)
    assert protocol.last_seq_id(BTC) == 103
    bids = protocol.books[BTC].bids().tolist()
    assert bids == [[8476.9, 256.0], [8476.8, 2.0], [8476.7, 3.0], [8475.5, 101.0]]
    assert protocol.stats.rest_snapshots == 1
    assert len(protocol.receive(push("update", 103, 104, [lvl("8476.9", "9")]), 7)) == 1


def test_rest_bootstrap_detects_a_hole_after_the_snapshot() -> None:
    protocol = OKXProtocol([BTC], bootstrap="rest")
    protocol.connection_made(0)
    protocol.receive(ack(), 1)
    assert protocol.receive(push("snapshot", -1, 100, SNAP_BIDS, SNAP_ASKS), 2) == []  # ignored
    protocol.receive(push("update", 100, 101, [lvl("8476.9", "1")]), 3)
    protocol.receive(push("update", 104, 105, [lvl("8476.9", "1")]), 4)
    protocol.data_to_send()
    assert protocol.receive_rest_snapshot(BTC, rest_body(102, SNAP_BIDS, SNAP_ASKS), 5) == []
    assert protocol.stats.gaps == 1
    assert protocol.state(BTC) is BookState.RESYNCING


def test_trades_convert_swap_contracts_to_base_units() -> None:
    swap = Instrument.from_okx(
        {
            "instId": "BTC-USDT-SWAP",
            "instType": "SWAP",
            "tickSz": "0.1",
            "lotSz": "0.01",
            "minSz": "0.01",
            "ctVal": "0.01",
            "ctMult": "1",
            "ctValCcy": "BTC",
            "ctType": "linear",
        }
    )
    protocol = OKXProtocol(["BTC-USDT-SWAP"], trades=True, instruments={"BTC-USDT-SWAP": swap})
    frame = json.dumps(
        {
            "arg": {"channel": "trades", "instId": "BTC-USDT-SWAP"},
            "data": [
                {
                    "instId": "BTC-USDT-SWAP",
                    "tradeId": "1",
                    "px": "42219.9",
                    "sz": "250",
                    "side": "buy",
                    "ts": "1630048897897",
                    "count": "3",
                    "source": "0",
                }
            ],
        }
    )
    (event,) = protocol.receive(frame, 5)
    assert isinstance(event, TradeEvent)
    assert event.contracts == 250
    assert event.size == pytest.approx(2.5)
    assert event.exch_ts == 1630048897897_000_000
    assert event.local_ts == 5


def test_instruments_bundled_and_conversions() -> None:
    from tradecost.feeds.okx import bundled_instrument

    spot = bundled_instrument("BTC-USDT")
    assert spot.tick_size == Decimal("0.1")
    assert spot.lot_size == Decimal("0.00000001")
    assert spot.to_base(0.5) == 0.5
    assert not spot.is_contract
    swap = bundled_instrument("BTC-USDT-SWAP")
    assert swap.ct_val == Decimal("0.01")
    assert swap.ct_val_ccy == "BTC"
    assert swap.to_base(100) == pytest.approx(1.0)
    assert swap.from_base(1.0) == pytest.approx(100)
    inverse = bundled_instrument("BTC-USD-SWAP")
    assert inverse.is_inverse
    assert inverse.ct_val == Decimal("100")
    assert inverse.to_base(10, price=50_000.0) == pytest.approx(0.02)
    with pytest.raises(InvalidInputError):
        inverse.to_base(10)
    with pytest.raises(InvalidInputError):
        bundled_instrument("NOPE-USDT")


def test_login_request_signature() -> None:
    frame = json.loads(login_request("key", "secret", "pass", "1538054050"))
    expected = base64.b64encode(
        hmac.new(b"secret", b"1538054050GET/users/self/verify", hashlib.sha256).digest()
    ).decode()
    assert frame == {
        "op": "login",
        "args": [
            {"apiKey": "key", "passphrase": "pass", "timestamp": "1538054050", "sign": expected}
        ],
    }


def test_relay_frames_both_timestamp_forms() -> None:
    assert parse_relay_timestamp("2025-05-04T10:39:13Z") == 1746355153 * 10**9
    assert parse_relay_timestamp("2025-12-03T04:09:08.823824+00:00") == (
        1764734948 * 10**9 + 823_824_000
    )
    frame = (
        '{"timestamp":"2025-05-04T10:39:13Z","exchange":"OKX","symbol":"BTC-USDT-SWAP",'
        '"asks":[["95445.5","9.06"],["95446","1"]],"bids":[["95445.4","1104.23"]]}'
    )
    snapshot = parse_relay_frame(frame)
    assert snapshot is not None
    assert snapshot.symbol == "BTC-USDT-SWAP"
    assert parse_relay_frame('{"arg":{}}') is None
    protocol = OKXProtocol(["BTC-USDT-SWAP"], relay=True)
    protocol.connection_made(0)
    assert protocol.data_to_send() == []  # a relay needs no subscribe
    (event,) = protocol.receive(frame, 9)
    assert isinstance(event, BookEvent)
    assert event.exch_ts == 1746355153 * 10**9
    assert event.book.best_bid == 95445.4
    assert event.book.n_asks == 2


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("okx_2022-05-13_books_BTC-USDT.ndjson", "books"),
        ("okx_2022-05-13_books_UNI-USD-SWAP.ndjson", "books"),
        ("okx_2022-05-13_books_BTC-USD-220527.ndjson", "books"),
        ("okx_2022-02-27_books-l2-tbt_ELON-USDT.ndjson", "books-l2-tbt"),
        ("okx_2022-02-27_books-l2-tbt_PROPS-ETH.ndjson", "books-l2-tbt"),
    ],
)
def test_real_captures_every_checksum_verifies(captures: Any, name: str, channel: str) -> None:
    lines = (captures / name).read_text().splitlines()
    inst_id = json.loads(lines[0])["arg"]["instId"]
    places = max(len(row[0].partition(".")[2]) for row in json.loads(lines[0])["data"][0]["bids"])
    tick = Decimal(1).scaleb(-places)
    instrument = Instrument(inst_id, "SPOT", tick, Decimal("1e-8"), Decimal(0))
    protocol = OKXProtocol([inst_id], channel, instruments={inst_id: instrument})
    protocol.connection_made(0)
    checked = 0
    for line in lines:
        protocol.receive(line, 0)
        checked += json.loads(line)["data"][0]["checksum"] != 0
    assert checked == len(lines)
    assert protocol.stats.checksum_errors == 0
    assert protocol.stats.resyncs == 0
    assert protocol.is_synced(inst_id)
    # the same stream with one size altered is caught by the checksum
    protocol = OKXProtocol([inst_id], channel, instruments={inst_id: instrument})
    protocol.connection_made(0)
    protocol.receive(lines[0], 0)
    update = json.loads(lines[1])
    side = "bids" if update["data"][0]["bids"] else "asks"
    update["data"][0][side][0][1] = "12345"
    protocol.receive(json.dumps(update, separators=(",", ":")), 0)
    assert protocol.stats.checksum_errors == 1
    assert not protocol.is_synced(inst_id)
