/* (min, max, all finite) of a float32 array in one vectorized pass: fq_range(s, n, &lo, &hi)
 * returns 1 when every element is finite. lo/hi are exact for finite data; which of -0.0 and
 * 0.0 is reported may differ between builds (callers must not care: no scale does).
 *
 * x86-64-v3 and v4 builds: minps/maxps on 8 lanes, four accumulators each, and the largest
 * |bits| as an integer (at least 0x7F800000 exactly for inf and NaN). A 16-lane version was
 * measured slower on Zen 4 (0.053 vs 0.046 ns per value from L3, even with aligned loads). (A NaN may hide in lo/hi there, but
 * then the data are reported non-finite, and lo/hi are not used.)
 *
 * Plain C elsewhere: integer min/max over order-preserving keys of the float bits (integer
 * reductions auto-vectorize without -ffast-math; keys of inf/NaN lie at or beyond those of
 * +-inf, so the same pass finds them). SSE2 has no 32-bit integer min, so there: minps/maxps
 * on eight accumulators, and a running sum of (v - v), which stays 0 until an inf or NaN.
 */
#ifndef FQ_RANGE_H
#define FQ_RANGE_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>
#define FQ_RANGE_AVX2 1
#elif defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define FQ_RANGE_SSE2 1
#endif

FQ_INLINE int32_t fq_float_key(int32_t bits) { return bits ^ ((bits >> 31) & 0x7FFFFFFF); }

/* the scalar tail of the vector paths: folds s[i..n) into lo/hi; returns 0 on inf or NaN */
FQ_INLINE int fq_range_tail(const float *s, ptrdiff_t i, ptrdiff_t n, float *lo, float *hi) {
    int finite = 1;
    for (; i < n; i++) {
        float v = s[i];
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
        finite &= (v - v) == 0.0f;
    }
    return finite;
}

FQ_INLINE int fq_range(const float *s, ptrdiff_t n, float *lo_out, float *hi_out) {
#if defined(FQ_RANGE_AVX2)
    /* vector loads from the first 64-byte boundary on (NumPy's large arrays start 16 bytes
     * past one; loads that straddle two lines cost about 10% here) */
    ptrdiff_t i = ((uintptr_t)s & 3) ? 0 : (ptrdiff_t)(((64 - ((uintptr_t)s & 63)) & 63) >> 2);
    float lo = s[0], hi = s[0];
    int finite = fq_range_tail(s, 0, i < n ? i : n, &lo, &hi);
    if (n - i >= 32) {
        const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
        __m256 l0 = _mm256_loadu_ps(s + i), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
        __m256i m0 = _mm256_setzero_si256(), m1 = m0;
        float tl[8], th[8];
        int32_t tm[8];
        int k;
        for (; i + 32 <= n; i += 32) {
            __m256 a = _mm256_loadu_ps(s + i), b = _mm256_loadu_ps(s + i + 8);
            __m256 c = _mm256_loadu_ps(s + i + 16), d = _mm256_loadu_ps(s + i + 24);
            l0 = _mm256_min_ps(l0, a); h0 = _mm256_max_ps(h0, a);
            l1 = _mm256_min_ps(l1, b); h1 = _mm256_max_ps(h1, b);
            l2 = _mm256_min_ps(l2, c); h2 = _mm256_max_ps(h2, c);
            l3 = _mm256_min_ps(l3, d); h3 = _mm256_max_ps(h3, d);
            m0 = _mm256_max_epi32(m0, _mm256_max_epi32(_mm256_and_si256(_mm256_castps_si256(a), mag),
                                                       _mm256_and_si256(_mm256_castps_si256(b), mag)));
            m1 = _mm256_max_epi32(m1, _mm256_max_epi32(_mm256_and_si256(_mm256_castps_si256(c), mag),
                                                       _mm256_and_si256(_mm256_castps_si256(d), mag)));
        }
        _mm256_storeu_ps(tl, _mm256_min_ps(_mm256_min_ps(l0, l1), _mm256_min_ps(l2, l3)));
        _mm256_storeu_ps(th, _mm256_max_ps(_mm256_max_ps(h0, h1), _mm256_max_ps(h2, h3)));
        _mm256_storeu_si256((__m256i *)tm, _mm256_max_epi32(m0, m1));
        for (k = 0; k < 8; k++) {
            lo = tl[k] < lo ? tl[k] : lo;
            hi = th[k] > hi ? th[k] : hi;
            finite &= tm[k] < 0x7F800000;
        }
    }
    if (i < n) finite &= fq_range_tail(s, i, n, &lo, &hi);
    *lo_out = lo;
    *hi_out = hi;
    return finite;
#elif defined(FQ_RANGE_SSE2)
    ptrdiff_t i = 0;
    float lo = s[0], hi = s[0], z = 0.0f;
    if (n >= 16) {
        __m128 l0 = _mm_loadu_ps(s), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
        __m128 z0 = _mm_setzero_ps(), z1 = z0;
        float tl[4], th[4], tz[4];
        int k;
        for (; i + 16 <= n; i += 16) {
            __m128 a = _mm_loadu_ps(s + i), b = _mm_loadu_ps(s + i + 4);
            __m128 c = _mm_loadu_ps(s + i + 8), d = _mm_loadu_ps(s + i + 12);
            l0 = _mm_min_ps(l0, a); h0 = _mm_max_ps(h0, a);
            l1 = _mm_min_ps(l1, b); h1 = _mm_max_ps(h1, b);
            l2 = _mm_min_ps(l2, c); h2 = _mm_max_ps(h2, c);
            l3 = _mm_min_ps(l3, d); h3 = _mm_max_ps(h3, d);
            z0 = _mm_add_ps(z0, _mm_add_ps(_mm_sub_ps(a, a), _mm_sub_ps(b, b)));
            z1 = _mm_add_ps(z1, _mm_add_ps(_mm_sub_ps(c, c), _mm_sub_ps(d, d)));
        }
        _mm_storeu_ps(tl, _mm_min_ps(_mm_min_ps(l0, l1), _mm_min_ps(l2, l3)));
        _mm_storeu_ps(th, _mm_max_ps(_mm_max_ps(h0, h1), _mm_max_ps(h2, h3)));
        _mm_storeu_ps(tz, _mm_add_ps(z0, z1));
        lo = tl[0]; hi = th[0];
        for (k = 0; k < 4; k++) {
            lo = tl[k] < lo ? tl[k] : lo;
            hi = th[k] > hi ? th[k] : hi;
            z += tz[k];
        }
    }
    for (; i < n; i++) {
        float v = s[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        z += v - v;
    }
    *lo_out = lo;
    *hi_out = hi;
    return z == 0.0f;
#else
    ptrdiff_t i;
    int32_t lo = 0x7FFFFFFF, hi = -0x7FFFFFFF - 1, k;
    for (i = 0; i < n; i++) {
        int32_t bits;
        memcpy(&bits, s + i, 4);
        k = fq_float_key(bits);
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    k = fq_float_key(lo);
    memcpy(lo_out, &k, 4);
    k = fq_float_key(hi);
    memcpy(hi_out, &k, 4);
    /* keys of -inf and +inf: bits 0xFF800000 and 0x7F800000 */
    return lo > -2139095041 && hi < 2139095040;
#endif
}

#endif
