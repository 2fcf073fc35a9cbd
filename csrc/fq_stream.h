/* Non-temporal (streaming) stores of float32 blocks, for large outputs written into a caller's
 * out= (PERF-NOTES: about 2x the bandwidth of ordinary stores, since lines are not read first).
 *
 * Pattern (csrc/README.md): write fq_stream_head(d, n) elements with ordinary stores, so d is
 * 64-byte aligned; then compute FQ_BLOCK-element blocks into a stack buffer and
 * fq_stream_floats() them, so every cache line is written whole; ordinary stores for the tail;
 * fq_stream_fence() before returning. SSE2 is baseline on x86-64; elsewhere (and for
 * misaligned floats) it degrades to ordinary stores with identical results.
 */
#ifndef FQ_STREAM_H
#define FQ_STREAM_H

#include "fq_inline.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#define FQ_HAVE_STREAM 1
#else
#define FQ_HAVE_STREAM 0
#endif

/* Elements to write normally before d + head is 64-byte aligned; n when streaming is not
 * possible (no SSE2, or d not even 4-byte aligned). */
FQ_INLINE ptrdiff_t fq_stream_head(const float *d, ptrdiff_t n) {
    uintptr_t a = (uintptr_t)d;
    ptrdiff_t head;
    if (!FQ_HAVE_STREAM || (a & 3)) return n;
    head = (ptrdiff_t)(((64 - (a & 63)) & 63) / 4);
    return head < n ? head : n;
}

/* d[0:n] = buf[0:n] with streaming stores; d 16-byte aligned, n a multiple of 4. */
FQ_INLINE void fq_stream_floats(float *d, const float *buf, ptrdiff_t n) {
#if FQ_HAVE_STREAM
    ptrdiff_t i;
#if defined(__AVX__)
    if ((((uintptr_t)d) & 31) == 0 && (n & 7) == 0) {  /* 32-byte stores (the v3 build) */
        for (i = 0; i < n; i += 8) _mm256_stream_ps(d + i, _mm256_loadu_ps(buf + i));
        return;
    }
#endif
    for (i = 0; i < n; i += 4) _mm_stream_ps(d + i, _mm_loadu_ps(buf + i));
#else
    memcpy(d, buf, (size_t)n * sizeof(float));
#endif
}

/* Order the streaming stores before anything that follows (another thread reading out). */
FQ_INLINE void fq_stream_fence(void) {
#if FQ_HAVE_STREAM
    _mm_sfence();
#endif
}

#endif
