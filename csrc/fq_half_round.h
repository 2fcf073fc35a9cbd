/* float32 -> float16 / bfloat16 rounding as the GGUF encoders store scales and BF16 data.
 *
 * fqr_fp32_to_fp16: IEEE binary16 bits, round to nearest even, +-inf from 65520 up; NaN gives
 * 0x7E00 with the sign. That is ggml's GGML_FP32_TO_FP16 (the software conversion llama.cpp's
 * reference quantizers use) for every input, and NumPy's astype(float16) for every non-NaN
 * input. The F16C instruction gives the same bits for every non-NaN input (the v3 build).
 * fqr_fp16_to_fp32: exact. fqr_fp32_to_bf16: ggml's GGML_FP32_TO_BF16 (= gguf-py): round to
 * nearest even, NaN made quiet by OR-ing 0x40 into the truncated bits.
 * tools/gguf_encode_check.py compares the fp16 conversion with NumPy for all 2**32 inputs.
 */
#ifndef FQ_HALF_ROUND_H
#define FQ_HALF_ROUND_H

#include <stdint.h>
#include <string.h>
#include "fq_inline.h"

#if defined(__F16C__)
#include <immintrin.h>
#endif

FQ_INLINE uint32_t fqr_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
FQ_INLINE float fqr_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

FQ_INLINE uint16_t fqr_fp32_to_fp16_soft(float f) {
    uint32_t x = fqr_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t a = x & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return (uint16_t) (sign | 0x7E00u);     /* NaN */
    if (a >= 0x477FF000u) return (uint16_t) (sign | 0x7C00u);    /* >= 65520: inf */
    if (a >= 0x38800000u) {                                        /* >= 2**-14: normal */
        uint32_t r = a - 0x38000000u;                              /* exponent bias 127 -> 15 */
        r += 0x0FFFu + ((r >> 13) & 1u);                           /* nearest even on 13 bits */
        return (uint16_t) (sign | (r >> 13));
    }
    if (a <= 0x33000000u) return (uint16_t) sign;                 /* <= 2**-25: zero (tie: even) */
    {                                                              /* subnormal: m * 2**-24 */
        uint32_t e = a >> 23;                                      /* 102 .. 112 */
        uint32_t mant = (a & 0x7FFFFFu) | 0x800000u;
        uint32_t shift = 126u - e;                                 /* 14 .. 24 */
        uint32_t m = (mant + (1u << (shift - 1)) - 1u + ((mant >> shift) & 1u)) >> shift;
        return (uint16_t) (sign | m);
    }
}

FQ_INLINE uint16_t fqr_fp32_to_fp16(float f) {
#if defined(__F16C__)
    if ((fqr_bits(f) & 0x7FFFFFFFu) <= 0x7F800000u)
        return (uint16_t) _cvtss_sh(f, 0);                         /* 0: round to nearest even */
#endif
    return fqr_fp32_to_fp16_soft(f);
}

FQ_INLINE float fqr_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1Fu;
    uint32_t m = h & 0x3FFu;
    if (e == 0x1F) return fqr_float(sign | 0x7F800000u | (m << 13));
    if (e != 0) return fqr_float(sign | ((e + 112u) << 23) | (m << 13));
    /* zero or subnormal: m * 2**-24, exact in float32 */
    return fqr_float(sign | fqr_bits((float) m * 5.9604644775390625e-08f));
}

/* |f16| is finite (not inf, not NaN) */
FQ_INLINE int fqr_fp16_finite(uint16_t h) { return (h & 0x7C00u) != 0x7C00u; }

FQ_INLINE uint16_t fqr_fp32_to_bf16(float f) {
    uint32_t x = fqr_bits(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t) ((x >> 16) | 64u);
    return (uint16_t) ((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

FQ_INLINE void fqr_store_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t) (v & 0xFF);
    p[1] = (uint8_t) (v >> 8);
}

#endif
