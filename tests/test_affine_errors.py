"""Affine codec bad inputs: one test per SPEC rule that applies, on both backends."""

import numpy as np
import pytest

import fastquant as fq
from fastquant import _backend
from _support import need_backend

X = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)


def quantize(**kw):
    args = {"x": X, "scales": 0.1, "zero_point": 0, "n_bits": 8}
    args.update(kw)
    return fq.quantize_func(args.pop("x"), args.pop("scales"), args.pop("zero_point"), args.pop("n_bits"), **args)


def dequantize(**kw):
    args = {"x_q": np.zeros((3, 4), np.int8), "scales": 0.1, "zero_point": 0}
    args.update(kw)
    return fq.dequantize_func(args.pop("x_q"), args.pop("scales"), args.pop("zero_point"), **args)


@pytest.mark.parametrize("n_bits", [1, 0, -8, 17, 32, 8.0, "8", None, True])
def test_bad_n_bits(n_bits, backend):
    with pytest.raises(ValueError, match="n_bits"):
        quantize(n_bits=n_bits)
    with pytest.raises(ValueError, match="n_bits"):
        fq.affine_qparams(-1.0, 1.0, n_bits)


@pytest.mark.parametrize("signed", [1, 0, "yes", None])
def test_signed_must_be_a_bool(signed, backend):
    with pytest.raises(ValueError, match="signed"):
        quantize(signed=signed)
    with pytest.raises(ValueError, match="signed"):
        fq.affine_qparams(-1.0, 1.0, signed=signed)


@pytest.mark.parametrize("scale", [0.0, -1.0, np.nan, np.inf, -np.inf, 1e-50, 1e39, "x", None, True])
def test_bad_scale(scale, backend):
    with pytest.raises(ValueError, match="scales"):
        quantize(scales=scale)
    with pytest.raises(ValueError, match="scales"):
        dequantize(scales=scale)
    if not isinstance(scale, (str, bool, type(None))):  # the same value in a per-channel array
        bad = np.array([0.1, scale, 0.2], dtype=np.float64)
        with pytest.raises(ValueError, match="scales"):
            quantize(scales=bad, axis=0)
        with pytest.raises(ValueError, match="scales"):
            dequantize(scales=bad, axis=0)


@pytest.mark.parametrize("zp", [0.5, 1.0, "1", None, True, 2**31, -(2**31)])
def test_bad_zero_point(zp, backend):
    with pytest.raises(ValueError, match="zero_point"):
        quantize(zero_point=zp)
    with pytest.raises(ValueError, match="zero_point"):
        dequantize(zero_point=zp)


@pytest.mark.parametrize("zps", [np.array([0.0, 1.0, 2.0]), np.array([0, 2**31, 0]), np.array([True, False, True]),
                                 ["a", "b", "c"]])
def test_bad_per_channel_zero_points(zps, backend):
    with pytest.raises(ValueError, match="zero_point"):
        quantize(zero_point=zps, axis=0)
    with pytest.raises(ValueError, match="zero_point"):
        dequantize(zero_point=zps, axis=0)


@pytest.mark.parametrize("where", [0, 5, 11])
def test_nan_in_x(where, backend):
    x = X.copy()
    x.flat[where] = np.nan
    for axis in [None, 0, 1]:
        with pytest.raises(ValueError, match="x"):
            quantize(x=x, scales=0.1 if axis is None else np.full(x.shape[axis], 0.1), axis=axis)
    with pytest.raises(ValueError, match="x"):
        quantize(x=np.array([1.0, np.nan]), signed=False, n_bits=16)


@pytest.mark.parametrize("x", [["a", "b"], [1 + 2j], np.array([True, False]), None, "xy"])
def test_x_must_be_numbers(x, backend):
    with pytest.raises(TypeError, match="x"):
        quantize(x=x)


@pytest.mark.parametrize("x_q", [np.array([True, False]), [1 + 2j], ["a"], None])
def test_codes_must_be_numbers(x_q, backend):
    with pytest.raises(TypeError, match="x_q"):
        dequantize(x_q=x_q)


@pytest.mark.parametrize("x_q", [np.array([1.0, np.nan]), np.array([np.inf]), np.array([2.0**31]),
                                 np.array([-(2.0**31) - 1]), np.array([2**31], np.int64), np.array([2**32], np.uint64)])
def test_codes_must_fit_int32(x_q, backend):
    with pytest.raises(ValueError, match="x_q"):
        dequantize(x_q=x_q)


@pytest.mark.parametrize("length", [0, 2, 4, 5])
def test_per_channel_length_must_match_the_axis(length, backend):
    # X has shape (3, 4): axis 0 wants 3 entries
    with pytest.raises(ValueError, match="scales"):
        quantize(scales=np.full(length, 0.1), axis=0)
    with pytest.raises(ValueError, match="zero_point"):
        quantize(zero_point=np.zeros(length, np.int64), axis=0)
    with pytest.raises(ValueError, match="scales"):
        dequantize(scales=np.full(length, 0.1), axis=-2)


def test_per_channel_arrays_must_be_1d(backend):
    with pytest.raises(ValueError, match="scales"):
        quantize(scales=np.full((3, 1), 0.1), axis=0)
    with pytest.raises(ValueError, match="zero_point"):
        dequantize(zero_point=np.zeros((1, 4), np.int64), axis=1)


def test_arrays_without_axis(backend):
    with pytest.raises(ValueError, match="scales"):
        quantize(scales=np.full(3, 0.1))
    with pytest.raises(ValueError, match="zero_point"):
        quantize(zero_point=[0, 0, 0])
    with pytest.raises(ValueError, match="scales"):
        dequantize(scales=[0.1])


@pytest.mark.parametrize("axis", [2, -3, 10, 1.0, "0", True, (0,)])
def test_bad_axis(axis, backend):
    with pytest.raises(ValueError, match="axis"):
        quantize(axis=axis)
    with pytest.raises(ValueError, match="axis"):
        dequantize(axis=axis)


def test_axis_on_a_0d_array(backend):
    with pytest.raises(ValueError, match="axis"):
        quantize(x=np.float32(1.0), axis=0)
    with pytest.raises(ValueError, match="axis"):
        dequantize(x_q=np.int8(1), axis=0)


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (2.0, -2.0), (0.0, -1e-30)])
def test_alpha_must_be_below_beta(alpha, beta, backend):
    with pytest.raises(ValueError, match="alpha"):
        fq.affine_qparams(alpha, beta)


@pytest.mark.parametrize("alpha,beta", [(np.nan, 1.0), (-np.inf, 1.0), (-1.0, np.inf), (0.0, np.nan)])
def test_qparams_bounds_must_be_finite(alpha, beta, backend):
    with pytest.raises(ValueError, match="alpha" if not np.isfinite(alpha) else "beta"):
        fq.affine_qparams(alpha, beta)


@pytest.mark.parametrize("bad", ["1", None, True, [1.0, 2.0], 1 + 1j])
def test_qparams_bounds_must_be_real_scalars(bad, backend):
    with pytest.raises(ValueError, match="alpha"):
        fq.affine_qparams(bad, 10.0)
    with pytest.raises(ValueError, match="beta"):
        fq.affine_qparams(-10.0, bad)


@pytest.mark.parametrize("alpha,beta", [(-1e308, 1e308), (0.0, 1e-300), (1.0, 1.0 + 2**-40)])
def test_qparams_unusable_by_quantize_func(alpha, beta, backend):
    # an infinite scale, one that is 0 in float32, a zero point beyond 2**30
    with pytest.raises(ValueError, match="alpha|beta"):
        fq.affine_qparams(alpha, beta)


def test_bad_out(backend):
    for bad in [
        np.empty((3, 4), np.int16),  # dtype (8 bits want int8)
        np.empty((3, 4), np.uint8),  # signedness
        np.empty((4, 3), np.int8),  # shape
        np.empty((3, 8), np.int8)[:, ::2],  # not contiguous
        [0] * 12,  # not an array
    ]:
        with pytest.raises(ValueError, match="out"):
            quantize(out=bad)
    with pytest.raises(ValueError, match="out"):
        quantize(out=np.empty((3, 4), np.int8), n_bits=9)
    with pytest.raises(ValueError, match="out"):
        dequantize(out=np.empty((3, 4), np.float64))
    ro = np.empty((3, 4), np.int8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        quantize(out=ro)
    buf = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match="out"):  # overlaps the input
        dequantize(x_q=buf.view(np.int32), out=buf)


def test_inputs_are_not_modified(backend):
    x = X.copy()
    x.flat[3] = np.nan
    before = x.tobytes()
    with pytest.raises(ValueError):
        quantize(x=x)
    assert x.tobytes() == before


def test_compiled_kernels_check_their_sizes():
    need_backend("cython")
    k = _backend.kernels_of("cython")
    src = np.zeros((2, 3, 4), np.float32)
    sc, zp = np.ones(3, np.float32), np.zeros(3, np.int32)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_quantize(src, np.zeros((2, 3, 5), np.int8), sc, zp, -128, 127)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_quantize(src, np.zeros((2, 3, 4), np.int8), sc[:2], zp, -128, 127)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_quantize(src, np.zeros((2, 3, 4), np.int8), sc, zp, -128, 255)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_quantize(src, np.zeros((2, 3, 4), np.int32), sc, zp, -128, 127)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_quantize(src.reshape(6, 4), np.zeros((6, 4), np.int8), sc, zp, -128, 127)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_dequantize(np.zeros((2, 3, 4), np.int64), src.copy(), sc, zp)
    with pytest.raises(ValueError, match="affine kernel"):
        k.affine_dequantize(np.zeros((2, 3, 4), np.int8), src.copy(), sc, zp.astype(np.int64))


@pytest.mark.parametrize("scales", [np.array([True, True, True]), ["a", "b", "c"], np.array([1j, 1j, 1j])])
def test_per_channel_scales_must_be_real_numbers(scales, backend):
    with pytest.raises(ValueError, match="scales"):
        quantize(scales=scales, axis=0)
