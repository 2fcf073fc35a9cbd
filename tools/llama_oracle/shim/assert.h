/* fastquant's oracle build: shadows the system <assert.h> (this directory comes first on the
 * include path) so that a failed assert() inside llama.cpp's reference quantizers returns to
 * the caller of fq_oracle_call() with an error instead of aborting the test process.
 * Deliberately without an include guard, like the system header: every inclusion redefines
 * assert (NDEBUG is ignored: the oracle always checks). */
#undef assert
#ifndef FQ_ORACLE_ASSERT_DECLARED
#define FQ_ORACLE_ASSERT_DECLARED
#ifdef __cplusplus
extern "C"
#endif
__attribute__((noreturn)) void fq_oracle_assert_failed(const char * cond, const char * file, int line);
#endif
#define assert(cond) ((cond) ? (void) 0 : fq_oracle_assert_failed(#cond, __FILE__, __LINE__))
#if !defined(__cplusplus) && !defined(static_assert) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define static_assert _Static_assert
#endif
