"""The short path of small ``dequantize`` calls (threads=None) agrees with the general path
(threads=1 always takes it), ``out=`` included: same bytes, same errors word for word."""

import numpy as np
import pytest

import fastquant as fq
from _support import outcome, same_outcome


def _qs(rng):
    yield "fp8", rng.standard_normal((3, 16)).astype(np.float32), None
    yield "int8", rng.integers(-128, 128, (3, 16)).astype(np.int8), None
    yield "uint8", rng.integers(0, 256, (3, 16)).astype(np.uint8), None
    yield "binary", rng.integers(-128, 128, (3, 2)).astype(np.int8), 16
    yield "ubinary", rng.integers(0, 256, (3, 2)).astype(np.uint8), 13


@pytest.mark.parametrize("kind", ["none", "good", "dtype", "shape", "overlap", "readonly", "strided"])
def test_dequantize_short_path_agrees(backend, kind):
    for quant, q, orig_dim in _qs(np.random.default_rng(3)):
        shape = q.shape[:-1] + (orig_dim or q.shape[-1],)
        outs = []
        for _ in range(2):
            if kind == "none":
                outs.append(None)
            elif kind == "dtype":
                outs.append(np.empty(shape, np.float64))
            elif kind == "shape":
                outs.append(np.empty(shape[:-1] + (shape[-1] + 1,), np.float32))
            elif kind == "overlap":
                outs.append(q.view(np.uint8).view(np.float32) if q.dtype == np.float32 else None)
            elif kind == "readonly":
                o = np.empty(shape, np.float32)
                o.flags.writeable = False
                outs.append(o)
            elif kind == "strided":
                outs.append(np.empty(shape[:-1] + (2 * shape[-1],), np.float32)[..., ::2])
            else:
                outs.append(np.full(shape, 7.0, np.float32))
        a = outcome(fq.dequantize, q, quant, orig_dim, out=outs[0])
        b = outcome(fq.dequantize, q, quant, orig_dim, out=outs[1], threads=1)
        assert same_outcome(a, b), (quant, kind, a, b)
        if kind == "good":
            assert a is outs[0]
