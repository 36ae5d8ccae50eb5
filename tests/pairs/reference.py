"""Independent, slow references for the pairs tests: one least-squares fit per window."""

from __future__ import annotations

import numpy as np


def window_fit(log_y: np.ndarray, log_x: np.ndarray, end: int, window: int, ddof: float):
    """(alpha, beta, residuals, residual sd) of log y on log x over [end-window+1, end], by
    numpy's lstsq on values centred on the window's means."""
    xs = log_x[end - window + 1 : end + 1]
    ys = log_y[end - window + 1 : end + 1]
    mx, my = xs.mean(), ys.mean()
    design = np.column_stack([np.ones(window), xs - mx])
    coef, *_ = np.linalg.lstsq(design, ys - my, rcond=None)
    beta = coef[1]
    resid = (ys - my) - coef[0] - beta * (xs - mx)
    sd = np.sqrt(resid @ resid / (window - ddof))
    alpha = my + coef[0] - beta * mx
    return alpha, beta, resid, sd


def kalman_reference(log_y, log_x, window, delta):
    """The (β, α) random-walk Kalman filter written with 2×2 matrices, prior from the first window,
    state noise δ/(1−δ)·R·diag(1/var(x), 1)."""
    x0, y0 = log_x[0], log_y[0]
    xa, ya = log_x - x0, log_y - y0
    design = np.column_stack([xa[:window], np.ones(window)])
    theta, *_ = np.linalg.lstsq(design, ya[:window], rcond=None)
    resid = ya[:window] - design @ theta
    r = resid @ resid / (window - 2)
    p = r * np.linalg.inv(design.T @ design)
    noise = delta / (1 - delta) * r
    q = np.diag([noise / np.var(xa[:window]), noise])
    n = log_y.size
    beta = np.full(n, np.nan)
    alpha = np.full(n, np.nan)
    innovation = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    for t in range(window, n):
        p = p + q
        f = np.array([xa[t], 1.0])
        e = ya[t] - f @ theta
        s = f @ p @ f + r
        gain = p @ f / s
        theta = theta + gain * e
        p = p - np.outer(gain, gain) * s
        beta[t], alpha[t] = theta[0], y0 + theta[1] - theta[0] * x0
        innovation[t], sd[t] = e, np.sqrt(s)
    return alpha, beta, innovation, sd


def signal_reference(z, entry, exit, stop):
    """The entry/exit/stop rules of tradecost.pairs.signals, one plain loop."""
    position = []
    pos, armed = 0, True
    for value in z:
        if value == value:  # not NaN
            if pos == 0:
                if not armed and abs(value) < entry:
                    armed = True
                if armed and value >= entry:
                    pos = -1
                elif armed and value <= -entry:
                    pos = 1
            elif pos == -1:
                if value >= stop:
                    pos, armed = 0, False
                elif value <= exit:
                    pos = 0
            else:
                if value <= -stop:
                    pos, armed = 0, False
                elif value >= -exit:
                    pos = 0
        position.append(pos)
    return np.array(position)


def cointegrated_pair(n, beta, half_life, seed, sigma_x=1e-3, sigma_s=1e-3, price_x=30_000.0):
    """Prices (y, x) with log y = a + beta·log x + s, s an AR(1) with the given half-life and x a
    geometric random walk."""
    rng = np.random.default_rng(seed)
    log_x = np.log(price_x) + np.cumsum(rng.standard_normal(n)) * sigma_x
    phi = 0.5 ** (1.0 / half_life)
    shocks = rng.standard_normal(n) * sigma_s
    s = np.empty(n)
    s[0] = shocks[0] / np.sqrt(1 - phi**2)
    for i in range(1, n):
        s[i] = phi * s[i - 1] + shocks[i]
    log_y = np.log(2_000.0) - beta * np.log(price_x) + beta * log_x + s
    return np.exp(log_y), np.exp(log_x), s, phi
