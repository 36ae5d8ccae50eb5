"""A pairs backtest whose every leg is priced with tradecost: fees from the venue's tier table and
slippage from the recorded book (walk-the-book) or, without one, the square-root law.

Mechanics (all decisions causal: index t uses data up to t only):

* The analysis (:func:`~tradecost.pairs.analyze`) gives β_t and z_t; :func:`~tradecost.pairs.
  signals` turns z into actions. An action decided at bar t fills at the close of bar
  t + ``delay_bars`` (0: the close that produced z_t, the usual bar-backtest assumption; 1: the
  next close). A position still open after the last bar is closed there (action ``"end"``).
* Sizing: a unit of spread is ``notional`` (quote) of y and |β_t|·``notional`` of x at the fill
  prices, opposite sides when β > 0 (log y − β·log x is then dollar-hedged to first order). β is
  frozen for the life of the trade; no rebalancing.
* Each of the four fills of a round trip is a market order: fee = tier taker rate × notional
  (``maker_fraction`` to blend), slippage =
  - ``"book"``: ``walk_book`` of the leg's quantity on ``book_at(symbol, ts_ns)`` at the fill
    instant (bar start + interval), its slippage vs that book's mid (includes the half-spread);
  - ``"square_root"``: I = Y·σ·√(Q/V) of the fill's notional, σ the standard deviation of the
    bar's log returns and V the mean bar volume (base units), both over the ``window`` bars up
    to the fill (Tóth et al. 2011; Donier & Bonart 2015 for BTC) through
    :class:`tradecost.SquareRootImpact` with σ_d, V_d scaled to a day (the scaling cancels). It
    has no spread term. Used when no ``book_at`` is given, it returns None, or the book is too
    thin for the order (the table says which).
* PnL: gross = Σ quantity × price change of each leg at the marks (closes); net = gross − fees −
  slippage. Turnover = Σ notional of all fills. Cost share = costs / |gross PnL|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidInputError
from tradecost.fees import FeeSchedule
from tradecost.impact import SquareRootImpact
from tradecost.pairs._input import FloatArray, as_series, check_finite_number, check_pair
from tradecost.pairs.analysis import PairAnalysis, analyze
from tradecost.pairs.rules import signals

NS_PER_DAY = 86_400 * 10**9

#: columns of ``BacktestResult.trades_frame()`` (keys of ``fills``), one row per fill of one leg
TRADE_COLUMNS = (
    "trade",  # round-trip number, from 0
    "leg",  # "y" or "x"
    "symbol",
    "action",  # "entry", "exit", "stop" or "end"
    "side",  # "buy" or "sell"
    "index",  # bar position of the fill
    "ts_ns",  # fill instant (bar start + interval), int64 ns; -1 when no timestamps were given
    "price",  # mark price (bar close), quote per base
    "quantity",  # base units
    "notional",  # quote
    "fee",  # quote
    "slippage_bps",
    "slippage",  # quote
    "cost",  # fee + slippage, quote
    "cost_method",  # "book" or "square_root" (with the reason when a book was wanted)
    "beta",  # hedge ratio frozen at entry
    "zscore",  # z at the decision
)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Outcome of :func:`backtest`. Amounts in quote currency."""

    #: one dict per fill (see :data:`TRADE_COLUMNS`); ``trades_frame()`` for a DataFrame
    fills: list[dict[str, Any]]
    #: spread position held from the close of each bar (+1 long, −1 short, 0 flat)
    position: npt.NDArray[np.int8]
    #: mark-to-market equity per bar, before and after costs
    gross_equity: FloatArray
    net_equity: FloatArray
    summary: dict[str, float]
    analysis: PairAnalysis = field(repr=False)

    def trades_frame(self) -> Any:
        """The per-fill table as a pandas DataFrame (columns :data:`TRADE_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.fills, columns=list(TRADE_COLUMNS))


def _timestamps(values: Any, n: int) -> npt.NDArray[np.int64] | None:
    if values is None:
        return None
    stamps = np.asarray(values)
    if stamps.dtype.kind == "M":
        stamps = stamps.astype("datetime64[ns]").astype(np.int64)
    stamps = stamps.astype(np.int64)
    if stamps.shape != (n,):
        raise InvalidInputError(
            f"timestamps_ns must have one entry per bar ({n}), got shape {stamps.shape}"
        )
    return stamps


class _Pricer:
    """Fee and slippage of one fill, by the book when there is one, else the square-root law."""

    def __init__(
        self,
        fees: FeeSchedule,
        maker_fraction: float,
        book_at: Callable[[str, int], Any] | None,
        log_returns: dict[str, FloatArray],
        volumes: dict[str, FloatArray | None],
        window: int,
        bars_per_day: float,
        impact_coefficient: float,
    ) -> None:
        self.fees = fees
        self.maker_fraction = maker_fraction
        self.book_at = book_at
        self.log_returns = log_returns
        self.volumes = volumes
        self.window = window
        self.bars_per_day = bars_per_day
        self.impact_coefficient = impact_coefficient

    def square_root_bps(self, leg: str, index: int, quantity: float) -> float:
        volume = self.volumes[leg]
        if volume is None:
            raise InvalidInputError(
                f"no book and no bar volume for leg {leg!r}: give volume_{leg} (base units per "
                "bar) for the square-root law, or book_at for walk-the-book slippage"
            )
        start = max(0, index - self.window + 1)
        returns = self.log_returns[leg][max(1, start) : index + 1]
        bars = volume[start : index + 1]
        mean_volume = float(bars.mean())
        if returns.size < 2 or mean_volume <= 0.0:
            raise InvalidInputError(
                f"leg {leg!r} at bar {index}: the square-root law needs at least 2 returns and "
                "positive volume in the window before the fill"
            )
        sigma = float(returns.std(ddof=1))
        law = SquareRootImpact(
            daily_volatility=sigma * math.sqrt(self.bars_per_day),
            daily_volume=mean_volume * self.bars_per_day,
            coefficient=self.impact_coefficient,
        )
        return law.bps(quantity)

    def price(
        self,
        leg: str,
        symbol: str,
        side: str,
        index: int,
        ts_ns: int,
        quantity: float,
        notional: float,
    ) -> tuple[float, float, str]:
        """(fee, slippage_bps, method) of one market order."""
        from tradecost import walk_book

        fee = self.fees.fee(notional, self.maker_fraction)
        method = "square_root"
        if self.book_at is not None:
            book = self.book_at(symbol, ts_ns) if ts_ns >= 0 else None
            if book is None:
                method = "square_root (no book)"
            else:
                fill = walk_book(book, side, quantity=quantity)
                if fill.complete:
                    return fee, float(fill.slippage_bps), "book"
                method = "square_root (book too thin)"
        return fee, self.square_root_bps(leg, index, quantity), method


def backtest(
    y: Any,
    x: Any,
    *,
    window: int = 300,
    entry: float = 2.0,
    exit: float = 0.0,
    stop: float | None = None,
    analysis: PairAnalysis | None = None,
    notional: float = 10_000.0,
    fees: FeeSchedule | None = None,
    exchange: str = "binance",
    market: str = "spot",
    tier: str | None = None,
    maker_fraction: float = 0.0,
    volume_y: Any = None,
    volume_x: Any = None,
    timestamps_ns: Any = None,
    interval_ns: int | None = None,
    book_at: Callable[[str, int], Any] | None = None,
    y_symbol: str = "y",
    x_symbol: str = "x",
    impact_coefficient: float = 1.0,
    delay_bars: int = 0,
) -> BacktestResult:
    """Backtest the z-score rules on prices ``y``, ``x`` (bar closes, quote per base).

    ``analysis``: a precomputed :func:`analyze` result of the same prices (else computed with
    ``window``). ``fees``: a :class:`~tradecost.FeeSchedule` (else the built-in table of
    ``exchange``/``market``/``tier``). ``volume_y``/``volume_x``: bar volumes in base units, for
    the square-root law. ``timestamps_ns``: bar starts (int64 ns or datetime64) and
    ``interval_ns`` the bar length: the fill instant passed to ``book_at`` is
    bar start + interval. See the module docstring for the conventions.
    """
    prices_y = as_series(y, "y", positive=True)
    prices_x = as_series(x, "x", positive=True)
    check_pair(prices_y, prices_x)
    n = prices_y.size
    if analysis is None:
        analysis = analyze(y, x, window)
    elif len(analysis) != n:
        raise InvalidInputError(f"analysis has {len(analysis)} points, the prices {n}")
    window = analysis.window
    notional = check_finite_number(notional, "notional", minimum=0.0)
    if notional <= 0.0:
        raise InvalidInputError(f"notional must be positive (quote currency), got {notional!r}")
    if isinstance(delay_bars, bool) or not isinstance(delay_bars, int) or delay_bars < 0:
        raise InvalidInputError(f"delay_bars must be a non-negative integer, got {delay_bars!r}")
    schedule = fees if fees is not None else FeeSchedule.for_exchange(exchange, market, tier)
    stamps = _timestamps(timestamps_ns, n)
    if book_at is not None and (stamps is None or interval_ns is None):
        raise InvalidInputError(
            "book_at needs the bars' timestamps_ns and interval_ns to know each fill's instant"
        )
    volumes: dict[str, FloatArray | None] = {
        "y": None if volume_y is None else as_series(volume_y, "volume_y"),
        "x": None if volume_x is None else as_series(volume_x, "volume_x"),
    }
    for leg, volume in volumes.items():
        if volume is not None and volume.size != n:
            raise InvalidInputError(f"volume_{leg} has {volume.size} bars, the prices {n}")
    bars_per_day = NS_PER_DAY / interval_ns if interval_ns else 1.0
    log_returns = {
        "y": np.concatenate([[np.nan], np.diff(np.log(prices_y))]),
        "x": np.concatenate([[np.nan], np.diff(np.log(prices_x))]),
    }
    pricer = _Pricer(
        schedule,
        maker_fraction,
        book_at,
        log_returns,
        volumes,
        window,
        bars_per_day,
        check_finite_number(impact_coefficient, "impact_coefficient", minimum=0.0),
    )
    rules = signals(analysis.zscore, entry, exit, stop)
    prices = {"y": prices_y, "x": prices_x}
    symbols = {"y": y_symbol, "x": x_symbol}

    fills: list[dict[str, Any]] = []
    position = np.zeros(n, dtype=np.int8)
    gross = np.zeros(n)
    costs = np.zeros(n)
    realised = 0.0
    open_trade: dict[str, Any] | None = None
    trade_id = 0

    def fill(
        leg: str, signed_quantity: float, index: int, action: str, beta: float, z: float
    ) -> float:
        price = float(prices[leg][index])
        quantity = abs(signed_quantity)
        side = "buy" if signed_quantity > 0 else "sell"
        amount = quantity * price
        ts_ns = int(stamps[index] + (interval_ns or 0)) if stamps is not None else -1
        fee, slippage_bps, method = pricer.price(
            leg, symbols[leg], side, index, ts_ns, quantity, amount
        )
        slippage = slippage_bps * 1e-4 * amount
        fills.append(
            {
                "trade": trade_id,
                "leg": leg,
                "symbol": symbols[leg],
                "action": action,
                "side": side,
                "index": index,
                "ts_ns": ts_ns,
                "price": price,
                "quantity": quantity,
                "notional": amount,
                "fee": fee,
                "slippage_bps": slippage_bps,
                "slippage": slippage,
                "cost": fee + slippage,
                "cost_method": method,
                "beta": beta,
                "zscore": z,
            }
        )
        return fee + slippage

    events = [(int(i), int(rules.action[i])) for i in np.flatnonzero(rules.action)]
    held = 0
    last_fill = -1
    for decision, code in events:
        index = decision + delay_bars
        if index >= n or index <= last_fill:
            continue
        z = float(analysis.zscore[decision])
        if code in (1, 2) and open_trade is None:
            beta = float(analysis.beta[decision])
            direction = 1 if code == 1 else -1
            quantity_y = direction * notional / prices_y[index]
            quantity_x = -direction * beta * notional / prices_x[index]
            cost = fill("y", quantity_y, index, "entry", beta, z)
            cost += fill("x", quantity_x, index, "entry", beta, z)
            costs[index] += cost
            open_trade = {"index": index, "qy": quantity_y, "qx": quantity_x, "beta": beta}
            held = direction
            last_fill = index
        elif code in (3, 4) and open_trade is not None:
            action = "exit" if code == 3 else "stop"
            realised = _close(
                open_trade, index, prices_y, prices_x, gross, position, held, realised
            )
            cost = fill("y", -open_trade["qy"], index, action, open_trade["beta"], z)
            cost += fill("x", -open_trade["qx"], index, action, open_trade["beta"], z)
            costs[index] += cost
            open_trade = None
            trade_id += 1
            last_fill = index
    if open_trade is not None:
        index = n - 1
        z = float(analysis.zscore[index])
        realised = _close(open_trade, index, prices_y, prices_x, gross, position, held, realised)
        cost = fill("y", -open_trade["qy"], index, "end", open_trade["beta"], z)
        cost += fill("x", -open_trade["qx"], index, "end", open_trade["beta"], z)
        costs[index] += cost
        trade_id += 1
    gross_equity = gross
    net_equity = gross - np.cumsum(costs)
    fees_total = float(sum(f["fee"] for f in fills))
    slippage_total = float(sum(f["slippage"] for f in fills))
    turnover = float(sum(f["notional"] for f in fills))
    gross_pnl = float(gross_equity[-1]) if n else 0.0
    cost_total = fees_total + slippage_total
    summary = {
        "round_trips": float(trade_id),
        "gross_pnl": gross_pnl,
        "fees": fees_total,
        "slippage": slippage_total,
        "costs": cost_total,
        "net_pnl": gross_pnl - cost_total,
        "turnover": turnover,
        "cost_share": cost_total / abs(gross_pnl) if gross_pnl != 0.0 else math.inf,
        "cost_bps_of_turnover": cost_total / turnover * 1e4 if turnover else 0.0,
    }
    return BacktestResult(
        fills=fills,
        position=position,
        gross_equity=gross_equity,
        net_equity=net_equity,
        summary=summary,
        analysis=analysis,
    )


def _close(
    trade: dict[str, Any],
    index: int,
    prices_y: FloatArray,
    prices_x: FloatArray,
    gross: FloatArray,
    position: npt.NDArray[np.int8],
    held: int,
    realised: float,
) -> float:
    """Mark the open trade from its entry to ``index``, add it to the equity curve, and return
    the realised PnL after it."""
    start = trade["index"]
    marks = trade["qy"] * (prices_y[start : index + 1] - prices_y[start]) + trade["qx"] * (
        prices_x[start : index + 1] - prices_x[start]
    )
    gross[start : index + 1] = realised + marks
    gross[index + 1 :] = realised + marks[-1]
    position[start:index] = held
    return realised + float(marks[-1])
