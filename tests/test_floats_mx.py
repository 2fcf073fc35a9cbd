"""OCP MX block scaling (SPEC 8): ``quantize_mx`` / ``dequantize_mx`` against a NumPy
implementation of OCP Microscaling Formats v1.0, section 6.3, written here from the spec
(float64 exponent arithmetic with frexp/ldexp; the element cast by ml_dtypes, the oracle of
section 8), on blocks of zeros, subnormals, NaN, inf, huge and tiny ranges, several block
sizes, every axis; all backends bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from fastquant import floats as F, use_backend
from _oracles import require
from _support import assert_identical, both, compiled_names

def raises_everywhere(exc, pattern, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` raises ``exc`` with a message matching ``pattern`` on every
    backend (``both`` compares outcomes but not messages)."""
    for backend in ("numpy",) + compiled_names():
        with use_backend(backend), pytest.raises(exc, match=pattern):
            fn(*args, **kwargs)


#: OCP MX v1.0, table 1: emax of each element format (the exponent of its largest normal).
EMAX = {"float8_e4m3fn": 8, "float8_e5m2": 15, "float6_e2m3fn": 2, "float6_e3m2fn": 4, "float4_e2m1fn": 2}


@pytest.fixture(scope="module")
def ml():
    return require("ml_dtypes", "0.6.0")


def mx_reference(x, fmt, block, axis, ml):
    """OCP MX v1.0 6.3 for one block V of k values: X = 2**(floor(log2(max|V|)) - emax_elem)
    (shared scale, stored as E8M0: exponent + 127; clamped to E8M0's [-127, 127]; all-zero
    blocks take the smallest scale), P_i = V_i / X cast to the element format with
    saturation (clamp to +-max normal). A NaN or inf in V: scale NaN (0xFF); the element codes
    are then 0 (SPEC 8). The division by X is exact in float64; ml_dtypes rounds the float64
    quotient once."""
    t = getattr(ml, fmt)
    top = float(ml.finfo(t).max)
    x = np.moveaxis(np.asarray(x, np.float32), axis, -1)
    v = x.reshape(x.shape[:-1] + (x.shape[-1] // block, block)).astype(np.float64)
    amax = np.max(np.abs(v), axis=-1, initial=0.0)
    finite = np.isfinite(amax)
    _, exp = np.frexp(np.where(finite & (amax > 0), amax, 1.0))  # amax = m * 2**exp, m in [0.5, 1)
    shared = np.clip(exp - 1 - EMAX[fmt], -127, 127)
    shared = np.where(amax == 0, -127, shared)
    shared = np.where(finite, shared, 0)
    q = np.ldexp(v, -shared[..., None])
    with np.errstate(invalid="ignore"):
        codes = np.clip(q, -top, top).astype(t).view(np.uint8)
    codes = np.where(finite[..., None], codes, 0).astype(np.uint8)
    scales = np.where(finite, shared + 127, 255).astype(np.uint8)
    codes = np.moveaxis(codes.reshape(x.shape), -1, axis)
    return codes, np.moveaxis(scales, -1, axis)


def dequantize_reference(codes, scales, fmt, block, axis, ml):
    """decode(code) * 2**(scale - 127), in float64 (exact) then float32; +NaN at scale 0xFF."""
    c = np.moveaxis(np.asarray(codes, np.uint8), axis, -1)
    s = np.moveaxis(np.asarray(scales, np.uint8), axis, -1)
    values = c.view(getattr(ml, fmt)).astype(np.float64)
    values = values.reshape(c.shape[:-1] + (-1, block))
    with np.errstate(over="ignore"):
        y = (values * np.ldexp(1.0, s.astype(np.int64) - 127)[..., None]).astype(np.float32)
    y[np.broadcast_to((s == 255)[..., None], y.shape)] = np.uint32(0x7FC00000).view(np.float32)
    return np.moveaxis(y.reshape(c.shape), -1, axis)


def mx_blocks(rng, nblocks: int, block: int) -> np.ndarray:
    """``nblocks`` blocks of ``block`` float32 values, one kind per block (cycling): ordinary
    ranges at random scales, all zeros, signed zeros, float32 subnormals only, subnormals mixed
    with normals, a NaN, +inf, -inf, values near float32's max, a tiny dynamic range, a huge
    dynamic range, exact powers of two (amax exactly 2**k), values at element-format ties."""
    out = np.empty((nblocks, block), np.float32)
    for b in range(nblocks):
        kind = b % 13
        v = rng.standard_normal(block) * 2.0 ** rng.integers(-30, 30)
        if kind == 1:
            v = np.zeros(block)
        elif kind == 2:
            v = np.where(rng.integers(0, 2, block), 0.0, -0.0)
        elif kind == 3:
            sign = np.where(rng.integers(0, 2, block), 1.0, -1.0)
            v = rng.integers(1, 1 << 23, block, dtype=np.uint32).view(np.float32).astype(np.float64) * sign
        elif kind == 4:
            v = rng.standard_normal(block) * 1e-39
            v[0] = 1e-37
        elif kind == 5:
            v[rng.integers(0, block)] = np.nan
        elif kind == 6:
            v[rng.integers(0, block)] = np.inf
        elif kind == 7:
            v[rng.integers(0, block)] = -np.inf
        elif kind == 8:
            v = rng.uniform(-3.4e38, 3.4e38, block)
        elif kind == 9:
            v = 1000.0 + rng.uniform(0, 1e-3, block)
        elif kind == 10:
            v = rng.standard_normal(block) * 2.0 ** rng.integers(-149, 120, block).astype(np.float64)
        elif kind == 11:
            v = 2.0 ** rng.integers(-20, 20, block).astype(np.float64) * np.where(rng.integers(0, 2, block), 1, -1)
        elif kind == 12:  # halfway values of fp4 (0.25, 0.75, 1.25, ...) times the block's scale
            v = (rng.integers(0, 24, block) * 0.25 + 0.25) * np.where(rng.integers(0, 2, block), 1, -1)
            v[0] = 6.0
        with np.errstate(over="ignore"):
            out[b] = v.astype(np.float32)
    return out


@pytest.mark.parametrize("fmt", list(EMAX))
@pytest.mark.parametrize("block", [32, 1, 2, 3, 16, 64])
def test_quantize_mx_last_axis(fmt, block, ml, rng):
    x = mx_blocks(rng, 39, block).reshape(3, 13 * block)
    codes, scales = both(F.quantize_mx, x, fmt, block_size=block)
    ref_codes, ref_scales = mx_reference(x, fmt, block, -1, ml)
    assert codes.dtype == np.uint8 and scales.dtype == np.uint8 and scales.shape == (3, 13)
    assert np.array_equal(scales, ref_scales)
    assert np.array_equal(codes, ref_codes)
    y = both(F.dequantize_mx, codes, scales, fmt, block_size=block)
    assert_identical(y.view(np.uint32), dequantize_reference(codes, scales, fmt, block, -1, ml).view(np.uint32))


@pytest.mark.parametrize("fmt", list(EMAX))
@pytest.mark.parametrize("axis", [0, 1, 2, -2])
def test_quantize_mx_any_axis(fmt, axis, ml, rng):
    block = 8
    shape = [5, 6, 7]
    shape[axis] = 3 * block
    blocks = mx_blocks(rng, int(np.prod(shape)) // block, block)
    x = np.moveaxis(blocks.reshape(tuple(np.delete(shape, axis % 3)) + (shape[axis],)), -1, axis)
    x = np.ascontiguousarray(x)
    codes, scales = both(F.quantize_mx, x, fmt, block_size=block, axis=axis)
    ref_codes, ref_scales = mx_reference(x, fmt, block, axis, ml)
    assert np.array_equal(scales, ref_scales) and np.array_equal(codes, ref_codes)
    y = both(F.dequantize_mx, codes, scales, fmt, block_size=block, axis=axis)
    assert_identical(y.view(np.uint32), dequantize_reference(codes, scales, fmt, block, axis, ml).view(np.uint32))
    # a strided, transposed view of the same values gives the same codes
    codes_t, scales_t = both(F.quantize_mx, np.swapaxes(x, 0, 2), fmt, block_size=block, axis=2 - axis % 3)
    assert np.array_equal(codes_t, np.swapaxes(codes, 0, 2)) and np.array_equal(scales_t, np.swapaxes(scales, 0, 2))


@pytest.mark.parametrize("fmt", list(EMAX))
def test_dequantize_mx_every_code_and_scale(fmt, ml):
    """All codes under every scale byte 0..255 (0 gives 2**-127 products, 0xFF NaN; large
    scales overflow float32 to +-inf)."""
    f = F.FORMATS[fmt]
    codes = np.tile(np.arange(f.code_limit + 1, dtype=np.uint8), (256, 1))
    scales = np.arange(256, dtype=np.uint8)[:, None]
    block = codes.shape[1]
    y = both(F.dequantize_mx, codes, scales, fmt, block_size=block)
    assert_identical(y.view(np.uint32), dequantize_reference(codes, scales, fmt, block, -1, ml).view(np.uint32))
    # the same values along axis 0
    y0 = both(F.dequantize_mx, np.ascontiguousarray(codes.T), np.ascontiguousarray(scales.T), fmt, block_size=block, axis=0)
    assert_identical(y0, np.ascontiguousarray(y.T))


def test_mx_round_trip_error_is_bounded(rng):
    """Within a block of finite values the elements keep the format's relative precision
    near the block maximum: |x - y| <= 2**(e + emax - mb) / 2 + (saturation of the block max)."""
    x = (rng.standard_normal((64, 32)) * 2.0 ** rng.integers(-20, 20, (64, 1))).astype(np.float32)
    for fmt in EMAX:
        f = F.FORMATS[fmt]
        codes, scales = F.quantize_mx(x, fmt)
        y = F.dequantize_mx(codes, scales, fmt)
        step = np.ldexp(1.0, scales.astype(np.int64) - 127 + f.emax - f.mantissa_bits)
        top = np.ldexp(f.max, scales.astype(np.int64) - 127)
        amax = np.abs(x).max(axis=1, keepdims=True)
        bound = np.maximum(step / 2, amax - top)  # the block max may saturate at max * 2**e
        assert (np.abs(x - y) <= bound * (1 + 1e-6)).all(), fmt


def test_mx_torch_and_ml_dtypes_inputs(ml, rng):
    x = mx_blocks(rng, 8, 32).reshape(2, 128)
    codes, scales = F.quantize_mx(x, "float8_e4m3fn")
    y = F.dequantize_mx(codes, scales, "float8_e4m3fn")
    # ml_dtypes arrays of the element type and of E8M0
    y2 = F.dequantize_mx(codes.view(ml.float8_e4m3fn), scales.view(ml.float8_e8m0fnu), "float8_e4m3fn")
    assert_identical(y2, y)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional
        pytest.skip("torch is not installed (optional)")
    tc, ts = F.quantize_mx(torch.from_numpy(x), "float8_e4m3fn")
    assert tc.dtype == torch.uint8 and ts.dtype == torch.uint8
    assert np.array_equal(tc.numpy(), codes) and np.array_equal(ts.numpy(), scales)
    ty = F.dequantize_mx(tc.view(torch.float8_e4m3fn), ts.view(torch.float8_e8m0fnu), "float8_e4m3fn")
    assert isinstance(ty, torch.Tensor) and ty.dtype == torch.float32
    assert_identical(ty.numpy(), y)


def test_mx_out_and_empty(rng):
    x = rng.standard_normal((4, 64)).astype(np.float32)
    codes, scales = F.quantize_mx(x, "float6_e3m2fn")
    out = np.empty((4, 64), np.float32)
    assert F.dequantize_mx(codes, scales, "float6_e3m2fn", out=out) is out
    assert_identical(out, F.dequantize_mx(codes, scales, "float6_e3m2fn"))
    for shape, axis in (((0, 64), -1), ((3, 0), -1), ((0, 4), 0)):
        c, s = both(F.quantize_mx, np.zeros(shape, np.float32), "float4_e2m1fn", axis=axis)
        assert c.shape == shape and s.shape[axis] == shape[axis] // 32
        assert both(F.dequantize_mx, c, s, "float4_e2m1fn", axis=axis).shape == shape


@pytest.mark.parametrize("fmt", list(EMAX))
def test_mx_rejects_bad_codes_and_shapes(fmt):
    f = F.FORMATS[fmt]
    scales = np.full((2, 1), 127, np.uint8)
    codes = np.zeros((2, 32), np.uint8)
    if f.bits < 8:
        codes[1, 31] = f.code_limit + 1
        raises_everywhere(ValueError, r"^codes: expected", F.dequantize_mx, codes, scales, fmt)
    with pytest.raises(ValueError, match=r"^scales: expected shape \(2, 1\)"):
        F.dequantize_mx(np.zeros((2, 32), np.uint8), np.zeros((2, 2), np.uint8), fmt)
    with pytest.raises(ValueError, match=r"^block_size: expected a divisor of the length of axis 1 \(30\)"):
        F.quantize_mx(np.zeros((2, 30), np.float32), fmt)
    with pytest.raises(ValueError, match=r"^fmt: expected an MX element format"):
        F.quantize_mx(np.zeros((2, 32), np.float32), "float8_e4m3fnuz")
