"""The estimate log's files: every CostEstimate field, typed, in row groups."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import pytest

from tradecost import CostEstimator, OrderBook
from tradecost.errors import InvalidInputError
from tradecost.estimate_log import ParquetEstimateLog, columns, open_estimate_log
from tradecost.estimator import CostEstimate


def records(n: int) -> list[dict[str, object]]:
    book = OrderBook("0.1")
    book.apply_snapshot([["100.0", "2"], ["99.9", "5"]], [["100.1", "1"], ["100.2", "4"]])
    estimator = CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    out = []
    for i in range(n):
        estimate = estimator.estimate(book, "buy", 10.0 + i * 50.0)  # some too thin: flags
        record = {"inst_id": "BTC-USDT", "seq_id": i, "exch_ts": i, "local_ts": i}
        record.update(best_bid=100.0, best_ask=100.1)
        record.update(estimate.as_dict())
        record["end_to_end_ns"] = 1_000 + i
        out.append(record)
    return out


def test_columns_follow_cost_estimate():
    names = list(columns())
    assert names[6:-1] == [f.name for f in dataclasses.fields(CostEstimate)]
    assert names[-1] == "end_to_end_ns"


def test_parquet_row_groups_and_values(tmp_path: Path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = records(25)
    assert any(r["complete"] for r in rows) and not all(r["complete"] for r in rows)
    assert len({tuple(r["flags"]) for r in rows}) > 1  # type: ignore[arg-type]
    path = tmp_path / "x.parquet"
    log = ParquetEstimateLog(path, row_group_size=10)
    for row in rows:
        log.write(row)
    log.close()
    file = pq.ParquetFile(path)
    assert file.metadata.num_row_groups == 3  # 10 + 10 + the 5 left at close
    assert file.read().to_pylist() == rows


def test_csv_rows(tmp_path: Path):
    rows = records(5)
    path = tmp_path / "x.csv"
    with open_estimate_log(path) as log:
        for row in rows:
            log.write(row)
    with path.open() as f:
        back = list(csv.DictReader(f))
    assert [int(b["seq_id"]) for b in back] == [r["seq_id"] for r in rows]
    for b, r in zip(back, rows, strict=True):
        assert b["flags"] == "|".join(r["flags"])  # type: ignore[arg-type]
        assert math.isclose(float(b["net_cost_bps"]), r["net_cost_bps"])  # type: ignore[arg-type]


def test_unknown_suffix_is_an_input_error(tmp_path: Path):
    with pytest.raises(InvalidInputError, match=r"\*\.csv or \*\.parquet"):
        open_estimate_log(tmp_path / "x.json")
