"""The tick store: ingest through the writer, and bars over a million trades.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_store.py -o python_files='bench_*.py' \
    -p no:cacheprovider --benchmark-only --benchmark-columns=median,min,rounds

Medians from pytest-benchmark; rates in ``extra_info``. Each ingest round starts from an empty
store made in ``setup`` (a new file), and is timed until the last trade is committed (``flush``).
Memory over 10M trades: ``python benchmarks/soak_store.py`` (see docs/performance.md).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.store.soak import chunk
from tradecost.feeds.okx.protocol import TradeEvent
from tradecost.store import TickStore

INGEST = 1_000_000
CHUNK = 10_000
BARS_OVER = 1_000_000
_counter = itertools.count()


def _rate(benchmark, n: int, name: str) -> None:
    if benchmark.disabled:  # --benchmark-disable: ran once as a smoke test, nothing timed
        return
    benchmark.extra_info[name] = round(n / benchmark.stats.stats.median)


@pytest.fixture(scope="module")
def chunks() -> list[list[tuple[int, float, float, str, str]]]:
    import numpy as np

    rng = np.random.default_rng(5)
    return [chunk(start, CHUNK, rng) for start in range(0, INGEST, CHUNK)]


def test_ingest_rows_through_the_writer(benchmark, chunks, tmp_path):
    """1M (ts_ns, price, size, side, trade_id) rows in appends of 10,000, until committed."""

    def fresh() -> tuple[tuple[TickStore], dict[str, object]]:
        return (TickStore(tmp_path / f"ingest{next(_counter)}.db"),), {}

    def run(store: TickStore) -> None:
        for rows in chunks:
            store.append_trades("binance", "BTCUSDT", rows)
        store.flush()
        store.close()

    benchmark.pedantic(run, setup=fresh, rounds=3)
    _rate(benchmark, INGEST, "trades_per_s")


def test_ingest_trade_events_one_feed_batch_at_a_time(benchmark, chunks, tmp_path):
    """200k OKX TradeEvents handed over 100 at a time, as a recording loop does."""
    events = [
        TradeEvent("BTC-USDT", tid, price, size, side, ts, ts + 1_000, size)
        for rows in chunks[:20]
        for ts, price, size, side, tid in rows
    ]
    groups = [events[i : i + 100] for i in range(0, len(events), 100)]

    def fresh() -> tuple[tuple[TickStore], dict[str, object]]:
        return (TickStore(tmp_path / f"events{next(_counter)}.db"),), {}

    def run(store: TickStore) -> None:
        for group in groups:
            store.append_trades("okx", "BTC-USDT", group)
        store.flush()
        store.close()

    benchmark.pedantic(run, setup=fresh, rounds=3)
    _rate(benchmark, len(events), "trades_per_s")


@pytest.fixture(scope="module")
def million(chunks, tmp_path_factory) -> TickStore:
    path = tmp_path_factory.mktemp("bars") / "million.db"
    with TickStore(path) as store:
        for rows in chunks[: BARS_OVER // CHUNK]:
            store.append_trades("binance", "BTCUSDT", rows)
    return TickStore(path, read_only=True)


@pytest.mark.parametrize("interval", ["1m", "1s"])
def test_bars_over_a_million_trades(benchmark, million, interval):
    """Bars over 1M trades spanning a day (1,440 one-minute bars; 86,400 one-second bars)."""
    bars = benchmark.pedantic(million.bars, args=("BTCUSDT", interval), rounds=5, warmup_rounds=1)
    assert int(bars["trades"].sum()) == BARS_OVER
    benchmark.extra_info["bars"] = len(bars)
    _rate(benchmark, BARS_OVER, "trades_per_s")
