/* Sign-bit packing: AVX-512 in the x86-64-v4 build, AVX2 in v3, SSE2 in the baseline, a
 * scalar loop elsewhere; all give the same bits.
 *
 * SSE2: 16 floats become 2 bytes: compare x > 0 four lanes at a time, narrow the masks with
 * saturating packs (exact: they are 0 or -1) and collect one bit per float with movemask.
 * Reversing the lanes first puts the first float of each group of 8 into bit 7 (MSB first,
 * NumPy packbits order). NaN is collected in the same pass with an unordered compare.
 * AVX2: 32 floats become 4 bytes the same way; one dword permute and one byte shuffle put the
 * 32 mask bytes in the order whose movemask is MSB-first per byte.
 * AVX-512: 64 floats become 8 bytes: the compares give mask registers (bit j = float j), the
 * four 16-bit masks make a 64-bit word, whose bytes are bit-reversed with three swap steps
 * (GFNI/BITALG would do it in one instruction but are not part of x86-64-v4); the last
 * partial group of 64 uses masked loads.
 *
 * -DFQ_NO_SIMD builds the scalar fallback on x86 too, to test it against the twins.
 */
#ifndef FQ_SIGNBITS_SIMD_H
#define FQ_SIGNBITS_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define FQ_SIGNBITS_AVX512 1
#elif !defined(FQ_NO_SIMD) && defined(__AVX2__)
#include <immintrin.h>
#define FQ_SIGNBITS_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_SIGNBITS_SSE2 1
#endif
#include <string.h>

/* Every byte of x with its bits in reverse order (bit 0 <-> bit 7, ...). */
static inline uint64_t fq_reverse_bits_in_bytes(uint64_t x)
{
    x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
    x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
    return ((x >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((x & 0x0F0F0F0F0F0F0F0FULL) << 4);
}

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
#if defined(FQ_SIGNBITS_AVX512)
    const __m512 zero = _mm512_setzero_ps();
    const uint64_t flip8 = 0x0101010101010101ULL * flip;
    __mmask16 bad = 0;
    /* lanes reversed within each group of 8, so mask bit j of a byte is float 7 - j */
    const __m512i rev = _mm512_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    for (; i + 8 <= nbytes; i += 8) {
        const float *p = s + 8 * i;
        __m512 v0 = _mm512_loadu_ps(p), v1 = _mm512_loadu_ps(p + 16);
        __m512 v2 = _mm512_loadu_ps(p + 32), v3 = _mm512_loadu_ps(p + 48);
        __mmask16 m0 = _mm512_cmp_ps_mask(_mm512_permutexvar_ps(rev, v0), zero, _CMP_GT_OQ);
        __mmask16 m1 = _mm512_cmp_ps_mask(_mm512_permutexvar_ps(rev, v1), zero, _CMP_GT_OQ);
        __mmask16 m2 = _mm512_cmp_ps_mask(_mm512_permutexvar_ps(rev, v2), zero, _CMP_GT_OQ);
        __mmask16 m3 = _mm512_cmp_ps_mask(_mm512_permutexvar_ps(rev, v3), zero, _CMP_GT_OQ);
        uint64_t bits = _cvtmask64_u64(_mm512_kunpackd(_mm512_kunpackw(m3, m2), _mm512_kunpackw(m1, m0)));
        bits ^= flip8;
        memcpy(d + i, &bits, 8);
        bad |= _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v2, v3, _CMP_UNORD_Q);
    }
    if (i < nbytes) { /* the last 1..7 bytes: masked loads of the floats that exist */
        const float *p = s + 8 * i;
        ptrdiff_t left = 8 * (nbytes - i);
        uint64_t bits = 0;
        int j;
        for (j = 0; j < 4; j++) {
            ptrdiff_t r = left - 16 * j;
            __mmask16 m = (__mmask16)(r >= 16 ? 0xFFFF : r > 0 ? (1u << r) - 1 : 0);
            __m512 v = _mm512_maskz_loadu_ps(m, p + 16 * j);
            bits |= (uint64_t)_mm512_mask_cmp_ps_mask(m, v, zero, _CMP_GT_OQ) << (16 * j);
            bad |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
        }
        bits = fq_reverse_bits_in_bytes(bits) ^ flip8;
        memcpy(d + i, &bits, (size_t)(nbytes - i)); /* little-endian: byte k = floats 8k.. */
    }
    return bad != 0;
#elif defined(FQ_SIGNBITS_AVX2)
    const __m256 zero = _mm256_setzero_ps();
    /* bytes of the packed masks hold floats 0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31;
     * dwords to 4-7 0-3 12-15 8-11 ..., then each dword byte-reversed: byte b holds float
     * 8(b / 8) + 7 - b % 8, so movemask bit b is MSB-first per byte */
    const __m256i order = _mm256_setr_epi32(4, 0, 5, 1, 6, 2, 7, 3);
    const __m256i rev = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                         3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    const uint32_t flip4 = 0x01010101u * flip;
    __m256 bad = _mm256_setzero_ps();
    for (; i + 4 <= nbytes; i += 4) {
        const float *p = s + 8 * i;
        __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8);
        __m256 v2 = _mm256_loadu_ps(p + 16), v3 = _mm256_loadu_ps(p + 24);
        __m256i c0 = _mm256_castps_si256(_mm256_cmp_ps(v0, zero, _CMP_GT_OQ));
        __m256i c1 = _mm256_castps_si256(_mm256_cmp_ps(v1, zero, _CMP_GT_OQ));
        __m256i c2 = _mm256_castps_si256(_mm256_cmp_ps(v2, zero, _CMP_GT_OQ));
        __m256i c3 = _mm256_castps_si256(_mm256_cmp_ps(v3, zero, _CMP_GT_OQ));
        __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(c0, c1), _mm256_packs_epi32(c2, c3));
        uint32_t bits;
        b = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(b, order), rev);
        bits = (uint32_t)_mm256_movemask_epi8(b) ^ flip4;
        memcpy(d + i, &bits, 4);
        bad = _mm256_or_ps(bad, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q),
                                             _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
    }
    nan = _mm256_movemask_ps(bad) != 0;
#elif defined(FQ_SIGNBITS_SSE2)
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

/* Unpacking whole bytes to +-1.0 with AVX-512 (x86-64-v4): 8 bytes give 64 floats, each
 * 16-bit piece of the bit-reversed word a mask register that blends +1.0 (set) and -1.0
 * (clear): four 64-byte stores and no table loads, where the table path of signbits.pyx
 * (other builds) moves 32 bytes per byte. FQ_SIGNBITS_UNPACK is 1 where this exists. */
#if defined(FQ_SIGNBITS_AVX512)
#define FQ_SIGNBITS_UNPACK 1
static inline void fq_signbits_unpack(const uint8_t *s, float *d, ptrdiff_t nbytes, uint8_t flip)
{
    const __m512 plus = _mm512_set1_ps(1.0f), minus = _mm512_set1_ps(-1.0f);
    const uint64_t flip8 = 0x0101010101010101ULL * flip;
    ptrdiff_t i = 0;
    for (; i + 8 <= nbytes; i += 8) {
        uint64_t bits;
        memcpy(&bits, s + i, 8);
        bits = fq_reverse_bits_in_bytes(bits ^ flip8); /* bit j of byte k = float 8k + j */
        _mm512_storeu_ps(d + 8 * i, _mm512_mask_blend_ps((__mmask16)bits, minus, plus));
        _mm512_storeu_ps(d + 8 * i + 16, _mm512_mask_blend_ps((__mmask16)(bits >> 16), minus, plus));
        _mm512_storeu_ps(d + 8 * i + 32, _mm512_mask_blend_ps((__mmask16)(bits >> 32), minus, plus));
        _mm512_storeu_ps(d + 8 * i + 48, _mm512_mask_blend_ps((__mmask16)(bits >> 48), minus, plus));
    }
    for (; i < nbytes; i++) {
        uint64_t b = fq_reverse_bits_in_bytes((uint64_t)(uint8_t)(s[i] ^ flip));
        _mm256_storeu_ps(d + 8 * i, _mm256_mask_blend_ps((__mmask8)b, _mm256_set1_ps(-1.0f),
                                                         _mm256_set1_ps(1.0f)));
    }
}
#else
#define FQ_SIGNBITS_UNPACK 0
static inline void fq_signbits_unpack(const uint8_t *s, float *d, ptrdiff_t nbytes, uint8_t flip)
{
    (void)s; (void)d; (void)nbytes; (void)flip; /* not compiled: signbits.pyx uses its table */
}
#endif

#endif
