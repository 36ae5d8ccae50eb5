"""Book snapshots (priced again later) and cost estimates, stored and read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tradecost.errors import InvalidInputError
from tradecost.store import TickStore

from .conftest import T0


def make_book(best_bid_ticks: int, levels: int, tick: str = "0.1", seed: int = 0) -> tc.OrderBook:
    rng = np.random.default_rng(seed)
    step = float(tick)
    bids = [
        [f"{(best_bid_ticks - i) * step:.10g}", float(rng.integers(1, 10**6)) / 1000]
        for i in range(levels)
    ]
    asks = [
        [f"{(best_bid_ticks + 1 + i) * step:.10g}", float(rng.integers(1, 10**6)) / 1000]
        for i in range(levels)
    ]
    book = tc.OrderBook(tick)
    book.apply_snapshot(bids, asks)
    return book


@given(
    best=st.integers(1_000, 10**7),
    levels=st.integers(1, 120),
    depth=st.integers(1, 80),
    tick=st.sampled_from(["0.1", "0.01", "1", "0.00000001", "0.5"]),
)
def test_the_stored_book_is_the_top_of_the_book(best, levels, depth, tick):
    book = make_book(best, levels, tick)
    with TickStore(":memory:") as store:
        store.append_book("okx", "BTC-USDT", book, T0, depth=depth)
        again = store.book_at("BTC-USDT", T0)
    assert again is not None
    np.testing.assert_array_equal(again.bids(), book.bids(depth))
    np.testing.assert_array_equal(again.asks(), book.asks(depth))
    assert again.tick_size == book.tick_size


def test_the_book_as_it_stood_prices_a_trade(store: TickStore):
    early = make_book(950_000, 60, seed=1)
    late = make_book(951_000, 60, seed=2)
    store.append_book("okx", "BTC-USDT", early, T0, local_ts_ns=T0 + 3)
    store.append_book("okx", "BTC-USDT", late, T0 + 10**9)
    store.append_book("okx", "BTC-USDT", late, T0 + 10**9)  # same time again: kept once
    assert store.book_at("BTC-USDT", T0 - 1) is None
    at = store.book_at("BTC-USDT", T0 + 10**9 - 1)
    assert at is not None
    assert at.best_bid == early.best_bid
    assert store.book_at("BTC-USDT", T0 + 5 * 10**9).best_bid == late.best_bid  # type: ignore[union-attr]
    assert store.book_at("BTC-USDT", T0 + 5 * 10**9, max_age_ns=10**9) is None
    # walk the stored book: the same fill as on the live book's top 50 levels
    fill = tc.walk_book(at, "buy", notional=250_000.0)
    top = make_book(950_000, 50, seed=1)
    assert fill.avg_price == tc.walk_book(top, "buy", notional=250_000.0).avg_price
    times = store.book_times("BTC-USDT")
    assert times["ts_ns"].tolist() == [T0, T0 + 10**9]
    assert times["local_ts_ns"].tolist()[0] == T0 + 3
    assert times["n_bids"].tolist() == [50, 50]


def test_snapshots_are_compact(store: TickStore, store_path: Path):
    import sqlite3

    store.append_book("okx", "BTC-USDT", make_book(950_000, 400), T0)
    store.flush()
    connection = sqlite3.connect(store_path)
    size = connection.execute("SELECT length(levels) FROM books").fetchone()[0]
    connection.close()
    assert size < 100 * 2 * 8  # below raw float64 prices and sizes of 50 + 50 levels


def test_a_book_off_its_grid_is_refused(store: TickStore):
    class Fake:
        tick_size = "0.1"

        def bids(self, n):
            return np.array([[100.05, 1.0]])

        def asks(self, n):
            return np.array([[100.1, 1.0]])

    with pytest.raises(InvalidInputError, match="tick grid"):
        store.append_book("okx", "BTC-USDT", Fake(), T0)
    with pytest.raises(InvalidInputError):
        store.append_book("okx", "BTC-USDT", make_book(1000, 5), -1)
    with pytest.raises(InvalidInputError, match="OrderBook"):
        store.append_book("okx", "BTC-USDT", object(), T0)
    store.flush()
    assert store.book_times("BTC-USDT").empty


def test_estimates_are_stored_and_queryable(store: TickStore):
    book = make_book(950_000, 200)
    estimator = tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    estimates = [estimator.estimate(book, "buy", usd) for usd in (100.0, 10_000.0, 1e6)]
    store.append_estimates("okx", "BTC-USDT", estimates, local_ts_ns=T0)
    record = {
        "inst_id": "BTC-USDT",
        "seq_id": 7,
        "exch_ts": T0,
        "local_ts": T0 + 5,
        "best_bid": book.best_bid,
        "best_ask": book.best_ask,
        "end_to_end_ns": 1234,
        **{k: v for k, v in __import__("dataclasses").asdict(estimates[0]).items()},
    }
    store.append_estimates("okx", "BTC-USDT", [record])
    got = store.estimates("BTC-USDT")
    assert len(got) == 4
    assert got["net_cost_usd"].tolist()[:3] == [e.net_cost_usd for e in estimates]
    assert got["flags"].tolist()[0] == "|".join(estimates[0].flags)
    assert got["end_to_end_ns"].tolist()[3] == 1234
    assert got["end_to_end_ns"].isna().tolist() == [True, True, True, False]
    assert got["local_ts"].tolist() == [T0, T0, T0, T0 + 5]  # exact ns, not floats
    assert got["complete"].tolist() == [e.complete for e in estimates] + [estimates[0].complete]
    assert len(store.estimates("BTC-USDT", start_ns=T0 + 1)) == 1
    with pytest.raises(InvalidInputError):
        store.append_estimates("okx", "BTC-USDT", [42])
