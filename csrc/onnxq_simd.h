/* ONNX QuantizeLinear / DequantizeLinear for the integer code types (SPEC 9), the loops of
 * csrc/onnxq.pyx. The NumPy twins (fastquant/_twins/onnxq.py) define the values:
 *
 *   quantize:   code = clip(round_half_even(fl(x / scale)) + zp, lo, hi)
 *   dequantize: y = fl(float32(code - zp) * scale)
 *
 * ONNX rounds BEFORE adding the zero point (fastquant.quantize_func, seed semantics, adds it
 * first). Written as code = R(clamp(fl(x / scale), lo - zp, hi - zp)) + zp: the bounds are
 * integers, so clamping commutes with rounding, and +-inf saturate; no float is ever cast
 * out of range (a NaN clamps to lo - zp; the kernels report NaN separately, the public
 * functions raise). R is the 1.5 * 2**23 add-and-subtract (exact for |z| < 2**22; the bounds
 * are within 2**17) or cvtps2dq, both round half to even in the default rounding mode.
 *
 * Codes of the sub-byte types (int4, uint4, int2, uint2) go into uint8 bytes holding only the
 * code's low bits (two's complement for the signed ones): the bytes ml_dtypes' int4/int2
 * arrays hold. `mask` is that bit mask (0xF, 0x3), or all ones for full-width codes.
 *
 * THE DIVISION STEP: onnxq_q_run_<t> (one scale and zero point for n elements) and
 * onnxq_q_lanes_<t> (one per element) are where a proven-reciprocal quantize primitive plugs
 * in (issue 11's fq_quantize.h: fq_quant_init(&q, scale, 0, 0, zp, lo, hi, FQ_Q_ROUND), then
 * fq_quantize_<t>(&q, s, d, n), and the _lanes variant; sub-byte codes are then masked).
 * Until then they divide: onnxq_div / the *_div_ps lines below, true float32 division,
 * bit-identical to NumPy's x / scale.
 *
 * AVX-512 (a build that targets it), AVX2 (x86-64-v3) and SSE2 (baseline x86-64) paths for
 * 8-bit codes with one scale; plain C elsewhere, for 16-bit codes, per-element scales and
 * tails (GCC vectorizes those loops); -DFQ_NO_SIMD builds plain C everywhere. Same bits.
 */
#ifndef ONNXQ_SIMD_H
#define ONNXQ_SIMD_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>

#if !defined(FQ_NO_SIMD) && defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#define ONNXQ_AVX512 1
#elif !defined(FQ_NO_SIMD) && defined(__AVX2__)
#include <immintrin.h>
#define ONNXQ_AVX2 1
#elif !defined(FQ_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define ONNXQ_SSE2 1
#endif

#define ONNXQ_MAGIC 12582912.0f /* 1.5 * 2**23 */

/* bytes of one vector store of the 8-bit quantizer (the alignment a streaming store needs) */
#if defined(ONNXQ_AVX2)
#define ONNXQ_VBYTES 32
#else
#define ONNXQ_VBYTES 16
#endif

/* The division step (see the header comment): fl(x / scale), never a reciprocal multiply. */
FQ_INLINE float onnxq_div(float x, float scale) { return x / scale; }

/* R(clamp(z, flo, fhi)) for any z (NaN gives flo): `z >= flo` is false for NaN. */
FQ_INLINE float onnxq_round_clamp(float z, float flo, float fhi) {
    z = z >= flo ? z : flo;
    z = z > fhi ? fhi : z;
    return (z + ONNXQ_MAGIC) - ONNXQ_MAGIC;
}

/* ------------------------------------------------------------------ 8-bit codes, one scale */

/* d[i] = code(s[i]) & mask for i < n, one scale and zero point, codes in [lo, hi] with
 * -128 <= lo <= hi <= 255; returns 1 if some s[i] is NaN. The SIMD part takes 16 (AVX-512,
 * SSE2) or 32 (AVX2) values a step (so ONNX blocks of 32 stay vector code); the rest plain C.
 * stream: the vector stores are non-temporal (after a plain C head up to an aligned d); the
 * caller fences (fq_stream_fence) before anyone reads d. Same values either way. */
FQ_INLINE int onnxq_q_run_8(const float *s, uint8_t *d, ptrdiff_t n, float scale, int32_t zp,
                            int32_t lo, int32_t hi, uint8_t mask, int stream) {
    const float flo = (float)(lo - zp), fhi = (float)(hi - zp);
    ptrdiff_t i = 0;
    int nan = 0;
#if defined(ONNXQ_AVX512) || defined(ONNXQ_AVX2) || defined(ONNXQ_SSE2)
    if (stream) {  /* plain C up to an aligned d + i, so that every vector store can stream */
        ptrdiff_t head = (ptrdiff_t)((ONNXQ_VBYTES - ((uintptr_t)d & (ONNXQ_VBYTES - 1))) & (ONNXQ_VBYTES - 1));
        for (; i < head && i < n; i++) {
            float x = s[i];
            nan |= x != x;
            d[i] = (uint8_t)(((int32_t)onnxq_round_clamp(onnxq_div(x, scale), flo, fhi) + zp) & mask);
        }
    }
#endif
#if defined(ONNXQ_AVX512)
    {
        const __m512 vs = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(flo), vhi = _mm512_set1_ps(fhi);
        const __m512i vzp = _mm512_set1_epi32(zp);
        const __m128i vmask = _mm_set1_epi8((char)mask);
        __mmask16 un = 0;
        for (; i + 16 <= n; i += 16) {
            __m512 x = _mm512_loadu_ps(s + i);
            __m512 z = _mm512_div_ps(x, vs);                      /* the division step */
            __m128i b;
            un |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
            z = _mm512_min_ps(_mm512_max_ps(z, vlo), vhi);        /* max(NaN, lo) is lo */
            /* every lane lies in [lo, hi]: truncating to bytes keeps the code's bits */
            b = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(z), vzp));
            b = _mm_and_si128(b, vmask);
            if (stream) _mm_stream_si128((__m128i *)(d + i), b);
            else _mm_storeu_si128((__m128i *)(d + i), b);
        }
        nan |= un != 0;
    }
#elif defined(ONNXQ_AVX2)
    {
        const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(flo), vhi = _mm256_set1_ps(fhi);
        const __m256i vzp = _mm256_set1_epi32(zp), vmask = _mm256_set1_epi8((char)mask);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        __m256 un = _mm256_setzero_ps();
        const int sgn = lo < 0;
        for (; i + 32 <= n; i += 32) {
            __m256i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                __m256 x = _mm256_loadu_ps(s + i + 8 * k);
                __m256 z = _mm256_div_ps(x, vs);                  /* the division step */
                un = _mm256_or_ps(un, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
                z = _mm256_min_ps(_mm256_max_ps(z, vlo), vhi);    /* max(NaN, lo) is lo */
                q[k] = _mm256_add_epi32(_mm256_cvtps_epi32(z), vzp);
            }
            /* every lane already lies in [lo, hi]: the saturating packs are exact */
            p = _mm256_packs_epi32(q[0], q[1]);
            p = sgn ? _mm256_packs_epi16(p, _mm256_packs_epi32(q[2], q[3]))
                    : _mm256_packus_epi16(p, _mm256_packs_epi32(q[2], q[3]));
            p = _mm256_and_si256(_mm256_permutevar8x32_epi32(p, order), vmask);
            if (stream) _mm256_stream_si256((__m256i *)(d + i), p);
            else _mm256_storeu_si256((__m256i *)(d + i), p);
        }
        nan |= _mm256_movemask_ps(un) != 0;
    }
#elif defined(ONNXQ_SSE2)
    {
        const __m128 vs = _mm_set1_ps(scale), vlo = _mm_set1_ps(flo), vhi = _mm_set1_ps(fhi);
        const __m128i vzp = _mm_set1_epi32(zp), vmask = _mm_set1_epi8((char)mask);
        __m128 un = _mm_setzero_ps();
        const int sgn = lo < 0;
        for (; i + 16 <= n; i += 16) {
            __m128i q[4], p;
            int k;
            for (k = 0; k < 4; k++) {
                __m128 x = _mm_loadu_ps(s + i + 4 * k);
                __m128 z = _mm_div_ps(x, vs);                     /* the division step */
                un = _mm_or_ps(un, _mm_cmpunord_ps(x, x));
                z = _mm_min_ps(_mm_max_ps(z, vlo), vhi);          /* max(NaN, lo) is lo */
                q[k] = _mm_add_epi32(_mm_cvtps_epi32(z), vzp);
            }
            p = _mm_packs_epi32(q[0], q[1]);
            p = sgn ? _mm_packs_epi16(p, _mm_packs_epi32(q[2], q[3]))
                    : _mm_packus_epi16(p, _mm_packs_epi32(q[2], q[3]));
            p = _mm_and_si128(p, vmask);
            if (stream) _mm_stream_si128((__m128i *)(d + i), p);
            else _mm_storeu_si128((__m128i *)(d + i), p);
        }
        nan |= _mm_movemask_ps(un) != 0;
    }
#endif
    for (; i < n; i++) {
        float x = s[i];
        nan |= x != x;
        d[i] = (uint8_t)(((int32_t)onnxq_round_clamp(onnxq_div(x, scale), flo, fhi) + zp) & mask);
    }
    return nan;
}

/* ------------------------------------------------------------ the other code widths, lanes */

#define ONNXQ_Q_RUN(name, T)                                                                  \
    FQ_INLINE int name(const float *s, T *d, ptrdiff_t n, float scale, int32_t zp,            \
                       int32_t lo, int32_t hi) {                                              \
        const float flo = (float)(lo - zp), fhi = (float)(hi - zp);                           \
        ptrdiff_t i;                                                                          \
        int nan = 0;                                                                          \
        for (i = 0; i < n; i++) {                                                             \
            float x = s[i];                                                                   \
            nan |= x != x;                                                                    \
            d[i] = (T)((int32_t)onnxq_round_clamp(onnxq_div(x, scale), flo, fhi) + zp);       \
        }                                                                                     \
        return nan;                                                                           \
    }

ONNXQ_Q_RUN(onnxq_q_run_i16, int16_t)
ONNXQ_Q_RUN(onnxq_q_run_u16, uint16_t)

/* d[i] = code(s[i]) with scale sc[i] and zero point zp[i] (codes masked by `mask`, which is
 * all ones for full-width codes); returns 1 if some s[i] is NaN. */
#define ONNXQ_Q_LANES(name, T)                                                                \
    FQ_INLINE int name(const float *s, T *d, ptrdiff_t n, const float *sc, const int32_t *zp,  \
                       int32_t lo, int32_t hi, int32_t mask) {                                \
        ptrdiff_t i;                                                                          \
        int nan = 0;                                                                          \
        for (i = 0; i < n; i++) {                                                             \
            float x = s[i];                                                                   \
            float r = onnxq_round_clamp(onnxq_div(x, sc[i]), (float)(lo - zp[i]),             \
                                        (float)(hi - zp[i]));                                 \
            nan |= x != x;                                                                    \
            d[i] = (T)(((int32_t)r + zp[i]) & mask);                                          \
        }                                                                                     \
        return nan;                                                                           \
    }

ONNXQ_Q_LANES(onnxq_q_lanes_8, uint8_t)
ONNXQ_Q_LANES(onnxq_q_lanes_i16, int16_t)
ONNXQ_Q_LANES(onnxq_q_lanes_u16, uint16_t)

/* ------------------------------------------------------------------------------ dequantize */

/* The value of a code of `bits` bits held in the low bits of a byte (bits = 2 or 4; sgn:
 * two's complement), the rest of the byte ignored, as ml_dtypes reads its int4/int2 bytes. */
FQ_INLINE int32_t onnxq_small(uint8_t b, int bits, int sgn) {
    uint32_t m = (1u << bits) - 1u, v = b & m;
    return sgn ? (int32_t)(v ^ (1u << (bits - 1))) - (int32_t)(1u << (bits - 1)) : (int32_t)v;
}

/* d[i] = float32(s[i] - zp) * scale, one scale and zero point (or per element with lanes:
 * sc[i], zp[i]); 64-bit differences for int32 codes, exact. */
#define ONNXQ_DQ(name, T, W)                                                                  \
    FQ_INLINE void name(const T *s, float *d, ptrdiff_t n, float scale, int32_t zp) {         \
        ptrdiff_t i;                                                                          \
        for (i = 0; i < n; i++) d[i] = (float)((W)s[i] - zp) * scale;                         \
    }                                                                                         \
    FQ_INLINE void name##_lanes(const T *s, float *d, ptrdiff_t n, const float *sc,           \
                                const int32_t *zp) {                                          \
        ptrdiff_t i;                                                                          \
        for (i = 0; i < n; i++) d[i] = (float)((W)s[i] - zp[i]) * sc[i];                      \
    }

ONNXQ_DQ(onnxq_dq_i8, int8_t, int32_t)
ONNXQ_DQ(onnxq_dq_u8, uint8_t, int32_t)
ONNXQ_DQ(onnxq_dq_i16, int16_t, int32_t)
ONNXQ_DQ(onnxq_dq_u16, uint16_t, int32_t)
ONNXQ_DQ(onnxq_dq_i32, int32_t, int64_t)

/* sub-byte codes: bytes whose low `bits` bits hold the code */
FQ_INLINE void onnxq_dq_small(const uint8_t *s, float *d, ptrdiff_t n, int bits, int sgn,
                              float scale, int32_t zp) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) d[i] = (float)(onnxq_small(s[i], bits, sgn) - zp) * scale;
}

FQ_INLINE void onnxq_dq_small_lanes(const uint8_t *s, float *d, ptrdiff_t n, int bits, int sgn,
                                    const float *sc, const int32_t *zp) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) d[i] = (float)(onnxq_small(s[i], bits, sgn) - zp[i]) * sc[i];
}

/* --------------------------------------------------------------------- raw packing, 2 bits
 * TensorProto raw_data of the sub-byte types: the flattened tensor's codes, 8 / bits per byte,
 * the first element in the lowest bits; the last byte padded with zero bits. Only each code
 * byte's low bits are packed (as onnx.numpy_helper.from_array does). 4-bit codes use the
 * nibble packers of fq_nibbles.h (csrc/floats.pyx); these are the 2-bit ones. */

/* d[j] for the nbytes whole bytes of 4 codes; the caller packs a partial last byte. */
FQ_INLINE void onnxq_pack2_bytes(const uint8_t *s, uint8_t *d, ptrdiff_t nbytes) {
    ptrdiff_t j;
    for (j = 0; j < nbytes; j++)
        d[j] = (uint8_t)((s[4 * j] & 3) | ((s[4 * j + 1] & 3) << 2) | ((s[4 * j + 2] & 3) << 4)
                         | (s[4 * j + 3] << 6));
}

/* the inverse for whole bytes: codes in the low bits of each output byte, zero above */
FQ_INLINE void onnxq_unpack2_bytes(const uint8_t *s, uint8_t *d, ptrdiff_t nbytes) {
    ptrdiff_t j;
    for (j = 0; j < nbytes; j++) {
        d[4 * j] = s[j] & 3;
        d[4 * j + 1] = (s[j] >> 2) & 3;
        d[4 * j + 2] = (s[j] >> 4) & 3;
        d[4 * j + 3] = s[j] >> 6;
    }
}

#endif
