/* A few float32 lanes for the GGUF encoders: GV_W lanes of AVX-512 (16), AVX2 (8), SSE2 (4) or
 * plain C (4), chosen by the compiler flags of the build. Every operation is one IEEE float32
 * operation per lane (no FMA, no approximate reciprocal), so each lane computes what the plain
 * C code computes for it, bit for bit, on every build.
 *
 * The comparison helpers follow C: gv_gt/lt/ge/le/eq are false when a lane is NaN, gv_ne and
 * gv_nle are true. gv_min(a, b) is `a < b ? a : b` and gv_max(a, b) is `a > b ? a : b` (what
 * MINPS/MAXPS compute: the second operand when the comparison is false), which are the MIN/MAX
 * macros of C and the `if (x < m) m = x` updates of the llama.cpp reference loops.
 *
 * FQ_GGUF_PLAIN_C forces the plain C lanes (to test that branch on an x86-64 machine).
 */
#ifndef GGUF_VEC_H
#define GGUF_VEC_H

#include <stdint.h>
#include <string.h>
#include "fq_inline.h"

#if defined(FQ_GGUF_PLAIN_C)
#elif defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#define GV_AVX512 1
#elif defined(__AVX2__)
#define GV_AVX2 1
#elif defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define GV_SSE2 1
#endif

#if defined(GV_AVX512) || defined(GV_AVX2) || defined(GV_SSE2)
#include <immintrin.h>
#endif

#define GV_MAGIC 12582912.0f          /* 1.5 * 2**23 */

#if defined(GV_AVX512)
#define GV_W 16
typedef __m512 gvf;
typedef __mmask16 gvm;
FQ_INLINE gvf gv_set1(float a) { return _mm512_set1_ps(a); }
FQ_INLINE gvf gv_load(const float *p) { return _mm512_loadu_ps(p); }
FQ_INLINE void gv_store(float *p, gvf a) { _mm512_storeu_ps(p, a); }
FQ_INLINE gvf gv_add(gvf a, gvf b) { return _mm512_add_ps(a, b); }
FQ_INLINE gvf gv_sub(gvf a, gvf b) { return _mm512_sub_ps(a, b); }
FQ_INLINE gvf gv_mul(gvf a, gvf b) { return _mm512_mul_ps(a, b); }
FQ_INLINE gvf gv_div(gvf a, gvf b) { return _mm512_div_ps(a, b); }
FQ_INLINE gvf gv_sqrt(gvf a) { return _mm512_sqrt_ps(a); }
FQ_INLINE gvf gv_min(gvf a, gvf b) { return _mm512_min_ps(a, b); }
FQ_INLINE gvf gv_max(gvf a, gvf b) { return _mm512_max_ps(a, b); }
FQ_INLINE gvf gv_abs(gvf a) { return _mm512_abs_ps(a); }
FQ_INLINE gvf gv_neg(gvf a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int) 0x80000000u))); }
FQ_INLINE gvm gv_gt(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
FQ_INLINE gvm gv_lt(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
FQ_INLINE gvm gv_ge(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
FQ_INLINE gvm gv_le(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
FQ_INLINE gvm gv_eq(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
FQ_INLINE gvm gv_ne(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
FQ_INLINE gvm gv_nle(gvf a, gvf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
FQ_INLINE gvm gm_and(gvm a, gvm b) { return (gvm) (a & b); }
FQ_INLINE gvm gm_or(gvm a, gvm b) { return (gvm) (a | b); }
FQ_INLINE gvm gm_andnot(gvm a, gvm b) { return (gvm) (a & ~b); }   /* a and not b */
FQ_INLINE gvm gm_none(void) { return 0; }
FQ_INLINE unsigned gm_bits(gvm a) { return (unsigned) a; }
FQ_INLINE gvf gv_sel(gvm m, gvf a, gvf b) { return _mm512_mask_blend_ps(m, b, a); }
FQ_INLINE gvf gv_masked(gvm m, gvf a) { return _mm512_maskz_mov_ps(m, a); }

#elif defined(GV_AVX2)
#define GV_W 8
typedef __m256 gvf;
typedef __m256 gvm;
FQ_INLINE gvf gv_set1(float a) { return _mm256_set1_ps(a); }
FQ_INLINE gvf gv_load(const float *p) { return _mm256_loadu_ps(p); }
FQ_INLINE void gv_store(float *p, gvf a) { _mm256_storeu_ps(p, a); }
FQ_INLINE gvf gv_add(gvf a, gvf b) { return _mm256_add_ps(a, b); }
FQ_INLINE gvf gv_sub(gvf a, gvf b) { return _mm256_sub_ps(a, b); }
FQ_INLINE gvf gv_mul(gvf a, gvf b) { return _mm256_mul_ps(a, b); }
FQ_INLINE gvf gv_div(gvf a, gvf b) { return _mm256_div_ps(a, b); }
FQ_INLINE gvf gv_sqrt(gvf a) { return _mm256_sqrt_ps(a); }
FQ_INLINE gvf gv_min(gvf a, gvf b) { return _mm256_min_ps(a, b); }
FQ_INLINE gvf gv_max(gvf a, gvf b) { return _mm256_max_ps(a, b); }
FQ_INLINE gvf gv_abs(gvf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF))); }
FQ_INLINE gvf gv_neg(gvf a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int) 0x80000000u))); }
FQ_INLINE gvm gv_gt(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
FQ_INLINE gvm gv_lt(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
FQ_INLINE gvm gv_ge(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
FQ_INLINE gvm gv_le(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
FQ_INLINE gvm gv_eq(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
FQ_INLINE gvm gv_ne(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
FQ_INLINE gvm gv_nle(gvf a, gvf b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
FQ_INLINE gvm gm_and(gvm a, gvm b) { return _mm256_and_ps(a, b); }
FQ_INLINE gvm gm_or(gvm a, gvm b) { return _mm256_or_ps(a, b); }
FQ_INLINE gvm gm_andnot(gvm a, gvm b) { return _mm256_andnot_ps(b, a); }
FQ_INLINE gvm gm_none(void) { return _mm256_setzero_ps(); }
FQ_INLINE unsigned gm_bits(gvm a) { return (unsigned) _mm256_movemask_ps(a); }
FQ_INLINE gvf gv_sel(gvm m, gvf a, gvf b) { return _mm256_blendv_ps(b, a, m); }
FQ_INLINE gvf gv_masked(gvm m, gvf a) { return _mm256_and_ps(m, a); }

#elif defined(GV_SSE2)
#define GV_W 4
typedef __m128 gvf;
typedef __m128 gvm;
FQ_INLINE gvf gv_set1(float a) { return _mm_set1_ps(a); }
FQ_INLINE gvf gv_load(const float *p) { return _mm_loadu_ps(p); }
FQ_INLINE void gv_store(float *p, gvf a) { _mm_storeu_ps(p, a); }
FQ_INLINE gvf gv_add(gvf a, gvf b) { return _mm_add_ps(a, b); }
FQ_INLINE gvf gv_sub(gvf a, gvf b) { return _mm_sub_ps(a, b); }
FQ_INLINE gvf gv_mul(gvf a, gvf b) { return _mm_mul_ps(a, b); }
FQ_INLINE gvf gv_div(gvf a, gvf b) { return _mm_div_ps(a, b); }
FQ_INLINE gvf gv_sqrt(gvf a) { return _mm_sqrt_ps(a); }
FQ_INLINE gvf gv_min(gvf a, gvf b) { return _mm_min_ps(a, b); }
FQ_INLINE gvf gv_max(gvf a, gvf b) { return _mm_max_ps(a, b); }
FQ_INLINE gvf gv_abs(gvf a) { return _mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF))); }
FQ_INLINE gvf gv_neg(gvf a) { return _mm_xor_ps(a, _mm_castsi128_ps(_mm_set1_epi32((int) 0x80000000u))); }
FQ_INLINE gvm gv_gt(gvf a, gvf b) { return _mm_cmpgt_ps(a, b); }
FQ_INLINE gvm gv_lt(gvf a, gvf b) { return _mm_cmplt_ps(a, b); }
FQ_INLINE gvm gv_ge(gvf a, gvf b) { return _mm_cmpge_ps(a, b); }
FQ_INLINE gvm gv_le(gvf a, gvf b) { return _mm_cmple_ps(a, b); }
FQ_INLINE gvm gv_eq(gvf a, gvf b) { return _mm_cmpeq_ps(a, b); }
FQ_INLINE gvm gv_ne(gvf a, gvf b) { return _mm_cmpneq_ps(a, b); }
FQ_INLINE gvm gv_nle(gvf a, gvf b) { return _mm_cmpnle_ps(a, b); }
FQ_INLINE gvm gm_and(gvm a, gvm b) { return _mm_and_ps(a, b); }
FQ_INLINE gvm gm_or(gvm a, gvm b) { return _mm_or_ps(a, b); }
FQ_INLINE gvm gm_andnot(gvm a, gvm b) { return _mm_andnot_ps(b, a); }
FQ_INLINE gvm gm_none(void) { return _mm_setzero_ps(); }
FQ_INLINE unsigned gm_bits(gvm a) { return (unsigned) _mm_movemask_ps(a); }
FQ_INLINE gvf gv_sel(gvm m, gvf a, gvf b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
FQ_INLINE gvf gv_masked(gvm m, gvf a) { return _mm_and_ps(m, a); }

#else
#define GV_W 4
#define GV_PLAIN 1
typedef struct { float v[4]; } gvf;
typedef struct { uint32_t v[4]; } gvm;
#define GV_MAP1(expr) gvf r; int i; for (i = 0; i < 4; i++) r.v[i] = (expr); return r
#define GV_CMP(expr) gvm r; int i; for (i = 0; i < 4; i++) r.v[i] = (expr) ? 1u : 0u; return r
FQ_INLINE gvf gv_set1(float a) { GV_MAP1(a); }
FQ_INLINE gvf gv_load(const float *p) { GV_MAP1(p[i]); }
FQ_INLINE void gv_store(float *p, gvf a) { int i; for (i = 0; i < 4; i++) p[i] = a.v[i]; }
FQ_INLINE gvf gv_add(gvf a, gvf b) { GV_MAP1(a.v[i] + b.v[i]); }
FQ_INLINE gvf gv_sub(gvf a, gvf b) { GV_MAP1(a.v[i] - b.v[i]); }
FQ_INLINE gvf gv_mul(gvf a, gvf b) { GV_MAP1(a.v[i] * b.v[i]); }
FQ_INLINE gvf gv_div(gvf a, gvf b) { GV_MAP1(a.v[i] / b.v[i]); }
FQ_INLINE gvf gv_sqrt(gvf a);
FQ_INLINE gvf gv_min(gvf a, gvf b) { GV_MAP1(a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
FQ_INLINE gvf gv_max(gvf a, gvf b) { GV_MAP1(a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
FQ_INLINE gvf gv_abs(gvf a);
FQ_INLINE gvf gv_neg(gvf a) { GV_MAP1(-a.v[i]); }
FQ_INLINE gvm gv_gt(gvf a, gvf b) { GV_CMP(a.v[i] > b.v[i]); }
FQ_INLINE gvm gv_lt(gvf a, gvf b) { GV_CMP(a.v[i] < b.v[i]); }
FQ_INLINE gvm gv_ge(gvf a, gvf b) { GV_CMP(a.v[i] >= b.v[i]); }
FQ_INLINE gvm gv_le(gvf a, gvf b) { GV_CMP(a.v[i] <= b.v[i]); }
FQ_INLINE gvm gv_eq(gvf a, gvf b) { GV_CMP(a.v[i] == b.v[i]); }
FQ_INLINE gvm gv_ne(gvf a, gvf b) { GV_CMP(a.v[i] != b.v[i]); }
FQ_INLINE gvm gv_nle(gvf a, gvf b) { GV_CMP(!(a.v[i] <= b.v[i])); }
FQ_INLINE gvm gm_and(gvm a, gvm b) { gvm r; int i; for (i = 0; i < 4; i++) r.v[i] = a.v[i] & b.v[i]; return r; }
FQ_INLINE gvm gm_or(gvm a, gvm b) { gvm r; int i; for (i = 0; i < 4; i++) r.v[i] = a.v[i] | b.v[i]; return r; }
FQ_INLINE gvm gm_andnot(gvm a, gvm b) { gvm r; int i; for (i = 0; i < 4; i++) r.v[i] = a.v[i] & ~b.v[i] & 1u; return r; }
FQ_INLINE gvm gm_none(void) { gvm r; int i; for (i = 0; i < 4; i++) r.v[i] = 0; return r; }
FQ_INLINE unsigned gm_bits(gvm a) { return a.v[0] | (a.v[1] << 1) | (a.v[2] << 2) | (a.v[3] << 3); }
FQ_INLINE gvf gv_sel(gvm m, gvf a, gvf b) { GV_MAP1(m.v[i] ? a.v[i] : b.v[i]); }
FQ_INLINE gvf gv_masked(gvm m, gvf a) { GV_MAP1(m.v[i] ? a.v[i] : 0.0f); }
#endif

#if defined(GV_PLAIN)
#include <math.h>
FQ_INLINE gvf gv_sqrt(gvf a) { GV_MAP1(sqrtf(a.v[i])); }
FQ_INLINE gvf gv_abs(gvf a) { GV_MAP1(fabsf(a.v[i])); }
#endif

/* m ? a : 0 (gv_masked) is also a cheap way to count: sum gv_masked(m, 1.0f) */

/* the lanes of a, whole numbers in [0, 255], as GV_W bytes at p (any other value: unspecified
 * byte, no undefined behaviour) */
#if defined(GV_AVX512)
FQ_INLINE void gv_store_u8(uint8_t *p, gvf a) {
    _mm_storeu_si128((__m128i *) p, _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(a)));
}
#elif defined(GV_AVX2)
FQ_INLINE void gv_store_u8(uint8_t *p, gvf a) {
    __m256i i = _mm256_cvttps_epi32(a);
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64((__m128i *) p, _mm_packus_epi16(w, w));
}
#elif defined(GV_SSE2)
FQ_INLINE void gv_store_u8(uint8_t *p, gvf a) {
    __m128i i = _mm_cvttps_epi32(a), w = _mm_packs_epi32(i, i);
    int v = _mm_cvtsi128_si32(_mm_packus_epi16(w, w));
    memcpy(p, &v, 4);
}
#else
FQ_INLINE void gv_store_u8(uint8_t *p, gvf a) {
    int i;
    for (i = 0; i < 4; i++) p[i] = (uint8_t) (a.v[i] >= 0.0f && a.v[i] < 256.0f ? (int) a.v[i] : 0);
}
#endif

/* nearest_int of llama.cpp as a float: half to even for |a| <= 4194303 (else garbage, which
 * callers flag through gv_bad) */
FQ_INLINE gvf gv_round(gvf a) { return gv_sub(gv_add(a, gv_set1(GV_MAGIC)), gv_set1(GV_MAGIC)); }

/* lanes where nearest_int's assert(fabsf(a) <= 4194303.f) fails (NaN included) */
FQ_INLINE gvm gv_bad(gvf a) { return gv_nle(gv_abs(a), gv_set1(4194303.0f)); }

FQ_INLINE int gm_any(gvm a) { return gm_bits(a) != 0; }

FQ_INLINE gvf gv_clamp(gvf a, float lo, float hi) { return gv_max(gv_set1(lo), gv_min(gv_set1(hi), a)); }

#endif
