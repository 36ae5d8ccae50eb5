# cython: language_level=3
"""The compiled core: an exact L2 order book and walk-the-book, speaking no venue.

Prices are int64 ticks of the instrument's tick size (exact for any decimal price the exchange
sends); sizes are float64, with the received decimal digits kept beside them for checksums.
Each side is one contiguous array sorted so that the best level is last (see ``Level`` in the
.pxd): updates cluster at the touch, so inserts and deletes there move almost nothing.

Venue decoders live under ``tradecost.feeds.<venue>``: each fills a :class:`BookLevels` with the
shared kernels of ``_book.pxd``, ``_decimal.pxd`` and ``_jsonscan.pxd``. ``OrderBook``'s raw
``apply_message`` and ``checksum`` use the push format registered with
:func:`register_push_format` (``tradecost._core`` registers the default one on import).
"""

cimport cython
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.math cimport NAN, isfinite
from libc.stdint cimport int8_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

from tradecost._decimal cimport (
    E_OVERFLOW,
    NUMBER_BUFFER,
    OK,
    POW10,
    POW10_DOUBLE,
    format_decimal,
    parse_decimal,
)

from decimal import Decimal

import numpy as np

from tradecost.errors import (
    EmptyBookError,
    InvalidInputError,
    InvalidSizeError,
    InvalidTickSizeError,
    MalformedMessageError,
    OffGridPriceError,
)

SOURCE_HASH = (<bytes>TRADECOST_SOURCE_HASH).decode("ascii")


# --------------------------------------------------------------------------------------------
# Shared helpers (declared in _book.pxd)
# --------------------------------------------------------------------------------------------

# Slice-by-8 tables: CRC_TABLE[0] is the byte-at-a-time table; CRC_TABLE[k][i] is the CRC of
# byte i followed by k zero bytes, so eight bytes are folded in with eight lookups at once.
cdef uint32_t CRC_TABLE[8][256]


cdef void _crc_init() noexcept nogil:
    cdef uint32_t c
    cdef int n, bits, k
    for n in range(256):
        c = <uint32_t>n
        bits = 8
        while bits > 0:
            if c & 1:
                c = 0xEDB88320U ^ (c >> 1)
            else:
                c = c >> 1
            bits -= 1
        CRC_TABLE[0][n] = c
    for k in range(1, 8):
        for n in range(256):
            c = CRC_TABLE[k - 1][n]
            CRC_TABLE[k][n] = (c >> 8) ^ CRC_TABLE[0][c & 0xFF]


_crc_init()


cdef inline uint32_t _load_le32(const char* p) noexcept nogil:
    return (<uint32_t><uint8_t>p[0] | (<uint32_t><uint8_t>p[1] << 8)
            | (<uint32_t><uint8_t>p[2] << 16) | (<uint32_t><uint8_t>p[3] << 24))


cdef uint32_t crc32(const char* data, Py_ssize_t n) noexcept nogil:
    """CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), equal to zlib.crc32; eight bytes
    a step (slice-by-8), then the tail a byte at a time."""
    cdef uint32_t c = 0xFFFFFFFFU, one, two
    cdef Py_ssize_t i = 0
    while n - i >= 8:
        one = _load_le32(data + i) ^ c
        two = _load_le32(data + i + 4)
        c = (CRC_TABLE[7][one & 0xFF] ^ CRC_TABLE[6][(one >> 8) & 0xFF]
             ^ CRC_TABLE[5][(one >> 16) & 0xFF] ^ CRC_TABLE[4][one >> 24]
             ^ CRC_TABLE[3][two & 0xFF] ^ CRC_TABLE[2][(two >> 8) & 0xFF]
             ^ CRC_TABLE[1][(two >> 16) & 0xFF] ^ CRC_TABLE[0][two >> 24])
        i += 8
    while i < n:
        c = CRC_TABLE[0][(c ^ <uint8_t>data[i]) & 0xFF] ^ (c >> 8)
        i += 1
    return c ^ 0xFFFFFFFFU


def crc32_of(data):
    """CRC-32 of ``bytes`` as an unsigned int (the kernel the checksums use; equals zlib.crc32)."""
    cdef bytes raw = bytes(data)
    return crc32(raw, len(raw))


cdef object raw_rows(const RawSide* side):
    """Decoded levels as a (k, 2) float64 array [price, size], in message order."""
    out = np.empty((side.n, 2), dtype=np.float64)
    cdef double[:, ::1] view = out
    cdef Py_ssize_t i
    for i in range(side.n):
        if side.levels[i].price_scale <= 22:
            view[i, 0] = side.levels[i].price_mantissa / POW10_DOUBLE[side.levels[i].price_scale]
        else:
            view[i, 0] = side.levels[i].price_mantissa / 10.0 ** side.levels[i].price_scale
        view[i, 1] = side.levels[i].size
    return out


cdef int scan_levels(Cursor* c, RawSide* side, bint size_is_quantity) except -1:
    """At a '[': read a list of ``[price, size, ...]`` levels into ``side``. Error texts call
    the second column "quantity" when ``size_is_quantity`` (the venue's own word), else "size".
    """
    cdef const unsigned char* s = NULL
    cdef RawLevel* level
    cdef int64_t mantissa = 0
    cdef int scale = 0, status = 0, member
    cdef double value = 0.0
    cdef const char* not_a_level = ("a level must be an array [price, quantity]"
                                    if size_is_quantity
                                    else "a level must be an array [price, size, ...]")
    cdef const char* no_size = ("a level needs a quantity after the price" if size_is_quantity
                                else "a level needs a size after the price")
    side.n = 0
    member = open_container(c, c'[', c']', "levels must be an array")
    if member != MORE:
        return member
    while True:
        if side.n == side.capacity:
            reserve_raw(side, side.n + 1)
        level = &side.levels[side.n]
        if expect(c, c'[', not_a_level) != OK:
            return E_SYNTAX
        status = scan_decimal(c, &s, &mantissa, &scale, &value)
        if status == NO_TOKEN:
            return E_SYNTAX
        if status != OK or mantissa == 0:
            c.p = s
            c.error = ("a price must be a positive decimal" if status != E_DIGITS
                       else "a price with too many digits")
            return E_SYNTAX
        level.price_mantissa = mantissa
        level.price_scale = <int8_t>scale
        if expect(c, c',', no_size) != OK:
            return E_SYNTAX
        status = scan_decimal(c, &s, &mantissa, &scale, &value)
        if status == NO_TOKEN:
            return E_SYNTAX
        if status != OK:
            c.p = s
            if size_is_quantity:
                c.error = ("a quantity must be a non-negative decimal" if status != E_DIGITS
                           else "a quantity with too many digits")
            else:
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


cdef str json_text(bytes raw, bint escaped):
    """The text of a JSON string's raw bytes (between the quotes)."""
    if escaped:
        import json
        try:
            return json.loads(b'"' + raw + b'"')
        except ValueError:
            raise MalformedMessageError(f"bad escape in {raw!r}") from None
    return raw.decode("utf-8", "replace")


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
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
# Decoded levels, and the push format a raw message is decoded with
# --------------------------------------------------------------------------------------------

cdef object _push_decoder = None
cdef object _push_checksum = None


def register_push_format(decoder, checksum):
    """Set what ``OrderBook.apply_message(raw)`` decodes raw text with (``decoder()`` makes a
    :class:`BookLevels` subclass instance) and what ``OrderBook.checksum()`` computes
    (``checksum(book)``). ``tradecost._core`` registers the default format on import."""
    global _push_decoder, _push_checksum
    if not (isinstance(decoder, type) and issubclass(decoder, BookLevels)):
        raise InvalidInputError(f"decoder {decoder!r} must be a BookLevels subclass")
    if not callable(checksum):
        raise InvalidInputError(f"checksum {checksum!r} must be callable")
    _push_decoder = decoder
    _push_checksum = checksum


cdef class BookLevels:
    """Decoded levels waiting to be applied to an :class:`OrderBook`: what every venue decoder
    fills. A venue's push decoder subclasses it; ``OrderBook.apply_message`` takes any."""

    def __cinit__(self):
        self._bids.levels = NULL
        self._asks.levels = NULL
        self._bids.n = self._asks.n = 0
        self._bids.capacity = self._asks.capacity = 0
        reserve_raw(&self._bids, 512)
        reserve_raw(&self._asks, 512)
        self._decoded = False
        self._is_snapshot = False

    def __dealloc__(self):
        free(self._bids.levels)
        free(self._asks.levels)

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
        """The bid levels as a (k, 2) float64 array [price, size], in message order."""
        return raw_rows(&self._bids)

    def asks(self):
        """The ask levels as a (k, 2) float64 array [price, size], in message order."""
        return raw_rows(&self._asks)

    cdef int _decode_raw(self, object raw) except -1:
        raise InvalidInputError(
            "no push format is registered to decode raw text; "
            "see tradecost._book.register_push_format")

    cdef int _check_applicable(self, OrderBook book) except -1:
        return 0

# --------------------------------------------------------------------------------------------
# The order book
# --------------------------------------------------------------------------------------------

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
        self._scratch = BookLevels() if _push_decoder is None else _push_decoder()
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

    cdef int _apply_decoded(self, BookLevels msg) except -1:
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
        """Decode one raw order-book push (bytes or str) in the registered push format (OKX v5
        by default) and apply it, in one call.

        A snapshot replaces the book; an update upserts each level (size 0 deletes, deleting an
        unknown price is a no-op). Also takes a message already decoded by the caller (any
        :class:`BookLevels`, e.g. a ``BookMessage``). Returns the decoded message (this book's
        own scratch decoder when given raw text: valid until the next call). Malformed input
        raises MalformedMessageError and an off-grid price OffGridPriceError; in both cases the
        book is left exactly as it was.
        """
        cdef BookLevels msg
        if isinstance(raw, BookLevels):
            msg = <BookLevels>raw
            if not msg._decoded:
                raise MalformedMessageError(
                    f"this {type(raw).__name__} holds no decoded message")
        else:
            msg = self._scratch
            msg._decode_raw(raw)
        msg._check_applicable(self)
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
        cdef BookLevels msg = self._scratch
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
        """The registered push format's checksum of this book (OKX's CRC32 of the top 25
        levels, as a signed int32, by default): see ``tradecost.feeds.okx.book_checksum``."""
        if _push_checksum is None:
            raise InvalidInputError("no push format is registered to compute a checksum")
        return _push_checksum(self)

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
