# cython: language_level=3
"""C-level layout of the order book and its kernels, shared with every compiled module.

The core speaks no venue: a venue's decoder (``feeds/<venue>/_*.pyx``) fills a
:c:type:`BookLevels` with :c:func:`scan_levels` and hands it to ``OrderBook._apply_decoded``,
and the feature code walks a :c:type:`Side` with :c:func:`walk_side` and
:c:func:`lower_bound`. The per-level kernels are ``inline`` here so each user compiles them in;
``scan_levels`` (one call per level list) is exported by ``_book.pyx``, which measured faster
than inlining it into every decoder.
"""

from libc.stdint cimport int8_t, int64_t, uint32_t
from libc.stdlib cimport realloc
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.string cimport memcmp, memmove

# The build stamps each extension with the hash of its sources (setup.py); ``SOURCE_HASH`` lets
# tradecost._core tell a stale compiled module from a fresh one.
cdef extern from *:
    """
    #ifndef TRADECOST_SOURCE_HASH
    #define TRADECOST_SOURCE_HASH "unknown"
    #endif
    """
    const char* TRADECOST_SOURCE_HASH

from tradecost._decimal cimport (
    E_DIGITS,
    E_OFF_GRID,
    E_OVERFLOW,
    E_SYNTAX,
    E_ZERO,
    FALLBACK,
    OK,
    POW10,
    POW10_LIMIT,
    parse_decimal,
)
from tradecost._jsonscan cimport (
    MORE,
    Cursor,
    expect,
    fast_decimal,
    open_container,
    scan_number_token,
    skip_rest_of_level,
    skip_whitespace,
)


cdef struct Level:
    # One price level. ``key`` is the price in ticks times the side's sign (bids +1, asks -1), so
    # both sides are stored ascending by key with the best level LAST: a change near the touch
    # moves only the few levels between it and the end of the array.
    int64_t key
    double size
    # The size exactly as received: size_mantissa * 10**-size_scale. Kept for checksums, which
    # are defined on the strings the exchange sent.
    int64_t size_mantissa
    int8_t size_scale
    # Decimals the price was sent with ("3366" -> 0, "3366.10" -> 2).
    int8_t price_scale


cdef struct Side:
    Level* levels
    Py_ssize_t n
    Py_ssize_t capacity
    int sign


cdef struct RawLevel:
    # A decoded level before it is put on a book's tick grid.
    int64_t price_mantissa
    int64_t size_mantissa
    double size
    int8_t price_scale
    int8_t size_scale


cdef struct RawSide:
    RawLevel* levels
    Py_ssize_t n
    Py_ssize_t capacity


cdef struct Walk:
    double quantity       # book size units filled
    double notional       # quote units paid (buy) or received (sell)
    double remaining      # unfilled part, in the unit of the request
    int64_t worst_tick
    Py_ssize_t levels
    bint complete


cdef class BookLevels:
    # Decoded levels waiting to be applied to a book: what every venue decoder produces.
    # A venue's push decoder subclasses it and overrides the two methods below.
    cdef RawSide _bids
    cdef RawSide _asks
    cdef bint _is_snapshot
    cdef bint _decoded

    cdef int _decode_raw(self, object raw) except -1
    cdef int _check_applicable(self, OrderBook book) except -1


cdef class OrderBook:
    cdef Side _bids
    cdef Side _asks
    cdef int64_t _tick_mantissa
    cdef int _tick_scale
    cdef double _tick_denominator
    cdef object _tick_decimal
    cdef readonly str inst_id
    cdef BookLevels _scratch
    cdef int64_t* _staged_keys
    cdef Py_ssize_t _staged_capacity

    cdef double _price(self, int64_t tick) noexcept nogil
    cdef double _mid(self) noexcept nogil
    cdef bytes _number(self, object value, str what)
    cdef _raise_off_grid(self, int64_t mantissa, int scale, int status)
    cdef int _load_rows(self, RawSide* side, object rows, str name) except -1
    cdef _apply_rows(self, object bids, object asks, bint snapshot)
    cdef object _rows(self, Side* side, object n)
    cdef object _ticks(self, Side* side, object n)
    cdef Side* _side(self, object side) except NULL
    cdef Py_ssize_t _window(self, Side* side, object levels, object bps) except -1
    cdef int _stage(self, RawSide* raw, int sign, Py_ssize_t offset) except -1
    cdef int _apply_decoded(self, BookLevels msg) except -1


# Exported by _book.pyx (not inline: they hold state or build Python objects).
cdef uint32_t crc32(const char* data, Py_ssize_t n) noexcept nogil
cdef object raw_rows(const RawSide* side)
cdef int scan_levels(Cursor* c, RawSide* side, bint size_is_quantity) except -1
cdef str json_text(bytes raw, bint escaped)


cdef inline bint same_bytes(const unsigned char* s, Py_ssize_t n, bytes cached) noexcept:
    """Whether ``s[:n]`` equals ``cached``: decoders keep a string field's raw bytes so that an
    unchanged symbol costs a compare, not a new str."""
    return n == PyBytes_GET_SIZE(cached) and memcmp(s, PyBytes_AS_STRING(cached), n) == 0


cdef inline object message_text(object raw, const char** data, Py_ssize_t* length,
                                str venue):
    """The decode prologue every venue decoder shares: point ``data``/``length`` at the UTF-8
    text of ``raw`` (``bytes``, ``str``, or any contiguous byte buffer such as ``bytearray`` or
    ``memoryview``) and return the object that keeps that text alive until decoding is done.

    A ``str`` with lone surrogates has no UTF-8 text: ``MalformedMessageError`` ("malformed
    <venue> message: ..."). Anything else that is not a byte buffer: ``TypeError``.
    """
    cdef const unsigned char[::1] view
    if isinstance(raw, bytes):
        data[0] = PyBytes_AS_STRING(<bytes>raw)
        length[0] = PyBytes_GET_SIZE(raw)
        return raw
    if isinstance(raw, str):
        try:
            data[0] = PyUnicode_AsUTF8AndSize(raw, length)
        except UnicodeEncodeError as error:  # lone surrogates: no UTF-8 text to scan
            from tradecost.errors import MalformedMessageError
            raise MalformedMessageError(f"malformed {venue} message: {error}") from None
        return raw
    try:
        view = raw
    except (TypeError, ValueError):
        raise TypeError(f"expected bytes or str, got {type(raw).__name__}") from None
    length[0] = view.shape[0]
    if length[0]:
        data[0] = <const char*>&view[0]
    else:
        data[0] = b""
    return view


# --------------------------------------------------------------------------------------------
# Buffers
# --------------------------------------------------------------------------------------------

cdef inline int grow_levels(void** levels, Py_ssize_t* capacity, Py_ssize_t needed,
                            size_t item_size) except -1:
    """Room for ``needed`` items of ``item_size`` bytes: at least double, at least 64."""
    cdef Py_ssize_t wanted = max(needed, 2 * capacity[0], 64)
    cdef void* grown = realloc(levels[0], wanted * item_size)
    if grown == NULL:
        raise MemoryError()
    levels[0] = grown
    capacity[0] = wanted
    return 0


cdef inline int reserve_raw(RawSide* side, Py_ssize_t needed) except -1:
    if needed > side.capacity:
        grow_levels(<void**>&side.levels, &side.capacity, needed, sizeof(RawLevel))
    return 0


cdef inline int reserve_side(Side* side, Py_ssize_t needed) except -1:
    if needed > side.capacity:
        grow_levels(<void**>&side.levels, &side.capacity, needed, sizeof(Level))
    return 0


cdef enum:
    NO_TOKEN = -2  # scan_decimal: no number token at the cursor


# --------------------------------------------------------------------------------------------
# Decoding a level list: [[price, size, ...], ...]
# --------------------------------------------------------------------------------------------

cdef inline int scan_decimal(Cursor* c, const unsigned char** start, int64_t* mantissa,
                             int* scale, double* value) noexcept nogil:
    """One JSON number or numeric string at the cursor: the fast path, else the exact parser.
    Returns the parser's status, or ``NO_TOKEN`` (with ``c.error`` set) when there is no
    number token at all; ``start`` is left at the token for error reporting."""
    cdef Py_ssize_t n = 0
    cdef int status
    start[0] = c.p
    status = fast_decimal(c, mantissa, scale, value)
    if status == FALLBACK:
        if scan_number_token(c, start, &n) != OK:
            return NO_TOKEN
        status = parse_decimal(start[0], n, mantissa, scale, value)
    return status


# --------------------------------------------------------------------------------------------
# Prices on a tick grid
# --------------------------------------------------------------------------------------------

cdef inline int price_to_tick(int64_t mantissa, int scale, int64_t tick_mantissa, int tick_scale,
                              int64_t* tick) noexcept nogil:
    """tick = (mantissa * 10**-scale) / (tick_mantissa * 10**-tick_scale), exactly, or an error."""
    cdef int64_t numerator, denominator
    cdef int shift
    if mantissa == 0:
        return E_ZERO
    if scale <= tick_scale:
        shift = tick_scale - scale
        if shift > 18 or mantissa > POW10_LIMIT[shift]:
            return E_OVERFLOW
        numerator = mantissa * POW10[shift]
        if tick_mantissa == 1:  # ticks like 0.1 or 0.01: no division at all
            tick[0] = numerator
            return OK
        if numerator % tick_mantissa != 0:
            return E_OFF_GRID
        tick[0] = numerator // tick_mantissa
        return OK
    shift = scale - tick_scale
    if shift > 18 or tick_mantissa > POW10_LIMIT[shift]:
        return E_OFF_GRID  # the tick is wider than any int64 mantissa at this scale
    denominator = tick_mantissa * POW10[shift]
    if mantissa % denominator != 0:
        return E_OFF_GRID
    tick[0] = mantissa // denominator
    return OK


cdef inline int64_t price_mantissa_at(int64_t tick, int64_t tick_mantissa, int tick_scale,
                                      int scale) noexcept nogil:
    """The price of ``tick`` in units of 10**-scale (exact: scale is the one it was parsed at)."""
    cdef int64_t units = tick * tick_mantissa
    if scale >= tick_scale:
        return units * POW10[scale - tick_scale]
    return units // POW10[tick_scale - scale]


# --------------------------------------------------------------------------------------------
# One side of the book
# --------------------------------------------------------------------------------------------

cdef inline Py_ssize_t lower_bound(const Side* side, int64_t key) noexcept nogil:
    """First index whose key is >= ``key`` (levels ascend by key, best last)."""
    cdef Py_ssize_t low = 0, high = side.n, middle
    # Most changes land near the touch: look there before bisecting.
    if high > 0 and side.levels[high - 1].key < key:
        return high
    while low < high:
        middle = (low + high) >> 1
        if side.levels[middle].key < key:
            low = middle + 1
        else:
            high = middle
    return low


cdef inline double size_at_key(const Side* side, int64_t key) noexcept nogil:
    """Size resting at ``key`` (sign * tick) on one side, 0 when there is no level there."""
    cdef Py_ssize_t i = lower_bound(side, key)
    if i < side.n and side.levels[i].key == key:
        return side.levels[i].size
    return 0.0


cdef inline void upsert(Side* side, const Level* level) noexcept nogil:
    """Insert, replace or (size 0) delete one level. Capacity must already be reserved."""
    cdef Py_ssize_t i = lower_bound(side, level.key)
    cdef bint found = i < side.n and side.levels[i].key == level.key
    if level.size_mantissa == 0:
        if found:
            memmove(&side.levels[i], &side.levels[i + 1], (side.n - i - 1) * sizeof(Level))
            side.n -= 1
        return
    if found:
        side.levels[i] = level[0]
        return
    memmove(&side.levels[i + 1], &side.levels[i], (side.n - i) * sizeof(Level))
    side.levels[i] = level[0]
    side.n += 1


cdef inline void make_level(Level* level, const RawLevel* raw, int64_t key) noexcept nogil:
    level.key = key
    level.size = raw.size
    level.size_mantissa = raw.size_mantissa
    level.size_scale = raw.size_scale
    level.price_scale = raw.price_scale


cdef inline void walk_side(const Side* side, double tick_value, double target, bint by_notional,
                           Walk* out) noexcept nogil:
    """Consume levels from the touch until ``target`` (quote or book size units) is filled."""
    cdef Py_ssize_t i
    cdef double quantity = 0.0, notional = 0.0, price, size, level_notional, take
    cdef const Level* level
    out.complete = False
    out.levels = 0
    out.worst_tick = 0
    for i in range(side.n - 1, -1, -1):
        level = &side.levels[i]
        price = <double>(side.sign * level.key) * tick_value
        size = level.size
        level_notional = price * size
        out.levels += 1
        out.worst_tick = side.sign * level.key
        if by_notional:
            if notional + level_notional >= target:
                take = target - notional
                quantity += take / price
                notional = target
                out.complete = True
                break
        elif quantity + size >= target:
            take = target - quantity
            notional += take * price
            quantity = target
            out.complete = True
            break
        quantity += size
        notional += level_notional
    out.quantity = quantity
    out.notional = notional
    if out.complete:
        out.remaining = 0.0
    else:
        out.remaining = target - (notional if by_notional else quantity)
