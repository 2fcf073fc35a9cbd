/* Small float formats to float32, exactly (the decode direction only):
 *
 *   fq_half_to_float   IEEE binary16 (fp16) bits -> float32: every value exact, subnormals
 *                      included; +-inf stays +-inf and a NaN keeps its sign and payload
 *                      (mantissa << 13, quiet bit untouched), as NumPy's float16 -> float32 cast.
 *   fq_bf16_to_float   bfloat16 bits -> float32: the bits shifted left by 16.
 *   fq_e8m0_half       OCP E8M0 scale byte -> 2**(e - 128) (half of 2**(e - 127), the value the
 *                      GGUF MXFP4 decoder multiplies with; e = 255 gives 2**127, not NaN).
 *   fq_ue4m3_half      unsigned E4M3 (bias 7) byte -> half its value, 0x00 and 0x7F -> 0 (the
 *                      NVFP4 sub-block scale of GGUF; bit 7 is ignored except in 0x7F vs 0xFF).
 *
 * All are integer bit manipulation (plus one exact int -> float conversion for fp16
 * subnormals), so every build gives the same bits. F16C's conversion sets the quiet bit of a
 * signalling NaN where NumPy's cast does not, so fq_half_to_float_n (n values, AVX2 on the
 * v3 build) uses it only for runs of 16 values without inf, NaN or subnormals.
 */
#ifndef FQ_HALF_H
#define FQ_HALF_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX2__)
#include <immintrin.h>
#define FQ_HALF_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define FQ_HALF_SSE2 1
#endif

/* The decoders' byte input and float output never overlap (the wrapper checks out=): saying
 * so lets the compiler vectorize the plain C loops (a uint8_t pointer may alias anything). */
#define FQ_RESTRICT __restrict

FQ_INLINE float fq_bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

FQ_INLINE uint32_t fq_float_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Little-endian loads from byte pointers of any alignment (GGUF is little-endian). */
FQ_INLINE uint16_t fq_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

FQ_INLINE uint32_t fq_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* fp16 bits -> float32 bits. Normal: exponent rebiased by 127 - 15 = 112. Subnormal
 * (m * 2**-24, m < 1024): the int -> float conversion of m is exact and so is the scaling by
 * a power of two, done here on the exponent field. Inf/NaN: all exponent bits set, the
 * mantissa moved up unchanged. Branch-free so that loops over it vectorize. */
FQ_INLINE uint32_t fq_half_bits(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t em = h & 0x7fffu;
    uint32_t normal = (em << 13) + 0x38000000u;
    uint32_t special = (em << 13) | 0x7f800000u;
    /* (float)em has exponent field E with em = 1.f * 2**(E - 127); m * 2**-24 = 2**(E-151) */
    uint32_t sub = fq_float_to_bits((float)(int32_t)em) - (24u << 23);
    uint32_t r = em >= 0x7c00u ? special : normal;
    r = em < 0x0400u ? (em ? sub : 0u) : r;
    return r | sign;
}

FQ_INLINE float fq_half_to_float(uint16_t h) {
    return fq_bits_to_float(fq_half_bits(h));
}

/* Whether fp16 bits are +-inf or NaN (exponent all ones). */
FQ_INLINE int fq_half_nonfinite(uint16_t h) {
    return (h & 0x7c00u) == 0x7c00u;
}

FQ_INLINE float fq_bf16_to_float(uint16_t h) {
    return fq_bits_to_float((uint32_t)h << 16);
}

FQ_INLINE float fq_e8m0_half(uint8_t e) {
    return fq_bits_to_float(e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23);
}

/* half of (1 + m/8) * 2**(x - 7) (normal) or m * 2**-9 (x = 0): every value is m' * 2**k with
 * m' < 16, so it is built exactly from the bits: 0.5 * m * 2**-9 = m * 2**-10 for x = 0, and
 * for x >= 1 the float32 with exponent x - 7 - 1 and mantissa m << 20. */
FQ_INLINE float fq_ue4m3_half(uint8_t b) {
    uint32_t x = (b >> 3) & 0xFu, m = b & 7u;
    if (b == 0 || b == 0x7F) return 0.0f;
    if (x == 0) return (float)(int32_t)m * 0.0009765625f; /* m * 2**-10, exact */
    return fq_bits_to_float(((x + 127u - 8u) << 23) | (m << 20));
}

#if defined(FQ_HALF_AVX2)
/* 8 fp16 (zero-extended into 32-bit lanes) -> 8 float32 bits, the integer method above */
FQ_INLINE __m256i fq_half8_bits(__m256i h) {
    const __m256i m7fff = _mm256_set1_epi32(0x7fff), m8000 = _mm256_set1_epi32(0x8000);
    const __m256i bias = _mm256_set1_epi32(0x38000000), expall = _mm256_set1_epi32(0x7f800000);
    const __m256i lim_inf = _mm256_set1_epi32(0x7bff), lim_sub = _mm256_set1_epi32(0x0400);
    const __m256i sub24 = _mm256_set1_epi32(24 << 23), zero = _mm256_setzero_si256();
    __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, m8000), 16);
    __m256i em = _mm256_and_si256(h, m7fff);
    __m256i sh = _mm256_slli_epi32(em, 13);
    __m256i normal = _mm256_add_epi32(sh, bias);
    __m256i special = _mm256_or_si256(sh, expall);
    __m256i sub = _mm256_sub_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(em)), sub24);
    __m256i r = _mm256_blendv_epi8(normal, special, _mm256_cmpgt_epi32(em, lim_inf));
    sub = _mm256_andnot_si256(_mm256_cmpeq_epi32(em, zero), sub);
    r = _mm256_blendv_epi8(r, sub, _mm256_cmpgt_epi32(lim_sub, em));
    return _mm256_or_si256(r, sign);
}
#endif

#if defined(FQ_HALF_SSE2)
/* 4 fp16 (zero-extended into 32-bit lanes) -> 4 float32 bits: the same, SSE2 selects */
FQ_INLINE __m128i fq_half4_bits(__m128i h) {
    __m128i sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
    __m128i em = _mm_and_si128(h, _mm_set1_epi32(0x7fff));
    __m128i sh = _mm_slli_epi32(em, 13);
    __m128i normal = _mm_add_epi32(sh, _mm_set1_epi32(0x38000000));
    __m128i special = _mm_or_si128(sh, _mm_set1_epi32(0x7f800000));
    __m128i sub = _mm_sub_epi32(_mm_castps_si128(_mm_cvtepi32_ps(em)), _mm_set1_epi32(24 << 23));
    __m128i is_special = _mm_cmpgt_epi32(em, _mm_set1_epi32(0x7bff));
    __m128i is_sub = _mm_cmpgt_epi32(_mm_set1_epi32(0x0400), em);
    __m128i r = _mm_or_si128(_mm_and_si128(is_special, special), _mm_andnot_si128(is_special, normal));
    sub = _mm_andnot_si128(_mm_cmpeq_epi32(em, _mm_setzero_si128()), sub);
    r = _mm_or_si128(_mm_and_si128(is_sub, sub), _mm_andnot_si128(is_sub, r));
    return _mm_or_si128(r, sign);
}
#endif

#if defined(FQ_HALF_AVX2) || defined(FQ_HALF_SSE2)
/* d[0:4] = v, streaming (d 16-byte aligned) when nt */
FQ_INLINE void fq_half_st4(float *d, __m128 v, int nt) {
    if (nt)
        _mm_stream_ps(d, v);
    else
        _mm_storeu_ps(d, v);
}
#endif

#if defined(FQ_HALF_AVX2)
FQ_INLINE void fq_half_st8(float *d, __m256 v, int nt) {
    if (nt) {
        _mm_stream_ps(d, _mm256_castps256_ps128(v));
        _mm_stream_ps(d + 4, _mm256_extractf128_ps(v, 1));
    } else {
        _mm256_storeu_ps(d, v);
    }
}
#endif

/* d[i] = fp16 s[i] as float32 for n values (s: 2n little-endian bytes, any alignment);
 * nt: streaming stores (d 16-byte aligned) for all but a tail of fewer than 8 values.
 * With F16C (the v3 build), 16 values whose exponents are neither all zeros nor all ones
 * (no subnormal, inf or NaN; zeros are fine) take the hardware conversion, exact for them;
 * the others the integer method, so every build gives the bits of fq_half_to_float. */
FQ_INLINE void fq_half_to_float_n(const uint8_t *FQ_RESTRICT s, float *FQ_RESTRICT d, ptrdiff_t n, int nt) {
    ptrdiff_t i = 0;
#if defined(FQ_HALF_AVX2)
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)(s + 2 * i));
#if defined(__F16C__)
        const __m256i mexp = _mm256_set1_epi16(0x7c00), mman = _mm256_set1_epi16(0x03ff);
        __m256i e = _mm256_and_si256(h, mexp), z = _mm256_setzero_si256();
        __m256i odd = _mm256_or_si256(_mm256_cmpeq_epi16(e, mexp),
                                      _mm256_andnot_si256(_mm256_cmpeq_epi16(_mm256_and_si256(h, mman), z),
                                                          _mm256_cmpeq_epi16(e, z)));
        if (_mm256_testz_si256(odd, odd)) {
            fq_half_st8(d + i, _mm256_cvtph_ps(_mm256_castsi256_si128(h)), nt);
            fq_half_st8(d + i + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)), nt);
            continue;
        }
#endif
        fq_half_st8(d + i, _mm256_castsi256_ps(fq_half8_bits(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)))), nt);
        fq_half_st8(d + i + 8, _mm256_castsi256_ps(fq_half8_bits(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)))), nt);
    }
#elif defined(FQ_HALF_SSE2)
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(s + 2 * i)), z = _mm_setzero_si128();
        fq_half_st4(d + i, _mm_castsi128_ps(fq_half4_bits(_mm_unpacklo_epi16(h, z))), nt);
        fq_half_st4(d + i + 4, _mm_castsi128_ps(fq_half4_bits(_mm_unpackhi_epi16(h, z))), nt);
    }
#else
    (void)nt;
#endif
    for (; i < n; i++) d[i] = fq_half_to_float(fq_le16(s + 2 * i));
}

#endif
