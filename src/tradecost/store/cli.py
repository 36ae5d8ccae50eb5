"""The store's subcommands: ``record --db``, ``bars`` and ``import-bars`` (wired in tradecost.cli).

``tradecost record --db ticks.db --exchange okx --symbol BTC-USDT [--demo]`` stores trades and
books; ``tradecost bars --db ticks.db --symbol BTC-USDT --interval 1m [--csv F | --parquet F]``
prints or writes bars; ``tradecost import-bars --db ticks.db --symbol S FILE.csv`` loads OHLC bars.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from tradecost.errors import FeedError, InvalidInputError

if TYPE_CHECKING:
    from tradecost.sim.binance_server import BinanceExchange

__all__ = [
    "add_bars_parser",
    "add_import_bars_parser",
    "add_record_options",
    "cmd_bars",
    "cmd_import_bars",
    "cmd_record_db",
]

EXCHANGES = ("okx", "binance")
DEMO_SEED = 7


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """The ``record --db`` options, beside the file-recording form's."""
    group = parser.add_argument_group(
        "recording into a tick store (instead of FILE)",
        "tradecost record --db ticks.db --exchange okx --symbol BTC-USDT [--demo]",
    )
    group.add_argument(
        "--db", default=None, help="the tick store (SQLite file; created if missing)"
    )
    group.add_argument("--exchange", choices=EXCHANGES, default="okx", help="venue (default okx)")
    group.add_argument(
        "--symbol", action="append", default=None, help="instrument (repeatable): BTC-USDT, BTCUSDT"
    )
    group.add_argument(
        "--demo", action="store_true", help="record the built-in simulated exchange on 127.0.0.1"
    )
    group.add_argument(
        "--book-interval",
        type=float,
        default=1.0,
        help="seconds between stored book snapshots per symbol (0: every update; default 1)",
    )
    group.add_argument(
        "--book-depth", type=int, default=50, help="levels a side per snapshot (default 50)"
    )


_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH", "BNB")


def _market_symbol(symbol: str) -> str:
    """The simulated market's (OKX-style) name for a symbol: ``BTCUSDT`` → ``BTC-USDT``."""
    if "-" in symbol:
        return symbol
    upper = symbol.upper()
    for quote in _QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return f"{upper[: -len(quote)]}-{quote}"
    raise InvalidInputError(f"cannot tell base from quote in {symbol!r}: write it as BASE-QUOTE")


async def _demo_exchange(
    symbols: Sequence[str], stack: contextlib.AsyncExitStack, **venue: Any
) -> tuple[Any, dict[str, Any]]:
    """The built-in simulated exchange on 127.0.0.1, one simulated market per symbol."""
    from tradecost.feeds.okx import Instrument
    from tradecost.sim import SimulatedExchange, SimulatedMarket

    markets = [
        SimulatedMarket(symbol=_market_symbol(symbol), seed=DEMO_SEED + n)
        for n, symbol in enumerate(symbols)
    ]
    instruments = {m.symbol: Instrument.from_okx(m.instrument) for m in markets}
    if len(markets) == 1:
        source: Any = markets[0]
    else:  # one server for all: the markets' frames merged in time order
        source = (
            (event.ts_ns, event.frame)
            for event in heapq.merge(*(m.events() for m in markets), key=lambda e: e.ts_ns)
        )
    exchange = await stack.enter_async_context(
        # restamp=False: books keep the simulated times the trades carry, so a trade can be
        # priced later on the book it met (book_at)
        SimulatedExchange(
            source, speed=1.0, instruments=instruments.values(), restamp=False, **venue
        )
    )
    return exchange, instruments


async def _okx_events(
    symbols: Sequence[str], demo: bool, stack: contextlib.AsyncExitStack
) -> AsyncIterator[Any]:
    from tradecost.feeds.okx import OKXFeed

    url = None
    instruments = None
    if demo:
        exchange, instruments = await _demo_exchange(symbols, stack)
        url = exchange.url
    feed: AsyncIterator[Any] = await stack.enter_async_context(
        OKXFeed(list(symbols), url=url, trades=True, instruments=instruments)
    )
    return feed


async def _binance_events(
    symbols: Sequence[str], demo: bool, stack: contextlib.AsyncExitStack
) -> AsyncIterator[Any]:
    try:
        from tradecost.feeds.binance import BinanceFeed
    except ImportError:
        raise FeedError(
            "Binance is not available in this build of tradecost (tradecost.feeds.binance is "
            "missing): record --exchange okx instead"
        ) from None
    options: dict[str, Any] = {}
    if demo:
        exchange = await stack.enter_async_context(_demo_binance_exchange(symbols))
        options = exchange.feed_options()
    feed: AsyncIterator[Any] = await stack.enter_async_context(
        BinanceFeed(list(symbols), depth=True, trades=True, **options)
    )
    return feed


def _demo_binance_exchange(symbols: Sequence[str], market: str = "spot") -> BinanceExchange:
    """The simulated Binance on 127.0.0.1: one simulated market for one symbol, else a
    correlated market with a leg per symbol (one common factor, as crypto pairs move)."""
    from tradecost.sim import CorrelatedMarket, SimulatedMarket
    from tradecost.sim.binance_server import BinanceExchange
    from tradecost.sim.correlated import Leg

    names = [_market_symbol(symbol) for symbol in symbols]
    source: Any
    if len(names) == 1:
        source = SimulatedMarket(symbol=names[0], seed=DEMO_SEED)
    else:
        source = CorrelatedMarket([Leg(name) for name in names], seed=DEMO_SEED)
    # what SimulatedExchange(source, venue="binance", ...) builds; restamp=False: books keep
    # the simulated times the trades carry (see _demo_exchange)
    return BinanceExchange(source, market=market, speed=1.0, restamp=False)


async def _record(args: argparse.Namespace) -> dict[str, Any]:
    from tradecost.store.recorder import record_events
    from tradecost.store.tickstore import TickStore

    symbols = list(dict.fromkeys(args.symbol or []))
    if args.exchange == "okx":  # OKX names instruments BASE-QUOTE[-TYPE]
        symbols = [_market_symbol(symbol) for symbol in symbols]
    else:  # Binance writes them BASEQUOTE
        symbols = list(dict.fromkeys(symbol.replace("-", "").upper() for symbol in symbols))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    with TickStore(args.db, book_depth=args.book_depth) as store:
        async with contextlib.AsyncExitStack() as stack:
            open_feed = _okx_events if args.exchange == "okx" else _binance_events
            events = await open_feed(symbols, args.demo, stack)
            stats = await record_events(
                store,
                args.exchange,
                events,
                duration_s=args.duration,
                book_interval_s=args.book_interval,
                book_depth=args.book_depth,
                stop=stop,
            )
    return {
        "db": args.db,
        "exchange": args.exchange,
        "symbols": symbols,
        **stats.as_dict(),
        "seconds": round(time.monotonic() - started, 3),
    }


def cmd_record_db(args: argparse.Namespace) -> int:
    if not args.symbol:
        raise InvalidInputError("record --db needs at least one --symbol")
    if args.book_interval < 0:
        raise InvalidInputError(f"--book-interval must be >= 0 s, not {args.book_interval}")
    if args.duration is not None and not args.duration > 0:
        raise InvalidInputError(f"--duration must be positive, not {args.duration}")
    if args.duration is None:
        print("recording until interrupted (Ctrl-C)", file=sys.stderr)
    summary = asyncio.run(_record(args))
    print(json.dumps(summary))
    return 0


def add_bars_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bars", help="OHLC bars from a tick store, printed as CSV or written to a file"
    )
    parser.add_argument("--db", required=True, help="the tick store (SQLite file)")
    parser.add_argument("--symbol", required=True)
    parser.add_argument(
        "--interval", default="1m", help="1s, 15s, 1m, 5m, 1h, 1d, ... (default 1m)"
    )
    parser.add_argument("--exchange", default=None, help="only this exchange (default: all)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--csv", default=None, metavar="FILE", help="write the bars to FILE.csv")
    target.add_argument("--parquet", default=None, metavar="FILE", help="write FILE.parquet")
    parser.set_defaults(handler=cmd_bars)


def cmd_bars(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tradecost.errors import StoreError
    from tradecost.store.files import write_frame
    from tradecost.store.tickstore import TickStore

    if not Path(args.db).is_file():
        raise StoreError(f"no tick store at {args.db}")
    with TickStore(args.db, read_only=True) as store:
        bars = store.bars(args.symbol, args.interval, exchange=args.exchange)
    target = args.csv or args.parquet
    if target is not None:
        if args.parquet and not str(target).lower().endswith(".parquet"):
            raise InvalidInputError(f"--parquet writes *.parquet, not {target!r}")
        if args.csv and not str(target).lower().endswith(".csv"):
            raise InvalidInputError(f"--csv writes *.csv, not {target!r}")
        write_frame(bars, target)
        print(json.dumps({"file": str(target), "bars": len(bars)}))
    else:
        bars.to_csv(sys.stdout)
    return 0


def add_import_bars_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import-bars", help="check OHLC bars in a CSV file and load them into a tick store"
    )
    parser.add_argument("file", help="CSV: a time column (ts_ns/ts_ms/ts_s/time) and OHLC")
    parser.add_argument("--db", required=True, help="the tick store (created if missing)")
    parser.add_argument("--symbol", required=True)
    parser.add_argument("--exchange", default="csv", help="name to store them under (default csv)")
    parser.add_argument("--interval", default=None, help="bar interval (default: smallest step)")
    parser.set_defaults(handler=cmd_import_bars)


def cmd_import_bars(args: argparse.Namespace) -> int:
    from tradecost.store.files import read_ohlc
    from tradecost.store.tickstore import TickStore

    checked = read_ohlc(args.file, args.interval)  # before the store is created or opened
    with TickStore(args.db) as store:
        count = store.import_bars(
            args.symbol, checked.frame, exchange=args.exchange, interval=checked.interval_ns
        )
    print(json.dumps({"db": args.db, "symbol": args.symbol, "bars": count}))
    return 0
