# cython: freethreading_compatible = True
"""CPU feature probe for kernel dispatch: which of the kernel builds this CPU can run.

Not a codec family (its name starts with ``_``): compiled once, with the baseline flags.
"""

cdef extern from "fq_cpu.h":
    int fq_cpu_has_v3() nogil
    int FQ_CPU_PROBE


def has_x86_64_v3():
    """True when the CPU and OS support the x86-64-v3 build (AVX2, FMA, BMI1/2, ...)."""
    return bool(fq_cpu_has_v3())


#: False where this compiler/platform has no probe (the baseline is then always used).
PROBED = bool(FQ_CPU_PROBE)
