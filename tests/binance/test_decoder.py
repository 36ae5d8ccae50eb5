"""The compiled Binance depth decoder: message kinds, errors, atomic apply, a Hypothesis property
against the pure-Python reference book, and a fuzz test of mutated real-looking frames."""

from __future__ import annotations

import json
import os
import random
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tests.binance.frames import depth_event, snapshot_body
from tests.binance.reference import ReferenceBook
from tradecost.errors import MalformedMessageError, TradecostError
from tradecost.feeds.binance._depth import DepthMessage

SPOT = (
    b'{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512068,'
    b'"s":"NKNUSDT","U":499869750,"u":499869752,"b":[["0.35130000","6195.00000000"],'
    b'["0.34750000","5548.00000000"]],"a":[["0.35290000","0.00000000"]]}}'
)
FUTURES = (
    b'{"e":"depthUpdate","E":1626992741037,"T":1626992741024,"s":"SUSHIUSDT",'
    b'"U":600859599090,"u":600859600917,"pu":600859598061,'
    b'"b":[["7.5040","813"],["7.6090","0"],["7.6110","2"]],"a":[["7.6150","1563"]]}'
)


def test_spot_event_fields():
    msg = DepthMessage().decode(SPOT)
    assert (msg.kind, msg.symbol) == ("depth", "NKNUSDT")
    assert (msg.first_update_id, msg.final_update_id) == (499869750, 499869752)
    assert msg.prev_final_update_id is None and msg.event_time_ms == 1633998512068
    np.testing.assert_array_equal(msg.bids(), [[0.3513, 6195.0], [0.3475, 5548.0]])
    np.testing.assert_array_equal(msg.asks(), [[0.3529, 0.0]])


def test_futures_event_fields():
    msg = DepthMessage().decode(FUTURES.decode())  # str works too
    assert msg.prev_final_update_id == 600859598061 and msg.transaction_time_ms == 1626992741024
    assert (msg.n_bids, msg.n_asks) == (3, 1)


def test_snapshot_and_other_kinds():
    msg = DepthMessage()
    assert msg.decode(snapshot_body(7, [("1.0", "2")], [("1.1", "3")], event_ms=9)).kind == (
        "snapshot"
    )
    assert msg.final_update_id == 7 and msg.symbol == "" and msg.event_time_ms == 9
    for other in (
        b'{"result":null,"id":1}',
        b'{"e":"serverShutdown","E":1}',
        b'{"stream":"x@bookTicker","data":{"u":1,"s":"X","b":"1.0","B":"2","a":"1.1","A":"3"}}',
        b'{"stream":"x@trade","data":{"e":"trade","E":1,"s":"X","t":5,"p":"1","q":"2","T":1,'
        b'"m":true,"M":true}}',
        b'{"e":"kline","E":1,"s":"X","k":{"t":1,"T":2,"s":"X","i":"1m"}}',
    ):
        assert msg.decode(other).kind == "other", other
        assert msg.n_bids == msg.n_asks == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "expected a JSON object"),
        (b"[]", "expected a JSON object"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[]}', "needs 's', 'U', 'u', 'b' and 'a'"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["0","1"]],"a":[]}', "positive decimal"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["1","-1"]],"a":[]}', "non-negative"),
        (b'{"e":"depthUpdate","s":"X","U":"x","u":2,"b":[],"a":[]}', "integer"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[],"a":[]} x', "after the message"),
        (b'{"lastUpdateId":1,"bids":[]}', "needs 'lastUpdateId', 'bids' and 'asks'"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[],"b":[],"a":[]}', "twice"),
        (b'{"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["1","1"],"a":[]}', "must be an array"),
    ],
)
def test_malformed_messages_name_the_problem(raw: bytes, reason: str):
    msg = DepthMessage()
    with pytest.raises(MalformedMessageError, match="malformed Binance message") as info:
        msg.decode(raw)
    assert reason in str(info.value)
    assert msg.kind == ""
    with pytest.raises(MalformedMessageError):
        msg.apply(tc.OrderBook("0.1"))


def test_a_bad_escape_in_the_symbol_fails_every_time():
    msg = DepthMessage()
    good = b'{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}'
    msg.decode(good)
    bad = good.replace(b"BTCUSDT", b"ETH\\q")
    for _ in range(2):
        with pytest.raises(MalformedMessageError, match="bad escape"):
            msg.decode(bad)
    escaped = good.replace(b"BTCUSDT", b"ETH\\u0055SDT")
    assert msg.decode(escaped).symbol == "ETHUSDT"


def test_apply_is_atomic_and_checks_the_symbol():
    book = tc.OrderBook("0.0001", inst_id="SUSHIUSDT")
    msg = DepthMessage()
    msg.decode(snapshot_body(1, [("7.6110", "5")], [("7.6150", "1")])).apply(book)
    before = (book.bids().tolist(), book.asks().tolist())
    off_grid = depth_event("SUSHIUSDT", 2, 2, [("7.5000", "1"), ("7.50005", "1")], prev_id=1)
    with pytest.raises(tc.OffGridPriceError):
        msg.apply_message(book, off_grid)
    assert (book.bids().tolist(), book.asks().tolist()) == before
    with pytest.raises(tc.InvalidInputError, match="cannot be applied"):
        msg.apply_message(book, depth_event("ETHUSDT", 2, 2, [("7.5", "1")]))
    assert (book.bids().tolist(), book.asks().tolist()) == before
    msg.apply_message(book, FUTURES)
    assert book.bids().tolist() == [[7.611, 2.0], [7.504, 813.0]]


# --------------------------------------------------------------------------- property

PRICES = st.integers(min_value=1, max_value=40)
QUANTITIES = st.sampled_from(["0", "0.00000000", "1", "2.5", "0.00100000", "17.25"])
LEVELS = st.lists(st.tuples(PRICES, QUANTITIES), max_size=8)
#: A REST snapshot lists each price once, with a positive quantity.
SNAPSHOT_LEVELS = st.lists(
    st.tuples(PRICES, st.sampled_from(["1", "2.5", "0.00100000", "17.25"])),
    max_size=8,
    unique_by=lambda level: level[0],
)


def _text(tick: int) -> str:
    return f"{Decimal(tick) / 100:.8f}" if tick % 2 else f"{Decimal(tick) / 100}"


@given(
    snapshot=st.tuples(SNAPSHOT_LEVELS, SNAPSHOT_LEVELS),
    updates=st.lists(st.tuples(LEVELS, LEVELS), max_size=25),
    wrap=st.booleans(),
)
def test_decode_apply_matches_the_reference_book(snapshot, updates, wrap):
    """Bids and asks on one grid (they may cross: the book does not judge, it records)."""
    book = tc.OrderBook("0.01", inst_id="BTCUSDT")
    reference = ReferenceBook()
    msg = DepthMessage()

    def rows(levels: list[tuple[int, str]]) -> list[tuple[str, str]]:
        return [(_text(p), q) for p, q in levels]

    bids, asks = rows(snapshot[0]), rows(snapshot[1])
    msg.apply_message(book, snapshot_body(1, bids, asks))
    reference.snapshot([list(r) for r in bids], [list(r) for r in asks])
    for index, (b, a) in enumerate(updates):
        bids, asks = rows(b), rows(a)
        msg.apply_message(book, depth_event("BTCUSDT", index + 2, index + 2, bids, asks, wrap=wrap))
        reference.update([list(r) for r in bids], [list(r) for r in asks])
        ref_bids, ref_asks = reference.levels()
        np.testing.assert_array_equal(book.bids(), np.array(ref_bids).reshape(-1, 2))
        np.testing.assert_array_equal(book.asks(), np.array(ref_asks).reshape(-1, 2))


# --------------------------------------------------------------------------- fuzz

#: 50k frames by default; ``TRADECOST_FUZZ_FRAMES=1000000`` (on a ``TRADECOST_DEBUG=1`` build) for
#: the long run.
FUZZ_FRAMES = int(os.environ.get("TRADECOST_FUZZ_FRAMES", "50000"))


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        action = rng.random()
        at = rng.randrange(len(data) + 1)
        if action < 0.35 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif action < 0.55 and data:
            del data[min(at, len(data) - 1) : min(at + rng.randint(1, 8), len(data))]
        elif action < 0.75:
            data[at:at] = rng.choice(
                [b'"', b",", b"[", b"]", b"{", b"}", b"-", b".", b"e", b"0", b"9", b"\\", b"\x00"]
            )
        elif action < 0.9 and data:
            end = min(len(data), at + rng.randint(1, 16))
            data[at:at] = data[at:end]
        else:
            data = data[:at]
    return bytes(data)


def test_fuzzed_frames_never_crash_and_never_half_apply():
    """Mutated spot and futures frames: decode+apply either succeeds (and then agrees with the
    reference book fed the same frame through ``json``) or raises a TradecostError and leaves
    the book exactly as it was."""
    rng = random.Random(20261127)
    seeds = [SPOT, FUTURES, snapshot_body(5, [("7.6110", "5")], [("7.6150", "1")])]
    book = tc.OrderBook("0.00000001", inst_id="NKNUSDT")
    msg = DepthMessage()
    errors = applied = others = 0
    for _ in range(FUZZ_FRAMES):
        frame = _mutate(rng, rng.choice(seeds))
        book.apply_snapshot([["0.35", "1"], ["7.5", "2"]], [["0.36", "1"], ["7.7", "3"]])
        before = (book.bids().tobytes(), book.asks().tobytes())
        try:
            msg.decode(frame)
            if msg.kind not in ("depth", "snapshot"):
                others += 1
                continue
            msg.apply(book)
        except TradecostError:
            errors += 1
            assert (book.bids().tobytes(), book.asks().tobytes()) == before
            continue
        applied += 1
        _check_against_json(frame, msg.kind, book)
    assert errors > FUZZ_FRAMES // 4 and applied > 100 and others > 100


def _check_against_json(frame: bytes, kind: str, book: tc.OrderBook) -> None:
    try:
        document = json.loads(frame)
        data = document["data"] if "data" in document and "stream" in document else document
        bids = data["b" if kind == "depth" else "bids"]
        asks = data["a" if kind == "depth" else "asks"]
        reference = ReferenceBook()
        if kind == "depth":
            reference.snapshot([["0.35", "1"], ["7.5", "2"]], [["0.36", "1"], ["7.7", "3"]])
            reference.update([r[:2] for r in bids], [r[:2] for r in asks])
        else:
            reference.snapshot([r[:2] for r in bids], [r[:2] for r in asks])
        ref_bids, ref_asks = reference.levels()
    except Exception:  # json's reading differs (e.g. duplicate keys); the decoder was stricter
        return
    np.testing.assert_array_equal(book.bids(), np.array(ref_bids).reshape(-1, 2))
    np.testing.assert_array_equal(book.asks(), np.array(ref_asks).reshape(-1, 2))
