"""`tradecost record --db`, `tradecost bars` and `tradecost import-bars`, run as a user would."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tradecost as tc
from tradecost.store import TickStore

from .oracle import assert_bars_equal


def tradecost(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradecost.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    db = tmp_path_factory.mktemp("record") / "ticks.db"
    result = tradecost(
        "record",
        "--db",
        str(db),
        "--exchange",
        "okx",
        "--demo",
        "--symbol",
        "BTC-USDT",
        "--symbol",
        "ETH-USDT",
        "--duration",
        "3",
        "--book-interval",
        "0.5",
        "--book-depth",
        "20",
    )
    assert result.returncode == 0, result.stderr
    return db, json.loads(result.stdout.splitlines()[-1])


def test_record_demo_stores_trades_and_books(recorded):
    db, summary = recorded
    assert summary["exchange"] == "okx"
    assert summary["symbols"] == ["BTC-USDT", "ETH-USDT"]
    with TickStore(db, read_only=True) as store:
        assert store.integrity_check() == "ok"
        for symbol in ("BTC-USDT", "ETH-USDT"):
            trades = store.trades(symbol, exchange="okx")
            assert len(trades) == summary["trades_per_symbol"][symbol] > 0
            assert trades["trade_id"].is_unique
            times = store.book_times(symbol)
            assert 2 <= len(times) <= 8  # every 0.5 s of exchange time for ~3 s
            assert (times["ts_ns"].diff().dropna() >= 500_000_000).all()
            assert (times["n_bids"] <= 20).all() and (times["n_asks"] <= 20).all()
            # books and trades share the exchange's clock: a trade finds the book it met
            last_trade = int(trades["ts_ns"].iloc[-1])
            met = store.book_at(symbol, last_trade)
            assert met is not None
            assert last_trade - int(times["ts_ns"].iloc[-1]) < 10**9
            book = store.book_at(symbol, int(times["ts_ns"].iloc[-1]))
            assert isinstance(book, tc.OrderBook)
            assert 0 < book.n_bids <= 20 and book.best_bid < book.best_ask


def test_bars_prints_csv(recorded):
    db, _ = recorded
    result = tradecost("bars", "--db", str(db), "--symbol", "BTC-USDT", "--interval", "1s")
    assert result.returncode == 0, result.stderr
    printed = pd.read_csv(io.StringIO(result.stdout), index_col="ts_ns")
    with TickStore(db, read_only=True) as store:
        assert_bars_equal(printed, store.bars("BTC-USDT", "1s"))


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_bars_to_a_file(recorded, tmp_path: Path, kind: str):
    db, _ = recorded
    target = tmp_path / f"bars.{kind}"
    result = tradecost(
        "bars",
        "--db",
        str(db),
        "--symbol",
        "ETH-USDT",
        "--interval",
        "2s",
        f"--{kind}",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    back = pd.read_csv(target, index_col="ts_ns") if kind == "csv" else pd.read_parquet(target)
    with TickStore(db, read_only=True) as store:
        assert_bars_equal(back, store.bars("ETH-USDT", "2s"))
    assert json.loads(result.stdout)["bars"] == len(back)


def test_bars_errors(recorded, tmp_path: Path):
    db, _ = recorded
    result = tradecost("bars", "--db", str(db), "--symbol", "BTC-USDT", "--interval", "1 fortnight")
    assert result.returncode == 1
    assert "unknown interval" in result.stderr
    result = tradecost("bars", "--db", str(tmp_path / "none.db"), "--symbol", "BTC-USDT")
    assert result.returncode == 1
    assert "no tick store" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_import_bars(tmp_path: Path):
    source = tmp_path / "mine.csv"
    source.write_text(
        "ts_s,open,high,low,close,volume\n"
        + "".join(
            f"{1_767_225_600 + 60 * i},{10 + i},{12 + i},{9 + i},{11 + i},{i + 1}\n"
            for i in range(10)
        )
    )
    db = tmp_path / "ticks.db"
    result = tradecost("import-bars", "--db", str(db), "--symbol", "MYCOIN", str(source))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["bars"] == 10
    result = tradecost("bars", "--db", str(db), "--symbol", "MYCOIN", "--interval", "5m")
    bars = pd.read_csv(io.StringIO(result.stdout), index_col="ts_ns")
    assert bars["open"].tolist() == [10, 15]
    assert bars["volume"].tolist() == [15, 40]


def test_import_bars_refuses_a_bad_file_and_creates_nothing(tmp_path: Path):
    source = tmp_path / "bad.csv"
    source.write_text(
        "time,open,high,low,close\n2026-01-01T00:01Z,1,2,1,1\n2026-01-01T00:00Z,1,2,1,1\n"
    )
    db = tmp_path / "ticks.db"
    result = tradecost("import-bars", "--db", str(db), "--symbol", "MYCOIN", str(source))
    assert result.returncode == 1
    assert "does not increase" in result.stderr
    assert not db.exists()


@pytest.mark.skipif(
    importlib.util.find_spec("tradecost.feeds.binance") is not None,
    reason="this build has the Binance feed",
)
def test_binance_without_the_feed_is_a_clear_error(tmp_path: Path):
    result = tradecost(
        "record",
        "--db",
        str(tmp_path / "t.db"),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--duration",
        "1",
    )
    assert result.returncode == 1
    assert "Binance is not available" in result.stderr


def test_record_needs_a_target(tmp_path: Path):
    result = tradecost("record", "--duration", "1")
    assert result.returncode == 1
    assert "FILE" in result.stderr and "--db" in result.stderr
    result = tradecost("record", "--db", str(tmp_path / "t.db"), "--duration", "1")
    assert result.returncode == 1
    assert "--symbol" in result.stderr


def test_the_file_form_of_record_still_works(okx_captures: Path, tmp_path: Path):
    """`tradecost record FILE --url` against a capture served by `tradecost replay --serve`."""
    capture = okx_captures / "okx_2022-05-13_books_BTC-USDT.ndjson"
    server = subprocess.Popen(
        [sys.executable, "-m", "tradecost.cli", "replay", str(capture), "--serve", "--speed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = json.loads(server.stdout.readline())["url"]  # type: ignore[union-attr]
        out = tmp_path / "frames.ndjson.gz"
        result = tradecost(
            "record", str(out), "--url", url, "--inst", "BTC-USDT", "--duration", "2"
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["frames"] > 0
        assert out.stat().st_size > 0
    finally:
        server.kill()
        server.wait()


def test_simulate_logs_estimates_into_a_store(tmp_path: Path):
    db = tmp_path / "estimates.db"
    result = tradecost(
        "simulate", "--demo", "--json", "--duration", "3", "--usd", "5000", "--log", str(db)
    )
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    with TickStore(db, read_only=True) as store:
        stored = store.estimates("BTC-USDT", exchange="okx")
    assert len(stored) == len(printed) > 0
    assert stored["net_cost_usd"].tolist() == [r["net_cost_usd"] for r in printed]
    assert stored["local_ts"].tolist() == [r["local_ts"] for r in printed]
    assert stored["flags"].tolist() == ["|".join(r["flags"]) for r in printed]


def test_symbols_become_okx_names():
    from tradecost.errors import InvalidInputError
    from tradecost.store.cli import _market_symbol

    assert _market_symbol("BTCUSDT") == "BTC-USDT"
    assert _market_symbol("ethbtc") == "ETH-BTC"
    assert _market_symbol("BTC-USDT-SWAP") == "BTC-USDT-SWAP"
    with pytest.raises(InvalidInputError, match="BASE-QUOTE"):
        _market_symbol("XYZ")
