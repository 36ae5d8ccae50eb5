"""`tradecost serve --demo` end to end over real sockets: the HTTP API, the live WebSocket push
(throttled, conflated, per-client orders), bad input, and a clean Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest
import websockets

from tests.serve.conftest import Served, start_serve, wait_for
from tradecost import CostEstimator
from tradecost.serve.app import MAX_PUSH_HZ


def get(served: Served, path: str, **params: object) -> httpx.Response:
    return httpx.get(served.url + path, params=params, timeout=10)  # type: ignore[arg-type]


def test_latest_estimate_is_live(served: Served) -> None:
    first = wait_for(lambda: get(served, "/api/estimate/latest").json().get("net_cost_bps"))
    assert first > 0
    body = get(served, "/api/estimate/latest").json()
    assert body["exchange"] == "okx"
    assert body["symbol"] == "BTC-USDT"
    assert body["notional_usd"] == 100_000.0
    # nothing counted twice: net = slippage + fees + impact
    assert body["net_cost_usd"] == pytest.approx(
        body["slippage_usd"] + body["fee_usd"] + body["impact_usd"], rel=1e-12
    )
    later = wait_for(
        lambda: (b := get(served, "/api/estimate/latest").json())["exch_ts"] > body["exch_ts"] and b
    )
    assert later["exch_ts"] > body["exch_ts"]


def test_estimate_for_any_order_matches_the_book(served: Served) -> None:
    book = get(served, "/api/book", exchange="okx", symbol="ETH-USDT", depth=400).json()
    response = get(
        served, "/api/estimate", exchange="okx", symbol="ETH-USDT", side="sell", usd=1_000,
        fee_tier="VIP1",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["side"] == "sell"
    assert body["fee_bps"] == pytest.approx(
        CostEstimator("okx", "ETH-USDT", "VIP1").fees.taker * 1e4, rel=1e-3
    )
    # a $1,000 sell of a liquid book walks a level or two below the mid
    assert body["levels"] >= 1
    assert 0 <= body["slippage_bps"] < 50
    assert book["best_bid"] < book["best_ask"]
    assert [row[0] for row in book["bids"]] == sorted(
        (row[0] for row in book["bids"]), reverse=True
    )


def test_bad_queries_are_clear_errors(served: Served) -> None:
    unknown = get(served, "/api/estimate", exchange="okx", symbol="NOPE-USDT")
    assert unknown.status_code == 400
    assert "no live stream okx:NOPE-USDT" in unknown.json()["error"]
    negative = get(served, "/api/estimate", exchange="okx", symbol="BTC-USDT", usd=-5)
    assert negative.status_code == 422
    tier = get(served, "/api/estimate", exchange="okx", symbol="BTC-USDT", fee_tier="VIP99")
    assert tier.status_code == 400
    assert "VIP99" in tier.json()["error"]


def test_health_and_openapi(served: Served) -> None:
    health = wait_for(lambda: (h := get(served, "/api/health").json())["estimates"] > 0 and h)
    assert {(s["exchange"], s["symbol"]) for s in health["streams"]} == {
        ("okx", "BTC-USDT"),
        ("okx", "ETH-USDT"),
        ("binance", "ETHUSDT"),
        ("binance", "BTCUSDT"),
    }
    for stats in health["feeds"].values():
        assert stats["messages"] > 0
        assert stats["gaps"] == 0
    assert health["process"]["rss_mb"] > 10
    assert health["process"]["threads"] >= 1
    spec = get(served, "/openapi.json").json()
    assert "/api/estimate" in spec["paths"]
    assert "Estimate" in spec["components"]["schemas"]


async def _collect(url: str, seconds: float, order: dict[str, object] | None = None) -> list[dict]:
    messages = []
    async with websockets.connect(url.replace("http", "ws") + "/ws/live") as ws:
        if order is not None:
            await ws.send(json.dumps({"type": "order", **order}))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
            except TimeoutError:
                break
            messages.append(json.loads(raw))
    return messages


def test_live_push_is_throttled_and_prices_the_clients_order(served: Served) -> None:
    order = {"exchange": "okx", "symbol": "ETH-USDT", "side": "sell", "usd": 2_500}
    messages = asyncio.run(_collect(served.url, 3.0, order))
    assert len(messages) <= 3.0 * MAX_PUSH_HZ + 2
    priced = [m for m in messages if m["estimate"] and m["estimate"]["symbol"] == "ETH-USDT"]
    assert priced, messages[:2]
    estimate = priced[-1]["estimate"]
    assert estimate["side"] == "sell"
    assert estimate["notional_usd"] == pytest.approx(2_500)
    versions = [m["version"] for m in messages]
    assert versions == sorted(versions)
    assert priced[-1]["health"]["push"]["clients"] >= 1


def test_a_bad_order_on_the_socket_is_reported(served: Served) -> None:
    messages = asyncio.run(_collect(served.url, 1.0, {"symbol": "BTC-USDT", "usd": -1}))
    assert any("usd" in (m.get("order_error") or "") for m in messages)


def test_a_client_that_stops_reading_never_slows_the_feed(served: Served) -> None:
    async def stall() -> None:
        async with websockets.connect(
            served.url.replace("http", "ws") + "/ws/live", max_queue=1
        ) as ws:
            await ws.send(json.dumps({"type": "order"}))
            await asyncio.sleep(3.0)  # never reads

    before = get(served, "/api/health").json()["estimates"]
    asyncio.run(stall())
    after = get(served, "/api/health").json()
    assert after["estimates"] > before  # the feed kept pricing while the client stalled
    assert after["push"]["conflated"] > 0


def test_ctrl_c_stops_cleanly() -> None:
    server = start_serve()
    wait_for(lambda: get(server, "/api/estimate/latest").status_code == 200)
    status, stderr = server.stop(timeout=30.0)  # a hang, not a speed, fails this
    assert status == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--pair", "ETHUSDT"], "--pair 'ETHUSDT': write Y,X"),
        (["--pair", "ETHUSDT,ETHUSDT"], "two symbols"),
        (["--demo", "--pair-window", "2"], "window=2"),
        (["--demo", "--pair-interval", "7x"], "unknown interval '7x'"),
        (["--demo", "--pair-period", "0"], "--pair-period"),
    ],
)
def test_bad_pair_options_exit_2_before_connecting(args: list[str], needle: str) -> None:
    # no --demo and no network: the options are refused before any feed is opened
    result = subprocess.run(
        [sys.executable, "-m", "tradecost.cli", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_another_host_is_warned_about() -> None:
    server = start_serve("--host", "127.0.0.2")  # still loopback: no network in tests
    assert server.url.startswith("http://127.0.0.2:")
    wait_for(lambda: get(server, "/api/health").status_code == 200)
    status, stderr = server.stop(timeout=30.0)
    assert status == 0
    assert "warning: listening on 127.0.0.2" in stderr
    assert "no authentication" in stderr
