# cython: freethreading_compatible = True
"""CPU feature probe for kernel dispatch: which of the kernel builds this CPU can run.

Not a codec family (its name starts with ``_``): compiled once, with the baseline flags.
"""

cdef extern from "fq_cpu.h":
    int fq_cpu_has_v3() nogil
    int fq_cpu_has_v4() nogil
    int fq_cpu_has_avx512_features() nogil
    int fq_os_saves_avx512() nogil
    int FQ_CPU_PROBE


def has_x86_64_v3():
    """True when the CPU and OS support the x86-64-v3 build (AVX2, FMA, BMI1/2, ...)."""
    return bool(fq_cpu_has_v3())


def has_x86_64_v4():
    """True when the CPU and OS support the x86-64-v4 build: everything of v3, AVX-512 F, BW,
    CD, DQ and VL, and an OS that saves the AVX-512 state (XCR0 opmask and ZMM bits)."""
    return bool(fq_cpu_has_v4())


def avx512_features():
    """True when the CPU reports AVX-512 F, BW, CD, DQ and VL (CPUID), whatever the OS does."""
    return bool(fq_cpu_has_avx512_features())


def os_saves_avx512():
    """True when the OS has enabled the AVX-512 register state (XCR0 bits 1, 2, 5, 6, 7)."""
    return bool(fq_os_saves_avx512())


#: False where this compiler/platform has no probe (the baseline is then always used).
PROBED = bool(FQ_CPU_PROBE)
