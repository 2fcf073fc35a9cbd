"""GGUF encode on a (4096, 4096) float32 tensor: fastquant against llama.cpp's reference
quantizers (``quantize_row_<type>_ref``, built by tools/build_llama_oracle.py and called in this
process through ctypes) and gguf-py's ``gguf.quants.quantize`` where it has the type. Every
type, one benchmark group each; the outputs are compared byte for byte.

    pytest bench/test_gguf_encode.py --benchmark-only --benchmark-group-by=group
    pytest bench/test_gguf_encode.py --benchmark-only -k "Q4_K"

fastquant runs with ``threads=1`` (and, for the K-quants, ``threads=2``, to show the split).
The C reference takes ~1 s per call on the slow types, so every benchmark here is one warm-up
and three timed rounds (``benchmark.pedantic``).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastquant.gguf as fg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _llama_oracle import SIZES, oracle  # noqa: E402
from _oracles import require  # noqa: E402

SHAPE = (4096, 4096)
GGUF_PY = ("BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4")
K_QUANTS = ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS")
TYPES = tuple(t for t in fg.ENCODE_TYPES if t not in ("F32", "F16"))
ROUNDS = dict(rounds=3, iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def tensor():
    return np.random.default_rng(20261123).standard_normal(SHAPE, dtype=np.float32)


@pytest.fixture(scope="module")
def expected(tensor):
    """fastquant's bytes of every type (threads=1), computed once: each peer must match them."""
    return {t: fg.quantize(tensor, t, threads=1) for t in TYPES}


def _gguf_py(x, qtype):
    gguf = require("gguf", "0.19.0")
    from gguf import quants

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return quants.quantize(x, gguf.GGMLQuantizationType[qtype])


@pytest.mark.parametrize("qtype", TYPES)
def test_fastquant(benchmark, tensor, expected, qtype):
    benchmark.group = f"gguf quantize {qtype} 4096x4096"
    out = np.empty_like(expected[qtype])
    got = benchmark.pedantic(fg.quantize, args=(tensor, qtype), kwargs=dict(out=out, threads=1), **ROUNDS)
    assert np.array_equal(got, expected[qtype])


@pytest.mark.parametrize("qtype", K_QUANTS + ("IQ4_NL", "Q4_0", "Q8_0"))
def test_fastquant_two_threads(benchmark, tensor, expected, qtype):
    benchmark.group = f"gguf quantize {qtype} 4096x4096"
    out = np.empty_like(expected[qtype])
    got = benchmark.pedantic(fg.quantize, args=(tensor, qtype), kwargs=dict(out=out, threads=2), **ROUNDS)
    assert np.array_equal(got, expected[qtype])


@pytest.mark.parametrize("qtype", [t for t in TYPES if t in SIZES])
def test_llama_cpp_reference(benchmark, tensor, expected, qtype):
    llama = oracle()
    benchmark.group = f"gguf quantize {qtype} 4096x4096"
    got = benchmark.pedantic(llama.quantize, args=(tensor, qtype), **ROUNDS)
    assert np.array_equal(got.reshape(expected[qtype].shape), expected[qtype])


def _same_but_zero_scale_sign(qtype, got, want):
    """As tests/test_gguf_encode.py: gguf-py may store a zero scale/min with the other sign."""
    if qtype == "BF16" or np.array_equal(got, want):
        return np.array_equal(got, want)
    bs, ts = fg.QUANT_SIZES[qtype]
    g, w = got.reshape(-1, ts).copy(), want.reshape(-1, ts).copy()
    for f in {"Q4_0": (0,), "Q5_0": (0,), "Q8_0": (0,), "Q4_1": (0, 2), "Q5_1": (0, 2), "TQ1_0": (52,), "TQ2_0": (64,)}.get(qtype, ()):
        zero = ((g[:, f] | (g[:, f + 1] & 0x7F)) == 0) & ((w[:, f] | (w[:, f + 1] & 0x7F)) == 0)
        g[zero, f + 1] &= 0x7F
        w[zero, f + 1] &= 0x7F
    return np.array_equal(g, w)


@pytest.mark.parametrize("qtype", GGUF_PY)
def test_gguf_py(benchmark, tensor, expected, qtype):
    benchmark.group = f"gguf quantize {qtype} 4096x4096"
    got = benchmark.pedantic(_gguf_py, args=(tensor, qtype), **ROUNDS)
    assert _same_but_zero_scale_sign(qtype, got, expected[qtype])
