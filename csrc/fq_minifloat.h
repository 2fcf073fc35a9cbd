/* Minifloats (fp8, fp6, fp4, e8m0): one parametrized encoder and decoder for every format.
 *
 * A format is an fq_minifloat traits struct, filled once per format at import by
 * csrc/floats.pyx from the rows of fastquant/_minifloats.py (the table the NumPy twin reads
 * too), with fq_mf_init_decoder() for the decoder's part. Everything below reads the traits at
 * run time: one routine, not one per format.
 *
 * Encode (float32 -> code): integer arithmetic on the float32 bit pattern u, round to
 * nearest, ties to even, the formula of fastquant/_twins/floats.py:
 *     a = u & 0x7FFFFFFF, E = a >> 23, sig = mantissa | implicit bit (E > 0)
 *     t = max(E, 1) - 127 + bias                    target biased exponent
 *     sh = min((23 - mb) + max(1 - t, 0), 25)       right shift (more for subnormal targets)
 *     r = (sig + 2**(sh-1) - 1 + ((sig >> sh) & 1)) >> sh
 *     code = (max(t - 1, 0) << mb) + r              (the implicit bit in r adds 1 to t - 1)
 * then overflow (code > max_code; inf and NaN land there too) -> overflow code or max_code
 * (saturate), the sign (none on a zero without -0), NaN -> NaN code, and for the unsigned e8m0
 * negatives and zero -> NaN. fq_mf_encode_bits() is that, branch-free scalar C (the tails,
 * and MSVC); fq_mf_encode_vec() an equivalent restatement without per-lane shifts, in GCC/clang
 * vector extensions (SSE2 in the baseline build, AVX2 in x86-64-v3, AVX-512 or NEON where the
 * build targets them).
 *
 * Decode (code -> float32): a 256-entry table, generated at init by fq_mf_decode_bits() (a
 * generic formula: normal codes by shifting the code into the float32 fields, subnormal ones
 * by an exact int-to-float conversion and power-of-two multiply, then the special codes of the
 * format's kind: one magnitude (inf, fn's NaN, e8m0's 0x00), the magnitudes above another
 * (NaNs), one whole code (fnuz's 0x80)). The scalar path looks codes up in the table; AVX-512
 * looks them up with vpermt2ps permutes of the table held in registers; the vector-extension
 * path (SSE2, AVX2, NEON) evaluates the formula 4 or 8 lanes wide, with only the steps of the
 * format's kind (an AVX2 gather from the table runs at half its speed). Bits above a format's
 * width are ignored by every path (the public functions reject such codes; the kernels
 * report them). No step depends on the FPU's denormal modes (DAZ/FTZ).
 *
 * op: the encoders can first multiply or divide by k (one float, or one per element), the
 * decoders can multiply by k: float32 IEEE operations, no contraction, exactly what NumPy
 * computes for x * k, x / k.
 */
#ifndef FQ_MINIFLOAT_H
#define FQ_MINIFLOAT_H

#include "fq_inline.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

enum { FQ_MF_IEEE = 0, FQ_MF_FN = 1, FQ_MF_FNUZ = 2, FQ_MF_MX = 3, FQ_MF_E8M0 = 4 };
enum { FQ_MF_PLAIN = 0, FQ_MF_MUL = 1, FQ_MF_DIV = 2 };

typedef struct {
    float table[256];       /* decode table: table[c] = fq_mf_decode_bits(c) as float */
    int32_t kind;           /* FQ_MF_IEEE ... FQ_MF_E8M0: which special codes exist */
    /* encoder */
    int32_t mb;             /* mantissa bits */
    int32_t bias_adj;       /* bias - 127 */
    uint32_t sign;          /* the code's sign bit; 0 for the unsigned e8m0 */
    uint32_t max_code;      /* largest finite magnitude */
    uint32_t inf_code;      /* +inf and overflow without saturate */
    uint32_t nan_code;      /* +NaN */
    uint32_t nan_flip;      /* XOR-ed into nan_code for a negative NaN */
    uint32_t zero_sign;     /* all ones where -0 exists (else a zero drops its sign) */
    uint32_t unsigned_nan;  /* all ones for e8m0: negatives and zero become NaN */
    uint32_t limit;         /* largest valid code: 255, 63 or 15 */
    uint32_t sub_below;     /* float32 bits of the min normal: |x| below it has a subnormal
                               code (0 for e8m0: never) */
    uint32_t magic_bits;    /* float32 bits of 2**(24 - bias - mb) (vector encoder) */
    /* decoder */
    uint32_t mag_mask;      /* the bits below the sign bit (all 8 for e8m0) */
    int32_t sign_shift;     /* moves the sign bit to bit 31 */
    int32_t nrm_shift;      /* 23 - mb */
    uint32_t nrm_add;       /* (127 - bias) << 23 */
    uint32_t sub_lim;       /* magnitudes below are subnormal: 1 << mb (0: none) */
    float sub_scale;        /* 2**(1 - bias - mb) */
    uint32_t fix_eq, val_eq;    /* the magnitude fix_eq decodes to val_eq (inf, NaN, e8m0's 0x00) */
    uint32_t fix_gt, val_gt;    /* magnitudes above fix_gt decode to val_gt (NaNs) */
    uint32_t code_fix, code_val;/* the whole code code_fix decodes to code_val (fnuz's 0x80) */
} fq_minifloat;

FQ_INLINE uint32_t fq_mf_f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
FQ_INLINE float fq_mf_u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* ------------------------------------------------------------------------------- scalar */

/* float32 bits of code c (bits above the width ignored). */
FQ_INLINE uint32_t fq_mf_decode_bits(uint32_t c, const fq_minifloat *t) {
    uint32_t mag = c & t->mag_mask, r;
    if (mag < t->sub_lim)
        r = fq_mf_f2u((float)(int32_t)mag * t->sub_scale);
    else
        r = (mag << t->nrm_shift) + t->nrm_add;
    if (mag == t->fix_eq) r = t->val_eq;
    if (mag > t->fix_gt) r = t->val_gt;
    r |= (c & t->sign) << t->sign_shift;
    if ((c & 0xFF) == t->code_fix) r = t->code_val;
    return r;
}

/* The code of float32 bits u; ovf is the code of overflow (inf_code, or max_code to
 * saturate). Branch-free (masks instead of ifs: random data would mispredict every branch),
 * so that compilers can also vectorize it where the target has per-lane shifts. */
FQ_INLINE uint32_t fq_mf_encode_bits(uint32_t u, const fq_minifloat *t, uint32_t ovf) {
    uint32_t a = u & 0x7FFFFFFFu;
    uint32_t negm = 0u - (u >> 31);                              /* all ones if negative */
    int32_t e = (int32_t)(a >> 23);
    uint32_t sig = (a & 0x7FFFFFu) | ((uint32_t)(e > 0) << 23);
    int32_t tt = (e > 1 ? e : 1) + t->bias_adj;
    int32_t ne = tt > 1 ? tt - 1 : 0;
    int32_t sh = (23 - t->mb) + (tt < 1 ? 1 - tt : 0);
    uint32_t r, code, m;
    sh = sh < 25 ? sh : 25;
    r = (sig + ((1u << (sh - 1)) - 1u) + ((sig >> sh) & 1u)) >> sh;
    code = ((uint32_t)ne << t->mb) + r;
    m = 0u - (uint32_t)(code > t->max_code);                     /* overflow, inf, NaN */
    code = (code & ~m) | (ovf & m);
    m = (0u - (uint32_t)(code == 0)) & ~t->zero_sign;            /* a zero without -0 */
    code |= negm & t->sign & ~m;
    m = 0u - (uint32_t)(a > 0x7F800000u);                        /* NaN */
    code = (code & ~m) | ((t->nan_code ^ (negm & t->nan_flip)) & m);
    m = t->unsigned_nan & (negm | (0u - (uint32_t)(a == 0)));    /* e8m0: negative or zero */
    return (code & ~m) | (t->nan_code & m);
}

/* Fill t's decoder fields and table; the encoder fields are set by the caller (floats.pyx,
 * from fastquant/_minifloats.py). */
FQ_INLINE void fq_mf_init_decoder(fq_minifloat *t, int kind, int mb, int bias, int bits) {
    int k, c;
    t->kind = kind;
    t->fix_eq = t->fix_gt = t->code_fix = 0x100;  /* none: magnitudes and codes are < 0x100 */
    t->val_eq = t->val_gt = t->code_val = 0;
    t->mag_mask = t->sign ? t->sign - 1 : 0xFF;
    t->sub_below = kind == FQ_MF_E8M0 ? 0 : (uint32_t)(128 - bias) << 23;
    t->magic_bits = kind == FQ_MF_E8M0 ? 0x3F800000u : (uint32_t)(127 + 24 - bias - mb) << 23;
    t->sign_shift = 32 - bits;
    t->nrm_shift = 23 - mb;
    t->nrm_add = (uint32_t)(127 - bias) << 23;
    t->sub_lim = kind == FQ_MF_E8M0 ? 0 : 1u << mb;
    t->sub_scale = 1.0f;
    for (k = 1 - bias - mb; k < 0; k++) t->sub_scale *= 0.5f;  /* exact: >= 2**-17 */
    switch (kind) {
    case FQ_MF_IEEE:  /* top exponent: inf, then NaNs */
        t->fix_eq = t->inf_code; t->val_eq = 0x7F800000u;
        t->fix_gt = t->inf_code; t->val_gt = 0x7FC00000u;
        break;
    case FQ_MF_FN:
        t->fix_eq = t->nan_code; t->val_eq = 0x7FC00000u;
        break;
    case FQ_MF_FNUZ:  /* the code of -0 is the NaN */
        t->code_fix = t->sign; t->code_val = 0xFFC00000u;
        break;
    case FQ_MF_E8M0:  /* 0x00 is 2**-127 (a float32 subnormal), 0xFF NaN */
        t->fix_eq = 0; t->val_eq = 0x00400000u;
        t->fix_gt = 0xFE; t->val_gt = 0x7FC00000u;
        break;
    default:
        break;
    }
    for (c = 0; c < 256; c++) t->table[c] = fq_mf_u2f(fq_mf_decode_bits((uint32_t)c, t));
}

FQ_INLINE float fq_mf_apply(float x, int op, float k) {
    return op == FQ_MF_MUL ? x * k : op == FQ_MF_DIV ? x / k : x;
}

/* ------------------------------------------------------------------------- vector code
 * GCC/clang vector extensions: one implementation that compiles to SSE2 (x86-64 baseline),
 * AVX2 (x86-64-v3, 8 lanes), AVX-512 (16 lanes where the build targets it) and NEON.
 * The encoder avoids per-lane shifts (SSE2 has none) with a second, equivalent formulation:
 * - target normal (|x| >= the format's min normal, t >= 1): the integer formula with the
 *   fixed shift sh0 = 23 - mb, as code = (a + ((bias - 127) << 23) + 2**(sh0-1) - 1 + lsb)
 *   >> sh0, lsb = the last kept bit of sig: (a >> sh0) & 1, or for mb = 0 the implicit bit
 *   (adding (t - 1) << 23 to sig is the same as adding the biased exponent; for e8m0 this is
 *   also right for float32 subnormals);
 * - target subnormal (|x| < min normal): code = bits(|x| + M) - bits(M) with
 *   M = 2**(24 - bias - mb), whose ulp is the target's subnormal step: the float32 addition
 *   rounds |x| to a multiple of that step, half to even, in the default rounding mode the
 *   whole package assumes; the result (at most 2**mb steps) stays in M's binade. Inputs that
 *   are float32 subnormals give code 0 either way, also under DAZ/FTZ.
 * Both are exact restatements of the twin's formula; tools/check_floats_exhaustive.py checks
 * all 2**32 inputs of every format. */
#if defined(__GNUC__) && (defined(__clang__) || __GNUC__ >= 9) && !defined(FQ_NO_SIMD)
#define FQ_MF_VEC 1
#if defined(__AVX512F__) && defined(__AVX512BW__)
#define FQ_MF_LANES 16
#elif defined(__AVX2__)
#define FQ_MF_LANES 8
#else
#define FQ_MF_LANES 4 /* one 128-bit register: SSE2, NEON */
#endif
#if defined(__SSE2__) && !defined(__AVX2__)
#include <emmintrin.h>
#elif defined(__AVX2__) && !defined(__AVX512F__)
#include <immintrin.h>
#endif
typedef uint32_t fq_vu __attribute__((vector_size(4 * FQ_MF_LANES)));
typedef int32_t fq_vi __attribute__((vector_size(4 * FQ_MF_LANES)));
typedef float fq_vf __attribute__((vector_size(4 * FQ_MF_LANES)));
typedef uint8_t fq_vb __attribute__((vector_size(FQ_MF_LANES)));

/* m ? a : b for lane masks m (all ones or zero): one vpblendvb on AVX2 (GCC writes the
 * generic form as three instructions there; AVX-512 makes it one vpternlogd by itself). */
FQ_INLINE fq_vu fq_mf_sel(fq_vu m, fq_vu a, fq_vu b) {
#if defined(__AVX2__) && !defined(__AVX512F__)
    return (fq_vu)_mm256_blendv_epi8((__m256i)b, (__m256i)a, (__m256i)m);
#else
    return (a & m) | (b & ~m);
#endif
}
FQ_INLINE fq_vu fq_mf_splat(uint32_t x) { return (fq_vu){0} + x; }

/* FQ_MF_LANES bytes to one lane each, and 4 * FQ_MF_LANES lanes (values < 256) to bytes: the
 * x86 widening/narrowing instructions where there are any (GCC's generic lowering of
 * __builtin_convertvector extracts lanes one by one). */
FQ_INLINE fq_vu fq_mf_widen(const uint8_t *p) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
    return (fq_vu)_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
#elif defined(__AVX2__)
    return (fq_vu)_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
#elif defined(__SSE2__)
    int32_t w;
    __m128i z = _mm_setzero_si128();
    memcpy(&w, p, 4);
    return (fq_vu)_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(w), z), z);
#else
    fq_vb b;
    memcpy(&b, p, sizeof b);
    return __builtin_convertvector(b, fq_vu);
#endif
}

FQ_INLINE void fq_mf_narrow4(uint8_t *d, fq_vu c0, fq_vu c1, fq_vu c2, fq_vu c3) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
    _mm_storeu_si128((__m128i *)d, _mm512_cvtepi32_epi8((__m512i)c0));
    _mm_storeu_si128((__m128i *)(d + 16), _mm512_cvtepi32_epi8((__m512i)c1));
    _mm_storeu_si128((__m128i *)(d + 32), _mm512_cvtepi32_epi8((__m512i)c2));
    _mm_storeu_si128((__m128i *)(d + 48), _mm512_cvtepi32_epi8((__m512i)c3));
#elif defined(__AVX2__)
    __m256i p = _mm256_packus_epi16(_mm256_packus_epi32((__m256i)c0, (__m256i)c1),
                                    _mm256_packus_epi32((__m256i)c2, (__m256i)c3));
    _mm256_storeu_si256((__m256i *)d, _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
#elif defined(__SSE2__)  /* signed packs are exact: every lane is below 256 */
    _mm_storeu_si128((__m128i *)d, _mm_packus_epi16(_mm_packs_epi32((__m128i)c0, (__m128i)c1),
                                                    _mm_packs_epi32((__m128i)c2, (__m128i)c3)));
#else
    fq_vb b0 = __builtin_convertvector(c0, fq_vb), b1 = __builtin_convertvector(c1, fq_vb);
    fq_vb b2 = __builtin_convertvector(c2, fq_vb), b3 = __builtin_convertvector(c3, fq_vb);
    memcpy(d, &b0, FQ_MF_LANES);
    memcpy(d + FQ_MF_LANES, &b1, FQ_MF_LANES);
    memcpy(d + 2 * FQ_MF_LANES, &b2, FQ_MF_LANES);
    memcpy(d + 3 * FQ_MF_LANES, &b3, FQ_MF_LANES);
#endif
}

/* The encoder's traits as vectors, made once per call: local copies that stay in registers
 * (the traits behind a pointer would be reloaded after every byte store, which may alias). */
typedef struct {
    fq_vu add, sub_below, magic_bits, max_code, ovf, sign, nan_code, nan_flip;
    fq_vf magic;
    int sh0;
} fq_mf_venc;

FQ_INLINE void fq_mf_venc_init(fq_mf_venc *v, const fq_minifloat *t, uint32_t ovf) {
    v->sh0 = 23 - t->mb;
    v->add = fq_mf_splat((uint32_t)(t->bias_adj * (1 << 23)) + ((1u << (v->sh0 - 1)) - 1u));
    v->sub_below = fq_mf_splat(t->sub_below);
    v->magic_bits = fq_mf_splat(t->magic_bits);
    v->magic = (fq_vf){0} + fq_mf_u2f(t->magic_bits);
    v->max_code = fq_mf_splat(t->max_code);
    v->ovf = fq_mf_splat(ovf);
    v->sign = fq_mf_splat(t->sign);
    v->nan_code = fq_mf_splat(t->nan_code);
    v->nan_flip = fq_mf_splat(t->nan_flip);
}

/* codes of FQ_MF_LANES floats (bits u), one per lane; ``kind`` is a constant at every call
 * (fq_mf_encode_run switches on it), so each kind gets only the steps it needs. */
FQ_INLINE fq_vu fq_mf_encode_vec(fq_vu u, const fq_mf_venc *v, const int kind) {
    fq_vu a = u & 0x7FFFFFFFu;
    fq_vu negm = (fq_vu)((fq_vi)u >> 31), code, m;
    if (kind == FQ_MF_E8M0) {
        /* mb = 0: a tie is decided by the implicit bit (1 for float32 normals), not by the
         * exponent's low bit: add 1 where a >= 2**-126 (the mask is -1 there) */
        code = (a + v->add - (fq_vu)((fq_vi)a >= 0x800000)) >> v->sh0;
        code = fq_mf_sel((fq_vu)((fq_vi)code > (fq_vi)v->max_code), v->ovf, code);
        /* NaN, negative (-0 too), zero: 0xFF; code | 0xFF is 0xFF */
        return code | ((negm | (fq_vu)((fq_vi)a > 0x7F800000) | (fq_vu)(a == 0u)) & 0xFFu);
    } else {
        fq_vu cn = (a + v->add + ((a >> v->sh0) & 1u)) >> v->sh0, cs;
        fq_vf fa;
        memcpy(&fa, &a, sizeof fa);
        fa = fa + v->magic;
        memcpy(&cs, &fa, sizeof cs);
        code = fq_mf_sel((fq_vu)((fq_vi)a < (fq_vi)v->sub_below), cs - v->magic_bits, cn);
        code = fq_mf_sel((fq_vu)((fq_vi)code > (fq_vi)v->max_code), v->ovf, code);  /* overflow, inf, NaN */
        if (kind == FQ_MF_FNUZ)
            code |= negm & v->sign & ~(fq_vu)(code == 0u);  /* no -0 */
        else
            code |= negm & v->sign;
        m = (fq_vu)((fq_vi)a > 0x7F800000);                 /* NaN */
        if (kind == FQ_MF_FNUZ)
            return fq_mf_sel(m, v->nan_code, code);
        return fq_mf_sel(m, v->nan_code ^ (negm & v->nan_flip), code);
    }
}

/* The decoder's traits as vectors (see fq_mf_venc). */
typedef struct {
    fq_vu mag_mask, nrm_add, sub_lim, fix_eq, val_eq, fix_gt, val_gt, sign, code_fix, code_val;
    fq_vf sub_scale;
    int nrm_shift, sign_shift;
} fq_mf_vdec;

FQ_INLINE void fq_mf_vdec_init(fq_mf_vdec *v, const fq_minifloat *t) {
    v->mag_mask = fq_mf_splat(t->mag_mask);
    v->nrm_add = fq_mf_splat(t->nrm_add);
    v->sub_lim = fq_mf_splat(t->sub_lim);
    v->fix_eq = fq_mf_splat(t->fix_eq);
    v->val_eq = fq_mf_splat(t->val_eq);
    v->fix_gt = fq_mf_splat(t->fix_gt);
    v->val_gt = fq_mf_splat(t->val_gt);
    v->sign = fq_mf_splat(t->sign);
    v->code_fix = fq_mf_splat(t->code_fix);
    v->code_val = fq_mf_splat(t->code_val);
    v->sub_scale = (fq_vf){0} + t->sub_scale;
    v->nrm_shift = t->nrm_shift;
    v->sign_shift = t->sign_shift;
}

/* float32 bits of FQ_MF_LANES codes (< 256, one per lane): fq_mf_decode_bits, with only the
 * steps of ``kind`` (a constant at every call). Lanes are small non-negative integers, so
 * signed compares (which SSE2 has) are unsigned ones. */
FQ_INLINE fq_vu fq_mf_decode_vec(fq_vu c, const fq_mf_vdec *v, const int kind) {
    fq_vi mag = kind == FQ_MF_E8M0 ? (fq_vi)c : (fq_vi)(c & v->mag_mask);
    fq_vu r = ((fq_vu)mag << v->nrm_shift) + v->nrm_add;
    if (kind != FQ_MF_E8M0) {  /* subnormal codes: mag * 2**(1 - bias - mb), exact */
        fq_vf f = __builtin_convertvector(mag, fq_vf) * v->sub_scale;
        fq_vu sub;
        memcpy(&sub, &f, sizeof sub);
        r = fq_mf_sel((fq_vu)(mag < (fq_vi)v->sub_lim), sub, r);
    }
    if (kind == FQ_MF_IEEE || kind == FQ_MF_FN || kind == FQ_MF_E8M0)
        r = fq_mf_sel((fq_vu)(mag == (fq_vi)v->fix_eq), v->val_eq, r);
    if (kind == FQ_MF_IEEE || kind == FQ_MF_E8M0)
        r = fq_mf_sel((fq_vu)(mag > (fq_vi)v->fix_gt), v->val_gt, r);
    if (kind != FQ_MF_E8M0)
        r |= (c & v->sign) << v->sign_shift;
    if (kind == FQ_MF_FNUZ)
        r = fq_mf_sel((fq_vu)((fq_vi)c == (fq_vi)v->code_fix), v->code_val, r);
    return r;
}
#endif /* FQ_MF_VEC */

/* AVX-512: decode by permutes of the 256-entry table held in 16 registers (vpermt2ps picks
 * from 32 entries by the low 5 bits of each code; bits 5..7 choose among the results). */
#if defined(__AVX512F__) && defined(__AVX512BW__) && !defined(FQ_NO_SIMD)
#define FQ_MF_AVX512 1
FQ_INLINE __m512 fq_mf_dec16(__m512i c, const __m512 *tab, int limit) {
    __m512 p0, p1, p2, p3;
    __mmask16 b5, b6, b7;
    if (limit < 32) return _mm512_permutexvar_ps(c, tab[0]);  /* fp4: 16 entries */
    b5 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(0x20));
    p0 = _mm512_mask_mov_ps(_mm512_permutex2var_ps(tab[0], c, tab[1]), b5, _mm512_permutex2var_ps(tab[2], c, tab[3]));
    if (limit < 64) return p0;  /* fp6: 64 entries */
    b6 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(0x40));
    b7 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(0x80));
    p1 = _mm512_mask_mov_ps(_mm512_permutex2var_ps(tab[4], c, tab[5]), b5, _mm512_permutex2var_ps(tab[6], c, tab[7]));
    p2 = _mm512_mask_mov_ps(_mm512_permutex2var_ps(tab[8], c, tab[9]), b5, _mm512_permutex2var_ps(tab[10], c, tab[11]));
    p3 = _mm512_mask_mov_ps(_mm512_permutex2var_ps(tab[12], c, tab[13]), b5, _mm512_permutex2var_ps(tab[14], c, tab[15]));
    p0 = _mm512_mask_mov_ps(p0, b6, p1);
    p2 = _mm512_mask_mov_ps(p2, b6, p3);
    return _mm512_mask_mov_ps(p0, b7, p2);
}
#endif

/* ---------------------------------------------------------------------------- the loops */

#if defined(FQ_MF_VEC)
/* The vector part of fq_mf_encode_run for one kind; returns how many elements it did. */
FQ_INLINE ptrdiff_t fq_mf_encode_vloop(const float *s, uint8_t *d, ptrdiff_t n, const fq_minifloat *t,
                                       uint32_t ovf, int op, const float *k, int kstep, const int kind) {
    ptrdiff_t i = 0;
    fq_mf_venc v;
    fq_vf x, kv = (fq_vf){0} + k[0];
    fq_vu u[4];
    int j;
    fq_mf_venc_init(&v, t, ovf);
    for (; i + 4 * FQ_MF_LANES <= n; i += 4 * FQ_MF_LANES) {
        for (j = 0; j < 4; j++) {
            memcpy(&x, s + i + j * FQ_MF_LANES, sizeof x);
            if (op && kstep) memcpy(&kv, k + i + j * FQ_MF_LANES, sizeof kv);
            if (op == FQ_MF_MUL) x = x * kv;
            else if (op == FQ_MF_DIV) x = x / kv;
            memcpy(&u[j], &x, sizeof u[j]);
            u[j] = fq_mf_encode_vec(u[j], &v, kind);
        }
        fq_mf_narrow4(d + i, u[0], u[1], u[2], u[3]);
    }
    return i;
}
#endif

/* d[i] = encode(op(s[i], k[i * kstep])) for i < n (k[0] is read even for FQ_MF_PLAIN). */
FQ_INLINE void fq_mf_encode_run(const float *s, uint8_t *d, ptrdiff_t n, const fq_minifloat *t,
                                int sat, int op, const float *k, int kstep) {
    ptrdiff_t i = 0;
    float k0;
    uint32_t ovf = sat ? t->max_code : t->inf_code;
    if (n <= 0) return;  /* k may point one past its array then: read nothing */
    k0 = op ? k[0] : 1.0f;
#if defined(FQ_MF_VEC)
    switch (t->kind) {
    case FQ_MF_IEEE: i = fq_mf_encode_vloop(s, d, n, t, ovf, op, k, kstep, FQ_MF_IEEE); break;
    case FQ_MF_FN: i = fq_mf_encode_vloop(s, d, n, t, ovf, op, k, kstep, FQ_MF_FN); break;
    case FQ_MF_FNUZ: i = fq_mf_encode_vloop(s, d, n, t, ovf, op, k, kstep, FQ_MF_FNUZ); break;
    case FQ_MF_MX: i = fq_mf_encode_vloop(s, d, n, t, ovf, op, k, kstep, FQ_MF_MX); break;
    default: i = fq_mf_encode_vloop(s, d, n, t, ovf, op, k, kstep, FQ_MF_E8M0); break;
    }
#endif
    for (; i < n; i++)
        d[i] = (uint8_t)fq_mf_encode_bits(fq_mf_f2u(fq_mf_apply(s[i], op, kstep ? k[i] : k0)), t, ovf);
}

#if defined(FQ_MF_VEC) && !defined(FQ_MF_AVX512)
/* The vector part of fq_mf_decode_run for one kind; returns how many elements it did and
 * ORs the codes it read into *seen. */
FQ_INLINE ptrdiff_t fq_mf_decode_vloop(const uint8_t *s, float *d, ptrdiff_t n, const fq_minifloat *t,
                                       int op, const float *k, int kstep, uint32_t *seen, const int kind) {
    ptrdiff_t i = 0;
    fq_mf_vdec v;
    fq_vf y, kv = (fq_vf){0} + k[0];
    fq_vu r, acc = (fq_vu){0};
    int j;
    fq_mf_vdec_init(&v, t);
    for (; i + FQ_MF_LANES <= n; i += FQ_MF_LANES) {
        r = fq_mf_widen(s + i);
        acc |= r;
        r = fq_mf_decode_vec(r, &v, kind);
        memcpy(&y, &r, sizeof y);
        if (op && kstep) memcpy(&kv, k + i, sizeof kv);
        if (op) y = y * kv;
        memcpy(d + i, &y, sizeof y);
    }
    for (j = 0; j < FQ_MF_LANES; j++) *seen |= acc[j];
    return i;
}
#endif

/* d[i] = decode(s[i]) (times k[i * kstep] with op = FQ_MF_MUL) for i < n; returns the OR of
 * all codes (the caller tests it against the format's width). (GCC 12 warns, wrongly, that
 * the tail loop could run 2**62 times when d is a stack block: silenced here only.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif
FQ_INLINE uint32_t fq_mf_decode_run(const uint8_t *s, float *d, ptrdiff_t n, const fq_minifloat *t,
                                    int op, const float *k, int kstep) {
    ptrdiff_t i = 0;
    uint32_t seen = 0;
    float k0;
    if (n <= 0) return 0;  /* k may point one past its array then: read nothing */
    k0 = op ? k[0] : 1.0f;
#if defined(FQ_MF_AVX512)
    {
        __m512 tab[16], kv = _mm512_set1_ps(k0);
        __m128i acc = _mm_setzero_si128();
        uint8_t lanes[16];
        int j, limit = (int)t->limit;
        for (j = 0; j < 16; j++) tab[j] = _mm512_loadu_ps(t->table + 16 * j);
        for (; i + 16 <= n; i += 16) {
            __m128i b = _mm_loadu_si128((const __m128i *)(s + i));
            __m512 y = fq_mf_dec16(_mm512_cvtepu8_epi32(b), tab, limit);
            acc = _mm_or_si128(acc, b);
            if (op && kstep) kv = _mm512_loadu_ps(k + i);
            if (op) y = _mm512_mul_ps(y, kv);
            _mm512_storeu_ps(d + i, y);
        }
        _mm_storeu_si128((__m128i *)lanes, acc);
        for (j = 0; j < 16; j++) seen |= lanes[j];
    }
#elif defined(FQ_MF_VEC)
    switch (t->kind) {
    case FQ_MF_IEEE: i = fq_mf_decode_vloop(s, d, n, t, op, k, kstep, &seen, FQ_MF_IEEE); break;
    case FQ_MF_FN: i = fq_mf_decode_vloop(s, d, n, t, op, k, kstep, &seen, FQ_MF_FN); break;
    case FQ_MF_FNUZ: i = fq_mf_decode_vloop(s, d, n, t, op, k, kstep, &seen, FQ_MF_FNUZ); break;
    case FQ_MF_MX: i = fq_mf_decode_vloop(s, d, n, t, op, k, kstep, &seen, FQ_MF_MX); break;
    default: i = fq_mf_decode_vloop(s, d, n, t, op, k, kstep, &seen, FQ_MF_E8M0); break;
    }
#endif
    for (; i < n; i++) {
        float y = t->table[s[i]];
        seen |= s[i];
        d[i] = op ? y * (kstep ? k[i] : k0) : y;
    }
    return seen;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
