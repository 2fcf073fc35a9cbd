# cython: freethreading_compatible = True
"""GGUF decode kernels: F32, F16, BF16, the legacy and K-quant blocks, TQ1_0/TQ2_0, MXFP4, NVFP4.

Twins: ``fastquant/_twins/gguf_decode.py`` (same names and signatures; they define the meaning).
Every kernel is ``gguf_dequantize_<type>(src, out, stream=False)``: ``src`` holds rows of
whole blocks as uint8 ``(rows, nbytes)``, ``out`` is float32 ``(rows, nbytes // type_size *
block_size)``, both C-contiguous (the public wrapper in ``fastquant/gguf.py`` makes sure);
``stream`` writes ``out`` with non-temporal stores (same values). The sizes are checked here,
so a wrong call raises instead of reading or writing out of bounds. The C decoders are in
``csrc/gguf_decode.h``; all of them run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport uint8_t

from fq_checks cimport require, rows_of

ctypedef void (*dec_fn)(const uint8_t* x, float* y, Py_ssize_t nb) noexcept nogil

cdef extern from "gguf_run.h" nogil:
    void fq_gguf_run(dec_fn dec, dec_fn dec_nt, const uint8_t* x, float* y, Py_ssize_t nb,
                     Py_ssize_t type_size, Py_ssize_t block_size, int stream)

cdef extern from "gguf_decode.h" nogil:
    void fq_dec_f32(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_f32_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_f16(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_f16_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_bf16(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_bf16_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_0(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_0_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_1(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_1_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_0(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_0_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_1(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_1_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q8_0(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q8_0_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q2_k(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q2_k_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q3_k(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q3_k_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_k(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q4_k_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_k(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q5_k_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q6_k(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_q6_k_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_tq1_0(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_tq1_0_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_tq2_0(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_tq2_0_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_mxfp4(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_mxfp4_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_nvfp4(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_nvfp4_nt(const uint8_t* x, float* y, Py_ssize_t nb)

cnp.import_array()

__all__ = [
    "gguf_dequantize_f32",
    "gguf_dequantize_f16",
    "gguf_dequantize_bf16",
    "gguf_dequantize_q4_0",
    "gguf_dequantize_q4_1",
    "gguf_dequantize_q5_0",
    "gguf_dequantize_q5_1",
    "gguf_dequantize_q8_0",
    "gguf_dequantize_q2_k",
    "gguf_dequantize_q3_k",
    "gguf_dequantize_q4_k",
    "gguf_dequantize_q5_k",
    "gguf_dequantize_q6_k",
    "gguf_dequantize_tq1_0",
    "gguf_dequantize_tq2_0",
    "gguf_dequantize_mxfp4",
    "gguf_dequantize_nvfp4",
]


cdef int _decode(cnp.ndarray src, cnp.ndarray out, dec_fn dec, dec_fn dec_nt, Py_ssize_t type_size,
                 Py_ssize_t block_size, bint stream) except -1:
    """Check the shapes, then decode every block of ``src`` into ``out``."""
    cdef Py_ssize_t rows, n, m, nb
    rows_of("gguf_decode", src, out, &rows, &n, &m)
    require(n % type_size == 0 and m == n // type_size * block_size, "gguf_decode",
            "row lengths are not whole blocks of the same count")
    nb = rows * (n // type_size)
    cdef const uint8_t* x = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* y = <float*> cnp.PyArray_DATA(out)
    with nogil:
        fq_gguf_run(dec, dec_nt, x, y, nb, type_size, block_size, stream)
    return 0


def gguf_dequantize_f32(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """F32: 4-byte blocks of 1 value."""
    _decode(src, out, fq_dec_f32, fq_dec_f32_nt, 4, 1, stream)


def gguf_dequantize_f16(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """F16: 2-byte blocks of 1 value."""
    _decode(src, out, fq_dec_f16, fq_dec_f16_nt, 2, 1, stream)


def gguf_dequantize_bf16(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """BF16: 2-byte blocks of 1 value."""
    _decode(src, out, fq_dec_bf16, fq_dec_bf16_nt, 2, 1, stream)


def gguf_dequantize_q4_0(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q4_0: 18-byte blocks of 32 values."""
    _decode(src, out, fq_dec_q4_0, fq_dec_q4_0_nt, 18, 32, stream)


def gguf_dequantize_q4_1(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q4_1: 20-byte blocks of 32 values."""
    _decode(src, out, fq_dec_q4_1, fq_dec_q4_1_nt, 20, 32, stream)


def gguf_dequantize_q5_0(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q5_0: 22-byte blocks of 32 values."""
    _decode(src, out, fq_dec_q5_0, fq_dec_q5_0_nt, 22, 32, stream)


def gguf_dequantize_q5_1(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q5_1: 24-byte blocks of 32 values."""
    _decode(src, out, fq_dec_q5_1, fq_dec_q5_1_nt, 24, 32, stream)


def gguf_dequantize_q8_0(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q8_0: 34-byte blocks of 32 values."""
    _decode(src, out, fq_dec_q8_0, fq_dec_q8_0_nt, 34, 32, stream)


def gguf_dequantize_q2_k(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q2_K: 84-byte blocks of 256 values."""
    _decode(src, out, fq_dec_q2_k, fq_dec_q2_k_nt, 84, 256, stream)


def gguf_dequantize_q3_k(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q3_K: 110-byte blocks of 256 values."""
    _decode(src, out, fq_dec_q3_k, fq_dec_q3_k_nt, 110, 256, stream)


def gguf_dequantize_q4_k(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q4_K: 144-byte blocks of 256 values."""
    _decode(src, out, fq_dec_q4_k, fq_dec_q4_k_nt, 144, 256, stream)


def gguf_dequantize_q5_k(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q5_K: 176-byte blocks of 256 values."""
    _decode(src, out, fq_dec_q5_k, fq_dec_q5_k_nt, 176, 256, stream)


def gguf_dequantize_q6_k(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """Q6_K: 210-byte blocks of 256 values."""
    _decode(src, out, fq_dec_q6_k, fq_dec_q6_k_nt, 210, 256, stream)


def gguf_dequantize_tq1_0(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """TQ1_0: 54-byte blocks of 256 values."""
    _decode(src, out, fq_dec_tq1_0, fq_dec_tq1_0_nt, 54, 256, stream)


def gguf_dequantize_tq2_0(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """TQ2_0: 66-byte blocks of 256 values."""
    _decode(src, out, fq_dec_tq2_0, fq_dec_tq2_0_nt, 66, 256, stream)


def gguf_dequantize_mxfp4(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """MXFP4: 17-byte blocks of 32 values."""
    _decode(src, out, fq_dec_mxfp4, fq_dec_mxfp4_nt, 17, 32, stream)


def gguf_dequantize_nvfp4(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """NVFP4: 36-byte blocks of 64 values."""
    _decode(src, out, fq_dec_nvfp4, fq_dec_nvfp4_nt, 36, 64, stream)
