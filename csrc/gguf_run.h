/* The loop every GGUF decoder runs in: nb blocks of type_size bytes -> nb * block_size floats.
 *
 * A decoder is `void dec(const uint8_t *x, float *y, ptrdiff_t nb)`: it reads nb whole blocks
 * at x and writes their values at y, in order. fq_gguf_run calls it once for the whole range
 * (ordinary stores), or, with stream set, in groups of blocks decoded into a stack buffer that
 * is written out with non-temporal stores in whole 64-byte lines (csrc/README.md, recipe 3):
 * the first floats up to a 64-byte boundary of y and the last partial line with ordinary
 * stores, the floats of a line split between two groups carried over in the buffer, so every
 * line is streamed whole whatever y's alignment and the block size.
 *
 * Non-finite block scales: fq_canon_nan rewrites every NaN of a block's values as the quiet
 * NaN 0x7FC00000 (the twins do the same), so the bits never depend on which NaN operand the
 * hardware or the compiler propagates. A decoder calls it only for blocks whose fp16 scale is
 * +-inf or NaN: no other block can produce a NaN.
 */
#ifndef FQ_GGUF_RUN_H
#define FQ_GGUF_RUN_H

#include "fq_inline.h"
#include "fq_stream.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*fq_gguf_dec_fn)(const uint8_t *x, float *y, ptrdiff_t nb);

#define FQ_CANON_NAN 0x7fc00000u

FQ_INLINE void fq_canon_nan(float *y, ptrdiff_t n) {
    ptrdiff_t j;
    for (j = 0; j < n; j++) {
        uint32_t u;
        memcpy(&u, y + j, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u) {
            u = FQ_CANON_NAN;
            memcpy(y + j, &u, 4);
        }
    }
}

/* floats per group in the streaming path: a multiple of every block size and of 16 */
#define FQ_GGUF_GROUP 1024

FQ_INLINE void fq_gguf_run(fq_gguf_dec_fn dec, const uint8_t *x, float *y, ptrdiff_t nb,
                           ptrdiff_t type_size, ptrdiff_t block_size, int stream) {
    /* 64 floats of slack: up to 15 carried floats before a group, aligned for the copies */
    float buf[FQ_GGUF_GROUP + 64];
    ptrdiff_t total = nb * block_size, head, pending = 0, per = FQ_GGUF_GROUP / block_size;
    if (!stream || !FQ_HAVE_STREAM || total < 2 * FQ_GGUF_GROUP) {
        dec(x, y, nb);
        return;
    }
    head = fq_stream_head(y, total);
    if (head >= total) { /* y is not even float aligned: no streaming */
        dec(x, y, nb);
        return;
    }
    while (nb > 0) {
        ptrdiff_t g = nb < per ? nb : per, avail, off = 0, lines;
        dec(x, buf + pending, g);
        x += g * type_size;
        nb -= g;
        avail = pending + g * block_size;
        if (head) { /* the first group: ordinary stores up to the 64-byte boundary */
            memcpy(y, buf, (size_t)head * sizeof(float));
            y += head;
            off = head;
            head = 0;
        }
        lines = (avail - off) & ~(ptrdiff_t)15;
        fq_stream_floats(y, buf + off, lines);
        y += lines;
        off += lines;
        pending = avail - off;
        memmove(buf, buf + off, (size_t)pending * sizeof(float));
    }
    memcpy(y, buf, (size_t)pending * sizeof(float));
    fq_stream_fence();
}

#endif
