# cython: language_level=3
"""C-level kernels of the pairs analytics, shared with other compiled modules.

Every kernel reads typed memoryviews, writes into caller-allocated float64 arrays and returns a
status instead of raising: ``-1`` when every window was well defined, else the index of the first
window end where the computation is undefined (the reason is written to ``*reason``, one of the
``REASON_*`` codes of ``_rolling.pyx``). The Python layer validates the input once and turns a
status into a TradecostError naming the window.
"""


cdef Py_ssize_t rolling_ols_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double ddof, bint exclusive,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] correlation, double[::1] spread_sd, int* reason,
) noexcept nogil

cdef Py_ssize_t rolling_adf_kernel(
    const double[::1] x, Py_ssize_t window, Py_ssize_t lags, int trend, double[::1] stat,
    double[::1] sums, double[::1] factor, double[::1] row, int* reason,
) noexcept nogil

cdef Py_ssize_t kalman_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t start, double beta0, double alpha0,
    double p00, double p01, double p11, double beta_var, double alpha_var, double obs_var,
    double[::1] alpha, double[::1] beta, double[::1] spread, double[::1] zscore,
    double[::1] spread_sd,
) noexcept nogil

cdef Py_ssize_t rolling_huber_kernel(
    const double[::1] x, const double[::1] y, Py_ssize_t window, double tuning, double ddof,
    Py_ssize_t max_iter, double tol, double[::1] alpha, double[::1] beta, double[::1] spread,
    double[::1] zscore, double[::1] spread_sd, double[::1] scratch, int* reason,
) noexcept nogil

cdef void signal_kernel(
    const double[::1] zscore, double entry, double exit, double stop,
    signed char[::1] position, signed char[::1] action,
) noexcept nogil
