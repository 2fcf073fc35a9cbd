"""NumPy twins of the GGUF block encoders (``csrc/gguf_encode.pyx``): BF16, Q4_0, Q4_1, Q5_0,
Q5_1, Q8_0, TQ1_0, TQ2_0, MXFP4, NVFP4, Q8_K and IQ4_NL.

They define the meaning: each is llama.cpp's ``quantize_row_<type>_ref`` (ggml-quants.c,
llama-cpp-python 0.3.36) written over all blocks at once, with the same float32 operations in
the same order, so the compiled kernels and the C reference give the same bytes. Every kernel
is ``kernel(src, out) -> status``: ``src`` float32, C-contiguous, a whole number of blocks;
``out`` uint8, C-contiguous, ``blocks * type_size`` bytes. The status ORs :data:`NONFINITE`
(a NaN or inf in ``src``) and :data:`RANGE` (a stored fp16 scale would be inf or NaN, or the C
reference would fail an assertion, e.g. ``nearest_int``'s ``|x| <= 4194303``); ``out`` holds
garbage when it is not 0, and the public function raises.

Where the C reference converts an out-of-range float to an integer (a block whose maximum is so
small that ``1 / d`` overflows), the result is the x86-64 one, which llama.cpp and gguf-py both
give: the conversion yields INT_MIN, whose low byte is 0.
"""

from __future__ import annotations

import numpy as np

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

#: Status bits of every encode kernel.
NONFINITE = 1
RANGE = 2

MAGIC = np.float32(12582912.0)      # 1.5 * 2**23: (a + MAGIC) - MAGIC rounds half to even
NEAREST_INT_LIMIT = np.float32(4194303.0)
KVALUES_IQ4NL = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], np.int8)
KVALUES_FP4 = np.array([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12], np.int8)
GROUP_MAX_EPS = np.float32(1e-15)


# ---------------------------------------------------------------- shared helpers

def blocks_of(src: np.ndarray, out: np.ndarray, block_size: int, type_size: int):
    """``(src as (blocks, block_size), out as (blocks, type_size))``, sizes checked."""
    if src.size % block_size or out.size != src.size // block_size * type_size:
        raise ValueError("gguf_encode kernel: size mismatch")
    n = src.size // block_size
    return src.reshape(n, block_size), out.reshape(n, type_size)


def finite_status(x: np.ndarray) -> int:
    return 0 if np.isfinite(x).all() else NONFINITE


def nearest_int(a: np.ndarray):
    """llama.cpp's ``nearest_int``: ``a`` rounded half to even, as float32; and whether its
    ``assert(fabsf(a) <= 4194303.f)`` holds for every element (NaN fails it)."""
    with np.errstate(invalid="ignore", over="ignore"):
        ok = bool(np.all(np.abs(a) <= NEAREST_INT_LIMIT))
        return (a + MAGIC) - MAGIC, ok


def to_int(a: np.ndarray) -> np.ndarray:
    """float32 -> int64 as C converts through a 32-bit integer on x86-64: values outside
    (-2**31, 2**31) and NaN give INT_MIN."""
    with np.errstate(invalid="ignore"):
        good = np.abs(a) < np.float32(2147483648.0)
        return np.where(good, np.trunc(np.where(good, a, np.float32(0))), np.float32(-2147483648.0)).astype(np.int64)


def fp16_bits(v: np.ndarray):
    """float32 -> IEEE half bits, round to nearest even (ggml's ``GGML_FP32_TO_FP16`` for every
    value but NaN), and whether every result is finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        h = np.asarray(v, np.float32).astype(np.float16)
    return h.view(np.uint16), bool(np.isfinite(h).all())


def fp16_value(bits: np.ndarray) -> np.ndarray:
    return bits.view(np.float16).astype(np.float32)


def put_u16(out: np.ndarray, col: int, bits: np.ndarray) -> None:
    out[:, col] = (bits & 0xFF).astype(np.uint8)
    out[:, col + 1] = (bits >> 8).astype(np.uint8)


def first_absmax(x: np.ndarray):
    """Per row: ``amax = max |x|`` and ``max``, the first element with ``|x| == amax`` (the C
    loops' ``if (amax < fabsf(v)) { amax = fabsf(v); max = v; }``), +0.0 when amax is 0."""
    ax = np.abs(x)
    amax = ax.max(axis=1)
    idx = np.argmax(ax == amax[:, None], axis=1)
    mx = x[np.arange(x.shape[0]), idx]
    return amax, np.where(amax == 0, np.float32(0), mx).astype(np.float32)


def first_zero_sign(x: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``value`` where it is nonzero; where it is 0, the zero of the first zero element of the
    row: the sign a sequential ``if (v < min) min = v`` (or ``v > max``) leaves."""
    iz = x == 0
    first = x[np.arange(x.shape[0]), np.argmax(iz, axis=1)]
    return np.where(value == 0, first, value).astype(np.float32)


def reciprocal_or_zero(d: np.ndarray) -> np.ndarray:
    """``d ? 1.0f/d : 0.0f``."""
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)


def seq_sum(terms) -> np.ndarray:
    """Sequential float32 sum of a list of arrays, left to right (C's ``s += t`` loop from 0)."""
    s = np.zeros_like(terms[0])
    for t in terms:
        s = s + t
    return s


def pack_nibbles_halves(q: np.ndarray) -> np.ndarray:
    """``qs[j] = q[j] | q[j + n/2] << 4`` per row (the 32-element legacy blocks)."""
    h = q.shape[1] // 2
    return (q[:, :h] | (q[:, h:] << 4)).astype(np.uint8)


def high_bits_u32(q: np.ndarray) -> np.ndarray:
    """``qh`` of Q5_0/Q5_1: bit j of a little-endian uint32 is bit 4 of q[j]."""
    bits = ((q >> 4) & 1).astype(np.uint64)
    qh = (bits << np.arange(32, dtype=np.uint64)).sum(axis=1)
    return np.stack([(qh >> (8 * k)) & 0xFF for k in range(4)], axis=1).astype(np.uint8)


# ---------------------------------------------------------------- BF16

def gguf_quantize_bf16(src, out):
    """ggml's ``GGML_FP32_TO_BF16`` (= gguf-py): NaN quieted (``(bits >> 16) | 64``), every
    other value rounded to nearest even; little-endian bytes. Never fails."""
    if out.size != 2 * src.size:
        raise ValueError("gguf_encode kernel: size mismatch")
    n = src.reshape(-1).view(np.uint32).astype(np.uint64)
    nan = (n & 0x7FFFFFFF) > 0x7F800000
    h = np.where(nan, (n >> 16) | 64, (n + (0x7FFF + ((n >> 16) & 1))) >> 16).astype(np.uint16)
    out.reshape(-1)[:] = h.view(np.uint8)
    return 0


# ---------------------------------------------------------------- Q4_0, Q5_0, Q8_0

def _legacy_symmetric(src, out, divisor, bias, top, type_size):
    """Q4_0 (divisor -8, bias 8.5, top 15) and Q5_0 (-16, 16.5, 31): ``d = max / divisor``,
    ``q = MIN(top, (int8_t)(x * (1/d) + bias))``."""
    x, y = blocks_of(src, out, 32, type_size)
    status = finite_status(x)
    if status:
        return status
    _, mx = first_absmax(x)
    d = (mx / np.float32(divisor)).astype(np.float32)
    dbits, ok = fp16_bits(d)
    inv = reciprocal_or_zero(d)
    with np.errstate(invalid="ignore", over="ignore"):
        v = x * inv[:, None] + np.float32(bias)
    q8 = ((to_int(v) & 0xFF) ^ 0x80) - 0x80          # (int8_t) of the 32-bit conversion
    q = np.minimum(top, q8).astype(np.int64) & 0xFF   # MIN(top, ...) stored as uint8_t
    put_u16(y, 0, dbits)
    return 0 if ok else RANGE, q


def gguf_quantize_q4_0(src, out):
    """``quantize_row_q4_0_ref``: per 32 values ``max`` = the first value of largest
    magnitude, ``d = max / -8``, ``q = MIN(15, (int8_t)(x / d... as x * (1/d) + 8.5))``;
    block = fp16 d, 16 bytes ``q[j] | q[j + 16] << 4``."""
    r = _legacy_symmetric(src, out, -8, 8.5, 15, 18)
    if isinstance(r, int):
        return r
    status, q = r
    out.reshape(-1, 18)[:, 2:] = pack_nibbles_halves(q)
    return status


def gguf_quantize_q5_0(src, out):
    """``quantize_row_q5_0_ref``: as Q4_0 with ``d = max / -16``, ``MIN(31, (int8_t)(x * (1/d)
    + 16.5))``; block = fp16 d, uint32 of the fifth bits, 16 bytes of low nibbles."""
    r = _legacy_symmetric(src, out, -16, 16.5, 31, 22)
    if isinstance(r, int):
        return r
    status, q = r
    y = out.reshape(-1, 22)
    y[:, 2:6] = high_bits_u32(q)
    y[:, 6:] = pack_nibbles_halves(q & 0xF)
    return status


def _legacy_affine(src, out, levels, type_size, clamp):
    """Q4_1 (15 levels, clamped) and Q5_1 (31, not clamped: ``(uint8_t)(x + 0.5f)``)."""
    x, y = blocks_of(src, out, 32, type_size)
    status = finite_status(x)
    if status:
        return status
    mn = first_zero_sign(x, x.min(axis=1))
    mx = first_zero_sign(x, x.max(axis=1))
    with np.errstate(over="ignore"):
        d = ((mx - mn) / np.float32(levels)).astype(np.float32)
    dbits, ok1 = fp16_bits(d)
    mbits, ok2 = fp16_bits(mn)
    inv = reciprocal_or_zero(d)
    with np.errstate(invalid="ignore", over="ignore"):
        v = (x - mn[:, None]) * inv[:, None] + np.float32(0.5)
    q = to_int(v) & 0xFF
    if clamp:
        q = np.minimum(levels, ((q ^ 0x80) - 0x80)) & 0xFF
    put_u16(y, 0, dbits)
    put_u16(y, 2, mbits)
    return (0 if ok1 and ok2 else RANGE), q


def gguf_quantize_q4_1(src, out):
    """``quantize_row_q4_1_ref``: ``d = (max - min) / 15``, ``q = MIN(15, (int8_t)((x - min)
    * (1/d) + 0.5))``; block = fp16 d, fp16 min, 16 nibble bytes."""
    r = _legacy_affine(src, out, 15, 20, True)
    if isinstance(r, int):
        return r
    status, q = r
    out.reshape(-1, 20)[:, 4:] = pack_nibbles_halves(q)
    return status


def gguf_quantize_q5_1(src, out):
    """``quantize_row_q5_1_ref``: ``d = (max - min) / 31``, ``q = (uint8_t)((x - min) * (1/d)
    + 0.5)``; block = fp16 d, fp16 min, uint32 fifth bits, 16 low-nibble bytes."""
    r = _legacy_affine(src, out, 31, 24, False)
    if isinstance(r, int):
        return r
    status, q = r
    y = out.reshape(-1, 24)
    y[:, 4:8] = high_bits_u32(q)
    y[:, 8:] = pack_nibbles_halves(q & 0xF)
    return status


def round_away(v: np.ndarray) -> np.ndarray:
    """C ``roundf``/``lroundf``: half away from zero (exact: ``|v| - trunc(|v|)`` is exact)."""
    a = np.abs(v)
    t = np.trunc(a)
    return np.copysign(t + (a - t >= np.float32(0.5)).astype(np.float32), v).astype(np.float32)


def gguf_quantize_q8_0(src, out):
    """``quantize_row_q8_0_ref``: ``d = amax / 127``, ``q = roundf(x * (1/d))`` (half away
    from zero); block = fp16 d, 32 int8."""
    x, y = blocks_of(src, out, 32, 34)
    status = finite_status(x)
    if status:
        return status
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    dbits, ok = fp16_bits(d)
    inv = reciprocal_or_zero(d)
    with np.errstate(invalid="ignore", over="ignore"):
        q = to_int(round_away(x * inv[:, None])) & 0xFF
    put_u16(y, 0, dbits)
    y[:, 2:] = q.astype(np.uint8)
    return 0 if ok else RANGE


# ---------------------------------------------------------------- TQ1_0, TQ2_0

def _ternary(x):
    """``lroundf(x * (1/amax)) + 1`` as the C code stores it (a non-finite product: glibc's
    LONG_MIN + 1, whose low 32 bits are 1), and the fp16 bits of amax."""
    amax = np.abs(x).max(axis=1)
    dbits, ok = fp16_bits(amax)
    inv = reciprocal_or_zero(amax)
    with np.errstate(invalid="ignore", over="ignore"):
        v = x * inv[:, None]
        r = round_away(v)
        t = np.where(np.isfinite(r), r, np.float32(0)).astype(np.int64) + 1
    return t, dbits, ok


def gguf_quantize_tq1_0(src, out):
    """``quantize_row_tq1_0_ref``: ternary digits ``lroundf(x / amax) + 1`` packed five to a
    byte (as ``ceil(q * 256 / 243)``) then four; block = 48 + 4 bytes, fp16 amax."""
    x, y = blocks_of(src, out, 256, 54)
    status = finite_status(x)
    if status:
        return status
    t, dbits, ok = _ternary(x)

    def pack(cols, step, count):
        q = np.zeros((x.shape[0], step), np.int64)
        for n in range(count):
            q = (q * 3 + t[:, cols + n * step]) & 0xFF
        return q

    qs0 = pack(np.arange(32), 32, 5)
    qs1 = pack(np.arange(16) + 160, 16, 5)
    qh = pack(np.arange(4) + 240, 4, 4)
    qh = (qh * 3) & 0xFF
    for q, lo in ((qs0, 0), (qs1, 32), (qh, 48)):
        y[:, lo:lo + q.shape[1]] = ((q * 256 + 242) // 243).astype(np.uint8)
    put_u16(y, 52, dbits)
    return 0 if ok else RANGE


def gguf_quantize_tq2_0(src, out):
    """``quantize_row_tq2_0_ref``: ``lroundf(x / amax) + 1`` in two bits, byte ``m`` of each
    32-byte group holding elements ``m, m + 32, m + 64, m + 96`` from the low bits up;
    block = 64 bytes, fp16 amax."""
    x, y = blocks_of(src, out, 256, 66)
    status = finite_status(x)
    if status:
        return status
    t, dbits, ok = _ternary(x)
    t = (t & 3).reshape(-1, 2, 4, 32)
    q = t[:, :, 0] | (t[:, :, 1] << 2) | (t[:, :, 2] << 4) | (t[:, :, 3] << 6)
    y[:, :64] = q.reshape(-1, 64).astype(np.uint8)
    put_u16(y, 64, dbits)
    return 0 if ok else RANGE


# ---------------------------------------------------------------- MXFP4, NVFP4

def _log2_floor_thresholds() -> np.ndarray:
    """For each binade ``[2**E, 2**(E+1))``, E = -149..127, the bits of the smallest float32
    whose log2, rounded to float32, is E + 1 (so its ``floorf(log2f(x))`` is E + 1, not E);
    the bits of 2**(E+1) when there is none. Only the 64 floats below each power of two can
    round up (at most 44 do), and there float64 log2 is far from a float32 tie:
    tools/gguf_encode_check.py checks the table against llama.cpp's log2f and gguf-py's
    float32 np.log2 on every float within 400 ulps below a power of two."""
    e = np.arange(-149, 128)
    top = np.where(e + 1 > -127, (e + 1 + 127) << 23, 1 << np.clip(e + 1 + 149, 0, 30)).astype(np.int64)
    low = np.where(e > -127, (e + 127) << 23, 1 << np.clip(e + 149, 0, 30)).astype(np.int64)
    cand = top[:, None] - np.arange(1, 65)[None, :]                       # 64 floats below 2**(E+1)
    inside = cand >= low[:, None]
    x = np.where(inside, cand, top[:, None]).astype(np.uint32).view(np.float32)
    up = (np.log2(x.astype(np.float64)).astype(np.float32) == (e + 1)[:, None]) & inside
    # the floats that round up are the ones nearest 2**(E+1): a run from the top
    run = np.cumprod(up, axis=1).sum(axis=1)
    return (top - run).astype(np.uint32)


LOG2_THRESHOLDS = _log2_floor_thresholds()


def floor_log2f(a: np.ndarray) -> np.ndarray:
    """``floorf(log2f(a))`` for finite ``a > 0``, with log2f correctly rounded to float32 (what
    glibc's log2f and NumPy's float32 log2 give at every point where it matters)."""
    bits = a.view(np.uint32).astype(np.int64)
    exp = bits >> 23
    sub = exp == 0
    # binade of a subnormal: position of its top mantissa bit
    e = np.where(sub, np.frexp(bits.astype(np.float64))[1].astype(np.int64) - 1 - 149, exp - 127)
    return e + (bits >= LOG2_THRESHOLDS[e + 149].astype(np.int64))


def e8m0_to_fp32_half(e: np.ndarray) -> np.ndarray:
    """ggml's ``GGML_E8M0_TO_FP32_HALF``: ``2**(e - 128)``."""
    e = e.astype(np.uint32)
    bits = np.where(e < 2, np.uint32(0x00200000) << e, (e - 1) << 23).astype(np.uint32)
    return bits.view(np.float32)


def best_index_fp4(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``best_index_mxfp4``: the first k of 16 minimising ``fabsf(kvalues[k] * d - x)``."""
    best = np.zeros(x.shape, np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        err = np.abs(np.float32(KVALUES_FP4[0]) * d - x)
        for k in range(1, 16):
            e = np.abs(np.float32(KVALUES_FP4[k]) * d - x)
            better = e < err
            best = np.where(better, k, best)
            err = np.where(better, e, err)
    return best


def gguf_quantize_mxfp4(src, out):
    """``quantize_row_mxfp4_ref`` (= gguf-py): ``e = floorf(log2f(amax)) - 2 + 127`` as a
    uint8 (0 when amax is 0; below 2**-125 it wraps, as on x86-64), ``d = 2**(e - 128)``, each
    value the nearest doubled E2M1 value ``kvalues[k] * d`` (first k on ties); block = e, 16
    bytes ``k[j] | k[j + 16] << 4``."""
    x, y = blocks_of(src, out, 32, 17)
    status = finite_status(x)
    if status:
        return status
    amax = np.abs(x).max(axis=1)
    pos = amax > 0
    e = np.where(pos, floor_log2f(np.where(pos, amax, np.float32(1))) - 2 + 127, 0) & 0xFF
    d = e8m0_to_fp32_half(e)
    k = best_index_fp4(x, d[:, None])
    y[:, 0] = e.astype(np.uint8)
    y[:, 1:] = pack_nibbles_halves(k)
    return 0


def fp32_to_ue4m3(x: np.ndarray) -> np.ndarray:
    """ggml's ``ggml_fp32_to_ue4m3``: unsigned E4M3 (bias 7), round half up on the dropped
    mantissa bit, at most 0x7E (448), 0 for x <= 0."""
    x = np.where(x > np.float32(448), np.float32(448), x).astype(np.float32)
    bits = x.view(np.uint32).astype(np.int64)
    exp = ((bits >> 23) & 0xFF) - 127 + 7
    man = ((bits >> 20) & 7) + ((bits >> 19) & 1)
    exp = np.where(man > 7, exp + 1, exp)
    man = np.where(man > 7, 0, man)
    normal = np.where(exp >= 15, 0x7E, (exp << 3) | man)
    with np.errstate(invalid="ignore", over="ignore"):
        sub = to_int(x * np.float32(512.0) + np.float32(0.5))
    sub = np.where(sub > 7, 7, sub)
    sub = np.where(sub < 1, 0, sub)
    res = np.where(((bits >> 23) & 0xFF) - 127 + 7 <= 0, sub, normal)
    return np.where(x > 0, res, 0).astype(np.int64)


def ue4m3_to_fp32_half(u: np.ndarray) -> np.ndarray:
    """ggml's ``ggml_ue4m3_to_fp32`` (which includes the factor 0.5 of the doubled values)."""
    exp = (u >> 3) & 0xF
    man = (u & 7).astype(np.float32)
    raw = np.where(exp == 0, man * np.float32(2.0 ** -9),
                   (np.float32(1) + man / np.float32(8)) * np.exp2((exp - 7).astype(np.float32)).astype(np.float32))
    return np.where((u == 0) | (u == 0x7F), np.float32(0), raw * np.float32(0.5)).astype(np.float32)


def gguf_quantize_nvfp4(src, out):
    """``quantize_row_nvfp4_ref``: per 16 values ``ue = fp32_to_ue4m3(amax / 6)``, each value
    the nearest ``kvalues[k] * ue4m3_to_fp32(ue)`` (first k on ties); block of 64 = 4 scale
    bytes, then per 16 values 8 bytes ``k[j] | k[j + 8] << 4``."""
    x, y = blocks_of(src, out, 64, 36)
    status = finite_status(x)
    if status:
        return status
    sub = x.reshape(-1, 16)
    amax = np.abs(sub).max(axis=1)
    ue = fp32_to_ue4m3((amax / np.float32(6.0)).astype(np.float32))
    d = ue4m3_to_fp32_half(ue)
    k = best_index_fp4(sub, d[:, None])
    y[:, :4] = ue.reshape(-1, 4).astype(np.uint8)
    y[:, 4:] = pack_nibbles_halves(k).reshape(-1, 32)
    return 0


# ---------------------------------------------------------------- Q8_K

def gguf_quantize_q8_k(src, out):
    """``quantize_row_q8_K_ref``: ``iscale = -127 / max`` (max: first value of largest
    magnitude), ``q = MIN(127, nearest_int(iscale * x))``, ``d = 1 / iscale`` stored as float32,
    ``bsums`` the int16 sums of 16 codes; an all-zero block is d = 0, codes 0 (and bsums 0: the
    C reference leaves them unwritten)."""
    x, y = blocks_of(src, out, 256, 292)
    status = finite_status(x)
    if status:
        return status
    amax, mx = first_absmax(x)
    zero = amax == 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        iscale = (np.float32(-127) / np.where(zero, np.float32(1), mx)).astype(np.float32)
        r, ok = nearest_int(x[~zero] * iscale[~zero, None])
        q = np.zeros(x.shape, np.int64)
        q[~zero] = np.minimum(127, r.astype(np.int64)) if ok else 0
        d = np.where(zero, np.float32(0), np.float32(1) / iscale).astype(np.float32)
    bsums = q.reshape(-1, 16, 16).sum(axis=2).astype(np.int16)
    y[:, :4] = d.view(np.uint8).reshape(-1, 4)
    y[:, 4:260] = q.astype(np.int8).view(np.uint8)
    y[:, 260:] = bsums.view(np.uint8).reshape(-1, 32)
    return 0 if ok else RANGE


# ---------------------------------------------------------------- IQ4_NL

IQ4_MIDPOINTS = ((KVALUES_IQ4NL[:-1].astype(np.float32) + KVALUES_IQ4NL[1:].astype(np.float32)) / np.float32(2)).astype(np.float32)


def best_index_iq4(a: np.ndarray) -> np.ndarray:
    """llama.cpp's ``best_index_int8(16, kvalues_iq4nl, a)``: the nearest of the 16 sorted
    values, the upper on a tie, 15 for NaN. For the values ``fl(a - v)`` and ``fl(v' - a)`` it
    compares are exact wherever they are close, so this is the count of midpoints <= a."""
    idx = np.zeros(a.shape, np.int64)
    for m in IQ4_MIDPOINTS:
        idx += a >= m
    return np.where(np.isnan(a), 15, idx)


def iq4_sums(x, w, a):
    """Codes of ``a`` and the sequential sums ``sumqx += w*q*x``, ``sumq2 += w*q*q``."""
    idx = best_index_iq4(a)
    q = KVALUES_IQ4NL[idx].astype(np.float32)
    sumqx = np.zeros(x.shape[0], np.float32)
    sumq2 = np.zeros(x.shape[0], np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(x.shape[1]):
            wq = w[:, j] * q[:, j]
            sumqx = sumqx + wq * x[:, j]
            sumq2 = sumq2 + wq * q[:, j]
    return idx, sumqx, sumq2


def gguf_quantize_iq4_nl(src, out):
    """``quantize_row_iq4_nl_ref`` (``quantize_row_iq4_nl_impl`` with ntry = -1, no weights):
    ``d = max / -127``, codes ``best_index(x * (1/d))``, then the least-squares scale
    ``sumqx / sumq2`` with weights ``x*x`` stored as fp16. A block with ``amax < 1e-15`` gets
    d = 0 and code 8 (the C reference leaves its codes from the previous block)."""
    x, y = blocks_of(src, out, 32, 18)
    status = finite_status(x)
    if status:
        return status
    amax, mx = first_absmax(x)
    small = amax < GROUP_MAX_EPS
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = (np.where(small, np.float32(1), mx) / np.float32(-127)).astype(np.float32)
        inv = (np.float32(1) / d).astype(np.float32)
        w = (x * x).astype(np.float32)
        idx, sumqx, sumq2 = iq4_sums(x, w, x * inv[:, None])
        d = np.where(sumq2 > 0, sumqx / np.where(sumq2 > 0, sumq2, np.float32(1)), np.float32(0)).astype(np.float32)
    d = np.where(small, np.float32(0), d).astype(np.float32)
    idx = np.where(small[:, None], 8, idx)
    dbits, ok = fp16_bits(d)
    put_u16(y, 0, dbits)
    y[:, 2:] = (idx[:, :16] | (idx[:, 16:] << 4)).astype(np.uint8)
    return 0 if ok else RANGE
