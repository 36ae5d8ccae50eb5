"""`tradecost.batch` costs: the numbers against an independent replay, the same output on every
executor, and bad inputs reported per task while the rest completes."""

from __future__ import annotations

import concurrent.futures as cf
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.batch.conftest import write_recording
from tests.reference import ReferenceBook, reference_walk
from tradecost import FeeSchedule, batch
from tradecost.errors import InvalidInputError
from tradecost.record import read_recording

SIZES = (1_000.0, 250_000.0)


def reference_slippage_bps(path: Path, side: str, notional: float) -> list[float]:
    """Slippage vs mid of every book push, from a Decimal book fed by plain json parsing.

    The estimator turns a notional into a base quantity at the arrival mid and walks that
    quantity; so does this reference."""
    book = ReferenceBook()
    out = []
    for _, frame in read_recording(path):
        push = json.loads(frame)
        if push.get("arg", {}).get("channel") != "books" or "data" not in push:
            continue
        data = push["data"][0]
        if push["action"] == "snapshot":
            book.apply_snapshot(data["bids"], data["asks"])
        else:
            book.apply_update(data["bids"], data["asks"])
        mid = book.mid()
        fill = reference_walk(book, side, quantity=Decimal(repr(notional)) / mid)
        avg = fill.notional / fill.quantity
        move = (avg - mid) if side == "buy" else (mid - avg)
        out.append(float(move / mid * Decimal(10_000)))
    return out


def test_costs_match_an_independent_replay(recordings: dict[str, Path]) -> None:
    result = batch.run_costs([recordings["btc_a"]], SIZES, fee_tier="VIP1")
    table = result.table
    taker_bps = FeeSchedule.for_exchange("okx", market="spot", tier="VIP1").taker * 1e4
    assert result.summary()["failed"] == 0
    assert sorted(table["side"].unique()) == ["buy", "sell"]
    for side in ("buy", "sell"):
        for notional in SIZES:
            expected = reference_slippage_bps(recordings["btc_a"], side, notional)
            row = table[(table["side"] == side) & (table["notional_usd"] == notional)]
            assert len(row) == 1
            row = row.iloc[0]
            assert row["estimates"] == len(expected)
            for stat, value in (
                ("mean", np.mean(expected)),
                ("p50", np.percentile(expected, 50)),
                ("p90", np.percentile(expected, 90)),
            ):
                assert row[f"slippage_{stat}_bps"] == pytest.approx(value, rel=1e-9, abs=1e-9)
            # a market order pays the taker rate of the tier on every estimate
            # (within the slippage: fees are charged on the filled notional)
            assert row["fee_p50_bps"] == pytest.approx(taker_bps, rel=1e-3)
            assert row["complete_fraction"] == 1.0
    # the bigger order walks deeper: it cannot cost less
    buy = table[table["side"] == "buy"].set_index("notional_usd")
    assert buy.loc[250_000.0, "slippage_p50_bps"] > buy.loc[1_000.0, "slippage_p50_bps"]


def test_health_counts_the_replay(recordings: dict[str, Path]) -> None:
    result = batch.run_costs([recordings["eth"]], [1_000.0], sides=("buy",))
    health = result.health
    assert list(health["instruments"]) == ["ETH-USDT"]
    assert health["gaps"].iloc[0] == 0
    assert health["bad_frames"].iloc[0] == 0
    assert health["book_updates"].iloc[0] == result.table["estimates"].iloc[0]
    assert health["trades"].iloc[0] > 0


def test_sampling_thins_the_estimates(recordings: dict[str, Path]) -> None:
    every = batch.run_costs([recordings["btc_b"]], [1_000.0], sides=("buy",)).table
    sampled = batch.run_costs([recordings["btc_b"]], [1_000.0], sides=("buy",), sample_ms=2_000)
    assert every["estimates"].iloc[0] > sampled.table["estimates"].iloc[0] > 0
    # 20 simulated seconds, at most one estimate per 2 s
    assert sampled.table["estimates"].iloc[0] <= 11


def test_bad_inputs_are_reported_and_the_rest_completes(recordings: dict[str, Path]) -> None:
    paths = [recordings[name] for name in ("btc_a", "truncated", "empty", "no_books", "eth")]
    result = batch.run_costs(paths, [1_000.0])
    summary = result.summary()
    assert summary["tasks"] == 5
    assert summary["succeeded"] == 2
    failures = summary["failures"]
    assert set(failures) == {str(recordings[n]) for n in ("truncated", "empty", "no_books")}
    assert "no frames" in failures[str(recordings["empty"])]
    assert "no OKX order-book frames" in failures[str(recordings["no_books"])]
    assert set(result.table["inst_id"]) == {"BTC-USDT", "ETH-USDT"}


def test_an_exchange_error_in_a_recording_fails_that_task_on_a_pool(
    recordings: dict[str, Path],
) -> None:
    paths = [recordings["refused"], recordings["btc_a"]]
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        result = batch.run_costs(paths, [1_000.0], executor=pool)
    failures = result.summary()["failures"]
    assert list(failures) == [str(recordings["refused"])]
    assert "SubscriptionError: OKX error 60012" in failures[str(recordings["refused"])]
    assert set(result.table["inst_id"]) == {"BTC-USDT"}


def _all(recordings: dict[str, Path]) -> list[Path]:
    return [recordings[name] for name in ("eth", "btc_b", "truncated", "btc_a")]


def _assert_same(left: batch.BatchResult, right: batch.BatchResult) -> None:
    pd.testing.assert_frame_equal(left.table, right.table, check_exact=True)
    pd.testing.assert_frame_equal(left.health, right.health, check_exact=True)
    assert left.summary() == right.summary()


def test_process_pool_gives_the_same_output(recordings: dict[str, Path]) -> None:
    sequential = batch.run_costs(_all(recordings), SIZES)
    seen: list[int] = []
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = batch.run_costs(
            _all(recordings),
            SIZES,
            executor=pool,
            progress=lambda done, total, _: seen.append(done),
        )
    _assert_same(sequential, pooled)
    assert seen == [1, 2, 3, 4]
    assert sequential.summary()["failed"] == 1


def test_dask_local_cluster_gives_the_same_output(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    sequential = batch.run_costs(_all(recordings), SIZES)
    changing = tmp_path / "changing.ndjson.gz"
    with batch.make_executor(workers=2, dask="local") as executor:
        assert executor is not None
        distributed = batch.run_costs(_all(recordings), SIZES, executor=executor)
        # the cluster never answers from an earlier run's memory: a file rewritten under the
        # same path is read again
        write_recording(changing, "BTC-USDT", 11, 5.0)
        first = batch.run_costs([changing], SIZES, executor=executor)
        write_recording(changing, "BTC-USDT", 12, 5.0)
        second = batch.run_costs([changing], SIZES, executor=executor)
    _assert_same(sequential, distributed)
    _assert_same(second, batch.run_costs([changing], SIZES))
    assert not first.table.equals(second.table)


def test_a_task_that_raises_is_a_failure_not_a_crash() -> None:
    def boom(payload: int) -> batch.TaskResult:
        if payload == 2:
            raise RuntimeError("worker fell over")
        return batch.TaskResult(str(payload), rows=[{"x": payload}])

    results = batch.run_tasks(boom, [1, 2, 3], ["1", "2", "3"])
    assert [result.ok for result in results] == [True, False, True]
    assert "worker fell over" in (results[1].error or "")


def test_bad_options_are_clear_errors(recordings: dict[str, Path]) -> None:
    with pytest.raises(InvalidInputError, match="positive notional"):
        batch.run_costs([recordings["btc_a"]], [-5.0])
    with pytest.raises(InvalidInputError, match="side"):
        batch.run_costs([recordings["btc_a"]], [1.0], sides=("long",))
    with pytest.raises(InvalidInputError, match="no recordings"):
        batch.run_costs([], [1.0])
    with pytest.raises(InvalidInputError, match="workers"), batch.make_executor(workers=0):
        pass


def test_write_round_trips(recordings: dict[str, Path], tmp_path: Path) -> None:
    result = batch.run_costs([recordings["btc_a"], recordings["empty"]], [1_000.0])
    for fmt in ("csv", "parquet"):
        written = result.write(tmp_path / fmt, fmt)
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        back = read(written["costs"])
        assert len(back) == len(result.table)
        np.testing.assert_allclose(back["net_cost_p50_bps"], result.table["net_cost_p50_bps"])
        summary = json.loads(written["summary"].read_text())
        assert summary["failed"] == 1
