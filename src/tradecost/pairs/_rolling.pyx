# cython: language_level=3
"""Rolling regressions of the pairs analytics: O(1) work per new point, no Python object per point.

* ``rolling_ols_kernel``: OLS of y on x over the last ``window`` points. The window's means and
  co-moments are updated when a point enters and one leaves (the "replace" form of Welford's
  update), on values taken relative to an anchor near the window; every ``window`` steps they are
  recomputed exactly by two passes with a fresh anchor, so rounding error cannot accumulate for
  more than one window. Amortised cost: O(1) per point.
* ``rolling_adf_kernel``: the augmented Dickey–Fuller regression with a fixed lag order, its
  cross-product matrix slid by adding the entering row and removing the leaving one (recomputed
  every ``window`` steps), and the t-statistic read off one Cholesky factorisation of the
  (k+1)×(k+1) augmented matrix. O(k²) per point for the update, O(k³) for the factorisation;
  independent of the window length.
* ``kalman_kernel``: the two-state (β, α) random-walk Kalman filter, fixed memory.
* ``rolling_huber_kernel``: Huber M-estimation per window by iteratively reweighted least squares
  with the MAD scale (O(window) per point and iteration: the one kernel here that is not O(1)).
* ``signal_kernel``: the entry/exit/stop state machine over a z-score series.

The Python layer (:mod:`tradecost.pairs.analysis`, :mod:`tradecost.pairs.stationarity`) validates
the input and allocates the outputs; these kernels never raise.
"""

from libc.math cimport NAN, fabs, isnan, sqrt

from tradecost._book cimport TRADECOST_SOURCE_HASH

import numpy as np

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

#: x takes a single value over the window (β is undefined)
REASON_X_CONSTANT = 1
#: y takes a single value over the window (correlation and z-score are undefined)
REASON_Y_CONSTANT = 2
#: the fit is exact (zero residual variance): the z-score is undefined
REASON_EXACT_FIT = 3
#: the regressors are collinear in the window (e.g. the ADF regression of a linear trend)
REASON_SINGULAR = 4

cdef enum:
    _X_CONSTANT = 1
    _Y_CONSTANT = 2
    _EXACT_FIT = 3
    _SINGULAR = 4

# A residual sum of squares below this fraction of the total is treated as an exact fit: the
# rolling updates carry a relative rounding error of a few window lengths times 2.2e-16.
cdef double _EXACT_FRACTION = 1e-12
# Φ⁻¹(3/4): MAD / this = the normal-consistent scale (the constant statsmodels' ``mad`` uses).
cdef double _MAD_NORMAL = 0.6744897501960817


cdef inline void _fill_nan(double[::1] values) noexcept nogil:
    """Every output point undefined until a kernel writes it."""
    cdef Py_ssize_t t
    for t in range(values.shape[0]):
        values[t] = NAN


cdef inline void _clear_fit(
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] spread_sd,
) noexcept nogil:
    """The outputs every regression kernel writes, undefined (NaN) until it does."""
    _fill_nan(alpha)
    _fill_nan(beta)
    _fill_nan(spread)
    _fill_nan(zscore)
    _fill_nan(spread_sd)


cdef inline Py_ssize_t _change_step(
    const double[::1] values, Py_ssize_t t, Py_ssize_t window,
) noexcept nogil:
    """How the count of value changes inside the window ending at ``t`` moves from the window
    ending at ``t - 1``: +1 when ``values[t]`` differs from the one before, -1 when the pair
    that leaves the window differed (a count of 0 means a constant window)."""
    cdef Py_ssize_t step = 0
    if t >= 1:
        step += values[t] != values[t - 1]
    if t >= window:
        step -= values[t - window + 1] != values[t - window]
    return step


cdef Py_ssize_t rolling_ols_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double ddof, bint exclusive,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] correlation, double[::1] spread_sd, int* reason,
) noexcept nogil:
    """OLS of y on x per window [t-window+1, t]; z-score inclusive (the window's own residual
    standard deviation) or exclusive (the one-step-ahead error of the window ending at t-1)."""
    cdef Py_ssize_t n = x.shape[0], t, i
    cdef Py_ssize_t x_changes = 0, y_changes = 0
    cdef double w = <double>window
    cdef double ax = 0.0, ay = 0.0, mu = 0.0, mv = 0.0, cuu = 0.0, cvv = 0.0, cuv = 0.0
    cdef double u, v, u_out, v_out, du, dv, mu_new, mv_new, b, ssr, sd, e
    cdef double p_ax = 0.0, p_ay = 0.0, p_mu = 0.0, p_mv = 0.0, p_b = NAN, p_sd = NAN
    _clear_fit(alpha, beta, spread, zscore, spread_sd)
    _fill_nan(correlation)
    for t in range(n):
        x_changes += _change_step(x, t, window)
        y_changes += _change_step(y, t, window)
        if t < window - 1:
            continue
        if (t - window + 1) % window == 0:
            # exact two-pass moments with a fresh anchor: no error carried past this point
            ax = x[t]
            ay = y[t]
            mu = 0.0
            mv = 0.0
            for i in range(t - window + 1, t + 1):
                mu += x[i] - ax
                mv += y[i] - ay
            mu /= w
            mv /= w
            cuu = 0.0
            cvv = 0.0
            cuv = 0.0
            for i in range(t - window + 1, t + 1):
                u = x[i] - ax - mu
                v = y[i] - ay - mv
                cuu += u * u
                cvv += v * v
                cuv += u * v
        else:
            u = x[t] - ax
            v = y[t] - ay
            u_out = x[t - window] - ax
            v_out = y[t - window] - ay
            du = u - u_out
            dv = v - v_out
            mu_new = mu + du / w
            mv_new = mv + dv / w
            cuu += du * ((u - mu_new) + (u_out - mu))
            cvv += dv * ((v - mv_new) + (v_out - mv))
            cuv += (u - mu) * (v - mv_new) - (u_out - mu) * (v_out - mv_new)
            mu = mu_new
            mv = mv_new
        if x_changes == 0:
            reason[0] = _X_CONSTANT
            return t
        if y_changes == 0:
            reason[0] = _Y_CONSTANT
            return t
        if cuu <= 0.0 or cvv <= 0.0:
            reason[0] = _EXACT_FIT
            return t
        b = cuv / cuu
        ssr = cvv - b * cuv
        if ssr <= _EXACT_FRACTION * cvv:
            reason[0] = _EXACT_FIT
            return t
        sd = sqrt(ssr / (w - ddof))
        e = (y[t] - ay - mv) - b * (x[t] - ax - mu)
        beta[t] = b
        alpha[t] = (ay + mv) - b * (ax + mu)
        spread[t] = e
        spread_sd[t] = sd
        correlation[t] = cuv / sqrt(cuu * cvv)
        if not exclusive:
            zscore[t] = e / sd
        elif t >= window:
            zscore[t] = ((y[t] - p_ay - p_mv) - p_b * (x[t] - p_ax - p_mu)) / p_sd
        p_ax = ax
        p_ay = ay
        p_mu = mu
        p_mv = mv
        p_b = b
        p_sd = sd
    return -1


cdef inline void _adf_row(
    const double[::1] x, Py_ssize_t j, Py_ssize_t lags, int trend, double anchor,
    Py_ssize_t anchor_index, double trend_scale, double* row,
) noexcept nogil:
    """Row j of the ADF regression, columns [1, trend, trend², Δx_{j-1..j-lags}, x_{j-1}, Δx_j].

    The level is taken relative to ``anchor`` and the trend relative to ``anchor_index`` (scaled
    by 1/window): with a constant in the regression both shifts are absorbed by the intercept and
    leave the level's t-statistic unchanged; they keep the normal equations well conditioned."""
    cdef Py_ssize_t k, c = 0
    cdef double tr
    if trend >= 1:
        row[c] = 1.0
        c += 1
    if trend >= 2:
        tr = <double>(j - anchor_index) * trend_scale
        row[c] = tr
        c += 1
        if trend >= 3:
            row[c] = tr * tr
            c += 1
    for k in range(1, lags + 1):
        row[c] = x[j - k] - x[j - k - 1]
        c += 1
    row[c] = x[j - 1] - anchor
    row[c + 1] = x[j] - x[j - 1]


cdef Py_ssize_t rolling_adf_kernel(
    const double[::1] x, Py_ssize_t window, Py_ssize_t lags, int trend, double[::1] stat,
    double[::1] sums, double[::1] factor, double[::1] row, int* reason,
) noexcept nogil:
    """ADF t-statistic of each window [t-window+1, t] with ``lags`` lagged differences: the same
    regression as statsmodels' ``adfuller(x[t-window+1:t+1], maxlag=lags, autolag=None)``.

    ``sums`` and ``factor`` are (k+1)² scratch arrays, ``row`` k+1, with k = trend + lags + 1."""
    cdef Py_ssize_t n = x.shape[0], t, j, a, b, c, changes = 0
    cdef Py_ssize_t k = trend + lags + 1
    cdef Py_ssize_t d = k + 1
    cdef Py_ssize_t nobs = window - 1 - lags
    cdef Py_ssize_t anchor_index = 0
    cdef double anchor = 0.0, scale = 1.0 / <double>window, pivot, acc
    cdef double* r = &row[0]
    cdef double* m = &sums[0]
    cdef double* f = &factor[0]
    _fill_nan(stat)
    for t in range(n):
        changes += _change_step(x, t, window)
        if t < window - 1:
            continue
        if (t - window + 1) % window == 0:
            if trend >= 1:
                anchor = x[t]
            anchor_index = t
            for a in range(d * d):
                m[a] = 0.0
            for j in range(t - window + 2 + lags, t + 1):
                _adf_row(x, j, lags, trend, anchor, anchor_index, scale, r)
                for a in range(d):
                    for b in range(a + 1):
                        m[a * d + b] += r[a] * r[b]
        else:
            _adf_row(x, t, lags, trend, anchor, anchor_index, scale, r)
            for a in range(d):
                for b in range(a + 1):
                    m[a * d + b] += r[a] * r[b]
            _adf_row(x, t - window + 1 + lags, lags, trend, anchor, anchor_index, scale, r)
            for a in range(d):
                for b in range(a + 1):
                    m[a * d + b] -= r[a] * r[b]
        if changes == 0:
            reason[0] = _X_CONSTANT
            return t
        # Cholesky factorisation of the augmented matrix [Z y]'[Z y], lower triangle
        for a in range(d):
            for b in range(a + 1):
                acc = m[a * d + b]
                for c in range(b):
                    acc -= f[a * d + c] * f[b * d + c]
                if a == b:
                    if a < k and acc <= 1e-12 * m[a * d + a]:
                        reason[0] = _SINGULAR
                        return t
                    if a == k and acc <= _EXACT_FRACTION * m[a * d + a]:
                        reason[0] = _EXACT_FIT
                        return t
                    f[a * d + a] = sqrt(acc)
                else:
                    f[a * d + b] = acc / f[b * d + b]
        # b_level = l/L_kk and se = s/L_kk, so t = l/s with s² = SSR/(nobs - k), SSR = L_yy²
        pivot = f[k * d + k]
        stat[t] = f[k * d + (k - 1)] / pivot * sqrt(<double>(nobs - k))
    return -1


cdef Py_ssize_t kalman_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t start, double beta0, double alpha0,
    double p00, double p01, double p11, double beta_var, double alpha_var, double obs_var,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] spread_sd,
) noexcept nogil:
    """Kalman filter of y_t = β_t x_t + α_t + ε_t (var ``obs_var``), (β, α) a random walk with
    covariance diag(``beta_var``, ``alpha_var``) per step; starts at index ``start`` from the
    prior (beta0, alpha0) with covariance [[p00, p01], [p01, p11]]. ``spread`` is the innovation
    (the one-step-ahead error, before the update with y_t), ``spread_sd`` its predicted standard
    deviation."""
    cdef Py_ssize_t n = x.shape[0], t
    cdef double b = beta0, a = alpha0, xt, e, s, k0, k1
    _clear_fit(alpha, beta, spread, zscore, spread_sd)
    for t in range(start, n):
        p00 += beta_var
        p11 += alpha_var
        xt = x[t]
        e = y[t] - (b * xt + a)
        s = p00 * xt * xt + 2.0 * p01 * xt + p11 + obs_var
        k0 = (p00 * xt + p01) / s
        k1 = (p01 * xt + p11) / s
        b += k0 * e
        a += k1 * e
        p00 -= k0 * k0 * s
        p01 -= k0 * k1 * s
        p11 -= k1 * k1 * s
        beta[t] = b
        alpha[t] = a
        spread[t] = e
        spread_sd[t] = sqrt(s)
        zscore[t] = e / sqrt(s)
    return -1


cdef double _select(double* values, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """The k-th smallest of values[0:n] (0-based), partially reordering them (Hoare's select)."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j
    cdef double pivot, tmp
    while lo < hi:
        pivot = values[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                tmp = values[i]
                values[i] = values[j]
                values[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return values[k]


cdef double _median(double* values, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, half = n // 2
    cdef double upper = _select(values, n, half), lower
    if n % 2 == 1:
        return upper
    lower = values[0]
    for i in range(1, half):
        if values[i] > lower:
            lower = values[i]
    return 0.5 * (lower + upper)


cdef inline double _mad_scale(
    const double[::1] x, const double[::1] y, Py_ssize_t start, Py_ssize_t t, double a, double b,
    double* buf,
) noexcept nogil:
    """The normal-consistent MAD scale of the residuals y - a - b·x over [start, t], statsmodels'
    ``mad`` (``buf``: t - start + 1 scratch values, reordered)."""
    cdef Py_ssize_t i
    for i in range(start, t + 1):
        buf[i - start] = fabs(y[i] - a - b * x[i])
    return _median(buf, t + 1 - start) / _MAD_NORMAL


cdef Py_ssize_t rolling_huber_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double tuning, double ddof,
    Py_ssize_t max_iter, double tol, double[::1] alpha, double[::1] beta, double[::1] spread,
    double[::1] zscore, double[::1] spread_sd, double[::1] scratch, int* reason,
) noexcept nogil:
    """Huber regression of y on x per window by IRLS (weights min(1, c·s/|r|), c = ``tuning``),
    the scale s re-estimated as MAD/Φ⁻¹(3/4) of the residuals at each iteration, started from OLS:
    the fixed point statsmodels' ``RLM(y, X, HuberT(c)).fit()`` converges to. ``spread_sd`` is the
    robust scale s; ``ddof`` is unused by the estimator and kept for a uniform signature."""
    cdef Py_ssize_t n = x.shape[0], t, i, it, start
    cdef double w = <double>window, mx, my, sxx, sxy, sw, wi, r, s, b, a, b_old, a_old, u
    cdef double* buf = &scratch[0]
    _clear_fit(alpha, beta, spread, zscore, spread_sd)
    for t in range(window - 1, n):
        start = t - window + 1
        mx = 0.0
        my = 0.0
        for i in range(start, t + 1):
            mx += x[i]
            my += y[i]
        mx /= w
        my /= w
        sxx = 0.0
        sxy = 0.0
        for i in range(start, t + 1):
            sxx += (x[i] - mx) * (x[i] - mx)
            sxy += (x[i] - mx) * (y[i] - my)
        if sxx <= 0.0:
            reason[0] = _X_CONSTANT
            return t
        b = sxy / sxx
        a = my - b * mx
        s = 0.0
        it = 0
        while it < max_iter:
            it += 1
            s = _mad_scale(x, y, start, t, a, b, buf)
            if s <= 0.0:
                reason[0] = _EXACT_FIT
                return t
            sw = 0.0
            mx = 0.0
            my = 0.0
            for i in range(start, t + 1):
                r = fabs(y[i] - a - b * x[i])
                wi = 1.0 if r <= tuning * s else tuning * s / r
                buf[i - start] = wi
                sw += wi
                mx += wi * x[i]
                my += wi * y[i]
            mx /= sw
            my /= sw
            sxx = 0.0
            sxy = 0.0
            for i in range(start, t + 1):
                u = x[i] - mx
                sxx += buf[i - start] * u * u
                sxy += buf[i - start] * u * (y[i] - my)
            if sxx <= 0.0:
                reason[0] = _SINGULAR
                return t
            b_old = b
            a_old = a
            b = sxy / sxx
            a = my - b * mx
            if fabs(b - b_old) + fabs(a - a_old) <= tol * (1.0 + fabs(b) + fabs(a)):
                break
        s = _mad_scale(x, y, start, t, a, b, buf)
        if s <= 0.0:
            reason[0] = _EXACT_FIT
            return t
        beta[t] = b
        alpha[t] = a
        spread[t] = y[t] - a - b * x[t]
        spread_sd[t] = s
        zscore[t] = spread[t] / s
    return -1


cdef void signal_kernel(
    const double[::1] zscore, double entry, double exit, double stop,
    signed char[::1] position, signed char[::1] action,
) noexcept nogil:
    """Positions in the spread decided from z_t alone (no later value is read).

    Flat: enter short the spread (-1) at z ≥ entry, long (+1) at z ≤ -entry. Short: exit when
    z ≤ exit, stop out when z ≥ stop. Long: exit when z ≥ -exit, stop when z ≤ -stop. After a stop
    the rule is disarmed until |z| < entry again, so a stop is not followed by an immediate
    re-entry at the same extreme. A NaN z (warm-up) holds the current position. ``action``: 0 none,
    1 enter long, 2 enter short, 3 exit, 4 stop."""
    cdef Py_ssize_t n = zscore.shape[0], t
    cdef signed char pos = 0, act
    cdef bint armed = True
    cdef double z
    for t in range(n):
        z = zscore[t]
        act = 0
        if not isnan(z):
            if pos == 0:
                if not armed and fabs(z) < entry:
                    armed = True
                if armed:
                    if z >= entry:
                        pos = -1
                        act = 2
                    elif z <= -entry:
                        pos = 1
                        act = 1
            elif pos == -1:
                if z >= stop:
                    pos = 0
                    act = 4
                    armed = False
                elif z <= exit:
                    pos = 0
                    act = 3
            else:
                if z <= -stop:
                    pos = 0
                    act = 4
                    armed = False
                elif z >= -exit:
                    pos = 0
                    act = 3
        position[t] = pos
        action[t] = act


# --- Python entry points: thin wrappers that allocate nothing and hold no GIL in the loops ---


def rolling_ols(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double ddof, bint exclusive,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] correlation, double[::1] spread_sd,
):
    """Run :c:func:`rolling_ols_kernel`; returns (index, reason), index -1 when all windows are
    well defined."""
    cdef int reason = 0
    cdef Py_ssize_t status
    with nogil:
        status = rolling_ols_kernel(
            x, y, window, ddof, exclusive, alpha, beta, spread, zscore, correlation, spread_sd,
            &reason,
        )
    return status, reason


def rolling_adf(
    const double[::1] x, Py_ssize_t window, Py_ssize_t lags, int trend, double[::1] stat,
):
    """Run :c:func:`rolling_adf_kernel`; returns (index, reason)."""
    cdef int reason = 0
    cdef Py_ssize_t status, d = trend + lags + 2
    cdef double[::1] sums = np.zeros(d * d)
    cdef double[::1] factor = np.zeros(d * d)
    cdef double[::1] row = np.zeros(d)
    with nogil:
        status = rolling_adf_kernel(x, window, lags, trend, stat, sums, factor, row, &reason)
    return status, reason


def kalman(
    const double[::1] x, const double[::1] y, Py_ssize_t start, double beta0, double alpha0,
    double p00, double p01, double p11, double beta_var, double alpha_var, double obs_var,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] spread_sd,
):
    """Run :c:func:`kalman_kernel`."""
    cdef Py_ssize_t status
    with nogil:
        status = kalman_kernel(
            x, y, start, beta0, alpha0, p00, p01, p11, beta_var, alpha_var, obs_var, alpha, beta,
            spread, zscore, spread_sd,
        )
    return status


def rolling_huber(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double tuning, double ddof,
    Py_ssize_t max_iter, double tol, double[::1] alpha, double[::1] beta, double[::1] spread,
    double[::1] zscore, double[::1] spread_sd,
):
    """Run :c:func:`rolling_huber_kernel`; returns (index, reason)."""
    cdef int reason = 0
    cdef Py_ssize_t status
    cdef double[::1] scratch = np.zeros(window)
    with nogil:
        status = rolling_huber_kernel(
            x, y, window, tuning, ddof, max_iter, tol, alpha, beta, spread, zscore, spread_sd,
            scratch, &reason,
        )
    return status, reason


def signals(
    const double[::1] zscore, double entry, double exit, double stop,
    signed char[::1] position, signed char[::1] action,
):
    """Run :c:func:`signal_kernel`."""
    with nogil:
        signal_kernel(zscore, entry, exit, stop, position, action)


#: action codes written by :func:`signals`
ACTION_NONE = 0
ACTION_ENTER_LONG = 1
ACTION_ENTER_SHORT = 2
ACTION_EXIT = 3
ACTION_STOP = 4
