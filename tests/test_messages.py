"""Error messages say what the caller passed: a dict (or a list of strings) given as data is
named as such, not as the 0-d object array NumPy makes of it."""

import numpy as np
import pytest

import fastquant as fq

#: (call with the data argument replaced, argument name) for every public function taking data
CALLS = [
    (lambda v: fq.quantize_embeddings(v, "int8"), "x"),
    (lambda v: fq.dequantize(v, "int8"), "q"),
    (lambda v: fq.dequantize(v, "binary", orig_dim=8), "q"),
    (lambda v: fq.quantize_to_int4(v), "values"),
    (lambda v: fq.quantize_to_packed_int4(v), "values"),
    (lambda v: fq.dequantize_from_int4(v, 0.5), "q"),
    (lambda v: fq.pack_int4_to_int8(v), "values"),
    (lambda v: fq.unpack_int8_to_int4(v), "packed"),
    (lambda v: fq.dequantize_packed_int4(v, 0.5), "packed"),
    (lambda v: fq.quantize_func(v, 0.5, 0), "x"),
    (lambda v: fq.dequantize_func(v, 0.5, 0), "x_q"),
]


@pytest.mark.parametrize("call, name", CALLS, ids=[f"{i}-{n}" for i, (_, n) in enumerate(CALLS)])
def test_a_dict_is_named_as_a_dict(call, name):
    with pytest.raises(TypeError) as exc:
        call({"a": 1.0})
    msg = str(exc.value)
    assert msg.startswith(f"{name}: ")
    assert "got dict {'a': 1.0}" in msg, msg


def test_a_list_of_strings_is_named_with_its_values():
    with pytest.raises(TypeError, match=r"^values: .*got list \['a', 'b'\]"):
        fq.quantize_to_int4(["a", "b"])


def test_an_array_is_still_named_by_dtype_and_shape():
    with pytest.raises(TypeError, match=r"^x: .*got an array of dtype object and shape \(2,\)$"):
        fq.quantize_embeddings(np.array([{}, {}], dtype=object), "int8")
