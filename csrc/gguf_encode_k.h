/* GGUF encoders with a scale search per sub-block: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS and
 * IQ4_NL (csrc/gguf_encode_k.pyx, csrc/gguf_encode.pyx); fastquant/_twins/gguf_encode_k.py is
 * the readable form of the same operations.
 *
 * The search of llama.cpp's reference (make_qkx2_quants, make_qx_quants, make_q3_quants, the
 * IQ4 search) is sequential inside one sub-block but independent between sub-blocks. So a
 * group of GV_W sub-blocks is transposed (xt[i * GV_W + lane] = value i of sub-block lane) and
 * every lane runs the C code's float operations in its order: the same bits as one sub-block
 * at a time, GV_W sub-blocks per instruction. Decisions become per-lane selects; lanes that the
 * C code would leave early (an all-zero sub-block) compute garbage that is never selected.
 *
 * nearest_int's assert(fabsf(a) <= 4194303.f) is part of the contract (GQ_RANGE). Where the
 * argument is a * (x - m) or (x + m) / d for a whole sub-block, the float operations are
 * monotone in x, so the arguments at the sub-block's smallest and largest x bound all the
 * others (NaN included): two checks per candidate scale instead of one per value.
 */
#ifndef GGUF_ENCODE_K_H
#define GGUF_ENCODE_K_H

#include "gguf_encode_simple.h"
#include "gguf_vec.h"

#define GK_EPS 1e-15f                 /* GROUP_MAX_EPS */

typedef struct {
    float scale[GV_W];   /* the sub-block's scale (0 where not live) */
    float themin[GV_W];  /* make_qkx2_quants: -min */
    float isc[GV_W];     /* the inverse scale whose codes won the search */
    float minb[GV_W];    /* make_qkx2_quants: the min those codes were computed with */
    float lo[GV_W];      /* smallest and largest value of the sub-block */
    float hi[GV_W];
    unsigned live;       /* bit per lane: the search ran (not an all-zero / flat sub-block) */
} gk_lanes;

#if defined(GV_AVX2)
/* xt[i * 8 + l] = x[l * n + i0 + i] for i, l < 8: the classic 8x8 transpose in registers */
FQ_INLINE void gk_transpose8x8(const float *x, int n, float *xt) {
    __m256 r0 = _mm256_loadu_ps(x), r1 = _mm256_loadu_ps(x + n), r2 = _mm256_loadu_ps(x + 2 * n);
    __m256 r3 = _mm256_loadu_ps(x + 3 * n), r4 = _mm256_loadu_ps(x + 4 * n), r5 = _mm256_loadu_ps(x + 5 * n);
    __m256 r6 = _mm256_loadu_ps(x + 6 * n), r7 = _mm256_loadu_ps(x + 7 * n);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(xt, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(xt + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(xt + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(xt + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(xt + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(xt + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(xt + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(xt + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

/* xt[i * GV_W + l] = x[l * n + i]: count (<= GV_W) sub-blocks of n values into lanes, the
 * other lanes 0 */
FQ_INLINE void gk_transpose(const float *x, int n, int count, float *xt) {
    int i, l;
#if defined(GV_AVX2)
    if (count == 8) {
        for (i = 0; i < n; i += 8) gk_transpose8x8(x + i, n, xt + 8 * i);
        return;
    }
#elif defined(GV_SSE2)
    if (count == 4) {
        for (i = 0; i < n; i += 4) {
            __m128 r0 = _mm_loadu_ps(x + i), r1 = _mm_loadu_ps(x + n + i);
            __m128 r2 = _mm_loadu_ps(x + 2 * n + i), r3 = _mm_loadu_ps(x + 3 * n + i);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(xt + 4 * i, r0);
            _mm_storeu_ps(xt + 4 * i + 4, r1);
            _mm_storeu_ps(xt + 4 * i + 8, r2);
            _mm_storeu_ps(xt + 4 * i + 12, r3);
        }
        return;
    }
#endif
    for (i = 0; i < n; i++) {
        for (l = 0; l < count; l++) xt[i * GV_W + l] = x[l * n + i];
        for (; l < GV_W; l++) xt[i * GV_W + l] = 0.0f;
    }
}

FQ_INLINE gvm gk_bad2(gvf a, gvf b) { return gm_or(gv_bad(a), gv_bad(b)); }

FQ_INLINE void gk_store_lanes(gk_lanes *r, gvf scale, gvf themin, gvf isc, gvf minb, gvf lo, gvf hi, gvm live) {
    gv_store(r->scale, scale);
    gv_store(r->themin, themin);
    gv_store(r->isc, isc);
    gv_store(r->minb, minb);
    gv_store(r->lo, lo);
    gv_store(r->hi, hi);
    r->live = gm_bits(live);
}

/* ---------------------------------------------------------------- make_qkx2_quants */

FQ_INLINE int gk_qkx2(const float *xt, const float *wt, float *lt, const int n, const float nmax,
                      const float rmin, const float rdelta, const int nstep, const int use_mad,
                      gk_lanes *r) {
    const gvf zero = gv_set1(0.0f);
    gvf mn = gv_load(xt), mx = mn, sum_w = gv_load(wt), sum_x = gv_mul(sum_w, mn);
    gvf lo, hi, iscale, scale, best, iscb, minb;
    gvm live, bad;
    int i, is;
    for (i = 1; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), wi = gv_load(wt + i * GV_W);
        mn = gv_min(xi, mn);
        mx = gv_max(xi, mx);
        sum_w = gv_add(sum_w, wi);
        sum_x = gv_add(sum_x, gv_mul(wi, xi));
    }
    lo = mn;
    hi = mx;
    mn = gv_sel(gv_gt(mn, zero), zero, mn);
    live = gv_ne(mx, mn);
    iscale = gv_div(gv_set1(nmax), gv_sub(mx, mn));
    scale = gv_div(gv_set1(1.0f), iscale);
    bad = gm_and(live, gk_bad2(gv_mul(iscale, gv_sub(hi, mn)), gv_mul(iscale, gv_sub(lo, mn))));
    best = zero;
    for (i = 0; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), wi = gv_load(wt + i * GV_W);
        gvf l = gv_clamp(gv_round(gv_mul(iscale, gv_sub(xi, mn))), 0.0f, nmax);
        gvf diff = gv_sub(gv_add(gv_mul(scale, l), mn), xi);
        diff = use_mad ? gv_abs(diff) : gv_mul(diff, diff);
        best = gv_add(best, gv_mul(wi, diff));
    }
    iscb = iscale;
    minb = mn;
    for (is = 0; is <= nstep; is++) {
        float c = rmin + rdelta * (float) is;
        gvf isc, sl = zero, sl2 = zero, sxl = zero, D, ts, tm, cur;
        gvm pos, pm, take;
        c = c + nmax;
        isc = gv_div(gv_set1(c), gv_sub(mx, mn));
        bad = gm_or(bad, gm_and(live, gk_bad2(gv_mul(isc, gv_sub(hi, mn)), gv_mul(isc, gv_sub(lo, mn)))));
        for (i = 0; i < n; i++) {
            gvf xi = gv_load(xt + i * GV_W), wi = gv_load(wt + i * GV_W);
            gvf l = gv_clamp(gv_round(gv_mul(isc, gv_sub(xi, mn))), 0.0f, nmax);
            gvf wl = gv_mul(wi, l);
            gv_store(lt + i * GV_W, l);
            sl = gv_add(sl, wl);
            sl2 = gv_add(sl2, gv_mul(wl, l));
            sxl = gv_add(sxl, gv_mul(wl, xi));
        }
        D = gv_sub(gv_mul(sum_w, sl2), gv_mul(sl, sl));
        pos = gm_and(live, gv_gt(D, zero));
        if (!gm_any(pos)) continue;
        ts = gv_div(gv_sub(gv_mul(sum_w, sxl), gv_mul(sum_x, sl)), D);
        tm = gv_div(gv_sub(gv_mul(sl2, sum_x), gv_mul(sl, sxl)), D);
        pm = gv_gt(tm, zero);
        tm = gv_sel(pm, zero, tm);
        ts = gv_sel(pm, gv_div(sxl, sl2), ts);
        cur = zero;
        for (i = 0; i < n; i++) {
            gvf xi = gv_load(xt + i * GV_W), wi = gv_load(wt + i * GV_W);
            gvf diff = gv_sub(gv_add(gv_mul(ts, gv_load(lt + i * GV_W)), tm), xi);
            diff = use_mad ? gv_abs(diff) : gv_mul(diff, diff);
            cur = gv_add(cur, gv_mul(wi, diff));
        }
        take = gm_and(pos, gv_lt(cur, best));
        iscb = gv_sel(take, isc, iscb);
        minb = gv_sel(take, mn, minb);
        best = gv_sel(take, cur, best);
        scale = gv_sel(take, ts, scale);
        mn = gv_sel(take, tm, mn);
    }
    gk_store_lanes(r, gv_sel(live, scale, zero), gv_neg(mn), iscb, minb, lo, hi, live);
    return gm_any(bad);
}

/* the codes of sub-block j as the search left them: clamp(nearest_int(isc * (x - minb))) */
FQ_INLINE void gk_search_codes_qkx2(const float *x, int n, float isc, float minb, int live, float nmax, uint8_t *L) {
    int i;
    for (i = 0; i < n; i++) {
        float l = live ? (isc * (x[i] - minb) + GV_MAGIC) - GV_MAGIC : 0.0f;
        l = nmax < l ? nmax : l;
        l = 0.0f > l ? 0.0f : l;
        L[i] = gq_u8(l);
    }
}

/* L[i] = clamp(nearest_int((x[i] + dm) / d), lo, hi) + off for n values (16 or 32: whole
 * multiples of GV_W); the nearest_int arguments are checked at the extremes xlo, xhi */
FQ_INLINE int gk_requant(const float *x, int n, float dm, float d, float xlo, float xhi,
                         float lo, float hi, float off, uint8_t *L) {
    int i, bad = 0;
    gq_nearest((xhi + dm) / d, &bad);
    gq_nearest((xlo + dm) / d, &bad);
    if (bad) return GQ_RANGE;
    for (i = 0; i < n; i += GV_W) {
        gvf a = gv_div(gv_add(gv_load(x + i), gv_set1(dm)), gv_set1(d));
        gv_store_u8(L + i, gv_add(gv_clamp(gv_round(a), lo, hi), gv_set1(off)));
    }
    return 0;
}

/* Every sub-block scale (and min) of the search must be finite: where float32 sums overflow
 * (Q3_K, Q6_K beyond |x| ~ 7e12) the C reference ends with NaN or 0 scales and silently
 * writes a zero-scale block; fastquant reports GQ_RANGE there, as where a scale overflows. */
FQ_INLINE int gk_finite(const float *v, int n) {
    int j, ok = 1;
    for (j = 0; j < n; j++) ok &= fabsf(v[j]) <= FLT_MAX;
    return ok;
}

/* sub-block results of one batch of super-blocks */
typedef struct {
    float scale[64], themin[64], isc[64], minb[64], lo[64], hi[64];
    unsigned char live[64];
} gk_subs;

FQ_INLINE void gk_keep(gk_subs *s, int at, const gk_lanes *r, int count) {
    int l;
    for (l = 0; l < count; l++) {
        s->scale[at + l] = r->scale[l];
        s->themin[at + l] = r->themin[l];
        s->isc[at + l] = r->isc[l];
        s->minb[at + l] = r->minb[l];
        s->lo[at + l] = r->lo[l];
        s->hi[at + l] = r->hi[l];
        s->live[at + l] = (unsigned char) ((r->live >> l) & 1u);
    }
}

/* super-blocks per batch: enough to fill GV_W lanes with sub-blocks of nsub per super-block
 * (the types with 16 sub-blocks always have one: GV_W <= 16) */
#define GK_BATCH(nsub) ((GV_W) > (nsub) ? (GV_W) / (nsub) : 1)
#if GV_W > 16
#error "gguf_encode_k.h: the 16-sub-block types assume GV_W <= 16"
#endif

/* non-finite values anywhere in count super-blocks */
FQ_INLINE int gk_nonfinite(const float *x, int count) {
    int s, nf = 0;
    float h, l;
    for (s = 0; s < count; s++) nf |= gq_range(x + 256 * s, 256, &h, &l);
    return nf;
}

/* ---------------------------------------------------------------- Q4_K, Q5_K */

FQ_INLINE int gk_q45k_finish(const float *x, uint8_t *y, const gk_subs *s, int off, int q5) {
    const float nmax = q5 ? 31.0f : 15.0f;
    float max_scale = 0.0f, max_min = 0.0f, inv_scale, inv_min, df, mf;
    uint8_t ls[8], lm[8], L[256], *sc = y + 4;
    int j, bad = 0, range = 0;
    if (!gk_finite(s->scale + off, 8) || !gk_finite(s->themin + off, 8)) return GQ_RANGE;
    for (j = 0; j < 8; j++) {
        if (s->scale[off + j] > max_scale) max_scale = s->scale[off + j];
        if (s->themin[off + j] > max_min) max_min = s->themin[off + j];
    }
    inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    for (j = 0; j < 8; j++) {
        uint8_t a = (uint8_t) gq_nearest(inv_scale * s->scale[off + j], &bad);
        uint8_t b = (uint8_t) gq_nearest(inv_min * s->themin[off + j], &bad);
        ls[j] = a < 63 ? a : 63;
        lm[j] = b < 63 ? b : 63;
    }
    for (j = 0; j < 4; j++) {
        sc[j] = ls[j];
        sc[j + 4] = lm[j];
    }
    for (j = 4; j < 8; j++) {
        sc[j + 4] = (uint8_t) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
        sc[j - 4] |= (uint8_t) ((ls[j] >> 4) << 6);
        sc[j] |= (uint8_t) ((lm[j] >> 4) << 6);
    }
    range |= gq_put_fp16(y, max_scale / 63.0f);
    range |= gq_put_fp16(y + 2, max_min / 63.0f);
    df = fqr_fp16_to_fp32((uint16_t) (y[0] | (y[1] << 8)));
    mf = fqr_fp16_to_fp32((uint16_t) (y[2] | (y[3] << 8)));
    for (j = 0; j < 8; j++) {
        float d = df * (float) ls[j];
        if (d == 0.0f) {
            gk_search_codes_qkx2(x + 32 * j, 32, s->isc[off + j], s->minb[off + j], s->live[off + j], nmax, L + 32 * j);
            continue;
        }
        range |= gk_requant(x + 32 * j, 32, mf * (float) lm[j], d, s->lo[off + j], s->hi[off + j], 0.0f, nmax, 0.0f, L + 32 * j);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    if (!q5) {
        uint8_t *q = y + 16;
        for (j = 0; j < 256; j += 64, q += 32) {
            int l;
            for (l = 0; l < 32; l++) q[l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 4));
        }
    } else {
        uint8_t *qh = y + 16, *ql = y + 48;
        int n;
        memset(qh, 0, 32);
        for (n = 0; n < 4; n++, ql += 32) {         /* codes < 32: bit 4 is the high bit */
            for (j = 0; j < 32; j++) {
                uint8_t l1 = L[64 * n + j], l2 = L[64 * n + j + 32];
                qh[j] |= (uint8_t) (((l1 >> 4) << (2 * n)) | ((l2 >> 4) << (2 * n + 1)));
                ql[j] = (uint8_t) ((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
        }
    }
    return 0;
}

FQ_INLINE int gk_q45k(const float *x, uint8_t *y, int64_t nb, int q5) {
    enum { BATCH = GK_BATCH(8) };
    const int ts = q5 ? 176 : 144, nstep = q5 ? 15 : 20;
    const float nmax = q5 ? 31.0f : 15.0f, rmin = q5 ? -0.5f : -1.0f;
    float xt[32 * GV_W], wt[32 * GV_W], lt[32 * GV_W];
    gk_subs subs;
    gk_lanes r;
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 8 * nsb, g, s, i;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        for (g = 0; g < nsub; g += GV_W) {
            int count = nsub - g < GV_W ? nsub - g : GV_W;
            gvf s2 = gv_set1(0.0f), av;
            gk_transpose(xb + 32 * g, 32, count, xt);
            for (i = 0; i < 32; i++) {
                gvf v = gv_load(xt + i * GV_W);
                s2 = gv_add(s2, gv_mul(v, v));
            }
            av = gv_sqrt(gv_mul(s2, gv_set1(0.03125f)));               /* sum_x2 / 32, exact */
            for (i = 0; i < 32; i++) gv_store(wt + i * GV_W, gv_add(av, gv_abs(gv_load(xt + i * GV_W))));
            if (gk_qkx2(xt, wt, lt, 32, nmax, rmin, 0.1f, nstep, 0, &r)) range = GQ_RANGE;
            gk_keep(&subs, g, &r, count);
        }
        for (s = 0; s < nsb; s++) range |= gk_q45k_finish(xb + 256 * s, y + (ib + s) * ts, &subs, 8 * s, q5);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- Q2_K */

FQ_INLINE int gk_q2k_finish(const float *x, uint8_t *y, const gk_subs *s) {
    float max_scale = 0.0f, max_min = 0.0f, df, mf;
    uint8_t sc[16], L[256];
    int j, bad = 0, range = 0;
    if (!gk_finite(s->scale, 16) || !gk_finite(s->themin, 16)) return GQ_RANGE;
    for (j = 0; j < 16; j++) {
        if (s->scale[j] > max_scale) max_scale = s->scale[j];
        if (s->themin[j] > max_min) max_min = s->themin[j];
    }
    if (max_scale > 0) {
        float iscale = 15.0f / max_scale;
        for (j = 0; j < 16; j++) sc[j] = (uint8_t) gq_nearest(iscale * s->scale[j], &bad);
        range |= gq_put_fp16(y + 80, max_scale / 15.0f);
    } else {
        memset(sc, 0, 16);
        range |= gq_put_fp16(y + 80, 0.0f);
    }
    if (max_min > 0) {
        float iscale = 15.0f / max_min;
        for (j = 0; j < 16; j++) sc[j] = (uint8_t) (sc[j] | ((unsigned) gq_nearest(iscale * s->themin[j], &bad) << 4));
        range |= gq_put_fp16(y + 82, max_min / 15.0f);
    } else {
        range |= gq_put_fp16(y + 82, 0.0f);
    }
    df = fqr_fp16_to_fp32((uint16_t) (y[80] | (y[81] << 8)));
    mf = fqr_fp16_to_fp32((uint16_t) (y[82] | (y[83] << 8)));
    for (j = 0; j < 16; j++) {
        float d = df * (float) (sc[j] & 0xF);
        if (d == 0.0f) {
            gk_search_codes_qkx2(x + 16 * j, 16, s->isc[j], s->minb[j], s->live[j], 3.0f, L + 16 * j);
            continue;
        }
        range |= gk_requant(x + 16 * j, 16, mf * (float) (sc[j] >> 4), d, s->lo[j], s->hi[j], 0.0f, 3.0f, 0.0f, L + 16 * j);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    memcpy(y, sc, 16);
    for (j = 0; j < 256; j += 128) {
        int l;
        for (l = 0; l < 32; l++)
            y[16 + j / 4 + l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
    return 0;
}

FQ_INLINE int gk_q2k(const float *x, uint8_t *y, int64_t nb) {
    enum { BATCH = GK_BATCH(16) };
    float xt[16 * GV_W], wt[16 * GV_W], lt[16 * GV_W];
    gk_subs subs;
    gk_lanes r;
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 16 * nsb, g, i;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        for (g = 0; g < nsub; g += GV_W) {
            int count = nsub - g < GV_W ? nsub - g : GV_W;
            gk_transpose(xb + 16 * g, 16, count, xt);
            for (i = 0; i < 16; i++) gv_store(wt + i * GV_W, gv_abs(gv_load(xt + i * GV_W)));
            if (gk_qkx2(xt, wt, lt, 16, 3.0f, -0.5f, 0.1f, 15, 1, &r)) range = GQ_RANGE;
            gk_keep(&subs, g, &r, count);
        }
        range |= gk_q2k_finish(xb, y + 84 * ib, &subs);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- make_qx_quants (Q6_K) */

/* first value of largest magnitude per lane (from 0), and the lane's min and max */
FQ_INLINE void gk_absmax(const float *xt, int n, gvf *amax, gvf *mx, gvf *lo, gvf *hi) {
    gvf a = gv_set1(0.0f), m = a, l = gv_load(xt), h = l;
    int i;
    for (i = 0; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), ax = gv_abs(xi);
        gvm g = gv_gt(ax, a);
        a = gv_sel(g, ax, a);
        m = gv_sel(g, xi, m);
        l = gv_min(xi, l);
        h = gv_max(xi, h);
    }
    *amax = a;
    *mx = m;
    *lo = l;
    *hi = h;
}

FQ_INLINE void gk_qx_sums(const float *xt, const float *wt, const float *wxt, int n, gvf isc, float nmax,
                          gvf *sumlx, gvf *suml2) {
    gvf a = gv_set1(0.0f), b = a;
    int i;
    for (i = 0; i < n; i++) {
        gvf l = gv_clamp(gv_round(gv_mul(isc, gv_load(xt + i * GV_W))), -nmax, nmax - 1.0f);
        a = gv_add(a, gv_mul(gv_load(wxt + i * GV_W), l));
        b = gv_add(b, gv_mul(gv_mul(gv_load(wt + i * GV_W), l), l));
    }
    *sumlx = a;
    *suml2 = b;
}

FQ_INLINE int gk_qx1(const float *xt, float *wt, float *wxt, int n, float nmax, gk_lanes *r) {
    const gvf zero = gv_set1(0.0f);
    gvf amax, mx, lo, hi, iscale, sumlx, suml2, scale, best, iscb;
    gvm live, bad;
    int i, is;
    gk_absmax(xt, n, &amax, &mx, &lo, &hi);
    for (i = 0; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), w = gv_mul(xi, xi);
        gv_store(wt + i * GV_W, w);
        gv_store(wxt + i * GV_W, gv_mul(w, xi));
    }
    live = gv_ge(amax, gv_set1(GK_EPS));
    iscale = gv_div(gv_set1(-nmax), mx);
    bad = gm_and(live, gk_bad2(gv_mul(iscale, hi), gv_mul(iscale, lo)));
    gk_qx_sums(xt, wt, wxt, n, iscale, nmax, &sumlx, &suml2);
    scale = gv_sel(gv_ne(suml2, zero), gv_div(sumlx, suml2), zero);
    best = gv_mul(scale, sumlx);
    iscb = iscale;
    for (is = -9; is <= 9; is++) {
        float c;
        gvf isc, slx, sl2;
        gvm take;
        if (is == 0) continue;
        c = nmax + 0.1f * (float) is;
        isc = gv_div(gv_set1(-c), mx);
        bad = gm_or(bad, gm_and(live, gk_bad2(gv_mul(isc, hi), gv_mul(isc, lo))));
        gk_qx_sums(xt, wt, wxt, n, isc, nmax, &slx, &sl2);
        take = gm_and(gm_and(live, gv_gt(sl2, zero)), gv_gt(gv_mul(slx, slx), gv_mul(best, sl2)));
        scale = gv_sel(take, gv_div(slx, sl2), scale);
        best = gv_sel(take, gv_mul(scale, slx), best);
        iscb = gv_sel(take, isc, iscb);
    }
    gk_store_lanes(r, gv_sel(live, scale, zero), zero, iscb, zero, lo, hi, live);
    return gm_any(bad);
}

FQ_INLINE int gk_q6k_finish(const float *x, uint8_t *y, const gk_subs *s) {
    float amax = 0.0f, max_scale = 0.0f, iscale, df;
    int8_t sc[16];
    uint8_t L[256];
    int j, bad = 0, range = 0;
    if (!gk_finite(s->scale, 16)) return GQ_RANGE;
    for (j = 0; j < 16; j++) {
        float a = fabsf(s->scale[j]);
        if (a > amax) { amax = a; max_scale = s->scale[j]; }
    }
    if (amax < GK_EPS) {
        memset(y, 0, 210);
        return 0;
    }
    iscale = -128.0f / max_scale;
    range |= gq_put_fp16(y + 208, 1.0f / iscale);
    for (j = 0; j < 16; j++) {
        int v = gq_nearest(iscale * s->scale[j], &bad);
        sc[j] = (int8_t) (v < 127 ? v : 127);
    }
    df = fqr_fp16_to_fp32((uint16_t) (y[208] | (y[209] << 8)));
    for (j = 0; j < 16; j++) {
        float d = df * (float) sc[j];
        if (d == 0.0f) {
            int i;
            for (i = 0; i < 16; i++) {
                float l = s->live[j] ? (s->isc[j] * x[16 * j + i] + GV_MAGIC) - GV_MAGIC : -32.0f;
                l = 31.0f < l ? 31.0f : l;
                l = -32.0f > l ? -32.0f : l;
                L[16 * j + i] = gq_u8(l + 32.0f);
            }
            continue;
        }
        range |= gk_requant(x + 16 * j, 16, 0.0f, d, s->lo[j], s->hi[j], -32.0f, 31.0f, 32.0f, L + 16 * j);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    memcpy(y + 192, sc, 16);
    for (j = 0; j < 256; j += 128) {
        uint8_t *ql = y + j / 2, *qh = y + 128 + j / 4;
        int l;
        for (l = 0; l < 32; l++) {
            uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
            ql[l] = (uint8_t) (q1 | (q3 << 4));
            ql[l + 32] = (uint8_t) (q2 | (q4 << 4));
            qh[l] = (uint8_t) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
        }
    }
    return 0;
}

/* (x + 0) / d is x / d: gk_requant with dm = 0 computes fl(x + 0) = x, then the division */

FQ_INLINE int gk_q6k(const float *x, uint8_t *y, int64_t nb) {
    enum { BATCH = GK_BATCH(16) };
    float xt[16 * GV_W], wt[16 * GV_W], wxt[16 * GV_W];
    gk_subs subs;
    gk_lanes r;
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 16 * nsb, g;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        for (g = 0; g < nsub; g += GV_W) {
            int count = nsub - g < GV_W ? nsub - g : GV_W;
            gk_transpose(xb + 16 * g, 16, count, xt);
            if (gk_qx1(xt, wt, wxt, 16, 32.0f, &r)) range = GQ_RANGE;
            gk_keep(&subs, g, &r, count);
        }
        range |= gk_q6k_finish(xb, y + 210 * ib, &subs);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- make_q3_quants (Q3_K) */

FQ_INLINE gvm gk_bad_sum(gvf a, gvf b) {
    return gm_or(gv_nle(gv_abs(a), gv_set1(FLT_MAX)), gv_nle(gv_abs(b), gv_set1(FLT_MAX)));
}

/* make_q3_quants(16, nmax, x, L, true) on GK_Q3_G groups of GV_W sub-blocks at once: the
 * passes are a chain of dependent operations per value (each change moves the sums the next
 * value reads: a division, a rounding, two products, a compare), so independent groups keep
 * the core busy while one waits. */
#ifndef GK_Q3_G
#define GK_Q3_G 4                     /* groups of GV_W sub-blocks searched together */
#endif

FQ_INLINE int gk_q3_groups(const float *xt, float *wt, float *wxt, float *lt, float nmax, gk_lanes *r) {
    enum { N = 16, G = GK_Q3_G };
    const gvf zero = gv_set1(0.0f);
    gvf sumlx[G], suml2[G];
    gvm live[G], bad = gm_none();
    int i, g, itry;
    for (g = 0; g < G; g++) {
        const float *x = xt + g * N * GV_W;
        float *w = wt + g * N * GV_W, *wx = wxt + g * N * GV_W, *l = lt + g * N * GV_W;
        gvf amax, mx, lo, hi, iscale, sx = zero, s2 = zero;
        gk_absmax(x, N, &amax, &mx, &lo, &hi);
        live[g] = gv_ge(amax, gv_set1(GK_EPS));
        iscale = gv_div(gv_set1(-nmax), mx);
        bad = gm_or(bad, gm_and(live[g], gk_bad2(gv_mul(iscale, hi), gv_mul(iscale, lo))));
        for (i = 0; i < N; i++) {
            gvf xi = gv_load(x + i * GV_W), wi = gv_mul(xi, xi), wxi = gv_mul(wi, xi);
            gvf li = gv_clamp(gv_round(gv_mul(iscale, xi)), -nmax, nmax - 1.0f);
            gv_store(w + i * GV_W, wi);
            gv_store(wx + i * GV_W, wxi);
            gv_store(l + i * GV_W, li);
            sx = gv_add(sx, gv_mul(wxi, li));
            s2 = gv_add(s2, gv_mul(gv_mul(wi, li), li));
        }
        sumlx[g] = sx;
        suml2[g] = s2;
        gv_store(r[g].lo, lo);
        gv_store(r[g].hi, hi);
        gv_store(r[g].themin, zero);
        gv_store(r[g].isc, zero);
        gv_store(r[g].minb, zero);
    }
    /* a lane whose pass changes nothing would change nothing in later passes either (same
     * state), so running a group's lanes until none of them changes equals the C code's
     * early break; groups whose lanes have all stopped are skipped */
    int on[G], any_on = 1;
    for (g = 0; g < G; g++) on[g] = 1;
    for (itry = 0; itry < 5 && any_on; itry++) {
        gvm changed[G];
        for (g = 0; g < G; g++) changed[g] = gm_none();
        for (i = 0; i < N; i++) {
            for (g = 0; g < G; g++) {
                const int at = g * N * GV_W + i * GV_W;
                if (!on[g]) continue;
                gvf Li = gv_load(lt + at), wx = gv_load(wxt + at), w = gv_load(wt + at);
                gvf slx = gv_sub(sumlx[g], gv_mul(wx, Li));
                gvf sl2 = gv_sub(suml2[g], gv_mul(gv_mul(w, Li), Li));
                gvm pos = gm_and(live[g], gv_gt(slx, zero)), take;
                gvf a = gv_div(gv_mul(gv_load(xt + at), sl2), slx), nl;
                bad = gm_or(bad, gm_and(pos, gv_bad(a)));
                nl = gv_clamp(gv_round(a), -nmax, nmax - 1.0f);
                slx = gv_add(slx, gv_mul(wx, nl));
                sl2 = gv_add(sl2, gv_mul(gv_mul(w, nl), nl));
                take = gm_and(gm_and(gm_and(pos, gv_ne(nl, Li)), gv_gt(sl2, zero)),
                              gv_gt(gv_mul(gv_mul(slx, slx), suml2[g]), gv_mul(gv_mul(sumlx[g], sumlx[g]), sl2)));
                gv_store(lt + at, gv_sel(take, nl, Li));
                sumlx[g] = gv_sel(take, slx, sumlx[g]);
                suml2[g] = gv_sel(take, sl2, suml2[g]);
                changed[g] = gm_or(changed[g], take);
            }
        }
        any_on = 0;
        for (g = 0; g < G; g++) {
            on[g] = on[g] && gm_any(changed[g]);
            any_on |= on[g];
        }
    }
    for (g = 0; g < G; g++) {
        float *l = lt + g * N * GV_W;
        for (i = 0; i < N; i++)
            gv_store(l + i * GV_W, gv_sel(live[g], gv_add(gv_load(l + i * GV_W), gv_set1(nmax)), zero));
        /* sums that overflowed float32 (|x| above ~7e12) end in a 0 or NaN scale in the C
         * code, which then writes a zero-scale block: GQ_RANGE, see gk_finite */
        bad = gm_or(bad, gm_and(live[g], gk_bad_sum(sumlx[g], suml2[g])));
        gv_store(r[g].scale, gv_sel(live[g], gv_sel(gv_gt(suml2[g], zero), gv_div(sumlx[g], suml2[g]), zero), zero));
        r[g].live = gm_bits(live[g]);
    }
    return gm_any(bad);
}

/* the codes the Q3_K search left for sub-block k of a batch (lane k % GV_W of group k / GV_W) */
FQ_INLINE void gk_q3_search_codes(const float *lt, int k, uint8_t *L) {
    const float *lane = lt + (k / GV_W) * 16 * GV_W + k % GV_W;
    int i;
    for (i = 0; i < 16; i++) L[i] = gq_u8(lane[i * GV_W]);
}

FQ_INLINE int gk_q3k_finish(const float *x, uint8_t *y, const gk_subs *sb, int off, const float *lt) {
    gk_subs one;                                      /* the 16 sub-blocks of this super-block */
    const gk_subs *s = sb;
    if (off) {
        memcpy(one.scale, sb->scale + off, 16 * sizeof(float));
        memcpy(one.lo, sb->lo + off, 16 * sizeof(float));
        memcpy(one.hi, sb->hi + off, 16 * sizeof(float));
        s = &one;
    }
    float amax = 0.0f, max_scale = 0.0f, df;
    uint8_t L[256], *scales = y + 96;
    int l6[16], j, bad = 0, range = 0;
    if (!gk_finite(s->scale, 16)) return GQ_RANGE;
    for (j = 0; j < 16; j++) {
        float a = fabsf(s->scale[j]);
        if (a > amax) { amax = a; max_scale = s->scale[j]; }
    }
    memset(scales, 0, 12);
    if (max_scale != 0.0f) {
        float iscale = -32.0f / max_scale;
        for (j = 0; j < 16; j++) {
            int8_t l = (int8_t) (gq_nearest(iscale * s->scale[j], &bad) & 0xFF);
            int v = (l < 31 ? l : 31);
            v = (v > -32 ? v : -32) + 32;
            l6[j] = v;
            if (j < 8) scales[j] = (uint8_t) (v & 0xF);
            else scales[j - 8] |= (uint8_t) ((v & 0xF) << 4);
            scales[j % 4 + 8] |= (uint8_t) ((v >> 4) << (2 * (j / 4)));
        }
        range |= gq_put_fp16(y + 108, 1.0f / iscale);
    } else {
        for (j = 0; j < 16; j++) l6[j] = 0;
        range |= gq_put_fp16(y + 108, 0.0f);
    }
    df = fqr_fp16_to_fp32((uint16_t) (y[108] | (y[109] << 8)));
    for (j = 0; j < 16; j++) {
        float d = df * (float) (l6[j] - 32);
        if (d == 0.0f) {
            gk_q3_search_codes(lt, off + j, L + 16 * j);
            continue;
        }
        range |= gk_requant(x + 16 * j, 16, 0.0f, d, s->lo[j], s->hi[j], -4.0f, 3.0f, 4.0f, L + 16 * j);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    memset(y, 0, 32);
    for (j = 0; j < 8; j++) {                       /* value 32 j + m: bit j of hmask[m] */
        int m;
        for (m = 0; m < 32; m++) {
            uint8_t v = L[32 * j + m];
            y[m] |= (uint8_t) ((v >> 2) << j);      /* v in [0, 7]: v > 3 is bit 2 */
            L[32 * j + m] = v & 3;
        }
    }
    for (j = 0; j < 256; j += 128) {
        int l;
        for (l = 0; l < 32; l++)
            y[32 + j / 4 + l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
    return 0;
}

/* super-blocks per batch of Q3_K: enough for GK_Q3_G groups of GV_W sub-blocks */
#define GK_Q3_BATCH ((GK_Q3_G * GV_W) > 16 ? (GK_Q3_G * GV_W) / 16 : 1)

FQ_INLINE int gk_q3k(const float *x, uint8_t *y, int64_t nb) {
    enum { BATCH = GK_Q3_BATCH, GROUPS = (16 * GK_Q3_BATCH + GV_W - 1) / GV_W, G = GK_Q3_G };
    float xt[GROUPS + G][16 * GV_W], wt[G][16 * GV_W], wxt[G][16 * GV_W], lt[GROUPS + G][16 * GV_W];
    gk_subs subs;
    gk_lanes r[G];
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 16 * nsb, groups, g, h, i;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        groups = (nsub + GV_W - 1) / GV_W;
        for (g = 0; g < groups; g++) {
            int count = nsub - g * GV_W < GV_W ? nsub - g * GV_W : GV_W;
            gk_transpose(xb + 16 * GV_W * g, 16, count, xt[g]);
        }
        for (g = groups; g % G; g++) memset(xt[g], 0, sizeof xt[g]);   /* all-zero partners */
        for (g = 0; g < groups; g += G) {
            /* xt[g .. g + G - 1] are contiguous: gk_q3_groups reads G * 16 * GV_W floats */
            if (gk_q3_groups(xt[g], wt[0], wxt[0], lt[g], 4.0f, r)) range = GQ_RANGE;
            for (h = 0; h < G && g + h < groups; h++) {
                int count = nsub - (g + h) * GV_W < GV_W ? nsub - (g + h) * GV_W : GV_W;
                gk_keep(&subs, (g + h) * GV_W, &r[h], count);
            }
        }
        for (i = 0; i < nsb; i++) range |= gk_q3k_finish(xb + 256 * i, y + 110 * (ib + i), &subs, 16 * i, lt[0]);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* ---------------------------------------------------------------- IQ4 (IQ4_NL, IQ4_XS) */

static const float gk_iq4_mid[15] = {
    -115.5f, -93.5f, -74.0f, -57.0f, -42.0f, -28.5f, -16.0f, -4.5f, 7.0f, 19.0f, 31.5f, 45.5f, 61.0f, 79.0f, 101.0f,
};
static const float gk_iq4_step[15] = {
    23.0f, 21.0f, 18.0f, 16.0f, 14.0f, 13.0f, 12.0f, 11.0f, 12.0f, 12.0f, 13.0f, 15.0f, 16.0f, 20.0f, 24.0f,
};
static const int8_t gk_iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* best_index_int8(16, kvalues_iq4nl, a): the number of midpoints <= a (the C code's
 * float differences are exact wherever they are close), 15 for NaN */
FQ_INLINE gvf gk_iq4_index(gvf a) {
    gvf idx = gv_set1(0.0f), one = gv_set1(1.0f);
    int k;
    for (k = 0; k < 15; k++) idx = gv_add(idx, gv_masked(gv_ge(a, gv_set1(gk_iq4_mid[k])), one));
    return gv_sel(gv_ne(a, a), gv_set1(15.0f), idx);
}

/* kvalues_iq4nl[best_index(a)] for finite a */
FQ_INLINE gvf gk_iq4_value(gvf a) {
    gvf q = gv_set1(-127.0f);
    int k;
    for (k = 0; k < 15; k++) q = gv_add(q, gv_masked(gv_ge(a, gv_set1(gk_iq4_mid[k])), gv_set1(gk_iq4_step[k])));
    return q;
}

/* sums of one candidate: sumqx += w*q*x, sumq2 += w*q*q with q = value(id * x) */
FQ_INLINE void gk_iq4_sums(const float *xt, const float *wt, int n, gvf id, gvf *sqx, gvf *sq2) {
    gvf a = gv_set1(0.0f), b = a;
    int i;
    for (i = 0; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), q = gk_iq4_value(gv_mul(id, xi));
        gvf wq = gv_mul(gv_load(wt + i * GV_W), q);
        a = gv_add(a, gv_mul(wq, xi));
        b = gv_add(b, gv_mul(wq, q));
    }
    *sqx = a;
    *sq2 = b;
}

/* quantize_row_iq4_nl_impl's per-32 search, no weights: ntry = 7 (IQ4_XS) */
FQ_INLINE void gk_iq4_search(const float *xt, float *wt, gk_lanes *r) {
    const gvf zero = gv_set1(0.0f);
    gvf amax, mx, lo, hi, d, id, sqx, sq2, best;
    gvm live;
    int i, itry;
    gk_absmax(xt, 32, &amax, &mx, &lo, &hi);
    live = gv_ge(amax, gv_set1(GK_EPS));
    for (i = 0; i < 32; i++) {
        gvf xi = gv_load(xt + i * GV_W);
        gv_store(wt + i * GV_W, gv_mul(xi, xi));
    }
    d = gv_div(gv_neg(mx), gv_set1(-127.0f));
    id = gv_div(gv_set1(1.0f), d);
    gk_iq4_sums(xt, wt, 32, id, &sqx, &sq2);
    d = gv_sel(gv_gt(sq2, zero), gv_div(sqx, sq2), zero);
    best = gv_mul(d, sqx);
    for (itry = -7; itry <= 7; itry++) {
        gvm take;
        id = gv_div(gv_set1((float) (itry - 127)), mx);
        gk_iq4_sums(xt, wt, 32, id, &sqx, &sq2);
        take = gm_and(gv_gt(sq2, zero), gv_gt(gv_mul(sqx, sqx), gv_mul(best, sq2)));
        d = gv_sel(take, gv_div(sqx, sq2), d);
        best = gv_sel(take, gv_mul(d, sqx), best);
    }
    gk_store_lanes(r, gv_sel(live, d, zero), zero, zero, zero, lo, hi, live);
}

FQ_INLINE int gk_iq4xs_finish(const float *x, uint8_t *y, const float *scales) {
    float amax = 0.0f, max_scale = 0.0f, d, id, buf[32];
    uint8_t L[256];
    unsigned sh = 0;
    int ib, i, bad = 0, range = 0;
    if (!gk_finite(scales, 8)) return GQ_RANGE;
    for (ib = 0; ib < 8; ib++) {
        float a = fabsf(scales[ib]);
        if (a > amax) { amax = a; max_scale = scales[ib]; }
    }
    d = -max_scale / 32.0f;
    range |= gq_put_fp16(y, d);
    id = gq_recip(d);
    memset(y + 4, 0, 4);
    for (ib = 0; ib < 8; ib++) {
        int l = gq_nearest(id * scales[ib], &bad);
        float dl, idl;
        l = l < 31 ? l : 31;
        l = l > -32 ? l : -32;
        dl = d * (float) l;
        idl = gq_recip(dl);
        for (i = 0; i < 32; i += GV_W) gv_store(buf + i, gk_iq4_index(gv_mul(gv_set1(idl), gv_load(x + 32 * ib + i))));
        for (i = 0; i < 32; i++) L[32 * ib + i] = gq_u8(buf[i]);
        l += 32;
        y[4 + ib / 2] |= (uint8_t) ((l & 0xF) << (4 * (ib % 2)));
        sh |= (unsigned) (l >> 4) << (2 * ib);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    y[2] = (uint8_t) (sh & 0xFF);
    y[3] = (uint8_t) (sh >> 8);
    for (ib = 0; ib < 8; ib++)
        for (i = 0; i < 16; i++) y[8 + 16 * ib + i] = (uint8_t) (L[32 * ib + i] | (L[32 * ib + 16 + i] << 4));
    return 0;
}

FQ_INLINE int gk_iq4xs(const float *x, uint8_t *y, int64_t nb) {
    enum { BATCH = GK_BATCH(8) };
    float xt[32 * GV_W], wt[32 * GV_W];
    gk_subs subs;
    gk_lanes r;
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 8 * nsb, g, s;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        for (g = 0; g < nsub; g += GV_W) {
            int count = nsub - g < GV_W ? nsub - g : GV_W;
            gk_transpose(xb + 32 * g, 32, count, xt);
            gk_iq4_search(xt, wt, &r);
            gk_keep(&subs, g, &r, count);
        }
        for (s = 0; s < nsb; s++) range |= gk_iq4xs_finish(xb + 256 * s, y + 136 * (ib + s), subs.scale + 8 * s);
    }
    return nonfinite ? GQ_NONFINITE : range;
}

/* IQ4_NL: one lane per block of 32, ntry = -1: one pass, d = max / -127, codes of that pass */
FQ_INLINE int gk_iq4nl(const float *x, uint8_t *y, int64_t nb) {
    float xt[32 * GV_W], idx[32 * GV_W], scale[GV_W];
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += GV_W) {
        const float *xb = x + 32 * ib;
        int count = nb - ib < GV_W ? (int) (nb - ib) : GV_W, i, l, nf = 0;
        const gvf zero = gv_set1(0.0f);
        gvf amax, mx, lo, hi, id, sqx = zero, sq2 = zero, d;
        gvm live;
        unsigned lives;
        for (l = 0; l < count; l++) {
            float h, lw;
            nf |= gq_range(xb + 32 * l, 32, &h, &lw);
        }
        if (nf) { nonfinite = 1; continue; }
        gk_transpose(xb, 32, count, xt);
        gk_absmax(xt, 32, &amax, &mx, &lo, &hi);
        live = gv_ge(amax, gv_set1(GK_EPS));
        d = gv_div(mx, gv_set1(-127.0f));
        id = gv_div(gv_set1(1.0f), d);
        for (i = 0; i < 32; i++) {
            gvf xi = gv_load(xt + i * GV_W), a = gv_mul(id, xi), k = gk_iq4_index(a);
            gvf q = gk_iq4_value(a), wq = gv_mul(gv_mul(xi, xi), q);
            gv_store(idx + i * GV_W, k);
            sqx = gv_add(sqx, gv_mul(wq, xi));
            sq2 = gv_add(sq2, gv_mul(wq, q));
        }
        d = gv_sel(gv_gt(sq2, zero), gv_div(sqx, sq2), zero);
        gv_store(scale, gv_sel(live, d, zero));
        lives = gm_bits(live);
        for (l = 0; l < count; l++) {
            uint8_t *yb = y + 18 * (ib + l);
            int on = (lives >> l) & 1u;
            range |= gq_put_fp16(yb, scale[l]);
            for (i = 0; i < 16; i++) {
                int a = on ? gq_u8(idx[i * GV_W + l]) : 8, b = on ? gq_u8(idx[(i + 16) * GV_W + l]) : 8;
                yb[2 + i] = (uint8_t) (a | (b << 4));
            }
        }
    }
    return nonfinite ? GQ_NONFINITE : range;
}

#endif
