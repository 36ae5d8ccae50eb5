"""Record the simulated exchange into a tick store, then read bars and price a trade on the book
it met.

Run: python examples/tick_store.py   (about 10 s; no network: the exchange runs on 127.0.0.1)
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import tradecost as tc
from tradecost.feeds.okx import Instrument
from tradecost.store.recorder import record_events


async def record(store: tc.TickStore, seconds: float) -> None:
    market = tc.sim.SimulatedMarket(symbol="BTC-USDT", seed=7)
    instruments = {"BTC-USDT": Instrument.from_okx(market.instrument)}
    async with (
        tc.sim.SimulatedExchange(market, speed=1.0, restamp=False) as exchange,
        tc.OKXFeed(["BTC-USDT"], url=exchange.url, trades=True, instruments=instruments) as feed,
    ):
        stats = await record_events(store, "okx", feed, duration_s=seconds, book_interval_s=0.5)
    print(f"stored {stats.trades} trades and {stats.books} book snapshots")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ticks.db"
        with tc.TickStore(path) as store:
            live = store.live_bars("BTC-USDT", "1s")
            asyncio.run(record(store, seconds=8.0))
            bars = store.bars("BTC-USDT", "2s")
            print(bars[["open", "high", "low", "close", "volume", "vwap", "trades"]])
            print("live 1 s bar now:", live.current)

            trade = store.trades("BTC-USDT").iloc[-1]
            book = store.book_at("BTC-USDT", int(trade["ts_ns"]))
            if book is not None:
                fill = tc.walk_book(book, "buy", notional=250_000.0)
                print(
                    f"last trade: {trade['side']} {trade['size']} @ {trade['price']}; a $250k buy "
                    f"on the book it met: {fill.avg_price:.2f} average, "
                    f"{fill.slippage_bps:.2f} bps vs mid"
                )


if __name__ == "__main__":
    main()
