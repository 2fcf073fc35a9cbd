"""ONNX's own node tests for QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear
(``onnx/backend/test/case/node/``, built in memory from the onnx wheel), run through
``fastquant.onnx`` bit for bit.

Every case ONNX ships for these operators is classified below: run, or not applicable with the
reason (a type or attribute SPEC 9 does not cover). The classification is also derived from
each case's model (its types and attributes) and must agree with the table, so a case ONNX adds
(or changes) fails :func:`test_every_case_is_classified` until someone looks at it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from _oracles import require

onnx = require("onnx", "1.23.2")
require("ml_dtypes", "0.6.0")

from onnx import helper, numpy_helper  # noqa: E402

import fastquant.onnx as fo  # noqa: E402
from _support import both  # noqa: E402

OPS = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear")
MODULES = ("quantizelinear", "dequantizelinear", "dynamicquantizelinear")

RUN = "run"
EXPANDED = "run: DynamicQuantizeLinear's function-expanded model, the same op on the same data"

#: Every node test case of the three operators in onnx 1.23.2, and what this suite does with it.
#: A case is not applicable when it uses a type SPEC 9 does not cover (float6, int32 inputs,
#: float8e8m0 scales), DequantizeLinear's output_dtype, or QuantizeLinear's precision attribute
#: (SPEC 9 divides in float32); onnx 1.23.2 has no such case for these operators.
CLASSIFIED = {
    "test_quantizelinear": RUN,
    "test_quantizelinear_axis": RUN,
    "test_quantizelinear_e4m3fn": RUN,
    "test_quantizelinear_e5m2": RUN,
    "test_quantizelinear_uint16": RUN,
    "test_quantizelinear_int16": RUN,
    "test_quantizelinear_uint4": RUN,
    "test_quantizelinear_int4": RUN,
    "test_quantizelinear_uint2": RUN,
    "test_quantizelinear_int2": RUN,
    "test_quantizelinear_float4e2m1": RUN,
    "test_quantizelinear_blocked_asymmetric": RUN,
    "test_quantizelinear_blocked_symmetric": RUN,
    "test_dequantizelinear": RUN,
    "test_dequantizelinear_axis": RUN,
    "test_dequantizelinear_e4m3fn": RUN,
    "test_dequantizelinear_e4m3fn_float16": RUN,
    "test_dequantizelinear_e4m3fn_zero_point": RUN,
    "test_dequantizelinear_e5m2": RUN,
    "test_dequantizelinear_uint16": RUN,
    "test_dequantizelinear_int16": RUN,
    "test_dequantizelinear_uint4": RUN,
    "test_dequantizelinear_int4": RUN,
    "test_dequantizelinear_uint2": RUN,
    "test_dequantizelinear_int2": RUN,
    "test_dequantizelinear_float4e2m1": RUN,
    "test_dequantizelinear_blocked": RUN,
    "test_dynamicquantizelinear": RUN,
    "test_dynamicquantizelinear_expanded": EXPANDED,
    "test_dynamicquantizelinear_max_adjusted": RUN,
    "test_dynamicquantizelinear_max_adjusted_expanded": EXPANDED,
    "test_dynamicquantizelinear_min_adjusted": RUN,
    "test_dynamicquantizelinear_min_adjusted_expanded": EXPANDED,
}

#: ONNX types SPEC 9 covers as codes, and the float types of data and scales it takes
_CODE_ENUMS = {t.enum for t in fo.CODE_TYPES.values()}
_VALUE_ENUMS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
_ATTRIBUTES = {"QuantizeLinear": {"axis", "block_size", "output_dtype", "saturate"},
               "DequantizeLinear": {"axis", "block_size"},
               "DynamicQuantizeLinear": set()}


def _cases() -> list:
    """The node test cases of the three operators, built by importing their modules (each
    case registers itself through ``expect`` as its class is created)."""
    node = importlib.import_module("onnx.backend.test.case.node")
    for name in MODULES:
        importlib.import_module(f"onnx.backend.test.case.node.{name}")
    cases = {c.name: c for c in node._NodeTestCases if _op_of(c) is not None}
    return [cases[k] for k in sorted(cases)]


def _op_of(case):
    ops = [n.op_type for n in case.model.graph.node]
    if len(ops) == 1 and ops[0] in OPS:
        return ops[0]
    if case.name.startswith("test_dynamicquantizelinear") and "QuantizeLinear" in ops:
        return "DynamicQuantizeLinear"  # the expanded function body
    return None


def _type_of(value) -> int:
    if isinstance(value, onnx.TensorProto):
        return value.data_type
    return helper.np_dtype_to_tensor_dtype(np.asarray(value).dtype)


def _classify(case) -> str:
    """What the model says: run, or not applicable and why."""
    op = _op_of(case)
    inputs, outputs = case.data_sets[0]
    if case.name.endswith("_expanded"):
        return EXPANDED
    node = case.model.graph.node[0]
    extra = {a.name for a in node.attribute} - _ATTRIBUTES[op]
    if extra:
        return f"not applicable: attribute {sorted(extra)} of {op} is not in SPEC 9"
    ins, outs = [_type_of(v) for v in inputs], [_type_of(v) for v in outputs]
    if op == "QuantizeLinear":
        codes, values = ins[2:] + outs, ins[:2]
    elif op == "DequantizeLinear":
        codes, values = ins[:1] + ins[2:], ins[1:2] + outs
    else:
        codes, values = outs[::2], ins + outs[1:2]
    if not set(codes) <= _CODE_ENUMS:
        return f"not applicable: code type {sorted(set(codes) - _CODE_ENUMS)} is not in SPEC 9"
    if not set(values) <= _VALUE_ENUMS:
        return f"not applicable: value type {sorted(set(values) - _VALUE_ENUMS)} is not in SPEC 9"
    for attr in node.attribute:
        if attr.name == "output_dtype" and helper.get_attribute_value(attr) not in _CODE_ENUMS:
            return "not applicable: output_dtype is not a SPEC 9 code type"
    return RUN


CASES = _cases()


def test_the_cases_were_found():
    assert len(CASES) >= 30, [c.name for c in CASES]


def test_every_case_is_classified():
    """The table above names exactly the cases onnx ships, and says what their models say."""
    assert sorted(c.name for c in CASES) == sorted(CLASSIFIED), "onnx added or removed node test cases"
    derived = {c.name: _classify(c) for c in CASES}
    assert derived == CLASSIFIED


def test_no_other_module_holds_cases_of_these_operators():
    """Cases are only collected from the three modules named for the operators: any other node
    test module that builds one of them would go unseen, so none may mention them."""
    folder = Path(importlib.import_module("onnx.backend.test.case.node").__file__).parent
    others = [p.name for p in sorted(folder.glob("*.py")) if p.stem not in MODULES
              and any(f'"{op}"' in p.read_text(encoding="utf-8") for op in OPS)]
    assert others == []


def _array(value):
    return numpy_helper.to_array(value) if isinstance(value, onnx.TensorProto) else np.asarray(value)


def _same(got, want, name):
    want = np.asarray(want)
    got = np.asarray(got)
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, ONNX {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape}, ONNX {want.shape}"
    assert got.tobytes() == want.tobytes(), f"{name}: {got!r} != {want!r}"


@pytest.mark.parametrize("case", [c for c in CASES if CLASSIFIED.get(c.name, "").startswith("run")],
                         ids=lambda c: c.name)
def test_node_case_bit_for_bit(case):
    op = _op_of(case)
    inputs, outputs = case.data_sets[0]
    args = [_array(v) for v in inputs]
    attrs = {} if case.name.endswith("_expanded") else {
        a.name: helper.get_attribute_value(a) for a in case.model.graph.node[0].attribute}
    if "saturate" in attrs:  # an ONNX int attribute; fastquant takes True/False
        attrs["saturate"] = bool(attrs["saturate"])
    if op == "QuantizeLinear":
        got = (both(fo.quantize_linear, *args, **attrs),)
    elif op == "DequantizeLinear":
        got = (both(fo.dequantize_linear, *args, **attrs),)
    else:
        got = both(fo.dynamic_quantize_linear, *args)
    assert len(got) == len(outputs)
    for i, (g, w) in enumerate(zip(got, outputs)):
        _same(g, _array(w), f"{case.name} output {i}")
