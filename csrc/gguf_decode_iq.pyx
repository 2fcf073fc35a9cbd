# cython: freethreading_compatible = True
"""GGUF decode kernels of the IQ types: grid lookups (IQ1_S ... IQ3_S) and IQ4_NL/IQ4_XS.

Twins: ``fastquant/_twins/gguf_decode_iq.py`` (same names and signatures; they define the meaning).
Every kernel is ``gguf_dequantize_<type>(src, out, stream=False)``: ``src`` holds rows of
whole blocks as uint8 ``(rows, nbytes)``, ``out`` is float32 ``(rows, nbytes // type_size *
block_size)``, both C-contiguous (the public wrapper in ``fastquant/gguf.py`` makes sure);
``stream`` writes ``out`` with non-temporal stores (same values). The sizes are checked here,
so a wrong call raises instead of reading or writing out of bounds. The C decoders are in
``csrc/gguf_decode_iq.h``; all of them run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport uint8_t

from fq_checks cimport require, rows_of

ctypedef void (*dec_fn)(const uint8_t* x, float* y, Py_ssize_t nb) noexcept nogil

cdef extern from "gguf_run.h" nogil:
    void fq_gguf_run(dec_fn dec, dec_fn dec_nt, const uint8_t* x, float* y, Py_ssize_t nb,
                     Py_ssize_t type_size, Py_ssize_t block_size, int stream)

cdef extern from "gguf_decode_iq.h" nogil:
    void fq_dec_iq1_s(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq1_s_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq1_m(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq1_m_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_xxs(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_xxs_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_xs(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_xs_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_s(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq2_s_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq3_xxs(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq3_xxs_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq3_s(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq3_s_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq4_nl(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq4_nl_nt(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq4_xs(const uint8_t* x, float* y, Py_ssize_t nb)
    void fq_dec_iq4_xs_nt(const uint8_t* x, float* y, Py_ssize_t nb)

cnp.import_array()

__all__ = [
    "gguf_dequantize_iq1_s",
    "gguf_dequantize_iq1_m",
    "gguf_dequantize_iq2_xxs",
    "gguf_dequantize_iq2_xs",
    "gguf_dequantize_iq2_s",
    "gguf_dequantize_iq3_xxs",
    "gguf_dequantize_iq3_s",
    "gguf_dequantize_iq4_nl",
    "gguf_dequantize_iq4_xs",
]


cdef int _decode(cnp.ndarray src, cnp.ndarray out, dec_fn dec, dec_fn dec_nt, Py_ssize_t type_size,
                 Py_ssize_t block_size, bint stream) except -1:
    """Check the shapes, then decode every block of ``src`` into ``out``."""
    cdef Py_ssize_t rows, n, m, nb
    rows_of("gguf_decode_iq", src, out, &rows, &n, &m)
    require(n % type_size == 0 and m == n // type_size * block_size, "gguf_decode_iq",
            "row lengths are not whole blocks of the same count")
    nb = rows * (n // type_size)
    cdef const uint8_t* x = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* y = <float*> cnp.PyArray_DATA(out)
    with nogil:
        fq_gguf_run(dec, dec_nt, x, y, nb, type_size, block_size, stream)
    return 0


def gguf_dequantize_iq1_s(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ1_S: 50-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq1_s, fq_dec_iq1_s_nt, 50, 256, stream)


def gguf_dequantize_iq1_m(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ1_M: 56-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq1_m, fq_dec_iq1_m_nt, 56, 256, stream)


def gguf_dequantize_iq2_xxs(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ2_XXS: 66-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq2_xxs, fq_dec_iq2_xxs_nt, 66, 256, stream)


def gguf_dequantize_iq2_xs(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ2_XS: 74-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq2_xs, fq_dec_iq2_xs_nt, 74, 256, stream)


def gguf_dequantize_iq2_s(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ2_S: 82-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq2_s, fq_dec_iq2_s_nt, 82, 256, stream)


def gguf_dequantize_iq3_xxs(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ3_XXS: 98-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq3_xxs, fq_dec_iq3_xxs_nt, 98, 256, stream)


def gguf_dequantize_iq3_s(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ3_S: 110-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq3_s, fq_dec_iq3_s_nt, 110, 256, stream)


def gguf_dequantize_iq4_nl(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ4_NL: 18-byte blocks of 32 values."""
    _decode(src, out, fq_dec_iq4_nl, fq_dec_iq4_nl_nt, 18, 32, stream)


def gguf_dequantize_iq4_xs(cnp.ndarray src, cnp.ndarray out, bint stream=False):
    """IQ4_XS: 136-byte blocks of 256 values."""
    _decode(src, out, fq_dec_iq4_xs, fq_dec_iq4_xs_nt, 136, 256, stream)
