"""The short paths of small affine calls (threads=None) agree with the general path
(threads=1 always takes it): same values, same errors, word for word."""

import numpy as np
import pytest

import fastquant as fq
from _support import outcome, same_outcome

NAN, INF = float("nan"), float("inf")
SCALES = [0.5, np.float32(0.25), np.array([0.5, 0.25, 2.0, 1.0], np.float32),
          np.array([0.5, 0.0, 2.0, 1.0], np.float32), np.array([0.5, NAN, 2.0, 1.0], np.float32),
          np.array([0.5, INF, 2.0, 1.0], np.float32), np.array([0.5, -1.0, 2.0, 1.0], np.float32),
          np.array([0.5, 0.25, 2.0], np.float32), np.array([[0.5, 0.25, 2.0, 1.0]], np.float32),
          np.array([0.5, 0.25, 2.0, 1.0, 3.0, 4.0, 5.0, 6.0], np.float32)[::2],
          np.array([0.5, 0.25, 2.0, 1.0], ">f4"), np.array([0.5, 0.25, 2.0, 1.0])]
ZEROS = [3, np.array([0, 1, -2, 3], np.int32), np.array([0, 2**30 + 1, 0, 0], np.int32),
         np.array([0, -(2**30) - 1, 0, 0], np.int32), np.array([0, 1, 2], np.int32),
         np.array([0, 1, 2, 3, 4, 5, 6, 7], np.int32)[::2], np.array([0, 1, -2, 3], np.int64)]
AXES = [None, 0, 1, -1, 2, True]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("use_out", [False, True])
def test_dequantize_func_short_path_agrees(backend, axis, use_out):
    rng = np.random.default_rng(1)
    for dtype in (np.int8, np.uint8, np.int16, np.int32):
        q = rng.integers(0, 100, (4, 4)).astype(dtype)
        for scales in SCALES:
            for zp in ZEROS:
                kw = dict(axis=axis)
                outs = [np.empty((4, 4), np.float32) for _ in range(2)] if use_out else [None, None]
                a = outcome(fq.dequantize_func, q, scales, zp, out=outs[0], **kw)
                b = outcome(fq.dequantize_func, q, scales, zp, out=outs[1], threads=1, **kw)
                assert same_outcome(a, b), (dtype, scales, zp, axis, a, b)


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_quantize_func_per_channel_checks_agree(backend, axis):
    x = np.random.default_rng(2).standard_normal((4, 4)).astype(np.float32)
    for scales in SCALES:
        for zp in ZEROS:
            a = outcome(fq.quantize_func, x, scales, zp, axis=axis)
            b = outcome(fq.quantize_func, x, scales, zp, axis=axis, threads=1)
            assert same_outcome(a, b), (scales, zp, axis, a, b)


def test_dequantize_func_out_overlapping_codes_is_refused():
    buf = np.zeros(32, np.float32)
    with pytest.raises(ValueError, match="out: must not overlap the input"):
        fq.dequantize_func(buf[:16].view(np.int32), 0.5, 0, out=buf[8:24])


def test_cached_per_tensor_parameters_are_never_wrong(backend):
    q = np.arange(-8, 8, dtype=np.int8)
    for scale in (0.1, 0.1, 1e-46, 1e-46, 3.5e38, 3.5e38, -0.0, 0.0, NAN, INF, 0.75):
        for zp in (3, 3, 2**30, 2**30 + 1, 2**30 + 1, -(2**30) - 1, 0):
            a = outcome(fq.dequantize_func, q, scale, zp)
            b = outcome(fq.dequantize_func, q, scale, zp, threads=1)
            want = outcome(fq.dequantize_func, q, np.float64(scale), np.int64(zp))  # not cached
            assert same_outcome(a, b), (scale, zp, a, b)
            # numpy scalars are never cached (their repr differs in messages: compare kinds)
            assert same_outcome(a, want) if isinstance(a, np.ndarray) else a[0] == want[0], (scale, zp, a, want)
    from fastquant import affine

    for arr in list(affine._SCALE_OF.values()) + list(affine._ZERO_POINT_OF.values()):
        assert not arr.flags.writeable


def test_fp8_short_path_is_a_new_exact_copy():
    bits = np.array([0x7FC00001, 0xFFC12345, 0x3F800000, 0x80000000], np.uint32)
    for q in (bits.view(np.float32), bits.view(np.float32).reshape(2, 2), np.float32(2.5) * np.ones(())):
        q = np.asarray(q, np.float32)
        d = fq.dequantize(q, "fp8")
        assert type(d) is np.ndarray and d.dtype == np.float32 and d.shape == q.shape
        assert d.flags.c_contiguous and d.flags.writeable and d.flags.owndata
        assert not np.shares_memory(d, q) and np.array_equal(d.view(np.uint32), q.view(np.uint32))
