"""Minifloats: fp8, fp6, fp4 and E8M0 codes, OCP MX block scaling, unsigned nibble packing
(SPEC section 8). Oracle: ml_dtypes 0.6.0 ``astype`` (and ONNX Cast for ``saturate=True``);
fastquant never imports ml_dtypes or torch, yet takes their dtypes and arrays.

Codes are uint8 arrays, one code per byte in its low bits (fp6/fp4 use 6/4 bits; fp4 codes
pack two to a byte with :func:`pack_nibbles`). A format is named as ml_dtypes names it
(``"float8_e4m3fn"``, ...) or given as an ml_dtypes / torch dtype object; :data:`FORMATS` maps
each name to its traits (:class:`FloatFormat`: widths, bias, special codes, ``max``,
``emax``, its ONNX and torch names).

Kernels for other modules (e.g. ONNX QuantizeLinear): ``fastquant._backend.kernels()`` has
``floats_encode``, ``floats_decode``, ``floats_encode_scaled`` (divide by a per-tensor,
per-axis or blocked scale, then cast), ``floats_decode_scaled``, ``floats_quantize_mx``,
``floats_dequantize_mx``, ``floats_table``; each takes the format's ``id``
(``FORMATS[name].id``). docs/floats.md and csrc/README.md document their signatures.
"""

from __future__ import annotations

import math
import sys
import types

import numpy as np

from . import _arrays as A
from . import _threads
from ._backend import kernels, torch_path
from ._minifloats import BY_NAME, MX_FORMATS, FloatFormat

__all__ = [
    "encode",
    "decode",
    "quantize_mx",
    "dequantize_mx",
    "pack_nibbles",
    "unpack_nibbles",
    "format_of",
    "FORMATS",
    "MX_FORMATS",
    "FloatFormat",
]

#: Every format by its ml_dtypes name (read-only).
FORMATS = types.MappingProxyType(BY_NAME)

_UINT8, _INT8, _F32 = np.dtype(np.uint8), np.dtype(np.int8), np.dtype(np.float32)
#: ml_dtypes arrays that ``pack_nibbles`` takes as codes in [0, 15]
_NIBBLE_TYPES = ("float4_e2m1fn", "uint4")


# ------------------------------------------------------------------------------ arguments

def _dtype_name(fmt):
    """The type name of an ml_dtypes or torch dtype object (without importing either), or
    None when ``fmt`` is no such object."""
    if isinstance(fmt, np.dtype):
        return fmt.name
    if isinstance(fmt, type) and fmt.__module__.split(".")[0] == "ml_dtypes":
        return fmt.__name__
    kind = type(fmt)
    if kind.__module__ == "torch" and kind.__name__ == "dtype":
        return str(fmt).removeprefix("torch.")
    return None


def format_of(fmt, name: str = "fmt") -> FloatFormat:
    """The :class:`FloatFormat` of ``fmt``: a name of :data:`FORMATS`, a :class:`FloatFormat`,
    an ml_dtypes type or NumPy dtype of one (``ml_dtypes.float8_e4m3fn``,
    ``np.dtype(ml_dtypes.float8_e5m2)``), or a torch dtype (``torch.float8_e4m3fn``); else
    ``ValueError`` naming ``name``."""
    if type(fmt) is str:
        found = BY_NAME.get(fmt)
    elif isinstance(fmt, FloatFormat):
        return fmt
    else:
        key = _dtype_name(fmt)
        found = BY_NAME.get(key) if key is not None else None
    if found is None:
        hint = ""
        if _dtype_name(fmt) == "float4_e2m1fn_x2":
            hint = " (torch's packed fp4: unpack_nibbles() its bytes, then use 'float4_e2m1fn')"
        raise ValueError(f"{name}: expected one of {tuple(BY_NAME)} (or an ml_dtypes/torch dtype of "
                         f"one), got {A._describe(fmt)}{hint}")
    return found


def _flag(value, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}: expected True or False, got {A._short(value)}")


def _ml_name(dtype: np.dtype):
    """The ml_dtypes type name of ``dtype``, or None for NumPy's own dtypes (ml_dtypes' kinds
    vary: float8_e5m2 says "f", the others "V")."""
    return dtype.type.__name__ if dtype.type.__module__.split(".")[0] == "ml_dtypes" else None


def _floats(x, name: str):
    """Quantizer input as float32: what ``A.floats`` takes, plus ml_dtypes float arrays
    (bfloat16, float8, ...: every value is exact in float32)."""
    if isinstance(x, np.ndarray) and _ml_name(x.dtype) is not None:
        ml = _ml_name(x.dtype)
        if ml.startswith(("float", "bfloat")):
            return A.contiguous(x.astype(_F32)), None
    return A.floats(x, name)


def _torch_bytes(x, f, name: str, expect: str):
    """A torch tensor of a float8 dtype as a uint8 array (its bytes) and its device; None when
    ``x`` is not such a tensor. Its dtype must be the format's own."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(x, torch.Tensor):
        return None
    kind = str(x.dtype).removeprefix("torch.")
    if not kind.startswith(("float8", "float4")):
        return None
    if kind != f.torch_name or not f.torch_name:
        raise TypeError(f"{name}: expected {expect}, got a torch tensor of dtype {x.dtype}")
    t = x.detach()
    try:
        return t.contiguous().view(torch.uint8).cpu().numpy(), x.device
    except (TypeError, RuntimeError, NotImplementedError) as exc:
        raise TypeError(f"{name}: expected a dense tensor NumPy can hold, got {t.layout}/{t.dtype} on {t.device} ({exc})") from None


def _bytes_of(x, f, name: str):
    """``(uint8 C-contiguous array, device)`` of codes of format ``f``: uint8 or int8 arrays
    (their bytes), arrays of the format's ml_dtypes type, torch tensors of its dtype, or other
    integers in [0, code_limit]. Bits above the width in uint8/int8 bytes are the kernel's to
    report (see :func:`_check_width`)."""
    if type(x) is np.ndarray and x.dtype is _UINT8 and x.flags.c_contiguous:
        return x, None
    expect = f"{f.name} codes (uint8, int8, integers in [0, {f.code_limit}]" + (
        f", an ml_dtypes {f.name} array" + (f" or a torch.{f.torch_name} tensor)" if f.torch_name else ")"))
    got = _torch_bytes(x, f, name, expect)
    if got is not None:
        return got
    if isinstance(x, np.ndarray) and _ml_name(x.dtype) is not None:
        if _ml_name(x.dtype) != f.name:
            raise TypeError(f"{name}: expected {expect}, got {A._describe(x)}")
        return A.contiguous(x).view(_UINT8), None
    arr, device = A.to_numpy(x, name)
    if arr.size == 0 and arr.dtype == np.float64 and not isinstance(x, np.ndarray) and device is None:
        arr = arr.astype(_UINT8)  # NumPy reads an empty list as float64
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected {expect}, got {A._describe(arr)}")
    if arr.dtype.itemsize != 1:
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) > f.code_limit):
            bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
            raise ValueError(f"{name}: expected {f.name} codes in [0, {f.code_limit}] ({f.bits} bits), got {bad}")
        return A.contiguous(arr, _UINT8), device
    return A.contiguous(arr).view(_UINT8), device


def _check_width(arr: np.ndarray, f, name: str) -> None:
    """``ValueError`` for codes with bits above the format's width (the kernel said so)."""
    bad = int(arr.max())
    raise ValueError(f"{name}: expected {f.name} codes in [0, {f.code_limit}] ({f.bits} bits), got {bad}"
                     + (f" (byte 0x{bad:02x})" if bad > f.code_limit else ""))


def _axis(axis, ndim: int, name: str = "axis") -> int:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {A._short(axis)}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: expected an axis in [{-ndim}, {ndim - 1}] of an array with {ndim} dimensions, got {axis}")
    return int(axis) % ndim


def _block(block_size, length: int, axis: int) -> int:
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size: expected an integer >= 1, got {A._short(block_size)}")
    block_size = int(block_size)
    if length % block_size:
        raise ValueError(f"block_size: expected a divisor of the length of axis {axis} ({length}), got {block_size}")
    return block_size


def _three(shape: tuple, axis: int) -> tuple:
    """``(O, C, I)``: the products of the axes before ``axis``, its length, and after it."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


# ------------------------------------------------------------------------------ encode / decode

@torch_path
def encode(x, fmt, *, saturate=False, out=None, threads=None):
    """Minifloat codes of ``x``: the bit pattern of
    ``np.asarray(x, np.float32).astype(ml_dtypes.<fmt>)`` as uint8, for every float32 (+-0,
    subnormals, ties to even, overflow, +-inf, NaN), in the low bits of each byte.

    ``saturate=True`` is ONNX Cast's ``saturate=1``: finite values and +-inf beyond the largest
    finite magnitude give +-max (also for the fnuz formats; for the unsigned
    ``float8_e8m0fnu``: +inf and overflow give 0xFE); NaN, and everything else, as without it.
    Never raises on NaN: formats without NaN map it as ml_dtypes does (float4_e2m1fn: +NaN ->
    0x8). ``out``: a C-contiguous uint8 array of ``x``'s shape; ``threads``: see
    :mod:`fastquant._threads` (the result is the same for any value).

    >>> encode([1.0, -2.5, 500.0, 1e-9], "float8_e4m3fn").tolist()
    [56, 194, 127, 0]
    >>> encode([500.0, float("inf")], "float8_e4m3fn", saturate=True).tolist()
    [126, 126]
    """
    f = format_of(fmt)
    sat = _flag(saturate, "saturate")
    arr, device = _floats(x, "x")
    res = A.output(out, arr.shape, _UINT8, (arr, x))
    _threads.run(kernels().floats_encode, arr, res, f.id, sat, threads=threads)
    return A.wrap(res, device)


@torch_path
def decode(codes, fmt, *, out=None, threads=None):
    """float32 values of minifloat ``codes``: ``codes.view(ml_dtypes.<fmt>).astype(np.float32)``.

    ``codes``: uint8 or int8 bytes, an ml_dtypes array of the format's type, a torch tensor of
    its float8 dtype, or other integers in [0, 2**bits - 1]. fp6/fp4 codes with bits set above
    the format's width are a ``ValueError``. NaN codes decode to NaN (``0x7FC00000`` with the
    code's sign), and ``float8_e8m0fnu`` 0x00 to 2**-127 (a float32 subnormal). ``out``: a
    C-contiguous float32 array of the codes' shape (one of at least 8 MiB is written with
    streaming stores); ``threads`` as in :func:`encode`.

    >>> decode([56, 194, 127], "float8_e4m3fn").tolist()
    [1.0, -2.5, nan]
    """
    f = format_of(fmt)
    arr, device = _bytes_of(codes, f, "codes")
    res = A.output(out, arr.shape, _F32, (arr, codes))
    if _threads.run(kernels().floats_decode, arr, res, f.id, A.streams(out, res), threads=threads):
        _check_width(arr, f, "codes")
    return A.wrap(res, device)


# ------------------------------------------------------------------------------ OCP MX

def _mx_format(fmt) -> FloatFormat:
    f = format_of(fmt)
    if f.name not in MX_FORMATS:
        raise ValueError(f"fmt: expected an MX element format {MX_FORMATS}, got {f.name!r}")
    return f


@torch_path
def quantize_mx(x, fmt, *, block_size=32, axis=-1, threads=None):
    """OCP Microscaling (MX v1.0, section 6.3) quantization: ``(codes, scales)``.

    For each block of ``block_size`` consecutive values along ``axis`` (whose length must be a
    multiple of ``block_size``): ``amax = max |x|``; ``e = floor(log2(amax)) - emax`` with
    ``emax`` = 8, 15, 2, 4, 2 for float8_e4m3fn, float8_e5m2, float6_e2m3fn, float6_e3m2fn,
    float4_e2m1fn, where ``floor(log2(amax))`` is the exact binary exponent of the float32
    ``amax`` (subnormals included), clamped to [-127, 127] (``amax == 0``: ``e = -127``); the
    scale byte is ``e + 127`` (E8M0); the codes are ``encode(x * 2**-e, fmt, saturate=True)``,
    the product exact. A NaN or +-inf in a block gives scale byte 0xFF and all its codes 0.

    ``codes``: uint8 of ``x``'s shape; ``scales``: uint8 of ``x``'s shape with ``axis`` divided
    by ``block_size``. ``threads`` as in :func:`encode`.

    >>> codes, scales = quantize_mx([[0.5, -3.0, 6.0, 0.0]], "float4_e2m1fn", block_size=4)
    >>> codes.tolist(), scales.tolist()
    ([[1, 13, 7, 0]], [[127]])
    """
    f = _mx_format(fmt)
    arr, device = _floats(x, "x")
    if arr.ndim == 0:
        raise ValueError("x: expected an array with at least 1 dimension, got a 0-d array")
    ax = _axis(axis, arr.ndim)
    block = _block(block_size, arr.shape[ax], ax)
    o, c, i = _three(arr.shape, ax)
    codes = np.empty(arr.shape, _UINT8)
    sshape = arr.shape[:ax] + (c // block,) + arr.shape[ax + 1:]
    scales = np.empty(sshape, _UINT8)
    _threads.run_scaled(kernels().floats_quantize_mx, arr.reshape(o, c, i), codes.reshape(o, c, i),
         scales.reshape(o, c // block, i), block, f.id, threads=threads)
    return A.wrap(codes, device), A.wrap(scales, device)


def _scale_bytes(scales, name: str = "scales"):
    """E8M0 scale bytes: uint8/int8 arrays, ml_dtypes float8_e8m0fnu arrays, torch
    float8_e8m0fnu tensors, or integers in [0, 255]."""
    return _bytes_of(scales, BY_NAME["float8_e8m0fnu"], name)


@torch_path
def dequantize_mx(codes, scales, fmt, *, block_size=32, axis=-1, out=None, threads=None):
    """Inverse of :func:`quantize_mx`: ``decode(codes, fmt) * 2**(scale - 127)`` in float32
    (exact: a power of two; a product beyond float32's range is +-inf), +NaN wherever the
    scale byte is 0xFF. ``scales`` has ``codes``' shape with ``axis`` divided by
    ``block_size`` (uint8 bytes, an ml_dtypes float8_e8m0fnu array or a torch
    float8_e8m0fnu tensor). ``out``: a C-contiguous float32 array of ``codes``' shape;
    ``threads`` as in :func:`encode`.

    >>> dequantize_mx([[1, 13, 7, 0]], [[128]], "float4_e2m1fn", block_size=4).tolist()
    [[1.0, -6.0, 12.0, 0.0]]
    """
    f = _mx_format(fmt)
    arr, device = _bytes_of(codes, f, "codes")
    sc, _ = _scale_bytes(scales)
    if arr.ndim == 0:
        raise ValueError("codes: expected an array with at least 1 dimension, got a 0-d array")
    ax = _axis(axis, arr.ndim)
    block = _block(block_size, arr.shape[ax], ax)
    sshape = arr.shape[:ax] + (arr.shape[ax] // block,) + arr.shape[ax + 1:]
    if sc.shape != sshape:
        raise ValueError(f"scales: expected shape {sshape} (codes' shape with axis {ax} divided by "
                         f"block_size {block}), got {sc.shape}")
    res = A.output(out, arr.shape, _F32, (arr, codes, sc, scales))
    o, c, i = _three(arr.shape, ax)
    if _threads.run_scaled(kernels().floats_dequantize_mx, arr.reshape(o, c, i), res.reshape(o, c, i),
            sc.reshape(o, c // block, i), block, f.id, A.streams(out, res), threads=threads):
        _check_width(arr, f, "codes")
    return A.wrap(res, device)


# ------------------------------------------------------------------------------ nibbles

def _nibble_codes(codes, name: str):
    if type(codes) is np.ndarray and codes.dtype is _UINT8 and codes.flags.c_contiguous:
        return codes, None
    if isinstance(codes, np.ndarray) and _ml_name(codes.dtype) in _NIBBLE_TYPES:
        return A.contiguous(codes).view(_UINT8), None
    return A.integers(codes, name, 0, 15, _UINT8)


def _packed_bytes(packed, name: str):
    """Packed bytes as uint8: int8/uint8 arrays as they are, other integers in [-128, 255]."""
    if type(packed) is np.ndarray and packed.dtype is _UINT8 and packed.flags.c_contiguous:
        return packed, None
    arr, device = A.to_numpy(packed, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer bytes in [-128, 255], got an array of dtype {arr.dtype}")
    if arr.dtype.itemsize != 1:
        A.check_range(arr, name, -128, 255)
        arr = (arr & 0xFF).astype(_UINT8)
    return A.contiguous(arr).view(_UINT8), device


def _unpacked_length(m: int, n) -> int:
    if n is None:
        return 2 * m
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n: expected an integer or None, got {A._short(n)}")
    n = int(n)
    if n < 0 or n not in (2 * m, 2 * m - 1):
        raise ValueError(f"n: expected {2 * m - 1 if m else 0} or {2 * m} (the packed axis holds {m} bytes), got {n}")
    return n


@torch_path
def pack_nibbles(codes, *, out=None, threads=None):
    """Pack unsigned 4-bit codes (fp4, uint4: integers in [0, 15]) two to a byte along the last
    axis, the first code in the low nibble (as ONNX and Zarr do):
    ``out[..., i] = v[..., 2i] | (v[..., 2i+1] << 4)``; an odd last axis is padded with a 0
    code. The unsigned twin of :func:`fastquant.pack_int4_to_int8`; returns uint8. ``codes``
    may also be an ml_dtypes float4_e2m1fn or uint4 array. ``threads`` as in :func:`encode`.

    >>> pack_nibbles([1, 15, 7]).tolist()
    [241, 7]
    """
    arr, device = _nibble_codes(codes, "codes")
    rows = A.as_rows(arr, "codes")
    shape = arr.shape[:-1] + ((arr.shape[-1] + 1) // 2,)
    res = A.output(out, shape, _UINT8, (arr, codes))
    if _threads.run(kernels().floats_pack_nibbles, rows, res.reshape(rows.shape[0], shape[-1]),
                    threads=threads, unit=(2, 1)):
        A.check_range(arr, "codes", 0, 15)
    return A.wrap(res, device)


@torch_path
def unpack_nibbles(packed, n=None, *, out=None, threads=None):
    """Inverse of :func:`pack_nibbles`: codes in [0, 15] as uint8, shape
    ``packed.shape[:-1] + (n,)`` with ``n`` = ``2 * packed.shape[-1]`` by default, or one less
    to drop the pad nibble. ``packed``: int8 or uint8 bytes, or integers in [-128, 255].
    ``threads`` as in :func:`encode`.

    >>> unpack_nibbles([241, 7], n=3).tolist()
    [1, 15, 7]
    """
    arr, device = _packed_bytes(packed, "packed")
    rows = A.as_rows(arr, "packed")
    n = _unpacked_length(arr.shape[-1], n)
    shape = arr.shape[:-1] + (n,)
    res = A.output(out, shape, _UINT8, (arr, packed))
    _threads.run(kernels().floats_unpack_nibbles, rows, res.reshape(rows.shape[0], n), threads=threads, unit=(1, 2))
    return A.wrap(res, device)
