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
    Case(fq.quantize_to_int4, lambda d: dict(values=d.draw(float_arrays()), scale_method=d.draw(st.sampled_from(["minmax", "absmax"]))), has_out=False),
    Case(fq.quantize_to_packed_int4, lambda d: dict(values=d.draw(float_arrays(1)), scale_method=d.draw(st.sampled_from(["minmax", "absmax"])))),
    Case(fq.dequantize_from_int4, lambda d: dict(q=d.draw(int_arrays(-8, 7)), scale=d.draw(scales), zero_point=d.draw(zero_points))),
    Case(fq.pack_int4_to_int8, lambda d: dict(values=d.draw(int_arrays(-8, 7, 1)))),
    Case(fq.unpack_int8_to_int4, lambda d: (lambda p: dict(packed=p, n=_n(d, p[0])))(d.draw(int_arrays(-128, 255, 1)))),
    Case(fq.dequantize_packed_int4, lambda d: (lambda p: dict(packed=p, scale=d.draw(scales), zero_point=d.draw(zero_points), n=_n(d, p[0])))(d.draw(int_arrays(-128, 255, 1)))),
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
