"""fastquant.dask: every function on dask arrays of many chunkings equals the NumPy function on
the whole array, byte for byte (the NumPy functions are checked against their oracles in their
own tests), on every backend; wrong chunkings and arguments fail before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

from _storage import embeddings, need
from _support import assert_identical, both

(dask,) = need("dask")

import dask.array as da  # noqa: E402

import fastquant as fq  # noqa: E402
import fastquant.dask as fqd  # noqa: E402
import fastquant.gguf as fg  # noqa: E402

SHAPE = (29, 48)
CHUNKINGS = {"one": SHAPE, "rows": (7, 48), "grid8": (10, 16), "grid_odd_last": (5, (24, 16, 8))}


def byte_chunkings(shape) -> list:
    """Chunkings of codes whose last axis has ``m`` bytes: any split works for unpacking."""
    m = shape[-1]
    return [-1, (6, 2), ((10, shape[0] - 10), (1, m - 3, 2))]


def _same(lazy, numpy_result):
    with dask.config.set(scheduler="synchronous"):
        if isinstance(numpy_result, tuple):
            assert isinstance(lazy, tuple) and len(lazy) == len(numpy_result)
            assert_identical(lazy[0].compute(), numpy_result[0])
            assert_identical(lazy[1:], numpy_result[1:])
            return numpy_result
        assert isinstance(lazy, da.Array)
        assert lazy.dtype == numpy_result.dtype and lazy.shape == numpy_result.shape
        assert_identical(lazy.compute(), numpy_result)
    return numpy_result


def _check(dask_fn, numpy_fn, x_np, chunks, *args, **kwargs):
    """``dask_fn`` on ``x_np`` chunked as given equals ``numpy_fn`` on the whole array; both
    computed on every backend (and the backends agree)."""
    x = da.from_array(x_np, chunks=chunks)
    expected = both(lambda a: numpy_fn(a, *args, **kwargs), x_np)
    both(lambda a: _same(dask_fn(x, *args, **kwargs), expected), x_np)


@pytest.fixture(scope="module")
def data():
    return embeddings(np.random.default_rng(77), SHAPE)


@pytest.mark.parametrize("chunks", CHUNKINGS.values(), ids=CHUNKINGS.keys())
@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
def test_embeddings(data, precision, chunks):
    _check(fqd.quantize_embeddings, fq.quantize_embeddings, data, chunks, precision)
    q = fq.quantize_embeddings(data, precision)
    dim = SHAPE[1] if precision in ("binary", "ubinary") else None
    for qchunks in byte_chunkings(q.shape):
        _check(fqd.dequantize, fq.dequantize, q, qchunks, precision, dim)


def test_sign_bits_of_an_odd_dimension(data):
    x = data[:, :45]
    _check(fqd.quantize_embeddings, fq.quantize_embeddings, x, (8, (16, 24, 5)), "binary")
    q = fq.quantize_embeddings(x, "ubinary")
    _check(fqd.dequantize, fq.dequantize, q, (8, (2, 3, 1)), "ubinary", 45)
    _check(fqd.dequantize, fq.dequantize, q, (8, -1), "ubinary", 41)


@pytest.mark.parametrize("scale_method", ["minmax", "absmax"])
@pytest.mark.parametrize("chunks", CHUNKINGS.values(), ids=CHUNKINGS.keys())
def test_int4(data, chunks, scale_method):
    """The scale comes from dask reductions first; it equals the whole array's."""
    _check(fqd.quantize_to_int4, fq.quantize_to_int4, data, chunks, scale_method)
    _check(fqd.quantize_to_packed_int4, fq.quantize_to_packed_int4, data, chunks, scale_method)
    q, scale, _ = fq.quantize_to_int4(data, scale_method)
    _check(fqd.dequantize_from_int4, fq.dequantize_from_int4, q, chunks, scale, 2)
    _check(fqd.pack_int4_to_int8, fq.pack_int4_to_int8, q, chunks)


@pytest.mark.parametrize("n", [None, 47, 48])
def test_int4_unpack(data, n):
    q, scale, _ = fq.quantize_to_int4(data[:, :47])
    packed = fq.pack_int4_to_int8(q)
    for qchunks in byte_chunkings(packed.shape):
        _check(fqd.unpack_int8_to_int4, fq.unpack_int8_to_int4, packed, qchunks, n)
        _check(fqd.dequantize_packed_int4, fq.dequantize_packed_int4, packed, qchunks, scale, -1, n)


def test_int4_scale_spans_chunks():
    """A range whose ends lie in different chunks (per-chunk scales would differ)."""
    x = np.linspace(-1, 3, 64, dtype=np.float32).reshape(8, 8)
    _check(fqd.quantize_to_int4, fq.quantize_to_int4, x, (2, 4))
    _check(fqd.quantize_to_packed_int4, fq.quantize_to_packed_int4, x.astype(np.float64) * 1.1, (4, 2), "absmax")


@pytest.mark.parametrize("chunks", CHUNKINGS.values(), ids=CHUNKINGS.keys())
def test_affine(data, chunks, rng):
    _check(fqd.quantize_func, fq.quantize_func, data, chunks, 0.01, 3)
    _check(fqd.quantize_func, fq.quantize_func, data, chunks, 0.001, 100, 12, signed=False)
    scales = rng.uniform(0.002, 0.02, SHAPE[1]).astype(np.float32)
    zps = rng.integers(-20, 20, SHAPE[1]).astype(np.int32)
    _check(fqd.quantize_func, fq.quantize_func, data, chunks, scales, zps, 7, axis=1)
    _check(fqd.quantize_func, fq.quantize_func, data, chunks, scales[:29], 5, axis=-2)
    codes = fq.quantize_func(data, scales, zps, 7, axis=1)
    _check(fqd.dequantize_func, fq.dequantize_func, codes, chunks, scales, zps, axis=1)
    _check(fqd.dequantize_func, fq.dequantize_func, codes, chunks, 0.5, -2)


@pytest.fixture(scope="module")
def calibration():
    """Calibration rows whose minima and maxima include zeros of both signs in one column
    (NumPy's ranges have +0.0 there), a constant column and float64 values."""
    c = np.random.default_rng(8).standard_normal((23, SHAPE[1])) * 0.3
    c[:, 0] = 0.0
    c[5, 0] = -0.0
    c[:, 1] = -0.0
    c[:, 2] = 0.125
    c[[3, 17], 4] = [-0.0, 0.0]
    c[:, 4] = np.abs(c[:, 4])
    return c  # float64: converted to float32 first, as NumPy does


@pytest.mark.parametrize("chunks", CHUNKINGS.values(), ids=CHUNKINGS.keys())
@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_calibrated_ranges(data, calibration, precision, chunks):
    """ranges= sliced to each chunk's columns; calibration_embeddings= reduced first."""
    ranges = fq.calibration_ranges(calibration)
    _check(fqd.quantize_embeddings, fq.quantize_embeddings, data, chunks, precision, ranges=ranges)
    q = fq.quantize_embeddings(data, precision, ranges=ranges)
    _check(fqd.dequantize, fq.dequantize, q, chunks, precision, ranges=ranges)
    for cchunks in ((5, 48), (23, (7, 41))):
        lazy = da.from_array(calibration, chunks=cchunks)
        with dask.config.set(scheduler="synchronous"):
            assert_identical(fqd.calibration_ranges(lazy), ranges)
        _check(fqd.quantize_embeddings, fq.quantize_embeddings, data, chunks, precision,
               calibration_embeddings=lazy if cchunks[0] == 5 else calibration)
    assert_identical(both(lambda a: fqd.quantize_embeddings(da.from_array(a, chunks=chunks), precision,
                                                            calibration_embeddings=da.from_array(calibration)).compute(),
                          data), fq.quantize_embeddings(data, precision, calibration_embeddings=calibration))


def test_calibration_ranges_of_integers_and_one_row(data):
    ints = np.random.default_rng(4).integers(-2**30, 2**30, (9, 5))  # float32 rounds these
    with dask.config.set(scheduler="synchronous"):
        assert_identical(fqd.calibration_ranges(da.from_array(ints, chunks=2)), fq.calibration_ranges(ints))
        assert_identical(fqd.calibration_ranges(data[:1]), fq.calibration_ranges(data[:1]))


GGUF_DECODE_CASES = [("Q4_0", (6, 4 * 18), [(2, 36), ((5, 1), (18, 54))]),
                     ("Q4_K", (3, 2 * 144), [(1, 144), (2, -1)]),
                     ("IQ2_XXS", (2, 66), [(1, -1)]),
                     ("BF16", (4, 10), [(3, (4, 6)), (2, 2)])]


@pytest.mark.parametrize("qtype,shape,chunkings", GGUF_DECODE_CASES, ids=[c[0] for c in GGUF_DECODE_CASES])
def test_gguf_dequantize(qtype, shape, chunkings):
    """Random bytes (fp16 scales of every kind included), chunked in whole blocks; int16 data
    is read as its bytes, as NumPy reads it."""
    raw = np.random.default_rng(9).integers(0, 256, shape, dtype=np.uint8)
    for chunks in chunkings:
        _check(fqd.gguf.dequantize, fg.dequantize, raw, chunks, qtype)
    if shape[-1] % 2 == 0:
        wide = raw.view(np.int16)
        unit = fg.QUANT_SIZES[qtype][1] // 2 if fg.QUANT_SIZES[qtype][1] % 2 == 0 else fg.QUANT_SIZES[qtype][1]
        _check(fqd.gguf.dequantize, fg.dequantize, wide, (2, unit), qtype)


def test_gguf_module_doc():
    import doctest

    import fastquant.dask.gguf

    result = doctest.testmod(fastquant.dask.gguf)
    assert result.attempted >= 1 and result.failed == 0


def test_numpy_input_is_accepted(data):
    assert_identical(fqd.quantize_embeddings(data, "int8").compute(scheduler="synchronous"),
                     fq.quantize_embeddings(data, "int8"))


GGUF_ENCODE_CASES = [("Q4_0", [(7, 32), ((20, 9), (64, 64, 128))]), ("Q4_K", [(5, 256)]), ("F16", [(10, (100, 156))]),
                     ("BF16", [(29, 8)]), ("MXFP4", [(3, 96)])]


@pytest.mark.parametrize("qtype,chunkings", GGUF_ENCODE_CASES, ids=[c[0] for c in GGUF_ENCODE_CASES])
def test_gguf_quantize(qtype, chunkings):
    x = embeddings(np.random.default_rng(12), (29, 256))
    for chunks in chunkings:
        _check(fqd.gguf.quantize, fg.quantize, x, chunks, qtype)


# ---------------------------------------------------------------- fastquant.dask.floats

import fastquant.floats as ff  # noqa: E402

FLOAT_DATA = embeddings(np.random.default_rng(31), (29, 96)) * np.float32(40)


@pytest.mark.parametrize("chunks", [(7, 96), (10, (40, 56)), (29, 1)], ids=["rows", "grid", "columns"])
@pytest.mark.parametrize("fmt,saturate", [("float8_e4m3fn", False), ("float8_e5m2", True), ("float6_e2m3fn", True),
                                          ("float4_e2m1fn", False), ("float8_e8m0fnu", False)])
def test_floats_encode_decode(fmt, saturate, chunks):
    _check(fqd.floats.encode, ff.encode, FLOAT_DATA, chunks, fmt, saturate=saturate)
    codes = ff.encode(FLOAT_DATA, fmt, saturate=saturate)
    _check(fqd.floats.decode, ff.decode, codes, chunks, fmt)


@pytest.mark.parametrize("fmt,block_size,axis,chunkings", [
    ("float8_e4m3fn", 32, -1, [(7, 32), ((20, 9), (64, 32))]),
    ("float4_e2m1fn", 16, -1, [(29, 48), (3, (16, 80))]),
    ("float6_e3m2fn", 29, 0, [(29, 10), (29, (50, 46))]),
    ("float8_e5m2", 8, -1, [(10, 8)]),
])
def test_floats_mx(fmt, block_size, axis, chunkings):
    """quantize_mx's codes and scales (from the same tasks) and dequantize_mx (scales of any
    chunking, rechunked to the codes) equal NumPy on the whole array."""
    x = FLOAT_DATA.copy()
    x[3, 5] = np.nan  # a NaN block
    codes, scales = ff.quantize_mx(x, fmt, block_size=block_size, axis=axis)
    for chunks in chunkings:
        lazy_codes, lazy_scales = both(lambda a: fqd.floats.quantize_mx(da.from_array(a, chunks=chunks), fmt,
                                                                         block_size=block_size, axis=axis), x)
        with dask.config.set(scheduler="synchronous"):
            got_codes, got_scales = dask.compute(lazy_codes, lazy_scales)
        assert_identical(got_codes, codes)
        assert_identical(got_scales, scales)
        assert lazy_codes.chunks == da.from_array(x, chunks=chunks).chunks
        _check(lambda c, *a, **k: fqd.floats.dequantize_mx(c, da.from_array(scales, chunks=1), *a, **k),
               lambda c, *a, **k: ff.dequantize_mx(c, scales, *a, **k), codes, chunks, fmt,
               block_size=block_size, axis=axis)


@pytest.mark.parametrize("chunks", [(5, 16), (29, (2, 94)), (4, -1)], ids=["even", "even_then_rest", "whole"])
def test_floats_nibbles(chunks):
    codes = ff.encode(FLOAT_DATA[:, :95], "float4_e2m1fn")
    _check(fqd.floats.pack_nibbles, ff.pack_nibbles, codes, chunks if chunks[1] != (2, 94) else (29, (2, 93)))
    packed = ff.pack_nibbles(codes)
    for chunking in byte_chunkings(packed.shape):
        _check(fqd.floats.unpack_nibbles, ff.unpack_nibbles, packed, chunking)
        _check(fqd.floats.unpack_nibbles, ff.unpack_nibbles, packed, chunking, 95)


def test_floats_module_doc():
    import doctest

    import fastquant.dask.floats

    result = doctest.testmod(fastquant.dask.floats)
    assert result.attempted >= 1 and result.failed == 0
