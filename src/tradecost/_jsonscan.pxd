# cython: language_level=3
"""A minimal JSON scanner over one message in memory: the kernels every compiled decoder shares.

The decoders walk a message once with a :c:type:`Cursor`, reading only the keys they need and
skipping the rest. Every function returns ``OK`` or ``E_SYNTAX`` (with ``Cursor.error`` saying
what was expected) and never raises, so it runs without the GIL.
"""

from libc.stdint cimport INT64_MAX, int64_t, uint64_t
from libc.string cimport memcmp

from tradecost._decimal cimport (
    E_SYNTAX,
    EXACT_DOUBLE_LIMIT,
    FALLBACK,
    OK,
    POW10_DOUBLE,
)


cdef enum:
    MORE = 101  # next_member: a ',' was read, another member or element follows


cdef struct Cursor:
    # Position of the JSON scanner in one message; ``error`` says what went wrong.
    const unsigned char* start
    const unsigned char* p
    const unsigned char* end
    const char* error


cdef inline void skip_whitespace(Cursor* c) noexcept nogil:
    while c.p < c.end and (c.p[0] == c' ' or c.p[0] == c'\n' or c.p[0] == c'\r'
                           or c.p[0] == c'\t'):
        c.p += 1


cdef inline int expect(Cursor* c, unsigned char ch, const char* error) noexcept nogil:
    skip_whitespace(c)
    if c.p >= c.end or c.p[0] != ch:
        c.error = error
        return E_SYNTAX
    c.p += 1
    return OK


cdef inline int scan_string(Cursor* c, const unsigned char** start, Py_ssize_t* length,
                            bint* escaped) noexcept nogil:
    """At an opening quote: give the span between the quotes and move past the closing one."""
    skip_whitespace(c)
    if c.p >= c.end or c.p[0] != c'"':
        c.error = "expected a string"
        return E_SYNTAX
    c.p += 1
    start[0] = c.p
    escaped[0] = False
    while c.p < c.end:
        if c.p[0] == c'"':
            length[0] = c.p - start[0]
            c.p += 1
            return OK
        if c.p[0] == c'\\':
            escaped[0] = True
            c.p += 1
        elif c.p[0] < 0x20:
            c.error = "control character in a string"
            return E_SYNTAX
        c.p += 1
    c.error = "unterminated string"
    return E_SYNTAX


cdef inline int scan_number_token(Cursor* c, const unsigned char** start,
                                  Py_ssize_t* length) noexcept nogil:
    """A number written as a JSON string ("95000.1") or a bare JSON number (95000.1)."""
    cdef bint escaped = False
    skip_whitespace(c)
    if c.p < c.end and c.p[0] == c'"':
        if scan_string(c, start, length, &escaped) != OK:
            return E_SYNTAX
        if escaped:
            c.error = "escaped characters in a number"
            return E_SYNTAX
        return OK
    start[0] = c.p
    while c.p < c.end and (c'0' <= c.p[0] <= c'9' or c.p[0] == c'-' or c.p[0] == c'+'
                           or c.p[0] == c'.' or c.p[0] == c'e' or c.p[0] == c'E'):
        c.p += 1
    length[0] = c.p - start[0]
    if length[0] == 0:
        c.error = "expected a number"
        return E_SYNTAX
    return OK


cdef inline int scan_integer(Cursor* c, int64_t* out) noexcept nogil:
    cdef const unsigned char* s = NULL
    cdef Py_ssize_t n = 0, i = 0
    cdef int64_t v = 0
    cdef bint negative = False
    if scan_number_token(c, &s, &n) != OK:
        return E_SYNTAX
    if s[0] == c'-':
        negative = True
        i = 1
    if i >= n:
        c.error = "expected an integer"
        return E_SYNTAX
    while i < n:
        if not (c'0' <= s[i] <= c'9'):
            c.error = "expected an integer"
            return E_SYNTAX
        if v > (INT64_MAX - 9) // 10:
            c.error = "integer out of range"
            return E_SYNTAX
        v = v * 10 + (s[i] - c'0')
        i += 1
    out[0] = -v if negative else v
    return OK


cdef inline int fast_decimal(Cursor* c, int64_t* mantissa, int* scale,
                             double* value) noexcept nogil:
    """The common case in one pass: a quoted plain decimal ("95000.1") of at most 18 digits
    whose double is exact to compute. Anything else returns FALLBACK with the cursor unmoved."""
    cdef const unsigned char* p = c.p
    cdef const unsigned char* end = c.end
    cdef const unsigned char* first
    cdef const unsigned char* point = NULL
    cdef uint64_t m = 0  # unsigned: wraps harmlessly past 18 digits, which then fall back
    cdef unsigned int digit
    cdef Py_ssize_t digits
    if p < end and p[0] != c'"':
        skip_whitespace(c)
        p = c.p
    if p >= end or p[0] != c'"':
        return FALLBACK
    p += 1
    first = p
    while p < end:
        digit = <unsigned int>p[0] - <unsigned int>c'0'
        if digit < 10:
            m = m * 10 + digit
        elif p[0] == c'.' and point == NULL:
            point = p
        else:
            break
        p += 1
    if p >= end or p[0] != c'"':
        return FALLBACK
    digits = (p - first) - (point != NULL)
    if digits == 0 or digits > 18 or m > <uint64_t>EXACT_DOUBLE_LIMIT:
        return FALLBACK
    scale[0] = <int>(p - point - 1) if point != NULL else 0
    if scale[0] > 22:
        return FALLBACK
    c.p = p + 1
    mantissa[0] = <int64_t>m
    value[0] = <double>m / POW10_DOUBLE[scale[0]]
    return OK


cdef inline int skip_rest_of_level(Cursor* c) noexcept nogil:
    """Skip the fields after price and size ("0", "13") up to and including the closing ']'."""
    cdef const unsigned char* p
    while True:
        skip_whitespace(c)
        if c.p >= c.end:
            c.error = "unexpected end of message in a level"
            return E_SYNTAX
        if c.p[0] == c']':
            c.p += 1
            return OK
        if c.p[0] != c',':
            c.error = "expected ',' or ']' in a level"
            return E_SYNTAX
        c.p += 1
        skip_whitespace(c)
        p = c.p
        if p < c.end and p[0] == c'"':
            p += 1
            while p < c.end and p[0] != c'"' and p[0] != c'\\':
                p += 1
            if p < c.end and p[0] == c'"':
                c.p = p + 1
                continue
        if skip_value(c, 3) != OK:
            return E_SYNTAX


cdef inline int scan_key(Cursor* c, const unsigned char** key, Py_ssize_t* length,
                         bint* escaped) noexcept nogil:
    """An object member's key and the ':' after it (the span between the key's quotes)."""
    if scan_string(c, key, length, escaped) != OK:
        return E_SYNTAX
    return expect(c, c':', "expected ':' after a key")


cdef inline int open_container(Cursor* c, unsigned char open, unsigned char close,
                               const char* error) noexcept nogil:
    """Read ``open``: return ``OK`` past ``close`` when the container is empty, else ``MORE``
    with the cursor on its first member; anything but ``open`` is ``E_SYNTAX`` with ``error``."""
    if expect(c, open, error) != OK:
        return E_SYNTAX
    skip_whitespace(c)
    if c.p < c.end and c.p[0] == close:
        c.p += 1
        return OK
    return MORE


cdef inline int next_member(Cursor* c, unsigned char close, const char* error) noexcept nogil:
    """After a member's (or element's) value: read a ',' and return ``MORE``, or read ``close``
    and return ``OK``; anything else is ``E_SYNTAX`` with ``error``."""
    skip_whitespace(c)
    if c.p < c.end and c.p[0] == c',':
        c.p += 1
        return MORE
    if c.p < c.end and c.p[0] == close:
        c.p += 1
        return OK
    c.error = error
    return E_SYNTAX


cdef inline int skip_value(Cursor* c, int depth) noexcept nogil:
    cdef const unsigned char* s = NULL
    cdef Py_ssize_t n = 0
    cdef bint escaped = False
    skip_whitespace(c)
    if c.p >= c.end:
        c.error = "unexpected end of message"
        return E_SYNTAX
    if depth > 64:
        c.error = "nesting too deep"
        return E_SYNTAX
    if c.p[0] == c'"':
        return scan_string(c, &s, &n, &escaped)
    if c.p[0] == c'{' or c.p[0] == c'[':
        return skip_container(c, depth)
    if c.end - c.p >= 4 and memcmp(c.p, b"true", 4) == 0:
        c.p += 4
        return OK
    if c.end - c.p >= 4 and memcmp(c.p, b"null", 4) == 0:
        c.p += 4
        return OK
    if c.end - c.p >= 5 and memcmp(c.p, b"false", 5) == 0:
        c.p += 5
        return OK
    return scan_number_token(c, &s, &n)


cdef inline int skip_container(Cursor* c, int depth) noexcept nogil:
    cdef int member
    cdef unsigned char close = c'}' if c.p[0] == c'{' else c']'
    cdef bint is_object = c.p[0] == c'{'
    cdef const unsigned char* s = NULL
    cdef Py_ssize_t n = 0
    cdef bint escaped = False
    c.p += 1
    skip_whitespace(c)
    if c.p < c.end and c.p[0] == close:
        c.p += 1
        return OK
    while True:
        if is_object:
            if scan_string(c, &s, &n, &escaped) != OK:
                return E_SYNTAX
            if expect(c, c':', "expected ':'") != OK:
                return E_SYNTAX
        if skip_value(c, depth + 1) != OK:
            return E_SYNTAX
        member = next_member(c, close, "expected ',' or the end of a container")
        if member != MORE:
            return member


cdef inline bint key_is(const unsigned char* s, Py_ssize_t n, const char* key,
                        Py_ssize_t key_length) noexcept nogil:
    return n == key_length and memcmp(s, key, n) == 0
