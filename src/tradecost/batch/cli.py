"""``tradecost batch``: the command line of :mod:`tradecost.batch`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tradecost.errors import InvalidInputError

#: file names a folder argument expands to (what `tradecost record` writes, and plain NDJSON)
RECORDING_PATTERNS = ("*.ndjson", "*.ndjson.gz", "*.jsonl", "*.jsonl.gz", "*.gz")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="the same analyses over many recordings, on a process pool or a Dask cluster",
        description=(
            "Run an analysis over many inputs, one task per input, on this machine's cores "
            "(--workers N) or on Dask (--dask local | --dask tcp://scheduler:8786). The merged "
            "output is the same whatever the executor."
        ),
    )
    kinds = parser.add_subparsers(dest="batch_kind", required=True, parser_class=type(parser))
    costs = kinds.add_parser(
        "costs",
        help="cost of a list of order sizes per recording, instrument and day",
        description=(
            "Replay each recording (tradecost record files, shared captures) through the OKX "
            "feed protocol and price every order size on every in-sync book update; write one "
            "row per instrument/day/side/size with mean, p50 and p90 of slippage, fees, impact "
            "and net cost (bps), book health per recording, and summary.json. A tick store "
            "(*.db) is priced on its book snapshots, one task per exchange, symbol and UTC day "
            "(--symbols, --start, --end choose the range)."
        ),
    )
    costs.add_argument(
        "inputs", nargs="+", help="recordings, folders of them, or tick stores (*.db)"
    )
    costs.add_argument(
        "--sizes",
        default="1000,10000,100000,1000000",
        help="order sizes as quote notionals, comma-separated (default %(default)s)",
    )
    costs.add_argument("--side", choices=("buy", "sell", "both"), default="both")
    costs.add_argument("--fee-tier", default=None, help="fee tier (default: the venue's base)")
    costs.add_argument(
        "--volatility",
        default="auto",
        help="daily volatility as a fraction, or 'auto' from the replayed mids (default)",
    )
    costs.add_argument(
        "--daily-volume-usd",
        default="auto",
        help="daily traded notional for the impact model, or 'auto' from the replayed trades",
    )
    costs.add_argument(
        "--sample-ms",
        type=int,
        default=0,
        help="at most one estimate per instrument per this much exchange time (0: every update)",
    )
    costs.add_argument(
        "--symbols",
        default=None,
        help="tick stores: only these symbols, comma-separated (default: every symbol with "
        "book snapshots)",
    )
    costs.add_argument(
        "--start", default=None, help="tick stores: from this UTC date/time or ns (inclusive)"
    )
    costs.add_argument(
        "--end", default=None, help="tick stores: to this UTC date/time or ns (exclusive)"
    )
    _add_common(costs)
    costs.set_defaults(handler=cmd_batch_costs)

    pairs = kinds.add_parser(
        "pairs",
        help="Engle–Granger, half-life and cost-aware backtest of every pair, per period",
        description=(
            "For every pair of --symbols (i < j: the earlier symbol is y, the later the hedge "
            "x) in every tick store and every --period of the range: the Engle–Granger test "
            "(beta, ADF statistic, p-value), the half-life of its residuals and the pairs "
            "backtest net of fees and slippage, from the store's bars (recorded trades or "
            "imported bars). One task per store, pair and period; writes pairs.<fmt>, "
            "health.<fmt> and summary.json."
        ),
    )
    pairs.add_argument("stores", nargs="+", help="tick store files (SQLite)")
    pairs.add_argument(
        "--symbols", required=True, help="comma-separated symbols, e.g. ETHUSDT,BTCUSDT,SOLUSDT"
    )
    pairs.add_argument(
        "--period",
        default="all",
        help="cut the range into UTC periods of this length (1d, 6h, 1w) or 'all' (default)",
    )
    pairs.add_argument("--start", default=None, help="from this UTC date/time or ns (inclusive)")
    pairs.add_argument("--end", default=None, help="to this UTC date/time or ns (exclusive)")
    pairs.add_argument("--interval", default="1m", help="bar length (default %(default)s)")
    pairs.add_argument(
        "--window", type=int, default=300, help="rolling window in bars (default %(default)s)"
    )
    pairs.add_argument("--exchange", default=None, help="only this exchange's trades")
    pairs.add_argument("--entry", type=float, default=2.0, help="enter at |z| >= entry")
    pairs.add_argument("--exit", type=float, default=0.0, help="exit when z crosses ±exit")
    pairs.add_argument("--stop", type=float, default=None, help="stop out at |z| >= stop")
    pairs.add_argument("--notional", type=float, default=10_000.0, help="quote per y leg")
    pairs.add_argument("--fee-exchange", default="binance", help="fee table (binance, okx)")
    pairs.add_argument("--market", default="spot", help="fee table market (spot, usdm, swap)")
    pairs.add_argument("--tier", default=None, help="fee tier (default: the entry tier)")
    pairs.add_argument(
        "--no-books",
        action="store_true",
        help="price every fill by the square-root law, even where the store has book snapshots",
    )
    _add_common(pairs)
    pairs.set_defaults(handler=cmd_batch_pairs)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the cores here)"
    )
    parser.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="'local' for a LocalCluster, or a scheduler address such as tcp://10.0.0.5:8786",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def expand_inputs(inputs: list[str]) -> list[Path]:
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = {match for pattern in RECORDING_PATTERNS for match in path.glob(pattern)}
            paths.extend(sorted(found))
        else:
            paths.append(path)
    if not paths:
        raise InvalidInputError("no recordings found in " + ", ".join(inputs))
    return paths


def _number_or_auto(value: str, name: str) -> float | str:
    if value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise InvalidInputError(f"{name}={value!r}: a number or 'auto'") from None


def _sizes(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidInputError(f"--sizes {text!r}: comma-separated numbers") from None


def cmd_batch_costs(args: argparse.Namespace) -> int:
    from tradecost.batch import make_executor, run_costs

    paths = expand_inputs(args.inputs)
    sides = ("buy", "sell") if args.side == "both" else (args.side,)
    workers = _workers(args, len(paths))
    options: dict[str, Any] = {
        "sides": sides,
        "fee_tier": args.fee_tier,
        "volatility": _number_or_auto(args.volatility, "--volatility"),
        "daily_volume_usd": _number_or_auto(args.daily_volume_usd, "--daily-volume-usd"),
        "sample_ms": args.sample_ms,
    }
    symbols = None if args.symbols is None else _names(args.symbols)
    started = time.perf_counter()
    with make_executor(workers, args.dask) as executor, _progress(args.quiet) as progress:
        result = run_costs(
            paths,
            _sizes(args.sizes),
            executor=executor,
            progress=progress,
            symbols=symbols,
            start=args.start,
            end=args.end,
            **options,
        )
    return _report(result, args, started)


def cmd_batch_pairs(args: argparse.Namespace) -> int:
    from tradecost.batch import make_executor
    from tradecost.batch.pairs import pair_task, pair_tasks
    from tradecost.batch.result import BatchResult
    from tradecost.batch.runner import run_tasks

    symbols = _names(args.symbols)
    tasks = pair_tasks(
        args.stores,
        symbols,
        period=args.period,
        start=args.start,
        end=args.end,
        interval=args.interval,
        window=args.window,
        entry=args.entry,
        exit=args.exit,
        stop=args.stop,
        notional=args.notional,
        fee_exchange=args.fee_exchange,
        market=args.market,
        tier=args.tier,
        exchange=args.exchange,
        books=not args.no_books,
    )
    workers = _workers(args, len(tasks))
    started = time.perf_counter()
    with make_executor(workers, args.dask) as executor, _progress(args.quiet) as progress:
        results = run_tasks(pair_task, tasks, [task.name for task in tasks], executor, progress)
    result = BatchResult.merge("pairs", results)
    return _report(result, args, started)


def _names(text: str) -> list[str]:
    """``--symbols A,B``: the comma-separated names, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _workers(args: argparse.Namespace, tasks: int) -> int | None:
    """``--workers``, else one process per task up to the cores (none with ``--dask``)."""
    if args.workers is None and args.dask is None:
        return min(tasks, os.cpu_count() or 1)
    workers: int | None = args.workers
    return workers


def _report(result: Any, args: argparse.Namespace, started: float) -> int:
    """Write the merged result, print its summary as one JSON line; 0 when every task
    succeeded."""
    written = result.write(args.out, args.format)
    summary = result.summary()
    summary["outputs"] = {name: str(path) for name, path in written.items()}
    summary["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(summary, sort_keys=True))
    return 0 if summary["succeeded"] else 1


class _progress:
    """A rich progress bar on stderr (or nothing with --quiet), as a progress callback."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if self.quiet:
            return _print_failures
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._bar.__enter__()

        def update(done: int, total: int, result: Any) -> None:
            if self._task is None:
                self._task = self._bar.add_task("tasks", total=total)
            self._bar.update(self._task, completed=done)
            _print_failures(done, total, result)

        return update

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _print_failures(done: int, total: int, result: Any) -> None:
    if not result.ok:
        print(f"tradecost batch: {result.task}: {result.error}", file=sys.stderr)
