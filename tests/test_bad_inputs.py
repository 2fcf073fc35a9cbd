"""Every bad input to every public function, as one table, on both backends.

A row is (function, arguments, expected exception type, argument the message must name). The
message must *begin* with that name followed by a colon (the convention of ``_arrays``), so a
row fails when the error is right but blames the wrong argument.

Adding a codec family = writing one ``<family>_rows()`` generator below (usually a ``GOOD``
call per function plus the shared row builders ``array_rows``/``out_rows``/``scale_rows``/...)
and listing it in ``FAMILY_ROWS``. Inputs that are odd but valid (32-d arrays, empty arrays,
memoryviews, torch integer tensors) go in ``odd_but_valid_rows`` and must give identical results
on both backends.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

import numpy as np
import pytest

import fastquant as fq
from _oracles import require
from _support import both

try:  # torch is optional everywhere in fastquant; without it the table has no torch rows
    import torch
except ImportError:  # pragma: no cover
    torch = None


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    fn: Callable
    kwargs: dict
    exc: type
    names: str  # the argument the message must start with

    def param(self):
        return pytest.param(self, id=f"{self.fn.__name__}-{self.id}")


def call(fn, good: dict, exc: type, name: str, label: str, **override) -> Row:
    """A row: ``fn(**good)`` with ``override`` replacing some arguments."""
    return Row(label, fn, {**good, **override}, exc, name)


# ---------------------------------------------------------------- shared row builders

#: A value whose repr is enormous: an error message must still be short.
HUGE_LIST = list(range(100_000))
MAX_MESSAGE = 1000

def _readonly(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def _nested(depth: int):
    x = [1, 2]
    for _ in range(depth - 1):
        x = [x]
    return x


def _not_array_values():
    """Things that are not an array of numbers at all: TypeError for every array argument."""
    return {
        "str": "1234",
        "bytes": b"\x01\x02",
        "None": None,
        "object": object(),
        "dict": {"a": 1},
        "complex": 1 + 2j,
        "complex_array": np.array([1 + 2j, 3j], np.complex64),
        "bool": True,
        "bool_array": np.array([True, False]),
        "object_array": np.array([1, 2], dtype=object),
        "object_array_mixed": np.array([1, "a"], dtype=object),
        "list_with_None": [1, None],
        "list_of_str": ["a", "b"],
        "ragged": [[1, 2], [3]],
        "datetime": np.array(["2020-01-01"], dtype="datetime64[D]"),
        "timedelta": np.array([1, 2], dtype="m8[s]"),
        "structured": np.zeros(2, dtype=[("a", "i1")]),
        "void": np.zeros(2, dtype="V4"),
        "str_array": np.array(["1", "2"]),
        "nested_70_deep": _nested(70),  # beyond NumPy's 64 dimensions
    }


def _torch_bad(kind: str) -> dict:
    """torch tensors that are wrong for an argument of ``kind`` ("floats", "codes", "bytes")."""
    if torch is None:
        return {}
    bad = {
        "torch_bool": torch.ones(4, dtype=torch.bool),
        "torch_complex64": torch.ones(4, dtype=torch.complex64),
        "torch_complex128": torch.ones(4, dtype=torch.complex128),
        "torch_sparse": torch.ones(4).to_sparse() if kind == "floats" else torch.ones(4, dtype=torch.int8).to_sparse(),
        "torch_meta": torch.ones(4, device="meta") if kind == "floats" else torch.ones(4, dtype=torch.int8, device="meta"),
    }
    if kind != "floats":  # float tensors are not codes
        bad.update(
            torch_bfloat16=torch.ones(4, dtype=torch.bfloat16),
            torch_float16=torch.ones(4, dtype=torch.float16),
            torch_float8=torch.ones(4, dtype=torch.float8_e4m3fn),
            torch_float32=torch.ones(4),
        )
    return bad


def array_rows(fn, good: dict, name: str, kind: str, packs_axis: bool) -> Iterator[Row]:
    """Wrong types and dtypes for array argument ``name`` of ``kind``:
    "floats" (quantizer input), "codes" (integer codes in a small range), "bytes" (packed)."""
    for label, value in {**_not_array_values(), **_torch_bad(kind)}.items():
        yield call(fn, good, TypeError, name, label, **{name: value})
    if kind != "floats":
        for dt in ("float16", "float32", "float64", "longdouble"):
            yield call(fn, good, TypeError, name, f"dtype_{dt}", **{name: np.ones(4, dt)})
        yield call(fn, good, TypeError, name, "float_list", **{name: [0.5, 1]})
        yield call(fn, good, TypeError, name, "float_scalar", **{name: 1.5})
    if packs_axis:
        zero_d = np.float32(1.0) if kind == "floats" else np.int8(1)
        yield call(fn, good, ValueError, name, "0d_array", **{name: np.asarray(zero_d)})
        yield call(fn, good, ValueError, name, "python_scalar", **{name: 1})


def code_range_rows(fn, good: dict, name: str, lo: int, hi: int) -> Iterator[Row]:
    """Integers outside [lo, hi], in every integer dtype that can hold them, in odd places."""
    for dt in ("int8", "uint8", "int16", "uint16", "int32", "int64", "uint64", ">i2", ">i4"):
        info = np.iinfo(dt)
        for bad in (lo - 1, hi + 1, info.min, info.max):
            if info.min <= bad <= info.max and not lo <= bad <= hi:
                arr = np.zeros(5, dt)
                arr[2] = bad
                yield call(fn, good, ValueError, name, f"{bad}_as_{np.dtype(dt).str}", **{name: arr})
    tail = np.zeros((3, 5), np.int64)
    tail[-1, -1] = hi + 1  # last element of the last row (the odd tail of a packed row)
    yield call(fn, good, ValueError, name, "bad_in_last_odd_tail", **{name: tail})
    yield call(fn, good, ValueError, name, "python_list", **{name: [0, hi + 1]})
    if torch is not None:
        yield call(fn, good, ValueError, name, "torch_int16", **{name: torch.tensor([0, hi + 1], dtype=torch.int16)})


def scale_rows(fn, good: dict, name: str = "scale") -> Iterator[Row]:
    bad = {
        "zero": 0.0, "neg_zero": -0.0, "negative": -1.0, "nan": float("nan"), "inf": float("inf"),
        "neg_inf": -float("inf"), "underflows_f32": 1e-50, "overflows_f32": 1e39, "str": "x",
        "numeric_str": "2.0", "None": None, "bool": True, "np_bool": np.bool_(True), "complex": 1 + 1j,
        "list": [1.0], "array2": np.array([1.0, 2.0]), "object": object(), "dict": {},
        "huge_list": HUGE_LIST, "huge_str": "9" * 100_000,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def zero_point_rows(fn, good: dict, name: str = "zero_point") -> Iterator[Row]:
    bad = {
        "float": 0.5, "integral_float": 1.0, "np_float": np.float32(1.0), "str": "1", "None": None,
        "bool": True, "np_bool": np.bool_(False), "too_big": 2**31, "too_small": -(2**30) - 1,
        "huge": 2**100, "list": [3], "complex": 1j, "nan": float("nan"), "huge_list": HUGE_LIST,
        "huge_int": 10**5000,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def n_rows(fn, good: dict, m: int, name: str = "n") -> Iterator[Row]:
    """Bad unpacked lengths for a packed axis of ``m`` bytes (valid: 2m - 1, 2m)."""
    bad = {
        "negative": -1, "zero": 0, "too_short": 2 * m - 2, "too_long": 2 * m + 1, "huge": 2**70,
        "float": float(2 * m), "half": 1.5, "str": str(2 * m), "bool": True, "np_float": np.float64(2 * m),
        "0d_array": np.array(2 * m), "list": [2 * m], "complex": 2j,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def choice_rows(fn, good: dict, name: str, options: tuple) -> Iterator[Row]:
    bad = {
        "upper": options[0].upper(), "padded": f" {options[0]}", "empty": "", "None": None, "int": 3,
        "bytes": options[0].encode(), "list": [options[0]], "array1": np.array([options[0]]),
        "array2": np.array(list(options)), "dict": {}, "object": object(), "huge_list": HUGE_LIST,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def out_rows(fn, good: dict, in_name: str, shape: tuple, dtype) -> Iterator[Row]:
    """Every way ``out=`` can be wrong for a result of ``shape``/``dtype``; ``in_name`` is the
    array argument it must not overlap."""
    dtype = np.dtype(dtype)
    other = np.dtype(np.int16 if dtype != np.int16 else np.int8)
    wrong_shape = shape[:-1] + (shape[-1] + 1,)
    bad = {
        "wrong_dtype": np.empty(shape, other),
        "byteswapped": np.empty(shape, dtype.newbyteorder()) if dtype.itemsize > 1 else np.empty(shape, np.uint8 if dtype != np.uint8 else np.int8),
        "wrong_shape": np.empty(wrong_shape, dtype),
        "flattened": np.empty(int(np.prod(shape)), dtype) if len(shape) > 1 else np.empty(shape + (1,), dtype),
        "non_contiguous": np.empty(shape[:-1] + (2 * shape[-1],), dtype)[..., ::2],
        "fortran_order": np.empty(shape, dtype, order="F") if len(shape) > 1 and min(shape) > 1 else np.empty(shape, dtype)[::-1],
        "read_only": _readonly(np.empty(shape, dtype)),
        "misaligned": np.zeros(int(np.prod(shape)) * dtype.itemsize + 1, np.uint8)[1:].view(dtype).reshape(shape)
        if dtype.itemsize > 1 else np.empty(shape, dtype)[::-1],
        "list": np.zeros(shape, dtype).tolist(),
        "tuple": (),
        "str": "out",
        "scalar": 0,
    }
    if torch is not None:
        bad["torch_tensor"] = torch.from_numpy(np.zeros(shape, dtype))
    for label, value in bad.items():
        yield call(fn, good, ValueError, "out", f"out_{label}", out=value)
    # out aliasing the input's memory: the input as given (contiguous), and a strided input
    # that the wrapper copies (then only the caller's original shows the overlap)
    src = np.asarray(good[in_name])
    nbytes = max(src.nbytes * 2, int(np.prod(shape)) * dtype.itemsize) + 64
    buf = np.zeros(nbytes, np.uint8)
    out = buf[: int(np.prod(shape)) * dtype.itemsize].view(dtype).reshape(shape)
    same = buf[: src.nbytes].view(src.dtype).reshape(src.shape)
    same[...] = src
    yield call(fn, good, ValueError, "out", "out_overlaps_input", **{in_name: same, "out": out})
    strided = buf[: 2 * src.nbytes].view(src.dtype)[::2][: src.size].reshape(src.shape)
    strided[...] = src
    yield call(fn, good, ValueError, "out", "out_overlaps_strided_input", **{in_name: strided, "out": out})
    yield call(fn, good, ValueError, "out", "out_overlaps_strided_memoryview", **{in_name: memoryview(strided), "out": out})
    if torch is not None and src.dtype.isnative:
        yield call(fn, good, ValueError, "out", "out_overlaps_strided_tensor", **{in_name: torch.from_numpy(strided), "out": out})
        yield call(fn, good, ValueError, "out", "out_overlaps_tensor", **{in_name: torch.from_numpy(same), "out": out})


# ---------------------------------------------------------------- int4

FLOATS = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
CODES = (np.arange(12, dtype=np.int8) % 16 - 8).reshape(3, 4)
PACKED = np.arange(-6, 6, dtype=np.int8).reshape(3, 4)


def int4_rows() -> Iterator[Row]:
    scale_methods = fq.int4.SCALE_METHODS

    for fn in (fq.quantize_to_int4, fq.quantize_to_packed_int4):
        good = dict(values=FLOATS, scale_method="minmax")
        yield from array_rows(fn, good, "values", "floats", packs_axis=fn is fq.quantize_to_packed_int4)
        yield from choice_rows(fn, good, "scale_method", scale_methods)
        for label, value in {
            "nan": [1.0, np.nan], "inf": [np.inf, 1.0], "neg_inf": [-np.inf, 1.0],
            "nan_float16": np.array([np.nan, 1], np.float16), "inf_after_cast": np.array([1e39, 1.0]),
            "nan_in_last_row": np.vstack([FLOATS, [0, 0, 0, np.nan]]), "empty": np.zeros(0, np.float32),
            "empty_2d": np.zeros((3, 0), np.float32), "empty_rows": np.zeros((0, 4), np.float32),
            "range_overflows": np.array([3e38, -3e38], np.float32),
        }.items():
            yield call(fn, good, ValueError, "values", label, values=value)
        if torch is not None:
            yield call(fn, good, ValueError, "values", "torch_bfloat16_inf",
                       values=torch.tensor([1.0, float("inf")], dtype=torch.bfloat16))
    yield from out_rows(fq.quantize_to_packed_int4, dict(values=FLOATS), "values", (3, 2), np.int8)

    good = dict(q=CODES, scale=0.5, zero_point=1)
    yield from array_rows(fq.dequantize_from_int4, good, "q", "codes", packs_axis=False)
    yield from code_range_rows(fq.dequantize_from_int4, good, "q", -8, 7)
    yield from scale_rows(fq.dequantize_from_int4, good)
    yield from zero_point_rows(fq.dequantize_from_int4, good)
    yield from out_rows(fq.dequantize_from_int4, good, "q", (3, 4), np.float32)

    good = dict(values=CODES)
    yield from array_rows(fq.pack_int4_to_int8, good, "values", "codes", packs_axis=True)
    yield from code_range_rows(fq.pack_int4_to_int8, good, "values", -8, 7)
    yield from out_rows(fq.pack_int4_to_int8, good, "values", (3, 2), np.int8)

    good = dict(packed=PACKED, n=None)
    yield from array_rows(fq.unpack_int8_to_int4, good, "packed", "bytes", packs_axis=True)
    yield from code_range_rows(fq.unpack_int8_to_int4, good, "packed", -128, 255)
    yield from n_rows(fq.unpack_int8_to_int4, good, m=4)
    yield call(fq.unpack_int8_to_int4, good, ValueError, "n", "negative_on_empty", packed=np.zeros(0, np.int8), n=-1)
    yield call(fq.unpack_int8_to_int4, good, ValueError, "n", "one_on_empty", packed=np.zeros((2, 0), np.int8), n=1)
    yield from out_rows(fq.unpack_int8_to_int4, good, "packed", (3, 8), np.int8)

    good = dict(packed=PACKED, scale=0.25, zero_point=-2, n=7)
    yield from array_rows(fq.dequantize_packed_int4, good, "packed", "bytes", packs_axis=True)
    yield from code_range_rows(fq.dequantize_packed_int4, good, "packed", -128, 255)
    yield from scale_rows(fq.dequantize_packed_int4, good)
    yield from zero_point_rows(fq.dequantize_packed_int4, good)
    yield from n_rows(fq.dequantize_packed_int4, good, m=4)
    yield from out_rows(fq.dequantize_packed_int4, good, "packed", (3, 7), np.float32)


def int4_odd_but_valid() -> Iterator[tuple]:
    """(id, fn, kwargs) calls that look odd but are valid: both backends must agree."""
    dims32 = (1,) * 31 + (3,)
    for label, floats, codes, packed in [
        ("32_dims", np.ones(dims32, np.float32), np.ones(dims32, np.int8), np.ones(dims32, np.int8)),
        ("64_dims", np.ones((1,) * 63 + (2,), np.float32), np.ones((1,) * 63 + (2,), np.int8), np.ones((1,) * 64, np.int8)),
        ("empty_rows", None, np.zeros((0, 5), np.int8), np.zeros((0, 3), np.int8)),
        ("empty_last_axis", None, np.zeros((4, 0), np.int16), np.zeros((4, 0), np.uint8)),
        ("huge_empty_shape", None, np.broadcast_to(np.int8(0), (2**40, 0)), np.broadcast_to(np.uint8(0), (0, 2**40))),
        ("broadcast_zero_stride", np.broadcast_to(np.float32(1.5), (5, 7)), np.broadcast_to(np.int8(-3), (5, 7)),
         np.broadcast_to(np.int8(-3), (5, 7))),
        ("memoryview", memoryview(np.ones(6, np.float32)), memoryview(bytes([1, 2, 255 - 8 + 1])).cast("b"), memoryview(b"\x01\xff")),
        ("bytearray", None, None, bytearray(b"\x01\xff\x80")),
        ("negative_strides", FLOATS[::-1, ::-1], CODES[::-1, ::-1], PACKED[::-1, ::-1]),
    ]:
        if floats is not None:
            yield f"quantize_to_int4-{label}", fq.quantize_to_int4, dict(values=floats)
            if np.ndim(floats):
                yield f"quantize_to_packed_int4-{label}", fq.quantize_to_packed_int4, dict(values=floats)
        if codes is not None:
            yield f"dequantize_from_int4-{label}", fq.dequantize_from_int4, dict(q=codes, scale=0.5, zero_point=3)
            yield f"pack_int4_to_int8-{label}", fq.pack_int4_to_int8, dict(values=codes)
        yield f"unpack_int8_to_int4-{label}", fq.unpack_int8_to_int4, dict(packed=packed)
        yield f"dequantize_packed_int4-{label}", fq.dequantize_packed_int4, dict(packed=packed, scale=2.0)
    if torch is not None:
        for dt in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.uint16, torch.uint32):
            codes = torch.tensor([[-8, 7, 0], [1, 2, 3]] if dt.is_signed else [[0, 7, 5], [1, 2, 3]], dtype=dt)
            tag = str(dt).removeprefix("torch.")
            yield f"dequantize_from_int4-torch_{tag}", fq.dequantize_from_int4, dict(q=codes, scale=1.0)
            yield f"unpack_int8_to_int4-torch_{tag}", fq.unpack_int8_to_int4, dict(packed=codes)
        for dt in (torch.bfloat16, torch.float16, torch.float64, torch.float8_e5m2, torch.int64):
            x = torch.tensor([[-1.5, 0.25, 3.0], [2.0, -0.5, 1.0]]).to(dt)
            tag = str(dt).removeprefix("torch.")
            yield f"quantize_to_int4-torch_{tag}", fq.quantize_to_int4, dict(values=x)
            yield f"quantize_to_packed_int4-torch_{tag}", fq.quantize_to_packed_int4, dict(values=x)
        yield "quantize_to_int4-torch_requires_grad", fq.quantize_to_int4, dict(values=torch.ones(3, requires_grad=True))
        yield "unpack_int8_to_int4-torch_transposed", fq.unpack_int8_to_int4, dict(packed=torch.ones(3, 4, dtype=torch.int8).T)


# ---------------------------------------------------------------- embeddings

U8CODES = (np.arange(12, dtype=np.uint8) * 21).reshape(3, 4)
EMBED_CODES = {  # quant -> (good codes, lo, hi, orig_dim or None, result shape)
    "int8": (CODES, -128, 127, None, (3, 4)),
    "uint8": (U8CODES, 0, 255, None, (3, 4)),
    "binary": (PACKED, -128, 127, 30, (3, 30)),
    "ubinary": (PACKED.view(np.uint8), 0, 255, 30, (3, 30)),
}


def orig_dim_rows(fn, good: dict, m: int) -> Iterator[Row]:
    """Bad ``orig_dim`` for packed sign bits on a last axis of ``m`` bytes (valid 8m-7..8m)."""
    bad = {
        "None": None, "zero": 0, "negative": -1, "too_short": 8 * m - 8, "too_long": 8 * m + 1,
        "huge": 2**70, "float": float(8 * m), "str": str(8 * m), "bool": True, "np_bool": np.bool_(True),
        "0d_array": np.array(8 * m), "list": [8 * m], "complex": 8j, "huge_list": HUGE_LIST,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, "orig_dim", label, orig_dim=value)


def same_dim_rows(fn, good: dict, last: int) -> Iterator[Row]:
    """Bad ``orig_dim`` for an unpacked format whose last axis is ``last`` (valid: None, last)."""
    bad = {
        "too_short": last - 1, "too_long": last + 1, "zero": 0, "float": float(last), "str": str(last),
        "bool": True, "list": [last], "0d_array": np.array(last), "huge_list": HUGE_LIST,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, "orig_dim", label, orig_dim=value)


def nan_rows(fn, good: dict, name: str) -> Iterator[Row]:
    """NaN anywhere in a quantizer's float input: ValueError naming it (+-inf saturate)."""
    for label, value in {
        "nan": [1.0, np.nan], "nan_first": [np.nan] * 9, "nan_float16": np.array([np.nan, 1], np.float16),
        "nan_float64": np.array([1.0, 2.0, np.nan]), "nan_in_last_row": np.vstack([FLOATS, [0, 0, 0, np.nan]]),
        "nan_in_odd_tail": np.r_[np.ones(17, np.float32), np.nan], "neg_nan": np.array([-np.nan], np.float32),
        "nan_strided": np.r_[np.ones(8), np.nan, 1.0][::-1],
    }.items():
        yield call(fn, good, ValueError, name, label, **{name: value})
    if torch is not None:
        yield call(fn, good, ValueError, name, "torch_bfloat16_nan",
                   **{name: torch.tensor([1.0, float("nan")], dtype=torch.bfloat16)})


def embeddings_rows() -> Iterator[Row]:
    quants = fq.embeddings.QUANTS
    good = dict(q=FLOATS, quant="fp8")
    yield from choice_rows(fq.dequantize, good, "quant", quants)
    yield from array_rows(fq.dequantize, good, "q", "floats", packs_axis=False)
    yield from same_dim_rows(fq.dequantize, good, 4)
    yield from out_rows(fq.dequantize, good, "q", (3, 4), np.float32)
    for quant, (codes, lo, hi, orig_dim, shape) in EMBED_CODES.items():
        good = dict(q=codes, quant=quant, orig_dim=orig_dim)
        packed = orig_dim is not None
        tagged = [
            *array_rows(fq.dequantize, good, "q", "bytes" if packed else "codes", packs_axis=packed),
            *code_range_rows(fq.dequantize, good, "q", lo, hi),
            *(orig_dim_rows(fq.dequantize, good, 4) if packed else same_dim_rows(fq.dequantize, good, 4)),
            *out_rows(fq.dequantize, good, "q", shape, np.float32),
        ]
        for row in tagged:  # the same labels recur per quant: make the ids unique
            yield dataclasses.replace(row, id=f"{quant}-{row.id}")

    precisions = fq.embeddings.PRECISIONS
    yield from choice_rows(fq.quantize_embeddings, dict(x=FLOATS, precision="int8"), "precision", precisions)
    for precision in precisions:
        good = dict(x=FLOATS, precision=precision)
        packed = precision in ("binary", "ubinary")
        dtype = np.uint8 if precision.startswith("u") else np.int8
        tagged = [
            *array_rows(fq.quantize_embeddings, good, "x", "floats", packs_axis=packed),
            *nan_rows(fq.quantize_embeddings, good, "x"),
            *out_rows(fq.quantize_embeddings, good, "x", (3, 1) if packed else (3, 4), dtype),
        ]
        for row in tagged:
            yield dataclasses.replace(row, id=f"{precision}-{row.id}")


def embeddings_odd_but_valid() -> Iterator[tuple]:
    dims32 = (1,) * 31 + (3,)
    for label, floats, codes in [
        ("32_dims", np.ones(dims32, np.float32), np.ones(dims32, np.int8)),
        ("empty_rows", np.zeros((0, 5), np.float32), np.zeros((0, 3), np.int8)),
        ("empty_last_axis", np.zeros((4, 0), np.float64), np.zeros((4, 0), np.int16)),
        ("broadcast_zero_stride", np.broadcast_to(np.float32(-1.5), (5, 17)), np.broadcast_to(np.int8(3), (5, 3))),
        ("negative_strides", FLOATS[::-1, ::-1], abs(PACKED)[::-1, ::-1]),
        ("big_endian", FLOATS.astype(">f8"), abs(PACKED).astype(">i2")),
        ("memoryview", memoryview(np.ones(6, np.float32)), memoryview(bytes([1, 2, 127])).cast("b")),
        ("inf", np.array([np.inf, -np.inf, 0.0, -0.0]), np.array([0, 1, 2, 3], np.uint16)),
    ]:
        for precision in fq.embeddings.PRECISIONS:
            yield f"quantize_embeddings-{precision}-{label}", fq.quantize_embeddings, dict(x=floats, precision=precision)
        yield f"dequantize-fp8-{label}", fq.dequantize, dict(q=floats, quant="fp8")
        for quant in ("int8", "uint8", "binary", "ubinary"):
            m = codes.shape[-1]
            orig_dim = 8 * m - 3 if quant.endswith("binary") and m else None
            if quant.endswith("binary") and not m:
                continue  # no orig_dim >= 1 fits an empty last axis (a row of the table above)
            yield f"dequantize-{quant}-{label}", fq.dequantize, dict(q=codes, quant=quant, orig_dim=orig_dim)
    yield "dequantize-fp8-nan_kept", fq.dequantize, dict(q=np.array([np.nan, -np.nan, np.inf]), quant="fp8")
    if torch is not None:
        for dt in (torch.int8, torch.uint8, torch.int16, torch.int64, torch.uint16):
            codes = torch.tensor([[0, 7, 5], [1, 2, 127]], dtype=dt)
            tag = str(dt).removeprefix("torch.")
            for quant in ("int8", "uint8", "binary", "ubinary"):
                orig_dim = 20 if quant.endswith("binary") else None
                yield f"dequantize-{quant}-torch_{tag}", fq.dequantize, dict(q=codes, quant=quant, orig_dim=orig_dim)
        for dt in (torch.bfloat16, torch.float16, torch.float64, torch.float8_e5m2, torch.int64):
            x = torch.tensor([[-1.5, 0.25, 3.0], [2.0, -0.5, 1.0]]).to(dt)
            tag = str(dt).removeprefix("torch.")
            yield f"dequantize-fp8-torch_{tag}", fq.dequantize, dict(q=x, quant="fp8")
            for precision in fq.embeddings.PRECISIONS:
                yield f"quantize_embeddings-{precision}-torch_{tag}", fq.quantize_embeddings, dict(x=x, precision=precision)


# ---------------------------------------------------------------- calibrated int8/uint8 (SPEC 10)

RANGES = np.array([[-3.0, -2.0, -1.0, 0.0], [3.0, 2.0, -1.0, 0.5]], np.float32)  # one zero step
CALIBRATION = np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4)


def ranges_rows(fn, good: dict, name: str = "ranges") -> Iterator[Row]:
    """``ranges`` that are no (2, 4) float32 minima/maxima: wrong kinds (TypeError), wrong
    shapes, NaN, infinities, min > max, a difference overflowing float32 (ValueError)."""
    for row in array_rows(fn, good, name, "floats", packs_axis=False):
        if row.kwargs[name] is not None:  # None: no ranges given, valid
            yield dataclasses.replace(row, id=f"{name}_{row.id}")
    with np.errstate(over="ignore"):
        big = RANGES.astype(np.float64)
        big[1, 2] = 1e39  # finite in float64, inf in float32
    bad = {
        "1d": RANGES[0], "0d": np.float32(1.0), "transposed": RANGES.T, "three_rows": np.vstack([RANGES, RANGES[:1]]),
        "too_short": RANGES[:, :3], "too_long": np.hstack([RANGES, RANGES[:, :1]]), "3d": RANGES[None],
        "empty_list": [], "flat_list": [0.0] * 8, "scalar": 0.5, "huge_list": HUGE_LIST,
        "nan_min": np.where([[True, False, False, False], [False] * 4], np.nan, RANGES),
        "nan_max": np.where([[False] * 4, [False, False, False, True]], np.nan, RANGES),
        "inf_max": np.where([[False] * 4, [True, False, False, False]], np.inf, RANGES),
        "neg_inf_min": np.where([[False, True, False, False], [False] * 4], -np.inf, RANGES),
        "inf_both": np.array([[np.inf] * 4, [np.inf] * 4]),
        "min_above_max": RANGES[::-1], "one_min_above_max": np.where([[False, False, True, False], [False] * 4], 5.0, RANGES),
        "overflows_float32": big, "difference_overflows": np.array([[-3e38] * 4, [3e38] * 4], np.float32),
        "list_with_nan": [[0.0, 0.0, 0.0, float("nan")], [1.0] * 4],
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, f"{name}_{label}", **{name: value})
    if torch is not None:
        yield call(fn, good, ValueError, name, f"{name}_torch_nan", **{name: torch.tensor([[0.0, 0, 0, float("nan")], [1.0] * 4])})
        yield call(fn, good, ValueError, name, f"{name}_torch_wrong_shape", **{name: torch.ones(4, 2)})


def calibration_rows(fn, good: dict, name: str, d=4) -> Iterator[Row]:
    """Calibration embeddings that give no ranges: wrong kinds, no rows, not (n, d), NaN,
    infinities, a range overflowing float32."""
    for row in array_rows(fn, good, name, "floats", packs_axis=False):
        if row.kwargs[name] is not None or fn is fq.calibration_ranges:  # None: not given, valid
            yield dataclasses.replace(row, id=f"{name}_{row.id}")
    bad = {
        "no_rows": np.zeros((0, d or 4), np.float32), "no_rows_list": [], "1d": CALIBRATION[0], "0d": np.float32(1.0),
        "3d": CALIBRATION[None], "scalar": 2.0, "huge_list": HUGE_LIST,
        "nan": np.where(np.arange(20).reshape(5, 4) == 13, np.nan, CALIBRATION),
        "nan_float16": CALIBRATION.astype(np.float16) * np.float16(np.nan),
        "inf": np.where(np.arange(20).reshape(5, 4) == 19, np.inf, CALIBRATION),
        "neg_inf": np.where(np.arange(20).reshape(5, 4) == 0, -np.inf, CALIBRATION),
        "overflows_float32": CALIBRATION.astype(np.float64) * 1e39,
        "range_overflows": np.array([[-3e38] * (d or 4), [3e38] * (d or 4)], np.float32),
    }
    if d is not None:
        bad.update(too_few_dims=CALIBRATION[:, :3], too_many_dims=np.hstack([CALIBRATION, CALIBRATION]),
                   transposed=CALIBRATION.T)
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, f"{name}_{label}", **{name: value})
    if torch is not None:
        yield call(fn, good, ValueError, name, f"{name}_torch_nan",
                   **{name: torch.tensor([[0.0, 1, 2, float("nan")]], dtype=torch.bfloat16)})


def calibrated_rows() -> Iterator[Row]:
    for precision in ("int8", "uint8"):
        dtype = np.int8 if precision == "int8" else np.uint8
        for given, value in (("ranges", RANGES), ("calibration_embeddings", CALIBRATION)):
            good = dict(x=FLOATS, precision=precision, **{given: value})
            tagged = [
                *array_rows(fq.quantize_embeddings, good, "x", "floats", packs_axis=False),
                *out_rows(fq.quantize_embeddings, good, "x", (3, 4), dtype),
                *(ranges_rows(fq.quantize_embeddings, good) if given == "ranges"
                  else calibration_rows(fq.quantize_embeddings, good, given)),
                call(fq.quantize_embeddings, good, ValueError, "x", "0d_array", x=np.float32(1.0)),
                call(fq.quantize_embeddings, good, ValueError, "x", "python_scalar", x=1.0),
                # x sets D: ranges/calibration of another width name themselves
                call(fq.quantize_embeddings, good, ValueError, given, "x_of_other_width", x=FLOATS[:, :3]),
                call(fq.quantize_embeddings, good, ValueError, given, "x_1d_of_other_width", x=FLOATS[0, :2]),
            ]
            for label, x in {
                "nan": np.where(FLOATS > 2.5, np.nan, FLOATS), "nan_first": np.full((1, 4), np.nan),
                "nan_float16": np.array([[np.nan, 1, 2, 3]], np.float16), "nan_1d": np.array([1.0, 2.0, np.nan, 0.0]),
                "nan_in_last_row": np.vstack([FLOATS, [0, 0, 0, np.nan]]), "neg_nan": -np.full((2, 4), np.nan, np.float32),
                "nan_strided": np.vstack([FLOATS, FLOATS])[::-2, ::-1] * np.array([1, 1, 1, np.nan], np.float32),
            }.items():
                tagged.append(call(fq.quantize_embeddings, good, ValueError, "x", f"nan_{label}", x=x))
            if torch is not None:
                tagged.append(call(fq.quantize_embeddings, good, ValueError, "x", "torch_bfloat16_nan",
                                   x=torch.tensor([[1.0, 2, 3, float("nan")]], dtype=torch.bfloat16)))
            for row in tagged:
                yield dataclasses.replace(row, id=f"{precision}-{given}-{row.id}")
        # both ranges and calibration: ambiguous, refused (calibration_embeddings is named)
        yield call(fq.quantize_embeddings, dict(x=FLOATS, precision=precision), ValueError, "calibration_embeddings",
                   f"{precision}-both_given", ranges=RANGES, calibration_embeddings=CALIBRATION)

        good = dict(q=CODES if precision == "int8" else U8CODES, quant=precision, ranges=RANGES)
        lo, hi = (-128, 127) if precision == "int8" else (0, 255)
        tagged = [
            *array_rows(fq.dequantize, good, "q", "codes", packs_axis=False),
            *code_range_rows(fq.dequantize, good, "q", lo, hi),
            *same_dim_rows(fq.dequantize, good, 4),
            *out_rows(fq.dequantize, good, "q", (3, 4), np.float32),
            *ranges_rows(fq.dequantize, good),
            call(fq.dequantize, good, ValueError, "q", "0d_array", q=np.asarray(good["q"][0, 0])),
            call(fq.dequantize, good, ValueError, "ranges", "q_of_other_width", q=good["q"][:, :3]),
        ]
        for row in tagged:
            yield dataclasses.replace(row, id=f"ranges-{precision}-{row.id}")
    # only int8/uint8 have ranges (a choice: sentence-transformers ignores them elsewhere)
    for precision in ("binary", "ubinary"):
        yield call(fq.quantize_embeddings, dict(x=FLOATS, precision=precision), ValueError, "ranges",
                   f"{precision}-with_ranges", ranges=RANGES)
        yield call(fq.quantize_embeddings, dict(x=FLOATS, precision=precision), ValueError, "calibration_embeddings",
                   f"{precision}-with_calibration", calibration_embeddings=CALIBRATION)
    for quant, codes in (("fp8", FLOATS), ("binary", PACKED), ("ubinary", PACKED.view(np.uint8))):
        yield call(fq.dequantize, dict(q=codes, quant=quant, orig_dim=30 if "binary" in quant else None),
                   ValueError, "ranges", f"{quant}-with_ranges", ranges=RANGES)
    yield call(fq.dequantize, dict(q=CODES, quant="INT8"), ValueError, "quant", "bad_quant_with_ranges", ranges=RANGES)
    yield from calibration_rows(fq.calibration_ranges, dict(embeddings=CALIBRATION), "embeddings", d=None)


def calibrated_odd_but_valid() -> Iterator[tuple]:
    rows = np.linspace(-2, 2, 24, dtype=np.float32).reshape(6, 4)
    for label, x, ranges in [
        ("ranges_list", FLOATS, RANGES.tolist()),
        ("ranges_float64", FLOATS, RANGES.astype(np.float64) + 1e-9),
        ("ranges_int", FLOATS, RANGES.astype(np.int64)),
        ("ranges_float16_big_endian", FLOATS, RANGES.astype(">f2")),
        ("ranges_fortran", FLOATS, np.asfortranarray(RANGES)),
        ("ranges_equal_bounds", FLOATS, np.zeros((2, 4))),
        ("x_1d", FLOATS[0], RANGES),
        ("x_32_dims", np.ones((1,) * 31 + (4,), np.float32), RANGES),
        ("x_empty_rows", np.zeros((0, 4), np.float32), RANGES),
        ("x_empty_last_axis", np.zeros((3, 0)), np.zeros((2, 0))),
        ("x_int", np.arange(-6, 6).reshape(3, 4), RANGES),
        ("x_float16_negative_strides", FLOATS[::-1, ::-1].astype(np.float16), RANGES),
        ("x_inf", np.array([[np.inf, -np.inf, 1e39, -1e39]]), RANGES),
        ("x_broadcast", np.broadcast_to(np.float32(0.25), (5, 4)), RANGES),
        ("x_memoryview", memoryview(np.ones(4, np.float32)), RANGES),
    ]:
        for precision in ("int8", "uint8"):
            yield f"quantize_embeddings-{precision}-{label}", fq.quantize_embeddings, dict(x=x, precision=precision, ranges=ranges)
    for label, cal in [("float64", rows.astype(np.float64)), ("one_row", rows[:1]), ("float16", rows.astype(np.float16)),
                       ("transposed_view", np.ascontiguousarray(rows.T).T), ("list", rows.tolist()),
                       ("ints", np.arange(8).reshape(2, 4)), ("constant", np.ones((3, 4)))]:
        yield f"quantize_embeddings-calibration_{label}", fq.quantize_embeddings, dict(
            x=FLOATS, precision="uint8", calibration_embeddings=cal)
        yield f"calibration_ranges-{label}", fq.calibration_ranges, dict(embeddings=cal)
    yield "calibration_ranges-no_columns", fq.calibration_ranges, dict(embeddings=np.zeros((3, 0)))
    for precision, codes in (("int8", CODES), ("uint8", U8CODES)):
        for label, q, ranges in [
            ("int16", codes.astype(np.int16), RANGES), ("1d", codes[0], RANGES), ("list", codes.tolist(), RANGES.tolist()),
            ("empty", codes[:0], RANGES), ("negative_strides", codes[::-1, ::-1], RANGES),
            ("orig_dim", codes, RANGES),
        ]:
            kwargs = dict(q=q, quant=precision, ranges=ranges)
            if label == "orig_dim":
                kwargs["orig_dim"] = 4
            yield f"dequantize-ranges-{precision}-{label}", fq.dequantize, kwargs
    if torch is not None:
        t = torch.tensor(FLOATS)
        for dt in (torch.bfloat16, torch.float16, torch.float64):
            tag = str(dt).removeprefix("torch.")
            yield f"quantize_embeddings-ranges-torch_{tag}", fq.quantize_embeddings, dict(
                x=t.to(dt), precision="int8", ranges=torch.tensor(RANGES).to(dt))
            yield f"calibration_ranges-torch_{tag}", fq.calibration_ranges, dict(embeddings=t.to(dt))
        yield "dequantize-ranges-torch_int8", fq.dequantize, dict(q=torch.tensor(CODES), quant="int8", ranges=torch.tensor(RANGES))


# ---------------------------------------------------------------- affine

def n_bits_rows(fn, good: dict) -> Iterator[Row]:
    bad = {
        "zero": 0, "one": 1, "seventeen": 17, "negative": -8, "huge": 2**70, "float": 8.0, "np_float": np.float64(8),
        "str": "8", "None": None, "bool": True, "np_bool": np.bool_(True), "list": [8], "complex": 8j,
        "huge_list": HUGE_LIST,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, "n_bits", label, n_bits=value)


def signed_rows(fn, good: dict) -> Iterator[Row]:
    bad = {"one": 1, "zero": 0, "str": "yes", "None": None, "list": [True], "0d_array": np.array(True), "float": 1.0,
           "huge_list": HUGE_LIST}
    for label, value in bad.items():
        yield call(fn, good, ValueError, "signed", label, signed=value)


def axis_rows(fn, good: dict, name: str) -> Iterator[Row]:
    """Bad ``axis`` for a 2-d array argument ``name``, and any axis on a 0-d one."""
    bad = {
        "too_big": 2, "too_small": -3, "huge": 2**70, "float": 0.0, "str": "0", "bool": True,
        "np_bool": np.bool_(False), "list": [0], "tuple": (0, 1), "complex": 1j, "huge_list": HUGE_LIST,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, "axis", label, axis=value)
    zero_d = np.asarray(np.float32(1.0) if name == "x" else np.int8(1))
    yield call(fn, good, ValueError, "axis", "on_0d", **{name: zero_d, "axis": 0})


def _deep(depth: int):
    x = [1.0] * 3
    for _ in range(depth - 1):
        x = [x]
    return x


def per_channel_rows(fn, good: dict) -> Iterator[Row]:
    """Per-channel ``scales``/``zero_point`` that do not fit ``axis=0`` of a (3, 4) array, and
    arrays where ``axis=None`` wants scalars."""
    good = {**good, "axis": 0}
    scales = {
        "len_mismatch": np.ones(4), "len_of_other_axis": np.ones(4, np.float32), "2d": np.ones((3, 1)),
        "empty": [], "zero_in": [1.0, 0.0, 1.0], "neg_zero_in": [1.0, -0.0, 1.0], "negative_in": [1, -1, 1],
        "nan_in": [1.0, np.nan, 1.0], "inf_in": [1.0, np.inf, 1.0], "underflows_f32_in": [1.0, 1e-50, 1.0],
        "overflows_f32_in": np.array([1.0, 1e39, 1.0]), "bool_array": np.array([True] * 3),
        "complex_array": np.ones(3, complex), "str_array": np.array(["1", "2", "3"]), "object_list": [1, None, 1],
        "ragged": [[1.0], [2.0, 3.0]], "nested_70_deep": _deep(70), "datetime": np.array(["2020-01-01"] * 3, "M8[D]"),
    }
    for label, value in scales.items():
        yield call(fn, good, ValueError, "scales", f"per_channel_{label}", scales=value)
    zero_points = {
        "len_mismatch": np.zeros(4, np.int32), "2d": np.zeros((3, 1), np.int8), "empty": [],
        "float_array": np.zeros(3), "integral_float_list": [0.0, 1.0, 2.0], "too_big_in": [0, 2**31, 0],
        "too_small_in": np.array([0, -(2**30) - 1, 0], np.int64), "uint64_huge": np.full(3, 2**64 - 1, np.uint64),
        "bool_array": np.zeros(3, bool), "object_list": [0, None, 0], "ragged": [[1], [2, 3]],
        "nested_70_deep": _deep(70), "str_array": np.array(["1", "2", "3"]),
    }
    for label, value in zero_points.items():
        yield call(fn, good, ValueError, "zero_point", f"per_channel_{label}", zero_point=value)
    if torch is not None:
        yield call(fn, good, ValueError, "scales", "per_channel_torch_nan", scales=torch.tensor([1.0, float("nan"), 1.0]))
        yield call(fn, good, ValueError, "zero_point", "per_channel_torch_float", zero_point=torch.zeros(3))
        yield call(fn, good, ValueError, "scales", "per_channel_torch_meta", scales=torch.ones(3, device="meta"))
    # an array where axis=None wants a scalar: a forgotten axis= never broadcasts silently
    good = {**good, "axis": None}
    for label, value in {"array3": np.ones(3), "list1": [1.0], "ragged": [[1.0], [2.0, 3.0]]}.items():
        yield call(fn, good, ValueError, "scales", f"per_tensor_{label}", scales=value)
    for label, value in {"array3": np.zeros(3, np.int32), "list1": [1], "ragged": [[1], [2, 3]]}.items():
        yield call(fn, good, ValueError, "zero_point", f"per_tensor_{label}", zero_point=value)


def real_rows(fn, good: dict, name: str) -> Iterator[Row]:
    bad = {
        "nan": float("nan"), "inf": float("inf"), "neg_inf": -float("inf"), "None": None, "str": "1.0",
        "bool": True, "np_bool": np.bool_(False), "complex": 1j, "list": [1.0], "array2": np.array([1.0, 2.0]),
        "ragged": [[1.0], [2.0, 3.0]], "dict": {}, "object": object(), "nan_f32": np.float32("nan"),
        "huge_list": HUGE_LIST, "huge_str": "9" * 100_000,
    }
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def affine_rows() -> Iterator[Row]:
    good = dict(alpha=-100.0, beta=80.0, n_bits=8, signed=True)
    yield from real_rows(fq.affine_qparams, good, "alpha")
    yield from real_rows(fq.affine_qparams, {**good, "alpha": -1e300}, "beta")
    yield from n_bits_rows(fq.affine_qparams, good)
    yield from signed_rows(fq.affine_qparams, good)
    for label, (a, b, name) in {
        "equal": (1.0, 1.0, "alpha"), "reversed": (2.0, -2.0, "alpha"),
        "scale_underflows_f32": (0.0, 1e-50, "beta"), "range_overflows": (-1.7e308, 1.7e308, "beta"),
        "zero_point_too_big": (1e12, 1e12 + 1e3, "alpha"), "zero_point_too_small": (-1e12 - 1e3, -1e12, "alpha"),
    }.items():
        yield call(fq.affine_qparams, good, ValueError, name, label, alpha=a, beta=b)

    good = dict(n_bits=8, signed=True)
    yield from n_bits_rows(fq.code_range, good)
    yield from signed_rows(fq.code_range, good)

    good = dict(x=FLOATS, scales=0.5, zero_point=3, n_bits=8)
    yield from array_rows(fq.quantize_func, good, "x", "floats", packs_axis=False)
    yield from nan_rows(fq.quantize_func, good, "x")
    yield call(fq.quantize_func, good, ValueError, "x", "nan_per_channel", x=np.vstack([FLOATS, [0, 0, np.nan, 0]]),
               scales=[1.0, 2.0, 3.0, 4.0], axis=1)
    yield from scale_rows(fq.quantize_func, good, "scales")
    yield from zero_point_rows(fq.quantize_func, good)
    yield from n_bits_rows(fq.quantize_func, good)
    yield from signed_rows(fq.quantize_func, good)
    yield from axis_rows(fq.quantize_func, good, "x")
    yield from per_channel_rows(fq.quantize_func, good)
    yield from out_rows(fq.quantize_func, good, "x", (3, 4), np.int8)
    for row in out_rows(fq.quantize_func, {**good, "n_bits": 12, "signed": False, "axis": 1, "scales": [1.0, 2, 3, 4]},
                        "x", (3, 4), np.uint16):
        yield dataclasses.replace(row, id=f"uint16_per_channel-{row.id}")

    good = dict(x_q=CODES, scales=0.5, zero_point=3)
    # float codes are valid here (SPEC 4: int32 conversion), so x_q is checked like a float input
    yield from array_rows(fq.dequantize_func, good, "x_q", "floats", packs_axis=False)
    for label, value in {
        "nan": [1.0, np.nan], "inf": np.array([np.inf]), "neg_inf_float16": np.array([1, -np.inf], np.float16),
        "float_above_int32": [2.0**31], "float_below_int32": [-(2.0**31) - 1], "float_huge": np.array([1e300]),
        "uint32_above_int32": np.array([0, 2**31], np.uint32), "int64_above_int32": np.array([2**40], np.int64),
        "int64_below_int32": np.array([-(2**31) - 1], ">i8"), "uint64_max": np.array([2**64 - 1], np.uint64),
        "list_above_int32": [0, 2**31], "nan_strided": np.r_[np.ones(8), np.nan][::-2],
    }.items():
        yield call(fq.dequantize_func, good, ValueError, "x_q", label, x_q=value)
    if torch is not None:
        yield call(fq.dequantize_func, good, ValueError, "x_q", "torch_bfloat16_inf",
                   x_q=torch.tensor([1.0, float("inf")], dtype=torch.bfloat16))
        yield call(fq.dequantize_func, good, ValueError, "x_q", "torch_int64_above_int32",
                   x_q=torch.tensor([0, 2**40], dtype=torch.int64))
    yield from scale_rows(fq.dequantize_func, good, "scales")
    yield from zero_point_rows(fq.dequantize_func, good)
    yield from axis_rows(fq.dequantize_func, good, "x_q")
    yield from per_channel_rows(fq.dequantize_func, good)
    yield from out_rows(fq.dequantize_func, good, "x_q", (3, 4), np.float32)
    for label, codes in {"int32": CODES.astype(np.int32), "float_codes": CODES.astype(np.float64),
                         "uint16_per_channel": CODES.astype(np.uint16) + 8}.items():
        kw = dict(good, x_q=codes, axis=1, scales=[1.0, 2, 3, 4]) if "per_channel" in label else dict(good, x_q=codes)
        for row in out_rows(fq.dequantize_func, kw, "x_q", (3, 4), np.float32):
            yield dataclasses.replace(row, id=f"{label}-{row.id}")


def affine_odd_but_valid() -> Iterator[tuple]:
    dims32 = (1,) * 31 + (3,)
    for label, floats, codes in [
        ("32_dims", np.ones(dims32, np.float32), np.ones(dims32, np.int16)),
        ("empty_rows", np.zeros((0, 5), np.float32), np.zeros((0, 5), np.int8)),
        ("empty_last_axis", np.zeros((4, 0), np.float64), np.zeros((4, 0), np.uint16)),
        ("broadcast_zero_stride", np.broadcast_to(np.float32(-1.5), (5, 7)), np.broadcast_to(np.int32(-3), (5, 7))),
        ("negative_strides", FLOATS[::-1, ::-1], CODES[::-1, ::-1]),
        ("big_endian", FLOATS.astype(">f8"), CODES.astype(">i4")),
        ("memoryview", memoryview(np.ones(6, np.float32)), memoryview(bytes([1, 2, 127])).cast("b")),
        ("inf", np.array([np.inf, -np.inf, 0.0, -0.0]), np.array([2**31 - 1, -(2**31), 0, 1], np.int64)),
        ("float_codes", None, np.array([[2.9, -2.9, -0.5, 2.0**31 - 1]])),
    ]:
        if floats is not None:
            yield f"quantize_func-{label}", fq.quantize_func, dict(x=floats, scales=0.37, zero_point=-3, n_bits=5)
            yield f"quantize_func-unsigned-{label}", fq.quantize_func, dict(x=floats, scales=0.37, zero_point=9, n_bits=13, signed=False)
        yield f"dequantize_func-{label}", fq.dequantize_func, dict(x_q=codes, scales=0.37, zero_point=2**30)
        if codes.ndim:
            c = codes.shape[-1]
            yield f"dequantize_func-per_channel-{label}", fq.dequantize_func, dict(
                x_q=codes, scales=np.linspace(0.1, 2, c), zero_point=np.arange(c) - 2**30, axis=-1)
        if floats is not None and np.ndim(floats):
            c = np.shape(floats)[-1]
            yield f"quantize_func-per_channel-{label}", fq.quantize_func, dict(
                x=floats, scales=np.linspace(0.1, 2, c), zero_point=np.arange(c), axis=-1)
    if torch is not None:
        for dt in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.uint16, torch.uint32,
                   torch.bfloat16, torch.float16, torch.float64, torch.float8_e5m2):
            codes = torch.tensor([[-8, 7, 0], [1, 2, 3]] if dt.is_signed else [[0, 7, 5], [1, 2, 3]]).to(dt)
            tag = str(dt).removeprefix("torch.")
            yield f"dequantize_func-torch_{tag}", fq.dequantize_func, dict(x_q=codes, scales=0.5, zero_point=1)
            yield f"quantize_func-torch_{tag}", fq.quantize_func, dict(x=codes, scales=0.5, zero_point=1)
        yield "quantize_func-torch_bfloat16_scales", fq.quantize_func, dict(
            x=FLOATS, scales=torch.tensor([0.5, 1, 2], dtype=torch.bfloat16), zero_point=torch.tensor([1, 2, 3]), axis=0)
        yield "quantize_func-torch_bfloat16_scalar_scale", fq.quantize_func, dict(
            x=FLOATS, scales=torch.tensor(0.5, dtype=torch.bfloat16), zero_point=torch.tensor(2))
        yield "dequantize_func-torch_0d_scale", fq.dequantize_func, dict(
            x_q=CODES, scales=torch.tensor(0.25, dtype=torch.float16), zero_point=np.int8(1))


# ---------------------------------------------------------------- gguf (fastquant.gguf)

Q4_0_BYTES = (np.arange(3 * 36) * 37 % 256).astype(np.uint8).reshape(3, 36)  # 2 blocks a row


def gguf_rows() -> Iterator[Row]:
    from fastquant import gguf

    fn = gguf.dequantize
    good = dict(data=Q4_0_BYTES, qtype="Q4_0")
    tagged = [
        *array_rows(fn, good, "data", "bytes", packs_axis=True),
        *out_rows(fn, good, "data", (3, 64), np.float32),
    ]
    for label, value in {"zero": 0, "negative": -1, "float": 1.5, "str": "2", "bool": True, "list": [2]}.items():
        tagged.append(call(fn, good, ValueError, "threads", f"threads_{label}", threads=value))
    for label, value in {
        "unknown_name": "Q9_9", "padded_name": " Q4_0", "empty": "", "None": None, "unknown_id": 99,
        "negative_id": -1, "float_id": 2.0, "bool": True, "list": ["Q4_0"], "bytes": b"Q4_0",
        "object": object(), "huge_list": HUGE_LIST, "huge_int": 10**5000,
    }.items():
        tagged.append(call(fn, good, ValueError, "qtype", label, qtype=value))
    for label, value in {
        "not_whole_blocks": Q4_0_BYTES[:, :35], "one_byte_short": np.zeros(17, np.uint8),
        "int16_not_whole_blocks": np.zeros((2, 10), np.int16), "list_above_255": [[0] * 17 + [256]],
        "list_negative": [-1] * 18,
    }.items():
        tagged.append(call(fn, good, ValueError, "data", label, data=value))
    for qtype, label, value, exc in [
        ("F32", "float64_values", np.ones((2, 3)), TypeError), ("F32", "float16_values", np.ones(4, np.float16), TypeError),
        ("F16", "float32_values", np.ones(4, np.float32), TypeError), ("BF16", "float32_values", np.ones(4, np.float32), TypeError),
        ("F32", "bytes_not_whole_floats", np.zeros((2, 6), np.uint8), ValueError),
        ("F16", "odd_bytes", np.zeros(3, np.uint8), ValueError), ("F32", "0d_float32", np.float32(1.0), ValueError),
        ("IQ2_XXS", "float32_as_bytes", np.zeros(66, np.float32), TypeError),
    ]:
        tagged.append(call(fn, good, exc, "data", f"{qtype}_{label}", data=value, qtype=qtype))
    if torch is not None:
        tagged.append(call(fn, good, TypeError, "data", "F16_torch_bfloat16", data=torch.ones(4, dtype=torch.bfloat16), qtype="F16"))
        tagged.append(call(fn, good, TypeError, "data", "BF16_torch_float32", data=torch.ones(4), qtype="BF16"))
    for row in tagged:
        yield dataclasses.replace(row, id=f"gguf-{row.id}")

    for shape_fn in (gguf.quant_shape_to_byte_shape, gguf.quant_shape_from_byte_shape):
        good = dict(shape=(4, 288), quant_type="Q4_0")
        for label, value in {"not_whole": (4, 289), "empty": (), "int": 5, "None": None, "float_dim": (4, 288.0),
                             "negative": (-288,), "str": "288", "bool_dim": (True,)}.items():
            yield call(shape_fn, good, ValueError, "shape", label, shape=value)
        for label, value in {"unknown": "Q9_9", "None": None, "float": 2.5}.items():
            yield call(shape_fn, good, ValueError, "quant_type", f"quant_type_{label}", quant_type=value)


def gguf_odd_but_valid() -> Iterator[tuple]:
    from fastquant import gguf

    fn = gguf.dequantize
    for label, data, qtype in [
        ("32_dims", np.zeros((1,) * 31 + (36,), np.uint8), "Q4_0"),
        ("empty_rows", np.zeros((0, 36), np.uint8), "Q4_0"),
        ("empty_last_axis", np.zeros((4, 0), np.uint8), "Q6_K"),
        ("empty_list", [], "Q4_0"),
        ("broadcast_zero_stride", np.broadcast_to(Q4_0_BYTES[0], (5, 36)), "Q4_0"),
        ("negative_strides", Q4_0_BYTES[::-1, ::-1], "Q4_0"),
        ("int8_bytes", Q4_0_BYTES.view(np.int8), "IQ4_NL"),
        ("big_endian_int16", Q4_0_BYTES.view(">i2"), "Q4_0"),
        ("uint64", Q4_0_BYTES[:, :32].copy().view(np.uint64), "F16"),
        ("memoryview", memoryview(Q4_0_BYTES[0].tobytes()), "Q4_0"),
        ("bytearray", bytearray(Q4_0_BYTES[0].tobytes()), "Q4_0"),
        ("readonly", _readonly(Q4_0_BYTES), "Q4_0"),
        ("list_of_bytes", Q4_0_BYTES.tolist(), "Q4_0"),
        ("float32_values", FLOATS, "F32"),
        ("float16_values", FLOATS.astype(np.float16), "F16"),
        ("big_endian_float32", FLOATS.astype(">f4"), "F32"),
        ("enum_like_int", Q4_0_BYTES, np.int64(2)),
    ]:
        yield f"gguf_dequantize-{label}", fn, dict(data=data, qtype=qtype)
    if torch is not None:
        for dt in (torch.uint8, torch.int8, torch.int16, torch.int32):
            yield f"gguf_dequantize-torch_{str(dt).removeprefix('torch.')}", fn, dict(
                data=torch.from_numpy(Q4_0_BYTES.copy()).view(dt), qtype="Q4_0")
        yield "gguf_dequantize-torch_bfloat16_BF16", fn, dict(data=torch.ones(3, dtype=torch.bfloat16), qtype="BF16")
        yield "gguf_dequantize-torch_transposed", fn, dict(data=torch.from_numpy(Q4_0_BYTES.copy()).T.contiguous().T, qtype="Q4_0")
# ---------------------------------------------------------------- floats (minifloats, MX, nibbles)

try:  # ml_dtypes arrays are valid inputs (as torch tensors are); without it, no such rows
    import ml_dtypes
except ImportError:  # pragma: no cover
    ml_dtypes = None

F8 = (np.arange(12, dtype=np.uint8) * 21).reshape(3, 4)
F4 = (np.arange(12, dtype=np.uint8) % 16).reshape(3, 4)
MX_X = np.linspace(-3, 3, 96, dtype=np.float32).reshape(3, 32)
MX_CODES = (np.arange(96, dtype=np.uint8) % 16).reshape(3, 32)
MX_SCALES = np.full((3, 1), 127, np.uint8)


def fmt_rows(fn, good: dict) -> Iterator[Row]:
    bad = {
        "unknown": "float8", "upper": "FLOAT8_E4M3FN", "padded": " float8_e4m3fn", "empty": "", "None": None,
        "int": 3, "bytes": b"float8_e4m3fn", "list": ["float8_e4m3fn"], "numpy_dtype": np.dtype(np.float32),
        "numpy_type": np.uint8, "python_type": float, "object": object(), "dict": {}, "huge_list": HUGE_LIST,
        "array": np.array(["float8_e4m3fn"]),
    }
    if ml_dtypes is not None:
        bad["ml_dtypes_bfloat16"] = ml_dtypes.bfloat16
        bad["ml_dtypes_int4"] = np.dtype(ml_dtypes.int4)
    if torch is not None:
        bad["torch_float32"] = torch.float32
        bad["torch_packed_fp4"] = torch.float4_e2m1fn_x2
    for label, value in bad.items():
        yield call(fn, good, ValueError, "fmt", f"fmt_{label}", fmt=value)


def flag_rows(fn, good: dict, name: str) -> Iterator[Row]:
    bad = {"one": 1, "zero": 0, "str": "True", "None": None, "list": [True], "0d_array": np.array(True),
           "float": 1.0, "huge_list": HUGE_LIST}
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, label, **{name: value})


def block_size_rows(fn, good: dict) -> Iterator[Row]:
    bad = {"zero": 0, "negative": -32, "not_a_divisor": 5, "too_long": 64, "float": 32.0, "np_float": np.float64(32),
           "str": "32", "None": None, "bool": True, "list": [32], "huge": 2**70, "complex": 32j, "huge_list": HUGE_LIST}
    for label, value in bad.items():
        yield call(fn, good, ValueError, "block_size", label, block_size=value)


def mx_axis_rows(fn, good: dict) -> Iterator[Row]:
    bad = {"too_big": 2, "too_small": -3, "huge": 2**70, "float": 0.0, "str": "0", "bool": True,
           "np_bool": np.bool_(False), "list": [0], "tuple": (0, 1), "None": None, "huge_list": HUGE_LIST}
    for label, value in bad.items():
        yield call(fn, good, ValueError, "axis", f"axis_{label}", axis=value)


def floats_threads_rows(fn, good: dict) -> Iterator[Row]:
    for label, value in {"zero": 0, "negative": -1, "float": 1.5, "str": "2", "bool": True, "list": [2]}.items():
        yield call(fn, good, ValueError, "threads", f"threads_{label}", threads=value)


def floats_rows() -> Iterator[Row]:
    fl = fq.floats

    good = dict(x=FLOATS, fmt="float8_e4m3fn")
    yield from array_rows(fl.encode, good, "x", "floats", packs_axis=False)
    yield from fmt_rows(fl.encode, good)
    yield from flag_rows(fl.encode, good, "saturate")
    yield from out_rows(fl.encode, good, "x", (3, 4), np.uint8)
    yield from floats_threads_rows(fl.encode, good)

    for name, codes in (("float8_e5m2", F8), ("float4_e2m1fn", F4), ("float6_e3m2fn", F4 * 4)):
        good = dict(codes=codes, fmt=name)
        tagged = [*array_rows(fl.decode, good, "codes", "codes", packs_axis=False),
                  *out_rows(fl.decode, good, "codes", (3, 4), np.float32)]
        limit = fl.FORMATS[name].code_limit
        if limit < 255:  # bytes are codes of the 8-bit formats; above the width they are not
            tagged += code_range_rows(fl.decode, good, "codes", 0, limit)
        else:
            for label, value in {"negative_int": [0, -1], "256": [256], "uint16": np.array([0, 300], np.uint16),
                                 "int64_neg": np.array([-129], np.int64)}.items():
                tagged.append(call(fl.decode, good, ValueError, "codes", label, codes=value))
        if ml_dtypes is not None:  # an ml_dtypes array of another format, or of floats
            tagged.append(call(fl.decode, good, TypeError, "codes", "ml_dtypes_other_format",
                               codes=np.zeros(4, ml_dtypes.float8_e4m3fnuz)))
            tagged.append(call(fl.decode, good, TypeError, "codes", "ml_dtypes_bfloat16",
                               codes=np.zeros(4, ml_dtypes.bfloat16)))
        for row in tagged:
            yield dataclasses.replace(row, id=f"{name}-{row.id}")
    yield from fmt_rows(fl.decode, dict(codes=F8, fmt="float8_e5m2"))
    yield from floats_threads_rows(fl.decode, dict(codes=F8, fmt="float8_e5m2"))

    good = dict(x=MX_X, fmt="float4_e2m1fn")
    yield from array_rows(fl.quantize_mx, good, "x", "floats", packs_axis=True)
    yield from fmt_rows(fl.quantize_mx, good)
    for label in ("float8_e4m3fnuz", "float8_e8m0fnu", "float8_e4m3"):
        yield call(fl.quantize_mx, good, ValueError, "fmt", f"fmt_not_mx_{label}", fmt=label)
    yield from block_size_rows(fl.quantize_mx, good)
    yield call(fl.quantize_mx, good, ValueError, "block_size", "axis_0_not_a_multiple", axis=0)
    yield from mx_axis_rows(fl.quantize_mx, good)
    yield from floats_threads_rows(fl.quantize_mx, good)

    good = dict(codes=MX_CODES, scales=MX_SCALES, fmt="float4_e2m1fn")
    yield from array_rows(fl.dequantize_mx, good, "codes", "codes", packs_axis=True)
    yield from fmt_rows(fl.dequantize_mx, good)
    yield from block_size_rows(fl.dequantize_mx, good)
    yield from mx_axis_rows(fl.dequantize_mx, good)
    yield from out_rows(fl.dequantize_mx, good, "codes", (3, 32), np.float32)
    yield from floats_threads_rows(fl.dequantize_mx, good)
    for label, value in {"above_width_uint8": MX_CODES + 1, "negative_int8": MX_CODES.astype(np.int8) - 1,
                         "int64_16": MX_CODES.astype(np.int64) * 2, "list_16": (MX_CODES + 1).tolist()}.items():
        yield call(fl.dequantize_mx, good, ValueError, "codes", label, codes=value)
    for label, value in {"wrong_blocks": np.zeros((3, 2), np.uint8), "flat": np.zeros(3, np.uint8),
                         "transposed": np.zeros((1, 3), np.uint8), "0d": np.uint8(127), "empty": np.zeros((0, 1), np.uint8),
                         "int64_256": np.full((3, 1), 256), "negative": np.full((3, 1), -1),
                         "floats": np.full((3, 1), 127.0), "str": "127", "None": None, "bool_array": np.ones((3, 1), bool),
                         "torch_float8_e4m3": torch.zeros((3, 1), dtype=torch.float8_e4m3fn) if torch is not None else None}.items():
        exc = TypeError if label in ("floats", "str", "None", "bool_array", "torch_float8_e4m3") else ValueError
        yield call(fl.dequantize_mx, good, exc, "scales", f"scales_{label}", scales=value)

    good = dict(codes=F4)
    yield from array_rows(fl.pack_nibbles, good, "codes", "codes", packs_axis=True)
    yield from code_range_rows(fl.pack_nibbles, good, "codes", 0, 15)
    yield from out_rows(fl.pack_nibbles, good, "codes", (3, 2), np.uint8)

    good = dict(packed=F8, n=None)
    yield from array_rows(fl.unpack_nibbles, good, "packed", "bytes", packs_axis=True)
    yield from code_range_rows(fl.unpack_nibbles, good, "packed", -128, 255)
    yield from n_rows(fl.unpack_nibbles, good, m=4)
    yield from out_rows(fl.unpack_nibbles, good, "packed", (3, 8), np.uint8)

    yield from fmt_rows(fl.format_of, dict(fmt="float8_e4m3fn"))


def floats_odd_but_valid() -> Iterator[tuple]:
    fl = fq.floats
    dims32 = (1,) * 31 + (4,)
    for label, floats, codes in [
        ("32_dims", np.ones(dims32, np.float32), np.ones(dims32, np.uint8)),
        ("empty_rows", np.zeros((0, 32), np.float32), np.zeros((0, 32), np.uint8)),
        ("empty_last_axis", np.zeros((4, 0), np.float64), np.zeros((4, 0), np.int16)),
        ("broadcast_zero_stride", np.broadcast_to(np.float32(-1.5), (5, 32)), np.broadcast_to(np.uint8(3), (5, 32))),
        ("negative_strides", MX_X[::-1, ::-1], MX_CODES[::-1, ::-1]),
        ("big_endian", MX_X.astype(">f8"), MX_CODES.astype(">i2")),
        ("memoryview", memoryview(np.ones(32, np.float32)), memoryview(bytes(i % 16 for i in range(32)))),
        ("specials", np.array([np.inf, -np.inf, np.nan, -0.0] * 8), np.arange(32, dtype=np.uint8) % 16),
    ]:
        for name in ("float8_e4m3fn", "float8_e8m0fnu", "float4_e2m1fn"):
            for sat in (False, True):
                yield f"encode-{name}-{sat}-{label}", fl.encode, dict(x=floats, fmt=name, saturate=sat)
            yield f"decode-{name}-{label}", fl.decode, dict(codes=codes, fmt=name)
        if np.ndim(codes) and np.shape(codes)[-1] % 32 == 0:
            yield f"quantize_mx-{label}", fl.quantize_mx, dict(x=floats, fmt="float6_e2m3fn")
            scales = np.full(np.shape(codes)[:-1] + (np.shape(codes)[-1] // 32,), 130, np.uint8)
            yield f"dequantize_mx-{label}", fl.dequantize_mx, dict(codes=codes, scales=scales, fmt="float4_e2m1fn")
        if np.ndim(codes):
            yield f"pack_nibbles-{label}", fl.pack_nibbles, dict(codes=codes)
            yield f"unpack_nibbles-{label}", fl.unpack_nibbles, dict(packed=codes)
    if ml_dtypes is not None:
        for name in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"):
            t = getattr(ml_dtypes, name)
            yield f"decode-ml_dtypes_{name}", fl.decode, dict(codes=np.arange(16, dtype=np.uint8).view(t), fmt=t)
            yield f"encode-ml_dtypes_input_{name}", fl.encode, dict(x=np.linspace(-2, 2, 9).astype(t), fmt=np.dtype(t))
        yield "pack_nibbles-ml_dtypes_uint4", fl.pack_nibbles, dict(codes=np.arange(7).astype(ml_dtypes.uint4))
    if torch is not None:
        for dt in (torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz, torch.float8_e8m0fnu):
            codes = torch.arange(32, dtype=torch.int32).to(torch.uint8).view(dt).reshape(1, 32)
            tag = str(dt).removeprefix("torch.")
            yield f"decode-torch_{tag}", fl.decode, dict(codes=codes, fmt=dt)
            yield f"encode-torch_{tag}_input", fl.encode, dict(x=codes, fmt="float8_e5m2")
        for dt in (torch.uint8, torch.int8, torch.int16, torch.int64):
            tag = str(dt).removeprefix("torch.")
            yield f"decode-torch_{tag}", fl.decode, dict(codes=torch.tensor([[0, 7, 15], [1, 2, 3]], dtype=dt), fmt="float4_e2m1fn")
            yield f"pack_nibbles-torch_{tag}", fl.pack_nibbles, dict(codes=torch.tensor([[0, 7, 15], [1, 2, 3]], dtype=dt))
        yield "quantize_mx-torch_bfloat16", fl.quantize_mx, dict(x=torch.ones((2, 32), dtype=torch.bfloat16), fmt="float8_e4m3fn")
        yield "dequantize_mx-torch_float8", fl.dequantize_mx, dict(
            codes=torch.zeros((2, 32), dtype=torch.float8_e4m3fn), scales=torch.full((2, 1), 1.0).to(torch.float8_e8m0fnu),
            fmt="float8_e4m3fn")


# ---------------------------------------------------------------- ONNX Q/DQ (fastquant.onnx)

if ml_dtypes is not None:  # fastquant.onnx needs ml_dtypes (its `onnx` extra)
    import fastquant.onnx as fo
else:  # pragma: no cover
    fo = None

ONNX_X = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
ONNX_U8 = (np.arange(12, dtype=np.uint8) * 21).reshape(3, 4)


def code_type_rows(fn, good: dict, name: str) -> Iterator[Row]:
    """Values that name no SPEC 9 code type."""
    bad = {"unknown": "int3", "float32": "float32", "padded": " int8", "empty": "", "int32_enum": 6,
           "float_enum": 1, "float6_enum": 27, "e8m0_enum": 24, "negative": -1, "huge": 2**70, "bool": True,
           "float": 3.0, "bytes": b"int8", "list": ["int8"], "numpy_float32": np.float32, "python_type": int,
           "object": object(), "dict": {}, "huge_list": HUGE_LIST, "huge_str": "i" * 100_000}
    if ml_dtypes is not None:
        bad["ml_dtypes_bfloat16"] = ml_dtypes.bfloat16
        bad["ml_dtypes_e8m0"] = ml_dtypes.float8_e8m0fnu
    for label, value in bad.items():
        yield call(fn, good, ValueError, name, f"{name}_{label}", **{name: value})


def onnx_layout_rows(fn, good: dict, x: str, scale: str, zero: str) -> Iterator[Row]:
    """Scales and zero points that do not fit the per-tensor / per-axis / blocked layout of a
    (3, 4) ``x``, and bad ``axis`` / ``block_size``."""
    for label, kw in {
        "2d_without_block_size": {scale: np.ones((3, 2), np.float32)},
        "per_axis_wrong_length": {scale: np.ones(3, np.float32)},           # axis=1 has 4
        "per_axis_axis0_wrong_length": {scale: np.ones(4, np.float32), "axis": 0},
        "blocked_wrong_blocks": {scale: np.ones((3, 3), np.float32), "block_size": 2},
        "blocked_wrong_other_axis": {scale: np.ones((2, 2), np.float32), "block_size": 2},
        "blocked_1d_scale": {scale: np.ones(2, np.float32), "block_size": 2},
        "blocked_rank_3": {scale: np.ones((3, 2, 1), np.float32), "block_size": 2},
        "blocked_scalar": {scale: 0.5, "block_size": 2},
        "blocked_axis0": {scale: np.ones((3, 2), np.float32), "block_size": 2, "axis": 0},
        "3d_scale": {scale: np.ones((1, 1, 1), np.float32)},
    }.items():
        yield call(fn, good, ValueError, scale, f"layout_{label}", **kw)
    per_axis = {**good, scale: np.full(4, 0.5, np.float32)}
    for label, value in {"too_big": 2, "too_small": -3, "huge": 2**70, "float": 1.0, "str": "1", "bool": True,
                         "None": None, "list": [1], "np_float": np.float64(1), "huge_list": HUGE_LIST}.items():
        yield call(fn, per_axis, ValueError, "axis", f"axis_{label}", axis=value)
    yield call(fn, {**good, x: np.asarray(good[x]).reshape(-1)[0], scale: np.ones(2, np.float32)}, ValueError,
               "axis", "axis_0d_x_per_axis")
    for label, value in {"negative": -2, "float": 2.0, "str": "2", "bool": True, "None": None, "list": [2],
                         "huge_list": HUGE_LIST, "np_float": np.float64(2), "complex": 2j}.items():
        yield call(fn, good, ValueError, "block_size", f"block_size_{label}", block_size=value)
    blocked = {**good, scale: np.full((3, 2), 0.5, np.float32), "block_size": 2}
    for label, value in {"shape_of_x": np.zeros((3, 4), np.uint8), "transposed": np.zeros((2, 3), np.uint8),
                         "1d": np.zeros(3, np.uint8)}.items():
        if zero == "x_zero_point":
            value = value.astype(np.uint8)
        yield call(fn, blocked, ValueError, zero, f"{zero}_shape_{label}", **{zero: value})
    yield call(fn, {**good, scale: np.full(4, 0.5, np.float32)}, ValueError, zero, f"{zero}_per_axis_wrong_length",
               **{zero: np.zeros(3, np.uint8)})


def onnx_rows() -> Iterator[Row]:
    if fo is None:  # pragma: no cover
        return
    q = fo.quantize_linear
    good = dict(x=ONNX_X, y_scale=0.5)
    yield from array_rows(q, good, "x", "floats", packs_axis=False)
    yield call(q, good, TypeError, "x", "ml_dtypes_int4_x", x=np.zeros(4, ml_dtypes.int4))
    for row in scale_rows(q, good, "y_scale"):
        if row.id != "list":  # a one-element list is a per-tensor scale
            yield row
    yield call(q, good, ValueError, "y_scale", "per_axis_with_a_zero", y_scale=np.array([1, 0, 1, 1], np.float32), axis=1)
    yield call(q, good, ValueError, "y_scale", "per_axis_nan", y_scale=np.array([1, np.nan, 1, 1], np.float32))
    yield call(q, good, ValueError, "y_scale", "int4_scale", y_scale=np.ones(4, ml_dtypes.int4))
    yield call(q, good, ValueError, "y_scale", "str_array", y_scale=np.array(["1.0"] * 4))
    yield from onnx_layout_rows(q, good, "x", "y_scale", "y_zero_point")
    yield from code_type_rows(q, good, "output_dtype")
    yield from flag_rows(q, {**good, "output_dtype": "float8e4m3fn"}, "saturate")
    for label, kw in {
        "float_for_integer_type": dict(y_zero_point=0.5),
        "integral_float_for_integer_type": dict(y_zero_point=np.float32(1.0)),
        "above_uint8": dict(y_zero_point=256),
        "below_uint8": dict(y_zero_point=-1),
        "above_int4": dict(y_zero_point=8, output_dtype="int4"),
        "above_uint2": dict(y_zero_point=np.array(4, np.int64), output_dtype="uint2"),
        "bool": dict(y_zero_point=True),
        "str": dict(y_zero_point="1"),
        "complex": dict(y_zero_point=1j),
        "object": dict(y_zero_point=object()),
        "nonzero_for_float8": dict(y_zero_point=1, output_dtype="float8e4m3fn"),
        "nonzero_float8_typed": dict(y_zero_point=np.ones((), ml_dtypes.float8_e5m2)),
        "nan_for_float4": dict(y_zero_point=float("nan"), output_dtype="float4e2m1"),
        "nonzero_float4_array": dict(y_zero_point=np.array([0, 0.5, 0, 0], np.float32), y_scale=np.ones(4, np.float32),
                                     output_dtype="float4e2m1"),
        "huge_list": dict(y_zero_point=HUGE_LIST),
    }.items():
        yield call(q, good, ValueError, "y_zero_point", f"y_zero_point_{label}", **kw)
    for label, kw in {
        "int8_zero_point_uint8_output": dict(y_zero_point=np.int8(0), output_dtype="uint8"),
        "int4_zero_point_int8_output": dict(y_zero_point=np.zeros((), ml_dtypes.int4), output_dtype=3),
        "float8_zero_point_other_float8": dict(y_zero_point=np.zeros((), ml_dtypes.float8_e4m3fn), output_dtype="float8e5m2"),
    }.items():
        yield call(q, good, ValueError, "output_dtype", f"output_dtype_{label}", **kw)
    yield from out_rows(q, good, "x", (3, 4), np.uint8)
    yield call(q, {**good, "output_dtype": "int4"}, ValueError, "out", "out_int8_for_int4", out=np.empty((3, 4), np.int8))
    yield from threads_rows_of(q, good)

    dq = fo.dequantize_linear
    good = dict(x=ONNX_U8, x_scale=0.5)
    yield from array_rows(dq, good, "x", "codes", packs_axis=False)
    for label, value in {"int64": np.arange(4), "list": [1, 2], "uint32": np.arange(4, dtype=np.uint32),
                         "int64_big_endian": np.arange(4, dtype=">i8"), "ml_dtypes_bfloat16": np.ones(4, ml_dtypes.bfloat16),
                         "ml_dtypes_e8m0": np.ones(4, ml_dtypes.float8_e8m0fnu)}.items():
        yield call(dq, good, TypeError, "x", f"x_untyped_{label}", x=value)
    for row in scale_rows(dq, good, "x_scale"):
        if row.id != "list":
            yield row
    yield from onnx_layout_rows(dq, good, "x", "x_scale", "x_zero_point")
    for label, kw in {
        "int8_for_uint8": dict(x_zero_point=np.int8(0)),
        "uint16_for_uint8": dict(x_zero_point=np.uint16(0)),
        "int4_for_uint16": dict(x=np.zeros(4, np.uint16), x_zero_point=np.zeros((), ml_dtypes.int4)),
        "uint8_for_int32": dict(x=np.arange(4, dtype=np.int32), x_zero_point=np.uint8(0)),
        "float8_for_float8_other": dict(x=np.zeros(4, ml_dtypes.float8_e4m3fn), x_zero_point=np.zeros((), ml_dtypes.float8_e5m2)),
        "int8_for_int4": dict(x=np.zeros(4, ml_dtypes.int4), x_zero_point=np.int8(0)),
        "uint4_for_int4": dict(x=np.zeros(4, ml_dtypes.int4), x_zero_point=np.zeros((), ml_dtypes.uint4)),
        "uint8_for_int16": dict(x=np.zeros(4, np.int16), x_zero_point=np.uint8(0)),
        "float8_for_int32": dict(x=np.zeros(4, np.int32), x_zero_point=np.zeros((), ml_dtypes.float8_e5m2)),
    }.items():
        yield call(dq, good, TypeError, "x_zero_point", f"x_zero_point_{label}", **kw)
    for label, kw in {
        "above_uint8": dict(x_zero_point=256),
        "negative_for_uint8": dict(x_zero_point=[-1]),
        "float_for_uint8": dict(x_zero_point=1.5),
        "nonzero_for_int32": dict(x=np.arange(4, dtype=np.int32), x_zero_point=1),
        "nonzero_for_float8": dict(x=np.zeros(4, ml_dtypes.float8_e4m3fn), x_zero_point=np.ones((), ml_dtypes.float8_e4m3fn)),
        "nonzero_untyped_for_float4": dict(x=np.zeros(4, ml_dtypes.float4_e2m1fn), x_zero_point=2.0),
        "bool": dict(x_zero_point=True),
        "str": dict(x_zero_point="0"),
    }.items():
        yield call(dq, good, ValueError, "x_zero_point", f"x_zero_point_{label}", **kw)
    for label, kw in {
        "int4_values_out_of_range": dict(x=np.array([0, 8], np.int8), x_zero_point=np.zeros((), ml_dtypes.int4)),
        "uint2_values_out_of_range": dict(x=[0, 4], x_zero_point=np.zeros((), ml_dtypes.uint2)),
        "float4_bytes_above_15": dict(x=np.array([0, 16], np.uint8), x_zero_point=np.zeros((), ml_dtypes.float4_e2m1fn)),
        "float4_ml_dtypes_bytes_above_15": dict(x=np.array([0, 0x17], np.uint8).view(ml_dtypes.float4_e2m1fn)),
        "float8_ints_above_255": dict(x=np.array([0, 256]), x_zero_point=np.zeros((), ml_dtypes.float8_e5m2)),
    }.items():
        yield call(dq, good, ValueError, "x", f"x_{label}", **kw)
    yield from out_rows(dq, good, "x", (3, 4), np.float32)
    yield call(dq, {**good, "x_scale": np.float16(0.5)}, ValueError, "out", "out_float32_for_float16_scale",
               out=np.empty((3, 4), np.float32))
    yield from threads_rows_of(dq, good)

    dyn = fo.dynamic_quantize_linear
    good = dict(x=ONNX_X)
    yield from array_rows(dyn, good, "x", "floats", packs_axis=False)
    for label, value in {"nan": np.float32([1, np.nan]), "inf": np.float32([1, np.inf]), "neg_inf": [-np.inf, 0.0],
                         "empty": np.zeros((2, 0), np.float32), "empty_list": [], "range_overflows": [-3e38, 3e38],
                         "range_underflows": np.float32([1e-45, 2e-45, 0.0])}.items():
        yield call(dyn, good, ValueError, "x", f"x_{label}", x=value)
    yield from threads_rows_of(dyn, good)

    for label, value in {"list": [1, 2], "float32": np.ones(3, np.float32), "int32": np.ones(3, np.int32),
                         "int64": np.ones(3, np.int64), "bool": np.ones(3, bool), "bfloat16": np.ones(3, ml_dtypes.bfloat16),
                         "e8m0": np.ones(3, ml_dtypes.float8_e8m0fnu), "bytes": b"\x01", "None": None, "scalar": 3,
                         "object_array": np.array([1, 2], dtype=object), "str": "int8"}.items():
        yield call(fo.to_raw, dict(codes=ONNX_U8), TypeError, "codes", f"codes_{label}", codes=value)

    good = dict(raw=bytes(6), onnx_type="int4", shape=(3, 4))
    for label, kw in {"too_short": dict(raw=bytes(5)), "too_long": dict(raw=bytes(7)),
                      "odd_count_one_byte_more": dict(raw=bytes(4), shape=(5,)), "uint16_short": dict(raw=bytes(23), onnx_type="uint16"),
                      "empty_for_one": dict(raw=b"", shape=(1,))}.items():
        yield call(fo.from_raw, good, ValueError, "raw", f"raw_{label}", **kw)
    for label, value in {"str": "abc", "list": [1, 2], "int16_array": np.zeros(3, np.int16), "None": None,
                         "int": 6, "float_array": np.zeros(6, np.float32)}.items():
        yield call(fo.from_raw, good, TypeError, "raw", f"raw_{label}", raw=value)
    yield from code_type_rows(fo.from_raw, good, "onnx_type")
    for label, value in {"negative": (3, -4), "float": (3.0, 4), "str": "34", "None": None, "bool": (True, 12),
                         "nested": ((3,), 4), "float_scalar": 12.0, "huge_list": HUGE_LIST}.items():
        yield call(fo.from_raw, good, ValueError, "shape", f"shape_{label}", shape=value)

    yield from code_type_rows(fo.code_type, dict(value="int8"), "value")


def threads_rows_of(fn, good: dict) -> Iterator[Row]:
    for label, value in {"zero": 0, "negative": -1, "float": 1.5, "str": "2", "bool": True, "list": [2]}.items():
        yield call(fn, good, ValueError, "threads", f"threads_{label}", threads=value)


def onnx_odd_but_valid() -> Iterator[tuple]:
    if fo is None:  # pragma: no cover
        return
    dims32 = (1,) * 31 + (4,)
    for label, floats, codes in [
        ("32_dims", np.ones(dims32, np.float32), np.ones(dims32, np.uint8)),
        ("empty_rows", np.zeros((0, 4), np.float32), np.zeros((0, 4), np.uint8)),
        ("broadcast_zero_stride", np.broadcast_to(np.float32(-1.5), (5, 4)), np.broadcast_to(np.uint8(3), (5, 4))),
        ("negative_strides", ONNX_X[::-1, ::-1], ONNX_U8[::-1, ::-1]),
        ("big_endian", ONNX_X.astype(">f8"), ONNX_U8.astype(">u2")),
        ("memoryview", memoryview(np.ones(4, np.float32)), memoryview(bytes(range(4)))),
        ("list", ONNX_X.tolist(), np.int16([[1, -2], [3, 4]])),
        ("specials", np.array([np.inf, -np.inf, -0.0, 1e-45] * 3), np.arange(12, dtype=np.uint8)),
    ]:
        for name in ("uint8", "int4", "uint16", "float8e4m3fn", "float4e2m1"):
            yield f"quantize_linear-{name}-{label}", fo.quantize_linear, dict(x=floats, y_scale=0.25, output_dtype=name)
        yield f"dequantize_linear-{label}", fo.dequantize_linear, dict(x=codes, x_scale=np.float32(0.5))
        if np.ndim(floats) and np.size(floats):
            yield f"dynamic_quantize_linear-{label}", fo.dynamic_quantize_linear, dict(
                x=np.where(np.isinf(floats), 1.0, floats) if label == "specials" else floats)
        yield f"to_raw-int4-{label}", fo.to_raw, dict(codes=np.asarray(codes, np.uint8).view(ml_dtypes.uint4))
    yield "quantize_linear-scale_float64_array", fo.quantize_linear, dict(x=ONNX_X, y_scale=np.array([0.5, 1, 2, 4]))
    yield "quantize_linear-scale_int_list", fo.quantize_linear, dict(x=ONNX_X, y_scale=[1, 2, 3], axis=0)
    yield "quantize_linear-scale_bfloat16", fo.quantize_linear, dict(x=ONNX_X, y_scale=np.ones(4, ml_dtypes.bfloat16))
    yield "quantize_linear-zero_point_list", fo.quantize_linear, dict(x=ONNX_X, y_scale=np.ones(4), y_zero_point=[1, 2, 3, 4])
    yield "quantize_linear-axis_numpy_int", fo.quantize_linear, dict(x=ONNX_X, y_scale=np.ones(3), axis=np.int64(-2))
    yield "quantize_linear-output_dtype_numpy_int", fo.quantize_linear, dict(x=ONNX_X, y_scale=1.0, output_dtype=np.int32(22))
    if torch is not None:
        yield "quantize_linear-torch_bfloat16", fo.quantize_linear, dict(x=torch.ones((2, 4), dtype=torch.bfloat16), y_scale=0.5)
        yield "dequantize_linear-torch_int16", fo.dequantize_linear, dict(x=torch.tensor([1, -2], dtype=torch.int16), x_scale=0.5)
        yield "dequantize_linear-torch_scale", fo.dequantize_linear, dict(x=ONNX_U8, x_scale=torch.tensor(0.5))


# ---------------------------------------------------------------- threads=

#: A valid call of every public function that takes ``threads=`` (small data: threads= is
#: validated whatever the size, also where one thread would be used anyway).
THREADED = {
    fq.quantize_to_int4: dict(values=FLOATS),
    fq.quantize_to_packed_int4: dict(values=FLOATS),
    fq.dequantize_from_int4: dict(q=CODES, scale=0.5),
    fq.pack_int4_to_int8: dict(values=CODES),
    fq.unpack_int8_to_int4: dict(packed=PACKED),
    fq.dequantize_packed_int4: dict(packed=PACKED, scale=0.5),
    fq.dequantize: dict(q=CODES, quant="int8"),
    fq.quantize_embeddings: dict(x=FLOATS, precision="ubinary"),
    fq.calibration_ranges: dict(embeddings=CALIBRATION),
    fq.quantize_func: dict(x=FLOATS, scales=0.1, zero_point=0),
    fq.dequantize_func: dict(x_q=CODES, scales=0.1, zero_point=0),
    fq.pack_nibbles: dict(codes=F4),
    fq.unpack_nibbles: dict(packed=F8),
}


def threads_rows() -> Iterator[Row]:
    bad = {"zero": 0, "negative": -1, "float": 1.5, "float_whole": 2.0, "str": "2", "bool": True,
           "list": [2], "array": np.array([2, 2])}
    for fn, good in THREADED.items():
        for label, value in bad.items():
            yield call(fn, good, ValueError, "threads", f"threads_{label}", threads=value)


def test_every_threaded_function_has_threads_rows():
    import inspect

    takes = {getattr(fq, n) for n in fq.__all__
             if callable(getattr(fq, n)) and "threads" in inspect.signature(getattr(fq, n)).parameters}
    assert takes == set(THREADED)


# ---------------------------------------------------------------- tensors (the torch path)

#: NumPy dtypes a CPU tensor can share memory with.
_TENSOR_DTYPES = {np.dtype(t) for t in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                                        "float16", "float32", "float64", "complex64", "complex128", "bool")}


def tensor_twin_rows(rows: list) -> Iterator[Row]:
    """Every row whose data argument is an array torch can view, with that argument as a CPU
    tensor over the same memory (so ``out`` overlaps stay overlaps): a tensor input must be
    refused with the same exception, naming the same argument, on every path."""
    if torch is None:
        return
    import inspect

    for row in rows:
        data = next(iter(inspect.signature(row.fn).parameters))
        value = row.kwargs.get(data)
        if (isinstance(value, np.ndarray) and value.dtype in _TENSOR_DTYPES and value.dtype.isnative
                and value.flags.writeable and all(st >= 0 for st in value.strides)
                and not isinstance(row.kwargs.get("out"), torch.Tensor)):  # valid for a tensor input
            yield dataclasses.replace(row, id=f"as_tensor-{row.id}", kwargs={**row.kwargs, data: torch.from_numpy(value)})


def tensor_out_rows() -> Iterator[Row]:
    """Every way a tensor ``out=`` can be wrong for a tensor input (on any backend a tensor
    out= takes the torch path): dtype, shape, device, layout, strides, grad, overlap, kind."""
    if torch is None:
        return
    from fastquant import gguf

    floats = torch.from_numpy(FLOATS.copy())
    codes = torch.from_numpy(CODES.copy())
    calls = [
        (fq.dequantize, dict(q=codes, quant="int8"), (3, 4), torch.float32),
        (fq.dequantize, dict(q=codes, quant="binary", orig_dim=30), (3, 30), torch.float32),
        (fq.quantize_embeddings, dict(x=floats, precision="uint8"), (3, 4), torch.uint8),
        (fq.quantize_embeddings, dict(x=floats, precision="binary"), (3, 1), torch.int8),
        (fq.dequantize_from_int4, dict(q=codes, scale=0.5), (3, 4), torch.float32),
        (fq.pack_int4_to_int8, dict(values=codes), (3, 2), torch.int8),
        (fq.unpack_int8_to_int4, dict(packed=codes, n=7), (3, 7), torch.int8),
        (fq.quantize_to_packed_int4, dict(values=floats), (3, 2), torch.int8),
        (fq.dequantize_packed_int4, dict(packed=codes, scale=0.5), (3, 8), torch.float32),
        (fq.quantize_func, dict(x=floats, scales=0.5, zero_point=1, n_bits=12), (3, 4), torch.int16),
        (fq.dequantize_func, dict(x_q=codes, scales=0.5, zero_point=1), (3, 4), torch.float32),
        (fq.quantize_embeddings, dict(x=floats, precision="int8", ranges=RANGES), (3, 4), torch.int8),
        (fq.quantize_embeddings, dict(x=floats, precision="uint8", calibration_embeddings=CALIBRATION), (3, 4), torch.uint8),
        (fq.dequantize, dict(q=codes, quant="int8", ranges=RANGES), (3, 4), torch.float32),
        (gguf.dequantize, dict(data=torch.from_numpy(Q4_0_BYTES.copy()), qtype="Q4_0"), (3, 64), torch.float32),
        (fq.floats.encode, dict(x=floats, fmt="float8_e5m2"), (3, 4), torch.uint8),
        (fq.floats.decode, dict(codes=codes, fmt="float8_e4m3fn"), (3, 4), torch.float32),
        (fq.floats.dequantize_mx, dict(codes=codes, scales=torch.full((3, 1), 127, dtype=torch.uint8),
                                       fmt="float8_e4m3fn", block_size=4), (3, 4), torch.float32),
        (fq.pack_nibbles, dict(codes=codes & 0xF), (3, 2), torch.uint8),
        (fq.unpack_nibbles, dict(packed=codes, n=7), (3, 7), torch.uint8),
    ]
    for fn, good, shape, dtype in calls:
        data = next(iter(good))
        tag = "-".join([str(good[k]) for k in ("quant", "precision", "qtype", "fmt") if k in good]
                       + [k for k in ("ranges", "calibration_embeddings") if k in good])
        tag = f"{tag}-" if tag else ""
        other = torch.int16 if dtype != torch.int16 else torch.int8
        grad = torch.zeros(shape) if dtype == torch.float32 else None
        bad = {
            "wrong_dtype": torch.empty(shape, dtype=other),
            "wrong_shape": torch.empty(shape[:-1] + (shape[-1] + 1,), dtype=dtype),
            "flattened": torch.empty(int(np.prod(shape)), dtype=dtype),
            "non_contiguous": torch.empty(shape[:-1] + (2 * shape[-1],), dtype=dtype)[..., ::2],
            "meta_device": torch.empty(shape, dtype=dtype, device="meta"),
            "sparse": torch.zeros(shape, dtype=dtype).to_sparse(),
            "requires_grad": grad.requires_grad_() if grad is not None else torch.empty(shape, dtype=dtype)[..., :0],
            "same_as_input": good[data],
        }
        for label, value in bad.items():
            yield call(fn, good, ValueError, "out", f"{tag}tensor_out_{label}", out=value)
        # out over the input's own memory (the input a view of a larger buffer)
        buf = torch.zeros(4096, dtype=torch.uint8)
        src = good[data]
        view_in = buf[: src.numel() * src.element_size()].view(src.dtype).view(src.shape)
        view_in.copy_(src)
        n_out = int(np.prod(shape)) * torch.empty((), dtype=dtype).element_size()
        view_out = buf[:n_out].view(dtype).view(shape)
        yield call(fn, good, ValueError, "out", f"{tag}tensor_out_overlaps_input", **{data: view_in, "out": view_out})
        # a NumPy input never takes a tensor out (SPEC: out= is a NumPy array there)
        yield call(fn, good, ValueError, "out", f"{tag}tensor_out_for_numpy_input",
                   **{data: src.numpy().copy(), "out": torch.empty(shape, dtype=dtype)})


# ---------------------------------------------------------------- storage and cluster

def _encode(codec, buf):
    return codec.encode(buf)


def _decode(codec, buf):
    return codec.decode(buf)


def _validate(codec, shape, dtype, chunks):
    from zarr.core.chunk_grids import RegularChunkGrid
    from zarr.dtype import parse_dtype

    return codec.validate(shape=shape, dtype=parse_dtype(dtype, zarr_format=3),
                          chunk_grid=RegularChunkGrid(chunk_shape=chunks))


def _optional(module: str):
    """``module``, or None where it cannot be imported (tests/test_numcodecs.py and the other
    storage tests fail in CI without their dependencies; this table just has fewer rows)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def storage_rows() -> Iterator[Row]:
    """fastquant.numcodecs codecs (constructors, encode, decode), fastquant.zarr3 (checks of
    the array) and fastquant.dask (checked when the graph is built)."""
    fnc = _optional("fastquant.numcodecs")
    if fnc is not None:
        yield from _codec_rows(fnc)
    fz = _optional("fastquant.zarr3")
    if fz is not None:
        yield call(_validate, dict(codec=fz.Int8(), shape=(4, 8), dtype="float32", chunks=(2, 8)), ValueError,
                   "dtype", "zarr3_float64_array", dtype="float64")
        yield call(_validate, dict(codec=fz.Int4(dim=8), shape=(4, 8), dtype="float32", chunks=(2, 8)), ValueError,
                   "chunks", "zarr3_split_last_axis", chunks=(2, 4))
        yield call(fz.Int4, dict(dim=8), ValueError, "dim", "zarr3_dim_zero", dim=0)
        yield call(fz.Affine, dict(scale=0.5), ValueError, "scale", "zarr3_scale_zero", scale=0)
    fqd = _optional("fastquant.dask")
    if fqd is not None:
        yield from _dask_rows(fqd)


def _codec_rows(fnc) -> Iterator[Row]:
    good = dict(scale=0.5, zero_point=1, n_bits=8, signed=True)
    for row in (*scale_rows(fnc.Affine, good), *zero_point_rows(fnc.Affine, good), *n_bits_rows(fnc.Affine, good),
                *signed_rows(fnc.Affine, good)):
        yield dataclasses.replace(row, id=f"affine_{row.id}")
    good = dict(dim=9, scale=0.5, zero_point=0, scale_method="minmax")
    scale_rows_int4 = [r for r in scale_rows(fnc.Int4, good) if r.id != "None"]  # None: a scale per chunk
    for row in (*scale_rows_int4, *zero_point_rows(fnc.Int4, good),
                *choice_rows(fnc.Int4, good, "scale_method", ("minmax", "absmax"))):
        yield dataclasses.replace(row, id=f"int4_{row.id}")
    yield call(fnc.Int4, dict(dim=9), ValueError, "zero_point", "int4_zero_point_without_scale", zero_point=2)
    bad_dims = {"zero": 0, "negative": -8, "float": 8.0, "bool": True, "None": None, "str": "8", "list": [8]}
    for cls in (fnc.Int4, fnc.Binary, fnc.UBinary):
        for label, value in bad_dims.items():
            yield call(cls, dict(dim=9), ValueError, "dim", f"{cls.codec_id}_dim_{label}", dim=value)
    yield from _calibrated_codec_rows(fnc)
    yield from _gguf_codec_rows(fnc)
    yield from _float_codec_rows(fnc)
    floats = np.linspace(-1, 1, 18, dtype=np.float32).reshape(2, 9)
    ranges = np.array([np.linspace(-1, 0, 9), np.linspace(0, 1, 9)], np.float32)
    codecs = [fnc.Affine(scale=0.01), fnc.Int8(), fnc.UInt8(), fnc.Binary(dim=9), fnc.UBinary(dim=9),
              fnc.Int4(dim=9, scale=0.1), fnc.Int4(dim=9), fnc.Int8Ranges(ranges), fnc.UInt8Ranges(ranges),
              fnc.Minifloat("float8_e4m3fn"), fnc.MX(dim=9, fmt="float4_e2m1fn", block_size=3)]
    for codec in codecs:
        cid = codec.codec_id + ("_chunk_scale" if getattr(codec, "scale", 1) is None else "")
        good = dict(codec=codec, buf=floats)
        for dt in ("float64", "float16", "int8", "int32", "bool"):
            yield call(_encode, good, ValueError, "buf", f"{cid}_encode_{dt}", buf=floats.astype(dt))
        yield call(_encode, good, ValueError, "buf", f"{cid}_encode_bytes", buf=floats.tobytes())
        yield call(_encode, good, TypeError, "buf", f"{cid}_encode_list", buf=floats.tolist())
        yield call(_decode, dict(codec=codec, buf=codec.encode(floats)), TypeError, "buf", f"{cid}_decode_list",
                   buf=[1, 2, 3])
        yield call(_decode, dict(codec=codec, buf=codec.encode(floats)), TypeError, "buf", f"{cid}_decode_objects",
                   buf=np.array([None] * 8))
        nan = floats.copy()
        nan[1, 3] = np.nan
        if not isinstance(codec, (fnc.Minifloat, fnc.MX)):  # minifloats code NaN (their own rows)
            yield call(_encode, good, ValueError, "buf", f"{cid}_encode_nan", buf=nan)
        if isinstance(codec, fnc.RowCodec):
            yield call(_encode, good, ValueError, "buf", f"{cid}_encode_wrong_dim", buf=floats.reshape(3, 6))
            yield call(_encode, good, ValueError, "buf", f"{cid}_encode_0d", buf=np.float32(1.0))
            yield call(_encode, good, ValueError, "buf", f"{cid}_encode_fortran", buf=np.asfortranarray(floats))
            n = codec.encode(floats).nbytes
            yield call(_decode, dict(codec=codec, buf=np.zeros(n, np.uint8)), ValueError, "buf",
                       f"{cid}_decode_partial_row", buf=np.zeros(n - 1, np.uint8))
    wide = fnc.Affine(scale=0.01, n_bits=12)
    yield call(_decode, dict(codec=wide, buf=np.zeros(4, np.uint8)), ValueError, "buf", "affine_decode_odd_bytes",
               buf=np.zeros(5, np.uint8))
    chunk = fnc.Int4(dim=9)
    yield call(_decode, dict(codec=chunk, buf=np.zeros(9, np.uint8)), ValueError, "buf", "int4_decode_no_scale",
               buf=np.zeros(3, np.uint8))


def _calibrated_codec_rows(fnc) -> Iterator[Row]:
    good_ranges = np.array([[-1.0, 0.0, 2.0], [1.0, 0.5, 2.0]], np.float32)
    bad = {
        "1d": (np.zeros(3, np.float32), ValueError), "three_rows": (np.zeros((3, 3), np.float32), ValueError),
        "no_dimensions": (np.zeros((2, 0), np.float32), ValueError), "3d": (np.zeros((2, 3, 1), np.float32), ValueError),
        "0d": (np.float32(1.0), ValueError), "nan": (np.array([[0.0, np.nan], [1.0, 1.0]], np.float32), ValueError),
        "inf": (np.array([[0.0, -np.inf], [1.0, 1.0]], np.float32), ValueError),
        "min_above_max": (np.array([[0.0, 2.0], [1.0, 1.0]], np.float32), ValueError),
        "overflowing_width": (np.array([[-3e38], [3e38]], np.float32), ValueError),
        "str": ("ranges", TypeError), "None": (None, TypeError), "bool": (np.ones((2, 3), bool), TypeError),
        "objects": (np.array([[None] * 3] * 2), TypeError), "complex": (np.ones((2, 3), complex), TypeError),
        "huge_list": (HUGE_LIST, ValueError),
    }
    for cls in (fnc.Int8Ranges, fnc.UInt8Ranges):
        for label, (value, exc) in bad.items():
            yield call(cls, dict(ranges=good_ranges), exc, "ranges", f"{cls.codec_id}_ranges_{label}", ranges=value)
        codec = cls(good_ranges)
        yield call(_encode, dict(codec=codec, buf=np.zeros((2, 3), np.float32)), ValueError, "buf",
                   f"{cls.codec_id}_encode_other_dim", buf=np.zeros((3, 2), np.float32))
        yield call(_decode, dict(codec=codec, buf=np.zeros(6, np.uint8)), ValueError, "buf",
                   f"{cls.codec_id}_decode_other_dim", buf=np.zeros(7, np.uint8))


def _gguf_codec_rows(fnc) -> Iterator[Row]:
    good = dict(dim=64, qtype="Q4_0")
    for label, value in {"unknown": "Q9_9", "None": None, "list": ["Q4_0"], "float": 2.0,
                         "decode_only": "IQ2_XXS", "encode_only": "Q8_K", "integer_type": "I8"}.items():
        yield call(fnc.GGUF, good, ValueError, "qtype", f"gguf_qtype_{label}", qtype=value)
    for label, value in {"not_whole_blocks": 48, "zero": 0, "float": 64.0, "None": None, "k_quant_256": 128}.items():
        yield call(fnc.GGUF, dict(good, qtype="Q4_K", dim=256) if label == "k_quant_256" else good, ValueError, "dim",
                   f"gguf_dim_{label}", dim=value)
    codec = fnc.GGUF(**good)
    yield call(_decode, dict(codec=codec, buf=np.zeros(36, np.uint8)), ValueError, "buf", "gguf_decode_partial_row",
               buf=np.zeros(35, np.uint8))
    yield call(_encode, dict(codec=codec, buf=np.zeros((2, 64), np.float32)), ValueError, "buf", "gguf_encode_other_dim",
               buf=np.zeros((2, 32), np.float32))


def _float_codec_rows(fnc) -> Iterator[Row]:
    for label, value in {"unknown": "float8", "None": None, "float16": "float16", "int": 3, "list": ["float8_e5m2"],
                         "huge": HUGE_LIST}.items():
        yield call(fnc.Minifloat, dict(fmt="float8_e5m2"), ValueError, "fmt", f"minifloat_fmt_{label}", fmt=value)
        yield call(fnc.MX, dict(dim=32, fmt="float8_e5m2"), ValueError, "fmt", f"mx_fmt_{label}", fmt=value)
    for label, value in {"int": 1, "None": None, "str": "yes", "array": np.ones(2, bool)}.items():
        yield call(fnc.Minifloat, dict(fmt="float8_e5m2"), ValueError, "saturate", f"minifloat_saturate_{label}",
                   saturate=value)
    good = dict(dim=64, fmt="float4_e2m1fn", block_size=32)
    yield call(fnc.MX, good, ValueError, "fmt", "mx_fmt_not_mx", fmt="float8_e4m3fnuz")
    yield call(fnc.MX, good, ValueError, "fmt", "mx_fmt_scale_format", fmt="float8_e8m0fnu")
    for label, value in {"not_divisor": 24, "zero": 0, "negative": -32, "float": 32.0, "None": None, "bool": True,
                         "str": "32"}.items():
        yield call(fnc.MX, good, ValueError, "block_size", f"mx_block_size_{label}", block_size=value)
    for label, value in {"zero": 0, "float": 64.0, "None": None, "str": "64"}.items():
        yield call(fnc.MX, good, ValueError, "dim", f"mx_dim_{label}", dim=value)
    fp6 = fnc.Minifloat("float6_e2m3fn")
    yield call(_decode, dict(codec=fp6, buf=np.zeros(4, np.uint8)), ValueError, "buf", "minifloat_fp6_high_bits",
               buf=np.array([1, 2, 0x40, 3], np.uint8))
    fp4 = fnc.Minifloat("float4_e2m1fn")
    yield call(_decode, dict(codec=fp4, buf=np.zeros(4, np.uint8)), ValueError, "buf", "minifloat_fp4_high_bits",
               buf=np.array([1, 0x1F], np.uint8))
    mx6 = fnc.MX(dim=8, fmt="float6_e3m2fn", block_size=4)
    bad = np.zeros((3, 10), np.uint8)
    bad[1, 5] = 0x80
    yield call(_decode, dict(codec=mx6, buf=np.zeros((3, 10), np.uint8)), ValueError, "buf", "mx_fp6_high_bits",
               buf=bad)
    yield call(_decode, dict(codec=mx6, buf=np.zeros(10, np.uint8)), ValueError, "buf", "mx_partial_row",
               buf=np.zeros(11, np.uint8))
    yield call(_decode, dict(codec=mx6, buf=np.zeros(10, np.uint8)), TypeError, "buf", "mx_decode_str",
               buf="0123456789")
    yield call(_encode, dict(codec=mx6, buf=np.zeros((2, 8), np.float32)), ValueError, "buf", "mx_encode_other_dim",
               buf=np.zeros((2, 4), np.float32))
    yield call(_encode, dict(codec=fp4, buf=np.zeros((2, 8), np.float32)), ValueError, "buf", "minifloat_encode_int64",
               buf=np.zeros((2, 8), np.int64))


def _dask_rows(fqd) -> Iterator[Row]:
    import dask.array as da

    x = da.from_array(np.linspace(-1, 1, 48, dtype=np.float32).reshape(4, 12), chunks=(2, 12))
    split = x.rechunk((2, (5, 7)))
    yield call(fqd.quantize_embeddings, dict(x=x, precision="int8"), ValueError, "precision", "dask_precision",
               precision="int4")
    yield call(fqd.quantize_embeddings, dict(x=x, precision="binary"), ValueError, "x", "dask_chunks_not_8",
               x=split)
    yield call(fqd.quantize_embeddings, dict(x=x, precision="int8"), TypeError, "x", "dask_bool",
               x=x > 0)
    q = da.from_array(np.zeros((4, 2), np.int8))
    yield call(fqd.dequantize, dict(q=q, quant="binary", orig_dim=12), ValueError, "orig_dim", "dask_orig_dim",
               orig_dim=17)
    yield call(fqd.dequantize, dict(q=q, quant="int8"), TypeError, "q", "dask_float_codes", q=x)
    nan = da.from_array(np.array([[0.0, np.nan], [1.0, 2.0]], np.float32), chunks=1)
    for fn in (fqd.quantize_to_int4, fqd.quantize_to_packed_int4):
        yield call(fn, dict(values=x), ValueError, "values", "dask_nan", values=nan)
        yield call(fn, dict(values=x), ValueError, "values", "dask_empty", values=da.zeros((0, 4), dtype=np.float32))
        yield call(fn, dict(values=x), ValueError, "scale_method", "dask_scale_method", scale_method="max")
    yield call(fqd.quantize_to_packed_int4, dict(values=x), ValueError, "values", "dask_odd_chunks",
               values=x.rechunk((2, (5, 7))))
    codes = da.from_array(np.zeros((4, 12), np.int8), chunks=(2, 5))
    yield call(fqd.pack_int4_to_int8, dict(values=codes.rechunk((2, 6))), ValueError, "values", "dask_odd_chunks",
               values=codes)
    yield call(fqd.dequantize_from_int4, dict(q=codes, scale=0.5), ValueError, "scale", "dask_scale", scale=-1.0)
    yield call(fqd.unpack_int8_to_int4, dict(packed=codes), ValueError, "n", "dask_n", n=30)
    yield call(fqd.dequantize_packed_int4, dict(packed=codes, scale=0.5), ValueError, "n", "dask_n", n=7)
    yield call(fqd.quantize_func, dict(x=x, scales=0.5, zero_point=0), ValueError, "scales", "dask_scales_length",
               scales=np.ones(5, np.float32), axis=1)
    yield call(fqd.quantize_func, dict(x=x, scales=0.5, zero_point=0), ValueError, "n_bits", "dask_n_bits", n_bits=1)
    yield call(fqd.dequantize_func, dict(x_q=codes, scales=0.5, zero_point=0), ValueError, "axis", "dask_axis",
               axis=2)
    yield from _dask_calibrated_rows(fqd, x, nan)
    yield from _dask_gguf_rows(fqd)
    yield from _dask_float_rows(fqd)


def _dask_float_rows(fqd) -> Iterator[Row]:
    import dask.array as da

    x = da.from_array(np.linspace(-1, 1, 256, dtype=np.float32).reshape(4, 64), chunks=(2, 32))
    c = da.zeros((4, 64), dtype=np.uint8, chunks=(2, 32))
    s = da.full((4, 2), 127, dtype=np.uint8, chunks=(1, 1))
    ff = fqd.floats
    yield call(ff.encode, dict(x=x, fmt="float8_e4m3fn"), ValueError, "fmt", "dask_floats_fmt", fmt="float9")
    yield call(ff.encode, dict(x=x, fmt="float8_e4m3fn"), ValueError, "saturate", "dask_floats_saturate", saturate=1)
    yield call(ff.encode, dict(x=x, fmt="float8_e4m3fn"), TypeError, "x", "dask_floats_strings",
               x=da.from_array(np.array(["a", "b"])))
    yield call(ff.decode, dict(codes=c, fmt="float8_e4m3fn"), ValueError, "fmt", "dask_floats_fmt", fmt=None)
    yield call(ff.decode, dict(codes=c, fmt="float8_e4m3fn"), TypeError, "codes", "dask_floats_float_codes", codes=x)
    good = dict(x=x, fmt="float4_e2m1fn")
    yield call(ff.quantize_mx, good, ValueError, "fmt", "dask_mx_fmt", fmt="float8_e4m3fnuz")
    yield call(ff.quantize_mx, good, ValueError, "block_size", "dask_mx_block_size", block_size=48)
    yield call(ff.quantize_mx, good, ValueError, "axis", "dask_mx_axis", axis=2)
    yield call(ff.quantize_mx, good, ValueError, "x", "dask_mx_chunks_not_whole_blocks", x=x.rechunk((2, (16, 48))))
    yield call(ff.quantize_mx, good, ValueError, "x", "dask_mx_0d", x=da.from_array(np.float32(1)))
    good = dict(codes=c, scales=s, fmt="float4_e2m1fn")
    yield call(ff.dequantize_mx, good, ValueError, "scales", "dask_mx_scales_shape", scales=s[:, :1])
    yield call(ff.dequantize_mx, good, ValueError, "codes", "dask_mx_chunks_not_whole_blocks",
               codes=c.rechunk((2, (16, 48))))
    yield call(ff.dequantize_mx, good, ValueError, "block_size", "dask_mx_block_size", block_size=0)
    yield call(ff.dequantize_mx, good, ValueError, "axis", "dask_mx_axis", axis=-3)
    yield call(ff.dequantize_mx, good, TypeError, "scales", "dask_mx_float_scales", scales=s.astype(np.float32))
    yield call(ff.pack_nibbles, dict(codes=c), ValueError, "codes", "dask_nibbles_odd_chunks",
               codes=c.rechunk((2, (5, 59))))
    yield call(ff.pack_nibbles, dict(codes=c), TypeError, "codes", "dask_nibbles_float", codes=x)
    yield call(ff.unpack_nibbles, dict(packed=c), ValueError, "n", "dask_nibbles_n", n=7)
    yield call(ff.unpack_nibbles, dict(packed=c), TypeError, "packed", "dask_nibbles_float", packed=x)


def _dask_calibrated_rows(fqd, x, nan) -> Iterator[Row]:
    import dask.array as da

    r = np.array([np.full(12, -1.0), np.full(12, 1.0)], np.float32)
    calib = da.from_array(np.linspace(-2, 2, 60, dtype=np.float32).reshape(5, 12), chunks=(2, 5))
    fn = fqd.quantize_embeddings
    good = dict(x=x, precision="uint8", ranges=r)
    yield call(fn, good, ValueError, "ranges", "dask_ranges_shape", ranges=r[:, :5])
    yield call(fn, good, ValueError, "ranges", "dask_ranges_nan", ranges=np.where(r > 0, np.nan, r))
    yield call(fn, good, ValueError, "ranges", "dask_ranges_binary", precision="binary")
    yield call(fn, good, TypeError, "x", "dask_ranges_bool_x", x=x > 0)
    good = dict(x=x, precision="int8", calibration_embeddings=calib)
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_and_ranges", ranges=r)
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_ubinary", precision="ubinary")
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_nan",
               calibration_embeddings=da.concatenate([calib, da.full((1, 12), np.nan, dtype=np.float32)]))
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_inf",
               calibration_embeddings=calib.map_blocks(lambda b: np.where(b > 1.9, np.inf, b)))
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_other_dim", calibration_embeddings=calib[:, :7])
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_no_rows", calibration_embeddings=calib[:0])
    yield call(fn, good, ValueError, "calibration_embeddings", "dask_calibration_1d", calibration_embeddings=calib[0])
    yield call(fn, good, TypeError, "calibration_embeddings", "dask_calibration_bool", calibration_embeddings=calib > 0)
    yield call(fn, good, TypeError, "x", "dask_calibration_bool_x", x=x > 0)
    yield call(fn, good, ValueError, "x", "dask_calibration_0d_x", x=da.from_array(np.float32(1.0)))
    good = dict(q=da.zeros((4, 12), dtype=np.uint8, chunks=(2, 5)), quant="uint8", ranges=r)
    yield call(fqd.dequantize, good, ValueError, "ranges", "dask_ranges_shape", ranges=r[:, :5])
    yield call(fqd.dequantize, good, ValueError, "ranges", "dask_ranges_binary", quant="binary")
    yield call(fqd.dequantize, good, ValueError, "orig_dim", "dask_ranges_orig_dim", orig_dim=11)
    good = dict(embeddings=calib)
    fn = fqd.calibration_ranges
    yield call(fn, good, ValueError, "embeddings", "dask_nan", embeddings=da.concatenate([calib, da.full((1, 12), np.nan, dtype=np.float32)]))
    yield call(fn, good, ValueError, "embeddings", "dask_overflowing_width",
               embeddings=da.from_array(np.array([[-3e38], [3e38]], np.float32)))
    yield call(fn, good, ValueError, "embeddings", "dask_1d", embeddings=calib[0])
    yield call(fn, good, ValueError, "embeddings", "dask_no_rows", embeddings=calib[:0])
    yield call(fn, good, TypeError, "embeddings", "dask_strings", embeddings=da.from_array(np.array([["a"]])))


def _dask_gguf_rows(fqd) -> Iterator[Row]:
    import dask.array as da

    x = da.zeros((4, 64), dtype=np.float32, chunks=(2, 32))
    b = da.zeros((4, 36), dtype=np.uint8, chunks=(2, 18))
    for fn, good, bad_chunks, whole in ((fqd.gguf.quantize, dict(data=x, qtype="Q4_0"), x.rechunk((2, (16, 48))), x[:, :48]),
                                        (fqd.gguf.dequantize, dict(data=b, qtype="Q4_0"), b.rechunk((2, (9, 27))), b[:, :30])):
        yield call(fn, good, ValueError, "qtype", "dask_gguf_qtype", qtype="Q9_9")
        yield call(fn, good, ValueError, "data", "dask_gguf_chunks_not_whole_blocks", data=bad_chunks)
        yield call(fn, good, ValueError, "data", "dask_gguf_not_whole_blocks", data=whole)
        yield call(fn, good, ValueError, "data", "dask_gguf_0d", data=da.from_array(np.float32(0) if fn is fqd.gguf.quantize
                                                                                   else np.uint8(0)))
    yield call(fqd.gguf.dequantize, dict(data=b, qtype="Q4_0"), TypeError, "data", "dask_gguf_float_bytes",
               data=b.astype(np.float32))
    yield call(fqd.gguf.dequantize, dict(data=b, qtype="Q4_0"), NotImplementedError, "qtype", "dask_gguf_q8_k",
               qtype="Q8_K", data=da.zeros((2, 292), dtype=np.uint8))


def test_every_storage_function_has_rows():
    """The storage rows cover every codec class and every fastquant.dask function (where
    their dependencies are installed)."""
    covered = {row.fn for row in ROWS}
    names = {f"{row.fn.__module__}.{row.fn.__name__}" for row in ROWS
             if getattr(row.fn, "__module__", "").startswith("fastquant.dask")}
    fnc, fqd = _optional("fastquant.numcodecs"), _optional("fastquant.dask")
    if fnc is None or fqd is None:
        pytest.skip("numcodecs / dask not installed (their own tests say so, failing in CI)")
    assert set(fnc.CODECS.values()) - {fnc.Int8, fnc.UInt8} <= covered  # Int8/UInt8 take no arguments
    assert {_encode, _decode} <= covered
    public = {f"{m.__name__}.{name}" for m in (fqd, fqd.gguf, fqd.floats) for name in m.__all__}
    assert public <= names, f"no rows for {sorted(public - names)}"


# ---------------------------------------------------------------- gguf encode

import fastquant.gguf as fg  # noqa: E402  (the GGUF codecs live in their own module)

GGUF_FLOATS = np.linspace(-3, 3, 512, dtype=np.float32).reshape(2, 256)
#: Per block type: a block of values whose fp16 scale overflows (or, for Q8_K, whose
#: 1 / max overflows so that llama.cpp's nearest_int assertion fails).
GGUF_TOO_LARGE = {"Q4_0": 1e6, "Q4_1": 7e4, "Q5_0": 2e6, "Q5_1": 7e4, "Q8_0": 1e7, "Q2_K": 1e30, "Q3_K": 1e30,
                  "Q4_K": 1e30, "Q5_K": 1e30, "Q6_K": 1e30, "Q8_K": 1e-39, "IQ4_NL": 1e30, "IQ4_XS": 1e30,
                  "TQ1_0": 7e4, "TQ2_0": 7e4}


def gguf_encode_rows() -> Iterator[Row]:
    fn = fg.quantize
    for qtype in ("Q4_K", "F16"):  # the block types share one input path, the casts another
        good = dict(data=GGUF_FLOATS, qtype=qtype)
        for row in array_rows(fn, good, "data", "floats", packs_axis=qtype not in ("F16",)):
            yield dataclasses.replace(row, id=f"{qtype}_{row.id}")
        res = fn(**good)
        for row in out_rows(fn, good, "data", res.shape, res.dtype):
            yield dataclasses.replace(row, id=f"{qtype}_{row.id}")
        for label, value in {"zero": 0, "negative": -1, "float": 1.5, "str": "2", "bool": True, "array": np.array([2, 2])}.items():
            yield call(fn, good, ValueError, "threads", f"{qtype}_threads_{label}", threads=value)
    good = dict(data=GGUF_FLOATS, qtype="Q4_K")
    for label, value in {"unknown_name": "Q4_9", "unknown_id": 99, "negative_id": -1, "float": 2.0, "None": None,
                         "empty": "", "bytes": b"Q4_0", "list": [2], "bool": True, "object": object()}.items():
        yield call(fn, good, ValueError, "qtype", f"qtype_{label}", qtype=value)
    for qtype in fg.ENCODE_TYPES:
        bs, _ = fg.QUANT_SIZES[qtype]
        if bs > 1:
            n = max(bs, 256)
            yield call(fn, good, ValueError, "data", f"{qtype}_partial_block", qtype=qtype, data=np.ones(n + bs // 2, np.float32))
            yield call(fn, good, ValueError, "data", f"{qtype}_partial_block_2d", qtype=qtype, data=np.ones((3, bs - 1), np.float32))
            for label, bad in {"nan": np.nan, "inf": np.inf, "neg_inf": -np.inf}.items():
                for where in ((0, n // 2 + 1, 2 * n - 1) if label == "nan" else (n + 3,)):
                    x = np.ones(2 * n, np.float32)
                    x[where] = bad
                    yield call(fn, good, ValueError, "data", f"{qtype}_{label}_at_{where}", qtype=qtype, data=x.reshape(2, n))
            yield call(fn, good, ValueError, "data", f"{qtype}_nan_float64", qtype=qtype, data=np.r_[np.ones(n - 1), np.nan])
            yield call(fn, good, ValueError, "data", f"{qtype}_float64_overflows_float32", qtype=qtype, data=np.r_[np.ones(n - 1), 1e300])
            if qtype in GGUF_TOO_LARGE:
                x = np.linspace(-1, 1, n, dtype=np.float32) * np.float32(GGUF_TOO_LARGE[qtype])
                yield call(fn, good, ValueError, "data", f"{qtype}_scale_overflows", qtype=qtype, data=x)


def gguf_encode_odd_but_valid() -> Iterator[tuple]:
    for qtype in ("Q4_0", "Q4_K", "BF16", "MXFP4", "F16"):
        for label, data in [
            ("32_dims", np.ones((1,) * 31 + (256,), np.float32)),
            ("empty_rows", np.zeros((0, 256), np.float32)),
            ("empty_last_axis", np.zeros((4, 0), np.float32)),
            ("huge_empty_shape", np.broadcast_to(np.float32(0), (2**40, 0))),
            ("broadcast_zero_stride", np.broadcast_to(np.float32(1.5), (3, 256))),
            ("memoryview", memoryview(np.linspace(-1, 1, 256, dtype=np.float32))),
            ("negative_strides", GGUF_FLOATS[::-1, ::-1]),
            ("int64", np.arange(-128, 128, dtype=np.int64)),
            ("float16", np.linspace(-4, 4, 256).astype(np.float16)),
            ("signed_zeros", np.tile(np.array([0.0, -0.0], np.float32), 128)),
        ]:
            yield f"quantize_{qtype}-{label}", fn_quantize, dict(data=data, qtype=qtype)
    if torch is not None:
        for dt in (torch.float32, torch.bfloat16, torch.float16, torch.int16):
            yield f"quantize-torch_{str(dt).removeprefix('torch.')}", fn_quantize, dict(data=torch.ones(2, 256, dtype=dt), qtype="Q4_K")


fn_quantize = fg.quantize


# ---------------------------------------------------------------- the table

#: One generator per codec family; a new family adds its own here.
FAMILY_ROWS = [int4_rows, embeddings_rows, affine_rows, calibrated_rows, gguf_rows, gguf_encode_rows, floats_rows,
               onnx_rows, storage_rows, threads_rows, tensor_out_rows]
FAMILY_ODD_BUT_VALID = [int4_odd_but_valid, embeddings_odd_but_valid, affine_odd_but_valid, calibrated_odd_but_valid,
                        gguf_odd_but_valid, gguf_encode_odd_but_valid, floats_odd_but_valid, onnx_odd_but_valid]

def _unique_ids(rows: list) -> list:
    """Labels repeat across arguments of one function ("huge_list" for n_bits and signed):
    such rows get the argument's name in front, so every id says what it tests."""
    seen: dict = {}
    for row in rows:
        seen[row.fn, row.id] = seen.get((row.fn, row.id), 0) + 1
    return [dataclasses.replace(r, id=f"{r.names}_{r.id}") if seen[r.fn, r.id] > 1 else r for r in rows]


_BASE_ROWS = _unique_ids([row for family in FAMILY_ROWS for row in family()])
ROWS = _BASE_ROWS + list(tensor_twin_rows(_BASE_ROWS))
ODD_BUT_VALID = [case for family in FAMILY_ODD_BUT_VALID for case in family()]


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_bad_input(row: Row, backend):
    before = {k: _copy(v) for k, v in row.kwargs.items() if isinstance(v, np.ndarray)}
    with pytest.raises(row.exc) as info:
        row.fn(**row.kwargs)
    assert type(info.value) is row.exc, f"{type(info.value).__name__} (a subclass) instead of {row.exc.__name__}"
    message = str(info.value)
    assert message.startswith(f"{row.names}:"), f"message does not start with {row.names!r}: {message!r}"
    assert len(message) <= MAX_MESSAGE, f"message of {len(message)} characters: {message[:200]!r}..."
    for k, v in before.items():  # a rejected call must not have written anywhere either
        assert row.kwargs[k].tobytes() == v.tobytes(), f"{k} changed by a call that raised"


@pytest.mark.parametrize("fn,kwargs", [pytest.param(fn, kw, id=i) for i, fn, kw in ODD_BUT_VALID])
def test_odd_but_valid_input(fn, kwargs):
    names = list(kwargs)
    both(lambda *args: fn(**dict(zip(names, args))), *kwargs.values())


def test_every_public_function_has_rows():
    """The table covers every public function of every family (fastquant.floats' too)."""
    public = {name for name in fq.__all__ if callable(getattr(fq, name)) and getattr(fq, name).__module__ != "fastquant._backend"}
    public |= {name for name in fq.floats.__all__ if callable(getattr(fq.floats, name)) and name != "FloatFormat"}
    if fo is not None:
        public |= {name for name in fo.__all__ if callable(getattr(fo, name)) and name != "CodeType"}
    covered = {row.fn.__name__ for row in ROWS}
    assert public <= covered, f"no bad-input rows for {sorted(public - covered)}"


def test_the_table_has_torch_rows():
    """torch is demanded in CI (tests/_oracles.py): without it the tensor rows above vanish."""
    require("torch")
    ids = [row.id for row in ROWS]
    assert sum(i.startswith("as_tensor-") for i in ids) > 500
    assert sum("tensor_out_" in i for i in ids) > 80
