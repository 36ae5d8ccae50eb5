"""`tradecost simulate --exchange binance` and `tradecost record --exchange binance --db`, run as a
user would: against the Binance-like test server, and offline with ``--demo`` against the
simulated Binance."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tradecost as tc
from tests.binance.test_client import fake_binance, run
from tradecost.store import TickStore


def test_simulate_json_on_a_binance_endpoint():
    async def main() -> tuple[int, str, str]:
        async with fake_binance() as exchange:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tradecost.cli",
                "simulate",
                "--exchange",
                "binance",
                "--symbol",
                "BTC-USDT",
                "--url",
                exchange.url,
                "--json",
                "--duration",
                "2",
                "--usd",
                "50",
                "--volatility",
                "0.02",
                "--daily-volume",
                "1e9",
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            out, err = await process.communicate()
            assert process.returncode is not None
            return process.returncode, out.decode(), err.decode()

    code, out, err = run(main(), timeout=60)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 10
    for record in lines:
        assert record["inst_id"] == "BTCUSDT"
        assert record["best_bid"] == 100.0 and record["best_ask"] == 101.0
        # Binance spot VIP0 taker: 0.1 % of the filled notional (quantity at the average fill
        # price, here the ask), in bps of the order's notional at the mid; all taker.
        expected = 10.0 * record["avg_price"] / record["arrival_mid"]
        assert abs(record["fee_bps"] - expected) < 1e-9
        assert record["feed"]["gaps"] == 0


def tradecost(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradecost.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_simulate_demo_runs_offline_against_the_simulated_binance(market: str) -> None:
    result = tradecost(
        "simulate", "--exchange", "binance", "--demo", "--market", market, "--json",
        "--duration", "2.5", "--usd", "100",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "never retrieved" not in result.stderr, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) >= 5  # one book event per 100 ms of the simulated market
    fees = tc.FeeSchedule.for_exchange("binance", market=market)
    for record in records:
        assert record["inst_id"] == "BTCUSDT" and not record["stale"]
        assert record["best_bid"] < record["best_ask"]
        # the entry tier's taker rate on the filled notional, in bps of the order at the mid
        expected = fees.taker * 1e4 * record["avg_price"] / record["arrival_mid"]
        assert abs(record["fee_bps"] - expected) < 1e-9
        assert record["feed"]["gaps"] == record["feed"]["resyncs"] == 0
        assert record["feed"]["bad_frames"] == record["feed"]["reconnects"] == 0
    seqs = [record["seq_id"] for record in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_record_demo_stores_binance_trades_and_books(tmp_path: Path) -> None:
    db = tmp_path / "ticks.db"
    result = tradecost(
        "record", "--db", str(db), "--exchange", "binance", "--demo", "--symbol", "BTC-USDT",
        "--symbol", "ETHUSDT", "--duration", "3", "--book-interval", "0.5", "--book-depth", "20",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["exchange"] == "binance"
    assert summary["symbols"] == ["BTCUSDT", "ETHUSDT"]  # Binance's names, dash or not
    with TickStore(db, read_only=True) as store:
        assert store.integrity_check() == "ok"
        for symbol in ("BTCUSDT", "ETHUSDT"):
            trades = store.trades(symbol, exchange="binance")
            assert len(trades) == summary["trades_per_symbol"][symbol] > 0
            assert trades["trade_id"].is_unique
            assert set(trades["side"]) <= {"buy", "sell"}
            times = store.book_times(symbol)
            assert 2 <= len(times) <= 8  # every 0.5 s of exchange time for ~3 s
            assert (times["ts_ns"].diff().dropna() >= 500_000_000).all()
            assert (times["n_bids"] <= 20).all() and (times["n_asks"] <= 20).all()
            # books and trades share the exchange's clock: a trade finds the book it met
            last_trade = int(trades["ts_ns"].iloc[-1])
            assert store.book_at(symbol, last_trade) is not None
            book = store.book_at(symbol, int(times["ts_ns"].iloc[-1]))
            assert isinstance(book, tc.OrderBook)
            assert 0 < book.n_bids <= 20 and book.best_bid < book.best_ask
