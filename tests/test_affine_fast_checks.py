"""The cheap per-channel parameter checks (Python numbers for a few channels, NumPy for many)
reject exactly what the NumPy checks reject, with the same message."""

import numpy as np
import pytest

import fastquant as fq
from fastquant import affine

BAD_SCALES = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 1e-50, 1e39]


@pytest.mark.parametrize("channels", [1, 3, affine._FEW, affine._FEW + 1])
@pytest.mark.parametrize("where", [0, -1])
@pytest.mark.parametrize("bad", BAD_SCALES, ids=repr)
def test_a_bad_scale_is_named_with_its_index(channels, where, bad):
    scales = np.ones(channels)
    scales[where] = bad
    x = np.zeros((2, channels), np.float32)
    index = where % channels
    for fn, arg in ((fq.quantize_func, x), (fq.dequantize_func, x.astype(np.int8))):
        with pytest.raises(ValueError, match=rf"^scales: .* at index {index}$"):
            fn(arg, scales, 0, axis=1)


@pytest.mark.parametrize("channels", [1, 3, affine._FEW, affine._FEW + 1])
@pytest.mark.parametrize("bad", [2**30 + 1, -(2**30) - 1, 2**40])
def test_a_zero_point_out_of_range_is_rejected(channels, bad):
    zps = np.zeros(channels, np.int64)
    zps[-1] = bad
    with pytest.raises(ValueError, match="^zero_point: "):
        fq.dequantize_func(np.zeros((2, channels), np.int8), 1.0, zps, axis=1)


@pytest.mark.parametrize("channels", [1, 3, affine._FEW + 1])
def test_good_parameters_pass_at_the_edges(channels):
    scales = np.full(channels, np.finfo(np.float32).max)
    scales[0] = np.finfo(np.float32).tiny
    zps = np.full(channels, 2**30)
    zps[0] = -(2**30)
    out = fq.dequantize_func(np.ones((2, channels), np.int16), scales, zps, axis=1)
    assert out.shape == (2, channels)
