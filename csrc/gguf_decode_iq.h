/* GGUF block decoders of the IQ types: the grid types (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
 * IQ3_XXS, IQ3_S), which look 4 or 8 values up in the generated grids of gguf_tables.h, and
 * the non-linear 4-bit types (IQ4_NL, IQ4_XS).
 *
 * Same contract as gguf_decode.h: fq_dec_<type>(x, y, nb) decodes nb whole blocks with the
 * float32 operations of gguf-py 0.19.0 in its order (fastquant/_twins/gguf_decode_iq.py
 * restates them). A sign is applied as gguf-py multiplies by -1.0f: for every non-NaN value
 * that is a flip of the sign bit, which is what the code does; NaN only comes from a
 * non-finite fp16 scale, and those blocks go through fq_canon_nan anyway.
 */
#ifndef FQ_GGUF_DECODE_IQ_H
#define FQ_GGUF_DECODE_IQ_H

#include "fq_half.h"
#include "gguf_run.h"
#include "gguf_simd.h"
#include "gguf_tables.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* y[j] = (db * g[j]) with its sign flipped where bit j of signs is set, j < 8 */
FQ_INLINE void fq_iq_signed8(float *y, float db, const uint8_t *g, unsigned signs, int nt) {
#if FQ_GGUF_SIMD
    fq_st_signed8(y, db, fq_load8(g), signs, nt);
#else
    int j;
    (void)nt;
    for (j = 0; j < 8; j++) {
        uint32_t u = fq_float_to_bits(db * (float)g[j]) ^ (((signs >> j) & 1u) << 31);
        memcpy(y + j, &u, 4);
    }
#endif
}

/* the same for two 4-value grid entries g0, g1 */
FQ_INLINE void fq_iq_signed4x2(float *y, float db, const uint8_t *g0, const uint8_t *g1, unsigned signs, int nt) {
#if FQ_GGUF_SIMD
    fq_st_signed8(y, db, fq_load4x2(g0, g1), signs, nt);
#else
    uint8_t g[8];
    memcpy(g, g0, 4);
    memcpy(g + 4, g1, 4);
    fq_iq_signed8(y, db, g, signs, nt);
#endif
}

/* IQ2_XXS: d | 8 groups of (4 grid bytes, uint32 aux). Group of 32 values: db = d * (0.5 +
 * (aux >> 28)) * 0.25; value 8l + j = db * iq2xxs_grid[byte l][j] * sign, the sign bits of
 * part l being ksigns[(aux >> 7l) & 127] */
FQ_ALWAYS_INLINE void fq_dec_iq2_xxs_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int ib, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 66) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd);
        float *yb = y;
        for (ib = 0; ib < 8; ib++, y += 32) {
            const uint8_t *g = x + 2 + 8 * ib;
            uint32_t aux = fq_le32(g + 4);
            float db = d * (0.5f + (float)(aux >> 28)) * 0.25f;
            for (l = 0; l < 4; l++)
                fq_iq_signed8(y + 8 * l, db, fq_iq2xxs_grid[g[l]], fq_ksigns[(aux >> (7 * l)) & 127], nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq2_xxs(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_xxs_(x, y, nb, 0);
}

static void fq_dec_iq2_xxs_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_xxs_(x, y, nb, 1);
}

/* IQ2_XS: d | 32 uint16 (9-bit grid index, 7-bit sign index) | 8 scale bytes (two nibbles).
 * Entry k (8 values): db = d * (0.5 + nibble k/2) * 0.25 */
FQ_ALWAYS_INLINE void fq_dec_iq2_xs_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int k;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 74) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd), db[16];
        float *yb = y;
        for (k = 0; k < 16; k++) db[k] = d * (0.5f + (float)((x[66 + k / 2] >> (4 * (k & 1))) & 15)) * 0.25f;
        for (k = 0; k < 32; k++, y += 8) {
            uint16_t q = fq_le16(x + 2 + 2 * k);
            fq_iq_signed8(y, db[k / 2], fq_iq2xs_grid[q & 511], fq_ksigns[q >> 9], nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq2_xs(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_xs_(x, y, nb, 0);
}

static void fq_dec_iq2_xs_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_xs_(x, y, nb, 1);
}

/* IQ2_S: d | qs[32] | signs[32] | qh[8] | scales[8]. Entry k: grid index qs[k] plus bits
 * 2(k % 4) of qh[k / 4] as bits 8-9; signs[k] as the 8 sign bits; db as IQ2_XS */
FQ_ALWAYS_INLINE void fq_dec_iq2_s_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int k;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 82) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd), db[16];
        float *yb = y;
        for (k = 0; k < 16; k++) db[k] = d * (0.5f + (float)((x[74 + k / 2] >> (4 * (k & 1))) & 15)) * 0.25f;
        for (k = 0; k < 32; k++, y += 8) {
            unsigned idx = x[2 + k] | (((x[66 + k / 4] >> (2 * (k & 3))) & 3u) << 8);
            fq_iq_signed8(y, db[k / 2], fq_iq2s_grid[idx], x[34 + k], nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq2_s(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_s_(x, y, nb, 0);
}

static void fq_dec_iq2_s_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq2_s_(x, y, nb, 1);
}

/* IQ3_XXS: d | qs[64] (grid bytes, 4 values each) | 8 uint32 aux (scale, 4 x 7 sign bits).
 * Group ib: db = d * (0.5 + (aux >> 28)) * 0.5; part l = grid[qs[8ib + 2l]] then
 * grid[qs[8ib + 2l + 1]], signs ksigns[(aux >> 7l) & 127] */
FQ_ALWAYS_INLINE void fq_dec_iq3_xxs_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int ib, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 98) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd);
        float *yb = y;
        for (ib = 0; ib < 8; ib++, y += 32) {
            const uint8_t *q = x + 2 + 8 * ib;
            uint32_t aux = fq_le32(x + 66 + 4 * ib);
            float db = d * (0.5f + (float)(aux >> 28)) * 0.5f;
            for (l = 0; l < 4; l++)
                fq_iq_signed4x2(y + 8 * l, db, fq_iq3xxs_grid[q[2 * l]], fq_iq3xxs_grid[q[2 * l + 1]],
                                fq_ksigns[(aux >> (7 * l)) & 127], nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq3_xxs(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq3_xxs_(x, y, nb, 0);
}

static void fq_dec_iq3_xxs_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq3_xxs_(x, y, nb, 1);
}

/* IQ3_S: d | qs[64] | qh[8] | signs[32] | scales[4]. Entry k: grid index qs[k] plus bit k % 8
 * of qh[k / 8] as bit 8; group ib: db = d * (1 + 2 * nibble ib of scales) */
FQ_ALWAYS_INLINE void fq_dec_iq3_s_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int ib, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 110) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd);
        float *yb = y;
        for (ib = 0; ib < 8; ib++, y += 32) {
            float db = d * (float)(1 + 2 * ((x[106 + ib / 2] >> (4 * (ib & 1))) & 15));
            for (l = 0; l < 4; l++) {
                int k = 8 * ib + 2 * l;
                unsigned i0 = x[2 + k] | (((x[66 + k / 8] >> (k & 7)) & 1u) << 8);
                unsigned i1 = x[3 + k] | (((x[66 + (k + 1) / 8] >> ((k + 1) & 7)) & 1u) << 8);
                fq_iq_signed4x2(y + 8 * l, db, fq_iq3s_grid[i0], fq_iq3s_grid[i1], x[74 + 4 * ib + l], nt);
            }
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq3_s(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq3_s_(x, y, nb, 0);
}

static void fq_dec_iq3_s_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq3_s_(x, y, nb, 1);
}

/* +-0.125 with the sign of bit 31 of s (branch-free: the flags are random bits) */
FQ_INLINE float fq_iq1_delta(uint32_t s) {
    return fq_bits_to_float(0x3e000000u | (s & 0x80000000u));
}

/* y[j] = dl * (g[j] + delta), j < 8; g in {-1, 0, 1}, delta = +-0.125: the sum is exact */
FQ_INLINE void fq_iq1_8(float *y, float dl, const int8_t *g, float delta, int nt) {
#if FQ_GGUF_SIMD
    fq_st_iq1_8(y, dl, g, delta, nt);
#else
    int j;
    (void)nt;
    for (j = 0; j < 8; j++) y[j] = dl * ((float)g[j] + delta);
#endif
}

/* IQ1_S: d | qs[32] | 8 uint16 qh. Group ib (32 values), h = qh[ib]: dl = d * (2 * ((h >> 12)
 * & 7) + 1), delta = -0.125 if bit 15 else 0.125; part l: grid index qs[4ib + l] plus
 * ((h >> 3l) & 7) << 8 */
FQ_ALWAYS_INLINE void fq_dec_iq1_s_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int ib, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 50) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd);
        float *yb = y;
        for (ib = 0; ib < 8; ib++, y += 32) {
            unsigned h = fq_le16(x + 34 + 2 * ib);
            float dl = d * (float)(2 * ((h >> 12) & 7) + 1);
            float delta = fq_iq1_delta((uint32_t)h << 16); /* bit 15: -0.125 */
            for (l = 0; l < 4; l++)
                fq_iq1_8(y + 8 * l, dl, fq_iq1s_grid[x[2 + 4 * ib + l] | (((h >> (3 * l)) & 7u) << 8)], delta, nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq1_s(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq1_s_(x, y, nb, 0);
}

static void fq_dec_iq1_s_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq1_s_(x, y, nb, 1);
}

/* IQ1_M: qs[32] | qh[16] | 4 uint16 sc. The fp16 d is the top nibbles of sc[0..3]; half hh of
 * group ib: dl = d * (2 * ((sc[ib / 2] >> (6 (ib % 2) + 3 hh)) & 7) + 1); entry k = 4ib + 2hh +
 * p: nibble k % 2 of qh[k / 2] gives grid bits 8-10 (low 3) and the delta sign (bit 3) */
FQ_ALWAYS_INLINE void fq_dec_iq1_m_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int ib;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 56) {
        unsigned sc[4];
        uint16_t hd;
        float d, *yb = y;
        for (ib = 0; ib < 4; ib++) sc[ib] = fq_le16(x + 48 + 2 * ib);
        hd = (uint16_t)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0u) | ((sc[2] >> 4) & 0x0f00u) | (sc[3] & 0xf000u));
        d = fq_half_to_float(hd);
        for (ib = 0; ib < 8; ib++, y += 32) {
            const uint8_t *qs = x + 4 * ib;
            unsigned s = sc[ib >> 1] >> (6 * (ib & 1));
            unsigned h0 = x[32 + 2 * ib], h1 = x[33 + 2 * ib];
            float dl0 = d * (float)(int)(2 * (s & 7) + 1), dl1 = d * (float)(int)(2 * ((s >> 3) & 7) + 1);
            /* bit 3 of each nibble of qh: -0.125 */
            fq_iq1_8(y, dl0, fq_iq1s_grid[qs[0] | ((h0 & 7u) << 8)], fq_iq1_delta(h0 << 28), nt);
            fq_iq1_8(y + 8, dl0, fq_iq1s_grid[qs[1] | ((h0 & 0x70u) << 4)], fq_iq1_delta(h0 << 24), nt);
            fq_iq1_8(y + 16, dl1, fq_iq1s_grid[qs[2] | ((h1 & 7u) << 8)], fq_iq1_delta(h1 << 28), nt);
            fq_iq1_8(y + 24, dl1, fq_iq1s_grid[qs[3] | ((h1 & 0x70u) << 4)], fq_iq1_delta(h1 << 24), nt);
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq1_m(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq1_m_(x, y, nb, 0);
}

static void fq_dec_iq1_m_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq1_m_(x, y, nb, 1);
}

/* IQ4_NL: d | 16 bytes of nibbles; v = d * kvalues_iq4nl[nibble] (low nibbles first) */
FQ_ALWAYS_INLINE void fq_dec_iq4_nl_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 18, y += 32) {
        uint16_t hd = fq_le16(x);
        float d = fq_half_to_float(hd);
        const uint8_t *q = x + 2;
#if FQ_GGUF_SIMD == 2
        __m128i v = fq_load16(q);
        fq_mul16_i8(y, d, fq_lookup16(fq_kvalues_iq4nl, fq_lo4(v)), nt);
        fq_mul16_i8(y + 16, d, fq_lookup16(fq_kvalues_iq4nl, fq_hi4(v)), nt);
        (void)j;
#else
        for (j = 0; j < 16; j++) {
            y[j] = d * (float)fq_kvalues_iq4nl[q[j] & 15];
            y[j + 16] = d * (float)fq_kvalues_iq4nl[q[j] >> 4];
        }
#endif
        if (fq_half_nonfinite(hd)) fq_canon_nan(y, 32);
    }
}

static void fq_dec_iq4_nl(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq4_nl_(x, y, nb, 0);
}

static void fq_dec_iq4_nl_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq4_nl_(x, y, nb, 1);
}

/* IQ4_XS: d | scales_h (uint16) | scales_l[4] | qs[128]. Group j (32 values): scale
 * ((nibble j of scales_l) | ((scales_h >> 2j) & 3) << 4) - 32; dl = d * scale; 16 low
 * nibbles of qs[16j..] then the 16 high ones through kvalues_iq4nl */
FQ_ALWAYS_INLINE void fq_dec_iq4_xs_(const uint8_t *x, float *y, ptrdiff_t nb, int nt) {
    ptrdiff_t b;
    int j, l;
    (void)nt; /* the SIMD stores read it; plain C writes ordinarily */
    for (b = 0; b < nb; b++, x += 136) {
        uint16_t hd = fq_le16(x);
        unsigned sh = fq_le16(x + 2);
        float d = fq_half_to_float(hd), *yb = y;
        for (j = 0; j < 8; j++, y += 32) {
            int ls = (x[4 + j / 2] >> (4 * (j & 1))) & 15, hs = (sh >> (2 * j)) & 3;
            float dl = d * (float)((ls | (hs << 4)) - 32);
            const uint8_t *q = x + 8 + 16 * j;
#if FQ_GGUF_SIMD == 2
            __m128i v = fq_load16(q);
            fq_mul16_i8(y, dl, fq_lookup16(fq_kvalues_iq4nl, fq_lo4(v)), nt);
            fq_mul16_i8(y + 16, dl, fq_lookup16(fq_kvalues_iq4nl, fq_hi4(v)), nt);
            (void)l;
#else
            for (l = 0; l < 16; l++) {
                y[l] = dl * (float)fq_kvalues_iq4nl[q[l] & 15];
                y[l + 16] = dl * (float)fq_kvalues_iq4nl[q[l] >> 4];
            }
#endif
        }
        if (fq_half_nonfinite(hd)) fq_canon_nan(yb, 256);
    }
}

static void fq_dec_iq4_xs(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq4_xs_(x, y, nb, 0);
}

static void fq_dec_iq4_xs_nt(const uint8_t *x, float *y, ptrdiff_t nb) {
    fq_dec_iq4_xs_(x, y, nb, 1);
}

#endif
