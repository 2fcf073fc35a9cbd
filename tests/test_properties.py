"""Property tests: on arbitrary arrays (shapes, dtypes, strides, values) both backends give
bit-identical results, or raise the same exception type, and never modify their inputs.

The table ``CASES`` holds one entry per public function: the function and a strategy for its
keyword arguments. A new codec family adds its entries to ``CASES``; the tests are generic.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastquant as fq
from _support import assert_identical, need_backend

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- array strategies

def shapes(min_dims: int = 0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=0, max_side=9)


@st.composite
def views(draw, base_arrays):
    """An array drawn from ``base_arrays``, then maybe viewed through slices with steps
    (negative too), a transpose, or a broadcast; returns ``(view, base)``."""
    base = draw(base_arrays)
    arr = base
    how = draw(st.sampled_from(["as_is", "sliced", "transposed", "broadcast", "sliced_transposed"]))
    if how in ("sliced", "sliced_transposed") and arr.ndim:
        index = tuple(
            slice(draw(st.integers(0, 2)), None, draw(st.sampled_from([1, 2, 3, -1, -2])))
            for _ in range(arr.ndim)
        )
        arr = arr[index]
    if how in ("transposed", "sliced_transposed") and arr.ndim > 1:
        arr = arr.transpose(draw(st.permutations(range(arr.ndim))))
    if how == "broadcast":
        arr = np.broadcast_to(arr, (draw(st.integers(1, 3)),) + arr.shape)
    return arr, base


def float_arrays(min_dims: int = 0):
    dtypes = st.sampled_from(["<f4", ">f4", "<f8", ">f8", "<f2", "<i1", "<i4", ">i8", "<u2"])

    def build(dtype):
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            width = min(dtype.itemsize * 8, 32)
            elements = st.floats(allow_nan=True, allow_infinity=True, width=width)
            # mostly finite, with the edge values a codec cares about
            elements = st.one_of(
                st.floats(-20, 20, width=width), st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, 7.5, -8.5]),
                elements,
            )
        else:
            elements = None  # the whole integer range
        return hnp.arrays(dtype, shapes(min_dims), elements=elements)

    return views(dtypes.flatmap(build))


def int_arrays(lo: int, hi: int, min_dims: int = 0, escape: float = 0.05):
    """Integer arrays mostly in [lo, hi], in dtypes that hold that range, now and then with a
    value outside (both backends must then raise the same error)."""
    dtypes = [d for d in ("<i1", "<u1", "<i2", ">i2", "<u2", "<i4", "<i8", ">u8") if np.iinfo(d).min <= max(lo, 0)]

    def build(dtype):
        info = np.iinfo(dtype)
        inside = st.integers(max(lo, info.min), min(hi, info.max))
        anywhere = st.integers(info.min, info.max)
        elements = st.one_of(inside, anywhere) if escape else inside
        return hnp.arrays(np.dtype(dtype), shapes(min_dims), elements=elements)

    return views(st.sampled_from(dtypes).flatmap(build))


scales = st.one_of(st.floats(1e-3, 1e3), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1.0, 0.1, 1e-38]))
zero_points = st.one_of(st.integers(-8, 8), st.integers(-(2**31), 2**31))


# ---------------------------------------------------------------- the table

@dataclasses.dataclass(frozen=True)
class Case:
    fn: Callable
    #: draws ``{argument: value}``; array arguments are ``(view, base)`` pairs
    kwargs: Callable
    has_out: bool = True


def _n(data, packed):
    m = packed.shape[-1] if packed.ndim else 0
    return data.draw(st.sampled_from([None, 2 * m, 2 * m - 1, 2 * m + 1]), label="n")


CASES = [
    Case(fq.quantize_to_int4, lambda d: dict(values=d.draw(float_arrays()), scale_method=d.draw(st.sampled_from(["minmax", "absmax", "asymmetric"]))), has_out=False),
    Case(fq.quantize_to_packed_int4, lambda d: dict(values=d.draw(float_arrays(1)), scale_method=d.draw(st.sampled_from(["minmax", "absmax", "asymmetric"])))),
    Case(fq.dequantize_from_int4, lambda d: dict(q=d.draw(int_arrays(-8, 7)), scale=d.draw(scales), zero_point=d.draw(zero_points))),
    Case(fq.pack_int4_to_int8, lambda d: dict(values=d.draw(int_arrays(-8, 7, 1)))),
    Case(fq.unpack_int8_to_int4, lambda d: (lambda p: dict(packed=p, n=_n(d, p[0])))(d.draw(int_arrays(-128, 255, 1)))),
    Case(fq.dequantize_packed_int4, lambda d: (lambda p: dict(packed=p, scale=d.draw(scales), zero_point=d.draw(zero_points), n=_n(d, p[0])))(d.draw(int_arrays(-128, 255, 1)))),
]


# ---------------------------------------------------------------- embeddings and affine

_CODE_BOUNDS = {"int8": (-128, 127), "uint8": (0, 255), "binary": (-128, 127), "ubinary": (0, 255)}


def _dequantize(d):
    quant = d.draw(st.sampled_from(["fp8", "int8", "uint8", "binary", "ubinary"]), label="quant")
    if quant == "fp8":
        q = d.draw(float_arrays())
    else:
        q = d.draw(int_arrays(*_CODE_BOUNDS[quant], min_dims=1 if quant.endswith("binary") else 0))
    last = q[0].shape[-1] if q[0].ndim else 0
    if quant.endswith("binary"):  # mostly a valid orig_dim, else one just outside
        orig_dim = d.draw(st.one_of(st.integers(max(8 * last - 7, 1), max(8 * last, 1)),
                                    st.sampled_from([None, 0, 8 * last - 8, 8 * last + 1])), label="orig_dim")
    else:
        orig_dim = d.draw(st.sampled_from([None, None, last, last + 1]), label="orig_dim")
    return dict(q=q, quant=quant, orig_dim=orig_dim)


def _quantize_embeddings(d):
    return dict(x=d.draw(float_arrays()), precision=d.draw(st.sampled_from(["int8", "uint8", "binary", "ubinary"])))


finite_reals = st.one_of(st.floats(-1e6, 1e6), st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**40), 2**40))
n_bits = st.one_of(st.integers(2, 16), st.integers(0, 18))


def _affine_params(d, shape):
    """``scales``, ``zero_point`` and ``axis`` for an array of ``shape``: per tensor, or one
    value per channel of a random axis (sometimes a wrong length, or a shared scalar)."""
    ndim = len(shape)
    axis = d.draw(st.one_of(st.none(), st.integers(-ndim - 1, ndim)) if ndim else st.none(), label="axis")
    if axis is None or not -ndim <= axis < ndim:
        return dict(scales=d.draw(scales, label="scales"), zero_point=d.draw(zero_points, label="zero_point"), axis=axis)
    c = shape[axis] + d.draw(st.sampled_from([0] * 8 + [-1, 1]), label="channel_delta")
    c = max(c, 0)
    # drawn wide, then cast to the dtype drawn (floats may overflow to inf, integers wrap)
    if d.draw(st.integers(0, 5), label="scales_per_channel"):
        sc = d.draw(hnp.arrays("<f8", c, elements=scales), label="scales")
        with np.errstate(all="ignore"):
            sc = sc.astype(d.draw(st.sampled_from(["<f4", ">f4", "<f8", "<f2", "<i4"])))
    else:
        sc = d.draw(scales, label="scales")
    if d.draw(st.integers(0, 5), label="zero_point_per_channel"):
        zp = d.draw(hnp.arrays("<i8", c, elements=st.integers(-8, 8) | st.integers(-(2**31), 2**31)), label="zero_point")
        zp = zp.astype(d.draw(st.sampled_from(["<i4", "<i8", "<i2", ">i4", "<u1", "<f4"])))
    else:
        zp = d.draw(zero_points, label="zero_point")
    return dict(scales=sc, zero_point=zp, axis=axis)


def _quantize_func(d):
    x = d.draw(float_arrays())
    signed = d.draw(st.booleans(), label="signed")
    return dict(x=x, **_affine_params(d, x[0].shape), n_bits=d.draw(n_bits, label="n_bits"), signed=signed)


def _dequantize_func(d):
    x_q = d.draw(st.one_of(int_arrays(-(2**31), 2**31 - 1), int_arrays(-(2**15), 2**16 - 1), float_arrays()))
    return dict(x_q=x_q, **_affine_params(d, x_q[0].shape))


CASES += [
    Case(fq.dequantize, _dequantize),
    Case(fq.quantize_embeddings, _quantize_embeddings),
    Case(fq.quantize_func, _quantize_func),
    Case(fq.dequantize_func, _dequantize_func),
    Case(fq.affine_qparams, lambda d: dict(alpha=d.draw(finite_reals), beta=d.draw(finite_reals), n_bits=d.draw(n_bits),
                                           signed=d.draw(st.booleans())), has_out=False),
    Case(fq.code_range, lambda d: dict(n_bits=d.draw(n_bits), signed=d.draw(st.booleans())), has_out=False),
]


# ---------------------------------------------------------------- calibrated int8/uint8 (SPEC 10)

@st.composite
def ranges_for(draw, last: int):
    """``ranges`` for a last axis of ``last``: mostly ordered finite bounds (equal ones too),
    else any floats (NaN, inf, min > max) or another shape; float32, float64 or big-endian."""
    kind = draw(st.sampled_from(["ordered"] * 4 + ["any", "shape"]), label="ranges_kind")
    if kind == "shape":
        return draw(hnp.arrays("<f4", hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)), label="ranges")
    elements = st.one_of(st.floats(-20, 20, width=32), st.sampled_from([0.0, -0.0, 1.0])) if kind == "ordered" else st.floats(width=32)
    r = draw(hnp.arrays("<f4", (2, last), elements=elements), label="ranges")
    if kind == "ordered":
        r = np.sort(r, axis=0)
    return r.astype(draw(st.sampled_from(["<f4", "<f8", ">f4"]), label="ranges_dtype"))


def _last(arr) -> int:
    return arr.shape[-1] if arr.ndim else 0


def _quantize_ranged(d):
    x = d.draw(float_arrays())
    return dict(x=x, precision=d.draw(st.sampled_from(["int8", "uint8"])), ranges=d.draw(ranges_for(_last(x[0]))))


def calibration_for(last: int):
    """Mostly (n, last) arrays of finite floats, sometimes with NaN/inf or no rows."""
    elements = st.one_of(st.floats(-50, 50, width=32), st.floats(width=32))
    return hnp.arrays("<f4", st.tuples(st.integers(0, 6), st.just(last)), elements=elements)


def _quantize_calibrated(d):
    x = d.draw(float_arrays())
    return dict(x=x, precision=d.draw(st.sampled_from(["int8", "uint8"])),
                calibration_embeddings=d.draw(calibration_for(_last(x[0])), label="calibration"))


def _dequantize_ranged(d):
    quant = d.draw(st.sampled_from(["int8", "uint8"]), label="quant")
    q = d.draw(int_arrays(*_CODE_BOUNDS[quant]))
    return dict(q=q, quant=quant, ranges=d.draw(ranges_for(_last(q[0]))))


CASES += [
    Case(fq.quantize_embeddings, _quantize_ranged),
    Case(fq.quantize_embeddings, _quantize_calibrated),
    Case(fq.dequantize, _dequantize_ranged),
    Case(fq.calibration_ranges, lambda d: dict(embeddings=d.draw(st.one_of(
        float_arrays(), calibration_for(d.draw(st.integers(0, 9), label="D"))))), has_out=False),
]


# ---------------------------------------------------------------- floats (minifloats, MX, nibbles)

FLOAT_FORMATS = st.sampled_from(list(fq.floats.FORMATS))
MX_FORMATS = st.sampled_from(list(fq.floats.MX_FORMATS))


def _axis_and_block(d, shape):
    ndim = len(shape)
    axis = d.draw(st.integers(-ndim - 1, ndim) if ndim else st.sampled_from([-1, 0]), label="axis")
    block = d.draw(st.sampled_from([1, 2, 3, 4, 32, 0]), label="block_size")
    return axis, block


def _dequantize_mx(d):
    codes = d.draw(int_arrays(0, 15, 1, escape=0.02))
    shape = codes[0].shape
    axis, block = _axis_and_block(d, shape)
    sshape = list(shape)
    if -len(shape) <= axis < len(shape) and block > 0:
        sshape[axis] //= block
    if d.draw(st.integers(0, 9), label="scales_shape_wrong") == 0:
        sshape = d.draw(shapes(), label="scales_shape")
    sc = d.draw(hnp.arrays(np.uint8, tuple(sshape)), label="scales")
    return dict(codes=codes, scales=sc, fmt=d.draw(MX_FORMATS), block_size=block, axis=axis)


def _quantize_mx(d):
    x = d.draw(float_arrays(1))
    axis, block = _axis_and_block(d, x[0].shape)
    return dict(x=x, fmt=d.draw(MX_FORMATS), block_size=block, axis=axis)


CASES += [
    Case(fq.floats.encode, lambda d: dict(x=d.draw(float_arrays()), fmt=d.draw(FLOAT_FORMATS), saturate=d.draw(st.booleans()))),
    Case(fq.floats.decode, lambda d: dict(codes=d.draw(int_arrays(0, 255)), fmt=d.draw(FLOAT_FORMATS))),
    Case(fq.floats.quantize_mx, _quantize_mx, has_out=False),
    Case(fq.floats.dequantize_mx, _dequantize_mx),
    Case(fq.pack_nibbles, lambda d: dict(codes=d.draw(int_arrays(0, 15, 1)))),
    Case(fq.unpack_nibbles, lambda d: (lambda p: dict(packed=p, n=_n(d, p[0])))(d.draw(int_arrays(-128, 255, 1)))),
]


# ---------------------------------------------------------------- ONNX Q/DQ (fastquant.onnx)

try:  # fastquant.onnx needs ml_dtypes (its `onnx` extra)
    import fastquant.onnx as fo
except ImportError:  # pragma: no cover
    fo = None


def _onnx_layout(d, shape):
    """``(scale shape, axis, block_size)``: mostly a layout that fits ``shape``, sometimes not."""
    ndim = len(shape)
    kind = d.draw(st.sampled_from(["tensor", "axis", "blocked", "blocked", "any"]), label="layout")
    axis = d.draw(st.integers(-ndim, ndim - 1), label="axis") if ndim else d.draw(st.integers(-1, 1), label="axis")
    if kind == "tensor" or not ndim:
        return d.draw(st.sampled_from([(), (1,)]), label="scale_shape"), axis, 0
    if kind == "axis":
        return (shape[axis],), axis, 0
    if kind == "blocked":
        block = d.draw(st.integers(1, 10), label="block_size")
        sshape = list(shape)
        sshape[axis] = -(-shape[axis] // block)
        return tuple(sshape), axis, block
    return d.draw(shapes(), label="scale_shape"), axis, d.draw(st.integers(-1, 5), label="block_size")


def _onnx_scales(d, shape):
    good = st.floats(0.0009765625, 1024.0, width=32)
    elements = st.one_of(good, good, good, st.floats(width=32)) if d.draw(st.integers(0, 9), label="bad") == 0 else good
    return d.draw(hnp.arrays(d.draw(st.sampled_from(["<f4", "<f8", ">f4"]), label="scale_dtype"), shape, elements=elements),
                  label="scales")


def _onnx_zero_point(d, t, shape):
    kind = d.draw(st.sampled_from(["none", "typed", "untyped"]), label="zero_point")
    if kind == "none":
        return None
    if t.is_float:
        return np.zeros(shape, t.dtype) if kind == "typed" else d.draw(st.sampled_from([0, 0.0, -0.0, 1]))
    values = d.draw(hnp.arrays(np.int64, shape, elements=st.integers(t.qmin, t.qmax)), label="zp_values")
    return values.astype(t.dtype) if kind == "typed" else values


def _quantize_linear(d):
    t = fo.CODE_TYPES[d.draw(st.sampled_from(list(fo.CODE_TYPES)), label="type")]
    x = d.draw(float_arrays())
    sshape, axis, block = _onnx_layout(d, x[0].shape)
    zp = _onnx_zero_point(d, t, sshape)
    return dict(x=x, y_scale=_onnx_scales(d, sshape), y_zero_point=zp, axis=axis, block_size=block,
                output_dtype=t.name if zp is None or d.draw(st.booleans()) else None, saturate=d.draw(st.booleans()))


def _dequantize_linear(d):
    t = fo.CODE_TYPES[d.draw(st.sampled_from(list(fo.CODE_TYPES)), label="type")]
    if t.dtype.kind in "iu" and d.draw(st.booleans()):
        x = d.draw(int_arrays(t.qmin, t.qmax))
    else:
        raw, base = d.draw(views(hnp.arrays(np.uint8, shapes())))
        x = (np.ascontiguousarray(raw).view(t.dtype), base) if t.dtype.itemsize == 1 else (raw, base)
    sshape, axis, block = _onnx_layout(d, x[0].shape)
    return dict(x=x, x_scale=_onnx_scales(d, sshape), x_zero_point=_onnx_zero_point(d, t, sshape), axis=axis,
                block_size=block)


def _from_raw(d):
    t = fo.CODE_TYPES[d.draw(st.sampled_from(list(fo.CODE_TYPES)), label="type")]
    shape = d.draw(shapes())
    need = -(-int(np.prod(shape)) * t.bits // 8)
    size = need if d.draw(st.integers(0, 9), label="wrong_length") else d.draw(st.integers(0, need + 2))
    # (shape as a list: tuples in these kwargs are (view, base) pairs)
    return dict(raw=d.draw(hnp.arrays(np.uint8, size), label="raw"), onnx_type=t.name, shape=list(shape))


if fo is not None:
    CASES += [
        Case(fo.quantize_linear, _quantize_linear, has_out=False),
        Case(fo.dequantize_linear, _dequantize_linear),
        Case(fo.dynamic_quantize_linear, lambda d: dict(x=d.draw(float_arrays())), has_out=False),
        Case(fo.from_raw, _from_raw, has_out=False),
    ]


# ---------------------------------------------------------------- the generic tests

def _run(fn, kwargs):
    """``("ok", result)`` or ``("raised", exception type)``; only ValueError/TypeError count."""
    try:
        return "ok", fn(**kwargs)
    except (ValueError, TypeError) as exc:
        return "raised", type(exc)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.fn.__name__) for c in CASES])
@SETTINGS
@given(data=st.data())
def test_backends_agree_and_inputs_unchanged(case, data):
    need_backend("cython")
    drawn = case.kwargs(data)
    kwargs = {k: v[0] if isinstance(v, tuple) else v for k, v in drawn.items()}
    bases = {k: (v[1], v[1].copy()) for k, v in drawn.items() if isinstance(v, tuple)}
    results = {}
    for name in ("cython", "numpy"):
        with fq.use_backend(name):
            results[name] = _run(case.fn, kwargs)
        for k, (base, before) in bases.items():
            assert_identical(base, before, f"{k} (its whole buffer) after the {name} call")
    (ka, ra), (kb, rb) = results["cython"], results["numpy"]
    assert ka == kb, f"cython {ka} {ra!r}, numpy {kb} {rb!r}"
    event(ka if ka == "ok" else f"raised {ra.__name__}")
    if ka == "raised":
        assert ra is rb, f"cython raised {ra.__name__}, numpy {rb.__name__}"
        return
    assert_identical(ra, rb)
    if case.has_out:  # out= gives the same bytes, into the caller's array, on both backends
        first = ra[0] if isinstance(ra, tuple) else ra
        for name in ("cython", "numpy"):
            out = np.full_like(first, 0x5A) if first.dtype.kind != "f" else np.full_like(first, np.nan)
            with fq.use_backend(name):
                got = case.fn(**kwargs, out=out)
            got = got[0] if isinstance(got, tuple) else got
            assert got is out
            assert_identical(out, first, f"out= on {name}")


def test_every_public_function_has_a_case():
    public = {n for n in fq.__all__ if callable(getattr(fq, n)) and getattr(fq, n).__module__ != "fastquant._backend"}
    assert public <= {c.fn.__name__ for c in CASES}
