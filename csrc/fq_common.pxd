# Inline helpers shared by the kernel families. Everything here is float32 arithmetic in the
# order the NumPy twins use; nothing may be compiled with -ffast-math.

from libc.stdint cimport int8_t, uint8_t

cdef inline float round_clamp(float x, float lo, float hi) noexcept nogil:
    """clip(round_half_even(x), lo, hi) for non-NaN x and integer bounds with |bound| < 2**22.

    Clamping first is exact because the bounds are integers (round and clip commute), and it
    makes +-inf saturate. Then adding and subtracting 1.5 * 2**23 rounds half to even in the
    default rounding mode, branch-free, so the loop vectorizes even on plain SSE2 where a call
    to rintf would not.
    """
    cdef float magic = 12582912.0
    x = lo if x < lo else x
    x = hi if x > hi else x
    return (x + magic) - magic


cdef inline float round_clamp_any(float x, float lo, float hi) noexcept nogil:
    """round_clamp for every x, NaN included: NaN gives lo (``x >= lo`` is false for NaN).

    For kernels that see NaN in their input and report it separately: the code written for
    a NaN is unspecified, but it must be a code, since casting NaN to an integer type is
    undefined behaviour in C (UBSan's float-cast-overflow). Same cost as round_clamp.
    """
    cdef float magic = 12582912.0
    x = x if x >= lo else lo
    x = hi if x > hi else x
    return (x + magic) - magic


# Quantizing by multiplication, exactly. The twins compute round(fl(x / s)), and a division
# per element makes the quantize kernels compute-bound (PERF-NOTES). With r = fl(1 / s),
# y = fl(x * r) = (x / s)(1 + e1)(1 + e2) and fl(x / s) = (x / s)(1 + e3), |e| <= 2**-24, so
# |y - fl(x / s)| < 4 * 2**-24 * |x / s|. Where |x / s| <= B = max(-lo, hi) + 1 that is below
# B * 2**-22, so round(clamp(y)) == round(clamp(fl(x / s))) unless clamp(y) lies within
# B * 2**-22 of a half-integer; where |x / s| > B both clamp to the same bound. Blocks where any
# element lies that close are recomputed with true divisions (for int4, 0.1% of random blocks).

cdef enum:
    FQ_BLOCK = 256          # elements per block: stack buffers, streaming stores, fallbacks

cdef inline float reciprocal_or_zero(float scale) noexcept nogil:
    """fl(1 / scale), or 0 when that is not finite (then callers divide instead)."""
    cdef float r = 1.0 / scale
    return r if r < 3.0e38 else 0.0


cdef extern from "fq_quantize.h":
    # d[i] = round_clamp(s[i] / scale, lo, hi) for a block of n non-NaN floats, |lo|, |hi| <
    # 2**20, by multiplying with inv = reciprocal_or_zero(scale) when that is provably exact
    # for the whole block, else by dividing; returns whether it had to divide.
    bint div_round_clamp_block "fq_div_round_clamp_block" (
        const float* s, int8_t* d, Py_ssize_t n, float scale, float inv, float lo,
        float hi) noexcept nogil


cdef extern from "fq_range.h":
    # (min, max) into lo/hi and whether all n >= 1 floats are finite; one vectorized pass
    bint fq_range(const float* s, Py_ssize_t n, float* lo, float* hi) noexcept nogil


cdef extern from "fq_stream.h":
    bint FQ_HAVE_STREAM
    Py_ssize_t fq_stream_head(const float* d, Py_ssize_t n) noexcept nogil
    void fq_stream_floats(float* d, const float* buf, Py_ssize_t n) noexcept nogil
    void fq_stream_fence() noexcept nogil


cdef extern from "fq_nibbles.h":
    # int4 nibble pairs: pack n pairs of codes into n bytes (returns 1 on a code outside
    # [-8, 7]) and unpack n bytes into n sign-extended pairs
    int fq_pack_pairs(const uint8_t* s, uint8_t* d, Py_ssize_t pairs) noexcept nogil
    void fq_unpack_pairs(const uint8_t* s, int8_t* d, Py_ssize_t pairs) noexcept nogil
    # the unsigned twins (uint4, fp4 codes): codes must lie in [0, 15]; no sign extension
    int fq_pack_nibble_pairs(const uint8_t* s, uint8_t* d, Py_ssize_t pairs) noexcept nogil
    void fq_unpack_nibble_pairs(const uint8_t* s, uint8_t* d, Py_ssize_t pairs) noexcept nogil
