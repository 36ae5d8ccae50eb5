"""CSV and Parquet export of bars and trades, and checked CSV import of OHLC bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradecost.errors import InvalidInputError, MalformedBarsError
from tradecost.store import TickStore

from .conftest import T0
from .oracle import assert_bars_equal

MINUTE = 60 * 10**9


def fill(store: TickStore, n: int = 2_000) -> list[tuple[int, float, float, str, str]]:
    rng = np.random.default_rng(3)
    ts = T0 + np.cumsum(rng.integers(0, 2 * 10**9, n))
    price = np.round(100 + np.cumsum(rng.normal(0, 0.05, n)), 2)
    size = np.round(rng.exponential(0.3, n) + 1e-4, 4)
    rows = [
        (int(t), float(p), float(s), "buy" if i % 3 else "sell", f"id{i}")
        for i, (t, p, s) in enumerate(zip(ts, price, size, strict=True))
    ]
    store.append_trades("okx", "BTC-USDT", rows)
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_bars_round_trip(store: TickStore, tmp_path: Path, suffix: str):
    fill(store)
    bars = store.bars("BTC-USDT", "1m")
    path = store.export_bars(tmp_path / f"bars{suffix}", "BTC-USDT", "1m")
    back = pd.read_csv(path, index_col="ts_ns") if suffix == ".csv" else pd.read_parquet(path)
    assert back.index.name == "ts_ns"
    assert_bars_equal(back, bars)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_trades_round_trip(store: TickStore, tmp_path: Path, suffix: str):
    rows = fill(store)
    path = store.export_trades(tmp_path / f"trades{suffix}", "BTC-USDT")
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"trade_id": str})
    else:
        back = pd.read_parquet(path).reset_index()
    want = sorted(rows, key=lambda r: r[0])
    assert back["ts_ns"].tolist() == [r[0] for r in want]
    assert back["price"].tolist() == [r[1] for r in want]
    assert back["size"].tolist() == [r[2] for r in want]
    assert back["side"].tolist() == [r[3] for r in want]
    assert back["trade_id"].tolist() == [r[4] for r in want]


def test_export_needs_a_known_format(store: TickStore, tmp_path: Path):
    fill(store, 10)
    with pytest.raises(InvalidInputError, match="CSV or Parquet"):
        store.export_bars(tmp_path / "bars.xlsx", "BTC-USDT")


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD = """time,open,high,low,close,volume
2026-01-01T00:00:00Z,100,101,99,100.5,10
2026-01-01T00:01:00Z,100.5,102,100,101,5
2026-01-01T00:02:00Z,101,101,97,98,7
2026-01-01T00:05:00Z,98,99,98,99,1
"""


def test_import_then_bars(store: TickStore, tmp_path: Path):
    assert store.import_bars("MYCOIN", write_csv(tmp_path / "b.csv", GOOD)) == 4
    one = store.bars("MYCOIN", "1m")
    assert one.index.tolist() == [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 5 * MINUTE]
    assert one["close"].tolist() == [100.5, 101, 98, 99]
    assert one["volume"].tolist() == [10, 5, 7, 1]
    assert one["vwap"].isna().all()  # no notional in the file: no VWAP, not a guess
    # three-minute bars against pandas' own resample of the file
    source = pd.read_csv(tmp_path / "b.csv", parse_dates=["time"]).set_index("time")
    want = source.resample("3min", origin="epoch").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    want = want.dropna(subset=["open"])
    three = store.bars("MYCOIN", "3m")
    assert three.index.tolist() == want.index.as_unit("ns").asi8.tolist()
    for name in ("open", "high", "low", "close", "volume"):
        assert three[name].tolist() == want[name].tolist(), name
    with pytest.raises(InvalidInputError, match="multiple"):
        store.bars("MYCOIN", "30s")
    with pytest.raises(InvalidInputError, match="multiple"):
        store.bars("MYCOIN", "90s")


def test_import_epoch_columns_and_reimport(store: TickStore, tmp_path: Path):
    text = "TS_MS, Open, High, Low, Close, Volume, Notional, Trades\n"
    for i in range(5):
        text += (
            f"{T0 // 10**6 + i * 1000},{10 + i},{11 + i},{9 + i},{10.5 + i},2,{21 + i},{3 + i}\n"
        )
    path = write_csv(tmp_path / "s.csv", text)
    store.import_bars("X", path, exchange="mine")
    store.import_bars("X", path, exchange="mine")  # again: replaced, not doubled
    bars = store.bars("X", "5s", exchange="mine")
    assert len(bars) == 1
    bar = bars.iloc[0]
    assert (bar.open, bar.high, bar.low, bar.close) == (10, 15, 9, 14.5)
    assert (bar.volume, bar.notional, bar.trades) == (10, 115, 25)
    assert bar.vwap == 11.5


BAD = [
    ("time,open,high,low\n2026-01-01,1,1,1\n", "missing column"),
    ("open,high,low,close\n1,1,1,1\n", "time column"),
    ("time,ts_ns,open,high,low,close\n2026-01-01,1,1,1,1,1\n", "exactly one time column"),
    ("time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,x\n2026-01-01T00:01Z,1,2,1,1\n", "close"),
    ("time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,nan\n2026-01-01T00:01Z,1,2,1,1\n", "close"),
    ("time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,\n2026-01-01T00:01Z,1,2,1,1\n", "close"),
    (
        "time,open,high,low,close\n2026-01-01T00:00Z,-1,2,-2,1\n2026-01-01T00:01Z,1,2,1,1\n",
        "greater",
    ),
    ("time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,1\nyesterday,1,2,1,1\n", "ISO 8601"),
    (
        "time,open,high,low,close\n2026-01-01T00:01Z,1,2,1,1\n2026-01-01T00:00Z,1,2,1,1\n",
        "increase",
    ),
    (
        "time,open,high,low,close\n2026-01-01T00:01Z,1,2,1,1\n2026-01-01T00:01Z,1,2,1,1\n",
        "increase",
    ),
    (
        "time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,3\n2026-01-01T00:01Z,1,2,1,1\n",
        "impossible",
    ),
    (
        "time,open,high,low,close\n2026-01-01T00:00Z,1,2,1.5,1\n2026-01-01T00:01Z,1,2,1,1\n",
        "impossible",
    ),
    (
        "time,open,high,low,close,volume\n2026-01-01T00:00Z,1,2,1,1,-3\n2026-01-01T00:01Z,1,2,1,1,1\n",
        "negative",
    ),
    (
        "time,open,high,low,close,trades\n2026-01-01T00:00Z,1,2,1,1,2.5\n2026-01-01T00:01Z,1,2,1,1,1\n",
        "whole",
    ),
    (
        "time,open,high,low,close\n2026-01-01T00:00:30Z,1,2,1,1\n2026-01-01T00:01:30Z,1,2,1,1\n",
        "grid",
    ),
    ("ts_ns,open,high,low,close\n1.5e18,1,2,1,1\n", "whole number"),
    ("time,open,high,low,close\n", "no bars"),
    ("", "not a readable CSV"),
    ("time,open,high,low,close\n2026-01-01T00:00Z,1,2,1,1\n", "interval"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files_import_nothing(store: TickStore, tmp_path: Path, text: str, message: str):
    store.import_bars("MYCOIN", write_csv(tmp_path / "good.csv", GOOD))
    before = store.bars("MYCOIN", "1m")
    with pytest.raises(MalformedBarsError, match=message) as raised:
        store.import_bars("MYCOIN", write_csv(tmp_path / "bad.csv", text))
    assert "nothing was imported" in str(raised.value)
    assert store.bars("MYCOIN", "1m").equals(before)


def test_import_rules(store: TickStore, tmp_path: Path):
    fill(store, 10)
    good = write_csv(tmp_path / "good.csv", GOOD)
    with pytest.raises(InvalidInputError, match="holds recorded trades"):
        store.import_bars("BTC-USDT", good, exchange="okx")
    store.import_bars("BTC-USDT", good, exchange="csv")
    with pytest.raises(InvalidInputError, match="pass exchange="):
        store.bars("BTC-USDT", "1m")  # trades and imported bars are not pooled
    assert len(store.bars("BTC-USDT", "1m", exchange="csv")) == 4
    with pytest.raises(InvalidInputError, match="holds imported bars"):
        store.append_trades("csv", "BTC-USDT", [(T0, 1.0, 1.0, "buy", "1")])
    with pytest.raises(InvalidInputError, match="holds 1m bars"):
        store.import_bars("BTC-USDT", good, exchange="csv", interval="1s")
    with pytest.raises(InvalidInputError, match="no CSV file"):
        store.import_bars("Y", tmp_path / "missing.csv")


def test_exported_bars_import_back(store: TickStore, tmp_path: Path):
    """Bars written by export_bars are a valid import: the store gives the same bars back."""
    fill(store)
    store.export_bars(tmp_path / "bars.csv", "BTC-USDT", "1m")
    store.import_bars("BTC-USDT", tmp_path / "bars.csv", exchange="file", interval="1m")
    original = store.bars("BTC-USDT", "5m", exchange="okx")
    again = store.bars("BTC-USDT", "5m", exchange="file")
    assert_bars_equal(again, original)
