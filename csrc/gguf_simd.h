/* AVX2 building blocks of the GGUF decoders (the v3 build; __AVX2__ and __F16C__ guard them).
 *
 * Every helper is the float32 operation of the plain C (and of NumPy): small integers are
 * converted exactly, then one IEEE multiply (and one add or subtract, never fused) per value.
 * fp16 block scales are converted with F16C, which is exact for every finite value and for
 * +-inf; it sets the quiet bit of a signalling NaN, but blocks with a NaN scale are rewritten
 * by fq_canon_nan anyway, so no output bit depends on it.
 */
#ifndef FQ_GGUF_SIMD_H
#define FQ_GGUF_SIMD_H

#include "fq_half.h"

#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>
#define FQ_GGUF_AVX2 1

/* the fp16 scale at p (little-endian, any alignment) */
FQ_INLINE float fq_scale16(const uint8_t *p) {
    return _cvtsh_ss(fq_le16(p));
}

/* y[0:8] = d * (float)q[0:8] for 8 int32 */
FQ_INLINE void fq_st_mul8(float *y, __m256 d, __m256i q) {
    _mm256_storeu_ps(y, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
}

/* y[0:16] = d * q for 16 signed bytes */
FQ_INLINE void fq_mul16_i8(float *y, __m256 d, __m128i q) {
    fq_st_mul8(y, d, _mm256_cvtepi8_epi32(q));
    fq_st_mul8(y + 8, d, _mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q, q)));
}

/* y[0:16] = d * q + m for 16 unsigned bytes (two roundings) */
FQ_INLINE void fq_muladd16_u8(float *y, __m256 d, __m256 m, __m128i q) {
    __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
    __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(q, q)));
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(d, a), m));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(d, b), m));
}

/* y[0:16] = d * q - m for 16 unsigned bytes (two roundings) */
FQ_INLINE void fq_mulsub16_u8(float *y, __m256 d, __m256 m, __m128i q) {
    __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
    __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(q, q)));
    _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(d, a), m));
    _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(d, b), m));
}

/* the low and high nibbles of 16 bytes */
FQ_INLINE __m128i fq_lo4(__m128i q) {
    return _mm_and_si128(q, _mm_set1_epi8(15));
}

FQ_INLINE __m128i fq_hi4(__m128i q) {
    return _mm_and_si128(_mm_srli_epi16(q, 4), _mm_set1_epi8(15));
}

/* 2-bit field `shift / 2` of 16 bytes (shift in 0, 2, 4, 6) */
FQ_INLINE __m128i fq_bits2(__m128i q, int shift) {
    return _mm_and_si128(_mm_srl_epi16(q, _mm_cvtsi32_si128(shift)), _mm_set1_epi8(3));
}

/* 32 bytes, byte j = 0xFF if bit j of x is set, else 0 */
FQ_INLINE __m256i fq_bits_to_bytes32(uint32_t x) {
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
                                             0x0101010101010101LL, 0x0000000000000000LL);
    const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(b, sel), sel);
}

/* 8 int32 lanes, lane j = 0x80000000 if bit j of s is set, else 0: the sign flips of 8 values */
FQ_INLINE __m256i fq_sign_mask8(unsigned s) {
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i b = _mm256_and_si256(_mm256_set1_epi32((int)s), sel);
    return _mm256_slli_epi32(_mm256_cmpeq_epi32(b, sel), 31);
}

/* 8 unsigned bytes at p as floats */
FQ_INLINE __m256 fq_u8x8(const uint8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* 4 + 4 unsigned bytes at p and q as 8 floats */
FQ_INLINE __m256 fq_u8x4x2(const uint8_t *p, const uint8_t *q) {
    __m128i b = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)fq_le32(p)), _mm_cvtsi32_si128((int)fq_le32(q)));
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
}

/* y[0:8] = (db * g) ^ sign flips (g: 8 floats) */
FQ_INLINE void fq_st_signed8(float *y, __m256 db, __m256 g, unsigned signs) {
    __m256 v = _mm256_mul_ps(db, g);
    _mm256_storeu_ps(y, _mm256_xor_ps(v, _mm256_castsi256_ps(fq_sign_mask8(signs))));
}

#endif
#endif
