"""ONNX QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear and TensorProto raw data
(SPEC section 9). Oracle: the ONNX operator spec (opsets 21-25), ``onnx.reference`` and ONNX's
own node tests.

Code types: int8, uint8, int16, uint16, int4, uint4, int2, uint2, float8e4m3fn, float8e4m3fnuz,
float8e5m2, float8e5m2fnuz, float4e2m1. Results are NumPy arrays of the dtype
``onnx.numpy_helper.to_array`` gives each type: NumPy's int8/uint8/int16/uint16, ml_dtypes'
int4/uint4/int2/uint2/float8_*/float4_e2m1fn (one code a byte). This module imports ml_dtypes
(the ``onnx`` extra); ``import fastquant`` does not import this module.

Note the rounding order: ONNX rounds ``x / scale`` BEFORE adding the zero point;
:func:`fastquant.quantize_func` (seed semantics) adds it first and is unchanged.
docs/onnx.md has the formulas, layouts and choices.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np

try:
    import ml_dtypes
except ImportError as _exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "fastquant.onnx needs ml_dtypes >= 0.5 for the ONNX code types (int4, float8, ...): "
        "pip install 'fastquant[onnx]'"
    ) from _exc

from . import _arrays as A
from . import _threads
from ._backend import kernels, torch_path
from ._minifloats import BY_NAME as _FLOAT_FORMATS

__all__ = [
    "quantize_linear",
    "dequantize_linear",
    "dynamic_quantize_linear",
    "to_raw",
    "from_raw",
    "code_type",
    "CODE_TYPES",
    "CodeType",
]


class CodeType(NamedTuple):
    """One ONNX code type: its name (the ONNX spelling, lower case), ``onnx.TensorProto`` enum,
    bits per code, integer range ``(qmin, qmax)`` (floats: None), the NumPy dtype of its
    arrays (``onnx.numpy_helper.to_array``'s) and, for float types, the ``fastquant.floats``
    format name."""

    name: str
    enum: int
    bits: int
    qmin: int | None
    qmax: int | None
    dtype: np.dtype
    float_format: str | None

    @property
    def is_float(self) -> bool:
        return self.float_format is not None


def _integer(name, enum, bits, signed, dtype):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return CodeType(name, enum, bits, lo, hi, np.dtype(dtype), None)


def _float(name, enum, fmt):
    return CodeType(name, enum, _FLOAT_FORMATS[fmt].bits, None, None, np.dtype(getattr(ml_dtypes, fmt)), fmt)


#: Every code type of SPEC 9 by its ONNX name (onnx.TensorProto enums as of onnx 1.23).
CODE_TYPES = {
    t.name: t
    for t in (
        _integer("uint8", 2, 8, False, np.uint8),
        _integer("int8", 3, 8, True, np.int8),
        _integer("uint16", 4, 16, False, np.uint16),
        _integer("int16", 5, 16, True, np.int16),
        _float("float8e4m3fn", 17, "float8_e4m3fn"),
        _float("float8e4m3fnuz", 18, "float8_e4m3fnuz"),
        _float("float8e5m2", 19, "float8_e5m2"),
        _float("float8e5m2fnuz", 20, "float8_e5m2fnuz"),
        _integer("uint4", 21, 4, False, ml_dtypes.uint4),
        _integer("int4", 22, 4, True, ml_dtypes.int4),
        _float("float4e2m1", 23, "float4_e2m1fn"),
        _integer("uint2", 25, 2, False, ml_dtypes.uint2),
        _integer("int2", 26, 2, True, ml_dtypes.int2),
    )
}
_BY_ENUM = {t.enum: t for t in CODE_TYPES.values()}
_BY_KEY = {t.name: t for t in CODE_TYPES.values()}
_BY_KEY.update({t.float_format.replace("_", ""): t for t in CODE_TYPES.values() if t.is_float})
_BY_DTYPE = {t.dtype: t for t in CODE_TYPES.values()}
#: ONNX types that exist but are no code type here, for a clearer error
_OTHER_ONNX = {1: "float", 6: "int32", 7: "int64", 10: "float16", 11: "double", 16: "bfloat16",
               24: "float8e8m0", 27: "float6e2m3", 28: "float6e3m2"}
#: int32: a DequantizeLinear input only, without zero point (ONNX), hence qmin = qmax = 0: the
#: range a zero point given for it must lie in
_INT32 = CodeType("int32", 6, 32, 0, 0, np.dtype(np.int32), None)

_F32, _F16, _U8, _I8, _I32 = (np.dtype(t) for t in (np.float32, np.float16, np.uint8, np.int8, np.int32))
_BF16 = np.dtype(ml_dtypes.bfloat16)
_NAMES = tuple(CODE_TYPES)


def code_type(value, name: str = "value") -> CodeType:
    """The :class:`CodeType` of ``value``: an ONNX name in any case (``"int4"``,
    ``"FLOAT8E4M3FN"``), an ml_dtypes name (``"float8_e4m3fn"``, ``"float4_e2m1fn"``), an
    ``onnx.TensorProto`` enum (``TensorProto.INT4`` is 22), or a NumPy / ml_dtypes dtype;
    else ``ValueError`` naming ``name``."""
    found = None
    if isinstance(value, CodeType):
        return value
    if isinstance(value, str):
        found = _BY_KEY.get(value.lower().replace("_", ""))
    elif isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        found = _BY_ENUM.get(int(value))
        if found is None and int(value) in _OTHER_ONNX:
            raise ValueError(f"{name}: ONNX type {int(value)} ({_OTHER_ONNX[int(value)]}) is not a code "
                             f"type; expected one of {_NAMES}")
    elif isinstance(value, (np.dtype, type)):
        try:
            found = _BY_DTYPE.get(np.dtype(value))
        except (TypeError, ValueError):
            found = None
    if found is None:
        raise ValueError(f"{name}: expected one of {_NAMES} (a name, an onnx.TensorProto enum or a "
                         f"dtype), got {A._describe(value)}")
    return found


# ------------------------------------------------------------------------------ arguments

def _ml_name(dtype: np.dtype):
    mod = dtype.type.__module__.split(".")[0]
    return dtype.type.__name__ if mod == "ml_dtypes" else None


def _floats(x, name: str):
    """``x`` as float32 C-contiguous: what ``A.floats`` takes, plus ml_dtypes float arrays
    (bfloat16, float8: exact in float32)."""
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and _ml_name(x.dtype) is not None:
        if x.dtype in _BY_DTYPE and not _BY_DTYPE[x.dtype].is_float:
            raise TypeError(f"{name}: expected real numbers (floats), got {A._describe(x)}")
        return A.contiguous(x.astype(_F32))
    return A.floats(x, name)[0]


def _flag(value, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}: expected True or False, got {A._short(value)}")


def _int_arg(value, name: str, lo: int) -> int:
    if not isinstance(value, (bool, np.bool_)):
        try:
            v = operator.index(value)
        except TypeError:
            v = None
        if v is not None and v >= lo:
            return v
    raise ValueError(f"{name}: expected an integer >= {lo}, got {A._describe(value)}")


def _axis(axis, ndim: int) -> int:
    if isinstance(axis, (bool, np.bool_)):
        raise ValueError(f"axis: expected an integer, got {A._short(axis)}")
    try:
        value = operator.index(axis)
    except TypeError:
        raise ValueError(f"axis: expected an integer, got {A._describe(axis)}") from None
    if ndim == 0:
        raise ValueError("axis: a 0-d x has no axis for per-axis or blocked parameters")
    if not -ndim <= value < ndim:
        raise ValueError(f"axis: expected an integer in [{-ndim}, {ndim - 1}] for a {ndim}-d x, got {value}")
    return value % ndim


def _scales(scale, name: str):
    """``(float32 array, result dtype of a dequantization)``: float16 / bfloat16 scales are
    widened (and give float16 / bfloat16 results, ONNX's output type); every value must be
    finite and > 0 as float32."""
    result = _F32
    if isinstance(scale, np.generic):
        scale = np.asarray(scale)
    if isinstance(scale, float):
        arr = np.array(A.scale_f32(scale, name), _F32)
        return arr, result
    if isinstance(scale, np.ndarray) and _ml_name(scale.dtype) is not None:
        if scale.dtype == _BF16:
            result = _BF16
        elif scale.dtype in _BY_DTYPE and not _BY_DTYPE[scale.dtype].is_float:
            raise ValueError(f"{name}: expected finite floats > 0, got {A._describe(scale)}")
        arr = scale.astype(_F32)
    else:
        try:
            arr, _ = A.to_numpy(scale, name, want_float=True)
        except TypeError as exc:  # parameters are values: a wrong one is a ValueError
            raise ValueError(str(exc)) from None
        if arr.dtype.kind not in "fiu":
            raise ValueError(f"{name}: expected finite floats > 0, got {A._describe(arr)}")
        if arr.dtype == _F16:
            result = _F16
        with np.errstate(over="ignore"):
            arr = arr.astype(_F32)
    arr = A.contiguous(arr)
    if arr.size and not (np.isfinite(arr).all() and (arr > 0).all()):
        bad = ~(np.isfinite(arr) & (arr > 0))
        raise ValueError(f"{name}: expected finite floats > 0 (as float32), got {arr[bad][0]!r} "
                         f"at index {tuple(int(i) for i in np.argwhere(bad)[0])}")
    return arr, result


def _zero_point_type(zp):
    """The code type a zero point's array type names, or None for untyped values (Python
    numbers, lists, integer dtypes ONNX codes do not have)."""
    if isinstance(zp, np.ndarray) or isinstance(zp, np.generic):
        return _BY_DTYPE.get(np.dtype(zp.dtype))
    return None


class _Layout(NamedTuple):
    dims: tuple        # (O, C, I): the data around the axis
    pshape: tuple      # (P0, Cs, P2): the parameters' shape
    block: int
    kind: str          # "tensor", "axis" or "blocked"


def _layout(xshape: tuple, sc: np.ndarray, axis, block_size, sname: str) -> _Layout:
    """Per-tensor (a scalar scale, or one of size 1 when not blocked), per-axis (1-D, the axis'
    length) or blocked (x's shape with the axis divided by block_size, rounded up)."""
    n = math.prod(xshape)
    if block_size == 0:
        if sc.ndim == 0 or (sc.ndim == 1 and sc.size == 1):
            return _Layout((1, 1, n), (1, 1, 1), 1, "tensor")
        if sc.ndim != 1:
            raise ValueError(f"{sname}: expected a scalar or a 1-D array (per axis) when block_size is 0, "
                             f"got {A._describe(sc)}")
        ax = _axis(axis, len(xshape))
        if sc.shape[0] != xshape[ax]:
            raise ValueError(f"{sname}: expected {xshape[ax]} values (x.shape[{ax}], axis={axis}), got "
                             f"{A._describe(sc)}")
        dims = (math.prod(xshape[:ax]), xshape[ax], math.prod(xshape[ax + 1:]))
        return _Layout(dims, (1, xshape[ax], 1), 1, "axis")
    ax = _axis(axis, len(xshape))
    want = list(xshape)
    want[ax] = -(-xshape[ax] // block_size)
    if sc.shape != tuple(want):
        raise ValueError(f"{sname}: expected shape {tuple(want)} for x of shape {xshape} with axis={axis} "
                         f"and block_size={block_size} (ceil({xshape[ax]} / {block_size}) blocks), "
                         f"got {A._describe(sc)}")
    dims = (math.prod(xshape[:ax]), xshape[ax], math.prod(xshape[ax + 1:]))
    return _Layout(dims, (dims[0], want[ax], dims[2]), block_size, "blocked")


def _zero_points(zp, ctype: CodeType, sc: np.ndarray, layout: _Layout, zname: str, sname: str):
    """The zero point as an int32 array of the parameters' shape (integer types), or, for
    float types, a bool array: True where the zero point is +0 (it must be zero); a scalar
    applies to every block. None when there is none."""
    if zp is None:
        return None
    if isinstance(zp, np.generic):  # NumPy and ml_dtypes scalars: as 0-d arrays
        zp = np.asarray(zp)
    if isinstance(zp, np.ndarray) and _ml_name(zp.dtype) is not None:
        arr = zp.astype(_F32) if ctype.is_float else zp.astype(np.int64)
    else:
        try:
            arr, _ = A.to_numpy(zp, zname)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if arr.size == 0 and arr.dtype == np.float64 and not isinstance(zp, np.ndarray):
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in ("fiu" if ctype.is_float else "iu"):
            raise ValueError(f"{zname}: expected {'zeros' if ctype.is_float else 'integers'} for "
                             f"{ctype.name} codes, got {A._describe(arr)}")
    scalar = arr.ndim == 0 or (arr.ndim == 1 and arr.size == 1)
    if not scalar and arr.shape != sc.shape:
        raise ValueError(f"{zname}: expected the shape of {sname} {sc.shape} (or a scalar), got {A._describe(arr)}")
    if ctype.is_float:
        with np.errstate(invalid="ignore"):
            values = arr.astype(_F32)
        if values.size and not (values == 0).all():
            raise ValueError(f"{zname}: expected zeros for {ctype.name} codes (a float type), got "
                             f"{values[values != 0].ravel()[0]!r}")
        plus = ~np.signbit(values)
        return np.broadcast_to(plus.reshape(()) if scalar else plus.reshape(layout.pshape), layout.pshape)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < ctype.qmin or hi > ctype.qmax:
            raise ValueError(f"{zname}: expected integers in [{ctype.qmin}, {ctype.qmax}] ({ctype.name}), got "
                             f"{lo if lo < ctype.qmin else hi}")
    if scalar:
        return np.full(layout.pshape, int(arr.reshape(())), _I32)
    return np.ascontiguousarray(arr.reshape(layout.pshape), _I32)


def _params(sc: np.ndarray, layout: _Layout) -> np.ndarray:
    """The scales as the kernels take them: float32 of the parameters' shape."""
    return np.ascontiguousarray(sc.reshape(layout.pshape))


def _run_blocked(kernel, a, b, scales, zero_points, block, *args, threads=None):
    """``kernel(a, b, scales, zero_points, block, *args)`` on ``(O, C, I)`` arrays split over
    threads as :func:`fastquant._threads.run_scaled` splits them (along O, else whole blocks
    of C, else I), the zero points sliced with the scales. Returns the OR of the results."""
    if threads is None and a.size <= _threads.AUTO_MIN_SIZE and b.size <= _threads.AUTO_MIN_SIZE:
        return kernel(a, b, scales, zero_points, block, *args)
    size = max(a.size, b.size)
    n = _threads.count(threads, size)
    outer, channels, inner = a.shape
    blocks = -(-channels // block)
    if n == 1 or size == 0:
        return kernel(a, b, scales, zero_points, block, *args)
    if outer > 1:
        def part(i, j, p):
            return p[i:j] if p.shape[0] > 1 else p
        calls = [(kernel, (a[i:j], b[i:j], part(i, j, scales), part(i, j, zero_points), block) + args)
                 for i, j in _threads.ranges(outer, n)]
    elif blocks > 1:
        calls = [(kernel, (a[:, i * block:j * block], b[:, i * block:j * block], scales[:, i:j],
                           zero_points[:, i:j], block) + args) for i, j in _threads.ranges(blocks, n)]
    elif channels == 1:
        def part(i, j, p):
            return p[:, :, i:j] if p.shape[2] > 1 else p
        calls = [(kernel, (a[:, :, i:j], b[:, :, i:j], part(i, j, scales), part(i, j, zero_points), block) + args)
                 for i, j in _threads.ranges(inner, n)]
    else:
        return kernel(a, b, scales, zero_points, block, *args)
    return _threads._combine(_threads._execute(calls))


# ------------------------------------------------------------------------------ quantize

def _storage(ctype: CodeType) -> np.dtype:
    """The dtype the kernels write: the type's own for 8/16 bits, uint8 bytes otherwise."""
    return ctype.dtype if ctype.dtype.kind in "iu" and ctype.bits >= 8 else _U8


@torch_path
def quantize_linear(x, y_scale, y_zero_point=None, *, axis=1, block_size=0, output_dtype=None, saturate=True,
                    out=None, threads=None):
    """ONNX QuantizeLinear: ``x`` to codes of an ONNX type.

    Integer types: ``clip(round_half_even(float32(x) / y_scale) + y_zero_point, qmin, qmax)``
    (the zero point added AFTER rounding, unlike :func:`fastquant.quantize_func`); NaN is a
    ``ValueError``, +-inf saturate. Float types (float8*, float4e2m1): the cast of
    ``float32(x) / y_scale`` to the type, with ``saturate`` (ONNX Cast's ``saturate``: values
    beyond the largest finite one give +-max instead of inf/NaN; float4e2m1 always saturates);
    the zero point must be 0 (float4e2m1: added as ONNX adds it, so a +0 zero point turns a
    -0 quotient into +0). Arithmetic in float32 (float16/bfloat16 inputs and scales widened).

    Layout: ``y_scale`` a scalar (per tensor), 1-D of length ``x.shape[axis]`` (per axis), or,
    with ``block_size > 0``, ``x``'s shape with ``axis`` divided by ``block_size``, rounded up
    (blocked; the last block may be short). ``y_zero_point`` has ``y_scale``'s shape (or is a
    scalar). The type: ``y_zero_point``'s (a NumPy int8/uint8/int16/uint16 or ml_dtypes code
    array), else ``output_dtype`` (a name, ``onnx.TensorProto`` enum or dtype), else uint8;
    both given must agree. The result: a NumPy array of the type's ``to_array`` dtype
    (ml_dtypes for sub-byte and float types). ``out``: a C-contiguous array of that dtype and
    ``x``'s shape. ``threads``: see :mod:`fastquant._threads`.

    >>> quantize_linear([0.0, 2.0, 3.0, 1000.0, -254.0], 2.0, np.uint8(128)).tolist()
    [128, 129, 130, 255, 1]
    """
    arr = _floats(x, "x")
    ztype = _zero_point_type(y_zero_point)
    if output_dtype is not None:
        ctype = code_type(output_dtype, "output_dtype")
        if ztype is not None and ztype is not ctype:
            raise ValueError(f"output_dtype: {ctype.name} disagrees with y_zero_point's type {ztype.name}")
    else:
        ctype = ztype or CODE_TYPES["uint8"]
    saturate = _flag(saturate, "saturate")
    block_size = _int_arg(block_size, "block_size", 0)
    sc, _ = _scales(y_scale, "y_scale")
    layout = _layout(arr.shape, sc, axis, block_size, "y_scale")
    zp = _zero_points(y_zero_point, ctype, sc, layout, "y_zero_point", "y_scale")
    scales = _params(sc, layout)
    res = A.output(out, arr.shape, ctype.dtype, (x, arr))
    if arr.size == 0:  # (the parameters of an empty x may be empty too: no kernel call)
        return res
    raw = res.view(_storage(ctype))
    a, b = arr.reshape(layout.dims), raw.reshape(layout.dims)
    k = kernels()
    if ctype.is_float:
        fmt = _FLOAT_FORMATS[ctype.float_format]
        _threads.run_scaled(k.floats_encode_scaled, a, b, scales, layout.block, fmt.id, saturate, threads=threads)
        if zp is not None and ctype.name == "float4e2m1" and arr.size:
            _plus_zero(a, b, scales, zp, layout.block, fmt.sign_bit)
        return res
    zps = zp if zp is not None else np.zeros(layout.pshape, _I32)
    stream = A.streams(out, res)  # a caller's large out=: non-temporal stores (8-bit codes)
    if _run_blocked(k.onnxq_quantize, a, b, scales, zps, layout.block, ctype.qmin, ctype.qmax, stream, threads=threads):
        raise ValueError("x: expected numbers without NaN, got NaN")
    return res


def _plus_zero(a, b, scales, plus, block, sign_bit):
    """float4e2m1 with a zero point: ONNX computes ``x / scale + zero_point`` before the cast,
    and ``-0 + +0`` is ``+0``: where the quotient is -0 and the zero point +0, the code of -0
    becomes +0's. (Other codes are unchanged by adding a zero.) Only the -0 codes are looked
    at: their quotient is recomputed."""
    hits = np.flatnonzero(b.reshape(-1) == sign_bit)
    if not hits.size:
        return
    o, rest = np.divmod(hits, a.shape[1] * a.shape[2])
    c, i = np.divmod(rest, a.shape[2])
    p = (o if scales.shape[0] > 1 else 0, c // block, i if scales.shape[2] > 1 else 0)
    with np.errstate(all="ignore"):
        q = a.reshape(-1)[hits] / scales[p]
    fix = (q == 0) & plus[p]  # a NaN quotient (code 0x8 too) stays
    b.reshape(-1)[hits[fix]] = 0


# ---------------------------------------------------------------------------- dequantize

def _codes_of(x, zp_type):
    """``(C-contiguous codes the kernels read, CodeType)`` of DequantizeLinear's ``x``: an
    ml_dtypes array of a code type (its bytes), NumPy int8/uint8/int16/uint16/int32 arrays, or
    int8/uint8 bytes or integers of a dtype that is no code type (int64, lists) holding codes of
    a type NumPy lacks, which a zero point of that type names (float types: their bit patterns,
    as bytes or integers in [0, 2**bits - 1]; int4/uint4/int2/uint2: their values)."""
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and _ml_name(x.dtype) is not None:
        ctype = _BY_DTYPE.get(x.dtype)
        if ctype is None:
            raise TypeError(f"x: expected codes of an ONNX code type {_NAMES}, got {A._describe(x)}")
        return A.contiguous(x).view(_U8), ctype
    arr, _ = A.to_numpy(x, "x")
    if arr.size == 0 and arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(_U8)  # NumPy reads an empty list as float64; it holds no wrong codes
    if arr.dtype.kind not in "iu":
        raise TypeError(f"x: expected integer codes or an ml_dtypes array of a code type, got {A._describe(arr)}")
    native = arr.dtype.newbyteorder("=")
    own = _BY_DTYPE.get(native) or (_INT32 if native == _I32 else None)
    if zp_type is None or zp_type is own:
        if own is None:
            raise TypeError(f"x: expected codes of an ONNX type (NumPy int8, uint8, int16, uint16, int32, or an "
                            f"ml_dtypes array of {_NAMES}), got {A._describe(arr)}; a typed x_zero_point says "
                            f"which type other integers hold")
        return A.contiguous(arr, native), own
    if (own is None or own.bits == 8) and _ml_name(zp_type.dtype) is not None:
        # codes of a type NumPy lacks, in int8/uint8 bytes or other integers (not a code type)
        if zp_type.is_float and arr.dtype.itemsize == 1:
            return A.contiguous(arr).view(_U8), zp_type
        lo, hi = (0, (1 << zp_type.bits) - 1) if zp_type.is_float else (zp_type.qmin, zp_type.qmax)
        A.check_range(arr, "x", lo, hi)
        return A.contiguous(arr.astype(_I8 if lo < 0 else _U8)), zp_type
    raise TypeError(f"x_zero_point: expected the type of x ({own.name if own else native}), got {zp_type.name}")


@torch_path
def dequantize_linear(x, x_scale, x_zero_point=None, *, axis=1, block_size=0, out=None, threads=None):
    """ONNX DequantizeLinear: ``(x - x_zero_point) * x_scale`` in float32 (the difference
    exact; float codes decoded exactly first, their zero point must be 0).

    ``x``: codes as an ml_dtypes array of a code type (int4, float8_e4m3fn, ...), a NumPy
    int8/uint8/int16/uint16 array, int32 (no zero point), or plain integers whose type a typed
    ``x_zero_point`` names (float types as uint8 bit patterns). Layouts as in
    :func:`quantize_linear`. The result is float32, or float16 / bfloat16 when ``x_scale`` is
    (ONNX's output type is the scale's; the product is computed in float32 and rounded once).
    ``out``: a C-contiguous array of the result's dtype and ``x``'s shape. For float codes,
    ``out`` of 8 MiB or more gets streaming stores.

    >>> dequantize_linear(np.array([0, 3, 128, 255], np.uint8), 2.0, np.uint8(128)).tolist()
    [-256.0, -250.0, 0.0, 254.0]
    """
    ztype = _zero_point_type(x_zero_point)
    codes, ctype = _codes_of(x, ztype)
    if ztype is not None and ztype is not ctype:
        raise TypeError(f"x_zero_point: expected the type of x ({ctype.name}), got {ztype.name}")
    block_size = _int_arg(block_size, "block_size", 0)
    sc, result = _scales(x_scale, "x_scale")
    layout = _layout(codes.shape, sc, axis, block_size, "x_scale")
    zp = _zero_points(x_zero_point, ctype, sc, layout, "x_zero_point", "x_scale")
    scales = _params(sc, layout)
    if result is _F32:
        res = final = A.output(out, codes.shape, _F32, (x, codes))
        stream = A.streams(out, res)
    else:  # computed in float32, then rounded once to the scale's type
        final = None if out is None else A.check_out(out, codes.shape, result, (x, codes))
        res, stream = np.empty(codes.shape, _F32), False
    a, b = codes.reshape(layout.dims), res.reshape(layout.dims)
    k = kernels()
    if codes.size == 0:  # (the parameters of an empty x may be empty too: no kernel call)
        pass
    elif ctype.is_float:
        fmt = _FLOAT_FORMATS[ctype.float_format]
        bad = _threads.run_scaled(k.floats_decode_scaled, a, b, scales, layout.block, fmt.id, stream, threads=threads)
        if bad:  # ml_dtypes' float4_e2m1fn reads such bytes as no ONNX value: refuse them
            raise ValueError(f"x: expected {ctype.name} codes in [0, {fmt.code_limit}], got {int(codes.max())}")
    else:
        zps = zp if zp is not None else np.zeros(layout.pshape, _I32)
        bits = ctype.bits if ctype.bits < 8 else 0
        if bits and ctype.qmin < 0:
            a = a.view(_I8)  # the kernel sign-extends the low bits of int8 bytes
        _run_blocked(k.onnxq_dequantize, a, b, scales, zps, layout.block, bits, stream, threads=threads)
    if result is _F32:
        return res
    if final is None:
        return _narrow(res, result)
    final[...] = _narrow(res, result)
    return final


def _narrow(res: np.ndarray, result: np.dtype) -> np.ndarray:
    """The float32 products rounded once to a float16 / bfloat16 scale's type; a product
    beyond its range is +-inf (ONNX's cast), which is data, not a RuntimeWarning."""
    with np.errstate(over="ignore"):
        return res.astype(result)


# -------------------------------------------------------------------- dynamic quantization

@torch_path
def dynamic_quantize_linear(x, *, threads=None):
    """ONNX DynamicQuantizeLinear: ``(y, y_scale, y_zero_point)``, uint8 codes of ``x`` with a
    scale and zero point derived from its range, all in float32 as the operator defines them::

        lo, hi = min(0, min(x)), max(0, max(x))
        y_scale = (hi - lo if hi != lo else 1) / 255
        y_zero_point = round_half_even(clip(0 - lo / y_scale, 0, 255))
        y = clip(round_half_even(x / y_scale) + y_zero_point, 0, 255)

    ``y_scale`` is a 0-d float32 array, ``y_zero_point`` a 0-d uint8 array (as ONNX returns
    them). An empty ``x``, a NaN or inf in it, a range whose width overflows float32, or one
    so narrow (a few subnormals) that its scale is 0 in float32: ``ValueError``.

    >>> y, s, z = dynamic_quantize_linear([0.0, 2.0, -3.0, -2.5, 1.34, 0.5])
    >>> y.tolist(), float(s), int(z)
    ([153, 255, 0, 26, 221, 179], 0.019607843831181526, 153)
    """
    arr = _floats(x, "x")
    if arr.size == 0:
        raise ValueError("x: expected a non-empty array (the scale comes from its range)")
    scale, zp = _dynamic_params(*kernels().int4_range(arr.reshape(-1)))
    y = quantize_linear(arr, scale, np.uint8(zp), threads=threads)
    return y, np.array(scale, _F32), np.array(zp, _U8)


def _dynamic_params(lo: float, hi: float, finite: bool) -> tuple:
    """DynamicQuantizeLinear's ``(y_scale, y_zero_point)`` from the data's min and max (the
    host and the torch path both reduce, then call this)."""
    if not finite:
        raise ValueError("x: expected finite numbers (the scale comes from the data), got NaN or inf")
    hi, lo = max(0.0, hi), min(0.0, lo)
    width = A.f32(hi - lo)
    if math.isinf(width):
        raise ValueError(f"x: the range [{lo!r}, {hi!r}] is wider than float32 holds")
    scale = A.f32((width if hi != lo else 1.0) / 255.0)
    if scale == 0:  # a range of a few subnormals: (hi - lo) / 255 underflows
        raise ValueError(f"x: the range [{lo!r}, {hi!r}] is too narrow: its scale (hi - lo) / 255 is 0 in float32")
    zero = A.f32(0.0 - A.f32(lo / scale))
    return scale, int(np.rint(np.float32(min(255.0, max(0.0, zero)))))


# ------------------------------------------------------------------------------ raw data

def to_raw(codes) -> bytes:
    """``TensorProto.raw_data`` of ``codes`` (an array of a code type, as
    :func:`quantize_linear` returns them): little-endian values for 8/16-bit types; for
    int4/uint4/float4e2m1 and int2/uint2 the flattened tensor's codes packed 2 / 4 to a byte,
    the first element in the lowest bits, the last byte padded with zero bits. Equal to
    ``onnx.numpy_helper.from_array(codes).raw_data``.

    >>> import ml_dtypes
    >>> to_raw(np.array([1, -2, 3], ml_dtypes.int4)).hex()
    'e103'
    """
    if not isinstance(codes, np.ndarray):
        raise TypeError(f"codes: expected a NumPy array of a code type {_NAMES}, got {A._describe(codes)}")
    ctype = _BY_DTYPE.get(codes.dtype.newbyteorder("=") if codes.dtype.itemsize > 1 else codes.dtype)
    if ctype is None:
        raise TypeError(f"codes: expected an array of a code type {_NAMES} (NumPy or ml_dtypes dtype), got "
                        f"{A._describe(codes)}")
    if ctype.bits == 16:
        return np.ascontiguousarray(codes, ctype.dtype.newbyteorder("<")).tobytes()
    if ctype.bits == 8:
        return np.ascontiguousarray(codes).tobytes()
    flat = A.contiguous(codes).view(_U8).reshape(1, -1)
    per = 8 // ctype.bits
    packed = np.empty((1, -(-flat.shape[1] // per)), _U8)
    k = kernels()
    if per == 4:
        k.onnxq_pack2(flat, packed)
    elif k.floats_pack_nibbles(flat, packed):  # bytes with bits above the code: their low bits
        k.floats_pack_nibbles(flat & 0xF, packed)
    return packed.tobytes()


def _shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        dims = None
    if dims is None or any(d < 0 for d in dims) or any(isinstance(d, (bool, np.bool_)) for d in shape):
        raise ValueError(f"shape: expected a tuple of integers >= 0, got {A._short(shape)}")
    if len(dims) > 64:
        raise ValueError(f"shape: expected at most 64 dimensions (NumPy's limit), got {len(dims)}")
    return dims


def from_raw(raw, onnx_type, shape) -> np.ndarray:
    """The array ``onnx.numpy_helper.to_array`` gives for a tensor of ``onnx_type`` (a name,
    enum or dtype, as ``output_dtype``) and ``shape`` whose ``raw_data`` is ``raw`` (bytes,
    bytearray, memoryview or a uint8 array): the inverse of :func:`to_raw`. ``raw`` must hold
    exactly the bytes of ``shape`` (``ceil(n * bits / 8)`` for ``n`` elements); padding bits
    are ignored. The result is a new, writeable array.

    >>> from_raw(bytes.fromhex("e103"), "int4", (3,)).astype(int).tolist()
    [1, -2, 3]
    """
    ctype = code_type(onnx_type, "onnx_type")
    dims = _shape(shape)
    if isinstance(raw, np.ndarray):
        if raw.dtype != _U8:
            raise TypeError(f"raw: expected bytes or a uint8 array, got {A._describe(raw)}")
        buf = A.contiguous(raw).reshape(-1)
    elif isinstance(raw, (bytes, bytearray, memoryview)):
        buf = np.frombuffer(raw, _U8)
    else:
        raise TypeError(f"raw: expected bytes, bytearray, memoryview or a uint8 array, got {A._describe(raw)}")
    n = math.prod(dims)
    need = -(-n * ctype.bits // 8)
    if buf.size != need:
        raise ValueError(f"raw: expected {need} bytes for {n} {ctype.name} values (shape {dims}), got {buf.size}")
    if ctype.bits == 16:
        return buf.view(ctype.dtype.newbyteorder("<")).astype(ctype.dtype).reshape(dims)
    if ctype.bits == 8:
        return buf.view(ctype.dtype).reshape(dims).copy()
    res = np.empty((1, n), _U8)
    k = kernels()
    if ctype.bits == 2:
        k.onnxq_unpack2(buf.reshape(1, -1), res)
    else:
        k.floats_unpack_nibbles(buf.reshape(1, -1), res)
    return res.view(ctype.dtype).reshape(dims)

