# cython: language_level=3
"""C-level layout of the order book, shared with other compiled modules."""

from libc.stdint cimport int8_t, int64_t

from tradecost._jsonscan cimport Cursor


cdef struct Level:
    # One price level. ``key`` is the price in ticks times the side's sign (bids +1, asks -1), so
    # both sides are stored ascending by key with the best level LAST: a change near the touch
    # moves only the few levels between it and the end of the array.
    int64_t key
    double size
    # The size exactly as received: size_mantissa * 10**-size_scale. Kept for the checksum, which
    # is defined on the strings the exchange sent.
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


cdef class BookMessage:
    cdef RawSide _bids
    cdef RawSide _asks
    cdef readonly str kind
    cdef readonly str channel
    cdef readonly str inst_id
    cdef readonly str action
    cdef readonly int64_t ts
    cdef readonly int64_t checksum
    cdef int64_t _seq_id
    cdef int64_t _prev_seq_id
    cdef bint _has_seq_id
    cdef bint _has_prev_seq_id
    cdef bint _is_snapshot
    cdef bint _decoded
    cdef int _data_flags
    cdef bytes _channel_raw
    cdef bytes _inst_id_raw

    cdef int _decode(self, const unsigned char* data, Py_ssize_t length) except -1
    cdef int _fail(self, Cursor* c) except -1
    cdef int _decode_arg(self, Cursor* c) except -1
    cdef void _forget_arg(self, bint has_channel, bint has_inst_id)
    cdef int _decode_data(self, Cursor* c) except -1
    cdef int _decode_data_object(self, Cursor* c) except -1
    cdef int _decode_levels(self, Cursor* c, RawSide* side) except -1


cdef class OrderBook:
    cdef Side _bids
    cdef Side _asks
    cdef int64_t _tick_mantissa
    cdef int _tick_scale
    cdef double _tick_denominator
    cdef object _tick_decimal
    cdef readonly str inst_id
    cdef BookMessage _scratch
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
    cdef Py_ssize_t _write_level(self, char* out, const Level* level, int sign,
                                 bint first) noexcept nogil
    cdef int _stage(self, RawSide* raw, int sign, Py_ssize_t offset) except -1
    cdef int _apply_decoded(self, BookMessage msg) except -1
