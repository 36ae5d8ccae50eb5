"""Bars from the store against pandas' resample over the same trades (tests/store/oracle.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradecost.errors import InvalidIntervalError
from tradecost.store import TickStore, format_interval, parse_interval
from tradecost.store.intervals import UNIT_NS

from .conftest import T0
from .oracle import assert_bars_equal, resample_bars

INTERVALS = ["1ms", "250ms", "1s", "15s", "1m", "5m", "1h", "1d", "7s", "1w"]


SPANS_NS = [10**6, 10**9, 60 * 10**9, 3_600 * 10**9, 3 * 86_400 * 10**9]
MAX_BUCKETS = 100_000  # pandas' resample makes every empty bucket in the span too


@st.composite
def trade_tapes(draw: st.DrawFn, interval_ns: int) -> list[tuple[int, float, float, str, str]]:
    """Trades in arrival order: clustered and repeated times (ties), out-of-order arrivals,
    prices on a 0.01 grid and sizes on 1e-4, around bucket edges of the interval."""
    n = draw(st.integers(1, 120))
    spans = [span for span in SPANS_NS if span // interval_ns <= MAX_BUCKETS]
    span_ns = draw(st.sampled_from(spans))
    offsets = draw(st.lists(st.integers(0, span_ns), min_size=n, max_size=n))
    repeat = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    for i in range(1, n):
        if repeat[i]:
            offsets[i] = offsets[i - 1]  # the same timestamp again (a sweep of several levels)
    ticks = draw(st.lists(st.integers(1, 5_000_000), min_size=n, max_size=n))
    lots = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    sides = draw(st.lists(st.sampled_from(["buy", "sell"]), min_size=n, max_size=n))
    start = T0 - draw(st.integers(0, 10**9))
    return [
        (start + offsets[i], ticks[i] / 100, lots[i] / 10_000, sides[i], f"t{i}") for i in range(n)
    ]


@st.composite
def tape_and_interval(draw: st.DrawFn) -> tuple[list[tuple[int, float, float, str, str]], str]:
    interval = draw(st.sampled_from(INTERVALS))
    return draw(trade_tapes(parse_interval(interval))), interval


@given(case=tape_and_interval(), cuts=st.lists(st.integers(0, 120), max_size=4))
def test_bars_equal_pandas_resample(case, cuts, tmp_path_factory):
    tape, interval = case
    path = tmp_path_factory.mktemp("bars") / "ticks.db"
    with TickStore(path) as store:
        bounds = sorted({0, len(tape), *(c % (len(tape) + 1) for c in cuts)})
        for lo, hi in itertools.pairwise(bounds):  # several appends
            store.append_trades("okx", "BTC-USDT", tape[lo:hi])
        got = store.bars("BTC-USDT", interval)
    assert_bars_equal(got, resample_bars(tape, parse_interval(interval)))


@given(case=tape_and_interval())
def test_live_bars_equal_the_stored_bars(case):
    tape, interval = case
    with TickStore(":memory:") as store:
        store.append_trades("okx", "BTC-USDT", tape[: len(tape) // 3])
        live = store.live_bars("BTC-USDT", interval)
        for i in range(len(tape) // 3, len(tape), 7):
            store.append_trades("okx", "BTC-USDT", tape[i : i + 7])
        stored = store.bars("BTC-USDT", interval)
    assert_bars_equal(live.frame(), stored)
    assert live.current is not None
    assert live.current.start_ns == stored.index[-1]


def test_a_worked_example(store: TickStore):
    rows = [
        (T0 + 0, 100.0, 1.0, "buy", "1"),
        (T0 + 59_999_999_999, 102.0, 2.0, "sell", "2"),  # the last ns of the first minute
        (T0 + 30_000_000_000, 99.0, 1.0, "buy", "3"),  # arrives late, lands in the middle
        (T0 + 60_000_000_000, 101.0, 4.0, "buy", "4"),  # opens the second minute
        (T0 + 60_000_000_000, 103.0, 1.0, "sell", "5"),  # same ns, arrived later: the close
    ]
    store.append_trades("okx", "BTC-USDT", rows)
    bars = store.bars("BTC-USDT", "1m")
    assert bars.index.tolist() == [T0, T0 + 60_000_000_000]
    first, second = bars.iloc[0], bars.iloc[1]
    assert (first.open, first.high, first.low, first.close) == (100.0, 102.0, 99.0, 102.0)
    assert (first.volume, first.notional, first.trades) == (4.0, 403.0, 3)
    assert first.vwap == pytest.approx(100.75)
    assert (second.open, second.close, second.trades) == (101.0, 103.0, 2)
    assert bars["trades"].dtype == np.int64
    assert bars.index.dtype == np.int64
    assert bars.index.name == "ts_ns"


def test_buckets_are_aligned_to_the_epoch(store: TickStore):
    store.append_trades(
        "okx", "BTC-USDT", [(3_600 * 10**9 * 5 + 17, 1.0, 1.0, "buy", "a")]
    )  # 05:00:00.000000017 on 1970-01-01
    assert store.bars("BTC-USDT", "1h").index.tolist() == [5 * 3_600 * 10**9]
    assert store.bars("BTC-USDT", "7s").index.tolist() == [(5 * 3_600 // 7) * 7 * 10**9]


def test_time_range_and_exchange_filter(store: TickStore):
    okx = [(T0 + i * 10**9, 100.0 + i, 1.0, "buy", str(i)) for i in range(120)]
    binance = [(T0 + i * 10**9 + 1, 200.0, 2.0, "sell", str(i)) for i in range(60)]
    store.append_trades("okx", "BTC-USDT", okx)
    store.append_trades("binance", "BTC-USDT", binance)
    only_okx = store.bars("BTC-USDT", "1m", exchange="okx")
    assert_bars_equal(only_okx, resample_bars(okx, 60 * 10**9))
    pooled = store.bars("BTC-USDT", "1m")
    merged = sorted(okx + [(t, p, s, d, "b" + i) for t, p, s, d, i in binance], key=lambda r: r[0])
    assert_bars_equal(pooled, resample_bars(merged, 60 * 10**9))
    window = store.bars(
        "BTC-USDT", "1m", exchange="okx", start_ns=T0 + 30 * 10**9, end_ns=T0 + 90 * 10**9
    )
    assert_bars_equal(window, resample_bars(okx[30:90], 60 * 10**9))
    assert store.bars("ETH-USDT", "1m").empty
    assert store.trades("BTC-USDT", exchange="okx", start_ns=T0 + 10**9, end_ns=T0 + 3 * 10**9)[
        "trade_id"
    ].tolist() == ["1", "2"]


@pytest.mark.parametrize("bad", ["", "1", "m", "0s", "-1m", "1M", "1 month", "1.5m", "5x", "ms"])
def test_unknown_intervals_are_refused(store: TickStore, bad: str):
    store.append_trades("okx", "BTC-USDT", [(T0, 1.0, 1.0, "buy", "1")])
    with pytest.raises(InvalidIntervalError, match="interval"):
        store.bars("BTC-USDT", bad)


def test_interval_spellings():
    assert parse_interval("1s") == 10**9
    assert parse_interval("15s") == 15 * 10**9
    assert parse_interval("1m") == parse_interval("1min") == 60 * 10**9
    assert parse_interval("5m") == 300 * 10**9
    assert parse_interval("1h") == 3_600 * 10**9
    assert parse_interval("250ms") == 250 * 10**6
    for unit, size in UNIT_NS.items():
        assert parse_interval(format_interval(3 * size)) == 3 * size, unit
    with pytest.raises(InvalidIntervalError):
        parse_interval(0)
    with pytest.raises(InvalidIntervalError):
        parse_interval(True)
