"""Feed benchmarks: the sans-I/O protocol, and the whole feed path on a loopback socket.

* ``test_protocol_receive_update``: ``OKXProtocol.receive`` on ``books`` updates of 3 level
  changes each with real CRC32 checksums (decode, seq check, apply, checksum verify); per round
  10,000 frames from the same synced starting state.
* ``test_loopback_throughput``: a server in another process writes 50,000 pre-encoded ``books``
  frames as fast as it can; time until ``OKXFeed`` has applied the last one.
* ``test_loopback_latency``: the same server paced at 2,000 frames/s; per frame, the time from
  just before the server's ``sendall`` of its bytes to the feed's ``on_event`` having the book
  applied (``book``) or a CostEstimate ready (``estimate``), same host, ``CLOCK_REALTIME`` on
  both sides: p50 / p99 / max in ``extra_info``. Each runs on asyncio's and on uvloop's loop.

``python benchmarks/bench_feed.py`` prints the numbers as JSON (quoted in docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.feed.framegen import book_frames, sequenced_frames
from tradecost.feeds.okx import Backoff, OKXFeed, OKXProtocol
from tradecost.loop import event_loop_factory

BTC = "BTC-USDT"
N_THROUGHPUT = 50_000
N_LATENCY = 10_000
N_E2E = int(os.environ.get("TRADECOST_E2E_FRAMES", "100000"))  # bytes → estimate, main() only


def stream(n: int, seed: int = 1) -> list[str]:
    return sequenced_frames(book_frames(BTC, n=n, seed=seed, depth=200))


# ---------------------------------------------------------------------------------- server process


def _serve(frames: list[str], rate: float | None, port_queue: Any, result_queue: Any) -> None:
    """Answer one subscription by writing ``frames`` to the socket; report the send times (ns).

    The handshake and the acknowledgement go through websockets' sans-I/O server; the frames are
    encoded as WebSocket text frames beforehand and each is stamped just before its ``sendall``:
    the clock starts when the bytes go onto the socket, not inside a server's send path.
    """
    from websockets.frames import Frame, Opcode
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    wire = [Frame(Opcode.TEXT, f.encode()).serialize(mask=False) for f in frames]
    listener = socket.create_server(("127.0.0.1", 0))
    port_queue.put(listener.getsockname()[1])
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = ServerProtocol(max_size=None)

    def next_event() -> Any:
        while True:
            events = server.events_received()
            if events:
                return events[0]
            server.receive_data(conn.recv(65536))

    request = next_event()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    for data in server.data_to_send():
        conn.sendall(data)
    subscribe = json.loads(next_event().data)
    ack = {"id": subscribe.get("id"), "event": "subscribe", "arg": subscribe["args"][0]}
    server.send_text(json.dumps(ack).encode())
    for data in server.data_to_send():
        conn.sendall(data)
    sent: list[int] = []
    started = time.perf_counter()
    for i, frame in enumerate(wire):
        if rate is not None:
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent.append(time.time_ns())
        conn.sendall(frame)
    result_queue.put(sent)
    with contextlib.suppress(OSError):
        while conn.recv(65536):
            pass


def run_loopback(
    n: int, rate: float | None, estimate: bool = False, loop: str = "asyncio"
) -> dict[str, Any]:
    """``n`` frames from a server process at ``rate`` frames/s (None: as fast as it can) to an
    ``OKXFeed`` on an ``asyncio`` or ``uvloop`` event loop; per frame, the time from the bytes
    going onto the socket to the book applied (or, with ``estimate``, the estimate ready)."""
    frames = stream(n)
    last_seq = json.loads(frames[-1])["data"][0]["seqId"]
    context = multiprocessing.get_context("spawn")
    port_queue, result_queue = context.Queue(), context.Queue()
    server = context.Process(target=_serve, args=(frames, rate, port_queue, result_queue))
    server.start()
    try:
        port = port_queue.get(timeout=30)
        with asyncio.Runner(loop_factory=event_loop_factory(loop)) as runner:
            result = runner.run(_client(port, last_seq, len(frames), result_queue, estimate))
        result["loop"] = loop
        return result
    finally:
        server.kill()
        server.join()


async def _client(
    port: int, last_seq: int, n: int, result_queue: Any, estimate: bool = False
) -> dict[str, Any]:
    """With ``estimate``, every book event is priced (a $100k market buy, fees, square-root
    impact) in the feed's ``on_event`` before the time is stamped: bytes → CostEstimate ready."""
    from tradecost.estimator import CostEstimator

    estimator = CostEstimator("okx", BTC, "Lv1", volatility=0.02, daily_volume_usd=1e9)
    applied: list[int] = []
    done = asyncio.Event()

    def on_event(event: Any) -> None:
        if estimate:
            estimator.estimate(event.book, "buy", 100_000.0)
        applied.append(time.time_ns())
        if event.seq_id == last_seq:
            done.set()

    feed = OKXFeed(
        BTC,
        url=f"ws://127.0.0.1:{port}/ws/v5/public",
        instruments={},
        ping_interval=25.0,
        stale_after=None,
        backoff=Backoff(0.05, 0.1),
        on_event=on_event,
    )
    async with feed:
        started = time.perf_counter()
        await asyncio.wait_for(done.wait(), timeout=300)
        elapsed = time.perf_counter() - started
        stats = feed.stats.as_dict()
    sent = result_queue.get(timeout=30)
    latencies = [(a - s) / 1_000 for a, s in zip(applied, sent, strict=True)]
    latencies.sort()
    return {
        "frames": n,
        "seconds": elapsed,
        "frames_per_second": n / elapsed,
        "latency_us_p50": statistics.median(latencies),
        "latency_us_p99": latencies[int(0.99 * (len(latencies) - 1))],
        "latency_us_max": latencies[-1],
        "gaps": stats["gaps"],
        "checksum_errors": stats["checksum_errors"],
    }


# ---------------------------------------------------------------------------------- benchmarks


def _synced_protocol(snapshot: str) -> OKXProtocol:
    protocol = OKXProtocol([BTC], instruments={})
    protocol.connection_made(0)
    protocol.receive(snapshot, 0)
    return protocol


def test_protocol_receive_update(benchmark: Any) -> None:
    frames = stream(10_001)
    snapshot, updates = frames[0], frames[1:]

    def replay(protocol: OKXProtocol) -> None:
        receive = protocol.receive
        for frame in updates:
            receive(frame, 0)

    def setup() -> tuple[tuple[OKXProtocol], dict[str, Any]]:
        return (_synced_protocol(snapshot),), {}

    benchmark.pedantic(replay, setup=setup, rounds=15, iterations=1)
    benchmark.extra_info["frames_per_round"] = len(updates)
    protocol = _synced_protocol(snapshot)
    replay(protocol)
    assert protocol.stats.gaps == 0
    assert protocol.stats.checksum_errors == 0


LOOP_KINDS = ["asyncio", "uvloop"]


@pytest.mark.parametrize("loop", LOOP_KINDS)
def test_loopback_throughput(benchmark: Any, loop: str) -> None:
    results: list[dict[str, Any]] = []
    benchmark.pedantic(
        lambda: results.append(run_loopback(N_THROUGHPUT, None, loop=loop)), rounds=3, iterations=1
    )
    benchmark.extra_info["frames_per_second"] = [round(r["frames_per_second"]) for r in results]
    assert all(r["gaps"] == 0 for r in results)


@pytest.mark.parametrize("loop", LOOP_KINDS)
@pytest.mark.parametrize("estimate", [False, True], ids=["book", "estimate"])
def test_loopback_latency(benchmark: Any, loop: str, estimate: bool) -> None:
    """Bytes on the socket → book applied, or → CostEstimate ready ($100k market buy priced on
    every update): p50 / p99 / max in ``extra_info``."""
    results: list[dict[str, Any]] = []
    benchmark.pedantic(
        lambda: results.append(run_loopback(N_LATENCY, 2_000.0, estimate=estimate, loop=loop)),
        rounds=1,
    )
    for key in ("latency_us_p50", "latency_us_p99", "latency_us_max"):
        benchmark.extra_info[key] = results[0][key]
    assert results[0]["gaps"] == 0


def _rounded(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("frames", "frames_per_second", "latency_us_p50", "latency_us_p99", "latency_us_max")
    return {key: round(result[key], 1) for key in keys}


def _receive_us(frames: list[str], rounds: int = 7) -> float:
    """Median µs per ``OKXProtocol.receive`` over ``frames[1:]`` from the synced snapshot."""
    timings = []
    for _ in range(rounds):
        protocol = _synced_protocol(frames[0])
        started = time.perf_counter()
        for frame in frames[1:]:
            protocol.receive(frame, 0)
        timings.append((time.perf_counter() - started) / (len(frames) - 1))
    return round(statistics.median(timings) * 1e6, 3)


def main() -> None:
    """Prints JSON: the protocol alone, then per event loop the loopback throughput (5 runs of
    50k frames), bytes → book applied (10k frames at 2,000/s) and bytes → estimate ready
    (``TRADECOST_E2E_FRAMES`` frames, default 100k, at 2,000/s)."""
    frames = stream(20_001)
    zero = [
        frame.replace(f',"checksum":{json.loads(frame)["data"][0]["checksum"]}', ',"checksum":0')
        for frame in frames
    ]
    report: dict[str, Any] = {
        "protocol_receive_us_per_update_median": _receive_us(frames),
        "protocol_receive_us_per_update_checksum_0": _receive_us(zero),
    }
    for loop in LOOP_KINDS:
        throughput = [run_loopback(N_THROUGHPUT, None, loop=loop) for _ in range(5)]
        report[loop] = {
            "loopback_frames_per_second_median": round(
                statistics.median(r["frames_per_second"] for r in throughput)
            ),
            "loopback_frames_per_second_runs": [round(r["frames_per_second"]) for r in throughput],
            "to_book": _rounded(run_loopback(N_LATENCY, 2_000.0, loop=loop)),
            "to_estimate": _rounded(run_loopback(N_E2E, 2_000.0, estimate=True, loop=loop)),
        }
        print(json.dumps({loop: report[loop]}), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
