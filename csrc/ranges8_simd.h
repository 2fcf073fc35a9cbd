/* Calibrated int8/uint8 embeddings (SPEC 10, sentence-transformers' codec): per-dimension
 * starts and steps, q = clip(floor((x - start) / step), 0, 255), decoded to the bucket centre
 * start + (q + 0.5) * step. All float32, in the order of the NumPy twins
 * (fastquant/_twins/ranges8.py); -ffp-contract=off keeps multiply-adds unfused.
 *
 * Parameters come "tiled" (by ranges8.pyx): st/sp hold the starts and steps of D dimensions
 * repeated to a period P (a multiple of D, >= FQ_R8_BLOCK unless D is larger), so that a run
 * of consecutive elements maps to consecutive parameters and short rows (small D) still give
 * long vector loops. Element i of a (rows, D) array uses tiled parameter i mod P.
 *
 * The encoder divides: fl(fl(x - start) / step) per element, exactly the twin's (and
 * sentence-transformers') float32 arithmetic. Multiplying by fl(1 / step) wherever a proof
 * shows that floor cannot differ (the danger zone is near integers: |y - z| < 2**-14 for the
 * codes 1..255; blocks with a value that close to an integer redone by division) was built and
 * measured first: on this project's Zen 4 machines it was SLOWER than dividing in both builds
 * (one thread, 256 x 1024 floats in cache: 0.29 vs 0.15 ns per value on x86-64-v3, 0.56 vs
 * 0.27 on the baseline; 100k x 1024 from memory: 0.25 ns either way). divps/vdivps are
 * pipelined; the near-integer check and the fallback blocks (about 3% of 256-value blocks)
 * cost more than the division they save, and from memory the loop is bandwidth-bound anyway.
 * docs/calibrated.md has the numbers.
 *
 * Clamping before the conversion: floor and clip to [0, 255] commute (integer bounds), and for
 * w = clamp(z, 0.5, 255.5), truncation (cvttps2dq, a C cast) is floor(w), which is the clipped
 * floor of z: z < 0.5 gives 0, z >= 255 gives 255, +-inf saturate. NaN gives 0.5 too (the
 * clamps take the bound for NaN, as max/min with the bound as second operand do), so the code
 * of a NaN is 0 and no NaN is ever cast; NaN is reported separately.
 *
 * AVX2 in the x86-64-v3 build, SSE2 in the baseline build on x86-64, plain C elsewhere (and
 * for tails); -DFQ_NO_SIMD builds the plain C everywhere, to test it against the twins. All
 * give the same bits (the same IEEE operations in the same order).
 */
#ifndef FQ_RANGES8_SIMD_H
#define FQ_RANGES8_SIMD_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX2__)
#include <immintrin.h>
#define FQ_R8_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_R8_SSE2 1
#endif

#define FQ_R8_BLOCK 256

/* Status bits of fq_r8_params: a NaN bound, hi - lo not finite, a minimum above its maximum. */
#define FQ_R8_NAN 1
#define FQ_R8_INF 2
#define FQ_R8_ORDER 4

/* starts = lo, steps = (hi - lo) / 255 with a zero step replaced by 1, for D dimensions;
 * returns the OR of FQ_R8_NAN (a NaN bound), FQ_R8_INF (hi - lo not finite: an infinite
 * bound, an overflowing difference, or a NaN) and FQ_R8_ORDER (lo > hi). The outputs are
 * written regardless. Branch-free, so it vectorizes. */
FQ_INLINE int fq_r8_params(const float *lo, const float *hi, ptrdiff_t D, float *st, float *sp) {
    int nan = 0, inf = 0, order = 0;
    ptrdiff_t j;
    for (j = 0; j < D; j++) {
        float a = lo[j], b = hi[j];
        float diff = b - a;
        float step = diff / 255.0f;
        nan |= (a != a) | (b != b);
        inf |= !(diff - diff == 0.0f);
        order |= a > b;
        st[j] = a;
        sp[j] = step == 0.0f ? 1.0f : step;
    }
    return (nan ? FQ_R8_NAN : 0) | (inf ? FQ_R8_INF : 0) | (order ? FQ_R8_ORDER : 0);
}

/* Per-dimension min and max over rows >= 1 rows of D floats (row-major), zeros as +0.0;
 * returns 1 if any value is NaN (the minima and maxima are then unspecified). */
FQ_INLINE int fq_r8_minmax(const float *s, ptrdiff_t rows, ptrdiff_t D, float *mn, float *mx) {
    ptrdiff_t r, j;
    int bad = 0;
    for (j = 0; j < D; j++) {
        float v = s[j];
        mn[j] = v;
        mx[j] = v;
        bad |= v != v;
    }
    for (r = 1; r < rows; r++) {
        const float *row = s + r * D;
        int nan = 0;
        for (j = 0; j < D; j++) {
            float v = row[j];
            float a = mn[j], b = mx[j];
            mn[j] = v < a ? v : a;
            mx[j] = v > b ? v : b;
            nan |= v != v;
        }
        bad |= nan;
    }
    for (j = 0; j < D; j++) { /* -0.0 + 0.0 = +0.0: which zero a minimum keeps is no choice */
        mn[j] = mn[j] + 0.0f;
        mx[j] = mx[j] + 0.0f;
    }
    return bad;
}

/* The period for D >= 1 dimensions: D itself when D >= FQ_R8_BLOCK, else the multiple of D
 * just at or above it. */
FQ_INLINE ptrdiff_t fq_r8_period(ptrdiff_t D) {
    return D >= FQ_R8_BLOCK ? D : D * ((FQ_R8_BLOCK + D - 1) / D);
}

/* d = clip(floor((s - st) / sp), 0, 255) ^ flip for n elements with their own parameters
 * (flip 0x80 turns the uint8 code q into the int8 byte of q - 128). Returns 1 if s holds a
 * NaN (its code is then 0 ^ flip), else 0. */
FQ_INLINE int fq_r8_encode_run(const float *s, uint8_t *d, ptrdiff_t n, const float *st,
                               const float *sp, uint8_t flip) {
    ptrdiff_t i = 0;
    int nan = 0;
#if defined(FQ_R8_AVX2)
    {
        const __m256 v05 = _mm256_set1_ps(0.5f), vtop = _mm256_set1_ps(255.5f);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        const __m256i vflip = _mm256_set1_epi8((char)flip);
        __m256 vnan = _mm256_setzero_ps();
        for (; i + 32 <= n; i += 32) {
            __m256i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                ptrdiff_t o = i + 8 * k;
                __m256 z = _mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(s + o), _mm256_loadu_ps(st + o)),
                                         _mm256_loadu_ps(sp + o));
                vnan = _mm256_or_ps(vnan, _mm256_cmp_ps(z, z, _CMP_UNORD_Q));
                q[k] = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(z, v05), vtop));
            }
            /* int32 0..255 -> int16 -> uint8, exact; the packs interleave 128-bit lanes */
            p = _mm256_packus_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            p = _mm256_xor_si256(_mm256_permutevar8x32_epi32(p, order), vflip);
            _mm256_storeu_si256((__m256i *)(d + i), p);
        }
        nan = _mm256_movemask_ps(vnan) != 0;
    }
#elif defined(FQ_R8_SSE2)
    {
        const __m128 v05 = _mm_set1_ps(0.5f), vtop = _mm_set1_ps(255.5f);
        const __m128i vflip = _mm_set1_epi8((char)flip);
        __m128 vnan = _mm_setzero_ps();
        for (; i + 16 <= n; i += 16) {
            __m128i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                ptrdiff_t o = i + 4 * k;
                __m128 z = _mm_div_ps(_mm_sub_ps(_mm_loadu_ps(s + o), _mm_loadu_ps(st + o)), _mm_loadu_ps(sp + o));
                vnan = _mm_or_ps(vnan, _mm_cmpunord_ps(z, z));
                q[k] = _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(z, v05), vtop));
            }
            p = _mm_packus_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
            _mm_storeu_si128((__m128i *)(d + i), _mm_xor_si128(p, vflip));
        }
        nan = _mm_movemask_ps(vnan) != 0;
    }
#endif
    for (; i < n; i++) {
        float z = (s[i] - st[i]) / sp[i];
        float w = z > 0.5f ? z : 0.5f; /* NaN fails the test: 0.5 (casting NaN is undefined) */
        w = w < 255.5f ? w : 255.5f;
        nan |= z != z;
        d[i] = (uint8_t)((uint8_t)(int32_t)w ^ flip);
    }
    /* z is NaN exactly when s is: starts are finite, steps finite and > 0 */
    return nan;
}

/* Encode n elements (whole rows, starting at a row start) with parameters of period P;
 * returns 1 if s holds a NaN. */
FQ_INLINE int fq_r8_encode(const float *s, uint8_t *d, ptrdiff_t n, const float *st,
                           const float *sp, ptrdiff_t P, uint8_t flip) {
    ptrdiff_t i = 0;
    int nan = 0;
    while (i < n) {
        ptrdiff_t m = n - i < P ? n - i : P;
        nan |= fq_r8_encode_run(s + i, d + i, m, st, sp, flip);
        i += m;
    }
    return nan;
}

/* d = st + (float(code) + off) * sp for n codes: off = 0.5 for uint8 codes, 128.5 for int8
 * codes (float(q) + 128.5 == float(q + 128) + 0.5 exactly: both are multiples of 0.5 below
 * 2**24). Plain loops: GCC vectorizes them in every build. */
FQ_INLINE void fq_r8_decode_u8(const uint8_t *s, float *d, ptrdiff_t n, const float *st, const float *sp) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) d[i] = st[i] + ((float)s[i] + 0.5f) * sp[i];
}

FQ_INLINE void fq_r8_decode_i8(const int8_t *s, float *d, ptrdiff_t n, const float *st, const float *sp) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) d[i] = st[i] + ((float)s[i] + 128.5f) * sp[i];
}

#endif
