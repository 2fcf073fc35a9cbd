"""Minifloats (SPEC section 8): every format against ml_dtypes 0.6.0 ``astype`` (decode, encode)
and ONNX Cast (``saturate=True``), all backends bit for bit.

Counts: decode of every code of every format; encode of ~4-9K float32 inputs per format
around every representable value, every rounding boundary and every special value; and
10M random bit patterns per format on every compiled build (1M on the NumPy twin, whose
integer arithmetic is about 20x slower: see ``RANDOM_TWIN``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastquant as fq
from fastquant import _backend, floats as F, use_backend
from fastquant._minifloats import FORMATS as ROWS
from _oracles import require
from _support import assert_identical, both, compiled_names

def raises_everywhere(exc, pattern, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` raises ``exc`` with a message matching ``pattern`` on every
    backend (``both`` compares outcomes but not messages)."""
    for backend in ("numpy",) + compiled_names():
        with use_backend(backend), pytest.raises(exc, match=pattern):
            fn(*args, **kwargs)


NAMES = [f.name for f in ROWS]
ONNX_NAMES = [f.name for f in ROWS if f.onnx_type and f.name != "float8_e8m0fnu"]

#: Random bit patterns per format: compiled builds, and the NumPy twin.
RANDOM_COMPILED = 10_000_000
RANDOM_TWIN = 1_000_000


@pytest.fixture(scope="module")
def ml():
    return require("ml_dtypes", "0.6.0")


def _ml_type(ml, name):
    return getattr(ml, name)


def _oracle_encode(ml, x, name, saturate=False):
    """ml_dtypes' cast of float32 ``x`` as bytes; ``saturate`` clips to +-max first, as ONNX's
    saturate_cast does (NaN passes np.clip unchanged)."""
    t = _ml_type(ml, name)
    with np.errstate(over="ignore"):
        x = np.asarray(x, np.float32)
    if saturate:
        top = np.float32(ml.finfo(t).max)
        x = np.clip(x, -top, top)
    with np.errstate(all="ignore"):
        return x.astype(t).view(np.uint8)


def _bits(a):
    return np.asarray(a).view(np.uint32)


# ---------------------------------------------------------------------------- traits

@pytest.mark.parametrize("name", NAMES)
def test_traits_match_ml_dtypes(name, ml):
    f, info = F.FORMATS[name], ml.finfo(_ml_type(ml, name))
    assert f.bits == info.bits and f.code_limit == 2**info.bits - 1
    assert f.exponent_bits == info.nexp and f.mantissa_bits == info.nmant
    assert f.max == float(info.max) and f.min_normal == float(info.tiny)
    assert f.smallest_subnormal == float(info.smallest_subnormal)
    assert f.emax == math.floor(math.log2(float(info.max)))
    codes = np.arange(f.code_limit + 1, dtype=np.uint8)
    values = codes.view(_ml_type(ml, name)).astype(np.float32)
    assert f.has_nan == bool(np.isnan(values).any())
    assert f.has_inf == bool(np.isinf(values).any())
    assert f.has_negative_zero == bool((np.signbit(values) & (values == 0)).any())
    assert f.has_zero == bool((values == 0).any())
    assert f.max_code == int(np.flatnonzero(values == float(info.max))[0])
    # what ml_dtypes writes for +NaN and +inf is what the encoder writes
    got = _oracle_encode(ml, np.array([np.nan, np.inf], np.float32), name)
    assert (int(got[0]), int(got[1])) == (f.nan_code, f.inf_code)


def test_mx_emax_is_the_ocp_table():
    """OCP MX v1.0 table 1 (emax of the element formats), as SPEC 8 lists it."""
    assert {n: F.FORMATS[n].emax for n in F.MX_FORMATS} == {
        "float8_e4m3fn": 8, "float8_e5m2": 15, "float6_e2m3fn": 2, "float6_e3m2fn": 4, "float4_e2m1fn": 2}


def test_onnx_type_ids():
    onnx = require("onnx", "1.23.2")
    by_name = {"float8_e4m3fn": "FLOAT8E4M3FN", "float8_e4m3fnuz": "FLOAT8E4M3FNUZ", "float8_e5m2": "FLOAT8E5M2",
               "float8_e5m2fnuz": "FLOAT8E5M2FNUZ", "float4_e2m1fn": "FLOAT4E2M1", "float8_e8m0fnu": "FLOAT8E8M0"}
    assert {f.name: f.onnx_type for f in ROWS if f.onnx_type} == {
        k: getattr(onnx.TensorProto, v) for k, v in by_name.items()}


@pytest.mark.parametrize("name", NAMES)
def test_format_of_takes_names_and_dtype_objects(name, ml):
    f = F.FORMATS[name]
    t = _ml_type(ml, name)
    assert F.format_of(name) is f and F.format_of(f) is f
    assert F.format_of(t) is f and F.format_of(np.dtype(t)) is f
    torch = _torch()
    if torch is not None and f.torch_name:
        assert F.format_of(getattr(torch, f.torch_name)) is f
    for bad in (np.float32, np.dtype(np.uint8), name.upper(), 8, None):
        with pytest.raises(ValueError, match="^fmt: "):
            F.format_of(bad)


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional
        return None
    return torch


# ---------------------------------------------------------------------------- decode

@pytest.mark.parametrize("name", NAMES)
def test_decode_every_code(name, ml):
    f = F.FORMATS[name]
    codes = np.arange(f.code_limit + 1, dtype=np.uint8)
    expected = codes.view(_ml_type(ml, name)).astype(np.float32)
    got = both(F.decode, codes, name)
    assert_identical(_bits(got), _bits(expected))
    # the same bytes as int8, as an ml_dtypes array, as a list of ints, in a 2-D layout
    assert_identical(_bits(both(F.decode, codes.view(np.int8), name)), _bits(expected))
    assert_identical(_bits(both(F.decode, codes.view(_ml_type(ml, name)), name)), _bits(expected))
    assert_identical(_bits(F.decode(codes.tolist(), name)), _bits(expected))
    if codes.size % 4 == 0:
        assert_identical(_bits(both(F.decode, codes.reshape(4, -1), name)), _bits(expected.reshape(4, -1)))


@pytest.mark.parametrize("name", NAMES)
def test_decode_tables_of_every_backend(name, ml):
    f = F.FORMATS[name]
    codes = np.arange(256, dtype=np.uint8)
    expected = (codes & f.code_limit).view(_ml_type(ml, name)).astype(np.float32)
    for backend in ("numpy",) + compiled_names():
        assert_identical(_bits(_backend.kernels_of(backend).floats_table(f.id)), _bits(expected), backend)


@pytest.mark.parametrize("name", [n for n in NAMES if F.FORMATS[n].bits < 8])
def test_decode_rejects_bits_above_the_width(name):
    f = F.FORMATS[name]
    for bad in (np.array([0, f.code_limit + 1], np.uint8), np.array([3, -1], np.int8), [0, 255], [f.code_limit + 1]):
        raises_everywhere(ValueError, rf"^codes: expected {name} codes in \[0, {f.code_limit}\]", F.decode, bad, name)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 33, 1000])
def test_decode_lengths_and_layouts(n, rng):
    codes = rng.integers(0, 256, (3, n), dtype=np.uint8)
    for name in ("float8_e4m3fn", "float8_e8m0fnu"):
        a = both(F.decode, codes, name)
        b = both(F.decode, codes[:, ::-1], name)
        assert_identical(_bits(a[:, ::-1].copy()), _bits(b))
        assert_identical(_bits(both(F.decode, codes.T, name)), _bits(a.T.copy()))


# ---------------------------------------------------------------------------- encode

def _neighbours(u: np.ndarray, k: int = 3) -> np.ndarray:
    """float32 bit patterns within ``k`` ulps of each non-negative pattern in ``u`` (finite
    or inf), both signs."""
    u = u.astype(np.int64)
    near = np.unique(np.clip(np.concatenate([u + d for d in range(-k, k + 1)]), 0, 0x7F800000))
    return np.concatenate([near, near | 0x80000000]).astype(np.uint32)


SPECIALS = np.array([
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000,                          # +-0, +-inf
    0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0xFFFFFFFF,  # NaNs (quiet,
    0x7FA5A5A5, 0xFFBFFFFF, 0x7FC00001,                                      # signalling, payloads)
    0x00000001, 0x00000002, 0x003FFFFF, 0x00400000, 0x00400001, 0x007FFFFF,  # float32 subnormals
    0x00800000, 0x00800001, 0x7F7FFFFF, 0x7F7FFFFE, 0x3F800000,              # min normal, max, 1
], np.uint32)


def boundary_inputs(name, ml) -> np.ndarray:
    """float32 inputs within 3 ulps of every representable value of the format, of every
    midpoint between neighbours (the rounding boundaries), of the overflow boundary, and of
    the special values, both signs."""
    f = F.FORMATS[name]
    codes = np.arange(f.code_limit + 1, dtype=np.uint8)
    values = codes.view(_ml_type(ml, name)).astype(np.float64)
    values = np.unique(np.abs(values[np.isfinite(values)]))
    step = values[-1] - values[-2]
    points = np.concatenate([values, (values[:-1] + values[1:]) / 2, [values[-1] + step / 2, values[-1] + step]])
    u = points.astype(np.float32).view(np.uint32)
    specials = SPECIALS & 0x7FFFFFFF
    specials = specials[specials <= 0x7F800000]
    return np.unique(np.concatenate([_neighbours(u), _neighbours(specials), SPECIALS])).view(np.float32)


@pytest.mark.parametrize("saturate", [False, True], ids=["plain", "saturate"])
@pytest.mark.parametrize("name", NAMES)
def test_encode_near_every_boundary(name, saturate, ml):
    x = boundary_inputs(name, ml)
    assert x.size > 3 * (F.FORMATS[name].code_limit + 1)
    got = both(F.encode, x, name, saturate=saturate)
    expected = _oracle_encode(ml, x, name, saturate)
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, [(hex(int(x.view(np.uint32)[i])), int(got[i]), int(expected[i])) for i in bad[:10]]


def _onnx_cast(x, to: int, saturate: int):
    onnx = require("onnx", "1.23.2")
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    node = helper.make_node("Cast", ["x"], ["y"], to=to, saturate=saturate)
    graph = helper.make_graph([node], "cast", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", to, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    assert onnx.__version__ == "1.23.2"
    with np.errstate(all="ignore"):
        return ReferenceEvaluator(model).run(None, {"x": x})[0].view(np.uint8)


@pytest.mark.parametrize("saturate", [0, 1])
@pytest.mark.parametrize("name", ONNX_NAMES)
def test_encode_equals_onnx_cast(name, saturate, ml, rng):
    """ONNX Cast (opset 23, onnx.reference) is the oracle of ``saturate``; float8e8m0 is left
    out: ONNX rounds it up by default and ignores the sign, SPEC 8 follows ml_dtypes there."""
    f = F.FORMATS[name]
    x = np.concatenate([boundary_inputs(name, ml), (rng.standard_normal(20_000) * f.max).astype(np.float32),
                        rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)])
    expected = _onnx_cast(x, f.onnx_type, saturate)
    got = both(F.encode, x, name, saturate=bool(saturate))
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, [(hex(int(x.view(np.uint32)[i])), int(got[i]), int(expected[i])) for i in bad[:10]]


def test_saturate_rule_of_e8m0(ml):
    """SPEC 8 for the unsigned E8M0: +inf and finite overflow -> 0xFE, everything else as
    ml_dtypes (0, negatives, -inf and NaN -> 0xFF)."""
    x = np.array([np.inf, 3e38, 2.0**127, 1.5 * 2**127, 0.0, -0.0, -1.0, -np.inf, np.nan, 1.0], np.float32)
    assert F.encode(x, "float8_e8m0fnu", saturate=True).tolist() == [254, 254, 254, 254, 255, 255, 255, 255, 255, 127]
    assert F.encode(x, "float8_e8m0fnu").tolist() == [255, 255, 254, 255, 255, 255, 255, 255, 255, 127]


def _random_patterns(name: str, n: int) -> np.ndarray:
    """``n`` float32 bit patterns of every class: half uniform over all 2**32 patterns (NaNs,
    infs, zeros and subnormals included), half with the exponent near the format's range (its
    subnormals to beyond its max) and any sign and mantissa; plus the special values."""
    f = F.FORMATS[name]
    rng = np.random.default_rng([20261129, f.id, n])
    half = n // 2
    uniform = rng.integers(0, 2**32, half, dtype=np.uint64).astype(np.uint32)
    lo = max(1, 127 - f.bias - f.mantissa_bits - 3) if f.signed else 1
    hi = min(254, 127 + f.emax + 3)
    e = rng.integers(lo, hi + 1, n - half - SPECIALS.size, dtype=np.uint32)
    near = (rng.integers(0, 2, e.size, dtype=np.uint32) << 31) | (e << 23) | rng.integers(0, 1 << 23, e.size, dtype=np.uint32)
    return np.concatenate([uniform, near, SPECIALS]).view(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_encode_random_bit_patterns(name, ml):
    """10M patterns on every compiled build, the first 1M on the NumPy twin, both modes."""
    x = _random_patterns(name, RANDOM_COMPILED)
    for saturate in (False, True):
        expected = _oracle_encode(ml, x, name, saturate)
        with use_backend("numpy"):
            got = F.encode(x[:RANDOM_TWIN], name, saturate=saturate)
        assert np.array_equal(got, expected[:RANDOM_TWIN]), f"numpy saturate={saturate}"
        for backend in compiled_names():
            with use_backend(backend):
                got = F.encode(x, name, saturate=saturate)
            bad = np.flatnonzero(got != expected)
            assert bad.size == 0, (backend, saturate, [(hex(int(x.view(np.uint32)[i])), int(got[i]), int(expected[i]))
                                                       for i in bad[:5]])


def test_encode_converts_to_float32_first(ml, rng):
    """``np.asarray(x, np.float32)`` first (SPEC 8): float64 rounds to float32, then to the
    format (two roundings, as the oracle's formula says)."""
    x = rng.standard_normal(4000) * 10
    x[:3] = [1.0625 + 2.0**-30, 1.0625 - 2.0**-30, 1e300]  # ties only after the float32 rounding
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    expected = _oracle_encode(ml, x32, "float8_e4m3fn")
    assert np.array_equal(both(F.encode, x, "float8_e4m3fn"), expected)
    with np.errstate(over="ignore"):
        x16, xb16 = x.astype(np.float16), x.astype(_ml_type(ml, "bfloat16"))
    assert np.array_equal(both(F.encode, x16, "float8_e5m2"), _oracle_encode(ml, x16.astype(np.float32), "float8_e5m2"))
    assert np.array_equal(both(F.encode, xb16, "float8_e4m3fn"),
                          _oracle_encode(ml, xb16.astype(np.float32), "float8_e4m3fn"))
    assert np.array_equal(F.encode(x.tolist()[:10], "float6_e3m2fn"), _oracle_encode(ml, x[:10], "float6_e3m2fn"))


@pytest.mark.parametrize("shape", [(), (0,), (1,), (33,), (5, 7), (2, 3, 17)], ids=str)
def test_encode_shapes_and_out(shape, rng):
    x = (rng.standard_normal(shape) * 100).astype(np.float32)
    res = both(F.encode, x, "float8_e5m2")
    assert res.shape == x.shape and res.dtype == np.uint8
    out = np.full(x.shape, 7, np.uint8)
    assert F.encode(x, "float8_e5m2", out=out) is out
    assert np.array_equal(out, res)
    f32 = both(F.decode, res, "float8_e5m2")
    outf = np.empty(x.shape, np.float32)
    assert F.decode(res, "float8_e5m2", out=outf) is outf
    assert_identical(_bits(outf), _bits(f32))


def test_round_trip_of_every_code(ml):
    """encode(decode(c)) == c for every code that is not NaN (and fnuz's NaN stays NaN)."""
    for f in ROWS:
        codes = np.arange(f.code_limit + 1, dtype=np.uint8)
        values = both(F.decode, codes, f.name)
        keep = ~np.isnan(values)
        assert np.array_equal(both(F.encode, values[keep], f.name), codes[keep]), f.name


# ---------------------------------------------------------------------------- torch

def test_torch_float8_in_and_out(ml):
    torch = _torch()
    if torch is None:
        pytest.skip("torch is not installed (optional)")
    for f in ROWS:
        if not f.torch_name:
            continue
        dt = getattr(torch, f.torch_name)
        codes = torch.arange(256, dtype=torch.int32).to(torch.uint8)
        t = codes.view(dt)
        got = F.decode(t, f.name)
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
        expected = np.arange(256, dtype=np.uint8).view(_ml_type(ml, f.name)).astype(np.float32)
        assert_identical(_bits(got.numpy()), _bits(expected), f.name)
        # torch's own decode agrees on every value (its NaN bits differ)
        theirs = t.float().numpy()
        assert np.array_equal(np.isnan(theirs), np.isnan(expected))
        assert np.array_equal(theirs[~np.isnan(theirs)], expected[~np.isnan(expected)])
        # encode of a tensor gives a uint8 tensor, viewable as torch's float8
        x = torch.linspace(-3 * min(f.max, 1e4), 3 * min(f.max, 1e4), 1001)
        enc = F.encode(x, f.name)
        assert isinstance(enc, torch.Tensor) and enc.dtype == torch.uint8
        assert np.array_equal(enc.numpy(), _oracle_encode(ml, x.numpy(), f.name))
        assert enc.view(dt).shape == x.shape
        # a tensor of another float8 dtype is not this format's codes
        other = torch.zeros(3, dtype=torch.float8_e5m2 if f.name != "float8_e5m2" else torch.float8_e4m3fn)
        with pytest.raises(TypeError, match="^codes: "):
            F.decode(other, f.name)


# ---------------------------------------------------------------------------- scaled kernels

@pytest.mark.parametrize("layout", ["per_tensor", "per_axis_last", "per_axis_mid", "blocked_last", "blocked_mid"])
@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2fnuz", "float4_e2m1fn"])
def test_scaled_kernels(name, layout, ml, rng):
    """The kernels the ONNX QuantizeLinear/DequantizeLinear code calls: ``encode(x / s)`` with
    a float32 division, ``decode(c) * s``, for per-tensor, per-axis and blocked scales; every
    build equals the twin and the oracle (ml_dtypes of the NumPy float32 quotient)."""
    f = F.FORMATS[name]
    o, c, i = {"per_tensor": (1, 300, 1), "per_axis_last": (7, 45, 1), "per_axis_mid": (3, 10, 19),
               "blocked_last": (4, 70, 1), "blocked_mid": (2, 33, 9)}[layout]
    block = {"per_tensor": 300, "per_axis_last": 1, "per_axis_mid": 1, "blocked_last": 16, "blocked_mid": 4}[layout]
    cs = -(-c // block)
    sshape = {"per_tensor": (1, 1, 1), "per_axis_last": (1, c, 1), "per_axis_mid": (1, c, 1),
              "blocked_last": (o, cs, 1), "blocked_mid": (o, cs, i)}[layout]
    x = (rng.standard_normal((o, c, i)) * f.max).astype(np.float32)
    x.flat[:4] = [np.inf, -np.inf, np.nan, 0.0]
    scales = rng.uniform(0.1, 4, sshape).astype(np.float32)
    scales.flat[0] = 0.5  # a power of two: the multiply-by-the-exact-reciprocal path
    full = np.repeat(scales, block, axis=1)[:, :c]
    with np.errstate(all="ignore"):
        quotient = x / full
    for saturate in (False, True):
        expected = _oracle_encode(ml, quotient, name, saturate).reshape(x.shape)
        for backend in ("numpy",) + compiled_names():
            out = np.empty(x.shape, np.uint8)
            _backend.kernels_of(backend).floats_encode_scaled(x, out, scales, block, f.id, saturate)
            assert np.array_equal(out, expected), (backend, saturate)
    codes = rng.integers(0, f.code_limit + 1, (o, c, i), dtype=np.uint8)
    with np.errstate(all="ignore"):
        expected = codes.view(_ml_type(ml, name)).astype(np.float32) * full
    for backend in ("numpy",) + compiled_names():
        out = np.empty(x.shape, np.float32)
        assert _backend.kernels_of(backend).floats_decode_scaled(codes, out, scales, block, f.id) == 0
        assert_identical(_bits(out), _bits(expected), backend)


@pytest.mark.parametrize("shape,sshape,block", [
    ((2, 0, 1), (1, 0, 1), 1), ((2, 0, 1), (1, 0, 1), 4), ((2, 0, 3), (2, 0, 3), 2), ((0, 5, 1), (1, 5, 1), 1),
    ((3, 1, 1), (3, 1, 1), 1), ((3, 1, 1), (1, 1, 1), 7), ((1, 1, 5), (1, 1, 5), 1),
], ids=str)
def test_scaled_kernels_edges(shape, sshape, block, rng):
    """Empty axes and single elements: nothing read past the scales (ASan checks this in
    tools/sanitize.sh), every backend the same bytes."""
    x = rng.standard_normal(shape).astype(np.float32)
    codes = rng.integers(0, 256, shape, dtype=np.uint8)
    scales = rng.uniform(0.5, 2, sshape).astype(np.float32)
    results = []
    for backend in ("numpy",) + compiled_names():
        k = _backend.kernels_of(backend)
        enc, dec = np.empty(shape, np.uint8), np.empty(shape, np.float32)
        k.floats_encode_scaled(x, enc, scales, block, 0, False)
        assert k.floats_decode_scaled(codes, dec, scales, block, 0, True) == 0
        results.append((enc, dec))
    for enc, dec in results[1:]:
        assert_identical(enc, results[0][0])
        assert_identical(dec.view(np.uint32), results[0][1].view(np.uint32))


# ---------------------------------------------------------------------------- nibbles

@pytest.mark.parametrize("shape", [(0,), (1,), (2,), (7,), (64,), (65,), (3, 0), (4, 5), (2, 3, 9), (8, 130)], ids=str)
def test_pack_unpack_nibbles(shape, rng):
    codes = rng.integers(0, 16, shape, dtype=np.uint8)
    packed = both(F.pack_nibbles, codes)
    # reference: first code in the low nibble, odd rows padded with 0
    padded = np.concatenate([codes, np.zeros(shape[:-1] + (shape[-1] % 2,), np.uint8)], axis=-1)
    assert np.array_equal(packed, padded[..., 0::2] | (padded[..., 1::2] << 4))
    assert np.array_equal(both(F.unpack_nibbles, packed, shape[-1]), codes)
    assert np.array_equal(both(F.unpack_nibbles, packed), padded)
    assert np.array_equal(both(F.unpack_nibbles, packed.view(np.int8), shape[-1]), codes)
    assert fq.pack_nibbles is F.pack_nibbles and fq.unpack_nibbles is F.unpack_nibbles


def test_pack_nibbles_is_onnx_raw_data(ml):
    """ONNX packs FLOAT4E2M1 tensors two to a byte, first element in the low nibble: the raw
    bytes of ``onnx.numpy_helper.from_array`` are ``pack_nibbles`` of the flat codes."""
    require("onnx", "1.23.2")
    from onnx import numpy_helper

    codes = np.random.default_rng(5).integers(0, 16, 37, dtype=np.uint8)
    raw = numpy_helper.from_array(codes.view(ml.float4_e2m1fn)).raw_data
    assert both(F.pack_nibbles, codes).tobytes() == raw
    assert np.array_equal(F.pack_nibbles(codes.view(ml.float4_e2m1fn)), F.pack_nibbles(codes))
    assert np.array_equal(F.pack_nibbles(codes.astype(ml.uint4)), F.pack_nibbles(codes))


def test_pack_nibbles_rejects_codes_above_15():
    for bad in (np.array([0, 16], np.uint8), np.array([1, 2, 3, 255], np.uint8), [3, -1], np.array([[1, 2], [3, 16]], np.int64)):
        raises_everywhere(ValueError, r"^codes: expected codes in \[0, 15\]", F.pack_nibbles, bad)
