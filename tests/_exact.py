"""Exact float32 arithmetic on rationals: an independent reference for the quantizers.

Every float32 operation a quantizer performs (a division, an addition) is computed here with
:class:`fractions.Fraction` and rounded once to the nearest float32, ties to even: no NumPy and
no fastquant in the arithmetic, so a kernel or twin that multiplies by a reciprocal instead of
dividing disagrees with it. :func:`near_ties` builds the inputs where that matters: the float32
values nearest to, and a few ulps around, every point where a quotient crosses a .5 boundary.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

F32_MAX = Fraction(float(np.finfo(np.float32).max))


def f32(q: Fraction) -> Fraction:
    """``q`` rounded to the nearest float32 (ties to the even significand), exactly; values
    beyond float32's range are an OverflowError (no quantizer here may produce one)."""
    n, d = abs(q.numerator), q.denominator
    if n == 0:
        return Fraction(0)
    e = n.bit_length() - d.bit_length()  # 2**(e - 1) < n / d < 2**(e + 1)
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1  # now 2**e <= n / d < 2**(e + 1)
    shift = 23 - max(e, -126)  # the quantum 2**-shift: 24 significant bits, or subnormal
    num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
    m, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and m & 1):  # round half to even
        m += 1
    r = Fraction(m, 1 << shift) if shift >= 0 else Fraction(m << -shift)
    if r > F32_MAX:
        raise OverflowError(f"{float(q)} overflows float32")
    return r if q > 0 else -r


def div(x, s) -> Fraction:
    """``fl32(x / s)`` for float32 values ``x`` and ``s``: a true, correctly rounded division."""
    return f32(Fraction(float(x)) / Fraction(float(s)))


def recip_mul(x, s) -> Fraction:
    """``fl32(x * fl32(1 / s))``: what a multiply by the reciprocal computes instead of
    :func:`div` (used only to show that the test inputs tell the two apart)."""
    return f32(Fraction(float(x)) * f32(1 / Fraction(float(s))))


def rne(q: Fraction) -> int:
    """Round half to even."""
    return round(q)


def as_f32(q: Fraction) -> np.float32:
    return np.float32(float(q))  # exact: q is a float32 value


def near_ties(centres, ulps: int = 3) -> np.ndarray:
    """For each exact rational ``centre``: the float32 nearest to it and the ``ulps`` float32
    values on either side of that one, as a ``(len(centres), 2 * ulps + 1)`` float32 array."""
    x = np.array([float(f32(c)) for c in centres], np.float32)
    up, down, cols = x, x, [x]
    for _ in range(ulps):
        up = np.nextafter(up, np.float32(np.inf))
        down = np.nextafter(down, np.float32(-np.inf))
        cols = [down] + cols + [up]
    return np.stack(cols, axis=1)


def check_numpy_agrees(x: np.ndarray, s) -> None:
    """The exact division agrees with NumPy's float32 division on every element (a check of
    this module against a second, independent implementation of IEEE division)."""
    exact = np.array([float(div(v, s)) for v in x.ravel()], np.float32)
    with np.errstate(all="ignore"):
        numpy = (x.ravel() / np.float32(s)).astype(np.float32)
    assert exact.tobytes() == numpy.tobytes(), "the exact reference disagrees with NumPy's float32 division"
