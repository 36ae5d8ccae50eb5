"""`tradecost.batch` pairs: each row against the pairs package called directly (and statsmodels),
the known β and half-life of the simulated pair recovered, the same bytes on every executor, and
bad inputs (a corrupt store, a missing symbol, an empty period) reported per task."""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.batch.conftest import DAY_NS, MINUTE_NS, PAIR_BETA, PAIR_HALF_LIFE, T0_NS
from tradecost import batch, pairs
from tradecost.errors import InvalidInputError
from tradecost.store import TickStore

SYMBOLS = ("AAAUSDT", "BBBUSDT", "CCCUSDT")
OPTIONS: dict[str, Any] = {"window": 120, "entry": 2.0, "exit": 0.0, "notional": 5_000.0}


def _row(result: batch.BatchResult, y: str, x: str, period: str) -> pd.Series:
    table = result.table
    chosen = table[(table["y"] == y) & (table["x"] == x) & (table["period"] == period)]
    assert len(chosen) == 1
    return chosen.iloc[0]


def test_rows_are_the_pairs_package_on_the_periods_bars(pair_stores: dict[str, Any]) -> None:
    result = batch.run_pairs([pair_stores["one"]], SYMBOLS[:2], period="1d", **OPTIONS)
    prices = pair_stores["prices_one"]
    for day in (0, 1):
        # one trade a minute: the period's 1m closes are the prices written, minute by minute
        y = prices["AAAUSDT"][day * 1440 : (day + 1) * 1440]
        x = prices["BBBUSDT"][day * 1440 : (day + 1) * 1440]
        label = f"2026-11-2{3 + day}"
        row = _row(result, "AAAUSDT", "BBBUSDT", label)
        assert row["bars"] == 1440
        assert row["period_start_ns"] == T0_NS + day * DAY_NS
        assert row["first_bar_ns"] == T0_NS + day * DAY_NS
        assert row["last_bar_ns"] == T0_NS + day * DAY_NS + 1439 * MINUTE_NS

        coint = pairs.engle_granger(y, x)
        assert row["eg_beta"] == coint.beta
        assert row["eg_stat"] == coint.stat
        assert row["eg_pvalue"] == coint.pvalue
        assert row["eg_usedlag"] == coint.usedlag
        expected_half_life = pairs.half_life(np.log(y) - coint.alpha - coint.beta * np.log(x))
        assert row["half_life_bars"] == pytest.approx(expected_half_life, rel=1e-9)
        assert row["half_life_s"] == pytest.approx(expected_half_life * 60.0, rel=1e-12)

        with TickStore(str(pair_stores["one"]), read_only=True) as store:
            expected = pairs.backtest(
                y,
                x,
                window=OPTIONS["window"],
                notional=OPTIONS["notional"],
                volume_y=store.bars("AAAUSDT", "1m", start_ns=T0_NS + day * DAY_NS)[
                    "volume"
                ].to_numpy()[:1440],
                volume_x=store.bars("BBBUSDT", "1m", start_ns=T0_NS + day * DAY_NS)[
                    "volume"
                ].to_numpy()[:1440],
                timestamps_ns=T0_NS + day * DAY_NS + np.arange(1440) * MINUTE_NS,
                interval_ns=MINUTE_NS,
                book_at=store.book_at,
                y_symbol="AAAUSDT",
                x_symbol="BBBUSDT",
            )
        summary = expected.summary
        assert row["fills"] == len(expected.fills) > 0
        assert row["round_trips"] == summary["round_trips"]
        for key in ("gross_pnl", "fees", "slippage", "net_pnl", "turnover"):
            assert row[key] == pytest.approx(summary[key], rel=1e-12, abs=1e-9), key
        # the store has books of both legs: every fill was priced on one
        assert row["slippage_by"] == "book"
        assert row["net_pnl"] == pytest.approx(row["gross_pnl"] - row["fees"] - row["slippage"])


def test_the_engle_granger_statistic_is_statsmodels_coint(pair_stores: dict[str, Any]) -> None:
    coint = pytest.importorskip("statsmodels.tsa.stattools").coint
    result = batch.run_pairs([pair_stores["two"]], SYMBOLS[:2], **OPTIONS)
    row = _row(result, "AAAUSDT", "BBBUSDT", "all")
    prices = pair_stores["prices_two"]
    stat, pvalue, _ = coint(np.log(prices["AAAUSDT"]), np.log(prices["BBBUSDT"]), autolag="AIC")
    assert row["eg_stat"] == pytest.approx(stat, rel=1e-9)
    assert row["eg_pvalue"] == pytest.approx(pvalue, rel=1e-6)


def test_the_simulated_pair_is_found_and_the_independent_ones_are_not(
    pair_stores: dict[str, Any],
) -> None:
    result = batch.run_pairs([pair_stores["one"]], SYMBOLS, period="1d", **OPTIONS)
    table = result.table
    cointegrated = table[(table["y"] == "AAAUSDT") & (table["x"] == "BBBUSDT")]
    assert len(cointegrated) == 2
    assert np.all(np.abs(cointegrated["eg_beta"] - PAIR_BETA) < 0.05)
    assert np.all(cointegrated["eg_pvalue"] < 1e-4)
    assert np.all(np.abs(cointegrated["half_life_bars"] / PAIR_HALF_LIFE - 1) < 0.3)
    # CCC is an independent random walk: no pair with it is that clearly cointegrated
    others = table[table["x"] == "CCCUSDT"]
    assert len(others) == 4
    assert np.all(others["eg_pvalue"] > 1e-3)
    # CCC has no book snapshots: its leg falls back on the square-root law
    assert all("square_root" in methods for methods in others["slippage_by"])


def test_bad_inputs_are_reported_per_task_and_the_rest_completes(
    pair_stores: dict[str, Any],
) -> None:
    stores = [pair_stores["corrupt"], pair_stores["one"]]
    result = batch.run_pairs(stores, ["AAAUSDT", "BBBUSDT", "DDDUSDT"], period="1d", **OPTIONS)
    summary = result.summary()
    one, corrupt = str(pair_stores["one"]), str(pair_stores["corrupt"])
    # one.db: 3 pairs × 3 days (the third holds only AAA); corrupt.db: 3 pairs, whole range
    assert summary["tasks"] == 12
    assert summary["succeeded"] == 2
    failures = summary["failures"]
    assert set(failures) == {
        *(f"{corrupt}:{pair}/all" for pair in ("AAAUSDT~BBBUSDT", "AAAUSDT~DDDUSDT", "BBBUSDT~DDDUSDT")),
        f"{one}:AAAUSDT~BBBUSDT/2026-11-25",
        *(f"{one}:{pair}/2026-11-2{d}" for pair in ("AAAUSDT~DDDUSDT", "BBBUSDT~DDDUSDT") for d in (3, 4, 5)),
    }  # fmt: skip
    assert "StoreError" in failures[f"{corrupt}:AAAUSDT~BBBUSDT/all"]
    assert "no 1m bar in common" in failures[f"{one}:AAAUSDT~BBBUSDT/2026-11-25"]
    assert "DDDUSDT is not in" in failures[f"{one}:AAAUSDT~DDDUSDT/2026-11-23"]
    assert list(result.table["period"]) == ["2026-11-23", "2026-11-24"]
    assert len(result.failures) == 10


def test_start_end_and_sub_day_periods(pair_stores: dict[str, Any]) -> None:
    result = batch.run_pairs(
        [pair_stores["one"]],
        SYMBOLS[:2],
        period="6h",
        start="2026-11-23T12:00",
        end="2026-11-24",
        **OPTIONS,
    )
    table = result.table
    assert list(table["period"]) == ["2026-11-23T12:00:00Z", "2026-11-23T18:00:00Z"]
    assert list(table["bars"]) == [360, 360]
    y = pair_stores["prices_one"]["AAAUSDT"][720:1080]
    x = pair_stores["prices_one"]["BBBUSDT"][720:1080]
    assert table["eg_beta"].iloc[0] == pairs.engle_granger(y, x).beta
    # too short a period for the window is a failed task, not a crash
    short = batch.run_pairs(
        [pair_stores["one"]], SYMBOLS[:2], period="1h", start=T0_NS, end=T0_NS + 2 * 3_600 * 10**9,
        **OPTIONS,
    )  # fmt: skip
    assert short.summary()["failed"] == 2
    assert "no more than the window of 120" in next(iter(short.summary()["failures"].values()))


def _batch(
    stores: dict[str, Any], executor: cf.Executor | None, seen: list[int] | None = None
) -> batch.BatchResult:
    return batch.run_pairs(
        [stores["one"], stores["corrupt"], stores["two"]],
        SYMBOLS,
        period="1d",
        executor=executor,
        progress=None if seen is None else (lambda done, total, _: seen.append(done)),
        **OPTIONS,
    )


def _written(result: batch.BatchResult, folder: Path) -> dict[str, bytes]:
    out = {}
    for fmt in ("csv", "parquet"):
        for name, path in result.write(folder / fmt, fmt).items():
            out[f"{fmt}/{name}"] = path.read_bytes()
    return out


def _assert_same(left: batch.BatchResult, right: batch.BatchResult, tmp: Path) -> None:
    pd.testing.assert_frame_equal(left.table, right.table, check_exact=True)
    pd.testing.assert_frame_equal(left.health, right.health, check_exact=True)
    assert left.summary() == right.summary()
    assert _written(left, tmp / "left") == _written(right, tmp / "right")


def test_process_pool_and_dask_give_the_same_bytes(
    pair_stores: dict[str, Any], tmp_path: Path
) -> None:
    sequential = _batch(pair_stores, None)
    summary = sequential.summary()
    # 3 pairs: one.db over 3 days, corrupt.db over its whole (unreadable) range, two.db 2 days
    assert summary["tasks"] == 3 * 3 + 3 + 3 * 2
    assert summary["failed"] == 3 + 3 + 3  # corrupt.db, and the AAA-only last day of each store
    seen: list[int] = []
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = _batch(pair_stores, pool, seen)
    assert seen == list(range(1, summary["tasks"] + 1))
    _assert_same(sequential, pooled, tmp_path / "pool")
    with batch.make_executor(workers=2, dask="local") as executor:
        assert executor is not None
        distributed = _batch(pair_stores, executor)
    _assert_same(sequential, distributed, tmp_path / "dask")


def test_bad_options_are_clear_errors(pair_stores: dict[str, Any]) -> None:
    store = [pair_stores["one"]]
    with pytest.raises(InvalidInputError, match="at least two symbols"):
        batch.run_pairs(store, ["AAAUSDT", "AAAUSDT"])
    with pytest.raises(InvalidInputError, match="no tick stores"):
        batch.run_pairs([], SYMBOLS)
    with pytest.raises(InvalidInputError, match="window"):
        batch.run_pairs(store, SYMBOLS, window=2)
    with pytest.raises(InvalidInputError, match="notional"):
        batch.run_pairs(store, SYMBOLS, notional=math.nan)
    with pytest.raises(InvalidInputError, match="interval"):
        batch.run_pairs(store, SYMBOLS, period="1 month")
    with pytest.raises(InvalidInputError, match="start"):
        batch.run_pairs(store, SYMBOLS, start="yesterday")
    with pytest.raises(InvalidInputError, match="after start"):
        batch.run_pairs(store, SYMBOLS, start="2026-11-24", end="2026-11-23")


def test_summary_json_is_sorted_and_finite(pair_stores: dict[str, Any], tmp_path: Path) -> None:
    result = batch.run_pairs([pair_stores["one"]], ["AAAUSDT", "DDDUSDT"], **OPTIONS)
    written = result.write(tmp_path, "csv")
    text = written["summary"].read_text()
    assert json.loads(text)["failed"] == 1
    assert list(json.loads(text)) == sorted(json.loads(text))


def _blas_threads(_: int) -> batch.TaskResult:
    from threadpoolctl import threadpool_info

    threads = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return batch.TaskResult("blas", rows=[{"threads": max(threads, default=1)}])


def test_a_task_runs_with_one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    # the parallelism of a batch is its tasks: a task's small regressions run on one thread,
    # whatever the caller's setting
    with threadpool_limits(limits=2):
        assert _blas_threads(0).rows == [{"threads": 2}]
        [result] = batch.run_tasks(_blas_threads, [0], ["blas"])
    assert result.rows == [{"threads": 1}]
    with cf.ProcessPoolExecutor(max_workers=1) as pool:
        [pooled] = batch.run_tasks(_blas_threads, [0], ["blas"], pool)
    assert pooled.rows == [{"threads": 1}]


def test_a_published_copy_reads_the_same(pair_stores: dict[str, Any], tmp_path: Path) -> None:
    """What docs/batch.md says to do before putting a store on shared storage: fold the WAL
    into the file (journal_mode=DELETE) and copy that one file; workers read it read-only."""
    import shutil
    import sqlite3

    staging = tmp_path / "staging.db"
    shutil.copy(pair_stores["one"], staging)
    wal = Path(f"{pair_stores['one']}-wal")
    if wal.exists():
        shutil.copy(wal, f"{staging}-wal")
    connection = sqlite3.connect(staging)
    assert connection.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    connection.close()
    published = tmp_path / "shared" / "one.db"
    published.parent.mkdir()
    shutil.copy(staging, published)  # the file alone: no -wal, no -shm
    copy = batch.run_pairs([published], SYMBOLS[:2], period="1d", **OPTIONS)
    original = batch.run_pairs([pair_stores["one"]], SYMBOLS[:2], period="1d", **OPTIONS)
    pd.testing.assert_frame_equal(
        copy.table.drop(columns="store"), original.table.drop(columns="store"), check_exact=True
    )
    assert len(copy.table) == 2


def test_imported_bars_are_paired_too(tmp_path: Path) -> None:
    """A store of OHLC bars imported from a user's files (no trades) is scanned the same way."""
    from tests.pairs.reference import cointegrated_pair

    y, x, _, _ = cointegrated_pair(2 * 1440, beta=0.9, half_life=5, seed=21)
    times = T0_NS + np.arange(y.size, dtype=np.int64) * MINUTE_NS
    path = tmp_path / "imported.db"
    with TickStore(str(path)) as store:
        for symbol, closes in (("YYY", y), ("XXX", x)):
            bars = pd.DataFrame(
                {"ts_ns": times, "open": closes, "high": closes, "low": closes, "close": closes,
                 "volume": np.full(y.size, 5.0)}
            )  # fmt: skip
            store.import_bars(symbol, bars)
        store.flush()
    result = batch.run_pairs([path], ["YYY", "XXX"], period="1d", window=120)
    assert result.summary()["failed"] == 0
    table = result.table
    assert list(table["period"]) == ["2026-11-23", "2026-11-24"]
    for day in (0, 1):
        coint = pairs.engle_granger(
            y[day * 1440 : (day + 1) * 1440], x[day * 1440 : (day + 1) * 1440]
        )
        assert table["eg_beta"].iloc[day] == coint.beta
        assert table["eg_pvalue"].iloc[day] == coint.pvalue
    # no book snapshots in an imported store: the square-root law prices every fill
    assert set(table["slippage_by"]) == {"square_root (no book)"}
