"""Soak driver: many messages through SimulatedExchange → socket → OKXFeed, faults sprinkled in.

Used by ``tests/feed/test_soak.py`` (100k messages in the normal suite, 1M marked slow) and by
``benchmarks/soak_feed.py`` (prints the numbers quoted in docs/performance.md).
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.feed.framegen import book_frames
from tradecost.feeds.okx import Backoff, OKXFeed
from tradecost.sim import SimulatedExchange

SOAK_FAULTS = ("drop", "duplicate", "reorder", "corrupt_checksum", "garbage", "reset", "disconnect")
BTC = "BTC-USDT"


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class SoakResult:
    messages: int
    seconds: float
    injected: Counter[str]
    stats: dict[str, int]
    rss_samples: list[float] = field(default_factory=list)
    delivered: int = 0
    final_equal: bool = False

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds


async def soak(n: int, *, fault_every: int = 5_000, seed: int = 1) -> SoakResult:
    rng = random.Random(seed)
    frames = book_frames(BTC, n=n, seed=seed, depth=200)
    async with SimulatedExchange(frames, checksum="crc32") as exchange:
        exchange.pause()
        feed = OKXFeed(
            BTC,
            url=exchange.url,
            ping_interval=2.0,
            pong_timeout=2.0,
            stale_after=None,
            backoff=Backoff(initial=0.01, maximum=0.05),
        )
        async with feed:
            delivered = 0
            rss: list[float] = []

            async def consumer() -> None:
                nonlocal delivered
                async for event in feed:
                    if not feed.synced(event.inst_id):
                        raise AssertionError("event delivered from an out-of-sync book")
                    delivered += 1

            consuming = asyncio.create_task(consumer())
            while exchange.connections != 1:
                await asyncio.sleep(0.001)
            started = time.perf_counter()
            exchange.resume()
            next_fault = fault_every
            sample_every = max(1, n // 20)
            next_sample = sample_every
            while not exchange.source_done:
                await asyncio.sleep(0.002)
                published = exchange.frames_published
                if published >= next_sample:
                    rss.append(rss_mb())
                    next_sample += sample_every
                if published >= next_fault and feed.synced(BTC) and exchange.connections == 1:
                    exchange.inject(rng.choice(SOAK_FAULTS))
                    next_fault = published + fault_every
                if consuming.done():
                    consuming.result()
            protocol = feed.protocol
            assert protocol is not None
            deadline = time.monotonic() + 30
            while not (feed.synced(BTC) and protocol.last_seq_id(BTC) == exchange.seq_id(BTC)):
                if time.monotonic() > deadline:
                    raise TimeoutError("the feed did not catch up with the exchange")
                await asyncio.sleep(0.002)
            seconds = time.perf_counter() - started
            consuming.cancel()
            truth_bids, truth_asks = exchange.true_book(BTC).levels()
            book: Any = feed.books[BTC]
            equal = book.bids().tolist() == [
                list(r) for r in truth_bids
            ] and book.asks().tolist() == [list(r) for r in truth_asks]
            rss.append(rss_mb())
            return SoakResult(
                messages=n,
                seconds=seconds,
                injected=Counter(exchange.injected),
                stats=feed.stats.as_dict(),
                rss_samples=rss,
                delivered=delivered,
                final_equal=equal,
            )


def check(result: SoakResult) -> None:
    """The soak's acceptance rules: exact book, exact counts, flat memory, no escapes."""
    injected, stats = result.injected, result.stats
    assert result.final_equal, "the feed's book differs from the exchange's"
    assert stats["gaps"] == injected["drop"] + injected["reorder"], (stats, injected)
    assert stats["duplicates"] == injected["duplicate"], (stats, injected)
    assert stats["checksum_errors"] == injected["corrupt_checksum"], (stats, injected)
    assert stats["bad_frames"] == injected["garbage"], (stats, injected)
    assert stats["resets"] == injected["reset"], (stats, injected)
    assert stats["reconnects"] == injected["disconnect"], (stats, injected)
    expected_resyncs = injected["drop"] + injected["reorder"] + injected["corrupt_checksum"]
    assert stats["resyncs"] == expected_resyncs, (stats, injected)
    # resident memory flat: after warm-up (first quarter) it grows by less than 8 MB
    samples = result.rss_samples
    warm = samples[len(samples) // 4]
    assert max(samples[len(samples) // 4 :]) - warm < 8.0, samples
