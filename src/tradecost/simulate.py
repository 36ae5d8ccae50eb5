"""``tradecost simulate``: the live cost view.

Every book event from the feed is turned into a CostEstimate (every tick is computed, in the
socket's callback as its frame is applied); the
terminal view redraws a few times per second from the latest one, or ``--json`` prints one JSON
object per estimate. ``--demo`` serves the built-in simulated market on 127.0.0.1 and connects to
it over a real WebSocket: the same code path as live OKX (``--exchange binance --demo``: the
simulated Binance, spot or ``--market usdm``, and the same path as live Binance).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tradecost.errors import InvalidInputError, TradecostError
from tradecost.estimate_log import SUFFIXES as LOG_SUFFIXES
from tradecost.estimate_log import EstimateLog, open_estimate_log
from tradecost.estimator import CostEstimate, CostEstimator
from tradecost.feeds.binance.client import BinanceFeed
from tradecost.feeds.okx.client import OKX_PUBLIC_URL, OKXFeed
from tradecost.feeds.okx.protocol import BookEvent, ProcessingTimes, TradeEvent
from tradecost.latency import LatencyHistogram
from tradecost.loop import LOOPS, event_loop_factory, loop_name
from tradecost.loop import run as run_loop
from tradecost.models.live import LiveModels
from tradecost.process_stats import ProcessSampler

DEMO_SEED = 7


@dataclass
class SimulateState:
    """What the view shows: the latest estimate and everything accumulated so far."""

    args: argparse.Namespace
    estimator: CostEstimator
    source: str
    started: float = field(default_factory=time.monotonic)
    last: CostEstimate | None = None
    last_event: BookEvent | None = None
    estimates: int = 0
    trades: int = 0
    end_to_end: LatencyHistogram = field(default_factory=lambda: LatencyHistogram("end to end"))
    timing: ProcessingTimes = field(default_factory=ProcessingTimes)
    feed: OKXFeed | BinanceFeed | None = None
    inputs_note: str = ""
    models: LiveModels | None = None
    event_loop: str = "asyncio"
    process: ProcessSampler | None = None
    """CPU %, resident memory and threads of this process, sampled on the loop (not per tick)."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="live cost of an order on every tick of an order book (terminal view or JSON)",
        description="Estimate, on every book update, what an order would cost right now.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--demo",
        action="store_true",
        help="serve the built-in simulated market on 127.0.0.1 and connect to it (no internet)",
    )
    source.add_argument(
        "--url", default=None, help=f"OKX-compatible WebSocket URL (default {OKX_PUBLIC_URL})"
    )
    parser.add_argument(
        "--exchange", default="okx", choices=["okx", "binance"], help="venue (feed and fee table)"
    )
    parser.add_argument(
        "--market",
        default="spot",
        choices=["spot", "usdm"],
        help="Binance market: spot or USDⓈ-M futures (OKX takes it from the instrument id)",
    )
    parser.add_argument(
        "--symbol",
        default="BTC-USDT",
        help="instrument id, e.g. BTC-USDT (Binance: BTCUSDT; BTC-USDT is accepted)",
    )
    parser.add_argument("--side", default="buy", choices=["buy", "sell"])
    parser.add_argument("--order-type", default="market", choices=["market", "limit"])
    parser.add_argument("--usd", type=float, default=100.0, help="order size in quote currency")
    parser.add_argument(
        "--offset-bps",
        type=float,
        default=None,
        help="limit orders: distance behind the same-side touch in bps (default 0: join it)",
    )
    parser.add_argument(
        "--horizon",
        type=float,
        default=None,
        help="seconds: resting time of a limit order, or a market order's schedule length",
    )
    parser.add_argument("--steps", type=int, default=None, help="slices of a scheduled order")
    parser.add_argument(
        "--volatility",
        default=None,
        help="daily volatility as a fraction (0.02 = 2 %%/day), or 'auto' from the stream "
        "(default: auto; in --demo, the simulated market's own)",
    )
    parser.add_argument(
        "--daily-volume",
        default=None,
        help="traded USD per day, or 'auto' from the trade tape (default: auto; in --demo, the "
        "simulated market's own)",
    )
    parser.add_argument(
        "--fee-tier",
        default=None,
        help="fee tier, e.g. Lv1, VIP1 ... VIP8 (default: the entry tier, OKX Lv1, Binance VIP0)",
    )
    parser.add_argument(
        "--impact-model", default="square_root", choices=["square_root", "almgren_chriss"]
    )
    add_demo_arguments(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per estimate")
    parser.add_argument(
        "--log",
        default=None,
        help="write every estimate to FILE (.csv, .parquet with pyarrow, or .db: a tick store)",
    )
    parser.add_argument(
        "--no-models",
        action="store_true",
        help="do not train the learned slippage and fill models on the stream (market orders)",
    )
    parser.add_argument(
        "--event-loop",
        default="auto",
        choices=LOOPS,
        help="asyncio event loop: uvloop (lower wake-up latency), asyncio, or auto (uvloop if "
        "installed)",
    )
    parser.set_defaults(handler=cmd_simulate)


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed`` (of the ``--demo`` market) and ``--duration``: the options every live
    command (``simulate``, ``serve``) shares."""
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="--demo market seed")
    parser.add_argument("--duration", type=float, default=None, help="stop after SECONDS")


def _number_or_auto(text: str | None, name: str) -> float | str | None:
    if text is None or text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"--{name} must be a number or 'auto', not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InvalidInputError(f"--{name} must be > 0, not {text!r}")
    return value


def _check_args(args: argparse.Namespace) -> None:
    if getattr(args, "exchange", "okx") == "binance":
        # Binance writes symbols without a dash: BTC-USDT (the OKX default) is BTCUSDT there.
        args.symbol = args.symbol.replace("-", "").upper()
    if not (math.isfinite(args.usd) and args.usd > 0):
        raise InvalidInputError(f"--usd must be a positive amount, not {args.usd}")
    if args.duration is not None and not args.duration > 0:
        raise InvalidInputError(f"--duration must be > 0 seconds, not {args.duration}")
    if args.order_type == "market" and args.offset_bps is not None:
        raise InvalidInputError("--offset-bps applies to --order-type limit")
    if (args.steps is None) != (args.horizon is None) and args.order_type == "market":
        raise InvalidInputError("a scheduled market order needs both --horizon and --steps")
    if args.steps is not None and args.steps < 1:
        raise InvalidInputError(f"--steps must be >= 1, not {args.steps}")
    event_loop_factory(args.event_loop)  # uvloop asked for but not installed
    if args.log is not None:
        suffix = Path(args.log).suffix.lower()
        if suffix not in LOG_SUFFIXES:
            raise InvalidInputError(
                f"--log writes CSV or Parquet: name the file *.csv or *.parquet (or *.db for a "
                f"tick store), not {args.log!r}"
            )
        if suffix == ".parquet" and importlib.util.find_spec("pyarrow") is None:
            raise InvalidInputError(
                '--log FILE.parquet needs pyarrow: pip install "tradecost[parquet]"'
            )


def demo_market_inputs(seed: int, minutes: float = 30.0) -> tuple[float, float]:
    """The simulated market's own daily volatility and traded USD per day, measured on an
    independent stretch of it (another seed), so the demo's impact has honest inputs."""
    from tradecost.sim import SimulatedMarket

    market = SimulatedMarket(symbol="BTC-USDT", seed=seed + 1_000_003)
    from tradecost.stream_stats import RealizedVolatility

    volatility = RealizedVolatility(half_life=1e9, min_samples=10)
    notional = 0.0
    first_ts = last_ts = None
    for frame in market.messages(channels=("trades", "bbo-tbt"), duration=minutes * 60.0):
        push = json.loads(frame)
        data = push["data"]
        if push["arg"]["channel"] == "trades":
            for trade in data:
                notional += float(trade["px"]) * float(trade["sz"])
        else:
            top = data[0]
            ts = int(top["ts"]) * 1_000_000
            mid = (float(top["bids"][0][0]) + float(top["asks"][0][0])) / 2.0
            volatility.update(ts, mid)
            first_ts = ts if first_ts is None else first_ts
            last_ts = ts
    span = ((last_ts or 0) - (first_ts or 0)) / 1e9
    if span <= 0 or not volatility.warm:
        raise TradecostError("the simulated market produced no usable sample")
    return volatility.daily, notional / span * 86_400.0


def estimator_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The :class:`CostEstimator` keywords the command line asks for (in ``--demo``, the
    volatility and volume measured on the simulated market unless given) and a note saying
    where the inputs come from."""
    volatility = _number_or_auto(args.volatility, "volatility")
    volume = _number_or_auto(args.daily_volume, "daily-volume")
    note = ""
    if args.demo and (volatility is None or volume is None):
        measured_vol, measured_volume = demo_market_inputs(args.seed)
        if volatility is None:
            volatility = measured_vol
        if volume is None:
            volume = measured_volume
        note = "measured on the simulated market"
    binance = getattr(args, "exchange", "okx") == "binance"
    inputs: dict[str, Any] = {
        "exchange": args.exchange,
        "symbol": args.symbol,
        "fee_tier": args.fee_tier,
        "market": args.market if binance else None,
        "volatility": volatility if volatility is not None else "auto",
        "daily_volume_usd": volume if volume is not None else "auto",
        "impact_model": args.impact_model,
    }
    return inputs, note


def build_estimator(args: argparse.Namespace, **pieces: Any) -> tuple[CostEstimator, str]:
    """The estimator of the command line and the note of :func:`estimator_inputs`; ``pieces``
    are more :class:`CostEstimator` keywords (``instrument``, ``slippage_model``, ...)."""
    inputs, note = estimator_inputs(args)
    return CostEstimator(**inputs, **pieces), note


def _estimate(state: SimulateState, event: BookEvent) -> CostEstimate:
    args = state.args
    estimator = state.estimator
    estimator.observe_book(event.local_ts, event.book)
    kwargs: dict[str, Any] = {"order_type": args.order_type}
    if args.order_type == "limit":
        kwargs["offset_bps"] = 0.0 if args.offset_bps is None else args.offset_bps
        kwargs["horizon_s"] = args.horizon
    elif args.horizon is not None:
        kwargs["horizon_s"] = args.horizon
        kwargs["steps"] = args.steps
    return estimator.estimate(event.book, args.side, args.usd, **kwargs)


def estimate_record(
    state: SimulateState, event: BookEvent, estimate: CostEstimate, end_to_end_ns: int
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "inst_id": event.inst_id,
        "seq_id": event.seq_id,
        "exch_ts": event.exch_ts,
        "local_ts": event.local_ts,
        "best_bid": event.book.best_bid,
        "best_ask": event.book.best_ask,
    }
    record.update(estimate.as_dict())
    record["end_to_end_ns"] = end_to_end_ns
    feed = state.feed
    if feed is not None:
        stats = feed.stats
        record["feed"] = {
            "messages": stats.messages,
            "gaps": stats.gaps,
            "resyncs": stats.resyncs,
            "reconnects": stats.reconnects,
            "bad_frames": stats.bad_frames,
        }
    if state.process is not None:
        record["process"] = state.process.latest.as_dict()
    return record


def _event_handler(
    state: SimulateState, emit: Callable[[dict[str, Any]], None] | None
) -> Callable[[BookEvent | TradeEvent], None]:
    """The feed's ``on_event``: runs in the socket's callback, so every tick is priced as its
    frame is applied, and end to end is bytes received → estimate ready with no task switch.
    Then the event goes to ``state.models`` (queued there: their dataset work runs between
    ticks)."""
    end_to_end = state.end_to_end

    def price(event: BookEvent) -> None:
        try:
            estimate = _estimate(state, event)
        except TradecostError:
            return  # one-sided book for an instant: nothing to price, the view shows the last
        elapsed = time.time_ns() - event.local_ts
        end_to_end.record(elapsed)
        state.estimates += 1
        state.last = estimate
        state.last_event = event
        if emit is not None:
            emit(estimate_record(state, event, estimate, elapsed))

    def on_event(event: BookEvent | TradeEvent) -> None:
        if isinstance(event, TradeEvent):
            state.trades += 1
            state.estimator.observe_trade(event.local_ts, event.price, event.size)
        elif not event.stale:  # stale: out of sync (being rebuilt), nothing to price
            price(event)
        if state.models is not None:
            state.models.on_event(event)

    return on_event


@contextlib.asynccontextmanager
async def _source(args: argparse.Namespace) -> Any:
    """What to connect to: ``(feed options, source name)``; for --demo the simulated exchange
    (OKX, or Binance spot / USDⓈ-M) on 127.0.0.1, else --url or the live venue."""
    from tradecost.sim import SimulatedExchange, SimulatedMarket

    if getattr(args, "exchange", "okx") == "binance":
        if not args.demo:
            name = f"Binance {args.market}" if args.url is None else args.url
            yield {"url": args.url}, name
            return
        from tradecost.sim.binance_server import BinanceExchange
        from tradecost.store.cli import _market_symbol

        market = SimulatedMarket(symbol=_market_symbol(args.symbol), seed=args.seed)
        # what SimulatedExchange(market, venue="binance", ...) builds
        async with BinanceExchange(market, market=args.market, speed=1.0) as exchange:
            yield exchange.feed_options(), f"simulated Binance {args.market} {exchange.url}"
        return
    if not args.demo:
        yield {"url": args.url or OKX_PUBLIC_URL}, "OKX" if args.url is None else args.url
        return
    market = SimulatedMarket(symbol=args.symbol, seed=args.seed)
    async with SimulatedExchange(market, speed=1.0) as exchange:
        yield {"url": exchange.url}, f"simulated exchange {exchange.url}"


async def run(
    args: argparse.Namespace, out: IO[str], inputs: dict[str, Any], note: str = ""
) -> int:
    """Stream, price every tick, show or print the estimates. ``inputs``: the estimator's
    keywords (:func:`estimator_inputs`); on OKX the estimator is built once the feed has
    resolved the instrument, with the learned models it is to ask."""
    log: EstimateLog | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)

    async with _source(args) as (options, source_name):
        state = SimulateState(
            args=args, estimator=CostEstimator(**inputs), source=source_name, inputs_note=note
        )
        state.event_loop = loop_name(loop)
        state.process = ProcessSampler()
        sampler = asyncio.create_task(state.process.run(stop))

        def emit(record: dict[str, Any]) -> None:
            if args.json:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
            if log is not None:
                log.write(record)

        if args.log:
            log = open_estimate_log(args.log)
        try:
            on_event = _event_handler(state, emit if (args.json or args.log) else None)
            source_feed: OKXFeed | BinanceFeed
            if getattr(args, "exchange", "okx") == "binance":
                # The learned models read OKX frames; on Binance the estimate is walk-the-book.
                source_feed = BinanceFeed(
                    [args.symbol], args.market, trades=True, on_event=on_event, **options
                )
            else:
                source_feed = OKXFeed(
                    [args.symbol], trades=True, timing=state.timing, on_event=on_event, **options
                )
            async with source_feed as feed:
                state.feed = feed
                protocol = feed.protocol if isinstance(feed, OKXFeed) else None
                if protocol is not None:
                    # the instrument the feed resolved (the exchange's own contract value)
                    instrument = protocol.streams[args.symbol].instrument
                    models = None
                    if not args.no_models or args.order_type == "limit":
                        # base units per contract; None for an inverse contract
                        contract = instrument.contract_value_base
                        # the models' dataset work runs on the loop between ticks
                        models = LiveModels(
                            str(feed.books[args.symbol].tick_size),
                            loop=loop,
                            contract_value=contract if contract else 1.0,
                        )
                    # no event has been delivered yet: the feed's reader has not run
                    state.estimator = CostEstimator(
                        **inputs, instrument=instrument, slippage_model=models, fill_model=models
                    )
                    state.models = models
                consumer = asyncio.create_task(feed.join())
                view = None if args.json else asyncio.create_task(_render_loop(state, stop))
                waiters = [consumer, asyncio.create_task(stop.wait())]
                if args.duration is not None:
                    waiters.append(asyncio.create_task(asyncio.sleep(args.duration)))
                done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                stop.set()
                for task in pending:
                    task.cancel()
                if view is not None:
                    await view
                if consumer in done and consumer.exception() is not None:
                    raise consumer.exception()  # type: ignore[misc]
        finally:
            sampler.cancel()
            if log is not None:
                log.close()
    if args.json:
        out.flush()
    else:
        _print_summary(state)
    return 0


async def _render_loop(state: SimulateState, stop: asyncio.Event) -> None:
    from rich.live import Live

    from tradecost.view import render

    with Live(render(state), refresh_per_second=4, screen=False, transient=False) as live:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.25)
            live.update(render(state))


def _print_summary(state: SimulateState) -> None:
    summary = state.end_to_end.summary()
    print(
        f"{state.estimates} estimates in {time.monotonic() - state.started:.1f} s; "
        f"bytes received -> estimate ready p50 {summary.p50_ns / 1e3:.1f} us, "
        f"p99 {summary.p99_ns / 1e3:.1f} us",
        file=sys.stderr,
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    """Exit codes: 0 done (also on Ctrl-C), 2 invalid inputs, 1 a failure while running."""
    try:
        _check_args(args)
        inputs, note = estimator_inputs(args)
        CostEstimator(**inputs)  # bad inputs fail here, before connecting
    except TradecostError as exc:
        print(f"tradecost simulate: error: {exc}", file=sys.stderr)
        return 2
    try:
        return run_loop(run(args, sys.stdout, inputs, note), args.event_loop)
    except KeyboardInterrupt:
        return 0
