"""``tradecost serve``: the venues' feeds, the hub and the web app in one process, one loop.

``--demo`` starts the built-in simulated exchanges on 127.0.0.1 and connects real WebSocket
feeds to them (the code path of live venues). Ctrl-C (or SIGTERM) stops the web server
gracefully, then the feeds and the exchanges, and the process exits 0 with no traceback:
uvicorn's own signal capture (which re-raises SIGINT after its shutdown) is replaced by ours.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tradecost.errors import InvalidInputError, TradecostError
from tradecost.serve.hub import Hub, OrderSpec
from tradecost.simulate import add_demo_arguments

DEMO_SEED = 7
#: the symbols the demo serves, per venue
DEMO_STREAMS: dict[str, tuple[str, ...]] = {"okx": ("BTC-USDT", "ETH-USDT")}
#: the demo's correlated pair on the simulated Binance: y regressed on x
DEMO_PAIR = ("ETHUSDT", "BTCUSDT")
#: the demo pair's spread: half-life (s) and stationary sd (log units). A short half-life, so
#: that a few minutes of 1 s bars are enough for Engle–Granger to see the cointegration (on
#: seeds 7–11 it rejects at 5 % on 5 minutes, p < 0.001 on 10) and a one-minute window sees the
#: z-score cross its thresholds often
DEMO_PAIR_HALF_LIFE_S = 5.0
DEMO_PAIR_SPREAD_SD = 0.001
#: the common factor's annualised volatility: a hectic day's (BTC's is nearer 0.5), so that in a
#: few minutes the factor moves the legs more than the spread does and the rolling β is close
#: to the true 1.2 rather than lost in the spread's noise
DEMO_PAIR_FACTOR_VOLATILITY = 3.0


@dataclass(frozen=True)
class Source:
    """One venue's feed: where to connect and which symbols to subscribe."""

    venue: str
    url: str
    symbols: tuple[str, ...]
    rest_url: str | None = None


def _uvicorn_server(app: Any, host: str, port: int) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # the serve command owns SIGINT/SIGTERM

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
    )
    return Server(config)


@contextlib.asynccontextmanager
async def demo_sources(seed: int) -> AsyncIterator[list[Source]]:
    """The simulated exchanges of the demo, one per symbol, paced at real time."""
    from tradecost.sim import CorrelatedMarket, SimulatedExchange, SimulatedMarket

    async with contextlib.AsyncExitStack() as stack:
        sources = []
        for venue, symbols in DEMO_STREAMS.items():
            for offset, symbol in enumerate(symbols):
                market = SimulatedMarket(symbol=symbol, seed=seed + offset)
                exchange = await stack.enter_async_context(SimulatedExchange(market, speed=1.0))
                sources.append(Source(venue, exchange.url, (symbol,)))
        pair = CorrelatedMarket.pair(
            _dashed(DEMO_PAIR[0]),
            _dashed(DEMO_PAIR[1]),
            seed=seed,
            half_life_s=DEMO_PAIR_HALF_LIFE_S,
            spread_sd=DEMO_PAIR_SPREAD_SD,
            factor_volatility=DEMO_PAIR_FACTOR_VOLATILITY,
        )
        binance = await stack.enter_async_context(
            SimulatedExchange(pair, venue="binance", market="spot", speed=1.0)  # type: ignore[call-arg]
        )
        sources.append(Source("binance", binance.url + "/stream", DEMO_PAIR, binance.rest_url))
        yield sources


def _dashed(symbol: str) -> str:
    """``ETHUSDT`` → ``ETH-USDT`` (the simulated market's names)."""
    return f"{symbol[:-4]}-{symbol[-4:]}" if symbol.endswith("USDT") else symbol


def open_feed(source: Source, on_event: Callable[[Any], None]) -> Any:
    """The feed of one source: OKX's or Binance's client (live venues when the URL is theirs)."""
    if source.venue == "binance":
        from tradecost.feeds.binance import BinanceFeed

        return BinanceFeed(
            list(source.symbols),
            "spot",
            url=source.url or None,
            rest_url=source.rest_url,
            trades=True,
            on_event=on_event,
        )
    from tradecost.feeds.okx.client import OKXFeed

    return OKXFeed(list(source.symbols), url=source.url or None, trades=True, on_event=on_event)


def demo_estimator_factory(seed: int) -> Callable[..., Any]:
    """Estimators with the simulated market's own volatility and daily volume (measured on an
    independent stretch of it, as `tradecost simulate --demo` does)."""
    from tradecost.serve.hub import default_estimator
    from tradecost.simulate import demo_market_inputs

    volatility, volume = demo_market_inputs(seed)
    return functools.partial(
        default_estimator, default_volatility=volatility, default_daily_volume_usd=volume
    )


def _pair_config(args: argparse.Namespace) -> Any:
    from tradecost.serve.pairs import PairConfig

    if args.demo:
        y, x = DEMO_PAIR
        exchange = "binance"
    elif args.pair:
        names = [name.strip() for name in args.pair.split(",")]
        if len(names) != 2 or not all(names):
            raise InvalidInputError(f"--pair {args.pair!r}: write Y,X (e.g. ETHUSDT,BTCUSDT)")
        y, x = names
        exchange = args.pair_exchange
    else:
        return None
    return PairConfig(
        exchange,
        y,
        x,
        interval=args.pair_interval,
        window=args.pair_window,
        entry=args.pair_entry,
        history=max(600, 4 * args.pair_window),
    )


def live_sources(args: argparse.Namespace, pair: Any) -> list[Source]:
    """Live venues: OKX for the order's instruments, and the pair's venue."""
    from tradecost.feeds.okx.client import OKX_PUBLIC_URL

    okx = list(args.okx_symbol or ([args.symbol] if args.exchange == "okx" else []))
    binance = [args.symbol] if args.exchange == "binance" else []
    if pair is not None:
        (okx if pair.exchange == "okx" else binance).extend([pair.y, pair.x])
    sources = []
    if okx:
        sources.append(Source("okx", OKX_PUBLIC_URL, tuple(dict.fromkeys(okx))))
    if binance:
        sources.append(Source("binance", "", tuple(dict.fromkeys(binance))))
    return sources


async def serve(args: argparse.Namespace, ready: Callable[[str], None] | None = None) -> int:
    """Run until Ctrl-C/SIGTERM or ``args.duration`` seconds; return the exit status."""
    from tradecost.serve.app import create_app
    from tradecost.serve.pairs import PairsService, TradeRecorder
    from tradecost.store import TickStore

    order = OrderSpec(
        args.exchange,
        args.symbol,
        args.side,
        args.order_type,
        args.usd,
        args.fee_tier,
        args.volatility,
    )
    pair_config = _pair_config(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    factory = demo_estimator_factory(args.seed) if args.demo else None
    hub = Hub(order, **({"estimator_factory": factory} if factory else {}))
    background: list[asyncio.Task[Any]] = []
    quit_tasks = asyncio.Event()  # stops the recorder, the analytics and the sampler
    async with contextlib.AsyncExitStack() as stack:
        store = stack.enter_context(TickStore(args.db))
        recorder = TradeRecorder(store)
        pairs = None
        if pair_config is not None:

            def published() -> None:
                assert pairs is not None
                hub.alerts.clear()
                hub.alerts.extend(pairs.alerts[-hub.alerts.maxlen :] if hub.alerts.maxlen else [])
                hub.version += 1

            pairs = PairsService(store, pair_config, on_update=published)
        if args.demo:
            sources = await stack.enter_async_context(demo_sources(args.seed))
        else:
            sources = live_sources(args, pair_config)
        for source in sources:
            feed = open_feed(source, _handler(hub, recorder, source.venue))
            await stack.enter_async_context(feed)
            hub.attach_feed(f"{source.venue}:{','.join(source.symbols)}", feed)
        background.append(asyncio.create_task(recorder.run(quit_tasks)))
        if hub.sampler is not None:
            background.append(asyncio.create_task(hub.sampler.run(quit_tasks)))
        if pairs is not None:
            background.append(asyncio.create_task(pairs.run(quit_tasks, args.pair_period)))
        app = create_app(hub, store=store, pairs=pairs)
        app.state.recorder = recorder
        server = _uvicorn_server(app, args.host, args.port)
        server_task = asyncio.create_task(server.serve())
        while not server.started:
            if server_task.done():
                server_task.result()
                raise TradecostError(f"the web server did not start on {args.host}:{args.port}")
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://{args.host}:{port}/"
        if ready is not None:
            ready(url)
        waiters = [asyncio.create_task(stop.wait()), server_task]
        if args.duration is not None:
            waiters.append(asyncio.create_task(asyncio.sleep(args.duration)))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(server_task), 3.0)
        except TimeoutError:
            server.force_exit = True
            await server_task
        for waiter in waiters:
            waiter.cancel()
        quit_tasks.set()
        await asyncio.gather(*background, return_exceptions=True)
    return 0


def _handler(hub: Hub, recorder: Any, venue: str) -> Callable[[Any], None]:
    """The feed's callback: the hub's update, and trades queued for the store."""
    on_hub = hub.handler(venue)
    on_trade = recorder.on_trade

    def on_event(event: Any) -> None:
        on_hub(event)
        if hasattr(event, "trade_id"):
            on_trade(venue, event)

    return on_event


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="the web dashboard and HTTP API (pip install 'tradecost[web]')",
        description=(
            "Serve the live cost estimate, books, feed health and the pairs analytics over "
            "HTTP and a WebSocket, with a dashboard page. --demo runs on the built-in simulated "
            "exchanges on 127.0.0.1 (no internet)."
        ),
    )
    parser.add_argument("--demo", action="store_true", help="simulated venues on 127.0.0.1")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument(
        "--exchange", default="okx", choices=["okx", "binance"], help="the order's venue"
    )
    parser.add_argument("--symbol", default="BTC-USDT", help="the order's instrument")
    parser.add_argument(
        "--okx-symbol", action="append", default=None, help="live OKX instruments to stream"
    )
    parser.add_argument("--side", default="buy", choices=["buy", "sell"])
    parser.add_argument("--order-type", default="market", choices=["market", "limit"])
    parser.add_argument("--usd", type=float, default=100_000.0, help="order size, quote units")
    parser.add_argument("--fee-tier", default=None, help="fee tier (default: the venue's base)")
    parser.add_argument("--volatility", type=float, default=None, help="daily, fraction")
    add_demo_arguments(parser)
    parser.add_argument(
        "--db",
        default=":memory:",
        help="tick store recording every trade (SQLite file; default in memory, gone on exit)",
    )
    parser.add_argument(
        "--pair", default=None, help="live pair analytics, Y,X (e.g. ETHUSDT,BTCUSDT)"
    )
    parser.add_argument(
        "--pair-exchange", default="binance", choices=["binance", "okx"], help="the pair's venue"
    )
    parser.add_argument("--pair-interval", default="1s", help="bar length of the pair analytics")
    parser.add_argument("--pair-window", type=int, default=60, help="bars in the rolling fit")
    parser.add_argument("--pair-entry", type=float, default=2.0, help="|z| that opens a trade")
    parser.add_argument(
        "--pair-period", type=float, default=1.0, help="seconds between two pair computations"
    )
    parser.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Exit codes: 0 stopped (Ctrl-C, SIGTERM, --duration), 2 bad inputs or missing extra."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(
            'tradecost serve: error: the web extra is not installed: pip install "tradecost[web]"',
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"tradecost serve: error: --port {args.port} is not a port", file=sys.stderr)
        return 2
    if not args.pair_period >= 0.2:
        print("tradecost serve: error: --pair-period must be at least 0.2 s", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"tradecost serve: warning: listening on {args.host}: anyone who can reach this "
            "address can read the data and upload bars (no authentication)",
            file=sys.stderr,
        )
    from tradecost.loop import run as run_loop

    def ready(url: str) -> None:
        print(f"tradecost serve: {url}  (Ctrl-C to stop)", flush=True)

    try:
        return run_loop(serve(args, ready), "auto")
    except InvalidInputError as exc:
        print(f"tradecost serve: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
