/* GGUF block decoders: F32, F16, BF16, the legacy types (Q4_0 ... Q8_0), the K-quants
 * (Q2_K ... Q6_K), the ternary types (TQ1_0, TQ2_0) and the FP4 types (MXFP4, NVFP4).
 *
 * Each fq_dec_<type>(x, y, nb) decodes nb whole blocks (csrc/gguf_run.h) with exactly the
 * float32 operations of gguf-py 0.19.0's dequantize_blocks, in its order (its NumPy code is
 * the oracle; fastquant/_twins/gguf_decode.py restates it). Products are written `scale * q`
 * with q the small integer converted to float: exact int -> float conversions and one rounding
 * per IEEE operation, so the plain C below, the SIMD paths and NumPy agree bit for bit
 * (-ffp-contract=off keeps `a * b - c` two roundings). Block layouts are in docs/gguf.md.
 *
 * Each type is one always-inlined body fq_dec_<type>_(x, y, nb, nt) and two entry points:
 * fq_dec_<type> (ordinary stores) and fq_dec_<type>_nt (streaming stores, y 16-byte aligned).
 * The SIMD branch (gguf_simd.h: AVX2 on the v3 build, SSE2 on the baseline) and the plain C
 * branch (other CPUs, or -DFQ_NO_SIMD) give the same bits; the plain C is written for the
 * compiler's vectorizer (fixed trip counts, contiguous stores, restrict pointers).
 */
#ifndef FQ_GGUF_DECODE_H
#define FQ_GGUF_DECODE_H

#include "fq_half.h"
#include "gguf_run.h"
#include "gguf_simd.h"
#include "gguf_tables.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ plain floats */

FQ_ALWAYS_INLINE void fq_dec_f32_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t i = 0;
#if FQ_GGUF_SIMD
    if (nt)
        for (; i + 4 <= nb; i += 4) fq_st4(y + i, _mm_castsi128_ps(fq_load16(x + 4 * i)), 1);
#endif
    (void)nt;
    memcpy(y + i, x + 4 * i, (size_t)(nb - i) * 4);
}

static void fq_dec_f32(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_f32_(x, y, nb, 0);
}

static void fq_dec_f32_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_f32_(x, y, nb, 1);
}

FQ_ALWAYS_INLINE void fq_dec_f16_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    fq_half_to_float_n(x, y, nb, nt);
}

static void fq_dec_f16(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_f16_(x, y, nb, 0);
}

static void fq_dec_f16_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_f16_(x, y, nb, 1);
}

FQ_ALWAYS_INLINE void fq_dec_bf16_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t i = 0;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
#if FQ_GGUF_SIMD
    for (; i + 8 <= nb; i += 8) { /* 16-bit lanes under zero lanes: h << 16 */
        __m128i h = fq_load16(x + 2 * i), z = _mm_setzero_si128();
        fq_st4(y + i, _mm_castsi128_ps(_mm_unpacklo_epi16(z, h)), nt);
        fq_st4(y + i + 4, _mm_castsi128_ps(_mm_unpackhi_epi16(z, h)), nt);
    }
#endif
    for (; i < nb; i++) {
        uint32_t u = (uint32_t)fq_le16(x + 2 * i) << 16;
        memcpy(y + i, &u, 4);
    }
}

static void fq_dec_bf16(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_bf16_(x, y, nb, 0);
}

static void fq_dec_bf16_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_bf16_(x, y, nb, 1);
}

/* ------------------------------------------------------------------ legacy, 32 values */

#if FQ_GGUF_SIMD
/* Q5_0/Q5_1 codes at p = qh (4 bytes) | 16 nibble bytes: values 0..15 (lo) are the low
 * nibbles of the 16 bytes, values 16..31 (hi) the high nibbles, each | bit j of qh << 4 */
FQ_INLINE void fq_q5_bytes(const uint8_t *p, __m128i *lo, __m128i *hi) {
    __m128i q = fq_load16(p + 4), sixteen = _mm_set1_epi8(16);
    uint32_t qh = fq_le32(p);
    *lo = _mm_or_si128(fq_lo4(q), _mm_and_si128(fq_bits_to_bytes16(qh & 0xffffu), sixteen));
    *hi = _mm_or_si128(fq_hi4(q), _mm_and_si128(fq_bits_to_bytes16(qh >> 16), sixteen));
}
#endif

/* Q4_0: d (fp16) | 16 bytes of nibbles; v[j] = d * (lo(q[j]) - 8), v[j+16] = d * (hi(q[j]) - 8) */
FQ_ALWAYS_INLINE void fq_dec_q4_0_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 18, y += 32) {
        uint16_t h = fq_le16(x);
#if FQ_GGUF_SIMD
        float d = fq_scale16(x);
        __m128i q = fq_load16(x + 2), eight = _mm_set1_epi8(8);
        fq_mul16_i8(y, d, _mm_sub_epi8(fq_lo4(q), eight), nt);
        fq_mul16_i8(y + 16, d, _mm_sub_epi8(fq_hi4(q), eight), nt);
        (void)j;
#else
        float d = fq_half_to_float(h);
        const uint8_t *q = x + 2;
        for (j = 0; j < 16; j++) {
            y[j] = d * (float)((q[j] & 15) - 8);
            y[j + 16] = d * (float)((q[j] >> 4) - 8);
        }
#endif
        if (fq_half_nonfinite(h)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_q4_0(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_0_(x, y, nb, 0);
}

static void fq_dec_q4_0_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_0_(x, y, nb, 1);
}

/* Q4_1: d | m | nibbles; v = d * nibble + m */
FQ_ALWAYS_INLINE void fq_dec_q4_1_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 20, y += 32) {
        uint16_t hd = fq_le16(x), hm = fq_le16(x + 2);
#if FQ_GGUF_SIMD
        float d = fq_scale16(x), m = fq_scale16(x + 2);
        __m128i q = fq_load16(x + 4);
        fq_muladd16_u8(y, d, m, fq_lo4(q), nt);
        fq_muladd16_u8(y + 16, d, m, fq_hi4(q), nt);
        (void)j;
#else
        float d = fq_half_to_float(hd), m = fq_half_to_float(hm);
        const uint8_t *q = x + 4;
        for (j = 0; j < 16; j++) {
            y[j] = d * (float)(q[j] & 15) + m;
            y[j + 16] = d * (float)(q[j] >> 4) + m;
        }
#endif
        if (fq_half_nonfinite(hd) | fq_half_nonfinite(hm)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_q4_1(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_1_(x, y, nb, 0);
}

static void fq_dec_q4_1_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_1_(x, y, nb, 1);
}

/* Q5_0: d | qh (32 bits, bit j = bit 4 of value j) | nibbles; v = d * (q5 - 16) */
FQ_ALWAYS_INLINE void fq_dec_q5_0_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 22, y += 32) {
        uint16_t h = fq_le16(x);
#if FQ_GGUF_SIMD
        float d = fq_scale16(x);
        __m128i lo, hi, sixteen = _mm_set1_epi8(16);
        fq_q5_bytes(x + 2, &lo, &hi);
        fq_mul16_i8(y, d, _mm_sub_epi8(lo, sixteen), nt);
        fq_mul16_i8(y + 16, d, _mm_sub_epi8(hi, sixteen), nt);
        (void)j;
#else
        float d = fq_half_to_float(h);
        uint32_t qh = fq_le32(x + 2);
        const uint8_t *q = x + 6;
        for (j = 0; j < 16; j++) {
            int lo = (int)((q[j] & 15) | (((qh >> j) & 1) << 4));
            int hi = (int)((q[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
            y[j] = d * (float)(lo - 16);
            y[j + 16] = d * (float)(hi - 16);
        }
#endif
        if (fq_half_nonfinite(h)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_q5_0(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_0_(x, y, nb, 0);
}

static void fq_dec_q5_0_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_0_(x, y, nb, 1);
}

/* Q5_1: d | m | qh | nibbles; v = d * q5 + m */
FQ_ALWAYS_INLINE void fq_dec_q5_1_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 24, y += 32) {
        uint16_t hd = fq_le16(x), hm = fq_le16(x + 2);
#if FQ_GGUF_SIMD
        float d = fq_scale16(x), m = fq_scale16(x + 2);
        __m128i lo, hi;
        fq_q5_bytes(x + 4, &lo, &hi);
        fq_muladd16_u8(y, d, m, lo, nt);
        fq_muladd16_u8(y + 16, d, m, hi, nt);
        (void)j;
#else
        float d = fq_half_to_float(hd), m = fq_half_to_float(hm);
        uint32_t qh = fq_le32(x + 4);
        const uint8_t *q = x + 8;
        for (j = 0; j < 16; j++) {
            int lo = (int)((q[j] & 15) | (((qh >> j) & 1) << 4));
            int hi = (int)((q[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
            y[j] = d * (float)lo + m;
            y[j + 16] = d * (float)hi + m;
        }
#endif
        if (fq_half_nonfinite(hd) | fq_half_nonfinite(hm)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_q5_1(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_1_(x, y, nb, 0);
}

static void fq_dec_q5_1_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_1_(x, y, nb, 1);
}

/* Q8_0: d | 32 int8; v = q * d */
FQ_ALWAYS_INLINE void fq_dec_q8_0_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 34, y += 32) {
        uint16_t h = fq_le16(x);
#if FQ_GGUF_SIMD
        float d = fq_scale16(x);
        fq_mul16_i8(y, d, fq_load16(x + 2), nt);
        fq_mul16_i8(y + 16, d, fq_load16(x + 18), nt);
        (void)j;
#else
        float d = fq_half_to_float(h);
        const int8_t *q = (const int8_t *)(x + 2);
        for (j = 0; j < 32; j++) y[j] = (float)q[j] * d;
#endif
        if (fq_half_nonfinite(h)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_q8_0(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q8_0_(x, y, nb, 0);
}

static void fq_dec_q8_0_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q8_0_(x, y, nb, 1);
}

/* ------------------------------------------------------------------ K-quants, 256 values */

/* Q2_K: scales[16] (lo nibble: scale, hi: min) | qs[64] | d | dmin.
 * value f = 128h + 32j + l (l < 32): q = (qs[32h + l] >> 2j) & 3, sub-block f / 16;
 * v = (d * sc) * q - (dmin * mn) */
FQ_ALWAYS_INLINE void fq_dec_q2_k_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int h, j, s, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 84, y += 256) {
        uint16_t hd = fq_le16(x + 80), hm = fq_le16(x + 82);
        float d = fq_half_to_float(hd), dmin = fq_half_to_float(hm);
        for (h = 0; h < 2; h++) {
            const uint8_t *q = x + 16 + 32 * h;
            for (j = 0; j < 4; j++) {
                for (s = 0; s < 2; s++) {
                    uint8_t sc = x[8 * h + 2 * j + s];
                    float dl = d * (float)(sc & 15), ml = dmin * (float)(sc >> 4);
                    float *o = y + 128 * h + 32 * j + 16 * s;
#if FQ_GGUF_SIMD
                    fq_mulsub16_u8(o, dl, ml, fq_bits2(fq_load16(q + 16 * s), 2 * j), nt);
                    (void)l;
#else
                    for (l = 0; l < 16; l++) o[l] = dl * (float)((q[16 * s + l] >> (2 * j)) & 3) - ml;
#endif
                }
            }
        }
        if (fq_half_nonfinite(hd) | fq_half_nonfinite(hm)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_q2_k(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q2_k_(x, y, nb, 0);
}

static void fq_dec_q2_k_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q2_k_(x, y, nb, 1);
}

/* Q3_K: hmask[32] | qs[64] | scales[12] (16 six-bit scales) | d.
 * value f = 128h + 32j + l: q = ((qs[32h + l] >> 2j) & 3) - 4 * !((hmask[l] >> (4h + j)) & 1);
 * v = (d * (scale[f / 16] - 32)) * q */
FQ_ALWAYS_INLINE void fq_dec_q3_k_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int i, h, j, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 110, y += 256) {
        const uint8_t *hm = x, *sc = x + 96;
        uint16_t hd = fq_le16(x + 108);
        float d = fq_half_to_float(hd), dl[16];
        for (i = 0; i < 16; i++) {
            int lo = i < 8 ? sc[i] & 15 : sc[i - 8] >> 4;
            int hi = (sc[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
            dl[i] = d * (float)((lo | (hi << 4)) - 32);
        }
        for (h = 0; h < 2; h++) {
            const uint8_t *q = x + 32 + 32 * h;
            for (j = 0; j < 4; j++) {
                int shift = 2 * j, bit = 4 * h + j;
                float *o = y + 128 * h + 32 * j;
                float d0 = dl[8 * h + 2 * j], d1 = dl[8 * h + 2 * j + 1];
#if FQ_GGUF_SIMD
                for (l = 0; l < 32; l += 16) { /* a clear hmask bit subtracts 4 */
                    __m128i lo = fq_bits2(fq_load16(q + l), shift);
                    __m128i hb = _mm_xor_si128(fq_bit1(fq_load16(hm + l), bit), _mm_set1_epi8(1));
                    fq_mul16_i8(o + l, l ? d1 : d0, _mm_sub_epi8(lo, _mm_slli_epi16(hb, 2)), nt);
                }
#else
                for (l = 0; l < 16; l++)
                    o[l] = d0 * (float)(((q[l] >> shift) & 3) - ((((hm[l] >> bit) & 1) ^ 1) << 2));
                for (l = 16; l < 32; l++)
                    o[l] = d1 * (float)(((q[l] >> shift) & 3) - ((((hm[l] >> bit) & 1) ^ 1) << 2));
#endif
            }
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_q3_k(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q3_k_(x, y, nb, 0);
}

static void fq_dec_q3_k_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q3_k_(x, y, nb, 1);
}

/* the 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (12 packed bytes) */
FQ_INLINE void fq_k4_scale_min(const uint8_t *s, int j, int *sc, int *mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 15) | ((s[j - 4] >> 2) & 0x30);
        *mn = (s[j + 4] >> 4) | ((s[j] >> 2) & 0x30);
    }
}

/* Q4_K: d | dmin | scales[12] | qs[128]. Sub-block s = 2c + k (32 values): nibble k of
 * qs[32c + l]; v = (d * sc[s]) * q - (dmin * mn[s]) */
FQ_ALWAYS_INLINE void fq_dec_q4_k_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int s, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 144, y += 256) {
        uint16_t hd = fq_le16(x), hm = fq_le16(x + 2);
        float d = fq_half_to_float(hd), dmin = fq_half_to_float(hm);
        for (s = 0; s < 8; s++) {
            int sc, mn, shift = 4 * (s & 1);
            const uint8_t *q = x + 16 + 32 * (s >> 1);
            float dl, ml, *o = y + 32 * s;
            fq_k4_scale_min(x + 4, s, &sc, &mn);
            dl = d * (float)sc;
            ml = dmin * (float)mn;
#if FQ_GGUF_SIMD
            for (l = 0; l < 32; l += 16) {
                __m128i v = fq_load16(q + l);
                fq_mulsub16_u8(o + l, dl, ml, shift ? fq_hi4(v) : fq_lo4(v), nt);
            }
#else
            for (l = 0; l < 32; l++) o[l] = dl * (float)((q[l] >> shift) & 15) - ml;
#endif
        }
        if (fq_half_nonfinite(hd) | fq_half_nonfinite(hm)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_q4_k(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_k_(x, y, nb, 0);
}

static void fq_dec_q4_k_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q4_k_(x, y, nb, 1);
}

/* Q5_K: d | dmin | scales[12] | qh[32] | qs[128]; as Q4_K plus bit s of qh[l] as bit 4 */
FQ_ALWAYS_INLINE void fq_dec_q5_k_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int s, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 176, y += 256) {
        uint16_t hd = fq_le16(x), hm = fq_le16(x + 2);
        float d = fq_half_to_float(hd), dmin = fq_half_to_float(hm);
        const uint8_t *qh = x + 16;
        for (s = 0; s < 8; s++) {
            int sc, mn, shift = 4 * (s & 1);
            const uint8_t *q = x + 48 + 32 * (s >> 1);
            float dl, ml, *o = y + 32 * s;
            fq_k4_scale_min(x + 4, s, &sc, &mn);
            dl = d * (float)sc;
            ml = dmin * (float)mn;
#if FQ_GGUF_SIMD
            for (l = 0; l < 32; l += 16) {
                __m128i v = fq_load16(q + l), hb = _mm_slli_epi16(fq_bit1(fq_load16(qh + l), s), 4);
                fq_mulsub16_u8(o + l, dl, ml, _mm_or_si128(shift ? fq_hi4(v) : fq_lo4(v), hb), nt);
            }
#else
            for (l = 0; l < 32; l++)
                o[l] = dl * (float)(((q[l] >> shift) & 15) | (((qh[l] >> s) & 1) << 4)) - ml;
#endif
        }
        if (fq_half_nonfinite(hd) | fq_half_nonfinite(hm)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_q5_k(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_k_(x, y, nb, 0);
}

static void fq_dec_q5_k_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q5_k_(x, y, nb, 1);
}

/* Q6_K: ql[128] | qh[64] | scales[16] (int8) | d. Value f = 128h + r: low 4 bits from
 * ql[64h + r % 64] >> 4 (r / 64), high 2 bits from qh[32h + r % 32] >> 2 (r / 32);
 * v = (d * scale[f / 16]) * (q6 - 32) */
FQ_ALWAYS_INLINE void fq_dec_q6_k_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int h, j, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 210, y += 256) {
        uint16_t hd = fq_le16(x + 208);
        float d = fq_half_to_float(hd);
        const int8_t *sc = (const int8_t *)(x + 192);
        for (h = 0; h < 2; h++) {
            const uint8_t *ql = x + 64 * h, *qh = x + 128 + 32 * h;
            for (j = 0; j < 4; j++) { /* 32 values: r = 32j + l */
                const uint8_t *qlj = ql + 32 * (j & 1);
                int lshift = 4 * (j >> 1), hshift = 2 * j;
                float d0 = d * (float)sc[8 * h + 2 * j], d1 = d * (float)sc[8 * h + 2 * j + 1];
                float *o = y + 128 * h + 32 * j;
#if FQ_GGUF_SIMD
                for (l = 0; l < 32; l += 16) {
                    __m128i v = fq_load16(qlj + l), hv = fq_bits2(fq_load16(qh + l), hshift);
                    v = _mm_or_si128(lshift ? fq_hi4(v) : fq_lo4(v), _mm_slli_epi16(hv, 4));
                    fq_mul16_i8(o + l, l ? d1 : d0, _mm_sub_epi8(v, _mm_set1_epi8(32)), nt);
                }
#else
                for (l = 0; l < 16; l++)
                    o[l] = d0 * (float)((((qlj[l] >> lshift) & 15) | (((qh[l] >> hshift) & 3) << 4)) - 32);
                for (l = 16; l < 32; l++)
                    o[l] = d1 * (float)((((qlj[l] >> lshift) & 15) | (((qh[l] >> hshift) & 3) << 4)) - 32);
#endif
            }
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_q6_k(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q6_k_(x, y, nb, 0);
}

static void fq_dec_q6_k_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_q6_k_(x, y, nb, 1);
}

/* ------------------------------------------------------------------ ternary */

#if FQ_GGUF_SIMD
/* 8 bytes (zero-extended into 16-bit lanes) -> ((uint8)(b * pw) * 3 >> 8) - 1, pw per lane */
FQ_INLINE __m128i fq_trit8(__m128i b16, __m128i pw) {
    __m128i v = _mm_and_si128(_mm_mullo_epi16(b16, pw), _mm_set1_epi16(255));
    v = _mm_srli_epi16(_mm_mullo_epi16(v, _mm_set1_epi16(3)), 8);
    return _mm_sub_epi16(v, _mm_set1_epi16(1));
}

/* y[0:16] = d * (digit - 1) for the digit of weight pw of 16 bytes at p */
FQ_INLINE void fq_tq1_16(float *y, float d, const uint8_t *p, int pw, int nt) {
    __m128i q = fq_load16(p), z = _mm_setzero_si128();
    __m128i w = _mm_set1_epi16((short)pw);
    fq_mul16_i16(y, d, fq_trit8(_mm_unpacklo_epi8(q, z), w), fq_trit8(_mm_unpackhi_epi8(q, z), w), nt);
}
#endif

/* TQ1_0: qs[48] | qh[4] | d. Each byte holds base-3 digits: digit k of byte c is
 * ((uint8)(c * 3**k) * 3) >> 8, value digit - 1. Values 0..159: byte qs[l % 32], k = l / 32;
 * 160..239: qs[32 + r % 16], k = r / 16; 240..255: qh[r % 4], k = r / 4. v = d * (digit - 1) */
FQ_ALWAYS_INLINE void fq_dec_tq1_0_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    ptrdiff_t b;
    int k, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 54, y += 256) {
        uint16_t hd = fq_le16(x + 52);
        float d = fq_half_to_float(hd);
#if FQ_GGUF_SIMD
        (void)l;
        for (k = 0; k < 5; k++) {
            fq_tq1_16(y + 32 * k, d, x, pow3[k], nt);
            fq_tq1_16(y + 32 * k + 16, d, x + 16, pow3[k], nt);
            fq_tq1_16(y + 160 + 16 * k, d, x + 32, pow3[k], nt);
        }
#else
        for (k = 0; k < 5; k++)
            for (l = 0; l < 32; l++)
                y[32 * k + l] = d * (float)((((uint8_t)(x[l] * pow3[k]) * 3) >> 8) - 1);
        for (k = 0; k < 5; k++)
            for (l = 0; l < 16; l++)
                y[160 + 16 * k + l] = d * (float)((((uint8_t)(x[32 + l] * pow3[k]) * 3) >> 8) - 1);
#endif
#if FQ_GGUF_SIMD
        { /* values 240 + 4k + l: digit k of qh[l], the 4 bytes repeated in 16 lanes */
            __m128i q = _mm_set1_epi32((int)fq_le32(x + 48)), z = _mm_setzero_si128();
            fq_mul16_i16(y + 240, d, fq_trit8(_mm_unpacklo_epi8(q, z), _mm_setr_epi16(1, 1, 1, 1, 3, 3, 3, 3)),
                         fq_trit8(_mm_unpackhi_epi8(q, z), _mm_setr_epi16(9, 9, 9, 9, 27, 27, 27, 27)), nt);
        }
#else
        for (k = 0; k < 4; k++)
            for (l = 0; l < 4; l++)
                y[240 + 4 * k + l] = d * (float)((((uint8_t)(x[48 + l] * pow3[k]) * 3) >> 8) - 1);
#endif
        if (fq_half_nonfinite(hd)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_tq1_0(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_tq1_0_(x, y, nb, 0);
}

static void fq_dec_tq1_0_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_tq1_0_(x, y, nb, 1);
}

/* TQ2_0: qs[64] | d; value 128h + 32j + l: ((qs[32h + l] >> 2j) & 3) - 1; v = d * that */
FQ_ALWAYS_INLINE void fq_dec_tq2_0_(const uint8_t *FQ_RESTRICT x, float *FQ_RESTRICT y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int h, j, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 66, y += 256) {
        uint16_t hd = fq_le16(x + 64);
        float d = fq_half_to_float(hd);
#if FQ_GGUF_SIMD
        for (h = 0; h < 2; h++)
            for (j = 0; j < 4; j++)
                for (l = 0; l < 32; l += 16) {
                    __m128i v = fq_bits2(fq_load16(x + 32 * h + l), 2 * j);
                    fq_mul16_i8(y + 128 * h + 32 * j + l, d, _mm_sub_epi8(v, _mm_set1_epi8(1)), nt);
                }
#else
        for (h = 0; h < 2; h++)
            for (j = 0; j < 4; j++)
                for (l = 0; l < 32; l++)
                    y[128 * h + 32 * j + l] = d * (float)(((x[32 * h + l] >> (2 * j)) & 3) - 1);
#endif
        if (fq_half_nonfinite(hd)) fq_canon_nan(y, 256);
    }
}

static void fq_dec_tq2_0(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_tq2_0_(x, y, nb, 0);
}

static void fq_dec_tq2_0_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_tq2_0_(x, y, nb, 1);
}

/* ------------------------------------------------------------------ FP4 */

/* MXFP4: e (E8M0) | 16 bytes of E2M1 nibbles; v = 2**(e - 128) * kvalues_mxfp4[nibble]
 * (kvalues are twice the E2M1 values); never NaN (e = 255 gives 2**127, times 12 is +-inf) */
FQ_ALWAYS_INLINE void fq_dec_mxfp4_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 17, y += 32) {
        float d = fq_e8m0_half(x[0]);
        const uint8_t *q = x + 1;
#if FQ_GGUF_SIMD == 2
        {
            __m128i v = fq_load16(q);
            fq_mul16_i8(y, d, fq_lookup16(fq_kvalues_mxfp4, fq_lo4(v)), nt);
            fq_mul16_i8(y + 16, d, fq_lookup16(fq_kvalues_mxfp4, fq_hi4(v)), nt);
            (void)j;
        }
#else
        for (j = 0; j < 16; j++) {
            y[j] = d * (float)fq_kvalues_mxfp4[q[j] & 15];
            y[j + 16] = d * (float)fq_kvalues_mxfp4[q[j] >> 4];
        }
#endif
    }
}

static void fq_dec_mxfp4(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_mxfp4_(x, y, nb, 0);
}

static void fq_dec_mxfp4_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_mxfp4_(x, y, nb, 1);
}

/* NVFP4: 4 UE4M3 sub-block scales | 32 bytes of E2M1 nibbles (8 per 16-value sub-block:
 * low nibbles first, then high); v = ue4m3_half(scale) * kvalues_mxfp4[nibble]; finite */
FQ_ALWAYS_INLINE void fq_dec_nvfp4_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int s, j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 36, y += 64) {
        for (s = 0; s < 4; s++) {
            float d = fq_ue4m3_half(x[s]);
            const uint8_t *q = x + 4 + 8 * s;
#if FQ_GGUF_SIMD == 2
            __m128i v = fq_load8(q);
            v = _mm_unpacklo_epi64(fq_lo4(v), fq_hi4(v));
            fq_mul16_i8(y + 16 * s, d, fq_lookup16(fq_kvalues_mxfp4, v), nt);
            (void)j;
#else
            for (j = 0; j < 8; j++) {
                y[16 * s + j] = d * (float)fq_kvalues_mxfp4[q[j] & 15];
                y[16 * s + 8 + j] = d * (float)fq_kvalues_mxfp4[q[j] >> 4];
            }
#endif
        }
    }
}

static void fq_dec_nvfp4(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_nvfp4_(x, y, nb, 0);
}

static void fq_dec_nvfp4_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_nvfp4_(x, y, nb, 1);
}

#endif
