"""int4 codes: quantize, dequantize, nibble pack/unpack, and the fused pairs (docs/int4.md)."""

from __future__ import annotations

import math

import numpy as np

from . import _arrays as A
from . import _threads
from ._backend import kernels, torch_path

__all__ = [
    "quantize_to_int4",
    "dequantize_from_int4",
    "pack_int4_to_int8",
    "unpack_int8_to_int4",
    "quantize_to_packed_int4",
    "dequantize_packed_int4",
]

SCALE_METHODS = ("minmax", "absmax", "asymmetric")


def _params(values: np.ndarray, scale_method: str, threads) -> tuple:
    """``(scale, zero_point)`` from one pass over ``values`` (which also rejects non-finite
    data and empty input), all arithmetic in float32:

    - "minmax": ``(max - min) / 15``, zero point 0; "absmax": ``max(|v|) / 7``, zero point 0;
      a scale of 0 becomes 1.0.
    - "asymmetric": ``(max - min) / 15``; where that is 0 (all values equal) ``max(|v|) / 8``,
      and 1.0 if that is 0 too; zero point ``-8 - round(min / scale)``, so ``min`` gets code -8.
      Its magnitude stays below 2**29 + 8 (``|v / scale| < 15 * 2**25`` for float32 data).
    """
    A.choice(scale_method, "scale_method", SCALE_METHODS)
    if values.size == 0:
        raise ValueError("values: expected a non-empty array (the scale is derived from the data)")
    parts = _threads.map_flat(kernels().int4_range, values, threads=threads)
    if len(parts) == 1:
        lo, hi, finite = parts[0]
    else:
        lo, hi = min(p[0] for p in parts), max(p[1] for p in parts)
        finite = all(p[2] for p in parts)
    return _params_of_range(lo, hi, finite, scale_method)


def _params_of_range(lo: float, hi: float, finite: bool, scale_method: str) -> tuple:
    """``(scale, zero_point)`` of :func:`_params` from the data's float32 ``lo`` and ``hi``
    (and whether every value is finite): the checks and the arithmetic after the one pass,
    shared with the torch path, which reduces on the device."""
    if not finite:
        raise ValueError("values: expected finite numbers, got NaN or +-inf")
    # float32 arithmetic, emulated exactly by A.f32 (cheaper than NumPy scalars)
    if scale_method == "absmax":
        scale = A.f32(max(-lo, hi) / 7.0)
    else:
        scale = A.f32(A.f32(hi - lo) / 15.0)
    if scale == math.inf:
        raise ValueError("values: the range of values overflows a float32 scale")
    if scale_method != "asymmetric":
        return (1.0 if scale == 0 else scale), 0
    if scale == 0:  # one value (or a range below float32's resolution): exact for a constant
        scale = A.f32(max(-lo, hi) / 8.0) or 1.0
    # round() is half to even; lo / scale in float64 then float32 is the float32 quotient
    return scale, -8 - round(A.f32(lo / scale))


_INT8 = np.dtype(np.int8)


def _codes(values, name: str):
    return A.integers(values, name, -8, 7, _INT8)


def _bytes(packed, name: str):
    """Packed bytes as int8: int8/uint8 arrays as they are, other integers in [-128, 255]."""
    if type(packed) is np.ndarray and packed.dtype is _INT8 and packed.flags.c_contiguous:
        return packed, None
    arr, device = A.to_numpy(packed, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer bytes in [-128, 255], got {A.describe_given(packed, arr)}")
    if arr.dtype.itemsize != 1:
        A.check_range(arr, name, -128, 255)
        arr = (arr & 0xFF).astype(np.uint8)
    return np.asarray(arr, order="C").view(np.int8), device


def _unpacked_length(m: int, n) -> int:
    if n is None:
        return 2 * m
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n: expected an integer or None, got {n!r}")
    n = int(n)
    if n < 0 or n not in (2 * m, 2 * m - 1):
        raise ValueError(f"n: expected {2 * m - 1 if m else 0} or {2 * m} (the packed axis holds {m} bytes), got {n}")
    return n


@torch_path
def quantize_to_int4(values, scale_method: str = "minmax", *, threads=None):
    """Quantize floats to int4 codes held in int8: ``(q, scale, zero_point)``, all in float32.

    - ``"minmax"`` (default): ``scale = (max - min) / 15``, ``zero_point = 0``,
      ``q = clip(round(v / scale), -8, 7)``. The codes stay centred on 0 whatever the data,
      so data that does not straddle zero clips: on uniform [0, 1] data every value above 0.5
      gets code 7 (7/15 when decoded).
    - ``"absmax"``: ``scale = max(|v|) / 7``, ``zero_point = 0``, ``q`` as for minmax.
      For both, a scale of 0 becomes 1.0.
    - ``"asymmetric"``: ``scale = (max - min) / 15`` (where that is 0, ``max(|v|) / 8``, or
      1.0), ``zero_point = -8 - round(min / scale)`` (an int, so ``min`` maps to -8), and
      ``q = clip(round(v / scale) + zero_point, -8, 7)``: the zero point is added after
      rounding, so each value gets the grid point ``(q - zero_point) * scale`` nearest to
      ``v / scale``; :func:`dequantize_from_int4` ``(q, scale, zero_point)`` decodes.

    Rounding is half to even, ``v / scale`` a true float32 division. ``q`` has the shape of ``values``,
    ``scale`` is a Python float, ``zero_point`` an int. Empty or non-finite input is a
    ``ValueError``. ``threads``: see :mod:`fastquant._threads` (``None``: one thread up to 1M
    elements); the result is the same for any value.

    >>> q, scale, zp = quantize_to_int4([-1.5, 0.0, 1.5], "absmax")
    >>> q.tolist(), scale, zp
    ([-7, 0, 7], 0.2142857164144516, 0)
    >>> q, scale, zp = quantize_to_int4([0.0, 0.5, 1.5], "asymmetric")
    >>> q.tolist(), scale, zp
    ([-8, -3, 7], 0.10000000149011612, -8)
    """
    arr, device = A.floats(values, "values")
    scale, zero_point = _params(arr, scale_method, threads)
    out = np.empty(arr.shape, np.int8)
    if zero_point:
        _threads.run(kernels().int4_quantize_zp, arr, out, scale, zero_point, threads=threads)
    else:
        _threads.run(kernels().int4_quantize, arr, out, scale, threads=threads)
    return A.wrap(out, device), scale, zero_point


@torch_path
def dequantize_from_int4(q, scale, zero_point=0, *, out=None, threads=None):
    """``float32(q - zero_point) * float32(scale)`` for int4 codes in [-8, 7].

    ``out``: a C-contiguous float32 array of ``q``'s shape to write into (one of at least
    8 MiB is written with streaming stores); ``threads`` as in :func:`quantize_to_int4`.

    >>> dequantize_from_int4([-7, 0, 7], 0.5).tolist()
    [-3.5, 0.0, 3.5]
    """
    arr, device = _codes(q, "q")
    scale = A.scale_f32(scale)
    zero_point = A.zero_point_int(zero_point)
    res = A.output(out, arr.shape, np.float32, (arr, q))
    stream = A.streams(out, res)
    if _threads.run(kernels().int4_dequantize, arr, res, scale, zero_point, stream, threads=threads):
        A.check_range(arr, "q", -8, 7)
    return A.wrap(res, device)


@torch_path
def pack_int4_to_int8(values, *, out=None, threads=None):
    """Pack int4 codes two to a byte along the last axis, the first code in the low nibble:
    ``out[..., i] = (v[..., 2i] & 0xF) | ((v[..., 2i+1] & 0xF) << 4)``; an odd last axis is
    padded with a 0 code. ``threads`` as in :func:`quantize_to_int4` (bytes are never split).

    >>> pack_int4_to_int8([1, -1, 7]).tolist()
    [-15, 7]
    """
    arr, device = _codes(values, "values")
    rows = A.as_rows(arr, "values")
    shape = arr.shape[:-1] + ((arr.shape[-1] + 1) // 2,)
    res = A.output(out, shape, np.int8, (arr, values))
    if _threads.run(kernels().int4_pack, rows, res.reshape(rows.shape[0], shape[-1]), threads=threads, unit=(2, 1)):
        A.check_range(arr, "values", -8, 7)
    return A.wrap(res, device)


@torch_path
def unpack_int8_to_int4(packed, n=None, *, out=None, threads=None):
    """Inverse of :func:`pack_int4_to_int8`: sign-extended int4 codes as int8, shape
    ``packed.shape[:-1] + (n,)`` with ``n`` = ``2 * packed.shape[-1]`` by default, or one
    less to drop the pad nibble. ``threads`` as in :func:`quantize_to_int4`.

    >>> unpack_int8_to_int4([-15, 7], n=3).tolist()
    [1, -1, 7]
    """
    arr, device = _bytes(packed, "packed")
    rows = A.as_rows(arr, "packed")
    n = _unpacked_length(arr.shape[-1], n)
    shape = arr.shape[:-1] + (n,)
    res = A.output(out, shape, np.int8, (arr, packed))
    _threads.run(kernels().int4_unpack, rows, res.reshape(rows.shape[0], n), threads=threads, unit=(1, 2))
    return A.wrap(res, device)


@torch_path
def quantize_to_packed_int4(values, scale_method: str = "minmax", *, out=None, threads=None):
    """:func:`quantize_to_int4` and :func:`pack_int4_to_int8` in one pass:
    ``(packed, scale, zero_point)``, packed along the last axis; ``scale_method`` and
    ``threads`` as in :func:`quantize_to_int4`.

    >>> packed, scale, zp = quantize_to_packed_int4([-1.5, 0.0, 1.5], "absmax")
    >>> packed.tolist()
    [9, 7]
    """
    arr, device = A.floats(values, "values")
    rows = A.as_rows(arr, "values")
    scale, zero_point = _params(arr, scale_method, threads)
    shape = arr.shape[:-1] + ((arr.shape[-1] + 1) // 2,)
    res = A.output(out, shape, np.int8, (arr, values))
    packed = res.reshape(rows.shape[0], shape[-1])
    if zero_point:
        _threads.run(kernels().int4_quantize_pack_zp, rows, packed, scale, zero_point, threads=threads, unit=(2, 1))
    else:
        _threads.run(kernels().int4_quantize_pack, rows, packed, scale, threads=threads, unit=(2, 1))
    return A.wrap(res, device), scale, zero_point


@torch_path
def dequantize_packed_int4(packed, scale, zero_point=0, n=None, *, out=None, threads=None):
    """:func:`unpack_int8_to_int4` and :func:`dequantize_from_int4` in one pass: packed bytes
    straight to float32, ``n`` as in :func:`unpack_int8_to_int4`; ``out`` and ``threads`` as
    in :func:`dequantize_from_int4`.

    >>> dequantize_packed_int4([9, 7], 0.5, n=3).tolist()
    [-3.5, 0.0, 3.5]
    """
    arr, device = _bytes(packed, "packed")
    rows = A.as_rows(arr, "packed")
    n = _unpacked_length(arr.shape[-1], n)
    scale = A.scale_f32(scale)
    zero_point = A.zero_point_int(zero_point)
    shape = arr.shape[:-1] + (n,)
    res = A.output(out, shape, np.float32, (arr, packed))
    _threads.run(kernels().int4_unpack_dequantize, rows, res.reshape(rows.shape[0], n), scale,
                 zero_point, A.streams(out, res), threads=threads, unit=(1, 2))
    return A.wrap(res, device)
