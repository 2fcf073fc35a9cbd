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

FQ_INLINE void gk_transpose(const float *x, int n, int count, float *xt) {
    int i, l;
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
        L[i] = (uint8_t) l;
    }
}

/* L[i] = clamp(nearest_int((x[i] + dm) / d), lo, hi) + off for n values; checked at the
 * extremes xlo/xhi. n is a multiple of GV_W or smaller than... always 16 or 32 here. */
FQ_INLINE int gk_requant(const float *x, int n, float dm, float d, float xlo, float xhi,
                         float lo, float hi, float off, uint8_t *L) {
    float buf[32];
    int i, bad = 0;
    gq_nearest((xhi + dm) / d, &bad);
    gq_nearest((xlo + dm) / d, &bad);
    for (i = 0; i + GV_W <= n; i += GV_W) {
        gvf a = gv_div(gv_add(gv_load(x + i), gv_set1(dm)), gv_set1(d));
        gv_store(buf + i, gv_add(gv_clamp(gv_round(a), lo, hi), gv_set1(off)));
    }
    for (; i < n; i++) {
        float l = ((x[i] + dm) / d + GV_MAGIC) - GV_MAGIC;
        l = hi < l ? hi : l;
        l = lo > l ? lo : l;
        buf[i] = l + off;
    }
    if (bad) return GQ_RANGE;
    for (i = 0; i < n; i++) L[i] = (uint8_t) buf[i];
    return 0;
}

/* Every sub-block scale (and min) of the search must be finite: where float32 sums overflow
 * (Q3_K, Q6_K beyond |x| ~ 1e12) the C reference ends with NaN scales and silently writes a
 * zero-scale block; fastquant reports GQ_RANGE there, as where a scale overflows fp16. */
FQ_INLINE int gk_finite(const float *v, int n) {
    int j, ok = 1;
    for (j = 0; j < n; j++) ok &= fabsf(v[j]) <= FLT_MAX;
    return ok;
}

/* sub-block results of one batch of super-blocks */
typedef struct {
    float scale[32], themin[32], isc[32], minb[32], lo[32], hi[32];
    unsigned char live[32];
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
        uint8_t *qh = y + 16, *ql = y + 48, m1 = 1, m2 = 2;
        int n;
        memset(qh, 0, 32);
        for (n = 0; n < 256; n += 64, ql += 32) {
            for (j = 0; j < 32; j++) {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                ql[j] = (uint8_t) (l1 | (l2 << 4));
            }
            m1 = (uint8_t) (m1 << 2);
            m2 = (uint8_t) (m2 << 2);
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
                L[16 * j + i] = (uint8_t) (l + 32.0f);
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

FQ_INLINE int gk_q3(const float *xt, float *wt, float *wxt, float *lt, int n, float nmax, gk_lanes *r) {
    const gvf zero = gv_set1(0.0f);
    gvf amax, mx, lo, hi, iscale, sumlx = zero, suml2 = zero, scale;
    gvm live, bad;
    int i, itry;
    gk_absmax(xt, n, &amax, &mx, &lo, &hi);
    live = gv_ge(amax, gv_set1(GK_EPS));
    iscale = gv_div(gv_set1(-nmax), mx);
    bad = gm_and(live, gk_bad2(gv_mul(iscale, hi), gv_mul(iscale, lo)));
    for (i = 0; i < n; i++) {
        gvf xi = gv_load(xt + i * GV_W), w = gv_mul(xi, xi), wx = gv_mul(w, xi);
        gvf l = gv_clamp(gv_round(gv_mul(iscale, xi)), -nmax, nmax - 1.0f);
        gv_store(wt + i * GV_W, w);
        gv_store(wxt + i * GV_W, wx);
        gv_store(lt + i * GV_W, l);
        sumlx = gv_add(sumlx, gv_mul(wx, l));
        suml2 = gv_add(suml2, gv_mul(gv_mul(w, l), l));
    }
    /* a lane whose pass changes nothing would change nothing in later passes either (same
     * state), so running every lane until no lane changes equals the C code's early break */
    for (itry = 0; itry < 5; itry++) {
        gvm changed = gm_none();
        for (i = 0; i < n; i++) {
            gvf Li = gv_load(lt + i * GV_W), wx = gv_load(wxt + i * GV_W), w = gv_load(wt + i * GV_W);
            gvf slx = gv_sub(sumlx, gv_mul(wx, Li)), sl2, a, nl;
            gvm pos = gm_and(live, gv_gt(slx, zero)), take;
            if (!gm_any(pos)) continue;
            sl2 = gv_sub(suml2, gv_mul(gv_mul(w, Li), Li));
            a = gv_div(gv_mul(gv_load(xt + i * GV_W), sl2), slx);
            bad = gm_or(bad, gm_and(pos, gv_bad(a)));
            nl = gv_clamp(gv_round(a), -nmax, nmax - 1.0f);
            take = gm_and(pos, gv_ne(nl, Li));
            if (!gm_any(take)) continue;
            slx = gv_add(slx, gv_mul(wx, nl));
            sl2 = gv_add(sl2, gv_mul(gv_mul(w, nl), nl));
            take = gm_and(gm_and(take, gv_gt(sl2, zero)),
                          gv_gt(gv_mul(gv_mul(slx, slx), suml2), gv_mul(gv_mul(sumlx, sumlx), sl2)));
            gv_store(lt + i * GV_W, gv_sel(take, nl, Li));
            sumlx = gv_sel(take, slx, sumlx);
            suml2 = gv_sel(take, sl2, suml2);
            changed = gm_or(changed, take);
        }
        if (!gm_any(changed)) break;
    }
    for (i = 0; i < n; i++)
        gv_store(lt + i * GV_W, gv_sel(live, gv_add(gv_load(lt + i * GV_W), gv_set1(nmax)), zero));
    /* sums that overflowed float32 (|x| above ~7e12) end in a 0 or NaN scale in the C code,
     * which then writes a zero-scale block: GQ_RANGE, see gk_finite */
    bad = gm_or(bad, gm_and(live, gk_bad_sum(sumlx, suml2)));
    scale = gv_sel(gv_gt(suml2, zero), gv_div(sumlx, suml2), zero);
    gk_store_lanes(r, gv_sel(live, scale, zero), zero, zero, zero, lo, hi, live);
    return gm_any(bad);
}

FQ_INLINE int gk_q3k_finish(const float *x, uint8_t *y, const gk_subs *s, const uint8_t *Ls) {
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
            memcpy(L + 16 * j, Ls + 16 * j, 16);
            continue;
        }
        range |= gk_requant(x + 16 * j, 16, 0.0f, d, s->lo[j], s->hi[j], -4.0f, 3.0f, 4.0f, L + 16 * j);
    }
    if (bad) range |= GQ_RANGE;
    if (range) return range;
    memset(y, 0, 32);
    for (j = 0; j < 256; j++) {
        if (L[j] > 3) {
            y[j % 32] |= (uint8_t) (1u << (j / 32));
            L[j] -= 4;
        }
    }
    for (j = 0; j < 256; j += 128) {
        int l;
        for (l = 0; l < 32; l++)
            y[32 + j / 4 + l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
    return 0;
}

FQ_INLINE int gk_q3k(const float *x, uint8_t *y, int64_t nb) {
    enum { BATCH = GK_BATCH(16) };
    float xt[16 * GV_W], wt[16 * GV_W], wxt[16 * GV_W], lt[16 * GV_W];
    uint8_t Ls[256];
    gk_subs subs;
    gk_lanes r;
    int64_t ib;
    int nonfinite = 0, range = 0;
    for (ib = 0; ib < nb; ib += BATCH) {
        const float *xb = x + 256 * ib;
        int nsb = nb - ib < BATCH ? (int) (nb - ib) : BATCH, nsub = 16 * nsb, g, i, l;
        if (gk_nonfinite(xb, nsb)) { nonfinite = 1; continue; }
        for (g = 0; g < nsub; g += GV_W) {
            int count = nsub - g < GV_W ? nsub - g : GV_W;
            gk_transpose(xb + 16 * g, 16, count, xt);
            if (gk_q3(xt, wt, wxt, lt, 16, 4.0f, &r)) range = GQ_RANGE;
            gk_keep(&subs, g, &r, count);
            for (l = 0; l < count; l++)
                for (i = 0; i < 16; i++) Ls[16 * (g + l) + i] = (uint8_t) lt[i * GV_W + l];
        }
        range |= gk_q3k_finish(xb, y + 110 * ib, &subs, Ls);
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
        for (i = 0; i < 32; i++) L[32 * ib + i] = (uint8_t) buf[i];
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
                int a = on ? (int) idx[i * GV_W + l] : 8, b = on ? (int) idx[(i + 16) * GV_W + l] : 8;
                yb[2 + i] = (uint8_t) (a | (b << 4));
            }
        }
    }
    return nonfinite ? GQ_NONFINITE : range;
}

#endif
