"""Market statistics estimated from the live stream, for inputs a user may leave on "auto".

Both are exponentially weighted, run in O(1) per update and say when they are not warm yet
(NaN), so nothing downstream mistakes a guess for a measurement.
"""

from __future__ import annotations

import math

from tradecost.errors import InvalidInputError

_NS_PER_SECOND = 1_000_000_000
_SECONDS_PER_DAY = 86_400.0


class RealizedVolatility:
    """Daily volatility (fraction of price per √day) from mid prices sampled on a fixed grid.

    Log returns between grid points are averaged with an exponential weight (half-life in
    samples); a gap of k grid intervals counts as one return of variance r²/k per interval. The
    per-interval variance is scaled to a day by the square-root-of-time rule, which assumes
    uncorrelated returns; at sub-second intervals microstructure noise biases it upward, so the
    default interval is one second.
    """

    __slots__ = (
        "_alpha",
        "_interval_ns",
        "_last_mid",
        "_last_tick",
        "_samples",
        "_variance",
        "_weight",
        "half_life",
        "interval_s",
        "min_samples",
    )

    def __init__(
        self, interval_s: float = 1.0, half_life: float = 300.0, min_samples: int = 20
    ) -> None:
        if not interval_s > 0 or not half_life > 0 or min_samples < 1:
            raise InvalidInputError(
                f"interval_s={interval_s!r} and half_life={half_life!r} must be > 0, "
                f"min_samples={min_samples!r} >= 1"
            )
        self.interval_s = interval_s
        self.half_life = half_life
        self.min_samples = min_samples
        self._interval_ns = int(interval_s * _NS_PER_SECOND)
        self._alpha = 1.0 - 0.5 ** (1.0 / half_life)
        self._variance = 0.0
        self._weight = 0.0  # total weight so far: dividing by it removes the start-up bias
        self._samples = 0
        self._last_tick = -1
        self._last_mid = math.nan

    def update(self, ts_ns: int, mid: float) -> None:
        """Feed the mid price at time ``ts_ns`` (any monotone ns clock)."""
        if not (mid > 0.0 and math.isfinite(mid)):
            return
        tick = ts_ns // self._interval_ns
        if self._last_tick < 0:
            self._last_tick, self._last_mid = tick, mid
            return
        if tick <= self._last_tick:
            return
        intervals = tick - self._last_tick
        r = math.log(mid / self._last_mid)
        self._variance += self._alpha * (r * r / intervals - self._variance)
        self._weight += self._alpha * (1.0 - self._weight)
        self._samples += 1
        self._last_tick, self._last_mid = tick, mid

    @property
    def warm(self) -> bool:
        return self._samples >= self.min_samples

    @property
    def daily(self) -> float:
        """Daily volatility as a fraction (0.02 = 2 %/√day); NaN until warm."""
        if not self.warm:
            return math.nan
        return math.sqrt(self._variance / self._weight * _SECONDS_PER_DAY / self.interval_s)


class TradedVolume:
    """Traded notional per day, from the trade tape: total notional over the observed span,
    scaled to 24 h. NaN until ``min_seconds`` of tape and ``min_trades`` trades were seen."""

    __slots__ = ("_first_ns", "_last_ns", "_notional", "_trades", "min_seconds", "min_trades")

    def __init__(self, min_seconds: float = 30.0, min_trades: int = 20) -> None:
        self.min_seconds = min_seconds
        self.min_trades = min_trades
        self._notional = 0.0
        self._trades = 0
        self._first_ns = -1
        self._last_ns = -1

    def update(self, ts_ns: int, price: float, size: float) -> None:
        """One trade: time (ns), price (quote per base unit) and size (base units)."""
        if not (price > 0.0 and size > 0.0):
            return
        if self._first_ns < 0:
            self._first_ns = ts_ns
        self._last_ns = max(self._last_ns, ts_ns)
        self._notional += price * size
        self._trades += 1

    @property
    def daily_notional(self) -> float:
        span = (self._last_ns - self._first_ns) / _NS_PER_SECOND
        if self._trades < self.min_trades or span < self.min_seconds:
            return math.nan
        return self._notional / span * _SECONDS_PER_DAY
