"""One-node onnxruntime sessions (one intra-op thread) and ``onnx.reference`` runs of
QuantizeLinear / DequantizeLinear: the peers of ``fastquant.onnx`` in bench/test_onnx.py and
tools/bench_onnx.py.

onnxruntime's Python API cannot hand most code types to NumPy (int4, int2, float8 other than
e4m3fn), so sessions run with IO binding: inputs of such types are bound as OrtValues over
their raw bytes, and outputs are bound to a preallocated OrtValue (onnxruntime's fastest path:
no allocation, no copy) whose raw bytes are read back to compare with ``fastquant.onnx.to_raw``.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

import fastquant.onnx as fo

#: The first opset with each code type's QuantizeLinear/DequantizeLinear (int2/uint2: 25,
#: float4e2m1: 23, the rest: 21, the first with block_size)
OPSET = {"int2": 25, "uint2": 25, "float4e2m1": 23}


def _model(op: str, t, shape, sshape, block: int, axis: int):
    from onnx import TensorProto, helper

    if op == "QuantizeLinear":
        ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
               helper.make_tensor_value_info("s", TensorProto.FLOAT, sshape)]
        out = helper.make_tensor_value_info("y", t.enum, shape)
        attrs = dict(output_dtype=t.enum)
    else:
        ins = [helper.make_tensor_value_info("x", t.enum, shape),
               helper.make_tensor_value_info("s", TensorProto.FLOAT, sshape)]
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
        attrs = {}
    if block:
        attrs.update(axis=axis, block_size=block)
    node = helper.make_node(op, ["x", "s"], ["y"], **attrs)
    model = helper.make_model(helper.make_graph([node], op, ins, [out]),
                              opset_imports=[helper.make_opsetid("", OPSET.get(t.name, 21))])
    model.ir_version = 10
    return model


def _raw_ortvalue(ort, codes: np.ndarray, t):
    """An OrtValue of ONNX type ``t`` over the raw bytes of ``codes`` (kept alive by the
    returned array)."""
    raw = np.frombuffer(fo.to_raw(codes), np.uint8)
    holder = np.zeros(codes.shape, np.uint8)  # an array of the tensor's shape; ORT reads its packed prefix
    holder.reshape(-1)[: raw.size] = raw
    return ort.OrtValue.ortvalue_from_numpy_with_onnx_type(holder, t.enum), holder


class OrtCall:
    """``op`` (QuantizeLinear / DequantizeLinear) of code type ``t`` as a one-node session
    with one intra-op thread, inputs and a preallocated output bound once; ``run()`` runs it,
    ``raw()`` returns the output's bytes (codes as TensorProto raw data, or float32 values).
    ``error`` says why onnxruntime cannot run it (then ``run`` is None)."""

    def __init__(self, op: str, t, x: np.ndarray, scales, block: int = 0, axis: int = -1):
        import onnxruntime as ort

        self.op, self.t, self.error, self.run = op, t, None, None
        scales = np.asarray(scales, np.float32)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        try:
            model = _model(op, t, list(x.shape), list(scales.shape), block, axis)
            self.session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime's errors are RuntimeError subclasses of its own
            self.error = str(exc).splitlines()[0][:120]
            return
        io = self.session.io_binding()
        self._keep = [x, scales]
        if op == "QuantizeLinear":
            io.bind_cpu_input("x", x)
            holder = np.zeros(x.shape, np.uint8) if t.bits <= 8 else np.zeros(x.shape, t.dtype)
            self.out = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(holder, t.enum)
        else:
            if x.dtype.kind in "iu":  # int8, uint8, int16, uint16: NumPy types onnxruntime takes
                io.bind_cpu_input("x", x)
            else:
                value, holder_in = _raw_ortvalue(ort, x, t)
                self._keep += [holder_in]
                io.bind_ortvalue_input("x", value)
            holder = np.zeros(x.shape, np.float32)
            self.out = ort.OrtValue.ortvalue_from_numpy(holder)
        self._keep.append(holder)
        io.bind_cpu_input("s", scales)
        io.bind_ortvalue_output("y", self.out)
        self.io = io
        try:
            self.session.run_with_iobinding(io)
        except Exception as exc:  # noqa: BLE001
            self.error = str(exc).splitlines()[0][:120]
            return
        self.run = lambda: self.session.run_with_iobinding(io)

    def raw(self) -> bytes:
        return ctypes.string_at(self.out.data_ptr(), self.out.tensor_size_in_bytes())


def reference_quantize_to_raw(x: np.ndarray, scales: np.ndarray, t, block: int, axis: int = -1):
    """``onnx.reference`` QuantizeLinear, then ``numpy_helper.from_array(...).raw_data``: what
    producing a weight initializer takes without fastquant. Returns a callable."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    attrs = dict(output_dtype=t.enum) | (dict(axis=axis, block_size=block) if block else {})
    evaluator = ReferenceEvaluator(helper.make_node("QuantizeLinear", ["x", "s"], ["y"], **attrs))
    return lambda: numpy_helper.from_array(evaluator.run(None, {"x": x, "s": scales})[0]).raw_data


def scales_for(x: np.ndarray, t, block: int, axis: int = -1) -> np.ndarray:
    """Absmax scales of ``x`` per tensor (``block == 0``) or per block of ``block`` along
    ``axis``, mapping the largest magnitude near the top of the type's range."""
    top = fastquant_max(t)
    if not block:
        return np.float32(np.abs(x).max() / top)
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    pad = -(-n // block) * block - n
    blocks = np.pad(np.abs(moved), [(0, 0)] * (moved.ndim - 1) + [(0, pad)]).reshape(moved.shape[:-1] + (-1, block))
    s = blocks.max(axis=-1) / top
    s[s == 0] = 1
    return np.ascontiguousarray(np.moveaxis(s.astype(np.float32), -1, axis))


def fastquant_max(t) -> float:
    if t.is_float:
        import fastquant

        return float(fastquant.floats.FORMATS[t.float_format].max)
    return float(max(-t.qmin, t.qmax) if t.qmin < 0 else t.qmax)


def elements(shape) -> int:
    return math.prod(shape)
