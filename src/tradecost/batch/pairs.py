"""``tradecost batch pairs``: every pair of a list of symbols, per period, from tick stores.

One task per (store, pair, period). A task opens its store read-only, reads the two symbols'
bars of the period (computed in SQLite by :meth:`TickStore.bars`, recorded trades or imported
bars alike), aligns them on their common bar starts and runs the pairs package on them: the
Engle–Granger test (β, ADF statistic, p-value), the half-life of the cointegrating residuals and
the cost-aware backtest (:func:`tradecost.pairs.backtest`, fills priced on the store's book
snapshots when it has them, else by the square-root law). Nothing here re-implements a test or a
backtest: the numbers are the pairs package's.

Each store is analysed on its own (the two symbols of a pair must be in the same store); the
periods split the time range on UTC-epoch multiples of ``period`` (``"1d"``: UTC days), like the
store's bars.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradecost.batch.runner import TaskResult
from tradecost.errors import InvalidInputError, TradecostError

NS_PER_DAY = 86_400 * 10**9

#: columns of the pairs table, in order (one row per store × pair × period)
PAIR_COLUMNS = (
    "store",
    "y",
    "x",
    "period",
    "period_start_ns",
    "period_end_ns",
    "bars",
    "first_bar_ns",
    "last_bar_ns",
    "eg_beta",
    "eg_alpha",
    "eg_stat",
    "eg_pvalue",
    "eg_usedlag",
    "half_life_bars",
    "half_life_s",
    "round_trips",
    "fills",
    "gross_pnl",
    "fees",
    "slippage",
    "costs",
    "net_pnl",
    "turnover",
    "cost_bps_of_turnover",
    "slippage_by",
)


@dataclass(frozen=True)
class PairOptions:
    """The analysis of every pair (picklable: it travels to the workers)."""

    interval: str = "1m"  #: bar length
    window: int = 300  #: rolling window of the analysis and the backtest, in bars
    entry: float = 2.0
    exit: float = 0.0
    stop: float | None = None
    notional: float = 10_000.0  #: quote per y leg
    fee_exchange: str = "binance"
    market: str = "spot"
    tier: str | None = None
    exchange: str | None = None  #: only this exchange's trades (None: every exchange's)
    books: bool = True  #: price fills on the store's book snapshots when there are some

    def __post_init__(self) -> None:
        from tradecost.store.intervals import parse_interval

        parse_interval(self.interval)
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 3:
            raise InvalidInputError(f"window={self.window!r} must be an integer >= 3 bars")
        if not (math.isfinite(self.notional) and self.notional > 0):
            raise InvalidInputError(f"notional={self.notional!r} must be a positive quote amount")


@dataclass(frozen=True)
class PairTask:
    """One (store, pair, period)."""

    store: str
    y: str
    x: str
    period: str  #: its label: a UTC date, a UTC time, or "all"
    start_ns: int | None
    end_ns: int | None
    options: PairOptions

    @property
    def name(self) -> str:
        return f"{self.store}:{self.y}~{self.x}/{self.period}"


def pair_task(task: PairTask) -> TaskResult:
    """Engle–Granger, half-life and backtest of one pair over one period (never raises for a
    bad input: a store that cannot be read, a missing symbol or too few bars is the result)."""
    try:
        row, health = _analyse(task)
    except (OSError, ValueError, TradecostError) as exc:
        return TaskResult(task.name, error=f"{type(exc).__name__}: {exc}")
    return TaskResult(task.name, rows=[row], health=[health])


def _analyse(task: PairTask) -> tuple[dict[str, Any], dict[str, Any]]:
    import numpy as np

    from tradecost.pairs import analyze, engle_granger, half_life
    from tradecost.pairs._bars import backtest_bars, join_bars
    from tradecost.store import TickStore
    from tradecost.store.intervals import parse_interval

    options = task.options
    interval_ns = parse_interval(options.interval)
    if not Path(task.store).is_file():
        raise InvalidInputError(f"no tick store at {task.store}")
    with TickStore(task.store, read_only=True) as store:
        known = set(store.instruments()["symbol"])
        for symbol in (task.y, task.x):
            if symbol not in known:
                raise InvalidInputError(f"{symbol} is not in {task.store}")
        bars = {
            leg: store.bars(
                symbol,
                interval=options.interval,
                exchange=options.exchange,
                start_ns=task.start_ns,
                end_ns=task.end_ns,
            )
            for leg, symbol in (("y", task.y), ("x", task.x))
        }
        joined = join_bars(bars["y"], bars["x"])
        health = {
            "store": task.store,
            "y": task.y,
            "x": task.x,
            "period": task.period,
            "bars_y": len(bars["y"]),
            "bars_x": len(bars["x"]),
            "common_bars": len(joined),
        }
        if joined.empty:
            raise InvalidInputError(
                f"{task.y} and {task.x} have no {options.interval} bar in common in "
                f"{task.period} ({len(bars['y'])} and {len(bars['x'])} bars)"
            )
        if len(joined) <= options.window:
            raise InvalidInputError(
                f"{len(joined)} common {options.interval} bars in {task.period}: no more than "
                f"the window of {options.window}"
            )
        prices_y = joined["close_y"].to_numpy()
        prices_x = joined["close_x"].to_numpy()
        coint = engle_granger(prices_y, prices_x)
        residuals = np.log(prices_y) - (coint.alpha + coint.beta * np.log(prices_x))
        try:
            bars_half_life = half_life(residuals)
        except InvalidInputError:
            bars_half_life = math.nan
        result = backtest_bars(
            joined,
            analyze(prices_y, prices_x, options.window),
            options,
            interval_ns=interval_ns,
            book_at=_book_at(store, options.exchange) if options.books else None,
            y_symbol=task.y,
            x_symbol=task.x,
        )
    summary = result.summary
    row: dict[str, Any] = {
        "store": task.store,
        "y": task.y,
        "x": task.x,
        "period": task.period,
        "period_start_ns": -1 if task.start_ns is None else task.start_ns,
        "period_end_ns": -1 if task.end_ns is None else task.end_ns,
        "bars": len(joined),
        "first_bar_ns": int(joined.index[0]),
        "last_bar_ns": int(joined.index[-1]),
        "eg_beta": coint.beta,
        "eg_alpha": coint.alpha,
        "eg_stat": coint.stat,
        "eg_pvalue": coint.pvalue,
        "eg_usedlag": coint.usedlag,
        "half_life_bars": bars_half_life,
        "half_life_s": bars_half_life * interval_ns / 1e9,
        "round_trips": int(summary["round_trips"]),
        "fills": len(result.fills),
        "gross_pnl": summary["gross_pnl"],
        "fees": summary["fees"],
        "slippage": summary["slippage"],
        "costs": summary["costs"],
        "net_pnl": summary["net_pnl"],
        "turnover": summary["turnover"],
        "cost_bps_of_turnover": summary["cost_bps_of_turnover"],
        "slippage_by": ",".join(sorted({fill["cost_method"] for fill in result.fills})),
    }
    return row, health


def _book_at(store: Any, exchange: str | None) -> Any:
    def book_at(symbol: str, ts_ns: int) -> Any:
        return store.book_at(symbol, ts_ns, exchange=exchange)

    return book_at


# ---------------------------------------------------------------- planning


def parse_time(value: str | int | None, name: str) -> int | None:
    """``--start``/``--end``: integer ns since the epoch, or an ISO 8601 date or time (no zone
    means UTC)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"{name}={value!r}: an ISO date or time (UTC), e.g. 2026-11-27 or 2026-11-27T06:00, "
            "or integer ns"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1_000


def period_label(start_ns: int, period_ns: int) -> str:
    """A period's name: its UTC date when periods are whole days, else its UTC start time."""
    moment = dt.datetime.fromtimestamp(start_ns // 10**9, tz=dt.UTC)
    if period_ns % NS_PER_DAY == 0 and start_ns % NS_PER_DAY == 0:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def split_periods(
    start_ns: int, end_ns: int, period_ns: int
) -> list[tuple[str, int | None, int | None]]:
    """``[start, end)`` cut on the UTC-epoch multiples of ``period_ns``: (label, start, end)."""
    if end_ns <= start_ns:
        raise InvalidInputError(f"the time range [{start_ns}, {end_ns}) ns is empty")
    out: list[tuple[str, int | None, int | None]] = []
    bucket = start_ns // period_ns * period_ns
    while bucket < end_ns:
        lo, hi = max(bucket, start_ns), min(bucket + period_ns, end_ns)
        out.append((period_label(bucket, period_ns), lo, hi))
        bucket += period_ns
    return out


def _store_range(path: str, symbols: Sequence[str], exchange: str | None) -> tuple[int, int]:
    """First and last (exclusive) instant of the symbols' data in a store, to the day."""
    from tradecost.store import TickStore

    starts, ends = [], []
    with TickStore(path, read_only=True) as store:
        known = set(store.instruments()["symbol"])
        for symbol in symbols:
            if symbol not in known:
                continue
            days = store.bars(symbol, interval="1d", exchange=exchange)
            if len(days):
                starts.append(int(days.index[0]))
                ends.append(int(days.index[-1]) + NS_PER_DAY)
    if not starts:
        raise InvalidInputError(f"{path} holds none of {', '.join(symbols)}")
    return min(starts), max(ends)


def _periods(
    path: str,
    symbols: Sequence[str],
    exchange: str | None,
    start_ns: int | None,
    end_ns: int | None,
    period_ns: int | None,
) -> list[tuple[str, int | None, int | None]]:
    """The periods of one store: ``[start, end)`` (the store's own range where not given) cut
    by ``period_ns``. A store whose range cannot be read, or a range with nothing in it, gets
    one period ``"all"``: its tasks report what is wrong."""
    if period_ns is None:
        return [("all", start_ns, end_ns)]
    if start_ns is None or end_ns is None:
        try:
            first, last = _store_range(path, symbols, exchange)
        except (OSError, ValueError, TradecostError):
            return [("all", start_ns, end_ns)]
        start_ns = first if start_ns is None else start_ns
        end_ns = last if end_ns is None else end_ns
    if end_ns <= start_ns:
        return [("all", start_ns, end_ns)]
    return split_periods(start_ns, end_ns, period_ns)


def pair_tasks(
    stores: Sequence[str | Path],
    symbols: Sequence[str],
    *,
    period: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    **options: Any,
) -> list[PairTask]:
    """The tasks of a batch, in a stable order: stores sorted, pairs (i < j) in the order of
    ``symbols`` (the earlier symbol is y, the later the hedge x), periods in time order.

    ``period`` (``"1d"``, ``"6h"``, ``"1w"``...; None or ``"all"``: one period) cuts the range
    ``[start, end)``; without ``start``/``end`` the range is each store's data of the symbols,
    to the UTC day. A store whose range cannot be read still gets its tasks (one per pair, the
    whole range), so its error is reported per task.
    """
    from tradecost.store.intervals import parse_interval

    names = list(dict.fromkeys(str(symbol).strip() for symbol in symbols))
    if any(not name for name in names):
        raise InvalidInputError("symbols must be non-empty")
    if len(names) < 2:
        raise InvalidInputError(f"give at least two symbols to pair, got {names}")
    paths = sorted({str(Path(path)) for path in stores})
    if not paths:
        raise InvalidInputError("no tick stores given")
    settings = PairOptions(**options)
    start_ns, end_ns = parse_time(start, "start"), parse_time(end, "end")
    if start_ns is not None and end_ns is not None and end_ns <= start_ns:
        raise InvalidInputError(f"end ({end}) must be after start ({start})")
    period_ns = None if period is None or period == "all" else parse_interval(period)
    pairs = [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    tasks: list[PairTask] = []
    for path in paths:
        periods = _periods(path, names, settings.exchange, start_ns, end_ns, period_ns)
        for y, x in pairs:
            for label, lo_ns, hi_ns in periods:
                tasks.append(PairTask(path, y, x, label, lo_ns, hi_ns, settings))
    return tasks
