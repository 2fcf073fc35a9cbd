"""The quantizers that divide multiply by the reciprocal where fq_quantize.h's proof allows it
and divide elsewhere; the codes must be the true division's, always. Expected codes come from
an exact rational reference written here (fractions.Fraction, rounded to float32 by hand), not
from fastquant, on inputs built to sit on or within a few ulps of a rounding boundary: exact
ties, their float neighbours, blocks where a single near tie forces the division fallback
among proven elements, +-inf, huge values, subnormal scales, 16-bit code ranges, zero points
that disable the multiply path, and per-channel scales many orders of magnitude apart.
Every compiled build and the NumPy twins are checked."""

from __future__ import annotations

import importlib
import math
from fractions import Fraction

import numpy as np
import pytest

import fastquant as fq
from fastquant import _backend
from _support import need_backend

# --- the reference: exact rationals, rounded to float32 like IEEE 754 (nearest, ties even) ----

_TOP = Fraction(2) ** 128


def round_f32(q: Fraction) -> float:
    """The float32 nearest to q (ties to even, overflow to +-inf), as a Python float."""
    if q == 0:
        return 0.0
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2**e <= a < 2**(e+2)
    if Fraction(2) ** e > a:
        e -= 1
    if Fraction(2) ** (e + 1) <= a:
        e += 1
    ulp = Fraction(2) ** (max(e, -126) - 23)  # subnormals share the spacing 2**-149
    r = round(a / ulp) * ulp  # Fraction.__round__ rounds half to even
    value = math.inf if r >= _TOP else float(r)
    return value if q > 0 else -value


def f32(value: float) -> float:
    """value rounded to float32 (for inputs given as Python numbers; beyond the range: +-inf)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def ref_code(x: float, scale: float, zf: float = 0.0, zp: int = 0, lo: int = -128, hi: int = 127,
             offset: float = 0.0, floor: bool = False):
    """clip(R(fl(fl(fl(x - offset) / scale) + zf)) + zp, lo, hi) with fl = float32 rounding,
    R = round half to even (or floor); None for NaN."""
    if math.isnan(x):
        return None
    if offset:
        x = x if math.isinf(x) else round_f32(Fraction(x) - Fraction(offset))
    if math.isinf(x):
        v = x
    else:
        q = round_f32(Fraction(x) / Fraction(scale))
        v = q if math.isinf(q) else round_f32(Fraction(q) + Fraction(zf))
    if math.isinf(v):
        k = hi - zp + 1 if v > 0 else lo - zp - 1
    else:
        k = math.floor(Fraction(v)) if floor else round(Fraction(v))
    return min(max(k + zp, lo), hi)


def ref_codes(x, scale, **kw) -> np.ndarray:
    return np.array([ref_code(float(v), float(scale), **kw) for v in np.asarray(x, np.float32).ravel()],
                    dtype=np.int64).reshape(np.shape(x))


# --- inputs ----------------------------------------------------------------------------------

def near_ties(scale: float, targets, rng, zf: float = 0.0, floor: bool = False, steps=(1, 2, 3)) -> np.ndarray:
    """Floats x whose quotient x / scale (+ zf) lies on, or a few ulps of x away from, each
    boundary t + 1/2 (round) or t (floor) for t in targets; plus ordinary values."""
    half = 0.0 if floor else 0.5
    base = np.array([f32((t + half - zf) * scale) for t in targets], np.float32)
    out = [base]
    for k in steps:
        up, down = base.copy(), base.copy()
        for _ in range(k):
            up = np.nextafter(up, np.float32(np.inf))
            down = np.nextafter(down, np.float32(-np.inf))
        out += [up, down]
    span = (max(targets) - min(targets) + 2) * scale
    with np.errstate(over="ignore"):  # (huge scales: some become +-inf, which is fine)
        out.append((rng.standard_normal(4 * len(base)) * span / 4).astype(np.float32))
    return rng.permutation(np.concatenate(out))


SPECIALS = np.array([np.inf, -np.inf, 3e38, -3e38, 1e10, -1e10, 2.2e9, -2.2e9, 0.0, -0.0,
                     1e-45, -1e-45, 1e-38], np.float32)


def with_lone_tie(scale: float, lo: int, hi: int, rng, zf: float = 0.0) -> np.ndarray:
    """Blocks of ordinary values (far from ties), each with a single exact tie at a position
    that moves across block boundaries and into the tail: the division fallback must redo
    exactly those blocks."""
    n = 256 * 5 + 37
    t = rng.integers(lo, hi, n).astype(np.float64) + rng.uniform(-0.3, 0.3, n)
    with np.errstate(over="ignore"):
        x = ((t - zf) * scale).astype(np.float32)
    for pos in (0, 100, 255, 256, 511, 700, 1279, 1280, n - 1):
        k = int(rng.integers(lo, hi))
        x[pos] = f32((k + 0.5 - zf) * scale)
    return x


def backends() -> list:
    """The NumPy twins and every compiled build this CPU runs."""
    return ["numpy", *_backend.builds()]


def assert_codes(got, want, what):
    got = np.asarray(got).astype(np.int64)
    bad = np.flatnonzero(got.ravel() != want.ravel())
    assert bad.size == 0, f"{what}: {bad.size} codes differ, first at {bad[0]}: got {got.ravel()[bad[0]]}, want {want.ravel()[bad[0]]}"


def assert_has_near_ties(x, scale, zf=0.0, floor=False):
    """The input really holds quotients within 2**-20 of a boundary (it tests the fallback)."""
    z = np.asarray(x, np.float64) / float(scale) + zf
    z = z[np.isfinite(z)]
    frac = z - np.floor(z)
    dist = np.minimum(frac, 1 - frac) if floor else np.abs(frac - 0.5)
    assert (dist < 2.0**-20 * np.maximum(1.0, np.abs(z))).sum() >= 10


# --- quantize_func, per tensor ---------------------------------------------------------------

PER_TENSOR = [
    # n_bits, signed, scale, zero point
    (8, True, 8 / 255, 0),
    (8, True, 8 / 255, -3),
    (8, False, 0.05, 128),
    (4, True, 1 / 3, 0),
    (2, False, 7.0, 1),
    (10, True, 0.01, 5),
    (12, False, 1e-3, 2000),
    (16, True, 1e-4, 0),
    (16, False, 3e-5, 32768),
    (8, True, 1e-30, 0),       # reciprocal 1e30: still normal
    (8, True, 3e-39, 0),       # a subnormal scale, reciprocal normal
    (8, True, 2e38, 0),        # reciprocal subnormal: never multiplied
    (8, True, 0.1, 2**20),     # a zero point too large for the proof: divided throughout
    (8, True, 0.25, 0),        # powers of two: multiplying is the division, nothing to prove
    (16, True, 2.0**-12, 5),
    (4, False, 2.0**100, 3),
    (8, False, 0.1, -2**18),
]


@pytest.mark.parametrize("n_bits,signed,scale,zp", PER_TENSOR)
def test_quantize_func_near_ties_match_true_division(n_bits, signed, scale, zp, rng):
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    scale = f32(scale)
    zf = f32(zp)
    # boundaries in code space (the quotient plus the zero point), at both ends and inside
    targets = list(range(qmin - 2, qmin + 3)) + list(range(qmax - 2, qmax + 3))
    targets += [int(t) for t in rng.integers(qmin, qmax + 1, 40)]
    x = np.concatenate([near_ties(scale, targets, rng, zf=zf), SPECIALS,
                        with_lone_tie(scale, max(qmin, -1000), min(qmax, 1000), rng, zf=zf)])
    if 1e-30 < scale < 1e30 and abs(zp) < 2**12:
        assert_has_near_ties(x, scale, zf)
    want = ref_codes(x, scale, zf=zf, lo=qmin, hi=qmax)
    for name in backends():
        with fq.use_backend(name):
            got = fq.quantize_func(x, scale, zp, n_bits, signed=signed)
            assert_codes(got, want, f"{name} n_bits={n_bits} signed={signed} scale={scale} zp={zp}")
            out = np.empty_like(got)  # the out= path, and a misaligned start
            fq.quantize_func(x[1:], scale, zp, n_bits, signed=signed, out=out[1:])
            assert_codes(out[1:], want[1:], f"{name} out= offset 1")


def test_nan_is_still_found_among_proven_blocks(rng):
    x = with_lone_tie(0.05, -128, 127, rng)
    for pos in (3, 300, x.size - 1):
        y = x.copy()
        y[pos] = np.nan
        for name in backends():
            with fq.use_backend(name), pytest.raises(ValueError, match="x: expected numbers without NaN"):
                fq.quantize_func(y, 0.05, 0)


# --- quantize_func, per channel --------------------------------------------------------------

SCALES = [1e-30, 3e-6, 0.003, 0.05, 1.0, 7.0, 1e4, 1e30]


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("n_bits,signed,zp", [(8, True, 3), (8, False, 100), (4, True, 0), (16, True, -7)])
def test_per_channel_scales_far_apart_match_true_division(axis, n_bits, signed, zp, rng):
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    scales = np.array(SCALES, np.float32)
    zps = np.array([zp, zp + 1, 0, zp, -zp, zp, 2, zp], np.int32)
    zps = np.clip(zps, qmin, qmax).astype(np.int32)
    cols = []
    for s, z in zip(scales.tolist(), zps.tolist()):
        targets = [qmin - 1, qmin, qmax, qmax + 1] + [int(t) for t in rng.integers(qmin, qmax + 1, 30)]
        col = near_ties(s, targets, rng, zf=f32(z))
        cols.append(col[:300] if col.size >= 300 else np.resize(col, 300))
    x = np.stack(cols)  # (channels, 300): channel c on axis 0
    x[:, :SPECIALS.size] = SPECIALS
    if axis == -1:
        x = np.ascontiguousarray(x.T)  # (300, channels): channels on the last axis (one lane each)
    want = np.empty(x.shape, np.int64)
    for c, (s, z) in enumerate(zip(scales.tolist(), zps.tolist())):
        sl = (c, slice(None)) if axis == 0 else (slice(None), c)
        want[sl] = ref_codes(x[sl], s, zf=f32(z), lo=qmin, hi=qmax)
    for name in backends():
        with fq.use_backend(name):
            got = fq.quantize_func(x, scales, zps, n_bits, axis=axis, signed=signed)
            assert_codes(got, want, f"{name} axis={axis} n_bits={n_bits}")


def test_per_channel_rows_with_a_scale_without_proof(rng):
    """One lane whose reciprocal is subnormal makes the whole row divide; still exact."""
    scales = np.array([0.1, 2e38, 0.02], np.float32)
    x = np.stack([near_ties(float(s), list(range(-20, 20)), rng)[:256] for s in scales.tolist()], axis=1)
    want = np.stack([ref_codes(x[:, c], float(s), lo=-128, hi=127) for c, s in enumerate(scales.tolist())], axis=1)
    for name in backends():
        with fq.use_backend(name):
            assert_codes(fq.quantize_func(x, scales, 0, axis=1), want, name)


# --- int4 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [0.2142857164144516, 1 / 15, 7.0, 3e-39, 1e-30, 0.5, 2.0**-20])
def test_int4_kernels_near_ties_match_true_division(scale, rng):
    scale = f32(scale)
    x = np.concatenate([near_ties(scale, list(range(-10, 10)), rng), SPECIALS, with_lone_tie(scale, -8, 7, rng)])
    x = x[: x.size - x.size % 2]
    want = ref_codes(x, scale, lo=-8, hi=7)
    packed_want = ((want[0::2] & 0xF) | ((want[1::2] & 0xF) << 4)).astype(np.uint8).view(np.int8)
    for name in backends():
        k = _backend.kernels_of(name)
        got = np.empty(x.size, np.int8)
        k.int4_quantize(x, got, scale)
        assert_codes(got, want, f"{name} int4_quantize scale={scale}")
        packed = np.empty((1, x.size // 2), np.int8)
        k.int4_quantize_pack(x.reshape(1, -1), packed, scale)
        assert_codes(packed.ravel(), packed_want.astype(np.int64), f"{name} int4_quantize_pack")


def test_quantize_to_int4_public_near_ties(rng):
    """absmax puts 7 * scale exactly at the maximum: values at +-(k + 1/2) * scale tie."""
    scale = f32(2.5 / 7)
    x = near_ties(scale, list(range(-8, 8)), rng)
    x = x[np.abs(x) <= 2.5]
    x = np.concatenate([x, np.array([2.5, -2.5], np.float32)])
    got, s, zp = fq.quantize_to_int4(x, "absmax")
    assert s == f32(f32(2.5) / 7) and zp == 0
    assert_codes(got, ref_codes(x, s, lo=-8, hi=7), "quantize_to_int4")
    for name in backends():
        with fq.use_backend(name):
            assert_codes(fq.quantize_to_int4(x, "absmax")[0], ref_codes(x, s, lo=-8, hi=7), name)


# --- the primitive's other variants: round then add (ONNX), floor with an offset ------------

def _primitives():
    """fq_quantize.h's test hook of every compiled build: (name, function)."""
    need_backend("cython")
    out = []
    for name in _backend.builds():
        package = _backend._BUILD_PACKAGES[name.split("-", 1)[1]]
        out.append((name, importlib.import_module(f"{package}.affine")._quantize_primitive))
    return out


# ONNX QuantizeLinear saturation ranges
ONNX_RANGES = {"int8": (np.int8, -128, 127), "uint8": (np.uint8, 0, 255), "int16": (np.int16, -32768, 32767),
               "uint16": (np.uint16, 0, 65535), "int4": (np.int8, -8, 7), "uint4": (np.uint8, 0, 15),
               "int2": (np.int8, -2, 1), "uint2": (np.uint8, 0, 3)}


@pytest.mark.parametrize("kind", list(ONNX_RANGES))
@pytest.mark.parametrize("simd", [True, False])
def test_round_then_add_zero_point(kind, simd, rng):
    """code = saturate(round(x / scale) + zero_point): the rounding before the addition."""
    dtype, lo, hi = ONNX_RANGES[kind]
    zp = int(rng.integers(lo, hi + 1))
    scale = f32(0.037)
    targets = list(range(lo - zp - 3, lo - zp + 3)) + list(range(hi - zp - 3, hi - zp + 3))
    x = np.concatenate([near_ties(scale, targets + [int(t) for t in rng.integers(lo - zp, hi - zp + 1, 30)], rng),
                        SPECIALS, with_lone_tie(scale, max(lo - zp, -100), min(hi - zp, 100), rng)])
    want = ref_codes(x, scale, zp=zp, lo=lo, hi=hi)
    for name, prim in _primitives():
        out = np.empty(x.size, dtype)
        assert prim(x, out, scale, 0.0, 0.0, zp, lo, hi, False, simd) == 0
        assert_codes(out, want, f"{name} {kind} zp={zp} simd={simd}")


@pytest.mark.parametrize("simd", [True, False])
@pytest.mark.parametrize("start,step,lo,hi,dtype", [(-1.0, 2 / 255, 0, 255, np.uint8), (0.25, 0.01, -128, 127, np.int8),
                                                    (-3.0, 1e-4, 0, 65535, np.uint16), (-1.0, 2.0**-7, 0, 255, np.uint8)])
def test_floor_of_an_offset_range(simd, start, step, lo, hi, dtype, rng):
    """code = clip(floor((x - start) / step), lo, hi), the calibrated-range formula: boundaries
    at the integers, x == start exact."""
    start, step = f32(start), f32(step)
    rel = near_ties(step, list(range(lo - 2, lo + 3)) + list(range(hi - 2, hi + 3)) + [int(t) for t in rng.integers(lo, hi, 40)],
                    rng, floor=True)
    x = np.concatenate([(rel + np.float32(start)).astype(np.float32), np.array([start] * 5, np.float32), SPECIALS])
    want = ref_codes(x, step, lo=lo, hi=hi, offset=start, floor=True)
    for name, prim in _primitives():
        out = np.empty(x.size, dtype)
        assert prim(x, out, step, start, 0.0, 0, lo, hi, True, simd) == 0
        assert_codes(out, want, f"{name} floor start={start} step={step} simd={simd}")


@pytest.mark.parametrize("simd", [True, False])
@pytest.mark.parametrize("dtype,lo,hi,zf", [(np.int8, -128, 127, 0.0), (np.uint8, 0, 255, 77.0), (np.int16, -32768, 32767, -5.0),
                                            (np.int8, -8, 7, 3.0)])
def test_zero_point_before_rounding_in_every_path(simd, dtype, lo, hi, zf, rng):
    """The affine form (zf added before rounding) through the plain C path too."""
    scale = f32(0.011)
    x = np.concatenate([near_ties(scale, [int(t) for t in rng.integers(lo - 3, hi + 3, 60)], rng, zf=zf),
                        SPECIALS, with_lone_tie(scale, max(lo, -100), min(hi, 100), rng, zf=zf)])
    want = ref_codes(x, scale, zf=zf, lo=lo, hi=hi)
    for name, prim in _primitives():
        out = np.empty(x.size, dtype)
        assert prim(x, out, scale, 0.0, zf, 0, lo, hi, False, simd) == 0
        assert_codes(out, want, f"{name} zf={zf} simd={simd}")
        y = x.copy()
        y[700] = np.nan
        assert prim(y, out, scale, 0.0, zf, 0, lo, hi, False, simd) == 1


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_the_primitive_refuses_scales_without_meaning(bad):
    for name, prim in _primitives():
        with pytest.raises(ValueError, match="refused"):
            prim(np.zeros(4, np.float32), np.zeros(4, np.int8), bad, 0.0, 0.0, 0, -128, 127, False)


@pytest.mark.parametrize("shape,axis", [((5, 0), 1), ((0, 3), 1), ((4, 0, 1), 1), ((0,), 0), ((2, 0), 0)])
def test_empty_channel_axes_read_no_parameter(shape, axis):
    """No channel (or no element) means no scale to read: under tools/sanitize.sh a read of
    scales[0] / zero_points[0] from an empty array is a heap-buffer-overflow report."""
    x = np.zeros(shape, np.float32)
    channels = shape[axis]
    for name in backends():
        with fq.use_backend(name):
            got = fq.quantize_func(x, np.full(channels, 0.5, np.float32), np.zeros(channels, np.int32), axis=axis)
            assert got.shape == shape and got.dtype == np.int8


@pytest.mark.parametrize("n", [2 * 131072 + 1, 3 * 131072 + 2])
def test_int4_kernels_walk_every_chunk(n, rng):
    """The int4 quantizers walk their input backward in chunks of 131072 values (the end of
    the data, read last by the range pass, is the likeliest still in cache): every chunk,
    the odd tail and the packing across chunk borders must be there."""
    x = (rng.standard_normal(n) * 3).astype(np.float32)
    scale = f32(0.43)
    # away from ties the float64 quotient rounds like the float32 one; near them, the reference
    want = np.clip(np.round(x.astype(np.float64) / scale), -8, 7).astype(np.int64)
    ties = np.abs(np.abs(x.astype(np.float64) / scale) % 1 - 0.5) < 1e-3
    want[ties] = ref_codes(x[ties], scale, lo=-8, hi=7)
    for name in backends():
        k = _backend.kernels_of(name)
        got = np.empty(n, np.int8)
        k.int4_quantize(x, got, scale)
        assert_codes(got, want, f"{name} int4_quantize n={n}")
        packed = np.empty((1, (n + 1) // 2), np.int8)
        k.int4_quantize_pack(x.reshape(1, -1), packed, scale)
        padded = np.append(want, 0) if n % 2 else want
        assert_codes(packed.ravel().view(np.uint8), ((padded[0::2] & 0xF) | ((padded[1::2] & 0xF) << 4)),
                     f"{name} int4_quantize_pack n={n}")


# --- ONNX QuantizeLinear through the primitive (round, THEN add the zero point) ---------------

def _onnx_zero_point(kind: str, zp: int):
    """The zero point as ONNX types it (ml_dtypes for the sub-byte types)."""
    if kind in ("int4", "uint4", "int2", "uint2"):
        from _oracles import require
        return np.array(zp, getattr(require("ml_dtypes", "0.6.0"), kind))
    return np.array(zp, ONNX_RANGES[kind][0] if kind not in ("uint16",) else np.uint16)


@pytest.mark.parametrize("kind", list(ONNX_RANGES))
@pytest.mark.parametrize("scale", [0.037, 2.0**-5, 3e-39])
def test_onnx_quantize_linear_near_ties_match_true_division(kind, scale, rng):
    """fastquant.onnx.quantize_linear per tensor, every integer code type, zero points at both
    ends and inside the range: codes saturate(R(fl(x / scale)) + zp) from the exact reference,
    on the twins and every build (ordinary, power-of-two and subnormal scales)."""
    import fastquant.onnx as fo
    _, lo, hi = ONNX_RANGES[kind]
    scale = f32(scale)
    for zp in sorted({0 if lo <= 0 <= hi else lo, lo, hi, int(rng.integers(lo, hi + 1))}):
        targets = list(range(lo - zp - 3, lo - zp + 3)) + list(range(hi - zp - 3, hi - zp + 3))
        x = np.concatenate([near_ties(scale, targets + [int(t) for t in rng.integers(lo - zp, hi - zp + 1, 30)], rng),
                            SPECIALS, with_lone_tie(scale, max(lo - zp, -100), min(hi - zp, 100), rng)])
        want = ref_codes(x, scale, zp=zp, lo=lo, hi=hi)
        for name in backends():
            with fq.use_backend(name):
                got = fo.quantize_linear(x, np.float32(scale), _onnx_zero_point(kind, zp))
            assert_codes(got, want, f"{name} {kind} scale={scale} zp={zp}")


@pytest.mark.parametrize("kind,zp", [("int8", -3), ("uint8", 128), ("uint8", 7), ("int4", 2)])
def test_onnx_streaming_out_near_ties(kind, zp, rng):
    """A caller's large out= (streaming stores from a buffer, whole chunks): the same codes."""
    import fastquant.onnx as fo
    _, lo, hi = ONNX_RANGES[kind]
    scale = f32(0.021)
    tile = np.concatenate([near_ties(scale, [int(t) for t in rng.integers(lo - zp - 2, hi - zp + 2, 200)], rng),
                           with_lone_tie(scale, max(lo - zp, -100), min(hi - zp, 100), rng)])
    want_tile = ref_codes(tile, scale, zp=zp, lo=lo, hi=hi)
    reps = -(-(9 << 20) // tile.size)  # > 8 MiB of codes: out= is written with streaming stores
    x = np.tile(tile, reps)[7:]        # an odd start: the head before the first aligned chunk
    want = np.tile(want_tile, reps)[7:]
    zpa = _onnx_zero_point(kind, zp)
    for name in backends():
        with fq.use_backend(name):
            out = np.zeros(x.shape, fo.quantize_linear(x[:1], np.float32(scale), zpa).dtype)
            fo.quantize_linear(x, np.float32(scale), zpa, out=out)
        assert_codes(out, want, f"{name} {kind} zp={zp} out=")


@pytest.mark.parametrize("kind", ["int8", "uint8", "int16", "uint16", "int4"])
@pytest.mark.parametrize("common_zero_point", [True, False])
def test_onnx_per_axis_last_axis_near_ties(kind, common_zero_point, rng):
    """Per axis on the last axis (one scale per element of a row, scales decades apart): a
    common zero point takes the primitive's lanes path, differing ones the division; both give
    the true division's codes."""
    import fastquant.onnx as fo
    _, lo, hi = ONNX_RANGES[kind]
    C = 37
    scales = np.array([f32(v) for v in 10.0 ** rng.uniform(-30, 30, C)], np.float32)
    scales[:3] = [f32(0.037), f32(2.0**-5), f32(3e-39)]
    zps = np.full(C, int(rng.integers(lo, hi + 1))) if common_zero_point else rng.integers(lo, hi + 1, C)
    rows = 300
    x = np.empty((rows, C), np.float32)
    want = np.empty((rows, C), np.int64)
    for c in range(C):
        zp = int(zps[c])
        targets = [int(t) for t in rng.integers(lo - zp - 2, hi - zp + 3, rows)]
        col = near_ties(scales[c], targets, rng, steps=(1,))[:rows]
        col[:len(SPECIALS)] = SPECIALS
        x[:, c] = col
        want[:, c] = ref_codes(col, scales[c], zp=zp, lo=lo, hi=hi)
    zpa = _onnx_zero_point(kind, 0)
    zpa = np.array([_onnx_zero_point(kind, int(z)) for z in zps]).astype(zpa.dtype)
    for name in backends():
        with fq.use_backend(name):
            got = fo.quantize_linear(x, scales, zpa, axis=-1)
        assert_codes(got, want, f"{name} {kind} per axis, common zero point: {common_zero_point}")
