"""n-bit affine codes: scale and zero point, per tensor or per channel (docs/affine.md)."""

from __future__ import annotations

import math
import operator

import numpy as np

from . import _arrays as A
from . import _threads
from ._backend import kernels, torch_path

__all__ = ["affine_qparams", "quantize_func", "dequantize_func", "code_range"]

#: Integer dtypes the decode kernel reads as they are; any other codes become int32 first.
_NATIVE_CODES = tuple(np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32))
_NATIVE_IDS = frozenset(id(t) for t in _NATIVE_CODES)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_F32, _I32 = np.dtype(np.float32), np.dtype(np.int32)
#: Up to this many channels, scales and zero points are checked as Python numbers.
_FEW = 64
#: Read-only one-element parameter arrays of recent per-tensor calls, by (dtype, value): making
#: a new one costs more than the rest of a small call's checks. Cleared when it grows large.
_SCALARS: dict = {}


#: The same arrays by the caller's own Python float scale / int zero point (a float scale
#: that rounds to an invalid float32 raises before it is stored; equal floats round alike).
_SCALE_OF: dict = {}
_ZERO_POINT_OF: dict = {}


def _remember(cache: dict, key, arr: np.ndarray) -> np.ndarray:
    if len(cache) >= 256:
        cache.clear()
    cache[key] = arr
    return arr


def _scalar_array(value, dtype: np.dtype) -> np.ndarray:
    key = (dtype.char, value)
    arr = _SCALARS.get(key)
    if arr is None:
        if len(_SCALARS) >= 256:
            _SCALARS.clear()
        arr = np.array((value,), dtype)
        arr.flags.writeable = False
        _SCALARS[key] = arr
    return arr


def _n_bits(n_bits) -> int:
    if not isinstance(n_bits, (bool, np.bool_)):
        try:
            value = operator.index(n_bits)
        except TypeError:
            value = None
        if value is not None and 2 <= value <= 16:
            return value
    raise ValueError(f"n_bits: expected an integer in 2..16, got {A._short(n_bits)}")


def _signed(signed) -> bool:
    if not isinstance(signed, (bool, np.bool_)):
        raise ValueError(f"signed: expected True or False, got {A._short(signed)}")
    return bool(signed)


def code_range(n_bits: int = 8, *, signed: bool = True) -> tuple:
    """``(qmin, qmax)`` of ``n_bits`` codes: ``(-2**(n_bits-1), 2**(n_bits-1) - 1)`` signed,
    ``(0, 2**n_bits - 1)`` unsigned.

    >>> code_range(8), code_range(4, signed=False)
    ((-128, 127), (0, 15))
    """
    n_bits, signed = _n_bits(n_bits), _signed(signed)
    if signed:
        return -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
    return 0, 2**n_bits - 1


def _code_dtype(n_bits: int, signed: bool) -> np.dtype:
    """The smallest integer dtype that holds the codes."""
    if signed:
        return np.dtype(np.int8 if n_bits <= 8 else np.int16)
    return np.dtype(np.uint8 if n_bits <= 8 else np.uint16)


def _ndim(value, name: str) -> int:
    """``np.ndim(value)``, with NumPy's own error for ragged or too deeply nested lists turned
    into a ``ValueError`` that names the argument."""
    try:
        return np.ndim(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: expected a number or a 1-D array of numbers, got {A._describe(value)} ({exc})") from None


def _real(value, name: str) -> float:
    """A finite Python float from a real scalar (no bools, strings or arrays of size > 1)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None or _ndim(value, name) != 0:
        raise ValueError(f"{name}: expected a finite real number, got {A._describe(value)}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a finite real number, got {A._describe(value)}") from None
    if not math.isfinite(result):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return result


def affine_qparams(alpha, beta, n_bits=8, *, signed=True):
    """Scale and zero point that map the float range ``[alpha, beta]`` onto ``n_bits`` codes.

    With ``(qmin, qmax) = code_range(n_bits, signed=signed)``, in Python floats::

        scale      = (beta - alpha) / (qmax - qmin)
        zero_point = int((beta * qmin - alpha * qmax) / (beta - alpha))   # int truncates

    ``alpha >= beta``, a non-finite bound or ``n_bits`` outside 2..16 is a ``ValueError``, as
    is a range whose scale is not a finite float32 > 0 or whose zero point leaves
    [-2**30, 2**30] (parameters :func:`quantize_func` could not use).

    >>> affine_qparams(-100, 80)
    (0.7058823529411765, 13)
    >>> affine_qparams(-100, 80, signed=False)
    (0.7058823529411765, 141)
    """
    n_bits, signed = _n_bits(n_bits), _signed(signed)
    a, b = _real(alpha, "alpha"), _real(beta, "beta")
    if not a < b:
        raise ValueError(f"alpha: expected alpha < beta, got alpha={a!r}, beta={b!r}")
    qmin, qmax = code_range(n_bits, signed=signed)
    scale = (b - a) / (qmax - qmin)
    zero_point = (b * qmin - a * qmax) / (b - a)
    with np.errstate(over="ignore", under="ignore"):
        scale32 = np.float32(scale)
    if not (math.isfinite(scale) and math.isfinite(scale32) and scale32 > 0):
        raise ValueError(
            f"beta: beta - alpha = {b - a!r} gives a scale {scale!r} that is not a finite float32 > 0"
        )
    if not (math.isfinite(zero_point) and abs(zero_point) < A.ZERO_POINT_LIMIT + 1):
        raise ValueError(
            f"alpha: the range [{a!r}, {b!r}] gives a zero point {zero_point!r} outside [-2**30, 2**30]"
        )
    return scale, int(zero_point)


def _axis(axis, ndim: int):
    """``axis`` normalised to [0, ndim), or None for per-tensor parameters."""
    if axis is None:
        return None
    if type(axis) is int and 0 <= axis < ndim:  # the common case (bool is not exactly int)
        return axis
    if isinstance(axis, (bool, np.bool_)):
        raise ValueError(f"axis: expected an integer or None, got {A._short(axis)}")
    try:
        value = operator.index(axis)
    except TypeError:
        raise ValueError(f"axis: expected an integer or None, got {A._describe(axis)}") from None
    if ndim == 0:
        raise ValueError("axis: a 0-d array has no axis; use axis=None for a per-tensor scale")
    if not -ndim <= value < ndim:
        raise ValueError(f"axis: expected an integer in [{-ndim}, {ndim - 1}] for a {ndim}-d array, got {value}")
    return value % ndim


def _dims(shape: tuple, axis) -> tuple:
    """``(outer, C, inner)``: the shape seen around ``axis`` (``(1, 1, size)`` per tensor)."""
    if axis is None:
        return 1, 1, math.prod(shape)
    if len(shape) == 2:  # the common per-channel case, without slicing
        return (1, shape[0], shape[1]) if axis == 0 else (shape[0], shape[1], 1)
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])


def _per_channel(values, name: str, axis: int, channels: int) -> np.ndarray:
    """A 1-D array of one value per channel; a scalar applies to every channel."""
    if _ndim(values, name) == 0:
        return None
    try:
        arr, _ = A.to_numpy(values, name, want_float=True)
    except TypeError as exc:  # parameters are values, not codes: a wrong one is a ValueError
        raise ValueError(str(exc)) from None
    if arr.ndim != 1 or arr.shape[0] != channels:
        raise ValueError(
            f"{name}: expected a scalar or a 1-D array of length {channels} (x.shape[{axis}]), "
            f"got {A.describe_given(values, arr)}"
        )
    return arr


def _py_scales_fit(scales, channels: int) -> bool:
    """Whether ``scales`` is the caller's C-contiguous float32 array of ``channels`` (at most
    ``_FEW``) finite values > 0, which :func:`_scales` returns as it is (the general path
    would neither convert nor copy it). The compiled ``scales_fit`` answers the same, faster."""
    if type(scales) is np.ndarray and scales.dtype is _F32 and 0 < channels <= _FEW:
        flags = scales.flags
        if scales.shape == (channels,) and flags.c_contiguous and flags.aligned:
            values = scales.tolist()
            total = sum(values)  # NaN if any is NaN, inf if any is +inf (doubles: no overflow)
            return total == total and total != math.inf and min(values) > 0.0
    return False


def _py_zero_points_fit(zero_point, channels: int, limit: int) -> bool:
    """As :func:`_py_scales_fit`, for int32 zero points in ``[-limit, limit]``."""
    if type(zero_point) is np.ndarray and zero_point.dtype is _I32 and 0 < channels <= _FEW:
        flags = zero_point.flags
        if zero_point.shape == (channels,) and flags.c_contiguous and flags.aligned:
            values = zero_point.tolist()
            return min(values) >= -limit and max(values) <= limit
    return False


try:  # compiled with the kernels
    from ._kernels._quickcheck import scales_fit as _scales_fit
    from ._kernels._quickcheck import zero_points_fit as _zero_points_fit
except ImportError:  # pragma: no cover - the pure NumPy build
    _scales_fit, _zero_points_fit = _py_scales_fit, _py_zero_points_fit


def _scales(scales, axis, channels: int) -> np.ndarray:
    """float32 scales, one per channel, each finite and > 0 after the conversion."""
    if axis is None and type(scales) is float:  # the common case, without np.ndim / np.full
        arr = _SCALE_OF.get(scales)
        return arr if arr is not None else _remember(_SCALE_OF, scales, _scalar_array(A.scale_f32(scales, "scales"), _F32))
    if axis is not None and _scales_fit(scales, channels):
        return scales  # the common per-channel case, as the general path below would give it
    if axis is None and _ndim(scales, "scales") != 0:
        raise ValueError(
            f"scales: expected a scalar when axis is None (pass axis= for per-channel scales), "
            f"got {A._describe(scales)}"
        )
    arr = None if axis is None else _per_channel(scales, "scales", axis, channels)
    if arr is None:
        return np.full(channels if axis is not None else 1, A.scale_f32(scales, "scales"), np.float32)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"scales: expected finite floats > 0, got {A.describe_given(scales, arr)}")
    with np.errstate(over="ignore", under="ignore"):
        arr = A.contiguous(arr, np.float32)
    if 0 < arr.size <= _FEW:  # a few channels: Python's comparisons beat NumPy's ufunc calls
        values = arr.tolist()
        total = sum(values)  # NaN if any is NaN, inf if any is +inf (doubles: no overflow)
        if total == total and total != math.inf and min(values) > 0.0:
            return arr
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        raise ValueError(
            f"scales: expected finite floats > 0 (as float32), got {arr[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}"
        )
    return arr


def _zero_points(zero_point, axis, channels: int) -> np.ndarray:
    """int32 zero points, one per channel, integers in [-2**30, 2**30]."""
    if axis is None and type(zero_point) is int:  # the common case, without np.ndim / np.full
        arr = _ZERO_POINT_OF.get(zero_point)
        return arr if arr is not None else _remember(
            _ZERO_POINT_OF, zero_point, _scalar_array(A.zero_point_int(zero_point), _I32))
    if axis is not None and _zero_points_fit(zero_point, channels, A.ZERO_POINT_LIMIT):
        return zero_point  # the common per-channel case, as in _scales
    if axis is None and _ndim(zero_point, "zero_point") != 0:
        raise ValueError(
            f"zero_point: expected an integer when axis is None (pass axis= for per-channel "
            f"zero points), got {A._describe(zero_point)}"
        )
    arr = None if axis is None else _per_channel(zero_point, "zero_point", axis, channels)
    if arr is None:
        return np.full(channels if axis is not None else 1, A.zero_point_int(zero_point), np.int32)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"zero_point: expected integers, got {A.describe_given(zero_point, arr)}")
    values = arr.tolist() if 0 < arr.size <= _FEW else None  # see _scales
    if values is None or not (min(values) >= -A.ZERO_POINT_LIMIT and max(values) <= A.ZERO_POINT_LIMIT):
        A.check_range(arr, "zero_point", -A.ZERO_POINT_LIMIT, A.ZERO_POINT_LIMIT)
    return A.contiguous(arr, np.int32)


def _inputs(x, *arrays) -> tuple:
    """The arrays ``out`` must not overlap: the caller's own array and what we made of it."""
    return (x,) + arrays  # A.check_out skips what owns no memory (lists, scalars)


@torch_path
def quantize_func(x, scales, zero_point, n_bits=8, *, axis=None, signed=True, out=None, threads=None):
    """Affine quantization: ``clip(round(float32(x) / float32(scales) + float32(zero_point)),
    qmin, qmax)`` in float32, rounding half to even; ±inf saturate, NaN is a ``ValueError``.

    ``(qmin, qmax) = code_range(n_bits, signed=signed)``; the codes are int8 (``n_bits <= 8``)
    or int16, uint8 or uint16 when ``signed=False``. Per tensor (``axis=None``) ``scales`` and
    ``zero_point`` are scalars; with ``axis=k`` they are 1-D arrays of length ``x.shape[k]``
    (or scalars shared by every channel), channel ``i`` using ``scales[i]``, ``zero_point[i]``.
    ``threads``: see :mod:`fastquant._threads` (``None``: one thread up to 1M elements); the
    result is the same for any value.

    >>> quantize_func([-1.2136, 28.7341, 8.4974], 180 / 255, 13).tolist()
    [11, 54, 25]
    >>> quantize_func([[1.0, 1.0], [1.0, 1.0]], [0.5, 0.25], [0, 1], axis=0).tolist()
    [[2, 2], [5, 5]]
    """
    arr, device = A.floats(x, "x")
    n_bits, signed = _n_bits(n_bits), _signed(signed)
    qmin, qmax = code_range(n_bits, signed=signed)
    axis = _axis(axis, arr.ndim)
    dims = _dims(arr.shape, axis)
    sc = _scales(scales, axis, dims[1])
    zp = _zero_points(zero_point, axis, dims[1])
    res = A.output(out, arr.shape, _code_dtype(n_bits, signed), _inputs(x, arr, sc, zp))
    k, a, b = kernels().affine_quantize, arr.reshape(dims), res.reshape(dims)
    if threads is None and arr.size <= _threads.AUTO_MIN_SIZE:  # skip the call into _threads
        nan = k(a, b, sc, zp, qmin, qmax)
    else:
        nan = _threads.run_channels(k, a, b, sc, zp, qmin, qmax, threads=threads)
    if nan:
        raise ValueError("x: expected numbers without NaN, got NaN")
    return A.wrap(res, device)


def _codes(x_q, name: str):
    """``(C-contiguous native-endian codes the decode kernel reads, device)``: int8, uint8,
    int16, uint16, int32 as they are; other integers and floats through ``int32`` (floats
    truncate toward zero), after checking they fit."""
    if type(x_q) is np.ndarray and id(x_q.dtype) in _NATIVE_IDS:
        flags = x_q.flags
        if flags.c_contiguous and flags.aligned:
            return x_q, None  # the common case: codes the kernel reads as they are
    arr, device = A.to_numpy(x_q, name, want_float=True)
    kind = arr.dtype.kind
    if kind == "f":
        with np.errstate(invalid="ignore"):
            # compared as Python floats and ints, exactly: int32 truncation must stay in range
            ok = bool(np.isfinite(arr).all()) and (
                arr.size == 0 or (float(arr.min()) > _INT32_MIN - 1 and float(arr.max()) < _INT32_MAX + 1)
            )
        if not ok:
            raise ValueError(f"{name}: expected finite codes within the int32 range, got {A.describe_given(x_q, arr)}")
        return arr.astype(np.int32, order="C"), device
    if kind not in "iu":
        raise TypeError(f"{name}: expected integer codes (or float codes), got {A.describe_given(x_q, arr)}")
    native = arr.dtype.newbyteorder("=")
    if native in _NATIVE_CODES:
        return A.contiguous(arr, native), device
    A.check_range(arr, name, _INT32_MIN, _INT32_MAX)
    return arr.astype(np.int32, order="C"), device


@torch_path
def dequantize_func(x_q, scales, zero_point, *, axis=None, out=None, threads=None):
    """Affine decode: ``float32(scales) * float32(int32(x_q) - zero_point)``.

    The subtraction is exact (it never wraps around). ``x_q`` may hold integer codes of any
    dtype that fit int32, or float codes, which ``int32`` truncates toward zero (non-finite or
    out-of-range floats are a ``ValueError``). ``scales``, ``zero_point``, ``axis`` and
    ``threads`` are as in :func:`quantize_func`; ``out`` (C-contiguous float32 of ``x_q``'s
    shape) of at least 8 MiB is written with streaming stores.

    >>> [round(v, 4) for v in dequantize_func([11, 54, 25], 180 / 255, 13).tolist()]
    [-1.4118, 28.9412, 8.4706]
    """
    if type(x_q) is np.ndarray and threads is None and id(x_q.dtype) in _NATIVE_IDS:
        # the common small call (codes the kernel reads as they are, one thread): the
        # general path below, in the same order, without the steps that then do nothing
        flags = x_q.flags
        if flags.c_contiguous and flags.aligned and x_q.size <= _threads.AUTO_MIN_SIZE:
            axis = _axis(axis, x_q.ndim)
            dims = _dims(x_q.shape, axis)
            sc = _scales(scales, axis, dims[1])
            zp = _zero_points(zero_point, axis, dims[1])
            if out is None:
                res = np.empty(x_q.shape, _F32)
                kernels().affine_dequantize(x_q.reshape(dims), res.reshape(dims), sc, zp, False)
                return res
            res = A.check_out(out, x_q.shape, _F32, (x_q, sc, zp))
            kernels().affine_dequantize(x_q.reshape(dims), res.reshape(dims), sc, zp, A.streams(out, res))
            return res
    arr, device = _codes(x_q, "x_q")
    axis = _axis(axis, arr.ndim)
    dims = _dims(arr.shape, axis)
    sc = _scales(scales, axis, dims[1])
    zp = _zero_points(zero_point, axis, dims[1])
    res = A.output(out, arr.shape, np.float32, _inputs(x_q, arr, sc, zp))
    k, a, b = kernels().affine_dequantize, arr.reshape(dims), res.reshape(dims)
    if threads is None and arr.size <= _threads.AUTO_MIN_SIZE:  # skip the call into _threads
        k(a, b, sc, zp, A.streams(out, res))
    else:
        _threads.run_channels(k, a, b, sc, zp, A.streams(out, res), threads=threads)
    return A.wrap(res, device)
