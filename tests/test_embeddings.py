"""Embedding codecs (SPEC 2 and 6): both backends bit-identical, the seed examples, round trips."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastquant as fq
from _oracles import require
from _support import both, float_arrays, params

FLOATS = float_arrays()
PRECISIONS = ["int8", "uint8", "binary", "ubinary"]
SIGN_BITS = ["binary", "ubinary"]
CODE_DTYPE = {"int8": np.int8, "uint8": np.uint8, "binary": np.int8, "ubinary": np.uint8}

# --- SPEC 6: the provider's example vector and its codes -------------------------------------
EMBED_FLOAT = [-0.11944580078125, -0.2734375, 0.040771484375, 0.3056640625, -0.1470947265625,
               -0.11749267578125, 0.0799560546875, 0.08282470703125, -0.04205322265625,
               0.220947265625, 0.0015048980712890625, -0.00397491455078125,
               -0.01099395751953125, -0.052642822265625, 0.0504150390625, 0.01605224609375,
               0.029693603515625, -0.024078369140625]
EMBED_INT = [-15, -35, 5, 39, -19, -15, 10, 11, -5, 28, 0, 0, -2, -7, 6, 2, 4, -3]
EMBED_UINT = [112, 93, 133, 166, 109, 112, 138, 138, 122, 156, 128, 127, 126, 121, 134, 130, 131, 124]
EMBED_BIN = [-77, -29, 0]
EMBED_UBIN = [51, 99, 128]


def _random_codes(quant, shape, rng):
    lo, hi = np.iinfo(CODE_DTYPE[quant]).min, np.iinfo(CODE_DTYPE[quant]).max
    return rng.integers(lo, hi + 1, size=shape, dtype=CODE_DTYPE[quant])


def _signs(x):
    """The contract of sign-bit decode(encode(x)): +1 where float32(x) > 0, else -1."""
    return np.where(np.asarray(x, np.float32) > 0, np.float32(1), np.float32(-1))


# --- SPEC 6 seed examples ----------------------------------------------------------------------
def test_seed_sign_bit_codes_exact(backend):
    assert fq.quantize_embeddings(EMBED_FLOAT, "binary").tolist() == EMBED_BIN
    assert fq.quantize_embeddings(EMBED_FLOAT, "ubinary").tolist() == EMBED_UBIN
    assert fq.quantize_embeddings(EMBED_FLOAT, "binary").dtype == np.int8
    assert fq.quantize_embeddings(EMBED_FLOAT, "ubinary").dtype == np.uint8


@pytest.mark.parametrize("precision,codes", [("int8", EMBED_INT), ("uint8", EMBED_UINT)])
def test_seed_byte_codes_within_one_step(precision, codes, backend):
    q = fq.quantize_embeddings(EMBED_FLOAT, precision)
    assert q.dtype == CODE_DTYPE[precision]
    assert np.abs(q.astype(int) - np.array(codes)).max() <= 1


@pytest.mark.parametrize("quant,codes,step", [("int8", EMBED_INT, 1 / 127), ("uint8", EMBED_UINT, 1 / 127.5)])
def test_seed_dequantize_within_one_step(quant, codes, step, backend):
    d = fq.dequantize(codes, quant)
    assert d.dtype == np.float32 and d.shape == (18,)
    assert np.abs(d.astype(np.float64) - np.array(EMBED_FLOAT)).max() <= step


@pytest.mark.parametrize("quant,codes", [("binary", EMBED_BIN), ("ubinary", EMBED_UBIN)])
def test_seed_sign_bits_decode_to_signs(quant, codes, backend):
    d = fq.dequantize(codes, quant, orig_dim=18)
    assert d.dtype == np.float32 and d.shape == (18,)
    np.testing.assert_array_equal(d, np.sign(EMBED_FLOAT))  # no zeros in EMBED_FLOAT


def test_seed_binary_equals_ubinary(backend):
    b = fq.dequantize(EMBED_BIN, "binary", orig_dim=18)
    u = fq.dequantize(EMBED_UBIN, "ubinary", orig_dim=18)
    assert b.tobytes() == u.tobytes()


def test_binary_int8_array_under_numpy2(backend):
    # the seed's `q + 128` overflows int8 under NumPy 2; the codec must not
    q = np.array(EMBED_BIN, np.int8)
    np.testing.assert_array_equal(fq.dequantize(q, "binary", orig_dim=18), np.sign(EMBED_FLOAT))
    np.testing.assert_array_equal(fq.dequantize(np.array([127, -128], np.int8), "binary", orig_dim=16),
                                  [1.0] * 8 + [-1.0] * 8)  # bytes 255 and 0


# --- cross-checks: both backends, bit for bit ------------------------------------------------
@pytest.mark.parametrize("orig_dim", range(1, 65))
@pytest.mark.parametrize("quant", SIGN_BITS)
def test_sign_bits_every_orig_dim(quant, orig_dim, rng):
    x = rng.standard_normal((3, 5, orig_dim)).astype(np.float32)
    x[0, 0, : orig_dim // 2] = 0.0  # zero encodes as bit 0
    q = both(fq.quantize_embeddings, x, quant)
    assert q.shape == (3, 5, (orig_dim + 7) // 8) and q.dtype == CODE_DTYPE[quant]
    d = both(fq.dequantize, q, quant, orig_dim)
    np.testing.assert_array_equal(d, _signs(x))
    # random bytes, pad bits included, decode the same on both backends
    codes = _random_codes(quant, (4, (orig_dim + 7) // 8), rng)
    assert both(fq.dequantize, codes, quant, orig_dim).shape == (4, orig_dim)


SHAPES = [(0,), (1,), (7,), (1000,), (1001,), (3, 0), (0, 5), (1, 9), (7, 33), (2, 3, 17), (64, 128)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("quant", ["int8", "uint8", "binary", "ubinary", "fp8"])
def test_dequantize_backends_agree(quant, shape, rng):
    if quant == "fp8":
        q = (rng.standard_normal(shape) * 3).astype(np.float32)
        d = both(fq.dequantize, q, quant)
        assert d.tobytes() == q.tobytes() and d is not q
        return
    q = _random_codes(quant, shape, rng)
    if quant in SIGN_BITS:
        if shape[-1] == 0:  # no orig_dim >= 1 fits an empty packed axis
            with pytest.raises(ValueError, match="orig_dim"):
                fq.dequantize(q, quant, 1)
            return
        for orig_dim in {8 * shape[-1] - 7, 8 * shape[-1] - 3, 8 * shape[-1]}:
            d = both(fq.dequantize, q, quant, orig_dim)
            assert d.shape == shape[:-1] + (orig_dim,) and d.dtype == np.float32
    else:
        d = both(fq.dequantize, q, quant)
        assert d.shape == shape and d.dtype == np.float32


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("x", params(FLOATS))
def test_quantize_backends_agree(x, precision):
    q = both(fq.quantize_embeddings, x, precision)
    assert q.dtype == CODE_DTYPE[precision]
    if precision in SIGN_BITS:
        assert q.shape == np.shape(x)[:-1] + ((np.shape(x)[-1] + 7) // 8,)
        np.testing.assert_array_equal(both(fq.dequantize, q, precision, np.shape(x)[-1]), _signs(x))
    else:
        assert q.shape == np.shape(x)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_quantize_every_length_and_offset(precision, rng):
    # the kernels work 16 floats at a time: every tail length, and unaligned starts
    x = (rng.standard_normal(80) * 0.7).astype(np.float32)
    x[::5] = np.round(x[::5] * 127) / 127  # near-ties
    for n in range(0, 41):
        for start in (0, 1, 3):
            both(fq.quantize_embeddings, x[start:start + n], precision)
    x[37] = np.nan  # NaN in the vector part and in the scalar tail
    for sl in (slice(0, 48), slice(30, 40)):
        with pytest.raises(ValueError):
            both(fq.quantize_embeddings, x[sl], precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_quantize_random_bit_patterns(precision, rng):
    # every kind of float32: subnormals, huge values, +-inf, both zeros (NaN is an error)
    x = rng.integers(0, 2**32, size=(257, 64), dtype=np.uint32).view(np.float32)
    x[np.isnan(x)] = np.float32(0.75)
    both(fq.quantize_embeddings, x, precision)
    both(fq.quantize_embeddings, x / np.float32(3e37), precision)  # mostly inside [-1, 1]


@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_quantize_zero_d(precision):
    assert both(fq.quantize_embeddings, np.float32(0.5), precision).shape == ()


@pytest.mark.parametrize(
    "codes",
    [
        np.arange(-128, 128, dtype=np.int8)[::-1],
        np.arange(-128, 128, dtype=np.int16).reshape(16, 16).T,
        np.arange(-128, 128, dtype=">i4"),
        np.arange(-128, 128, dtype=np.int64)[::3],
        np.arange(-128, 128).tolist(),
    ],
    ids=["int8_reversed", "int16_transposed", "big_endian", "int64_strided", "list"],
)
@pytest.mark.parametrize("quant", ["int8", "binary"])
def test_signed_code_layouts(codes, quant):
    orig_dim = np.shape(codes)[-1] * 8 if quant == "binary" else None
    ref = np.asarray(codes).astype(np.int8)
    d = both(fq.dequantize, codes, quant, orig_dim)
    np.testing.assert_array_equal(d, both(fq.dequantize, np.ascontiguousarray(ref), quant, orig_dim))


@pytest.mark.parametrize(
    "codes",
    [
        np.arange(256, dtype=np.uint8)[::-1],
        np.arange(256, dtype=np.uint16).reshape(16, 16).T,
        np.arange(256, dtype=">u2"),
        np.arange(256, dtype=np.int64)[::3],
        list(range(256)),
    ],
    ids=["uint8_reversed", "uint16_transposed", "big_endian", "int64_strided", "list"],
)
@pytest.mark.parametrize("quant", ["uint8", "ubinary"])
def test_unsigned_code_layouts(codes, quant):
    orig_dim = np.shape(codes)[-1] * 8 - 5 if quant == "ubinary" else None
    ref = np.asarray(codes).astype(np.uint8)
    d = both(fq.dequantize, codes, quant, orig_dim)
    np.testing.assert_array_equal(d, both(fq.dequantize, np.ascontiguousarray(ref), quant, orig_dim))


@pytest.mark.parametrize("quant", ["int8", "uint8", "fp8"])
def test_empty_list_decodes_to_empty(quant):
    # NumPy reads [] as float64; an empty list still holds no wrong codes
    assert both(fq.dequantize, [], quant).shape == (0,)
    assert both(fq.dequantize, [[], []], quant).shape == (2, 0)


def test_read_only_codes(rng):
    for quant in PRECISIONS:
        q = _random_codes(quant, (5, 6), rng)
        q.flags.writeable = False
        both(fq.dequantize, q, quant, 48 if quant in SIGN_BITS else None)


def test_fp8_passes_values_through(backend):
    q = np.array([np.nan, -np.inf, np.inf, -0.0, 1.5, 3e38], np.float64)
    d = fq.dequantize(q, "fp8")
    assert d.dtype == np.float32
    assert d.tobytes() == q.astype(np.float32).tobytes()  # NaN kept, -0.0 kept
    be = np.array([1.25, -2.5], ">f4")
    assert fq.dequantize(be, "fp8").tolist() == [1.25, -2.5]
    assert fq.dequantize(q, "fp8", orig_dim=6).shape == (6,)


# --- exact formulas --------------------------------------------------------------------------
def test_decode_divides_not_multiplies(backend):
    for quant, dtype, div, sub in [("int8", np.int8, 127, 0), ("uint8", np.uint8, 127.5, 1)]:
        codes = np.arange(np.iinfo(dtype).min, np.iinfo(dtype).max + 1).astype(dtype)
        d = fq.dequantize(codes, quant)
        want = [np.float32(c) / np.float32(div) - np.float32(sub) for c in codes]
        assert d.tobytes() == np.array(want, np.float32).tobytes()
        recip = codes.astype(np.float32) * (np.float32(1) / np.float32(div)) - np.float32(sub)
        assert (d != recip).sum() > 0  # the reciprocal would be a different codec


def test_encode_ties_and_saturation(backend):
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1e6, -1e6, np.inf, -np.inf, -0.0], np.float32) / np.float32(127)
    x[5:9] = [1e6, -1e6, np.inf, -np.inf]
    q = fq.quantize_embeddings(x, "int8")
    assert q.tolist() == np.clip(np.round(x * np.float32(127)), -128, 127).astype(int).tolist()
    assert q[5:9].tolist() == [127, -128, 127, -128]
    u = fq.quantize_embeddings(np.array([-1.0, 1.0, np.inf, -np.inf, 3.0, -3.0], np.float32), "uint8")
    assert u.tolist() == [0, 255, 255, 0, 255, 0]
    # (x + 1) * 127.5 lands on .5 for x = k / 127.5 - 1 with k + 0.5: ties go to even
    k = np.arange(0, 255, dtype=np.float32)
    ties = (k + np.float32(0.5)) / np.float32(127.5) - np.float32(1)
    v = (ties + np.float32(1)) * np.float32(127.5)
    exact = v == np.floor(v) + np.float32(0.5)
    got = fq.quantize_embeddings(ties, "uint8").astype(np.float32)
    np.testing.assert_array_equal(got[exact], np.round(v[exact]))
    assert (got[exact] % 2 == 0).all()


def test_sign_bits_zero_and_inf(backend):
    x = np.array([0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 3.0, -3.0, 2.0], np.float32)
    assert fq.quantize_embeddings(x, "ubinary").tolist() == [0b00101010, 0b10000000]
    assert fq.quantize_embeddings(x, "binary").tolist() == [0b00101010 - 128, 0]


def test_batches_equal_rows(backend, rng):
    x = rng.standard_normal((6, 37)).astype(np.float32)
    for precision in PRECISIONS:
        q = fq.quantize_embeddings(x, precision)
        rows = np.stack([fq.quantize_embeddings(row, precision) for row in x])
        np.testing.assert_array_equal(q, rows)
        dim = 37 if precision in SIGN_BITS else None
        d = fq.dequantize(q, precision, dim)
        np.testing.assert_array_equal(d, np.stack([fq.dequantize(r, precision, dim) for r in q]))


def test_out_is_written_and_returned(backend, rng):
    x = rng.standard_normal((5, 20)).astype(np.float32)
    for precision in PRECISIONS:
        want = fq.quantize_embeddings(x, precision)
        out = np.empty_like(want)
        assert fq.quantize_embeddings(x, precision, out=out) is out
        np.testing.assert_array_equal(out, want)
        dim = 20 if precision in SIGN_BITS else None
        fout = np.empty((5, 20), np.float32)
        assert fq.dequantize(out, precision, dim, out=fout) is fout
        np.testing.assert_array_equal(fout, fq.dequantize(want, precision, dim))
    fout = np.empty((5, 20), np.float32)
    assert fq.dequantize(x, "fp8", out=fout) is fout
    assert fout.tobytes() == x.tobytes()


# --- round trips -----------------------------------------------------------------------------
@pytest.mark.parametrize("quant", ["int8", "uint8"])
def test_every_code_survives_decode_encode(quant, backend):
    dtype = CODE_DTYPE[quant]
    codes = np.arange(np.iinfo(dtype).min, np.iinfo(dtype).max + 1).astype(dtype)
    back = fq.quantize_embeddings(fq.dequantize(codes, quant), quant)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, codes)


@pytest.mark.parametrize("quant", SIGN_BITS)
def test_every_byte_survives_decode_encode(quant, backend):
    codes = np.arange(256).astype(np.uint8).view(CODE_DTYPE[quant]).reshape(32, 8)
    back = fq.quantize_embeddings(fq.dequantize(codes, quant, 64), quant)
    np.testing.assert_array_equal(back, codes)


@pytest.mark.parametrize("quant,step", [("int8", 1 / 127), ("uint8", 1 / 127.5)])
def test_random_floats_survive_within_one_step(quant, step, rng, backend):
    lo = -128 / 127 if quant == "int8" else -1.0
    x = rng.uniform(lo, 1.0, size=(40, 129)).astype(np.float32)
    back = fq.dequantize(fq.quantize_embeddings(x, quant), quant)
    assert np.abs(back.astype(np.float64) - x).max() <= step / 2 + 1e-6


code_arrays = st.sampled_from(PRECISIONS).flatmap(
    lambda quant: st.tuples(
        st.just(quant),
        hnp.arrays(CODE_DTYPE[quant], hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9)),
    )
)
float_values = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.float16]),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=19),
    elements=st.floats(-1.25, 1.25, allow_nan=False, width=16),
)


@settings(max_examples=150, deadline=None)
@given(case=code_arrays)
def test_property_codes_survive_decode_encode(case):
    quant, codes = case
    dim = 8 * codes.shape[-1] if quant in SIGN_BITS else None
    d = both(fq.dequantize, codes, quant, dim)
    np.testing.assert_array_equal(both(fq.quantize_embeddings, d, quant), codes)


@settings(max_examples=150, deadline=None)
@given(x=float_values, precision=st.sampled_from(PRECISIONS))
def test_property_floats_survive_encode_decode(x, precision):
    q = both(fq.quantize_embeddings, x, precision)
    dim = x.shape[-1] if precision in SIGN_BITS else None
    if precision in SIGN_BITS and dim == 0:
        assert q.shape == x.shape
        return
    back = both(fq.dequantize, q, precision, dim)
    v = x.astype(np.float32).astype(np.float64)
    if precision in SIGN_BITS:
        np.testing.assert_array_equal(back, _signs(x))
        return
    step = 1 / 127 if precision == "int8" else 1 / 127.5
    lo, hi = (-128 / 127, 1.0) if precision == "int8" else (-1.0, 1.0)
    inside = (v >= lo) & (v <= hi)
    err = np.abs(back.astype(np.float64) - v)
    assert (err[inside] <= step / 2 + 1e-6).all()  # nearest code, up to float32 rounding
    assert (err <= np.maximum(step, np.abs(v) - 1 + step)).all()  # saturated ends stay at the end


# --- torch -----------------------------------------------------------------------------------
def test_torch_in_torch_out():
    torch = require("torch")
    x = torch.tensor([EMBED_FLOAT, EMBED_FLOAT[::-1]])
    for precision in PRECISIONS:
        q = both(fq.quantize_embeddings, x, precision)
        assert isinstance(q, torch.Tensor) and q.device == x.device
        assert q.dtype == {"int8": torch.int8, "uint8": torch.uint8, "binary": torch.int8, "ubinary": torch.uint8}[precision]
        np.testing.assert_array_equal(q.numpy(), fq.quantize_embeddings(x.numpy(), precision))
        d = both(fq.dequantize, q, precision, 18 if precision in SIGN_BITS else None)
        assert isinstance(d, torch.Tensor) and d.dtype == torch.float32 and d.shape[-1] == 18
    d = both(fq.dequantize, x.to(torch.float16), "fp8")
    assert isinstance(d, torch.Tensor) and d.dtype == torch.float32


def test_torch_float8_through_fp8():
    torch = require("torch")
    if not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("this torch has no float8_e4m3fn")
    t = torch.tensor([0.5, -1.75, 448.0, 0.0]).to(torch.float8_e4m3fn)
    d = both(fq.dequantize, t, "fp8")
    assert isinstance(d, torch.Tensor) and d.tolist() == [0.5, -1.75, 448.0, 0.0]

