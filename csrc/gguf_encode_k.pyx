# cython: freethreading_compatible = True
"""K-quant encoders: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS, bit for bit llama.cpp's
``quantize_row_<type>_ref`` (no importance matrix), with the scale search of GV_W sub-blocks
at a time in SIMD lanes (``gguf_encode_k.h``).

Twins: ``fastquant/_twins/gguf_encode_k.py``. Kernel contract as in ``gguf_encode.pyx``:
``kernel(src, out) -> status`` (1: NaN or inf; 2: fp16 overflow or a failed nearest_int
assertion). The loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport uint8_t, int64_t

from fq_checks cimport require

cdef extern from "gguf_encode_k.h" nogil:
    int gk_q2k(const float* x, uint8_t* y, int64_t nb)
    int gk_q3k(const float* x, uint8_t* y, int64_t nb)
    int gk_q45k(const float* x, uint8_t* y, int64_t nb, int q5)
    int gk_q6k(const float* x, uint8_t* y, int64_t nb)
    int gk_iq4xs(const float* x, uint8_t* y, int64_t nb)

cnp.import_array()

__all__ = [
    "gguf_quantize_q2_k",
    "gguf_quantize_q3_k",
    "gguf_quantize_q4_k",
    "gguf_quantize_q5_k",
    "gguf_quantize_q6_k",
    "gguf_quantize_iq4_xs",
]


cdef int64_t _superblocks(cnp.ndarray src, cnp.ndarray out, Py_ssize_t ts) except -1:
    """The number of 256-value super-blocks, after checking every size and layout."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    require(cnp.PyArray_ITEMSIZE(src) == 4 and cnp.PyArray_ITEMSIZE(out) == 1
            and cnp.PyArray_IS_C_CONTIGUOUS(src) and cnp.PyArray_IS_C_CONTIGUOUS(out),
            "gguf_encode_k", "expected C-contiguous float32 src and uint8 out")
    require(n % 256 == 0 and cnp.PyArray_SIZE(out) == n // 256 * ts, "gguf_encode_k", "size mismatch")
    return n // 256


def gguf_quantize_q2_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 84)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_q2k(s, d, nb)
    return st


def gguf_quantize_q3_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 110)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_q3k(s, d, nb)
    return st


def gguf_quantize_q4_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 144)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_q45k(s, d, nb, 0)
    return st


def gguf_quantize_q5_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 176)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_q45k(s, d, nb, 1)
    return st


def gguf_quantize_q6_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 210)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_q6k(s, d, nb)
    return st


def gguf_quantize_iq4_xs(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _superblocks(src, out, 136)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef int st
    with nogil:
        st = gk_iq4xs(s, d, nb)
    return st
