"""MacKinnon's response surfaces: p-values and critical values of Dickey–Fuller τ statistics.

p-values: J. G. MacKinnon (1994), "Approximate asymptotic distribution functions for unit-root and
cointegration tests", Journal of Business & Economic Statistics 12(2), 167–176. The asymptotic
distribution function is approximated as Φ(γ₀ + γ₁τ + γ₂τ²) below a switch point τ* and with a
cubic above it; outside [τ_min, τ_max] the p-value is 0 or 1.

Critical values: J. G. MacKinnon (2010), "Critical values for cointegration tests", Queen's
Economics Department Working Paper No. 1227: c(T) = β∞ + β₁/T + β₂/T² + β₃/T³ for the 1 %, 5 % and
10 % levels. The no-constant row for N = 1 is from MacKinnon (1996), "Numerical distribution
functions for unit root and cointegration tests", J. Applied Econometrics 11(6), as the 2010 paper
gives none.

``N`` is the number of I(1) variables: 1 for the ADF test, 2 for a bivariate Engle–Granger test.
The figures are the published coefficients, in the scaling statsmodels also uses, so that
tradecost's p-values equal ``statsmodels.tsa.adfvalues.mackinnonp`` to rounding.
"""

from __future__ import annotations

import math
from typing import Final

from tradecost.errors import InvalidInputError

#: τ* (switch point), τ_min (p = 0 below), τ_max (p = 1 above), by regression, for N = 1, 2
_TAU_STAR: Final = {
    "n": (-1.04, -1.53),
    "c": (-1.61, -2.62),
    "ct": (-2.89, -3.19),
    "ctt": (-3.21, -3.51),
}
_TAU_MIN: Final = {
    "n": (-19.04, -19.62),
    "c": (-18.83, -18.86),
    "ct": (-16.18, -21.15),
    "ctt": (-17.17, -21.1),
}
_TAU_MAX: Final = {
    "n": (math.inf, 1.51),
    "c": (2.74, 0.92),
    "ct": (0.7, 0.63),
    "ctt": (0.54, 0.79),
}
#: γ₀, γ₁, γ₂ for τ ≤ τ* (the paper prints γ₂ × 100)
_SMALL_P: Final = {
    "n": ((0.6344, 1.2378, 3.2496e-2), (1.9129, 1.3857, 3.5322e-2)),
    "c": ((2.1659, 1.4412, 3.8269e-2), (2.92, 1.5012, 3.9796e-2)),
    "ct": ((3.2512, 1.6047, 4.9588e-2), (3.6646, 1.5419, 3.6448e-2)),
    "ctt": ((4.0003, 1.658, 4.8288e-2), (4.3534, 1.6016, 3.7947e-2)),
}
#: γ₀..γ₃ for τ > τ* (the paper prints γ₁, γ₂ × 10 and γ₃ × 100)
_LARGE_P: Final = {
    "n": ((0.4797, 0.93557, -0.06999, 0.033066), (1.5578, 0.8558, -0.2083, -0.033549)),
    "c": ((1.7339, 0.93202, -0.12745, -0.010368), (2.1945, 0.64695, -0.29198, -0.042377)),
    "ct": ((2.5261, 0.61654, -0.37956, -0.060285), (2.85, 0.5272, -0.36622, -0.051695)),
    "ctt": ((3.0778, 0.49529, -0.41477, -0.059359), (3.4713, 0.5967, -0.32507, -0.042286)),
}
#: (β∞, β₁, β₂, β₃) for the 1 %, 5 %, 10 % levels, by regression, for N = 1, 2
_CRITICAL: Final = {
    "n": (
        (
            (-2.56574, -2.2358, -3.627, 0.0),
            (-1.94100, -0.2686, -3.365, 31.223),
            (-1.61682, 0.2656, -2.714, 25.364),
        ),
    ),
    "c": (
        (
            (-3.43035, -6.5393, -16.786, -79.433),
            (-2.86154, -2.8903, -4.234, -40.040),
            (-2.56677, -1.5384, -2.809, 0.0),
        ),
        (
            (-3.89644, -10.9519, -33.527, 0.0),
            (-3.33613, -6.1101, -6.823, 0.0),
            (-3.04445, -4.2412, -2.720, 0.0),
        ),
    ),
    "ct": (
        (
            (-3.95877, -9.0531, -28.428, -134.155),
            (-3.41049, -4.3904, -9.036, -45.374),
            (-3.12705, -2.5856, -3.925, -22.380),
        ),
        (
            (-4.32762, -15.4387, -35.679, 0.0),
            (-3.78057, -9.5106, -12.074, 0.0),
            (-3.49631, -7.0815, -7.538, 21.892),
        ),
    ),
    "ctt": (
        (
            (-4.37113, -11.5882, -35.819, -334.047),
            (-3.83239, -5.9057, -12.490, -118.284),
            (-3.55326, -3.6596, -5.293, -63.559),
        ),
        (
            (-4.69276, -20.2284, -64.919, 88.884),
            (-4.15387, -13.3114, -28.402, 72.741),
            (-3.87346, -10.4637, -17.408, 66.313),
        ),
    ),
}

REGRESSIONS: Final = ("c", "ct", "ctt", "n")


def _check(regression: str, n_series: int) -> int:
    if regression not in REGRESSIONS:
        raise InvalidInputError(f"regression must be one of {REGRESSIONS}, got {regression!r}")
    if n_series not in (1, 2):
        raise InvalidInputError(
            f"MacKinnon tables are carried for N = 1 (ADF) and N = 2 (bivariate Engle–Granger), "
            f"got N = {n_series!r}"
        )
    return n_series - 1


def normal_cdf(value: float) -> float:
    """Φ(value), the standard normal distribution function."""
    return 0.5 * math.erfc(-value / math.sqrt(2.0))


def mackinnon_pvalue(stat: float, regression: str = "c", n_series: int = 1) -> float:
    """Asymptotic p-value of a Dickey–Fuller τ statistic (MacKinnon 1994)."""
    row = _check(regression, n_series)
    if math.isnan(stat):
        return math.nan
    if stat > _TAU_MAX[regression][row]:
        return 1.0
    if stat < _TAU_MIN[regression][row]:
        return 0.0
    if stat <= _TAU_STAR[regression][row]:
        g0, g1, g2 = _SMALL_P[regression][row]
        return normal_cdf(g0 + stat * (g1 + stat * g2))
    h0, h1, h2, h3 = _LARGE_P[regression][row]
    return normal_cdf(h0 + stat * (h1 + stat * (h2 + stat * h3)))


def mackinnon_critical_values(
    regression: str = "c", n_series: int = 1, nobs: float = math.inf
) -> dict[str, float]:
    """1 %, 5 %, 10 % critical values for a sample of ``nobs`` (MacKinnon 2010; ∞: asymptotic)."""
    row = _check(regression, n_series)
    rows = _CRITICAL[regression]
    if row >= len(rows):
        nan = math.nan
        return {"1%": nan, "5%": nan, "10%": nan}
    out: dict[str, float] = {}
    for level, (b0, b1, b2, b3) in zip(("1%", "5%", "10%"), rows[row], strict=True):
        if math.isinf(nobs):
            out[level] = b0
        else:
            inv = 1.0 / nobs
            out[level] = b0 + inv * (b1 + inv * (b2 + inv * b3))
    return out
