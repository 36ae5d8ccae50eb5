"""Unit-root and cointegration tests: ADF (and a rolling ADF), Engle–Granger, half-life.

``adf`` reproduces statsmodels' ``adfuller`` (0.14–0.15) for the same arguments: the regression
Δx_t = [deterministic terms] + γ·x_{t−1} + Σ_{i=1..p} φ_i·Δx_{t−i} + ε_t, the statistic is the
t-ratio of γ; the default ``maxlag`` is ⌈12·(n/100)^{1/4}⌉ (Schwert 1989) capped at
n/2 − k_trend − 1; with ``autolag`` every lag 0..maxlag is fitted on the *same* sample (the last
n − 1 − maxlag differences) and the order with the lowest AIC/BIC (ties: the shorter) is refitted
on the longest sample it allows; ``"t-stat"`` starts at maxlag and drops lags until the last one
is significant at 5 % (|t| ≥ 1.6449). p-values: MacKinnon (1994); critical values: MacKinnon
(2010) at the regression's sample size (:mod:`tradecost.pairs._mackinnon`).

All candidate lag orders come from one QR factorisation of the largest design (the models are
nested, so each one's residual sum of squares and last t-ratio are read off Q'y), where statsmodels
fits one regression per candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tradecost.errors import InvalidInputError
from tradecost.pairs import _rolling
from tradecost.pairs._input import FloatArray, as_series, check_pair
from tradecost.pairs._mackinnon import (
    _LARGE_P,
    _SMALL_P,
    _TAU_MAX,
    _TAU_MIN,
    _TAU_STAR,
    REGRESSIONS,
    mackinnon_critical_values,
    mackinnon_pvalue,
    normal_cdf,
)

Regression = Literal["c", "ct", "ctt", "n"]
_TREND_TERMS = {"n": 0, "c": 1, "ct": 2, "ctt": 3}
#: Φ⁻¹(0.95): the 5 % one-sided cut-off of the "t-stat" lag selection (statsmodels' value)
_T_STOP = 1.6448536269514722


@dataclass(frozen=True)
class ADFResult:
    """Result of :func:`adf`: the augmented Dickey–Fuller test of a unit root (H0) against
    stationarity."""

    #: t-ratio of the lagged level's coefficient
    stat: float
    #: MacKinnon (1994) asymptotic p-value
    pvalue: float
    #: lagged differences in the final regression
    usedlag: int
    #: observations in the final regression
    nobs: int
    #: MacKinnon (2010) critical values at ``nobs``: keys "1%", "5%", "10%"
    critical_values: dict[str, float]
    regression: str = "c"
    #: the best information criterion (autolag AIC/BIC), |t| of the last lag ("t-stat"), or None
    icbest: float | None = None

    def summary(self) -> str:
        levels = ", ".join(f"{k}: {v:.4f}" for k, v in self.critical_values.items())
        return (
            f"ADF (regression {self.regression!r}): stat {self.stat:.4f}, p-value "
            f"{self.pvalue:.4g}, lags {self.usedlag}, nobs {self.nobs}; critical values {levels}"
        )


def _trend_columns(regression: str, nobs: int) -> FloatArray:
    terms = _TREND_TERMS[regression]
    # the trend is scaled to (0, 1]: same column space as statsmodels' 1..nobs, better conditioned
    trend = np.arange(1, nobs + 1, dtype=np.float64) / nobs
    columns = [np.ones(nobs), trend, trend * trend][:terms]
    return np.column_stack(columns) if columns else np.empty((nobs, 0))


def _design(x: FloatArray, diff: FloatArray, lags: int) -> tuple[FloatArray, FloatArray]:
    """Rows t = lags..len(diff)−1: the level x_t and Δx_{t−1..t−lags}; the target Δx_t."""
    nobs = diff.size - lags
    columns = [x[lags : lags + nobs]]
    columns += [diff[lags - i : lags - i + nobs] for i in range(1, lags + 1)]
    return np.column_stack(columns), diff[lags:]


def _check_regression(regression: Any) -> str:
    if not isinstance(regression, str) or regression.lower() not in REGRESSIONS:
        raise InvalidInputError(f"regression must be one of {REGRESSIONS}, got {regression!r}")
    return regression.lower()


def _check_autolag(autolag: Any) -> str | None:
    if autolag is None:
        return None
    if not isinstance(autolag, str) or autolag.lower() not in ("aic", "bic", "t-stat"):
        raise InvalidInputError(f"autolag must be 'AIC', 'BIC', 't-stat' or None, got {autolag!r}")
    return autolag.lower()


def _max_lag(nobs: int, maxlag: Any, terms: int) -> int:
    limit = nobs // 2 - terms - 1
    if maxlag is None:
        chosen: int = min(limit, math.ceil(12.0 * (nobs / 100.0) ** 0.25))
        if chosen < 0:
            raise InvalidInputError(
                f"a series of {nobs} points is too short for an ADF regression with "
                f"{terms} deterministic term(s)"
            )
        return chosen
    if isinstance(maxlag, bool) or not isinstance(maxlag, int | np.integer) or maxlag < 0:
        raise InvalidInputError(f"maxlag must be a non-negative integer, got {maxlag!r}")
    if maxlag > limit:
        raise InvalidInputError(
            f"maxlag {maxlag} is too large for {nobs} points: it must be at most "
            f"nobs/2 − 1 − (deterministic terms) = {limit}"
        )
    return int(maxlag)


def adf(
    series: Any,
    maxlag: int | None = None,
    regression: Regression = "c",
    autolag: str | None = "AIC",
) -> ADFResult:
    """Augmented Dickey–Fuller test, numerically equal to ``statsmodels.tsa.stattools.adfuller``
    with the same arguments (see the module docstring for the procedure).

    ``regression``: "c" constant, "ct" constant and linear trend, "ctt" plus a quadratic trend,
    "n" none. ``autolag``: "AIC", "BIC", "t-stat" or None (use ``maxlag`` lags).
    """
    x = as_series(series, "series")
    regression = _check_regression(regression)  # type: ignore[assignment]
    method = _check_autolag(autolag)
    if x.size < 3:
        raise InvalidInputError(f"the ADF test needs at least 3 points, got {x.size}")
    if x.max() == x.min():
        raise InvalidInputError("series is constant: the ADF regression is undefined")
    terms = _TREND_TERMS[regression]
    lag_max = _max_lag(x.size, maxlag, terms)
    diff = np.diff(x)
    icbest: float | None = None
    usedlag = lag_max
    if method is not None:
        usedlag, icbest = _select_lag(x, diff, lag_max, regression, method)
    design, target = _design(x, diff, usedlag)
    nobs = target.size
    full = np.column_stack([_trend_columns(regression, nobs), design[:, 1:], design[:, :1]])
    stat = _last_t_ratio(full, target)
    return ADFResult(
        stat=stat,
        pvalue=mackinnon_pvalue(stat, regression, 1),
        usedlag=usedlag,
        nobs=nobs,
        critical_values=mackinnon_critical_values(regression, 1, nobs),
        regression=regression,
        icbest=icbest,
    )


def _last_t_ratio(design: FloatArray, target: FloatArray) -> float:
    """t-ratio of the last column's coefficient in the OLS of target on design (by QR)."""
    nobs, k = design.shape
    if nobs <= k:
        raise InvalidInputError(f"{nobs} observations cannot fit {k} regressors")
    q, r = np.linalg.qr(design)
    if np.any(np.abs(np.diag(r)) <= 1e-12 * max(1.0, float(np.abs(r).max()))):
        raise InvalidInputError("the ADF regressors are collinear (is the series a pure trend?)")
    qty = q.T @ target
    resid = target - q @ qty
    ssr = float(resid @ resid)
    if ssr <= 0.0:
        raise InvalidInputError("the ADF regression fits exactly: the statistic is undefined")
    scale = math.sqrt(ssr / (nobs - k))
    return float(qty[-1] / scale * np.sign(r[-1, -1]))


def _select_lag(
    x: FloatArray, diff: FloatArray, lag_max: int, regression: str, method: str
) -> tuple[int, float]:
    """statsmodels' ``_autolag`` over lags 0..lag_max, all on the sample of the longest."""
    design, target = _design(x, diff, lag_max)
    nobs = target.size
    full = np.column_stack([_trend_columns(regression, nobs), design])
    q, _ = np.linalg.qr(full)
    qty = q.T @ target
    resid = target - q @ qty
    ssr_full = float(resid @ resid)
    terms = _TREND_TERMS[regression]
    start = terms + 1  # columns of the model with no lagged difference
    # SSR of the model with the first k columns: the full SSR plus the dropped components of Q'y
    tail = np.cumsum((qty**2)[::-1])[::-1]
    candidates = range(start, start + lag_max + 1)

    def ssr(k: int) -> float:
        return ssr_full + (float(tail[k]) if k < full.shape[1] else 0.0)

    if method in ("aic", "bic"):
        penalty = 2.0 if method == "aic" else math.log(nobs)
        best_k, best_ic = start, math.inf
        for k in candidates:
            llf = -nobs / 2.0 * (math.log(2.0 * math.pi) + math.log(ssr(k) / nobs) + 1.0)
            ic = -2.0 * llf + penalty * k
            if ic < best_ic:
                best_k, best_ic = k, ic
        return best_k - start, best_ic
    best_k, t_abs = start + lag_max, 0.0
    for k in reversed(candidates):
        scale = math.sqrt(ssr(k) / (nobs - k))
        t_abs = abs(float(qty[k - 1]) / scale)
        best_k = k
        if t_abs >= _T_STOP:
            break
    return best_k - start, t_abs


def rolling_adf(
    series: Any, window: int, lags: int = 1, regression: Regression = "c"
) -> FloatArray:
    """ADF statistic of every window of ``window`` points ending at t (NaN before the first),
    each equal to ``adfuller(series[t-window+1:t+1], maxlag=lags, autolag=None,
    regression=regression)[0]``. Incremental: the regression's cross-products are slid one row
    at a time, so the cost per window does not grow with its length.
    """
    x = as_series(series, "series")
    regression = _check_regression(regression)  # type: ignore[assignment]
    terms = _TREND_TERMS[regression]
    if isinstance(lags, bool) or not isinstance(lags, int | np.integer) or lags < 0:
        raise InvalidInputError(f"lags must be a non-negative integer, got {lags!r}")
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise InvalidInputError(f"window must be an integer number of points, got {window!r}")
    if lags > window // 2 - terms - 1:
        raise InvalidInputError(
            f"{lags} lag(s) are too many for a window of {window} points: at most "
            f"window/2 − 1 − (deterministic terms) = {window // 2 - terms - 1}"
        )
    if window > x.size:
        raise InvalidInputError(
            f"window of {window} points is longer than the data ({x.size} points)"
        )
    stat = np.empty(x.size)
    status, reason = _rolling.rolling_adf(x, int(window), int(lags), terms, stat)
    if status >= 0:
        window_range = f"[{status - window + 1}, {status}]"
        if reason == _rolling.REASON_X_CONSTANT:
            problem = f"series is constant over the window {window_range}"
        elif reason == _rolling.REASON_EXACT_FIT:
            problem = f"the ADF regression of the window {window_range} fits exactly"
        else:
            problem = f"the ADF regressors are collinear over the window {window_range}"
        raise InvalidInputError(f"{problem}: its statistic is undefined")
    return stat


def mackinnon_pvalues(stats: FloatArray, regression: str = "c", n_series: int = 1) -> FloatArray:
    """:func:`~tradecost.pairs._mackinnon.mackinnon_pvalue` over an array (NaN stays NaN); the
    polynomials are evaluated by numpy, Φ by ``math.erfc`` per value."""
    values = np.asarray(stats, dtype=np.float64)
    mackinnon_pvalue(0.0, regression, n_series)  # validates regression and n_series
    row = n_series - 1
    small = np.polynomial.polynomial.polyval(values, _SMALL_P[regression][row])
    large = np.polynomial.polynomial.polyval(values, _LARGE_P[regression][row])
    argument = np.where(values <= _TAU_STAR[regression][row], small, large)
    out = np.array([normal_cdf(float(v)) for v in argument.ravel()]).reshape(values.shape)
    out[values > _TAU_MAX[regression][row]] = 1.0
    out[values < _TAU_MIN[regression][row]] = 0.0
    out[np.isnan(values)] = np.nan
    return out


@dataclass(frozen=True)
class EngleGrangerResult:
    """Result of :func:`engle_granger`: H0 no cointegration."""

    #: ADF t-ratio of the cointegrating regression's residuals (no deterministic terms)
    stat: float
    #: MacKinnon (1994) asymptotic p-value for N = 2 variables
    pvalue: float
    #: slope of y on x in the cointegrating regression
    beta: float
    #: intercept of the cointegrating regression (NaN for trend "n")
    alpha: float
    usedlag: int
    nobs: int
    #: MacKinnon (2010) N = 2 critical values at nobs − 1 (as statsmodels, after Stata's egranger)
    critical_values: dict[str, float]
    trend: str = "c"

    def summary(self) -> str:
        levels = ", ".join(f"{k}: {v:.4f}" for k, v in self.critical_values.items())
        return (
            f"Engle–Granger (trend {self.trend!r}): stat {self.stat:.4f}, p-value "
            f"{self.pvalue:.4g}, beta {self.beta:.6g}, lags {self.usedlag}; critical values "
            f"{levels}"
        )


def engle_granger(
    y: Any,
    x: Any,
    *,
    trend: Regression = "c",
    maxlag: int | None = None,
    autolag: str | None = "AIC",
    log: bool = True,
) -> EngleGrangerResult:
    """Engle–Granger two-step cointegration test of y and x.

    Step 1: OLS of y on x with the deterministic terms of ``trend``. Step 2: the ADF test
    (regression "n", lag selection ``autolag``/``maxlag``) of its residuals; the p-value uses the
    N = 2 response surface for ``trend``. With ``log=True`` (default) y and x are positive prices
    and the test runs on their logs, as :func:`~tradecost.pairs.analyze` does; ``log=False``
    tests the values as given — then the result equals ``statsmodels.tsa.stattools.coint(y, x,
    trend, maxlag=maxlag, autolag=autolag)``. Where an almost perfectly collinear pair makes
    statsmodels warn and return −inf, this raises.
    """
    values_y = as_series(y, "y", positive=log)
    values_x = as_series(x, "x", positive=log)
    check_pair(values_y, values_x)
    trend = _check_regression(trend)  # type: ignore[assignment]
    if values_y.size < 10:
        raise InvalidInputError(
            f"the Engle–Granger test needs at least 10 points, got {values_y.size}"
        )
    if log:
        values_y, values_x = np.log(values_y), np.log(values_x)
    if values_x.max() == values_x.min():
        raise InvalidInputError("x is constant: the cointegrating regression is undefined")
    design = np.column_stack([values_x, _trend_columns(trend, values_y.size)])
    coef, *_ = np.linalg.lstsq(design, values_y, rcond=None)
    resid = values_y - design @ coef
    centred = values_y - values_y.mean()
    if float(resid @ resid) <= 100.0 * math.sqrt(np.finfo(float).eps) * float(centred @ centred):
        raise InvalidInputError(
            "y is (almost) an exact linear function of x: the Engle–Granger test is meaningless"
        )
    result = adf(resid, maxlag=maxlag, regression="n", autolag=autolag)
    if trend == "n":
        critical = {"1%": math.nan, "5%": math.nan, "10%": math.nan}
    else:
        critical = mackinnon_critical_values(trend, 2, values_y.size - 1)
    return EngleGrangerResult(
        stat=result.stat,
        pvalue=mackinnon_pvalue(result.stat, trend, 2),
        beta=float(coef[0]),
        alpha=float(coef[1]) if trend != "n" else math.nan,
        usedlag=result.usedlag,
        nobs=result.nobs,
        critical_values=critical,
        trend=trend,
    )


def half_life(spread: Any) -> float:
    """Half-life of mean reversion of ``spread``, in samples.

    Fits the AR(1) Δs_t = a + b·s_{t−1} + ε_t by OLS; φ = 1 + b is the autoregressive coefficient
    and the half-life is ln(½)/ln(φ) (the exact discrete-time value; the common −ln 2/b is its
    first-order approximation). ``math.inf`` when φ ≥ 1 (no mean reversion); an error when
    φ ≤ 0 (the spread flips sign each step: no half-life is defined).
    """
    s = as_series(spread, "spread")
    if s.size < 3:
        raise InvalidInputError(f"half_life needs at least 3 points, got {s.size}")
    if s.max() == s.min():
        raise InvalidInputError("spread is constant: its half-life is undefined")
    lagged = s[:-1]
    step = np.diff(s)
    centred = lagged - lagged.mean()
    denominator = float(centred @ centred)
    if denominator <= 0.0:
        raise InvalidInputError("spread is constant: its half-life is undefined")
    slope = float(centred @ (step - step.mean())) / denominator
    phi = 1.0 + slope
    if phi >= 1.0:
        return math.inf
    if phi <= 0.0:
        raise InvalidInputError(
            f"the spread's AR(1) coefficient is {phi:.4g} ≤ 0 (it overshoots the mean every "
            "step): a half-life is not defined"
        )
    return math.log(0.5) / math.log(phi)


__all__ = [
    "ADFResult",
    "EngleGrangerResult",
    "adf",
    "engle_granger",
    "half_life",
    "mackinnon_pvalues",
    "normal_cdf",
    "rolling_adf",
]
