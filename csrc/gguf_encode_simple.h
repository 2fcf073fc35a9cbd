/* GGUF block encoders without a scale search: BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, TQ1_0,
 * TQ2_0, Q8_K (csrc/gguf_encode.pyx). Each is llama.cpp's quantize_row_<type>_ref with the same
 * float32 operations in the same order; fastquant/_twins/gguf_encode.py is the readable form.
 *
 * Every row function returns a status: GQ_NONFINITE when the input holds a NaN or an inf (then
 * only that), else GQ_RANGE when a stored fp16 scale is not finite or llama.cpp's nearest_int
 * assertion would fail, else 0.
 *
 * The 128-bit SSE2 path runs on every x86-64 build (VEX-encoded in the v3 build); the plain C
 * path elsewhere and with FQ_GGUF_PLAIN_C gives the same bytes. Where the C reference converts a
 * float outside the int range to an integer (only when 1/d overflows, i.e. the block maximum is
 * below about 1e-38), the result is what x86-64 gives: INT_MIN, low byte 0.
 */
#ifndef GGUF_ENCODE_SIMPLE_H
#define GGUF_ENCODE_SIMPLE_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fq_half_round.h"
#include "gguf_vec.h"

#define GQ_NONFINITE 1
#define GQ_RANGE 2

#if !defined(FQ_GGUF_PLAIN_C) && (defined(GV_SSE2) || defined(GV_AVX2) || defined(GV_AVX512))
#define GQ_SSE2 1
#endif
#if defined(GQ_SSE2) && defined(__AVX2__)
#define GQ_AVX2 1                     /* 256-bit versions of the hot loops (v3 build and up) */
#endif

/* ---------------------------------------------------------------- scalar helpers */

/* llama.cpp's nearest_int: half to even; sets *bad (and gives 0) where its assert fails */
FQ_INLINE int gq_nearest(float a, int *bad) {
    if (!(fabsf(a) <= 4194303.0f)) { *bad = 1; return 0; }
    return (int) ((a + GV_MAGIC) - GV_MAGIC);
}

/* float -> int as C converts through a 32-bit integer on x86-64 (INT_MIN when out of range) */
FQ_INLINE int32_t gq_to_int(float a) {
    if (a > -2147483648.0f && a < 2147483648.0f) return (int32_t) a;
    return INT32_MIN;
}

/* a float holding a small code as a byte; NaN and anything outside [0, 255] (only ever in a
 * block that is being rejected) give 0 instead of C's undefined conversion */
FQ_INLINE uint8_t gq_u8(float v) { return v >= 0.0f && v < 256.0f ? (uint8_t) (int) v : 0; }

/* d ? 1.0f/d : 0.0f */
FQ_INLINE float gq_recip(float d) { return d != 0.0f ? 1.0f / d : 0.0f; }

/* stores the fp16 bits of v at p; returns GQ_RANGE when they are inf or NaN */
FQ_INLINE int gq_put_fp16(uint8_t *p, float v) {
    uint16_t h = fqr_fp32_to_fp16(v);
    fqr_store_u16(p, h);
    return fqr_fp16_finite(h) ? 0 : GQ_RANGE;
}

/* max: the first value of the largest magnitude (C: `if (amax < fabsf(v))`), +0 if all zero,
 * from hi = max(x) and lo = min(x) of the block (a tie needs the scan) */
FQ_INLINE float gq_signed_absmax(const float *x, int n, float hi, float lo) {
    int j;
    if (hi != -lo) {                                  /* no tie: a select, not a branch */
        uint32_t m = 0u - (uint32_t) (hi > -lo);
        return fqr_float((fqr_bits(hi) & m) | (fqr_bits(lo) & ~m));
    }
    if (hi == 0.0f) return 0.0f;
    for (j = 0; j < n; j++)
        if (fabsf(x[j]) == hi) return x[j];
    return hi;
}

/* v itself unless it is zero; then the first zero of x (what `if (v < min) min = v` keeps) */
FQ_INLINE float gq_first_zero(const float *x, int n, float v) {
    int j;
    if (v != 0.0f) return v;
    for (j = 0; j < n; j++)
        if (x[j] == 0.0f) return x[j];
    return v;
}

/* ---------------------------------------------------------------- 128-bit helpers */

#if defined(GQ_SSE2)
FQ_INLINE float gq_hmax4(__m128 v) {
    v = _mm_max_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_max_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(v);
}
FQ_INLINE float gq_hmin4(__m128 v) {
    v = _mm_min_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_min_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(v);
}
/* max, min and "any NaN or inf" (x * 0 is NaN exactly for those) of n = 4k floats */
FQ_INLINE int gq_range4(const float *x, int n, float *hi, float *lo) {
    __m128 h = _mm_loadu_ps(x), l = h, z = _mm_setzero_ps(), nf = _mm_mul_ps(h, z);
    int k;
    for (k = 4; k < n; k += 4) {
        __m128 v = _mm_loadu_ps(x + k);
        h = _mm_max_ps(v, h);
        l = _mm_min_ps(v, l);
        nf = _mm_add_ps(nf, _mm_mul_ps(v, z));
    }
    *hi = gq_hmax4(h);
    *lo = gq_hmin4(l);
    return _mm_movemask_ps(_mm_cmpunord_ps(nf, nf)) != 0;
}
FQ_INLINE __m128 gq_abs4(__m128 v) { return _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF))); }
/* 16 int32 (four vectors) with values in [0, 255] or INT_MIN -> 16 bytes (INT_MIN -> 0) */
FQ_INLINE __m128i gq_pack_u8(__m128i a, __m128i b, __m128i c, __m128i d) {
    return _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
}
#endif

#if defined(GQ_AVX2)
FQ_INLINE float gq_hmax8(__m256 v) { return gq_hmax4(_mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))); }
FQ_INLINE float gq_hmin8(__m256 v) { return gq_hmin4(_mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))); }
/* max, min and "any NaN or inf" of n = 8k floats */
FQ_INLINE int gq_range8(const float *x, int n, float *hi, float *lo) {
    __m256 h = _mm256_loadu_ps(x), l = h, z = _mm256_setzero_ps(), nf = _mm256_mul_ps(h, z);
    int k;
    for (k = 8; k < n; k += 8) {
        __m256 v = _mm256_loadu_ps(x + k);
        h = _mm256_max_ps(v, h);
        l = _mm256_min_ps(v, l);
        nf = _mm256_add_ps(nf, _mm256_mul_ps(v, z));
    }
    *hi = gq_hmax8(h);
    *lo = gq_hmin8(l);
    return _mm256_movemask_ps(_mm256_cmp_ps(nf, nf, _CMP_UNORD_Q)) != 0;
}
/* max |x| of n = 8k floats as bits, and whether one is NaN or inf (its bits are >= inf's):
 * an integer max of the magnitude bits, which orders finite floats as floats do */
FQ_INLINE float gq_absmax8(const float *x, int n, int *nonfinite) {
    const __m256i m = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *) x), m);
    __m128i h;
    int k, bits;
    for (k = 8; k < n; k += 8) a = _mm256_max_epi32(a, _mm256_and_si256(_mm256_loadu_si256((const __m256i *) (x + k)), m));
    h = _mm_max_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0xB1));
    bits = _mm_cvtsi128_si32(h);
    *nonfinite |= bits >= 0x7F800000;
    return fqr_float((uint32_t) bits);
}

/* 32 int32 (four vectors), each in [0, 255] or INT_MIN, to 32 bytes in order (INT_MIN -> 0) */
FQ_INLINE __m256i gq_pack_u8x32(__m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
/* the same for signed results in [-128, 127] (INT_MIN -> -128: callers zero it first) */
FQ_INLINE __m256i gq_pack_i8x32(__m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
#endif

FQ_INLINE int gq_range_plain(const float *x, int n, float *hi, float *lo) {
    float h = x[0], l = x[0];
    int j, nf = 0;
    for (j = 0; j < n; j++) {
        h = x[j] > h ? x[j] : h;
        l = x[j] < l ? x[j] : l;
        nf |= !(fabsf(x[j]) <= FLT_MAX);
    }
    *hi = h;
    *lo = l;
    return nf;
}

FQ_INLINE int gq_range(const float *x, int n, float *hi, float *lo) {
#if defined(GQ_AVX2)
    if ((n & 7) == 0) return gq_range8(x, n, hi, lo);
    return gq_range4(x, n, hi, lo);
#elif defined(GQ_SSE2)
    return gq_range4(x, n, hi, lo);
#else
    return gq_range_plain(x, n, hi, lo);
#endif
}

/* max |x| of n values, +0 when all are zero (C: `amax = MAX(amax, fabsf(v))` from 0) */
FQ_INLINE float gq_absmax(const float *x, int n, int *nonfinite) {
    float hi, lo, amax;
#if defined(GQ_AVX2)
    if ((n & 7) == 0) return gq_absmax8(x, n, nonfinite);   /* +0 for an all-zero block */
#endif
    *nonfinite |= gq_range(x, n, &hi, &lo);
    amax = hi > -lo ? hi : -lo;
    return amax == 0.0f ? 0.0f : amax;
}

/* ---------------------------------------------------------------- BF16 */

FQ_INLINE void gq_bf16(const float *x, uint8_t *y, int64_t n) {
    int64_t i = 0;
#if defined(GQ_AVX2)
    {
        const __m256i absm = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
        const __m256i bias = _mm256_set1_epi32(0x7FFF), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(64);
        for (; i + 16 <= n; i += 16) {
            __m256i r[2];
            int k;
            for (k = 0; k < 2; k++) {
                __m256i u = _mm256_loadu_si256((const __m256i *) (x + i + 8 * k));
                __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, absm), inf);
                __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(u, 16), one))), 16);
                r[k] = _mm256_blendv_epi8(rounded, _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet), nan);
            }
            _mm256_storeu_si256((__m256i *) (y + 2 * i), _mm256_permute4x64_epi64(_mm256_packus_epi32(r[0], r[1]), 0xD8));
        }
    }
#endif
#if defined(GQ_SSE2)
    const __m128i absm = _mm_set1_epi32(0x7FFFFFFF), inf = _mm_set1_epi32(0x7F800000);
    const __m128i bias = _mm_set1_epi32(0x7FFF), one = _mm_set1_epi32(1), quiet = _mm_set1_epi32(64);
    for (; i + 8 <= n; i += 8) {
        __m128i r[2];
        int k;
        for (k = 0; k < 2; k++) {
            __m128i u = _mm_loadu_si128((const __m128i *) (x + i + 4 * k));
            __m128i nan = _mm_cmpgt_epi32(_mm_and_si128(u, absm), inf);
            __m128i rounded = _mm_srli_epi32(_mm_add_epi32(u, _mm_add_epi32(bias, _mm_and_si128(_mm_srli_epi32(u, 16), one))), 16);
            __m128i q = _mm_or_si128(_mm_srli_epi32(u, 16), quiet);
            __m128i h = _mm_or_si128(_mm_and_si128(nan, q), _mm_andnot_si128(nan, rounded));
            r[k] = _mm_srai_epi32(_mm_slli_epi32(h, 16), 16);      /* sign-extend for packs */
        }
        _mm_storeu_si128((__m128i *) (y + 2 * i), _mm_packs_epi32(r[0], r[1]));
    }
#endif
    for (; i < n; i++) fqr_store_u16(y + 2 * i, fqr_fp32_to_bf16(x[i]));
}

/* ---------------------------------------------------------------- Q4_0, Q5_0 */

/* q[j] = MIN(top, (int8_t)(x[j] * id + bias)) for 32 values; q in [0, top] */
FQ_INLINE void gq_codes_sym(const float *x, float id, float bias, int top, uint8_t *q) {
#if defined(GQ_AVX2)
    __m256 vid = _mm256_set1_ps(id), vb = _mm256_set1_ps(bias);
    __m256i t[4];
    int k;
    for (k = 0; k < 4; k++)
        t[k] = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid), vb));
    _mm256_storeu_si256((__m256i *) q, _mm256_min_epu8(gq_pack_u8x32(t[0], t[1], t[2], t[3]), _mm256_set1_epi8((char) top)));
#elif defined(GQ_SSE2)
    __m128 vid = _mm_set1_ps(id), vb = _mm_set1_ps(bias);
    __m128i t[8];
    int k;
    for (k = 0; k < 8; k++)
        t[k] = _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(_mm_loadu_ps(x + 4 * k), vid), vb));
    /* values are in [0, 16] (or [0, 32]) or INT_MIN, which packs to 0 = MIN(top, (int8_t)INT_MIN) */
    _mm_storeu_si128((__m128i *) q, _mm_min_epu8(gq_pack_u8(t[0], t[1], t[2], t[3]), _mm_set1_epi8((char) top)));
    _mm_storeu_si128((__m128i *) (q + 16), _mm_min_epu8(gq_pack_u8(t[4], t[5], t[6], t[7]), _mm_set1_epi8((char) top)));
#else
    int j;
    for (j = 0; j < 32; j++) {
        int8_t v = (int8_t) (gq_to_int(x[j] * id + bias) & 0xFF);
        q[j] = (uint8_t) (v < top ? v : top);
    }
#endif
}

FQ_INLINE void gq_nibbles16(const uint8_t *q, uint8_t *out) {
    /* out[j] = q[j] | q[j + 16] << 4, codes < 16 */
#if defined(GQ_SSE2)
    __m128i lo = _mm_loadu_si128((const __m128i *) q), hi = _mm_loadu_si128((const __m128i *) (q + 16));
    _mm_storeu_si128((__m128i *) out, _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
#else
    int j;
    for (j = 0; j < 16; j++) out[j] = (uint8_t) (q[j] | (q[j + 16] << 4));
#endif
}

FQ_INLINE void gq_high_bits(const uint8_t *q, uint8_t *out4) {
    /* little-endian uint32: bit j is bit 4 of q[j]; and q[j] &= 0xF */
#if defined(GQ_SSE2)
    __m128i a = _mm_loadu_si128((const __m128i *) q), b = _mm_loadu_si128((const __m128i *) (q + 16));
    uint32_t qh = (uint32_t) _mm_movemask_epi8(_mm_slli_epi16(a, 3))
                | ((uint32_t) _mm_movemask_epi8(_mm_slli_epi16(b, 3)) << 16);
#else
    uint32_t qh = 0;
    int j;
    for (j = 0; j < 32; j++) qh |= (uint32_t) ((q[j] >> 4) & 1) << j;
#endif
    out4[0] = (uint8_t) qh;
    out4[1] = (uint8_t) (qh >> 8);
    out4[2] = (uint8_t) (qh >> 16);
    out4[3] = (uint8_t) (qh >> 24);
}

FQ_INLINE void gq_low_nibbles16(const uint8_t *q, uint8_t *out) {
    /* out[j] = (q[j] & 0xF) | (q[j + 16] & 0xF) << 4 */
#if defined(GQ_SSE2)
    __m128i m = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(_mm_loadu_si128((const __m128i *) q), m);
    __m128i hi = _mm_and_si128(_mm_loadu_si128((const __m128i *) (q + 16)), m);
    _mm_storeu_si128((__m128i *) out, _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
#else
    int j;
    for (j = 0; j < 16; j++) out[j] = (uint8_t) ((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
#endif
}

/* Q4_0 (q5 = 0) and Q5_0 (q5 = 1) */
FQ_INLINE int gq_q450(const float *x, uint8_t *y, int64_t nb, int q5) {
    const int ts = q5 ? 22 : 18;
    int64_t i;
    int nonfinite = 0, range = 0;
    uint8_t q[32];
    for (i = 0; i < nb; i++, x += 32, y += ts) {
        float hi, lo, mx, d, id;
        nonfinite |= gq_range(x, 32, &hi, &lo);
        mx = gq_signed_absmax(x, 32, hi, lo);
        d = mx * (q5 ? -0.0625f : -0.125f);            /* = max / -16 (-8): a power of two */
        id = gq_recip(d);
        range |= gq_put_fp16(y, d);
        gq_codes_sym(x, id, q5 ? 16.5f : 8.5f, q5 ? 31 : 15, q);
        if (q5) {
            gq_high_bits(q, y + 2);
            gq_low_nibbles16(q, y + 6);
        } else {
            gq_nibbles16(q, y + 2);
        }
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- Q4_1, Q5_1 */

FQ_INLINE void gq_codes_affine(const float *x, float mn, float id, int clamp15, uint8_t *q) {
#if defined(GQ_AVX2)
    __m256 vid = _mm256_set1_ps(id), vm = _mm256_set1_ps(mn), half = _mm256_set1_ps(0.5f);
    __m256i t[4], p;
    int k;
    for (k = 0; k < 4; k++)
        t[k] = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * k), vm), vid), half));
    p = gq_pack_u8x32(t[0], t[1], t[2], t[3]);
    if (clamp15) p = _mm256_min_epu8(p, _mm256_set1_epi8(15));
    _mm256_storeu_si256((__m256i *) q, p);
#elif defined(GQ_SSE2)
    __m128 vid = _mm_set1_ps(id), vm = _mm_set1_ps(mn), half = _mm_set1_ps(0.5f);
    __m128i t[8];
    int k;
    for (k = 0; k < 8; k++)
        t[k] = _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(x + 4 * k), vm), vid), half));
    /* values are in [0, 32] or INT_MIN (-> 0) */
    __m128i a = gq_pack_u8(t[0], t[1], t[2], t[3]), b = gq_pack_u8(t[4], t[5], t[6], t[7]);
    if (clamp15) {
        a = _mm_min_epu8(a, _mm_set1_epi8(15));
        b = _mm_min_epu8(b, _mm_set1_epi8(15));
    }
    _mm_storeu_si128((__m128i *) q, a);
    _mm_storeu_si128((__m128i *) (q + 16), b);
#else
    int j;
    for (j = 0; j < 32; j++) {
        int32_t v = gq_to_int((x[j] - mn) * id + 0.5f);
        if (clamp15) {
            int8_t s = (int8_t) (v & 0xFF);
            q[j] = (uint8_t) (s < 15 ? s : 15);
        } else {
            q[j] = (uint8_t) (v & 0xFF);
        }
    }
#endif
}

FQ_INLINE int gq_q451(const float *x, uint8_t *y, int64_t nb, int q5) {
    const int ts = q5 ? 24 : 20;
    int64_t i;
    int nonfinite = 0, range = 0;
    uint8_t q[32];
    for (i = 0; i < nb; i++, x += 32, y += ts) {
        float hi, lo, d, id;
        nonfinite |= gq_range(x, 32, &hi, &lo);
        lo = gq_first_zero(x, 32, lo);
        if (hi == 0.0f && lo == 0.0f) hi = lo;                 /* both the first zero: max - min = +0 */
        d = (hi - lo) / (q5 ? 31.0f : 15.0f);
        id = gq_recip(d);
        range |= gq_put_fp16(y, d);
        range |= gq_put_fp16(y + 2, lo);
        gq_codes_affine(x, lo, id, !q5, q);
        if (q5) {
            gq_high_bits(q, y + 4);
            gq_low_nibbles16(q, y + 8);
        } else {
            gq_nibbles16(q, y + 4);
        }
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- Q8_0 */

FQ_INLINE int gq_q8_0(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0, range = 0;
    for (i = 0; i < nb; i++, x += 32, y += 34) {
        float amax, d, id;
        amax = gq_absmax(x, 32, &nonfinite);         /* MAX(amax, fabsf(v)): max |x|, +0 for zeros */
        d = amax / 127.0f;
        id = gq_recip(d);
        range |= gq_put_fp16(y, d);
#if defined(GQ_AVX2)
        if (!(id <= FLT_MAX)) {
            /* 1/d overflowed: every x * id is +-inf or NaN, which C converts to INT_MIN: 0 */
            memset(y + 2, 0, 32);
        } else {
            /* roundf (half away from zero) of v = x * id, |v| < 128: t = trunc(v), plus
             * trunc(2 (v - t)), which is +-1 exactly where |v - t| >= 0.5 (all exact) */
            __m256 vid = _mm256_set1_ps(id);
            __m256i t[4];
            int k;
            for (k = 0; k < 4; k++) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid);
                __m256i t0 = _mm256_cvttps_epi32(v);
                __m256 f = _mm256_sub_ps(v, _mm256_cvtepi32_ps(t0));
                t[k] = _mm256_add_epi32(t0, _mm256_cvttps_epi32(_mm256_add_ps(f, f)));
            }
            _mm256_storeu_si256((__m256i *) (y + 2), gq_pack_i8x32(t[0], t[1], t[2], t[3]));
        }
#elif defined(GQ_SSE2)
        {
            /* roundf (half away from zero) of v = x * id: t = trunc(v), + sign(v) where
             * |v - t| >= 0.5 (exact); a non-finite v converts to INT_MIN, stored as 0 */
            __m128 vid = _mm_set1_ps(id), half = _mm_set1_ps(0.5f), mhalf = _mm_set1_ps(-0.5f);
            __m128i imin = _mm_set1_epi32(INT32_MIN), t[8];
            int k;
            for (k = 0; k < 8; k++) {
                __m128 v = _mm_mul_ps(_mm_loadu_ps(x + 4 * k), vid);
                __m128i t0 = _mm_cvttps_epi32(v);
                __m128 f = _mm_sub_ps(v, _mm_cvtepi32_ps(t0));
                __m128i up = _mm_castps_si128(_mm_cmpge_ps(f, half));
                __m128i dn = _mm_castps_si128(_mm_cmple_ps(f, mhalf));
                __m128i ti = _mm_add_epi32(_mm_sub_epi32(t0, up), dn);
                t[k] = _mm_andnot_si128(_mm_cmpeq_epi32(t0, imin), ti);
            }
            _mm_storeu_si128((__m128i *) (y + 2), _mm_packs_epi16(_mm_packs_epi32(t[0], t[1]), _mm_packs_epi32(t[2], t[3])));
            _mm_storeu_si128((__m128i *) (y + 18), _mm_packs_epi16(_mm_packs_epi32(t[4], t[5]), _mm_packs_epi32(t[6], t[7])));
        }
#else
        {
            int j;
            for (j = 0; j < 32; j++) y[2 + j] = (uint8_t) (gq_to_int(roundf(x[j] * id)) & 0xFF);
        }
#endif
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- TQ1_0, TQ2_0 */

/* t[j] = lroundf(x[j] * id) + 1 in {0, 1, 2} (1 for every value when id is not finite:
 * glibc's lroundf gives LONG_MIN there, whose + 1 has low bits 1) */
FQ_INLINE void gq_trits(const float *x, float id, uint8_t *t) {
    int j;
    if (!(fabsf(id) <= FLT_MAX)) {
        memset(t, 1, 256);
        return;
    }
#if defined(GQ_AVX2)
    {
        __m256 vid = _mm256_set1_ps(id), half = _mm256_set1_ps(0.5f), mhalf = _mm256_set1_ps(-0.5f);
        __m256i one = _mm256_set1_epi32(1), r[4];
        for (j = 0; j < 256; j += 32) {
            int k;
            for (k = 0; k < 4; k++) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), vid);     /* |v| <= 1 */
                r[k] = _mm256_add_epi32(_mm256_sub_epi32(one, _mm256_castps_si256(_mm256_cmp_ps(v, half, _CMP_GE_OQ))),
                                        _mm256_castps_si256(_mm256_cmp_ps(v, mhalf, _CMP_LE_OQ)));
            }
            _mm256_storeu_si256((__m256i *) (t + j), gq_pack_u8x32(r[0], r[1], r[2], r[3]));
        }
    }
#elif defined(GQ_SSE2)
    {
        __m128 vid = _mm_set1_ps(id), half = _mm_set1_ps(0.5f), mhalf = _mm_set1_ps(-0.5f);
        __m128i one = _mm_set1_epi32(1), r[4];
        for (j = 0; j < 256; j += 16) {
            int k;
            for (k = 0; k < 4; k++) {
                __m128 v = _mm_mul_ps(_mm_loadu_ps(x + j + 4 * k), vid);     /* |v| <= 1 */
                r[k] = _mm_add_epi32(_mm_sub_epi32(one, _mm_castps_si128(_mm_cmpge_ps(v, half))),
                                     _mm_castps_si128(_mm_cmple_ps(v, mhalf)));
            }
            _mm_storeu_si128((__m128i *) (t + j), gq_pack_u8(r[0], r[1], r[2], r[3]));
        }
    }
#else
    for (j = 0; j < 256; j++) {
        float v = x[j] * id;
        t[j] = (uint8_t) (1 + (v >= 0.5f) - (v <= -0.5f));
    }
#endif
}


FQ_INLINE int gq_tq2_0(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0, range = 0;
    uint8_t t[256];
    for (i = 0; i < nb; i++, x += 256, y += 66) {
        float d = gq_absmax(x, 256, &nonfinite);
        int g, m;
        gq_trits(x, gq_recip(d), t);
        for (g = 0; g < 2; g++) {
            const uint8_t *tg = t + 128 * g;
#if defined(GQ_SSE2)
            for (m = 0; m < 32; m += 16) {
                __m128i a = _mm_loadu_si128((const __m128i *) (tg + m));
                __m128i b = _mm_loadu_si128((const __m128i *) (tg + 32 + m));
                __m128i c = _mm_loadu_si128((const __m128i *) (tg + 64 + m));
                __m128i e = _mm_loadu_si128((const __m128i *) (tg + 96 + m));
                __m128i r = _mm_or_si128(_mm_or_si128(a, _mm_slli_epi16(b, 2)),
                                         _mm_or_si128(_mm_slli_epi16(c, 4), _mm_slli_epi16(e, 6)));
                _mm_storeu_si128((__m128i *) (y + 32 * g + m), r);
            }
#else
            for (m = 0; m < 32; m++)
                y[32 * g + m] = (uint8_t) ((tg[m] & 3) | ((tg[32 + m] & 3) << 2) | ((tg[64 + m] & 3) << 4) | ((tg[96 + m] & 3) << 6));
#endif
        }
        range |= gq_put_fp16(y + 64, d);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* (q * 256 + 242) / 243 for q < 243: ceil(q * 256 / 243) */
FQ_INLINE uint8_t gq_tq1_byte(unsigned q) { return (uint8_t) ((q * 256u + 242u) / 243u); }

#if defined(GQ_SSE2)
/* gq_tq1_byte of 16 bytes q < 243: q + (13 q + 242) / 243, the division as
 * ((13 q + 242) * 4316) >> 20, exact for these q (tools/gguf_encode_check.py tq1) */
FQ_INLINE __m128i gq_tq1_bytes16(__m128i q) {
    const __m128i z = _mm_setzero_si128(), c13 = _mm_set1_epi16(13), c242 = _mm_set1_epi16(242), m = _mm_set1_epi16(4316);
    __m128i lo = _mm_unpacklo_epi8(q, z), hi = _mm_unpackhi_epi8(q, z);
    lo = _mm_add_epi16(lo, _mm_srli_epi16(_mm_mulhi_epu16(_mm_add_epi16(_mm_mullo_epi16(lo, c13), c242), m), 4));
    hi = _mm_add_epi16(hi, _mm_srli_epi16(_mm_mulhi_epu16(_mm_add_epi16(_mm_mullo_epi16(hi, c13), c242), m), 4));
    return _mm_packus_epi16(lo, hi);
}
#endif

FQ_INLINE int gq_tq1_0(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0, range = 0;
    uint8_t t[256];
    for (i = 0; i < nb; i++, x += 256, y += 54) {
        float d = gq_absmax(x, 256, &nonfinite);
        int m;
        gq_trits(x, gq_recip(d), t);
#if defined(GQ_SSE2)
        for (m = 0; m < 48; m += 16) {                 /* bytes 0..31: step 32; 32..47: step 16 */
            const uint8_t *tb = m < 32 ? t + m : t + 160;
            const int step = m < 32 ? 32 : 16;
            __m128i q = _mm_loadu_si128((const __m128i *) tb);
            int k;
            for (k = 1; k < 5; k++)                        /* q = 3 q + t, bytes, no overflow */
                q = _mm_add_epi8(_mm_add_epi8(_mm_add_epi8(q, q), q), _mm_loadu_si128((const __m128i *) (tb + k * step)));
            _mm_storeu_si128((__m128i *) (y + m), gq_tq1_bytes16(q));
        }
#else
        for (m = 0; m < 32; m++)
            y[m] = gq_tq1_byte((unsigned) (((t[m] * 3 + t[32 + m]) * 3 + t[64 + m]) * 3 + t[96 + m]) * 3 + t[128 + m]);
        for (m = 0; m < 16; m++)
            y[32 + m] = gq_tq1_byte((unsigned) (((t[160 + m] * 3 + t[176 + m]) * 3 + t[192 + m]) * 3 + t[208 + m]) * 3 + t[224 + m]);
#endif
        for (m = 0; m < 4; m++)
            y[48 + m] = gq_tq1_byte((unsigned) ((((t[240 + m] * 3 + t[244 + m]) * 3 + t[248 + m]) * 3 + t[252 + m]) * 3));
        range |= gq_put_fp16(y + 52, d);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- Q8_K */

FQ_INLINE int gq_q8_k(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0, range = 0;
    for (i = 0; i < nb; i++, x += 256, y += 292) {
        float hi, lo, mx, iscale, d;
        int8_t *qs = (int8_t *) (y + 4);
        int j, bad = 0, nf = gq_range(x, 256, &hi, &lo);
        nonfinite |= nf;
        if (nf) continue;
        mx = gq_signed_absmax(x, 256, hi, lo);
        if (mx == 0.0f) {                                     /* !amax: d = 0, codes 0 */
            memset(y, 0, 292);
            continue;
        }
        iscale = -127.0f / mx;
        /* the products are monotone in x: the extremes bound every nearest_int argument */
        gq_nearest(iscale * hi, &bad);
        gq_nearest(iscale * lo, &bad);
        if (bad) {
            range = GQ_RANGE;
            continue;
        }
#if defined(GQ_AVX2)
        {
            __m256 vs = _mm256_set1_ps(iscale), magic = _mm256_set1_ps(GV_MAGIC);
            __m256i top = _mm256_set1_epi32(127);
            for (j = 0; j < 256; j += 32) {
                __m256i t[4];
                int k;
                for (k = 0; k < 4; k++) {
                    __m256 v = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), vs), magic), magic);
                    t[k] = _mm256_min_epi32(_mm256_cvttps_epi32(v), top);
                }
                /* the two sums of 16 codes of these 32 */
                {
                    __m256i s01 = _mm256_add_epi32(t[0], t[1]), s23 = _mm256_add_epi32(t[2], t[3]);
                    __m256i h = _mm256_hadd_epi32(s01, s23);          /* pairs, per 128-bit lane */
                    __m128i a = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
                    a = _mm_hadd_epi32(a, a);
                    y[260 + j / 8] = (uint8_t) (_mm_cvtsi128_si32(a) & 0xFF);
                    y[261 + j / 8] = (uint8_t) ((_mm_cvtsi128_si32(a) >> 8) & 0xFF);
                    y[262 + j / 8] = (uint8_t) (_mm_extract_epi32(a, 1) & 0xFF);
                    y[263 + j / 8] = (uint8_t) ((_mm_extract_epi32(a, 1) >> 8) & 0xFF);
                }
                _mm256_storeu_si256((__m256i *) (qs + j), gq_pack_i8x32(t[0], t[1], t[2], t[3]));
            }
        }
        d = 1.0f / iscale;
        memcpy(y, &d, 4);
        continue;
#elif defined(GQ_SSE2)
        {
            __m128 vs = _mm_set1_ps(iscale), magic = _mm_set1_ps(GV_MAGIC);
            __m128i top = _mm_set1_epi32(127);
            for (j = 0; j < 256; j += 16) {
                __m128i t[4];
                int k;
                for (k = 0; k < 4; k++) {
                    __m128 v = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(_mm_loadu_ps(x + j + 4 * k), vs), magic), magic);
                    __m128i q = _mm_cvttps_epi32(v);
                    __m128i gt = _mm_cmpgt_epi32(q, top);
                    t[k] = _mm_or_si128(_mm_and_si128(gt, top), _mm_andnot_si128(gt, q));
                }
                _mm_storeu_si128((__m128i *) (qs + j), _mm_packs_epi16(_mm_packs_epi32(t[0], t[1]), _mm_packs_epi32(t[2], t[3])));
            }
        }
#else
        for (j = 0; j < 256; j++) {
            int v = (int) ((iscale * x[j] + GV_MAGIC) - GV_MAGIC);
            qs[j] = (int8_t) (v < 127 ? v : 127);
        }
#endif
        d = 1.0f / iscale;
        memcpy(y, &d, 4);                                     /* float32, little-endian hosts */
        for (j = 0; j < 16; j++) {
            int s = 0, k;
            for (k = 0; k < 16; k++) s += qs[16 * j + k];
            y[260 + 2 * j] = (uint8_t) (s & 0xFF);
            y[261 + 2 * j] = (uint8_t) ((s >> 8) & 0xFF);
        }
    }
    return nonfinite ? GQ_NONFINITE : range;
}

#endif
