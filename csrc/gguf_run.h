/* The loop every GGUF decoder runs in: nb blocks of type_size bytes -> nb * block_size floats.
 *
 * A decoder is `void dec(const uint8_t *x, float *y, ptrdiff_t nb)`: it reads nb whole blocks
 * at x and writes their values at y, in order; its twin dec_nt writes the same values with
 * non-temporal (streaming) 16-byte stores and needs y 16-byte aligned. fq_gguf_run calls dec
 * once for the whole range (ordinary stores), or, with stream set, dec_nt when y is 16-byte
 * aligned: streaming from the registers, block after block, lets the decoding of one block
 * overlap the write-back of the last (measured 1.3-1.4x faster than a buffer in between).
 * An out= at an odd float offset (y only 4-byte aligned) goes through a stack buffer written
 * out in whole 64-byte lines (csrc/README.md, recipe 3): the floats up to a 64-byte boundary
 * of y and the last partial line with ordinary stores, the floats of a line split between
 * two groups carried over in the buffer.
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

FQ_INLINE void fq_gguf_run(fq_gguf_dec_fn dec, fq_gguf_dec_fn dec_nt, const uint8_t *x, float *y,
                           ptrdiff_t nb, ptrdiff_t type_size, ptrdiff_t block_size, int stream) {
    /* 64 floats of slack: up to 15 carried floats before a group, aligned for the copies */
    float buf[FQ_GGUF_GROUP + 64];
    ptrdiff_t total = nb * block_size, head, pending = 0, per = FQ_GGUF_GROUP / block_size;
    if (!stream || !FQ_HAVE_STREAM || total < 2 * FQ_GGUF_GROUP) {
        dec(x, y, nb);
        return;
    }
    if (((uintptr_t)y & 15) == 0) {
        dec_nt(x, y, nb);
        fq_stream_fence();
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
