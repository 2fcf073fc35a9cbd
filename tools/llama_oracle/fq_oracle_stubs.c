/* fastquant's oracle build of llama.cpp's ggml-quants.c: the few ggml symbols that file
 * needs from the rest of ggml, and fq_oracle_call(), which runs one reference function and
 * turns an assert()/GGML_ASSERT failure inside it into a return value (via longjmp) instead
 * of killing the process. This file is fastquant's own; llama.cpp's sources are downloaded
 * by tools/build_llama_oracle.py at build time and never committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local jmp_buf *fq_jump;
static _Thread_local char fq_message[512];

static __attribute__((noreturn)) void fq_fail(void) {
    if (fq_jump) {
        longjmp(*fq_jump, 1);
    }
    fprintf(stderr, "fq_oracle: %s (outside fq_oracle_call)\n", fq_message);
    abort();
}

__attribute__((noreturn)) void fq_oracle_assert_failed(const char * cond, const char * file, int line) {
    snprintf(fq_message, sizeof fq_message, "%s:%d: assert(%s)", file, line, cond);
    fq_fail();
}

__attribute__((noreturn)) void ggml_abort(const char * file, int line, const char * fmt, ...) {
    char text[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    snprintf(fq_message, sizeof fq_message, "%s:%d: %s", file, line, text);
    fq_fail();
}

/* Referenced by the non-reference entry points (quantize_<type>(), validation); the oracle
 * tests never call those, so reaching one of these is an error. */
const char * ggml_type_name(int type) { (void) type; return "?"; }
size_t ggml_type_size(int type) {
    snprintf(fq_message, sizeof fq_message, "ggml_type_size(%d) is not part of the oracle build", type);
    fq_fail();
}
size_t ggml_row_size(int type, int64_t ne) {
    (void) ne;
    snprintf(fq_message, sizeof fq_message, "ggml_row_size(%d) is not part of the oracle build", type);
    fq_fail();
}

typedef void (*fq_row_fn)(const void * src, void * dst, int64_t k);

/* fn(src, dst, k): 0 when it returned, 1 when it failed an assertion (fq_oracle_message()
 * says which). quantize_row_<type>_ref(x, y, k) and dequantize_row_<type>(x, y, k) both
 * have this shape. */
int fq_oracle_call(fq_row_fn fn, const void * src, void * dst, int64_t k) {
    jmp_buf here;
    jmp_buf * volatile outer = fq_jump;
    fq_message[0] = 0;
    if (setjmp(here)) {
        fq_jump = outer;
        return 1;
    }
    fq_jump = &here;
    fn(src, dst, k);
    fq_jump = outer;
    return 0;
}

const char * fq_oracle_message(void) { return fq_message; }

#ifndef FQ_ORACLE_VERSION
#define FQ_ORACLE_VERSION "unknown"
#endif
/* the llama-cpp-python version whose ggml-quants.c this library was built from */
const char * fq_oracle_version(void) { return FQ_ORACLE_VERSION; }
