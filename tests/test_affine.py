"""n-bit affine codec: SPEC 4 known values, both backends bit-identical, per channel on any
axis, agreement with torch, round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastquant as fq
from _oracles import require
from _support import both, float_arrays, params

FLOATS = float_arrays()
N_BITS = list(range(2, 17))
SIGNED = [pytest.param(True, id="signed"), pytest.param(False, id="unsigned")]


def code_dtype(n_bits, signed):
    return np.dtype((np.int8 if n_bits <= 8 else np.int16) if signed else (np.uint8 if n_bits <= 8 else np.uint16))


def qparams_for(n_bits, signed, spread=4.0):
    """A scale and zero point that put data of about +-spread across the whole code range, so
    that the codes both clip and land inside."""
    return fq.affine_qparams(-spread, spread * 0.9, n_bits, signed=signed)


# --- SPEC 4 known values (the LLMBook example) ------------------------------------------------
KNOWN_X = [[-1.2136, 28.7341, 8.4974], [-1.9210, -23.7421, 16.2609]]
KNOWN_Q = [[11, 54, 25], [10, -21, 36]]
KNOWN_D = [[-1.4118, 28.9412, 8.4706], [-2.1176, -24.0000, 16.2353]]


def test_known_qparams():
    scale, zp = fq.affine_qparams(-100, 80, 8)
    assert scale == 180 / 255 and type(scale) is float
    assert zp == 13 and type(zp) is int


def test_known_codes_and_decode():
    scale, zp = fq.affine_qparams(-100, 80)
    q = both(fq.quantize_func, KNOWN_X, scale, zp, 8)
    assert q.dtype == np.int8 and q.tolist() == KNOWN_Q
    d = both(fq.dequantize_func, q, scale, zp)
    assert d.dtype == np.float32
    assert np.round(d.astype(np.float64), 4).tolist() == KNOWN_D
    # the float codes that seed 002 produced decode the same way
    np.testing.assert_array_equal(both(fq.dequantize_func, np.array(KNOWN_Q, np.float64), scale, zp), d)


def test_known_values_per_channel_equal_per_tensor():
    scale, zp = fq.affine_qparams(-100, 80)
    q = both(fq.quantize_func, KNOWN_X, [scale] * 3, [zp] * 3, axis=1)
    assert q.tolist() == KNOWN_Q
    d = both(fq.dequantize_func, q, [scale, scale], np.array([zp, zp]), axis=0)
    assert np.round(d.astype(np.float64), 4).tolist() == KNOWN_D


@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("n_bits", N_BITS)
def test_qparams_map_the_range_onto_the_codes(n_bits, signed):
    # SPEC's formula; alpha and beta land on qmin and qmax up to the truncated zero point
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    for alpha, beta in [(-100, 80), (-1.0, 1.0), (0.0, 6.0), (-3e-3, 7e-3), (2.0, 3.0)]:
        scale, zp = fq.affine_qparams(alpha, beta, n_bits, signed=signed)
        assert scale == (beta - alpha) / (qmax - qmin)
        assert zp == int((beta * qmin - alpha * qmax) / (beta - alpha))
        q = both(fq.quantize_func, [alpha, beta], scale, zp, n_bits, signed=signed)
        assert q.dtype == code_dtype(n_bits, signed)
        assert qmin <= q[0] <= qmin + 1 and qmax - 1 <= q[1] <= qmax


def test_code_range():
    assert fq.code_range(2) == (-2, 1) and fq.code_range(16) == (-32768, 32767)
    assert fq.code_range(2, signed=False) == (0, 3) and fq.code_range(16, signed=False) == (0, 65535)


# --- both backends, bit for bit ----------------------------------------------------------------
@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("n_bits", [2, 4, 8, 9, 16])
@pytest.mark.parametrize("x", params(FLOATS))
def test_quantize_backends_agree(x, n_bits, signed):
    scale, zp = qparams_for(n_bits, signed)
    q = both(fq.quantize_func, x, scale, zp, n_bits, signed=signed)
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    assert q.shape == np.shape(x) and q.dtype == code_dtype(n_bits, signed)
    if q.size:
        assert qmin <= q.min() and q.max() <= qmax
    d = both(fq.dequantize_func, q, scale, zp)
    assert d.shape == q.shape and d.dtype == np.float32


@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("n_bits", N_BITS)
def test_every_n_bits_with_ties_and_infinities(n_bits, signed, rng):
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    scale = 0.25  # a power of two: every (k + 0.5) * scale divides to an exact tie
    zp = (qmin + qmax) // 2
    ties = (np.arange(-40, 41, dtype=np.float32) + np.float32(0.5)) * np.float32(scale)
    noise = rng.standard_normal(301).astype(np.float32) * np.float32(scale * (qmax - qmin) / 3)
    x = np.concatenate([ties, noise, np.array([np.inf, -np.inf, 3e38, -3e38, -0.0], np.float32)])
    q = both(fq.quantize_func, x, scale, zp, n_bits, signed=signed)
    expect = np.clip(np.round(ties / np.float32(scale) + np.float32(zp)), qmin, qmax)
    np.testing.assert_array_equal(q[: ties.size], expect)
    assert q[-5:-1].tolist() == [qmax, qmin, qmax, qmin]
    # ties go to the even neighbour
    inside = (expect > qmin) & (expect < qmax)
    assert (q[: ties.size][inside] % 2 == 0).all()
    back = both(fq.quantize_func, both(fq.dequantize_func, q, scale, zp), scale, zp, n_bits, signed=signed)
    np.testing.assert_array_equal(back, q)


@pytest.mark.parametrize("dtype", [np.float16, np.float64, ">f4", np.int32])
def test_input_dtypes_are_converted_to_float32_first(dtype, rng):
    x = (rng.standard_normal(257) * 50).astype(dtype)
    q = both(fq.quantize_func, x, 0.3, -2, 8)
    np.testing.assert_array_equal(q, fq.quantize_func(np.asarray(x, np.float32), 0.3, -2, 8))


def test_float64_beyond_float32_saturates():
    q = both(fq.quantize_func, np.array([1e39, -1e39, 1e300]), 1.0, 0, 8)
    assert q.tolist() == [127, -128, 127]


# --- per channel ---------------------------------------------------------------------------------
AXES = [((40, 25), 0), ((40, 25), 1), ((40, 25), -1), ((40, 25), -2), ((3, 5, 7), 0), ((3, 5, 7), 1),
        ((3, 5, 7), 2), ((3, 5, 7), -2), ((2, 3, 4, 5), 2), ((2, 3, 4, 5), -4), ((1001,), 0),
        ((6, 1), 1), ((0, 4), 1), ((4, 0), 0), ((3, 0, 2), 1)]


def channel_params(c, n_bits, signed, rng):
    scales = rng.uniform(0.01, 2.0, c).astype(np.float32)
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    zps = rng.integers(qmin, qmax + 1, c)
    return scales, zps


@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("n_bits", [3, 8, 12])
@pytest.mark.parametrize("shape,axis", AXES, ids=lambda v: str(v))
def test_per_channel_equals_per_tensor_on_each_slice(shape, axis, n_bits, signed, rng):
    x = (rng.standard_normal(shape) * 20).astype(np.float32)
    if x.size:
        x.flat[:: 7] = np.inf
        x.flat[3 :: 11] = -np.inf
    scales, zps = channel_params(shape[axis], n_bits, signed, rng)
    q = both(fq.quantize_func, x, scales, zps, n_bits, axis=axis, signed=signed)
    d = both(fq.dequantize_func, q, scales, zps, axis=axis)
    for c in range(shape[axis]):
        sl = np.take(x, c, axis=axis)
        qc = fq.quantize_func(sl, scales[c], zps[c], n_bits, signed=signed)
        np.testing.assert_array_equal(np.take(q, c, axis=axis), qc)
        dc = fq.dequantize_func(qc, scales[c], zps[c])
        assert np.take(d, c, axis=axis).tobytes() == dc.tobytes()


@pytest.mark.parametrize("layout", ["transposed", "strided", "big_endian"])
def test_per_channel_on_any_layout(layout, rng):
    base = (rng.standard_normal((12, 10)) * 5).astype(np.float32)
    x = {"transposed": base.T, "strided": base[::2, ::3], "big_endian": base.astype(">f4")}[layout]
    scales, zps = channel_params(x.shape[1], 8, True, rng)
    q = both(fq.quantize_func, x, scales, zps, axis=-1)
    np.testing.assert_array_equal(q, fq.quantize_func(np.ascontiguousarray(x, np.float32), scales, zps, axis=1))


def test_scalar_params_are_shared_by_every_channel(rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    per_tensor = fq.quantize_func(x, 0.05, 3)
    np.testing.assert_array_equal(both(fq.quantize_func, x, 0.05, 3, axis=1), per_tensor)
    np.testing.assert_array_equal(both(fq.quantize_func, x, np.full(6, 0.05), 3, axis=1), per_tensor)
    np.testing.assert_array_equal(both(fq.quantize_func, x, 0.05, np.full(5, 3), axis=0), per_tensor)


# --- codes of every spelling ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.int64, np.uint64,
                                   ">i2", ">i4", np.float16, np.float32, np.float64])
def test_dequantize_accepts_codes_of_any_dtype(dtype, rng):
    codes = rng.integers(0, 100, size=(7, 9))
    ref = fq.dequantize_func(codes.astype(np.int32), 0.37, 5)
    np.testing.assert_array_equal(both(fq.dequantize_func, codes.astype(dtype), 0.37, 5), ref)
    np.testing.assert_array_equal(both(fq.dequantize_func, codes.astype(dtype).T, 0.37, 5), ref.T)
    np.testing.assert_array_equal(both(fq.dequantize_func, codes.tolist(), 0.37, 5), ref)


def test_float_codes_truncate_like_int32():
    codes = np.array([1.9, -1.9, 2.5, -0.5, 2.0**31 - 1, -(2.0**31)])
    d = both(fq.dequantize_func, codes, 1.0, 0)
    assert d.tolist() == np.float32(codes.astype(np.int32)).tolist()


def test_int32_codes_subtract_exactly():
    # int32(q) - z would wrap around in int32; the decode is the exact difference
    codes = np.array([2**31 - 1, -(2**31), 0, 123456789], np.int32)
    for zp in [-(2**30), 2**30, 0, 7]:
        d = both(fq.dequantize_func, codes, 1.5, zp)
        expect = [np.float32(1.5) * np.float32(int(c) - zp) for c in codes]
        assert d.tolist() == [float(v) for v in expect]


def test_zero_d_and_empty(rng):
    assert both(fq.quantize_func, np.float32(2.6), 0.5, 1).tolist() == 6
    assert both(fq.quantize_func, np.asarray(2.6), 0.5, 1).shape == ()
    assert both(fq.dequantize_func, np.int8(6), 0.5, 1).tolist() == 2.5
    for shape in [(0,), (3, 0)]:
        q = both(fq.quantize_func, np.zeros(shape, np.float32), 0.5, 1, 10)
        assert q.shape == shape and q.dtype == np.int16
        assert both(fq.dequantize_func, q, 0.5, 1).shape == shape


def test_out_is_written_and_returned(rng):
    x = rng.standard_normal((6, 8)).astype(np.float32)
    for n_bits, signed in [(8, True), (8, False), (11, True), (16, False)]:
        scale, zp = qparams_for(n_bits, signed, 2.0)
        out = np.empty(x.shape, code_dtype(n_bits, signed))
        assert fq.quantize_func(x, scale, zp, n_bits, signed=signed, out=out) is out
        np.testing.assert_array_equal(out, fq.quantize_func(x, scale, zp, n_bits, signed=signed))
        fout = np.empty(x.shape, np.float32)
        assert fq.dequantize_func(out, scale, zp, out=fout) is fout
        assert fout.tobytes() == fq.dequantize_func(out, scale, zp).tobytes()
    scales, zps = channel_params(6, 8, True, rng)
    out = np.empty(x.shape, np.int8)
    assert fq.quantize_func(x, scales, zps, axis=0, out=out) is out
    np.testing.assert_array_equal(out, fq.quantize_func(x, scales, zps, axis=0))


# --- torch --------------------------------------------------------------------------------------------
def test_torch_in_torch_out():
    torch = require("torch")
    x = torch.linspace(-3, 3, 24, dtype=torch.float64).reshape(4, 6)
    q = fq.quantize_func(x, torch.full((6,), 0.05), torch.arange(6), 12, axis=1)
    assert isinstance(q, torch.Tensor) and q.dtype == torch.int16
    d = fq.dequantize_func(q, 0.05, 0)
    assert isinstance(d, torch.Tensor) and d.dtype == torch.float32
    bf = fq.quantize_func(x.to(torch.bfloat16), 0.05, 0)
    np.testing.assert_array_equal(bf.numpy(), fq.quantize_func(x.to(torch.bfloat16).float().numpy(), 0.05, 0))


@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("n_bits", [2, 5, 8, 13, 16])
@pytest.mark.parametrize("axis", ["tensor_ties", None, 0, 1, -1])
def test_agrees_with_torch(n_bits, signed, axis, rng):
    torch = require("torch")
    x = (rng.standard_normal((33, 17)) * 40).astype(np.float32)
    x[0, :9] = [np.inf, -np.inf, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -0.0]
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    if axis in (None, "tensor_ties"):
        # 0.5 keeps the ties of row 0 exact; 0.37 is a scale whose reciprocal is inexact
        scales, zps = np.float32(0.5 if axis else 0.37), (qmin + qmax) // 2
        axis = None
        s_t, z_t = torch.tensor(scales), torch.tensor(float(zps), dtype=torch.float32)
    else:
        scales, zps = channel_params(x.shape[axis], n_bits, signed, rng)
        scales[:2] = [0.5, 1.0]
        shape = [1, 1]
        shape[axis] = -1
        s_t = torch.from_numpy(scales).reshape(shape)
        z_t = torch.from_numpy(zps.astype(np.float32)).reshape(shape)
    ref = torch.round(torch.from_numpy(x) / s_t + z_t).clamp(qmin, qmax)
    q = both(fq.quantize_func, x, scales, zps, n_bits, axis=axis, signed=signed)
    np.testing.assert_array_equal(q.astype(np.float32), ref.numpy())


# --- property tests ------------------------------------------------------------------------------------
float_inputs = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.float16]),
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6),
    elements=st.floats(-6e4, 6e4, allow_nan=False, width=16),
)


@settings(max_examples=150, deadline=None)
@given(x=float_inputs, n_bits=st.integers(2, 16), signed=st.booleans(), data=st.data())
def test_property_round_trip(x, n_bits, signed, data):
    axis = None if x.ndim == 0 else data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    channels = 1 if axis is None else x.shape[axis]
    qmin, qmax = fq.code_range(n_bits, signed=signed)
    scales = np.array(data.draw(st.lists(st.floats(0.0009765625, 1024.0, width=32), min_size=channels, max_size=channels)), np.float32)
    zps = np.array(data.draw(st.lists(st.integers(qmin, qmax), min_size=channels, max_size=channels)), np.int64)
    if axis is None:
        scales, zps = scales[0], int(zps[0])
    q = both(fq.quantize_func, x, scales, zps, n_bits, axis=axis, signed=signed)
    d = both(fq.dequantize_func, q, scales, zps, axis=axis)
    # decoding then encoding again gives back the same codes
    np.testing.assert_array_equal(both(fq.quantize_func, d, scales, zps, n_bits, axis=axis, signed=signed), q)
    # every value that did not clip lies within half a step of its decode
    shape = [1] * x.ndim
    if axis is not None:
        shape[axis] = -1
    s64 = np.asarray(scales, np.float64).reshape(shape)
    z64 = np.asarray(zps, np.float64).reshape(shape)
    v = x.astype(np.float32).astype(np.float64)
    inside = (v / s64 + z64 > qmin + 1) & (v / s64 + z64 < qmax - 1)
    err = np.abs(d.astype(np.float64) - v)
    bound = np.broadcast_to(s64 * 0.5 * (1 + 1e-3) + np.abs(v) * 1e-6, v.shape)
    assert (err[inside] <= bound[inside]).all()
