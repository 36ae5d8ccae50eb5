# cython: language_level=3
"""A compiled decoder for Binance diff-depth events and REST depth snapshots.

One pass over the raw bytes with the shared JSON scanner and decimal kernels, straight into the
order book's level buffers; :meth:`DepthMessage.apply` then hands them to
``OrderBook._apply_decoded``, which validates every price against the tick grid before it
changes anything, so a bad message leaves the book exactly as it was.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t

from tradecost._book cimport (
    BookLevels,
    OrderBook,
    TRADECOST_SOURCE_HASH,
    json_text,
    message_text,
    raw_rows,
    same_bytes,
    scan_levels,
)
from tradecost._decimal cimport E_SYNTAX, OK
from tradecost._jsonscan cimport (
    Cursor,
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

from tradecost.errors import InvalidInputError, MalformedMessageError

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")

cdef enum:
    # Which fields a payload carried (bit flags).
    HAS_E = 1 << 0
    HAS_UPPER_U = 1 << 1
    HAS_LOWER_U = 1 << 2
    HAS_PU = 1 << 3
    HAS_B = 1 << 4
    HAS_A = 1 << 5
    HAS_SYMBOL = 1 << 6
    HAS_LAST_UPDATE_ID = 1 << 7
    HAS_BIDS = 1 << 8
    HAS_ASKS = 1 << 9
    IS_DEPTH_EVENT = 1 << 10  # "e": "depthUpdate"
    NOT_LEVELS = 1 << 11  # a b/a/bids/asks key whose value is not a level list (bookTicker)
    HAS_DATA = 1 << 12
    HAS_EVENT_TIME = 1 << 13
    HAS_TRANSACTION_TIME = 1 << 14

cdef enum:
    KIND_NONE = 0
    KIND_DEPTH = 1
    KIND_SNAPSHOT = 2
    KIND_OTHER = 3


cdef class DepthMessage:
    """A reusable decoder for Binance order-book messages, from raw ``bytes`` or ``str``.

    Understands a diff-depth event (``{"e": "depthUpdate", "E", "s", "U", "u", ["pu", "T"],
    "b", "a"}``), a REST depth snapshot (``{"lastUpdateId", "bids", "asks"}``), and either
    wrapped in a combined-stream envelope (``{"stream": ..., "data": ...}``). ``decode`` fills
    this object in place and returns it. Fields after a successful decode:

    - ``kind``: ``"depth"``, ``"snapshot"``, or ``"other"`` for any other well-formed JSON object
      (trades, bookTicker, subscription replies, ``serverShutdown``): parse those with ``json``.
    - ``symbol``: ``s``, upper case (``""`` for a snapshot, which names no symbol).
    - ``first_update_id`` (``U``), ``final_update_id`` (``u``; a snapshot's ``lastUpdateId``),
      ``prev_final_update_id`` (futures ``pu``, else None).
    - ``event_time_ms`` (``E``), ``transaction_time_ms`` (futures ``T``): 0 when absent.
    - ``n_bids``, ``n_asks``; ``bids()``/``asks()`` as (k, 2) float64 arrays in message order.

    Malformed text raises :class:`~tradecost.errors.MalformedMessageError` naming the byte.
    """

    cdef BookLevels _levels
    cdef readonly str kind
    cdef readonly str symbol
    cdef readonly int64_t first_update_id
    cdef readonly int64_t final_update_id
    cdef int64_t _prev_final_update_id
    cdef readonly int64_t event_time_ms
    cdef readonly int64_t transaction_time_ms
    cdef int _flags
    cdef int _kind
    cdef bytes _symbol_raw

    def __cinit__(self):
        self._levels = BookLevels()
        self._kind = KIND_NONE
        self.kind = ""
        self.symbol = ""
        self._symbol_raw = b""

    @property
    def prev_final_update_id(self):
        return self._prev_final_update_id if self._flags & HAS_PU else None

    @property
    def n_bids(self):
        return self._levels._bids.n

    @property
    def n_asks(self):
        return self._levels._asks.n

    def bids(self):
        """The bid levels as a (k, 2) float64 array [price, size], in message order."""
        return raw_rows(&self._levels._bids)

    def asks(self):
        """The ask levels as a (k, 2) float64 array [price, size], in message order."""
        return raw_rows(&self._levels._asks)

    def __repr__(self):
        if self._kind == KIND_NONE:
            return "DepthMessage(<not decoded>)"
        return (f"DepthMessage(kind={self.kind!r}, symbol={self.symbol!r}, "
                f"U={self.first_update_id}, u={self.final_update_id}, "
                f"pu={self.prev_final_update_id}, E={self.event_time_ms}, "
                f"n_bids={self.n_bids}, n_asks={self.n_asks})")

    def decode(self, raw):
        """Decode one raw message into this object and return it."""
        self._load(raw)
        return self

    cdef int _load(self, object raw) except -1:
        cdef const char* data = NULL
        cdef Py_ssize_t length = 0
        try:
            _keep_alive = message_text(raw, &data, &length, "Binance")
        except MalformedMessageError:
            self._kind = KIND_NONE
            self.kind = ""
            raise
        self._kind = KIND_NONE
        self.kind = ""
        return self._decode(<const unsigned char*>data, length)

    def apply(self, OrderBook book not None):
        """Apply the decoded depth event (an update) or snapshot (a replacement) to ``book``.

        Size 0 deletes a level (an unknown price is a no-op). An off-grid price raises
        OffGridPriceError and leaves the book unchanged. Sequence checks are the caller's job
        (:class:`~tradecost.feeds.binance.protocol.BinanceProtocol`).
        """
        self._apply(book)
        return self

    def apply_message(self, OrderBook book not None, raw):
        """Decode ``raw`` and apply it to ``book`` in one call; returns this decoder."""
        self._load(raw)
        self._apply(book)
        return self

    cdef int _apply(self, OrderBook book) except -1:
        if self._kind != KIND_DEPTH and self._kind != KIND_SNAPSHOT:
            raise MalformedMessageError(
                "this DepthMessage holds no depth event or snapshot"
                if self._kind == KIND_NONE else "not a depth event or snapshot")
        if self._kind == KIND_DEPTH and book.inst_id and self.symbol != book.inst_id:
            raise InvalidInputError(
                f"a depth event for {self.symbol!r} cannot be applied to the "
                f"{book.inst_id!r} book")
        self._levels._is_snapshot = self._kind == KIND_SNAPSHOT
        return book._apply_decoded(self._levels)

    # ------------------------------------------------------------------ decoding

    cdef int _decode(self, const unsigned char* data, Py_ssize_t length) except -1:
        cdef Cursor c
        cdef int flags
        cdef int depth_fields = IS_DEPTH_EVENT | HAS_UPPER_U | HAS_LOWER_U | HAS_B | HAS_A
        c.start = c.p = data
        c.end = data + length
        c.error = NULL
        self._levels._bids.n = self._levels._asks.n = 0
        self._flags = 0
        self.first_update_id = self.final_update_id = self._prev_final_update_id = 0
        self.event_time_ms = self.transaction_time_ms = 0
        if self._decode_object(&c, 0) != OK:
            return self._fail(&c)
        skip_whitespace(&c)
        if c.p != c.end:
            c.error = "unexpected text after the message"
            return self._fail(&c)
        flags = self._flags
        if not flags & HAS_SYMBOL and self._symbol_raw:
            self._symbol_raw = b""
            self.symbol = ""
        if flags & IS_DEPTH_EVENT:
            if (flags & depth_fields) != depth_fields or not flags & HAS_SYMBOL or (
                    flags & NOT_LEVELS):
                c.p = c.start
                c.error = "a depthUpdate needs 's', 'U', 'u', 'b' and 'a'"
                return self._fail(&c)
            if flags & (HAS_BIDS | HAS_ASKS | HAS_LAST_UPDATE_ID):
                c.p = c.start
                c.error = "a depthUpdate with snapshot fields"
                return self._fail(&c)
            self._set_kind(KIND_DEPTH)
        elif flags & NOT_LEVELS:
            self._set_kind(KIND_OTHER)
        elif flags & (HAS_LAST_UPDATE_ID | HAS_BIDS | HAS_ASKS) and not flags & HAS_E:
            if (flags & (HAS_LAST_UPDATE_ID | HAS_BIDS | HAS_ASKS)
                    != (HAS_LAST_UPDATE_ID | HAS_BIDS | HAS_ASKS)):
                c.p = c.start
                c.error = "a depth snapshot needs 'lastUpdateId', 'bids' and 'asks'"
                return self._fail(&c)
            if flags & (HAS_B | HAS_A | HAS_UPPER_U | HAS_LOWER_U):
                c.p = c.start
                c.error = "a depth snapshot with depthUpdate fields"
                return self._fail(&c)
            self._set_kind(KIND_SNAPSHOT)
        else:
            self._set_kind(KIND_OTHER)
        return 0

    cdef void _set_kind(self, int kind):
        self._kind = kind
        if kind == KIND_DEPTH:
            self.kind = "depth"
        elif kind == KIND_SNAPSHOT:
            self.kind = "snapshot"
        else:
            self.kind = "other"
            self._levels._bids.n = self._levels._asks.n = 0

    cdef int _fail(self, Cursor* c) except -1:
        cdef Py_ssize_t at = c.p - c.start
        cdef Py_ssize_t total = c.end - c.start
        cdef bytes window = PyBytes_FromStringAndSize(
            <const char*>c.start + max(0, at - 20), min(total, at + 20) - max(0, at - 20))
        self._kind = KIND_NONE
        self.kind = ""
        self._levels._bids.n = self._levels._asks.n = 0
        reason = (<bytes>c.error).decode("ascii") if c.error != NULL else "malformed message"
        raise MalformedMessageError(
            f"malformed Binance message at byte {at} of {total}: {reason} "
            f"(near {window.decode('utf-8', 'replace')!r})")

    cdef int _decode_object(self, Cursor* c, int depth) except -1:
        """One JSON object: the envelope (depth 0) or a payload (depth 0 or, in "data", 1)."""
        cdef int member
        cdef const unsigned char* key = NULL
        cdef const unsigned char* s = NULL
        cdef Py_ssize_t key_length = 0, n = 0
        cdef bint escaped = False
        cdef int64_t value = 0
        cdef unsigned char first
        member = open_container(c, c'{', c'}', "expected a JSON object")
        if member != MORE:
            return member
        while True:
            if scan_key(c, &key, &key_length, &escaped) != OK:
                return E_SYNTAX
            first = key[0] if key_length > 0 else 0
            if key_length == 1 and not escaped:
                if first == c'b' or first == c'a':
                    if self._level_list(c, first == c'b', HAS_B if first == c'b' else HAS_A) != OK:
                        return E_SYNTAX
                elif first == c'U' or first == c'u' or first == c'E' or first == c'T':
                    if scan_integer(c, &value) != OK:
                        return E_SYNTAX
                    if first == c'U':
                        self.first_update_id = value
                        self._flags |= HAS_UPPER_U
                    elif first == c'u':
                        self.final_update_id = value
                        self._flags |= HAS_LOWER_U
                    elif first == c'E':
                        self.event_time_ms = value
                        self._flags |= HAS_EVENT_TIME
                    else:
                        self.transaction_time_ms = value
                        self._flags |= HAS_TRANSACTION_TIME
                elif first == c'e':
                    if scan_string(c, &s, &n, &escaped) != OK:
                        return E_SYNTAX
                    self._flags |= HAS_E
                    if key_is(s, n, "depthUpdate", 11):
                        self._flags |= IS_DEPTH_EVENT
                elif first == c's':
                    skip_whitespace(c)
                    if c.p < c.end and c.p[0] == c'"':
                        if scan_string(c, &s, &n, &escaped) != OK:
                            return E_SYNTAX
                        if not same_bytes(s, n, self._symbol_raw):
                            # Cache the raw bytes only once they decoded: a bad escape must
                            # fail again next time, not reuse the previous symbol.
                            raw_symbol = PyBytes_FromStringAndSize(<const char*>s, n)
                            self.symbol = json_text(raw_symbol, escaped)
                            self._symbol_raw = raw_symbol
                        self._flags |= HAS_SYMBOL
                    elif skip_value(c, depth + 1) != OK:
                        return E_SYNTAX
                elif skip_value(c, depth + 1) != OK:
                    return E_SYNTAX
            elif key_length == 2 and key_is(key, key_length, "pu", 2):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self._prev_final_update_id = value
                self._flags |= HAS_PU
            elif key_length == 4 and key_is(key, key_length, "bids", 4):
                if self._level_list(c, True, HAS_BIDS) != OK:
                    return E_SYNTAX
            elif key_length == 4 and key_is(key, key_length, "asks", 4):
                if self._level_list(c, False, HAS_ASKS) != OK:
                    return E_SYNTAX
            elif key_length == 12 and key_is(key, key_length, "lastUpdateId", 12):
                if scan_integer(c, &value) != OK:
                    return E_SYNTAX
                self.final_update_id = value
                self._flags |= HAS_LAST_UPDATE_ID
            elif depth == 0 and key_length == 4 and key_is(key, key_length, "data", 4):
                skip_whitespace(c)
                if c.p < c.end and c.p[0] == c'{' and not self._flags & HAS_DATA:
                    self._flags |= HAS_DATA
                    if self._decode_object(c, 1) != OK:
                        return E_SYNTAX
                else:
                    self._flags |= NOT_LEVELS  # an envelope of something else
                    if skip_value(c, depth + 1) != OK:
                        return E_SYNTAX
            elif skip_value(c, depth + 1) != OK:
                return E_SYNTAX
            member = next_member(c, c'}', "expected ',' or '}'")
            if member != MORE:
                return member

    cdef int _level_list(self, Cursor* c, bint bids, int flag) except -1:
        """A list of [price, size] levels, or (bookTicker's "b": "0.1") a value to skip."""
        skip_whitespace(c)
        if c.p >= c.end or c.p[0] != c'[':
            self._flags |= NOT_LEVELS
            return skip_value(c, 2)
        if self._flags & flag:
            c.error = "the same level list twice"
            return E_SYNTAX
        self._flags |= flag
        return scan_levels(c, &self._levels._bids if bids else &self._levels._asks, True)
