"""Trades into the store: every accepted form, idempotence, and bad input refused whole."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tradecost.errors import (
    InvalidInputError,
    InvalidTradeError,
    StoreError,
    TradecostError,
)
from tradecost.feeds.okx.protocol import TradeEvent
from tradecost.store import TickStore

from .conftest import T0
from .oracle import resample_bars


def capture_trades(folder: Path) -> list[TradeEvent]:
    """Trades of the real OKX capture raw/OKX.ws.1.0, decoded by the protocol core."""
    from tradecost.feeds.okx import OKXProtocol, bundled_instruments
    from tradecost.record import timed_frames

    path = folder / "raw" / "OKX.ws.1.0"
    if not path.is_file():
        return []
    known = bundled_instruments()
    ids = [i for i in ("BTC-USDT", "UNI-USD-SWAP", "BTC-USD-220527") if i in known]
    protocol = OKXProtocol(ids, "books", trades=True, instruments={i: known[i] for i in ids})
    out: list[TradeEvent] = []
    for ts, frame in timed_frames(path):
        out += [e for e in protocol.receive(frame, ts) if isinstance(e, TradeEvent)]
    return out


def rows(n: int, start: int = 0, prefix: str = "") -> list[tuple[int, float, float, str, str]]:
    return [
        (
            T0 + i * 1_000_000,
            100.0 + (i % 7),
            0.1 + (i % 3),
            "buy" if i % 2 else "sell",
            f"{prefix}{i}",
        )
        for i in range(start, start + n)
    ]


def test_top_level_export_is_lazy():
    assert tc.TickStore is TickStore


def test_rows_round_trip(store: TickStore):
    given = rows(500)
    assert store.append_trades("okx", "BTC-USDT", given) == 500
    got = store.trades("BTC-USDT")
    assert list(got.columns) == ["ts_ns", "price", "size", "side", "trade_id", "exchange"]
    assert got["ts_ns"].dtype == np.int64
    assert list(got.itertuples(index=False, name=None)) == [(*r, "okx") for r in given]


def test_replays_are_stored_once(store: TickStore):
    store.append_trades("okx", "BTC-USDT", rows(100))
    store.append_trades("okx", "BTC-USDT", rows(100, start=50))  # a reconnect replays 50
    store.append_trades("okx", "BTC-USDT", rows(100))  # and everything again
    changed = [(ts, 999.0, 9.0, side, tid) for ts, _, _, side, tid in rows(10)]
    store.append_trades("okx", "BTC-USDT", changed)  # the first copy wins
    got = store.trades("BTC-USDT")
    assert len(got) == 150
    assert got["trade_id"].is_unique
    assert (got["price"] < 999).all()
    store.append_trades("binance", "BTC-USDT", rows(10))  # same ids elsewhere are other trades
    assert len(store.trades("BTC-USDT")) == 160
    assert len(store.trades("BTC-USDT", exchange="binance")) == 10


def test_a_batch_with_repeated_ids_keeps_the_first(store: TickStore):
    store.append_trades(
        "okx", "BTC-USDT", [(T0, 1.0, 1.0, "buy", "7"), (T0 + 1, 2.0, 2.0, "sell", "7")]
    )
    assert store.trades("BTC-USDT")[["price", "side"]].values.tolist() == [[1.0, "buy"]]


def test_okx_trade_events(store: TickStore):
    events = [
        TradeEvent("BTC-USDT", str(i), 100.0 + i, 0.5, "sell", T0 + i, T0 + i + 5, 0.5)
        for i in range(20)
    ]
    store.append_trades("okx", "BTC-USDT", events)
    got = store.trades("BTC-USDT")
    assert got["trade_id"].tolist() == [str(i) for i in range(20)]
    assert got["ts_ns"].tolist() == [e.exch_ts for e in events]


def test_any_event_with_the_attributes(store: TickStore):
    @dataclass
    class VenueTrade:  # the venue-neutral event: same attributes, another class
        inst_id: str
        price: float
        size: float
        side: str
        trade_id: str
        exch_ts: int
        local_ts: int

    store.append_trades("binance", "BTCUSDT", [VenueTrade("BTCUSDT", 5.0, 1.0, "buy", "1", T0, T0)])
    assert store.trades("BTCUSDT")["price"].tolist() == [5.0]


def test_a_dataframe_and_integer_ids(store: TickStore):
    frame = pd.DataFrame(rows(5))
    frame.columns = ["ts_ns", "price", "size", "side", "trade_id"]
    frame["trade_id"] = range(1000, 1005)
    store.append_trades("okx", "BTC-USDT", frame)
    assert store.trades("BTC-USDT")["trade_id"].tolist() == [str(i) for i in range(1000, 1005)]


def test_an_event_of_another_symbol_is_refused(store: TickStore):
    event = TradeEvent("ETH-USDT", "1", 1.0, 1.0, "buy", T0, T0, 1.0)
    with pytest.raises(InvalidTradeError, match="ETH-USDT"):
        store.append_trades("okx", "BTC-USDT", [event])


BAD = [
    ((T0, math.nan, 1.0, "buy", "x"), "price"),
    ((T0, -1.0, 1.0, "buy", "x"), "price"),
    ((T0, 0.0, 1.0, "buy", "x"), "price"),
    ((T0, math.inf, 1.0, "buy", "x"), "price"),
    ((T0, "abc", 1.0, "buy", "x"), "price"),
    ((T0, 1.0, math.nan, "buy", "x"), "size"),
    ((T0, 1.0, -2.0, "buy", "x"), "size"),
    ((T0, 1.0, 0.0, "buy", "x"), "size"),
    ((T0, 1.0, 1.0, "long", "x"), "side"),
    ((T0, 1.0, 1.0, None, "x"), "side"),
    ((float(T0), 1.0, 1.0, "buy", "x"), "ts_ns"),
    ((-5, 1.0, 1.0, "buy", "x"), "ts_ns"),
    ((2**64, 1.0, 1.0, "buy", "x"), "ts_ns"),
    ((T0, 1.0, 1.0, "buy", ""), "trade_id"),
    ((T0, 1.0, 1.0, "buy", None), "trade_id"),
    ((T0, 1.0, 1.0, "buy"), "row"),
]


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_bad_trades_refuse_the_whole_batch(store: TickStore, bad, what):
    store.append_trades("okx", "BTC-USDT", rows(3, prefix="ok"))
    batch = [*rows(5, start=10), bad, *rows(5, start=20)]
    with pytest.raises(InvalidTradeError, match=what) as raised:
        store.append_trades("okx", "BTC-USDT", batch)
    assert isinstance(raised.value, TradecostError)
    assert isinstance(raised.value, ValueError)
    assert "row 5" in str(raised.value) or what == "ts_ns"
    assert store.trades("BTC-USDT")["trade_id"].tolist() == ["ok0", "ok1", "ok2"]


@pytest.mark.parametrize("bad", ["BTC", 42, None, [1, 2, 3]])
def test_not_trades_at_all(store: TickStore, bad):
    with pytest.raises(InvalidTradeError):
        store.append_trades("okx", "BTC-USDT", bad)


@pytest.mark.parametrize(("exchange", "symbol"), [("", "BTC-USDT"), ("okx", ""), ("okx", None)])
def test_names_must_be_given(store: TickStore, exchange, symbol):
    with pytest.raises(InvalidInputError):
        store.append_trades(exchange, symbol, rows(1))


def test_reopen_continues_the_arrival_order(store_path: Path):
    with TickStore(store_path) as store:
        store.append_trades("okx", "BTC-USDT", [(T0, 1.0, 1.0, "buy", "a")])
    with TickStore(store_path) as store:
        store.append_trades("okx", "BTC-USDT", [(T0, 2.0, 1.0, "buy", "b")])  # same ns, later
        bar = store.bars("BTC-USDT", "1s").iloc[0]
    assert (bar.open, bar.close) == (1.0, 2.0)


def test_schema_has_its_indexes(store: TickStore, store_path: Path):
    store.append_trades("okx", "BTC-USDT", rows(1))
    store.flush()
    connection = sqlite3.connect(store_path)
    try:
        indexes = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert {"trades_trade_id", "books_time", "estimates_time"} <= indexes
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        plan = " ".join(
            str(r[-1])
            for r in connection.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM trades WHERE instrument_id = 1 AND ts_ns >= 5"
            )
        )
        assert "SCAN" not in plan  # a range search on the clustered key, not a table scan
    finally:
        connection.close()


def test_not_a_store(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        TickStore(junk)
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match="not a tradecost tick store"):
        TickStore(other)
    with pytest.raises(StoreError, match="no store"):
        TickStore(tmp_path / "missing.db", read_only=True)


def test_closed_and_read_only(store_path: Path):
    store = TickStore(store_path)
    store.append_trades("okx", "BTC-USDT", rows(3))
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        store.append_trades("okx", "BTC-USDT", rows(3))
    with pytest.raises(StoreError, match="closed"):
        store.trades("BTC-USDT")
    with TickStore(store_path, read_only=True) as reader:
        assert len(reader.trades("BTC-USDT")) == 3
        with pytest.raises(StoreError, match="read-only"):
            reader.append_trades("okx", "BTC-USDT", rows(3, start=5))


def test_memory_store():
    with TickStore(":memory:") as store:
        store.append_trades("okx", "BTC-USDT", rows(50))
        assert len(store.trades("BTC-USDT")) == 50
        assert store.integrity_check() == "ok"


def test_commits_in_batches(store_path: Path):
    with TickStore(store_path, batch_rows=1_000, max_delay_s=60.0) as store:
        for i in range(10):
            store.append_trades("okx", "BTC-USDT", rows(500, start=500 * i))
        store.flush()
        writer = store._writer
        assert writer is not None
        assert writer.rows_committed == 5_000
        assert writer.commits <= 6  # every 1,000 rows (and the flush), not one per append


def test_the_sqlite_version_is_checked(store: TickStore, caplog):
    import logging

    from tradecost.store import has_wal_reset_bug

    assert has_wal_reset_bug((3, 7, 0)) and has_wal_reset_bug((3, 51, 2))
    assert not has_wal_reset_bug((3, 51, 3)) and not has_wal_reset_bug((3, 6, 23))
    assert store.wal_reset_bug == has_wal_reset_bug()
    with caplog.at_level(logging.INFO, logger="tradecost.store"):
        TickStore(":memory:").close()
    if store.wal_reset_bug:
        assert "WAL-reset bug" in caplog.text


def test_bars_of_the_real_capture_trades(okx_captures: Path, tmp_path: Path):
    trades = capture_trades(okx_captures)
    if not trades:
        pytest.skip("raw/OKX.ws.1.0 not in the captures")
    with TickStore(tmp_path / "c.db") as store:
        for symbol in sorted({t.inst_id for t in trades}):
            mine = [t for t in trades if t.inst_id == symbol]
            store.append_trades("okx", symbol, mine)
            want = resample_bars(
                [(t.exch_ts, t.price, t.size, t.side, t.trade_id) for t in mine], 10**9
            )
            got = store.bars(symbol, "1s")
            assert len(got) == len(want) > 0
            np.testing.assert_array_equal(got["close"], want["close"])
            np.testing.assert_allclose(got["volume"], want["volume"], rtol=1e-12)


def test_one_writer_per_file(store_path: Path):
    with TickStore(store_path) as store:
        store.append_trades("okx", "BTC-USDT", rows(3))
        with pytest.raises(StoreError, match="another TickStore"):
            TickStore(store_path)
        with TickStore(store_path, read_only=True) as reader:  # reading is fine
            store.flush()  # the reader sees committed data only
            assert len(reader.trades("BTC-USDT")) == 3
    with TickStore(store_path) as again:  # the lock goes with the writer
        assert len(again.trades("BTC-USDT")) == 3


def test_a_store_left_open_commits_at_exit(tmp_path: Path):
    import subprocess
    import sys

    path = tmp_path / "t.db"
    program = (
        "import sys; from tradecost.store import TickStore\n"
        "store = TickStore(sys.argv[1], max_delay_s=3600, batch_rows=10**9)\n"
        "store.append_trades('okx', 'BTC-USDT', [(5, 1.0, 1.0, 'buy', str(i)) for i in range(100)])\n"
    )
    subprocess.run([sys.executable, "-c", program, str(path)], check=True, timeout=120)
    with TickStore(path, read_only=True) as store:
        assert len(store.trades("BTC-USDT")) == 100


def test_a_folder_that_does_not_exist(tmp_path: Path):
    with pytest.raises(StoreError, match="cannot be opened"):
        TickStore(tmp_path / "no" / "such" / "folder" / "t.db")


@given(
    order=st.lists(st.integers(0, 59), min_size=1, max_size=200),
    chunk=st.integers(1, 40),
)
def test_any_replay_stores_each_trade_once(order, chunk):
    """Trades appended in any order, any number of times, in any grouping: stored once each,
    with the first copy's values."""
    universe = rows(60)
    sent = []
    for position, index in enumerate(order):
        ts, price, size, side, tid = universe[index]
        sent.append((ts, price + position, size, side, tid))  # later copies differ
    first = {}
    for row in sent:
        first.setdefault(row[4], row)
    with TickStore(":memory:") as store:
        for start in range(0, len(sent), chunk):
            store.append_trades("okx", "BTC-USDT", sent[start : start + chunk])
        got = store.trades("BTC-USDT")
    assert sorted(got["trade_id"]) == sorted(first)
    by_id = {r.trade_id: r for r in got.itertuples()}
    for tid, row in first.items():
        assert (by_id[tid].ts_ns, by_id[tid].price) == (row[0], row[1])
