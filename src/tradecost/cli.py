"""The ``tradecost`` command line. One function per subcommand; ``main()`` dispatches."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from tradecost import simulate
from tradecost.errors import InvalidInputError, TradecostError
from tradecost.feeds.okx.client import OKX_PUBLIC_URL
from tradecost.feeds.okx.protocol import BookEvent, OKXProtocol, TradeEvent
from tradecost.feeds.okx.spec import BOOK_CHANNELS
from tradecost.pairs import cli as pairs_cli
from tradecost.record import record, recording_instruments, timed_frames
from tradecost.store import cli as store_cli


def _add_record(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record raw OKX frames to a gzip'd NDJSON file, or trades and books into a tick "
        "store (--db)",
    )
    parser.add_argument("file", nargs="?", help="output file, e.g. btc.ndjson.gz (or --db)")
    parser.add_argument("--url", default=OKX_PUBLIC_URL, help="OKX-compatible WebSocket URL")
    parser.add_argument(
        "--inst", action="append", default=None, help="instrument id (repeatable; BTC-USDT)"
    )
    parser.add_argument("--channel", default="books", choices=sorted(BOOK_CHANNELS))
    parser.add_argument("--trades", action="store_true", help="also record the trades channel")
    parser.add_argument("--duration", type=float, default=None, help="seconds to record")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    store_cli.add_record_options(parser)
    parser.set_defaults(handler=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    if args.db is not None:
        if args.file is not None:
            raise InvalidInputError("record writes FILE or --db, not both")
        return store_cli.cmd_record_db(args)
    if args.file is None:
        raise InvalidInputError("record needs FILE (raw frames) or --db (a tick store)")
    inst_ids = args.inst or ["BTC-USDT"]
    subscriptions = [(args.channel, inst_id) for inst_id in inst_ids]
    if args.trades:
        subscriptions += [("trades", inst_id) for inst_id in inst_ids]
    if args.duration is None and args.max_frames is None:
        print("recording until interrupted (Ctrl-C)", file=sys.stderr)
    started = time.monotonic()
    try:
        frames = asyncio.run(
            record(
                args.file,
                args.url,
                subscriptions,
                duration=args.duration,
                max_frames=args.max_frames,
            )
        )
    except KeyboardInterrupt:
        frames = -1
    elapsed = time.monotonic() - started
    print(json.dumps({"file": args.file, "frames": frames, "seconds": round(elapsed, 3)}))
    return 0


def _add_replay(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay a recording: through the OKX protocol core, or served by a local exchange",
    )
    parser.add_argument("file", help="a recording (or a shared capture: NDJSON or '<ts>: <frame>')")
    parser.add_argument(
        "--speed",
        type=float,
        default=None,
        help="pace by the recorded times at SPEED x real time (default: as fast as possible)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="serve the recording on a local OKX-protocol server (SimulatedExchange) instead",
    )
    parser.add_argument("--port", type=int, default=0, help="port for --serve (0 = any free)")
    parser.add_argument("--checksum", choices=("crc32", "zero"), default="crc32")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    parser.set_defaults(handler=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    frames = timed_frames(args.file)
    channel, instruments = recording_instruments(frames)
    if not instruments:
        print(f"{args.file}: no order-book frames found", file=sys.stderr)
        return 2
    if args.serve:
        return asyncio.run(_serve(frames, args))
    protocol = OKXProtocol(list(instruments), channel, trades=True, instruments=instruments)
    started = time.perf_counter()
    first_ts = frames[0][0] if frames else 0
    for ts, frame in frames:
        if args.speed is not None:
            delay = started + (ts - first_ts) / 1e9 / args.speed - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        for event in protocol.receive(frame, ts):
            if args.quiet:
                continue
            if isinstance(event, BookEvent):
                book = event.book
                print(
                    f"{event.local_ts} {event.inst_id} {event.action} bid {book.best_bid} "
                    f"ask {book.best_ask} levels {book.n_bids}/{book.n_asks}"
                )
            elif isinstance(event, TradeEvent):
                trade = f"{event.side} {event.size}@{event.price}"
                print(f"{event.local_ts} {event.inst_id} trade {trade}")
    elapsed = time.perf_counter() - started
    summary = {
        "frames": len(frames),
        "seconds": round(elapsed, 6),
        "stats": protocol.stats.as_dict(),
    }
    print(json.dumps(summary))
    return 0


async def _serve(frames: Sequence[tuple[int, str | bytes]], args: argparse.Namespace) -> int:
    from tradecost.sim.exchange import SimulatedExchange

    async with SimulatedExchange(
        frames, port=args.port, speed=args.speed, checksum=args.checksum, restamp=False
    ) as exchange:
        print(json.dumps({"url": exchange.url, "rest_url": exchange.rest_url}), flush=True)
        await exchange.wait_source_done()
        print(json.dumps({"published": exchange.frames_published, "sent": exchange.frames_sent}))
    return 0


def _add_models(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="the learned cost models: `tradecost models evaluate --demo --json`",
        description="Walk-forward, out-of-sample quality of the learned models vs baselines.",
    )
    parser.add_argument("action", choices=["evaluate"])
    parser.add_argument(
        "options", nargs=argparse.REMAINDER, help="see `tradecost models evaluate --help`"
    )
    parser.set_defaults(handler=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from tradecost.models.evaluate import main_evaluate

    return main_evaluate(list(args.options))


def _add_batch(subparsers: Any) -> None:
    from tradecost.batch.cli import add_parser

    add_parser(subparsers)


def _add_serve(subparsers: Any) -> None:
    from tradecost.serve.runner import add_parser

    add_parser(subparsers)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2), as for every other invalid input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tradecost", description="What will this order cost me right now?")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_record(subparsers)
    _add_replay(subparsers)
    simulate.add_parser(subparsers)
    _add_models(subparsers)
    store_cli.add_bars_parser(subparsers)
    store_cli.add_import_bars_parser(subparsers)
    pairs_cli.add_parser(subparsers)
    _add_batch(subparsers)
    _add_serve(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except TradecostError as exc:
        print(f"tradecost: {exc}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
