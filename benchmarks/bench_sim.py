"""Simulated-market throughput (pytest-benchmark medians; no timing assertions).

Run: PYTHONPATH=src python -m pytest benchmarks/bench_sim.py -p no:cacheprovider --benchmark-only

Each round starts from a freshly built (and warmed-up) market made in ``setup``, so rounds are
independent and the warm-up is not timed. Rates are in ``extra_info`` (events/s, frames/s, MB/s).
"""

from __future__ import annotations

import pytest

from tradecost.sim import SimulatedMarket

EVENTS = 1_000_000
FRAMES = 20_000


def fresh_market() -> tuple[tuple[SimulatedMarket], dict[str, object]]:
    return (SimulatedMarket(seed=7),), {}


def _rates(benchmark, n_events: int, n_frames: int = 0, n_bytes: int = 0) -> None:
    median = benchmark.stats.stats.median
    benchmark.extra_info["events_per_s"] = round(n_events / median)
    if n_frames:
        benchmark.extra_info["frames_per_s"] = round(n_frames / median)
        benchmark.extra_info["mb_per_s"] = round(n_bytes / median / 1e6, 1)


def test_engine_order_flow_events(benchmark):
    """Order-flow events (limit, cancel, market orders) with nothing published."""
    counts = []

    def run(market: SimulatedMarket) -> None:
        start = market.event_count
        market.advance(events=EVENTS)
        counts.append(market.event_count - start)

    benchmark.pedantic(run, setup=fresh_market, rounds=5)
    assert counts[-1] == EVENTS
    _rates(benchmark, EVENTS)


@pytest.mark.parametrize(
    "channels",
    [("books", "trades"), ("books-l2-tbt", "trades"), ("books", "books5", "bbo-tbt", "trades")],
    ids=["books+trades", "l2-tbt+trades", "books+books5+bbo+trades"],
)
@pytest.mark.parametrize("checksum", [False, True], ids=["no-checksum", "checksum"])
def test_frames(benchmark, channels, checksum):
    """Formatted OKX frames (str), consumed one by one as a server would."""
    sizes = []

    def run(market: SimulatedMarket) -> None:
        start = market.event_count
        total = 0
        for frame in market.messages(n=FRAMES, channels=channels, checksum=checksum):
            total += len(frame)
        sizes.append((market.event_count - start, total))

    benchmark.pedantic(run, setup=fresh_market, rounds=5)
    events, total = sizes[-1]
    _rates(benchmark, events, FRAMES, total)
