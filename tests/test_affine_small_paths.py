"""The short paths of small affine calls (threads=None) agree with the general path
(threads=1 always takes it): same values, same errors, word for word."""

import numpy as np
import pytest

import fastquant as fq

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


def _call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)


def _same(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))
    return a == b


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
                a = _call(fq.dequantize_func, q, scales, zp, out=outs[0], **kw)
                b = _call(fq.dequantize_func, q, scales, zp, out=outs[1], threads=1, **kw)
                assert _same(a, b), (dtype, scales, zp, axis, a, b)


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_quantize_func_per_channel_checks_agree(backend, axis):
    x = np.random.default_rng(2).standard_normal((4, 4)).astype(np.float32)
    for scales in SCALES:
        for zp in ZEROS:
            a = _call(fq.quantize_func, x, scales, zp, axis=axis)
            b = _call(fq.quantize_func, x, scales, zp, axis=axis, threads=1)
            assert _same(a, b), (scales, zp, axis, a, b)


def test_dequantize_func_out_overlapping_codes_is_refused():
    buf = np.zeros(32, np.float32)
    with pytest.raises(ValueError, match="out: must not overlap the input"):
        fq.dequantize_func(buf[:16].view(np.int32), 0.5, 0, out=buf[8:24])
