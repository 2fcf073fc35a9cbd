"""fastquant.numcodecs: every codec stores the bytes the SPEC's formulas give (a reference
written here with NumPy, and the formats' own implementations: numcodecs' FixedScaleOffset /
PackBits where they do the same job, sentence-transformers for the calibrated codes), decodes
to exactly what the public decoder gives, on every backend, and round-trips its config through
numcodecs' registry and JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from _oracles import require
from _storage import (BLOCK_CASES, CASES, config, embeddings, minifloat_codes, mx_reference, need,
                      ranges_for, reference_codes)
from _support import assert_identical, both

(numcodecs,) = need("numcodecs")

import fastquant as fq  # noqa: E402
import fastquant.floats as ff  # noqa: E402
import fastquant.gguf as fg  # noqa: E402
from fastquant import numcodecs as fnc  # noqa: E402

SHAPES = [(37,), (6, 37), (3, 4, 16), (5, 1)]


def _codec(codec_id, cfg, dim):
    return numcodecs.get_codec({"id": codec_id, **config(cfg, dim)})


def _in_memory_decode(codec, codes):
    """What the public decoder gives for ``codes`` (the codec must give exactly this)."""
    cid = codec.codec_id
    if cid == "fastquant.affine":
        return fq.dequantize_func(codes, codec.scale, codec.zero_point)
    if cid in ("fastquant.int8", "fastquant.uint8"):
        return fq.dequantize(codes, cid.split(".")[1])
    if cid in ("fastquant.binary", "fastquant.ubinary"):
        return fq.dequantize(codes, cid.split(".")[1], orig_dim=codec.dim)
    if cid in ("fastquant.int8_ranges", "fastquant.uint8_ranges"):
        return fq.dequantize(codes, codec.precision, ranges=np.array(codec.ranges, np.float32))
    if cid == "fastquant.minifloat":
        return ff.decode(codes, codec.fmt)
    if codec.scale is not None:
        return fq.dequantize_packed_int4(codes, codec.scale, codec.zero_point, codec.dim)
    scale = float(codes[:4].view("<f4")[0])
    return fq.dequantize_packed_int4(codes[4:].view(np.int8).reshape(-1, (codec.dim + 1) // 2), scale, 0, codec.dim)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("label,codec_id,cfg", CASES, ids=[c[0] for c in CASES])
def test_codes_match_the_reference_and_decode_matches_the_public_decoder(label, codec_id, cfg, shape, rng):
    x = embeddings(rng, shape)
    codec = _codec(codec_id, cfg, shape[-1])
    codes = both(codec.encode, x)
    assert_identical(codes, reference_codes(codec_id, config(cfg, shape[-1]), x))
    values = both(codec.decode, codes)
    assert_identical(values, _in_memory_decode(codec, codes))
    # from the flat bytes, as Zarr format 2 hands them over: the same values
    flat = both(codec.decode, np.frombuffer(codes.tobytes(), np.uint8))
    assert_identical(flat.reshape(-1), values.reshape(-1))
    assert flat.size == x.size and flat.dtype == np.float32


@pytest.mark.parametrize("label,codec_id,cfg", CASES, ids=[c[0] for c in CASES])
def test_config_round_trips_through_json_and_the_registry(label, codec_id, cfg):
    codec = _codec(codec_id, cfg, 37)
    conf = codec.get_config()
    assert conf["id"] == codec_id
    again = numcodecs.get_codec(json.loads(json.dumps(conf)))
    assert type(again) is type(codec) and again == codec and again.get_config() == conf
    assert type(codec).from_config({k: v for k, v in conf.items() if k != "id"}) == codec
    assert repr(again) == repr(codec)
    x = embeddings(np.random.default_rng(5), (3, 37))
    assert_identical(again.encode(x), codec.encode(x))


def test_affine_saturates_where_fixedscaleoffset_wraps():
    """The issue's example: 5, 6, -6 at scale 25 to int8. numcodecs' FixedScaleOffset wraps
    around (125, -106, 106); the affine codec saturates (125, 127, -128)."""
    x = np.array([5, 6, -6], np.float32)
    wrapped = numcodecs.FixedScaleOffset(offset=0, scale=25, dtype="<f4", astype="i1").encode(x)
    assert wrapped.tolist() == [125, -106, 106]
    assert both(fnc.Affine(scale=1 / 25).encode, x).tolist() == [125, 127, -128]


def test_int8_and_uint8_equal_fixedscaleoffset_within_range(rng):
    """Within the code range numcodecs' FixedScaleOffset computes the same codes."""
    x = np.clip(rng.standard_normal(4096).astype(np.float32) * 0.4, -1, 1)
    assert_identical(both(fnc.Int8().encode, x), numcodecs.FixedScaleOffset(0, 127, "<f4", astype="i1").encode(x))
    assert_identical(both(fnc.UInt8().encode, x), numcodecs.FixedScaleOffset(-1, 127.5, "<f4", astype="u1").encode(x))


def test_ubinary_equals_packbits_of_the_signs(rng):
    """numcodecs' PackBits of ``x > 0`` (after its one-byte pad count) is the ubinary codes."""
    x = rng.standard_normal((9, 64)).astype(np.float32)
    packed = numcodecs.PackBits().encode(x > 0)
    assert packed[0] == 0
    assert_identical(both(fnc.UBinary(dim=64).encode, x).reshape(-1), packed[1:])


@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_calibrated_codes_equal_sentence_transformers(precision, rng):
    """The calibrated codecs store sentence-transformers' own codes (its
    ``quantize_embeddings(x, precision, ranges=...)``), values outside the ranges and
    constant dimensions included, and JSON keeps the ranges exactly."""
    require("sentence_transformers", "6.2.0")
    from sentence_transformers.util import quantization

    x = embeddings(rng, (40, 24))
    x[3] = [np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0] * 4
    x[5] = np.float32(np.nextafter(np.float32(-0.6), np.float32(1)))  # just inside the lower edges
    calib = rng.standard_normal((12, 24)).astype(np.float32) * np.float32(0.3)
    calib[:, 5] = np.float32(0.1)  # a constant dimension: a zero step
    ranges = fq.calibration_ranges(calib)
    codec = numcodecs.get_codec(json.loads(json.dumps(fnc.CODECS[f"fastquant.{precision}_ranges"](ranges).get_config())))
    assert_identical(np.array(codec.ranges, np.float32), ranges)
    with np.errstate(all="ignore"):
        want = quantization.quantize_embeddings(x, precision, ranges=ranges)
        want_calibrated = quantization.quantize_embeddings(x, precision, calibration_embeddings=calib)
    assert_identical(want_calibrated, want)
    assert_identical(both(codec.encode, x), want)
    assert_identical(both(codec.decode, want.tobytes()).reshape(x.shape), fq.dequantize(want, precision, ranges=ranges))


def test_calibrated_config_is_float32_ranges():
    """Ranges given as float64 are stored (and applied) as the float32 values the function
    uses; a codec from the JSON of another equals it."""
    r64 = np.array(ranges_for(9), np.float64) + 1e-9  # not float32 values
    codec = fnc.UInt8Ranges(r64)
    assert codec.ranges == r64.astype(np.float32).tolist()
    x = embeddings(np.random.default_rng(2), (5, 9))
    assert_identical(codec.encode(x), fq.quantize_embeddings(x, "uint8", ranges=r64))
    assert codec.dim == 9 and repr(codec) == "UInt8Ranges(ranges=<2 x 9 float32>)"


def test_decode_into_out(rng):
    x = embeddings(rng, (4, 21))
    for codec in (fnc.Int4(dim=21, scale=0.1), fnc.Binary(dim=21), fnc.Affine(scale=0.01),
                  fnc.Int8Ranges(ranges_for(21))):
        out = np.full(x.shape, np.nan, np.float32)
        res = codec.decode(codec.encode(x), out=out)
        assert res is out
        assert_identical(out, codec.decode(codec.encode(x)))


def test_fortran_ordered_chunks(rng):
    """Zarr format 2 with order="F" hands over Fortran-ordered chunks and reshapes the decoded
    buffer in that order: element-wise codecs keep the memory order; row codecs refuse."""
    x = np.asfortranarray(embeddings(rng, (8, 6)))
    codec = fnc.Int8()
    codes = codec.encode(x)
    flat = np.frombuffer(numcodecs.compat.ensure_bytes(codes), np.int8)
    assert_identical(flat, fq.quantize_embeddings(x, "int8").ravel(order="F"))
    decoded = codec.decode(flat).reshape(x.shape, order="F")
    assert_identical(decoded, fq.dequantize(fq.quantize_embeddings(x, "int8"), "int8"))
    for codec in (fnc.Binary(dim=6), fnc.Int8Ranges(ranges_for(6))):
        with pytest.raises(ValueError, match="^buf: expected a C-ordered chunk"):
            codec.encode(x)


def test_every_codec_is_registered_with_numcodecs():
    from numcodecs.registry import codec_registry

    assert set(fnc.CODECS) == {c[1] for c in CASES + BLOCK_CASES}
    for codec_id, cls in fnc.CODECS.items():
        assert cls.codec_id == codec_id and codec_id.startswith("fastquant.")
        assert codec_registry[codec_id] is cls


def test_codes_of_the_other_byte_order_decode_as_they_are(rng):
    x = embeddings(rng, (3, 10))
    codec = fnc.Affine(scale=0.001, zero_point=7, n_bits=12)
    codes = codec.encode(x)
    assert codes.dtype == np.dtype("<i2")
    assert_identical(codec.decode(codes.astype(">i2")), codec.decode(codes))


# ---------------------------------------------------------------- block codecs: GGUF and MX


def _block_data(dim: int, rows: int = 3, seed: int = 0, zero_block: bool = True) -> np.ndarray:
    x = embeddings(np.random.default_rng([seed, dim]), (rows, dim)) * np.float32(2.5)
    if zero_block:
        x[-1, : dim // 2] = 0.0  # a zero block (and -0.0 from embeddings())
    return x


@pytest.mark.parametrize("label,codec_id,cfg", BLOCK_CASES, ids=[c[0] for c in BLOCK_CASES])
def test_block_codec_config_round_trips(label, codec_id, cfg):
    codec = numcodecs.get_codec({"id": codec_id, **cfg})
    conf = codec.get_config()
    again = numcodecs.get_codec(json.loads(json.dumps(conf)))
    assert type(again) is type(codec) and again == codec and again.get_config() == conf
    assert type(codec).from_config({k: v for k, v in conf.items() if k != "id"}) == codec
    x = _block_data(cfg["dim"])
    assert_identical(again.encode(x), codec.encode(x))


@pytest.mark.parametrize("qtype", fnc.GGUF_TYPES)
def test_gguf_codec_stores_the_oracle_blocks_and_decodes_as_gguf(qtype):
    """Every type fastquant both encodes and decodes: the stored bytes are gguf-py's (or
    llama.cpp's C reference's) blocks, decoding equals gguf-py's dequantize of them and
    ``fastquant.gguf.dequantize(fastquant.gguf.quantize(x))``, also from the flat bytes."""
    gguf = require("gguf", "0.19.0")
    block = fg.QUANT_SIZES[qtype][0]
    dim = max(block, 64) * 2
    # IQ4_NL: the C reference leaves the codes of an all-zero block stale (docs/gguf-encode.md)
    x = _block_data(dim, rows=4, zero_block=qtype != "IQ4_NL")
    codec = numcodecs.get_codec({"id": "fastquant.gguf", "dim": dim, "qtype": qtype})
    codes = both(codec.encode, x)
    assert codes.dtype == np.uint8 and codes.shape == (4, dim // block * fg.QUANT_SIZES[qtype][1])
    assert_identical(codes, reference_codes("fastquant.gguf", dict(dim=dim, qtype=qtype), x))
    values = both(codec.decode, codes)
    assert_identical(values, fg.dequantize(fg.quantize(x, qtype), qtype))
    want = gguf.quants.dequantize(codes, gguf.GGMLQuantizationType[qtype])
    np.testing.assert_array_equal(values, want.astype(np.float32))
    flat = both(codec.decode, codes.tobytes())
    assert_identical(flat.reshape(x.shape), values)


def test_gguf_types_are_every_type_encoded_and_decoded():
    assert set(fnc.GGUF_TYPES) == set(fg.ENCODE_TYPES) - {"Q8_K"}  # gguf-py and fastquant decode no Q8_K
    assert "Q8_K" not in fg.DECODE_TYPES


@pytest.mark.parametrize("fmt", list(ff.FORMATS))
@pytest.mark.parametrize("saturate", [False, True])
def test_minifloat_codec_is_ml_dtypes_astype(fmt, saturate):
    """Every format, the specials (zeros, subnormals, ties, overflow, inf, NaN): the codes are
    ml_dtypes' astype bits (saturate: of the values clipped to +-max), decoding gives
    ``codes.view(ml_dtypes.<fmt>).astype(float32)``."""
    ml_dtypes = require("ml_dtypes", "0.6.0")
    t = getattr(ml_dtypes, fmt)
    info = ml_dtypes.finfo(t)
    top, tiny = float(info.max), float(info.smallest_subnormal)
    with np.errstate(over="ignore"):  # float8_e8m0fnu: 4 * max is inf in float32
        x = np.array([0.0, -0.0, 1.0, -1.5, tiny, tiny / 2, tiny * 1.5, top, -top, top * 1.01, top * 4, -top * 4,
                      np.inf, -np.inf, np.nan, -np.nan, 1e-30, 3.14159, -2.71828, 1e30], np.float64).astype(np.float32)
    x = np.concatenate([x, embeddings(np.random.default_rng(3), (200,)) * np.float32(top / 4)])
    codec = numcodecs.get_codec({"id": "fastquant.minifloat", "fmt": fmt, "saturate": saturate})
    if fmt == "float8_e8m0fnu" and saturate:
        codes = both(codec.encode, x)
        assert_identical(codes, ff.encode(x, fmt, saturate=True))  # its own rule (SPEC); no ml_dtypes analogue
    else:
        codes = both(codec.encode, x)
        assert_identical(codes, minifloat_codes(x, fmt, saturate))
    values = both(codec.decode, codes)
    np.testing.assert_array_equal(values, codes.view(t).astype(np.float32))


@pytest.mark.parametrize("label,codec_id,cfg", [c for c in BLOCK_CASES if c[1] == "fastquant.mx"],
                         ids=[c[0] for c in BLOCK_CASES if c[1] == "fastquant.mx"])
def test_mx_codec_stores_scales_then_codes(label, codec_id, cfg):
    """Each row: its E8M0 scale bytes, then its codes (fp4 two a byte), from the OCP MX
    formulas written in tests/_storage.py with ml_dtypes; decoding equals
    ``fastquant.floats.dequantize_mx`` of ``quantize_mx``, and the scales times ml_dtypes' values."""
    ml_dtypes = require("ml_dtypes", "0.6.0")
    dim, fmt, bs = cfg["dim"], cfg["fmt"], cfg.get("block_size", 32)
    x = _block_data(dim, rows=5)
    x[1, 3] = np.float32(1e38)  # a block with a large scale
    x[2, :bs] *= np.float32(1e-40)  # subnormal float32 values
    x[3, 1] = np.nan  # a NaN block: scale 0xFF, codes 0
    codec = fnc.MX(**cfg)
    stored = both(codec.encode, x)
    assert_identical(stored, reference_codes(codec_id, cfg, x))
    values = both(codec.decode, stored)
    codes, scales = ff.quantize_mx(x, fmt, block_size=bs)
    assert_identical(values, ff.dequantize_mx(codes, scales, fmt, block_size=bs))
    ref_codes, ref_scales = mx_reference(x, fmt, bs)
    with np.errstate(over="ignore"):
        want = ref_codes.view(getattr(ml_dtypes, fmt)).astype(np.float64) * np.exp2(
            np.repeat(ref_scales.astype(np.float64) - 127, bs, axis=-1))
    want = np.where(np.repeat(ref_scales == 255, bs, axis=-1), np.nan, want).astype(np.float32)
    np.testing.assert_array_equal(values, want)
    assert_identical(both(codec.decode, stored.tobytes()).reshape(x.shape), values)
