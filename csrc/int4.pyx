# cython: freethreading_compatible = True
"""int4 kernels: nibble pack/unpack, round-and-clamp quantize, dequantize, and the fused pairs.

Twins: ``fastquant/_twins/int4.py`` (same names and signatures; they define the meaning).
Kernels trust their callers for dtype and contiguity (the public wrappers coerce once) but
check every size they index with, so a wrong call raises instead of touching foreign memory.
All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, uint8_t, int32_t
from libc.math cimport fabsf, copysignf

from fq_checks cimport require, rows_of
from fq_common cimport (FQ_BLOCK, fq_range, round_clamp, reciprocal_or_zero, div_round_clamp_block,
                        fq_stream_head, fq_stream_floats, fq_stream_fence, fq_pack_pairs,
                        fq_unpack_pairs)

cnp.import_array()

__all__ = [
    "int4_range",
    "int4_quantize",
    "int4_quantize_pack",
    "int4_dequantize",
    "int4_pack",
    "int4_unpack",
    "int4_unpack_dequantize",
    "int4_quantize_zp",
    "int4_quantize_pack_zp",
]




def int4_range(cnp.ndarray src):
    """``(min, max, all_finite)`` of a non-empty float32 array."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    cdef float lo, hi
    cdef bint finite
    require(n > 0, "int4", "empty input")
    with nogil:
        finite = fq_range(s, n, &lo, &hi)
    return lo, hi, finite


def int4_quantize(cnp.ndarray src, cnp.ndarray out, float scale):
    """``out = clip(round(src / scale), -8, 7)``; float32 ``src``, int8 ``out`` of its size."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef int8_t* d = <int8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = cnp.PyArray_SIZE(src)
    cdef float inv = reciprocal_or_zero(scale)
    require(cnp.PyArray_SIZE(out) == n, "int4", "size mismatch")
    with nogil:
        for i in range((n + FQ_BLOCK - 1) // FQ_BLOCK):
            div_round_clamp_block(s + i * FQ_BLOCK, d + i * FQ_BLOCK,
                                  min(n - i * FQ_BLOCK, <Py_ssize_t> FQ_BLOCK), scale, inv, -8.0, 7.0)


cdef inline void _quantize_pack_row(const float* s, uint8_t* d, Py_ssize_t n, float scale,
                                    float inv) noexcept nogil:
    """Quantize n floats and pack them into ceil(n / 2) bytes (odd n: high nibble 0)."""
    cdef int8_t q[FQ_BLOCK]
    cdef Py_ssize_t i, j, k
    for i in range((n + FQ_BLOCK - 1) // FQ_BLOCK):
        k = min(n - i * FQ_BLOCK, <Py_ssize_t> FQ_BLOCK)
        div_round_clamp_block(s + i * FQ_BLOCK, q, k, scale, inv, -8.0, 7.0)
        for j in range(k // 2):
            d[j] = (<uint8_t> q[2 * j] & 0xF) | <uint8_t> (<uint8_t> q[2 * j + 1] << 4)
        if k & 1:
            d[k // 2] = <uint8_t> q[k - 1] & 0xF
        d += FQ_BLOCK // 2


def int4_quantize_pack(cnp.ndarray src, cnp.ndarray out, float scale):
    """Quantize and pack rows: ``(rows, n)`` float32 to ``(rows, ceil(n / 2))`` int8."""
    cdef Py_ssize_t rows, n, m, r
    rows_of("int4", src, out, &rows, &n, &m)
    require(m == (n + 1) // 2, "int4", "packed length mismatch")
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef float inv = reciprocal_or_zero(scale)
    if n % 2 == 0:  # rows end on byte boundaries: one flat pass
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            _quantize_pack_row(s, d, n, scale, inv)
            s += n
            d += m


cdef inline uint8_t _dequantize_run(const int8_t* s, float* d, Py_ssize_t n, float scale,
                                   int32_t zero_point) noexcept nogil:
    cdef Py_ssize_t i
    cdef uint8_t bad = 0
    for i in range(n):
        bad |= <uint8_t> (s[i] + 8) > 15
        d[i] = <float> (<int32_t> s[i] - zero_point) * scale
    return bad


def int4_dequantize(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point,
                    bint stream=False):
    """``out = float32(src - zero_point) * scale`` for int8 codes; returns 1 if a code lies
    outside [-8, 7], else 0. ``stream`` writes ``out`` with non-temporal stores (same values)."""
    cdef const int8_t* s = <const int8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i = 0, n = cnp.PyArray_SIZE(src)
    cdef uint8_t bad = 0
    cdef float buf[FQ_BLOCK]
    require(cnp.PyArray_SIZE(out) == n, "int4", "size mismatch")
    with nogil:
        if stream:
            i = fq_stream_head(d, n)
            bad |= _dequantize_run(s, d, i, scale, zero_point)
            while n - i >= FQ_BLOCK:
                bad |= _dequantize_run(s + i, buf, FQ_BLOCK, scale, zero_point)
                fq_stream_floats(d + i, buf, FQ_BLOCK)
                i += FQ_BLOCK
            fq_stream_fence()
        bad |= _dequantize_run(s + i, d + i, n - i, scale, zero_point)
    return <int> bad


def int4_pack(cnp.ndarray src, cnp.ndarray out):
    """Pack ``(rows, n)`` int8 codes into ``(rows, ceil(n / 2))`` bytes, first code in the low
    nibble, odd rows padded with 0; returns 1 if a code lies outside [-8, 7], else 0."""
    cdef Py_ssize_t rows, n, m, r, i
    rows_of("int4", src, out, &rows, &n, &m)
    require(m == (n + 1) // 2, "int4", "packed length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t a, b, bad = 0
    if n % 2 == 0:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            bad |= fq_pack_pairs(s, d, n // 2)
            if n & 1:
                a = s[n - 1]
                # a code c in [-8, 7] is a byte with (c + 8) mod 256 in [0, 15]
                bad |= <uint8_t> (a + 8) > 15
                d[m - 1] = a & 0xF
            s += n
            d += m
    return <int> bad


def int4_unpack(cnp.ndarray src, cnp.ndarray out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` sign-extended codes, n in {2m - 1, 2m}."""
    cdef Py_ssize_t rows, n, m, r, i
    rows_of("int4", out, src, &rows, &n, &m)
    require(n == 2 * m or n == 2 * m - 1, "int4", "unpacked length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef int8_t* d = <int8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t u
    if n == 2 * m:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            fq_unpack_pairs(s, d, n // 2)
            if n & 1:  # (nibble ^ 8) - 8 sign-extends a 4-bit two's complement value
                d[n - 1] = <int8_t> (((s[m - 1] & 0xF) ^ 8) - 8)
            s += m
            d += n


cdef inline void _unpack_dequantize_run(const uint8_t* s, float* d, Py_ssize_t a, Py_ssize_t b,
                                        float scale, int32_t zero_point) noexcept nogil:
    """d[0:b - a] = elements a..b-1 of the nibble stream s, dequantized."""
    cdef Py_ssize_t i, k
    if a >= b:
        return
    if a & 1:
        d[0] = <float> ((((s[a >> 1] >> 4) ^ 8) - 8) - zero_point) * scale
        d += 1
        a += 1
    s += a >> 1
    k = (b - a) >> 1
    for i in range(k):
        d[2 * i] = <float> ((((s[i] & 0xF) ^ 8) - 8) - zero_point) * scale
        d[2 * i + 1] = <float> ((((s[i] >> 4) ^ 8) - 8) - zero_point) * scale
    if (b - a) & 1:
        d[2 * k] = <float> ((((s[k] & 0xF) ^ 8) - 8) - zero_point) * scale


cdef inline void _unpack_dequantize_row(const uint8_t* s, float* d, Py_ssize_t n, float scale,
                                        int32_t zero_point, bint stream) noexcept nogil:
    cdef Py_ssize_t i = 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _unpack_dequantize_run(s, d, 0, i, scale, zero_point)
        while n - i >= FQ_BLOCK:
            _unpack_dequantize_run(s, buf, i, i + FQ_BLOCK, scale, zero_point)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
    _unpack_dequantize_run(s, d + i, i, n, scale, zero_point)


def int4_unpack_dequantize(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point,
                           bint stream=False):
    """Unpack ``(rows, m)`` bytes and dequantize into float32 ``(rows, n)``, n in {2m - 1, 2m};
    ``stream`` writes ``out`` with non-temporal stores (same values)."""
    cdef Py_ssize_t rows, n, m, r
    rows_of("int4", out, src, &rows, &n, &m)
    require(n == 2 * m or n == 2 * m - 1, "int4", "unpacked length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    if n == 2 * m:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            _unpack_dequantize_row(s, d, n, scale, zero_point, stream)
            s += m
            d += n
        if stream:
            fq_stream_fence()


# --- asymmetric quantize: a zero point added after rounding ---------------------------------

cdef enum:
    _ZP_LIMIT = 1 << 30     # zero points clamp to +-2**30 here: code + zero point fits int32

cdef inline int8_t _code_zp(float v, float scale, int32_t zero_point) noexcept nogil:
    """clip(round_half_even(clip(v / scale, -2**29, 2**29)) + zero_point, -8, 7); NaN counts
    as -2**29. A true division; the inner clip never acts for the scales and zero points the
    public functions derive (|v / scale| < 2**29 there), it only keeps every input defined."""
    cdef float t = v / scale
    cdef float a, limit = 536870912.0, two23 = 8388608.0  # float variables: float arithmetic
    cdef int32_t c
    t = t if t >= -limit else -limit
    t = t if t <= limit else limit
    # round half to even for any |t|: below 2**23 adding and subtracting 2**23 rounds (in the
    # default mode, and branch-free, so both builds vectorize); from 2**23 on t is an integer
    a = fabsf(t)
    a = (a + two23) - two23 if a < two23 else a
    c = <int32_t> copysignf(a, t) + zero_point
    c = -8 if c < -8 else c
    return <int8_t> (7 if c > 7 else c)


cdef inline int32_t _clamp_zp(int32_t zero_point) noexcept nogil:
    return -_ZP_LIMIT if zero_point < -_ZP_LIMIT else (_ZP_LIMIT if zero_point > _ZP_LIMIT else zero_point)


def int4_quantize_zp(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point):
    """``out = clip(round(clip(src / scale, -2**29, 2**29)) + zero_point, -8, 7)``: the zero
    point (clamped to +-2**30) is added to the rounded quotient; float32 ``src``, int8 ``out``."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef int8_t* d = <int8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = cnp.PyArray_SIZE(src)
    cdef int32_t zp = _clamp_zp(zero_point)
    require(cnp.PyArray_SIZE(out) == n, "int4", "size mismatch")
    with nogil:
        for i in range(n):
            d[i] = _code_zp(s[i], scale, zp)


def int4_quantize_pack_zp(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point):
    """:func:`int4_quantize_zp` and pack rows: ``(rows, n)`` float32 to ``(rows, ceil(n / 2))``
    int8, the first code of a pair in the low nibble, an odd row's pad nibble 0."""
    cdef Py_ssize_t rows, n, m, r, j
    rows_of("int4", src, out, &rows, &n, &m)
    require(m == (n + 1) // 2, "int4", "packed length mismatch")
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int32_t zp = _clamp_zp(zero_point)
    if n % 2 == 0:  # rows end on byte boundaries: one flat pass
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            for j in range(n // 2):
                d[j] = (<uint8_t> _code_zp(s[2 * j], scale, zp) & 0xF) | <uint8_t> (
                    <uint8_t> _code_zp(s[2 * j + 1], scale, zp) << 4)
            if n & 1:
                d[m - 1] = <uint8_t> _code_zp(s[n - 1], scale, zp) & 0xF
            s += n
            d += m
