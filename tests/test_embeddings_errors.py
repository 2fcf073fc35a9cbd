"""Embedding codec bad inputs: one test per SPEC rule that applies, on both backends."""

import numpy as np
import pytest

import fastquant as fq

SIGN_BITS = ["binary", "ubinary"]


@pytest.mark.parametrize("quant", ["INT8", "int4", "float32", "", None, 8, b"int8"])
def test_unknown_quant(quant, backend):
    with pytest.raises(ValueError, match="quant"):
        fq.dequantize([1, 2], quant)


@pytest.mark.parametrize("precision", ["fp8", "Binary", "int4", "float16", None, 8])
def test_unknown_precision(precision, backend):
    with pytest.raises(ValueError, match="precision"):
        fq.quantize_embeddings([0.5, -0.5], precision)


@pytest.mark.parametrize("quant", SIGN_BITS)
def test_orig_dim_required(quant, backend):
    with pytest.raises(ValueError, match="orig_dim"):
        fq.dequantize([1, 2, 3], quant)


@pytest.mark.parametrize("orig_dim", [16, 25, 0, -1, 8, 1])
@pytest.mark.parametrize("quant", SIGN_BITS)
def test_orig_dim_inconsistent(quant, orig_dim, backend):
    # 3 packed bytes hold 17..24 values
    with pytest.raises(ValueError, match="orig_dim"):
        fq.dequantize([[1, 2, 3]], quant, orig_dim)


@pytest.mark.parametrize("orig_dim", [17, 20, 24, np.int64(24)])
@pytest.mark.parametrize("quant", SIGN_BITS)
def test_orig_dim_consistent_accepted(quant, orig_dim, backend):
    assert fq.dequantize([[1, 2, 3]], quant, orig_dim).shape == (1, int(orig_dim))


@pytest.mark.parametrize("orig_dim", [24.0, "24", True, [24]])
@pytest.mark.parametrize("quant", SIGN_BITS)
def test_orig_dim_not_an_integer(quant, orig_dim, backend):
    with pytest.raises(ValueError, match="orig_dim"):
        fq.dequantize([1, 2, 3], quant, orig_dim)


@pytest.mark.parametrize("orig_dim", [2, 4, 0, 3.0, True])
@pytest.mark.parametrize("quant", ["int8", "uint8", "fp8"])
def test_orig_dim_of_unpacked_formats_must_match(quant, orig_dim, backend):
    with pytest.raises(ValueError, match="orig_dim"):
        fq.dequantize([1, 2, 3], quant, orig_dim)
    assert fq.dequantize([1, 2, 3], quant, 3).shape == (3,)


@pytest.mark.parametrize(
    "quant,bad",
    [("int8", 200), ("int8", 128), ("int8", -129), ("uint8", 256), ("uint8", -1),
     ("binary", 128), ("binary", 255), ("binary", -129), ("ubinary", 256), ("ubinary", -1)],
)
def test_codes_out_of_range(quant, bad, backend):
    orig_dim = 24 if quant in SIGN_BITS else None
    with pytest.raises(ValueError, match="q"):
        fq.dequantize([0, bad, 1], quant, orig_dim)
    with pytest.raises(ValueError, match="q"):
        fq.dequantize(np.array([[0, 1, 2], [0, bad, 1]], np.int16), quant, orig_dim)


@pytest.mark.parametrize("quant", ["int8", "binary"])
def test_uint8_array_above_127_is_not_int8(quant, backend):
    with pytest.raises(ValueError, match="q"):
        fq.dequantize(np.array([1, 200, 3], np.uint8), quant, 24 if quant == "binary" else None)


@pytest.mark.parametrize("quant", ["uint8", "ubinary"])
def test_negative_int8_array_is_not_uint8(quant, backend):
    with pytest.raises(ValueError, match="q"):
        fq.dequantize(np.array([1, -1, 3], np.int8), quant, 24 if quant == "ubinary" else None)


@pytest.mark.parametrize("codes", [[0.5, 1.0, 2.0], np.array([1.0, 2.0, 3.0], np.float32),
                                   np.array([True, False, True]), [1 + 2j, 0, 0]])
@pytest.mark.parametrize("quant", ["int8", "uint8", "binary", "ubinary"])
def test_floats_given_as_codes(quant, codes, backend):
    with pytest.raises(TypeError, match="q"):
        fq.dequantize(codes, quant, 24 if quant in SIGN_BITS else None)


@pytest.mark.parametrize("codes", [["a", "b"], None, "xy", np.array([True])])
def test_fp8_needs_numbers(codes, backend):
    with pytest.raises(TypeError, match="q"):
        fq.dequantize(codes, "fp8")


@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
@pytest.mark.parametrize("where", [0, 5, 8, 16, 18, -1])
def test_nan_in_x(precision, where, backend):
    x = np.ones((3, 19), np.float32)
    x.ravel()[where] = np.nan  # first byte, mid byte, byte boundary, the padded tail, last row
    with pytest.raises(ValueError, match="x"):
        fq.quantize_embeddings(x, precision)
    with pytest.raises(ValueError, match="x"):
        fq.quantize_embeddings(x.astype(np.float64)[:, ::-1], precision)


@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
def test_nan_with_out_still_raises(precision, backend):
    x = np.array([0.1, np.nan, 0.2], np.float32)
    out = np.empty_like(fq.quantize_embeddings(np.zeros(3, np.float32), precision))
    with pytest.raises(ValueError, match="x"):
        fq.quantize_embeddings(x, precision, out=out)


@pytest.mark.parametrize("x", [["a", "b"], [1 + 2j], np.array([True, False]), None, "xy"])
@pytest.mark.parametrize("precision", ["int8", "binary"])
def test_quantize_rejects_non_numbers(x, precision, backend):
    with pytest.raises(TypeError, match="x"):
        fq.quantize_embeddings(x, precision)


@pytest.mark.parametrize("precision", SIGN_BITS)
def test_zero_d_has_no_axis_to_pack(precision, backend):
    with pytest.raises(ValueError, match="x"):
        fq.quantize_embeddings(np.float32(0.5), precision)
    with pytest.raises(ValueError, match="q"):
        fq.dequantize(np.int8(3), precision, 1)


def _bad_outs(shape, dtype):
    ro = np.empty(shape, dtype)
    ro.flags.writeable = False
    other = np.int16 if np.dtype(dtype) != np.int16 else np.int32
    return {
        "dtype": np.empty(shape, other),
        "shape": np.empty((shape[0], shape[1] + 1), dtype),
        "not_contiguous": np.empty((shape[0], 2 * shape[1]), dtype)[:, ::2],
        "read_only": ro,
        "list": np.zeros(shape, dtype).tolist(),
        "string": "out",
    }


@pytest.mark.parametrize("precision,shape,dtype", [
    ("int8", (4, 20), np.int8), ("uint8", (4, 20), np.uint8),
    ("binary", (4, 3), np.int8), ("ubinary", (4, 3), np.uint8),
])
def test_bad_out_quantize(precision, shape, dtype, backend):
    x = np.zeros((4, 20), np.float32)
    for bad in _bad_outs(shape, dtype).values():
        with pytest.raises(ValueError, match="out"):
            fq.quantize_embeddings(x, precision, out=bad)
    assert fq.quantize_embeddings(x, precision, out=np.empty(shape, dtype)).shape == shape


@pytest.mark.parametrize("quant,codes", [
    ("int8", np.zeros((4, 20), np.int8)), ("uint8", np.zeros((4, 20), np.uint8)),
    ("binary", np.zeros((4, 3), np.int8)), ("ubinary", np.zeros((4, 3), np.uint8)),
    ("fp8", np.zeros((4, 20), np.float32)),
])
def test_bad_out_dequantize(quant, codes, backend):
    orig_dim = 20
    for bad in _bad_outs((4, 20), np.float32).values():
        with pytest.raises(ValueError, match="out"):
            fq.dequantize(codes, quant, orig_dim, out=bad)


def test_out_overlapping_input(backend):
    buf = np.zeros(64, np.float32)
    with pytest.raises(ValueError, match="out"):  # fp8 into its own buffer
        fq.dequantize(buf[:32], "fp8", out=buf[:32])
    raw = np.zeros(512, np.uint8)
    with pytest.raises(ValueError, match="out"):  # codes and out share bytes 64..96
        fq.dequantize(raw[:96], "uint8", out=raw[64:448].view(np.float32))
    with pytest.raises(ValueError, match="out"):
        fq.dequantize(raw[:4], "ubinary", 32, out=raw[:128].view(np.float32))
    x = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match="out"):
        fq.quantize_embeddings(x, "uint8", out=x.view(np.uint8)[:16])
    with pytest.raises(ValueError, match="out"):
        fq.quantize_embeddings(x, "binary", out=x.view(np.int8)[:2])
