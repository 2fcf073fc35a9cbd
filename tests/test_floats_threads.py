"""threads= and streaming stores on the minifloat functions: any split gives the bytes of one
call (and of the twins); streaming stores write the same bytes at every alignment."""

import numpy as np
import pytest

from fastquant import _arrays, _backend, _threads
from fastquant import floats as F
from test_threads import BAD, assert_split_matches_one_call
from _support import assert_identical, both, compiled_names

SHAPES = {
    "even_1d": (5120,),
    "odd_1d": (4097,),
    "rows": (7, 96),
    "nd": (3, 4, 5, 32),
}


def _floats(shape, rng):
    x = (rng.standard_normal(shape) * 2.0 ** rng.integers(-12, 12, shape)).astype(np.float32)
    x.flat[::97] = np.nan
    x.flat[5::101] = np.inf
    return x


def _codes(shape, rng):
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _nibbles(shape, rng):
    return rng.integers(0, 16, shape, dtype=np.uint8)


CALLS = {
    "encode": (lambda x, **k: F.encode(x, "float8_e4m3fn", **k), _floats),
    "encode_saturate": (lambda x, **k: F.encode(x, "float6_e3m2fn", saturate=True, **k), _floats),
    "decode": (lambda x, **k: F.decode(x, "float8_e5m2", **k), _codes),
    "pack_nibbles": (lambda x, **k: F.pack_nibbles(x, **k), _nibbles),
    "unpack_nibbles": (lambda x, **k: F.unpack_nibbles(x, **k), _codes),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("threads", [2, 4])
def test_threads_give_the_bytes_of_one_call(call, shape, threads, rng, monkeypatch):
    fn, make = call
    assert_split_matches_one_call(fn, make(shape, rng), threads, monkeypatch)


MX_SHAPES = {  # (shape, axis, block size, split?): along O, whole blocks of C, along I
    "outer": ((6, 64), -1, 32, True),
    "blocks": ((1, 256), -1, 32, True),
    "blocks_axis0": ((128, 3), 0, 32, True),
    "inner": ((1, 1, 4096), 1, 1, True),
    "one_block_rows": ((32, 50), 0, 32, False),  # one block of several rows: one call
    "one_block_inner": ((1, 32, 40), 1, 32, False),
}


@pytest.mark.parametrize("case", MX_SHAPES.values(), ids=MX_SHAPES.keys())
@pytest.mark.parametrize("threads", [2, 3])
def test_mx_threads_give_the_bytes_of_one_call(case, threads, rng, monkeypatch):
    shape, axis, block, split = case
    x = _floats(shape, rng)
    x[(slice(None),) * (axis % len(shape)) + (slice(0, 1),)] = 0.0  # all-zero blocks too
    one = both(F.quantize_mx, x, "float8_e4m3fn", block_size=block, axis=axis, threads=1)
    chunks = []
    real = _threads._execute
    monkeypatch.setattr(_threads, "_execute", lambda calls: chunks.append(len(calls)) or real(calls))
    many = both(F.quantize_mx, x, "float8_e4m3fn", block_size=block, axis=axis, threads=threads)
    assert_identical(many, one)
    kw = dict(block_size=block, axis=axis)
    deq_one = both(F.dequantize_mx, one[0], one[1], "float8_e4m3fn", threads=1, **kw)
    deq_many = both(F.dequantize_mx, one[0], one[1], "float8_e4m3fn", threads=threads, **kw)
    assert_identical(deq_many, deq_one)
    assert (max(chunks, default=1) > 1) == split, chunks


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_bad_threads_is_a_value_error_naming_it(bad):
    x = np.zeros((2, 32), np.float32)
    for fn, args in ((F.encode, (x, "float8_e4m3fn")), (F.decode, (x.view(np.uint8), "float8_e4m3fn")),
                     (F.quantize_mx, (x, "float4_e2m1fn")),
                     (F.dequantize_mx, (np.zeros((2, 32), np.uint8), np.zeros((2, 1), np.uint8), "float4_e2m1fn"))):
        with pytest.raises(ValueError, match="^threads: "):
            fn(*args, threads=bad)


def _out_at(offset_bytes: int, shape) -> np.ndarray:
    """A C-contiguous float32 array starting ``offset_bytes`` past a 64-byte boundary."""
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    return raw[start:start + count * 4].view(np.float32).reshape(shape)


@pytest.mark.parametrize("offset", [0, 4, 12, 36, 60])
@pytest.mark.parametrize("n", [1, 15, 256, 300, 1000, 2049])
def test_stream_writes_the_same_bytes(n, offset, rng):
    """The decoders' streaming stores (out= of 8 MiB and more) write what ordinary stores do,
    at every float32 alignment, for every kernel that streams."""
    codes = rng.integers(0, 256, (3, n), dtype=np.uint8)
    scales = rng.uniform(0.5, 2, (3, 1, 1)).astype(np.float32)
    rng_scales = rng.uniform(0.5, 2, (1, 3 * n, 1)).astype(np.float32)
    mx_codes = (codes & 0x3F).reshape(1, 3 * n, 1)
    mx_scales = rng.integers(0, 256, (1, n, 1), dtype=np.uint8)  # 0xFF (NaN blocks) included
    calls = {
        "floats_decode": lambda k, out, s: k.floats_decode(codes, out, 0, s),
        "floats_decode_scaled_rows": lambda k, out, s: k.floats_decode_scaled(
            codes.reshape(3, n, 1), out.reshape(3, n, 1), scales, n, 2, s),
        "floats_decode_scaled_runs": lambda k, out, s: k.floats_decode_scaled(
            codes.reshape(1, 3 * n, 1), out.reshape(1, 3 * n, 1),
            rng_scales[:, : -(-3 * n // 5)], 5, 2, s),
        "floats_dequantize_mx": lambda k, out, s: k.floats_dequantize_mx(
            mx_codes, out.reshape(1, 3 * n, 1), mx_scales, 3, 8, s),
    }
    for label, run in calls.items():
        reference = np.full((3, n), np.nan, np.float32)
        run(_backend.kernels_of("numpy"), reference, False)
        for backend in compiled_names():
            for stream in (False, True):
                out = _out_at(offset, (3, n))
                out.fill(np.nan)
                run(_backend.kernels_of(backend), out, stream)
                assert_identical(out, reference, f"{label} {backend} stream={stream} offset={offset}")


@pytest.mark.parametrize("block", [1, 2, 5, 8, 32, 48, 256, 300])
@pytest.mark.parametrize("offset", [0, 4, 60])
def test_mx_stream_along_the_last_axis(block, offset, rng):
    """dequantize_mx's streaming path along the last axis (the common MX layout) fills each
    block's multiplier run by run; blocks smaller than, equal to and larger than the kernels'
    256-element chunk, 0xFF (NaN) scales among ordinary ones, every chunk alignment."""
    rows, nb = 3, -(-700 // block)
    codes = rng.integers(0, 256, (rows, nb * block, 1), dtype=np.uint8)
    scales = rng.integers(100, 150, (rows, nb, 1), dtype=np.uint8)
    scales[rng.random(scales.shape) < 0.1] = 0xFF
    fmt = F.FORMATS["float8_e4m3fn"].id
    reference = np.full(codes.shape, np.nan, np.float32)
    _backend.kernels_of("numpy").floats_dequantize_mx(codes, reference, scales, block, fmt, False)
    assert np.isnan(reference).any() and not np.isnan(reference).all()
    for backend in compiled_names():
        for stream in (False, True):
            out = _out_at(offset, codes.shape)
            out.fill(-1.0)
            _backend.kernels_of(backend).floats_dequantize_mx(codes, out, scales, block, fmt, stream)
            assert_identical(out, reference, f"{backend} stream={stream} block={block} offset={offset}")


@pytest.mark.parametrize("block", [1, 2, 5, 8, 32, 48, 256, 300])
def test_scaled_runs_along_the_last_axis(block, rng):
    """floats_encode_scaled / floats_decode_scaled with a float32 scale per run of ``block``
    elements along the last axis (ONNX's blocked float8/float4 layout) fill each run's scale
    run by run: blocks below, at and above the 256-element chunk, a ragged last block."""
    rows, n = 3, 700
    nb = -(-n // block)
    x = (rng.standard_normal((rows, n, 1)) * 300).astype(np.float32)
    codes = rng.integers(0, 256, (rows, n, 1), dtype=np.uint8)
    scales = rng.uniform(0.25, 4, (rows, nb, 1)).astype(np.float32)
    fmt = F.FORMATS["float8_e4m3fn"].id
    twin = _backend.kernels_of("numpy")
    want_codes = {sat: np.zeros(x.shape, np.uint8) for sat in (False, True)}
    for sat in (False, True):
        twin.floats_encode_scaled(x, want_codes[sat], scales, block, fmt, sat)
    want_values = np.full(codes.shape, np.nan, np.float32)
    twin.floats_decode_scaled(codes, want_values, scales, block, fmt, False)
    for backend in compiled_names():
        k = _backend.kernels_of(backend)
        for sat in (False, True):
            got = np.zeros(x.shape, np.uint8)
            k.floats_encode_scaled(x, got, scales, block, fmt, sat)
            assert_identical(got, want_codes[sat], f"{backend} encode block={block} saturate={sat}")
        for stream in (False, True):
            out = _out_at(4, codes.shape)
            out.fill(-1.0)
            k.floats_decode_scaled(codes, out, scales, block, fmt, stream)
            assert_identical(out, want_values, f"{backend} decode block={block} stream={stream}")


@pytest.mark.parametrize("threads", [1, 2])
def test_public_decoders_stream_into_a_large_out(threads, rng, monkeypatch):
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    codes = rng.integers(0, 64, (5, 1024), dtype=np.uint8)
    scales = rng.integers(100, 150, (5, 32), dtype=np.uint8)
    for fn, args in ((F.decode, (codes, "float8_e4m3fn")), (F.dequantize_mx, (codes, scales, "float6_e2m3fn"))):
        def call(*a, fn=fn):
            out = _out_at(4, codes.shape)
            assert fn(*a, out=out, threads=threads) is out
            return out
        both(call, *args)
