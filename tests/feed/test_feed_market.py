"""The simulated exchange serving the synthetic market (once tradecost.sim has SimulatedMarket)."""

from __future__ import annotations

import asyncio

import pytest

from tests.feed.conftest import assert_same_book, fast_feed, run, wait_until
from tradecost.sim import SimulatedExchange

sim = pytest.importorskip("tradecost.sim")
SimulatedMarket = getattr(sim, "SimulatedMarket", None)


@pytest.mark.skipif(SimulatedMarket is None, reason="tradecost.sim.SimulatedMarket not merged yet")
def test_exchange_serves_the_synthetic_market_through_faults() -> None:
    assert SimulatedMarket is not None
    market = SimulatedMarket(symbol="BTC-USDT", seed=7)

    async def body() -> None:
        async with SimulatedExchange(market, limit=12_000) as exchange:
            exchange.pause()
            async with fast_feed(exchange, "BTC-USDT", trades=True) as feed:
                await wait_until(lambda: exchange.connections == 1)
                exchange.resume()
                await wait_until(lambda: exchange.frames_published >= 2_000)
                await wait_until(lambda: feed.synced("BTC-USDT"))
                exchange.inject("drop")
                await exchange.wait_source_done()
                protocol = feed.protocol
                assert protocol is not None
                await wait_until(
                    lambda: (
                        feed.synced("BTC-USDT")
                        and protocol.last_seq_id("BTC-USDT") == exchange.seq_id("BTC-USDT")
                    ),
                    timeout=10,
                )
                await asyncio.sleep(0.05)
                assert_same_book(feed.books["BTC-USDT"], exchange.true_book("BTC-USDT"))
                assert feed.stats.gaps == 1
                assert feed.stats.resyncs == 1
                assert feed.stats.trades > 0

    run(body())
