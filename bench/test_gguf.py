"""GGUF decode: fastquant.gguf.dequantize vs gguf-py's gguf.quants.dequantize on the same bytes.

One benchmark group per type, on a (4096, 4096) tensor by default (``--gguf-shape``): gguf-py,
fastquant (new result), fastquant into a preallocated ``out=``, and ``np.copyto`` of the
float32 output into a preallocated buffer (the memory yardstick). Every fastquant output is
compared with gguf-py's, NaN-aware bit for bit, before timing. All on one thread.

    pytest bench/test_gguf.py --benchmark-only
    FASTQUANT_GGUF_SHAPE=1024x4096 pytest bench/test_gguf.py --benchmark-only -k Q4_K
    python tools/bench_gguf.py          # the same comparison as one ratio table

gguf-py is a test dependency (``pip install .[test]``): without it these benchmarks skip.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

import numpy as np
import pytest

import fastquant.gguf as fg
from fastquant._bench.cases import gguf_bytes

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gguf") is None, reason="gguf-py is not installed")

#: The benchmarked tensor shape (values), ``ROWSxCOLS``.
SHAPE = tuple(int(v) for v in os.environ.get("FASTQUANT_GGUF_SHAPE", "4096x4096").lower().split("x"))


@pytest.fixture(scope="module")
def gguf():
    import gguf

    return gguf


@pytest.fixture(scope="module")
def shape():
    return SHAPE


@pytest.fixture(scope="module")
def tensors(shape):
    """The bytes of each type for ``shape``, made once."""
    rng = np.random.default_rng(20261123)
    return {name: gguf_bytes(name, shape, rng) for name in fg.DECODE_TYPES}


_REFERENCE: dict = {}


def _oracle(gguf, data, name):
    """gguf-py's output for ``data`` (computed once per type)."""
    if name not in _REFERENCE:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            _REFERENCE[name] = np.asarray(gguf.quants.dequantize(data, gguf.GGMLQuantizationType[name]))
    return _REFERENCE[name]


def _assert_same(ours, ref):
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    a, b = ours.reshape(-1), np.ascontiguousarray(ref).reshape(-1)
    na, nb = np.isnan(a), np.isnan(b)
    assert np.array_equal(na, nb)
    assert np.array_equal(a.view(np.uint32)[~na], b.view(np.uint32)[~nb])


WHO = ["gguf-py", "fastquant", "fastquant out=", "np.copyto"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", fg.DECODE_TYPES)
def test_gguf_dequantize(benchmark, gguf, tensors, shape, name, who):
    data = tensors[name]
    benchmark.group = f"gguf dequantize {name} {shape[0]}x{shape[1]}"
    benchmark.name = who
    if who == "gguf-py":
        member = gguf.GGMLQuantizationType[name]

        def call():
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return gguf.quants.dequantize(data, member)

        benchmark.pedantic(call, rounds=3, iterations=1)
        return
    if who == "np.copyto":
        src = np.ones(shape, np.float32)
        dst = np.empty_like(src)
        benchmark(np.copyto, dst, src)
        return
    ref = _oracle(gguf, data, name)
    if who == "fastquant":
        _assert_same(fg.dequantize(data, name, threads=1), ref)
        benchmark(fg.dequantize, data, name, threads=1)
    else:
        out = np.empty(ref.shape, np.float32)
        assert fg.dequantize(data, name, out=out, threads=1) is out
        _assert_same(out, ref)
        benchmark(fg.dequantize, data, name, out=out, threads=1)
