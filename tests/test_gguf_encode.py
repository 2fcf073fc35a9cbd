"""fastquant.gguf.quantize: every type bit for bit equal to llama.cpp's reference quantizers
(``quantize_row_<type>_ref``, through tests/_llama_oracle.py) and to gguf-py's
``gguf.quants.quantize`` where it has the type, on every backend (tests/_support.both).

The data families aim at the branches of the reference code: random normal / uniform /
heavy-tailed values, constant blocks (max == min), all-zero blocks and signed zeros, sparse
blocks, small integers and half-integers (exact ties of every rounding step: nearest_int,
roundf, truncation after + 0.5), the floats next to those ties, ramps and two-valued blocks
(candidate scales whose errors tie exactly), all-positive blocks (min clamped to 0), wide
dynamic range inside a block, and subnormal values.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastquant
import fastquant.gguf as fg
from _llama_oracle import SIZES, OracleAssert, oracle
from _oracles import require
from _support import both, compiled_names
from fastquant import use_backend

C_TYPES = tuple(SIZES)
GGUF_PY_TYPES = ("BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4")
#: The fp16 fields (byte offsets) of each block, for the "scale overflows" contract.
FP16_FIELDS = {
    "Q4_0": (0,), "Q4_1": (0, 2), "Q5_0": (0,), "Q5_1": (0, 2), "Q8_0": (0,), "Q2_K": (80, 82),
    "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,), "IQ4_NL": (0,), "IQ4_XS": (0,),
    "TQ1_0": (52,), "TQ2_0": (64,), "Q8_K": (), "MXFP4": (), "NVFP4": (),
}
KINDS = ("normal", "uniform", "positive", "heavy", "constant", "zeros", "sparse", "ints", "halves",
         "near_ties", "ramps", "two_valued", "wide", "mixed_scales")


@pytest.fixture(scope="module")
def llama():
    return oracle()


def data(kind: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` float32 values of one family (n a multiple of 256)."""
    rng = np.random.default_rng([seed, KINDS.index(kind) if kind in KINDS else 99])
    if kind == "normal":
        x = rng.standard_normal(n)
    elif kind == "uniform":
        x = rng.uniform(-3, 5, n)
    elif kind == "positive":
        x = rng.uniform(0.5, 5, n)
    elif kind == "heavy":
        x = rng.standard_t(1.5, n)
    elif kind == "constant":
        x = np.repeat(rng.standard_normal(n // 16), 16)
    elif kind == "zeros":
        x = rng.standard_normal(n)
        x[: n // 4] = 0.0
        x[n // 4: n // 4 + 64] = -0.0
        x[n // 2: n // 2 + 300: 2] = -0.0
    elif kind == "sparse":
        x = rng.standard_normal(n) * (rng.random(n) < 0.3)
    elif kind == "ints":
        x = rng.integers(-8, 8, n).astype(np.float64)
    elif kind == "halves":
        x = rng.integers(-40, 41, n) * 0.5
    elif kind == "near_ties":
        h = (rng.integers(-40, 41, n) * 0.5).astype(np.float32)
        return np.where(rng.random(n) < 0.5, np.nextafter(h, np.float32(np.inf)), np.nextafter(h, np.float32(-np.inf))).astype(np.float32)
    elif kind == "ramps":
        x = np.tile(np.linspace(-1.0, 3.0, 256), n // 256) * np.repeat(rng.uniform(0.1, 10, n // 256), 256)
    elif kind == "two_valued":
        x = np.where(rng.random(n) < 0.5, 1.0, -0.25) * np.repeat(rng.uniform(0.5, 2, n // 32), 32)
    elif kind == "wide":
        x = rng.standard_normal(n) * np.exp(rng.uniform(-6, 6, n // 16)).repeat(16)
    elif kind == "mixed_scales":
        x = rng.standard_normal(n) * np.repeat(10.0 ** rng.integers(-4, 4, n // 256), 256)
    else:
        raise ValueError(kind)
    return np.asarray(x, np.float32)


def _same_or_iq4nl_stale(qtype: str, x: np.ndarray, got: np.ndarray, expect: np.ndarray) -> None:
    """Bytes equal, except where the C reference leaves a code stale: IQ4_NL blocks with
    max |x| < 1e-15 keep the codes of the previous block in C (scale 0 there; fastquant writes
    code 8). Those blocks must have a zero scale in both."""
    bs, ts = SIZES.get(qtype, (1, 2))
    got = got.reshape(-1, ts)
    expect = expect.reshape(-1, ts)
    if qtype == "IQ4_NL":
        stale = np.abs(x.reshape(-1, bs)).max(axis=1) < np.float32(1e-15)
        assert (got[stale, :2] == 0).all() and (expect[stale, :2] == 0).all()
        assert (got[stale, 2:] == 0x88).all()
        got, expect = got[~stale], expect[~stale]
    bad = np.flatnonzero((got != expect).any(axis=1))
    assert bad.size == 0, f"{bad.size} of {len(got)} {qtype} blocks differ from llama.cpp, first block {bad[0]}: {got[bad[0]]} vs {expect[bad[0]]}"


# ---------------------------------------------------------------- llama.cpp's reference

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("qtype", C_TYPES)
def test_equals_llama_reference(qtype, kind, llama):
    """Every backend (twins included) against quantize_row_<type>_ref, 16384 values."""
    x = data(kind, 1 << 14)
    got = both(fg.quantize, x.reshape(8, -1), qtype)
    _same_or_iq4nl_stale(qtype, x, got, llama.quantize(x, qtype))


@pytest.mark.parametrize("qtype", C_TYPES)
def test_equals_llama_reference_many_blocks(qtype, llama):
    """The compiled kernels against the C reference on 1M values of every family at once
    (4096 super-blocks / 32768 blocks of 32 per type; 64K values where only the NumPy twins
    exist, whose K-quant searches take seconds per million values)."""
    n = 1 << 20 if fastquant.backend() != "numpy" else 1 << 16
    x = np.concatenate([data(k, n // len(KINDS) // 256 * 256, seed=7) for k in KINDS])
    got = fg.quantize(x, qtype)
    _same_or_iq4nl_stale(qtype, x, got, llama.quantize(x, qtype))


def _expect(qtype, x, llama):
    """The C reference's bytes for ``x``, or None where fastquant raises ValueError: where the
    C code fails an assertion, stores a non-finite fp16 scale, or (Q3_K, Q6_K: float32 sums
    overflowed into NaN sub-block scales) stores a zero scale for a block of huge values."""
    try:
        expect = llama.quantize(x, qtype)
    except OracleAssert:
        return None
    blocks = expect.reshape(-1, SIZES[qtype][1]).astype(np.uint16)
    for f in FP16_FIELDS[qtype]:
        h = blocks[:, f] | (blocks[:, f + 1] << 8)
        if ((h & 0x7C00) == 0x7C00).any():
            return None
        if qtype in ("Q3_K", "Q6_K") and ((h & 0x7FFF == 0) & (np.abs(x.reshape(len(h), -1)).max(axis=1) >= 1e6)).any():
            return None
    return expect


def _check_blocks(qtype, blocks, llama):
    """Each block on its own: on every compiled build, ValueError exactly where the C reference
    fails (see _expect), else its bytes; on the twins, one call with all the blocks that encode
    and one call per block for the first few that fail."""
    expected = [_expect(qtype, b, llama) for b in blocks]
    for name in compiled_names():
        with use_backend(name):
            for b, e in zip(blocks, expected):
                if e is None:
                    with pytest.raises(ValueError, match=rf"^data: cannot encode as {qtype}"):
                        fg.quantize(b, qtype)
                else:
                    _same_or_iq4nl_stale(qtype, b, fg.quantize(b, qtype), e)
    with use_backend("numpy"):
        good = [(b, e) for b, e in zip(blocks, expected) if e is not None]
        if good:
            x = np.concatenate([b for b, _ in good])
            _same_or_iq4nl_stale(qtype, x, fg.quantize(x, qtype), np.concatenate([e for _, e in good]))
        for b in [b for b, e in zip(blocks, expected) if e is None][:4]:
            with pytest.raises(ValueError, match=rf"^data: cannot encode as {qtype}"):
                fg.quantize(b, qtype)


@pytest.mark.parametrize("qtype", C_TYPES)
def test_subnormal_and_tiny_blocks(qtype, llama):
    """Blocks whose maximum is below ~1e-38: 1/d overflows in the legacy types (the C code
    then converts inf to an integer: x86-64's INT_MIN, low byte 0), and K-quants fail
    nearest_int's assertion. Per block: fastquant raises exactly where the C code asserts, and
    otherwise gives its bytes."""
    bs = max(SIZES[qtype][0], 256)
    rng = np.random.default_rng(3)
    blocks = []
    for scale in (1e-30, 1e-36, 3e-38, 1e-38, 1e-39, 1e-41, 1e-44, 1.4e-45):
        x = (rng.standard_normal(bs) * scale).astype(np.float32)
        x[:8] = 0.0
        blocks.append(x)
    _check_blocks(qtype, blocks, llama)


@pytest.mark.parametrize("qtype", C_TYPES)
def test_large_values_raise_where_the_reference_fails(qtype, llama):
    """Magnitudes from 1e2 to 1e38 in steps of 10**0.25, three shapes of block (random signs,
    all negative, a narrow range far from 0): ValueError exactly where the C reference fails
    an assertion or stores a non-finite fp16 scale; otherwise the same bytes."""
    bs = SIZES[qtype][0]
    rng = np.random.default_rng(11)
    base = (rng.standard_normal(bs).astype(np.float32), -rng.uniform(0.5, 1.0, bs).astype(np.float32),
            (rng.uniform(-1, 1, bs) * 1e-3 - 1.0).astype(np.float32))
    blocks = [b.astype(np.float64) * 10.0 ** e for b in base for e in np.arange(2.0, 38.5, 0.25)]
    _check_blocks(qtype, [b.astype(np.float32) for b in blocks if np.abs(b).max() < 3.4e38], llama)


@pytest.mark.parametrize("qtype", C_TYPES)
def test_round_trip_decodes_as_the_references_do(qtype, llama):
    """decode(encode(x)): llama.cpp's dequantize_row_<type> and gguf-py's dequantize read
    fastquant's bytes to the same floats, close to x (within one step of each block's scale)."""
    x = np.concatenate([data(k, 4096, seed=5) for k in ("normal", "uniform", "heavy", "sparse")])
    b = fg.quantize(x, qtype)
    dec = llama.dequantize(b, qtype)
    if qtype != "Q8_K":                                   # gguf-py does not decode Q8_K
        gguf = require("gguf", "0.19.0")
        from gguf import quants as gq

        py = gq.dequantize(b, gguf.GGMLQuantizationType[qtype])
        assert np.array_equal(py.view(np.uint32), dec.view(np.uint32))
    bs = SIZES[qtype][0]
    err = np.abs(dec - x).reshape(-1, bs).max(axis=1)
    amax = np.abs(x).reshape(-1, bs).max(axis=1)
    # the coarsest formats (ternary, 2-bit) may miss by up to about the block maximum
    assert (err <= amax * 1.01 + 1e-6).all()
    assert np.median(err / np.maximum(amax, 1e-30)) < {"TQ1_0": 1.0, "TQ2_0": 1.0, "Q2_K": 0.5}.get(qtype, 0.3)


# ---------------------------------------------------------------- gguf-py

def _gguf_py(x, qtype):
    gguf = require("gguf", "0.19.0")
    import warnings

    from gguf import quants as gq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return gq.quantize(x, gguf.GGMLQuantizationType[qtype])


def _same_but_zero_scale_sign(qtype, x, got, expect):
    """Where a stored scale or min is zero, its sign may differ: gguf-py takes the zero that
    argmax / np.min return, C the first one of the block (Q4_0, Q5_0: -0 from ``0 / -8``;
    Q4_1, Q5_1: the first zero's sign). fastquant follows C (test_equals_llama_reference)."""
    if qtype == "BF16":
        assert np.array_equal(got, expect)
        return
    bs, ts = fg.QUANT_SIZES[qtype]
    g = got.reshape(-1, ts).copy()
    e = expect.reshape(-1, ts).copy()
    for f in FP16_FIELDS[qtype]:
        zero = ((g[:, f] | (g[:, f + 1] & 0x7F)) == 0) & ((e[:, f] | (e[:, f + 1] & 0x7F)) == 0)
        g[zero, f + 1] &= 0x7F
        e[zero, f + 1] &= 0x7F
    bad = np.flatnonzero((g != e).any(axis=1))
    assert bad.size == 0, f"{bad.size} {qtype} blocks differ from gguf-py, first {bad[0]}: {g[bad[0]]} vs {e[bad[0]]}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("qtype", GGUF_PY_TYPES)
def test_equals_gguf_py(qtype, kind):
    x = data(kind, 1 << 14, seed=2).reshape(16, -1)
    _same_but_zero_scale_sign(qtype, x, both(fg.quantize, x, qtype), _gguf_py(x, qtype))


@pytest.mark.parametrize("qtype", GGUF_PY_TYPES)
def test_equals_gguf_py_many_blocks(qtype):
    n = 1 << 16 if fastquant.backend() != "numpy" else 1 << 12
    x = np.concatenate([data(k, n, seed=9) for k in KINDS]).reshape(-1, 4096)
    _same_but_zero_scale_sign(qtype, x, fg.quantize(x, qtype), _gguf_py(x, qtype))


def test_bf16_keeps_nan_and_inf_as_gguf_py():
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 3.4e38, -3.4e38, 1e-45, -0.0], np.float32)
    payloads = np.array([0x7F800001, 0xFFC12345, 0x7FBFFFFF, 0x7FFF0000], np.uint32).view(np.float32)
    x = np.concatenate([specials, payloads, data("normal", 244)])
    assert np.array_equal(both(fg.quantize, x, "BF16"), _gguf_py(x, "BF16"))


@pytest.mark.parametrize("qtype", ["F32", "F16"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
def test_casts_equal_gguf_py(qtype, dtype):
    """F32 and F16 are casts from the input's dtype (F16: NaN kept, overflow to inf)."""
    with np.errstate(over="ignore"):
        x = np.concatenate([data("wide", 1024), [np.nan, np.inf, -np.inf, 70000.0, 65519.0, 65520.0, -0.0, 6e-8]]).astype(dtype) \
            if np.dtype(dtype).kind == "f" else np.arange(-1000, 1000, 7, dtype=dtype)
    got = both(fg.quantize, x.reshape(2, -1) if x.size % 2 == 0 else x, qtype)
    expect = _gguf_py(x.reshape(2, -1) if x.size % 2 == 0 else x, qtype)
    assert got.dtype == expect.dtype and np.array_equal(got.view(np.uint8), expect.view(np.uint8))


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("qtype", C_TYPES)
def test_non_finite_is_a_value_error(qtype, bad):
    x = data("normal", max(SIZES[qtype][0], 256) * 2)
    x[-3] = bad
    with pytest.raises(ValueError):
        both(fg.quantize, x, qtype)
    with pytest.raises(ValueError, match=r"^data: expected finite numbers"):
        fg.quantize(x, qtype)


def test_shape_and_type_errors():
    with pytest.raises(ValueError, match=r"^data: the last axis \(100\) is not a multiple of the Q4_K block size \(256\)"):
        fg.quantize(np.zeros(100, np.float32), "Q4_K")
    with pytest.raises(ValueError, match=r"^data: expected an array with at least 1 dimension"):
        fg.quantize(np.float32(1), "Q8_0")
    with pytest.raises(ValueError, match=r"^qtype:"):
        fg.quantize(np.zeros(32, np.float32), "Q4_9")
    with pytest.raises(NotImplementedError, match=r"^qtype: quantization to IQ2_XXS"):
        fg.quantize(np.zeros(256, np.float32), "IQ2_XXS")


# ---------------------------------------------------------------- shapes, out=, threads=, inputs

@pytest.mark.parametrize("qtype", ["Q4_0", "Q5_1", "Q4_K", "Q3_K", "IQ4_XS", "NVFP4", "BF16"])
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 256), (256,), (2, 3, 512), (5, 1, 256)], ids=str)
def test_nd_shapes(qtype, shape):
    x = data("normal", max(256, int(np.prod(shape)) // 256 * 256 + 256))[: int(np.prod(shape))].reshape(shape)
    got = both(fg.quantize, x, qtype)
    bs, ts = fg.QUANT_SIZES[qtype]
    assert got.shape == shape[:-1] + (shape[-1] // bs * ts,) and got.dtype == np.uint8
    if x.size:
        flat = fg.quantize(x.reshape(-1), qtype)
        assert np.array_equal(got.reshape(-1), flat)


@pytest.mark.parametrize("qtype", ["Q8_0", "Q6_K", "MXFP4", "BF16", "F16"])
def test_out(qtype, backend):
    x = data("uniform", 4096).reshape(4, 1024)
    want = fg.quantize(x, qtype)
    out = np.full(want.shape, 0xAB, want.dtype)
    assert fg.quantize(x, qtype, out=out) is out
    assert np.array_equal(out.view(np.uint8), want.view(np.uint8))
    with pytest.raises(ValueError, match=r"^out:"):
        fg.quantize(x, qtype, out=np.empty(want.shape, np.float64))


@pytest.mark.parametrize("qtype", ["Q4_1", "Q2_K", "Q4_K", "Q6_K", "IQ4_NL", "TQ1_0"])
@pytest.mark.parametrize("shape", [(1, 1 << 14), (16, 1024), (3, 2560)], ids=str)
def test_threads_give_the_same_bytes(qtype, shape, backend):
    x = data("heavy", int(np.prod(shape))).reshape(shape)
    one = fg.quantize(x, qtype, threads=1)
    for k in (2, 3, 4):
        assert np.array_equal(fg.quantize(x, qtype, threads=k), one)


def test_inputs_of_any_layout_and_dtype():
    x = data("normal", 4096).reshape(16, 256)
    want = fg.quantize(x, "Q4_K")
    assert np.array_equal(both(fg.quantize, np.asfortranarray(x), "Q4_K"), want)
    assert np.array_equal(both(fg.quantize, x.astype(">f4"), "Q4_K"), want)
    assert np.array_equal(both(fg.quantize, x.astype(np.float64), "Q4_K"), want)
    assert np.array_equal(both(fg.quantize, x.tolist(), "Q4_K"), want)
    wide = np.zeros((16, 512), np.float32)
    wide[:, ::2] = x
    assert np.array_equal(both(fg.quantize, wide[:, ::2], "Q4_K"), want)
    ro = x.copy()
    ro.flags.writeable = False
    assert np.array_equal(both(fg.quantize, ro, "Q4_K"), want)


def test_qtype_forms():
    gguf = require("gguf", "0.19.0")
    x = data("normal", 512)
    want = fg.quantize(x, "Q5_K")
    assert np.array_equal(fg.quantize(x, gguf.GGMLQuantizationType.Q5_K), want)
    assert np.array_equal(fg.quantize(x, 13), want)
    assert np.array_equal(fg.quantize(x, "q5_k"), want)


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch", reason="torch is optional")
    x = data("normal", 1024).reshape(4, 256)
    got = fg.quantize(torch.from_numpy(x), "Q4_K")
    assert isinstance(got, torch.Tensor) and got.dtype == torch.uint8
    assert np.array_equal(got.numpy(), fg.quantize(x, "Q4_K"))
    bf = torch.from_numpy(x).to(torch.bfloat16)
    assert np.array_equal(fg.quantize(bf, "Q8_0").numpy(), fg.quantize(bf.float().numpy(), "Q8_0"))
