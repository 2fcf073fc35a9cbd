# cython: freethreading_compatible = True
"""Sign-bit kernels: packed bits to +-1.0 float32 and floats to packed ``x > 0`` bits.

Twins: ``fastquant/_twins/signbits.py`` (same names and signatures; they define the meaning).
Bits run MSB first within a byte (NumPy ``packbits`` order). ``flip`` is XORed into every
byte: 0x80 for "binary" (bytes stored with offset -128, i.e. the top bit flipped), 0 for
"ubinary". Kernels trust their callers for dtype and contiguity but check every size they
index with. Packing a row's whole bytes is ``fq_signbits_pack`` in ``signbits_simd.h`` (SSE2
with a scalar fallback). All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport uint8_t
from libc.string cimport memcpy

from fq_checks cimport require, rows_of
from fq_common cimport FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence

cdef extern from "signbits_simd.h" nogil:
    uint8_t fq_signbits_byte(const float* s, Py_ssize_t k, int* nan)
    int fq_signbits_pack(const float* s, uint8_t* d, Py_ssize_t nbytes, uint8_t flip)
    bint FQ_SIGNBITS_UNPACK
    void fq_signbits_unpack(const uint8_t* s, float* d, Py_ssize_t nbytes, uint8_t flip)

cnp.import_array()

__all__ = ["signbits_unpack", "signbits_pack"]




# _SIGNS[b] holds the 8 bits of byte b, MSB first, as +1.0 (bit set) or -1.0 (bit clear).
cdef float _SIGNS[256][8]


cdef void _fill_signs() noexcept:
    cdef Py_ssize_t b, j
    for b in range(256):
        for j in range(8):
            _SIGNS[b][j] = 1.0 if (b >> (7 - j)) & 1 else -1.0


_fill_signs()


cdef inline void _unpack_run(const uint8_t* s, float* d, Py_ssize_t a, Py_ssize_t b,
                             uint8_t f) noexcept nogil:
    """d[0:b - a] = the signs of bits a..b-1 of the bit stream s (MSB first), a <= b."""
    cdef Py_ssize_t i, k, j
    if a >= b:
        return
    j = a & 7
    if j:  # finish the byte a starts in
        k = min(8 - j, b - a)
        memcpy(d, &_SIGNS[s[a >> 3] ^ f][j], k * sizeof(float))
        d += k
        a += k
    s += a >> 3
    k = (b - a) >> 3
    if FQ_SIGNBITS_UNPACK:  # AVX-512: mask blends instead of the table
        fq_signbits_unpack(s, d, k, f)
    else:
        for i in range(k):
            memcpy(d + 8 * i, &_SIGNS[s[i] ^ f][0], 8 * sizeof(float))
    if (b - a) & 7:
        memcpy(d + 8 * k, &_SIGNS[s[k] ^ f][0], ((b - a) & 7) * sizeof(float))


cdef inline void _unpack_row(const uint8_t* s, float* d, Py_ssize_t n, uint8_t f,
                             bint stream) noexcept nogil:
    cdef Py_ssize_t i = 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _unpack_run(s, d, 0, i, f)
        while n - i >= FQ_BLOCK:
            _unpack_run(s, buf, i, i + FQ_BLOCK, f)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
    _unpack_run(s, d + i, i, n, f)


def signbits_unpack(cnp.ndarray src, cnp.ndarray out, int flip, bint stream=False):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` float32 +-1.0, ``m == ceil(n / 8)``:
    ``out[r, j]`` is +1.0 when bit ``7 - j % 8`` of ``src[r, j // 8] ^ flip`` is set, else
    -1.0; the pad bits of the last byte are dropped. ``stream`` writes ``out`` with
    non-temporal stores (same values)."""
    cdef Py_ssize_t rows, n, m, r
    rows_of("signbits", out, src, &rows, &n, &m)
    require(m == (n + 7) // 8, "signbits", "packed length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef uint8_t f = <uint8_t> flip
    if n % 8 == 0:  # rows end on byte boundaries: one flat pass
        n = rows * n
        m = rows * m
        rows = 1
    with nogil:
        for r in range(rows):
            _unpack_row(s, d, n, f, stream)
            s += m
            d += n
        if stream:
            fq_stream_fence()


def signbits_pack(cnp.ndarray src, cnp.ndarray out, int flip):
    """Pack ``(rows, n)`` float32 into ``(rows, ceil(n / 8))`` bytes of bits ``x > 0``, MSB
    first, the last byte of a row zero padded, every byte XORed with ``flip``; returns 1 if
    ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    cdef Py_ssize_t rows, n, m, r, full, rest
    rows_of("signbits", src, out, &rows, &n, &m)
    require(m == (n + 7) // 8, "signbits", "packed length mismatch")
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t f = <uint8_t> flip
    cdef int nan = 0
    if n % 8 == 0:  # rows end on byte boundaries: one flat pass
        n = rows * n
        m = rows * m
        rows = 1
    full = n // 8
    rest = n % 8
    with nogil:
        for r in range(rows):
            nan |= fq_signbits_pack(s, d, full, f)
            if rest:
                d[full] = fq_signbits_byte(s + 8 * full, rest, &nan) ^ f
            s += n
            d += m
    return nan
