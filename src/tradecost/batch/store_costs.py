"""``tradecost batch costs`` over a tick store range: the cost of a list of order sizes on the
store's book snapshots.

One task per (store, exchange, symbol, UTC day). A task opens the store read-only, walks the
symbol's book snapshots of the day in time order (:meth:`TickStore.book_times` and
:meth:`TickStore.book_at`), feeds the estimator the trades recorded up to each snapshot (for
``daily_volume_usd="auto"``) and its mids (for ``volatility="auto"``), and prices every order size
on every snapshot with :class:`~tradecost.CostEstimator`. The rows have the columns of the
recordings' rows (plus ``exchange``); the health row counts the snapshots and trades read.

Book sizes are taken as base units (a spot book): the store keeps no contract specification.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradecost.batch.costs import CostTask, new_samples, price_book, summarise
from tradecost.batch.runner import TaskResult
from tradecost.errors import InvalidInputError, TradecostError

NS_PER_DAY = 86_400 * 10**9
#: OKX derivative ids (BTC-USDT-SWAP, BTC-USD-240329, BTC-USD-240329-60000-C): their book sizes
#: are contracts, which a store's snapshots do not say how to convert
DERIVATIVE = re.compile(r"-SWAP$|-\d{6}$|-\d{6}-[\d.]+-[CP]$")
SQLITE_HEADER = b"SQLite format 3\x00"
STORE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def is_store(path: str | Path) -> bool:
    """A tick store rather than a recording: a ``.db``/``.sqlite`` name or an SQLite header."""
    if str(path).lower().endswith(STORE_SUFFIXES):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


@dataclass(frozen=True)
class StoreCostTask:
    """One (store, exchange, symbol, day) of a tick store (picklable)."""

    store: str
    exchange: str
    symbol: str
    day: str  #: the UTC day, or "all" for a store whose range could not be read
    start_ns: int | None
    end_ns: int | None
    costs: CostTask  #: order sizes and estimator options (its ``path`` is the store)

    @property
    def name(self) -> str:
        return f"{self.store}:{self.exchange}:{self.symbol}/{self.day}"


def store_cost_task(task: StoreCostTask) -> TaskResult:
    """Price the order sizes on one day of one symbol's snapshots (never raises for a bad
    store: the error is the task's result)."""
    try:
        rows, health = _price_day(task)
    except (OSError, ValueError, TradecostError) as exc:
        return TaskResult(task.name, error=f"{type(exc).__name__}: {exc}")
    return TaskResult(task.name, rows=rows, health=[health])


def _price_day(task: StoreCostTask) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import numpy as np

    from tradecost.estimator import CostEstimator
    from tradecost.store import TickStore

    options = task.costs
    if not Path(task.store).is_file():
        raise InvalidInputError(f"no tick store at {task.store}")
    with TickStore(task.store, read_only=True) as store:
        instruments = store.instruments()
        chosen = instruments[
            (instruments["exchange"] == task.exchange) & (instruments["symbol"] == task.symbol)
        ]
        if task.exchange == "*" or chosen.empty:
            what = "no symbol has" if task.symbol == "*" else f"{task.symbol} has no"
            raise InvalidInputError(f"{what} book snapshots in {task.store}{_range_text(task)}")
        times = store.book_times(task.symbol, task.exchange, task.start_ns, task.end_ns)
        if times.empty:
            raise InvalidInputError(
                f"{task.exchange} {task.symbol} has no book snapshot in {task.day} of {task.store}"
            )
        trades = store.trades(task.symbol, task.exchange, task.start_ns, task.end_ns)
        estimator = CostEstimator(
            task.exchange,
            task.symbol,
            options.fee_tier,
            options.volatility,
            daily_volume_usd=options.daily_volume_usd,
            contract_value=1.0,
        )
        trade_ts = trades["ts_ns"].to_numpy(dtype=np.int64)
        trade_price = trades["price"].to_numpy(dtype=np.float64)
        trade_size = trades["size"].to_numpy(dtype=np.float64)
        samples = new_samples()
        sample_ns = options.sample_ms * 1_000_000
        fed = 0
        last: int | None = None
        priced = 0
        for ts in times["ts_ns"].to_numpy(dtype=np.int64).tolist():
            upto = int(np.searchsorted(trade_ts, ts, side="right"))
            for index in range(fed, upto):
                estimator.observe_trade(
                    int(trade_ts[index]), float(trade_price[index]), float(trade_size[index])
                )
            fed = upto
            book = store.book_at(task.symbol, ts, exchange=task.exchange)
            if book is None:
                continue
            estimator.observe_book(ts, book)
            if book.crossed or not math.isfinite(book.mid):
                continue
            if last is not None and ts - last < sample_ns:
                continue
            last = ts
            priced += 1
            price_book(options, estimator, book, task.symbol, ts, samples)
    rows = summarise(task.store, samples)
    for row in rows:
        row["exchange"] = task.exchange
    health = {
        "source": task.store,
        "channel": "tickstore",
        "instruments": task.symbol,
        "exchange": task.exchange,
        "day": task.day,
        "snapshots": len(times),
        "priced_snapshots": priced,
        "trades": len(trades),
        "note": note(task.symbol),
    }
    return rows, health


def note(symbol: str) -> str:
    """The health note of a store day: how its book sizes were read."""
    if DERIVATIVE.search(symbol):
        return (
            "book sizes priced as base units, but this looks like a derivative whose sizes are "
            "contracts: scale by the contract value"
        )
    return "book sizes priced as base units"


def _range_text(task: StoreCostTask) -> str:
    if task.start_ns is None and task.end_ns is None:
        return ""
    return f" in [{task.start_ns}, {task.end_ns}) ns"


def _day_label(start_ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(start_ns // 10**9, tz=dt.UTC).date().isoformat()


def store_cost_tasks(
    path: str,
    costs: CostTask,
    symbols: Sequence[str] | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> list[StoreCostTask]:
    """One task per (exchange, symbol, UTC day) of the store's book snapshots in
    ``[start_ns, end_ns)`` (``symbols``: only these; None: every symbol with snapshots), sorted.
    A store that cannot be read gets one task per asked symbol (or one ``*`` task) that reports
    why."""
    from tradecost.store import TickStore

    try:
        with TickStore(path, read_only=True) as store:
            instruments = store.instruments()
            found: list[tuple[str, str, int, int]] = []
            for exchange, symbol in sorted(
                zip(instruments["exchange"], instruments["symbol"], strict=True)
            ):
                if symbols is not None and symbol not in symbols:
                    continue
                times = store.book_times(symbol, exchange, start_ns, end_ns)
                if times.empty:
                    continue
                found.append(
                    (exchange, symbol, int(times["ts_ns"].iloc[0]), int(times["ts_ns"].iloc[-1]))
                )
    except (OSError, ValueError, TradecostError):
        names = list(symbols) if symbols else ["*"]
        return [
            StoreCostTask(path, "*", symbol, "all", start_ns, end_ns, costs) for symbol in names
        ]
    tasks = []
    for exchange, symbol, first, last in found:
        day = first // NS_PER_DAY * NS_PER_DAY
        while day <= last:
            lo = day if start_ns is None else max(day, start_ns)
            hi = day + NS_PER_DAY if end_ns is None else min(day + NS_PER_DAY, end_ns)
            tasks.append(StoreCostTask(path, exchange, symbol, _day_label(day), lo, hi, costs))
            day += NS_PER_DAY
    if symbols is not None:
        # an asked symbol without snapshots in the range is a failed task, not silence
        present = {symbol for _, symbol, _, _ in found}
        for symbol in sorted(set(symbols) - present):
            tasks.append(StoreCostTask(path, "*", symbol, "all", start_ns, end_ns, costs))
    if not tasks:
        tasks.append(StoreCostTask(path, "*", "*", "all", start_ns, end_ns, costs))
    return tasks


def cost_any(task: CostTask | StoreCostTask) -> TaskResult:
    """The task function of a costs batch: a recording's or a store day's."""
    if isinstance(task, StoreCostTask):
        return store_cost_task(task)
    from tradecost.batch.costs import cost_task

    return cost_task(task)


def plan_costs(
    paths: Sequence[str | Path],
    notionals_usd: Sequence[float],
    *,
    symbols: Sequence[str] | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    **options: Any,
) -> list[CostTask | StoreCostTask]:
    """The tasks of a costs batch, sorted by input path: one per recording, one per
    (exchange, symbol, UTC day) of each tick store (``symbols``, ``start``, ``end`` select
    what of the stores is priced)."""
    from tradecost.batch.costs import cost_tasks
    from tradecost.batch.pairs import parse_time

    unique = sorted({str(Path(path)) for path in paths})
    if not unique:
        raise InvalidInputError("no recordings given")
    start_ns, end_ns = parse_time(start, "start"), parse_time(end, "end")
    if start_ns is not None and end_ns is not None and end_ns <= start_ns:
        raise InvalidInputError(f"end ({end}) must be after start ({start})")
    chosen = None if symbols is None else [str(symbol) for symbol in symbols]
    tasks: list[CostTask | StoreCostTask] = []
    for path in unique:
        if is_store(path):
            template = CostTask(path, tuple(float(n) for n in notionals_usd), **options)
            tasks.extend(store_cost_tasks(path, template, chosen, start_ns, end_ns))
        else:
            tasks.extend(cost_tasks([path], notionals_usd, **options))
    return tasks
