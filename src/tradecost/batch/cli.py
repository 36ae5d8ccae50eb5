"""``tradecost batch``: the command line of :mod:`tradecost.batch`."""

from __future__ import annotations

import argparse
import json
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
            "and net cost (bps), book health per recording, and summary.json."
        ),
    )
    costs.add_argument("inputs", nargs="+", help="recordings, or folders of them")
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
    _add_common(costs)
    costs.set_defaults(handler=cmd_batch_costs)


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
    import os

    from tradecost.batch import make_executor, run_costs

    paths = expand_inputs(args.inputs)
    sides = ("buy", "sell") if args.side == "both" else (args.side,)
    workers = args.workers
    if workers is None and args.dask is None:
        workers = min(len(paths), os.cpu_count() or 1)
    options: dict[str, Any] = {
        "sides": sides,
        "fee_tier": args.fee_tier,
        "volatility": _number_or_auto(args.volatility, "--volatility"),
        "daily_volume_usd": _number_or_auto(args.daily_volume_usd, "--daily-volume-usd"),
        "sample_ms": args.sample_ms,
    }
    started = time.perf_counter()
    with make_executor(workers, args.dask) as executor, _progress(args.quiet) as progress:
        result = run_costs(
            paths, _sizes(args.sizes), executor=executor, progress=progress, **options
        )
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
