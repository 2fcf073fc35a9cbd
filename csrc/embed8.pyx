# cython: freethreading_compatible = True
"""int8/uint8 embedding kernels: decode codes to float32 and encode floats to saturated codes.

Twins: ``fastquant/_twins/embed8.py`` (same names and signatures; they define the meaning).
Kernels trust their callers for dtype and contiguity (the public wrappers coerce once) but
check every size they index with. Every byte is a valid int8 or uint8 code, so the decoders
need no range check; the encoders report NaN from the same pass that reads the floats.
The encoders live in ``embed8_simd.h`` (SSE2 with a scalar fallback; why is said there).
All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, uint8_t

from fq_common cimport FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence

cdef extern from "embed8_simd.h" nogil:
    int fq_embed8_encode(const float* s, uint8_t* d, Py_ssize_t n, float add, float mul,
                         float lo, float hi, int is_signed)

cnp.import_array()

__all__ = [
    "embed8_int8_decode",
    "embed8_uint8_decode",
    "embed8_int8_encode",
    "embed8_uint8_encode",
]


cdef inline Py_ssize_t _size(cnp.ndarray src, cnp.ndarray out) except -1:
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    if cnp.PyArray_SIZE(out) != n:
        raise ValueError("embed8 kernel: size mismatch")
    return n


# The decoders divide by 127 and 127.5 (SPEC). A float32 multiply by fl(1 / 127) would
# change 16 of the 256 int8 results (PERF-NOTES), and a divide per element makes the loop
# compute-bound. Instead q / d is computed as fl(q * h + fl(q * l)), where h is 1 / d cut to
# 13 significant bits (so q * h, 8 bits times 13, is exact) and l = fl32(1 / d - h): the sum
# carries about 37 bits of 1 / d, and it equals the float32 division for every one of the 256
# codes of both formats, the whole domain. tests/test_threads_codecs.py checks all 256 codes
# on every build, which is the proof. Two multiplies and an add vectorize 8 wide on AVX2.
cdef double _R127 = 1.0 / 127.0
cdef double _R1275 = 1.0 / 127.5
# 2**19 * (1 / d) is about 4128 (resp. 4112): rounded to an integer, 13 bits
cdef float _H127 = round(_R127 * 524288.0) / 524288.0
cdef float _L127 = <float> (_R127 - <double> _H127)
cdef float _H1275 = round(_R1275 * 524288.0) / 524288.0
cdef float _L1275 = <float> (_R1275 - <double> _H1275)


ctypedef fused code_t:
    int8_t
    uint8_t


cdef inline void _run(const code_t* s, float* d, Py_ssize_t n) noexcept nogil:
    """int8: q / 127; uint8: q / 127.5 - 1 (the fused type picks at compile time)."""
    cdef Py_ssize_t i
    cdef float h, l, q, one = 1.0
    if code_t is int8_t:
        h, l = _H127, _L127
        for i in range(n):
            q = <float> s[i]
            d[i] = q * h + q * l
    else:
        h, l = _H1275, _L1275
        for i in range(n):
            q = <float> s[i]
            d[i] = (q * h + q * l) - one


cdef inline void _decode(const code_t* s, float* d, Py_ssize_t n, bint stream) noexcept nogil:
    """Decode n codes into d; ``stream`` writes whole 64-byte lines with non-temporal stores
    (same values), the head and tail with ordinary stores."""
    cdef Py_ssize_t i = 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _run(s, d, i)
        while n - i >= FQ_BLOCK:
            _run(s + i, buf, FQ_BLOCK)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
        fq_stream_fence()
    _run(s + i, d + i, n - i)


def embed8_int8_decode(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """``out = float32(src) / float32(127)`` for int8 ``src``, float32 ``out`` of its size;
    ``stream`` writes ``out`` with non-temporal stores (same values)."""
    cdef const int8_t* s = <const int8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = _size(src, out)
    with nogil:
        _decode(s, d, n, stream)


def embed8_uint8_decode(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """``out = float32(src) / float32(127.5) - float32(1)`` for uint8 ``src``; ``stream`` as in
    :func:`embed8_int8_decode`."""
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = _size(src, out)
    with nogil:
        _decode(s, d, n, stream)


def embed8_int8_encode(cnp.ndarray src, cnp.ndarray out):
    """``out = clip(round(src * float32(127)), -128, 127)`` (half to even) as int8 for
    float32 ``src``; returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = _size(src, out)
    cdef int nan
    with nogil:
        nan = fq_embed8_encode(s, d, n, 0.0, 127.0, -128.0, 127.0, 1)
    return nan


def embed8_uint8_encode(cnp.ndarray src, cnp.ndarray out):
    """``out = clip(round((src + float32(1)) * float32(127.5)), 0, 255)`` (half to even) as
    uint8; returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = _size(src, out)
    cdef int nan
    with nogil:
        nan = fq_embed8_encode(s, d, n, 1.0, 127.5, 0.0, 255.0, 0)
    return nan
