# cython: freethreading_compatible = True
"""int4 kernels: nibble pack/unpack, round-and-clamp quantize, dequantize, and the fused pairs.

Twins: ``fastquant/_twins/int4.py`` (same names and signatures; they define the meaning).
Kernels trust their callers for dtype and contiguity (the public wrappers coerce once) but
check every size they index with, so a wrong call raises instead of touching foreign memory.
All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, uint8_t, int32_t
from libc.math cimport INFINITY

from fq_common cimport round_clamp

cnp.import_array()

__all__ = [
    "int4_range",
    "int4_quantize",
    "int4_quantize_pack",
    "int4_dequantize",
    "int4_pack",
    "int4_unpack",
    "int4_unpack_dequantize",
]


cdef inline int _require(bint ok, str what) except -1:
    if not ok:
        raise ValueError(f"int4 kernel: {what}")
    return 0


cdef inline void _rows(cnp.ndarray src, cnp.ndarray out, Py_ssize_t* rows, Py_ssize_t* n,
                       Py_ssize_t* m) except *:
    """Row count and row lengths of 2-D ``src``/``out`` that agree on rows."""
    _require(src.ndim == 2 and out.ndim == 2 and src.shape[0] == out.shape[0], "row mismatch")
    rows[0] = src.shape[0]
    n[0] = src.shape[1]
    m[0] = out.shape[1]


def int4_range(cnp.ndarray src):
    """``(min, max, all_finite)`` of a non-empty float32 array."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef Py_ssize_t i, n = cnp.PyArray_SIZE(src)
    cdef float lo = INFINITY, hi = -INFINITY, v
    cdef bint nan = 0
    with nogil:
        for i in range(n):
            v = s[i]
            lo = v if v < lo else lo
            hi = v if v > hi else hi
            nan |= v != v
    return lo, hi, not nan and lo != -INFINITY and hi != INFINITY


def int4_quantize(cnp.ndarray src, cnp.ndarray out, float scale):
    """``out = clip(round(src / scale), -8, 7)``; float32 ``src``, int8 ``out`` of its size."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef int8_t* d = <int8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = cnp.PyArray_SIZE(src)
    _require(cnp.PyArray_SIZE(out) == n, "size mismatch")
    with nogil:
        for i in range(n):
            d[i] = <int8_t> round_clamp(s[i] / scale, -8.0, 7.0)


def int4_quantize_pack(cnp.ndarray src, cnp.ndarray out, float scale):
    """Quantize and pack rows: ``(rows, n)`` float32 to ``(rows, ceil(n / 2))`` int8."""
    cdef Py_ssize_t rows, n, m, r, i
    _rows(src, out, &rows, &n, &m)
    _require(m == (n + 1) // 2, "packed length mismatch")
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t a, b
    if n % 2 == 0:  # rows end on byte boundaries: one flat pass
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            for i in range(n // 2):
                a = <uint8_t> <int8_t> round_clamp(s[2 * i] / scale, -8.0, 7.0)
                b = <uint8_t> <int8_t> round_clamp(s[2 * i + 1] / scale, -8.0, 7.0)
                d[i] = (a & 0xF) | <uint8_t> (b << 4)
            if n & 1:
                d[m - 1] = (<uint8_t> <int8_t> round_clamp(s[n - 1] / scale, -8.0, 7.0)) & 0xF
            s += n
            d += m


def int4_dequantize(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point):
    """``out = float32(src - zero_point) * scale`` for int8 codes; returns 1 if a code lies
    outside [-8, 7], else 0."""
    cdef const int8_t* s = <const int8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = cnp.PyArray_SIZE(src)
    cdef uint8_t bad = 0
    _require(cnp.PyArray_SIZE(out) == n, "size mismatch")
    with nogil:
        for i in range(n):
            bad |= <uint8_t> (s[i] + 8) > 15
            d[i] = <float> (<int32_t> s[i] - zero_point) * scale
    return <int> bad


def int4_pack(cnp.ndarray src, cnp.ndarray out):
    """Pack ``(rows, n)`` int8 codes into ``(rows, ceil(n / 2))`` bytes, first code in the low
    nibble, odd rows padded with 0; returns 1 if a code lies outside [-8, 7], else 0."""
    cdef Py_ssize_t rows, n, m, r, i
    _rows(src, out, &rows, &n, &m)
    _require(m == (n + 1) // 2, "packed length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t a, b, bad = 0
    if n % 2 == 0:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            for i in range(n // 2):
                a = s[2 * i]
                b = s[2 * i + 1]
                # a code c in [-8, 7] is a byte with (c + 8) mod 256 in [0, 15]
                bad |= (<uint8_t> (a + 8) > 15) | (<uint8_t> (b + 8) > 15)
                d[i] = (a & 0xF) | <uint8_t> (b << 4)
            if n & 1:
                a = s[n - 1]
                bad |= <uint8_t> (a + 8) > 15
                d[m - 1] = a & 0xF
            s += n
            d += m
    return <int> bad


def int4_unpack(cnp.ndarray src, cnp.ndarray out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` sign-extended codes, n in {2m - 1, 2m}."""
    cdef Py_ssize_t rows, n, m, r, i
    _rows(out, src, &rows, &n, &m)
    _require(n == 2 * m or n == 2 * m - 1, "unpacked length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef int8_t* d = <int8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t u
    if n == 2 * m:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            for i in range(n // 2):
                u = s[i]
                # (nibble ^ 8) - 8 sign-extends a 4-bit two's complement value
                d[2 * i] = <int8_t> (((u & 0xF) ^ 8) - 8)
                d[2 * i + 1] = <int8_t> (((u >> 4) ^ 8) - 8)
            if n & 1:
                d[n - 1] = <int8_t> (((s[m - 1] & 0xF) ^ 8) - 8)
            s += m
            d += n


def int4_unpack_dequantize(cnp.ndarray src, cnp.ndarray out, float scale, int32_t zero_point):
    """Unpack ``(rows, m)`` bytes and dequantize into float32 ``(rows, n)``, n in {2m - 1, 2m}."""
    cdef Py_ssize_t rows, n, m, r, i
    _rows(out, src, &rows, &n, &m)
    _require(n == 2 * m or n == 2 * m - 1, "unpacked length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef uint8_t u
    if n == 2 * m:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            for i in range(n // 2):
                u = s[i]
                d[2 * i] = <float> ((((u & 0xF) ^ 8) - 8) - zero_point) * scale
                d[2 * i + 1] = <float> ((((u >> 4) ^ 8) - 8) - zero_point) * scale
            if n & 1:
                d[n - 1] = <float> ((((s[m - 1] & 0xF) ^ 8) - 8) - zero_point) * scale
            s += m
            d += n
