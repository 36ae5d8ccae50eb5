# cython: language_level=3
"""C-level interface of the feature extractor, shared with the compiled predictors."""

cimport cython
from libc.stdint cimport int64_t

from tradecost._book cimport OrderBook, Side

cdef enum:
    _N_MARKET = 14
    _N_LIMIT = 9


# final: its C methods are called directly (and inlined), not through a vtable
@cython.final
cdef class FeatureExtractor:
    cdef readonly Py_ssize_t depth_levels
    cdef readonly double half_life_s
    cdef double _inverse_tau_ns
    cdef double _tau_s
    cdef double _window
    cdef int64_t _start_ns
    cdef int64_t _last_ns
    cdef bint _started
    cdef bint _has_touch
    cdef int64_t _bid_tick
    cdef int64_t _ask_tick
    cdef double _bid_size
    cdef double _ask_size
    cdef double _mid
    # exponentially decayed sums
    cdef double _ofi
    cdef double _squared_returns
    cdef double _buy_volume
    cdef double _sell_volume
    cdef double _buy_count
    cdef double _sell_count

    cdef void _decay_to(self, int64_t ts_ns) noexcept
    cpdef void update_book(self, OrderBook book, int64_t ts_ns)
    cpdef void update_trade(self, int64_t ts_ns, double price, double size, int aggressor)
    cdef double _compute_window_s(self) noexcept
    cdef double _window_s(self) noexcept
    cdef void _stream_features(self, int sign, double touch_mean, double* volatility,
                               double* ofi, double* trade_imbalance, double* rate) noexcept
    cdef int market_features(self, OrderBook book, object side, double quantity_usd,
                             double* out) except -1
    cdef void _fill_market(self, OrderBook book, const Side* walked, const Side* other, int sign,
                           double quantity_usd, double* out) noexcept
