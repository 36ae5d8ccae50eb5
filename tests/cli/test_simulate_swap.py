"""`tradecost simulate --demo --symbol BTC-USDT-SWAP`: the order is walked in contracts of 0.01 BTC."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_demo_swap_walks_contracts_not_coins():
    result = subprocess.run(
        [sys.executable, "-m", "tradecost.cli", "simulate", "--demo", "--json", "--no-models",
         "--symbol", "BTC-USDT-SWAP", "--usd", "100000", "--duration", "2"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) >= 5
    for r in lines:
        assert r["inst_id"] == "BTC-USDT-SWAP"
        assert r["quantity"] == pytest.approx(100_000.0 / r["arrival_mid"])  # ~1.05 BTC
        assert r["complete"]
        # OKX swap Lv1 taker 0.05 % of the filled notional
        assert r["fee_bps"] == pytest.approx(5.0 * r["avg_price"] / r["arrival_mid"], rel=1e-9)
    # 105 contracts of 0.01 BTC walk several levels of the simulated book when its touch is
    # thin; read as 1.05 contracts (the unit bug) the order never got past the touch
    assert max(r["levels"] for r in lines) >= 3
