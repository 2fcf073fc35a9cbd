"""The compiled fast path of ``check_out`` only ever says yes where the full checks pass."""

import numpy as np
import pytest

from fastquant import _arrays as A
from _support import compiled_module


@pytest.fixture(scope="module")
def qc():
    """The compiled quick checks: skipped without compiled kernels, a failure where they are
    demanded (FASTQUANT_REQUIRE_EXTENSION=1)."""
    return compiled_module("fastquant._kernels._quickcheck")


def _slow(out, shape, dtype, inputs):
    """The full Python checks, with the fast path switched off."""
    saved, A._out_fits = A._out_fits, None
    try:
        A.check_out(out, shape, dtype, inputs)
        return True
    except ValueError:
        return False
    finally:
        A._out_fits = saved


def _cases():
    base = np.zeros(64, np.float32)
    out = base[8:24]
    ro = np.zeros(16, np.float32)
    ro.flags.writeable = False
    raw = np.zeros(16 * 4 + 1, np.uint8)
    yield out, (16,), np.float32, (np.ones(16, np.float32),), True
    yield out, (16,), np.dtype(np.float32), (base[:8], base[24:]), True  # neighbours, apart
    yield out, (16,), np.float32, (base[20:30],), False  # overlaps the tail
    yield out, (16,), np.float32, (base[:9],), False  # overlaps the head
    yield out, (16,), np.float32, (base[::-1],), False  # negative strides over it
    yield out, (16,), np.float32, (base[::4],), False  # strided over it (bounds overlap)
    yield out, (16,), np.float32, (out,), False
    yield out, (16,), np.float32, ([1.0, 2.0], 3, 0.5, None), True
    yield out, (16,), np.float32, (memoryview(base),), False  # not sure: checked slowly
    yield out, (16,), np.float32, (base[8:8],), True  # an empty input shares nothing
    yield np.zeros(0, np.float32), (0,), np.float32, (), False  # empty out: checked slowly
    yield out, (4, 4), np.float32, (), False
    yield out, (16,), np.int32, (), False
    yield out, (16,), np.float64, (), False
    yield out.astype(">f4"), (16,), np.float32, (), False
    yield np.zeros(32, np.float32)[::2], (16,), np.float32, (), False
    yield ro, (16,), np.float32, (), False
    yield raw[1:].view(np.float32), (16,), np.float32, (), False
    yield np.zeros(16, np.float32).view(np.matrix), (1, 16), np.float32, (), False
    yield [0.0] * 16, (16,), np.float32, (), False
    yield out, [16], np.float32, (), False
    yield out, (16,), np.float32, [base], False


@pytest.mark.parametrize("case", list(_cases()), ids=str)
def test_out_fits_only_says_yes_where_the_checks_pass(case, qc):
    out, shape, dtype, inputs, want = case
    assert qc.out_fits(out, shape, dtype, inputs) is want
    if want:
        assert _slow(out, shape, dtype, inputs)


def test_random_views_agree_with_may_share_memory(rng, qc):
    base = np.zeros(256, np.float32)
    for _ in range(2000):
        a, b = sorted(rng.integers(0, 257, 2))
        c, d = sorted(rng.integers(0, 257, 2))
        step = int(rng.choice([1, 2, 3, -1, -2]))
        x = base[c:d][::step]
        out = base[a:b]
        if out.size == 0:
            continue
        if qc.out_fits(out, out.shape, np.float32, (x,)):
            assert not np.may_share_memory(out, x)
        else:
            assert np.may_share_memory(out, x)


def _vectors():
    f, i = np.float32, np.int32
    yield np.array([0.5, 0.25, 2.0, 1.0], f), 4
    yield np.array([0.5, 0.25, 2.0, 1.0], f), 3
    yield np.array([0.5, 0.0, 2.0, 1.0], f), 4
    yield np.array([0.5, -0.0, 2.0, 1.0], f), 4
    yield np.array([0.5, -1.0, 2.0, 1.0], f), 4
    yield np.array([0.5, np.nan, 2.0, 1.0], f), 4
    yield np.array([0.5, np.inf, 2.0, 1.0], f), 4
    yield np.array([np.finfo(f).max, np.finfo(f).tiny, 1e-45, 1.0], f), 4
    yield np.array([0.5, 0.25, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0], f)[::2], 4
    yield np.array([[0.5, 0.25, 2.0, 1.0]], f), 4
    yield np.array([0.5, 0.25, 2.0, 1.0], ">f4"), 4
    yield np.array([0.5, 0.25, 2.0, 1.0], np.float64), 4
    yield [0.5, 0.25, 2.0, 1.0], 4
    yield np.array([0, 1, -(2**30), 2**30], i), 4
    yield np.array([0, 1, -(2**30) - 1, 0], i), 4
    yield np.array([0, 2**30 + 1, 0, 0], i), 4
    yield np.array([0, 2**31 - 1, -(2**31), 0], i), 4
    yield np.array([0, 1, 2, 3], np.int64), 4
    yield np.array([0, 1, 2, 3], ">i4"), 4
    yield np.array([0, 1, 2, 3, 4, 5, 6, 7], i)[1::2], 4
    yield np.arange(64, dtype=i), 64


@pytest.mark.parametrize("case", list(_vectors()), ids=str)
def test_parameter_checks_agree_with_the_python_ones(case, qc):
    from fastquant import affine

    x, n = case
    assert qc.scales_fit(x, n) is affine._py_scales_fit(x, n)
    limit = A.ZERO_POINT_LIMIT
    assert qc.zero_points_fit(x, n, limit) is affine._py_zero_points_fit(x, n, limit)
