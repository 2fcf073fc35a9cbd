/* Nibble pack/unpack, two 4-bit codes to a byte, first code in the low nibble.
 *
 * One routine for signed (int4) and unsigned (uint4, fp4) codes, told apart by off = 8 resp. 0:
 * a code byte c is valid when (c + off) mod 256 lies in [0, 15], and a nibble v unpacks to
 * (v ^ off) - off (sign extension for off = 8, v itself for off = 0).
 *
 * fq_pack_pairs(s, d, pairs) (int4) / fq_pack_nibble_pairs (unsigned):
 *     d[i] = (s[2i] & 0xF) | (s[2i+1] << 4); returns 1 when some code is invalid.
 * fq_unpack_pairs(s, d, pairs) (int4, sign-extended) / fq_unpack_nibble_pairs (unsigned):
 *     d[2i] = nibble(s[i] & 0xF), d[2i+1] = nibble(s[i] >> 4).
 * AVX2 in the x86-64-v3 build (GCC's own vectorization of the byte-pair loops needs about twice
 * the instructions); plain C loops elsewhere, which GCC vectorizes for SSE2.
 */
#ifndef FQ_NIBBLES_H
#define FQ_NIBBLES_H

#include "fq_inline.h"
#include <stddef.h>
#include <stdint.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

FQ_INLINE int fq_pack_pairs_off(const uint8_t *s, uint8_t *d, ptrdiff_t pairs, uint8_t off) {
    ptrdiff_t i = 0;
    uint8_t bad = 0;
#if defined(__AVX2__)
    const __m256i voff = _mm256_set1_epi8((char)off), high = _mm256_set1_epi8((char)0xF0);
    const __m256i low4 = _mm256_set1_epi16(0x000F), mid4 = _mm256_set1_epi16(0x00F0);
    __m256i acc = _mm256_setzero_si256();
    for (; i + 32 <= pairs; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(s + 2 * i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(s + 2 * i + 32));
        acc = _mm256_or_si256(acc, _mm256_or_si256(_mm256_add_epi8(a, voff), _mm256_add_epi8(b, voff)));
        /* 16-bit lane (b1 << 8 | b0) -> (b0 & 0xF) | ((b1 & 0xF) << 4) in its low byte */
        a = _mm256_or_si256(_mm256_and_si256(a, low4), _mm256_and_si256(_mm256_srli_epi16(a, 4), mid4));
        b = _mm256_or_si256(_mm256_and_si256(b, low4), _mm256_and_si256(_mm256_srli_epi16(b, 4), mid4));
        _mm256_storeu_si256((__m256i *)(d + i), _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
    }
    bad = !_mm256_testz_si256(acc, high);
#endif
    for (; i < pairs; i++) {
        uint8_t a = s[2 * i], b = s[2 * i + 1];
        bad |= ((uint8_t)(a + off) > 15) | ((uint8_t)(b + off) > 15);
        d[i] = (uint8_t)((a & 0xF) | (uint8_t)(b << 4));
    }
    return bad;
}

FQ_INLINE void fq_unpack_pairs_off(const uint8_t *s, uint8_t *d, ptrdiff_t pairs, uint8_t off) {
    ptrdiff_t i = 0;
#if defined(__AVX2__)
    const __m256i low4 = _mm256_set1_epi8(0x0F), voff = _mm256_set1_epi8((char)off);
    for (; i + 32 <= pairs; i += 32) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i lo = _mm256_sub_epi8(_mm256_xor_si256(_mm256_and_si256(u, low4), voff), voff);
        __m256i hi = _mm256_sub_epi8(
            _mm256_xor_si256(_mm256_and_si256(_mm256_srli_epi16(u, 4), low4), voff), voff);
        __m256i x0 = _mm256_unpacklo_epi8(lo, hi), x1 = _mm256_unpackhi_epi8(lo, hi);
        _mm256_storeu_si256((__m256i *)(d + 2 * i), _mm256_permute2x128_si256(x0, x1, 0x20));
        _mm256_storeu_si256((__m256i *)(d + 2 * i + 32), _mm256_permute2x128_si256(x0, x1, 0x31));
    }
#endif
    for (; i < pairs; i++) {
        uint8_t u = s[i];
        d[2 * i] = (uint8_t)(((u & 0xF) ^ off) - off);
        d[2 * i + 1] = (uint8_t)(((u >> 4) ^ off) - off);
    }
}

FQ_INLINE int fq_pack_pairs(const uint8_t *s, uint8_t *d, ptrdiff_t pairs) {
    return fq_pack_pairs_off(s, d, pairs, 8);
}

FQ_INLINE int fq_pack_nibble_pairs(const uint8_t *s, uint8_t *d, ptrdiff_t pairs) {
    return fq_pack_pairs_off(s, d, pairs, 0);
}

FQ_INLINE void fq_unpack_pairs(const uint8_t *s, int8_t *d, ptrdiff_t pairs) {
    fq_unpack_pairs_off(s, (uint8_t *)d, pairs, 8);
}

FQ_INLINE void fq_unpack_nibble_pairs(const uint8_t *s, uint8_t *d, ptrdiff_t pairs) {
    fq_unpack_pairs_off(s, d, pairs, 0);
}

#endif
