"""Feed benchmarks: the sans-I/O protocol, and the whole feed path on a loopback socket.

* ``test_protocol_receive_update``: ``OKXProtocol.receive`` on ``books`` updates of 3 level
  changes each with real CRC32 checksums (decode, seq check, apply, checksum verify); per round
  10,000 frames from the same synced starting state.
* ``test_loopback_throughput``: a server in another process sends 50,000 pre-rendered ``books``
  frames as fast as it can; time until ``OKXFeed`` has applied the last one.
* ``test_loopback_latency``: the same server paced at 2,000 frames/s; per frame, the time from
  just before the server's ``send`` to just after the feed's protocol applied it (same host,
  ``CLOCK_REALTIME`` on both sides): p50 / p99 in ``extra_info``.

``python benchmarks/bench_feed.py`` prints the numbers as JSON (quoted in docs/performance.md).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.feed.framegen import book_frames, sequenced_frames
from tradecost.feeds.okx import Backoff, OKXFeed, OKXProtocol

BTC = "BTC-USDT"
N_THROUGHPUT = 50_000
N_LATENCY = 10_000
N_E2E = int(os.environ.get("TRADECOST_E2E_FRAMES", "100000"))  # bytes → estimate, main() only


def stream(n: int, seed: int = 1) -> list[str]:
    return sequenced_frames(book_frames(BTC, n=n, seed=seed, depth=200))


# ---------------------------------------------------------------------------------- server process


def _serve(frames: list[str], rate: float | None, port_queue: Any, result_queue: Any) -> None:
    """Answer one subscription by sending ``frames``; report the send times (ns) at the end."""
    from websockets.asyncio.server import serve

    async def handler(ws: Any) -> None:
        request = json.loads(await ws.recv())
        arg = request["args"][0]
        await ws.send(json.dumps({"id": request.get("id"), "event": "subscribe", "arg": arg}))
        sent: list[int] = []
        started = time.perf_counter()
        for i, frame in enumerate(frames):
            if rate is not None:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent.append(time.time_ns())
            await ws.send(frame)
        result_queue.put(sent)
        await ws.wait_closed()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
            port_queue.put(next(iter(server.sockets)).getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def run_loopback(n: int, rate: float | None, estimate: bool = False) -> dict[str, Any]:
    frames = stream(n)
    last_seq = json.loads(frames[-1])["data"][0]["seqId"]
    context = multiprocessing.get_context("spawn")
    port_queue, result_queue = context.Queue(), context.Queue()
    server = context.Process(target=_serve, args=(frames, rate, port_queue, result_queue))
    server.start()
    try:
        port = port_queue.get(timeout=30)
        return asyncio.run(_client(port, last_seq, len(frames), result_queue, estimate))
    finally:
        server.kill()
        server.join()


async def _client(
    port: int, last_seq: int, n: int, result_queue: Any, estimate: bool = False
) -> dict[str, Any]:
    """With ``estimate``, every book event is priced (a $100k market buy, fees, square-root
    impact) inside the receive path before the time is stamped: bytes → CostEstimate ready."""
    from tradecost.estimator import CostEstimator

    estimator = CostEstimator("okx", BTC, "Lv1", volatility=0.02, daily_volume_usd=1e9)
    feed = OKXFeed(
        BTC,
        url=f"ws://127.0.0.1:{port}/ws/v5/public",
        instruments={},
        ping_interval=25.0,
        stale_after=None,
        backoff=Backoff(0.05, 0.1),
    )
    applied: list[int] = []
    done = asyncio.Event()
    async with feed:
        protocol = feed.protocol
        assert protocol is not None
        original = protocol.receive

        def timed_receive(frame: str | bytes, local_ts: int) -> Any:
            events = original(frame, local_ts)
            if estimate:
                for event in events:
                    estimator.estimate(event.book, "buy", 100_000.0)
            applied.append(time.time_ns())
            if protocol.last_seq_id(BTC) == last_seq:
                done.set()
            return events

        protocol.receive = timed_receive  # type: ignore[method-assign]
        started = time.perf_counter()
        await asyncio.wait_for(done.wait(), timeout=120)
        elapsed = time.perf_counter() - started
        stats = feed.stats.as_dict()
    sent = result_queue.get(timeout=30)
    book_applied = applied[-len(sent) :]  # the ack precedes the frames
    latencies = [(a - s) / 1_000 for a, s in zip(book_applied, sent, strict=True)]
    latencies.sort()
    return {
        "frames": n,
        "seconds": elapsed,
        "frames_per_second": n / elapsed,
        "latency_us_p50": statistics.median(latencies),
        "latency_us_p99": latencies[int(0.99 * (len(latencies) - 1))],
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


def test_loopback_throughput(benchmark: Any) -> None:
    results: list[dict[str, Any]] = []
    benchmark.pedantic(
        lambda: results.append(run_loopback(N_THROUGHPUT, None)), rounds=3, iterations=1
    )
    benchmark.extra_info["frames_per_second"] = [round(r["frames_per_second"]) for r in results]
    assert all(r["gaps"] == 0 for r in results)


def test_loopback_latency(benchmark: Any) -> None:
    results: list[dict[str, Any]] = []
    benchmark.pedantic(lambda: results.append(run_loopback(N_LATENCY, 2_000.0)), rounds=1)
    benchmark.extra_info["latency_us_p50"] = results[0]["latency_us_p50"]
    benchmark.extra_info["latency_us_p99"] = results[0]["latency_us_p99"]
    assert results[0]["gaps"] == 0


def test_loopback_latency_to_estimate(benchmark: Any) -> None:
    """Bytes on the socket → CostEstimate ready ($100k market buy priced on every update)."""
    results: list[dict[str, Any]] = []
    benchmark.pedantic(
        lambda: results.append(run_loopback(N_LATENCY, 2_000.0, estimate=True)), rounds=1
    )
    benchmark.extra_info["latency_us_p50"] = results[0]["latency_us_p50"]
    benchmark.extra_info["latency_us_p99"] = results[0]["latency_us_p99"]
    assert results[0]["gaps"] == 0


def main() -> None:
    frames = stream(20_001)
    timings = []
    for _ in range(7):
        protocol = _synced_protocol(frames[0])
        started = time.perf_counter()
        for frame in frames[1:]:
            protocol.receive(frame, 0)
        timings.append((time.perf_counter() - started) / (len(frames) - 1))
    zero = [
        frame.replace(f',"checksum":{json.loads(frame)["data"][0]["checksum"]}', ',"checksum":0')
        for frame in frames
    ]
    zero_timings = []
    for _ in range(7):
        protocol = _synced_protocol(zero[0])
        started = time.perf_counter()
        for frame in zero[1:]:
            protocol.receive(frame, 0)
        zero_timings.append((time.perf_counter() - started) / (len(zero) - 1))
    throughput = [run_loopback(N_THROUGHPUT, None) for _ in range(5)]
    latency = run_loopback(N_LATENCY, 2_000.0)
    to_estimate = run_loopback(N_E2E, 2_000.0, estimate=True)
    print(
        json.dumps(
            {
                "protocol_receive_us_per_update_median": round(statistics.median(timings) * 1e6, 3),
                "protocol_receive_us_per_update_checksum_0": round(
                    statistics.median(zero_timings) * 1e6, 3
                ),
                "loopback_frames_per_second_median": round(
                    statistics.median(r["frames_per_second"] for r in throughput)
                ),
                "loopback_frames_per_second_runs": [
                    round(r["frames_per_second"]) for r in throughput
                ],
                "latency_us_p50": round(latency["latency_us_p50"], 1),
                "latency_us_p99": round(latency["latency_us_p99"], 1),
                "latency_frames": latency["frames"],
                "to_estimate_us_p50": round(to_estimate["latency_us_p50"], 1),
                "to_estimate_us_p99": round(to_estimate["latency_us_p99"], 1),
                "to_estimate_frames": to_estimate["frames"],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
