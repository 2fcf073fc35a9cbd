/* int8/uint8 embedding encoder: AVX-512 in the x86-64-v4 build, AVX2 in v3, SSE2 in the
 * baseline, a scalar loop elsewhere; all give the same bits.
 *
 * Written with intrinsics because GCC turns the clamp of the scalar loop into per-byte
 * selects after the float -> int8 conversion (it folds round(lo) to a constant and sinks the
 * select), which runs at half NumPy's speed. Every step is the float32 formula of the NumPy
 * twin: y = (x + add) * mul; clamp to [lo, hi]; round half to even; narrow. These encoders
 * multiply (by 127 or 127.5, exactly the twin's factor), so no proof or fallback is needed.
 * The vector paths clamp only the top in float (min(hi, y) keeps a NaN: it returns its second
 * operand when either is NaN), convert with the default rounding (half to even, exact: the
 * values are < 2**31; below -2**31 the conversion gives INT_MIN, which saturates to lo like
 * the clamp would), and narrow with saturating packs, which do the bottom clamp: lo and hi
 * are the full int8 / uint8 ranges. NaN is found by summing the clamped values: they are at
 * most hi, so the sum is NaN exactly when one of them is (-inf sums stay -inf).
 *
 * -DFQ_NO_SIMD builds the scalar fallback on x86 too, to test it against the twins.
 */
#ifndef FQ_EMBED8_SIMD_H
#define FQ_EMBED8_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#define FQ_EMBED8_AVX512 1
#elif !defined(FQ_NO_SIMD) && defined(__AVX2__)
#include <immintrin.h>
#define FQ_EMBED8_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_EMBED8_SSE2 1
#endif

/* The scalar formula for s[i..n), as the twin computes it; returns 1 on a NaN. */
static inline int fq_embed8_scalar(const float *s, uint8_t *d, ptrdiff_t i, ptrdiff_t n,
                                   float add, float mul, float lo, float hi) {
    const float magic = 12582912.0f;
    int nan = 0;
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

/* d[i] = byte of clamp(round((s[i] + add) * mul), lo, hi) for i < n; is_signed picks the
 * int8 (-128..127) or uint8 (0..255) narrowing. Returns 1 if s holds a NaN, else 0 (d is then
 * unspecified). add = 0 gives the int8 formula x * mul: x + 0 only turns -0.0 into +0.0,
 * which rounds to the same code (the vector paths skip the addition then). */
static inline int fq_embed8_encode(const float *s, uint8_t *d, ptrdiff_t n, float add,
                                   float mul, float lo, float hi, int is_signed)
{
    ptrdiff_t i = 0;
    int nan = 0;
    if (!(is_signed ? lo == -128.0f && hi == 127.0f : lo == 0.0f && hi == 255.0f))
        return fq_embed8_scalar(s, d, 0, n, add, mul, lo, hi); /* the packs clamp the full range only */
#if defined(FQ_EMBED8_AVX512)
    const __m512 vadd = _mm512_set1_ps(add), vmul = _mm512_set1_ps(mul), vhi = _mm512_set1_ps(hi);
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512 acc[4];
    int j;
    for (j = 0; j < 4; j++) acc[j] = _mm512_setzero_ps();
    for (; i + 64 <= n; i += 64) {
        __m512i k[4], p;
        for (j = 0; j < 4; j++) {
            __m512 v = _mm512_loadu_ps(s + i + 16 * j);
            __m512 y = _mm512_mul_ps(add != 0.0f ? _mm512_add_ps(v, vadd) : v, vmul);
            y = _mm512_min_ps(vhi, y);
            acc[j] = _mm512_add_ps(acc[j], y);
            k[j] = _mm512_cvtps_epi32(y);
        }
        {
            __m512i w0 = _mm512_packs_epi32(k[0], k[1]), w1 = _mm512_packs_epi32(k[2], k[3]);
            p = is_signed ? _mm512_packs_epi16(w0, w1) : _mm512_packus_epi16(w0, w1);
            _mm512_storeu_si512((void *)(d + i), _mm512_permutexvar_epi32(order, p));
        }
    }
    for (; i < n; i += 16) { /* masked tail: 16 lanes at a time */
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, s + i);
        __m512 y = _mm512_mul_ps(add != 0.0f ? _mm512_add_ps(v, vadd) : v, vmul);
        __m512i k;
        y = _mm512_max_ps(_mm512_set1_ps(lo), _mm512_min_ps(vhi, y));
        acc[0] = _mm512_add_ps(acc[0], y);
        k = _mm512_cvtps_epi32(y);
        _mm512_mask_cvtepi32_storeu_epi8(d + i, m, k);
    }
    acc[0] = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    return _mm512_cmp_ps_mask(acc[0], acc[0], _CMP_UNORD_Q) != 0;
#elif defined(FQ_EMBED8_AVX2)
    const __m256 vadd = _mm256_set1_ps(add), vmul = _mm256_set1_ps(mul), vhi = _mm256_set1_ps(hi);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256 acc[4];
    int j;
    for (j = 0; j < 4; j++) acc[j] = _mm256_setzero_ps();
    for (; i + 32 <= n; i += 32) {
        __m256i k[4], p;
        for (j = 0; j < 4; j++) {
            __m256 v = _mm256_loadu_ps(s + i + 8 * j);
            __m256 y = _mm256_mul_ps(add != 0.0f ? _mm256_add_ps(v, vadd) : v, vmul);
            y = _mm256_min_ps(vhi, y);
            acc[j] = _mm256_add_ps(acc[j], y);
            k[j] = _mm256_cvtps_epi32(y);
        }
        {
            __m256i w0 = _mm256_packs_epi32(k[0], k[1]), w1 = _mm256_packs_epi32(k[2], k[3]);
            p = is_signed ? _mm256_packs_epi16(w0, w1) : _mm256_packus_epi16(w0, w1);
            _mm256_storeu_si256((__m256i *)(d + i), _mm256_permutevar8x32_epi32(p, order));
        }
    }
    acc[0] = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    nan = _mm256_movemask_ps(_mm256_cmp_ps(acc[0], acc[0], _CMP_UNORD_Q)) != 0;
#elif defined(FQ_EMBED8_SSE2)
    const float magic = 12582912.0f;
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
    return nan | fq_embed8_scalar(s, d, i, n, add, mul, lo, hi);
}

#endif
