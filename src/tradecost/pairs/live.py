"""The rolling pair regression one point at a time, for live bars: O(1) work and memory of one
window per update, the same arithmetic (and so the same numbers) as :func:`analyze` with
``method="ols"``."""

from __future__ import annotations

import math
from collections import deque

from tradecost.errors import InvalidInputError
from tradecost.pairs._input import check_finite_number

_EXACT_FRACTION = 1e-12


class RollingPair:
    """Feed aligned prices with :meth:`update`; each call returns the metrics of the window
    ending at that point (NaN until ``window`` points have arrived; the exclusive z one point
    later). See :mod:`tradecost.pairs.analysis` for the conventions."""

    def __init__(self, window: int = 300, *, ddof: float = 1.0, zscore_window: str = "inclusive"):
        if isinstance(window, bool) or not isinstance(window, int) or window < 3:
            raise InvalidInputError(f"window must be an integer ≥ 3, got {window!r}")
        if zscore_window not in ("inclusive", "exclusive"):
            raise InvalidInputError(
                f"zscore_window must be 'inclusive' or 'exclusive', got {zscore_window!r}"
            )
        self.window = window
        self.ddof = check_finite_number(ddof, "ddof", minimum=0.0)
        if self.ddof >= window:
            raise InvalidInputError(f"ddof ({ddof}) must be smaller than the window ({window})")
        self.zscore_window = zscore_window
        self._x: deque[float] = deque(maxlen=window + 1)
        self._y: deque[float] = deque(maxlen=window + 1)
        self._count = 0
        self._x_changes = 0
        self._y_changes = 0
        self._anchor = (0.0, 0.0)
        self._moments = (0.0, 0.0, 0.0, 0.0, 0.0)  # mu, mv, cuu, cvv, cuv
        self._previous: tuple[float, float, float, float, float, float] | None = None

    @property
    def count(self) -> int:
        """Points received so far."""
        return self._count

    def update(self, y: float, x: float) -> dict[str, float]:
        """Add the prices of one point; returns alpha, beta, spread, zscore, correlation and
        spread_sd of the window ending here."""
        price_y = check_finite_number(y, "y")
        price_x = check_finite_number(x, "x")
        if price_y <= 0.0 or price_x <= 0.0:
            raise InvalidInputError(f"prices must be positive, got y={y!r}, x={x!r}")
        ly, lx = math.log(price_y), math.log(price_x)
        w = self.window
        xs, ys = self._x, self._y
        if xs:
            self._x_changes += lx != xs[-1]
            self._y_changes += ly != ys[-1]
        xs.append(lx)
        ys.append(ly)
        t = self._count
        self._count += 1
        if t >= w:
            # the pair (t-w, t-w+1) leaves the window; xs holds points t-w .. t
            self._x_changes -= xs[1] != xs[0]
            self._y_changes -= ys[1] != ys[0]
        nan = math.nan
        out = {
            "alpha": nan,
            "beta": nan,
            "spread": nan,
            "zscore": nan,
            "correlation": nan,
            "spread_sd": nan,
        }
        if t < w - 1:
            return out
        if (t - w + 1) % w == 0:
            ax, ay = lx, ly
            points = list(zip(xs, ys, strict=True))[-w:]
            mu = sum(p[0] - ax for p in points) / w
            mv = sum(p[1] - ay for p in points) / w
            cuu = cvv = cuv = 0.0
            for px, py in points:
                u = px - ax - mu
                v = py - ay - mv
                cuu += u * u
                cvv += v * v
                cuv += u * v
            self._anchor = (ax, ay)
        else:
            ax, ay = self._anchor
            mu, mv, cuu, cvv, cuv = self._moments
            u, v = lx - ax, ly - ay
            u_out, v_out = xs[0] - ax, ys[0] - ay
            du, dv = u - u_out, v - v_out
            mu_new = mu + du / w
            mv_new = mv + dv / w
            cuu += du * ((u - mu_new) + (u_out - mu))
            cvv += dv * ((v - mv_new) + (v_out - mv))
            cuv += (u - mu) * (v - mv_new) - (u_out - mu) * (v_out - mv_new)
            mu, mv = mu_new, mv_new
        self._moments = (mu, mv, cuu, cvv, cuv)
        where = f"the window of the {w} points ending at point {t}"
        if self._x_changes == 0:
            raise InvalidInputError(f"x is constant over {where} (β is undefined)")
        if self._y_changes == 0:
            raise InvalidInputError(f"y is constant over {where} (z is undefined)")
        beta = cuv / cuu if cuu > 0.0 else nan
        ssr = cvv - beta * cuv
        if not cuu > 0.0 or not cvv > 0.0 or ssr <= _EXACT_FRACTION * cvv:
            raise InvalidInputError(f"log y is an exact linear function of log x over {where}")
        sd = math.sqrt(ssr / (w - self.ddof))
        spread = (ly - ay - mv) - beta * (lx - ax - mu)
        out["alpha"] = (ay + mv) - beta * (ax + mu)
        out["beta"] = beta
        out["spread"] = spread
        out["spread_sd"] = sd
        out["correlation"] = cuv / math.sqrt(cuu * cvv)
        if self.zscore_window == "inclusive":
            out["zscore"] = spread / sd
        elif self._previous is not None:
            p_ax, p_ay, p_mu, p_mv, p_beta, p_sd = self._previous
            out["zscore"] = ((ly - p_ay - p_mv) - p_beta * (lx - p_ax - p_mu)) / p_sd
        self._previous = (ax, ay, mu, mv, beta, sd)
        return out
