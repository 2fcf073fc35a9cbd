/* SIMD building blocks of the GGUF decoders: AVX2 (+F16C) on the v3 build, SSE2 on the x86-64
 * baseline (and MSVC's x64 builds), nothing elsewhere or with -DFQ_NO_SIMD (then the decoders
 * run their plain C, which gives the same bits).
 *
 * FQ_GGUF_SIMD is 2 (AVX2), 1 (SSE2) or 0. Every helper is the float32 operation of the plain
 * C (and of NumPy): small integers are converted exactly, then one IEEE multiply (and one add
 * or subtract, never fused) per value. Helpers take 16 bytes (one __m128i) of codes and write
 * 16 floats, or a grid entry of 8 values, so the decoders are written once for both widths.
 * Every helper that writes floats takes `nt`: 0 for ordinary stores, 1 for non-temporal
 * (streaming) 16-byte stores, which need y 16-byte aligned; decoders are always-inlined into
 * one instantiation per value, so the choice costs nothing in the loops.
 * fp16 block scales are converted with F16C on the v3 build: exact for every finite value and
 * +-inf; it sets the quiet bit of a signalling NaN, but blocks with a NaN scale are rewritten
 * by fq_canon_nan anyway, so no output bit depends on it.
 */
#ifndef FQ_GGUF_SIMD_H
#define FQ_GGUF_SIMD_H

#include "fq_half.h"

#if !defined(FQ_NO_SIMD) && defined(__AVX2__) && defined(__F16C__)
#define FQ_GGUF_SIMD 2
#include <immintrin.h>
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#define FQ_GGUF_SIMD 1
#include <emmintrin.h>
#else
#define FQ_GGUF_SIMD 0
#endif

#if defined(_MSC_VER)
#define FQ_ALWAYS_INLINE static __forceinline
#else
#define FQ_ALWAYS_INLINE static inline __attribute__((always_inline))
#endif

#if FQ_GGUF_SIMD

/* y[0:4] = v: an ordinary store, or a streaming one (y 16-byte aligned) */
FQ_INLINE void fq_st4(float *y, __m128 v, int nt) {
    if (nt)
        _mm_stream_ps(y, v);
    else
        _mm_storeu_ps(y, v);
}

#if FQ_GGUF_SIMD == 2
/* y[0:8] = v (streaming: two 16-byte stores, so y need only be 16-byte aligned) */
FQ_INLINE void fq_st8(float *y, __m256 v, int nt) {
    if (nt) {
        _mm_stream_ps(y, _mm256_castps256_ps128(v));
        _mm_stream_ps(y + 4, _mm256_extractf128_ps(v, 1));
    } else {
        _mm256_storeu_ps(y, v);
    }
}
#endif

/* the fp16 scale at p (little-endian, any alignment) */
FQ_INLINE float fq_scale16(const uint8_t *p) {
#if FQ_GGUF_SIMD == 2
    return _cvtsh_ss(fq_le16(p));
#else
    return fq_half_to_float(fq_le16(p));
#endif
}

FQ_INLINE __m128i fq_load16(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)p);
}

FQ_INLINE __m128i fq_load8(const uint8_t *p) {
    return _mm_loadl_epi64((const __m128i *)p);
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

/* bit `shift` of 16 bytes, as 0 or 1 */
FQ_INLINE __m128i fq_bit1(__m128i q, int shift) {
    return _mm_and_si128(_mm_srl_epi16(q, _mm_cvtsi32_si128(shift)), _mm_set1_epi8(1));
}

/* 16 bytes, byte j = 0xFF if bit j of x is set, else 0 (x < 2**16) */
FQ_INLINE __m128i fq_bits_to_bytes16(unsigned x) {
    const __m128i sel = _mm_set_epi32((int)0x80402010, 0x08040201, (int)0x80402010, 0x08040201);
    __m128i b = _mm_unpacklo_epi64(_mm_set1_epi8((char)(x & 255)), _mm_set1_epi8((char)((x >> 8) & 255)));
    return _mm_cmpeq_epi8(_mm_and_si128(b, sel), sel);
}

#if FQ_GGUF_SIMD == 2
/* t[q] for 16 indices q < 16 into the 16-entry int8 table t (SSSE3's pshufb; the SSE2 build
 * decodes the table types in plain C: a byte-by-byte lookup through memory stalls there) */
FQ_INLINE __m128i fq_lookup16(const int8_t *t, __m128i q) {
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t), q);
}
#endif

#if FQ_GGUF_SIMD == 1
/* 8 int16 lanes -> two 4-lane int32 vectors, sign- or zero-extended */
FQ_INLINE void fq_i16_to_i32(__m128i v, __m128i *lo, __m128i *hi) {
    *lo = _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
    *hi = _mm_srai_epi32(_mm_unpackhi_epi16(v, v), 16);
}
#endif

/* y[0:16] = d * q for 16 signed bytes */
FQ_INLINE void fq_mul16_i8(float *y, float d, __m128i q, int nt) {
#if FQ_GGUF_SIMD == 2
    __m256 dv = _mm256_set1_ps(d);
    fq_st8(y, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))), nt);
    fq_st8(y + 8, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q, q)))), nt);
#else
    __m128 dv = _mm_set1_ps(d);
    __m128i w[4];
    fq_i16_to_i32(_mm_srai_epi16(_mm_unpacklo_epi8(q, q), 8), &w[0], &w[1]);
    fq_i16_to_i32(_mm_srai_epi16(_mm_unpackhi_epi8(q, q), 8), &w[2], &w[3]);
    fq_st4(y, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[0])), nt);
    fq_st4(y + 4, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[1])), nt);
    fq_st4(y + 8, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[2])), nt);
    fq_st4(y + 12, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[3])), nt);
#endif
}

/* y[0:16] = d * q + m (sub = 0) or d * q - m (sub = 1) for 16 unsigned bytes, two roundings */
FQ_INLINE void fq_muladd16_u8_(float *y, float d, float m, __m128i q, int sub, int nt) {
#if FQ_GGUF_SIMD == 2
    __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
    __m256 a = _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)));
    __m256 b = _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(q, q))));
    fq_st8(y, sub ? _mm256_sub_ps(a, mv) : _mm256_add_ps(a, mv), nt);
    fq_st8(y + 8, sub ? _mm256_sub_ps(b, mv) : _mm256_add_ps(b, mv), nt);
#else
    __m128 dv = _mm_set1_ps(d), mv = _mm_set1_ps(m);
    __m128i z = _mm_setzero_si128(), lo = _mm_unpacklo_epi8(q, z), hi = _mm_unpackhi_epi8(q, z);
    __m128i w[4];
    int k;
    w[0] = _mm_unpacklo_epi16(lo, z);
    w[1] = _mm_unpackhi_epi16(lo, z);
    w[2] = _mm_unpacklo_epi16(hi, z);
    w[3] = _mm_unpackhi_epi16(hi, z);
    for (k = 0; k < 4; k++) {
        __m128 a = _mm_mul_ps(dv, _mm_cvtepi32_ps(w[k]));
        fq_st4(y + 4 * k, sub ? _mm_sub_ps(a, mv) : _mm_add_ps(a, mv), nt);
    }
#endif
}

FQ_INLINE void fq_muladd16_u8(float *y, float d, float m, __m128i q, int nt) {
    fq_muladd16_u8_(y, d, m, q, 0, nt);
}

FQ_INLINE void fq_mulsub16_u8(float *y, float d, float m, __m128i q, int nt) {
    fq_muladd16_u8_(y, d, m, q, 1, nt);
}

/* y[0:16] = d * v for 16 int16 lanes held in two __m128i of 8 (TQ1_0's digits) */
FQ_INLINE void fq_mul16_i16(float *y, float d, __m128i a, __m128i b, int nt) {
#if FQ_GGUF_SIMD == 2
    __m256 dv = _mm256_set1_ps(d);
    fq_st8(y, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(a))), nt);
    fq_st8(y + 8, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(b))), nt);
#else
    __m128 dv = _mm_set1_ps(d);
    __m128i w[4];
    fq_i16_to_i32(a, &w[0], &w[1]);
    fq_i16_to_i32(b, &w[2], &w[3]);
    fq_st4(y, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[0])), nt);
    fq_st4(y + 4, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[1])), nt);
    fq_st4(y + 8, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[2])), nt);
    fq_st4(y + 12, _mm_mul_ps(dv, _mm_cvtepi32_ps(w[3])), nt);
#endif
}

/* y[0:8] = (db * g[0:8]) with the sign flipped where bit j of `signs` is set; g holds the 8
 * unsigned bytes of a grid entry in its low 64 bits */
FQ_INLINE void fq_st_signed8(float *y, float db, __m128i g, unsigned signs, int nt) {
#if FQ_GGUF_SIMD == 2
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256 v = _mm256_mul_ps(_mm256_set1_ps(db), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(g)));
    __m256i s = _mm256_and_si256(_mm256_set1_epi32((int)signs), sel);
    __m256i flip = _mm256_slli_epi32(_mm256_cmpeq_epi32(s, sel), 31);
    fq_st8(y, _mm256_xor_ps(v, _mm256_castsi256_ps(flip)), nt);
#else
    const __m128i sel_lo = _mm_setr_epi32(1, 2, 4, 8), sel_hi = _mm_setr_epi32(16, 32, 64, 128);
    __m128i z = _mm_setzero_si128(), g16 = _mm_unpacklo_epi8(g, z), s = _mm_set1_epi32((int)signs);
    __m128 dv = _mm_set1_ps(db);
    __m128 a = _mm_mul_ps(dv, _mm_cvtepi32_ps(_mm_unpacklo_epi16(g16, z)));
    __m128 b = _mm_mul_ps(dv, _mm_cvtepi32_ps(_mm_unpackhi_epi16(g16, z)));
    __m128i fa = _mm_slli_epi32(_mm_cmpeq_epi32(_mm_and_si128(s, sel_lo), sel_lo), 31);
    __m128i fb = _mm_slli_epi32(_mm_cmpeq_epi32(_mm_and_si128(s, sel_hi), sel_hi), 31);
    fq_st4(y, _mm_xor_ps(a, _mm_castsi128_ps(fa)), nt);
    fq_st4(y + 4, _mm_xor_ps(b, _mm_castsi128_ps(fb)), nt);
#endif
}

/* the 4 bytes at p and the 4 at q as the low 64 bits of a vector (two 4-value grid entries) */
FQ_INLINE __m128i fq_load4x2(const uint8_t *p, const uint8_t *q) {
    return _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)fq_le32(p)), _mm_cvtsi32_si128((int)fq_le32(q)));
}

/* y[0:8] = dl * (g[j] + delta) for 8 signed bytes g (an IQ1 grid entry) */
FQ_INLINE void fq_st_iq1_8(float *y, float dl, const int8_t *g, float delta, int nt) {
#if FQ_GGUF_SIMD == 2
    __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)g)));
    fq_st8(y, _mm256_mul_ps(_mm256_set1_ps(dl), _mm256_add_ps(v, _mm256_set1_ps(delta))), nt);
#else
    __m128i q = _mm_loadl_epi64((const __m128i *)g), lo, hi;
    __m128 dv = _mm_set1_ps(dl), de = _mm_set1_ps(delta);
    fq_i16_to_i32(_mm_srai_epi16(_mm_unpacklo_epi8(q, q), 8), &lo, &hi);
    fq_st4(y, _mm_mul_ps(dv, _mm_add_ps(_mm_cvtepi32_ps(lo), de)), nt);
    fq_st4(y + 4, _mm_mul_ps(dv, _mm_add_ps(_mm_cvtepi32_ps(hi), de)), nt);
#endif
}

#endif /* FQ_GGUF_SIMD */
#endif
