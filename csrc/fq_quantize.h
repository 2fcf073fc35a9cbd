/* Quantizing float32 by a positive scale, bit-identical to the true division, at multiply
 * speed where a proof allows it. The reusable primitive of every quantizer that divides
 * (affine, int4; ONNX QuantizeLinear, MX and calibrated ranges as they land).
 *
 *   code(x) = clip(R(fl(fl(fl(x - offset) / scale) + zf)) + zp, lo, hi)
 *
 * with fl the float32 rounding of each step (the NumPy twins' arithmetic), R rounding half
 * to even (FQ_Q_ROUND) or floor (FQ_Q_FLOOR), offset and zf floats (0: no step), zp an
 * integer added after R (ONNX: round, THEN add the zero point, then saturate). Special cases:
 * +-inf saturate to lo/hi; a NaN gives some code in [lo, hi] and makes the call return 1.
 *
 * C API (csrc/README.md):
 *   fq_quant q;
 *   fq_quant_init(&q, scale, offset, zf, zp, lo, hi, mode);   -> 0, or -1 on bad parameters
 *   nan = fq_quantize_i8(&q, src, dst, n);      also _u8, _i16, _u16 (dst type = code type)
 *   nan = fq_quantize_lanes_i8(&q, src, dst, n, scales, invs, zfs);   one scale per element
 * The lanes variant serves per-channel parameters with the channels on the last axis: element
 * i uses scales[i], zfs[i] and invs[i] = fl(1 / scales[i]) (fq_quant_lane_inv), or q's zf for
 * every element when zfs is NULL; q is initialised with the largest |zf| (or the common zf)
 * and any scale (its slack then holds for every lane) and its inv set to 0 when some lane's
 * inv is 0.
 *
 * How: the data go in blocks of FQ_QBLOCK elements. Where the proof below applies (q.inv != 0)
 * a block is first computed by multiplying with inv = fl(1 / scale), and every element's
 * distance to the nearest rounding boundary is measured; if all are farther than the proven
 * error bound, the block is done. Otherwise (an element near a boundary, a NaN, an inf, a
 * huge value) the block is recomputed by true division, which is exact by construction.
 * AVX-512 (the x86-64-v4 build) and AVX2 + FMA (v3) compute both the multiply and the
 * division paths 16 / 8 lanes at a time for R = round, offset = 0 (affine, int4, and ONNX
 * with its zero point added after rounding: codes clamp to [lo - zp, hi - zp] as int32, then
 * zp is added, before the exact saturating packs); SSE2 (baseline) the multiply path for 8-bit
 * codes; plain C does everything else, and is the
 * whole implementation off x86 (-DFQ_NO_SIMD builds it on x86 too). All give the same bits.
 *
 * ---- The proof (why multiplying gives the division's code) --------------------------------
 * u = 2**-24. For a real a inside the float32 range, |fl(a) - a| <= u|a| + 2**-150 (u|a| for a
 * normal result; half the subnormal spacing otherwise), and an addition whose result is
 * subnormal is exact. Let x' = fl(x - offset) (computed alike by twin and kernel, so from here
 * on x means x'), t = x / s exactly, T = t + zf, r = fl(1 / s) with r normal and finite (q.inv
 * is 0 otherwise), so r = (1 / s)(1 + d), |d| <= u, and x r = t (1 + d).
 *   Twin:   q = fl(t), p = fl(q + zf):        |p - T| <= u|T| + (1 + u)(u|t| + 2**-150).
 *   Kernel: v = fl(fl(x r) + zf) (two steps): |v - T| <= u|T| + (1 + u)((2u + u**2)|t| + 2**-150);
 *           v = fl(x r + zf) (one FMA step): |v - T| <= u|T| + (u + u**2)|t| + 2**-150.
 *   (zf = 0: the addition is skipped or adds +0, which changes no code.)
 * Hence |p - v| <= 2u|T| + 3.0000003u|t| + 2**-148 <= 5.0000003u|T| + 3.0000003u|zf| + 2**-148,
 * using |t| <= |T| + |zf|.
 * Let C = [clo, chi] be the clamp interval the kernel applies before rounding: [flo, fhi] for
 * R = round, [flo - 1/2, fhi + 1/2] for R = floor, where flo = lo - zp and fhi = hi - zp (then
 * code = clip(R(clamp(.)), flo, fhi) + zp, which equals the formula because the bounds are
 * integers and clamping commutes with the monotone R); M = max(|flo|, |fhi|), W = M + 2.
 *   (i)  |T| <= W: |clamp(p) - clamp(v)| <= |p - v| <= sigma, where
 *        sigma = 5.001 u W + 3.001 u |zf| + 2**-140   (clamping is 1-Lipschitz).
 *   (ii) |T| > W: |p - T| <= 2.0000001u|T| + 1.0000001u|zf| + 2**-149 < |T| - (M + 1) as long
 *        as sigma < 1/4, so p lies beyond M + 1 on T's side, and so does v: both clamp to
 *        the same end of C, and clamp(p) = clamp(v).
 * So |c - c'| <= sigma for c = clamp(p), c' = clamp(v) (the kernel knows c'). R changes value
 * only at the half-integers (round) or the integers (floor), and c' lies within 2**22 of 0,
 * where c' - R(c') is computed exactly; if the distance from c' to the nearest such boundary
 * is more than sigma, c and c' lie strictly between the same two boundaries, so R(c) = R(c')
 * and the codes agree. The kernel tests |c' - rne(c')| < 1/2 - sigma (round) or
 * sigma < c' - floor(c') < 1 - sigma (floor), with the thresholds rounded to the safe side.
 * One exemption (floor): x' = 0 gives v = p = zf exactly, whatever the distance.
 * The SIMD paths skip the clamp before measuring, which is safe: in range c' = v; beyond it
 * the code is the bound either way (c is within sigma < 1/2 of it), and values whose int32
 * conversion would overflow (|v| >= 2**31), inf and NaN all measure as far from an integer
 * (|v - float(int(v))| is then >= 2**8, inf or NaN), which sends their block to the division.
 * A power-of-two scale (r * s == 1 exactly, q.exact) needs no proof at all: x * r and x / s are
 * the same real number, rounded alike, so in the AVX2 and AVX-512 builds the vector "division"
 * path multiplies instead (the checked path stays first: it is cheaper, and only blocks with
 * ties, common in MX data whose scales are powers of two, fall through to the other).
 * The fast path is used only when W < 2**22 and sigma < 2**-12, a policy well inside the
 * proof's sigma < 1/4 (q.inv = 0 otherwise): about 2 sigma of the elements come within sigma
 * of a boundary, so for 8-bit codes a few blocks in a hundred are divided, while 16-bit codes
 * (1 element in 30 near a boundary) would divide nearly every block anyway; they divide
 * throughout (16 or 8 lanes at a time), as do codes of 11 bits or more.
 * tests/test_reciprocal_proof.py checks near-tie inputs against a true-division reference.
 */
#ifndef FQ_QUANTIZE_H
#define FQ_QUANTIZE_H

#include "fq_inline.h"

#include <float.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) \
    && defined(__AVX512VL__) && defined(__FMA__)
#include <immintrin.h>
#define FQ_Q_AVX512 1
#elif !defined(FQ_NO_SIMD) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FQ_Q_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_Q_SSE2 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define FQ_Q_INLINE static inline __attribute__((always_inline))
#else
#define FQ_Q_INLINE FQ_INLINE
#endif

#define FQ_QBLOCK 256          /* elements per block: the unit of proof and of fallback */
#define FQ_Q_ROUND 0           /* R = round half to even */
#define FQ_Q_FLOOR 1           /* R = floor */
#define FQ_Q_MAGIC 12582912.0f /* 1.5 * 2**23: (c + MAGIC) - MAGIC rounds |c| < 2**22 half to even */

typedef struct {
    float scale;      /* s, finite and > 0 */
    float inv;        /* fl(1 / s) when the proof applies, else 0 (always divide) */
    float offset;     /* subtracted from x before the division (0: none) */
    float zf;         /* added to the quotient before R (0: none) */
    int32_t zp;       /* added to R(.) (0: none) */
    int32_t lo, hi;   /* bounds of the code */
    float flo, fhi;   /* bounds before zp is added: lo - zp, hi - zp */
    float clo, chi;   /* clamp before R: [flo, fhi] (round) or [flo - 1/2, fhi + 1/2] (floor) */
    float slack;      /* round: |c' - rne(c')| < slack proves the element */
    float near_lo, near_hi; /* floor: near_lo < c' - floor(c') < near_hi proves it */
    int mode;         /* FQ_Q_ROUND or FQ_Q_FLOOR */
    int simd;         /* 1: the SIMD paths apply (round, no offset, SIMD compiled) */
    int exact;        /* 1: inv * scale == 1 exactly (a power-of-two scale): x * inv and x / scale
                       * are the same real number, rounded alike, so the "division" path
                       * multiplies and nothing needs proving */
} fq_quant;

/* fl(1 / scale) when it is normal and finite (the proof's condition on r), else 0. */
FQ_INLINE float fq_quant_lane_inv(float scale) {
    float r = 1.0f / scale;
    return (r >= FLT_MIN && r <= FLT_MAX) ? r : 0.0f;
}

/* The float nearest to a, not above it (a: a double within the float range). */
FQ_INLINE float fq_q_down(double a) {
    float f = (float)a;
    while ((double)f > a) f = f - (f > 0.0f ? f : -f) * 5.9604645e-08f - 1e-45f;
    return f;
}

/* Set up q; 0 on success, -1 when the parameters are outside what the primitive handles:
 * scale not finite and > 0, lo > hi, |lo - zp| or |hi - zp| >= 2**22, offset or zf not finite. */
FQ_INLINE int fq_quant_init(fq_quant *q, float scale, float offset, float zf, int32_t zp,
                            int32_t lo, int32_t hi, int mode) {
    const double u = 5.9604644775390625e-08; /* 2**-24 */
    const double limit = 4194302.0;          /* 2**22 - 2: |bound| + 2 < 2**22 */
    double flo = (double)lo - (double)zp, fhi = (double)hi - (double)zp, m, w, sigma;
    memset(q, 0, sizeof *q);
    if (!(scale > 0.0f && scale <= FLT_MAX) || lo > hi || !(flo >= -limit && fhi <= limit)
        || !(offset - offset == 0.0f) || !(zf - zf == 0.0f) || (mode != FQ_Q_ROUND && mode != FQ_Q_FLOOR))
        return -1;
    q->scale = scale;
    q->offset = offset;
    q->zf = zf;
    q->zp = zp;
    q->lo = lo;
    q->hi = hi;
    q->flo = (float)flo;
    q->fhi = (float)fhi;
    q->mode = mode;
    q->clo = mode == FQ_Q_ROUND ? q->flo : q->flo - 0.5f;
    q->chi = mode == FQ_Q_ROUND ? q->fhi : q->fhi + 0.5f;
    m = -flo > fhi ? -flo : fhi;
    m = m > 0 ? m : -m;
    w = m + 2.0;
    sigma = 5.001 * u * w + 3.001 * u * (zf < 0 ? -(double)zf : (double)zf) + 7.2e-43; /* 2**-140 */
#if defined(FQ_Q_AVX512) || defined(FQ_Q_AVX2)
    { /* where the vector "division" path exists to take it */
        float r = fq_quant_lane_inv(scale);
        q->exact = mode == FQ_Q_ROUND && offset == 0.0f && r != 0.0f
                   && (double)r * (double)scale == 1.0;
    }
#endif
    if (q->exact) /* (the per-lane API ignores exact: its lanes have scales of their own) */
        q->inv = fq_quant_lane_inv(scale);
    if (sigma < 2.44140625e-04) { /* 2**-12 (the proof needs sigma < 1/4; see the top) */
        q->inv = fq_quant_lane_inv(scale);
        q->slack = fq_q_down(0.5 - sigma);
        q->near_lo = -fq_q_down(-sigma); /* the float nearest sigma, not below it */
        q->near_hi = fq_q_down(1.0 - sigma);
    }
#if defined(FQ_Q_AVX512) || defined(FQ_Q_AVX2) || defined(FQ_Q_SSE2)
    q->simd = mode == FQ_Q_ROUND && offset == 0.0f;
#endif
    return 0;
}

/* ---- plain C: the reference (true division) and the multiply path, any mode --------------- */

FQ_Q_INLINE float fq_q_rne(float c) { return (c + FQ_Q_MAGIC) - FQ_Q_MAGIC; } /* |c| < 2**22 */

/* R(clamp(v)) + zp, clipped to [lo, hi] (for a NaN v, the clamp gives clo). */
FQ_Q_INLINE int32_t fq_q_finish(const fq_quant *q, float v) {
    float c = v >= q->clo ? v : q->clo, t;
    int32_t k;
    c = c > q->chi ? q->chi : c;
    t = fq_q_rne(c);
    if (q->mode == FQ_Q_FLOOR) {
        t = t > c ? t - 1.0f : t;
        t = t < q->flo ? q->flo : t;
    }
    k = (int32_t)t + q->zp;
    return k;
}

/* The element by true division, as the twins compute it (by multiplying when q->exact and the
 * scale is q's own, which is the same operation); *nan |= it is NaN. */
FQ_Q_INLINE int32_t fq_q_ref(const fq_quant *q, float x, float scale, float zf, int *nan) {
    float v = q->offset != 0.0f ? x - q->offset : x;
    v = (q->exact && scale == q->scale) ? v * q->inv : v / scale;
    if (zf != 0.0f) v = v + zf;
    *nan |= v != v;
    return fq_q_finish(q, v);
}

/* The element by multiplication; *bad |= it is not proved (near a boundary, NaN). */
FQ_Q_INLINE int32_t fq_q_mul(const fq_quant *q, float x, float inv, float zf, int *bad) {
    float xo = q->offset != 0.0f ? x - q->offset : x;
    float v = xo * inv, c, t, e;
    if (zf != 0.0f) v = v + zf;
    c = v >= q->clo ? v : q->clo;
    c = c > q->chi ? q->chi : c;
    t = fq_q_rne(c);
    if (q->mode == FQ_Q_FLOOR) {
        t = t > c ? t - 1.0f : t;
        e = c - t;
        *bad |= (v != v) | ((e <= q->near_lo) & (xo != 0.0f)) | (e >= q->near_hi);
        t = t < q->flo ? q->flo : t;
    } else {
        e = c - t;
        *bad |= (v != v) | (e >= q->slack) | (e <= -q->slack);
    }
    return (int32_t)t + q->zp;
}

/* Per code type T: ref (exact, returns NaN), mul (returns 1 when proved), both over n
 * elements with per-lane parameters when `per` (arrays of n) or q's own otherwise. */
#define FQ_Q_C_FUNCS(T, NAME)                                                                 \
    FQ_Q_INLINE int fq_q_ref_c_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n,   \
                                      const float *sc, const float *zf, int per) {            \
        ptrdiff_t i;                                                                          \
        int nan = 0;                                                                          \
        for (i = 0; i < n; i++)                                                               \
            d[i] = (T)fq_q_ref(q, s[i], per & 1 ? sc[i] : q->scale, per & 2 ? zf[i] : q->zf, &nan);   \
        return nan;                                                                           \
    }                                                                                         \
    FQ_Q_INLINE int fq_q_mul_c_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n,   \
                                      const float *inv, const float *zf, int per) {           \
        ptrdiff_t i;                                                                          \
        int bad = 0;                                                                          \
        for (i = 0; i < n; i++)                                                               \
            d[i] = (T)fq_q_mul(q, s[i], per & 1 ? inv[i] : q->inv, per & 2 ? zf[i] : q->zf, &bad);    \
        return !bad;                                                                          \
    }

FQ_Q_C_FUNCS(int8_t, i8)
FQ_Q_C_FUNCS(uint8_t, u8)
FQ_Q_C_FUNCS(int16_t, i16)
FQ_Q_C_FUNCS(uint16_t, u16)

/* ---- SIMD (round, offset 0; zp added after rounding) --------------------------------------
 * Multiply path: v = fma(x, inv, zf) (one rounding; zf = 0 adds +0), k = int(v) (round half
 * to even, the default MXCSR mode; INT_MIN when out of range or NaN), e = v - float(k), and
 * the largest |e| as int32 bits (order-preserving for non-negative floats, and NaN/inf lie
 * above every finite value). Codes narrow with saturating packs, then clamp to [lo, hi] as
 * integers (saturation and clamping are monotone, so this is clip(k, lo, hi)).
 * Division path: v = x / s + zf, clamped in float (max(lo, v) and min(hi, .) keep a NaN), and
 * the sum of the clamped values, which is NaN exactly when one of them is (they are bounded).
 */
#if defined(FQ_Q_AVX512)

/* 16 int32 lanes of each of 4 vectors -> 64 bytes in element order */
FQ_Q_INLINE __m512i fq_q512_bytes(__m512i a, __m512i b, __m512i c, __m512i d, int is_signed) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512i w0 = _mm512_packs_epi32(a, b), w1 = _mm512_packs_epi32(c, d);
    __m512i p = is_signed ? _mm512_packs_epi16(w0, w1) : _mm512_packus_epi16(w0, w1);
    return _mm512_permutexvar_epi32(order, p);
}

/* 2 vectors -> 32 int16/uint16 in element order */
FQ_Q_INLINE __m512i fq_q512_words(__m512i a, __m512i b, int is_signed) {
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    __m512i p = is_signed ? _mm512_packs_epi32(a, b) : _mm512_packus_epi32(a, b);
    return _mm512_permutexvar_epi64(order, p);
}

/* Multiply path for 8-bit codes: 64 elements per step, then 16 at a time with masks. Here
 * e = v - rne(v) comes from one VREDUCEPS and its largest |e| from VRANGEPS (absolute max);
 * both drop NaN and VREDUCEPS gives 0 for |v| >= 2**23, so every element whose conversion
 * overflows (|v| >= 2**31, inf, NaN: k = INT_MIN) is caught by the minimum of k instead. */
FQ_Q_INLINE int fq_q_mul512_8(const fq_quant *q, const float *s, uint8_t *d, ptrdiff_t n,
                              const float *inv, const float *zf, int per, int is_signed, int full) {
    const __m512i lo8 = _mm512_set1_epi8((char)q->lo), hi8 = _mm512_set1_epi8((char)q->hi);
    const __m512i flo32 = _mm512_set1_epi32((int32_t)q->flo), fhi32 = _mm512_set1_epi32((int32_t)q->fhi);
    const __m512i zp32 = _mm512_set1_epi32(q->zp);
    __m512 vinv = _mm512_set1_ps(q->inv), vzf = _mm512_set1_ps(q->zf), far = _mm512_setzero_ps();
    __m512i kmin = _mm512_setzero_si512();
    ptrdiff_t i = 0;
    int j;
    for (; i + 64 <= n; i += 64) {
        __m512i k[4];
        for (j = 0; j < 4; j++) {
            __m512 v;
            if (per & 1) vinv = _mm512_loadu_ps(inv + i + 16 * j);
            if (per & 2) vzf = _mm512_loadu_ps(zf + i + 16 * j);
            v = _mm512_fmadd_ps(_mm512_loadu_ps(s + i + 16 * j), vinv, vzf);
            k[j] = _mm512_cvtps_epi32(v);
            kmin = _mm512_min_epi32(kmin, k[j]);
            far = _mm512_range_ps(far, _mm512_reduce_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0xB);
            if (full == 2) /* a zero point: clamp to [lo - zp, hi - zp], then add it */
                k[j] = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(k[j], flo32), fhi32), zp32);
        }
        {
            __m512i p = fq_q512_bytes(k[0], k[1], k[2], k[3], is_signed);
            if (full == 0)
                p = is_signed ? _mm512_min_epi8(_mm512_max_epi8(p, lo8), hi8)
                              : _mm512_min_epu8(_mm512_max_epu8(p, lo8), hi8);
            _mm512_storeu_si512((void *)(d + i), p);
        }
    }
    for (; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __m512 v;
        __m512i kk;
        if (per & 1) vinv = _mm512_maskz_loadu_ps(m, inv + i);
        if (per & 2) vzf = _mm512_maskz_loadu_ps(m, zf + i);
        v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, s + i), vinv, vzf);
        kk = _mm512_cvtps_epi32(v);
        kmin = _mm512_min_epi32(kmin, kk);
        far = _mm512_range_ps(far, _mm512_reduce_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0xB);
        kk = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(kk, flo32), fhi32), zp32);
        _mm512_mask_cvtepi32_storeu_epi8(d + i, m, kk);
    }
    return _mm512_cmp_ps_mask(far, _mm512_set1_ps(q->slack), _CMP_GE_OQ) == 0
        && _mm512_cmpeq_epi32_mask(kmin, _mm512_set1_epi32(INT32_MIN)) == 0;
}

/* Division path: 8-bit (words = 0) or 16-bit (words = 1) codes; returns NaN. */
FQ_Q_INLINE int fq_q_div512(const fq_quant *q, const float *s, void *dst, ptrdiff_t n,
                            const float *sc, const float *zf, int per, int is_signed, int words) {
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi), vinv = _mm512_set1_ps(q->inv);
    const __m512i vzp = _mm512_set1_epi32(q->zp);
    const int exact = q->exact && !(per & 1);
    __m512 vs = _mm512_set1_ps(q->scale), vzf = _mm512_set1_ps(q->zf), acc = _mm512_setzero_ps();
    uint8_t *d8 = (uint8_t *)dst;
    uint16_t *d16 = (uint16_t *)dst;
    ptrdiff_t i = 0;
    int j;
    for (; i + 64 <= n; i += 64) {
        __m512i k[4];
        for (j = 0; j < 4; j++) {
            __m512 v;
            if (per & 1) vs = _mm512_loadu_ps(sc + i + 16 * j);
            if (per & 2) vzf = _mm512_loadu_ps(zf + i + 16 * j);
            v = _mm512_loadu_ps(s + i + 16 * j);
            v = _mm512_add_ps(exact ? _mm512_mul_ps(v, vinv) : _mm512_div_ps(v, vs), vzf);
            v = _mm512_min_ps(vhi, _mm512_max_ps(vlo, v));
            acc = _mm512_add_ps(acc, v);
            k[j] = _mm512_add_epi32(_mm512_cvtps_epi32(v), vzp);
        }
        if (words) {
            _mm512_storeu_si512((void *)(d16 + i), fq_q512_words(k[0], k[1], is_signed));
            _mm512_storeu_si512((void *)(d16 + i + 32), fq_q512_words(k[2], k[3], is_signed));
        } else {
            _mm512_storeu_si512((void *)(d8 + i), fq_q512_bytes(k[0], k[1], k[2], k[3], is_signed));
        }
    }
    for (; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __m512 v;
        __m512i kk;
        if (per & 1) vs = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, sc + i);
        if (per & 2) vzf = _mm512_maskz_loadu_ps(m, zf + i);
        v = _mm512_maskz_loadu_ps(m, s + i);
        v = _mm512_add_ps(exact ? _mm512_mul_ps(v, vinv) : _mm512_div_ps(v, vs), vzf);
        v = _mm512_min_ps(vhi, _mm512_max_ps(vlo, v));
        acc = _mm512_add_ps(acc, v);
        kk = _mm512_add_epi32(_mm512_cvtps_epi32(v), vzp);
        if (words) _mm512_mask_cvtepi32_storeu_epi16(d16 + i, m, kk);
        else _mm512_mask_cvtepi32_storeu_epi8(d8 + i, m, kk);
    }
    return _mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q) != 0;
}

#elif defined(FQ_Q_AVX2)

/* 4 vectors of 8 int32 -> 32 bytes in element order */
FQ_Q_INLINE __m256i fq_q256_bytes(__m256i a, __m256i b, __m256i c, __m256i d, int is_signed) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i w0 = _mm256_packs_epi32(a, b), w1 = _mm256_packs_epi32(c, d);
    __m256i p = is_signed ? _mm256_packs_epi16(w0, w1) : _mm256_packus_epi16(w0, w1);
    return _mm256_permutevar8x32_epi32(p, order);
}

FQ_Q_INLINE __m256i fq_q256_words(__m256i a, __m256i b, int is_signed) {
    __m256i p = is_signed ? _mm256_packs_epi32(a, b) : _mm256_packus_epi32(a, b);
    return _mm256_permute4x64_epi64(p, 0xD8);
}

/* 32 elements of the multiply path: codes (clamped unless full) and the running max |e| */
/* (the constants come in as vectors made once per block: the compiler may not keep q's fields
 * in registers across the byte stores, which may alias anything) */
FQ_Q_INLINE __m256i fq_q_mul256_step(const float *s, const float *inv, const float *zf, int per,
                                     int is_signed, int full, __m256 vinv, __m256 vzf,
                                     __m256i lo8, __m256i hi8, __m256i flo32, __m256i fhi32,
                                     __m256i zp32, __m256i *far) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256i k[4], p;
    int j;
    for (j = 0; j < 4; j++) {
        __m256 v, e;
        if (per & 1) vinv = _mm256_loadu_ps(inv + 8 * j);
        if (per & 2) vzf = _mm256_loadu_ps(zf + 8 * j);
        v = _mm256_fmadd_ps(_mm256_loadu_ps(s + 8 * j), vinv, vzf);
        k[j] = _mm256_cvtps_epi32(v);
        e = _mm256_sub_ps(v, _mm256_cvtepi32_ps(k[j]));
        *far = _mm256_max_epi32(*far, _mm256_castps_si256(_mm256_andnot_ps(sign, e)));
        if (full == 2) /* a zero point: clamp to [lo - zp, hi - zp], then add it */
            k[j] = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(k[j], flo32), fhi32), zp32);
    }
    p = fq_q256_bytes(k[0], k[1], k[2], k[3], is_signed);
    if (full == 0)
        p = is_signed ? _mm256_min_epi8(_mm256_max_epi8(p, lo8), hi8)
                      : _mm256_min_epu8(_mm256_max_epu8(p, lo8), hi8);
    return p;
}

FQ_Q_INLINE int fq_q_mul256_8(const fq_quant *q, const float *s, uint8_t *d, ptrdiff_t n,
                              const float *inv, const float *zf, int per, int is_signed, int full) {
    const __m256 vinv = _mm256_set1_ps(q->inv), vzf = _mm256_set1_ps(q->zf);
    const __m256i lo8 = _mm256_set1_epi8((char)q->lo), hi8 = _mm256_set1_epi8((char)q->hi);
    const __m256i flo32 = _mm256_set1_epi32((int32_t)q->flo), fhi32 = _mm256_set1_epi32((int32_t)q->fhi);
    const __m256i zp32 = _mm256_set1_epi32(q->zp);
    __m256i far = _mm256_setzero_si256();
    int32_t bits;
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i p = fq_q_mul256_step(s + i, inv + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per,
                                     is_signed, full, vinv, vzf, lo8, hi8, flo32, fhi32, zp32, &far);
        _mm256_storeu_si256((__m256i *)(d + i), p);
    }
    if (i < n && n >= 32) { /* the last few: one more step ending at n (overlap: same codes) */
        i = n - 32;
        _mm256_storeu_si256((__m256i *)(d + i),
                            fq_q_mul256_step(s + i, inv + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per,
                                             is_signed, full, vinv, vzf, lo8, hi8, flo32, fhi32, zp32, &far));
    } else if (i < n) { /* fewer than 32 in all: zero-padded copies (x = 0 gives v = zf) */
        float xs[32] = {0}, is[32] = {0}, zs[32] = {0};
        uint8_t out[32];
        ptrdiff_t r = n - i;
        memcpy(xs, s + i, (size_t)r * sizeof(float));
        if (per & 1) memcpy(is, inv + i, (size_t)r * sizeof(float));
        if (per & 2) memcpy(zs, zf + i, (size_t)r * sizeof(float));
        _mm256_storeu_si256((__m256i *)out, fq_q_mul256_step(xs, is, zs, per, is_signed, full,
                                                             vinv, vzf, lo8, hi8, flo32, fhi32, zp32, &far));
        memcpy(d + i, out, (size_t)r);
    }
    memcpy(&bits, &q->slack, 4);
    return _mm256_testz_si256(_mm256_cmpgt_epi32(far, _mm256_set1_epi32(bits - 1)),
                              _mm256_set1_epi32(-1));
}

/* 32 elements of the division path (8-bit codes: one vector of bytes; 16-bit: two of words) */
FQ_Q_INLINE void fq_q_div256_step(const float *s, const float *sc, const float *zf, int per,
                                  int is_signed, int words, int exact, __m256 vs, __m256 vzf,
                                  __m256 vinv, __m256 vlo, __m256 vhi, __m256i vzp, __m256 *acc,
                                  __m256i *out) {
    __m256i k[4];
    int j;
    for (j = 0; j < 4; j++) {
        __m256 v;
        if (per & 1) vs = _mm256_loadu_ps(sc + 8 * j);
        if (per & 2) vzf = _mm256_loadu_ps(zf + 8 * j);
        v = _mm256_loadu_ps(s + 8 * j);
        v = _mm256_add_ps(exact ? _mm256_mul_ps(v, vinv) : _mm256_div_ps(v, vs), vzf);
        v = _mm256_min_ps(vhi, _mm256_max_ps(vlo, v));
        *acc = _mm256_add_ps(*acc, v);
        k[j] = _mm256_add_epi32(_mm256_cvtps_epi32(v), vzp);
    }
    if (words) {
        out[0] = fq_q256_words(k[0], k[1], is_signed);
        out[1] = fq_q256_words(k[2], k[3], is_signed);
    } else {
        out[0] = fq_q256_bytes(k[0], k[1], k[2], k[3], is_signed);
    }
}

FQ_Q_INLINE int fq_q_div256(const fq_quant *q, const float *s, void *dst, ptrdiff_t n,
                            const float *sc, const float *zf, int per, int is_signed, int words) {
    const __m256 vs = _mm256_set1_ps(q->scale), vzf = _mm256_set1_ps(q->zf), vinv = _mm256_set1_ps(q->inv);
    const __m256 vlo = _mm256_set1_ps(q->flo), vhi = _mm256_set1_ps(q->fhi);
    const __m256i vzp = _mm256_set1_epi32(q->zp);
    const int exact = q->exact && !(per & 1);
    __m256 acc = _mm256_setzero_ps();
    __m256i out[2];
    uint8_t *d = (uint8_t *)dst;
    const ptrdiff_t size = words ? 2 : 1;
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        fq_q_div256_step(s + i, sc + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per, is_signed, words,
                         exact, vs, vzf, vinv, vlo, vhi, vzp, &acc, out);
        _mm256_storeu_si256((__m256i *)(d + size * i), out[0]);
        if (words) _mm256_storeu_si256((__m256i *)(d + size * i + 32), out[1]);
    }
    if (i < n && n >= 32) { /* one more step ending at n (overlap: same codes) */
        i = n - 32;
        fq_q_div256_step(s + i, sc + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per, is_signed, words,
                         exact, vs, vzf, vinv, vlo, vhi, vzp, &acc, out);
        _mm256_storeu_si256((__m256i *)(d + size * i), out[0]);
        if (words) _mm256_storeu_si256((__m256i *)(d + size * i + 32), out[1]);
    } else if (i < n) { /* fewer than 32 in all: zero-padded copies, x = 0 over a scale of 1 */
        float xs[32] = {0}, ss[32], zs[32] = {0};
        ptrdiff_t r = n - i, j;
        memcpy(xs, s + i, (size_t)r * sizeof(float));
        for (j = 0; j < 32; j++) ss[j] = 1.0f;
        if (per & 1) memcpy(ss, sc + i, (size_t)r * sizeof(float));
        if (per & 2) memcpy(zs, zf + i, (size_t)r * sizeof(float));
        fq_q_div256_step(xs, ss, zs, per, is_signed, words, exact, vs, vzf, vinv, vlo, vhi, vzp, &acc, out);
        memcpy(d + size * i, out, (size_t)(r * size));
    }
    return _mm256_movemask_ps(_mm256_cmp_ps(acc, acc, _CMP_UNORD_Q)) != 0;
}

#elif defined(FQ_Q_SSE2)

/* Multiply path for 8-bit codes on SSE2 (no FMA: v = fl(fl(x inv) + zf)); codes narrow to
 * int16, clamp there (SSE2 has 16-bit min/max), then to bytes. 16 elements per step. */
FQ_Q_INLINE __m128i fq_q_mul128_step(const float *s, const float *inv, const float *zf, int per,
                                     int is_signed, __m128 vinv, __m128 vzf, __m128 vslack,
                                     __m128i lo16, __m128i hi16, __m128i zp16, __m128 *bad4) {
    const __m128 sign = _mm_set1_ps(-0.0f);
    __m128i k[4], w0, w1;
    int j;
    for (j = 0; j < 4; j++) {
        __m128 v, e;
        if (per & 1) vinv = _mm_loadu_ps(inv + 4 * j);
        if (per & 2) vzf = _mm_loadu_ps(zf + 4 * j);
        v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(s + 4 * j), vinv), vzf);
        k[j] = _mm_cvtps_epi32(v);
        e = _mm_sub_ps(v, _mm_cvtepi32_ps(k[j]));
        *bad4 = _mm_or_ps(*bad4, _mm_cmpnlt_ps(_mm_andnot_ps(sign, e), vslack));
    }
    /* clamp to [lo - zp, hi - zp] in int16 (the saturating pack is monotone), add zp */
    w0 = _mm_add_epi16(_mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(k[0], k[1]), lo16), hi16), zp16);
    w1 = _mm_add_epi16(_mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(k[2], k[3]), lo16), hi16), zp16);
    return is_signed ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
}

FQ_Q_INLINE int fq_q_mul128_8(const fq_quant *q, const float *s, uint8_t *d, ptrdiff_t n,
                              const float *inv, const float *zf, int per, int is_signed) {
    const __m128 vinv = _mm_set1_ps(q->inv), vzf = _mm_set1_ps(q->zf), vslack = _mm_set1_ps(q->slack);
    const __m128i lo16 = _mm_set1_epi16((short)q->flo), hi16 = _mm_set1_epi16((short)q->fhi);
    const __m128i zp16 = _mm_set1_epi16((short)q->zp);
    __m128 bad4 = _mm_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(d + i),
                         fq_q_mul128_step(s + i, inv + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per,
                                          is_signed, vinv, vzf, vslack, lo16, hi16, zp16, &bad4));
    if (i < n && n >= 16) { /* one more step ending at n (overlap: same codes) */
        i = n - 16;
        _mm_storeu_si128((__m128i *)(d + i),
                         fq_q_mul128_step(s + i, inv + (per & 1 ? i : 0), zf + (per & 2 ? i : 0), per,
                                          is_signed, vinv, vzf, vslack, lo16, hi16, zp16, &bad4));
    } else if (i < n) { /* fewer than 16 in all: zero-padded copies, as in the AVX2 version */
        float xs[16] = {0}, is[16] = {0}, zs[16] = {0};
        uint8_t out[16];
        ptrdiff_t r = n - i;
        memcpy(xs, s + i, (size_t)r * sizeof(float));
        if (per & 1) memcpy(is, inv + i, (size_t)r * sizeof(float));
        if (per & 2) memcpy(zs, zf + i, (size_t)r * sizeof(float));
        _mm_storeu_si128((__m128i *)out, fq_q_mul128_step(xs, is, zs, per, is_signed, vinv, vzf, vslack,
                                                          lo16, hi16, zp16, &bad4));
        memcpy(d + i, out, (size_t)r);
    }
    return _mm_movemask_ps(bad4) == 0;
}

#endif

/* ---- one block, dispatched by ISA and code type -------------------------------------------- */

/* bytes: 1 for 8-bit codes, 2 for 16-bit; the SIMD multiply path serves 8-bit codes only
 * (16-bit codes have q->inv = 0 except for narrow ranges, which take the plain C path). */
#define FQ_Q_BLOCK_FUNCS(T, NAME, IS_SIGNED, WORDS)                                            \
    FQ_Q_INLINE int fq_q_mul_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n,      \
                                    const float *inv, const float *zf, int per) {              \
        FQ_Q_MUL_SIMD(WORDS, IS_SIGNED)                                                        \
        return fq_q_mul_c_##NAME(q, s, d, n, inv, zf, per);                                    \
    }                                                                                          \
    FQ_Q_INLINE int fq_q_div_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n,      \
                                    const float *sc, const float *zf, int per) {               \
        FQ_Q_DIV_SIMD(WORDS, IS_SIGNED)                                                        \
        return fq_q_ref_c_##NAME(q, s, d, n, sc, zf, per);                                     \
    }

/* (16-bit codes with a proof, i.e. 9 or 10 bits: the SIMD division beats plain C multiplying;
 * codes spanning the whole int8 / uint8 range need no clamp beyond the saturating packs) */
#define FQ_Q_FULL(q, IS_SIGNED) ((q)->zp == 0 && ((IS_SIGNED) ? (q)->lo == -128 && (q)->hi == 127 : (q)->lo == 0 && (q)->hi == 255))
#if defined(FQ_Q_AVX512)
#define FQ_Q_MUL_SIMD(WORDS, IS_SIGNED)                                                        \
    if (q->simd && (WORDS)) return 0;                                                          \
    if (q->simd) return FQ_Q_FULL(q, IS_SIGNED) ? fq_q_mul512_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 1) \
                      : q->zp == 0 ? fq_q_mul512_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 0)   \
                                   : fq_q_mul512_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 2);
#define FQ_Q_DIV_SIMD(WORDS, IS_SIGNED)                                                        \
    if (q->simd) return fq_q_div512(q, s, d, n, sc, zf, per, IS_SIGNED, WORDS);
#elif defined(FQ_Q_AVX2)
#define FQ_Q_MUL_SIMD(WORDS, IS_SIGNED)                                                        \
    if (q->simd && (WORDS)) return 0;                                                          \
    if (q->simd) return FQ_Q_FULL(q, IS_SIGNED) ? fq_q_mul256_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 1) \
                      : q->zp == 0 ? fq_q_mul256_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 0)   \
                                   : fq_q_mul256_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED, 2);
#define FQ_Q_DIV_SIMD(WORDS, IS_SIGNED)                                                        \
    if (q->simd) return fq_q_div256(q, s, d, n, sc, zf, per, IS_SIGNED, WORDS);
#elif defined(FQ_Q_SSE2)
#define FQ_Q_MUL_SIMD(WORDS, IS_SIGNED)                                                        \
    if (q->simd && !(WORDS)) return fq_q_mul128_8(q, s, (uint8_t *)d, n, inv, zf, per, IS_SIGNED);
#define FQ_Q_DIV_SIMD(WORDS, IS_SIGNED)
#else
#define FQ_Q_MUL_SIMD(WORDS, IS_SIGNED)
#define FQ_Q_DIV_SIMD(WORDS, IS_SIGNED)
#endif

FQ_Q_BLOCK_FUNCS(int8_t, i8, 1, 0)
FQ_Q_BLOCK_FUNCS(uint8_t, u8, 0, 0)
FQ_Q_BLOCK_FUNCS(int16_t, i16, 1, 1)
FQ_Q_BLOCK_FUNCS(uint16_t, u16, 0, 1)

/* ---- the API -------------------------------------------------------------------------------- */

/* Elements before s + head is 64-byte aligned (whole-line vector loads from there on: loads
 * that straddle two cache lines cost about a third more; NumPy's large arrays start 16 bytes
 * past a line). */
FQ_INLINE ptrdiff_t fq_q_head(const float *s, ptrdiff_t n) {
    uintptr_t a = (uintptr_t)s;
    ptrdiff_t head = (a & 3) ? 0 : (ptrdiff_t)(((64 - (a & 63)) & 63) >> 2);
    return head < n ? head : n;
}

/* The blocks: [0, 32) when the data do not start on a line (then the aligned blocks from
 * the head on), FQ_QBLOCK at a time, and a last one of at least 32 that may reach back into
 * the block before it. Blocks are units of proof, not of layout: overlapping blocks compute
 * the same codes (each block is proven or divided as a whole, in order), so every vector
 * step is a full one, and only arrays of fewer than 32 elements take padded steps. */
#define FQ_Q_BLOCKS(BODY)                                                                      \
    {                                                                                          \
        ptrdiff_t b = 0, k, h = fq_q_head(s, n);                                               \
        if (h > 0 && n >= 32 + h) {                                                            \
            k = 32;                                                                            \
            BODY                                                                               \
            b = h;                                                                             \
        }                                                                                      \
        while (b < n) {                                                                        \
            k = n - b < FQ_QBLOCK ? n - b : FQ_QBLOCK;                                         \
            if (k < 32 && n >= 32) {                                                           \
                b = n - 32;                                                                    \
                k = 32;                                                                        \
            }                                                                                  \
            BODY                                                                               \
            b += k;                                                                            \
        }                                                                                      \
    }

#define FQ_Q_API(T, NAME)                                                                      \
    /* d[i] = code(s[i]) for i < n with q's parameters; returns 1 if s holds a NaN. */        \
    FQ_INLINE int fq_quantize_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n) {   \
        int nan = 0;                                                                           \
        FQ_Q_BLOCKS(                                                                           \
            if (!(q->inv != 0.0f && fq_q_mul_##NAME(q, s + b, d + b, k, &q->inv, &q->zf, 0)))  \
                nan |= fq_q_div_##NAME(q, s + b, d + b, k, &q->scale, &q->zf, 0);              \
        )                                                                                      \
        return nan;                                                                            \
    }                                                                                          \
    /* The same with element i's own scale sc[i], inv[i] = fq_quant_lane_inv(sc[i]) and      \
     * zf[i] (zf NULL: q's own zf for every element); q gives mode, bounds and the slack      \
     * (init it with the largest |zf[i]|) and its inv must be 0 when any inv[i] is. */        \
    FQ_INLINE int fq_quantize_lanes_##NAME(const fq_quant *q, const float *s, T *d, ptrdiff_t n, \
                                           const float *sc, const float *inv, const float *zf) { \
        int nan = 0;                                                                           \
        if (zf) {                                                                              \
            FQ_Q_BLOCKS(                                                                       \
                if (!(q->inv != 0.0f && fq_q_mul_##NAME(q, s + b, d + b, k, inv + b, zf + b, 3))) \
                    nan |= fq_q_div_##NAME(q, s + b, d + b, k, sc + b, zf + b, 3);             \
            )                                                                                  \
        } else {                                                                               \
            FQ_Q_BLOCKS(                                                                       \
                if (!(q->inv != 0.0f && fq_q_mul_##NAME(q, s + b, d + b, k, inv + b, &q->zf, 1))) \
                    nan |= fq_q_div_##NAME(q, s + b, d + b, k, sc + b, &q->zf, 1);             \
            )                                                                                  \
        }                                                                                      \
        return nan;                                                                            \
    }

FQ_Q_API(int8_t, i8)
FQ_Q_API(uint8_t, u8)
FQ_Q_API(int16_t, i16)
FQ_Q_API(uint16_t, u16)

/* ---- 0.1's block primitive, kept for callers written against it ---------------------------- */

FQ_INLINE float fq_round_clamp(float x, float lo, float hi) {
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    return (x + FQ_Q_MAGIC) - FQ_Q_MAGIC;
}

/* d[i] = clip(round(s[i] / scale), lo, hi) for n non-NaN floats, int8 codes, |lo|, |hi| < 2**20,
 * inv = fl(1 / scale) or 0; returns 1 when it had to divide. Same bits as fq_quantize_i8 with
 * fq_quant_init(&q, scale, 0, 0, 0, lo, hi, FQ_Q_ROUND), which new code should use. */
FQ_INLINE int fq_div_round_clamp_block(const float *s, int8_t *d, ptrdiff_t n, float scale,
                                       float inv, float lo, float hi) {
    fq_quant q;
    (void)inv;
    if (fq_quant_init(&q, scale, 0.0f, 0.0f, 0, (int32_t)lo, (int32_t)hi, FQ_Q_ROUND) == 0
        && q.inv != 0.0f && fq_q_mul_i8(&q, s, d, n, &q.inv, &q.zf, 0))
        return 0;
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) d[i] = (int8_t)fq_round_clamp(s[i] / scale, lo, hi);
    }
    return 1;
}

#endif
