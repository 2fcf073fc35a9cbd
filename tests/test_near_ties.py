"""The quantizers against an exact float32 reference written in the tests (tests/_exact.py:
true division on rationals, rounded once), on inputs within a few ulps of every .5 boundary,
over scales whose reciprocal is inexact: n_bits 2..16, signed and unsigned, per tensor and per
channel, and every int4 scale method.

Expected codes never come from fastquant (neither its kernels nor its twins): a kernel AND twin
that multiplied by the reciprocal instead of dividing would fail here. Each test also shows
that its inputs tell the two apart (some code differs under a reciprocal multiply), and checks
the exact reference against NumPy's float32 division.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import fastquant as fq
from fastquant import _backend
from _exact import check_numpy_agrees, div, f32, near_ties, recip_mul, rne
from _support import REQUIRE_EXTENSION

HALF = Fraction(1, 2)


def backends() -> list:
    """The twins and every compiled build this CPU runs (the pure NumPy install: the twins;
    where the kernels are demanded, a missing build fails)."""
    if not _backend.builds() and REQUIRE_EXTENSION:
        pytest.fail(f"compiled kernels demanded but unavailable: {_backend.WHY_NOT_COMPILED}")
    return ["numpy", *_backend.builds()]


def inexact_scale(rng, lo: float, hi: float) -> Fraction:
    """A float32 scale in [lo, hi) whose reciprocal is not exact in float32."""
    while True:
        s = Fraction(float(np.float32(rng.uniform(lo, hi))))
        if f32(1 / s) * s != 1:
            return s


def f32_value(q: Fraction) -> np.float32:
    return np.float32(float(f32(q)))


# --- int4 --------------------------------------------------------------------------------

def _int4_case(method: str, rng):
    """Data with a chosen min and max, plus values near every rounding boundary of the codes
    between them; the reference scale, zero point and codes."""
    a = float(np.float32(rng.uniform(0.01, 60)))
    b = float(np.float32(rng.uniform(0.01, 60)))
    if method == "absmax":
        lo, hi = -min(a, b), max(a, b)
        if rng.integers(2):
            lo, hi = -hi, -lo  # the largest magnitude negative
        scale = f32(max(Fraction(-lo), Fraction(hi)) / 7)
    else:
        kind = rng.integers(3)  # straddling zero, all positive, all negative
        lo, hi = sorted([-a, b] if kind == 0 else [a, a + b] if kind == 1 else [-a - b, -a])
        lo, hi = float(np.float32(lo)), float(np.float32(hi))
        scale = f32(f32(Fraction(hi) - Fraction(lo)) / 15)
    zp = 0 if method != "asymmetric" else -8 - rne(div(lo, scale))
    # the quotient v / scale crosses a rounding boundary at every j + 1/2
    first, last = rne(Fraction(lo) / scale) - 2, rne(Fraction(hi) / scale) + 2
    centres = [(j + HALF) * scale for j in range(first, last)]
    x = near_ties(centres).ravel()
    x = x[(x >= lo) & (x <= hi)]
    data = rng.permutation(np.concatenate([np.float32([lo, hi]), x]))
    codes = [min(7, max(-8, rne(div(v, scale)) + zp)) for v in data]
    flips = sum(c != min(7, max(-8, rne(recip_mul(v, scale)) + zp)) for c, v in zip(codes, data))
    return data, float(scale), zp, np.array(codes, np.int8), flips


@pytest.mark.parametrize("method", ["minmax", "absmax", "asymmetric"])
def test_quantize_to_int4_near_ties_against_exact_division(method):
    rng = np.random.default_rng([2026, len(method)])
    flips = 0
    for _ in range(12):
        data, scale, zp, want, f = _int4_case(method, rng)
        flips += f
        check_numpy_agrees(data, scale)
        for name in backends():
            with fq.use_backend(name):
                q, got_scale, got_zp = fq.quantize_to_int4(data, method)
                packed, _, _ = fq.quantize_to_packed_int4(data, method)
                unpacked = fq.unpack_int8_to_int4(packed, n=data.size)
            assert (got_scale, got_zp) == (scale, zp), name
            bad = np.flatnonzero(q != want)
            assert not bad.size, (f"{name}: {bad.size} codes differ from true division, first "
                                  f"{data[bad[0]]!r} / {scale!r}: {q[bad[0]]} instead of {want[bad[0]]}")
            np.testing.assert_array_equal(unpacked, want, err_msg=f"{name} quantize_to_packed_int4")
    assert flips >= 10, f"only {flips} inputs tell a true division from a reciprocal multiply"


# --- affine ------------------------------------------------------------------------------

def code_range(n_bits: int, signed: bool) -> tuple:
    return (-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if signed else (0, 2**n_bits - 1)


def _around(scale: Fraction, zp: int, ks, ulps: int) -> np.ndarray:
    """Float32 inputs ``ulps`` either side of where ``fl(x / s) + zp`` reaches ``k + 1/2``,
    i.e. ``x = (k + 1/2 - zp) * s``; and, since the sum's ulp may be coarser than the
    quotient's, of where it reaches the midpoints between ``k + 1/2`` and its float32
    neighbours (what then decides the code)."""
    targets = []
    for k in ks:
        half_ulp = Fraction(float(np.spacing(np.float32(abs(k + 0.5))))) / 2
        targets += [k + HALF, k + HALF - half_ulp, k + HALF + half_ulp]
    return near_ties([(t - zp) * scale for t in targets], ulps)


def _telling(scale: Fraction, zp: int, qmin: int, qmax: int, ks) -> np.ndarray:
    """Up to 8 inputs near the boundaries of codes ``ks`` (24 ulps out) where a true division
    and a reciprocal multiply give different codes: found with NumPy; the expected codes come
    from the exact reference alone."""
    wide = _around(scale, zp, ks, 24).ravel()
    s32, z32 = np.float32(scale), np.float32(zp)
    with np.errstate(all="ignore"):
        by_div = np.clip(np.round(wide / s32 + z32), qmin, qmax)
        by_mul = np.clip(np.round(wide * (np.float32(1) / s32) + z32), qmin, qmax)
    return wide[by_div != by_mul][:8]


def _channel(rng, n_bits: int, signed: bool, k_count: int = 8):
    """A scale, a zero point and values near the boundaries around ``k_count`` codes (the
    range ends among them); the reference codes ``clip(round(fl(fl(x / s) + zp)), qmin, qmax)``."""
    qmin, qmax = code_range(n_bits, signed)
    ends = [qmin - 1, qmin, qmin + 1, qmax - 1, qmax]
    for _ in range(50):  # a scale (and zero point) under which a reciprocal changes some code
        scale = inexact_scale(rng, 1e-3, 10)
        zp = int(rng.integers(qmin, qmax + 1))
        telling = _telling(scale, zp, qmin, qmax, ends + [int(k) for k in rng.integers(qmin, qmax + 1, 32)])
        if telling.size:
            break

    ks = ends + [int(k) for k in rng.integers(qmin, qmax + 1, k_count - len(ends))]
    x = _around(scale, zp, ks, 2).ravel()
    x = np.concatenate([x, telling, x[: 8 - telling.size]])  # the same length for every channel
    codes = [min(qmax, max(qmin, rne(f32(div(v, scale) + zp)))) for v in x]
    flips = sum(c != min(qmax, max(qmin, rne(f32(recip_mul(v, scale) + zp)))) for c, v in zip(codes, x))
    check_numpy_agrees(x, scale)
    return float(scale), zp, x, codes, flips


LAYOUTS = ["per_tensor", "axis0", "axis-1", "axis1_of_3d"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("n_bits", range(2, 17))
def test_quantize_func_near_ties_against_exact_division(n_bits, signed, layout):
    rng = np.random.default_rng([n_bits, signed, LAYOUTS.index(layout)])
    dtype = (np.int8 if n_bits <= 8 else np.int16) if signed else (np.uint8 if n_bits <= 8 else np.uint16)
    channels = [_channel(rng, n_bits, signed) for _ in range(4)]
    scales = np.array([c[0] for c in channels], np.float32)
    zps = np.array([c[1] for c in channels], np.int32)
    x = np.stack([c[2] for c in channels])  # (channels, values)
    want = np.array([c[3] for c in channels], dtype)
    flips = sum(c[4] for c in channels)
    for name in backends():
        with fq.use_backend(name):
            if layout == "per_tensor":  # each channel on its own, Python float and int
                got = np.stack([fq.quantize_func(x[i], float(scales[i]), int(zps[i]), n_bits, signed=signed)
                                for i in range(len(channels))])
            elif layout == "axis0":
                got = fq.quantize_func(x, scales, zps, n_bits, signed=signed, axis=0)
            elif layout == "axis-1":
                got = fq.quantize_func(np.ascontiguousarray(x.T), scales, zps, n_bits, signed=signed, axis=-1).T
            else:  # channels in the middle: (2, C, values / 2)
                x3 = np.ascontiguousarray(x.reshape(len(channels), 2, -1).transpose(1, 0, 2))
                got3 = fq.quantize_func(x3, scales, zps, n_bits, signed=signed, axis=1)
                got = got3.transpose(1, 0, 2).reshape(x.shape)
        assert got.dtype == dtype, name
        bad = np.argwhere(got != want)
        if bad.size:
            c, i = bad[0]
            raise AssertionError(
                f"{name}: {len(bad)} codes differ from true division; first: channel {c}, "
                f"x={x[c, i]!r} scale={scales[c]!r} zp={zps[c]}: {got[c, i]} instead of {want[c, i]}")
    assert flips >= 1, "no input tells a true division from a reciprocal multiply"


def test_the_exact_reference_rounds_as_ieee_float32():
    """tests/_exact.f32 against NumPy's float64 -> float32 conversion (one rounding of an
    exact double) over normal, subnormal and tie values: the reference itself is checked."""
    rng = np.random.default_rng(4)
    doubles = rng.standard_normal(3000) * 10.0 ** rng.integers(-46, 38, 3000)
    ties = [2.0**-149 * k / 2 for k in range(1, 9)] + [1 + 2.0**-24, 1 + 3 * 2.0**-24, 3.4028235e38]
    for v in list(doubles) + ties:
        with np.errstate(over="ignore"):
            want = np.float32(v)
        if np.isfinite(want):
            assert f32(Fraction(float(v))) == Fraction(float(want)), v
