"""`tradecost batch costs` on the command line: outputs written, failures reported, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd


def tradecost(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradecost.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_batch_costs_over_a_folder(recordings: dict[str, Path], tmp_path: Path) -> None:
    folder = recordings["btc_a"].parent
    out = tmp_path / "out"
    result = tradecost(
        "batch", "costs", str(folder), "--sizes", "1000,50000", "--side", "buy",
        "--out", str(out), "--format", "csv", "--workers", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # the folder holds 3 good recordings and the 4 bad ones (truncated, empty, no books, refused)
    assert summary["tasks"] == 7
    assert summary["succeeded"] == 3
    assert summary["failed"] == 4
    assert "truncated.ndjson.gz" in result.stderr
    costs = pd.read_csv(out / "costs.csv")
    assert set(costs["notional_usd"]) == {1000.0, 50000.0}
    assert set(costs["side"]) == {"buy"}
    assert json.loads((out / "summary.json").read_text())["failed"] == 4


def test_batch_costs_bad_input(tmp_path: Path) -> None:
    missing = tradecost("batch", "costs", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 1  # every task failed
    assert "no recording at" in missing.stderr
    sizes = tradecost(
        "batch", "costs", str(tmp_path), "--sizes", "1e3,abc", "--out", str(tmp_path / "o")
    )
    assert sizes.returncode == 1
    assert "no recordings" in sizes.stderr or "--sizes" in sizes.stderr


def test_batch_pairs_over_stores(pair_stores: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "pairs"
    result = tradecost(
        "batch", "pairs", str(pair_stores["one"]), str(pair_stores["corrupt"]),
        "--symbols", "AAAUSDT,BBBUSDT", "--period", "1d", "--window", "120",
        "--out", str(out), "--format", "csv", "--workers", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # one.db: 3 UTC days (the last holds AAA alone); corrupt.db: one task over its whole range
    assert summary["tasks"] == 4
    assert summary["succeeded"] == 2
    assert "corrupt.db:AAAUSDT~BBBUSDT/all" in result.stderr
    table = pd.read_csv(out / "pairs.csv")
    assert list(table["period"]) == ["2026-11-23", "2026-11-24"]
    assert set(table["slippage_by"]) == {"book"}
    assert json.loads((out / "summary.json").read_text())["failed"] == 2


def test_batch_pairs_bad_input(pair_stores: dict[str, Any], tmp_path: Path) -> None:
    one = tradecost(
        "batch", "pairs", str(pair_stores["one"]), "--symbols", "AAAUSDT", "--out", str(tmp_path)
    )
    assert one.returncode == 1
    assert "at least two symbols" in one.stderr
    missing = tradecost(
        "batch", "pairs", str(tmp_path / "none.db"), "--symbols", "A,B", "--out", str(tmp_path)
    )
    assert missing.returncode == 1  # every task failed
    assert "no tick store at" in missing.stderr


def test_batch_costs_over_a_tick_store_range(pair_stores: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "store-costs"
    result = tradecost(
        "batch", "costs", str(pair_stores["one"]), "--symbols", "AAAUSDT",
        "--start", "2026-11-24", "--sizes", "1000", "--side", "sell",
        "--out", str(out), "--format", "csv", "--workers", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tasks"] == 1 and summary["failed"] == 0
    costs = pd.read_csv(out / "costs.csv")
    assert list(costs["day"]) == ["2026-11-24"]
    assert list(costs["estimates"]) == [144]
