"""OKXFeed against the simulated exchange over real loopback sockets, one fault kind at a time.

For every fault the feed must recover, end with exactly the exchange's book, never deliver an
event from a book that is out of sync, and count exactly what was injected.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.feed.conftest import assert_same_book, fast_feed, run, wait_until
from tests.feed.framegen import book_frames
from tradecost.feeds.okx import OKXFeed
from tradecost.sim import SimulatedExchange

BTC = "BTC-USDT"

# fault -> (inject kwargs, expected stats subset)
FAULTS: dict[str, tuple[dict[str, Any], dict[str, int]]] = {
    "none": ({}, {"gaps": 0, "resyncs": 0, "reconnects": 0, "bad_frames": 0}),
    "drop": ({}, {"gaps": 1, "resyncs": 1, "duplicates": 0, "reconnects": 0}),
    "duplicate": ({}, {"duplicates": 1, "gaps": 0, "resyncs": 0}),
    "reorder": ({}, {"gaps": 1, "resyncs": 1, "reconnects": 0}),
    "corrupt_checksum": ({}, {"checksum_errors": 1, "resyncs": 1, "gaps": 0}),
    "garbage": ({"count": 3}, {"bad_frames": 3, "resyncs": 0, "gaps": 0}),
    "reset": ({}, {"resets": 1, "gaps": 0, "resyncs": 0}),
    "disconnect": ({}, {"reconnects": 1, "gaps": 0, "timeouts": 0}),
    "stall": ({"duration": 0.6}, {"timeouts": 1, "reconnects": 1, "gaps": 0}),
    "heartbeat": ({}, {"heartbeats": 1, "gaps": 0, "resyncs": 0}),
}


async def consume(feed: OKXFeed, exchange: SimulatedExchange, seen: list[int]) -> None:
    """Check every delivered event against the exchange's history: never a wrong book."""
    assert exchange.history is not None
    async for event in feed:
        assert feed.synced(event.inst_id)
        seq = feed.protocol.last_seq_id(event.inst_id) if feed.protocol else None
        assert seq is not None
        assert event.book.checksum() == exchange.history[(event.inst_id, seq)]
        seen.append(seq)


async def scenario(fault: str, checksum: str = "crc32") -> tuple[OKXFeed, SimulatedExchange]:
    frames = list(book_frames(BTC, n=1_500, seed=3))
    kwargs, _ = FAULTS[fault]
    async with SimulatedExchange(
        frames, rate=4_000, checksum=checksum, record_history=True
    ) as exchange:
        exchange.pause()
        async with fast_feed(exchange) as feed:
            seen: list[int] = []
            consumer = asyncio.create_task(consume(feed, exchange, seen))
            await wait_until(lambda: exchange.connections == 1 and feed.connected.is_set())
            exchange.resume()
            await wait_until(lambda: exchange.frames_published >= 300)
            await wait_until(lambda: feed.synced(BTC))
            if fault != "none":
                exchange.inject(fault, **kwargs)
            await exchange.wait_source_done()
            await wait_until(
                lambda: (
                    feed.synced(BTC)
                    and feed.protocol is not None
                    and feed.protocol.last_seq_id(BTC) == exchange.seq_id(BTC)
                ),
                timeout=10,
            )
            await asyncio.sleep(0.05)
            assert not consumer.done(), consumer
            consumer.cancel()
            assert_same_book(feed.books[BTC], exchange.true_book(BTC))
            assert seen, "the consumer saw no event"
            assert seen[-1] == exchange.seq_id(BTC)
            return feed, exchange


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_feed_recovers_from_fault_and_counts_it(fault: str) -> None:
    feed, exchange = run(scenario(fault))
    _, expected = FAULTS[fault]
    stats = feed.stats.as_dict()
    assert {key: stats[key] for key in expected} == expected
    if fault != "none":
        assert exchange.injected[fault] == FAULTS[fault][0].get("count", 1)
    assert stats["checksum_errors"] == (1 if fault == "corrupt_checksum" else 0)


def test_corrupt_checksum_caught_when_exchange_sends_zero() -> None:
    feed, _ = run(scenario("corrupt_checksum", checksum="zero"))
    assert feed.stats.checksum_errors == 1
    assert feed.stats.resyncs == 1


def test_faults_sprinkled_together() -> None:
    async def body() -> OKXFeed:
        frames = list(book_frames(BTC, n=3_000, seed=11))
        async with SimulatedExchange(frames, rate=6_000, record_history=True) as exchange:
            exchange.pause()
            async with fast_feed(exchange) as feed:
                seen: list[int] = []
                consumer = asyncio.create_task(consume(feed, exchange, seen))
                await wait_until(lambda: feed.connected.is_set())
                exchange.resume()
                for kind in ("drop", "duplicate", "garbage", "reset", "reorder", "disconnect"):
                    target = exchange.frames_published + 250
                    await wait_until(lambda t=target: exchange.frames_published >= t)
                    await wait_until(lambda: feed.synced(BTC) and exchange.connections == 1)
                    exchange.inject(kind)
                await exchange.wait_source_done()
                await wait_until(
                    lambda: (
                        feed.synced(BTC)
                        and feed.protocol is not None
                        and feed.protocol.last_seq_id(BTC) == exchange.seq_id(BTC)
                    ),
                    timeout=10,
                )
                consumer.cancel()
                assert_same_book(feed.books[BTC], exchange.true_book(BTC))
                return feed

    feed = run(body())
    stats = feed.stats
    assert (stats.gaps, stats.duplicates, stats.bad_frames) == (2, 1, 1)
    assert (stats.resets, stats.reconnects, stats.resyncs) == (1, 1, 2)
