# cython: freethreading_compatible = True
"""GGUF block encoders without a sub-block scale search: BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
TQ1_0, TQ2_0, MXFP4, NVFP4, Q8_K and IQ4_NL, bit for bit llama.cpp's ``quantize_row_<type>_ref``.

Twins: ``fastquant/_twins/gguf_encode.py``. The C code lives in ``gguf_encode_simple.h``,
``gguf_encode_fp4.h`` and ``gguf_encode_k.h`` (IQ4_NL shares the IQ4 lanes of the K-quants).
Every kernel is ``kernel(src, out) -> status``: float32 ``src`` holding whole blocks, uint8
``out`` of ``blocks * type_size`` bytes, both C-contiguous; the status ORs 1 (NaN or inf in
``src``) and 2 (an fp16 scale overflows or the C reference's nearest_int assertion fails).
The loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport uint8_t, int64_t

from fq_checks cimport require

cdef extern from "gguf_encode_simple.h" nogil:
    void gq_bf16(const float* x, uint8_t* y, int64_t n)
    int gq_q450(const float* x, uint8_t* y, int64_t nb, int q5)
    int gq_q451(const float* x, uint8_t* y, int64_t nb, int q5)
    int gq_q8_0(const float* x, uint8_t* y, int64_t nb)
    int gq_tq1_0(const float* x, uint8_t* y, int64_t nb)
    int gq_tq2_0(const float* x, uint8_t* y, int64_t nb)
    int gq_q8_k(const float* x, uint8_t* y, int64_t nb)

cdef extern from "gguf_encode_fp4.h" nogil:
    int gq_mxfp4(const float* x, uint8_t* y, int64_t nb)
    int gq_nvfp4(const float* x, uint8_t* y, int64_t nb)

cdef extern from "gguf_encode_k.h" nogil:
    int gk_iq4nl(const float* x, uint8_t* y, int64_t nb)

cnp.import_array()

__all__ = [
    "gguf_quantize_bf16",
    "gguf_quantize_q4_0",
    "gguf_quantize_q4_1",
    "gguf_quantize_q5_0",
    "gguf_quantize_q5_1",
    "gguf_quantize_q8_0",
    "gguf_quantize_tq1_0",
    "gguf_quantize_tq2_0",
    "gguf_quantize_mxfp4",
    "gguf_quantize_nvfp4",
    "gguf_quantize_q8_k",
    "gguf_quantize_iq4_nl",
]


cdef int64_t _blocks(cnp.ndarray src, cnp.ndarray out, Py_ssize_t bs, Py_ssize_t ts) except -1:
    """The number of blocks, after checking every size and layout the loops rely on."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    require(cnp.PyArray_ITEMSIZE(src) == 4 and cnp.PyArray_ITEMSIZE(out) == 1
            and cnp.PyArray_IS_C_CONTIGUOUS(src) and cnp.PyArray_IS_C_CONTIGUOUS(out),
            "gguf_encode", "expected C-contiguous float32 src and uint8 out")
    require(n % bs == 0 and cnp.PyArray_SIZE(out) == n // bs * ts, "gguf_encode", "size mismatch")
    return n // bs


cdef inline const float* _src(cnp.ndarray a):
    return <const float*> cnp.PyArray_DATA(a)


cdef inline uint8_t* _out(cnp.ndarray a):
    return <uint8_t*> cnp.PyArray_DATA(a)


def gguf_quantize_bf16(cnp.ndarray src, cnp.ndarray out):
    """float32 -> bfloat16 bytes, nearest even, NaN quieted (ggml's GGML_FP32_TO_BF16)."""
    cdef int64_t n = _blocks(src, out, 1, 2)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    with nogil:
        gq_bf16(s, d, n)
    return 0


def gguf_quantize_q4_0(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 18)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q450(s, d, nb, 0)
    return st


def gguf_quantize_q5_0(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 22)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q450(s, d, nb, 1)
    return st


def gguf_quantize_q4_1(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 20)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q451(s, d, nb, 0)
    return st


def gguf_quantize_q5_1(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 24)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q451(s, d, nb, 1)
    return st


def gguf_quantize_q8_0(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 34)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q8_0(s, d, nb)
    return st


def gguf_quantize_tq1_0(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 256, 54)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_tq1_0(s, d, nb)
    return st


def gguf_quantize_tq2_0(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 256, 66)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_tq2_0(s, d, nb)
    return st


def gguf_quantize_mxfp4(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 17)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_mxfp4(s, d, nb)
    return st


def gguf_quantize_nvfp4(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 64, 36)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_nvfp4(s, d, nb)
    return st


def gguf_quantize_q8_k(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 256, 292)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gq_q8_k(s, d, nb)
    return st


def gguf_quantize_iq4_nl(cnp.ndarray src, cnp.ndarray out):
    cdef int64_t nb = _blocks(src, out, 32, 18)
    cdef const float* s = _src(src)
    cdef uint8_t* d = _out(out)
    cdef int st
    with nogil:
        st = gk_iq4nl(s, d, nb)
    return st
