# cython: language_level=3
"""The compiled core: an exact L2 order book, an OKX v5 push decoder, and walk-the-book.

Prices are int64 ticks of the instrument's tick size (exact for any decimal price the exchange
sends); sizes are float64, with the received decimal digits kept beside them for the checksum.
Each side is one contiguous array sorted so that the best level is last (see ``Level`` in the
.pxd): updates cluster at the touch, so inserts and deletes there move almost nothing.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.math cimport NAN, isfinite
from libc.stdint cimport int8_t, int64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy, memmove

from tradecost._decimal cimport (
    E_DIGITS,
    E_OFF_GRID,
    E_OVERFLOW,
    E_SYNTAX,
    E_ZERO,
    FALLBACK,
    NUMBER_BUFFER,
    OK,
    POW10,
    POW10_DOUBLE,
    POW10_LIMIT,
    format_decimal,
    parse_decimal,
)
from tradecost._jsonscan cimport (
    Cursor,
    expect,
    fast_decimal,
    key_is,
    scan_integer,
    scan_number_token,
    scan_string,
    skip_rest_of_level,
    skip_value,
    skip_whitespace,
)

from decimal import Decimal
from zlib import crc32

import numpy as np

from tradecost.errors import (
    EmptyBookError,
    InvalidInputError,
    InvalidSizeError,
    InvalidTickSizeError,
    MalformedMessageError,
    OffGridPriceError,
)

cdef extern from *:
    """
    #ifndef TRADECOST_SOURCE_HASH
    #define TRADECOST_SOURCE_HASH "unknown"
    #endif
    """
    const char* TRADECOST_SOURCE_HASH

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

cdef enum:
    # Levels of each side that enter OKX's checksum.
    CHECKSUM_DEPTH = 25


# --------------------------------------------------------------------------------------------
# Prices on a tick grid
# --------------------------------------------------------------------------------------------

cdef int price_to_tick(int64_t mantissa, int scale, int64_t tick_mantissa, int tick_scale,
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


cdef int64_t price_mantissa_at(int64_t tick, int64_t tick_mantissa, int tick_scale,
                               int scale) noexcept nogil:
    """The price of ``tick`` in units of 10**-scale (exact: scale is the one it was parsed at)."""
    cdef int64_t units = tick * tick_mantissa
    if scale >= tick_scale:
        return units * POW10[scale - tick_scale]
    return units // POW10[tick_scale - scale]


cdef str decimal_text(int64_t mantissa, int scale, bint negative=False):
    cdef char buffer[NUMBER_BUFFER]
    cdef Py_ssize_t n = format_decimal(buffer, mantissa, scale)
    text = PyBytes_FromStringAndSize(buffer, n).decode("ascii")
    return "-" + text if negative else text


cdef bytes number_text(object value):
    """The decimal text of a Python number or string, for the exact parser."""
    if isinstance(value, str):
        return (<str>value).strip().encode("utf-8", "replace")
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a number or a decimal string, got {value!r}")
    if isinstance(value, float):
        # repr is the shortest text that round-trips: 95000.1 -> "95000.1", not 95000.100000001.
        return float.__repr__(value).encode("ascii")
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, Decimal):
        return format(value, "f").encode("ascii")
    if hasattr(value, "__float__"):  # numpy scalars
        return repr(float(value)).encode("ascii")
    raise TypeError(f"expected a number or a decimal string, got {type(value).__name__}: {value!r}")


# --------------------------------------------------------------------------------------------
# The OKX push decoder
# --------------------------------------------------------------------------------------------

cdef int grow_levels(void** levels, Py_ssize_t* capacity, Py_ssize_t needed,
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


cdef class BookMessage:
    """A reusable decoder for OKX v5 order-book pushes (``books``, ``books5``, ``bbo-tbt``,
    ``books50-l2-tbt``, ``books-l2-tbt``), from raw ``bytes`` or ``str``, without the json module.

    ``decode`` fills this object in place and returns it, so one instance per connection serves
    every message without allocating. Fields after a successful decode:

    - ``kind``: ``"book"`` for an order-book push, ``"event"`` for a message with a top-level
      ``event`` key (subscribe acks, errors, notices), ``"other"`` for a push of another channel
      (e.g. ``trades``). Only ``"book"`` messages carry levels; parse the others with ``json``.
    - ``channel``, ``inst_id``: from ``arg``.
    - ``action``: ``"snapshot"`` or ``"update"``. ``books5`` and ``bbo-tbt`` pushes carry no
      action; each is a full replacement of the top levels, reported as ``"snapshot"``.
    - ``ts``: exchange time ``data[0].ts`` in milliseconds (0 when absent).
    - ``seq_id``, ``prev_seq_id``: ints, or None when the push has none (pre-2023 captures).
    - ``checksum``: signed int32 as sent; 0 when absent (OKX always sends 0 since 2026-06-23).
    - ``n_bids``, ``n_asks``: number of levels in the push.
    """

    def __cinit__(self):
        self._bids.levels = NULL
        self._asks.levels = NULL
        self._bids.n = self._asks.n = 0
        self._bids.capacity = self._asks.capacity = 0
        reserve_raw(&self._bids, 512)
        reserve_raw(&self._asks, 512)
        self._decoded = False
        self._channel_raw = b""
        self._inst_id_raw = b""
        self.channel = ""
        self.inst_id = ""
        self.kind = ""
        self.action = ""

    def __dealloc__(self):
        free(self._bids.levels)
        free(self._asks.levels)

    @property
    def seq_id(self):
        return self._seq_id if self._has_seq_id else None

    @property
    def prev_seq_id(self):
        return self._prev_seq_id if self._has_prev_seq_id else None

    @property
    def n_bids(self):
        return self._bids.n

    @property
    def n_asks(self):
        return self._asks.n

    @property
    def is_snapshot(self):
        return self._is_snapshot

    def bids(self):
        """The pushed bid levels as a (k, 2) float64 array [price, size], in message order."""
        return _raw_rows(&self._bids)

    def asks(self):
        """The pushed ask levels as a (k, 2) float64 array [price, size], in message order."""
        return _raw_rows(&self._asks)

    def __repr__(self):
        if not self._decoded:
            return "BookMessage(<not decoded>)"
        return (f"BookMessage(kind={self.kind!r}, channel={self.channel!r}, "
                f"inst_id={self.inst_id!r}, action={self.action!r}, ts={self.ts}, "
                f"seq_id={self.seq_id}, prev_seq_id={self.prev_seq_id}, "
                f"checksum={self.checksum}, n_bids={self._bids.n}, n_asks={self._asks.n})")

    def decode(self, raw):
        """Decode one raw push into this object and return it.

        Raises MalformedMessageError (naming the position) when the text is not a well-formed
        OKX push; this object is then marked undecoded and cannot be applied to a book.
        """
        cdef const char* data = NULL
        cdef Py_ssize_t length = 0
        cdef const unsigned char[::1] view
        if isinstance(raw, bytes):
            data = PyBytes_AS_STRING(<bytes>raw)
            length = PyBytes_GET_SIZE(raw)
        elif isinstance(raw, str):
            try:
                data = PyUnicode_AsUTF8AndSize(raw, &length)
            except UnicodeEncodeError as error:  # lone surrogates: no UTF-8 text to scan
                self._decoded = False
                raise MalformedMessageError(f"malformed OKX message: {error}") from None
        else:
            try:
                view = raw
            except (TypeError, ValueError):
                raise TypeError(
                    f"expected bytes or str, got {type(raw).__name__}") from None
            length = view.shape[0]
            if length:
                data = <const char*>&view[0]
            else:
                data = b""
        self._decoded = False
        self._decode(<const unsigned char*>data, length)
        self._decoded = True
        return self

    cdef int _decode(self, const unsigned char* data, Py_ssize_t length) except -1:
        cdef Cursor c
        cdef const unsigned char* s = NULL
        cdef Py_ssize_t n = 0
        cdef bint escaped = False
        cdef bint has_data = False, has_arg = False, has_event = False
        cdef int action = 0  # 0 absent, 1 snapshot, 2 update
        c.start = c.p = data
        c.end = data + length
        c.error = NULL
        self._bids.n = self._asks.n = 0
        self._has_seq_id = self._has_prev_seq_id = False
        self._seq_id = self._prev_seq_id = 0
        self.ts = 0
        self.checksum = 0
        self._is_snapshot = False
        self._data_flags = 0
        if expect(&c, c'{', "expected a JSON object") != OK:
            return self._fail(&c)
        skip_whitespace(&c)
        if c.p < c.end and c.p[0] == c'}':
            c.error = "empty object"
            return self._fail(&c)
        while True:
            if scan_string(&c, &s, &n, &escaped) != OK:
                return self._fail(&c)
            if expect(&c, c':', "expected ':' after a key") != OK:
                return self._fail(&c)
            if key_is(s, n, "arg", 3):
                if self._decode_arg(&c) != OK:
                    return self._fail(&c)
                has_arg = True
                self._data_flags |= 4
            elif key_is(s, n, "action", 6):
                if scan_string(&c, &s, &n, &escaped) != OK:
                    return self._fail(&c)
                if key_is(s, n, "snapshot", 8):
                    action = 1
                elif key_is(s, n, "update", 6):
                    action = 2
                else:
                    c.p = s
                    c.error = "action is neither 'snapshot' nor 'update'"
                    return self._fail(&c)
            elif key_is(s, n, "data", 4):
                if self._decode_data(&c) != OK:
                    return self._fail(&c)
                has_data = True
            elif key_is(s, n, "event", 5):
                has_event = True
                if skip_value(&c, 0) != OK:
                    return self._fail(&c)
            elif skip_value(&c, 0) != OK:
                return self._fail(&c)
            skip_whitespace(&c)
            if c.p < c.end and c.p[0] == c',':
                c.p += 1
                continue
            if c.p < c.end and c.p[0] == c'}':
                c.p += 1
                break
            c.error = "expected ',' or '}'"
            return self._fail(&c)
        skip_whitespace(&c)
        if c.p != c.end:
            c.error = "unexpected text after the message"
            return self._fail(&c)
        if has_event:
            self.kind = "event"
            self.action = ""
            return 0
        if not has_arg or not has_data:
            c.p = c.start
            c.error = "not an OKX push (needs 'arg' and 'data', or 'event')"
            return self._fail(&c)
        if not _is_book_channel(self.channel):
            self.kind = "other"
            self.action = ""
            return 0
        if (self._data_flags & 3) != 3:
            c.p = c.start
            c.error = "an order-book push needs both 'asks' and 'bids'"
            return self._fail(&c)
        if self._data_flags & 8:
            c.p = c.start
            c.error = "an order-book push with more than one 'data' element"
            return self._fail(&c)
        if action == 0:
            if self.channel != "books5" and self.channel != "bbo-tbt":
                c.p = c.start
                c.error = "missing 'action' in an incremental order-book push"
                return self._fail(&c)
            action = 1
        self.kind = "book"
        self._is_snapshot = action == 1
        self.action = "snapshot" if action == 1 else "update"
        return 0

    cdef int _fail(self, Cursor* c) except -1:
        cdef Py_ssize_t at = c.p - c.start
        cdef Py_ssize_t total = c.end - c.start
        cdef bytes window = PyBytes_FromStringAndSize(
            <const char*>c.start + max(0, at - 20), min(total, at + 20) - max(0, at - 20))
        reason = (<bytes>c.error).decode("ascii") if c.error != NULL else "malformed message"
        raise MalformedMessageError(
            f"malformed OKX message at byte {at} of {total}: {reason} "
            f"(near {window.decode('utf-8', 'replace')!r})")

    cdef int _decode_arg(self, Cursor* c) except -1:
        cdef const unsigned char* s = NULL
        cdef const unsigned char* key = NULL
        cdef Py_ssize_t n = 0, key_length = 0
        cdef bint escaped = False
        cdef bint has_channel = False, has_inst_id = False
        if expect(c, c'{', "'arg' must be an object") != OK:
            return E_SYNTAX
        skip_whitespace(c)
        if c.p < c.end and c.p[0] == c'}':
            c.p += 1
            self._forget_arg(False, False)
            return OK
        while True:
            if scan_string(c, &key, &key_length, &escaped) != OK:
                return E_SYNTAX
            if expect(c, c':', "expected ':' after a key") != OK:
                return E_SYNTAX
            if key_is(key, key_length, "channel", 7) or key_is(key, key_length, "instId", 6):
                if scan_string(c, &s, &n, &escaped) != OK:
                    return E_SYNTAX
                if key_length == 7:
                    has_channel = True
                    if (n != len(self._channel_raw)
                            or memcmp(s, PyBytes_AS_STRING(self._channel_raw), n) != 0):
                        # Text first: a bad escape raises before the cache key changes.
                        text = PyBytes_FromStringAndSize(<const char*>s, n)
                        self.channel = _text(text, escaped)
                        self._channel_raw = text
                else:
                    has_inst_id = True
                    if (n != len(self._inst_id_raw)
                            or memcmp(s, PyBytes_AS_STRING(self._inst_id_raw), n) != 0):
                        # Text first: a bad escape raises before the cache key changes.
                        text = PyBytes_FromStringAndSize(<const char*>s, n)
                        self.inst_id = _text(text, escaped)
                        self._inst_id_raw = text
            elif skip_value(c, 1) != OK:
                return E_SYNTAX
            skip_whitespace(c)
            if c.p < c.end and c.p[0] == c',':
                c.p += 1
                continue
            if c.p < c.end and c.p[0] == c'}':
                c.p += 1
                self._forget_arg(has_channel, has_inst_id)
                return OK
            c.error = "expected ',' or '}' in 'arg'"
            return E_SYNTAX

    cdef void _forget_arg(self, bint has_channel, bint has_inst_id):
        # The decoded channel and instId are kept across messages (so that an unchanged one
        # costs nothing); an 'arg' without them must not inherit the last message's.
        if not has_channel and len(self._channel_raw):
            self._channel_raw = b""
            self.channel = ""
        if not has_inst_id and len(self._inst_id_raw):
            self._inst_id_raw = b""
            self.inst_id = ""

    cdef int _decode_data(self, Cursor* c) except -1:
        if expect(c, c'[', "'data' must be an array") != OK:
            return E_SYNTAX
        skip_whitespace(c)
        if c.p < c.end and c.p[0] == c']':
            c.error = "'data' is empty"
            return E_SYNTAX
        if self._decode_data_object(c) != OK:
            return E_SYNTAX
        skip_whitespace(c)
        if c.p < c.end and c.p[0] == c',':
            # Book pushes always carry one element, other channels (trades) may carry more;
            # which one this is may only be known after 'arg', so _decode judges it.
            self._data_flags |= 8
            while c.p < c.end and c.p[0] == c',':
                c.p += 1
                if skip_value(c, 1) != OK:
                    return E_SYNTAX
                skip_whitespace(c)
        return expect(c, c']', "expected ']' closing 'data'")

    cdef int _decode_data_object(self, Cursor* c) except -1:
        cdef const unsigned char* key = NULL
        cdef Py_ssize_t key_length = 0
        cdef bint escaped = False
        cdef int64_t value = 0
        # Flag 4: this message's 'arg' came first. Until then the channel is unknown (the one
        # held is the previous message's), so levels are read as if it were a book push.
        cdef bint book = _is_book_channel(self.channel) or not (self._data_flags & 4)
        if expect(c, c'{', "'data' elements must be objects") != OK:
            return E_SYNTAX
        skip_whitespace(c)
        if c.p < c.end and c.p[0] == c'}':
            c.p += 1
            return OK
        while True:
            if scan_string(c, &key, &key_length, &escaped) != OK:
                return E_SYNTAX
            if expect(c, c':', "expected ':' after a key") != OK:
                return E_SYNTAX
            if book and key_is(key, key_length, "asks", 4):
                if self._decode_levels(c, &self._asks) != OK:
                    return E_SYNTAX
                self._data_flags |= 1
            elif book and key_is(key, key_length, "bids", 4):
                if self._decode_levels(c, &self._bids) != OK:
                    return E_SYNTAX
                self._data_flags |= 2
            elif key_is(key, key_length, "ts", 2):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self.ts = value
            elif key_is(key, key_length, "checksum", 8):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self.checksum = value
            elif key_is(key, key_length, "seqId", 5):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self._seq_id = value
                self._has_seq_id = True
            elif key_is(key, key_length, "prevSeqId", 9):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self._prev_seq_id = value
                self._has_prev_seq_id = True
            elif skip_value(c, 2) != OK:
                return E_SYNTAX
            skip_whitespace(c)
            if c.p < c.end and c.p[0] == c',':
                c.p += 1
                continue
            if c.p < c.end and c.p[0] == c'}':
                c.p += 1
                return OK
            c.error = "expected ',' or '}' in a 'data' element"
            return E_SYNTAX

    cdef int _decode_levels(self, Cursor* c, RawSide* side) except -1:
        cdef const unsigned char* s = NULL
        cdef Py_ssize_t n = 0
        cdef RawLevel* level
        cdef int64_t mantissa = 0
        cdef int scale = 0, status = 0
        cdef double value = 0.0
        side.n = 0
        if expect(c, c'[', "levels must be an array") != OK:
            return E_SYNTAX
        skip_whitespace(c)
        if c.p < c.end and c.p[0] == c']':
            c.p += 1
            return OK
        while True:
            if side.n == side.capacity:
                reserve_raw(side, side.n + 1)
            level = &side.levels[side.n]
            if expect(c, c'[', "a level must be an array [price, size, ...]") != OK:
                return E_SYNTAX
            s = c.p
            status = fast_decimal(c, &mantissa, &scale, &value)
            if status == FALLBACK:
                if scan_number_token(c, &s, &n) != OK:
                    return E_SYNTAX
                status = parse_decimal(s, n, &mantissa, &scale, &value)
            if status != OK or mantissa == 0:
                c.p = s
                c.error = ("a price must be a positive decimal" if status != E_DIGITS
                           else "a price with too many digits")
                return E_SYNTAX
            level.price_mantissa = mantissa
            level.price_scale = <int8_t>scale
            if expect(c, c',', "a level needs a size after the price") != OK:
                return E_SYNTAX
            s = c.p
            status = fast_decimal(c, &mantissa, &scale, &value)
            if status == FALLBACK:
                if scan_number_token(c, &s, &n) != OK:
                    return E_SYNTAX
                status = parse_decimal(s, n, &mantissa, &scale, &value)
            if status != OK:
                c.p = s
                c.error = ("a size must be a non-negative decimal" if status != E_DIGITS
                           else "a size with too many digits")
                return E_SYNTAX
            level.size_mantissa = mantissa
            level.size_scale = <int8_t>scale
            level.size = value
            if skip_rest_of_level(c) != OK:
                return E_SYNTAX
            side.n += 1
            skip_whitespace(c)
            if c.p < c.end and c.p[0] == c',':
                c.p += 1
                continue
            return expect(c, c']', "expected ',' or ']' in a level list")


cdef str _text(bytes raw, bint escaped):
    if escaped:
        import json
        try:
            return json.loads(b'"' + raw + b'"')
        except ValueError:
            raise MalformedMessageError(f"bad escape in {raw!r}") from None
    return raw.decode("utf-8", "replace")


cdef inline bint _is_book_channel(str channel):
    return channel.startswith("books") or channel == "bbo-tbt"


cdef object _raw_rows(RawSide* side):
    out = np.empty((side.n, 2), dtype=np.float64)
    cdef double[:, ::1] view = out
    cdef Py_ssize_t i
    for i in range(side.n):
        view[i, 0] = side.levels[i].price_mantissa / POW10_DOUBLE[side.levels[i].price_scale] \
            if side.levels[i].price_scale <= 22 else \
            side.levels[i].price_mantissa / 10.0 ** side.levels[i].price_scale
        view[i, 1] = side.levels[i].size
    return out


# --------------------------------------------------------------------------------------------
# The order book
# --------------------------------------------------------------------------------------------

cdef inline int reserve_side(Side* side, Py_ssize_t needed) except -1:
    if needed > side.capacity:
        grow_levels(<void**>&side.levels, &side.capacity, needed, sizeof(Level))
    return 0


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


cdef void fill_sorted(Side* side, const RawSide* raw, const int64_t* keys) noexcept nogil:
    """Replace a side from a best-first level list; falls back to upserts, in message order, if
    it is not sorted or holds a size-0 row."""
    cdef Py_ssize_t i, n = 0
    cdef Level level
    cdef bint ordered = True
    for i in range(raw.n - 1, -1, -1):
        if raw.levels[i].size_mantissa == 0:
            # A delete in a snapshot: only message order says whether it follows a row at
            # the same price, so apply the rows one by one like an update.
            ordered = False
            break
        make_level(&side.levels[n], &raw.levels[i], keys[i])
        if n > 0 and side.levels[n].key <= side.levels[n - 1].key:
            ordered = False
            break
        n += 1
    side.n = n
    if ordered:
        return
    side.n = 0
    for i in range(raw.n):
        make_level(&level, &raw.levels[i], keys[i])
        upsert(side, &level)


cdef class OrderBook:
    """An exact L2 order book: int64 price ticks, float64 sizes, both sides sorted arrays.

    ``tick_size`` is the instrument's price increment (``tickSz`` on OKX) as a decimal string,
    Decimal, int or float ("0.1", "0.00000000001"). Every price is stored as an exact integer
    number of ticks; a price that is not on the grid is an error, never silently rounded.
    Sizes are in the units the exchange sends (base currency for spot, contracts for swaps).
    """

    def __cinit__(self, tick_size, *, inst_id=""):
        cdef bytes text
        cdef int64_t mantissa = 0
        cdef int scale = 0, status = 0
        cdef double value = 0.0
        self._bids.levels = self._asks.levels = NULL
        self._bids.n = self._asks.n = 0
        self._bids.capacity = self._asks.capacity = 0
        self._bids.sign = 1
        self._asks.sign = -1
        self._staged_keys = NULL
        self._staged_capacity = 0
        try:
            text = number_text(tick_size)
        except TypeError:
            raise InvalidTickSizeError(
                f"tick size {tick_size!r} is not a number; pass the instrument's tickSz, "
                f"e.g. '0.1'") from None
        status = parse_decimal(text, len(text), &mantissa, &scale, &value)
        if status != OK or mantissa == 0:
            raise InvalidTickSizeError(
                f"tick size {tick_size!r} must be a positive decimal number, e.g. '0.1'")
        if scale > 18:
            raise InvalidTickSizeError(f"tick size {tick_size!r} has more than 18 decimals")
        self._tick_mantissa = mantissa
        self._tick_scale = scale
        self._tick_denominator = <double>POW10[scale]
        self._tick_decimal = Decimal(mantissa).scaleb(-scale)
        self.inst_id = str(inst_id)
        self._scratch = BookMessage()
        reserve_side(&self._bids, 512)
        reserve_side(&self._asks, 512)

    def __init__(self, tick_size, *, inst_id=""):
        pass  # everything happens in __cinit__; this gives the class its public signature

    def __dealloc__(self):
        free(self._bids.levels)
        free(self._asks.levels)
        free(self._staged_keys)

    # ---- configuration -----------------------------------------------------------------

    @property
    def tick_size(self):
        """The tick size as an exact Decimal."""
        return self._tick_decimal

    cdef double _price(self, int64_t tick) noexcept nogil:
        # Exact integers divided by an exact power of ten: one rounding, like float("95000.1").
        return <double>(tick * self._tick_mantissa) / self._tick_denominator

    def ticks_to_price(self, int64_t tick):
        """The price of ``tick`` ticks, as the nearest float."""
        return self._price(tick)

    def price_to_ticks(self, price):
        """The exact number of ticks for ``price``; OffGridPriceError if it is off the grid."""
        cdef bytes text = self._number(price, "price")
        cdef int64_t mantissa = 0, tick = 0
        cdef int scale = 0, status = 0
        cdef double value = 0.0
        status = parse_decimal(text, len(text), &mantissa, &scale, &value)
        if status != OK or mantissa == 0:
            raise InvalidInputError(f"price {price!r} must be a positive decimal number")
        status = price_to_tick(mantissa, scale, self._tick_mantissa, self._tick_scale, &tick)
        if status != OK:
            self._raise_off_grid(mantissa, scale, status)
        return tick

    cdef bytes _number(self, object value, str what):
        try:
            return number_text(value)
        except TypeError:
            if what == "size":
                raise InvalidSizeError(f"size {value!r} is not a number") from None
            raise InvalidInputError(f"{what} {value!r} is not a number") from None

    cdef _raise_off_grid(self, int64_t mantissa, int scale, int status):
        text = decimal_text(mantissa, scale)
        where = f" of {self.inst_id}" if self.inst_id else ""
        if status == E_OVERFLOW:
            raise OffGridPriceError(
                f"price '{text}' is out of range for the {self._tick_decimal} tick grid{where}")
        raise OffGridPriceError(
            f"price '{text}' is not on the {self._tick_decimal} tick grid{where}")

    # ---- updates -----------------------------------------------------------------------

    cdef int _stage(self, RawSide* raw, int sign, Py_ssize_t offset) except -1:
        cdef Py_ssize_t i
        cdef int64_t tick = 0
        cdef int status
        for i in range(raw.n):
            status = price_to_tick(raw.levels[i].price_mantissa, raw.levels[i].price_scale,
                                   self._tick_mantissa, self._tick_scale, &tick)
            if status != OK:
                self._raise_off_grid(raw.levels[i].price_mantissa, raw.levels[i].price_scale,
                                     status)
            self._staged_keys[offset + i] = sign * tick
        return 0

    cdef int _apply_decoded(self, BookMessage msg) except -1:
        cdef Py_ssize_t i, nb = msg._bids.n, na = msg._asks.n
        cdef int64_t* grown
        cdef Level level
        if nb + na > self._staged_capacity:
            grown = <int64_t*>realloc(self._staged_keys, (nb + na + 64) * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self._staged_keys = grown
            self._staged_capacity = nb + na + 64
        # Validate everything before touching the book, so a bad message changes nothing.
        self._stage(&msg._bids, 1, 0)
        self._stage(&msg._asks, -1, nb)
        if msg._is_snapshot:
            reserve_side(&self._bids, nb)
            reserve_side(&self._asks, na)
            fill_sorted(&self._bids, &msg._bids, self._staged_keys)
            fill_sorted(&self._asks, &msg._asks, self._staged_keys + nb)
            return 0
        reserve_side(&self._bids, self._bids.n + nb)
        reserve_side(&self._asks, self._asks.n + na)
        for i in range(nb):
            make_level(&level, &msg._bids.levels[i], self._staged_keys[i])
            upsert(&self._bids, &level)
        for i in range(na):
            make_level(&level, &msg._asks.levels[i], self._staged_keys[nb + i])
            upsert(&self._asks, &level)
        return 0

    def apply_message(self, raw):
        """Decode one raw OKX v5 order-book push (bytes or str) and apply it, in one call.

        A snapshot replaces the book; an update upserts each level (size 0 deletes, deleting an
        unknown price is a no-op). Also takes a BookMessage already decoded by the caller.
        Returns the decoded BookMessage (this book's own scratch decoder when given raw text:
        valid until the next call). Malformed input raises MalformedMessageError and an off-grid
        price OffGridPriceError; in both cases the book is left exactly as it was.
        """
        cdef BookMessage msg
        if isinstance(raw, BookMessage):
            msg = <BookMessage>raw
            if not msg._decoded:
                raise MalformedMessageError("this BookMessage holds no decoded message")
        else:
            msg = self._scratch
            msg.decode(raw)
        if msg.kind != "book":
            raise MalformedMessageError(
                f"not an order-book push: a {msg.kind!r} message on channel {msg.channel!r}")
        if self.inst_id and msg.inst_id and msg.inst_id != self.inst_id:
            raise InvalidInputError(
                f"a push for {msg.inst_id!r} cannot be applied to the {self.inst_id!r} book")
        self._apply_decoded(msg)
        return msg

    cdef int _load_rows(self, RawSide* side, object rows, str name) except -1:
        cdef bytes text
        cdef int64_t mantissa = 0
        cdef int scale = 0, status = 0
        cdef double value = 0.0
        cdef RawLevel* level
        side.n = 0
        if rows is None:
            return 0
        for row in rows:
            if side.n == side.capacity:
                reserve_raw(side, side.n + 1)
            level = &side.levels[side.n]
            try:
                # Explicit length check: with boundscheck off, row[1] on a short list is unchecked.
                if len(row) < 2:
                    raise IndexError
                price = row[0]
                size = row[1]
            except (TypeError, IndexError, KeyError):
                raise InvalidInputError(
                    f"each {name} row must be [price, size, ...], got {row!r}") from None
            text = self._number(price, "price")
            status = parse_decimal(text, len(text), &mantissa, &scale, &value)
            if status != OK or mantissa == 0:
                raise InvalidInputError(
                    f"{name} price {price!r} must be a positive decimal number")
            level.price_mantissa = mantissa
            level.price_scale = <int8_t>scale
            text = self._number(size, "size")
            status = parse_decimal(text, len(text), &mantissa, &scale, &value)
            if status != OK or not isfinite(value):
                raise InvalidSizeError(
                    f"{name} size {size!r} at price {price!r} must be a finite number >= 0")
            level.size_mantissa = mantissa
            level.size_scale = <int8_t>scale
            level.size = value
            side.n += 1
        return 0

    cdef _apply_rows(self, object bids, object asks, bint snapshot):
        cdef BookMessage msg = self._scratch
        msg._decoded = False
        self._load_rows(&msg._bids, bids, "bid")
        self._load_rows(&msg._asks, asks, "ask")
        msg._is_snapshot = snapshot
        self._apply_decoded(msg)

    def apply_snapshot(self, bids, asks):
        """Replace the whole book. Rows are [price, size, ...] with str or number entries."""
        self._apply_rows(bids, asks, True)

    def apply_update(self, bids, asks):
        """Apply changed levels: size 0 deletes (an unknown price is a no-op), else upsert."""
        self._apply_rows(bids, asks, False)

    def clear(self):
        """Remove every level."""
        self._bids.n = self._asks.n = 0

    def copy(self):
        """An independent copy of this book."""
        cdef OrderBook other = OrderBook(self._tick_decimal, inst_id=self.inst_id)
        reserve_side(&other._bids, self._bids.n)
        reserve_side(&other._asks, self._asks.n)
        memcpy(other._bids.levels, self._bids.levels, self._bids.n * sizeof(Level))
        memcpy(other._asks.levels, self._asks.levels, self._asks.n * sizeof(Level))
        other._bids.n = self._bids.n
        other._asks.n = self._asks.n
        return other

    # ---- reading -----------------------------------------------------------------------

    @property
    def n_bids(self):
        return self._bids.n

    @property
    def n_asks(self):
        return self._asks.n

    @property
    def best_bid(self):
        """Highest bid price; NaN when there are no bids."""
        if self._bids.n == 0:
            return NAN
        return self._price(self._bids.levels[self._bids.n - 1].key)

    @property
    def best_ask(self):
        """Lowest ask price; NaN when there are no asks."""
        if self._asks.n == 0:
            return NAN
        return self._price(-self._asks.levels[self._asks.n - 1].key)

    @property
    def best_bid_size(self):
        return self._bids.levels[self._bids.n - 1].size if self._bids.n else NAN

    @property
    def best_ask_size(self):
        return self._asks.levels[self._asks.n - 1].size if self._asks.n else NAN

    @property
    def mid(self):
        """(best bid + best ask) / 2; NaN when either side is empty."""
        return self._mid()

    cdef double _mid(self) noexcept nogil:
        if self._bids.n == 0 or self._asks.n == 0:
            return NAN
        return <double>((self._bids.levels[self._bids.n - 1].key
                         - self._asks.levels[self._asks.n - 1].key) * self._tick_mantissa) \
            / (2.0 * self._tick_denominator)

    @property
    def spread(self):
        """best ask - best bid, in price units; NaN when either side is empty."""
        if self._bids.n == 0 or self._asks.n == 0:
            return NAN
        return self._price(-self._asks.levels[self._asks.n - 1].key
                           - self._bids.levels[self._bids.n - 1].key)

    @property
    def spread_bps(self):
        """Spread over mid in basis points; NaN when either side is empty."""
        if self._bids.n == 0 or self._asks.n == 0:
            return NAN
        return 1e4 * (-self._asks.levels[self._asks.n - 1].key
                      - self._bids.levels[self._bids.n - 1].key) * 2.0 / (
            self._bids.levels[self._bids.n - 1].key - self._asks.levels[self._asks.n - 1].key)

    @property
    def crossed(self):
        """True when best bid >= best ask (crossed or locked): the book cannot be trusted."""
        return (self._bids.n > 0 and self._asks.n > 0
                and self._bids.levels[self._bids.n - 1].key
                >= -self._asks.levels[self._asks.n - 1].key)

    cdef object _rows(self, Side* side, object n):
        cdef Py_ssize_t k = side.n if n is None else max(0, min(<Py_ssize_t>n, side.n))
        out = np.empty((k, 2), dtype=np.float64)
        cdef double[:, ::1] view = out
        cdef Py_ssize_t i
        cdef Level* level
        for i in range(k):
            level = &side.levels[side.n - 1 - i]
            view[i, 0] = self._price(side.sign * level.key)
            view[i, 1] = level.size
        return out

    cdef object _ticks(self, Side* side, object n):
        cdef Py_ssize_t k = side.n if n is None else max(0, min(<Py_ssize_t>n, side.n))
        out = np.empty(k, dtype=np.int64)
        cdef int64_t[::1] view = out
        cdef Py_ssize_t i
        for i in range(k):
            view[i] = side.sign * side.levels[side.n - 1 - i].key
        return out

    def bids(self, n=None):
        """Top ``n`` bids (all when None) as a (k, 2) float64 array [price, size], best first."""
        return self._rows(&self._bids, n)

    def asks(self, n=None):
        """Top ``n`` asks (all when None) as a (k, 2) float64 array [price, size], best first."""
        return self._rows(&self._asks, n)

    def bid_ticks(self, n=None):
        """Top ``n`` bid prices as int64 ticks, best first."""
        return self._ticks(&self._bids, n)

    def ask_ticks(self, n=None):
        """Top ``n`` ask prices as int64 ticks, best first."""
        return self._ticks(&self._asks, n)

    cdef Side* _side(self, object side) except NULL:
        if side == "bid" or side == "bids":
            return &self._bids
        if side == "ask" or side == "asks":
            return &self._asks
        raise InvalidInputError(f"side {side!r} must be 'bid' or 'ask'")

    cdef Py_ssize_t _window(self, Side* side, object levels, object bps) except -1:
        """How many levels from the touch fall within ``levels`` and within ``bps`` of mid."""
        cdef Py_ssize_t k = side.n, i
        cdef double mid, limit, bound, price
        if levels is not None:
            if levels < 0:
                raise InvalidInputError(f"levels={levels!r} must be >= 0")
            k = min(k, <Py_ssize_t>levels)
        if bps is not None:
            bound = bps
            if not isfinite(bound) or bound < 0:
                raise InvalidInputError(f"bps={bps!r} must be a finite number >= 0")
            mid = self._mid()
            if mid != mid:
                raise EmptyBookError("a window in bps of mid needs both sides of the book")
            limit = mid * (1.0 - side.sign * bound * 1e-4)
            i = 0
            while i < k:
                price = self._price(side.sign * side.levels[side.n - 1 - i].key)
                if (side.sign > 0 and price < limit) or (side.sign < 0 and price > limit):
                    break
                i += 1
            k = i
        return k

    def depth(self, side, levels=None, bps=None):
        """Total size on ``side`` ('bid' or 'ask') within the top ``levels`` levels and/or
        within ``bps`` basis points of mid (both limits apply when both are given)."""
        cdef Side* s = self._side(side)
        cdef Py_ssize_t k = self._window(s, levels, bps), i
        cdef double total = 0.0
        for i in range(k):
            total += s.levels[s.n - 1 - i].size
        return total

    def notional(self, side, levels=None, bps=None):
        """Sum of price * size on ``side`` within the same window as ``depth``, in quote units."""
        cdef Side* s = self._side(side)
        cdef Py_ssize_t k = self._window(s, levels, bps), i
        cdef double total = 0.0
        for i in range(k):
            total += self._price(s.sign * s.levels[s.n - 1 - i].key) * s.levels[s.n - 1 - i].size
        return total

    def imbalance(self, levels=1):
        """Queue imbalance (bid size - ask size) / (bid size + ask size) over the top
        ``levels`` levels of each side, in [-1, 1]; NaN when both are empty."""
        bid = self.depth("bid", levels=levels)
        ask = self.depth("ask", levels=levels)
        if bid + ask == 0.0:
            return NAN
        return (bid - ask) / (bid + ask)

    def checksum(self):
        """OKX's CRC32 of the top 25 levels, as a signed int32.

        The string interleaves ``bid price:bid size:ask price:ask size`` level by level (a side
        with fewer levels simply stops contributing), from the exact decimal text each level
        was received with (formatting floats back gets real messages wrong). OKX v5 docs,
        "Order book channel", checksum section.
        """
        cdef char buffer[CHECKSUM_DEPTH * 4 * (NUMBER_BUFFER + 1)]
        cdef Py_ssize_t length = 0, i
        cdef Level* level
        cdef bint first = True
        for i in range(CHECKSUM_DEPTH):
            if i < self._bids.n:
                level = &self._bids.levels[self._bids.n - 1 - i]
                length += self._write_level(buffer + length, level, 1, first)
                first = False
            if i < self._asks.n:
                level = &self._asks.levels[self._asks.n - 1 - i]
                length += self._write_level(buffer + length, level, -1, first)
                first = False
        value = crc32(PyBytes_FromStringAndSize(buffer, length))
        return value - 0x100000000 if value >= 0x80000000 else value

    cdef Py_ssize_t _write_level(self, char* out, const Level* level, int sign,
                                 bint first) noexcept nogil:
        cdef Py_ssize_t n = 0
        if not first:
            out[0] = c':'
            n = 1
        cdef int64_t price = price_mantissa_at(sign * level.key, self._tick_mantissa,
                                               self._tick_scale, level.price_scale)
        n += format_decimal(out + n, price, level.price_scale)
        out[n] = c':'
        n += 1
        n += format_decimal(out + n, level.size_mantissa, level.size_scale)
        return n

    def __eq__(self, other):
        cdef OrderBook o
        if not isinstance(other, OrderBook):
            return NotImplemented
        o = <OrderBook>other
        if self._tick_decimal != o._tick_decimal:
            return False
        return _same_side(&self._bids, &o._bids) and _same_side(&self._asks, &o._asks)

    __hash__ = None

    def __repr__(self):
        name = f"{self.inst_id} " if self.inst_id else ""
        return (f"<OrderBook {name}tick={self._tick_decimal} bids={self._bids.n} "
                f"asks={self._asks.n} best={self.best_bid}/{self.best_ask}>")


cdef bint _same_side(const Side* a, const Side* b) noexcept:
    cdef Py_ssize_t i
    if a.n != b.n:
        return False
    for i in range(a.n):
        if a.levels[i].key != b.levels[i].key or a.levels[i].size != b.levels[i].size:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Walking the book
# --------------------------------------------------------------------------------------------

cdef struct Walk:
    double quantity       # base units filled
    double notional       # quote units paid (buy) or received (sell)
    double remaining      # unfilled part, in the unit of the request
    int64_t worst_tick
    Py_ssize_t levels
    bint complete


cdef inline int side_sign(object side) except 0:
    """+1 for a buy (walks the asks), -1 for a sell (walks the bids)."""
    if side == "buy":
        return 1
    if side == "sell":
        return -1
    value = getattr(side, "value", None)
    if value == "buy":
        return 1
    if value == "sell":
        return -1
    raise InvalidInputError(f"side {side!r} must be 'buy' or 'sell'")


cdef inline double checked_target(object notional, object quantity, bint* by_notional) except -1:
    cdef double target
    cdef object raw
    if quantity is None and notional is not None:
        by_notional[0] = True
        raw = notional
    elif notional is None and quantity is not None:
        by_notional[0] = False
        raw = quantity
    else:
        raise InvalidInputError("give exactly one of notional= (price x size) or quantity= "
                                "(book size units: base units for spot, contracts for swaps)")
    try:
        target = raw
    except TypeError:
        raise InvalidInputError(
            f"{'notional' if by_notional[0] else 'quantity'}={raw!r} is not a number") from None
    if not isfinite(target) or target <= 0.0:
        raise InvalidInputError(
            f"{'notional' if by_notional[0] else 'quantity'}={raw!r} must be a finite number > 0")
    return target


cdef void walk_side(const Side* side, double tick_value, double target, bint by_notional,
                    Walk* out) noexcept nogil:
    """Consume levels from the touch until ``target`` (quote or base units) is filled."""
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


@cython.freelist(16)
cdef class Fill:
    """The result of walking the book for one order: what an immediate market order would get.

    Prices are quoted (quote units per base unit); sizes are the book's own units: ``quantity``
    in book size units and ``notional`` = Σ price × size. For a spot book those are
    base and quote units; for a contract book (OKX swaps and futures) ``quantity`` is contracts
    and ``notional`` is quote units / (ctVal × ctMult) — ``CostEstimator`` converts.
    Slippage is a cost in basis points of the reference (positive = worse than the reference):
    ``slippage_bps`` against the mid at walk time (it includes the half-spread),
    ``slippage_bps_touch`` against the best price on the side walked. When the book is too thin,
    ``complete`` is False and ``remaining`` holds the unfilled part in the unit of the request
    (``notional=`` or ``quantity=`` units); the other fields describe
    the part that did fill. Slippage vs mid is NaN when the opposite side is empty.
    """

    cdef readonly str side
    cdef readonly double avg_price
    cdef readonly double quantity
    cdef readonly double notional
    cdef readonly Py_ssize_t levels
    cdef readonly double worst_price
    cdef readonly double slippage_bps
    cdef readonly double slippage_bps_touch
    cdef readonly bint complete
    cdef readonly double remaining
    cdef readonly double mid
    cdef readonly double touch

    def __repr__(self):
        return (f"Fill(side={self.side!r}, avg_price={self.avg_price!r}, "
                f"quantity={self.quantity!r}, notional={self.notional!r}, levels={self.levels}, "
                f"worst_price={self.worst_price!r}, slippage_bps={self.slippage_bps!r}, "
                f"complete={self.complete}, remaining={self.remaining!r})")


cdef inline double cost_bps(double price, double reference, int sign) noexcept nogil:
    return sign * (price - reference) / reference * 1e4


def walk_book(OrderBook book not None, side, *, notional=None, quantity=None):
    """Walk ``book`` for an immediate order of ``notional`` (Σ price × size) or ``quantity``
    (book size units); "buy" consumes asks from the best up, "sell" bids from the best down.

    The walk works in the book's own units, as the exchange sends them: base units for a spot
    book (``quantity`` in BTC, ``notional`` in USDT), **contracts** for OKX swaps and futures
    (``quantity=100`` on BTC-USDT-SWAP is 100 contracts = 1 BTC). Base units at the API are
    :class:`~tradecost.CostEstimator`'s job: it converts with the instrument's contract value
    (``Instrument.from_base``/``to_base``) in one place.

    Returns a Fill. An empty side to walk raises EmptyBookError; a side too thin for the order
    gives ``complete=False`` and the remainder, never a silently partial number.
    """
    cdef int sign = side_sign(side)
    cdef bint by_notional = False
    cdef double target = checked_target(notional, quantity, &by_notional)
    cdef Side* walked = &book._asks if sign > 0 else &book._bids
    cdef Walk w
    cdef Fill fill
    cdef double tick_value = <double>book._tick_mantissa / book._tick_denominator
    if walked.n == 0:
        raise EmptyBookError(
            f"cannot walk the book for a {'buy' if sign > 0 else 'sell'}: "
            f"there are no {'asks' if sign > 0 else 'bids'}")
    walk_side(walked, tick_value, target, by_notional, &w)
    fill = Fill.__new__(Fill)
    fill.side = "buy" if sign > 0 else "sell"
    fill.quantity = w.quantity
    fill.notional = w.notional
    fill.avg_price = w.notional / w.quantity
    fill.levels = w.levels
    fill.worst_price = book._price(w.worst_tick)
    fill.complete = w.complete
    fill.remaining = w.remaining
    fill.mid = book._mid()
    fill.touch = book._price(walked.sign * walked.levels[walked.n - 1].key)
    fill.slippage_bps = cost_bps(fill.avg_price, fill.mid, sign)
    fill.slippage_bps_touch = cost_bps(fill.avg_price, fill.touch, sign)
    return fill


class FillCurve:
    """Many walks of one book side at once (the slippage curve): one entry per requested size.

    Every attribute is a numpy array aligned with ``targets`` and means what the same-named
    Fill attribute means.
    """

    __slots__ = ("avg_price", "by", "complete", "levels", "notional", "quantity", "remaining",
                 "side", "slippage_bps", "slippage_bps_touch", "targets", "worst_price")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)

    def __len__(self):
        return len(self.targets)

    def __repr__(self):
        return f"FillCurve(side={self.side!r}, by={self.by!r}, n={len(self.targets)})"


def walk_book_curve(OrderBook book not None, side, *, notionals=None, quantities=None):
    """Walk the book for every size in ``notionals`` (Σ price × size) or ``quantities`` (book
    size units: base units for spot, contracts for swaps and futures, as in ``walk_book``) in
    one pass over the side: cumulative depth once, then a bisection per size.
    Equal, to the last bit, to calling ``walk_book`` once per size."""
    cdef int sign = side_sign(side)
    if (notionals is None) == (quantities is None):
        raise InvalidInputError("give exactly one of notionals= or quantities=")
    cdef bint by_notional = notionals is not None
    targets_array = np.ascontiguousarray(notionals if by_notional else quantities,
                                         dtype=np.float64).reshape(-1)
    if targets_array.size and not (np.isfinite(targets_array).all()
                                   and (targets_array > 0).all()):
        raise InvalidInputError("every size must be a finite number > 0")
    cdef Side* walked = &book._asks if sign > 0 else &book._bids
    if walked.n == 0:
        raise EmptyBookError(f"cannot walk the book: there are no {'asks' if sign > 0 else 'bids'}")
    cdef double tick_value = <double>book._tick_mantissa / book._tick_denominator
    cdef Py_ssize_t m = targets_array.shape[0], L = walked.n, i, j, low, high, middle
    cdef const double[::1] targets = targets_array
    cumulative_q = np.empty(L, dtype=np.float64)
    cumulative_n = np.empty(L, dtype=np.float64)
    prices_array = np.empty(L, dtype=np.float64)
    cdef double[::1] cq = cumulative_q, cn = cumulative_n, px = prices_array
    cdef double quantity = 0.0, notional = 0.0, take, target
    cdef const Level* level
    for j in range(L):
        level = &walked.levels[L - 1 - j]
        px[j] = <double>(walked.sign * level.key) * tick_value
        quantity += level.size
        notional += px[j] * level.size
        cq[j] = quantity
        cn[j] = notional
    out_q = np.empty(m)
    out_n = np.empty(m)
    out_levels = np.empty(m, dtype=np.int64)
    out_worst = np.empty(m)
    out_complete = np.empty(m, dtype=np.bool_)
    out_remaining = np.empty(m)
    cdef double[::1] oq = out_q, on = out_n, ow = out_worst, orem = out_remaining
    cdef int64_t[::1] ol = out_levels
    cdef unsigned char[::1] oc = out_complete.view(np.uint8)
    cdef const double* cumulative = &cn[0] if by_notional else &cq[0]
    for i in range(m):
        target = targets[i]
        # First level where the running total reaches the target.
        low = 0
        high = L
        while low < high:
            middle = (low + high) >> 1
            if cumulative[middle] >= target:
                high = middle
            else:
                low = middle + 1
        if low == L:
            oq[i] = cq[L - 1]
            on[i] = cn[L - 1]
            ol[i] = L
            ow[i] = book._price(walked.sign * walked.levels[0].key)
            oc[i] = 0
            orem[i] = target - (cn[L - 1] if by_notional else cq[L - 1])
            continue
        quantity = cq[low - 1] if low > 0 else 0.0
        notional = cn[low - 1] if low > 0 else 0.0
        if by_notional:
            take = target - notional
            oq[i] = quantity + take / px[low]
            on[i] = target
        else:
            take = target - quantity
            on[i] = notional + take * px[low]
            oq[i] = target
        ol[i] = low + 1
        ow[i] = book._price(walked.sign * walked.levels[L - 1 - low].key)
        oc[i] = 1
        orem[i] = 0.0
    mid = book._mid()
    touch = book._price(walked.sign * walked.levels[L - 1].key)
    avg = slippage = slippage_touch = None
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = out_n / out_q
        slippage = sign * (avg - mid) / mid * 1e4
        slippage_touch = sign * (avg - touch) / touch * 1e4
    return FillCurve(side="buy" if sign > 0 else "sell",
                     by="notional" if by_notional else "quantity",
                     targets=targets_array.copy(), avg_price=avg, quantity=out_q,
                     notional=out_n, levels=out_levels, worst_price=out_worst,
                     complete=out_complete, remaining=out_remaining,
                     slippage_bps=slippage, slippage_bps_touch=slippage_touch)
