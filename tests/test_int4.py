"""int4 codec: both backends bit-identical, the seed's 1-D behaviour pinned, round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastquant as fq
from _support import both, float_arrays, params

FLOATS = float_arrays()


# --- the seed module, as it was written (1-D, NumPy) -------------------------------------
def seed_quantize_to_int4(values, scale_method="minmax"):
    if scale_method == "minmax":
        scale = (values.max() - values.min()) / 15
    else:
        scale = np.abs(values).max() / 7
    if scale == 0:
        scale = 1.0
    q = np.clip(np.round(values / scale), -8, 7).astype(np.int8)
    return q, scale, 0


def seed_dequantize_from_int4(q, scale, zero_point=0):
    return q.astype(np.float32) * scale


def seed_pack_int4_to_int8(values):
    if len(values) % 2 != 0:
        values = np.append(values, 0)
    return ((values[0::2] & 0x0F) | ((values[1::2] & 0x0F) << 4)).astype(np.int8)


def seed_unpack_int8_to_int4(packed):
    low = (packed & 0x0F).astype(np.int8)
    high = ((packed >> 4) & 0x0F).astype(np.int8)
    low = np.where(low > 7, low - 16, low).astype(np.int8)
    high = np.where(high > 7, high - 16, high).astype(np.int8)
    return np.stack([low, high], axis=1).reshape(-1)


# --- cross-checks: every public function, both backends, bit for bit ----------------------
METHODS = ["minmax", "absmax", "asymmetric"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("values", params(FLOATS))
def test_quantize_to_int4_backends_agree(values, method):
    q, scale, zp = both(fq.quantize_to_int4, values, method)
    assert q.shape == np.shape(values) and q.dtype == np.int8 and type(zp) is int
    assert zp == 0 or method == "asymmetric"
    assert isinstance(scale, float) and scale > 0
    assert q.min() >= -8 and q.max() <= 7


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("values", params(FLOATS))
def test_quantize_to_packed_int4_equals_quantize_then_pack(values, method):
    if np.ndim(values) == 0:
        pytest.skip("0-d has no axis to pack")
    packed, scale, zp = both(fq.quantize_to_packed_int4, values, method)
    q, scale2, zp2 = fq.quantize_to_int4(values, method)
    assert scale == scale2 and zp == zp2
    np.testing.assert_array_equal(packed, fq.pack_int4_to_int8(q))


def _codes(shape, rng):
    return rng.integers(-8, 8, size=shape, dtype=np.int8)


SHAPES = [(0,), (1,), (2,), (7,), (1000,), (1001,), (3, 0), (0, 5), (4, 5), (2, 3, 9), (64, 64)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pack_unpack_backends_agree(shape, rng):
    codes = _codes(shape, rng)
    packed = both(fq.pack_int4_to_int8, codes)
    assert packed.shape == shape[:-1] + ((shape[-1] + 1) // 2,)
    unpacked = both(fq.unpack_int8_to_int4, packed, shape[-1])
    np.testing.assert_array_equal(unpacked, codes)
    full = both(fq.unpack_int8_to_int4, packed)
    assert full.shape == shape[:-1] + (2 * packed.shape[-1],)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dequantize_paths_backends_agree(shape, rng):
    codes = _codes(shape, rng)
    for scale, zp in [(0.1, 0), (0.37, 3), (2.5, -5), (1e-30, 0), (3e38, 7)]:
        d = both(fq.dequantize_from_int4, codes, scale, zp)
        packed = fq.pack_int4_to_int8(codes)
        d2 = both(fq.dequantize_packed_int4, packed, scale, zp, shape[-1])
        np.testing.assert_array_equal(d.view(np.uint32), d2.view(np.uint32))


@pytest.mark.parametrize(
    "codes",
    [
        np.arange(-8, 8, dtype=np.int8),
        np.arange(-8, 8, dtype=np.int64)[::-1],
        np.arange(-8, 8, dtype=np.int16).reshape(4, 4).T,
        np.arange(-8, 8, dtype=">i4"),
        [[-8, 7, 0], [1, -1, 3]],
    ],
    ids=["int8", "int64_reversed", "int16_transposed", "big_endian", "list"],
)
def test_code_layouts_backends_agree(codes):
    both(fq.pack_int4_to_int8, codes)
    both(fq.dequantize_from_int4, codes, 0.25, 1)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int64])
def test_unpack_accepts_any_byte_spelling(dtype, rng):
    raw = rng.integers(0, 256, size=99).astype(np.uint8)
    ref = both(fq.unpack_int8_to_int4, raw.view(np.int8))
    spelled = raw.view(np.int8).astype(dtype) if dtype != np.uint8 else raw
    np.testing.assert_array_equal(both(fq.unpack_int8_to_int4, spelled), ref)
    np.testing.assert_array_equal(both(fq.unpack_int8_to_int4, raw.astype(np.int64)), ref)


# --- the seed's 1-D behaviour ---------------------------------------------------------------
@pytest.mark.parametrize("method", ["minmax", "absmax"])
@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 1001])
def test_seed_quantize_and_dequantize_1d(method, n, rng, backend):
    values = (rng.standard_normal(n) * 2).astype(np.float32)
    q, scale, zp = fq.quantize_to_int4(values, method)
    sq, sscale, szp = seed_quantize_to_int4(values, method)
    np.testing.assert_array_equal(q, sq)
    assert q.dtype == sq.dtype and scale == float(sscale) and zp == szp
    d = fq.dequantize_from_int4(q, scale)
    sd = seed_dequantize_from_int4(sq, sscale)
    assert d.dtype == sd.dtype == np.float32
    assert d.tobytes() == sd.tobytes()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 16, 17, 1001])
def test_seed_pack_unpack_1d(n, rng, backend):
    codes = rng.integers(-8, 8, size=n).astype(np.int8)
    packed = fq.pack_int4_to_int8(codes)
    seed_packed = seed_pack_int4_to_int8(codes)
    assert packed.dtype == seed_packed.dtype and packed.tobytes() == seed_packed.tobytes()
    unpacked = fq.unpack_int8_to_int4(packed)
    seed_unpacked = seed_unpack_int8_to_int4(seed_packed)
    assert unpacked.dtype == seed_unpacked.dtype and unpacked.tobytes() == seed_unpacked.tobytes()


def test_ties_round_half_to_even(backend):
    # absmax of 7 gives scale 1, so every x.5 is an exact tie
    values = np.array([7, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 6.5, -6.5, 3.5], np.float32)
    q, scale, _ = fq.quantize_to_int4(values, "absmax")
    assert scale == 1.0
    assert q.tolist() == [7, 0, 2, 2, 0, -2, -2, 6, -6, 4]


def test_scale_zero_becomes_one(backend):
    q, scale, zp = fq.quantize_to_int4(np.zeros(5), "minmax")
    assert (scale, zp, q.tolist()) == (1.0, 0, [0] * 5)
    q, scale, _ = fq.quantize_to_int4(np.full(4, 3.0), "minmax")
    assert scale == 1.0 and q.tolist() == [3] * 4


def test_dequantize_honours_zero_point(backend):
    d = fq.dequantize_from_int4(np.array([-8, 0, 7], np.int8), 0.5, zero_point=2)
    assert d.tolist() == [-5.0, -1.0, 2.5]


def test_unpack_drops_pad_nibble(backend):
    packed = fq.pack_int4_to_int8(np.array([[1, 2, 3], [-4, -5, -6]]))
    assert fq.unpack_int8_to_int4(packed, n=3).tolist() == [[1, 2, 3], [-4, -5, -6]]
    assert fq.unpack_int8_to_int4(packed).tolist() == [[1, 2, 3, 0], [-4, -5, -6, 0]]
    assert fq.dequantize_packed_int4(packed, 1.0, n=3).tolist() == [[1, 2, 3], [-4, -5, -6]]


def test_out_is_written_and_returned(backend, rng):
    codes = _codes((5, 8), rng)
    out = np.empty((5, 4), np.int8)
    assert fq.pack_int4_to_int8(codes, out=out) is out
    np.testing.assert_array_equal(out, fq.pack_int4_to_int8(codes))
    fout = np.empty((5, 8), np.float32)
    assert fq.dequantize_packed_int4(out, 0.5, out=fout) is fout
    np.testing.assert_array_equal(fout, fq.dequantize_from_int4(codes, 0.5))
    iout = np.empty((5, 8), np.int8)
    assert fq.unpack_int8_to_int4(out, out=iout) is iout
    np.testing.assert_array_equal(iout, codes)
    packed, _, _ = fq.quantize_to_packed_int4(fout, out=np.empty((5, 4), np.int8))
    dout = np.empty((5, 8), np.float32)
    assert fq.dequantize_from_int4(codes, 0.5, out=dout) is dout


# --- property tests ---------------------------------------------------------------------------
code_arrays = hnp.arrays(
    np.int8,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=9),
    elements=st.integers(-8, 7),
)
float_values = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.float16]),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
    elements=st.floats(-1e4, 1e4, allow_nan=False, width=16),
)


@settings(max_examples=150, deadline=None)
@given(codes=code_arrays)
def test_property_pack_unpack_round_trip(codes):
    packed = both(fq.pack_int4_to_int8, codes)
    back = both(fq.unpack_int8_to_int4, packed, codes.shape[-1])
    np.testing.assert_array_equal(back, codes)


@settings(max_examples=150, deadline=None)
@given(values=float_values, method=st.sampled_from(METHODS))
def test_property_quantize_round_trip(values, method):
    q, scale, zp = both(fq.quantize_to_int4, values, method)
    packed, pscale, _ = both(fq.quantize_to_packed_int4, values, method)
    assert pscale == scale
    back = both(fq.dequantize_packed_int4, packed, scale, zp, values.shape[-1])
    np.testing.assert_array_equal(back, both(fq.dequantize_from_int4, q, scale, zp))
    # every value within half a step of its decode, except where the codes saturate
    v = values.astype(np.float32)
    inside = (v / np.float32(scale) >= -8 - zp) & (v / np.float32(scale) <= 7 - zp)
    err = np.abs(back.astype(np.float64) - v.astype(np.float64))[inside]
    assert (err <= scale * 0.5 * (1 + 1e-5) + 1e-30).all()
