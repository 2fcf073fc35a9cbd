"""The fast paths of fastquant._arrays agree with the general ones."""

import numpy as np
import pytest

from fastquant import _arrays as A


def _float32_values(rng, n):
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    return x[np.isfinite(x)]


@pytest.mark.parametrize("seed", range(3))
def test_f32_emulates_float32_arithmetic(seed):
    rng = np.random.default_rng(seed)
    a = np.concatenate([_float32_values(rng, 3000), (rng.standard_normal(3000) * 10).astype(np.float32)])
    b = rng.permutation(a)
    with np.errstate(all="ignore"):
        cases = [
            (a - b, [A.f32(float(x) - float(y)) for x, y in zip(a, b)]),
            (a / np.float32(15), [A.f32(float(x) / 15.0) for x in a]),
            (a / np.float32(7), [A.f32(float(x) / 7.0) for x in a]),
            (a.astype(np.float64).astype(np.float32), [A.f32(float(x)) for x in a]),
        ]
    for want, got in cases:
        assert np.array_equal(want.view(np.uint32), np.array(got, np.float32).view(np.uint32))


@pytest.mark.parametrize("scale", [0.1, 1e-45, 1e-46, 3.4028235e38, 3.4028236e38, 3.5e38, float("nan"),
                                   float("inf"), -1.0, 0.0, np.float64(0.3), np.float32(0.3), 2])
def test_scale_fast_path_matches_the_general_one(scale):
    def general(x):
        with np.errstate(over="ignore"):
            v = float(np.float32(x))
        if not (np.isfinite(v) and v > 0):
            raise ValueError
        return v

    try:
        want = general(scale)
    except ValueError:
        with pytest.raises(ValueError, match="scale"):
            A.scale_f32(scale)
    else:
        assert A.scale_f32(scale) == want


def test_the_fast_paths_pass_arrays_through_and_others_are_converted():
    x = np.ones(4, np.float32)
    assert A.floats(x, "x")[0] is x
    y = A.floats(x[::2], "x")[0]
    assert y.flags.c_contiguous and y.dtype == np.float32
    q = np.zeros(4, np.int8)
    assert A.integers(q, "q", -8, 7, np.dtype(np.int8))[0] is q
    assert A.as_rows(q, "q").shape == (1, 4)
