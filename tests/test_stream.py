"""Streaming (non-temporal) stores: same bytes as ordinary stores, at every alignment."""

import numpy as np
import pytest

import fastquant as fq
from fastquant import _arrays, _backend
from _support import assert_identical, both, compiled_names


def _out_at(offset_bytes: int, shape) -> np.ndarray:
    """A C-contiguous float32 array starting ``offset_bytes`` past a 64-byte boundary."""
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    return raw[start:start + count * 4].view(np.float32).reshape(shape)


KERNELS = {
    "dequantize": ("int4_dequantize", lambda rng, n: (rng.integers(-8, 8, n, dtype=np.int8), n)),
    "unpack_dequantize_even": (
        "int4_unpack_dequantize", lambda rng, n: (rng.integers(-128, 128, (1, n), dtype=np.int8), (1, 2 * n))),
    "unpack_dequantize_odd_rows": (
        "int4_unpack_dequantize", lambda rng, n: (rng.integers(-128, 128, (3, n), dtype=np.int8), (3, 2 * n - 1))),
}


# float32-aligned offsets only: the kernels require an aligned out (check_out rejects the rest)
@pytest.mark.parametrize("offset", [0, 4, 8, 12, 16, 36, 60])
@pytest.mark.parametrize("n", [1, 15, 255, 256, 300, 1000, 2049])
@pytest.mark.parametrize("case", KERNELS.values(), ids=KERNELS.keys())
def test_stream_writes_the_same_bytes(case, n, offset, rng):
    name, make = case
    src, shape = make(rng, n)
    reference = np.full(shape, np.nan, np.float32)
    getattr(_backend.kernels_of("numpy"), name)(src, reference, np.float32(0.375), 2)
    for backend in compiled_names():
        for stream in (False, True):
            out = _out_at(offset, shape)
            out.fill(np.nan)
            getattr(_backend.kernels_of(backend), name)(src, out, np.float32(0.375), 2, stream)
            assert_identical(out, reference, f"{backend} stream={stream} offset={offset}")


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", [(4099,), (5, 1001), (2, 3, 64)])
def test_public_functions_stream_into_out_above_the_threshold(shape, threads, rng, monkeypatch):
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    q = rng.integers(-8, 8, shape, dtype=np.int8)
    packed = fq.pack_int4_to_int8(q)
    for fn, args in [
        (fq.dequantize_from_int4, (q, 0.5, 1)),
        (fq.dequantize_packed_int4, (packed, 0.5, 1, shape[-1])),
    ]:
        def call(*a, fn=fn):
            out = _out_at(4, shape)
            assert fn(*a, out=out, threads=threads) is out
            return out
        both(call, *args)


def test_streams_only_into_a_callers_large_out(monkeypatch):
    big = np.empty(_arrays.STREAM_MIN_BYTES // 4, np.float32)
    assert _arrays.streams(big, big)
    assert not _arrays.streams(None, big)
    assert not _arrays.streams(big[:-1], big[:-1])
