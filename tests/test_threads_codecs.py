"""threads= on the embedding and affine codecs: any split gives the bytes of one call (and of
the twins); bad values are a ValueError naming ``threads``. (int4: tests/test_threads.py.)"""

import numpy as np
import pytest

import fastquant as fq
from test_threads import BAD, assert_split_matches_one_call
from _support import assert_identical, both

SHAPES = {
    "even_1d": (5000,),        # splits at GRAIN multiples
    "odd_1d": (4099,),         # odd length: a partial sign-bit byte stays with the last chunk
    "small": (37,),            # splits at single units
    "rows_odd": (7, 33),       # rows that do not end on a byte: whole rows per thread
    "rows_even": (9, 64),      # rows of whole bytes: joined and split
    "nd": (3, 4, 5, 6),
    "few_rows_odd": (2, 301),  # fewer rows than threads
}


def _floats(shape, rng):
    x = (rng.standard_normal(shape) * 0.6).astype(np.float32)
    x.flat[::7] = 0.0  # sign bits of zeros, exact halves
    return x


def _int8(shape, rng):
    return rng.integers(-128, 128, shape, dtype=np.int8)


def _uint8(shape, rng):
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _signs(dtype):
    def make(shape, rng):
        n = shape[-1]
        return rng.integers(0, 256, shape[:-1] + ((n + 7) // 8,), dtype=np.uint8).view(dtype), n
    return make


def _channels(shape, axis, rng):
    c = shape[axis]
    return (rng.random(c) * 0.1 + 0.01).astype(np.float32), rng.integers(-20, 20, c)


def _affine(fn_name, axis):
    def call(x, **k):
        scales, zps = _channels(x.shape, axis, np.random.default_rng(x.size))
        if fn_name == "quantize_func":
            return fq.quantize_func(x, scales, zps, 8, axis=axis, **k)
        return fq.dequantize_func(x, scales, zps, axis=axis, **k)
    call.min_ndim = axis + 1 if axis >= 0 else 1
    return call


CALLS = {
    "dequantize_fp8": (lambda x, **k: fq.dequantize(x, "fp8", **k), _floats),
    "dequantize_int8": (lambda x, **k: fq.dequantize(x, "int8", **k), _int8),
    "dequantize_uint8": (lambda x, **k: fq.dequantize(x, "uint8", **k), _uint8),
    "dequantize_binary": (lambda xn, **k: fq.dequantize(xn[0], "binary", xn[1], **k), _signs(np.int8)),
    "dequantize_ubinary": (lambda xn, **k: fq.dequantize(xn[0], "ubinary", xn[1], **k), _signs(np.uint8)),
    "quantize_int8": (lambda x, **k: fq.quantize_embeddings(x, "int8", **k), _floats),
    "quantize_uint8": (lambda x, **k: fq.quantize_embeddings(x, "uint8", **k), _floats),
    "quantize_binary": (lambda x, **k: fq.quantize_embeddings(x, "binary", **k), _floats),
    "quantize_ubinary": (lambda x, **k: fq.quantize_embeddings(x, "ubinary", **k), _floats),
    "quantize_func_tensor": (lambda x, **k: fq.quantize_func(x, 0.03, 5, 8, **k), _floats),
    "quantize_func_16bit": (lambda x, **k: fq.quantize_func(x, 1e-4, -7, 16, signed=False, **k), _floats),
    "quantize_func_axis0": (_affine("quantize_func", 0), _floats),
    "quantize_func_axis_last": (_affine("quantize_func", -1), _floats),
    "dequantize_func_tensor": (lambda x, **k: fq.dequantize_func(x, 0.03, 5, **k), _int8),
    "dequantize_func_axis0": (_affine("dequantize_func", 0), _int8),
    "dequantize_func_axis_last": (_affine("dequantize_func", -1), _uint8),
    "dequantize_func_int32": (lambda x, **k: fq.dequantize_func(x.astype(np.int32) << 20, 0.5, -3, **k), _int8),
}
# per channel on a middle axis of the N-D shape
CALLS["quantize_func_axis1"] = (_affine("quantize_func", 1), _floats)
CALLS["dequantize_func_axis1"] = (_affine("dequantize_func", 1), _int8)


@pytest.mark.parametrize(
    "call,shape",
    [
        pytest.param(call, shape, id=f"{ckey}-{skey}")
        for ckey, call in CALLS.items()
        for skey, shape in SHAPES.items()
        if getattr(call[0], "min_ndim", 1) <= len(shape)  # per channel on axis 1 needs 2 dims
    ],
)
@pytest.mark.parametrize("threads", [2, 4])
def test_threads_give_the_bytes_of_one_call(call, shape, threads, rng, monkeypatch):
    fn, make = call
    assert_split_matches_one_call(fn, make(shape, rng), threads, monkeypatch)


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_bad_threads_is_a_value_error_naming_it(call, bad, rng):
    fn, make = call
    with pytest.raises(ValueError, match="threads"):
        fn(make((2, 8), rng), threads=bad)


@pytest.mark.parametrize("quant,dtype", [("int8", np.int8), ("uint8", np.uint8)])
def test_every_code_decodes_as_the_float32_division(quant, dtype, backend):
    """All 256 codes: the double-precision reciprocal multiply of the kernels is exact."""
    codes = np.arange(256, dtype=np.uint8).view(dtype)
    want = codes.astype(np.float32) / np.float32(127 if quant == "int8" else 127.5)
    if quant == "uint8":
        want = want - np.float32(1)
    assert_identical(fq.dequantize(codes, quant), want)
    assert_identical(both(fq.dequantize, codes, quant), want)


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (0, 4), (2, 3, 5), (4, 0)])
@pytest.mark.parametrize("quant,dtype", [("int8", np.int8), ("uint8", np.uint8),
                                         ("binary", np.int8), ("ubinary", np.uint8)])
def test_the_direct_small_decode_equals_the_general_path(quant, dtype, shape, rng):
    """dequantize's shortcut for plain small calls gives what the checked path gives
    (threads=1 takes the checked path), for every orig_dim that fits."""
    q = rng.integers(0, 256, shape, dtype=np.uint8).view(dtype)
    m = shape[-1]
    if quant in ("binary", "ubinary") and m == 0:  # no orig_dim fits an empty packed axis
        for kwargs in ({}, {"threads": 1}):
            with pytest.raises(ValueError, match="^orig_dim: "):
                fq.dequantize(q, quant, 1, **kwargs)
        return
    dims = [None] if quant in ("int8", "uint8") else range(max(1, 8 * m - 7), 8 * m + 1)
    for orig_dim in dims:
        assert_identical(both(fq.dequantize, q, quant, orig_dim),
                         both(fq.dequantize, q, quant, orig_dim, threads=1))
