# cython: language_level=3
"""The OKX v5 push decoder and OKX's order-book checksum, on the shared compiled kernels.

``BookMessage`` reads a raw order-book push in one pass with the JSON scanner of
``_jsonscan.pxd`` and the level-list kernel of ``_book.pxd``, into the :class:`BookLevels`
buffers ``OrderBook`` applies. ``book_checksum`` is OKX's CRC32 over the top 25 levels.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int32_t, int64_t

from tradecost._book cimport (
    BookLevels,
    Level,
    OrderBook,
    TRADECOST_SOURCE_HASH,
    crc32,
    json_text,
    message_text,
    price_mantissa_at,
    same_bytes,
    scan_levels,
)
from tradecost._decimal cimport E_SYNTAX, NUMBER_BUFFER, OK, format_decimal
from tradecost._jsonscan cimport (
    Cursor,
    expect,
    MORE,
    key_is,
    next_member,
    open_container,
    scan_integer,
    scan_key,
    scan_string,
    skip_value,
    skip_whitespace,
)

import warnings

from tradecost.errors import InvalidInputError, MalformedMessageError

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

cdef enum:
    # Levels of each side that enter OKX's checksum.
    CHECKSUM_DEPTH = 25


cdef class BookMessage(BookLevels):
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
    - ``ts_ms``: exchange time ``data[0].ts`` in milliseconds (0 when absent); ``ts`` is its
      old name (deprecated: it still reads the same value, with a DeprecationWarning).
    - ``seq_id``, ``prev_seq_id``: ints, or None when the push has none (pre-2023 captures).
    - ``checksum``: signed int32 as sent; 0 when absent (OKX always sends 0 since 2026-06-23).
    - ``n_bids``, ``n_asks``: number of levels in the push.
    """

    cdef readonly str kind
    cdef readonly str channel
    cdef readonly str inst_id
    cdef readonly str action
    cdef readonly int64_t ts_ms
    cdef readonly int64_t checksum
    cdef int64_t _seq_id
    cdef int64_t _prev_seq_id
    cdef bint _has_seq_id
    cdef bint _has_prev_seq_id
    cdef int _data_flags
    cdef bytes _channel_raw
    cdef bytes _inst_id_raw

    def __cinit__(self):
        self._channel_raw = b""
        self._inst_id_raw = b""
        self.channel = ""
        self.inst_id = ""
        self.kind = ""
        self.action = ""

    @property
    def seq_id(self):
        return self._seq_id if self._has_seq_id else None

    @property
    def prev_seq_id(self):
        return self._prev_seq_id if self._has_prev_seq_id else None

    cdef int _check_applicable(self, OrderBook book) except -1:
        if self.kind != "book":
            raise MalformedMessageError(
                f"not an order-book push: a {self.kind!r} message on channel {self.channel!r}")
        if book.inst_id and self.inst_id and self.inst_id != book.inst_id:
            raise InvalidInputError(
                f"a push for {self.inst_id!r} cannot be applied to the {book.inst_id!r} book")
        return 0

    @property
    def ts(self):
        """The old name of ``ts_ms`` (deprecated)."""
        warnings.warn("BookMessage.ts is deprecated: read ts_ms (milliseconds)",
                      DeprecationWarning, stacklevel=2)
        return self.ts_ms

    def __repr__(self):
        if not self._decoded:
            return "BookMessage(<not decoded>)"
        return (f"BookMessage(kind={self.kind!r}, channel={self.channel!r}, "
                f"inst_id={self.inst_id!r}, action={self.action!r}, ts_ms={self.ts_ms}, "
                f"seq_id={self.seq_id}, prev_seq_id={self.prev_seq_id}, "
                f"checksum={self.checksum}, n_bids={self._bids.n}, n_asks={self._asks.n})")

    def decode(self, raw):
        """Decode one raw push into this object and return it.

        Raises MalformedMessageError (naming the position) when the text is not a well-formed
        OKX push; this object is then marked undecoded and cannot be applied to a book.
        """
        self._decode_raw(raw)
        return self

    cdef int _decode_raw(self, object raw) except -1:
        cdef const char* data = NULL
        cdef Py_ssize_t length = 0
        try:
            _keep_alive = message_text(raw, &data, &length, "OKX")
        except MalformedMessageError:
            self._decoded = False
            raise
        self._decoded = False
        self._decode(<const unsigned char*>data, length)
        self._decoded = True
        return 0

    cdef int _decode(self, const unsigned char* data, Py_ssize_t length) except -1:
        cdef int member
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
        self.ts_ms = 0
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
            if scan_key(&c, &s, &n, &escaped) != OK:
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
            member = next_member(&c, c'}', "expected ',' or '}'")
            if member == OK:
                break
            if member != MORE:
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
        cdef int member
        cdef const unsigned char* s = NULL
        cdef const unsigned char* key = NULL
        cdef Py_ssize_t n = 0, key_length = 0
        cdef bint escaped = False
        cdef bint has_channel = False, has_inst_id = False
        member = open_container(c, c'{', c'}', "'arg' must be an object")
        if member != MORE:
            if member == OK:
                self._forget_arg(False, False)
            return member
        while True:
            if scan_key(c, &key, &key_length, &escaped) != OK:
                return E_SYNTAX
            if key_is(key, key_length, "channel", 7) or key_is(key, key_length, "instId", 6):
                if scan_string(c, &s, &n, &escaped) != OK:
                    return E_SYNTAX
                if key_length == 7:
                    has_channel = True
                    if not same_bytes(s, n, self._channel_raw):
                        # Text first: a bad escape raises before the cache key changes.
                        text = PyBytes_FromStringAndSize(<const char*>s, n)
                        self.channel = json_text(text, escaped)
                        self._channel_raw = text
                else:
                    has_inst_id = True
                    if not same_bytes(s, n, self._inst_id_raw):
                        # Text first: a bad escape raises before the cache key changes.
                        text = PyBytes_FromStringAndSize(<const char*>s, n)
                        self.inst_id = json_text(text, escaped)
                        self._inst_id_raw = text
            elif skip_value(c, 1) != OK:
                return E_SYNTAX
            member = next_member(c, c'}', "expected ',' or '}' in 'arg'")
            if member != MORE:
                if member == OK:
                    self._forget_arg(has_channel, has_inst_id)
                return member

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
        cdef int member
        cdef const unsigned char* key = NULL
        cdef Py_ssize_t key_length = 0
        cdef bint escaped = False
        cdef int64_t value = 0
        # Flag 4: this message's 'arg' came first. Until then the channel is unknown (the one
        # held is the previous message's), so levels are read as if it were a book push.
        cdef bint book = _is_book_channel(self.channel) or not (self._data_flags & 4)
        member = open_container(c, c'{', c'}', "'data' elements must be objects")
        if member != MORE:
            return member
        while True:
            if scan_key(c, &key, &key_length, &escaped) != OK:
                return E_SYNTAX
            if book and key_is(key, key_length, "asks", 4):
                if scan_levels(c, &self._asks, False) != OK:
                    return E_SYNTAX
                self._data_flags |= 1
            elif book and key_is(key, key_length, "bids", 4):
                if scan_levels(c, &self._bids, False) != OK:
                    return E_SYNTAX
                self._data_flags |= 2
            elif key_is(key, key_length, "ts", 2):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self.ts_ms = value
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
            member = next_member(c, c'}', "expected ',' or '}' in a 'data' element")
            if member != MORE:
                return member

cdef inline bint _is_book_channel(str channel):
    return channel.startswith("books") or channel == "bbo-tbt"


# --------------------------------------------------------------------------------------------
# OKX's order-book checksum
# --------------------------------------------------------------------------------------------

cdef Py_ssize_t _write_level(OrderBook book, char* out, const Level* level, int sign,
                             bint first) noexcept nogil:
    cdef Py_ssize_t n = 0
    if not first:
        out[0] = c':'
        n = 1
    cdef int64_t price = price_mantissa_at(sign * level.key, book._tick_mantissa,
                                           book._tick_scale, level.price_scale)
    n += format_decimal(out + n, price, level.price_scale)
    out[n] = c':'
    n += 1
    n += format_decimal(out + n, level.size_mantissa, level.size_scale)
    return n


def book_checksum(OrderBook book not None):
    """OKX's CRC32 of the top 25 levels of ``book``, as a signed int32 (``OrderBook.checksum``).

    The string interleaves ``bid price:bid size:ask price:ask size`` level by level (a side
    with fewer levels simply stops contributing), from the exact decimal text each level
    was received with (formatting floats back gets real messages wrong). OKX v5 docs,
    "Order book channel", checksum section.
    """
    cdef char buffer[CHECKSUM_DEPTH * 4 * (NUMBER_BUFFER + 1)]
    cdef Py_ssize_t length = 0, i
    cdef const Level* level
    cdef bint first = True
    for i in range(CHECKSUM_DEPTH):
        if i < book._bids.n:
            level = &book._bids.levels[book._bids.n - 1 - i]
            length += _write_level(book, buffer + length, level, 1, first)
            first = False
        if i < book._asks.n:
            level = &book._asks.levels[book._asks.n - 1 - i]
            length += _write_level(book, buffer + length, level, -1, first)
            first = False
    return <int32_t>crc32(buffer, length)
