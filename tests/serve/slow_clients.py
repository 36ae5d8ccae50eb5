"""The slow-client measurement of `tradecost serve`: a fresh ``serve --demo`` with N WebSocket
clients that subscribe and never read, and the feed's bytes-received → estimate-ready latency
(the hub's ``end_to_end`` histogram, which starts with the process) after ``seconds``.

Used by tests/serve/test_slow_clients.py (functional checks only) and by
``benchmarks/bench_serve.py`` (prints the numbers of docs/web.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import websockets

from tests.serve.conftest import start_serve, wait_for


async def _stalled_run(url: str, count: int, seconds: float) -> tuple[dict[str, Any], int]:
    """``count`` clients that send an order and then never read for ``seconds``; the server's
    health at the end, and how many of the clients it closed (dropped as too slow)."""
    ws_url = url.replace("http", "ws") + "/ws/live"
    clients = []
    for _ in range(count):
        # max_queue=1: once a message waits unread, the client stops reading its socket
        ws = await websockets.connect(ws_url, max_queue=1, max_size=None)
        await ws.send(json.dumps({"type": "order"}))
        clients.append(ws)
    await asyncio.sleep(seconds)
    async with httpx.AsyncClient(timeout=10) as http:
        health: dict[str, Any] = (await http.get(url + "/api/health")).json()
    closed = sum(ws.close_code is not None for ws in clients)
    for ws in clients:  # drop the connections at once: a closing handshake would wait on them
        with contextlib.suppress(Exception):
            ws.transport.abort()
    return health, closed


def measure(slow_clients: int, seconds: float) -> dict[str, Any]:
    """Run a fresh server with ``slow_clients`` stalled clients for ``seconds``; its health."""
    server = start_serve()
    try:
        health = wait_for(
            lambda: (
                (r := httpx.get(server.url + "/api/health", timeout=10)).status_code == 200
                and r.json()
            )
        )
        started = time.monotonic()
        health, closed = asyncio.run(_stalled_run(server.url, slow_clients, seconds))
        elapsed = time.monotonic() - started
    finally:
        status, stderr = server.stop(timeout=30.0)
    order_stream = next(
        s for s in health["streams"] if (s["exchange"], s["symbol"]) == ("okx", "BTC-USDT")
    )
    return {
        "slow_clients": slow_clients,
        "seconds": round(elapsed, 1),
        "book_events": order_stream["book_events"],
        "estimates": health["estimates"],
        "end_to_end_p50_us": health["latency"]["end_to_end_p50_us"],
        "end_to_end_p99_us": health["latency"]["end_to_end_p99_us"],
        "feeds": health["feeds"],
        "push": health["push"],
        "closed_by_server": closed,
        "cpu_percent": health["process"].get("cpu_percent"),
        "exit_status": status,
        "traceback": "Traceback" in stderr,
    }
