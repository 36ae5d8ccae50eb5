"""`tradecost simulate` end to end: the demo exchange on 127.0.0.1, a real WebSocket, the JSON
stream checked field by field, the terminal view read back from a pseudo-terminal."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FIELDS_FLOAT = [
    "quantity",
    "notional_usd",
    "arrival_mid",
    "avg_price",
    "slippage_usd",
    "slippage_bps",
    "fee_usd",
    "fee_bps",
    "impact_usd",
    "impact_bps",
    "net_cost_usd",
    "net_cost_bps",
    "maker_fraction",
    "taker_fraction",
    "volatility",
    "daily_volume_usd",
    "remaining_usd",
    "best_bid",
    "best_ask",
]


def tradecost(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradecost.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_demo_json_every_field_on_every_line(tmp_path: Path):
    log = tmp_path / "estimates.csv"
    result = tradecost(
        "simulate", "--demo", "--json", "--duration", "3", "--usd", "50000", "--log", str(log)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) >= 10  # OKX `books` pushes every 100 ms
    seq = None
    for line in lines:
        r = json.loads(line)
        for name in FIELDS_FLOAT:
            assert isinstance(r[name], float), (name, r[name])
            assert math.isfinite(r[name]), name
        assert r["inst_id"] == "BTC-USDT" and r["side"] == "buy" and r["order_type"] == "market"
        assert r["best_bid"] < r["best_ask"] and not r["crossed"] and not r["stale"]
        assert r["arrival_mid"] == pytest.approx((r["best_bid"] + r["best_ask"]) / 2)
        assert r["notional_usd"] == 50000.0
        # OKX spot Lv1 taker fee: 0.10 % of the filled notional (at the average fill price), a
        # market order is all taker
        assert r["fee_bps"] == pytest.approx(10.0 * r["avg_price"] / r["arrival_mid"], rel=1e-9)
        assert (r["maker_fraction"], r["taker_fraction"]) == (0.0, 1.0)
        assert r["slippage_bps"] >= 0
        assert r["avg_price"] >= r["best_ask"] - 1e-9
        assert r["net_cost_usd"] == pytest.approx(
            r["slippage_usd"] + r["fee_usd"] + r["impact_usd"], rel=1e-12
        )
        assert r["impact_model"].startswith("square_root")
        assert r["complete"] is True and r["remaining_usd"] == 0.0
        assert isinstance(r["latency_ns"], int) and r["latency_ns"] > 0
        assert isinstance(r["end_to_end_ns"], int) and r["end_to_end_ns"] >= r["latency_ns"]
        assert r["feed"]["gaps"] == 0 and r["feed"]["bad_frames"] == 0
        assert "slippage_model_untrained" in r["flags"]
        if seq is not None:
            assert r["seq_id"] > seq
        seq = r["seq_id"]
    with log.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        r = json.loads(line)
        assert int(row["seq_id"]) == r["seq_id"]
        assert float(row["net_cost_usd"]) == r["net_cost_usd"]  # repr round-trips exactly
        assert row["flags"].split("|") == r["flags"]


def test_demo_parquet_log_holds_every_estimate_typed(tmp_path: Path):
    pq = pytest.importorskip("pyarrow.parquet")
    log = tmp_path / "estimates.parquet"
    result = tradecost("simulate", "--demo", "--json", "--duration", "2", "--log", str(log))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    table = pq.read_table(log)
    assert table.num_rows == len(lines) > 0
    assert str(table.schema.field("flags").type) == "list<element: string>"
    assert str(table.schema.field("seq_id").type) == "int64"
    assert str(table.schema.field("complete").type) == "bool"
    for row, r in zip(table.to_pylist(), lines, strict=True):
        for key, value in r.items():
            if key not in ("feed", "process"):  # nested blocks, not logged
                assert row[key] == value, key


def test_demo_limit_order_and_sell_side():
    result = tradecost(
        "simulate",
        "--demo",
        "--json",
        "--duration",
        "2",
        "--side",
        "sell",
        "--usd",
        "1000",
        "--horizon",
        "30",
        "--steps",
        "3",
    )
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout.splitlines()[-1])
    assert r["side"] == "sell"
    assert r["impact_model"].startswith("almgren_chriss permanent")
    assert r["risk_usd"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--usd", "-5"], "--usd"),
        (["--usd", "nan"], "--usd"),
        (["--fee-tier", "Platinum"], "VIP1"),
        (["--volatility", "high"], "--volatility"),
        (["--side", "hold"], "invalid choice"),
        (["--order-type", "market", "--offset-bps", "3"], "--offset-bps"),
        (["--horizon", "10"], "--steps"),
        (["--duration", "0"], "--duration"),
        (["--log", "out.txt"], "CSV or Parquet"),
    ],
)
def test_invalid_inputs_exit_2_with_one_line(args: list[str], message: str):
    result = tradecost("simulate", "--demo", *args, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert result.stdout == ""


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def test_terminal_view_in_a_pseudo_terminal():
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tradecost.cli", "simulate", "--demo", "--usd", "250000"],
        env={**os.environ, "COLUMNS": "130", "LINES": "45", "TERM": "xterm-256color"},
        dimensions=(45, 130),
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect("end to end", timeout=60)
        # let a few refreshes happen, then read the screen
        child.expect(pexpect.TIMEOUT, timeout=3)
        screen = ANSI.sub("", child.before or "")
        assert "tradecost simulate" in screen
        assert "net cost" in screen
        assert re.search(r"messages [1-9]", screen)
        assert re.search(r"gaps 0", screen)
        match = re.findall(r"net cost\s*│\s*([\d,]+\.\d+)\s*│\s*([\d.]+)", screen)
        assert match, screen[-2000:]
        usd, bps = (float(x.replace(",", "")) for x in match[-1])
        assert usd == pytest.approx(250_000 * bps * 1e-4, rel=1e-3)
        child.sendintr()
        child.expect(r"estimates in [\d.]+ s", timeout=30)
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_models_evaluate_demo_json():
    result = tradecost("models", "evaluate", "--demo", "--json", "--duration", "600")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["source"]["kind"] == "simulated"
    slippage = report["slippage"]
    assert slippage["out_of_sample"] > 1000
    for q in ("p50", "p90"):
        block = slippage["quantiles"][q]
        assert set(block) >= {"model", "walk_book", "nominal"}
        assert 0.0 <= block["model"]["coverage"] <= 1.0
    # walk-the-book is a point forecast, not a p90: the learned p90 must beat it out of sample
    assert report["checks"]["p90_beats_walk_book"] is True
    assert report["checks"]["fill_decreasing_in_distance"] is True
    assert "maker_taker" in report
