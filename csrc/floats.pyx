# cython: freethreading_compatible = True
"""Minifloat kernels (fp8, fp6, fp4, e8m0): encode, decode, scaled variants, OCP MX blocks,
unsigned nibble packing.

Twins: ``fastquant/_twins/floats.py`` (same names and signatures; they define the meaning).
``fmt`` is a format id, the index of a row of ``fastquant._minifloats.FORMATS``; this module
fills its C traits table (``fq_minifloat``, csrc/fq_minifloat.h) from those rows at import, so
the twin and the kernels read one table. The encoder and decoder are one routine over the
traits (fq_minifloat.h says how, and which instruction sets it uses).

Kernels trust their callers for dtype and contiguity (the public wrappers coerce once) but
check every size they index with. Decoders return 1 when a code has bits above the format's
width (the public functions turn that into ValueError). All loops run without the GIL.

The 3-D kernels take ``(O, C, I)`` arrays (``O`` = product of the axes before the scaled
axis, ``C`` its length, ``I`` the product of the axes after it) and scales of shape
``(O or 1, ceil(C / block), I or 1)``: per-tensor is ``(1, 1, 1)`` with ``block >= C``,
per-axis ``(1, C, 1)`` with ``block = 1``, blocked ``(O, ceil(C / block), I)``.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport uint8_t, uint32_t, int32_t
from libc.string cimport memcpy, memset

from fq_checks cimport require, rows_of
from fq_common cimport (FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence,
                        fq_pack_nibble_pairs, fq_unpack_nibble_pairs)

from fastquant._minifloats import FORMATS as _FORMATS, KINDS as _KINDS

cdef extern from "fq_minifloat.h" nogil:
    ctypedef struct fq_minifloat:
        float table[256]
        int32_t mb
        int32_t bias_adj
        uint32_t sign, max_code, inf_code, nan_code, nan_flip, zero_sign, unsigned_nan, limit
    enum:
        FQ_MF_PLAIN
        FQ_MF_MUL
        FQ_MF_DIV
    void fq_mf_init_decoder(fq_minifloat* t, int kind, int mb, int bias, int bits)
    void fq_mf_encode_run(const float* s, uint8_t* d, Py_ssize_t n, const fq_minifloat* t,
                          int sat, int op, const float* k, int kstep)
    uint32_t fq_mf_decode_run(const uint8_t* s, float* d, Py_ssize_t n, const fq_minifloat* t,
                              int op, const float* k, int kstep)
    uint32_t fq_mf_f2u(float x)
    float fq_mf_u2f(uint32_t u)

cnp.import_array()

__all__ = [
    "floats_table",
    "floats_encode",
    "floats_decode",
    "floats_encode_scaled",
    "floats_decode_scaled",
    "floats_quantize_mx",
    "floats_dequantize_mx",
    "floats_pack_nibbles",
    "floats_unpack_nibbles",
]

cdef enum:
    _MAX_FORMATS = 32

cdef fq_minifloat _FMT[_MAX_FORMATS]
cdef int _NFMT = 0
cdef float _ONE = 1.0


cdef void _setup() except *:
    """Fill the C traits table from fastquant._minifloats.FORMATS (rows in id order)."""
    global _NFMT
    cdef fq_minifloat* t
    require(len(_FORMATS) <= _MAX_FORMATS, "floats", "too many formats")
    for f in _FORMATS:
        t = &_FMT[f.id]
        t.mb = f.mantissa_bits
        t.bias_adj = f.bias - 127
        t.sign = f.sign_bit
        t.max_code = f.max_code
        t.inf_code = f.inf_code
        t.nan_code = f.nan_code
        t.nan_flip = f.nan_flip
        t.zero_sign = 0xFFFFFFFF if f.has_negative_zero else 0
        t.unsigned_nan = 0 if f.signed else 0xFFFFFFFF
        t.limit = f.code_limit
        fq_mf_init_decoder(t, _KINDS.index(f.kind), f.mantissa_bits, f.bias, f.bits)
    _NFMT = len(_FORMATS)


_setup()


cdef inline const fq_minifloat* _fmt(int fmt) except NULL:
    require(0 <= fmt < _NFMT, "floats", "unknown format id")
    return &_FMT[fmt]


cdef inline int _bad(uint32_t seen, const fq_minifloat* t) noexcept nogil:
    return (seen & ~t.limit) != 0


def floats_table(int fmt):
    """The decode table of format ``fmt``: float32 values of the 256 byte codes (read-only)."""
    cdef const fq_minifloat* t = _fmt(fmt)
    out = np.empty(256, np.float32)
    memcpy(cnp.PyArray_DATA(out), t.table, sizeof(t.table))
    out.flags.writeable = False
    return out


# ------------------------------------------------------------------------------ element-wise

def floats_encode(cnp.ndarray src, cnp.ndarray out, int fmt, bint saturate):
    """``out = encode(src)``: float32 ``src`` to uint8 codes of format ``fmt`` (same size);
    ``saturate`` maps overflow and +-inf to +-max instead of inf/NaN."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    require(cnp.PyArray_SIZE(out) == n, "floats", "size mismatch")
    with nogil:
        fq_mf_encode_run(s, d, n, t, saturate, FQ_MF_PLAIN, &_ONE, 0)


cdef uint32_t _decode_row(const uint8_t* s, float* d, Py_ssize_t n, const fq_minifloat* t,
                          int op, const float* k, int kstep, bint stream) noexcept nogil:
    """d[0:n] = decode(s[0:n]) (times k, constant or per element); ``stream`` writes whole
    64-byte lines with non-temporal stores (same values). Returns the OR of the codes."""
    cdef Py_ssize_t i = 0
    cdef uint32_t seen = 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        seen |= fq_mf_decode_run(s, d, i, t, op, k, kstep)
        while n - i >= FQ_BLOCK:
            seen |= fq_mf_decode_run(s + i, buf, FQ_BLOCK, t, op, k + i * kstep, kstep)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
    seen |= fq_mf_decode_run(s + i, d + i, n - i, t, op, k + i * kstep, kstep)
    return seen


def floats_decode(cnp.ndarray src, cnp.ndarray out, int fmt, bint stream=False):
    """``out = table[src]``: uint8 codes to float32 (same size); returns 1 when a code has bits
    above the format's width (its value is then unspecified), else 0. ``stream`` writes ``out``
    with non-temporal stores (same values)."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    cdef uint32_t seen
    require(cnp.PyArray_SIZE(out) == n, "floats", "size mismatch")
    with nogil:
        seen = _decode_row(s, d, n, t, FQ_MF_PLAIN, &_ONE, 0, stream)
        if stream:
            fq_stream_fence()
    return _bad(seen, t)


# ------------------------------------------------------------------------ 3-D: scaled axis

cdef int _dims3(cnp.ndarray a, cnp.ndarray b, cnp.ndarray sc, Py_ssize_t block, bint mx,
                Py_ssize_t* dims) except -1:
    """dims = (O, C, I, scale rows S0, scale inner SI, Cs = ceil(C / block)), checked."""
    require(a.ndim == 3 and b.ndim == 3 and sc.ndim == 3, "floats", "expected 3-D arrays")
    require(a.shape[0] == b.shape[0] and a.shape[1] == b.shape[1] and a.shape[2] == b.shape[2],
            "floats", "shape mismatch")
    require(block >= 1, "floats", "block must be >= 1")
    cdef Py_ssize_t o = a.shape[0], c = a.shape[1], i = a.shape[2]
    cdef Py_ssize_t cs = (c + block - 1) // block
    require(sc.shape[1] == cs, "floats", "scales: wrong length along the scaled axis")
    if mx:
        require(c % block == 0 and sc.shape[0] == o and sc.shape[2] == i, "floats",
                "scales: wrong shape")
    else:
        require(sc.shape[0] == o or sc.shape[0] == 1, "floats", "scales: wrong outer length")
        require(sc.shape[2] == i or sc.shape[2] == 1, "floats", "scales: wrong inner length")
    dims[0], dims[1], dims[2] = o, c, i
    dims[3], dims[4], dims[5] = sc.shape[0], sc.shape[2], cs
    return 0


cdef inline void _encode_k(const float* s, uint8_t* d, Py_ssize_t n, const fq_minifloat* t,
                           int sat, const float* k, int kstep) noexcept nogil:
    """d = encode(s / k) with k constant or per element. A constant power-of-two k whose
    reciprocal is a normal float32 (2**-126 <= |k| <= 2**126) is a multiply by that exact
    reciprocal: x / k and x * (1 / k) are then the same correctly rounded real, bit for bit."""
    cdef uint32_t b
    cdef float r
    if n <= 0:  # k may point past an empty scales array: read nothing
        return
    if kstep == 0:
        b = fq_mf_f2u(k[0]) & 0x7FFFFFFF
        if (b & 0x7FFFFF) == 0 and (b >> 23) >= 1 and (b >> 23) <= 253:
            r = 1.0 / k[0]
            fq_mf_encode_run(s, d, n, t, sat, FQ_MF_MUL, &r, 0)
            return
    fq_mf_encode_run(s, d, n, t, sat, FQ_MF_DIV, k, kstep)


cdef inline void _expand(float* kb, Py_ssize_t m, const float* k, Py_ssize_t* q, Py_ssize_t* r,
                         Py_ssize_t block) noexcept nogil:
    """kb[j] = k[q], advancing (q, r) = (block index, position in the block) by m elements:
    one run of a block's scale at a time (a branch per element cost ~4 ns per value)."""
    cdef Py_ssize_t j = 0, e, n
    cdef float v
    while j < m:
        v = k[q[0]]
        n = min(block - r[0], m - j)
        for e in range(j, j + n):
            kb[e] = v
        j += n
        r[0] += n
        if r[0] == block:
            r[0] = 0
            q[0] += 1


def floats_encode_scaled(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales, Py_ssize_t block,
                         int fmt, bint saturate):
    """``out[o, c, i] = encode(src[o, c, i] / scales[o', c // block, i'], fmt, saturate)`` on
    3-D ``(O, C, I)`` float32 ``src`` and uint8 ``out``, float32 ``scales`` of shape
    ``(O or 1, ceil(C / block), I or 1)`` (``o' = o`` or 0, ``i' = i`` or 0): a float32
    division (never an inexact reciprocal), then the cast."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef Py_ssize_t dims[6]
    _dims3(src, out, scales, block, False, dims)
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2], S0 = dims[3], SI = dims[4], Cs = dims[5]
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const float* so
    cdef Py_ssize_t o, c, i, m, q, r
    cdef float kb[FQ_BLOCK]
    with nogil:
        for o in range(O):
            so = sc + (o if S0 > 1 else 0) * Cs * SI
            if I == 1 and (block == 1 or block >= C):  # per element along C, or one scale
                _encode_k(s, d, C, t, saturate, so, 1 if block == 1 else 0)
            elif I == 1:  # runs of `block` elements share a scale
                i = q = r = 0
                while i < C:
                    m = min(<Py_ssize_t> FQ_BLOCK, C - i)
                    _expand(kb, m, so, &q, &r, block)
                    fq_mf_encode_run(s + i, d + i, m, t, saturate, FQ_MF_DIV, kb, 1)
                    i += m
            else:
                for c in range(C):
                    _encode_k(s + c * I, d + c * I, I, t, saturate, so + (c // block) * SI,
                              1 if SI > 1 else 0)
            s += C * I
            d += C * I


def floats_decode_scaled(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales, Py_ssize_t block,
                         int fmt, bint stream=False):
    """``out[o, c, i] = table[src[o, c, i]] * scales[o', c // block, i']`` (float32 multiply)
    on 3-D arrays shaped as in :func:`floats_encode_scaled`; returns 1 when a code has bits
    above the format's width, else 0. ``stream``: non-temporal stores (same values)."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef Py_ssize_t dims[6]
    _dims3(src, out, scales, block, False, dims)
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2], S0 = dims[3], SI = dims[4], Cs = dims[5]
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const float* so
    cdef Py_ssize_t o, c, i, m, q, r
    cdef uint32_t seen = 0
    cdef float kb[FQ_BLOCK]
    cdef float buf[FQ_BLOCK]
    cdef Py_ssize_t head
    cdef float* dst
    with nogil:
        for o in range(O):
            so = sc + (o if S0 > 1 else 0) * Cs * SI
            if I == 1 and (block == 1 or block >= C):
                seen |= _decode_row(s, d, C, t, FQ_MF_MUL, so, 1 if block == 1 else 0, stream)
            elif I == 1:
                i = q = r = 0
                head = fq_stream_head(d, C) if stream else C
                while i < C:
                    m = min(<Py_ssize_t> FQ_BLOCK, head - i if i < head else C - i)
                    _expand(kb, m, so, &q, &r, block)
                    dst = &buf[0] if (stream and i >= head and m == FQ_BLOCK) else d + i
                    seen |= fq_mf_decode_run(s + i, dst, m, t, FQ_MF_MUL, kb, 1)
                    if dst == &buf[0]:
                        fq_stream_floats(d + i, buf, FQ_BLOCK)
                    i += m
            else:
                for c in range(C):
                    seen |= _decode_row(s + c * I, d + c * I, I, t, FQ_MF_MUL, so + (c // block) * SI,
                                        1 if SI > 1 else 0, stream)
            s += C * I
            d += C * I
        if stream:
            fq_stream_fence()
    return _bad(seen, t)


# ------------------------------------------------------------------------- OCP MX blocks

cdef inline int32_t _shared_exponent(uint32_t amax, int32_t emax) noexcept nogil:
    """floor(log2(amax)) - emax clamped to [-127, 127] for the abs bits ``amax`` of a finite
    float32 (subnormals by their bit length); -127 for amax == 0 (OCP MX v1.0, 6.3)."""
    cdef int32_t e = <int32_t> (amax >> 23), lg
    if amax == 0:
        return -127
    if e > 0:
        lg = e - 127
    else:
        lg = -150
        while amax:
            amax >>= 1
            lg += 1
    lg -= emax
    return -127 if lg < -127 else (127 if lg > 127 else lg)


cdef inline float _pow2(uint32_t s) noexcept nogil:
    """2**(s - 127) as float32 (s = 0: 2**-127, a subnormal), NaN for 0xFF: E8M0's value."""
    if s == 0xFF:
        return fq_mf_u2f(0x7FC00000)
    return fq_mf_u2f(s << 23 if s else 0x00400000)


cdef inline float _inv_pow2(int32_t e) noexcept nogil:
    """2**-e for e in [-127, 125]: a normal float32."""
    return fq_mf_u2f(<uint32_t> (127 - e) << 23)


def floats_quantize_mx(cnp.ndarray src, cnp.ndarray codes, cnp.ndarray scales, Py_ssize_t block,
                       int fmt):
    """OCP MX quantization of 3-D ``(O, C, I)`` float32 ``src`` in blocks of ``block`` along
    axis 1 (``C % block == 0``): ``scales`` uint8 ``(O, C // block, I)`` (E8M0 bytes),
    ``codes`` uint8 like ``src``; see the twin for the formula."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef int32_t emax = _FORMATS[fmt].emax
    cdef Py_ssize_t dims[6]
    _dims3(src, codes, scales, block, True, dims)
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2], Cs = dims[5]
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(codes)
    cdef uint8_t* sc = <uint8_t*> cnp.PyArray_DATA(scales)
    cdef const uint32_t* u
    cdef Py_ssize_t o, b, j, j0, m, r
    cdef uint32_t amax, a
    cdef int32_t e
    cdef float mult
    cdef uint32_t am[FQ_BLOCK]
    cdef float mv[FQ_BLOCK]
    with nogil:
        for o in range(O):
            for b in range(Cs):
                if I == 1:  # the block is contiguous
                    u = <const uint32_t*> s
                    amax = 0
                    for j in range(block):
                        a = u[j] & 0x7FFFFFFF
                        amax = a if a > amax else amax
                    if amax >= 0x7F800000:
                        sc[0] = 0xFF
                        memset(d, 0, block)
                    else:
                        e = _shared_exponent(amax, emax)
                        sc[0] = <uint8_t> (e + 127)
                        mult = _inv_pow2(e)
                        fq_mf_encode_run(s, d, block, t, 1, FQ_MF_MUL, &mult, 0)
                else:  # `block` rows of I; strips of FQ_BLOCK along I
                    j0 = 0
                    while j0 < I:
                        m = min(<Py_ssize_t> FQ_BLOCK, I - j0)
                        for j in range(m):
                            am[j] = 0
                        for r in range(block):
                            u = <const uint32_t*> (s + r * I + j0)
                            for j in range(m):
                                a = u[j] & 0x7FFFFFFF
                                am[j] = a if a > am[j] else am[j]
                        for j in range(m):
                            if am[j] >= 0x7F800000:
                                sc[j0 + j] = 0xFF
                                mv[j] = 0.0
                            else:
                                e = _shared_exponent(am[j], emax)
                                sc[j0 + j] = <uint8_t> (e + 127)
                                mv[j] = _inv_pow2(e)
                        for r in range(block):
                            fq_mf_encode_run(s + r * I + j0, d + r * I + j0, m, t, 1, FQ_MF_MUL, mv, 1)
                            for j in range(m):
                                if am[j] >= 0x7F800000:
                                    d[r * I + j0 + j] = 0
                        j0 += m
                s += block * I
                d += block * I
                sc += I


cdef inline bint _expand_pow2(float* kb, Py_ssize_t m, const uint8_t* sb, Py_ssize_t* q,
                              Py_ssize_t* r, Py_ssize_t block) noexcept nogil:
    """kb[j] = 2**(sb[q] - 127) (NaN for 0xFF), advancing (q, r) by m elements: one run of a
    block's multiplier at a time (a per-element loop with a branch per element made the
    streaming path of dequantize_mx ~10x slower than the ordinary one). Returns whether a
    0xFF scale byte (a NaN multiplier) was met."""
    cdef Py_ssize_t j = 0, e, k
    cdef float v
    cdef bint nan = False
    while j < m:
        if sb[q[0]] == 0xFF:
            nan = True
        v = _pow2(sb[q[0]])
        k = min(block - r[0], m - j)
        for e in range(j, j + k):
            kb[e] = v
        j += k
        r[0] += k
        if r[0] == block:
            r[0] = 0
            q[0] += 1
    return nan


cdef inline void _nan_where(float* d, const float* kb, Py_ssize_t m) noexcept nogil:
    """d[j] = +NaN (0x7FC00000) where the multiplier kb[j] is NaN (a 0xFF scale byte)."""
    cdef Py_ssize_t j
    cdef float nan = fq_mf_u2f(0x7FC00000)
    for j in range(m):
        if kb[j] != kb[j]:
            d[j] = nan


cdef inline uint32_t _or_bytes(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef uint32_t seen = 0
    for j in range(n):
        seen |= s[j]
    return seen


cdef inline void _fill_nan(float* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef float nan = fq_mf_u2f(0x7FC00000)
    for j in range(n):
        d[j] = nan


def floats_dequantize_mx(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales, Py_ssize_t block,
                         int fmt, bint stream=False):
    """``out = table[src] * 2**(scale - 127)`` on 3-D ``(O, C, I)`` codes and float32 ``out``,
    uint8 ``scales`` ``(O, C // block, I)``; +NaN (0x7FC00000) wherever the scale byte is 0xFF.
    Returns 1 when a code has bits above the format's width, else 0. ``stream``: non-temporal
    stores (same values)."""
    cdef const fq_minifloat* t = _fmt(fmt)
    cdef Py_ssize_t dims[6]
    _dims3(src, out, scales, block, True, dims)
    cdef Py_ssize_t O = dims[0], C = dims[1], I = dims[2]
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef const uint8_t* sc = <const uint8_t*> cnp.PyArray_DATA(scales)
    cdef Py_ssize_t o, c, b, i, m, q, r, n, head
    cdef uint32_t seen = 0
    cdef float kb[FQ_BLOCK]
    cdef float buf[FQ_BLOCK]
    cdef float* dst
    cdef bint nan
    with nogil:
        for o in range(O):
            # one row: C (I == 1, scale per block of the row) or I elements (scale per element)
            for c in range(1 if I == 1 else C):
                n = C if I == 1 else I
                i = q = r = 0
                if I == 1 and block >= 8 and not stream:  # block by block, a constant multiplier
                    for b in range(C // block):
                        if sc[b] == 0xFF:
                            seen |= _or_bytes(s + i, block)
                            _fill_nan(d + i, block)
                        else:
                            kb[0] = _pow2(sc[b])
                            seen |= fq_mf_decode_run(s + i, d + i, block, t, FQ_MF_MUL, kb, 0)
                        i += block
                head = fq_stream_head(d, n) if stream else n
                while i < n:
                    m = min(<Py_ssize_t> FQ_BLOCK, head - i if i < head else n - i)
                    if I == 1:
                        nan = _expand_pow2(kb, m, sc, &q, &r, block)
                    else:
                        nan = _expand_pow2(kb, m, sc + i, &q, &r, 1)
                        q = r = 0
                    dst = &buf[0] if (stream and i >= head and m == FQ_BLOCK) else d + i
                    seen |= fq_mf_decode_run(s + i, dst, m, t, FQ_MF_MUL, kb, 1)
                    if nan:
                        _nan_where(dst, kb, m)
                    if dst == &buf[0]:
                        fq_stream_floats(d + i, buf, FQ_BLOCK)
                    i += m
                s += n
                d += n
                if I > 1 and (c + 1) % block:
                    continue
                sc += C // block if I == 1 else I
        if stream:
            fq_stream_fence()
    return _bad(seen, t)


# ------------------------------------------------------------------------ unsigned nibbles

def floats_pack_nibbles(cnp.ndarray src, cnp.ndarray out):
    """Pack ``(rows, n)`` uint8 codes into ``(rows, ceil(n / 2))`` bytes, first code in the low
    nibble, odd rows padded with 0; returns 1 if a code exceeds 15, else 0."""
    cdef Py_ssize_t rows, n, m, r
    rows_of("floats", src, out, &rows, &n, &m)
    require(m == (n + 1) // 2, "floats", "packed length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    cdef uint8_t a, bad = 0
    if n % 2 == 0:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            bad |= fq_pack_nibble_pairs(s, d, n // 2)
            if n & 1:
                a = s[n - 1]
                bad |= a > 15
                d[m - 1] = a & 0xF
            s += n
            d += m
    return <int> bad


def floats_unpack_nibbles(cnp.ndarray src, cnp.ndarray out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` codes in [0, 15], ``n`` in {2m - 1, 2m}."""
    cdef Py_ssize_t rows, n, m, r
    rows_of("floats", out, src, &rows, &n, &m)
    require(n == 2 * m or n == 2 * m - 1, "floats", "unpacked length mismatch")
    cdef const uint8_t* s = <const uint8_t*> cnp.PyArray_DATA(src)
    cdef uint8_t* d = <uint8_t*> cnp.PyArray_DATA(out)
    if n == 2 * m:
        m = rows * m
        n = rows * n
        rows = 1
    with nogil:
        for r in range(rows):
            fq_unpack_nibble_pairs(s, d, n // 2)
            if n & 1:
                d[n - 1] = s[m - 1] & 0xF
            s += m
            d += n
