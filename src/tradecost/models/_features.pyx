# cython: language_level=3
"""Features of an order book and its recent stream, written into a caller's float64 array.

Everything here runs without Python objects per level: the book's C arrays are read directly
(``tradecost._book.OrderBook``: levels ascending by key, best level last) and the recent-stream
state is a handful of exponentially decayed sums updated on every book push and trade.
The layouts are fixed and named in :mod:`tradecost.models.features`.
"""

from libc.math cimport NAN, exp, log, log1p, sqrt, isfinite
from libc.stdint cimport int64_t

from tradecost._book cimport OrderBook, Side, Walk, size_at_key, walk_side

from tradecost.errors import EmptyBookError, InvalidInputError

cdef extern from *:
    """
    #ifndef TRADECOST_SOURCE_HASH
    #define TRADECOST_SOURCE_HASH "unknown"
    #endif
    """
    const char* TRADECOST_SOURCE_HASH

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

#: Length of the market-order feature vector written by ``FeatureExtractor.extract``.
N_MARKET_FEATURES = 14
#: Length of the limit-order feature vector written by ``FeatureExtractor.extract_limit``.
N_LIMIT_FEATURES = 9

cdef inline int order_sign(object side) except 0:
    """+1 for a buy, -1 for a sell ("buy"/"sell", tradecost.Side, or the ints +1/-1)."""
    if side == "buy":
        return 1
    if side == "sell":
        return -1
    if side == 1 and not isinstance(side, bool):
        return 1
    if side == -1:
        return -1
    raise InvalidInputError(f"side {side!r} must be 'buy' or 'sell'")


cdef inline double tick_value(OrderBook book) noexcept:
    return <double>book._tick_mantissa / book._tick_denominator


cdef void walk_notionals(const Side* side, double tick, const double* targets, Py_ssize_t m,
                         double* average, double* filled) noexcept nogil:
    """Average fill price for each of ``m`` quote-unit ``targets``: the book's own walk
    (``walk_side``, as ``tradecost.walk_book(notional=...)``). A target the side cannot fill
    gets the average of what did fill and ``filled`` < target."""
    cdef Py_ssize_t j
    cdef Walk w
    for j in range(m):
        walk_side(side, tick, targets[j], True, &w)
        average[j] = w.notional / w.quantity if w.quantity > 0.0 else NAN
        filled[j] = w.notional


cdef double side_notional(const Side* side, double tick, Py_ssize_t levels) noexcept nogil:
    """Quote-unit value of the top ``levels`` levels of one side."""
    cdef Py_ssize_t i, stop = side.n - levels if side.n > levels else 0
    cdef double total = 0.0
    for i in range(side.n - 1, stop - 1, -1):
        total += <double>(side.sign * side.levels[i].key) * tick * side.levels[i].size
    return total


cdef class FeatureExtractor:
    """Market-state features for the learned cost models, without allocation per call.

    Args:
        depth_levels: k, the levels per side summed for the depth features.
        half_life_s: half-life of the recent-stream state (order-flow imbalance, realised
            volatility, trade rate), seconds.

    Feed it every applied book push with :meth:`update_book` and every trade with
    :meth:`update_trade`, then call :meth:`extract` / :meth:`extract_limit` as often as needed.
    Stream features are computed as of the last update.
    """

    # attributes and C methods are declared in _features.pxd

    def __init__(self, Py_ssize_t depth_levels=10, double half_life_s=2.0):
        if depth_levels < 1:
            raise InvalidInputError(f"depth_levels must be >= 1, got {depth_levels}")
        if not (isfinite(half_life_s) and half_life_s > 0.0):
            raise InvalidInputError(f"half_life_s must be a positive number, got {half_life_s}")
        self.depth_levels = depth_levels
        self.half_life_s = half_life_s
        self._tau_s = half_life_s / 0.6931471805599453
        self._inverse_tau_ns = 1.0 / (self._tau_s * 1e9)
        self.reset()

    def reset(self):
        """Forget the recent stream (after a gap or a resubscription)."""
        self._started = False
        self._has_touch = False
        self._start_ns = 0
        self._last_ns = 0
        self._window = 0.0
        self._ofi = 0.0
        self._squared_returns = 0.0
        self._buy_volume = 0.0
        self._sell_volume = 0.0
        self._buy_count = 0.0
        self._sell_count = 0.0

    cdef void _decay_to(self, int64_t ts_ns) noexcept:
        cdef double factor
        if not self._started:
            self._started = True
            self._start_ns = ts_ns
            self._last_ns = ts_ns
            self._window = self._compute_window_s()
            return
        if ts_ns <= self._last_ns:
            return
        factor = exp(-<double>(ts_ns - self._last_ns) * self._inverse_tau_ns)
        self._ofi *= factor
        self._squared_returns *= factor
        self._buy_volume *= factor
        self._sell_volume *= factor
        self._buy_count *= factor
        self._sell_count *= factor
        self._last_ns = ts_ns
        self._window = self._compute_window_s()

    cpdef void update_book(self, OrderBook book, int64_t ts_ns):
        """Account for the book as it stands after a push at ``ts_ns`` (int64 ns).

        Order-flow imbalance at the touch is Cont, Kukanov & Stoikov (2014), eq. (2):
        e = 1{Pb≥Pb'}qb − 1{Pb≤Pb'}qb' − 1{Pa≤Pa'}qa + 1{Pa≥Pa'}qa' (primes: previous push).
        """
        cdef const Side* bids = &book._bids
        cdef const Side* asks = &book._asks
        cdef int64_t bid_tick, ask_tick
        cdef double bid_size, ask_size, mid, change, flow
        self._decay_to(ts_ns)
        if bids.n == 0 or asks.n == 0:
            self._has_touch = False
            return
        bid_tick = bids.levels[bids.n - 1].key
        ask_tick = -asks.levels[asks.n - 1].key
        bid_size = bids.levels[bids.n - 1].size
        ask_size = asks.levels[asks.n - 1].size
        mid = book._mid()
        if self._has_touch:
            flow = 0.0
            if bid_tick >= self._bid_tick:
                flow += bid_size
            if bid_tick <= self._bid_tick:
                flow -= self._bid_size
            if ask_tick <= self._ask_tick:
                flow -= ask_size
            if ask_tick >= self._ask_tick:
                flow += self._ask_size
            self._ofi += flow
            if mid > 0.0 and self._mid > 0.0:
                change = log(mid / self._mid) * 1e4
                self._squared_returns += change * change
        self._has_touch = True
        self._bid_tick = bid_tick
        self._ask_tick = ask_tick
        self._bid_size = bid_size
        self._ask_size = ask_size
        self._mid = mid

    cpdef void update_trade(self, int64_t ts_ns, double price, double size, int aggressor):
        """Account for a trade of ``size`` base units at ``ts_ns``; ``aggressor`` +1 when the
        taker bought, -1 when it sold (OKX trades ``side``)."""
        self._decay_to(ts_ns)
        if aggressor > 0:
            self._buy_volume += size
            self._buy_count += 1.0
        else:
            self._sell_volume += size
            self._sell_count += 1.0

    cdef double _compute_window_s(self) noexcept:
        # Expected weight of a unit-rate stream under the decay: τ(1 − e^{−elapsed/τ}).
        cdef double elapsed = <double>(self._last_ns - self._start_ns) * 1e-9
        return self._tau_s * (1.0 - exp(-elapsed / self._tau_s))

    cdef double _window_s(self) noexcept:
        # kept current by _decay_to: no exp() when features are extracted on a tick
        return self._window

    @property
    def warmed_up(self):
        """True once the stream state covers at least one half-life."""
        return self._started and (self._last_ns - self._start_ns) * 1e-9 >= self.half_life_s

    @property
    def last_ns(self):
        """Time of the last update, int64 ns (0 before the first)."""
        return self._last_ns

    cdef void _stream_features(self, int sign, double touch_mean, double* volatility,
                               double* ofi, double* trade_imbalance, double* rate) noexcept:
        cdef double window = self._window_s()
        cdef double volume = self._buy_volume + self._sell_volume
        volatility[0] = sqrt(self._squared_returns / window) if window > 0.0 else 0.0
        ofi[0] = sign * self._ofi / touch_mean if touch_mean > 0.0 else 0.0
        trade_imbalance[0] = (sign * (self._buy_volume - self._sell_volume) / volume
                              if volume > 0.0 else 0.0)
        rate[0] = (self._buy_count + self._sell_count) / window if window > 0.0 else 0.0

    def extract(self, OrderBook book not None, side, double quantity_usd, double[::1] out):
        """Write the market-order features of ``quantity_usd`` quote units on ``side`` into
        ``out`` (length ≥ N_MARKET_FEATURES; layout ``tradecost.models.MARKET_FEATURES``).

        Walk-the-book values are bps of the mid, positive = cost. Raises EmptyBookError when
        the side the order walks is empty; features that need the mid are NaN when the other
        side is empty.
        """
        if out.shape[0] < _N_MARKET:
            raise InvalidInputError(f"out has {out.shape[0]} slots, needs {_N_MARKET}")
        self.market_features(book, side, quantity_usd, &out[0])

    cdef int market_features(self, OrderBook book, object side, double quantity_usd,
                             double* out) except -1:
        """:meth:`extract` for compiled callers: the same checks, the same slots, written to a
        C array of at least ``_N_MARKET`` doubles (no buffer to acquire on the tick path)."""
        cdef int sign = order_sign(side)
        if not (isfinite(quantity_usd) and quantity_usd > 0.0):
            raise InvalidInputError(f"quantity_usd must be a finite number > 0, got {quantity_usd}")
        cdef const Side* walked = &book._asks if sign > 0 else &book._bids
        cdef const Side* other = &book._bids if sign > 0 else &book._asks
        if walked.n == 0:
            raise EmptyBookError(
                f"cannot extract features for a {'buy' if sign > 0 else 'sell'}: "
                f"there are no {'asks' if sign > 0 else 'bids'}")
        self._fill_market(book, walked, other, sign, quantity_usd, out)
        return 0

    cdef void _fill_market(self, OrderBook book, const Side* walked, const Side* other, int sign,
                           double quantity_usd, double* out) noexcept:
        cdef double tick = tick_value(book)
        cdef double mid = book._mid()
        cdef double targets[3]
        cdef double average[3]
        cdef double filled[3]
        cdef double same_depth, other_depth, own_touch, other_touch, touch_mean
        cdef Py_ssize_t j
        targets[0] = 0.5 * quantity_usd
        targets[1] = quantity_usd
        targets[2] = 2.0 * quantity_usd
        walk_notionals(walked, tick, targets, 3, average, filled)
        for j in range(3):
            out[j] = sign * (average[j] - mid) / mid * 1e4
        # order of slots: walk at Q first, then the curve points
        out[0], out[1] = out[1], out[0]
        out[3] = 1.0 - filled[1] / quantity_usd
        same_depth = side_notional(walked, tick, self.depth_levels)
        other_depth = side_notional(other, tick, self.depth_levels)
        out[4] = log(quantity_usd / same_depth)
        if other.n > 0:
            out[5] = (<double>(sign * (walked.sign * walked.levels[walked.n - 1].key
                                       - other.sign * other.levels[other.n - 1].key))
                      * tick / mid * 1e4)
            own_touch = other.levels[other.n - 1].size
            other_touch = walked.levels[walked.n - 1].size
            # the queue on the order's own side against the one it will consume
            out[8] = (own_touch - other_touch) / (own_touch + other_touch)
            out[9] = (other_depth - same_depth) / (other_depth + same_depth)
            touch_mean = 0.5 * (own_touch + other_touch)
        else:
            out[5] = NAN
            out[8] = NAN
            out[9] = NAN
            touch_mean = 0.0
        out[6] = log(same_depth)
        out[7] = log(other_depth) if other_depth > 0.0 else NAN
        self._stream_features(sign, touch_mean, &out[12], &out[10], &out[11], &out[13])

    def extract_limit(self, OrderBook book not None, side, int64_t distance_ticks,
                      double quantity_usd, double horizon_s, double[::1] out):
        """Write the features of a resting limit order into ``out`` (length ≥
        N_LIMIT_FEATURES; layout ``tradecost.models.LIMIT_FEATURES``) and return the queue
        ahead of it in base units.

        ``distance_ticks`` is measured from the order's own touch, away from the spread (0 = join
        the best bid for a buy; negative = improve inside the spread, queue ahead 0). A price
        that would cross the spread raises InvalidInputError: that order is a taker.
        """
        cdef int sign = order_sign(side)
        if not (isfinite(quantity_usd) and quantity_usd > 0.0):
            raise InvalidInputError(f"quantity_usd must be a finite number > 0, got {quantity_usd}")
        if not (isfinite(horizon_s) and horizon_s > 0.0):
            raise InvalidInputError(f"horizon_s must be a finite number > 0, got {horizon_s}")
        if out.shape[0] < _N_LIMIT:
            raise InvalidInputError(f"out has {out.shape[0]} slots, needs {_N_LIMIT}")
        cdef const Side* own = &book._bids if sign > 0 else &book._asks
        cdef const Side* opposite = &book._asks if sign > 0 else &book._bids
        if own.n == 0 or opposite.n == 0:
            raise EmptyBookError("a limit order's features need both sides of the book")
        cdef int64_t own_touch = own.sign * own.levels[own.n - 1].key
        cdef int64_t opposite_touch = opposite.sign * opposite.levels[opposite.n - 1].key
        cdef int64_t price_tick = own_touch - sign * distance_ticks
        cdef int64_t spread_ticks = opposite_touch - own_touch
        if spread_ticks < 0:
            spread_ticks = -spread_ticks
        if sign * (opposite_touch - price_tick) <= 0:
            raise InvalidInputError(
                f"a {'buy' if sign > 0 else 'sell'} {distance_ticks} ticks from its touch "
                f"crosses the spread ({spread_ticks} ticks): it is marketable, not resting")
        cdef double tick = tick_value(book)
        cdef double price = <double>price_tick * tick
        cdef double quantity = quantity_usd / price
        cdef double queue = size_at_key(own, own.sign * price_tick) if distance_ticks >= 0 else 0.0
        cdef double own_size = own.levels[own.n - 1].size
        cdef double opposite_size = opposite.levels[opposite.n - 1].size
        cdef double volatility = 0.0, ofi = 0.0, imbalance = 0.0, rate = 0.0, window
        self._stream_features(sign, 0.5 * (own_size + opposite_size), &volatility, &ofi,
                              &imbalance, &rate)
        window = self._window_s()
        out[0] = <double>distance_ticks
        out[1] = log1p(queue / quantity)
        out[2] = (own_size - opposite_size) / (own_size + opposite_size)
        out[3] = <double>spread_ticks
        out[4] = log1p(quantity / own_size)
        # takers that hit this side: sellers for a resting buy
        if window > 0.0:
            out[5] = (self._sell_count if sign > 0 else self._buy_count) / window
        else:
            out[5] = 0.0
        out[6] = ofi
        out[7] = volatility
        out[8] = horizon_s
        return queue
