# Inline helpers shared by the kernel families. Everything here is float32 arithmetic in the
# order the NumPy twins use; nothing may be compiled with -ffast-math.

cdef inline float round_clamp(float x, float lo, float hi) noexcept nogil:
    """clip(round_half_even(x), lo, hi) for non-NaN x and integer bounds with |bound| < 2**22.

    Clamping first is exact because the bounds are integers (round and clip commute), and it
    makes +-inf saturate. Then adding and subtracting 1.5 * 2**23 rounds half to even in the
    default rounding mode, branch-free, so the loop vectorizes even on plain SSE2 where a call
    to rintf would not.
    """
    cdef float magic = 12582912.0
    x = lo if x < lo else x
    x = hi if x > hi else x
    return (x + magic) - magic


cdef inline float round_clamp_any(float x, float lo, float hi) noexcept nogil:
    """round_clamp for every x, NaN included: NaN gives lo (``x >= lo`` is false for NaN).

    For kernels that see NaN in their input and report it separately: the code written for
    a NaN is unspecified, but it must be a code, since casting NaN to an integer type is
    undefined behaviour in C (UBSan's float-cast-overflow). Same cost as round_clamp.
    """
    cdef float magic = 12582912.0
    x = x if x >= lo else lo
    x = hi if x > hi else x
    return (x + magic) - magic
