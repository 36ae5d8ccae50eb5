"""Market-impact models: exact discrete Almgren–Chriss (2000) and the square-root law.

Source for everything named "eq. (n)" below: R. Almgren & N. Chriss, "Optimal Execution of Portfolio
Transactions", J. Risk 3(2):5–39 (2000); preprint https://cims.nyu.edu/~almgren/papers/optliq.pdf.

**Units.** Almgren–Chriss works in any time unit, as long as it is the same for every argument:
``sigma`` in price/√time, ``eta`` in (price/unit)/(unit/time) = price·time/unit², ``horizon``
in time; ``gamma`` (price/unit²), ``epsilon`` (price/unit) and ``risk_aversion`` (1/$) carry no
time. Rescaling time by c (T → cT, σ → σ/√c, η → cη) leaves holdings, trades, E and V unchanged
and divides κ by c (see :meth:`AlmgrenChriss.rescale_time`). "Price" is the quote currency (USD
for BTC-USDT); "unit" is the traded base unit (BTC, shares).

**Sign.** ``quantity`` is the size to trade, ≥ 0. A sell program liquidates it; a buy program is
"completely analogous" (paper §1): the same trajectory with the signs of holdings and trades
flipped, and the same E and V. Costs are positive when they lose money (implementation shortfall
against S₀).

**Nothing counted twice.** E contains three separately reported parts (eq. 4 with eqs. 6–7):
permanent γΣx_k n_k, spread/fees εΣ|n_k| and temporary (η/τ)Σn_k² — see :class:`CostComponents`.
A cost estimator that already charges the half-spread through walk-the-book slippage uses
``components.impact`` (= permanent + temporary), never ``expected_cost``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidInputError, ModelDomainError

__all__ = [
    "TIME_UNITS",
    "AlmgrenChriss",
    "CostComponents",
    "Frontier",
    "ImmediateImpact",
    "Schedule",
    "SquareRootImpact",
]

FloatArray = npt.NDArray[np.float64]

#: Length of one day in each supported time unit. A "day" is 24 h (crypto trades around the
#: clock); for an exchange-hours market use a trading day consistently and leave time_unit=None.
TIME_UNITS: Mapping[str, float] = {"day": 1.0, "hour": 24.0, "minute": 1440.0, "second": 86400.0}

_LN2 = math.log(2.0)
# Below this κT the optimal trajectory equals TWAP to double precision ((κT)² < 1e-18).
_TWAP_KAPPA_T = 1e-9
# Above this κτ, x_1/X < e^-700 underflows: the optimum is minimum variance to double precision.
# Clamping κτ there keeps λ = 1e300 (κτ = inf) out of inf − inf.
_MAX_KAPPA_TAU = 700.0


# --- validation ---------------------------------------------------------------------------------


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{what} must be finite, got {value!r}")
    return number


def _non_negative(value: Any, what: str) -> float:
    number = _finite(value, what)
    if number < 0.0:
        raise InvalidInputError(f"{what} must be ≥ 0, got {value!r}")
    return number


def _positive(value: Any, what: str) -> float:
    number = _finite(value, what)
    if number <= 0.0:
        raise InvalidInputError(f"{what} must be > 0, got {value!r}")
    return number


def _steps(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"steps must be an integer ≥ 1, got {value!r}")
    steps = int(value)
    if steps < 1:
        raise InvalidInputError(f"steps must be an integer ≥ 1, got {value!r}")
    return steps


def _time_unit(unit: str) -> float:
    try:
        return TIME_UNITS[unit]
    except (KeyError, TypeError):
        raise InvalidInputError(
            f"unknown time unit {unit!r}; use one of {', '.join(TIME_UNITS)}"
        ) from None


# --- closed forms (eqs. 17–20), written to be cancellation- and overflow-safe --------------------


def _kappa_tau(z: FloatArray) -> FloatArray:
    """κτ from the cosh relation 2(cosh κτ − 1)/τ² = κ̃², given z = κ̃²τ²/2 ≥ 0 (eq. 16 ff.).

    arccosh(1 + z) = log1p(z + √(z(z + 2))): the naive arccosh(1 + z) rounds 1 + z first and
    loses about half the digits when z ~ 1e-8 (one-minute slices of a daily model).
    """
    return np.log1p(z + np.sqrt(z * (z + 2.0)))


def _k_tau(z: FloatArray) -> FloatArray:
    """kτ for λ < 0, where κ = ik and cos kτ = 1 + z (−2 ≤ z < 0): 2·arcsin(√(−z/2)), which has
    no cancellation at small |z| (arccos(1 + z) has)."""
    return 2.0 * np.arcsin(np.sqrt(-z / 2.0))


def _kappa_tau_scalar(z: float) -> float:
    """Scalar :func:`_kappa_tau`."""
    return math.log1p(z + math.sqrt(z * (z + 2.0)))


def _k_tau_scalar(z: float) -> float:
    """Scalar :func:`_k_tau`; NaN when z < −2 (no real kτ)."""
    half = -z / 2.0
    return 2.0 * math.asin(math.sqrt(half)) if half <= 1.0 else math.nan


def _odd_series(m: FloatArray, a: FloatArray, alternating: bool) -> FloatArray:
    """Σ_{k=3,5,...} s_k (m^k − m) a^k / k!, the Taylor series of sinh(ma) − m·sinh(a)
    (s_k = 1), or of m·sin(a) − sin(ma) (s_k = (−1)^((k+1)/2)). Used when ma < 1, where the
    direct difference cancels; each term is computed as m(m^(k−1) − 1)a^k/k!, without cancellation.
    """
    total = np.zeros_like(a)
    power_a = a.copy()  # a^k
    power_m = np.ones_like(m)  # m^(k-1)
    factorial = 1.0
    for k in range(3, 40, 2):
        power_a = power_a * a * a
        power_m = power_m * m * m
        factorial *= (k - 1) * k
        sign = 1.0 if not alternating else (-1.0 if (k + 1) // 2 % 2 else 1.0)
        term = m * (power_m - 1.0) * power_a / factorial
        total = total + sign * term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return total


def _optimal_moments(
    quantity: float,
    steps: int,
    tau: float,
    eta_tilde: float,
    sigma: float,
    kappa_tau: FloatArray,
    oscillatory: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """E − ½γX² − ε|X| (the η̃ part) and V of the optimal trajectory, eq. (20), vectorised over κτ.

    For λ > 0 (``oscillatory`` False) ``kappa_tau`` is κτ; for λ < 0 it is kτ with κ = ik and
    eq. (20) is continued analytically (sinh → i·sin). κτ = 0 gives TWAP (eqs. 10–11).
    """
    n = float(steps)
    m = 2.0 * n - 1.0
    x2 = quantity * quantity
    a = np.asarray(kappa_tau, dtype=np.float64)
    b = n * a
    eta_part = np.empty_like(a)
    var_ratio = np.empty_like(a)  # V / (½σ²X²τ)

    twap = (a == 0.0) | (b < _TWAP_KAPPA_T)
    hyper = ~twap & ~oscillatory
    trig = ~twap & oscillatory

    # TWAP, eqs. (10)-(11): η̃X²/T and V = ⅓σ²X²T(1 − 1/N)(1 − 1/2N).
    eta_part[twap] = eta_tilde * x2 / (n * tau)
    var_ratio[twap] = (2.0 / 3.0) * n * (1.0 - 1.0 / n) * (1.0 - 0.5 / n)

    if np.any(hyper):
        ah, bh = a[hyper], b[hyper]
        # η̃X²·tanh(a/2)(τ sinh 2b + 2T sinh a)/(2τ² sinh² b) rewritten with
        # sinh 2b/sinh² b = 2/tanh b and sinh a/sinh² b = 2e^{a−2b}(1 − e^{−2a})/(1 − e^{−2b})².
        sinh_ratio = 2.0 * np.exp(ah - 2.0 * bh) * -np.expm1(-2.0 * ah) / np.expm1(-2.0 * bh) ** 2
        eta_part[hyper] = (
            eta_tilde * x2 / tau * np.tanh(ah / 2.0) * (1.0 / np.tanh(bh) + n * sinh_ratio)
        )
        # V·2/(σ²X²) = τ(sinh(ma) − m sinh a)/(2 sinh² b sinh a), m = 2N − 1.
        small = m * ah < 1.0
        out = np.empty_like(ah)
        if np.any(small):
            a_s, b_s = ah[small], bh[small]
            numerator = _odd_series(np.full_like(a_s, m), a_s, alternating=False)
            out[small] = numerator / (2.0 * np.sinh(b_s) ** 2 * np.sinh(a_s))
        large = ~small
        if np.any(large):
            a_l, b_l = ah[large], bh[large]
            denom_b = np.expm1(-2.0 * b_l) ** 2
            first = 4.0 * np.exp(-2.0 * a_l) * -np.expm1(-2.0 * m * a_l)
            first = first / (denom_b * -np.expm1(-2.0 * a_l))
            second = 4.0 * m * np.exp(-2.0 * b_l) / denom_b
            out[large] = 0.5 * (first - second)
        var_ratio[hyper] = out

    if np.any(trig):
        at, bt = a[trig], b[trig]
        eta_part[trig] = (
            eta_tilde
            * x2
            / tau
            * np.tan(at / 2.0)
            * (1.0 / np.tan(bt) + n * np.sin(at) / np.sin(bt) ** 2)
        )
        small = m * at < 1.0
        numerator = np.empty_like(at)
        if np.any(small):
            numerator[small] = _odd_series(np.full_like(at[small], m), at[small], alternating=True)
        if np.any(~small):
            a_l = at[~small]
            numerator[~small] = m * np.sin(a_l) - np.sin(m * a_l)
        var_ratio[trig] = numerator / (2.0 * np.sin(bt) ** 2 * np.sin(at))

    variance = 0.5 * sigma * sigma * x2 * tau * var_ratio
    return eta_part, variance


# --- result types ---------------------------------------------------------------------------------


class CostComponents(NamedTuple):
    """Expected cost split as in eq. (4) with linear impact (eqs. 6–7), in price × units ($).

    ``permanent`` = γ Σ x_k n_k (= ½γX² − ½γΣn_k²), ``spread`` = ε Σ|n_k| (half-spread and fees as
    the model's ε), ``temporary`` = (η/τ) Σ n_k². ``total`` = their sum = E.
    """

    permanent: float
    spread: float
    temporary: float

    @property
    def total(self) -> float:
        """E, the expected implementation shortfall ($)."""
        return self.permanent + self.spread + self.temporary

    @property
    def impact(self) -> float:
        """permanent + temporary: E without the ε term — what to add on top of walk-the-book
        slippage, which already contains the half-spread ($)."""
        return self.permanent + self.temporary


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """A trade schedule and its cost moments (Almgren & Chriss 2000).

    ``holdings`` x_0..x_N (x_0 = quantity, x_N = 0) and ``trades`` n_1..n_N (n_k = x_{k−1} − x_k),
    in base units; ``times`` t_0..t_N in the model's time unit. ``expected_cost`` E ($, eq. 8) and
    ``variance`` V ($², eq. 5) are computed from the trajectory itself.
    """

    quantity: float
    horizon: float
    steps: int
    risk_aversion: float
    """λ (1/$) the schedule optimises E + λV for; 0 for TWAP, +inf for minimum variance."""
    kappa: float
    """κ (1/time), eq. (16 ff.). 0 for TWAP, +inf for minimum variance. For λ < 0 the solution is
    oscillatory with κ = i·k and ``kappa`` reports −k (the sign marks the branch, kept for
    compatibility): read :attr:`kappa_is_imaginary` and :attr:`k` instead."""
    holdings: FloatArray
    trades: FloatArray
    times: FloatArray
    expected_cost: float
    variance: float
    components: CostComponents

    @property
    def tau(self) -> float:
        """Slice length τ = T/N (time unit)."""
        return self.horizon / self.steps

    @property
    def std(self) -> float:
        """√V, the standard deviation of the cost ($)."""
        return math.sqrt(self.variance)

    @property
    def e_folding_time(self) -> float:
        """θ = 1/κ (time unit): the paper's "half-life" (§2.3), the time to deplete the holdings by
        a factor e. +inf for TWAP (κ = 0), 0 for minimum variance, NaN for λ < 0."""
        return _e_folding_time(self.kappa)

    @property
    def half_life(self) -> float:
        """ln 2/κ (time unit): the literal half-life, holdings halve in this time (continuous-time
        limit). The paper's own "half-life" is :attr:`e_folding_time`. NaN for λ < 0."""
        return _LN2 * _e_folding_time(self.kappa)

    @property
    def kappa_is_imaginary(self) -> bool:
        """True for λ < 0: κ = i·k, the trajectory oscillates (paper §2.2)."""
        return self.risk_aversion < 0.0

    @property
    def k(self) -> float:
        """|κ| (1/time): κ itself for λ ≥ 0, k of κ = i·k when :attr:`kappa_is_imaginary`."""
        return abs(self.kappa)

    @property
    def kappa_horizon(self) -> float:
        """κT: ≫ 1 is close to minimum variance, ≪ 1 close to TWAP (paper §2.3)."""
        return self.kappa * self.horizon

    def value_at_risk(self, z: float = 1.645) -> float:
        """E + z√V ($), the paper's Var_p of eq. (22); z = 1.645 is the 95 % level."""
        return self.expected_cost + z * self.std


def _e_folding_time(kappa: float) -> float:
    if kappa < 0.0 or math.isnan(kappa):
        return math.nan
    if kappa == 0.0:
        return math.inf
    return 1.0 / kappa


@dataclass(frozen=True, slots=True, eq=False)
class Frontier:
    """The efficient frontier for one order, one row per risk aversion λ (arrays, same order).

    Closed forms of eq. (20); components as in :class:`CostComponents`. Along λ ≥ 0 the frontier
    is convex with dE/dV = −λ (paper §2.1).
    """

    quantity: float
    horizon: float
    steps: int
    risk_aversion: FloatArray
    kappa: FloatArray
    expected_cost: FloatArray
    variance: FloatArray
    permanent: FloatArray
    spread: FloatArray
    temporary: FloatArray

    @property
    def std(self) -> FloatArray:
        """√V per row ($)."""
        return np.sqrt(self.variance)

    @property
    def kappa_is_imaginary(self) -> npt.NDArray[np.bool_]:
        """Per row, True where λ < 0 (κ = i·k; ``kappa`` holds −k there, as in Schedule)."""
        return np.asarray(self.risk_aversion < 0.0)

    @property
    def k(self) -> FloatArray:
        """|κ| per row (1/time): κ for λ ≥ 0, k of κ = i·k for λ < 0."""
        return np.abs(self.kappa)

    def value_at_risk(self, z: float = 1.645) -> FloatArray:
        """E + z√V per row ($), eq. (22)."""
        return self.expected_cost + z * np.sqrt(self.variance)


class ImmediateImpact(NamedTuple):
    """Permanent impact of one immediate order, for the cost estimator's ``market_impact``.

    ``price_move`` is the expected permanent move of the price against the order (price units per
    base unit, ≥ 0); ``fraction`` = price_move / price; ``cost`` = price_move × |quantity| in quote
    currency — the move valued over the order's size. ``model`` says which law produced it.
    This is a mark-to-market figure: Almgren–Chriss eq. (13) charges an immediate order no γ term.
    """

    model: Literal["almgren_chriss_linear", "square_root"]
    quantity: float
    price: float
    price_move: float
    fraction: float
    cost: float

    @property
    def bps(self) -> float:
        """The move in basis points of price."""
        return self.fraction * 1e4


# --- Almgren–Chriss -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlmgrenChriss:
    """The exact discrete Almgren–Chriss (2000) execution model with linear impact.

    Parameters (any time unit, used consistently — see the module docstring):

    - ``sigma`` σ: price volatility, price/√time (eq. 1; arithmetic random walk).
    - ``eta`` η: temporary impact, price·time/unit² — h(v) = ε sgn(v) + η v (eq. 7).
    - ``gamma`` γ: permanent impact, price/unit² — g(v) = γ v (eq. 6).
    - ``epsilon`` ε: fixed cost per unit, price/unit: "half the bid-ask spread plus fees" (§1.5).
    - ``risk_aversion`` λ: 1/$, the weight of V in E + λV (eq. 15). 0 gives TWAP; λ < 0 is the
      risk-seeking branch, allowed while kT < π.
    - ``time_unit``: an optional label (``"day"``, ``"hour"``, ``"minute"``, ``"second"``) that
      lets :meth:`in_time_unit` convert; it does not change any computation.
    """

    sigma: float
    eta: float
    gamma: float = 0.0
    epsilon: float = 0.0
    risk_aversion: float = 0.0
    time_unit: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", _non_negative(self.sigma, "sigma"))
        object.__setattr__(self, "eta", _positive(self.eta, "eta"))
        object.__setattr__(self, "gamma", _non_negative(self.gamma, "gamma"))
        object.__setattr__(self, "epsilon", _non_negative(self.epsilon, "epsilon"))
        object.__setattr__(self, "risk_aversion", _finite(self.risk_aversion, "risk_aversion"))
        if self.time_unit is not None:
            _time_unit(self.time_unit)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def calibrate(
        cls,
        price: float,
        daily_volume: float,
        daily_volatility: float,
        spread: float,
        *,
        risk_aversion: float = 0.0,
        method: Literal["paper", "square_root"] = "paper",
        quantity: float | None = None,
        horizon: float | None = None,
        impact_coefficient: float = 1.0,
        fee_rate: float = 0.0,
        time_unit: str = "day",
        permanent: Literal["paper", "square_root"] = "paper",
    ) -> AlmgrenChriss:
        """Parameters from market data, by the paper's rules of thumb (§3.4) or the square-root law.

        Inputs: ``price`` S₀ (quote per unit); ``daily_volume`` V (units per day);
        ``daily_volatility`` σ_d (fraction of price per √day, e.g. 0.03); ``spread`` the full
        bid-ask spread (price units); ``fee_rate`` an optional fee added to ε as the paper does
        (fraction of notional; leave 0 when fees are counted separately, as tradecost's estimator
        does).

        Always: σ = σ_d·S₀ and ε = spread/2 + fee_rate·S₀.

        ``permanent="paper"`` (default): γ = spread/(0.1·V) — "trading 10 % of daily volume moves
        the price by one spread" (paper §3.4). For a liquid book (a one-tick spread, a large V)
        this γ is negligible. ``permanent="square_root"``: γ is matched to the square-root law at
        this order, so the permanent move once ``quantity`` is done, γ·Q, equals
        Y·σ_d·S₀·√(Q/V): γ = Y·σ_d·S₀·√(Q/V)/Q (needs ``quantity``; Y = ``impact_coefficient``).
        This is the γ under which a schedule's permanent impact and an immediate order's
        square-root impact describe the same market.

        ``method="paper"``: η = spread/(0.01·V) per day — "each 1 % of daily volume traded per day
        costs one spread" (paper §3.4).

        ``method="square_root"``: η is matched to the square-root law at this order: a TWAP of
        ``quantity`` over ``horizon`` (in ``time_unit``) pays temporary impact η·Q/T per unit, set
        equal to Y·σ_d·S₀·√(Q/V) with Y = ``impact_coefficient`` (Tóth et al. 2011; Donier &
        Bonart 2015 for BTC), so η = Y·σ_d·S₀·√(Q/V)·T/Q. Needs ``quantity`` and ``horizon``.

        The returned model is in ``time_unit`` (a day = 24 h): σ is divided by √c and η multiplied
        by c, with c the number of time units per day.
        """
        price = _positive(price, "price")
        daily_volume = _positive(daily_volume, "daily_volume")
        daily_volatility = _non_negative(daily_volatility, "daily_volatility")
        spread = _non_negative(spread, "spread")
        fee_rate = _finite(fee_rate, "fee_rate")
        per_day = _time_unit(time_unit)
        if spread == 0.0 and method == "paper":
            raise InvalidInputError(
                "the paper's rules of thumb scale η and γ with the spread; a zero spread gives "
                "η = 0. Pass the quoted spread (price units)"
            )
        if permanent == "paper":
            gamma = spread / (0.1 * daily_volume)
        elif permanent == "square_root":
            if quantity is None:
                raise InvalidInputError(
                    "permanent='square_root' matches γ at one order: pass quantity="
                )
            if daily_volatility == 0.0:
                raise InvalidInputError("permanent='square_root' needs daily_volatility > 0")
            size = _positive(quantity, "quantity")
            move = (
                _positive(impact_coefficient, "impact_coefficient")
                * daily_volatility
                * price
                * math.sqrt(size / daily_volume)
            )
            gamma = move / size
        else:
            raise InvalidInputError(
                f"unknown permanent-impact calibration {permanent!r}; use 'paper' or 'square_root'"
            )
        if method == "paper":
            eta_per_day = spread / (0.01 * daily_volume)
        elif method == "square_root":
            if quantity is None or horizon is None:
                raise InvalidInputError(
                    "method='square_root' matches η at one order: pass quantity= and horizon="
                )
            size = _positive(quantity, "quantity")
            horizon_days = _positive(horizon, "horizon") / per_day
            coefficient = _positive(impact_coefficient, "impact_coefficient")
            if daily_volatility == 0.0:
                raise InvalidInputError("method='square_root' needs daily_volatility > 0")
            per_unit = coefficient * daily_volatility * price * math.sqrt(size / daily_volume)
            eta_per_day = per_unit * horizon_days / size
        else:
            raise InvalidInputError(
                f"unknown calibration method {method!r}; use 'paper' or 'square_root'"
            )
        return cls(
            sigma=daily_volatility * price / math.sqrt(per_day),
            eta=eta_per_day * per_day,
            gamma=gamma,
            epsilon=spread / 2.0 + fee_rate * price,
            risk_aversion=risk_aversion,
            time_unit=time_unit,
        )

    def with_risk_aversion(self, risk_aversion: float) -> AlmgrenChriss:
        """The same market with another λ (1/$)."""
        return dataclasses.replace(self, risk_aversion=risk_aversion)

    def rescale_time(self, factor: float, time_unit: str | None = None) -> AlmgrenChriss:
        """The same model with time measured in units ``factor`` times smaller (T → factor·T):
        σ → σ/√factor, η → factor·η; γ, ε, λ unchanged (AC dynamics, eqs. 1–2 and 7)."""
        factor = _positive(factor, "factor")
        return dataclasses.replace(
            self, sigma=self.sigma / math.sqrt(factor), eta=self.eta * factor, time_unit=time_unit
        )

    def in_time_unit(self, time_unit: str) -> AlmgrenChriss:
        """Convert to another named time unit; needs ``self.time_unit`` to be set."""
        if self.time_unit is None:
            raise InvalidInputError(
                "this model has no time_unit label; use rescale_time(factor) or set time_unit="
            )
        factor = _time_unit(time_unit) / _time_unit(self.time_unit)
        return self.rescale_time(factor, time_unit)

    # --- model quantities -----------------------------------------------------------------------

    def eta_tilde(self, tau: float) -> float:
        """η̃ = η − ½γτ (eq. 8): the effective temporary coefficient at slice length τ."""
        return self.eta - 0.5 * self.gamma * tau

    def _check(self, quantity: Any, horizon: Any, steps: Any) -> tuple[float, float, int, float]:
        size = _non_negative(quantity, "quantity")
        length = _positive(horizon, "horizon")
        count = _steps(steps)
        tau = length / count
        eta_tilde = self.eta_tilde(tau)
        if not eta_tilde > 0.0:
            raise ModelDomainError(
                f"η̃ = η − γτ/2 = {eta_tilde:.6g} ≤ 0 at τ = {tau:.6g}: the model is not convex "
                f"(paper eq. 8). Use more steps: τ must be < 2η/γ = "
                f"{2.0 * self.eta / self.gamma:.6g}"
            )
        return size, length, count, tau

    def _z(self, risk_aversion: FloatArray | float, tau: float) -> FloatArray:
        # z = κ̃²τ²/2 with κ̃² = λσ²/η̃ (eq. 16).
        lam = np.asarray(risk_aversion, dtype=np.float64)
        return lam * self.sigma * self.sigma * tau * tau / (2.0 * self.eta_tilde(tau))

    def kappa(self, horizon: float, steps: int, risk_aversion: float | None = None) -> float:
        """κ (1/time) for slices τ = horizon/steps: 2(cosh κτ − 1)/τ² = λσ²/η̃ (eq. 16 ff.).

        For λ < 0 returns −k where κ = ik (cos kτ = 1 + κ̃²τ²/2): the sign marks the branch, kept
        for compatibility. :meth:`k` and :meth:`kappa_is_imaginary` say the same explicitly."""
        _, _, count, tau = self._check(0.0, horizon, steps)
        lam = self.risk_aversion if risk_aversion is None else _finite(risk_aversion, "λ")
        z = self._z(lam, tau)
        if lam >= 0.0:
            return float(_kappa_tau(z) / tau)
        self._check_risk_seeking(np.atleast_1d(z), count, tau)
        return -float(_k_tau(z) / tau)

    def k(self, horizon: float, steps: int, risk_aversion: float | None = None) -> float:
        """|κ| (1/time): κ for λ ≥ 0, k of κ = i·k for λ < 0 (see :meth:`kappa_is_imaginary`)."""
        return abs(self.kappa(horizon, steps, risk_aversion))

    def kappa_is_imaginary(self, risk_aversion: float | None = None) -> bool:
        """True when λ (``risk_aversion``, default the model's) is < 0: κ = i·k."""
        lam = self.risk_aversion if risk_aversion is None else _finite(risk_aversion, "λ")
        return lam < 0.0

    def minimum_risk_aversion(self, horizon: float, steps: int) -> float:
        """The smallest λ < 0 with a minimum of E + λV: kT < π ⇔ λ > −4η̃ sin²(π/2N)/(σ²τ²).
        −inf when N = 1 or σ = 0 (V ≡ 0)."""
        _, _, count, tau = self._check(0.0, horizon, steps)
        if count == 1 or self.sigma == 0.0:
            return -math.inf
        s = math.sin(math.pi / (2.0 * count))
        return -4.0 * self.eta_tilde(tau) * s * s / (self.sigma * self.sigma * tau * tau)

    def _check_risk_seeking(self, z: FloatArray, steps: int, tau: float) -> None:
        if steps == 1 or self.sigma == 0.0:
            return
        bound = -2.0 * math.sin(math.pi / (2.0 * steps)) ** 2  # z at kT = π
        if np.any(z <= bound):
            floor = self.minimum_risk_aversion(tau * steps, steps)
            raise ModelDomainError(
                f"risk_aversion too negative: E + λV has no minimum unless kT < π, i.e. "
                f"λ > {floor:.6g} for these σ, η̃, τ, N"
            )

    # --- schedules ------------------------------------------------------------------------------

    def schedule(self, quantity: float, horizon: float, steps: int) -> Schedule:
        """The optimal trajectory minimising E + λV (eqs. 17–18), λ = ``self.risk_aversion``.

        ``quantity`` units to trade over ``horizon`` (time unit) in ``steps`` equal slices.
        E and V are evaluated on the trajectory (eqs. 8 and 5); they agree with eq. (20).
        """
        size, length, count, tau = self._check(quantity, horizon, steps)
        lam = self.risk_aversion
        z = lam * self.sigma * self.sigma * tau * tau / (2.0 * self.eta_tilde(tau))
        j = np.arange(1, count + 1, dtype=np.float64)
        if count == 1:
            # One slice: the trajectory is forced (x_0 = X, x_1 = 0) whatever λ.
            with np.errstate(invalid="ignore"):  # no real kτ when z < −2; κ is then NaN
                a = _kappa_tau_scalar(z) if lam >= 0.0 else -_k_tau_scalar(z)
            return self._from_trades(size, length, count, lam, a / tau, np.array([size]))
        if lam >= 0.0:
            kappa = _kappa_tau_scalar(z) / tau
            a = min(kappa * tau, _MAX_KAPPA_TAU)
            b = count * a
            if a == 0.0 or b < _TWAP_KAPPA_T:
                return self._from_trades(
                    size, length, count, lam, 0.0, np.full(count, size / count)
                )
            # n_j = 2 sinh(a/2) cosh(κ(T − t_{j−½}))/sinh(κT)·X (eq. 18), as
            # e^{−a(j−1)}(1 − e^{−a})(1 + e^{−2κ(T − t_{j−½})})/(1 − e^{−2b}): no overflow.
            remaining = b - (j - 0.5) * a
            shape = np.exp(-a * (j - 1.0)) * -math.expm1(-a) * (1.0 + np.exp(-2.0 * remaining))
            shape = shape / -math.expm1(-2.0 * b)
        else:
            self._check_risk_seeking(np.array([z]), count, tau)
            a = _k_tau_scalar(z)
            kappa = -a / tau
            b = count * a
            # eq. (18) with κ = ik: n_j = 2 sin(ka/2)... = 2 sin(a/2) cos(k(T − t_{j−½}))/sin(kT).
            shape = 2.0 * math.sin(a / 2.0) * np.cos(b - (j - 0.5) * a) / math.sin(b)
        return self._from_trades(size, length, count, lam, kappa, shape * size)

    def twap(self, quantity: float, horizon: float, steps: int) -> Schedule:
        """Trade at a constant rate, n_k = X/N: the minimum-impact extreme, λ = 0 (eqs. 9–11)."""
        size, length, count, _ = self._check(quantity, horizon, steps)
        return self._from_trades(size, length, count, 0.0, 0.0, np.full(count, size / count))

    def minimum_variance(self, quantity: float, horizon: float, steps: int) -> Schedule:
        """Everything in the first slice, n_1 = X: the λ → ∞ extreme, V = 0, E = εX + ηX²/τ
        (eqs. 12–13). Note E depends on the arbitrary τ = horizon/steps."""
        size, length, count, _ = self._check(quantity, horizon, steps)
        trades = np.zeros(count)
        trades[0] = size
        return self._from_trades(size, length, count, math.inf, math.inf, trades)

    def _from_trades(
        self,
        size: float,
        length: float,
        count: int,
        lam: float,
        kappa: float,
        trades: FloatArray,
    ) -> Schedule:
        # Holdings as tail sums of the trades: x_N = 0 exactly and no difference of close numbers.
        holdings = np.empty(count + 1)
        holdings[:-1] = np.cumsum(trades[::-1])[::-1]
        holdings[-1] = 0.0
        holdings[0] = size
        trades = trades.copy()
        trades[0] = size - holdings[1]
        tau = length / count
        components = self._components(holdings, trades, tau)
        variance = self._variance(holdings, tau)
        holdings.setflags(write=False)
        trades.setflags(write=False)
        times = np.arange(count + 1, dtype=np.float64) * tau  # t_k = kτ
        times[-1] = length
        times.setflags(write=False)
        return Schedule(
            quantity=size,
            horizon=length,
            steps=count,
            risk_aversion=lam,
            kappa=kappa,
            holdings=holdings,
            trades=trades,
            times=times,
            expected_cost=components.total,
            variance=variance,
            components=components,
        )

    # --- any trajectory -------------------------------------------------------------------------

    def _trajectory(self, holdings: Any, horizon: Any) -> tuple[FloatArray, FloatArray, float]:
        x = np.asarray(holdings, dtype=np.float64)
        if x.ndim != 1 or x.size < 2:
            raise InvalidInputError("holdings must be a 1-d sequence x_0..x_N with N ≥ 1")
        if not np.all(np.isfinite(x)):
            raise InvalidInputError("holdings must be finite")
        if x[-1] != 0.0:
            raise InvalidInputError(
                f"holdings must end at x_N = 0 (the order completes at the horizon), got {x[-1]!r}"
            )
        _, _, _, tau = self._check(0.0, horizon, x.size - 1)
        return x, x[:-1] - x[1:], tau

    def _components(self, holdings: FloatArray, trades: FloatArray, tau: float) -> CostComponents:
        # Σ|n_k| = |x_0 − x_N| exactly when every trade has the same sign (no rounding residue).
        if np.all(trades >= 0.0) or np.all(trades <= 0.0):
            traded = abs(float(holdings[0] - holdings[-1]))
        else:
            traded = float(np.sum(np.abs(trades)))
        return CostComponents(
            permanent=self.gamma * float(np.dot(holdings[1:], trades)),
            spread=self.epsilon * traded,
            temporary=self.eta / tau * float(np.dot(trades, trades)),
        )

    def _variance(self, holdings: FloatArray, tau: float) -> float:
        return self.sigma * self.sigma * tau * float(np.dot(holdings[1:], holdings[1:]))

    def cost_components(
        self, holdings: Sequence[float] | FloatArray, horizon: float
    ) -> CostComponents:
        """E of any trajectory x_0..x_N (x_N = 0, N = len − 1 equal slices over ``horizon``),
        split into permanent γΣx_k n_k, spread εΣ|n_k| and temporary (η/τ)Σn_k² (eq. 4, 6–8)."""
        x, n, tau = self._trajectory(holdings, horizon)
        return self._components(x, n, tau)

    def expected_cost(self, holdings: Sequence[float] | FloatArray, horizon: float) -> float:
        """E ($) of any trajectory x_0..x_N ending at 0 over ``horizon`` (eq. 8):
        ½γX² + εΣ|n_k| + (η̃/τ)Σn_k². Holdings may change sign (buying back is charged ε too)."""
        return self.cost_components(holdings, horizon).total

    def variance(self, holdings: Sequence[float] | FloatArray, horizon: float) -> float:
        """V ($²) of any trajectory x_0..x_N over ``horizon``: σ² Σ_{k=1}^{N} τ x_k² (eq. 5)."""
        x, _, tau = self._trajectory(holdings, horizon)
        return self._variance(x, tau)

    # --- frontier and risk criteria -------------------------------------------------------------

    def frontier(
        self,
        quantity: float,
        horizon: float,
        steps: int,
        risk_aversions: Sequence[float] | FloatArray,
    ) -> Frontier:
        """E and V of the optimal schedule for many λ in one vectorised call (eq. 20).

        Cost O(len(λ)) whatever N. λ = 0 rows are TWAP; λ < 0 rows must satisfy kT < π.
        """
        size, length, count, tau = self._check(quantity, horizon, steps)
        lam = np.array(risk_aversions, dtype=np.float64, ndmin=1)
        if lam.ndim != 1 or not np.all(np.isfinite(lam)):
            raise InvalidInputError("risk_aversions must be a 1-d sequence of finite numbers")
        z = self._z(lam, tau)
        oscillatory = lam < 0.0
        if np.any(oscillatory):
            self._check_risk_seeking(z[oscillatory], count, tau)
        with np.errstate(invalid="ignore"):  # kτ is NaN for z < −2, possible only when N = 1
            a = np.where(oscillatory, _k_tau(np.minimum(z, 0.0)), _kappa_tau(np.maximum(z, 0.0)))
        eta_tilde = self.eta_tilde(tau)
        # With one slice the trajectory is forced; the TWAP branch (κτ = 0) evaluates it exactly.
        moments_a = np.zeros_like(a) if count == 1 else np.minimum(a, _MAX_KAPPA_TAU)
        eta_part, variance = _optimal_moments(
            size, count, tau, eta_tilde, self.sigma, moments_a, oscillatory
        )
        half_gamma_x2 = 0.5 * self.gamma * size * size
        # Σn² from the η̃ part, then split ½γX² − ½γΣn² (permanent) from (η/τ)Σn² (temporary).
        sum_n2 = eta_part * tau / eta_tilde
        permanent = half_gamma_x2 - 0.5 * self.gamma * sum_n2
        temporary = self.eta / tau * sum_n2
        spread = np.full_like(a, self.epsilon * size)
        return Frontier(
            quantity=size,
            horizon=length,
            steps=count,
            risk_aversion=lam,
            kappa=np.where(oscillatory, -a, a) / tau,
            expected_cost=half_gamma_x2 + self.epsilon * size + eta_part,
            variance=variance,
            permanent=permanent,
            spread=spread,
            temporary=temporary,
        )

    def value_at_risk_schedule(
        self, quantity: float, horizon: float, steps: int, z: float = 1.645
    ) -> Schedule:
        """The schedule on the efficient frontier (λ ≥ 0) minimising E + z√V, the paper's
        liquidity-adjusted VaR (eq. 22; z = 1.645 for 95 %). Unlike λ, this criterion is not
        time-consistent (§3.2). The chosen λ is ``result.risk_aversion``."""
        size, length, count, tau = self._check(quantity, horizon, steps)
        z_value = _non_negative(z, "z")
        if self.sigma == 0.0 or size == 0.0 or count == 1 or z_value == 0.0:
            return self.twap(size, length, count)

        def objective(lams: FloatArray) -> FloatArray:
            row = self.frontier(size, length, count, lams)
            return row.value_at_risk(z_value)

        # Scan κτ from 1e-6/N (TWAP to 12 digits) to 40 (x_1/X < e^-40), i.e. λ = κ̃²η̃/σ².
        eta_tilde = self.eta_tilde(tau)
        grid_a = np.geomspace(1e-6 / count, 40.0, 400)
        grid = 4.0 * np.sinh(grid_a / 2.0) ** 2 / (tau * tau) * eta_tilde / (self.sigma**2)
        values = objective(grid)
        best = int(np.argmin(values))
        if best == 0 and objective(np.array([0.0]))[0] <= values[0]:
            return self.with_risk_aversion(0.0).schedule(size, length, count)
        lo = math.log(grid[max(best - 1, 0)])
        hi = math.log(grid[min(best + 1, grid.size - 1)])
        golden = (math.sqrt(5.0) - 1.0) / 2.0
        c, d = hi - golden * (hi - lo), lo + golden * (hi - lo)
        fc, fd = objective(np.exp([c]))[0], objective(np.exp([d]))[0]
        for _ in range(80):
            if fc < fd:
                hi, d, fd = d, c, fc
                c = hi - golden * (hi - lo)
                fc = objective(np.exp([c]))[0]
            else:
                lo, c, fc = c, d, fd
                d = lo + golden * (hi - lo)
                fd = objective(np.exp([d]))[0]
            if hi - lo < 1e-12:
                break
        return self.with_risk_aversion(math.exp(0.5 * (lo + hi))).schedule(size, length, count)

    # --- immediate orders -----------------------------------------------------------------------

    def permanent_price_move(self, quantity: float) -> float:
        """γ·|X|: the permanent price move after trading X units (eq. 6: S moves by −τg(n/τ) = −γn),
        price units per unit. Independent of how fast X is traded."""
        return self.gamma * _non_negative(quantity, "quantity")

    def immediate_impact(self, quantity: float, price: float) -> ImmediateImpact:
        """Permanent impact of one immediate order by the linear law γ·X (model
        ``"almgren_chriss_linear"``); ``cost`` = γX·X in quote currency."""
        size = _non_negative(quantity, "quantity")
        px = _positive(price, "price")
        move = self.gamma * size
        return ImmediateImpact(
            model="almgren_chriss_linear",
            quantity=size,
            price=px,
            price_move=move,
            fraction=move / px,
            cost=move * size,
        )


# --- square-root law ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SquareRootImpact:
    """The square-root law of market impact: I = Y·σ_d·(Q/V_d)^δ as a fraction of price.

    Tóth et al., "Anomalous price impact and the critical nature of liquidity in financial markets",
    Phys. Rev. X 1, 021006 (2011); confirmed on BTC over four decades of size by Donier & Bonart,
    Market Microstructure and Liquidity 1(2) (2015), arXiv:1412.4503. Y is "of order unity"; no
    primary crypto value was found, so treat it as a per-venue calibration (prior 0.5–1).

    ``daily_volatility`` σ_d: fraction of price per √day; ``daily_volume`` V_d: base units per day
    (same unit as the quantities given later); ``coefficient`` Y; ``exponent`` δ (0.5).
    I is the expected peak price move over a metaorder of size Q, whatever its duration.
    """

    daily_volatility: float
    daily_volume: float
    coefficient: float = 1.0
    exponent: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "daily_volatility", _non_negative(self.daily_volatility, "daily_volatility")
        )
        object.__setattr__(self, "daily_volume", _positive(self.daily_volume, "daily_volume"))
        object.__setattr__(self, "coefficient", _non_negative(self.coefficient, "coefficient"))
        exponent = _positive(self.exponent, "exponent")
        if exponent > 1.0:
            raise InvalidInputError(f"exponent must be in (0, 1], got {exponent!r}")
        object.__setattr__(self, "exponent", exponent)

    def fraction(self, quantity: float) -> float:
        """I(Q) = Y·σ_d·(Q/V_d)^δ, fraction of price. ``quantity`` in the unit of daily_volume."""
        if not 0.0 <= quantity < math.inf:
            raise InvalidInputError(f"quantity must be finite and ≥ 0, got {quantity!r}")
        ratio = quantity / self.daily_volume
        if self.exponent == 0.5:
            return self.coefficient * self.daily_volatility * math.sqrt(ratio)
        return self.coefficient * self.daily_volatility * float(ratio**self.exponent)

    def bps(self, quantity: float) -> float:
        """I(Q) in basis points of price."""
        return self.fraction(quantity) * 1e4

    def price_move(self, quantity: float, price: float) -> float:
        """I(Q)·price: the move in price units per base unit."""
        return self.fraction(quantity) * _positive(price, "price")

    def cost(self, quantity: float, price: float) -> float:
        """I(Q) × notional (quantity·price), quote currency: the impact valued over the order."""
        px = _positive(price, "price")
        return self.fraction(quantity) * quantity * px

    def immediate_impact(self, quantity: float, price: float) -> ImmediateImpact:
        """Single-order impact estimate by the square-root law (model ``"square_root"``)."""
        fraction = self.fraction(quantity)
        px = _positive(price, "price")
        return ImmediateImpact(
            model="square_root",
            quantity=float(quantity),
            price=px,
            price_move=fraction * px,
            fraction=fraction,
            cost=fraction * px * quantity,
        )
