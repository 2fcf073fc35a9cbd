/* Run-time CPU feature probe for kernel dispatch (see csrc/_cpu.pyx).
 *
 * fq_cpu_has_v3() is 1 when the CPU *and the OS* support everything the x86-64-v3 build is
 * compiled for (setup.py V3_FLAGS): AVX2, FMA, BMI1, BMI2, F16C, LZCNT, MOVBE, POPCNT.
 * GCC/clang's __builtin_cpu_supports checks OS support of the AVX state (XGETBV) too.
 *
 * fq_cpu_has_v4() is 1 when, on top of v3, the CPU has AVX-512 F, BW, CD, DQ and VL (setup.py
 * V4_FLAGS: the x86-64-v4 level) *and the OS saves the AVX-512 state*: XCR0 must have the SSE
 * (bit 1), AVX (bit 2), opmask (bit 5), ZMM_Hi256 (bit 6) and Hi16_ZMM (bit 7) bits, read with
 * XGETBV after CPUID says the OS enabled XSAVE (OSXSAVE). The features are read from CPUID
 * leaf 7 directly, so the answer does not depend on how new the compiler's
 * __builtin_cpu_supports is. macOS enables AVX-512 state per thread on first use (XCR0 lacks
 * the bits until then), so there the kernel's own hw.optional.avx512* flags decide.
 *
 * Anything else (non-x86, MSVC, old compilers) answers 0: the baseline build runs.
 */
#ifndef FQ_CPU_H
#define FQ_CPU_H

#include "fq_inline.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(_MSC_VER)
#include <cpuid.h>
#if defined(__APPLE__)
#include <stddef.h>
#include <sys/sysctl.h>
#endif

FQ_INLINE int fq_cpu_has_v3(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
        && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2")
        && __builtin_cpu_supports("popcnt")
#if defined(__clang__) || (__GNUC__ >= 11)
        && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("lzcnt")
        && __builtin_cpu_supports("movbe")
#endif
        ;
}

/* CPUID.(EAX=7, ECX=0):EBX bits of the x86-64-v4 features. */
#define FQ_CPUID7_AVX512F (1u << 16)
#define FQ_CPUID7_AVX512DQ (1u << 17)
#define FQ_CPUID7_AVX512CD (1u << 28)
#define FQ_CPUID7_AVX512BW (1u << 30)
#define FQ_CPUID7_AVX512VL (1u << 31)
#define FQ_CPUID7_V4 (FQ_CPUID7_AVX512F | FQ_CPUID7_AVX512DQ | FQ_CPUID7_AVX512CD \
                      | FQ_CPUID7_AVX512BW | FQ_CPUID7_AVX512VL)
/* XCR0: SSE, AVX (YMM upper halves), opmask, ZMM_Hi256, Hi16_ZMM state saved by the OS. */
#define FQ_XCR0_AVX512 0xE6u

/* 1 when the CPU has AVX-512 F/BW/CD/DQ/VL (CPUID leaf 7), whatever the OS does. */
FQ_INLINE int fq_cpu_has_avx512_features(void) {
    unsigned int a, b, c, d;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    (void)a; (void)c; (void)d;
    return (b & FQ_CPUID7_V4) == FQ_CPUID7_V4;
}

/* 1 when the OS saves and restores the AVX-512 register state (see the comment above). */
FQ_INLINE int fq_os_saves_avx512(void) {
#if defined(__APPLE__)
    static const char *const names[] = {"hw.optional.avx512f", "hw.optional.avx512bw",
                                        "hw.optional.avx512cd", "hw.optional.avx512dq",
                                        "hw.optional.avx512vl"};
    size_t k;
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        int value = 0;
        size_t len = sizeof value;
        if (sysctlbyname(names[k], &value, &len, NULL, 0) != 0 || value == 0) return 0;
    }
    return 1;
#else
    unsigned int a, b, c, d, lo, hi;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* OSXSAVE */
    /* XGETBV(0) as bytes: assemblers without the mnemonic and compilers without -mxsave */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    return (lo & FQ_XCR0_AVX512) == FQ_XCR0_AVX512;
#endif
}

FQ_INLINE int fq_cpu_has_v4(void) {
    return fq_cpu_has_v3() && fq_cpu_has_avx512_features() && fq_os_saves_avx512();
}
#define FQ_CPU_PROBE 1
#else
FQ_INLINE int fq_cpu_has_v3(void) { return 0; }
FQ_INLINE int fq_cpu_has_avx512_features(void) { return 0; }
FQ_INLINE int fq_os_saves_avx512(void) { return 0; }
FQ_INLINE int fq_cpu_has_v4(void) { return 0; }
#define FQ_CPU_PROBE 0
#endif

#endif
