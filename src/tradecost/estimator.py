"""CostEstimator: what an order costs on the current book, decomposed, with how long it took.

Decomposition (nothing counted twice; every term in quote currency "USD" and in bps of the
order's notional; positive = cost):

- ``slippage``: the order's average fill price against the arrival mid. For a market order,
  walk-the-book on the current book (it includes the half-spread and the visible depth). For a
  limit order, the expected price over its three parts: the marketable part walked through the
  book, the resting part filled passively at the limit price (with probability ``p_fill``) and
  the rest crossed as a market order at the horizon (the "cross at horizon" policy, so maker +
  taker = 1). For an order scheduled over ``horizon`` seconds in ``steps`` slices, each slice
  walks the current book (the book is assumed to refill between slices).
- ``fee``: the tier's maker and taker rates weighted by the expected maker/taker split, charged
  on the *filled* notional (quantity × expected average fill price), as exchanges charge it.
- ``impact``: the expected *permanent* price move caused by the order, valued over its notional.
  Immediate orders: the square-root law I = Y·σ·√(Q/V) (Tóth et al. 2011; Donier & Bonart 2015
  for BTC) or Almgren–Chriss linear γ·X, as chosen. Scheduled orders: the Almgren–Chriss
  permanent component γ·Σ x_k·n_k of the optimal schedule, with γ and η calibrated on the same
  inputs as the square-root law so that the order's total permanent move γ·X equals
  Y·σ·√(Q/V)·S₀ (its temporary part is what the per-slice walk measures, so it is not added
  again), with the schedule's standard deviation reported as risk.
- ``net_cost`` = slippage + fee + impact. While impact cannot be computed (no volatility or daily
  volume yet), ``impact_usd`` is NaN, ``net_cost`` covers slippage and fee only, and the
  estimate's flags say ``impact_unavailable``.

Units: quantities at this API are base units (BTC) and notionals quote units (USDT). A book
holds the exchange's own size units (contracts for OKX swaps and futures); the estimator converts
with the instrument's contract value (``ctVal × ctMult``) in one place,
:meth:`CostEstimator.book_units_per_base`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_type_hints

import numpy as np
import numpy.typing as npt

from tradecost._book import OrderBook, walk_book, walk_book_curve
from tradecost.errors import EmptyBookError, InvalidInputError
from tradecost.fees import FeeSchedule
from tradecost.impact import AlmgrenChriss
from tradecost.instruments import kind_of
from tradecost.latency import LatencyHistogram
from tradecost.stream_stats import RealizedVolatility, TradedVolume

if TYPE_CHECKING:
    from tradecost.instruments import Instrument

__all__ = ["CostCurve", "CostEstimate", "CostEstimator", "FillModel", "SlippageModel"]

FloatArray = npt.NDArray[np.float64]
OrderType = Literal["market", "limit"]
ImpactModel = Literal["square_root", "almgren_chriss"]

_ALMGREN_CHRISS_IMMEDIATE = "almgren_chriss gamma*X (gamma = spread/(0.1 V))"


class SlippageModel(Protocol):
    """What the estimator needs from a learned slippage model: p50 and p90 in bps, or NaN."""

    def predict_quantiles(
        self, book: OrderBook, side: str, notional: float
    ) -> tuple[float, float]: ...


class FillModel(Protocol):
    """P(a resting limit order of ``notional`` quote units, ``distance_ticks`` behind the
    same-side touch, fills passively within ``horizon_s``) and the model's name."""

    def fill_probability(
        self,
        book: OrderBook,
        side: str,
        distance_ticks: float,
        notional: float,
        horizon_s: float,
    ) -> tuple[float, str]: ...


@dataclass(slots=True)
class CostEstimate:
    """The cost of one order on one book. USD means the quote currency; bps are of notional."""

    side: str
    order_type: str
    quantity: float
    """Order size in base units (requested)."""
    notional_usd: float
    """Order size in quote units at the arrival mid (``quantity × arrival_mid``)."""
    arrival_mid: float
    avg_price: float
    """Expected average fill price."""
    levels: int
    """Book levels the immediate (taker) part walks."""
    slippage_usd: float
    slippage_bps: float
    slippage_p50_bps: float
    """Learned median of realised slippage (NaN while no model is trained)."""
    slippage_p90_bps: float
    fee_usd: float
    """Fee on the filled notional (``quantity × avg_price``), maker/taker weighted."""
    fee_bps: float
    impact_usd: float
    impact_bps: float
    impact_model: str
    net_cost_usd: float
    net_cost_bps: float
    maker_fraction: float
    taker_fraction: float
    fill_probability: float
    """Limit orders: P(the resting part fills passively within the horizon); NaN otherwise."""
    fill_model: str
    risk_usd: float
    """Scheduled orders: the standard deviation √V of the schedule's cost; NaN otherwise."""
    volatility: float
    daily_volume_usd: float
    complete: bool
    """False when the visible book cannot fill the immediate part."""
    remaining_usd: float
    stale: bool
    crossed: bool
    flags: tuple[str, ...]
    latency_ns: int
    """Time this estimate took to compute, ns."""

    def as_dict(self) -> dict[str, Any]:
        """Plain types for JSON: NaN becomes None."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


@dataclass(frozen=True, slots=True)
class CostCurve:
    """Market-order cost for many sizes at once (arrays aligned with ``notionals_usd``)."""

    side: str
    notionals_usd: FloatArray
    slippage_bps: FloatArray
    fee_bps: FloatArray
    impact_bps: FloatArray
    net_cost_bps: FloatArray
    complete: npt.NDArray[np.bool_]
    impact_model: str = ""
    """How ``impact_bps`` was computed, as in :attr:`CostEstimate.impact_model`."""
    flags: tuple[str, ...] = ()
    """``impact_unavailable`` while volatility or daily volume is unknown (impact is NaN and
    left out of ``net_cost_bps``)."""


def _deprecated_horizon(horizon: float, horizon_s: float | None) -> float:
    """``estimate(horizon=...)``, the old name of ``horizon_s``: warn once per call site."""
    if horizon_s is not None:
        raise InvalidInputError("give horizon_s= (seconds); horizon= is its deprecated old name")
    warnings.warn(
        "CostEstimator.estimate(horizon=...) is deprecated: the keyword is horizon_s= (seconds)",
        DeprecationWarning,
        stacklevel=3,
    )
    return horizon


def _positive(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}={value!r} is not a number") from None
    if not (math.isfinite(number) and number > 0.0):
        raise InvalidInputError(f"{name}={value!r} must be a finite number > 0")
    return number


def _market_of(symbol: str) -> str:
    """The fee-table market of a symbol, from its instrument type (``kind_of``): "spot", "swap",
    or "futures" (dated futures and options)."""
    kind = kind_of(symbol)
    return "futures" if kind in ("future", "option") else kind


def _contract_units(
    exchange: str,
    symbol: str,
    market: str,
    contract_value: float | None,
    instrument: Instrument | None,
) -> tuple[float, float]:
    """(base units per book size unit, USD per contract for an inverse contract else 0.0).

    An explicit ``contract_value`` wins; then ``instrument``; then, for OKX, the bundled
    instrument record of ``symbol``. Spot books are in base units (1.0).
    """
    if contract_value is not None:
        return _positive(contract_value, "contract_value"), 0.0
    if instrument is None and exchange.lower() == "okx":
        from tradecost.feeds.okx.instruments import bundled_instrument

        try:
            instrument = bundled_instrument(symbol.upper())
        except InvalidInputError:
            if market != "spot":
                raise InvalidInputError(
                    f"no contract value for {symbol!r}: its book sizes are contracts. Pass "
                    "contract_value= (base units per contract, ctVal × ctMult) or instrument="
                    "(an Instrument, e.g. from fetch_instruments())"
                ) from None
            return 1.0, 0.0
    if instrument is None or not instrument.is_contract:
        return 1.0, 0.0
    if instrument.is_inverse:
        return math.nan, instrument.contract_multiplier
    return instrument.contract_multiplier, 0.0


#: the tick's own columns, before the estimate's
TICK_COLUMNS: dict[str, type] = {
    "inst_id": str,
    "seq_id": int,
    "exch_ts": int,
    "local_ts": int,
    "best_bid": float,
    "best_ask": float,
}


def estimate_columns() -> dict[str, Any]:
    """The columns an estimate is logged and stored with (``simulate --log``, the tick store's
    ``estimates`` table): the tick's, then :class:`CostEstimate`'s, then ``end_to_end_ns``;
    name → Python type, in file order."""
    hints = get_type_hints(CostEstimate)
    out: dict[str, Any] = dict(TICK_COLUMNS)
    for item in fields(CostEstimate):
        out[item.name] = hints[item.name]
    out["end_to_end_ns"] = int
    return out


class CostEstimator:
    """Pre-trade cost of an order on a live book.

    Parameters
    ----------
    exchange, symbol, fee_tier, market:
        Pick the fee table (``FeeSchedule.for_exchange``); ``market`` defaults from the symbol's
        shape (``BTC-USDT`` spot, ``BTC-USDT-SWAP`` swap). ``fees=`` overrides with any schedule.
    volatility:
        Daily volatility as a fraction (0.02 = 2 %/√day), or ``"auto"`` to estimate it from the
        mids passed to :meth:`observe_book` (NaN until warm).
    daily_volume_usd:
        Traded notional per day, quote units, or ``"auto"`` to estimate it from trades passed to
        :meth:`observe_trade`.
    impact_model, impact_coefficient:
        ``"square_root"`` (Y = ``impact_coefficient``) or ``"almgren_chriss"`` (γ by the paper's
        rule: trading 10 % of daily volume moves the price by one spread).
    contract_value, instrument:
        Base units per book size unit: 1 for spot; ``ctVal × ctMult`` for linear swaps and
        futures (0.01 BTC for BTC-USDT-SWAP), so book sizes in contracts convert to base units.
        An explicit ``contract_value`` wins; otherwise it comes from ``instrument`` or, for OKX,
        from the bundled instrument record of ``symbol`` (an OKX derivative that is not in it
        raises :class:`~tradecost.errors.InvalidInputError`). Inverse contracts (BTC-USD-SWAP,
        ``ctVal`` in USD) convert at the arrival mid.
    risk_aversion:
        λ (1/USD) for scheduled orders.
    slippage_model, fill_model:
        Learned models (see :mod:`tradecost.models`, e.g. ``LiveModels``). Without a slippage
        model, slippage is walk-the-book alone (``slippage_p50_bps`` is NaN and flagged). A limit
        order needs a ``fill_model`` to split maker and taker: without one,
        ``estimate(order_type="limit")`` raises :class:`~tradecost.errors.InvalidInputError`
        (the estimator has no fill probability of its own; ``LiveModels`` falls back to its
        documented distance prior while it is untrained).
    """

    def __init__(
        self,
        exchange: str = "okx",
        symbol: str = "BTC-USDT",
        fee_tier: str | None = None,
        volatility: float | Literal["auto"] = "auto",
        *,
        market: str | None = None,
        fees: FeeSchedule | None = None,
        daily_volume_usd: float | Literal["auto"] = "auto",
        impact_model: ImpactModel = "square_root",
        impact_coefficient: float = 1.0,
        contract_value: float | None = None,
        instrument: Instrument | None = None,
        risk_aversion: float = 0.0,
        slippage_model: SlippageModel | None = None,
        fill_model: FillModel | None = None,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.market = market or _market_of(symbol)
        self.fees = fees or FeeSchedule.for_exchange(exchange, market=self.market, tier=fee_tier)
        self._auto_volatility = volatility == "auto"
        self._volatility = (
            math.nan if self._auto_volatility else _positive(volatility, "volatility")
        )
        self._auto_volume = daily_volume_usd == "auto"
        self._daily_volume = (
            math.nan if self._auto_volume else _positive(daily_volume_usd, "daily_volume_usd")
        )
        if impact_model not in ("square_root", "almgren_chriss"):
            raise InvalidInputError(
                f"impact_model={impact_model!r}: use 'square_root' or 'almgren_chriss'"
            )
        self.impact_model: ImpactModel = impact_model
        self.impact_coefficient = float(impact_coefficient)
        if not (math.isfinite(self.impact_coefficient) and self.impact_coefficient >= 0):
            raise InvalidInputError(f"impact_coefficient={impact_coefficient!r} must be >= 0")
        self._explicit_contract_value = contract_value is not None
        self.contract_value, self._inverse_contract_usd = _contract_units(
            exchange, symbol, self.market, contract_value, instrument
        )
        # base units per book size unit; NaN for an inverse contract (it depends on the price)
        self._book_per_base = 1.0 / self.contract_value
        self.risk_aversion = float(risk_aversion)
        self._square_root_name = f"square_root (Y={self.impact_coefficient:g})"
        self.slippage_model = slippage_model
        self.fill_model = fill_model
        self.volatility_estimator = RealizedVolatility()
        self.volume_estimator = TradedVolume()
        self.latency = LatencyHistogram("estimate")

    # ---- stream inputs ---------------------------------------------------------------------

    def observe_book(self, ts_ns: int, book: OrderBook) -> None:
        """Feed the book after each update (for ``volatility="auto"``)."""
        if self._auto_volatility:
            self.volatility_estimator.update(ts_ns, book.mid)

    def observe_trade(self, ts_ns: int, price: float, quantity: float) -> None:
        """Feed each trade: price, ``quantity`` in base units, as :class:`TradeEvent.size
        <tradecost.feeds.okx.protocol.TradeEvent>` carries it (for ``daily_volume_usd="auto"``).
        """
        if self._auto_volume:
            self.volume_estimator.update(ts_ns, price, quantity)

    def use_instrument(self, instrument: Instrument) -> None:
        """Take the contract value from ``instrument`` — e.g. the record the feed resolved from
        the exchange, newer than the bundled one — unless ``contract_value=`` was given."""
        if self._explicit_contract_value:
            return
        self.contract_value, self._inverse_contract_usd = _contract_units(
            self.exchange, self.symbol, self.market, None, instrument
        )
        self._book_per_base = 1.0 / self.contract_value

    def book_units_per_base(self, price: float) -> float:
        """Book size units per base unit at ``price``: 1 for spot, 1 / (ctVal × ctMult) for a
        linear contract, ``price`` / (ctVal × ctMult) for an inverse one (ctVal in USD). The one
        conversion between the API's base units and the book's units."""
        if self._inverse_contract_usd:
            return price / self._inverse_contract_usd
        return self._book_per_base

    @property
    def volatility(self) -> float:
        """Daily volatility in use (fraction); NaN while "auto" is not warm."""
        return self.volatility_estimator.daily if self._auto_volatility else self._volatility

    @property
    def daily_volume_usd(self) -> float:
        """Daily traded notional in use (quote units); NaN while "auto" is not warm."""
        return self.volume_estimator.daily_notional if self._auto_volume else self._daily_volume

    # ---- the estimate ----------------------------------------------------------------------

    def estimate(
        self,
        book: OrderBook,
        side: str,
        quantity_usd: float | None = None,
        *,
        notional_usd: float | None = None,
        quantity: float | None = None,
        order_type: OrderType = "market",
        limit_price: float | str | None = None,
        offset_bps: float | None = None,
        horizon_s: float | None = None,
        steps: int | None = None,
        stale: bool = False,
        horizon: float | None = None,
    ) -> CostEstimate:
        """Cost of an order of ``notional_usd`` (quote units) or ``quantity`` (base units).

        ``quantity_usd`` (also the third positional argument) is the design card's name for
        ``notional_usd`` and means the same; give one of them, not both.

        ``order_type="market"``: immediate, or scheduled over ``horizon_s`` seconds in ``steps``
        slices when both are given. ``order_type="limit"``: at ``limit_price``, or
        ``offset_bps`` behind the same-side touch (negative = more aggressive), resting for
        ``horizon_s`` seconds (default 10) before crossing. ``horizon=`` is the old name of
        ``horizon_s`` (deprecated: it still works, with a DeprecationWarning). ``stale=True``
        marks the estimate as computed on a book the feed does not vouch for (it is flagged,
        never hidden).
        Raises EmptyBookError when either side of the book is empty (no arrival mid).
        """
        started = time.perf_counter_ns()
        if horizon is not None:
            horizon_s = _deprecated_horizon(horizon, horizon_s)
        if side != "buy" and side != "sell":
            side_value = getattr(side, "value", side)
            if side_value not in ("buy", "sell"):
                raise InvalidInputError(f"side {side!r} must be 'buy' or 'sell'")
            side = side_value
        sign = 1.0 if side == "buy" else -1.0
        mid = book.mid
        if mid != mid:
            raise EmptyBookError(
                "no arrival mid: one side of the book is empty; cannot price an order"
            )
        if notional_usd is not None:
            if quantity_usd is not None:
                raise InvalidInputError(
                    "give notional_usd= or quantity_usd= (the same thing, quote units), not both"
                )
            quantity_usd = notional_usd
        if (quantity_usd is None) == (quantity is None):
            raise InvalidInputError("give exactly one of notional_usd= or quantity= (base units)")
        if quantity_usd is not None:
            notional = (
                quantity_usd
                if type(quantity_usd) is float and 0.0 < quantity_usd < math.inf
                else _positive(
                    quantity_usd, "notional_usd" if notional_usd is not None else "quantity_usd"
                )
            )
            base = notional / mid
        else:
            base = _positive(quantity, "quantity")
            notional = base * mid
        flags: list[str] = []
        if stale:
            flags.append("stale_book")
        crossed = book.crossed
        if crossed:
            flags.append("crossed_book")

        fill_probability = math.nan
        fill_model_name = ""
        risk_usd = math.nan
        inverse_usd = self._inverse_contract_usd  # book_units_per_base, inlined: every tick
        per_base = mid / inverse_usd if inverse_usd else self._book_per_base
        if order_type == "market":
            if horizon_s is None and steps is None:
                levels, slip_bps, complete, remaining = self._walk(book, side, base, per_base)
                maker = 0.0
            else:
                if horizon_s is None or steps is None:
                    raise InvalidInputError("a scheduled order needs both horizon_s= and steps=")
                horizon_s = _positive(horizon_s, "horizon_s")
                if int(steps) != steps or steps < 1:
                    raise InvalidInputError(f"steps={steps!r} must be an integer >= 1")
                levels, slip_bps, complete, remaining = self._walk(
                    book, side, base / steps, per_base
                )
                remaining *= steps
                maker = 0.0
        elif order_type == "limit":
            (levels, slip_bps, complete, remaining, maker, fill_probability, fill_model_name) = (
                self._limit(
                    book,
                    side,
                    sign,
                    base,
                    per_base,
                    mid,
                    limit_price,
                    offset_bps,
                    10.0 if horizon_s is None else _positive(horizon_s, "horizon_s"),
                )
            )
        else:
            raise InvalidInputError(f"order_type={order_type!r}: use 'market' or 'limit'")
        if not complete:
            flags.append("book_too_thin")
        taker = 1.0 - maker
        slippage_usd = slip_bps * 1e-4 * notional
        avg_price = mid * (1.0 + sign * slip_bps * 1e-4)
        # fees are charged on what is filled: quantity × average fill price
        fee_usd = self.fees.fee(base * avg_price, maker)

        volatility = self.volatility_estimator.daily if self._auto_volatility else self._volatility
        daily_volume = (
            self.volume_estimator.daily_notional if self._auto_volume else self._daily_volume
        )
        impact_usd, impact_name, risk_usd = self._impact(
            book, base, notional, mid, volatility, daily_volume, order_type, horizon_s, steps
        )
        if impact_usd != impact_usd:
            flags.append("impact_unavailable")
            net_usd = slippage_usd + fee_usd
        else:
            net_usd = slippage_usd + fee_usd + impact_usd

        p50 = p90 = math.nan
        if self.slippage_model is not None:
            p50, p90 = self.slippage_model.predict_quantiles(book, side, notional)
        if p50 != p50:
            flags.append("slippage_model_untrained")

        estimate = CostEstimate(
            side=side,
            order_type=order_type,
            quantity=base,
            notional_usd=notional,
            arrival_mid=mid,
            avg_price=avg_price,
            levels=levels,
            slippage_usd=slippage_usd,
            slippage_bps=slip_bps,
            slippage_p50_bps=p50,
            slippage_p90_bps=p90,
            fee_usd=fee_usd,
            fee_bps=fee_usd / notional * 1e4,
            impact_usd=impact_usd,
            impact_bps=impact_usd / notional * 1e4,
            impact_model=impact_name,
            net_cost_usd=net_usd,
            net_cost_bps=net_usd / notional * 1e4,
            maker_fraction=maker,
            taker_fraction=taker,
            fill_probability=fill_probability,
            fill_model=fill_model_name,
            risk_usd=risk_usd,
            volatility=volatility,
            daily_volume_usd=daily_volume,
            complete=complete,
            remaining_usd=remaining * mid,
            stale=stale,
            crossed=crossed,
            flags=tuple(flags),
            latency_ns=time.perf_counter_ns() - started,
        )
        self.latency.record(estimate.latency_ns)
        return estimate

    @staticmethod
    def _walk(
        book: OrderBook, side: str, base: float, per_base: float
    ) -> tuple[int, float, bool, float]:
        """Walk ``base`` units (``per_base`` book units each): (levels, slippage bps vs mid,
        complete, remaining base units)."""
        fill = walk_book(book, side, quantity=base * per_base)
        return fill.levels, fill.slippage_bps, fill.complete, fill.remaining / per_base

    def _limit(
        self,
        book: OrderBook,
        side: str,
        sign: float,
        base: float,
        per_base: float,
        mid: float,
        limit_price: float | str | None,
        offset_bps: float | None,
        horizon_s: float,
    ) -> tuple[int, float, bool, float, float, float, str]:
        if (limit_price is None) == (offset_bps is None):
            raise InvalidInputError(
                "a limit order needs exactly one of limit_price= or offset_bps="
            )
        same_touch = book.best_bid if side == "buy" else book.best_ask
        if limit_price is not None:
            limit_tick = book.price_to_ticks(limit_price)
        else:
            offset = float(offset_bps)  # type: ignore[arg-type]
            if not math.isfinite(offset):
                raise InvalidInputError(f"offset_bps={offset_bps!r} must be finite")
            raw = same_touch * (1.0 - sign * offset * 1e-4)
            # round away from the market: a passive order never crosses by rounding
            tick = float(book.tick_size)
            limit_tick = (
                math.floor(raw / tick + 1e-9) if side == "buy" else math.ceil(raw / tick - 1e-9)
            )
        limit = book.ticks_to_price(limit_tick)
        size_units = base * per_base
        # marketable part: opposite levels at or better than the limit
        opposite = book.ask_ticks() if side == "buy" else book.bid_ticks()
        sizes = (book.asks() if side == "buy" else book.bids())[:, 1]
        crossing = opposite <= limit_tick if side == "buy" else opposite >= limit_tick
        available = float(sizes[crossing].sum())
        taker_units = min(size_units, available)
        resting_units = size_units - taker_units
        levels = 0
        cost_bps_total = 0.0
        if taker_units > 0:
            fill = walk_book(book, side, quantity=taker_units)
            levels = fill.levels
            cost_bps_total += fill.slippage_bps * taker_units
        p_fill = math.nan
        model_name = ""
        if resting_units > 0:
            ticks_behind = (
                (
                    (book.bid_ticks(1)[0] - limit_tick)
                    if side == "buy"
                    else (limit_tick - book.ask_ticks(1)[0])
                )
                if taker_units == 0
                else 0
            )
            p_fill, model_name = self._fill_model().fill_probability(
                book, side, float(max(ticks_behind, 0)), resting_units / per_base * limit, horizon_s
            )
            passive_bps = sign * (limit - mid) / mid * 1e4
            fallback = walk_book(book, side, quantity=resting_units)
            cost_bps_total += resting_units * (
                p_fill * passive_bps + (1.0 - p_fill) * fallback.slippage_bps
            )
            complete = fallback.complete
            remaining = fallback.remaining * (1.0 - p_fill)
        else:
            complete = True
            remaining = 0.0
        maker = (resting_units / size_units) * p_fill if resting_units > 0 else 0.0
        return (
            levels,
            cost_bps_total / size_units,
            complete,
            remaining / per_base,
            maker,
            p_fill,
            model_name,
        )

    def _fill_model(self) -> FillModel:
        """The fill model a limit order's resting part needs."""
        if self.fill_model is not None:
            return self.fill_model
        raise InvalidInputError(
            "a limit order needs a fill model (fill_model=...) to split maker and taker; "
            "see tradecost.models"
        )

    def schedule_model(
        self,
        mid: float,
        quantity: float,
        volatility: float,
        daily_volume_usd: float,
        horizon_s: float,
        spread: float,
    ) -> AlmgrenChriss:
        """The Almgren–Chriss model a scheduled order of ``quantity`` base units over
        ``horizon_s`` seconds is priced with, calibrated on the immediate model's inputs.

        Both coefficients follow the square-root law at this order's size, I = Y·σ·S₀·√(X/V)
        per unit (Y = ``impact_coefficient``, σ daily, V in base units per day): the permanent
        move at completion γ·X = I, and a TWAP's temporary cost per unit η·X/T = I
        (``AlmgrenChriss.calibrate(method="square_root", permanent="square_root")``). ε is half
        the spread (a NaN or zero spread gives 0); it is never charged, the walk already pays
        it. Time in seconds.
        """
        return AlmgrenChriss.calibrate(
            price=mid,
            daily_volume=daily_volume_usd / mid,
            daily_volatility=volatility,
            spread=spread if spread > 0.0 else 0.0,
            risk_aversion=self.risk_aversion,
            method="square_root",
            permanent="square_root",
            quantity=quantity,
            horizon=horizon_s,
            impact_coefficient=max(self.impact_coefficient, 1e-12),
            time_unit="second",
        )

    def _impact(
        self,
        book: OrderBook,
        base: float,
        notional: float,
        mid: float,
        volatility: float,
        daily_volume: float,
        order_type: str,
        horizon_s: float | None,
        steps: int | None,
    ) -> tuple[float, str, float]:
        """(impact USD, model description, schedule risk USD)."""
        if not (volatility > 0.0 and daily_volume > 0.0):
            missing = "volatility" if not volatility > 0.0 else "daily volume"
            return math.nan, f"unavailable (no {missing} yet)", math.nan
        if order_type == "market" and horizon_s is not None and steps is not None:
            ac = self.schedule_model(mid, base, volatility, daily_volume, horizon_s, book.spread)
            schedule = ac.schedule(quantity=base, horizon=horizon_s, steps=int(steps))
            return (
                schedule.components.permanent,
                f"almgren_chriss permanent, square_root-matched (Y={self.impact_coefficient:g}, "
                f"T={horizon_s:g}s, N={int(steps)}, lambda={self.risk_aversion:g})",
                schedule.std,
            )
        if self.impact_model == "square_root":
            fraction = self.impact_coefficient * volatility * math.sqrt(notional / daily_volume)
            return fraction * notional, self._square_root_name, math.nan
        # Almgren–Chriss linear permanent impact γ·X with the paper's γ = spread / (0.1·V)
        spread = book.spread
        gamma = spread / (0.1 * daily_volume / mid)
        return gamma * base * base, _ALMGREN_CHRISS_IMMEDIATE, math.nan

    # ---- many sizes at once ----------------------------------------------------------------

    def estimate_curve(
        self,
        book: OrderBook,
        side: str,
        quantities_usd: Sequence[float] | FloatArray | None = None,
        *,
        notionals_usd: Sequence[float] | FloatArray | None = None,
    ) -> CostCurve:
        """Market-order cost for many sizes in one call (the cost curve), in bps.

        ``notionals_usd`` are the sizes in quote units; ``quantities_usd`` (also the third
        positional argument) is the design card's name for the same; give one of them."""
        if (quantities_usd is None) == (notionals_usd is None):
            raise InvalidInputError(
                "give exactly one of notionals_usd= or quantities_usd= (the same, quote units)"
            )
        sizes = notionals_usd if notionals_usd is not None else quantities_usd
        notionals = np.ascontiguousarray(sizes, dtype=np.float64).reshape(-1)
        mid = book.mid
        if mid != mid:
            raise EmptyBookError("no arrival mid: one side of the book is empty")
        per_base = self.book_units_per_base(mid)
        curve = walk_book_curve(book, side, quantities=notionals / mid * per_base)
        sign = 1.0 if curve.side == "buy" else -1.0
        # fees on the filled notional: quantity × average price = notional × avg / mid
        fee_bps = self.fees.rate(0.0) * 1e4 * (1.0 + sign * curve.slippage_bps * 1e-4)
        volatility, volume = self.volatility, self.daily_volume_usd
        flags: tuple[str, ...] = ()
        if not (volatility > 0.0 and volume > 0.0):
            impact_bps = np.full(notionals.shape, np.nan)
            missing = "volatility" if not volatility > 0.0 else "daily volume"
            impact_name = f"unavailable (no {missing} yet)"
            flags = ("impact_unavailable",)
        elif self.impact_model == "square_root":
            impact_bps = self.impact_coefficient * volatility * np.sqrt(notionals / volume) * 1e4
            impact_name = self._square_root_name
        else:
            # γ·X² over the notional X·mid, with the paper's γ = spread / (0.1·V), V in base units
            gamma = book.spread / (0.1 * volume / mid)
            impact_bps = gamma * (notionals / mid) / mid * 1e4
            impact_name = _ALMGREN_CHRISS_IMMEDIATE
        net = curve.slippage_bps + fee_bps + np.nan_to_num(impact_bps)
        return CostCurve(
            side=curve.side,
            notionals_usd=notionals,
            slippage_bps=curve.slippage_bps,
            fee_bps=fee_bps,
            impact_bps=impact_bps,
            net_cost_bps=net,
            complete=curve.complete,
            impact_model=impact_name,
            flags=flags,
        )
