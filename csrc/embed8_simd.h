/* int8/uint8 embedding encoder, explicit SSE2 on x86-64 with a scalar fallback elsewhere.
 *
 * Written with intrinsics because GCC turns the clamp of the scalar loop into per-byte
 * selects after the float -> int8 conversion (it folds round(lo) to a constant and sinks the
 * select), which runs at half NumPy's speed. Every step is the float32 formula of the NumPy
 * twin: y = (x + add) * mul; clamp to [lo, hi]; round half to even by adding and subtracting
 * 1.5 * 2**23 (exact for |y| <= 255); convert (exact, y is integral); narrow with saturating
 * packs (exact, y is already in range).
 *
 * -DFQ_NO_SIMD builds the scalar fallback on x86 too, to test it against the twins.
 */
#ifndef FQ_EMBED8_SIMD_H
#define FQ_EMBED8_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_EMBED8_SSE2 1
#endif

/* d[i] = byte of clamp(round((s[i] + add) * mul), lo, hi) for i < n; is_signed picks the
 * int8 (-128..127) or uint8 (0..255) narrowing. Returns 1 if s holds a NaN, else 0 (d is then
 * unspecified). add = 0 gives the int8 formula x * mul: x + 0 only turns -0.0 into +0.0,
 * which rounds to the same code. */
static inline int fq_embed8_encode(const float *s, uint8_t *d, ptrdiff_t n, float add,
                                   float mul, float lo, float hi, int is_signed)
{
    const float magic = 12582912.0f;
    ptrdiff_t i = 0;
    int nan = 0;
#ifdef FQ_EMBED8_SSE2
    const __m128 vadd = _mm_set1_ps(add), vmul = _mm_set1_ps(mul);
    const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi), vmagic = _mm_set1_ps(magic);
    __m128 bad = _mm_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        __m128i q[4];
        int k;
        for (k = 0; k < 4; k++) {
            __m128 v = _mm_loadu_ps(s + i + 4 * k);
            __m128 y;
            bad = _mm_or_ps(bad, _mm_cmpunord_ps(v, v));
            y = _mm_mul_ps(_mm_add_ps(v, vadd), vmul);
            y = _mm_min_ps(_mm_max_ps(y, vlo), vhi);
            y = _mm_sub_ps(_mm_add_ps(y, vmagic), vmagic);
            q[k] = _mm_cvtps_epi32(y);
        }
        {
            __m128i w0 = _mm_packs_epi32(q[0], q[1]);
            __m128i w1 = _mm_packs_epi32(q[2], q[3]);
            __m128i b = is_signed ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
            _mm_storeu_si128((__m128i *)(d + i), b);
        }
    }
    nan = _mm_movemask_ps(bad) != 0;
#endif
    for (; i < n; i++) {
        float v = s[i];
        float y = (v + add) * mul;
        nan |= v != v;
        y = y >= lo ? y : lo; /* NaN fails the test: lo; casting NaN to int is undefined */
        y = y > hi ? hi : y;
        y = (y + magic) - magic;
        d[i] = (uint8_t)(int32_t)y;
    }
    return nan;
}

#endif
