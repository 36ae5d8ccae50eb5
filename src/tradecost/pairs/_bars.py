"""The two legs' bar tables side by side, and the backtest of such a table: the one place
``tradecost pairs`` and ``tradecost batch pairs`` read bars into the analytics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from tradecost.pairs.analysis import PairAnalysis
from tradecost.pairs.backtest import BacktestResult, backtest


class BacktestSettings(Protocol):
    """The rule and fee settings of a run (the CLI's arguments, a batch's ``PairOptions``)."""

    @property
    def entry(self) -> float: ...
    @property
    def exit(self) -> float: ...
    @property
    def stop(self) -> float | None: ...
    @property
    def notional(self) -> float: ...
    @property
    def fee_exchange(self) -> str: ...
    @property
    def market(self) -> str: ...
    @property
    def tier(self) -> str | None: ...


def join_bars(bars_y: Any, bars_x: Any) -> Any:
    """The bars both legs have (inner join on the bar start, in time order): columns
    ``close_y``, ``volume_y``, ``close_x``, ``volume_x`` from two tick-store bar tables."""
    return (
        bars_y[["close", "volume"]]
        .add_suffix("_y")
        .join(bars_x[["close", "volume"]].add_suffix("_x"), how="inner")
        .sort_index()
    )


def backtest_bars(
    joined: Any,
    analysis: PairAnalysis,
    settings: BacktestSettings,
    *,
    interval_ns: int,
    book_at: Callable[[str, int], Any] | None,
    y_symbol: str,
    x_symbol: str,
) -> BacktestResult:
    """:func:`~tradecost.pairs.backtest` on a :func:`join_bars` table: its closes, volumes and
    bar starts, with the run's rule and fee settings."""
    return backtest(
        joined["close_y"].to_numpy(),
        joined["close_x"].to_numpy(),
        analysis=analysis,
        entry=settings.entry,
        exit=settings.exit,
        stop=settings.stop,
        notional=settings.notional,
        exchange=settings.fee_exchange,
        market=settings.market,
        tier=settings.tier,
        volume_y=joined["volume_y"].to_numpy(),
        volume_x=joined["volume_x"].to_numpy(),
        timestamps_ns=joined.index.to_numpy(dtype=np.int64),
        interval_ns=interval_ns,
        book_at=book_at,
        y_symbol=y_symbol,
        x_symbol=x_symbol,
    )
