"""NumPy twins of the K-quant encoders (``csrc/gguf_encode_k.pyx``): Q2_K, Q3_K, Q4_K, Q5_K,
Q6_K and IQ4_XS, each llama.cpp's ``quantize_row_<type>_ref`` (no importance matrix).

The cost of these formats is the scale search of each sub-block (16 or 32 values):
``make_qkx2_quants`` (Q2_K, Q4_K, Q5_K), ``make_qx_quants`` (Q6_K), ``make_q3_quants`` (Q3_K)
and the IQ4 search (IQ4_XS). Here every search runs on all sub-blocks at once, one row each,
with the C code's float32 operations in its order: sums run element by element, left to right,
never pairwise. The compiled kernels do the same with one sub-block per SIMD lane. Kernel
contract and status bits as in :mod:`fastquant._twins.gguf_encode`.
"""

from __future__ import annotations

import numpy as np

from .gguf_encode import (
    GROUP_MAX_EPS, KVALUES_IQ4NL, RANGE, blocks_of, finite_status, first_absmax, fp16_bits,
    fp16_value, iq4_sums, best_index_iq4, nearest_int, put_u16, reciprocal_or_zero,
)

__all__ = [
    "gguf_quantize_q2_k",
    "gguf_quantize_q3_k",
    "gguf_quantize_q4_k",
    "gguf_quantize_q5_k",
    "gguf_quantize_q6_k",
    "gguf_quantize_iq4_xs",
]


class _Check:
    """Collects whether every ``nearest_int`` argument passed the C reference's assertion."""

    def __init__(self):
        self.ok = True

    def round(self, a, where=None):
        r, _ = nearest_int(a)
        with np.errstate(invalid="ignore"):
            good = np.abs(a) <= np.float32(4194303.0)
        if where is not None:
            good = good | ~np.broadcast_to(where, good.shape)
        self.ok &= bool(good.all())
        # garbage (but finite, castable) where the assertion fails: the caller raises anyway
        return np.where(good, r, np.float32(0)).astype(np.float32)


def _finite_scales(chk, *arrays):
    """Every sub-block scale (and min) of the search must be finite, and Q3_K's sums too:
    where float32 sums overflow (Q3_K, Q6_K beyond |x| ~ 7e12) the C reference ends with NaN
    or 0 scales and writes a zero-scale block without asserting; fastquant raises there, as
    where a scale overflows fp16."""
    for a in arrays:
        chk.ok &= bool(np.all(np.abs(a) <= np.float32(3.4028235e38)))


def _clamp(l, lo, hi):
    """``MAX(lo, MIN(hi, l))``."""
    return np.maximum(np.float32(lo), np.minimum(np.float32(hi), l)).astype(np.float32)


def _errstate():
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ---------------------------------------------------------------- make_qkx2_quants

def make_qkx2(x, w, nmax, rmin, rdelta, nstep, use_mad, chk):
    """``make_qkx2_quants`` on every row of ``x`` (weights ``w``): ``(scale, the_min, L)``."""
    m, n = x.shape
    with _errstate():
        mn = x[:, 0].copy()
        mx = x[:, 0].copy()
        sum_w = w[:, 0].copy()
        sum_x = sum_w * x[:, 0]
        for i in range(1, n):
            xi = x[:, i]
            mn = np.where(xi < mn, xi, mn)
            mx = np.where(xi > mx, xi, mx)
            sum_w = sum_w + w[:, i]
            sum_x = sum_x + w[:, i] * xi
        mn = np.where(mn > 0, np.float32(0), mn).astype(np.float32)
        live = mx != mn                                      # else: L = 0, scale 0, the_min = -min
        iscale = np.float32(nmax) / (mx - mn)
        scale = np.float32(1) / iscale
        L = np.empty((m, n), np.float32)
        best = np.zeros(m, np.float32)
        for i in range(n):
            l = _clamp(chk.round(iscale * (x[:, i] - mn), live), 0, nmax)
            L[:, i] = l
            diff = scale * l + mn - x[:, i]
            diff = np.abs(diff) if use_mad else diff * diff
            best = best + w[:, i] * diff
        aux = np.empty((m, n), np.float32)
        for step in range(nstep + 1):
            iscale = (np.float32(rmin) + np.float32(rdelta) * np.float32(step) + np.float32(nmax)) / (mx - mn)
            sum_l = np.zeros(m, np.float32)
            sum_l2 = np.zeros(m, np.float32)
            sum_xl = np.zeros(m, np.float32)
            for i in range(n):
                l = _clamp(chk.round(iscale * (x[:, i] - mn), live), 0, nmax)
                aux[:, i] = l
                wl = w[:, i] * l
                sum_l = sum_l + wl
                sum_l2 = sum_l2 + wl * l
                sum_xl = sum_xl + wl * x[:, i]
            D = sum_w * sum_l2 - sum_l * sum_l
            this_scale = (sum_w * sum_xl - sum_x * sum_l) / D
            this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D
            pos = this_min > 0
            this_min = np.where(pos, np.float32(0), this_min).astype(np.float32)
            this_scale = np.where(pos, sum_xl / sum_l2, this_scale).astype(np.float32)
            cur = np.zeros(m, np.float32)
            for i in range(n):
                diff = this_scale * aux[:, i] + this_min - x[:, i]
                diff = np.abs(diff) if use_mad else diff * diff
                cur = cur + w[:, i] * diff
            take = live & (D > 0) & (cur < best)
            L = np.where(take[:, None], aux, L)
            best = np.where(take, cur, best)
            scale = np.where(take, this_scale, scale)
            mn = np.where(take, this_min, mn)
        scale = np.where(live, scale, np.float32(0)).astype(np.float32)
        L = np.where(live[:, None], L, np.float32(0)).astype(np.float32)
        return scale, (-mn).astype(np.float32), L


def _running_max(v):
    """``if (v[j] > m) m = v[j]`` from m = 0, over the columns of ``v``."""
    m = np.zeros(v.shape[0], np.float32)
    for j in range(v.shape[1]):
        m = np.where(v[:, j] > m, v[:, j], m)
    return m


def _running_absmax(v):
    """``if (fabsf(v[j]) > amax) { amax = fabsf(v[j]); max = v[j]; }`` from 0 over columns."""
    amax = np.zeros(v.shape[0], np.float32)
    mx = np.zeros(v.shape[0], np.float32)
    for j in range(v.shape[1]):
        a = np.abs(v[:, j])
        g = a > amax
        amax = np.where(g, a, amax)
        mx = np.where(g, v[:, j], mx)
    return amax, mx


def _seq_sum_sq(x):
    s = np.zeros(x.shape[0], np.float32)
    with _errstate():
        for i in range(x.shape[1]):
            s = s + x[:, i] * x[:, i]
    return s


def _u8(v):
    """C's ``uint8_t`` of an int: the low byte."""
    return (v.astype(np.int64) & 0xFF)


# ---------------------------------------------------------------- Q2_K

def gguf_quantize_q2_k(src, out):
    """``quantize_row_q2_K_ref``: 16 sub-blocks of 16; ``make_qkx2_quants(nmax 3, weights
    |x|, rmin -0.5, rdelta 0.1, 15 steps, mean absolute error)``; scales and mins in 4 bits
    against fp16 ``d = max_scale / 15``, ``dmin = max_min / 15``; codes requantized against
    them. Layout: 16 scale bytes (min << 4 | scale), 64 code bytes, fp16 d, fp16 dmin."""
    x, y = blocks_of(src, out, 256, 84)
    status = finite_status(x)
    if status:
        return status
    nb = x.shape[0]
    chk = _Check()
    sub = x.reshape(nb * 16, 16)
    with _errstate():
        scales, mins, L = make_qkx2(sub, np.abs(sub), 3, -0.5, 0.1, 15, True, chk)
        _finite_scales(chk, scales, mins)
        scales = scales.reshape(nb, 16)
        mins = mins.reshape(nb, 16)
        L = L.reshape(nb, 16, 16)
        max_scale = _running_max(scales)
        max_min = _running_max(mins)
        has = max_scale > 0
        isc = np.where(has, np.float32(15) / np.where(has, max_scale, np.float32(1)), np.float32(0)).astype(np.float32)
        ls = chk.round(isc[:, None] * scales, has[:, None]).astype(np.int64)
        sc = np.where(has[:, None], _u8(ls), 0)
        dbits, ok1 = fp16_bits(np.where(has, max_scale / np.float32(15), np.float32(0)))
        hasm = max_min > 0
        imn = np.where(hasm, np.float32(15) / np.where(hasm, max_min, np.float32(1)), np.float32(0)).astype(np.float32)
        lm = chk.round(imn[:, None] * mins, hasm[:, None]).astype(np.int64)
        sc = np.where(hasm[:, None], _u8(sc | (lm << 4)), sc)
        mbits, ok2 = fp16_bits(np.where(hasm, max_min / np.float32(15), np.float32(0)))
        d = fp16_value(dbits)[:, None] * (sc & 0xF).astype(np.float32)
        dm = fp16_value(mbits)[:, None] * (sc >> 4).astype(np.float32)
        nz = d != 0
        safe = np.where(nz, d, np.float32(1))
        a = (sub.reshape(nb, 16, 16) + dm[:, :, None]) / safe[:, :, None]
        l = _clamp(chk.round(a, nz[:, :, None]), 0, 3)
        L = np.where(nz[:, :, None], l, L).reshape(nb, 256).astype(np.int64)
    y[:, :16] = sc.astype(np.uint8)
    Lg = L.reshape(nb, 2, 4, 32)
    y[:, 16:80] = (Lg[:, :, 0] | (Lg[:, :, 1] << 2) | (Lg[:, :, 2] << 4) | (Lg[:, :, 3] << 6)).reshape(nb, 64).astype(np.uint8)
    put_u16(y, 80, dbits)
    put_u16(y, 82, mbits)
    return 0 if (chk.ok and ok1 and ok2) else RANGE


# ---------------------------------------------------------------- Q4_K, Q5_K

def _q45_k(x, nmax, rmin, nstep, chk):
    """The shared part of Q4_K and Q5_K: search, 6-bit scales and mins, requantized codes."""
    nb = x.shape[0]
    sub = x.reshape(nb * 8, 32)
    with _errstate():
        av_x = np.sqrt(_seq_sum_sq(sub) / np.float32(32)).astype(np.float32)
        w = (av_x[:, None] + np.abs(sub)).astype(np.float32)
        scales, mins, L = make_qkx2(sub, w, nmax, rmin, 0.1, nstep, False, chk)
        _finite_scales(chk, scales, mins)
        scales = scales.reshape(nb, 8)
        mins = mins.reshape(nb, 8)
        L = L.reshape(nb, 8, 32)
        max_scale = _running_max(scales)
        max_min = _running_max(mins)
        inv_scale = np.where(max_scale > 0, np.float32(63) / np.where(max_scale > 0, max_scale, np.float32(1)), np.float32(0)).astype(np.float32)
        inv_min = np.where(max_min > 0, np.float32(63) / np.where(max_min > 0, max_min, np.float32(1)), np.float32(0)).astype(np.float32)
        ls = np.minimum(63, _u8(chk.round(inv_scale[:, None] * scales)))
        lm = np.minimum(63, _u8(chk.round(inv_min[:, None] * mins)))
        s12 = np.zeros((nb, 12), np.int64)
        s12[:, 0:4] = ls[:, :4]
        s12[:, 4:8] = lm[:, :4]
        s12[:, 8:12] = (ls[:, 4:] & 0xF) | ((lm[:, 4:] & 0xF) << 4)
        s12[:, 0:4] |= (ls[:, 4:] >> 4) << 6
        s12[:, 4:8] |= (lm[:, 4:] >> 4) << 6
        dbits, ok1 = fp16_bits(max_scale / np.float32(63))
        mbits, ok2 = fp16_bits(max_min / np.float32(63))
        # get_scale_min_k4 of the packed bytes gives back ls and lm
        d = fp16_value(dbits)[:, None] * ls.astype(np.float32)
        dm = fp16_value(mbits)[:, None] * lm.astype(np.float32)
        nz = d != 0
        safe = np.where(nz, d, np.float32(1))
        a = (sub.reshape(nb, 8, 32) + dm[:, :, None]) / safe[:, :, None]
        l = _clamp(chk.round(a, nz[:, :, None]), 0, nmax)
        L = np.where(nz[:, :, None], l, L).reshape(nb, 256).astype(np.int64)
    return s12, dbits, mbits, L, ok1 and ok2


def gguf_quantize_q4_k(src, out):
    """``quantize_row_q4_K_ref``: 8 sub-blocks of 32; weights ``sqrt(mean(x*x)) + |x|``;
    ``make_qkx2_quants(nmax 15, rmin -1, rdelta 0.1, 20 steps)``; 6-bit scales and mins against
    fp16 ``d = max_scale / 63``, ``dmin = max_min / 63``; codes requantized against them.
    Layout: fp16 d, fp16 dmin, 12 packed scale bytes, 128 bytes ``L[j] | L[j + 32] << 4`` per 64."""
    x, y = blocks_of(src, out, 256, 144)
    status = finite_status(x)
    if status:
        return status
    chk = _Check()
    s12, dbits, mbits, L, ok = _q45_k(x, 15, -1.0, 20, chk)
    put_u16(y, 0, dbits)
    put_u16(y, 2, mbits)
    y[:, 4:16] = s12.astype(np.uint8)
    Lg = L.reshape(-1, 4, 2, 32)
    y[:, 16:] = (Lg[:, :, 0] | (Lg[:, :, 1] << 4)).reshape(-1, 128).astype(np.uint8)
    return 0 if (chk.ok and ok) else RANGE


def gguf_quantize_q5_k(src, out):
    """``quantize_row_q5_K_ref``: as Q4_K with ``nmax 31, rmin -0.5, 15 steps``; the fifth bit
    of ``L[64 k + j]`` / ``L[64 k + 32 + j]`` is bit 2k / 2k + 1 of ``qh[j]``. Layout: fp16 d,
    fp16 dmin, 12 scale bytes, 32 qh bytes, 128 low-nibble bytes."""
    x, y = blocks_of(src, out, 256, 176)
    status = finite_status(x)
    if status:
        return status
    chk = _Check()
    s12, dbits, mbits, L, ok = _q45_k(x, 31, -0.5, 15, chk)
    put_u16(y, 0, dbits)
    put_u16(y, 2, mbits)
    y[:, 4:16] = s12.astype(np.uint8)
    Lg = L.reshape(-1, 4, 2, 32)
    hi = Lg >> 4
    qh = np.zeros((L.shape[0], 32), np.int64)
    for k in range(4):
        qh |= (hi[:, k, 0] << (2 * k)) | (hi[:, k, 1] << (2 * k + 1))
    y[:, 16:48] = qh.astype(np.uint8)
    lo = Lg & 0xF
    y[:, 48:] = (lo[:, :, 0] | (lo[:, :, 1] << 4)).reshape(-1, 128).astype(np.uint8)
    return 0 if (chk.ok and ok) else RANGE


# ---------------------------------------------------------------- Q6_K

def make_qx_rmse1(x, nmax, chk):
    """``make_qx_quants(n, nmax, x, L, rmse_type 1, NULL)`` on every row: ``(scale, L + nmax)``."""
    m, n = x.shape
    with _errstate():
        amax, mx = _running_absmax(x)
        live = ~(amax < GROUP_MAX_EPS)
        safe_mx = np.where(live, mx, np.float32(1))
        w = (x * x).astype(np.float32)
        wx = (w * x).astype(np.float32)

        def sums(iscale):
            sumlx = np.zeros(m, np.float32)
            suml2 = np.zeros(m, np.float32)
            L = np.empty((m, n), np.float32)
            for i in range(n):
                l = _clamp(chk.round(iscale * x[:, i], live), -nmax, nmax - 1)
                L[:, i] = l
                sumlx = sumlx + wx[:, i] * l
                suml2 = suml2 + w[:, i] * l * l
            return sumlx, suml2, L

        iscale = np.float32(-nmax) / safe_mx
        sumlx, suml2, L = sums(iscale)
        scale = np.where(suml2 != 0, sumlx / np.where(suml2 != 0, suml2, np.float32(1)), np.float32(0)).astype(np.float32)
        best = scale * sumlx
        for step in range(-9, 10):
            if step == 0:
                continue
            iscale = -(np.float32(nmax) + np.float32(0.1) * np.float32(step)) / safe_mx
            slx, sl2, Lc = sums(iscale)
            take = live & (sl2 > 0) & (slx * slx > best * sl2)
            L = np.where(take[:, None], Lc, L)
            scale = np.where(take, slx / sl2, scale).astype(np.float32)
            best = np.where(take, scale * slx, best).astype(np.float32)
        scale = np.where(live, scale, np.float32(0)).astype(np.float32)
        L = np.where(live[:, None], L + np.float32(nmax), np.float32(0)).astype(np.float32)
    return scale, L


def gguf_quantize_q6_k(src, out):
    """``quantize_row_q6_K_ref``: 16 sub-blocks of 16, ``make_qx_quants(nmax 32, weights
    x*x)``; int8 scales ``MIN(127, nearest_int(-128 / max_scale * scale))`` against fp16
    ``d = max_scale / -128``; codes requantized in [-32, 31]. An all-but-zero block
    (``max |scale| < 1e-15``) is all zero bytes. Layout: 128 low-nibble bytes, 64 bytes of
    high bits, 16 int8 scales, fp16 d."""
    x, y = blocks_of(src, out, 256, 210)
    status = finite_status(x)
    if status:
        return status
    nb = x.shape[0]
    chk = _Check()
    sub = x.reshape(nb * 16, 16)
    with _errstate():
        scales, L = make_qx_rmse1(sub, 32, chk)
        _finite_scales(chk, scales)
        scales = scales.reshape(nb, 16)
        L = L.reshape(nb, 16, 16)
        amax, max_scale = _running_absmax(scales)
        live = ~(amax < GROUP_MAX_EPS)
        iscale = (np.float32(-128) / np.where(live, max_scale, np.float32(1))).astype(np.float32)
        dbits, ok = fp16_bits(np.where(live, np.float32(1) / iscale, np.float32(0)))
        sc = np.minimum(127, chk.round(iscale[:, None] * scales, live[:, None]).astype(np.int64))
        sc = np.where(live[:, None], sc, 0)
        d = fp16_value(dbits)[:, None] * sc.astype(np.float32)
        nz = d != 0
        a = sub.reshape(nb, 16, 16) / np.where(nz, d, np.float32(1))[:, :, None]
        l = _clamp(chk.round(a, nz[:, :, None]), -32, 31) + np.float32(32)
        L = np.where(nz[:, :, None], l, L).reshape(nb, 256).astype(np.int64)
    Lg = L.reshape(nb, 2, 4, 32)
    lo = Lg & 0xF
    ql = np.concatenate([lo[:, :, 0] | (lo[:, :, 2] << 4), lo[:, :, 1] | (lo[:, :, 3] << 4)], axis=2)
    hi = Lg >> 4
    qh = hi[:, :, 0] | (hi[:, :, 1] << 2) | (hi[:, :, 2] << 4) | (hi[:, :, 3] << 6)
    y[:, :128] = ql.reshape(nb, 128).astype(np.uint8)
    y[:, 128:192] = qh.reshape(nb, 64).astype(np.uint8)
    y[:, 192:208] = sc.astype(np.int8).view(np.uint8)
    put_u16(y, 208, dbits)
    y[~live] = 0
    return 0 if (chk.ok and ok) else RANGE


# ---------------------------------------------------------------- Q3_K

def make_q3_rmse(x, nmax, chk):
    """``make_q3_quants(n, nmax, x, L, do_rmse = true)`` on every row: ``(scale, L + nmax)``.
    Rows that stop changing in a pass would not change in later passes, so every row runs
    until none changes (at most 5 passes), as the C code's early ``break`` gives."""
    m, n = x.shape
    with _errstate():
        amax, mx = _running_absmax(x)
        live = ~(amax < GROUP_MAX_EPS)
        iscale = (np.float32(-nmax) / np.where(live, mx, np.float32(1))).astype(np.float32)
        w = (x * x).astype(np.float32)
        wx = (w * x).astype(np.float32)
        L = np.empty((m, n), np.float32)
        sumlx = np.zeros(m, np.float32)
        suml2 = np.zeros(m, np.float32)
        for i in range(n):
            l = _clamp(chk.round(iscale * x[:, i], live), -nmax, nmax - 1)
            L[:, i] = l
            sumlx = sumlx + wx[:, i] * l
            suml2 = suml2 + w[:, i] * l * l
        active = live.copy()
        for _ in range(5):
            changed = np.zeros(m, bool)
            for i in range(n):
                Li = L[:, i]
                slx = sumlx - wx[:, i] * Li
                pos = active & (slx > 0)
                sl2 = suml2 - w[:, i] * Li * Li
                a = x[:, i] * sl2 / np.where(pos, slx, np.float32(1))
                new = _clamp(chk.round(a, pos), -nmax, nmax - 1)
                diff = pos & (new != Li)
                slx = slx + wx[:, i] * new
                sl2 = sl2 + w[:, i] * new * new
                take = diff & (sl2 > 0) & (slx * slx * suml2 > sumlx * sumlx * sl2)
                L[:, i] = np.where(take, new, Li)
                sumlx = np.where(take, slx, sumlx)
                suml2 = np.where(take, sl2, suml2)
                changed |= take
            active &= changed
            if not active.any():
                break
        # sums that overflowed float32 end in a 0 or NaN scale in C: see _finite_scales
        _finite_scales(chk, sumlx[live], suml2[live])
        scale = np.where(suml2 > 0, sumlx / np.where(suml2 > 0, suml2, np.float32(1)), np.float32(0)).astype(np.float32)
        scale = np.where(live, scale, np.float32(0)).astype(np.float32)
        L = np.where(live[:, None], L + np.float32(nmax), np.float32(0)).astype(np.float32)
    return scale, L


def gguf_quantize_q3_k(src, out):
    """``quantize_row_q3_K_ref``: 16 sub-blocks of 16, ``make_q3_quants(nmax 4, rmse)``;
    6-bit signed scales ``nearest_int(-32 / max_scale * scale)`` against fp16
    ``d = max_scale / -32``; codes requantized in [-4, 3]. Layout: 32 bytes of high bits
    (``hmask``), 64 bytes of low 2 bits, 12 scale bytes, fp16 d."""
    x, y = blocks_of(src, out, 256, 110)
    status = finite_status(x)
    if status:
        return status
    nb = x.shape[0]
    chk = _Check()
    sub = x.reshape(nb * 16, 16)
    with _errstate():
        scales, L = make_q3_rmse(sub, 4, chk)
        _finite_scales(chk, scales)
        scales = scales.reshape(nb, 16)
        L = L.reshape(nb, 16, 16)
        _, max_scale = _running_absmax(scales)
        has = max_scale != 0
        iscale = (np.float32(-32) / np.where(has, max_scale, np.float32(1))).astype(np.float32)
        r = chk.round(iscale[:, None] * scales, has[:, None]).astype(np.int64)
        l8 = ((r & 0xFF) ^ 0x80) - 0x80                     # int8_t l = nearest_int(...)
        l6 = np.where(has[:, None], np.maximum(-32, np.minimum(31, l8)) + 32, 0)
        s12 = np.zeros((nb, 12), np.int64)
        s12[:, 0:8] = (l6[:, 0:8] & 0xF) | ((l6[:, 8:16] & 0xF) << 4)
        for j in range(16):
            s12[:, 8 + j % 4] |= (l6[:, j] >> 4) << (2 * (j // 4))
        s12 = np.where(has[:, None], s12, 0)
        dbits, ok = fp16_bits(np.where(has, np.float32(1) / iscale, np.float32(0)))
        sc = l6 - 32
        d = fp16_value(dbits)[:, None] * sc.astype(np.float32)
        nz = d != 0
        a = sub.reshape(nb, 16, 16) / np.where(nz, d, np.float32(1))[:, :, None]
        l = _clamp(chk.round(a, nz[:, :, None]), -4, 3) + np.float32(4)
        L = np.where(nz[:, :, None], l, L).reshape(nb, 256).astype(np.int64)
    hbit = (L > 3).reshape(nb, 8, 32)                       # element 32 k + m: bit k of hmask[m]
    hmask = np.zeros((nb, 32), np.int64)
    for k in range(8):
        hmask |= hbit[:, k].astype(np.int64) << k
    L = np.where(L > 3, L - 4, L)
    Lg = L.reshape(nb, 2, 4, 32)
    y[:, :32] = hmask.astype(np.uint8)
    y[:, 32:96] = (Lg[:, :, 0] | (Lg[:, :, 1] << 2) | (Lg[:, :, 2] << 4) | (Lg[:, :, 3] << 6)).reshape(nb, 64).astype(np.uint8)
    y[:, 96:108] = s12.astype(np.uint8)
    put_u16(y, 108, dbits)
    return 0 if (chk.ok and ok) else RANGE


# ---------------------------------------------------------------- IQ4_XS

def gguf_quantize_iq4_xs(src, out):
    """``quantize_row_iq4_xs_ref`` (``quantize_row_iq4_nl_impl(256, 32, ntry 7)``, no
    weights): per 32 values the IQ4 search over 15 scales ``(itry - 127) / max``; 6-bit signed
    scales against fp16 ``d = max_scale / -32``; codes re-chosen against ``d * l``. Layout:
    fp16 d, uint16 high scale bits, 4 bytes of low scale nibbles, 128 code bytes."""
    x, y = blocks_of(src, out, 256, 136)
    status = finite_status(x)
    if status:
        return status
    nb = x.shape[0]
    chk = _Check()
    sub = x.reshape(nb * 8, 32)
    with _errstate():
        amax, mx = first_absmax(sub)
        live = ~(amax < GROUP_MAX_EPS)
        smx = np.where(live, mx, np.float32(1))
        w = (sub * sub).astype(np.float32)
        d = (-smx / np.float32(-127)).astype(np.float32)
        inv = (np.float32(1) / d).astype(np.float32)
        _, sumqx, sumq2 = iq4_sums(sub, w, sub * inv[:, None])
        d = np.where(sumq2 > 0, sumqx / np.where(sumq2 > 0, sumq2, np.float32(1)), np.float32(0)).astype(np.float32)
        best = d * sumqx
        for itry in range(-7, 8):
            inv = (np.float32(itry + (-127)) / smx).astype(np.float32)
            _, sqx, sq2 = iq4_sums(sub, w, sub * inv[:, None])
            take = (sq2 > 0) & (sqx * sqx > best * sq2)
            d = np.where(take, sqx / np.where(take, sq2, np.float32(1)), d).astype(np.float32)
            best = np.where(take, d * sqx, best).astype(np.float32)
        scales = np.where(live, d, np.float32(0)).reshape(nb, 8).astype(np.float32)
        _finite_scales(chk, scales)
        _, max_scale = _running_absmax(scales)
        d = (-max_scale / np.float32(32)).astype(np.float32)
        dbits, ok = fp16_bits(d)
        idd = reciprocal_or_zero(d)
        l = chk.round(idd[:, None] * scales).astype(np.int64)
        l = np.maximum(-32, np.minimum(31, l))
        dl = (d[:, None] * l.astype(np.float32)).astype(np.float32)
        idl = reciprocal_or_zero(dl.reshape(-1)).reshape(nb, 8)
        idx = best_index_iq4(sub.reshape(nb, 8, 32) * idl[:, :, None]).reshape(nb, 256)
        l = l + 32
    put_u16(y, 0, dbits)
    sh = np.zeros(nb, np.int64)
    for ib in range(8):
        sh |= (l[:, ib] >> 4) << (2 * ib)
    put_u16(y, 2, sh.astype(np.uint16))
    y[:, 4:8] = ((l[:, 0::2] & 0xF) | ((l[:, 1::2] & 0xF) << 4)).astype(np.uint8)
    g = idx.reshape(nb, 8, 2, 16)
    y[:, 8:] = (g[:, :, 0] | (g[:, :, 1] << 4)).reshape(nb, 128).astype(np.uint8)
    return 0 if (chk.ok and ok) else RANGE
