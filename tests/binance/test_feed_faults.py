"""BinanceFeed (spot and USDⓈ-M) against the simulated Binance on 127.0.0.1, one fault at a time.

The exchange is ``SimulatedExchange(market, venue="binance")`` driven by a two-symbol correlated
market; it records each symbol's true book rows after every diff event
(``record_history``). For every fault the feed must recover and end with exactly the exchange's
books; every book event it delivers without ``stale=True`` must hold exactly the exchange's book
at the update id the feed has applied; and ``feed.stats`` must count what was injected.

USDⓈ-M runs two connections (depth on ``/public``, trades on ``/market``): a fault the exchange
applies to every open connection (garbage, disconnect, silence, shutdown) hits both.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

import tradecost as tc
from tradecost.feeds.reconnect import Backoff
from tradecost.sim import CorrelatedMarket, SimulatedExchange
from tradecost.sim.binance_server import BinanceExchange

SYMBOLS = ("ETHUSDT", "BTCUSDT")
MARKETS = ("spot", "usdm")
#: the feed's silence watchdog in these tests (10 s by default): long enough that a loaded
#: machine does not trip it, except in the test of the silent fault (``SHORT_SILENCE_S``)
SILENCE_S = 3.0
SHORT_SILENCE_S = 1.0
PAUSE_S = 0.1  # how long settle() pauses the source at most, far below any watchdog


def run(coro: Any, timeout: float = 30.0) -> Any:
    async def limited() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(limited())


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


def exchange(market: str, *, frames: int = 20_000, seed: int = 3, **kw: Any) -> BinanceExchange:
    source = CorrelatedMarket.pair("ETH-USDT", "BTC-USDT", seed=seed)
    options: dict[str, Any] = {"speed": 20.0, "shutdown_grace": 0.05, "record_history": True}
    options.update(kw)
    ex: BinanceExchange = SimulatedExchange(
        source, venue="binance", market=market, limit=frames, **options
    )
    return ex


def binance_feed(ex: BinanceExchange, **kw: Any) -> tc.BinanceFeed:
    """A BinanceFeed on the exchange's live paths, with short timers."""
    options: dict[str, Any] = {
        "rest_url": ex.rest_url,
        "silence_timeout": SILENCE_S,
        "backoff": Backoff(initial=0.01, maximum=0.05),
        "refetch_delay": 0.01,
        "rebuild_timeout": 2.0,
        "rest_timeout": 2.0,
    }
    if ex.market == "spot":
        options["url"] = f"{ex.url}/stream"
    else:
        options["url"] = f"{ex.url}/public/stream"
        options["trades_url"] = f"{ex.url}/market/stream"
    options.update(kw)
    return tc.BinanceFeed(list(SYMBOLS), ex.market, **options)


def depth_protocol(feed: tc.BinanceFeed) -> Any:
    return next(link.protocol for link in feed.links if link.protocol.depth)


def same_levels(levels: Any, rows: list[list[str]]) -> bool:
    """The feed's ``(price, size)`` float levels equal the exchange's string rows exactly."""
    return np.array_equal(levels, np.asarray(rows, dtype=np.float64).reshape(-1, 2))


class Checker:
    """Consumes the feed; checks every delivered book against the exchange's history."""

    def __init__(self, feed: tc.BinanceFeed, ex: BinanceExchange) -> None:
        self.feed = feed
        self.ex = ex
        self.checked = 0
        self.stale = 0
        self.trades = 0
        self.stats: dict[str, int] = {}
        self.task = asyncio.create_task(self._consume())

    async def _consume(self) -> None:
        history = self.ex.history
        assert history is not None
        async for event in self.feed:
            if isinstance(event, tc.TradeEvent):
                assert event.inst_id in SYMBOLS
                self.trades += 1
                continue
            assert isinstance(event, tc.BookEvent)
            if event.stale:
                self.stale += 1
                continue
            # the book is live: it stands at the update id the protocol applied last
            assert self.feed.synced(event.inst_id), event
            update_id = depth_protocol(self.feed).last_update_id(event.inst_id)
            bids, asks = history[(event.inst_id, update_id)]
            assert same_levels(event.book.bids(), bids), (event.inst_id, update_id)
            assert same_levels(event.book.asks(), asks), (event.inst_id, update_id)
            self.checked += 1

    def stop(self) -> None:
        """Stop consuming; keep the feed's counters as they are now (closing the feed later
        marks its books stale, one more stale event each)."""
        assert not self.task.done(), self.task  # the consumer never failed nor ended
        self.task.cancel()
        self.stats = self.feed.stats.as_dict()


def caught_up(feed: tc.BinanceFeed, ex: BinanceExchange) -> bool:
    """Every book in sync at exactly the exchange's last update id, every link connected."""
    protocol = depth_protocol(feed)
    return all(link.conn is not None for link in feed.links) and all(
        feed.synced(s) and protocol.last_update_id(s) == ex.last_update_id(s) for s in SYMBOLS
    )


async def settle(feed: tc.BinanceFeed, ex: BinanceExchange, frames: int = 600) -> None:
    """Let ``frames`` more source frames pass, then pause the source until the feed has applied
    everything the exchange sent. A book still being rebuilt needs fresh diffs to bridge its
    snapshot, so if the feed does not catch up within a moment (far less than the silence
    watchdog) the source runs on a little and the pause is tried again. Returns with the source
    paused (call ``ex.resume()`` to go on)."""
    target = ex.frames_published + frames
    await wait_until(lambda: ex.frames_published >= target)
    async with asyncio.timeout(10):
        while True:
            ex.pause()
            try:
                await wait_until(lambda: caught_up(feed, ex), timeout=PAUSE_S)
                return
            except TimeoutError:
                ex.resume()
                more = ex.frames_published + 50
                await wait_until(lambda more=more: ex.frames_published >= more)


def assert_exact_books(feed: tc.BinanceFeed, ex: BinanceExchange) -> None:
    for symbol in SYMBOLS:
        bids, asks = ex.true_book(symbol).levels()
        assert len(bids) > 50 and len(asks) > 50
        book = feed.books[symbol]
        np.testing.assert_array_equal(book.bids(), np.array(bids, dtype=float).reshape(-1, 2))
        np.testing.assert_array_equal(book.asks(), np.array(asks, dtype=float).reshape(-1, 2))


def links(market: str) -> int:
    return 1 if market == "spot" else 2


# fault -> (inject kwargs, n connections -> (expected stats, expected count in ex.injected))
FAULTS: dict[str, tuple[dict[str, Any], Any]] = {
    "none": ({}, lambda n: ({"gaps": 0, "resyncs": 0, "reconnects": 0, "bad_frames": 0}, 0)),
    "drop": ({}, lambda n: ({"gaps": 1, "resyncs": 1, "duplicates": 0, "reconnects": 0}, 1)),
    "duplicate": ({}, lambda n: ({"duplicates": 1, "gaps": 0, "resyncs": 0}, 1)),
    "reorder": ({}, lambda n: ({"gaps": 1, "resyncs": 1, "reconnects": 0}, 1)),
    "corrupt": ({}, lambda n: ({"bad_frames": 1, "resyncs": 1, "gaps": 0}, 1)),
    "gap": ({}, lambda n: ({"gaps": 2, "resyncs": 2, "refetches": 0, "reconnects": 0}, 2)),
    "garbage": ({"count": 4}, lambda n: ({"bad_frames": 4 * n, "resyncs": 0, "gaps": 0}, 4 * n)),
    "disconnect": ({}, lambda n: ({"reconnects": n, "timeouts": 0, "gaps": 0}, n)),
    "silent": (
        {"duration": 2.5 * SHORT_SILENCE_S},
        # only the depth connection has a watchdog; a silent trade stream is not dead
        lambda n: ({"timeouts": 1, "reconnects": 1, "gaps": 0}, n),
    ),
    "shutdown": ({}, lambda n: ({"shutdowns": n, "reconnects": n, "timeouts": 0}, n)),
}
# stale events: one per in-sync book that broke (connection faults break both symbols' books)
STALE = {
    "drop": 1,
    "reorder": 1,
    "corrupt": 1,
    "gap": 2,
    "disconnect": 2,
    "silent": 2,
    "shutdown": 2,
}


async def fault_scenario(market: str, fault: str) -> tuple[tc.BinanceFeed, BinanceExchange, Any]:
    kwargs, _ = FAULTS[fault]
    silence = SHORT_SILENCE_S if fault == "silent" else SILENCE_S
    async with exchange(market) as ex, binance_feed(ex, silence_timeout=silence) as feed:
        checker = Checker(feed, ex)
        await settle(feed, ex, frames=400)  # injected into a feed that is up to date
        if fault != "none":
            ex.inject(fault, **kwargs)
        ex.resume()
        await settle(feed, ex)
        checker.stop()
        assert_exact_books(feed, ex)
        return feed, ex, checker


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_feed_recovers_from_fault_exactly_and_counts_it(market: str, fault: str) -> None:
    _, ex, checker = run(fault_scenario(market, fault))
    _, expect = FAULTS[fault]
    expected, injected = expect(links(market))
    stats = checker.stats
    assert {key: stats[key] for key in expected} == expected
    assert sum(ex.injected.values()) == injected
    if fault != "none":
        assert ex.injected[fault] == injected
    assert checker.stale == stats["stale_events"] == STALE.get(fault, 0)
    assert checker.checked >= 1 and checker.trades >= 1
    assert stats["errors"] == 0
    # one snapshot per symbol to start, one more per book rebuilt
    assert stats["rest_snapshots"] == 2 + STALE.get(fault, 0)


@pytest.mark.parametrize("market", MARKETS)
def test_stale_rest_snapshot_is_fetched_again(market: str) -> None:
    """A gap forces a rebuild; the first snapshot served is older than the buffered events."""

    async def scenario() -> tuple[tc.BinanceFeed, BinanceExchange, Checker]:
        async with exchange(market, seed=5) as ex, binance_feed(ex) as feed:
            checker = Checker(feed, ex)
            await settle(feed, ex, frames=400)
            ex.inject("stale_snapshot", count=2)
            ex.inject("gap", symbol="BTCUSDT")
            ex.resume()
            await settle(feed, ex)
            checker.stop()
            assert_exact_books(feed, ex)
            return feed, ex, checker

    _, ex, checker = run(scenario())
    stats = checker.stats
    assert (stats["gaps"], stats["resyncs"], stats["refetches"]) == (1, 1, 2)
    assert dict(ex.injected) == {"gap": 1, "stale_snapshot": 2}
    assert ex.rest_requests["depth"] == 2 + 3  # two to start, then stale, stale, good
    assert checker.stale == stats["stale_events"] == 1


@pytest.mark.parametrize("market", MARKETS)
def test_faults_sprinkled_together(market: str) -> None:
    schedule: list[tuple[str, dict[str, Any]]] = [
        ("drop", {"symbol": "ETHUSDT"}),
        ("duplicate", {}),
        ("garbage", {}),
        ("corrupt", {"symbol": "BTCUSDT"}),
        ("reorder", {"symbol": "ETHUSDT"}),
        ("disconnect", {}),
        ("gap", {"symbol": "BTCUSDT"}),
        ("shutdown", {}),
    ]

    async def scenario() -> tuple[tc.BinanceFeed, BinanceExchange, Checker]:
        async with exchange(market, frames=40_000, seed=9) as ex, binance_feed(ex) as feed:
            checker = Checker(feed, ex)
            for kind, kwargs in schedule:
                await settle(feed, ex, frames=200)
                ex.inject(kind, **kwargs)
                ex.resume()
            await settle(feed, ex)
            checker.stop()
            assert_exact_books(feed, ex)
            return feed, ex, checker

    _, _, checker = run(scenario(), timeout=60)
    n = links(market)
    stats = checker.stats
    assert (stats["gaps"], stats["duplicates"], stats["bad_frames"]) == (3, 1, 1 * n + 1)
    assert (stats["reconnects"], stats["shutdowns"], stats["timeouts"]) == (2 * n, n, 0)
    assert stats["resyncs"] == 4  # drop, corrupt, reorder, gap
    assert checker.stale == stats["stale_events"] == 4 + 2 + 2  # + disconnect, shutdown
    assert checker.checked >= 1


@pytest.mark.parametrize("market", MARKETS)
def test_connections_are_replaced_before_their_age_limit(market: str) -> None:
    """The feed rotates its connections (Binance's 24 h limit, here 0.6 s) and stays exact."""

    async def scenario() -> tuple[tc.BinanceFeed, BinanceExchange, Checker]:
        async with (
            exchange(market, frames=20_000, seed=4) as ex,
            binance_feed(ex, max_connection_age=0.6) as feed,
        ):
            checker = Checker(feed, ex)
            await wait_until(lambda: feed.stats.rotations >= links(market) + 1)
            await settle(feed, ex, frames=50)
            checker.stop()
            assert_exact_books(feed, ex)
            return feed, ex, checker

    _, _, checker = run(scenario())
    stats = checker.stats
    assert stats["rotations"] >= links(market) + 1
    assert stats["reconnects"] == stats["rotations"]  # every new connection was a planned one
    assert (stats["timeouts"], stats["gaps"], stats["bad_frames"]) == (0, 0, 0), stats
    assert checker.stale == stats["stale_events"] >= 2


@pytest.mark.parametrize("market", MARKETS)
def test_server_closing_old_connections_is_survived(market: str) -> None:
    """The exchange closes connections older than its limit (1001), the feed comes back."""

    async def scenario() -> tuple[tc.BinanceFeed, BinanceExchange, Checker]:
        async with (
            exchange(market, frames=20_000, seed=8, max_connection_age=0.6) as ex,
            binance_feed(ex) as feed,
        ):
            checker = Checker(feed, ex)
            await wait_until(lambda: feed.stats.reconnects >= links(market) + 1)
            await settle(feed, ex, frames=50)
            checker.stop()
            assert_exact_books(feed, ex)
            return feed, ex, checker

    _, _, checker = run(scenario())
    stats = checker.stats
    assert stats["reconnects"] >= links(market) + 1
    assert (stats["rotations"], stats["timeouts"], stats["gaps"]) == (0, 0, 0), stats
    assert checker.stale == stats["stale_events"] >= 2


@pytest.mark.parametrize("market", MARKETS)
def test_server_pings_are_answered(market: str) -> None:
    async def scenario() -> tuple[tc.BinanceFeed, BinanceExchange]:
        async with (
            exchange(market, ping_interval=0.05, pong_timeout=0.5) as ex,
            binance_feed(ex) as feed,
        ):
            checker = Checker(feed, ex)
            await wait_until(lambda: ex.pongs_received >= 2 * links(market))
            await settle(feed, ex, frames=100)
            checker.stop()
            assert_exact_books(feed, ex)
            return feed, ex

    feed, ex = run(scenario())
    assert ex.pongs_received >= 2 * links(market)
    assert feed.stats.pings >= ex.pongs_received
    assert feed.stats.reconnects == 0 and feed.stats.timeouts == 0


def test_retired_futures_path_is_dropped_by_the_watchdog() -> None:
    """The pre-2026 futures path accepts the connection and sends nothing: the watchdog drops
    it again and again; no book is ever delivered as in sync."""

    async def scenario() -> tc.BinanceFeed:
        async with (
            exchange("usdm") as ex,
            binance_feed(ex, url=f"{ex.url}/stream", trades=False, silence_timeout=0.2) as feed,
        ):
            events: list[Any] = []

            async def consume() -> None:
                async for event in feed:
                    events.append(event)

            task = asyncio.create_task(consume())
            await wait_until(lambda: feed.stats.timeouts >= 3)
            assert not any(feed.synced(s) for s in SYMBOLS)
            assert not task.done()
            task.cancel()
            assert events == []
            return feed

    feed = run(scenario())
    stats = feed.stats
    assert stats.reconnects >= stats.timeouts - 1 >= 2
    assert stats.book_messages == 0 and stats.rest_snapshots == 0
