/* d[i] = clip(round_half_even(s[i] / scale), lo, hi) for a block of floats, bit-identical to
 * the twins' float32 division, but by multiplication with inv = fl(1 / scale) wherever that
 * is provably exact (see the proof in fq_common.pxd above div_round_clamp_block).
 *
 * Written with intrinsics because GCC's auto-vectorized form of this loop (float compute,
 * int32 flag, int8 store) spills badly. AVX2 when the build targets it (the x86-64-v3 build
 * defines __AVX2__), SSE2 otherwise on x86-64, plain C elsewhere; all give the same bits:
 * clamping with max/min then cvtps2dq (round half to even in the default rounding mode) equals
 * the scalar clamp-then-(x + 1.5 * 2**23) - 1.5 * 2**23 for non-NaN x.
 */
#ifndef FQ_QUANTIZE_H
#define FQ_QUANTIZE_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define FQ_QUANTIZE_SSE2 1
#endif

FQ_INLINE float fq_round_clamp(float x, float lo, float hi) {
    const float magic = 12582912.0f;
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    return (x + magic) - magic;
}

/* Returns 1 when it had to divide (some element within the slack of a half-integer). */
FQ_INLINE int fq_div_round_clamp_block(const float *s, int8_t *d, ptrdiff_t n, float scale,
                                           float inv, float lo, float hi) {
    const float magic = 12582912.0f;
    const float slack = 0.5f - ((-lo > hi ? -lo : hi) + 1.0f) * (1.0f / 4194304.0f);
    ptrdiff_t i = 0;
    int near = 0;
    if (inv != 0.0f) {
#if defined(__AVX2__)
        /* Upper clamp in float (cvtps2dq turns large positives into INT_MIN), lower clamp on
         * the saturated bytes; values below lo either convert to something <= lo or to
         * INT_MIN, all of which clamp to lo as fl(x / s) would (an unclamped z far below lo
         * may look "near" and cost a division fallback, never a wrong code). Requires
         * -128 <= lo. */
        const __m256 vinv = _mm256_set1_ps(inv), vhi = _mm256_set1_ps(hi);
        const __m256 sign = _mm256_set1_ps(-0.0f);
        const __m256i vlo8 = _mm256_set1_epi8((char)(int)lo);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        __m256 vfar = _mm256_setzero_ps();  /* max |z - round(z)| so far */
        int k;
        if (lo >= -128.0f && hi <= 127.0f) {
            for (; i + 32 <= n; i += 32) {
                __m256i q[4];
                for (k = 0; k < 4; k++) {
                    __m256 z = _mm256_min_ps(_mm256_mul_ps(_mm256_loadu_ps(s + i + 8 * k), vinv), vhi);
                    q[k] = _mm256_cvtps_epi32(z);
                    vfar = _mm256_max_ps(vfar, _mm256_andnot_ps(sign, _mm256_sub_ps(z, _mm256_cvtepi32_ps(q[k]))));
                }
                {
                    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
                    p = _mm256_max_epi8(_mm256_permutevar8x32_epi32(p, order), vlo8);
                    _mm256_storeu_si256((__m256i *)(d + i), p);
                }
            }
            /* -inf gives z - t = -inf, |.| = +inf: "near", so such blocks divide (no NaN arises
             * from non-NaN input: z is never +inf after the clamp, t is finite) */
            near = _mm256_movemask_ps(_mm256_cmp_ps(vfar, _mm256_set1_ps(slack), _CMP_NLT_UQ)) != 0;
        }
#elif defined(FQ_QUANTIZE_SSE2)
        const __m128 vinv = _mm_set1_ps(inv), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
        const __m128 vslack = _mm_set1_ps(slack), sign = _mm_set1_ps(-0.0f);
        __m128 vnear = _mm_setzero_ps();
        for (; i + 16 <= n; i += 16) {
            __m128i q[4];
            int k;
            for (k = 0; k < 4; k++) {
                __m128 z = _mm_mul_ps(_mm_loadu_ps(s + i + 4 * k), vinv);
                __m128 t;
                z = _mm_min_ps(_mm_max_ps(z, vlo), vhi);
                q[k] = _mm_cvtps_epi32(z);
                t = _mm_cvtepi32_ps(q[k]);
                vnear = _mm_or_ps(vnear, _mm_cmpge_ps(_mm_andnot_ps(sign, _mm_sub_ps(z, t)), vslack));
            }
            _mm_storeu_si128((__m128i *)(d + i),
                             _mm_packs_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3])));
        }
        near = _mm_movemask_ps(vnear) != 0;
#endif
        for (; i < n; i++) {
            float z = s[i] * inv, t, e;
            z = z < lo ? lo : z;
            z = z > hi ? hi : z;
            t = (z + magic) - magic;
            e = z - t;
            near |= (e >= slack) | (e <= -slack);
            d[i] = (int8_t)t;
        }
        if (!near) return 0;
    }
    for (i = 0; i < n; i++) d[i] = (int8_t)fq_round_clamp(s[i] / scale, lo, hi);
    return 1;
}

#endif
