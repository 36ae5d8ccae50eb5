"""`tradecost simulate --exchange binance` end to end against the Binance-like test server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.binance.test_client import fake_binance, run


def test_simulate_json_on_a_binance_endpoint():
    async def main() -> tuple[int, str, str]:
        async with fake_binance() as exchange:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tradecost.cli",
                "simulate",
                "--exchange",
                "binance",
                "--symbol",
                "BTC-USDT",
                "--url",
                exchange.url,
                "--json",
                "--duration",
                "2",
                "--usd",
                "50",
                "--volatility",
                "0.02",
                "--daily-volume",
                "1e9",
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            out, err = await process.communicate()
            assert process.returncode is not None
            return process.returncode, out.decode(), err.decode()

    code, out, err = run(main(), timeout=60)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 10
    for record in lines:
        assert record["inst_id"] == "BTCUSDT"
        assert record["best_bid"] == 100.0 and record["best_ask"] == 101.0
        # Binance spot VIP0 taker: 0.1 % of the filled notional (quantity at the average fill
        # price, here the ask), in bps of the order's notional at the mid; all taker.
        expected = 10.0 * record["avg_price"] / record["arrival_mid"]
        assert abs(record["fee_bps"] - expected) < 1e-9
        assert record["feed"]["gaps"] == 0


def test_simulate_demo_on_binance_says_what_is_missing():
    result = subprocess.run(
        [sys.executable, "-m", "tradecost.cli", "simulate", "--exchange", "binance", "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "simulated Binance exchange" in result.stderr
