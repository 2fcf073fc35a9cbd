"""fastquant.onnx (SPEC 9) against its oracles: ``onnx.reference.ReferenceEvaluator`` on random
data with exact ties, near ties, saturation, +-0, tiny and huge values for every code type and
layout; an independent reference where the ONNX reference itself breaks the spec (it casts
``round(x / scale)`` to int32 before saturating); ``onnx.numpy_helper`` for raw data. ONNX's
own node tests are in tests/test_onnx_conformance.py."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from _oracles import require

onnx = require("onnx", "1.23.2")
ml_dtypes = require("ml_dtypes", "0.6.0")

from onnx import helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import fastquant  # noqa: E402
import fastquant.onnx as fo  # noqa: E402
from fastquant import _arrays  # noqa: E402
from _support import assert_identical, both, run_python  # noqa: E402

TYPES = list(fo.CODE_TYPES.values())
INT_TYPES = [t for t in TYPES if not t.is_float]
FLOAT_TYPES = [t for t in TYPES if t.is_float]
FLOAT8 = [t for t in FLOAT_TYPES if t.bits == 8]
SHAPE = (3, 37, 5)

#: name -> (axis, block_size, scale shape) for x of SHAPE
LAYOUTS = {
    "tensor": (1, 0, ()),
    "tensor_1": (1, 0, (1,)),
    "axis0": (0, 0, (3,)),
    "axis1": (1, 0, (37,)),
    "axis-1": (-1, 0, (5,)),
    "blocked1_8": (1, 8, (3, 5, 5)),       # 37 = 4 * 8 + 5: a ragged last block
    "blocked-1_2": (-1, 2, (3, 37, 3)),    # 5 = 2 * 2 + 1
    "blocked0_2": (0, 2, (2, 37, 5)),
    "blocked-2_64": (-2, 64, (3, 1, 5)),   # one block longer than the axis
}


def _ref(op: str, inputs: dict, **attrs):
    node = helper.make_node(op, list(inputs), ["y"], **attrs)
    return ReferenceEvaluator(node).run(None, inputs)[0]


def _scales(rng, shape) -> np.ndarray:
    """Powers of two (so that exact ties are exact) mixed with arbitrary scales."""
    pow2 = np.exp2(rng.integers(-4, 5, shape)).astype(np.float32)
    other = rng.uniform(0.05, 3.0, shape).astype(np.float32)
    return np.where(rng.random(shape) < 0.5, pow2, other).astype(np.float32)


def _expand(s: np.ndarray, axis: int, block: int) -> np.ndarray:
    """The element-wise scale of x of SHAPE (written from the operator spec, not fastquant)."""
    if s.size == 1:
        return np.broadcast_to(s.reshape(()), SHAPE)
    if not block:
        dims = [1] * len(SHAPE)
        dims[axis] = s.size
        return np.broadcast_to(s.reshape(dims), SHAPE)
    return np.take(np.repeat(s, block, axis=axis), range(SHAPE[axis]), axis=axis)


def _int_data(rng, t, se: np.ndarray) -> np.ndarray:
    """x for integer code type t and element-wise scales se: quotients at exact ties, next to
    ties, inside and far outside the code range (|x / s| < 2**31, where the reference is
    right), +-0 and subnormal x."""
    span = (t.qmax - t.qmin) + 2
    kind = rng.integers(0, 8, se.shape)
    k = rng.integers(-span, span + 1, se.shape).astype(np.float32)
    tie = (k + np.float32(0.5)) * se
    q = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4, kind == 5],
        [tie, np.nextafter(tie, np.float32(np.inf)), np.nextafter(tie, np.float32(-np.inf)),
         rng.uniform(-1e6, 1e6, se.shape).astype(np.float32) * se,
         np.float32(1e-45) * rng.choice([-1, 1, 0], se.shape).astype(np.float32),
         np.float32(-0.0) * np.ones(se.shape, np.float32)],
        rng.normal(0, span / 3, se.shape).astype(np.float32) * se)
    return q.astype(np.float32)


def _float_data(rng, t, se: np.ndarray) -> np.ndarray:
    """x for float code type t: every code's value and the midpoints between neighbours
    (exact ties when the scale is a power of two), times the scale; beyond the largest value,
    +-inf, NaN, +-0, float32 subnormals."""
    fmt = fastquant.floats.FORMATS[t.float_format]
    values = fastquant.floats.decode(np.arange(fmt.code_limit + 1, dtype=np.uint8), fmt.name)
    finite = np.unique(values[np.isfinite(values)])
    mids = (finite[:-1] / 2 + finite[1:] / 2).astype(np.float32)
    pool = np.concatenate([finite, mids, np.nextafter(mids, np.float32(np.inf)),
                           np.float32([fmt.max * 1.1, fmt.max * 4, -fmt.max * 3, np.inf, -np.inf, np.nan,
                                       0.0, -0.0, 1e-45, -1e-45, 1e30, -1e30])])
    x = rng.choice(pool, se.shape) * se
    return x.astype(np.float32)


def _zero_point(rng, t, shape, kind: str):
    if kind == "none":
        return None
    if t.is_float:
        zeros = np.zeros(shape, np.float32)
        if kind == "negative_zero":
            zeros = -zeros
        return zeros.astype(t.dtype)
    return rng.integers(t.qmin, t.qmax + 1, shape).astype(t.dtype)


def _codes_equal(got, want, what=""):
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype, got.shape, want.shape)
    a, b = got.view(np.uint8), want.view(np.uint8)
    bad = np.flatnonzero(a.ravel() != b.ravel())
    assert bad.size == 0, f"{what}: {bad.size} codes differ, first {bad[:4]}: {a.ravel()[bad[:4]]} vs {b.ravel()[bad[:4]]}"


# ----------------------------------------------------------------- QuantizeLinear vs onnx.reference

@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("t", TYPES, ids=lambda t: t.name)
def test_quantize_equals_onnx_reference(t, layout):
    rng = np.random.default_rng(zlib.crc32(f'{t.name} {layout}'.encode()))
    axis, block, sshape = LAYOUTS[layout]
    s = _scales(rng, sshape)
    se = _expand(s, axis, block)
    x = _float_data(rng, t, se) if t.is_float else _int_data(rng, t, se)
    attrs = dict(axis=axis, block_size=block) if block else dict(axis=axis)
    zkinds = ("none", "zero", "negative_zero") if t.is_float else ("none", "random")
    for zkind in zkinds:
        zp = _zero_point(rng, t, sshape, zkind)
        inputs = {"x": x, "s": s} | ({} if zp is None else {"z": zp})
        extra = {} if zp is not None else {"output_dtype": t.enum}
        for saturate in ((True, False) if t in FLOAT8 else (True,)):
            sat = {} if saturate else {"saturate": 0}
            want = _ref("QuantizeLinear", inputs, **attrs, **extra, **sat)
            got = both(fo.quantize_linear, x, s, zp, **attrs, saturate=saturate,
                       output_dtype=None if zp is not None else t.name)
            _codes_equal(got, want, f"{t.name} {layout} zp={zkind} saturate={saturate}")


def test_quantize_2d_weights_block_32_equals_onnx_reference():
    """The MatMulNBits-style layout: (N, K) weights, int4/uint4 blocks of 32 along K."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((64, 96)).astype(np.float32)
    for t in (fo.CODE_TYPES["int4"], fo.CODE_TYPES["uint4"]):
        s = (np.abs(w).reshape(64, 3, 32).max(axis=2) / 7).astype(np.float32)
        zp = None if t.qmin < 0 else np.full((64, 3), 8, ml_dtypes.uint4)
        inputs = {"x": w, "s": s} | ({} if zp is None else {"z": zp})
        want = _ref("QuantizeLinear", inputs, axis=1, block_size=32, **({"output_dtype": t.enum} if zp is None else {}))
        got = both(fo.quantize_linear, w, s, zp, axis=1, block_size=32, output_dtype=t.name)
        _codes_equal(got, want, t.name)
        assert fo.to_raw(got) == numpy_helper.from_array(want).raw_data


# ------------------------------------------------------------------- DequantizeLinear vs onnx.reference

def _random_codes(rng, t, shape):
    if t.is_float:
        fmt = fastquant.floats.FORMATS[t.float_format]
        return rng.integers(0, fmt.code_limit + 1, shape, dtype=np.uint8).view(t.dtype)
    return rng.integers(t.qmin, t.qmax + 1, shape).astype(t.dtype)


def _values_equal(got, want, what=""):
    """Bit for bit, except that NaN payloads may differ (SPEC Part II)."""
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype)
    g, w = got.astype(np.float32), want.astype(np.float32)
    nan = np.isnan(w)
    assert np.array_equal(np.isnan(g), nan), what
    assert np.array_equal(g[~nan].view(np.uint32), w[~nan].view(np.uint32)), what


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("t", TYPES, ids=lambda t: t.name)
def test_dequantize_equals_onnx_reference(t, layout):
    rng = np.random.default_rng(zlib.crc32(f'{t.name} {layout} dq'.encode()))
    axis, block, sshape = LAYOUTS[layout]
    s = _scales(rng, sshape)
    codes = _random_codes(rng, t, SHAPE)
    attrs = dict(axis=axis, block_size=block) if block else dict(axis=axis)
    for zkind in (("none", "zero") if t.is_float else ("none", "random")):
        zp = _zero_point(rng, t, sshape, zkind)
        inputs = {"x": codes, "s": s} | ({} if zp is None else {"z": zp})
        want = _ref("DequantizeLinear", inputs, **attrs)
        got = both(fo.dequantize_linear, codes, s, zp, **attrs)
        _values_equal(got, want, f"{t.name} {layout} zp={zkind}")


@pytest.mark.parametrize("scale_type", [np.float16, ml_dtypes.bfloat16], ids=["float16", "bfloat16"])
def test_dequantize_result_has_the_scale_type(scale_type):
    """ONNX's output type is the scale's; the product is computed in float32 and rounded once."""
    rng = np.random.default_rng(3)
    for t in (fo.CODE_TYPES["int8"], fo.CODE_TYPES["uint4"], fo.CODE_TYPES["float8e4m3fn"]):
        codes = _random_codes(rng, t, (4, 33))
        s = rng.uniform(0.01, 3, 4).astype(scale_type)
        want = _ref("DequantizeLinear", {"x": codes, "s": s}, axis=0)
        got = both(fo.dequantize_linear, codes, s, axis=0)
        assert got.dtype == np.dtype(scale_type)
        _values_equal(got, want, t.name)


def test_quantize_widens_float16_and_bfloat16_to_float32():
    """SPEC 9: arithmetic in float32. With float32 x and a float16 scale that is what ONNX's
    reference computes too; float16 x is widened first (the reference would divide in float16)."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(500) * 40).astype(np.float32)
    s16 = np.float16(0.3)
    want = _ref("QuantizeLinear", {"x": x, "s": np.array(s16), "z": np.int8(0)})
    _codes_equal(both(fo.quantize_linear, x, s16, np.int8(0)), want)
    x16 = x.astype(np.float16)
    assert_identical(fo.quantize_linear(x16, s16, np.int8(3)),
                     fo.quantize_linear(x16.astype(np.float32), np.float32(s16), np.int8(3)))
    xb = x.astype(ml_dtypes.bfloat16)
    assert_identical(fo.quantize_linear(xb, 0.5, output_dtype="float8e5m2"),
                     fo.quantize_linear(xb.astype(np.float32), 0.5, output_dtype="float8e5m2"))


# -------------------------------------------------- where onnx.reference breaks the spec: saturation

def _independent_quantize(x, se, zp, qmin, qmax):
    """SPEC 9 element by element in Python: float32 quotient, round half to even (Python's
    round), + zp, saturate; +-inf saturate."""
    out = []
    for v, s, z in zip(np.ravel(x), np.ravel(se), np.ravel(zp)):
        with np.errstate(over="ignore"):
            q = float(np.float32(v) / np.float32(s))
        r = (qmax if q > 0 else qmin) if math.isinf(q) else round(q) + int(z)
        out.append(min(qmax, max(qmin, r)))
    return np.array(out, np.int64).reshape(np.shape(x))


@pytest.mark.parametrize("t", INT_TYPES, ids=lambda t: t.name)
def test_saturation_beyond_int32_against_an_independent_reference(t):
    """1e10 / scale is beyond int32: the reference casts it to int32 first (giving qmin);
    the spec saturates. So here the expected codes come from the formula, element by element."""
    x = np.array([1e10, -1e10, 3e38, -3e38, np.inf, -np.inf, 2.0**31, -(2.0**31), 1e9, 0.5, -0.5, 7.5], np.float32)
    for scale in (1.0, 1e-30, 0.25, 3e3):
        for zp in ([t.qmin, t.qmax, (t.qmin + t.qmax) // 2]):
            z = np.array(zp).astype(t.dtype)
            got = both(fo.quantize_linear, x, np.float32(scale), z)
            want = _independent_quantize(x, np.full(x.shape, scale, np.float32), np.full(x.shape, zp), t.qmin, t.qmax)
            assert got.astype(np.int64).tolist() == want.tolist(), (scale, zp)
    # the reference's own answer differs exactly there (documented in SPEC 9)
    with np.errstate(invalid="ignore"):
        ref = _ref("QuantizeLinear", {"x": np.float32([1e10]), "s": np.float32(1.0), "z": np.array(0).astype(t.dtype)})
    assert int(ref.astype(np.int64)[0]) == t.qmin


def test_the_onnx_rounding_order_differs_from_quantize_func():
    """ONNX rounds x / scale, then adds the zero point; quantize_func (seed 002) adds first."""
    x = np.float32([0.5, 1.5, 2.5, -0.5, -1.5])
    onnx_codes = both(fo.quantize_linear, x, 1.0, np.uint8(1))
    assert onnx_codes.tolist() == [1, 3, 3, 1, 0]  # round(x) + 1, clipped: 0+1, 2+1, 2+1, -0+1, -2+1
    assert fastquant.quantize_func(x, 1.0, 1, signed=False).tolist() == [2, 2, 4, 0, 0]


def test_nan_is_an_error_for_integer_codes_and_a_nan_for_float_codes():
    x = np.float32([1.0, np.nan, 2.0])
    for t in INT_TYPES:
        with pytest.raises(ValueError):
            both(fo.quantize_linear, x, 1.0, output_dtype=t.name)
        with pytest.raises(ValueError, match="^x: expected numbers without NaN, got NaN"):
            fo.quantize_linear(x, 1.0, output_dtype=t.name)
    for t in FLOAT_TYPES:
        want = _ref("QuantizeLinear", {"x": x, "s": np.float32(1)}, output_dtype=t.enum)
        _codes_equal(both(fo.quantize_linear, x, 1.0, output_dtype=t.name), want, t.name)


# ------------------------------------------------------------------------- type resolution

def test_the_type_comes_from_the_zero_point_then_output_dtype_then_uint8():
    x = np.float32([-3.0, 0.0, 300.0])
    assert fo.quantize_linear(x, 1.0).dtype == np.uint8
    assert fo.quantize_linear(x, 1.0, np.int16(0)).dtype == np.int16
    assert fo.quantize_linear(x, 1.0, 5, output_dtype=onnx.TensorProto.INT4).dtype == ml_dtypes.int4
    for spelling in ("float8e4m3fn", "FLOAT8E4M3FN", "float8_e4m3fn", onnx.TensorProto.FLOAT8E4M3FN,
                     ml_dtypes.float8_e4m3fn, np.dtype(ml_dtypes.float8_e4m3fn)):
        assert fo.quantize_linear(x, 1.0, output_dtype=spelling).dtype == ml_dtypes.float8_e4m3fn
    assert fo.quantize_linear(x, 1.0, output_dtype="float4_e2m1fn").dtype == ml_dtypes.float4_e2m1fn
    for name, t in fo.CODE_TYPES.items():
        assert t.dtype == helper.tensor_dtype_to_np_dtype(t.enum), name
        assert t.enum == getattr(onnx.TensorProto, name.upper()), name


def test_plain_integer_codes_with_a_typed_zero_point():
    """dequantize_linear reads int4/int2 values and float8/float4 bit patterns from plain
    integer arrays when the zero point names the type (as it does in ONNX)."""
    vals = np.array([-8, -1, 0, 7], np.int8)
    want = fo.dequantize_linear(vals.astype(ml_dtypes.int4), 0.5, np.array(1, ml_dtypes.int4))
    assert_identical(both(fo.dequantize_linear, vals, 0.5, np.array(1, ml_dtypes.int4)), want)
    assert_identical(both(fo.dequantize_linear, vals.astype(np.int64), 0.5, np.array(1, ml_dtypes.int4)), want)
    bits = np.array([0, 0x38, 0x7F, 0xC0], np.uint8)
    want = fo.dequantize_linear(bits.view(ml_dtypes.float8_e4m3fn), 2.0)
    got = both(fo.dequantize_linear, bits, 2.0, np.zeros((), ml_dtypes.float8_e4m3fn))
    _values_equal(got, want)
    assert got[1] == 2.0


def test_ml_dtypes_bytes_with_bits_above_the_code():
    """int4/uint4/int2/uint2 arrays viewed from bytes with higher bits set: their values are
    the low bits (as ml_dtypes reads them); float4_e2m1fn reads such bytes as no ONNX value
    (ml_dtypes takes any higher bit as the sign): a ValueError. Raw data packs the low bits,
    as onnx.numpy_helper does."""
    raw = np.array([0xF8, 0x17, 0xFF, 0x09], np.uint8)
    for t in (fo.CODE_TYPES[n] for n in ("int4", "uint4", "int2", "uint2", "float4e2m1")):
        x = raw.view(t.dtype)
        if t.is_float:
            with pytest.raises(ValueError):
                both(fo.dequantize_linear, x, 1.0)
            with pytest.raises(ValueError, match="^x: expected float4e2m1 codes in \\[0, 15\\], got 255"):
                fo.dequantize_linear(x, 1.0)
        else:
            _values_equal(both(fo.dequantize_linear, x, 1.0), x.astype(np.float32), t.name)
        assert fo.to_raw(x) == numpy_helper.from_array(x).raw_data


# --------------------------------------------------------------------------------- raw data

@pytest.mark.parametrize("shape", [(0,), (1,), (2,), (3,), (5,), (7,), (8,), (9,), (3, 5), (2, 3, 3), ()])
@pytest.mark.parametrize("t", TYPES, ids=lambda t: t.name)
def test_raw_data_equals_numpy_helper(t, shape):
    rng = np.random.default_rng(sum(shape) + t.enum)
    codes = _random_codes(rng, t, shape)
    tensor = numpy_helper.from_array(codes)
    raw = both(fo.to_raw, codes)
    assert isinstance(raw, bytes) and raw == tensor.raw_data
    back = both(fo.from_raw, raw, t.name, shape)
    want = numpy_helper.to_array(tensor)
    assert back.dtype == want.dtype and back.shape == want.shape
    assert np.array_equal(back.view(np.uint8) if t.bits <= 8 else back, want.view(np.uint8) if t.bits <= 8 else want)
    assert back.flags.writeable and back.flags.c_contiguous


def test_raw_padding_bits_are_ignored_as_to_array_ignores_them():
    for t in (fo.CODE_TYPES[n] for n in ("int4", "uint4", "float4e2m1", "int2", "uint2")):
        for n in (1, 3, 5, 7):
            raw = bytes([0xFF]) * (-(-n * t.bits // 8))
            tensor = helper.make_tensor("t", t.enum, (n,), raw, raw=True)
            want = numpy_helper.to_array(tensor)
            got = fo.from_raw(raw, t.enum, (n,))
            assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), (t.name, n)


def test_raw_takes_bytearray_memoryview_and_uint8_arrays():
    codes = np.array([1, 2, 3, -4, 5], ml_dtypes.int4)
    raw = fo.to_raw(codes)
    for r in (raw, bytearray(raw), memoryview(raw), np.frombuffer(raw, np.uint8)):
        assert np.array_equal(fo.from_raw(r, "int4", 5), codes)


# ----------------------------------------------------------------------- DynamicQuantizeLinear

@pytest.mark.parametrize("case", ["normal", "positive", "negative", "zeros", "one", "wide", "ties"])
def test_dynamic_quantize_equals_onnx_reference(case):
    rng = np.random.default_rng(11)
    x = {"normal": rng.standard_normal((7, 33)).astype(np.float32) * 5,
         "positive": rng.uniform(1, 9, 100).astype(np.float32),
         "negative": -rng.uniform(1, 9, 100).astype(np.float32),
         "zeros": np.zeros(10, np.float32),
         "one": np.float32([3.5]),
         "wide": np.float32([-1e30, 2e30, 1e-40, 0.0]),
         "ties": np.arange(-255, 256, dtype=np.float32) * np.float32(0.5)}[case]
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])
    want = ReferenceEvaluator(node).run(None, {"x": x})
    got = both(fo.dynamic_quantize_linear, x)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape and g.tobytes() == w.tobytes(), (g, w)


# -------------------------------------------------------------------- threads, out=, streaming

@pytest.mark.parametrize("layout", ["tensor", "axis0", "axis1", "blocked1", "blocked0"])
@pytest.mark.parametrize("name", ["uint8", "int4", "int16", "float8e4m3fn"])
def test_threads_and_out_give_the_same_codes(name, layout):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((6, 1024, 3)) * 20).astype(np.float32)
    axis, block, s = {"tensor": (1, 0, np.float32(0.3)),
                      "axis0": (0, 0, _scales(rng, (6,))),
                      "axis1": (1, 0, _scales(rng, (1024,))),
                      "blocked1": (1, 32, _scales(rng, (6, 32, 3))),
                      "blocked0": (0, 4, _scales(rng, (2, 1024, 3)))}[layout]
    t = fo.CODE_TYPES[name]
    one = fo.quantize_linear(x, s, axis=axis, block_size=block, output_dtype=name, threads=1)
    decoded = fo.dequantize_linear(one, s, axis=axis, block_size=block, threads=1)
    for threads in (2, 3, 4):
        assert_identical(both(fo.quantize_linear, x, s, axis=axis, block_size=block, output_dtype=name,
                              threads=threads), one)
        assert_identical(both(fo.dequantize_linear, one, s, axis=axis, block_size=block, threads=threads), decoded)
    out = np.empty(x.shape, t.dtype)
    assert fo.quantize_linear(x, s, axis=axis, block_size=block, output_dtype=name, out=out) is out
    assert_identical(out, one)
    res = np.empty(x.shape, np.float32)
    assert fo.dequantize_linear(one, s, axis=axis, block_size=block, out=res) is res
    assert_identical(res, decoded)


@pytest.mark.parametrize("name", ["int8", "uint4", "int16", "float8e5m2", "float4e2m1"])
@pytest.mark.parametrize("offset", [0, 1, 3])
def test_dequantize_streaming_into_out(monkeypatch, name, offset):
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    rng = np.random.default_rng(6)
    t = fo.CODE_TYPES[name]
    codes = _random_codes(rng, t, (9, 300))
    for axis, block, s in ((1, 0, np.float32(0.7)), (0, 0, _scales(rng, (9,))), (1, 64, _scales(rng, (9, 5)))):
        want = fo.dequantize_linear(codes, s, axis=axis, block_size=block)
        buf = np.zeros(codes.size + 16, np.float32)
        out = buf[offset:offset + codes.size].reshape(codes.shape)
        assert both(fo.dequantize_linear, codes, s, axis=axis, block_size=block, out=out) is not None
        _values_equal(out, want, f"{name} axis={axis} block={block}")


@pytest.mark.parametrize("name", ["int8", "uint8", "int4", "uint2", "int16"])
@pytest.mark.parametrize("offset", [0, 1, 5, 17])
def test_quantize_streaming_into_out(monkeypatch, name, offset):
    """A large out= gets non-temporal stores (8-bit codes), from any address: same codes."""
    rng = np.random.default_rng(8)
    t = fo.CODE_TYPES[name]
    x = (rng.standard_normal((7, 333)) * 9).astype(np.float32)
    for axis, block, s in ((1, 0, np.float32(0.7)), (0, 0, _scales(rng, (7,))), (1, 32, _scales(rng, (7, 11)))):
        want = fo.quantize_linear(x, s, axis=axis, block_size=block, output_dtype=name)
        monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
        buf = np.zeros((x.size + 64) * t.dtype.itemsize, np.uint8)
        out = buf[offset * t.dtype.itemsize:][:x.size * t.dtype.itemsize].view(t.dtype).reshape(x.shape)
        assert both(fo.quantize_linear, x, s, axis=axis, block_size=block, output_dtype=name, out=out) is not None
        monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 8 << 20)
        _codes_equal(out, want, f"{name} axis={axis} block={block}")


def test_float16_result_into_out():
    codes = np.arange(-128, 128, dtype=np.int8)
    out = np.empty(256, np.float16)
    assert fo.dequantize_linear(codes, np.float16(0.5), out=out) is out
    assert np.array_equal(out, (codes.astype(np.float32) * np.float32(0.5)).astype(np.float16))


# ---------------------------------------------------------------------------- small and empty

def test_zero_d_and_empty_inputs():
    assert_identical(both(fo.quantize_linear, np.float32(3.0), 2.0), np.array(2, np.uint8))
    empty = np.zeros((0, 4), np.float32)
    assert both(fo.quantize_linear, empty, 1.0, output_dtype="int4").shape == (0, 4)
    assert both(fo.quantize_linear, empty, np.ones((0, 4), np.float32), axis=0, block_size=4).shape == (0, 4)
    assert both(fo.quantize_linear, empty, np.ones((0, 1), np.float32), axis=1, block_size=4).shape == (0, 4)
    assert both(fo.dequantize_linear, np.zeros((0,), ml_dtypes.float8_e5m2), 1.0).shape == (0,)
    assert both(fo.dequantize_linear, [], 1.0).dtype == np.float32
    # blocked along an axis of an empty x: the parameters are empty too (the fuzzer's find: the
    # kernel read a scale for a run of no elements)
    x = np.zeros((5, 0), np.float32)
    assert both(fo.quantize_linear, x, np.ones((1, 0), np.float32), axis=0, block_size=6).shape == (5, 0)
    assert both(fo.dequantize_linear, x.astype(np.uint16), np.ones((1, 0), np.float32), np.zeros((1, 0), np.uint16),
                axis=0, block_size=6).shape == (5, 0)


def test_kernels_read_no_parameter_for_no_element():
    """Direct kernel calls with (1, 5, 0) data and (1, 1, 0) parameters (under tools/sanitize.sh
    an out-of-bounds read would abort)."""
    from fastquant import _backend
    for k in {id(_backend.kernels_of(n)): _backend.kernels_of(n) for n in _backend.available() + _backend.builds()}.values():
        empty_f, empty_i = np.zeros((1, 1, 0), np.float32), np.zeros((1, 1, 0), np.int32)
        assert k.onnxq_quantize(np.zeros((1, 5, 0), np.float32), np.zeros((1, 5, 0), np.uint8), empty_f, empty_i, 6, 0, 255) == 0
        k.onnxq_dequantize(np.zeros((1, 5, 0), np.uint16), np.zeros((1, 5, 0), np.float32), empty_f, empty_i, 6, 0)


def test_import_fastquant_does_not_import_onnx_or_ml_dtypes():
    run = run_python(["-c", "import sys, fastquant; fastquant.quantize_func([1.0], 0.5, 0); "
                            "print(sorted(m for m in sys.modules if m in ('fastquant.onnx', 'ml_dtypes', 'onnx')))"])
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
