# cython: language_level=3
"""Exact decimal numbers: the parsing and formatting kernels every compiled decoder shares.

A decimal is held as ``mantissa * 10**-scale`` (int64, int), exactly as the exchange wrote it,
beside its correctly rounded double. The kernels are ``inline noexcept nogil`` and report a status
code; callers turn a status into an exception naming the value.
"""

from libc.stdint cimport INT64_MAX, int64_t
from libc.stdlib cimport strtod
from libc.string cimport memcpy

cdef extern from *:
    """
    #ifndef TRADECOST_DECIMAL_TABLES
    #define TRADECOST_DECIMAL_TABLES
    static CYTHON_UNUSED const int64_t POW10[19] = {
        1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
        1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
        100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
        1000000000000000000LL};
    /* the largest m with m * POW10[k] in int64 */
    static CYTHON_UNUSED const int64_t POW10_LIMIT[19] = {
        9223372036854775807LL, 922337203685477580LL, 92233720368547758LL,
        9223372036854775LL, 922337203685477LL, 92233720368547LL, 9223372036854LL,
        922337203685LL, 92233720368LL, 9223372036LL, 922337203LL, 92233720LL, 9223372LL,
        922337LL, 92233LL, 9223LL, 922LL, 92LL, 9LL};
    /* powers of ten that are exact doubles */
    static CYTHON_UNUSED const double POW10_DOUBLE[23] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    /* 2**53: integers up to here are exact in a double */
    static CYTHON_UNUSED const int64_t EXACT_DOUBLE_LIMIT = 9007199254740992LL;
    #endif
    """
    const int64_t POW10[19]
    const int64_t POW10_LIMIT[19]
    const double POW10_DOUBLE[23]
    const int64_t EXACT_DOUBLE_LIMIT

cdef enum:
    # Longest decimal the formatter writes: 19 digits, a point and up to 40 decimals.
    MAX_SCALE = 40
    NUMBER_BUFFER = 64

cdef enum:
    # Status codes of the nogil parsers; the caller turns them into exceptions with context.
    OK = 0
    E_SYNTAX = 1
    E_NEGATIVE = 2
    E_DIGITS = 3
    E_ZERO = 4
    E_OFF_GRID = 5
    E_OVERFLOW = 6
    FALLBACK = 100  # the fast path declines; the general parser takes over


cdef inline int parse_decimal(const unsigned char* s, Py_ssize_t n, int64_t* mantissa,
                              int* scale, double* value) noexcept nogil:
    """Parse ``[-]digits[.digits][(e|E)[+-]digits]`` exactly into mantissa * 10**-scale.

    ``value`` gets the correctly rounded double. A leading minus sign parses the number and then
    reports E_NEGATIVE so callers can name the value in their error.
    """
    cdef Py_ssize_t i = 0
    cdef int64_t m = 0
    cdef int sc = 0
    cdef int digits = 0
    cdef int exponent = 0
    cdef int exponent_sign = 1
    cdef int exponent_digits = 0
    cdef bint negative = False
    cdef bint seen_point = False
    cdef unsigned char c
    cdef char buffer[NUMBER_BUFFER]
    if n <= 0:
        return E_SYNTAX
    if s[0] == c'-':
        negative = True
        i = 1
    while i < n:
        c = s[i]
        if c'0' <= c <= c'9':
            if m > (INT64_MAX - 9) // 10:
                return E_DIGITS
            m = m * 10 + (c - c'0')
            digits += 1
            if seen_point:
                sc += 1
        elif c == c'.' and not seen_point:
            seen_point = True
        else:
            break
        i += 1
    if digits == 0:
        return E_SYNTAX
    if i < n and (s[i] == c'e' or s[i] == c'E'):
        i += 1
        if i < n and (s[i] == c'+' or s[i] == c'-'):
            if s[i] == c'-':
                exponent_sign = -1
            i += 1
        while i < n and c'0' <= s[i] <= c'9':
            exponent = exponent * 10 + (s[i] - c'0')
            exponent_digits += 1
            if exponent > 400:
                return E_DIGITS
            i += 1
        if exponent_digits == 0:
            return E_SYNTAX
        sc -= exponent_sign * exponent
    if i != n:
        return E_SYNTAX
    while sc < 0:
        if m > INT64_MAX // 10:
            return E_DIGITS
        m *= 10
        sc += 1
    if sc > MAX_SCALE:
        return E_DIGITS
    mantissa[0] = m
    scale[0] = sc
    if m <= EXACT_DOUBLE_LIMIT and sc <= 22:
        # Both operands exact, IEEE division rounds once: the correctly rounded value.
        value[0] = <double>m / POW10_DOUBLE[sc]
    else:
        if n >= NUMBER_BUFFER:
            return E_DIGITS
        memcpy(buffer, s, n)
        buffer[n] = 0
        value[0] = strtod(buffer, NULL)
        if negative:
            value[0] = -value[0]
    if negative:
        return E_NEGATIVE
    return OK


cdef inline Py_ssize_t format_decimal(char* out, int64_t mantissa, int scale) noexcept nogil:
    """Write mantissa * 10**-scale with exactly ``scale`` decimals; return the length written."""
    cdef char digits[24]
    cdef Py_ssize_t nd = 0, length = 0, k
    cdef int64_t m = mantissa
    if m == 0:
        digits[0] = c'0'
        nd = 1
    while m > 0:
        digits[nd] = <char>(c'0' + m % 10)
        m //= 10
        nd += 1
    # digits holds the mantissa reversed.
    if scale == 0:
        for k in range(nd):
            out[k] = digits[nd - 1 - k]
        return nd
    if nd <= scale:
        out[0] = c'0'
        out[1] = c'.'
        length = 2
        while length < 2 + scale - nd:
            out[length] = c'0'
            length += 1
        for k in range(nd):
            out[length] = digits[nd - 1 - k]
            length += 1
        return length
    for k in range(nd - scale):
        out[length] = digits[nd - 1 - k]
        length += 1
    out[length] = c'.'
    length += 1
    for k in range(nd - scale, nd):
        out[length] = digits[nd - 1 - k]
        length += 1
    return length


cdef inline Py_ssize_t format_decimal_trimmed(char* out, int64_t mantissa,
                                              int scale) noexcept nogil:
    """mantissa * 10**-scale (mantissa >= 0) as exchanges write it: "95000.1", "0.0123",
    "30244" (no exponent, no trailing zeros, no trailing dot); return the length written."""
    cdef Py_ssize_t n = format_decimal(out, mantissa, scale)
    if scale > 0:
        while out[n - 1] == c'0':
            n -= 1
        if out[n - 1] == c'.':
            n -= 1
    return n
