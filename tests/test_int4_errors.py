"""int4 bad inputs: one test per SPEC rule that applies, on both backends."""

import numpy as np
import pytest

import fastquant as fq


@pytest.mark.parametrize("fn", [fq.quantize_to_int4, fq.quantize_to_packed_int4])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_quantize_rejects_non_finite(fn, bad, backend):
    values = np.array([1.0, bad, 2.0, 0.5], np.float32)
    with pytest.raises(ValueError, match="values"):
        fn(values)


@pytest.mark.parametrize("fn", [fq.quantize_to_int4, fq.quantize_to_packed_int4])
def test_quantize_rejects_empty(fn, backend):
    with pytest.raises(ValueError, match="values"):
        fn(np.zeros((3, 0), np.float32))


@pytest.mark.parametrize("method", ["minmax", "asymmetric"])
def test_quantize_rejects_range_overflow(method, backend):
    with pytest.raises(ValueError, match="values"):
        fq.quantize_to_int4(np.array([3e38, -3e38], np.float32), method)


@pytest.mark.parametrize("method", ["MINMAX", "max", None, 3])
def test_quantize_rejects_unknown_scale_method(method, backend):
    with pytest.raises(ValueError, match="scale_method"):
        fq.quantize_to_int4([1.0, 2.0], method)


@pytest.mark.parametrize("values", [["a", "b"], [1 + 2j], np.array([True, False]), None, "xy"])
def test_quantize_rejects_non_numbers(values, backend):
    with pytest.raises(TypeError, match="values"):
        fq.quantize_to_int4(values)


@pytest.mark.parametrize(
    "bad,dtype",
    [(b, d) for d in (np.int8, np.int16, np.int64) for b in (8, -9, 127, -128, 300) if np.iinfo(d).min <= b <= np.iinfo(d).max],
)
def test_codes_out_of_range(bad, dtype, backend):
    codes = np.array([0, 1, bad, 2, 3], dtype)
    with pytest.raises(ValueError, match="values"):
        fq.pack_int4_to_int8(codes)
    with pytest.raises(ValueError, match="q"):
        fq.dequantize_from_int4(codes, 1.0)


def test_codes_out_of_range_in_odd_tail_and_later_rows(backend):
    with pytest.raises(ValueError, match="values"):
        fq.pack_int4_to_int8(np.array([[0, 1, 2], [0, 0, 9]], np.int8))


@pytest.mark.parametrize("fn", [fq.pack_int4_to_int8, lambda v: fq.dequantize_from_int4(v, 1.0)])
@pytest.mark.parametrize("codes", [np.array([1.0, 2.0]), [0.5, 1], np.array([True, False])])
def test_floats_given_as_codes(fn, codes, backend):
    with pytest.raises(TypeError, match="values|q"):
        fn(codes)


@pytest.mark.parametrize("fn", [fq.unpack_int8_to_int4, fq.dequantize_packed_int4])
def test_packed_must_be_integer_bytes(fn, backend):
    args = () if fn is fq.unpack_int8_to_int4 else (1.0,)
    with pytest.raises(TypeError, match="packed"):
        fn(np.array([1.0, 2.0]), *args)
    with pytest.raises(ValueError, match="packed"):
        fn(np.array([256, 0]), *args)
    with pytest.raises(ValueError, match="packed"):
        fn(np.array([-129, 0]), *args)


@pytest.mark.parametrize("fn", [fq.pack_int4_to_int8, fq.unpack_int8_to_int4, fq.quantize_to_packed_int4])
def test_zero_d_has_no_axis(fn, backend):
    arg = np.float32(1.0) if fn is fq.quantize_to_packed_int4 else np.int8(1)
    with pytest.raises(ValueError, match="values|packed"):
        fn(np.asarray(arg))


@pytest.mark.parametrize("n", [-1, 0, 3, 7, 1.5, "4", True])
def test_bad_n(n, backend):
    packed = np.zeros(2, np.int8)  # 4 nibbles: n must be 3 or 4
    if n == 3:
        assert fq.unpack_int8_to_int4(packed, n).shape == (3,)
        return
    with pytest.raises(ValueError, match="n"):
        fq.unpack_int8_to_int4(packed, n)
    with pytest.raises(ValueError, match="n"):
        fq.dequantize_packed_int4(packed, 1.0, n=n)


def test_n_zero_on_empty(backend):
    assert fq.unpack_int8_to_int4(np.zeros(0, np.int8), 0).shape == (0,)
    with pytest.raises(ValueError, match="n"):
        fq.unpack_int8_to_int4(np.zeros(0, np.int8), -1)


@pytest.mark.parametrize("scale", [0.0, -1.0, np.nan, np.inf, 1e-50, 1e39, "x", None, True])
def test_bad_scale(scale, backend):
    with pytest.raises(ValueError, match="scale"):
        fq.dequantize_from_int4([1, 2], scale)
    with pytest.raises(ValueError, match="scale"):
        fq.dequantize_packed_int4([1, 2], scale)


@pytest.mark.parametrize("zp", [0.5, 1.0, "1", None, True, 2**31])
def test_bad_zero_point(zp, backend):
    with pytest.raises(ValueError, match="zero_point"):
        fq.dequantize_from_int4([1, 2], 1.0, zp)
    with pytest.raises(ValueError, match="zero_point"):
        fq.dequantize_packed_int4([1, 2], 1.0, zp)


def test_bad_out(backend):
    codes = np.zeros((4, 6), np.int8)
    for bad in [
        np.empty((4, 3), np.int16),  # dtype
        np.empty((4, 4), np.int8),  # shape
        np.empty((4, 6), np.int8)[:, ::2],  # not contiguous
        [0, 0, 0],  # not an array
    ]:
        with pytest.raises(ValueError, match="out"):
            fq.pack_int4_to_int8(codes, out=bad)
    ro = np.empty((4, 3), np.int8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        fq.pack_int4_to_int8(codes, out=ro)
    buf = np.zeros(24, np.int8)
    with pytest.raises(ValueError, match="out"):  # overlaps the input
        fq.unpack_int8_to_int4(buf[:12], out=buf[:24])
