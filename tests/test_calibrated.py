"""Calibrated int8/uint8 embeddings (SPEC 10): bit for bit with sentence-transformers 6.2.0's
``quantize_embeddings(..., ranges=/calibration_embeddings=)``, the real package (a missing
oracle fails in CI), on every backend; the decoder against the spec's formula written here and
against sentence-transformers' private decoder; threads, streaming stores, out=, torch.

Expected codes never come from fastquant: from sentence-transformers, or from the reference
below, which divides in float64 and rounds once to float32 (a route independent of float32
division instructions: a float64 quotient of float32 operands rounded to float32 is the
correctly rounded float32 quotient, 53 >= 2 * 24 + 2 bits)."""

from __future__ import annotations

import numpy as np
import pytest

import fastquant as fq
from fastquant import _arrays, _backend, use_backend
from _oracles import require
from _support import REQUIRE_EXTENSION, assert_identical, both, compiled_names
from test_threads import assert_split_matches_one_call

PRECISIONS = ("int8", "uint8")
_DTYPE = {"int8": np.int8, "uint8": np.uint8}


def every_backend(fn, *args, **kwargs):
    """:func:`both` (every compiled build and the twins, bit for bit) where kernels are built;
    in a pure NumPy install the twins alone, so the oracle comparisons run there too."""
    if REQUIRE_EXTENSION or "cython" in _backend.available():
        return both(fn, *args, **kwargs)
    with use_backend("numpy"):
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def st_quantization():
    """sentence_transformers.util.quantization (where 6.2.0 defines quantize_embeddings;
    ``sentence_transformers.quantization`` is a deprecated alias)."""
    require("sentence_transformers", "6.2.0")
    from sentence_transformers.util import quantization

    return quantization


def oracle(st_quantization, x, precision, **kwargs):
    """sentence-transformers' codes for float32 ``x``. Its NumPy arithmetic overflows to inf on
    purpose for huge inputs (then clipped); those RuntimeWarnings are not failures here."""
    with np.errstate(all="ignore"):
        return st_quantization.quantize_embeddings(x, precision, **kwargs)


def reference(x, ranges, precision):
    """The spec's codes by an independent route: float32 operands, float64 arithmetic rounded
    to float32 after each operation (exactly float32's correctly rounded results), floor, clip."""
    f32 = np.float32
    r = np.asarray(ranges, np.float64).astype(f32)
    x = np.asarray(x, f32)
    starts = r[0].astype(np.float64)
    with np.errstate(all="ignore"):
        steps = ((r[1].astype(np.float64) - starts).astype(f32).astype(np.float64) / 255.0).astype(f32)
        steps = np.where(steps == 0, f32(1), steps).astype(np.float64)
        d = (x.astype(np.float64) - starts).astype(f32).astype(np.float64)
        z = (d / steps).astype(f32)
    q = np.clip(np.floor(z), 0, 255).astype(np.int16)
    return (q - 128).astype(np.int8) if precision == "int8" else q.astype(np.uint8)


def _ranges_of(x):
    return np.vstack([x.min(axis=0), x.max(axis=0)]).astype(np.float32)


def _data():
    """Named (x, ranges) pairs, float32: what the oracle comparison runs on."""
    rng = np.random.default_rng(20261123)
    cases = {}
    x = rng.standard_normal((257, 96), dtype=np.float32)
    cases["random_calibrated_on_a_subset"] = (x, _ranges_of(x[:40]))  # many values outside
    centres = rng.standard_normal((4, 48), dtype=np.float32) * 3
    x = centres[rng.integers(0, 4, 300)] + rng.standard_normal((300, 48), dtype=np.float32) * np.float32(1e-3)
    cases["clustered"] = (x.astype(np.float32), _ranges_of(x))
    x = rng.standard_normal((64, 40), dtype=np.float32)
    r = _ranges_of(x)
    r[1, ::2] = r[0, ::2]  # half the dimensions constant: a zero step, replaced by 1
    x[:, ::2] = r[0, ::2] + np.float32(1e-7) * rng.integers(-3, 4, (64, 20))
    x[:8, ::2] += np.array([0.0, 0.5, 0.999, 1.0, 1.5, 254.9, 255.0, 400.0], np.float32)[:, None]
    cases["constant_dimensions"] = (x, r)
    x = rng.standard_normal((40, 33), dtype=np.float32)
    r = _ranges_of(x[:10])
    specials = np.array([np.inf, -np.inf, 3e38, -3e38, 1e30, -1e30, 0.0, -0.0, 1e-45, -1e-45, 7.0, -7.0], np.float32)
    x.flat[:: 5] = np.resize(specials, x.flat[::5].size)
    cases["outside_and_inf"] = (x, r)
    # every bucket boundary start + k * step (k = 0..256) and its float32 neighbours
    lo = rng.uniform(-2, 0, 24).astype(np.float32)
    hi = (lo + rng.uniform(1e-3, 5, 24)).astype(np.float32)
    r = np.vstack([lo, hi])
    step = ((hi - lo) / np.float32(255)).astype(np.float32)
    k = np.arange(-1, 258, dtype=np.float32)[:, None]
    edge = (lo + k * step).astype(np.float32)
    x = np.concatenate([np.nextafter(edge, -np.inf), edge, np.nextafter(edge, np.inf),
                        np.nextafter(np.nextafter(edge, np.inf), np.inf)])
    cases["bucket_boundaries"] = (x.astype(np.float32), r)
    # steps at float32's edges: subnormal (1 / step overflows), underflowing to 0 (-> 1), huge
    lo = np.array([0.0, 0.0, -1e38, 5.0, -3e38, 1.0, 0.0, 1e-30], np.float32)
    hi = np.array([1e-40, 1e-45, 1e38, 5.0, 3e37, 1.0 + 2**-23, 1e-38, 2e-30], np.float32)
    x = rng.standard_normal((50, 8), dtype=np.float32) * np.array([1e-40, 1e-45, 1e38, 1, 1e38, 1e-7, 1e-38, 1e-30], np.float32)
    with np.errstate(over="ignore"):  # -inf where the sum overflows: data too
        x = (x + lo).astype(np.float32)
        x[:3] = [hi, lo, (lo + hi) / 2]
    cases["extreme_steps"] = (x, np.vstack([lo, hi]))
    x = rng.standard_normal((3, 5, 16), dtype=np.float32)
    cases["n_dimensional"] = (x, _ranges_of(x.reshape(-1, 16)[:5]))
    x = rng.standard_normal(1024, dtype=np.float32)
    cases["single_embedding_1d"] = (x, _ranges_of(rng.standard_normal((100, 1024), dtype=np.float32)))
    cases["one_row"] = (x[None, :300], _ranges_of(rng.standard_normal((9, 300), dtype=np.float32)))
    return cases


DATA = _data()


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", DATA)
def test_codes_equal_sentence_transformers(name, precision, st_quantization):
    x, r = DATA[name]
    want = oracle(st_quantization, x, precision, ranges=r)
    assert want.dtype == _DTYPE[precision] and want.shape == x.shape
    assert_identical(reference(x, r, precision), want)  # the two references agree first
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, ranges=r), want)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", DATA)
def test_calibration_embeddings_equal_sentence_transformers(name, precision, st_quantization):
    """Calibrated on (up to) 30 rows without +-inf: the codes and the ranges equal
    sentence-transformers'; where max - min of some dimension overflows float32 (its codes
    would come from inf / inf = NaN), fastquant refuses, naming the argument."""
    x, _ = DATA[name]
    rows = x.reshape(-1, x.shape[-1])
    cal = rows[np.isfinite(rows).all(axis=1)][:30]
    assert len(cal)
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(cal.max(axis=0) - cal.min(axis=0)).all()
    if overflows:
        with pytest.raises(ValueError, match="^calibration_embeddings: the range max - min of dimension"):
            fq.quantize_embeddings(x, precision, calibration_embeddings=cal)
        return
    want = oracle(st_quantization, x, precision, calibration_embeddings=cal)
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, calibration_embeddings=cal), want)
    st_ranges = st_quantization._get_quantization_ranges(x, precision, cal)
    got = every_backend(fq.calibration_ranges, cal)
    assert got.dtype == np.float32 and np.array_equal(got, st_ranges.astype(np.float32))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_ranges_as_float64_lists_and_integers(precision, st_quantization, rng):
    x = (rng.standard_normal((60, 12)) * 2).astype(np.float32)
    r64 = np.vstack([x[:20].min(0), x[:20].max(0)]).astype(np.float64) + rng.standard_normal((2, 12)) * 1e-9
    r64[1] = np.maximum(r64[1], r64[0])
    want = oracle(st_quantization, x, precision, ranges=r64)  # it rounds them to float32 too
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, ranges=r64), want)
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, ranges=r64.tolist()), want)
    ints = [[-3] * 12, [2] * 12]
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, ranges=ints),
                     oracle(st_quantization, x, precision, ranges=np.array(ints)))
    cal64 = x[:20].astype(np.float64) * (1 + 1e-9)
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, calibration_embeddings=cal64),
                     oracle(st_quantization, x, precision, calibration_embeddings=cal64))


def test_multi_vector_documents_as_sentence_transformers_does_them(st_quantization, rng):
    """sentence-transformers' list of (tokens, D) matrices shares one calibration over all of
    them; fastquant's equivalent (docs/calibrated.md): calibrate the concatenation, then ranges=."""
    docs = [rng.standard_normal((n, 24), dtype=np.float32) for n in (5, 1, 17)]
    want = oracle(st_quantization, docs, "uint8")
    ranges = every_backend(fq.calibration_ranges, np.concatenate(docs))
    for doc, codes in zip(docs, want):
        assert_identical(every_backend(fq.quantize_embeddings, doc, "uint8", ranges=ranges), codes)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_near_integer_quotients_follow_true_division(precision):
    """Values whose quotient (x - start) / step lies within a few ulps of an integer, for many
    steps of every exponent: where a reciprocal multiply would floor differently."""
    rng = np.random.default_rng(7)
    d = 512
    exps = rng.integers(-30, 30, d).astype(np.float64)
    lo = (rng.uniform(-1, 1, d) * 2.0**exps).astype(np.float32)
    hi = (lo + rng.uniform(0.01, 300, d) * 2.0**exps).astype(np.float32)
    r = np.vstack([lo, hi])
    steps = ((hi - lo) / np.float32(255)).astype(np.float32)
    k = rng.integers(0, 257, (64, d)).astype(np.float32)
    x = (lo + k * steps).astype(np.float32)
    x = np.nextafter(x, np.where(rng.random((64, d)) < 0.5, -np.inf, np.inf).astype(np.float32))
    x[::2] = (lo + k[::2] * steps).astype(np.float32)
    want = reference(x, r, precision)
    assert_identical(every_backend(fq.quantize_embeddings, x, precision, ranges=r), want)
    # the set is not trivial: the quotients lie where a multiplication by fl(1 / step) may
    # floor differently (within 2**-14 of an integer, the slack of that approach's proof)
    z = ((x.astype(np.float64) - lo) / steps.astype(np.float64))
    assert np.mean(np.abs(z - np.round(z)) < 2.0**-14) > 0.9


@pytest.mark.parametrize("precision", PRECISIONS)
def test_decode_is_the_bucket_centre(precision, st_quantization, rng):
    d = 37
    lo = rng.uniform(-3, 0, d).astype(np.float32)
    hi = (lo + rng.uniform(0, 4, d)).astype(np.float32)
    hi[::9] = lo[::9]  # zero steps
    r = np.vstack([lo, hi])
    codes = np.repeat(np.arange(256, dtype=np.uint8)[:, None], d, axis=1)
    if precision == "int8":
        codes = (codes.astype(np.int16) - 128).astype(np.int8)
    got = every_backend(fq.dequantize, codes, precision, ranges=r)
    f32 = np.float32
    steps = (hi - lo) / f32(255)
    steps = np.where(steps == 0, f32(1), steps)
    shifted = codes.astype(np.int16) + (128 if precision == "int8" else 0)
    assert_identical(got, lo + (shifted.astype(f32) + f32(0.5)) * steps)
    # sentence-transformers' private decoder gives the bucket's lower edge (in float64)
    edge = st_quantization._dequantize_embeddings(codes, precision, r)
    centre = edge + 0.5 * steps.astype(np.float64)
    product = (shifted + 0.5) * steps.astype(np.float64)
    scale = np.maximum(np.maximum(np.abs(centre), np.abs(lo)), np.abs(product)).astype(np.float32)
    tol = 2 * np.spacing(scale).astype(np.float64)  # two float32 roundings
    assert (np.abs(got - centre) <= tol).all()


@pytest.mark.parametrize("precision", PRECISIONS)
def test_decode_of_encode_is_within_half_a_step(precision, rng):
    x = rng.standard_normal((400, 64), dtype=np.float32)
    r = _ranges_of(x)
    q = every_backend(fq.quantize_embeddings, x, precision, ranges=r)
    y = every_backend(fq.dequantize, q, precision, ranges=r)
    step = ((r[1] - r[0]) / np.float32(255)).astype(np.float64)
    err = np.abs(y.astype(np.float64) - x)
    assert (err <= step / 2 * (1 + 1e-5) + 4 * np.spacing(np.abs(x))).all()
    assert err.max() > step.min() / 4  # not trivially exact


def test_single_embeddings_with_fixed_ranges_are_not_all_zero(rng):
    """The serving case: ranges calibrated once, then one embedding at a time gives the row of
    the batch (sentence-transformers refuses a single embedding without ranges)."""
    batch = rng.standard_normal((200, 64), dtype=np.float32)
    r = fq.calibration_ranges(batch)
    whole = fq.quantize_embeddings(batch, "uint8", ranges=r)
    for i in (0, 17, 199):
        one = both(fq.quantize_embeddings, batch[i], "uint8", ranges=r)
        assert_identical(one, whole[i])
    assert len(np.unique(whole[0])) > 10


def test_without_ranges_the_fixed_scale_codec_is_unchanged(rng):
    x = rng.standard_normal((10, 16), dtype=np.float32)
    for precision in ("int8", "uint8", "binary", "ubinary"):
        assert_identical(fq.quantize_embeddings(x, precision, ranges=None, calibration_embeddings=None),
                         fq.quantize_embeddings(x, precision))
    q = fq.quantize_embeddings(x, "int8")
    assert_identical(fq.dequantize(q, "int8", ranges=None), fq.dequantize(q, "int8"))


def test_calibration_ranges_zeros_are_positive():
    """A choice: which zero is the minimum of {0.0, -0.0} is an accident of the reduction
    order, so calibration_ranges gives +0.0 (it never changes a code)."""
    cal = np.array([[-0.0, 0.0, -0.0], [0.0, -0.0, -0.0]], np.float32)
    r = both(fq.calibration_ranges, cal)
    assert not np.signbit(r).any() and (r == 0).all()


@pytest.mark.parametrize("shape", [(0, 6), (4, 0), (0, 0)])
def test_empty_inputs(shape):
    x = np.zeros(shape, np.float32)
    r = np.zeros((2, shape[-1]), np.float32)
    for precision in PRECISIONS:
        q = both(fq.quantize_embeddings, x, precision, ranges=r)
        assert q.shape == shape and q.dtype == _DTYPE[precision]
        assert both(fq.dequantize, q, precision, ranges=r).shape == shape
    if shape[0]:
        assert both(fq.calibration_ranges, x).shape == (2, 0)


# ---------------------------------------------------------------- threads, streams, out=, torch

SHAPES = {"rows_odd": (7, 33), "rows_long": (9, 600), "nd": (3, 4, 5, 6), "few_rows": (2, 301),
          "short_rows": (1500, 3), "one_wide": (2000, 1)}


def _calls():
    def ranges_for(x):
        d = x.shape[-1]
        return np.vstack([np.full(d, -1.5, np.float32), np.linspace(0.5, 2.0, d, dtype=np.float32)])

    def enc(precision):
        return lambda x, **k: fq.quantize_embeddings(x, precision, ranges=ranges_for(x), **k)

    def dec(precision):
        def call(x, **k):
            q = fq.quantize_embeddings(x, precision, ranges=ranges_for(x))
            return fq.dequantize(q, precision, ranges=ranges_for(x), **k)
        return call

    return {
        "encode_int8": enc("int8"), "encode_uint8": enc("uint8"),
        "decode_int8": dec("int8"), "decode_uint8": dec("uint8"),
        "calibration_embeddings": lambda x, **k: fq.quantize_embeddings(
            x, "uint8", calibration_embeddings=x.reshape(-1, x.shape[-1])[::2], **k),
        "calibration_ranges": lambda x, **k: fq.calibration_ranges(x.reshape(-1, x.shape[-1]), **k),
    }


CALLS = _calls()


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_bytes_of_one_call(call, shape, threads, rng, monkeypatch):
    x = rng.standard_normal(shape, dtype=np.float32)
    assert_split_matches_one_call(call, x, threads, monkeypatch)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_bad_threads_names_it(call, rng):
    with pytest.raises(ValueError, match="^threads: "):
        call(rng.standard_normal((2, 8), dtype=np.float32), threads=0)


def _out_at(offset_bytes: int, shape) -> np.ndarray:
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    return raw[start:start + count * 4].view(np.float32).reshape(shape)


@pytest.mark.parametrize("offset", [0, 4, 12, 36, 60])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 255), (2, 300), (40, 3), (3, 1000)])
@pytest.mark.parametrize("precision", PRECISIONS)
def test_streaming_decode_writes_the_same_bytes(precision, shape, offset, rng, monkeypatch):
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    r = np.vstack([np.full(shape[-1], -2, np.float32), rng.uniform(0, 3, shape[-1]).astype(np.float32)])
    q = rng.integers(0, 256, shape, dtype=np.uint8).view(_DTYPE[precision])
    want = fq.dequantize(q, precision, ranges=r)  # a new array: ordinary stores

    def call(q, threads):
        out = _out_at(offset, shape)
        out.fill(np.nan)
        assert fq.dequantize(q, precision, ranges=r, out=out, threads=threads) is out
        return out

    for threads in (1, 2):
        assert_identical(both(call, q, threads), want)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_out_is_written_and_returned(precision, rng):
    x = rng.standard_normal((6, 10), dtype=np.float32)
    r = _ranges_of(x)
    out = np.full(x.shape, 7, _DTYPE[precision])
    assert fq.quantize_embeddings(x, precision, ranges=r, out=out) is out
    assert_identical(out, fq.quantize_embeddings(x, precision, ranges=r))
    dec = np.full(x.shape, np.nan, np.float32)
    assert fq.dequantize(out, precision, ranges=r, out=dec) is dec
    assert_identical(dec, fq.dequantize(out, precision, ranges=r))


def test_kernels_of_every_build_equal_the_twins_in_plain_and_simd_lengths(rng):
    """Direct kernel calls at lengths around the vector widths (16, 32) and the period."""
    from fastquant import _backend

    twins = _backend.kernels_of("numpy")
    for d in (1, 2, 5, 31, 32, 33, 255, 256, 257):
        x = (rng.standard_normal((7, d)) * 3).astype(np.float32)
        params = np.empty((2, d), np.float32)
        assert twins.ranges8_params(_ranges_of(x[:3]), params) == 0
        for name in compiled_names():
            k = _backend.kernels_of(name)
            for code in PRECISIONS:
                want = np.empty(x.shape, _DTYPE[code])
                got = np.empty(x.shape, _DTYPE[code])
                assert getattr(twins, f"ranges8_{code}_encode")(x, want, params) == 0
                assert getattr(k, f"ranges8_{code}_encode")(x, got, params) == 0
                assert_identical(got, want, f"{name} {code} encode d={d}")


try:  # torch is optional; where it is installed (CI job 1) the tensor path is tested
    import torch
except ImportError:  # pragma: no cover
    torch = None


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_torch_in_torch_out(rng):
    x = torch.from_numpy(rng.standard_normal((20, 8), dtype=np.float32))
    r = fq.calibration_ranges(x)
    assert isinstance(r, torch.Tensor) and r.dtype == torch.float32 and tuple(r.shape) == (2, 8)
    q = fq.quantize_embeddings(x, "int8", ranges=r)
    assert isinstance(q, torch.Tensor) and q.dtype == torch.int8
    assert_identical(q.numpy(), fq.quantize_embeddings(x.numpy(), "int8", ranges=r.numpy()))
    q2 = fq.quantize_embeddings(x.to(torch.bfloat16), "uint8", calibration_embeddings=x)
    assert q2.dtype == torch.uint8
    y = fq.dequantize(q, "int8", ranges=r)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    assert_identical(y.numpy(), fq.dequantize(q.numpy(), "int8", ranges=r.numpy()))
