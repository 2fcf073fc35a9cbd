"""Torch twins of :mod:`fastquant.int4` (SPEC section 3)."""

from __future__ import annotations

import math

import torch

from .. import _arrays as A
from .. import _threads
from .. import int4 as I
from .._backend import NoTorchPath
from . import _common as C

_NIBBLES: dict = {}


def _nibble_table(device: torch.device) -> torch.Tensor:
    """(256, 2) int8: the sign-extended low and high nibble of each byte (the twin's
    ``(nibble ^ 8) - 8``, computed in int32); built once per device."""
    table = _NIBBLES.get(device)
    if table is None:
        b = torch.arange(256, dtype=torch.int32, device=device)
        nibbles = torch.stack(((b & 0xF), (b >> 4)), dim=1)
        table = _NIBBLES[device] = C.settled(((nibbles ^ 8) - 8).to(torch.int8))
    return table


def _params(t: torch.Tensor, scale_method, threads) -> tuple:
    """``(scale, zero_point)`` (:func:`fastquant.int4._params`, the same checks in the same
    order): one min/max reduction on the device, then the host's own arithmetic."""
    A.choice(scale_method, "scale_method", I.SCALE_METHODS)
    if scale_method not in ("minmax", "absmax", "asymmetric"):
        raise NoTorchPath(f"scale_method={scale_method!r}")
    if t.numel() == 0:
        raise ValueError("values: expected a non-empty array (the scale is derived from the data)")
    _threads.count(threads, t.numel())
    lo, hi = torch.stack(torch.aminmax(t.reshape(-1))).tolist()  # NaN if any value is NaN
    return I._params_of_range(lo, hi, math.isfinite(lo) and math.isfinite(hi), scale_method)


def _quantize(t: torch.Tensor, scale: float, zero_point: int = 0) -> torch.Tensor:
    """``clip(round(v / scale) + zero_point, -8, 7)`` as int8: a true float32 division by the
    scale, rounding half to even, the zero point added after rounding (the twins'
    ``int4_quantize`` / ``int4_quantize_zp``)."""
    v = C.div(t, C.scalar(scale, torch.float32, t.device))
    if not zero_point:
        return C.round_clamp(v, -8, 7).to(torch.int8)
    if abs(zero_point) < 1 << 23:
        # clip(r + zp, -8, 7) == clip(r, -8 - zp, 7 - zp) + zp, every step exact in float32
        # (the bounds and the sum are integers below 2**24); huge quotients clip as in the twin
        torch.round(v, out=v).clamp_(-8 - zero_point, 7 - zero_point)
        return v.add_(C.scalar(float(zero_point), torch.float32, t.device)).to(torch.int8)
    # the twin's steps: the quotient clamped to +-2**29, rounded, plus the zero point clamped
    # to +-2**30, in int32 (no overflow: below 2**31)
    r = torch.round(v.clamp_(-(2**29), 2**29), out=v).to(torch.int32)
    r.add_(min(max(zero_point, -(2**30)), 2**30)).clamp_(-8, 7)
    return r.to(torch.int8)


def _pack(rows: torch.Tensor) -> torch.Tensor:
    """(r, n) int8 codes -> (r, ceil(n / 2)) int8 bytes, first code in the low nibble; an odd
    row is padded with a 0 code. Bytes are handled as uint8 (no int8 shift or overflow)."""
    u = rows.view(torch.uint8)
    if u.shape[1] % 2:
        u = torch.nn.functional.pad(u, (0, 1))
    pairs = u.view(u.shape[0], u.shape[1] // 2, 2) & 0xF
    return (pairs[:, :, 0] | (pairs[:, :, 1] << 4)).view(torch.int8)


def _bytes(packed, name: str) -> C.Data:
    """:func:`fastquant.int4._bytes`: int8/uint8 bytes as they are, other integers in
    [-128, 255] as their low byte; floats are a ``TypeError``."""
    if not isinstance(packed, torch.Tensor):
        arr, _ = I._bytes(packed, name)
        return C.Data(C.from_host(arr), None, arr)
    t = C.checked(packed, name)
    if t.dtype not in C.INTEGERS:
        raise TypeError(f"{name}: expected integer bytes in [-128, 255], got {C.describe(t)}")
    if t.element_size() != 1:
        C.check_range(t, name, -128, 255)
        t = (C.widen(t) & 0xFF).to(torch.uint8)
    return C.Data(t.contiguous(), packed)


def _gather_pairs(table: torch.Tensor, rows: torch.Tensor, n: int, target) -> torch.Tensor:
    """The (r, m) bytes' nibble pairs looked up in ``table`` (256, 2): (r, n) values. Each
    row of the table is gathered as one element twice as wide (int16 for int8 codes, int64 for
    float32 values: the same bytes, viewed back), a 1-D gather, which is much faster than
    gathering rows of two."""
    r, m = rows.shape
    wide = {1: torch.int16, 4: torch.int64}[table.element_size()]
    index = rows.view(torch.uint8).reshape(-1).to(torch.int32)
    if n == 2 * m and target is not None and index.numel():  # (an empty out may have any strides)
        torch.index_select(table.view(wide).view(256), 0, index, out=target.view(wide).view(r * m))
        return target
    pairs = torch.index_select(table.view(wide).view(256), 0, index).view(table.dtype).view(r, 2 * m)
    return pairs if n == 2 * m else pairs[:, :n]


def _dequantize_table(codes: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """``float32(codes - zero_point) * float32(scale)`` (the subtraction exact in int32)."""
    diff = (codes.to(torch.int32) - zero_point).to(torch.float32)
    return torch.mul(diff, C.scalar(scale, torch.float32, codes.device))


def quantize_to_int4(values, scale_method="minmax", *, threads=None):
    """:func:`fastquant.int4.quantize_to_int4` with torch operations."""
    data = C.floats(values, "values")
    scale, zero_point = _params(data.t, scale_method, threads)
    return C.result(_quantize(data.t, scale, zero_point), None, None, data, data.t.shape), scale, zero_point


def dequantize_from_int4(q, scale, zero_point=0, *, out=None, threads=None):
    """:func:`fastquant.int4.dequantize_from_int4` with torch operations."""
    data = C.integers(q, "q", -8, 7, torch.int8)
    t = data.t
    scale = A.scale_f32(scale)
    zero_point = A.zero_point_int(zero_point)
    dst = C.output(out, t.shape, torch.float32, data, (q,))
    _threads.count(threads, t.numel())
    C.check_range(t, "q", -8, 7)
    flat, target = t.reshape(-1), None if dst is None else dst.view(-1)
    s = C.scalar(scale, torch.float32, t.device)
    if abs(zero_point) < 1 << 23:
        # q - zero_point is exact in float32 here, so float32(q) - float32(zero_point) is the
        # same value (and the first op may read the int8 codes directly)
        a, o = C.first_op(flat, target)
        if zero_point:
            a = o = torch.sub(a, C.scalar(float(zero_point), torch.float32, t.device), out=o)
        res = torch.mul(a, s, out=o)
    else:
        res = torch.mul((flat.to(torch.int32) - zero_point).to(torch.float32), s, out=target)
    return C.result(res, dst, out, data, t.shape)


def pack_int4_to_int8(values, *, out=None, threads=None):
    """:func:`fastquant.int4.pack_int4_to_int8` with torch operations."""
    data = C.integers(values, "values", -8, 7, torch.int8)
    t = data.t
    rows = A.as_rows(t, "values")
    shape = tuple(t.shape[:-1]) + ((t.shape[-1] + 1) // 2,)
    dst = C.output(out, shape, torch.int8, data, (values,))
    _threads.count(threads, t.numel())
    C.check_range(t, "values", -8, 7)
    return C.result(_pack(rows), dst, out, data, shape)


def unpack_int8_to_int4(packed, n=None, *, out=None, threads=None):
    """:func:`fastquant.int4.unpack_int8_to_int4` with torch operations."""
    data = _bytes(packed, "packed")
    t = data.t
    rows = A.as_rows(t, "packed")
    n = I._unpacked_length(t.shape[-1], n)
    shape = tuple(t.shape[:-1]) + (n,)
    dst = C.output(out, shape, torch.int8, data, (packed,))
    _threads.count(threads, rows.shape[0] * n)
    res = _gather_pairs(_nibble_table(t.device), rows, n, dst)
    return C.result(res, dst, out, data, shape)


def quantize_to_packed_int4(values, scale_method="minmax", *, out=None, threads=None):
    """:func:`fastquant.int4.quantize_to_packed_int4` with torch operations."""
    data = C.floats(values, "values")
    t = data.t
    rows = A.as_rows(t, "values")
    scale, zero_point = _params(t, scale_method, threads)
    shape = tuple(t.shape[:-1]) + ((t.shape[-1] + 1) // 2,)
    dst = C.output(out, shape, torch.int8, data, (values,))
    return C.result(_pack(_quantize(rows, scale, zero_point)), dst, out, data, shape), scale, zero_point


def dequantize_packed_int4(packed, scale, zero_point=0, n=None, *, out=None, threads=None):
    """:func:`fastquant.int4.dequantize_packed_int4` with torch operations: a 512-entry table
    of the decoded nibble pairs (the same formula), gathered by byte."""
    data = _bytes(packed, "packed")
    t = data.t
    rows = A.as_rows(t, "packed")
    n = I._unpacked_length(t.shape[-1], n)
    scale = A.scale_f32(scale)
    zero_point = A.zero_point_int(zero_point)
    shape = tuple(t.shape[:-1]) + (n,)
    dst = C.output(out, shape, torch.float32, data, (packed,))
    _threads.count(threads, rows.shape[0] * n)
    table = _dequantize_table(_nibble_table(t.device), scale, zero_point)
    res = _gather_pairs(table, rows, n, dst)
    return C.result(res, dst, out, data, shape)
