/* (min, max, all finite) of a float32 array in one vectorized pass: fq_range(s, n, &lo, &hi)
 * returns 1 when every element is finite. lo/hi are exact for finite data; which of -0.0 and
 * 0.0 is reported may differ between builds (callers must not care: no scale does).
 *
 * x86-64-v3 build: integer min/max over order-preserving keys of the float bits (integer
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

#if !defined(__AVX2__) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_RANGE_SSE2 1
#endif

FQ_INLINE int32_t fq_float_key(int32_t bits) { return bits ^ ((bits >> 31) & 0x7FFFFFFF); }

FQ_INLINE int fq_range(const float *s, ptrdiff_t n, float *lo_out, float *hi_out) {
#if defined(FQ_RANGE_SSE2)
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
