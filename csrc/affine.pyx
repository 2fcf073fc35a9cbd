# cython: freethreading_compatible = True
"""n-bit affine kernels: round-and-clamp quantize with a scale and zero point, and decode.

Twins: ``fastquant/_twins/affine.py`` (same names and signatures; they define the meaning).
Both kernels take the data viewed as ``(outer, C, inner)`` around the quantization axis, with
one scale and one zero point per index of C: per tensor is C = 1, and per channel on any axis
is a reshape of the caller's C-contiguous array (never a copy). Kernels trust their callers
for dtype and contiguity of ``src`` but check every size they index with, so a wrong call
raises instead of touching foreign memory. All loops run without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, uint8_t, int16_t, uint16_t, int32_t, int64_t
from libc.stdlib cimport malloc, free

from fq_checks cimport require, rows_of
from fq_common cimport (round_clamp_any, FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence,
                        fq_quant, fq_quant_init, fq_quant_lane_inv, FQ_Q_ROUND, fq_quantize_i8,
                        fq_quantize_u8, fq_quantize_i16, fq_quantize_u16, fq_quantize_lanes_i8,
                        fq_quantize_lanes_u8, fq_quantize_lanes_i16, fq_quantize_lanes_u16)

cnp.import_array()

__all__ = ["affine_quantize", "affine_dequantize"]

ctypedef fused codes_t:
    int8_t
    uint8_t
    int16_t
    uint16_t

ctypedef fused any_codes_t:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t



cdef inline void _dims(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales,
                       cnp.ndarray zero_points, Py_ssize_t* dims) except *:
    """``(outer, C, inner)`` of 3-D ``src``/``out`` of the same shape, with float32
    ``scales`` and int32 ``zero_points`` of length C."""
    require(src.ndim == 3 and out.ndim == 3, "affine", "src and out must be 3-D (outer, C, inner)")
    cdef Py_ssize_t k
    for k in range(3):
        require(src.shape[k] == out.shape[k], "affine", "shape mismatch between src and out")
        dims[k] = src.shape[k]
    require(cnp.PyArray_TYPE(scales) == cnp.NPY_FLOAT32 and cnp.PyArray_SIZE(scales) == dims[1],
             "affine", "scales must be float32 with one entry per channel")
    require(cnp.PyArray_TYPE(zero_points) == cnp.NPY_INT32
             and cnp.PyArray_SIZE(zero_points) == dims[1],
             "affine", "zero_points must be int32 with one entry per channel")
    require(cnp.PyArray_ISCARRAY_RO(src) and cnp.PyArray_ISNOTSWAPPED(src),
             "affine", "src must be C-contiguous, aligned and native-endian")
    require(cnp.PyArray_ISCARRAY(out) and cnp.PyArray_ISNOTSWAPPED(out),
             "affine", "out must be C-contiguous, aligned, writeable and native-endian")
    require(cnp.PyArray_ISCARRAY_RO(scales) and cnp.PyArray_ISNOTSWAPPED(scales)
             and cnp.PyArray_ISCARRAY_RO(zero_points) and cnp.PyArray_ISNOTSWAPPED(zero_points),
             "affine", "scales and zero_points must be C-contiguous and native-endian")


cdef int _quantize_scalar(const float* s, codes_t* d, const float* scales, const int32_t* zps,
                          Py_ssize_t outer, Py_ssize_t C, Py_ssize_t inner,
                          float lo, float hi) noexcept nogil:
    """One element at a time by true division: channels of fewer than 16 elements, and scales
    the primitive refuses (only a direct kernel call can pass one that is not finite and > 0)."""
    cdef Py_ssize_t o, c, i
    cdef float v, sc, zf
    cdef uint8_t nan = 0
    if inner == 1:  # channels are the last axis: walk each row with the scale array beside it
        for o in range(outer):
            for c in range(C):
                v = s[c]
                nan |= v != v
                # a NaN is reported by the return value and written as the code qmin
                d[c] = <codes_t> round_clamp_any(v / scales[c] + <float> zps[c], lo, hi)
            s += C
            d += C
    else:
        for o in range(outer):
            for c in range(C):
                sc = scales[c]
                zf = <float> zps[c]
                for i in range(inner):
                    v = s[i]
                    nan |= v != v
                    d[i] = <codes_t> round_clamp_any(v / sc + zf, lo, hi)
                s += inner
                d += inner
    return nan


cdef inline int _run(const fq_quant* q, const float* s, codes_t* d, Py_ssize_t n) noexcept nogil:
    if codes_t is int8_t:
        return fq_quantize_i8(q, s, d, n)
    elif codes_t is uint8_t:
        return fq_quantize_u8(q, s, d, n)
    elif codes_t is int16_t:
        return fq_quantize_i16(q, s, d, n)
    else:
        return fq_quantize_u16(q, s, d, n)


cdef inline int _run_lanes(const fq_quant* q, const float* s, codes_t* d, Py_ssize_t n,
                           const float* sc, const float* inv, const float* zf) noexcept nogil:
    if codes_t is int8_t:
        return fq_quantize_lanes_i8(q, s, d, n, sc, inv, zf)
    elif codes_t is uint8_t:
        return fq_quantize_lanes_u8(q, s, d, n, sc, inv, zf)
    elif codes_t is int16_t:
        return fq_quantize_lanes_i16(q, s, d, n, sc, inv, zf)
    else:
        return fq_quantize_lanes_u16(q, s, d, n, sc, inv, zf)


cdef int _quantize(const float* s, codes_t* d, const float* scales, const int32_t* zps,
                   Py_ssize_t outer, Py_ssize_t C, Py_ssize_t inner,
                   int32_t qmin, int32_t qmax) noexcept nogil:
    """The affine formula through fq_quantize.h: a true float32 division wherever its proof
    does not show that multiplying by the reciprocal gives the same code (SPEC: float math)."""
    cdef Py_ssize_t o, c
    cdef int nan = 0
    cdef float zmax = 0.0, z
    cdef bint same
    cdef fq_quant q
    cdef fq_quant* qs
    cdef float* lanes
    if outer == 0 or C == 0 or inner == 0:  # nothing to do (and no parameter to read)
        return 0
    if C == 1:  # per tensor, or one channel: one contiguous run
        if fq_quant_init(&q, scales[0], 0.0, <float> zps[0], 0, qmin, qmax, FQ_Q_ROUND) != 0:
            return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
        return _run(&q, s, d, outer * inner)
    if inner == 1:  # channels are the last axis: each row with per-element parameters
        lanes = <float*> malloc(2 * C * sizeof(float))
        if lanes == NULL:
            return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
        same = True
        for c in range(C):
            z = <float> zps[c]
            lanes[c] = fq_quant_lane_inv(scales[c])
            lanes[C + c] = z
            same = same and zps[c] == zps[0]
            z = -z if z < 0 else z
            zmax = z if z > zmax else zmax
        # one set of bounds and slack for every lane: the largest |zf| bounds them all (and
        # one zero point for all of them needs no per-lane array)
        if fq_quant_init(&q, scales[0], 0.0, <float> zps[0] if same else zmax, 0, qmin, qmax,
                         FQ_Q_ROUND) != 0:
            free(lanes)
            return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
        for c in range(C):
            if lanes[c] == 0.0:  # no proof for this lane (or an invalid scale): divide
                q.inv = 0.0
            if not (scales[c] > 0.0 and scales[c] <= 3.4028234663852886e38):
                free(lanes)
                return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
        for o in range(outer):
            nan |= _run_lanes(&q, s, d, C, scales, lanes, NULL if same else lanes + C)
            s += C
            d += C
        free(lanes)
        return nan
    if inner < 16:  # short channels: a call per channel would cost more than it saves
        return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
    qs = <fq_quant*> malloc(C * sizeof(fq_quant))
    if qs == NULL:
        return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
    for c in range(C):
        if fq_quant_init(&qs[c], scales[c], 0.0, <float> zps[c], 0, qmin, qmax, FQ_Q_ROUND) != 0:
            free(qs)
            return _quantize_scalar(s, d, scales, zps, outer, C, inner, qmin, qmax)
    for o in range(outer):
        for c in range(C):
            nan |= _run(&qs[c], s, d, inner)
            s += inner
            d += inner
    free(qs)
    return nan


def affine_quantize(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales,
                    cnp.ndarray zero_points, int qmin, int qmax):
    """``out = clip(round(src / scales + float32(zero_points)), qmin, qmax)`` in float32 over
    ``(outer, C, inner)`` arrays, scales and zero points indexed by C; ``out`` is int8, uint8,
    int16 or uint16. Returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    cdef Py_ssize_t dims[3]
    _dims(src, out, scales, zero_points, dims)
    require(cnp.PyArray_TYPE(src) == cnp.NPY_FLOAT32, "affine", "src must be float32")
    cdef int t = cnp.PyArray_TYPE(out)
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef void* d = cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const int32_t* zp = <const int32_t*> cnp.PyArray_DATA(zero_points)
    cdef int nan
    if t == cnp.NPY_INT8:
        require(-128 <= qmin <= qmax <= 127, "affine", "code range does not fit int8")
        with nogil:
            nan = _quantize(s, <int8_t*> d, sc, zp, dims[0], dims[1], dims[2], qmin, qmax)
    elif t == cnp.NPY_UINT8:
        require(0 <= qmin <= qmax <= 255, "affine", "code range does not fit uint8")
        with nogil:
            nan = _quantize(s, <uint8_t*> d, sc, zp, dims[0], dims[1], dims[2], qmin, qmax)
    elif t == cnp.NPY_INT16:
        require(-32768 <= qmin <= qmax <= 32767, "affine", "code range does not fit int16")
        with nogil:
            nan = _quantize(s, <int16_t*> d, sc, zp, dims[0], dims[1], dims[2], qmin, qmax)
    elif t == cnp.NPY_UINT16:
        require(0 <= qmin <= qmax <= 65535, "affine", "code range does not fit uint16")
        with nogil:
            nan = _quantize(s, <uint16_t*> d, sc, zp, dims[0], dims[1], dims[2], qmin, qmax)
    else:
        require(False, "affine", "out must be int8, uint8, int16 or uint16")
    return nan


cdef inline void _dequantize_run(const any_codes_t* s, float* d, Py_ssize_t n, const float* sc,
                                 const int32_t* zp, bint each) noexcept nogil:
    """d[i] = sc * float32(s[i] - zp) for i < n, with sc[i], zp[i] when ``each`` (channels
    are the last axis) and sc[0], zp[0] otherwise."""
    cdef Py_ssize_t i
    cdef float c
    cdef int32_t z
    # Codes of 16 bits or fewer minus a zero point in [-2**30, 2**30] cannot overflow int32;
    # int32 codes subtract in 64 bits, so the difference is exact on every path.
    if each:
        for i in range(n):
            if any_codes_t is int32_t:
                d[i] = sc[i] * <float> (<int64_t> s[i] - zp[i])
            else:
                d[i] = sc[i] * <float> (<int32_t> s[i] - zp[i])
    else:
        c = sc[0]
        z = zp[0]
        for i in range(n):
            if any_codes_t is int32_t:
                d[i] = c * <float> (<int64_t> s[i] - z)
            else:
                d[i] = c * <float> (<int32_t> s[i] - z)


cdef inline void _dequantize_segment(const any_codes_t* s, float* d, Py_ssize_t n,
                                     const float* sc, const int32_t* zp, bint each,
                                     bint stream) noexcept nogil:
    """:func:`_dequantize_run`, the 64-byte lines inside ``d[0:n]`` written with streaming
    stores when ``stream``."""
    cdef Py_ssize_t i = 0, e = 1 if each else 0
    cdef float buf[FQ_BLOCK]
    if stream:
        i = fq_stream_head(d, n)
        _dequantize_run(s, d, i, sc, zp, each)
        while n - i >= FQ_BLOCK:
            _dequantize_run(s + i, buf, FQ_BLOCK, sc + e * i, zp + e * i, each)
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
    _dequantize_run(s + i, d + i, n - i, sc + e * i, zp + e * i, each)


cdef void _dequantize(const any_codes_t* s, float* d, const float* scales, const int32_t* zps,
                      Py_ssize_t outer, Py_ssize_t C, Py_ssize_t inner,
                      bint stream) noexcept nogil:
    cdef Py_ssize_t o, c
    if inner == 1:  # channels are the last axis: one segment per row, the scales beside it
        for o in range(outer):
            _dequantize_segment(s, d, C, scales, zps, True, stream)
            s += C
            d += C
    else:
        for o in range(outer):
            for c in range(C):
                _dequantize_segment(s, d, inner, scales + c, zps + c, False, stream)
                s += inner
                d += inner
    if stream:
        fq_stream_fence()


def affine_dequantize(cnp.ndarray src, cnp.ndarray out, cnp.ndarray scales,
                      cnp.ndarray zero_points, bint stream=False):
    """``out = scales * float32(src - zero_points)`` over ``(outer, C, inner)`` arrays, the
    difference exact; ``src`` holds int8, uint8, int16, uint16 or int32 codes, ``out`` float32.
    ``stream`` writes ``out`` with non-temporal stores (same values)."""
    cdef Py_ssize_t dims[3]
    _dims(src, out, scales, zero_points, dims)
    require(cnp.PyArray_TYPE(out) == cnp.NPY_FLOAT32, "affine", "out must be float32")
    cdef int t = cnp.PyArray_TYPE(src)
    cdef void* s = cnp.PyArray_DATA(src)
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef const float* sc = <const float*> cnp.PyArray_DATA(scales)
    cdef const int32_t* zp = <const int32_t*> cnp.PyArray_DATA(zero_points)
    if t == cnp.NPY_INT8:
        with nogil:
            _dequantize(<const int8_t*> s, d, sc, zp, dims[0], dims[1], dims[2], stream)
    elif t == cnp.NPY_UINT8:
        with nogil:
            _dequantize(<const uint8_t*> s, d, sc, zp, dims[0], dims[1], dims[2], stream)
    elif t == cnp.NPY_INT16:
        with nogil:
            _dequantize(<const int16_t*> s, d, sc, zp, dims[0], dims[1], dims[2], stream)
    elif t == cnp.NPY_UINT16:
        with nogil:
            _dequantize(<const uint16_t*> s, d, sc, zp, dims[0], dims[1], dims[2], stream)
    elif t == cnp.NPY_INT32:
        with nogil:
            _dequantize(<const int32_t*> s, d, sc, zp, dims[0], dims[1], dims[2], stream)
    else:
        require(False, "affine", "src must be int8, uint8, int16, uint16 or int32")


def _quantize_primitive(cnp.ndarray src, cnp.ndarray out, float scale, float offset, float zf,
                        int32_t zp, int32_t lo, int32_t hi, int floor_mode, bint simd=True):
    """Internal (tests/test_reciprocal_proof.py): fq_quantize.h's primitive as it is,
    ``out = clip(R(fl(fl(fl(src - offset) / scale) + zf)) + zp, lo, hi)`` with R = round half
    to even, or floor when ``floor_mode``; ``out`` int8, uint8, int16 or uint16 of src's size;
    ``simd=False`` forces the plain C path. Returns the NaN flag; raises ValueError on
    parameters the primitive refuses. Not a kernel: no twin, not in ``__all__``."""
    cdef fq_quant q
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    cdef int t = cnp.PyArray_TYPE(out), nan
    cdef const float* s = <const float*> cnp.PyArray_DATA(src)
    cdef void* d = cnp.PyArray_DATA(out)
    require(cnp.PyArray_TYPE(src) == cnp.NPY_FLOAT32 and cnp.PyArray_ISCARRAY_RO(src), "affine",
            "src must be C-contiguous float32")
    require(cnp.PyArray_SIZE(out) == n and cnp.PyArray_ISCARRAY(out), "affine", "out size mismatch")
    require(fq_quant_init(&q, scale, offset, zf, zp, lo, hi, 1 if floor_mode else 0) == 0,
            "affine", "parameters refused by fq_quant_init")
    if not simd:
        q.simd = 0
    if t == cnp.NPY_INT8:
        require(-128 <= lo <= hi <= 127, "affine", "code range does not fit int8")
        with nogil:
            nan = fq_quantize_i8(&q, s, <int8_t*> d, n)
    elif t == cnp.NPY_UINT8:
        require(0 <= lo <= hi <= 255, "affine", "code range does not fit uint8")
        with nogil:
            nan = fq_quantize_u8(&q, s, <uint8_t*> d, n)
    elif t == cnp.NPY_INT16:
        require(-32768 <= lo <= hi <= 32767, "affine", "code range does not fit int16")
        with nogil:
            nan = fq_quantize_i16(&q, s, <int16_t*> d, n)
    elif t == cnp.NPY_UINT16:
        require(0 <= lo <= hi <= 65535, "affine", "code range does not fit uint16")
        with nogil:
            nan = fq_quantize_u16(&q, s, <uint16_t*> d, n)
    else:
        require(False, "affine", "out must be int8, uint8, int16 or uint16")
    return nan
