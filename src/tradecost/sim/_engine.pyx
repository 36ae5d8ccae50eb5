# cython: language_level=3
"""Event loop of the simulated market: order flow, the book it builds, and OKX v5 frames.

The model follows Cont, Stoikov & Talreja (2010), "A stochastic model for order book dynamics",
Operations Research 58(3), §2: independent Poisson clocks for limit orders at distance ``d`` ticks
from the opposite best quote (rate λ(d)), cancellations at rate θ per resting order (so a queue of
``n`` orders is cancelled at rate θ·n), and market orders at rate μ per side. Extensions made here:
order sizes are heavy tailed (Lomax) instead of unit, a market order can sweep several levels, and a
hidden regime (a continuous-time Markov chain over a few states plus an Ornstein–Uhlenbeck log
activity factor) scales the rates so that the cost of trading changes over time.

Beyond CST, a latent efficient price ``fair`` (ticks) moves by jumps (compound Poisson, Laplace
jump sizes, so variance per second = rate × 2·mean_jump²) whose rate the regime scales; between
jumps the book can relax to a one-tick spread, as a large-tick book does. New limit orders are
placed at distance ``d`` from it (clipped so they never cross), liquidity providers pull a stale
touch (an ask below ``fair`` or a bid above it) at a rate that grows with the staleness, and market
orders lean towards ``fair``. When ``fair`` sits inside the spread this
is CST's placement relative to the touch; when it moves, the book follows it the way a real one
follows information: takers pick off stale quotes and makers requote.

Everything runs on C arrays; no Python object is created per order-flow event. Prices are int64
ticks, sizes int64 lots. The book is a ring of ``RING`` ticks indexed by ``tick & RING_MASK``; far
orders are purged so every resting order stays within half a ring of the mid.

This module is private: :mod:`tradecost.sim.market` validates parameters and is the public face.
"""

from libc.math cimport M_PI, cos, exp, log, pow, sqrt
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport abort, calloc, free, malloc, qsort, realloc
from libc.string cimport memcpy, memset, strlen

from tradecost._book cimport crc32
from tradecost._decimal cimport format_decimal_trimmed

cdef extern from *:
    """
    static inline int tc_sim_clz64(unsigned long long x) { return __builtin_clzll(x); }
    static inline int tc_sim_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    static inline int tc_sim_popcount64(unsigned long long x) { return __builtin_popcountll(x); }
    """
    int tc_sim_clz64(unsigned long long x) noexcept nogil
    int tc_sim_ctz64(unsigned long long x) noexcept nogil
    int tc_sim_popcount64(unsigned long long x) noexcept nogil

cdef enum:
    RING = 65536             # ticks held by the book ring (a power of two)
    RING_MASK = 65535
    NWORDS = 1024            # 64-bit words of the occupancy bitmap per side
    WORD_MASK = 1023
    SCAN_LIMIT = 32896       # RING / 2 + 128: no resting order is farther from the touch
    BID = 0
    ASK = 1
    MAX_VIEWS = 3
    MAX_SNAP = 2
    SNAP_MAX_DEPTH = 5

# OKX resends / heartbeats a channel after ~60 s without a change (OKX §1.5)
cdef int64_t HEARTBEAT_NS = 60000000000

# channel ids, shared with market.py (CHANNEL_IDS there)
CH_BOOKS = 0
CH_BOOKS_L2_TBT = 1
CH_BOOKS50_L2_TBT = 2
CH_BOOKS5 = 3
CH_BBO_TBT = 4
CH_TRADES = 5

# ----------------------------------------------------------------------------------------------
# xoshiro256** (Blackman & Vigna 2018), seeded with splitmix64
# ----------------------------------------------------------------------------------------------

cdef inline uint64_t rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t splitmix64(uint64_t* state) noexcept nogil:
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef struct Level:
    int64_t tick
    int64_t size
    int32_t count


cdef int cmp_level_asc(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<Level*>a).tick
    cdef int64_t y = (<Level*>b).tick
    return (x > y) - (x < y)


cdef int cmp_level_desc(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<Level*>a).tick
    cdef int64_t y = (<Level*>b).tick
    return (x < y) - (x > y)


cdef struct IncView:
    # An incremental 400- (or 50-) level view: "books", "books-l2-tbt", "books50-l2-tbt".
    int enabled
    int channel
    int depth
    int64_t interval_ns      # 0: publish after every event (tick by tick)
    int64_t next_due_ns
    int64_t last_frame_ns
    int64_t last_seq
    int started
    int64_t* pub_size        # 2 * RING, published size per side and slot (0 = not published)
    int32_t* pub_count
    uint8_t* dirty
    int64_t* dirty_ticks     # 2 * dirty_cap
    int64_t n_dirty[2]
    int64_t dirty_cap
    int64_t pub_worst[2]     # worst published tick per side
    int pub_has[2]


cdef struct SnapView:
    # A snapshot-only view: "books5" (5 levels, 100 ms) or "bbo-tbt" (1 level, 10 ms).
    int enabled
    int channel
    int depth
    int64_t interval_ns
    int64_t next_due_ns
    int64_t last_frame_ns
    int started
    int n_last[2]
    Level last[2][SNAP_MAX_DEPTH]


cdef class Engine:
    """The simulated market's state and event loop (private; see ``tradecost.sim.market``)."""

    cdef uint64_t rng[4]
    cdef int64_t* size
    cdef int32_t* count
    cdef int32_t* fen
    cdef uint64_t* occ
    cdef int64_t best[2]
    cdef int64_t n_levels[2]
    cdef int64_t n_orders[2]
    cdef int64_t ref_tick

    cdef double limit_rate
    cdef double cancel_rate
    cdef double market_rate
    cdef double lim_scale
    cdef double lim_inv_alpha
    cdef int64_t lim_min
    cdef int64_t lim_max
    cdef double mkt_scale
    cdef double mkt_inv_alpha
    cdef int64_t mkt_min
    cdef int64_t mkt_max
    cdef double lots_per_unit
    cdef int max_distance
    cdef int n_regimes
    cdef double* alias_prob
    cdef int32_t* alias_idx
    cdef double* reg_activity
    cdef double* reg_aggression
    cdef double* reg_duration
    cdef double* reg_volatility
    cdef double fair
    cdef double jump_rate
    cdef double jump_mean
    cdef double volatility
    cdef double pull_rate
    cdef double taker_bias
    cdef int regime
    cdef double log_activity
    cdef double ou_kappa
    cdef double ou_sigma
    cdef int64_t regime_step_ns
    cdef int64_t next_regime_ns
    cdef double activity
    cdef double aggression
    cdef int64_t purge_distance

    cdef int64_t now_ns
    cdef int64_t next_event_ns
    cdef int64_t epoch_ns
    cdef int64_t seq
    cdef int64_t trade_id
    cdef int64_t n_events
    cdef int64_t n_trades
    cdef int64_t seq_reset_interval_ns
    cdef int64_t next_seq_reset_ns
    cdef int64_t seq_reset_to

    cdef IncView views[MAX_VIEWS]
    cdef SnapView snaps[MAX_SNAP]
    cdef int trades_enabled
    cdef int checksum_enabled

    cdef char* out
    cdef Py_ssize_t out_len
    cdef Py_ssize_t out_cap
    cdef int64_t* frame_off
    cdef int64_t* frame_ts
    cdef int32_t* frame_channel
    cdef Py_ssize_t n_frames
    cdef Py_ssize_t frames_cap
    cdef Level* scratch
    cdef Py_ssize_t scratch_cap

    cdef int price_places
    cdef int64_t price_mult
    cdef int size_places
    cdef int64_t size_mult
    cdef bytes inst_id
    cdef list prefixes

    def __cinit__(self):
        self.size = <int64_t*>calloc(2 * RING, sizeof(int64_t))
        self.count = <int32_t*>calloc(2 * RING, sizeof(int32_t))
        self.fen = <int32_t*>calloc(2 * (RING + 1), sizeof(int32_t))
        self.occ = <uint64_t*>calloc(2 * NWORDS, sizeof(uint64_t))
        self.out_cap = 1 << 20
        self.out = <char*>malloc(self.out_cap)
        self.frames_cap = 1024
        self.frame_off = <int64_t*>malloc((self.frames_cap + 1) * sizeof(int64_t))
        self.frame_ts = <int64_t*>malloc(self.frames_cap * sizeof(int64_t))
        self.frame_channel = <int32_t*>malloc(self.frames_cap * sizeof(int32_t))
        self.scratch_cap = 4096
        self.scratch = <Level*>malloc(self.scratch_cap * sizeof(Level))
        memset(self.views, 0, sizeof(self.views))
        memset(self.snaps, 0, sizeof(self.snaps))
        if (self.size == NULL or self.count == NULL or self.fen == NULL or self.occ == NULL
                or self.out == NULL or self.frame_off == NULL or self.frame_ts == NULL
                or self.frame_channel == NULL or self.scratch == NULL):
            raise MemoryError()

    def __dealloc__(self):
        cdef int v
        free(self.size)
        free(self.count)
        free(self.fen)
        free(self.occ)
        free(self.out)
        free(self.frame_off)
        free(self.frame_ts)
        free(self.frame_channel)
        free(self.scratch)
        free(self.alias_prob)
        free(self.alias_idx)
        free(self.reg_activity)
        free(self.reg_aggression)
        free(self.reg_duration)
        free(self.reg_volatility)
        for v in range(MAX_VIEWS):
            self._free_view(&self.views[v])

    cdef void _free_view(self, IncView* view) noexcept:
        free(view.pub_size)
        free(view.pub_count)
        free(view.dirty)
        free(view.dirty_ticks)
        view.pub_size = NULL
        view.pub_count = NULL
        view.dirty = NULL
        view.dirty_ticks = NULL

    def __init__(
        self,
        uint64_t seed,
        dict model,
        const double[::1] alias_prob,
        const int32_t[::1] alias_idx,
        const double[::1] reg_activity,
        const double[::1] reg_aggression,
        const double[::1] reg_duration,
        const double[::1] reg_volatility,
        int64_t initial_tick,
        int price_places,
        int64_t price_mult,
        int size_places,
        int64_t size_mult,
        bytes inst_id,
        int64_t epoch_ns,
    ):
        """Set up the model. ``model`` holds floats already validated by MarketParams."""
        cdef uint64_t sm = seed
        cdef int i
        cdef Py_ssize_t n
        for i in range(4):
            self.rng[i] = splitmix64(&sm)
        self.limit_rate = model["limit_rate"]
        self.cancel_rate = model["cancel_rate"]
        self.market_rate = model["market_rate"]
        self.lots_per_unit = model["lots_per_unit"]
        self.lim_inv_alpha = 1.0 / model["limit_size_tail"]
        self.lim_scale = model["limit_size_median"] / (pow(2.0, self.lim_inv_alpha) - 1.0)
        self.lim_min = <int64_t>model["min_lots"]
        self.lim_max = <int64_t>model["limit_size_max_lots"]
        self.mkt_inv_alpha = 1.0 / model["market_size_tail"]
        self.mkt_scale = model["market_size_median"] / (pow(2.0, self.mkt_inv_alpha) - 1.0)
        self.mkt_min = <int64_t>model["min_lots"]
        self.mkt_max = <int64_t>model["market_size_max_lots"]
        self.max_distance = <int>model["max_distance"]
        self.n_regimes = <int>reg_activity.shape[0]
        self.ou_kappa = model["activity_reversion"]
        self.ou_sigma = model["activity_volatility"]
        self.regime_step_ns = <int64_t>(model["regime_step_s"] * 1e9)
        self.purge_distance = RING // 2 - 2 * self.max_distance - 1024
        self.seq = <int64_t>model["first_seq_id"]
        self.trade_id = <int64_t>model["first_trade_id"]
        self.seq_reset_interval_ns = <int64_t>(model["seq_reset_interval_s"] * 1e9)
        self.next_seq_reset_ns = self.seq_reset_interval_ns
        self.seq_reset_to = <int64_t>model["seq_reset_to"]

        n = alias_prob.shape[0]
        self.alias_prob = <double*>malloc(n * sizeof(double))
        self.alias_idx = <int32_t*>malloc(n * sizeof(int32_t))
        self.reg_activity = <double*>malloc(self.n_regimes * sizeof(double))
        self.reg_aggression = <double*>malloc(self.n_regimes * sizeof(double))
        self.reg_duration = <double*>malloc(self.n_regimes * sizeof(double))
        self.reg_volatility = <double*>malloc(self.n_regimes * sizeof(double))
        if (self.alias_prob == NULL or self.alias_idx == NULL or self.reg_activity == NULL
                or self.reg_aggression == NULL or self.reg_duration == NULL
                or self.reg_volatility == NULL):
            raise MemoryError()
        for i in range(n):
            self.alias_prob[i] = alias_prob[i]
            self.alias_idx[i] = alias_idx[i]
        for i in range(self.n_regimes):
            self.reg_activity[i] = reg_activity[i]
            self.reg_aggression[i] = reg_aggression[i]
            self.reg_duration[i] = reg_duration[i]
            self.reg_volatility[i] = reg_volatility[i]
        self.jump_rate = model["jump_rate"]
        self.jump_mean = model["jump_mean_ticks"]
        self.pull_rate = model["pull_rate"]
        self.taker_bias = model["taker_bias_ticks"]
        self.fair = initial_tick + 0.5
        self.regime = <int>model["initial_regime"]
        self.log_activity = 0.0
        self._refresh_activity()

        self.price_places = price_places
        self.price_mult = price_mult
        self.size_places = size_places
        self.size_mult = size_mult
        self.inst_id = inst_id
        self.epoch_ns = epoch_ns
        self.best[BID] = -1
        self.best[ASK] = -1
        self.ref_tick = initial_tick
        self.now_ns = 0
        self.next_regime_ns = self.regime_step_ns
        self._seed_book(model["initial_orders"])
        self._schedule_next_event()

    # ------------------------------------------------------------------------------------------
    # random numbers
    # ------------------------------------------------------------------------------------------

    cdef inline uint64_t _next(self) noexcept nogil:
        cdef uint64_t result = rotl(self.rng[1] * 5, 7) * 9
        cdef uint64_t t = self.rng[1] << 17
        self.rng[2] ^= self.rng[0]
        self.rng[3] ^= self.rng[1]
        self.rng[1] ^= self.rng[2]
        self.rng[0] ^= self.rng[3]
        self.rng[2] ^= t
        self.rng[3] = rotl(self.rng[3], 45)
        return result

    cdef inline double _uniform(self) noexcept nogil:
        """Uniform on (0, 1): never exactly 0, so log() is finite."""
        return ((self._next() >> 11) + 0.5) * (1.0 / 9007199254740992.0)

    cdef inline double _normal(self) noexcept nogil:
        cdef double u1 = self._uniform()
        cdef double u2 = self._uniform()
        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2)

    cdef inline int64_t _lomax_lots(self, double scale, double inv_alpha, int64_t lo,
                                    int64_t hi) noexcept nogil:
        # Lomax (Pareto II): P(X > x) = (1 + x/scale)^-alpha; heavy tail with exponent alpha.
        cdef double x = scale * (pow(self._uniform(), -inv_alpha) - 1.0)
        cdef double lots = x * self.lots_per_unit
        if lots < lo:
            return lo
        if lots > hi:
            return hi
        return <int64_t>(lots + 0.5)

    cdef inline int _distance(self) noexcept nogil:
        # Walker/Vose alias table of λ(d) for the current regime: d in 1..max_distance.
        cdef int64_t base = <int64_t>self.regime * self.max_distance
        cdef int64_t k = <int64_t>(self._uniform() * self.max_distance)
        if k >= self.max_distance:
            k = self.max_distance - 1
        if self._uniform() < self.alias_prob[base + k]:
            return <int>k + 1
        return self.alias_idx[base + k] + 1

    # ------------------------------------------------------------------------------------------
    # the book: ring of ticks, occupancy bitmap, Fenwick tree of order counts
    # ------------------------------------------------------------------------------------------

    cdef inline void _fen_add(self, int side, int64_t slot, int32_t delta) noexcept nogil:
        cdef int32_t* f = self.fen + side * (RING + 1)
        cdef int64_t i = slot + 1
        while i <= RING:
            f[i] += delta
            i += i & (-i)

    cdef inline int64_t _fen_select(self, int side, int64_t k) noexcept nogil:
        """Slot holding the k-th resting order (1-based) of a side."""
        cdef int32_t* f = self.fen + side * (RING + 1)
        cdef int64_t pos = 0
        cdef int64_t step = RING
        cdef int64_t nxt
        while step > 0:
            nxt = pos + step
            if nxt <= RING and f[nxt] < k:
                pos = nxt
                k -= f[nxt]
            step >>= 1
        return pos

    cdef inline int64_t _slot_tick(self, int64_t slot) noexcept nogil:
        cdef int64_t lo = self.ref_tick - RING // 2
        return lo + ((slot - lo) & RING_MASK)

    cdef inline bint _occupied(self, int side, int64_t tick) noexcept nogil:
        cdef uint64_t w = self.occ[side * NWORDS + ((tick >> 6) & WORD_MASK)]
        return (w >> (tick & 63)) & 1

    cdef inline void _set_occ(self, int side, int64_t tick, bint on) noexcept nogil:
        cdef uint64_t* w = self.occ + side * NWORDS + ((tick >> 6) & WORD_MASK)
        if on:
            w[0] |= (<uint64_t>1) << (tick & 63)
        else:
            w[0] &= ~((<uint64_t>1) << (tick & 63))

    cdef int64_t _scan_down(self, int side, int64_t tick, int64_t limit) noexcept nogil:
        """Highest occupied tick <= tick, looking at most ``limit`` ticks down; -1 if none."""
        cdef uint64_t* occ = self.occ + side * NWORDS
        cdef int64_t base = tick & ~(<int64_t>63)
        cdef int b = tick & 63
        cdef uint64_t word = occ[(tick >> 6) & WORD_MASK] & ((~(<uint64_t>0)) >> (63 - b))
        while True:
            if word:
                return base + 63 - tc_sim_clz64(word)
            base -= 64
            if base + 63 < tick - limit:
                return -1
            word = occ[(base >> 6) & WORD_MASK]

    cdef int64_t _scan_up(self, int side, int64_t tick, int64_t limit) noexcept nogil:
        """Lowest occupied tick >= tick, looking at most ``limit`` ticks up; -1 if none."""
        cdef uint64_t* occ = self.occ + side * NWORDS
        cdef int64_t base = tick & ~(<int64_t>63)
        cdef int b = tick & 63
        cdef uint64_t word = occ[(tick >> 6) & WORD_MASK] & ((~(<uint64_t>0)) << b)
        while True:
            if word:
                return base + tc_sim_ctz64(word)
            base += 64
            if base > tick + limit:
                return -1
            word = occ[(base >> 6) & WORD_MASK]

    cdef int64_t _next_level(self, int side, int64_t tick) noexcept nogil:
        """The next level away from the touch after ``tick`` (-1 if none)."""
        if side == BID:
            return self._scan_down(BID, tick - 1, SCAN_LIMIT)
        return self._scan_up(ASK, tick + 1, SCAN_LIMIT)

    cdef int64_t _window_worst(self, int side, int depth) noexcept nogil:
        """Tick of the depth-th level from the touch (or the last level); -1 if a side is empty."""
        cdef uint64_t* occ = self.occ + side * NWORDS
        cdef int64_t tick = self.best[side]
        cdef int64_t remaining = depth
        cdef int64_t base
        cdef int b, pc
        cdef uint64_t word
        cdef int64_t scanned = 0
        cdef int64_t last = -1
        if tick < 0:
            return -1
        base = tick & ~(<int64_t>63)
        b = tick & 63
        if side == BID:
            word = occ[(tick >> 6) & WORD_MASK] & ((~(<uint64_t>0)) >> (63 - b))
        else:
            word = occ[(tick >> 6) & WORD_MASK] & ((~(<uint64_t>0)) << b)
        while scanned <= SCAN_LIMIT:
            if word:
                pc = tc_sim_popcount64(word)
                if pc >= remaining:
                    # the remaining-th set bit from the touch side of this word
                    while True:
                        if side == BID:
                            last = base + 63 - tc_sim_clz64(word)
                            word &= ~((<uint64_t>1) << (last - base))
                        else:
                            last = base + tc_sim_ctz64(word)
                            word &= word - 1
                        remaining -= 1
                        if remaining == 0:
                            return last
                remaining -= pc
                if side == BID:
                    last = base + tc_sim_ctz64(word)
                else:
                    last = base + 63 - tc_sim_clz64(word)
            if side == BID:
                base -= 64
            else:
                base += 64
            scanned += 64
            word = occ[(base >> 6) & WORD_MASK]
        return last

    cdef inline void _mark_dirty(self, int side, int64_t tick) noexcept nogil:
        cdef int v
        cdef IncView* view
        cdef int64_t slot = tick & RING_MASK
        for v in range(MAX_VIEWS):
            view = &self.views[v]
            if view.enabled and view.started and not view.dirty[side * RING + slot]:
                view.dirty[side * RING + slot] = 1
                if view.n_dirty[side] >= view.dirty_cap:
                    self._grow_dirty(view)
                view.dirty_ticks[side * view.dirty_cap + view.n_dirty[side]] = tick
                view.n_dirty[side] += 1

    cdef void _grow_dirty(self, IncView* view) noexcept nogil:
        cdef int64_t cap = view.dirty_cap * 2
        cdef int64_t* ticks = <int64_t*>malloc(2 * cap * sizeof(int64_t))
        if ticks == NULL:
            abort()
        memcpy(ticks, view.dirty_ticks, view.n_dirty[BID] * sizeof(int64_t))
        memcpy(ticks + cap, view.dirty_ticks + view.dirty_cap, view.n_dirty[ASK] * sizeof(int64_t))
        free(view.dirty_ticks)
        view.dirty_ticks = ticks
        view.dirty_cap = cap

    cdef void _add_order(self, int side, int64_t tick, int64_t lots) noexcept nogil:
        cdef int64_t i = side * RING + (tick & RING_MASK)
        if self.count[i] == 0:
            self._set_occ(side, tick, True)
            self.n_levels[side] += 1
            if self.best[side] < 0 or (side == BID and tick > self.best[side]) or (
                    side == ASK and tick < self.best[side]):
                self.best[side] = tick
                self._update_ref()
        self.size[i] += lots
        self.count[i] += 1
        self.n_orders[side] += 1
        self._fen_add(side, tick & RING_MASK, 1)
        self._mark_dirty(side, tick)

    cdef void _reduce_level(self, int side, int64_t tick, int64_t lots,
                            int32_t orders) noexcept nogil:
        """Take ``lots`` and ``orders`` off a level; an emptied level is removed."""
        cdef int64_t i = side * RING + (tick & RING_MASK)
        if lots >= self.size[i] or orders >= self.count[i]:
            lots = self.size[i]
            orders = self.count[i]
        self.size[i] -= lots
        self.count[i] -= orders
        self.n_orders[side] -= orders
        self._fen_add(side, tick & RING_MASK, -orders)
        self._mark_dirty(side, tick)
        if self.count[i] == 0:
            self.size[i] = 0
            self._set_occ(side, tick, False)
            self.n_levels[side] -= 1
            if tick == self.best[side]:
                if self.n_levels[side] == 0:
                    self.best[side] = -1
                else:
                    self.best[side] = self._next_level(side, tick)
                self._update_ref()

    cdef inline void _update_ref(self) noexcept nogil:
        if self.best[BID] >= 0 and self.best[ASK] >= 0:
            self.ref_tick = (self.best[BID] + self.best[ASK]) // 2

    # ------------------------------------------------------------------------------------------
    # order flow
    # ------------------------------------------------------------------------------------------

    cdef void _seed_book(self, double orders_per_side) noexcept:
        """Start near the stationary state: each side gets Poisson(λ(d)/θ)-like order counts."""
        cdef int side
        cdef int64_t n = <int64_t>orders_per_side
        cdef int64_t tick
        cdef int d
        while n > 0:
            n -= 1
            for side in range(2):
                d = self._distance()
                tick = self._placement(side, d)
                if tick > 0:
                    self._add_order(
                        side, tick,
                        self._lomax_lots(self.lim_scale, self.lim_inv_alpha, self.lim_min,
                                         self.lim_max))

    cdef inline void _refresh_activity(self) noexcept nogil:
        self.activity = exp(self.log_activity) * self.reg_activity[self.regime]
        self.aggression = self.reg_aggression[self.regime]
        self.volatility = self.reg_volatility[self.regime]

    cdef inline int64_t _placement(self, int side, int d) noexcept nogil:
        """Price tick of a new limit order ``d`` ticks from the efficient price, never crossing."""
        cdef int64_t anchor = <int64_t>self.fair  # fair > 0: truncation is floor
        cdef int64_t tick
        if side == BID:
            tick = anchor - d + 1
            if self.best[ASK] >= 0 and tick >= self.best[ASK]:
                tick = self.best[ASK] - 1
        else:
            tick = anchor + d
            if self.best[BID] >= 0 and tick <= self.best[BID]:
                tick = self.best[BID] + 1
        return tick

    cdef inline double _staleness(self, int side) noexcept nogil:
        """Ticks by which a side's touch is on the wrong side of the efficient price (>= 0)."""
        cdef double gap
        if self.best[side] < 0:
            return 0.0
        if side == ASK:
            gap = self.fair - self.best[ASK] - 0.5
        else:
            gap = self.best[BID] - self.fair - 0.5
        return gap if gap > 0.0 else 0.0

    cdef inline double _total_rate(self) noexcept nogil:
        return self.activity * (
            2.0 * self.limit_rate
            + self.cancel_rate * (self.n_orders[BID] + self.n_orders[ASK])
            + 2.0 * self.market_rate * self.aggression
            + self.pull_rate * (self._staleness(BID) + self._staleness(ASK))) + (
            self.jump_rate * self.volatility * self.volatility)

    cdef void _schedule_next_event(self) noexcept nogil:
        cdef double rate = self._total_rate()
        cdef double dt = -log(self._uniform()) / rate
        cdef int64_t dns = <int64_t>(dt * 1e9)
        if dns < 1:
            dns = 1
        self.next_event_ns = self.now_ns + dns

    cdef void _regime_step(self) noexcept nogil:
        """Ornstein–Uhlenbeck step of the log activity, Markov switch of the regime, purge."""
        cdef double dt = self.regime_step_ns * 1e-9
        cdef double decay = exp(-self.ou_kappa * dt)
        cdef double sd
        cdef double leave
        if self.ou_kappa > 0:
            sd = self.ou_sigma * sqrt((1.0 - decay * decay) / (2.0 * self.ou_kappa))
        else:
            sd = self.ou_sigma * sqrt(dt)
        self.log_activity = self.log_activity * decay + sd * self._normal()
        if self.n_regimes > 1:
            leave = 1.0 - exp(-dt / self.reg_duration[self.regime])
            if self._uniform() < leave:
                if self.regime == 0:
                    self.regime = 1
                elif self.regime == self.n_regimes - 1:
                    self.regime = self.n_regimes - 2
                elif self._uniform() < 0.5:
                    self.regime -= 1
                else:
                    self.regime += 1
        self._refresh_activity()
        self._purge_far()

    cdef void _purge_far(self) noexcept nogil:
        """Drop levels over ``purge_distance`` ticks from the mid (keeps the ring unambiguous)."""
        cdef int64_t tick, i
        cdef int64_t lo = self.ref_tick - self.purge_distance
        cdef int64_t hi = self.ref_tick + self.purge_distance
        tick = self._scan_down(BID, lo - 1, RING // 2 - self.purge_distance)
        while tick >= 0 and tick > self.ref_tick - RING // 2:
            i = BID * RING + (tick & RING_MASK)
            self._reduce_level(BID, tick, self.size[i], self.count[i])
            tick = self._scan_down(BID, tick - 1, tick - (self.ref_tick - RING // 2))
        tick = self._scan_up(ASK, hi + 1, RING // 2 - self.purge_distance)
        while tick >= 0 and tick < self.ref_tick + RING // 2:
            i = ASK * RING + (tick & RING_MASK)
            self._reduce_level(ASK, tick, self.size[i], self.count[i])
            tick = self._scan_up(ASK, tick + 1, self.ref_tick + RING // 2 - tick)

    cdef void _do_event(self) noexcept:
        cdef double rate_limit = 2.0 * self.limit_rate
        cdef double rate_cancel_bid = self.cancel_rate * self.n_orders[BID]
        cdef double rate_cancel_ask = self.cancel_rate * self.n_orders[ASK]
        cdef double rate_market = 2.0 * self.market_rate * self.aggression
        cdef double stale_bid = self.pull_rate * self._staleness(BID)
        cdef double stale_ask = self.pull_rate * self._staleness(ASK)
        cdef double rate_jump = self.jump_rate * self.volatility * self.volatility / self.activity
        cdef double u = self._uniform() * (
            rate_limit + rate_cancel_bid + rate_cancel_ask + rate_market + stale_bid + stale_ask
            + rate_jump)
        cdef int side
        cdef int d
        cdef double lean
        cdef int64_t tick, slot, i, lots
        if u < rate_jump:
            # news: the efficient price jumps (not an order-flow event; the book is unchanged)
            if self._uniform() < 0.5:
                self.fair += self.jump_mean * -log(self._uniform())
            else:
                self.fair -= self.jump_mean * -log(self._uniform())
            if self.fair < 1.0:
                self.fair = 1.0
            return
        u -= rate_jump
        self.n_events += 1
        self.seq += 1
        if u < stale_bid + stale_ask:
            # a liquidity provider pulls the stale touch (the whole level at that price)
            side = BID if u < stale_bid else ASK
            tick = self.best[side]
            i = side * RING + (tick & RING_MASK)
            self._reduce_level(side, tick, self.size[i], self.count[i])
            return
        u -= stale_bid + stale_ask
        if u < rate_limit:
            side = BID if u < 0.5 * rate_limit else ASK
            d = self._distance()
            tick = self._placement(side, d)
            if tick <= 0:
                return
            self._add_order(
                side, tick,
                self._lomax_lots(self.lim_scale, self.lim_inv_alpha, self.lim_min, self.lim_max))
            return
        u -= rate_limit
        if u < rate_cancel_bid + rate_cancel_ask:
            side = BID if u < rate_cancel_bid else ASK
            if self.n_orders[side] == 0:
                return
            slot = self._fen_select(side, 1 + <int64_t>(self._uniform() * self.n_orders[side]))
            if slot >= RING:
                return
            tick = self._slot_tick(slot)
            i = side * RING + slot
            # one order of average size leaves the queue (the model is L2: orders within a
            # level are exchangeable)
            lots = self.size[i] // self.count[i]
            if self.count[i] == 1 or lots < 1:
                lots = self.size[i] if self.count[i] == 1 else 1
            self._reduce_level(side, tick, lots, 1)
            return
        # takers lean towards the efficient price: buy with probability 1/(1 + e^-(fair-mid)/b)
        lean = 0.0
        if self.best[BID] >= 0 and self.best[ASK] >= 0 and self.taker_bias > 0.0:
            lean = (self.fair - 0.5 * (self.best[BID] + self.best[ASK])) / self.taker_bias
            if lean > 30.0:
                lean = 30.0
            elif lean < -30.0:
                lean = -30.0
        side = BID if self._uniform() * (1.0 + exp(-lean)) < 1.0 else ASK  # BID = buy
        self._market_order(side)

    cdef void _market_order(self, int taker) noexcept:
        """A market order of the taker side sweeps the opposite side from the touch outwards."""
        cdef int maker = ASK if taker == BID else BID
        cdef int64_t want = self._lomax_lots(self.mkt_scale, self.mkt_inv_alpha, self.mkt_min,
                                             self.mkt_max)
        cdef int64_t tick, i, take, avg, full
        cdef int32_t matches
        while want > 0 and self.best[maker] >= 0:
            tick = self.best[maker]
            i = maker * RING + (tick & RING_MASK)
            if want >= self.size[i]:
                take = self.size[i]
                full = self.count[i]
                matches = self.count[i]
            else:
                take = want
                avg = self.size[i] // self.count[i]
                if avg < 1:
                    avg = 1
                full = take // avg
                if full > self.count[i] - 1:
                    full = self.count[i] - 1
                matches = <int32_t>(full + (1 if take > full * avg else 0))
                if matches < 1:
                    matches = 1
            self.n_trades += 1
            self.trade_id += 1
            if self.trades_enabled:
                self._write_trade(taker, tick, take, matches)
            if take == self.size[i]:
                self._reduce_level(maker, tick, take, self.count[i])
            else:
                # a partial fill removes the fully filled orders; the queue keeps the rest
                self._reduce_level_partial(maker, tick, take, <int32_t>full)
            want -= take

    cdef void _reduce_level_partial(self, int side, int64_t tick, int64_t lots,
                                    int32_t orders) noexcept nogil:
        cdef int64_t i = side * RING + (tick & RING_MASK)
        self.size[i] -= lots
        if orders > 0:
            self.count[i] -= orders
            self.n_orders[side] -= orders
            self._fen_add(side, tick & RING_MASK, -orders)
        self._mark_dirty(side, tick)

    # ------------------------------------------------------------------------------------------
    # output buffer and number formatting (OKX strings: no exponent, no trailing zeros)
    # ------------------------------------------------------------------------------------------

    cdef inline void _reserve(self, Py_ssize_t extra) noexcept:
        cdef Py_ssize_t cap
        cdef char* buf
        if self.out_len + extra <= self.out_cap:
            return
        cap = self.out_cap * 2
        while cap < self.out_len + extra:
            cap *= 2
        buf = <char*>realloc(self.out, cap)
        if buf == NULL:
            abort()  # out of memory while formatting: nothing sensible can continue
        self.out = buf
        self.out_cap = cap

    cdef inline void _put(self, const char* s, Py_ssize_t n) noexcept:
        self._reserve(n)
        memcpy(self.out + self.out_len, s, n)
        self.out_len += n

    cdef inline void _puts(self, const char* s) noexcept:
        self._put(s, strlen(s))

    cdef inline void _put_bytes(self, bytes b) noexcept:
        self._put(<const char*>b, len(b))

    cdef inline void _put_char(self, char c) noexcept:
        self._reserve(1)
        self.out[self.out_len] = c
        self.out_len += 1

    cdef void _put_int(self, int64_t value) noexcept:
        cdef char tmp[24]
        cdef int n = format_int(tmp, value)
        self._put(tmp, n)

    cdef void _put_decimal(self, int64_t units, int places) noexcept:
        cdef char tmp[48]
        cdef int n = format_decimal_trimmed(tmp, units, places)
        self._put(tmp, n)

    cdef void _begin_frame(self, int channel) noexcept:
        cdef Py_ssize_t cap
        if self.n_frames >= self.frames_cap:
            cap = self.frames_cap * 2
            self.frame_off = <int64_t*>realloc(self.frame_off, (cap + 1) * sizeof(int64_t))
            self.frame_ts = <int64_t*>realloc(self.frame_ts, cap * sizeof(int64_t))
            self.frame_channel = <int32_t*>realloc(self.frame_channel, cap * sizeof(int32_t))
            if self.frame_off == NULL or self.frame_ts == NULL or self.frame_channel == NULL:
                abort()
            self.frames_cap = cap
        self.frame_off[self.n_frames] = self.out_len
        self.frame_ts[self.n_frames] = self.now_ns
        self.frame_channel[self.n_frames] = channel
        self._put_bytes(<bytes>self.prefixes[channel])

    cdef inline void _end_frame(self) noexcept:
        self.n_frames += 1
        self.frame_off[self.n_frames] = self.out_len

    cdef void _put_level(self, int64_t tick, int64_t lots, int32_t orders) noexcept:
        self._puts(b'["')
        self._put_decimal(tick * self.price_mult, self.price_places)
        self._puts(b'","')
        self._put_decimal(lots * self.size_mult, self.size_places)
        self._puts(b'","0","')
        self._put_int(orders)
        self._puts(b'"]')

    cdef void _put_ts(self) noexcept:
        self._puts(b'"ts":"')
        self._put_int((self.epoch_ns + self.now_ns) // 1000000)
        self._put_char(b'"')

    cdef void _write_trade(self, int taker, int64_t tick, int64_t lots, int32_t matches) noexcept:
        self._begin_frame(CH_TRADES)
        self._puts(b'"data":[{"instId":"')
        self._put_bytes(self.inst_id)
        self._puts(b'","tradeId":"')
        self._put_int(self.trade_id)
        self._puts(b'","px":"')
        self._put_decimal(tick * self.price_mult, self.price_places)
        self._puts(b'","sz":"')
        self._put_decimal(lots * self.size_mult, self.size_places)
        if taker == BID:
            self._puts(b'","side":"buy",')
        else:
            self._puts(b'","side":"sell",')
        self._put_ts()
        self._puts(b',"count":"')
        self._put_int(matches)
        self._puts(b'","source":"0","seqId":')
        self._put_int(self.seq)
        self._puts(b'}]}')
        self._end_frame()

    # ------------------------------------------------------------------------------------------
    # views
    # ------------------------------------------------------------------------------------------

    cdef int _checksum(self) noexcept:
        """OKX CRC32 of the top 25 levels, ``bid:size:ask:size`` interleaved, signed int32."""
        cdef char buf[4096]
        cdef int n = 0
        cdef int levels = 25
        cdef int64_t tick[2]
        cdef int64_t i
        cdef int side
        tick[BID] = self.best[BID]
        tick[ASK] = self.best[ASK]
        while levels > 0:
            levels -= 1
            for side in range(2):
                if tick[side] < 0:
                    continue
                i = side * RING + (tick[side] & RING_MASK)
                if n:
                    buf[n] = b':'
                    n += 1
                n += format_decimal_trimmed(buf + n, tick[side] * self.price_mult,
                                            self.price_places)
                buf[n] = b':'
                n += 1
                n += format_decimal_trimmed(buf + n, self.size[i] * self.size_mult,
                                            self.size_places)
                tick[side] = self._next_level(side, tick[side])
        return <int>(<int32_t>crc32(buf, n))

    cdef Py_ssize_t _collect_window(self, int side, int depth) noexcept:
        """Top ``depth`` levels of a side into scratch (best first); returns how many."""
        cdef int64_t tick = self.best[side]
        cdef Py_ssize_t n = 0
        cdef int64_t i
        self._reserve_scratch(depth)
        while tick >= 0 and n < depth:
            i = side * RING + (tick & RING_MASK)
            self.scratch[n].tick = tick
            self.scratch[n].size = self.size[i]
            self.scratch[n].count = self.count[i]
            n += 1
            tick = self._next_level(side, tick)
        return n

    cdef void _reserve_scratch(self, Py_ssize_t n) noexcept:
        cdef Level* s
        cdef Py_ssize_t cap = 2 * self.scratch_cap
        if n <= self.scratch_cap:
            return
        if cap < n:
            cap = n
        s = <Level*>realloc(self.scratch, cap * sizeof(Level))
        if s == NULL:
            abort()
        self.scratch = s
        self.scratch_cap = cap

    cdef void _start_view(self, IncView* view) noexcept:
        """Publish the view's snapshot (action "snapshot", prevSeqId -1) and start tracking it."""
        cdef int side
        cdef Py_ssize_t n, k
        cdef int64_t i
        memset(view.pub_size, 0, 2 * RING * sizeof(int64_t))
        memset(view.pub_count, 0, 2 * RING * sizeof(int32_t))
        memset(view.dirty, 0, 2 * RING * sizeof(uint8_t))
        view.n_dirty[BID] = 0
        view.n_dirty[ASK] = 0
        self._begin_frame(view.channel)
        self._puts(b'"action":"snapshot","data":[{')
        for side in (ASK, BID):
            self._puts(b'"asks":[' if side == ASK else b',"bids":[')
            n = self._collect_window(side, view.depth)
            for k in range(n):
                if k:
                    self._put_char(b',')
                self._put_level(self.scratch[k].tick, self.scratch[k].size, self.scratch[k].count)
                i = side * RING + (self.scratch[k].tick & RING_MASK)
                view.pub_size[i] = self.scratch[k].size
                view.pub_count[i] = self.scratch[k].count
            view.pub_has[side] = n > 0
            view.pub_worst[side] = self.scratch[n - 1].tick if n > 0 else -1
            self._put_char(b']')
        self._put_char(b',')
        self._put_ts()
        self._puts(b',"checksum":')
        self._put_int(self._checksum() if self.checksum_enabled else 0)
        self._puts(b',"prevSeqId":-1,"seqId":')
        self._put_int(self.seq)
        self._puts(b'}]}')
        self._end_frame()
        view.last_seq = self.seq
        view.last_frame_ns = self.now_ns
        view.started = 1

    cdef inline bint _emit_check(self, IncView* view, int side, int64_t tick, int64_t worst,
                                 Py_ssize_t* n) noexcept:
        cdef int64_t i = side * RING + (tick & RING_MASK)
        cdef int64_t cur_size = 0
        cdef int32_t cur_count = 0
        cdef bint inside
        if self.count[i] > 0 and worst >= 0:
            inside = tick >= worst if side == BID else tick <= worst
            if inside:
                cur_size = self.size[i]
                cur_count = self.count[i]
        if cur_size == view.pub_size[i] and cur_count == view.pub_count[i]:
            return False
        self._reserve_scratch(n[0] + 1)
        self.scratch[n[0]].tick = tick
        self.scratch[n[0]].size = cur_size
        self.scratch[n[0]].count = cur_count
        n[0] += 1
        view.pub_size[i] = cur_size
        view.pub_count[i] = cur_count
        return True

    cdef Py_ssize_t _diff_side(self, IncView* view, int side, Py_ssize_t start) noexcept:
        """Append to scratch (from ``start``) the level changes of one side; sorted best first."""
        cdef Py_ssize_t n = start
        cdef int64_t worst = self._window_worst(side, view.depth)
        cdef int64_t lo, hi, tick, k
        cdef int64_t* ticks = view.dirty_ticks + side * view.dirty_cap
        # levels that crossed the window's far edge (evictions and refills, OKX §1.4)
        if view.pub_has[side] or worst >= 0:
            if not view.pub_has[side]:
                lo = worst
                hi = self.best[side]
            elif worst < 0:
                lo = hi = view.pub_worst[side]
            else:
                lo = view.pub_worst[side]
                hi = worst
            if lo > hi:
                lo, hi = hi, lo
            if side == BID and self.best[BID] >= 0 and hi > self.best[BID]:
                hi = self.best[BID]
            if side == ASK and self.best[ASK] >= 0 and lo < self.best[ASK]:
                lo = self.best[ASK]
            tick = self._scan_up(side, lo, hi - lo) if hi >= lo else -1
            while tick >= 0 and tick <= hi:
                self._emit_check(view, side, tick, worst, &n)
                if tick == hi:
                    break
                tick = self._scan_up(side, tick + 1, hi - tick - 1)
        for k in range(view.n_dirty[side]):
            tick = ticks[k]
            view.dirty[side * RING + (tick & RING_MASK)] = 0
            self._emit_check(view, side, tick, worst, &n)
        view.n_dirty[side] = 0
        view.pub_has[side] = worst >= 0
        view.pub_worst[side] = worst
        if n - start > 1:
            qsort(self.scratch + start, n - start, sizeof(Level),
                  cmp_level_desc if side == BID else cmp_level_asc)
        return n

    cdef void _publish_view(self, IncView* view) noexcept:
        if (view.n_dirty[BID] == 0 and view.n_dirty[ASK] == 0 and (
                view.interval_ns == 0 or self.now_ns - view.last_frame_ns < HEARTBEAT_NS)):
            return
        self._publish_view_diff(view)

    cdef void _publish_view_diff(self, IncView* view) noexcept:
        cdef Py_ssize_t n_ask = self._diff_side(view, ASK, 0)
        cdef Py_ssize_t n_all = self._diff_side(view, BID, n_ask)
        cdef Py_ssize_t k
        cdef int64_t prev = view.last_seq
        if n_all == 0:
            # nothing visible changed: tick-by-tick views stay silent; the 100 ms view sends an
            # empty update with seqId == prevSeqId after 60 s without a change (OKX §1.5)
            if self.now_ns - view.last_frame_ns < HEARTBEAT_NS or view.interval_ns == 0:
                return
        self._begin_frame(view.channel)
        self._puts(b'"action":"update","data":[{"asks":[')
        for k in range(n_ask):
            if k:
                self._put_char(b',')
            self._put_level(self.scratch[k].tick, self.scratch[k].size, self.scratch[k].count)
        self._puts(b'],"bids":[')
        for k in range(n_ask, n_all):
            if k > n_ask:
                self._put_char(b',')
            self._put_level(self.scratch[k].tick, self.scratch[k].size, self.scratch[k].count)
        self._puts(b'],')
        self._put_ts()
        self._puts(b',"checksum":')
        self._put_int(self._checksum() if self.checksum_enabled else 0)
        self._puts(b',"prevSeqId":')
        self._put_int(prev)
        self._puts(b',"seqId":')
        if n_all == 0:
            self._put_int(prev)
        else:
            self._put_int(self.seq)
            view.last_seq = self.seq
        self._puts(b'}]}')
        self._end_frame()
        view.last_frame_ns = self.now_ns

    cdef void _publish_snap(self, SnapView* view) noexcept:
        cdef int side, k
        cdef Py_ssize_t n
        cdef bint changed = not view.started
        cdef Level top[2][SNAP_MAX_DEPTH]
        cdef int n_top[2]
        for side in range(2):
            n = self._collect_window(side, view.depth)
            n_top[side] = <int>n
            if n != view.n_last[side]:
                changed = True
            for k in range(n):
                top[side][k] = self.scratch[k]
                if not changed and (
                    self.scratch[k].tick != view.last[side][k].tick
                    or self.scratch[k].size != view.last[side][k].size
                    or self.scratch[k].count != view.last[side][k].count
                ):
                    changed = True
        if not changed and self.now_ns - view.last_frame_ns < HEARTBEAT_NS:
            return
        self._begin_frame(view.channel)
        self._puts(b'"data":[{"asks":[')
        for k in range(n_top[ASK]):
            if k:
                self._put_char(b',')
            self._put_level(top[ASK][k].tick, top[ASK][k].size, top[ASK][k].count)
        self._puts(b'],"bids":[')
        for k in range(n_top[BID]):
            if k:
                self._put_char(b',')
            self._put_level(top[BID][k].tick, top[BID][k].size, top[BID][k].count)
        self._puts(b'],')
        if view.channel == CH_BOOKS5:
            self._puts(b'"instId":"')
            self._put_bytes(self.inst_id)
            self._puts(b'",')
        self._put_ts()
        self._puts(b',"seqId":')
        self._put_int(self.seq)
        self._puts(b'}]}')
        self._end_frame()
        for side in range(2):
            view.n_last[side] = n_top[side]
            for k in range(n_top[side]):
                view.last[side][k] = top[side][k]
        view.started = 1
        view.last_frame_ns = self.now_ns

    # ------------------------------------------------------------------------------------------
    # Python-facing methods
    # ------------------------------------------------------------------------------------------

    def configure(self, object channels, bint checksum, list prefixes,
                  int64_t books_interval_ns, int64_t bbo_interval_ns):
        """Choose the published channels (ids) and start them: snapshots come first."""
        cdef int v, s
        cdef int channel
        cdef IncView* view
        cdef SnapView* snap
        self.prefixes = prefixes
        self.checksum_enabled = checksum
        self.trades_enabled = CH_TRADES in channels
        for v in range(MAX_VIEWS):
            view = &self.views[v]
            channel = (CH_BOOKS, CH_BOOKS_L2_TBT, CH_BOOKS50_L2_TBT)[v]
            view.enabled = channel in channels
            view.started = 0
            view.channel = channel
            view.depth = 50 if channel == CH_BOOKS50_L2_TBT else 400
            view.interval_ns = books_interval_ns if channel == CH_BOOKS else 0
            view.next_due_ns = self._next_boundary(view.interval_ns)
            if view.enabled and view.pub_size == NULL:
                view.dirty_cap = 1024
                view.pub_size = <int64_t*>calloc(2 * RING, sizeof(int64_t))
                view.pub_count = <int32_t*>calloc(2 * RING, sizeof(int32_t))
                view.dirty = <uint8_t*>calloc(2 * RING, sizeof(uint8_t))
                view.dirty_ticks = <int64_t*>malloc(2 * view.dirty_cap * sizeof(int64_t))
                if (view.pub_size == NULL or view.pub_count == NULL or view.dirty == NULL
                        or view.dirty_ticks == NULL):
                    raise MemoryError()
        for s in range(MAX_SNAP):
            snap = &self.snaps[s]
            channel = (CH_BBO_TBT, CH_BOOKS5)[s]
            snap.enabled = channel in channels
            snap.started = 0
            snap.channel = channel
            snap.depth = 1 if channel == CH_BBO_TBT else 5
            snap.interval_ns = bbo_interval_ns if channel == CH_BBO_TBT else books_interval_ns
            snap.next_due_ns = self._next_boundary(snap.interval_ns)
            snap.n_last[0] = snap.n_last[1] = 0
        self.out_len = 0
        self.n_frames = 0
        self.frame_off[0] = 0
        # OKX push order at one instant: bbo-tbt, books-l2-tbt, books50-l2-tbt, books, books5
        if self.snaps[0].enabled:
            self._publish_snap(&self.snaps[0])
        for v in (1, 2, 0):
            if self.views[v].enabled:
                self._start_view(&self.views[v])
        if self.snaps[1].enabled:
            self._publish_snap(&self.snaps[1])

    cdef int64_t _next_boundary(self, int64_t interval) noexcept:
        if interval <= 0:
            return 0
        return (self.now_ns // interval + 1) * interval

    cdef int64_t _peek(self, int* which) noexcept:
        """When the next thing happens and what it is: 0 an order-flow event, 1 a regime step,
        2 a bbo-tbt push, 3 a books/books5 push, 4 a sequence reset. Ties go to the
        publication, so a push at time t never includes an event at t."""
        cdef int64_t t = self.next_event_ns
        which[0] = 0
        if self.next_regime_ns <= t:
            t = self.next_regime_ns
            which[0] = 1
        if self.snaps[0].enabled and self.snaps[0].next_due_ns <= t:
            t = self.snaps[0].next_due_ns
            which[0] = 2
        if self.views[0].enabled and self.views[0].next_due_ns <= t:
            t = self.views[0].next_due_ns
            which[0] = 3
        if self.snaps[1].enabled and self.snaps[1].next_due_ns <= t:
            t = self.snaps[1].next_due_ns
            which[0] = 3
        if self.seq_reset_interval_ns > 0 and self.next_seq_reset_ns < t:
            t = self.next_seq_reset_ns
            which[0] = 4
        return t

    cdef void _step(self) noexcept:
        """Advance to the next thing that happens (see _peek)."""
        cdef int which = 0
        cdef int v
        cdef int64_t t = self._peek(&which)
        self.now_ns = t
        if which == 0:
            self._do_event()
            for v in (1, 2):
                if self.views[v].enabled:
                    self._publish_view(&self.views[v])
            self._schedule_next_event()
        elif which == 1:
            self._regime_step()
            self.next_regime_ns += self.regime_step_ns
            self._schedule_next_event()
        elif which == 2:
            self._publish_snap(&self.snaps[0])
            self.snaps[0].next_due_ns += self.snaps[0].interval_ns
        elif which == 3:
            if self.snaps[0].enabled and self.snaps[0].next_due_ns == t:
                self._publish_snap(&self.snaps[0])
                self.snaps[0].next_due_ns += self.snaps[0].interval_ns
            if self.views[0].enabled and self.views[0].next_due_ns == t:
                self._publish_view(&self.views[0])
                self.views[0].next_due_ns += self.views[0].interval_ns
            if self.snaps[1].enabled and self.snaps[1].next_due_ns == t:
                self._publish_snap(&self.snaps[1])
                self.snaps[1].next_due_ns += self.snaps[1].interval_ns
        else:
            # exchange maintenance: the sequence restarts lower (seqId < prevSeqId, OKX §1.5)
            self.seq = self.seq_reset_to
            self.next_seq_reset_ns += self.seq_reset_interval_ns

    def generate(self, Py_ssize_t max_frames, int64_t until_ns=-1):
        """Run until at least ``max_frames`` frames are ready, or until the simulated time
        ``until_ns`` (ns since the Unix epoch; -1: no limit) is reached; return
        ``(timestamps_ns, channel_ids, frames)`` for the frames produced, oldest first.
        Frames from configure() (the snapshots) are included in the first call."""
        cdef Py_ssize_t k, n
        cdef int which = 0
        cdef list frames, stamps, channels
        cdef int any_enabled = self.trades_enabled
        cdef int v
        for v in range(MAX_VIEWS):
            any_enabled |= self.views[v].enabled
        for v in range(MAX_SNAP):
            any_enabled |= self.snaps[v].enabled
        if not any_enabled:
            raise ValueError("no channel is configured")
        while self.n_frames < max_frames:
            if until_ns >= 0 and self.epoch_ns + self._peek(&which) > until_ns:
                self.now_ns = until_ns - self.epoch_ns
                break
            self._step()
        n = self.n_frames
        frames = [None] * n
        stamps = [None] * n
        channels = [None] * n
        for k in range(n):
            frames[k] = (self.out + self.frame_off[k])[
                :self.frame_off[k + 1] - self.frame_off[k]].decode("ascii")
            stamps[k] = self.epoch_ns + self.frame_ts[k]
            channels[k] = self.frame_channel[k]
        self.out_len = 0
        self.n_frames = 0
        self.frame_off[0] = 0
        return stamps, channels, frames

    def run(self, int64_t n_events):
        """Advance by ``n_events`` order-flow events without publishing anything."""
        cdef int v
        cdef int64_t target = self.n_events + n_events
        for v in range(MAX_VIEWS):
            self.views[v].enabled = 0
        for v in range(MAX_SNAP):
            self.snaps[v].enabled = 0
        self.trades_enabled = 0
        while self.n_events < target:
            self._step()

    def run_for(self, int64_t duration_ns):
        """Advance the simulated clock by ``duration_ns`` without publishing anything."""
        cdef int v
        cdef int64_t target = self.now_ns + duration_ns
        for v in range(MAX_VIEWS):
            self.views[v].enabled = 0
        for v in range(MAX_SNAP):
            self.snaps[v].enabled = 0
        self.trades_enabled = 0
        while self.next_event_ns <= target or self.next_regime_ns <= target:
            self._step()
        self.now_ns = target

    def levels(self, int side, int depth):
        """The true book: top ``depth`` levels of a side as (ticks, lots, orders) lists."""
        cdef Py_ssize_t n = self._collect_window(side, depth)
        cdef Py_ssize_t k
        cdef list ticks = [], lots = [], orders = []
        for k in range(n):
            ticks.append(self.scratch[k].tick)
            lots.append(self.scratch[k].size)
            orders.append(self.scratch[k].count)
        return ticks, lots, orders

    def format_levels(self, int side, int depth):
        """Top ``depth`` levels as OKX rows ``[px, sz, "0", numOrders]`` of strings."""
        cdef Py_ssize_t n = self._collect_window(side, depth)
        cdef Py_ssize_t k
        cdef char px[48]
        cdef char sz[48]
        cdef int npx, nsz
        cdef list rows = []
        for k in range(n):
            npx = format_decimal_trimmed(px, self.scratch[k].tick * self.price_mult,
                                         self.price_places)
            nsz = format_decimal_trimmed(sz, self.scratch[k].size * self.size_mult,
                                         self.size_places)
            rows.append([px[:npx].decode("ascii"), sz[:nsz].decode("ascii"), "0",
                         str(self.scratch[k].count)])
        return rows

    def checksum(self):
        """OKX checksum of the true book (signed int32)."""
        return self._checksum()

    @property
    def time_ns(self):
        """Simulated time, ns since the Unix epoch."""
        return self.epoch_ns + self.now_ns

    @property
    def seq_id(self):
        """Sequence id of the last order-flow event (what the next books push will carry)."""
        return self.seq

    @property
    def event_count(self):
        """Order-flow events processed so far (limit, cancel and market orders)."""
        return self.n_events

    @property
    def trade_count(self):
        """Trades printed so far (one per market order and price level)."""
        return self.n_trades

    @property
    def regime_index(self):
        return self.regime

    @property
    def activity_level(self):
        """Current rate multiplier: exp(OU log activity) × the regime's activity."""
        return self.activity

    @property
    def order_counts(self):
        return (self.n_orders[BID], self.n_orders[ASK])

    @property
    def level_counts(self):
        return (self.n_levels[BID], self.n_levels[ASK])

    @property
    def fair_ticks(self):
        """The latent efficient price, ticks."""
        return self.fair

    def set_fair(self, double ticks):
        """Move the latent efficient price to ``ticks`` (>= 1) from outside, e.g. to a common
        factor shared by several markets. The next order-flow event is drawn afresh at the new
        total rate (the clocks are Poisson, so redrawing from now is exact)."""
        if not ticks >= 1.0:
            raise ValueError(f"fair price must be >= 1 tick, got {ticks}")
        self.fair = ticks
        self._schedule_next_event()

    @property
    def best_ticks(self):
        return (self.best[BID], self.best[ASK])


cdef int format_int(char* out, int64_t value) noexcept nogil:
    cdef char tmp[24]
    cdef int n = 0
    cdef int k = 0
    cdef bint neg = value < 0
    cdef uint64_t v = <uint64_t>(-value) if neg else <uint64_t>value
    if v == 0:
        out[0] = b'0'
        return 1
    while v:
        tmp[n] = <char>(48 + v % 10)
        v //= 10
        n += 1
    if neg:
        out[k] = b'-'
        k += 1
    while n:
        n -= 1
        out[k] = tmp[n]
        k += 1
    return k
