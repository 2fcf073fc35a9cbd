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


def embed8_int8_decode(cnp.ndarray src, cnp.ndarray out):
    """``out = float32(src) / float32(127)`` for int8 ``src``, float32 ``out`` of its size."""
    cdef const int8_t* s = <const int8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = _size(src, out)
    # A true division: multiplying by float32(1 / 127) changes 16 of the 256 results.
    cdef float c127 = 127.0
    with nogil:
        for i in range(n):
            d[i] = <float> s[i] / c127


def embed8_uint8_decode(cnp.ndarray src, cnp.ndarray out):
    """``out = float32(src) / float32(127.5) - float32(1)`` for uint8 ``src``."""
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, n = _size(src, out)
    # A true division: multiplying by float32(1 / 127.5) changes 126 of the 256 results.
    cdef float c1275 = 127.5, one = 1.0
    with nogil:
        for i in range(n):
            d[i] = <float> s[i] / c1275 - one


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
