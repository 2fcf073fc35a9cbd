/* Sign-bit packing, explicit SSE2 on x86-64 with a scalar fallback elsewhere.
 *
 * 16 floats become 2 bytes: compare x > 0 four lanes at a time, narrow the masks with
 * saturating packs (exact: they are 0 or -1) and collect one bit per float with movemask.
 * Reversing the lanes first puts the first float of each group of 8 into bit 7 (MSB first,
 * NumPy packbits order). NaN is collected in the same pass with an unordered compare.
 *
 * -DFQ_NO_SIMD builds the scalar fallback on x86 too, to test it against the twins.
 */
#ifndef FQ_SIGNBITS_SIMD_H
#define FQ_SIGNBITS_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_SIGNBITS_SSE2 1
#endif

/* Bits x > 0 of the first k (<= 8) floats of s, MSB first, zero padded; NaN sets *nan. */
static inline uint8_t fq_signbits_byte(const float *s, ptrdiff_t k, int *nan)
{
    uint8_t b = 0;
    int bad = 0;
    ptrdiff_t j;
    for (j = 0; j < k; j++) {
        float v = s[j];
        bad |= v != v;
        b |= (uint8_t)((v > 0.0f) << (7 - j));
    }
    *nan |= bad;
    return b;
}

/* d[i] = (bits x > 0 of s[8i .. 8i+7], MSB first) ^ flip for i < nbytes; s holds 8 * nbytes
 * floats. Returns 1 if they include a NaN (d is then unspecified), else 0. */
static inline int fq_signbits_pack(const float *s, uint8_t *d, ptrdiff_t nbytes, uint8_t flip)
{
    ptrdiff_t i = 0;
    int nan = 0;
#ifdef FQ_SIGNBITS_SSE2
    const __m128 zero = _mm_setzero_ps();
    const int flip2 = flip | (flip << 8);
    __m128 bad = _mm_setzero_ps();
    for (; i + 2 <= nbytes; i += 2) {
        const float *p = s + 8 * i;
        __m128 v0 = _mm_loadu_ps(p), v1 = _mm_loadu_ps(p + 4);
        __m128 v2 = _mm_loadu_ps(p + 8), v3 = _mm_loadu_ps(p + 12);
        /* lanes reversed: 0x1B maps lane j to lane 3 - j */
        __m128i m0 = _mm_shuffle_epi32(_mm_castps_si128(_mm_cmpgt_ps(v0, zero)), 0x1B);
        __m128i m1 = _mm_shuffle_epi32(_mm_castps_si128(_mm_cmpgt_ps(v1, zero)), 0x1B);
        __m128i m2 = _mm_shuffle_epi32(_mm_castps_si128(_mm_cmpgt_ps(v2, zero)), 0x1B);
        __m128i m3 = _mm_shuffle_epi32(_mm_castps_si128(_mm_cmpgt_ps(v3, zero)), 0x1B);
        /* bytes: floats 7..0 then 15..8, so movemask bit 7 is float 0, bit 15 float 8 */
        __m128i b = _mm_packs_epi16(_mm_packs_epi32(m1, m0), _mm_packs_epi32(m3, m2));
        int bits = _mm_movemask_epi8(b) ^ flip2;
        bad = _mm_or_ps(bad, _mm_or_ps(_mm_cmpunord_ps(v0, v1), _mm_cmpunord_ps(v2, v3)));
        d[i] = (uint8_t)bits;
        d[i + 1] = (uint8_t)(bits >> 8);
    }
    nan = _mm_movemask_ps(bad) != 0;
#endif
    for (; i < nbytes; i++)
        d[i] = fq_signbits_byte(s + 8 * i, 8, &nan) ^ flip;
    return nan;
}

#endif
