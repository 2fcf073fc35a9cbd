"""int4 with a zero point (``scale_method="asymmetric"``) against an exact reference written
here, its reconstruction bound, and what "minmax" does to data that does not straddle zero.

The reference (tests/_exact.py, rationals rounded once to float32):
``scale = fl(fl(max - min) / 15)``, or ``fl(max|v| / 8)`` when that is 0, or 1.0;
``zero_point = -8 - round(fl(min / scale))``; ``q = clip(round(fl(v / scale)) + zero_point, -8, 7)``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import fastquant as fq
from _exact import div, f32, rne
from _support import both, need_backend


def reference(values):
    v = np.asarray(values, np.float32).ravel()
    lo, hi = Fraction(float(v.min())), Fraction(float(v.max()))
    scale = f32(f32(hi - lo) / 15)
    if scale == 0:
        scale = f32(max(-lo, hi) / 8) or Fraction(1)
    zp = -8 - rne(f32(lo / scale))
    codes = [min(7, max(-8, rne(div(x, scale)) + zp)) for x in v]
    return np.array(codes, np.int8).reshape(np.shape(values)), float(scale), zp


def _data():
    rng = np.random.default_rng(20261129)
    f = np.float32
    yield "uniform_0_1", rng.uniform(0, 1, 3001).astype(f)
    yield "positive_offset", rng.uniform(5, 6, (7, 129)).astype(f)
    yield "negative", -rng.uniform(0.5, 3, 1000).astype(f)
    yield "straddling", (rng.standard_normal((16, 64)) * 3).astype(f)
    yield "skewed", np.concatenate([rng.uniform(-0.1, 0, 100), rng.uniform(0, 10, 100)]).astype(f)
    yield "near_constant", np.float32(1000) + np.arange(5, dtype=f) * np.spacing(f(1000))
    yield "constant_positive", np.full(9, 0.3, f)
    yield "constant_negative", np.full((2, 3), -7.25, f)
    yield "constant_huge", np.full(4, -3e38, f)
    yield "zeros", np.zeros(5, f)
    yield "subnormal_range", np.array([3e-45, 5e-45, 4e-45], f)
    yield "two_values", np.array([2.0, 2.5], f)
    yield "integers", np.arange(-3, 13)


DATA = dict(_data())


@pytest.mark.parametrize("name", DATA)
def test_asymmetric_equals_the_exact_reference(name):
    values = DATA[name]
    want, scale, zp = reference(values)
    q, got_scale, got_zp = both(fq.quantize_to_int4, values, "asymmetric")
    assert (got_scale, got_zp) == (scale, zp)
    assert type(got_zp) is int and type(got_scale) is float
    np.testing.assert_array_equal(q, want)
    packed, pscale, pzp = both(fq.quantize_to_packed_int4, values, "asymmetric")
    assert (pscale, pzp) == (scale, zp)
    np.testing.assert_array_equal(fq.unpack_int8_to_int4(packed, n=np.shape(values)[-1]), want)
    assert q.min() == -8  # the minimum always gets code -8


@pytest.mark.parametrize("name", DATA)
def test_asymmetric_decodes_within_half_a_step(name):
    """``dequantize_from_int4(q, scale, zero_point)`` gives every value back to within half a
    step (plus the float32 rounding of the decode); a constant comes back exactly."""
    v = np.asarray(DATA[name], np.float32)
    q, scale, zp = fq.quantize_to_int4(v, "asymmetric")
    back = both(fq.dequantize_from_int4, q, scale, zp).astype(np.float64)
    err = np.abs(back - v.astype(np.float64))
    bound = scale * 0.5 * (1 + 2.0**-20) + 2 * np.spacing(np.abs(v)).astype(np.float64)
    assert (err <= bound).all(), float((err - bound).max())
    if name.startswith("constant") or name == "zeros":
        np.testing.assert_array_equal(back, v)


def test_asymmetric_uses_all_sixteen_codes_on_uniform_data():
    x = np.random.default_rng(0).uniform(0, 1, 1 << 16).astype(np.float32)
    q, scale, zp = fq.quantize_to_int4(x, "asymmetric")
    assert zp == -8 and np.unique(q).tolist() == list(range(-8, 8))


def test_minmax_clips_data_that_does_not_straddle_zero():
    """What the docs say about "minmax" (zero point 0, scale (max - min) / 15): on uniform
    [0, 1] data the codes are round(15 v), so every value above 0.5 clips to code 7 (0.467):
    half of the values (measured), and 57% share code 7. "asymmetric" clips none."""
    x = np.random.default_rng(0).uniform(0, 1, 1 << 20).astype(np.float32)
    q, scale, zp = fq.quantize_to_int4(x, "minmax")
    assert zp == 0 and scale == pytest.approx(1 / 15, rel=1e-5)
    clipped = float(np.mean(x / np.float32(scale) > 7.5))  # round(v / scale) > 7
    assert 0.49 < clipped < 0.51 and float(np.mean(q == 7)) == pytest.approx(0.567, abs=0.01)
    err = np.abs(fq.dequantize_from_int4(q, scale, zp) - x)
    assert float(np.mean(err > scale / 2 * 1.001)) == pytest.approx(clipped, abs=1e-3)
    assert float(err.max()) == pytest.approx(8 / 15, rel=1e-3)  # x = 1 decodes to 7/15
    qa, sa, za = fq.quantize_to_int4(x, "asymmetric")
    erra = np.abs(fq.dequantize_from_int4(qa, sa, za) - x)
    assert float(erra.max()) <= sa / 2 * 1.001


def test_minmax_and_asymmetric_agree_where_min_maps_to_minus_eight():
    """Data whose min / scale rounds to -8 (max = -min * 7/8 here) gets zero point 0 either way."""
    x = np.float32([-8, -3.3, 0.1, 7])
    q1, s1, z1 = fq.quantize_to_int4(x, "minmax")
    q2, s2, z2 = fq.quantize_to_int4(x, "asymmetric")
    assert (s1, z1) == (s2, z2) == (1.0, 0)
    np.testing.assert_array_equal(q1, q2)


def test_kernels_keep_every_input_defined():
    """Direct kernel calls outside what the public functions pass: quotients clamp to
    +-2**29, zero points to +-2**30 (no int32 overflow), NaN counts as -2**29; every build
    agrees with the twin bit for bit."""
    from fastquant import _backend
    from _support import compiled_names

    need_backend("cython")
    x = np.float32([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-45, 0.0, -0.0, 5.5, 6.5, -2.5, 2**29, 2**30])
    for scale in (1.0, 1e-30, 0.37):
        for zp in (0, -(2**31), 2**31 - 1, 2**29, -(2**29) - 3, 5):
            want = np.empty(x.size, np.int8)
            _backend.kernels_of("numpy").int4_quantize_zp(x, want, scale, zp)
            want_packed = np.empty((1, (x.size + 1) // 2), np.int8)
            _backend.kernels_of("numpy").int4_quantize_pack_zp(x.reshape(1, -1), want_packed, scale, zp)
            for name in compiled_names():
                got = np.empty_like(want)
                _backend.kernels_of(name).int4_quantize_zp(x, got, scale, zp)
                np.testing.assert_array_equal(got, want, err_msg=f"{name} scale={scale} zp={zp}")
                got_packed = np.empty_like(want_packed)
                _backend.kernels_of(name).int4_quantize_pack_zp(x.reshape(1, -1), got_packed, scale, zp)
                np.testing.assert_array_equal(got_packed, want_packed, err_msg=f"{name} pack scale={scale} zp={zp}")
