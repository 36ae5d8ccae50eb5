"""Rolling hedge ratio, spread, z-score and correlation of a pair of prices.

Conventions (all on natural logs of the prices):

* ``method="ols"``: over the last ``window`` points *including* t, log y = α_t + β_t·log x + ε.
  ``spread[t] = log y_t − (α_t + β_t·log x_t)``, the window's own residual at t.
* z-score, ``zscore_window="inclusive"`` (default for OLS and Huber): ``spread[t] / sd_t`` where
  sd_t = √(SSR_t / (window − ddof)) is the residual standard deviation of the same window (its
  residuals have mean 0, so no mean is subtracted). Because the fit includes the point it is
  scoring, this z is damped towards 0.
* ``zscore_window="exclusive"``: the point is scored against the fit of the *previous* window
  [t−window, t−1]: z_t = (log y_t − α_{t−1} − β_{t−1}·log x_t) / sd_{t−1}, an out-of-sample error.
  It is NaN one point longer (until t = window).
* ``method="kalman"``: β, α follow a random walk (the dynamic regression of Chan 2013,
  "Algorithmic Trading", ch. 3) whose per-step variance is set *relative to the observation
  noise* R: diag(q·R/var(log x), q·R) with q = δ/(1−δ), var(log x) over the first window; the
  effective memory is then ≈ 1/√δ points whatever the prices' scale, and the default
  δ = 1/window² makes it comparable to the window. The prior (β, α, R and their covariance) comes
  from OLS over the first ``window`` points; the filter runs from t = window. ``spread`` is the
  innovation (prediction error before the update with t) and z its standardised value, so the
  Kalman z is exclusive by construction.
* ``method="huber"``: per window, the Huber M-estimate (tuning constant ``huber_t``, 1.345 = 95 %
  efficiency at the normal) with the MAD scale, as statsmodels' ``RLM(..., HuberT())``; the z-score
  divides by that robust scale. O(window) per point, not O(1).
* ``correlation``: Pearson correlation of the log prices over the window (every method).

Every array is NaN until its first window is full. Data up to t only is used for index t, so
nothing here looks ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tradecost.errors import InvalidInputError
from tradecost.pairs import _rolling
from tradecost.pairs._input import (
    FloatArray,
    as_series,
    check_constant,
    check_finite_number,
    check_pair,
    check_window,
    index_of,
)

Method = Literal["ols", "kalman", "huber"]
ZscoreWindow = Literal["inclusive", "exclusive"]

_REASONS = {
    _rolling.REASON_X_CONSTANT: "x is constant over the window (β is undefined)",
    _rolling.REASON_Y_CONSTANT: "y is constant over the window (correlation and z are undefined)",
    _rolling.REASON_EXACT_FIT: (
        "log y is an exact linear function of log x over the window (zero residual variance: "
        "the z-score is undefined)"
    ),
    _rolling.REASON_SINGULAR: "the regressors are collinear over the window",
}


def window_error(index: int, window: int, reason: int, labels: Any | None) -> InvalidInputError:
    """The error for a window the kernels could not compute, naming where it is."""
    where = f"index {index}"
    if labels is not None:
        where += f" ({labels[index]!r})"
    start = index - window + 1
    return InvalidInputError(
        f"window [{start}, {index}] ending at {where}: {_REASONS.get(reason, 'undefined')}"
    )


@dataclass(frozen=True, eq=False)
class PairAnalysis:
    """The rolling analysis of a pair. Arrays are float64, aligned with the input, NaN until the
    first window is full; see :mod:`tradecost.pairs.analysis` for the conventions."""

    #: intercept α_t of log y on log x
    alpha: FloatArray
    #: hedge ratio β_t: d log y per d log x (a unit of spread is long 1 of y, short β of x in
    #: notional terms)
    beta: FloatArray
    #: log y_t − (α_t + β_t·log x_t) (for Kalman: the one-step-ahead innovation)
    spread: FloatArray
    #: spread standardised by the convention in ``zscore_window``
    zscore: FloatArray
    #: Pearson correlation of log y and log x over the window
    correlation: FloatArray
    #: the standard deviation z divides by at t (residual sd, Kalman innovation sd or Huber scale)
    spread_sd: FloatArray
    window: int
    method: str
    zscore_window: str
    ddof: float
    #: ADF statistic and MacKinnon p-value of the spread over the window (when ``adf_lags`` given)
    adf_stat: FloatArray | None = None
    adf_pvalue: FloatArray | None = None
    adf_lags: int | None = None
    #: the input's pandas index, when a Series was given
    index: Any = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.beta.size)

    def latest(self) -> dict[str, float]:
        """The metrics at the last point (NaN when that window is not full)."""
        out = {
            "alpha": float(self.alpha[-1]),
            "beta": float(self.beta[-1]),
            "spread": float(self.spread[-1]),
            "zscore": float(self.zscore[-1]),
            "correlation": float(self.correlation[-1]),
            "spread_sd": float(self.spread_sd[-1]),
        }
        if self.adf_stat is not None and self.adf_pvalue is not None:
            out["adf_stat"] = float(self.adf_stat[-1])
            out["adf_pvalue"] = float(self.adf_pvalue[-1])
        return out

    def to_frame(self) -> Any:
        """A pandas DataFrame with one column per metric (pandas is imported here)."""
        import pandas as pd

        columns: dict[str, FloatArray] = {
            "alpha": self.alpha,
            "beta": self.beta,
            "spread": self.spread,
            "zscore": self.zscore,
            "correlation": self.correlation,
            "spread_sd": self.spread_sd,
        }
        if self.adf_stat is not None and self.adf_pvalue is not None:
            columns["adf_stat"] = self.adf_stat
            columns["adf_pvalue"] = self.adf_pvalue
        return pd.DataFrame(columns, index=self.index)


def analyze(
    y: Any,
    x: Any,
    window: int = 300,
    *,
    method: Method = "ols",
    zscore_window: ZscoreWindow | None = None,
    ddof: float = 1.0,
    delta: float | None = None,
    huber_t: float = 1.345,
    adf_lags: int | None = None,
) -> PairAnalysis:
    """Rolling regression of log ``y`` on log ``x`` over the last ``window`` points.

    ``y``, ``x``: aligned positive prices (arrays or pandas Series, e.g. bar closes).
    ``ddof``: the residual standard deviation is √(SSR/(window − ddof)); 1 by default (as pandas'
    ``rolling().std()``), 2 for the unbiased residual variance of the two-parameter fit.
    ``delta``: Kalman state noise δ relative to the observation noise (default 1/window²).
    ``huber_t``: Huber's c.
    ``adf_lags``: when given, also the rolling ADF statistic (regression "c", that many lagged
    differences) of the spread series over the window and its MacKinnon (1994) p-value — a
    monitoring figure, not a cointegration test (β is re-estimated at every point).

    Raises :class:`~tradecost.errors.InvalidInputError` for mismatched lengths, non-finite or
    non-positive prices, a constant series, a window longer than the data, and a window where the
    regression is undefined (the message names that window).
    """
    labels = index_of(y)
    labels_x = index_of(x)
    if labels is not None and labels_x is not None and not labels.equals(labels_x):
        raise InvalidInputError(
            "y and x are Series with different indexes: align them first (e.g. "
            "y.to_frame('y').join(x.to_frame('x'), how='inner'))"
        )
    if labels is None:
        labels = labels_x
    prices_y = as_series(y, "y", positive=True)
    prices_x = as_series(x, "x", positive=True)
    check_pair(prices_y, prices_x)
    window = check_window(window, prices_y.size)
    check_constant(prices_y, "y")
    check_constant(prices_x, "x")
    if method not in ("ols", "kalman", "huber"):
        raise InvalidInputError(f"method must be 'ols', 'kalman' or 'huber', got {method!r}")
    if zscore_window is None:
        zscore_window = "exclusive" if method == "kalman" else "inclusive"
    if zscore_window not in ("inclusive", "exclusive"):
        raise InvalidInputError(
            f"zscore_window must be 'inclusive' or 'exclusive', got {zscore_window!r}"
        )
    if method == "kalman" and zscore_window != "exclusive":
        raise InvalidInputError(
            "the Kalman z-score is the standardised one-step-ahead innovation: it is "
            "zscore_window='exclusive' by construction"
        )
    ddof = check_finite_number(ddof, "ddof", minimum=0.0)
    if ddof >= window:
        raise InvalidInputError(f"ddof ({ddof}) must be smaller than the window ({window})")

    log_y = np.log(prices_y)
    log_x = np.log(prices_x)
    n = log_y.size
    alpha, beta, spread, zscore, correlation, spread_sd = (np.empty(n) for _ in range(6))
    status, reason = _rolling.rolling_ols(
        log_x,
        log_y,
        window,
        ddof,
        zscore_window == "exclusive",
        alpha,
        beta,
        spread,
        zscore,
        correlation,
        spread_sd,
    )
    if status >= 0:
        raise window_error(status, window, reason, labels)

    if method == "kalman":
        alpha, beta, spread, zscore, spread_sd = _kalman(log_y, log_x, window, delta)
    elif method == "huber":
        alpha, beta, spread, zscore, spread_sd = _huber(
            log_y, log_x, window, huber_t, zscore_window == "exclusive", labels
        )

    adf_stat = adf_pvalue = None
    if adf_lags is not None:
        from tradecost.pairs.stationarity import mackinnon_pvalues, rolling_adf

        adf_stat = np.full(n, np.nan)
        first = int(np.argmax(np.isfinite(spread)))
        if n - first >= window:
            adf_stat[first:] = rolling_adf(spread[first:], window, lags=adf_lags)
        adf_pvalue = mackinnon_pvalues(adf_stat, "c")

    return PairAnalysis(
        alpha=alpha,
        beta=beta,
        spread=spread,
        zscore=zscore,
        correlation=correlation,
        spread_sd=spread_sd,
        window=window,
        method=method,
        zscore_window=zscore_window,
        ddof=ddof,
        adf_stat=adf_stat,
        adf_pvalue=adf_pvalue,
        adf_lags=adf_lags,
        index=labels,
    )


def _kalman(
    log_y: FloatArray, log_x: FloatArray, window: int, delta: float | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    if delta is None:
        delta = 1.0 / window**2
    delta = check_finite_number(delta, "delta", minimum=0.0)
    if not 0.0 < delta < 1.0:
        raise InvalidInputError(f"delta must be in (0, 1), got {delta!r}")
    if window >= log_y.size:
        raise InvalidInputError(
            f"the Kalman filter takes its prior from the first window ({window} points) and "
            f"needs data after it; got {log_y.size} points"
        )
    # anchored at the first point: the filter's α lives near 0, not near log(price)
    x0, y0 = float(log_x[0]), float(log_y[0])
    xa = log_x - x0
    ya = log_y - y0
    head_x, head_y = xa[:window], ya[:window]
    design = np.column_stack([head_x, np.ones(window)])
    coef, *_ = np.linalg.lstsq(design, head_y, rcond=None)
    resid = head_y - design @ coef
    obs_var = float(resid @ resid) / (window - 2)
    if obs_var <= 0.0:
        raise InvalidInputError(
            "the first window fits exactly (zero residual variance): the Kalman filter's "
            "observation variance cannot be estimated from it"
        )
    prior = obs_var * np.linalg.inv(design.T @ design)
    noise = delta / (1.0 - delta) * obs_var
    x_var = float(np.var(head_x))
    n = log_y.size
    alpha, beta, spread, zscore, spread_sd = (np.empty(n) for _ in range(5))
    _rolling.kalman(
        xa,
        ya,
        window,
        float(coef[0]),
        float(coef[1]),
        float(prior[0, 0]),
        float(prior[0, 1]),
        float(prior[1, 1]),
        noise / x_var,
        noise,
        obs_var,
        alpha,
        beta,
        spread,
        zscore,
        spread_sd,
    )
    alpha = y0 + alpha - beta * x0
    return alpha, beta, spread, zscore, spread_sd


def _huber(
    log_y: FloatArray,
    log_x: FloatArray,
    window: int,
    tuning: float,
    exclusive: bool,
    labels: Any | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    tuning = check_finite_number(tuning, "huber_t", minimum=0.0)
    if tuning <= 0.0:
        raise InvalidInputError(f"huber_t must be positive, got {tuning!r}")
    x0, y0 = float(log_x[0]), float(log_y[0])
    xa = log_x - x0
    ya = log_y - y0
    n = log_y.size
    alpha, beta, spread, zscore, spread_sd = (np.empty(n) for _ in range(5))
    status, reason = _rolling.rolling_huber(
        xa, ya, window, tuning, 0.0, 100, 1e-12, alpha, beta, spread, zscore, spread_sd
    )
    if status >= 0:
        raise window_error(status, window, reason, labels)
    if exclusive:
        ahead = np.full(n, np.nan)
        ahead[1:] = (ya[1:] - alpha[:-1] - beta[:-1] * xa[1:]) / spread_sd[:-1]
        zscore = ahead
    alpha = y0 + alpha - beta * x0
    return alpha, beta, spread, zscore, spread_sd


def rolling_mean(values: FloatArray, window: int) -> FloatArray:
    """Mean of the last ``window`` finite values at each point (NaN until there are that many);
    used for the spread's rolling mean in tables and plots."""
    out = np.full(values.size, np.nan)
    finite = np.isfinite(values)
    if not finite.any():
        return out
    first = int(np.argmax(finite))
    tail = values[first:]
    if tail.size < window or not np.isfinite(tail).all():
        return out
    sums = np.cumsum(np.concatenate([[0.0], tail]))
    out[first + window - 1 :] = (sums[window:] - sums[:-window]) / window
    return out
