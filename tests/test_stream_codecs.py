"""Streaming stores in the embedding and affine decoders: the same bytes as ordinary stores,
at every alignment. (int4: tests/test_stream.py, whose ``_out_at`` this reuses.)"""

import numpy as np
import pytest

import fastquant as fq
from fastquant import _arrays, _backend
from _support import assert_identical, both, compiled_names
from test_stream import _out_at


KERNELS = {
    # name: (kernel, make(rng, n) -> (src, out shape, extra args before stream))
    "int8": ("embed8_int8_decode", lambda rng, n: (rng.integers(-128, 128, n, dtype=np.int8), (n,), ())),
    "uint8": ("embed8_uint8_decode", lambda rng, n: (rng.integers(0, 256, n, dtype=np.uint8), (n,), ())),
    "binary_flat": ("signbits_unpack", lambda rng, n: (
        rng.integers(0, 256, (1, (8 * n + 7) // 8), dtype=np.uint8), (1, 8 * n), (0x80,))),
    "ubinary_rows": ("signbits_unpack", lambda rng, n: (
        rng.integers(0, 256, (3, (n + 7) // 8), dtype=np.uint8), (3, n), (0,))),
    "affine_tensor": ("affine_dequantize", lambda rng, n: (
        rng.integers(-128, 128, (1, 1, n), dtype=np.int8), (1, 1, n),
        (np.array([0.375], np.float32), np.array([3], np.int32)))),
    "affine_channels_last": ("affine_dequantize", lambda rng, n: (
        rng.integers(0, 65536, (3, n, 1), dtype=np.uint16), (3, n, 1),
        ((rng.random(n) + 0.01).astype(np.float32), rng.integers(-9, 9, n).astype(np.int32)))),
    "affine_channels_mid": ("affine_dequantize", lambda rng, n: (
        rng.integers(-2**31, 2**31, (2, 3, n), dtype=np.int32), (2, 3, n),
        (np.array([0.5, 1e-3, 7.0], np.float32), np.array([-5, 0, 2**30], np.int32)))),
}


# float32-aligned offsets only: the kernels require an aligned out (check_out rejects the rest;
# a float stored at an odd address is undefined behaviour, which UBSan reports)
@pytest.mark.parametrize("offset", [0, 4, 12, 36, 60])
@pytest.mark.parametrize("n", [1, 15, 255, 256, 300, 1000, 2049])
@pytest.mark.parametrize("case", KERNELS.values(), ids=KERNELS.keys())
def test_stream_writes_the_same_bytes(case, n, offset, rng):
    name, make = case
    src, shape, extra = make(rng, n)
    reference = np.full(shape, np.nan, np.float32)
    getattr(_backend.kernels_of("numpy"), name)(src, reference, *extra)
    for backend in compiled_names():
        for stream in (False, True):
            out = _out_at(offset, shape)
            out.fill(np.nan)
            getattr(_backend.kernels_of(backend), name)(src, out, *extra, stream)
            assert_identical(out, reference, f"{backend} stream={stream} offset={offset}")


def _calls(rng, shape):
    q8 = rng.integers(-128, 128, shape, dtype=np.int8)
    u8 = q8.view(np.uint8)
    n = shape[-1]
    packed = rng.integers(0, 256, shape[:-1] + ((n + 7) // 8,), dtype=np.uint8)
    c = shape[0]
    scales, zps = (rng.random(c) + 0.01).astype(np.float32), rng.integers(-9, 9, c)
    return [
        (fq.dequantize, (q8, "int8")),
        (fq.dequantize, (u8, "uint8")),
        (fq.dequantize, (packed.view(np.int8), "binary", n)),
        (fq.dequantize, (packed, "ubinary", n)),
        (fq.dequantize, (q8.astype(np.float32), "fp8")),
        (fq.dequantize_func, (q8, 0.25, 3)),
        (lambda *a, **k: fq.dequantize_func(*a, axis=0, **k), (u8, scales, zps)),
        (lambda *a, **k: fq.dequantize_func(*a, axis=-1, **k), (q8, 0.5, np.arange(n) - 4)),
    ]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", [(4099,), (5, 1001), (2, 3, 64)])
def test_public_functions_stream_into_out_above_the_threshold(shape, threads, rng, monkeypatch):
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    for fn, args in _calls(rng, shape):
        def call(*a, fn=fn):
            result = fn(*a, threads=threads)  # the shape of the output
            out = _out_at(4, result.shape)
            assert fn(*a, out=out, threads=threads) is out
            return out
        both(call, *args)
