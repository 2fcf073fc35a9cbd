# cython: freethreading_compatible = True
"""ONNX QuantizeLinear / DequantizeLinear kernels for the integer code types (SPEC 9), and the
2-bit raw packers. (Float code types use the minifloat kernels of ``csrc/floats.pyx``; 4-bit
raw packing its nibble packers.)

Twins: ``fastquant/_twins/onnxq.py`` (same names and signatures; they define the meaning).
The loops are in ``csrc/onnxq_simd.h``, whose header says where the division step is and where
a proven-reciprocal primitive plugs in.

The 3-D kernels take ``(O, C, I)`` arrays around the quantization axis (``O`` the product of
the axes before it, ``C`` its length, ``I`` the product of the axes after it) and float32
``scales`` / int32 ``zero_points`` of one shape ``(O or 1, ceil(C / block), I or 1)``: element
``[o, c, i]`` uses ``[o', c // block, i']``. Per-tensor is ``(1, 1, 1)`` (with the data seen as
``(1, 1, N)``), per-axis ``(1, C, 1)`` with ``block = 1``, blocked ``(O, ceil(C / block), I)``
(the last block may be short). Kernels trust their callers for dtype and contiguity but check
every size they index with. All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, uint8_t, int16_t, uint16_t, int32_t

from fq_checks cimport require, rows_of
from fq_common cimport FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence

cdef extern from "onnxq_simd.h" nogil:
    int onnxq_q_run_8(const float* s, uint8_t* d, Py_ssize_t n, float scale, int32_t zp,
                      int32_t lo, int32_t hi, uint8_t mask, int stream)
    int onnxq_q_run_i16(const float* s, int16_t* d, Py_ssize_t n, float scale, int32_t zp,
                        int32_t lo, int32_t hi)
    int onnxq_q_run_u16(const float* s, uint16_t* d, Py_ssize_t n, float scale, int32_t zp,
                        int32_t lo, int32_t hi)
    int onnxq_q_lanes_8(const float* s, uint8_t* d, Py_ssize_t n, const float* sc,
                        const int32_t* zp, int32_t lo, int32_t hi, int32_t mask)
    int onnxq_q_lanes_i16(const float* s, int16_t* d, Py_ssize_t n, const float* sc,
                          const int32_t* zp, int32_t lo, int32_t hi, int32_t mask)
    int onnxq_q_lanes_u16(const float* s, uint16_t* d, Py_ssize_t n, const float* sc,
                          const int32_t* zp, int32_t lo, int32_t hi, int32_t mask)
    void onnxq_dq_i8(const int8_t* s, float* d, Py_ssize_t n, float scale, int32_t zp)
    void onnxq_dq_u8(const uint8_t* s, float* d, Py_ssize_t n, float scale, int32_t zp)
    void onnxq_dq_i16(const int16_t* s, float* d, Py_ssize_t n, float scale, int32_t zp)
    void onnxq_dq_u16(const uint16_t* s, float* d, Py_ssize_t n, float scale, int32_t zp)
    void onnxq_dq_i32(const int32_t* s, float* d, Py_ssize_t n, float scale, int32_t zp)
    void onnxq_dq_i8_lanes(const int8_t* s, float* d, Py_ssize_t n, const float* sc, const int32_t* zp)
    void onnxq_dq_u8_lanes(const uint8_t* s, float* d, Py_ssize_t n, const float* sc, const int32_t* zp)
    void onnxq_dq_i16_lanes(const int16_t* s, float* d, Py_ssize_t n, const float* sc, const int32_t* zp)
    void onnxq_dq_u16_lanes(const uint16_t* s, float* d, Py_ssize_t n, const float* sc, const int32_t* zp)
    void onnxq_dq_i32_lanes(const int32_t* s, float* d, Py_ssize_t n, const float* sc, const int32_t* zp)
    void onnxq_dq_small(const uint8_t* s, float* d, Py_ssize_t n, int bits, int sgn, float scale,
                        int32_t zp)
    void onnxq_dq_small_lanes(const uint8_t* s, float* d, Py_ssize_t n, int bits, int sgn,
                              const float* sc, const int32_t* zp)
    void onnxq_pack2_bytes(const uint8_t* s, uint8_t* d, Py_ssize_t nbytes)
    void onnxq_unpack2_bytes(const uint8_t* s, uint8_t* d, Py_ssize_t nbytes)

cnp.import_array()

__all__ = ["onnxq_quantize", "onnxq_dequantize", "onnxq_pack2", "onnxq_unpack2"]


cdef int _dims3(cnp.ndarray a, cnp.ndarray b, cnp.ndarray sc, cnp.ndarray zp, Py_ssize_t block,
                Py_ssize_t* dims) except -1:
    """dims = (O, C, I, scale rows S0, scale inner SI, Cs = ceil(C / block)), checked."""
    require(a.ndim == 3 and b.ndim == 3 and sc.ndim == 3 and zp.ndim == 3, "onnxq",
            "expected 3-D arrays")
    require(a.shape[0] == b.shape[0] and a.shape[1] == b.shape[1] and a.shape[2] == b.shape[2],
            "onnxq", "shape mismatch")
    require(block >= 1, "onnxq", "block must be >= 1")
    cdef Py_ssize_t o = a.shape[0], c = a.shape[1], i = a.shape[2]
    cdef Py_ssize_t cs = (c + block - 1) // block
    require(sc.shape[1] == cs, "onnxq", "scales: wrong length along the scaled axis")
    require(sc.shape[0] == o or sc.shape[0] == 1, "onnxq", "scales: wrong outer length")
    require(sc.shape[2] == i or sc.shape[2] == 1, "onnxq", "scales: wrong inner length")
    require(zp.shape[0] == sc.shape[0] and zp.shape[1] == cs and zp.shape[2] == sc.shape[2],
            "onnxq", "zero_points: shape differs from scales")
    require(cnp.PyArray_TYPE(sc) == cnp.NPY_FLOAT32 and cnp.PyArray_ISCARRAY_RO(sc),
            "onnxq", "scales must be C-contiguous float32")
    require(cnp.PyArray_TYPE(zp) == cnp.NPY_INT32 and cnp.PyArray_ISCARRAY_RO(zp),
            "onnxq", "zero_points must be C-contiguous int32")
    require(cnp.PyArray_ISCARRAY_RO(a) and cnp.PyArray_ISCARRAY(b), "onnxq",
            "src and out must be C-contiguous (out writeable)")
    dims[0], dims[1], dims[2] = o, c, i
    dims[3], dims[4], dims[5] = sc.shape[0], sc.shape[2], cs
    return 0


# ---------------------------------------------------------------------------------- quantize

ctypedef fused qcode_t:
    uint8_t
    int16_t
    uint16_t


cdef inline int _q_run(const float* s, qcode_t* d, Py_ssize_t n, float scale, int32_t zp,
                       int32_t lo, int32_t hi, int32_t mask, bint stream) noexcept nogil:
    if qcode_t is uint8_t:
        return onnxq_q_run_8(s, d, n, scale, zp, lo, hi, <uint8_t> mask, stream)
    elif qcode_t is int16_t:
        return onnxq_q_run_i16(s, d, n, scale, zp, lo, hi)
    else:
        return onnxq_q_run_u16(s, d, n, scale, zp, lo, hi)


cdef inline int _q_lanes(const float* s, qcode_t* d, Py_ssize_t n, const float* sc,
                         const int32_t* zp, int32_t lo, int32_t hi, int32_t mask) noexcept nogil:
    if qcode_t is uint8_t:
        return onnxq_q_lanes_8(s, d, n, sc, zp, lo, hi, mask)
    elif qcode_t is int16_t:
        return onnxq_q_lanes_i16(s, d, n, sc, zp, lo, hi, mask)
    else:
        return onnxq_q_lanes_u16(s, d, n, sc, zp, lo, hi, mask)


cdef int _quantize(const float* s, qcode_t* d, const float* sc, const int32_t* zp,
                   Py_ssize_t* dims, Py_ssize_t block, int32_t lo, int32_t hi,
                   int32_t mask, bint stream) noexcept nogil:
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2], S0 = dims[3], SI = dims[4], Cs = dims[5]
    cdef Py_ssize_t o, c, cb, c0, c1, k
    cdef const float* so
    cdef const int32_t* zo
    cdef int nan = 0
    if O == 0 or C == 0 or I == 0:  # nothing to do; the parameters may be empty too
        return 0
    for o in range(O):
        k = (o if S0 > 1 else 0) * Cs * SI
        so = sc + k
        zo = zp + k
        if SI > 1:  # one scale per element along I: lanes over each row of I
            for c in range(C):
                nan |= _q_lanes(s + c * I, d + c * I, I, so + (c // block) * SI,
                                zo + (c // block) * SI, lo, hi, mask)
        elif I == 1 and block == 1 and C > 1:  # per-axis on the last axis: lanes over C
            nan |= _q_lanes(s, d, C, so, zo, lo, hi, mask)
        else:  # a block of rows [c0, c1) x I shares one scale: one contiguous run
            for cb in range(Cs):
                c0 = cb * block
                c1 = c0 + block if c0 + block < C else C
                nan |= _q_run(s + c0 * I, d + c0 * I, (c1 - c0) * I, so[cb], zo[cb], lo, hi, mask, stream)
        s += C * I
        d += C * I
    return nan


def onnxq_quantize(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales, cnp.ndarray zero_points,
                   Py_ssize_t block, int qmin, int qmax, bint stream=False):
    """``out = clip(round(src / scale) + zero_point, qmin, qmax)`` (float32 division, round
    half to even, THEN the zero point) on 3-D ``(O, C, I)`` float32 ``src``; ``out`` is int8,
    uint8, int16 or uint16 of ``src``'s shape; a uint8 ``out`` with ``qmin < 0`` receives the
    codes' low bits only (two's complement of ``log2(qmax - qmin + 1)`` bits: int4, int2).
    Zero points must lie in ``[qmin, qmax]``. Returns 1 if ``src`` holds a NaN (its code is
    then unspecified), else 0. ``stream``: 8-bit codes go out with non-temporal stores (same
    values)."""
    cdef Py_ssize_t dims[6]
    _dims3(src, out, scales, zero_points, block, dims)
    require(cnp.PyArray_TYPE(src) == cnp.NPY_FLOAT32, "onnxq", "src must be float32")
    cdef int t = cnp.PyArray_TYPE(out)
    cdef int32_t mask = -1
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef void* d = cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const int32_t* zp = <const int32_t*> cnp.PyArray_DATA(zero_points)
    cdef int nan = 0
    cdef Py_ssize_t k, m = cnp.PyArray_SIZE(zero_points)
    for k in range(m):  # the bounds-shifting trick needs zero points inside the code range
        require(qmin <= zp[k] <= qmax, "onnxq", "zero point outside [qmin, qmax]")
    if t == cnp.NPY_INT8:
        require(-128 <= qmin <= qmax <= 127, "onnxq", "code range does not fit int8")
    elif t == cnp.NPY_UINT8:
        require((0 <= qmin <= qmax <= 255) or (qmin < 0 and -qmin == qmax + 1 and qmax in (1, 7)),
                "onnxq", "code range does not fit uint8 (or int4/int2 low bits)")
        if qmin < 0:
            mask = qmax - qmin
    elif t == cnp.NPY_INT16:
        require(-32768 <= qmin <= qmax <= 32767, "onnxq", "code range does not fit int16")
    elif t == cnp.NPY_UINT16:
        require(0 <= qmin <= qmax <= 65535, "onnxq", "code range does not fit uint16")
    else:
        require(False, "onnxq", "out must be int8, uint8, int16 or uint16")
    with nogil:
        if t == cnp.NPY_INT8 or t == cnp.NPY_UINT8:
            nan = _quantize(s, <uint8_t*> d, sc, zp, dims, block, qmin, qmax, mask & 0xFF, stream)
            if stream:
                fq_stream_fence()
        elif t == cnp.NPY_INT16:
            nan = _quantize(s, <int16_t*> d, sc, zp, dims, block, qmin, qmax, mask, False)
        else:
            nan = _quantize(s, <uint16_t*> d, sc, zp, dims, block, qmin, qmax, mask, False)
    return nan


# -------------------------------------------------------------------------------- dequantize

ctypedef fused dcode_t:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t


cdef inline void _dq_run(const dcode_t* s, float* d, Py_ssize_t n, const float* sc,
                         const int32_t* zp, bint lanes, int bits, int sgn) noexcept nogil:
    """d = (s - zp) * sc for n elements: one scale (sc[0], zp[0]) or one per element."""
    if bits:  # sub-byte codes in the low bits of uint8 bytes (src is uint8 then)
        if lanes:
            onnxq_dq_small_lanes(<const uint8_t*> s, d, n, bits, sgn, sc, zp)
        else:
            onnxq_dq_small(<const uint8_t*> s, d, n, bits, sgn, sc[0], zp[0])
    elif dcode_t is int8_t:
        if lanes:
            onnxq_dq_i8_lanes(s, d, n, sc, zp)
        else:
            onnxq_dq_i8(s, d, n, sc[0], zp[0])
    elif dcode_t is uint8_t:
        if lanes:
            onnxq_dq_u8_lanes(s, d, n, sc, zp)
        else:
            onnxq_dq_u8(s, d, n, sc[0], zp[0])
    elif dcode_t is int16_t:
        if lanes:
            onnxq_dq_i16_lanes(s, d, n, sc, zp)
        else:
            onnxq_dq_i16(s, d, n, sc[0], zp[0])
    elif dcode_t is uint16_t:
        if lanes:
            onnxq_dq_u16_lanes(s, d, n, sc, zp)
        else:
            onnxq_dq_u16(s, d, n, sc[0], zp[0])
    else:
        if lanes:
            onnxq_dq_i32_lanes(s, d, n, sc, zp)
        else:
            onnxq_dq_i32(s, d, n, sc[0], zp[0])


cdef inline void _dq_segment(const dcode_t* s, float* d, Py_ssize_t n, const float* sc,
                             const int32_t* zp, bint lanes, int bits, int sgn,
                             bint stream) noexcept nogil:
    """:func:`_dq_run`, the whole 64-byte lines of ``d[0:n]`` written with streaming stores
    when ``stream``."""
    cdef Py_ssize_t i = 0, e = 1 if lanes else 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _dq_run(s, d, i, sc, zp, lanes, bits, sgn)
        while n - i >= FQ_BLOCK:
            _dq_run(s + i, buf, FQ_BLOCK, sc + e * i, zp + e * i, lanes, bits, sgn)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
    _dq_run(s + i, d + i, n - i, sc + e * i, zp + e * i, lanes, bits, sgn)


cdef void _dequantize(const dcode_t* s, float* d, const float* sc, const int32_t* zp,
                      Py_ssize_t* dims, Py_ssize_t block, int bits, int sgn,
                      bint stream) noexcept nogil:
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2], S0 = dims[3], SI = dims[4], Cs = dims[5]
    cdef Py_ssize_t o, c, cb, c0, c1, k
    if O == 0 or C == 0 or I == 0:  # nothing to do; the parameters may be empty too
        return
    for o in range(O):
        k = (o if S0 > 1 else 0) * Cs * SI
        if SI > 1:
            for c in range(C):
                _dq_segment(s + c * I, d + c * I, I, sc + k + (c // block) * SI,
                            zp + k + (c // block) * SI, True, bits, sgn, stream)
        elif I == 1 and block == 1 and C > 1:
            _dq_segment(s, d, C, sc + k, zp + k, True, bits, sgn, stream)
        else:
            for cb in range(Cs):
                c0 = cb * block
                c1 = c0 + block if c0 + block < C else C
                _dq_segment(s + c0 * I, d + c0 * I, (c1 - c0) * I, sc + k + cb, zp + k + cb,
                            False, bits, sgn, stream)
        s += C * I
        d += C * I
    if stream:
        fq_stream_fence()


def onnxq_dequantize(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales,
                     cnp.ndarray zero_points, Py_ssize_t block, int bits, bint stream=False):
    """``out = float32(src - zero_point) * scale`` (the difference exact) on 3-D ``(O, C, I)``
    codes: int8, uint8, int16, uint16 or int32 ``src`` with ``bits = 0``; or, with ``bits`` 4
    or 2, bytes holding a code in their low bits (the rest ignored): uint8 ``src`` for uint4 /
    uint2, int8 ``src`` for int4 / int2 (two's complement). ``out`` float32; ``stream``
    writes it with non-temporal stores (same values)."""
    cdef Py_ssize_t dims[6]
    _dims3(src, out, scales, zero_points, block, dims)
    require(cnp.PyArray_TYPE(out) == cnp.NPY_FLOAT32, "onnxq", "out must be float32")
    cdef int t = cnp.PyArray_TYPE(src)
    cdef int sgn = t == cnp.NPY_INT8
    cdef const void* s = cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const int32_t* zp = <const int32_t*> cnp.PyArray_DATA(zero_points)
    require(bits == 0 or ((bits == 2 or bits == 4) and (t == cnp.NPY_INT8 or t == cnp.NPY_UINT8)),
            "onnxq", "bits must be 0, or 2 or 4 with int8/uint8 src")
    if t == cnp.NPY_INT8:
        with nogil:
            _dequantize(<const int8_t*> s, d, sc, zp, dims, block, bits, sgn, stream)
    elif t == cnp.NPY_UINT8:
        with nogil:
            _dequantize(<const uint8_t*> s, d, sc, zp, dims, block, bits, sgn, stream)
    elif t == cnp.NPY_INT16:
        with nogil:
            _dequantize(<const int16_t*> s, d, sc, zp, dims, block, 0, 0, stream)
    elif t == cnp.NPY_UINT16:
        with nogil:
            _dequantize(<const uint16_t*> s, d, sc, zp, dims, block, 0, 0, stream)
    elif t == cnp.NPY_INT32:
        with nogil:
            _dequantize(<const int32_t*> s, d, sc, zp, dims, block, 0, 0, stream)
    else:
        require(False, "onnxq", "src must be int8, uint8, int16, uint16 or int32")


# --------------------------------------------------------------------------- 2-bit packing

def onnxq_pack2(cnp.ndarray src, cnp.ndarray out):
    """Pack ``(rows, n)`` uint8 bytes into ``(rows, ceil(n / 4))``: four 2-bit codes a byte (the
    low 2 bits of each input byte), the first in the lowest bits, a short last byte padded with
    zero bits."""
    cdef Py_ssize_t rows, n, m, r, j
    rows_of("onnxq", src, out, &rows, &n, &m)
    require(m == (n + 3) // 4, "onnxq", "packed length mismatch")
    require(cnp.PyArray_ISCARRAY_RO(src) and cnp.PyArray_ISCARRAY(out), "onnxq",
            "src and out must be C-contiguous (out writeable)")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t last
    if n % 4 == 0:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            onnxq_pack2_bytes(s, d, n // 4)
            if n % 4:
                last = 0
                for j in range(n - n % 4, n):
                    last |= (s[j] & 3) << (2 * (j % 4))
                d[m - 1] = last
            s += n
            d += m


def onnxq_unpack2(cnp.ndarray src, cnp.ndarray out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` 2-bit codes (one a byte, in [0, 3]),
    ``4m - 3 <= n <= 4m``; bits past ``n`` in a row's last byte are ignored."""
    cdef Py_ssize_t rows, n, m, r, j
    rows_of("onnxq", out, src, &rows, &n, &m)
    require(m == (n + 3) // 4, "onnxq", "unpacked length mismatch")
    require(cnp.PyArray_ISCARRAY_RO(src) and cnp.PyArray_ISCARRAY(out), "onnxq",
            "src and out must be C-contiguous (out writeable)")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    if n % 4 == 0:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            onnxq_unpack2_bytes(s, d, n // 4)
            for j in range(n - n % 4, n):
                d[j] = (s[m - 1] >> (2 * (j % 4))) & 3
            s += m
            d += n
