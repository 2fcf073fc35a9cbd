# cython: freethreading_compatible = True
"""Calibrated int8/uint8 embedding kernels (SPEC 10, sentence-transformers' codec): range
parameters, per-dimension calibration, the floor encoder and the bucket-centre decoder.

Twins: ``fastquant/_twins/ranges8.py`` (same names and signatures; they define the meaning).
``params`` is a C-contiguous float32 ``(2, D)`` array: row 0 the starts (the minima), row 1
the steps ``(max - min) / 255`` (a zero step is 1), as :func:`ranges8_params` writes it.
Element ``i`` of a code or float array uses dimension ``i % D``, so arrays are whole rows of
``D`` (any chunk that starts at a row start and holds whole rows). The loops live in
``ranges8_simd.h`` (with why the encoder divides rather than multiplying by ``1 / step``).
Kernels trust their callers for dtype and contiguity but check
every size they index with. All loops run without the GIL.
"""

cimport numpy as cnp
from cpython.mem cimport PyMem_RawMalloc, PyMem_RawFree
from libc.stdint cimport int8_t, uint8_t

from fq_checks cimport require
from fq_common cimport fq_stream_head, fq_stream_floats, fq_stream_fence

cdef extern from "ranges8_simd.h" nogil:
    enum:
        FQ_R8_BLOCK
    int fq_r8_params(const float* lo, const float* hi, Py_ssize_t D, float* st, float* sp)
    int fq_r8_minmax(const float* s, Py_ssize_t rows, Py_ssize_t D, float* mn, float* mx)
    Py_ssize_t fq_r8_period(Py_ssize_t D)
    int fq_r8_encode(const float* s, uint8_t* d, Py_ssize_t n, const float* st, const float* sp,
                     Py_ssize_t P, uint8_t flip)
    void fq_r8_decode_u8(const uint8_t* s, float* d, Py_ssize_t n, const float* st, const float* sp)
    void fq_r8_decode_i8(const int8_t* s, float* d, Py_ssize_t n, const float* st, const float* sp)

cnp.import_array()

__all__ = [
    "ranges8_params",
    "ranges8_minmax",
    "ranges8_int8_encode",
    "ranges8_uint8_encode",
    "ranges8_int8_decode",
    "ranges8_uint8_decode",
]


cdef inline Py_ssize_t _dims(cnp.ndarray params) except -1:
    """D of a (2, D) float32 parameter array."""
    require(params.ndim == 2 and params.shape[0] == 2, "ranges8", "params must be (2, D)")
    return params.shape[1]


cdef inline Py_ssize_t _whole_rows(cnp.ndarray src, cnp.ndarray out, Py_ssize_t D) except -1:
    """The element count of src (== out's), a whole number of D-element rows."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    require(cnp.PyArray_SIZE(out) == n, "ranges8", "size mismatch")
    require(n == 0 if D == 0 else n % D == 0, "ranges8", "not a whole number of rows")
    return n


def ranges8_params(cnp.ndarray ranges, cnp.ndarray params):
    """float32 ``ranges`` (2, D) (minima, maxima) -> ``params`` (2, D): starts = minima,
    steps = ``(max - min) / 255`` with 0 replaced by 1. Returns a status: 1 a NaN, 2
    ``max - min`` not finite in float32 (an infinite bound, an overflow, or a NaN), 4 a minimum
    above its maximum (OR-ed; params are written regardless)."""
    cdef Py_ssize_t D = _dims(params)
    require(ranges.ndim == 2 and ranges.shape[0] == 2 and ranges.shape[1] == D, "ranges8", "ranges must be (2, D)")
    cdef const float* r = <const float*> cnp.PyArray_DATA(ranges)
    cdef float* p = <float*> cnp.PyArray_DATA(params)
    cdef int status
    with nogil:
        status = fq_r8_params(r, r + D, D, p, p + D)
    return status


def ranges8_minmax(cnp.ndarray src, cnp.ndarray out):
    """``out`` (2, D) = per-dimension minima and maxima of float32 ``src`` (rows >= 1, D),
    zeros as +0.0; returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    cdef Py_ssize_t D = _dims(out)
    require(src.ndim == 2 and src.shape[1] == D and src.shape[0] >= 1, "ranges8", "src must be (rows >= 1, D)")
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t rows = src.shape[0]
    cdef int bad
    with nogil:
        bad = fq_r8_minmax(s, rows, D, d, d + D)
    return bad


cdef inline void _tile(const float* p, Py_ssize_t D, Py_ssize_t P, float* st, float* sp) noexcept nogil:
    """The starts and steps of params (2, D) repeated to the period P (a multiple of D)."""
    cdef Py_ssize_t j
    for j in range(P):
        st[j] = p[j % D]
        sp[j] = p[D + j % D]


cdef int _encode(cnp.ndarray src, cnp.ndarray out, cnp.ndarray params, uint8_t flip) except -1:
    cdef Py_ssize_t D = _dims(params)
    cdef Py_ssize_t n = _whole_rows(src, out, D)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef const float* p = <const float*> cnp.PyArray_DATA(params)
    cdef Py_ssize_t P
    cdef float* tiled
    cdef int nan = 0
    if n == 0:
        return 0
    P = fq_r8_period(D)
    with nogil:
        tiled = <float*> PyMem_RawMalloc(2 * P * sizeof(float))
        if tiled != NULL:
            _tile(p, D, P, tiled, tiled + P)
            nan = fq_r8_encode(s, d, n, tiled, tiled + P, P, flip)
            PyMem_RawFree(tiled)
    if tiled == NULL:
        raise MemoryError()
    return nan


def ranges8_int8_encode(cnp.ndarray src, cnp.ndarray out, cnp.ndarray params):
    """``out = clip(floor((src - starts) / steps), 0, 255) - 128`` as int8 for float32 ``src``
    of whole rows (a float32 division per value: see ranges8_simd.h for why not a reciprocal).
    Returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    return _encode(src, out, params, 0x80)


def ranges8_uint8_encode(cnp.ndarray src, cnp.ndarray out, cnp.ndarray params):
    """``out = clip(floor((src - starts) / steps), 0, 255)`` as uint8; returns as
    :func:`ranges8_int8_encode`."""
    return _encode(src, out, params, 0)


ctypedef fused code_t:
    int8_t
    uint8_t


cdef inline void _run(const code_t* s, float* d, Py_ssize_t n, const float* st, const float* sp,
                      Py_ssize_t P, Py_ssize_t* j) noexcept nogil:
    """Decode n codes whose first uses tiled parameter j[0]; advances j[0] (mod P)."""
    cdef Py_ssize_t m
    while n > 0:
        m = P - j[0]
        if m > n:
            m = n
        if code_t is int8_t:
            fq_r8_decode_i8(s, d, m, st + j[0], sp + j[0])
        else:
            fq_r8_decode_u8(s, d, m, st + j[0], sp + j[0])
        s += m
        d += m
        n -= m
        j[0] += m
        if j[0] == P:
            j[0] = 0


cdef inline void _decode(const code_t* s, float* d, Py_ssize_t n, const float* st, const float* sp,
                         Py_ssize_t P, bint stream) noexcept nogil:
    """The stream recipe of csrc/README.md around _run (same values either way)."""
    cdef Py_ssize_t i = 0, j = 0
    cdef float buf[FQ_R8_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _run(s, d, i, st, sp, P, &j)
        while n - i >= FQ_R8_BLOCK:
            _run(s + i, buf, FQ_R8_BLOCK, st, sp, P, &j)
            fq_stream_floats(d + i, buf, FQ_R8_BLOCK)
            i += FQ_R8_BLOCK
        fq_stream_fence()
    _run(s + i, d + i, n - i, st, sp, P, &j)


cdef int _decode_call(const code_t* s, cnp.ndarray src, cnp.ndarray out, cnp.ndarray params,
                      bint stream) except -1:
    cdef Py_ssize_t D = _dims(params)
    cdef Py_ssize_t n = _whole_rows(src, out, D)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef const float* p = <const float*> cnp.PyArray_DATA(params)
    cdef Py_ssize_t P
    cdef float* tiled
    if n == 0:
        return 0
    P = fq_r8_period(D)
    with nogil:
        tiled = <float*> PyMem_RawMalloc(2 * P * sizeof(float))
        if tiled != NULL:
            _tile(p, D, P, tiled, tiled + P)
            _decode(s, d, n, tiled, tiled + P, P, stream)
            PyMem_RawFree(tiled)
    if tiled == NULL:
        raise MemoryError()
    return 0


def ranges8_int8_decode(cnp.ndarray src, cnp.ndarray out, cnp.ndarray params, bint stream=False):
    """``out = starts + (float32(src + 128) + 0.5) * steps`` for int8 ``src`` of whole rows,
    float32 ``out`` of its size; ``stream`` writes ``out`` with non-temporal stores (same
    values)."""
    _decode_call(<const int8_t*> cnp.PyArray_DATA(src), src, out, params, stream)


def ranges8_uint8_decode(cnp.ndarray src, cnp.ndarray out, cnp.ndarray params, bint stream=False):
    """``out = starts + (float32(src) + 0.5) * steps`` for uint8 ``src``; ``stream`` as in
    :func:`ranges8_int8_decode`."""
    _decode_call(<const uint8_t*> cnp.PyArray_DATA(src), src, out, params, stream)
