"""fastquant.onnx against a one-node onnxruntime session (one intra-op thread) on the same data,
for every code type, per tensor and in blocks of 32 and 128 along the last axis; and the
int4/uint4 weight path (blocks of 32 to TensorProto raw bytes) against onnx.reference. One
benchmark group per op, type, layout and size, so each table compares like with like:

    pytest bench/test_onnx.py --benchmark-only --fq-sizes 16M
    pytest bench/test_onnx.py --benchmark-only -k "int8 and tensor"

Outputs are compared byte for byte with onnxruntime's wherever it runs the op (float4e2m1 it
does not); a type or layout it lacks is skipped with its error. tools/bench_onnx.py prints the
same comparison as one table of ratios.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("ml_dtypes", reason="fastquant.onnx needs ml_dtypes (the onnx extra)")
HAVE_ORT = importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("onnx") is not None

import fastquant.onnx as fo  # noqa: E402
from fastquant._bench.cases import size_label  # noqa: E402
from onnx_peers import OrtCall, reference_quantize_to_raw, scales_for  # noqa: E402

LAYOUTS = {"tensor": 0, "block32": 32, "block128": 128}
TYPES = list(fo.CODE_TYPES)
needs_ort = pytest.mark.skipif(not HAVE_ORT, reason="onnxruntime and onnx are not installed (the bench extra)")

_DATA: dict = {}


def data(size: int, name: str, layout: str):
    """``(x, scales, codes, kwargs)`` for ``size`` values shaped (size / 1024, 1024), cached."""
    key = (size, name, layout)
    if key not in _DATA:
        _DATA.clear()  # one case's arrays at a time (16M values are 64 MB)
        x = np.random.default_rng(size).standard_normal((max(1, size // 1024), min(size, 1024)), dtype=np.float32)
        block = LAYOUTS[layout]
        s = scales_for(x, fo.CODE_TYPES[name], block)
        kw = dict(axis=-1, block_size=block) if block else {}
        codes = fo.quantize_linear(x, s, output_dtype=name, **kw)
        _DATA[key] = x, s, codes, kw
    return _DATA[key]


def _group(op, name, layout, size):
    return f"{op}[{name},{layout}] @ {size_label(size)}"


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", TYPES)
def test_quantize_fastquant(benchmark, name, layout, size):
    x, s, codes, kw = data(size, name, layout)
    out = np.empty_like(codes)
    benchmark.group = _group("QuantizeLinear", name, layout, size)
    benchmark.name = "fastquant out= threads=1"
    benchmark(fo.quantize_linear, x, s, output_dtype=name, threads=1, out=out, **kw)
    assert fo.to_raw(out) == fo.to_raw(codes)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", TYPES)
def test_dequantize_fastquant(benchmark, name, layout, size):
    x, s, codes, kw = data(size, name, layout)
    out = np.empty(x.shape, np.float32)
    benchmark.group = _group("DequantizeLinear", name, layout, size)
    benchmark.name = "fastquant out= threads=1"
    benchmark(fo.dequantize_linear, codes, s, threads=1, out=out, **kw)


def _ort(op, name, layout, size):
    x, s, codes, kw = data(size, name, layout)
    call = OrtCall(op, fo.CODE_TYPES[name], x if op == "QuantizeLinear" else codes, s, LAYOUTS[layout], axis=-1)
    if call.run is None:
        pytest.skip(f"onnxruntime: {call.error}")
    want = fo.to_raw(codes) if op == "QuantizeLinear" else fo.dequantize_linear(codes, s, **kw).tobytes()
    assert call.raw() == want, "onnxruntime's output differs from fastquant's"
    return call


@needs_ort
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", TYPES)
def test_quantize_onnxruntime(benchmark, name, layout, size):
    call = _ort("QuantizeLinear", name, layout, size)
    benchmark.group = _group("QuantizeLinear", name, layout, size)
    benchmark.name = "onnxruntime 1 thread"
    benchmark(call.run)


@needs_ort
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", TYPES)
def test_dequantize_onnxruntime(benchmark, name, layout, size):
    call = _ort("DequantizeLinear", name, layout, size)
    benchmark.group = _group("DequantizeLinear", name, layout, size)
    benchmark.name = "onnxruntime 1 thread"
    benchmark(call.run)


@pytest.mark.parametrize("name", ["int4", "uint4"])
def test_weights_to_raw_fastquant(benchmark, name, size):
    x, s, codes, kw = data(size, name, "block32")
    benchmark.group = _group("QuantizeLinear to raw", name, "block32", size)
    benchmark.name = "fastquant quantize_linear + to_raw"
    raw = benchmark(lambda: fo.to_raw(fo.quantize_linear(x, s, output_dtype=name, threads=1, **kw)))
    assert raw == fo.to_raw(codes)


@needs_ort
@pytest.mark.parametrize("name", ["int4", "uint4"])
def test_weights_to_raw_reference(benchmark, name, size):
    x, s, codes, kw = data(size, name, "block32")
    call = reference_quantize_to_raw(x, s, fo.CODE_TYPES[name], 32)
    assert call() == fo.to_raw(codes)
    benchmark.group = _group("QuantizeLinear to raw", name, "block32", size)
    benchmark.name = "onnx.reference + numpy_helper.from_array"
    benchmark.pedantic(call, rounds=3, iterations=1)
