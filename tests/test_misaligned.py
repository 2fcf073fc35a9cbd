"""Inputs viewed at an odd address (a NumPy view into a byte buffer) are a layout NumPy accepts:
every public function must take them and give the bytes it gives for an aligned copy, on both
backends. The kernels read through typed C pointers, so the wrappers must copy such views."""

import numpy as np
import pytest

import fastquant as fq
from _support import both


def _misaligned(values, dtype):
    values = np.asarray(values, dtype=dtype)
    buf = np.zeros(values.nbytes + 1, np.uint8)
    view = buf[1:].view(dtype).reshape(values.shape)
    view[...] = values
    assert view.dtype.itemsize == 1 or not view.flags.aligned
    return view


RNG = np.random.default_rng(7)
F = RNG.standard_normal((6, 50)).astype(np.float32)
I8 = RNG.integers(-8, 8, (6, 50)).astype(np.int8)
I16 = RNG.integers(-300, 300, (6, 50)).astype(np.int16)
I32 = RNG.integers(-300, 300, (6, 50)).astype(np.int32)
SCALES = (RNG.random(6) + 0.1).astype(np.float32)
ZPS = RNG.integers(-5, 5, 6).astype(np.int32)

CALLS = {
    "quantize_to_int4": (fq.quantize_to_int4, lambda f: (f(F, np.float32),), {}),
    "quantize_to_packed_int4": (fq.quantize_to_packed_int4, lambda f: (f(F, np.float32),), {}),
    "quantize_embeddings_int8": (fq.quantize_embeddings, lambda f: (f(F, np.float32), "int8"), {}),
    "quantize_embeddings_ubinary": (fq.quantize_embeddings, lambda f: (f(F, np.float32), "ubinary"), {}),
    "dequantize_fp8": (fq.dequantize, lambda f: (f(F, np.float32), "fp8"), {}),
    "dequantize_from_int4_int16": (fq.dequantize_from_int4, lambda f: (f(I8, np.int16), 0.5, 1), {}),
    "quantize_func": (fq.quantize_func, lambda f: (f(F, np.float32), 0.01, 3), {}),
    "quantize_func_per_channel": (
        fq.quantize_func, lambda f: (f(F, np.float32), f(SCALES, np.float32), f(ZPS, np.int32)), {"axis": 0}),
    "dequantize_func_int16": (fq.dequantize_func, lambda f: (f(I16, np.int16), 0.5, 2), {}),
    "dequantize_func_int32_per_channel": (
        fq.dequantize_func, lambda f: (f(I32, np.int32), f(SCALES, np.float32), f(ZPS, np.int64)), {"axis": 0}),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_misaligned_inputs_give_the_aligned_result(call):
    fn, make, kwargs = call
    odd = both(fn, *make(_misaligned), **kwargs)
    aligned = both(fn, *make(lambda v, dt: np.asarray(v, dtype=dt)), **kwargs)
    np.testing.assert_array_equal(odd[0] if isinstance(odd, tuple) else odd,
                                  aligned[0] if isinstance(aligned, tuple) else aligned)
