"""`tradecost.batch` costs over a tick store range: slippage against an independent Decimal walk
of the snapshots written, the range and symbol selection, bad stores reported per task, and the
same output on a process pool for a batch mixing recordings and stores."""

from __future__ import annotations

import concurrent.futures as cf
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.batch.conftest import DAY_NS, book_levels, book_tick
from tests.reference import ReferenceBook, reference_walk
from tradecost import FeeSchedule, batch

SIZES = (1_000.0, 20_000.0)


def reference_slippage_bps(closes: np.ndarray, day: int, side: str, notional: float) -> list[float]:
    """Slippage vs mid on each snapshot of one UTC day, rebuilt from the levels written."""
    out = []
    tick = book_tick(closes[0])
    for minute in range(day * 1440, (day + 1) * 1440, 10):
        book = ReferenceBook()
        book.apply_snapshot(*book_levels(closes[minute], tick, minute))
        mid = book.mid()
        assert mid is not None
        fill = reference_walk(book, side, quantity=Decimal(repr(notional)) / mid)
        avg = fill.notional / fill.quantity
        move = (avg - mid) if side == "buy" else (mid - avg)
        out.append(float(move / mid * Decimal(10_000)))
    return out


def test_store_costs_match_an_independent_walk(pair_stores: dict[str, Any]) -> None:
    result = batch.run_costs([pair_stores["one"]], SIZES, symbols=["BBBUSDT"], fee_tier="VIP1")
    summary = result.summary()
    # BBB has snapshots on two UTC days; the half day of AAA alone has none of BBB
    assert summary["tasks"] == 2 and summary["failed"] == 0
    table = result.table
    assert set(table["inst_id"]) == {"BBBUSDT"} and set(table["exchange"]) == {"binance"}
    taker_bps = FeeSchedule.for_exchange("binance", market="spot", tier="VIP1").taker * 1e4
    closes = pair_stores["prices_one"]["BBBUSDT"]
    for day, label in enumerate(("2026-11-23", "2026-11-24")):
        for side in ("buy", "sell"):
            for notional in SIZES:
                expected = reference_slippage_bps(closes, day, side, notional)
                row = table[
                    (table["day"] == label)
                    & (table["side"] == side)
                    & (table["notional_usd"] == notional)
                ]
                assert len(row) == 1
                row = row.iloc[0]
                assert row["estimates"] == len(expected) == 144
                for stat, value in (
                    ("mean", np.mean(expected)),
                    ("p50", np.percentile(expected, 50)),
                    ("p90", np.percentile(expected, 90)),
                ):
                    assert row[f"slippage_{stat}_bps"] == pytest.approx(value, rel=1e-9, abs=1e-9)
                assert row["fee_p50_bps"] == pytest.approx(taker_bps, rel=1e-3)
    health = result.health
    assert list(health["snapshots"]) == [144, 144]
    assert list(health["trades"]) == [1440, 1440]


def test_range_and_symbols_select_and_a_missing_symbol_is_reported(
    pair_stores: dict[str, Any],
) -> None:
    result = batch.run_costs(
        [pair_stores["one"]],
        [1_000.0],
        sides=("buy",),
        symbols=["AAAUSDT", "ZZZUSDT"],
        start="2026-11-23T12:00",
        end="2026-11-24T06:00",
    )
    summary = result.summary()
    one = str(pair_stores["one"])
    assert summary["tasks"] == 3
    assert list(summary["failures"]) == [f"{one}:*:ZZZUSDT/all"]
    assert "ZZZUSDT has no book snapshots" in summary["failures"][f"{one}:*:ZZZUSDT/all"]
    table = result.table
    assert list(table["day"]) == ["2026-11-23", "2026-11-24"]
    assert list(table["estimates"]) == [72, 36]  # 12 h and 6 h of one snapshot per 10 minutes
    # the trades fed to the estimator are those of the range too
    assert list(result.health["trades"]) == [720, 360]


def test_a_corrupt_or_missing_store_is_a_failed_task(
    pair_stores: dict[str, Any], recordings: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"
    corrupt, two = pair_stores["corrupt"], pair_stores["two"]
    inputs = [corrupt, missing, recordings["eth"], two, pair_stores["one"]]
    result = batch.run_costs(inputs, [1_000.0], sides=("sell",))
    failures = result.summary()["failures"]
    assert set(failures) == {f"{corrupt}:*:*/all", f"{missing}:*:*/all", f"{two}:*:*/all"}
    assert "StoreError" in failures[f"{corrupt}:*:*/all"]
    assert "no tick store at" in failures[f"{missing}:*:*/all"]
    # two.db holds trades but no book snapshot: nothing to price, and it says so
    assert "no symbol has book snapshots" in failures[f"{two}:*:*/all"]
    # the recording and the good store (AAA and BBB have books) complete
    assert sorted(set(result.table["inst_id"])) == ["AAAUSDT", "BBBUSDT", "ETH-USDT"]


def test_recordings_and_stores_give_the_same_output_on_a_pool_and_dask(
    pair_stores: dict[str, Any], recordings: dict[str, Path]
) -> None:
    inputs = [pair_stores["one"], recordings["btc_a"], pair_stores["corrupt"], pair_stores["two"]]
    sequential = batch.run_costs(inputs, SIZES, sample_ms=30_000)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = batch.run_costs(inputs, SIZES, executor=pool, sample_ms=30_000)
    with batch.make_executor(workers=2, dask="local") as executor:
        distributed = batch.run_costs(inputs, SIZES, executor=executor, sample_ms=30_000)
    for other in (pooled, distributed):
        pd.testing.assert_frame_equal(sequential.table, other.table, check_exact=True)
        pd.testing.assert_frame_equal(sequential.health, other.health, check_exact=True)
        assert sequential.summary() == other.summary()
    # one.db: AAA and BBB × 2 days; the recording; corrupt.db and two.db (no snapshots) fail
    assert sequential.summary()["tasks"] == 4 + 1 + 1 + 1
    assert sequential.summary()["failed"] == 2
    # at most one estimate per 30 s of exchange time: every 10-minute snapshot still counts
    store_rows = sequential.table[sequential.table["source"] == str(pair_stores["one"])]
    assert set(store_rows["estimates"]) == {144}
    assert DAY_NS // (10 * 60 * 10**9) == 144


def test_derivatives_are_flagged_in_the_health_note() -> None:
    from tradecost.batch.store_costs import note

    for spot in ("BTC-USDT", "BTCUSDT", "ETH-USDC"):
        assert note(spot) == "book sizes priced as base units"
    for derivative in ("BTC-USDT-SWAP", "BTC-USD-240329", "BTC-USD-220325-40000-C"):
        assert "contracts" in note(derivative)
