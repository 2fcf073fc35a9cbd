/* Calibrated int8/uint8 embeddings (SPEC 10, sentence-transformers' codec): per-dimension
 * starts and steps, q = clip(floor((x - start) / step), 0, 255), decoded to the bucket centre
 * start + (q + 0.5) * step. All float32, in the order of the NumPy twins
 * (fastquant/_twins/ranges8.py); -ffp-contract=off keeps multiply-adds unfused.
 *
 * Parameters come "tiled": st/sp/rc hold the starts, steps and reciprocals of D dimensions
 * repeated to a period P (a multiple of D, >= FQ_R8_BLOCK unless D is larger), so that a run
 * of consecutive elements maps to consecutive parameters and short rows (small D) still give
 * long vector loops. Element i of a (rows, D) array then uses parameter i mod P.
 *
 * ---- Encoding by multiplication, exactly ----------------------------------------------------
 * The twin computes z = fl(d / step) with d = fl(x - start), then floor and clip to [0, 255].
 * A division per element makes the loop compute-bound, so the kernel computes y = fl(d * r)
 * with r = fl(1 / step) and proves, per block, that floor gives the same code:
 *
 *   Let t = d / step exactly and u = 2**-24. r = (1 / step)(1 + e1), y = d r (1 + e2),
 *   z = t (1 + e3), |ei| <= u, as long as r, y and z are normal floats (r is: a finite step is
 *   at most FLT_MAX / 255 < 2**126, so r >= 2**-126 unless 1 / step overflows, and then the
 *   kernel divides; y or z subnormal means |t| < 2**-125, where both give code 0).
 *   Hence |y - z| <= |t| (3u + u**2).
 *
 *   floor and clip to [0, 255] commute (the bounds are integers), and floor(w) for w clamped
 *   to [0.5, 255.5] is the clipped floor of y itself: y < 0.5 gives 0, y >= 255 gives 255
 *   (NaN also gives 0.5, i.e. 0; NaN is reported separately). So the codes of y and z differ
 *   only when an integer k lies between them: min(y, z) < k <= max(y, z). Negative values all
 *   give 0 (y and z have the sign of t), values >= 255 all give 255, so only k in 1..255
 *   matters; then |t| < 255 (1 + 4u) and |y - z| < 255.001 * 3u < 2**-14 =: S.
 *   - y >= k > z: the fraction e = w - floor(w) = y - k < S;
 *   - y < k <= z: e = y - (k - 1) > 1 - S.
 *   So a block in which no element has e < S or e > 1 - S gives exactly the twin's codes;
 *   any other block is recomputed with true divisions. (w - floor(w) is exact: w in
 *   [0.5, 255.5], floor(w) an integer of the same or lower binade.) For random data about
 *   2 S = 1.2e-4 of the elements are flagged, i.e. about 3% of 256-element blocks.
 *   A zero step is 1 (SPEC), r = 1 exactly, y = z.
 *
 * Truncation (cvttps2dq, a C cast) is floor here because w >= 0.5 > 0.
 *
 * AVX2 in the x86-64-v3 build, SSE2 in the baseline build on x86-64, plain C elsewhere (and
 * for tails); -DFQ_NO_SIMD builds the plain C everywhere, to test it against the twins. All
 * give the same bits: max/min with the clamp bounds as the second operand give the bound for
 * NaN as the C ternaries do, and truncation of w in [0.5, 255.5] is exact.
 */
#ifndef FQ_RANGES8_SIMD_H
#define FQ_RANGES8_SIMD_H

#include "fq_inline.h"

#include <float.h>
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
#define FQ_R8_SLACK (1.0f / 16384.0f) /* S = 2**-14 of the proof above */

/* Status bits of fq_r8_params (a NaN, a non-finite bound or step, a minimum above its maximum)
 * and of the encoders (a NaN in the input; bit 1 says some block was divided: diagnostics). */
#define FQ_R8_NAN 1
#define FQ_R8_DIVIDED 2
#define FQ_R8_INF 2
#define FQ_R8_ORDER 4

/* starts = lo, steps = (hi - lo) / 255 with a zero step replaced by 1, for D dimensions;
 * returns the OR of FQ_R8_NAN (a NaN bound), FQ_R8_INF (an infinite bound, or hi - lo
 * overflowing float32) and FQ_R8_ORDER (lo > hi). The outputs are written regardless. */
FQ_INLINE int fq_r8_params(const float *lo, const float *hi, ptrdiff_t D, float *st, float *sp) {
    int status = 0;
    ptrdiff_t j;
    for (j = 0; j < D; j++) {
        float a = lo[j], b = hi[j];
        float diff = b - a;
        float step = diff / 255.0f;
        if (a != a || b != b) {
            status |= FQ_R8_NAN;
        } else {
            if (!(diff - diff == 0.0f)) status |= FQ_R8_INF; /* a, b or b - a infinite */
            if (a > b) status |= FQ_R8_ORDER;
        }
        st[j] = a;
        sp[j] = step == 0.0f ? 1.0f : step;
    }
    return status;
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

/* Tile D dimensions of starts/steps (params rows) to the period P into st, sp and the
 * reciprocals rc = fl(1 / step); returns 1 when every reciprocal is finite (multiplying is
 * then allowed), else 0 (a step so small that 1 / step overflows: the encoder divides). */
FQ_INLINE int fq_r8_tile(const float *starts, const float *steps, ptrdiff_t D, ptrdiff_t P,
                         float *st, float *sp, float *rc) {
    ptrdiff_t j, k = 0;
    int finite = 1;
    for (j = 0; j < P; j++) {
        float r = 1.0f / steps[k];
        st[j] = starts[k];
        sp[j] = steps[k];
        rc[j] = r;
        finite &= r <= FLT_MAX;
        if (++k == D) k = 0;
    }
    return finite;
}

/* The period for D dimensions: D itself when D >= FQ_R8_BLOCK, else the multiple of D just
 * at or above it (so blocks of short rows are long too). D >= 1. */
FQ_INLINE ptrdiff_t fq_r8_period(ptrdiff_t D) {
    return D >= FQ_R8_BLOCK ? D : D * ((FQ_R8_BLOCK + D - 1) / D);
}

/* One block of n <= FQ_R8_BLOCK elements with parameters st/sp/rc (aligned to the block):
 * d = code ^ flip (flip 0x80 turns a uint8 code q into the int8 byte of q - 128). divide = 0
 * multiplies by rc and reports FQ_R8_DIVIDED (writing nothing useful) when the proof above
 * does not cover some element; divide = 1 divides by sp (the twin's formula). Returns
 * FQ_R8_NAN when the block holds a NaN. */
FQ_INLINE int fq_r8_encode_block(const float *s, uint8_t *d, ptrdiff_t n, const float *st,
                                 const float *sp, const float *rc, uint8_t flip, int divide) {
    ptrdiff_t i = 0;
    int nan = 0, near = 0;
#if defined(FQ_R8_AVX2)
    {
        const __m256 v05 = _mm256_set1_ps(0.5f), vtop = _mm256_set1_ps(255.5f);
        const __m256 vslack = _mm256_set1_ps(FQ_R8_SLACK), vhigh = _mm256_set1_ps(1.0f - FQ_R8_SLACK);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        const __m256i vflip = _mm256_set1_epi8((char)flip);
        __m256 vnan = _mm256_setzero_ps(), vnear = _mm256_setzero_ps();
        for (; i + 32 <= n; i += 32) {
            __m256i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                ptrdiff_t o = i + 8 * k;
                __m256 x = _mm256_sub_ps(_mm256_loadu_ps(s + o), _mm256_loadu_ps(st + o));
                __m256 y = divide ? _mm256_div_ps(x, _mm256_loadu_ps(sp + o))
                                  : _mm256_mul_ps(x, _mm256_loadu_ps(rc + o));
                __m256 w = _mm256_min_ps(_mm256_max_ps(y, v05), vtop);
                __m256 e;
                vnan = _mm256_or_ps(vnan, _mm256_cmp_ps(y, y, _CMP_UNORD_Q));
                q[k] = _mm256_cvttps_epi32(w);
                e = _mm256_sub_ps(w, _mm256_cvtepi32_ps(q[k]));
                vnear = _mm256_or_ps(vnear, _mm256_or_ps(_mm256_cmp_ps(e, vslack, _CMP_LT_OQ),
                                                         _mm256_cmp_ps(e, vhigh, _CMP_GT_OQ)));
            }
            p = _mm256_packus_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            p = _mm256_xor_si256(_mm256_permutevar8x32_epi32(p, order), vflip);
            _mm256_storeu_si256((__m256i *)(d + i), p);
        }
        nan = _mm256_movemask_ps(vnan) != 0;
        near = _mm256_movemask_ps(vnear) != 0;
    }
#elif defined(FQ_R8_SSE2)
    {
        const __m128 v05 = _mm_set1_ps(0.5f), vtop = _mm_set1_ps(255.5f);
        const __m128 vslack = _mm_set1_ps(FQ_R8_SLACK), vhigh = _mm_set1_ps(1.0f - FQ_R8_SLACK);
        const __m128i vflip = _mm_set1_epi8((char)flip);
        __m128 vnan = _mm_setzero_ps(), vnear = _mm_setzero_ps();
        for (; i + 16 <= n; i += 16) {
            __m128i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                ptrdiff_t o = i + 4 * k;
                __m128 x = _mm_sub_ps(_mm_loadu_ps(s + o), _mm_loadu_ps(st + o));
                __m128 y = divide ? _mm_div_ps(x, _mm_loadu_ps(sp + o)) : _mm_mul_ps(x, _mm_loadu_ps(rc + o));
                __m128 w = _mm_min_ps(_mm_max_ps(y, v05), vtop);
                __m128 e;
                vnan = _mm_or_ps(vnan, _mm_cmpunord_ps(y, y));
                q[k] = _mm_cvttps_epi32(w);
                e = _mm_sub_ps(w, _mm_cvtepi32_ps(q[k]));
                vnear = _mm_or_ps(vnear, _mm_or_ps(_mm_cmplt_ps(e, vslack), _mm_cmpgt_ps(e, vhigh)));
            }
            p = _mm_packus_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
            _mm_storeu_si128((__m128i *)(d + i), _mm_xor_si128(p, vflip));
        }
        nan = _mm_movemask_ps(vnan) != 0;
        near = _mm_movemask_ps(vnear) != 0;
    }
#endif
    for (; i < n; i++) {
        float x = s[i] - st[i];
        float y = divide ? x / sp[i] : x * rc[i];
        float w = y > 0.5f ? y : 0.5f; /* NaN fails the test: 0.5 (casting NaN is undefined) */
        float e;
        int32_t q;
        w = w < 255.5f ? w : 255.5f;
        q = (int32_t)w;
        e = w - (float)q;
        nan |= y != y;
        near |= (e < FQ_R8_SLACK) | (e > 1.0f - FQ_R8_SLACK);
        d[i] = (uint8_t)((uint8_t)q ^ flip);
    }
    /* y is NaN exactly when x is: start is finite, step finite and > 0, r finite and > 0 */
    return (nan ? FQ_R8_NAN : 0) | (!divide && near ? FQ_R8_DIVIDED : 0);
}

/* Encode n elements (a whole number of rows, or any run starting at a row's start) with
 * parameters of period P; use_recip as returned by fq_r8_tile. Returns the OR of the blocks'
 * statuses (FQ_R8_NAN: a NaN in s; FQ_R8_DIVIDED: some block needed divisions). */
FQ_INLINE int fq_r8_encode(const float *s, uint8_t *d, ptrdiff_t n, const float *st,
                           const float *sp, const float *rc, ptrdiff_t P, uint8_t flip,
                           int use_recip) {
    ptrdiff_t i = 0, j = 0;
    int status = 0;
    while (i < n) {
        ptrdiff_t m = n - i, left = P - j;
        int st8;
        if (m > FQ_R8_BLOCK) m = FQ_R8_BLOCK;
        if (m > left) m = left;
        st8 = use_recip ? fq_r8_encode_block(s + i, d + i, m, st + j, sp + j, rc + j, flip, 0)
                        : FQ_R8_DIVIDED;
        if (st8 & FQ_R8_DIVIDED)
            st8 = fq_r8_encode_block(s + i, d + i, m, st + j, sp + j, rc + j, flip, 1) | FQ_R8_DIVIDED;
        status |= st8;
        i += m;
        j += m;
        if (j == P) j = 0;
    }
    return status;
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
