/* Run-time CPU feature probe for kernel dispatch (see csrc/_cpu.pyx).
 *
 * fq_cpu_has_v3() is 1 when the CPU *and the OS* support everything the x86-64-v3 build is
 * compiled for (setup.py V3_FLAGS): AVX2, FMA, BMI1, BMI2, F16C, LZCNT, MOVBE, POPCNT.
 * GCC/clang's __builtin_cpu_supports checks OS support of the AVX state (XGETBV) too.
 * Anything else (non-x86, MSVC, old compilers) answers 0: the baseline build runs.
 */
#ifndef FQ_CPU_H
#define FQ_CPU_H

#include "fq_inline.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(_MSC_VER)
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
#define FQ_CPU_PROBE 1
#else
FQ_INLINE int fq_cpu_has_v3(void) { return 0; }
#define FQ_CPU_PROBE 0
#endif

#endif
