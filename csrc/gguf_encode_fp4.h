/* MXFP4 and NVFP4 encoders (csrc/gguf_encode.pyx): llama.cpp's quantize_row_mxfp4_ref and
 * quantize_row_nvfp4_ref; fastquant/_twins/gguf_encode.py is the readable form.
 *
 * Both pick, for each value x, the first k of kvalues_fp4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1,
 * ..., -12} minimising fabsf(kvalues[k] * d - x). The candidates with the other sign than x
 * never beat k = 0 (their error rounds to at least |x|), and those with x's sign give, for
 * -x, exactly the errors of the positive ones for |x| (negation is exact); so the search runs
 * over k = 0..7 against |x| and adds 8 for a negative x whose best k is not 0.
 */
#ifndef GGUF_ENCODE_FP4_H
#define GGUF_ENCODE_FP4_H

#include "gguf_encode_simple.h"
#include "gguf_mxfp4_log2.h"
#include "gguf_vec.h"

static const float gq_fp4_pos[8] = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 6.0f, 8.0f, 12.0f};

/* codes of n (16 or 32: whole multiples of GV_W) values against d, packed
 * out[j] = k[j] | k[j + n/2] << 4 */
FQ_INLINE void gq_fp4_codes(const float *x, int n, float d, uint8_t *out) {
    float buf[32];
    gvf kd[8];
    int i, k;
    for (k = 0; k < 8; k++) kd[k] = gv_set1(gq_fp4_pos[k] * d);
    for (i = 0; i + GV_W <= n; i += GV_W) {
        gvf v = gv_load(x + i), ax = gv_abs(v), err = ax, idx = gv_set1(0.0f);
        for (k = 1; k < 8; k++) {
            gvf e = gv_abs(gv_sub(kd[k], ax));
            gvm better = gv_lt(e, err);
            err = gv_sel(better, e, err);
            idx = gv_sel(better, gv_set1((float) k), idx);
        }
        idx = gv_add(idx, gv_masked(gm_and(gv_lt(v, gv_set1(0.0f)), gv_ne(idx, gv_set1(0.0f))), gv_set1(8.0f)));
        gv_store(buf + i, idx);
    }
    for (i = 0; i < n / 2; i++) out[i] = (uint8_t) (gq_u8(buf[i]) | (gq_u8(buf[i + n / 2]) << 4));
}

/* floorf(log2f(a)) for finite a > 0, log2f rounded to nearest (see gguf_mxfp4_log2.h) */
FQ_INLINE int gq_floor_log2f(float a) {
    uint32_t b = fqr_bits(a);
    int e = (int) (b >> 23) - 127;
    if ((b >> 23) == 0) {                              /* subnormal: its top bit */
        uint32_t m = b;
        e = -150;
        while (m) { m >>= 1; e++; }
    }
    return e + (b >= gq_mxfp4_log2_up[e + 149]);
}

/* 2**(e - 128) (ggml's GGML_E8M0_TO_FP32_HALF) */
FQ_INLINE float gq_e8m0_half(unsigned e) {
    return fqr_float(e < 2 ? 0x00200000u << e : (uint32_t) (e - 1) << 23);
}

FQ_INLINE int gq_mxfp4(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0;
    for (i = 0; i < nb; i++, x += 32, y += 17) {
        float amax = gq_absmax(x, 32, &nonfinite);
        /* (a NaN or inf block is rejected: its e is never looked up) */
        unsigned e = amax > 0.0f && amax <= FLT_MAX ? (unsigned) (gq_floor_log2f(amax) - 2 + 127) & 0xFFu : 0u;
        y[0] = (uint8_t) e;
        gq_fp4_codes(x, 32, gq_e8m0_half(e), y + 1);
    }
    return nonfinite ? GQ_NONFINITE : 0;
}

/* ggml_fp32_to_ue4m3 */
FQ_INLINE unsigned gq_fp32_to_ue4m3(float x) {
    uint32_t bits;
    int exp, man;
    if (!(x > 0.0f)) return 0;
    if (x > 448.0f) x = 448.0f;
    bits = fqr_bits(x);
    exp = (int) ((bits >> 23) & 0xFF) - 127 + 7;
    if (exp <= 0) {
        int m = (int) (x * 512.0f + 0.5f);                  /* x < 2**-6: m < 9 */
        if (m > 7) m = 7;
        return m < 1 ? 0u : (unsigned) m;
    }
    if (exp >= 15) return 0x7E;
    man = (int) ((bits >> 20) & 7) + (int) ((bits >> 19) & 1);
    if (man > 7) {
        man = 0;
        if (++exp >= 15) return 0x7E;
    }
    return (unsigned) ((exp << 3) | man);
}

/* ggml_ue4m3_to_fp32 (including its factor 0.5), exactly */
FQ_INLINE float gq_ue4m3_half(unsigned u) {
    unsigned exp = (u >> 3) & 0xF, man = u & 7;
    if (u == 0 || u == 0x7F) return 0.0f;
    if (exp == 0) return (float) man * 0.0009765625f;     /* man * 2**-9 * 0.5 */
    /* (1 + man / 8) * 2**(exp - 7) * 0.5 */
    return fqr_float(((exp - 7 + 127 - 1) << 23) | (man << 20));
}

FQ_INLINE int gq_nvfp4(const float *x, uint8_t *y, int64_t nb) {
    int64_t i;
    int nonfinite = 0, s;
    for (i = 0; i < nb; i++, x += 64, y += 36) {
        for (s = 0; s < 4; s++) {
            float amax = gq_absmax(x + 16 * s, 16, &nonfinite);
            unsigned ue = gq_fp32_to_ue4m3(amax / 6.0f);
            y[s] = (uint8_t) ue;
            gq_fp4_codes(x + 16 * s, 16, gq_ue4m3_half(ue), y + 4 + 8 * s);
        }
    }
    return nonfinite ? GQ_NONFINITE : 0;
}

#endif
