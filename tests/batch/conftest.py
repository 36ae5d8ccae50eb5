"""Recordings for the batch tests: simulated OKX traffic written as `tradecost record` writes it,
plus inputs that must fail (a truncated gzip file, an empty file, a file with no book frames);
tick stores of cointegrated and independent symbols for `batch pairs`, and a corrupt one."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tradecost as tc
from tests.pairs.reference import cointegrated_pair
from tradecost.record import RecordingWriter
from tradecost.sim import SimulatedMarket


def write_recording(path: Path, symbol: str, seed: int, seconds: float) -> Path:
    market = SimulatedMarket(symbol, seed=seed)
    with RecordingWriter(path) as writer:
        for timed in market.events(duration=seconds):
            writer.write(timed.ts_ns, timed.frame)
    return path


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    good = {
        "btc_a": write_recording(folder / "btc_a.ndjson.gz", "BTC-USDT", 3, 20.0),
        "btc_b": write_recording(folder / "btc_b.ndjson.gz", "BTC-USDT", 4, 20.0),
        "eth": write_recording(folder / "eth.ndjson.gz", "ETH-USDT", 5, 20.0),
    }
    truncated = folder / "truncated.ndjson.gz"
    truncated.write_bytes(good["btc_a"].read_bytes()[:2000])
    empty = folder / "empty.ndjson.gz"
    with gzip.open(empty, "wt"):
        pass
    no_books = folder / "no_books.ndjson"
    no_books.write_text('{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}\n')
    refused = folder / "refused.ndjson"
    with gzip.open(good["eth"], "rt") as lines:
        first = lines.readline()
    refused.write_text(
        first
        + '{"event":"error","code":"60012","msg":"Invalid request: {\\"op\\": \\"subscribe\\"}"}\n'
    )
    return {
        **good,
        "truncated": truncated,
        "empty": empty,
        "no_books": no_books,
        "refused": refused,
    }


# ---------------------------------------------------------------- tick stores for `batch pairs`

DAY_NS = 86_400 * 10**9
MINUTE_NS = 60 * 10**9
#: 2026-11-23T00:00Z, a UTC midnight
T0_NS = 1_795_392_000 * 10**9
PAIR_BETA = 1.1
PAIR_HALF_LIFE = 8.0  # bars


def pair_prices(days: int, seed: int) -> dict[str, np.ndarray]:
    """One close a minute for AAA (y), BBB (x, cointegrated with AAA: log AAA = a + β log BBB +
    an AR(1) of known half-life) and CCC (an independent random walk)."""
    n = days * 1440
    y, x, _, _ = cointegrated_pair(n, beta=PAIR_BETA, half_life=PAIR_HALF_LIFE, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    z = 150.0 * np.exp(np.cumsum(rng.standard_normal(n)) * 1e-3)
    return {"AAAUSDT": y, "BBBUSDT": x, "CCCUSDT": z}


def book_levels(price: float, tick: float, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """20 levels a side around ``price``, sizes 0.1 to 4.9 base units, as text."""
    rng = np.random.default_rng(seed)
    best_bid = int(price / tick)
    bids = [[f"{(best_bid - i) * tick:.10g}", str(rng.integers(1, 50) / 10)] for i in range(20)]
    asks = [[f"{(best_bid + 1 + i) * tick:.10g}", str(rng.integers(1, 50) / 10)] for i in range(20)]
    return bids, asks


def book_tick(price: float) -> float:
    return 0.01 if price < 10_000 else 0.1


def simple_book(price: float, tick: float, seed: int) -> tc.OrderBook:
    bids, asks = book_levels(price, tick, seed)
    book = tc.OrderBook(f"{tick:g}")
    book.apply_snapshot(bids, asks)
    return book


def write_pair_store(path: Path, days: int, seed: int, books: bool) -> dict[str, np.ndarray]:
    """A tick store of ``days`` UTC days of one trade a minute (30 s into the minute) of the
    three symbols, then half a day of AAA alone (a period with no common bars); book snapshots
    of AAA and BBB every 10 minutes when ``books``. Returns the closes written."""
    from tradecost.store import TickStore

    prices = pair_prices(days, seed)
    n = days * 1440
    rng = np.random.default_rng(seed + 2000)
    with TickStore(str(path)) as store:
        for symbol, closes in prices.items():
            extra = 720 if symbol == "AAAUSDT" else 0
            values = np.concatenate([closes, closes[-1:].repeat(extra)])
            sizes = rng.uniform(0.1, 2.0, values.size)
            rows = [
                (T0_NS + i * MINUTE_NS + 30 * 10**9, float(p), float(q), "buy", f"{symbol}-{i}")
                for i, (p, q) in enumerate(zip(values, sizes, strict=True))
            ]
            store.append_trades("binance", symbol, rows)
            if books and symbol != "CCCUSDT":
                tick = book_tick(closes[0])
                for i in range(0, n, 10):
                    ts = T0_NS + i * MINUTE_NS + 45 * 10**9
                    store.append_book("binance", symbol, simple_book(closes[i], tick, i), ts)
        store.flush()
    return prices


@pytest.fixture(scope="session")
def pair_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("stores")
    one = write_pair_store(folder / "one.db", days=2, seed=7, books=True)
    two = write_pair_store(folder / "two.db", days=1, seed=8, books=False)
    corrupt = folder / "corrupt.db"
    corrupt.write_bytes(np.random.default_rng(0).bytes(8192))
    return {
        "one": folder / "one.db",
        "two": folder / "two.db",
        "corrupt": corrupt,
        "prices_one": one,
        "prices_two": two,
    }
