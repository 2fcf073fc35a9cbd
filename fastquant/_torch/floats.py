"""Torch twins of :mod:`fastquant.floats` (SPEC 8): minifloat codes, OCP MX blocks and
unsigned nibbles on the tensor's device.

Encoding is the NumPy twin's integer formula (``fastquant/_twins/floats.py``) on the float32
bit patterns viewed as int32 (every intermediate stays below 2**31), with constant shifts:
normal targets round the magnitude bits directly, subnormal targets are an exact float32
product by a power of two rounded half to even (see :func:`encode_bits`). Decoding gathers from the twin's own 256-entry
table, copied to the device once. The only float arithmetic is MX's power-of-two scaling: a
product by ``2**k`` (exact, or the same IEEE overflow/underflow on every device; denormals
are kept by torch's CPU and CUDA kernels), and where the NaN a device would produce differs
from x86's (a NaN code times a scale), the lanes are rewritten with the code's own NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import _arrays as A
from .. import _threads
from .. import floats as F
from .._minifloats import BY_NAME, FloatFormat
from .._twins import floats as T
from . import _common as C

_TABLES: dict = {}


def _table(f: FloatFormat, device: torch.device) -> torch.Tensor:
    """The twin's decode table of ``f`` (256 float32 values, their bits kept: NaN codes give
    0x7FC00000 with the code's sign) on ``device``, cached."""
    key = (f.id, device)
    t = _TABLES.get(key)
    if t is None:
        bits = torch.from_numpy(T.floats_table(f.id).view("int32").copy())
        t = _TABLES[key] = C.settled(bits.to(device).view(torch.float32))
    return t


# ---------------------------------------------------------------- the encoder

def encode_bits(x: torch.Tensor, f: FloatFormat, saturate: bool) -> torch.Tensor:
    """uint8 codes of float32 ``x`` (any shape): the NumPy twin's ``_encode`` in int32 on the
    float32 bits (see its module docstring), split by the target's exponent so that every
    shift is by a constant:

    - a normal target (``t >= 1``, i.e. ``|x| >= 2**(1 - bias)``): the twin's
      ``((t - 1) << mb) + r`` with the implicit bit in ``r`` is ``(t << mb) + m``, which is the
      magnitude bits rebased to the format's bias and rounded at bit ``23 - mb``:
      ``(a - ((127 - bias) << 23) + 2**(22 - mb) - 1 + odd) >> (23 - mb)``, ``odd`` the kept
      bit (the twin's parity ``(sig >> sh) & 1``; for e8m0, whose ``sig >> 23`` is the
      implicit 1, always 1). A rounding carry moves into the exponent by itself; ``a`` is
      capped at +inf's bits first, so no NaN payload overflows int32;
    - a subnormal target: ``r = round_half_even(sig / 2**sh)`` is ``|x| * 2**(bias + mb - 1)``
      rounded half to even: a float32 product by a power of two whose result is at least
      ``|x|`` and below ``2**mb``, hence exact (denormals kept), then ``torch.round``.

    Then overflow, the sign, NaN and e8m0's rules exactly as the twin writes them."""
    u = x.contiguous().view(torch.int32)
    mb = f.mantissa_bits
    s0 = 23 - mb
    a = u & 0x7FFFFFFF
    neg = u < 0
    normal = a.clamp(max=0x7F800000)
    odd = 1 if mb == 0 else torch.bitwise_right_shift(normal, s0).bitwise_and_(1)
    normal.sub_(((127 - f.bias) << 23) - ((1 << (s0 - 1)) - 1)).add_(odd).bitwise_right_shift_(s0)
    sub = torch.mul(a.view(torch.float32), C.const(2.0 ** (f.bias + mb - 1), torch.float32, x.device))
    # (selects with a constant are masked fills: torch.where with a Python number computes in
    # int64 on the CPU, several times slower)
    code = torch.where(a >= ((128 - f.bias) << 23), normal, torch.round(sub, out=sub).to(torch.int32))
    code.masked_fill_(code > f.max_code, f.max_code if saturate else f.inf_code)
    if f.sign_bit:
        signed = neg if f.has_negative_zero else neg & (code != 0)
        code = torch.where(signed, code | f.sign_bit, code)
    nan = a > 0x7F800000
    code.masked_fill_(nan, f.nan_code)
    if f.nan_flip:
        code.masked_fill_(nan & neg, f.nan_code ^ f.nan_flip)
    if not f.signed:  # e8m0: negatives and zero are NaN
        code.masked_fill_(neg | (a == 0), f.nan_code)
    return code.to(torch.uint8)


def float_values(x: Any, name: str, host) -> C.Data:
    """An encoder's input as float32 bit for bit as the host converts it (the NaN's sign
    decides its code, so NaN lanes are rebuilt where a device might make them canonical);
    non-tensors through the public module's own ``host(x, name)`` helper."""
    if not isinstance(x, torch.Tensor):
        arr = host(x, name)
        arr = arr[0] if isinstance(arr, tuple) else arr
        return C.Data(C.from_host(arr), None, arr)
    data = C.floats_passthrough(x, name)
    return C.Data(C.to_float32_exact(data.t).contiguous(), x)


# ---------------------------------------------------------------- arguments

def _expect(f: FloatFormat) -> str:
    return f"{f.name} codes (uint8, int8, integers in [0, {f.code_limit}]" + (
        f", an ml_dtypes {f.name} array" + (f" or a torch.{f.torch_name} tensor)" if f.torch_name else ")"))


def _bytes_of(x: Any, f: FloatFormat, name: str) -> C.Data:
    """:func:`fastquant.floats._bytes_of` for tensors: a tensor of the format's float8 dtype
    (its bytes), int8/uint8 bytes, other integers in [0, code_limit]; as uint8."""
    if not isinstance(x, torch.Tensor):
        arr, _ = F._bytes_of(x, f, name)
        return C.Data(C.from_host(arr), None, arr)
    kind = str(x.dtype).removeprefix("torch.")
    if kind.startswith(("float8", "float4")):
        if kind != f.torch_name or not f.torch_name:
            raise TypeError(f"{name}: expected {_expect(f)}, got a torch tensor of dtype {x.dtype}")
        t = C.checked(x, name)
        return C.Data(t.contiguous().view(torch.uint8), x)
    t = C.checked(x, name)
    if t.dtype not in C.INTEGERS:
        raise TypeError(f"{name}: expected {_expect(f)}, got {C.describe(t)}")
    if t.element_size() != 1:
        _check_codes(t, f, name)
        t = C.widen(t).to(torch.uint8)
    else:
        t = t.view(torch.uint8)
    return C.Data(t.contiguous(), x)


def _check_codes(t: torch.Tensor, f: FloatFormat, name: str) -> None:
    """The host's range check of wider integer codes (one device sync)."""
    if t.numel() == 0:
        return
    wide = C.widen(t)
    if t.dtype == torch.uint64 and bool((wide < 0).any()):
        bad = C._uint64_max(wide)
    else:
        lo, hi = torch.stack(torch.aminmax(wide)).tolist()
        if lo >= 0 and hi <= f.code_limit:
            return
        bad = lo if lo < 0 else hi
    raise ValueError(f"{name}: expected {f.name} codes in [0, {f.code_limit}] ({f.bits} bits), got {bad}")


def _check_width(t: torch.Tensor, f: FloatFormat, name: str) -> None:
    """fp6/fp4 bytes with bits above the format's width: the host's ``ValueError`` (one sync;
    8-bit formats have no such bytes)."""
    if f.code_limit < 255 and t.numel():
        bad = int(t.max().item())
        if bad > f.code_limit:
            raise ValueError(f"{name}: expected {f.name} codes in [0, {f.code_limit}] ({f.bits} bits), got {bad}"
                             f" (byte 0x{bad:02x})")


def _decode(t: torch.Tensor, f: FloatFormat, target) -> torch.Tensor:
    """The table lookup of uint8 codes ``t`` (1-D view), into ``target`` when given."""
    index = t.reshape(-1).to(torch.int32)
    table = _table(f, t.device)
    if target is not None and index.numel():
        return torch.index_select(table, 0, index, out=target.view(-1))
    return torch.index_select(table, 0, index)


def _mx_table(f: FloatFormat, device: torch.device) -> torch.Tensor:
    """(65536,) float32: entry ``256 * scale + code`` is what the NumPy twin's
    ``floats_dequantize_mx`` gives for that scale byte and code byte (every product exact or
    the same IEEE overflow; NaN codes keep their NaN, scale 0xFF gives 0x7FC00000), computed by
    the twin itself once per format and device: no float arithmetic, and no NaN rule, on the
    device."""
    key = ("mx", f.id, device)
    t = _TABLES.get(key)
    if t is None:
        codes = np.tile(np.arange(256, dtype=np.uint8), (256, 1)).reshape(256, 256, 1)
        values = np.empty(codes.shape, np.float32)
        T.floats_dequantize_mx(codes, values, np.arange(256, dtype=np.uint8).reshape(256, 1, 1), 256, f.id)
        bits = torch.from_numpy(values.reshape(-1).view(np.int32).copy())
        t = _TABLES[key] = C.settled(bits.to(device).view(torch.float32))
    return t


# ---------------------------------------------------------------- encode / decode

def encode(x, fmt, *, saturate=False, out=None, threads=None):
    """:func:`fastquant.floats.encode` with torch operations."""
    f = F.format_of(fmt)
    sat = F._flag(saturate, "saturate")
    data = float_values(x, "x", F._floats)
    t = data.t
    dst = C.output(out, t.shape, torch.uint8, data, (x,))
    _threads.count(threads, t.numel())
    return C.result(encode_bits(t, f, sat), dst, out, data, t.shape)


def decode(codes, fmt, *, out=None, threads=None):
    """:func:`fastquant.floats.decode` with torch operations."""
    f = F.format_of(fmt)
    data = _bytes_of(codes, f, "codes")
    t = data.t
    dst = C.output(out, t.shape, torch.float32, data, (codes,))
    _threads.count(threads, t.numel())
    res = _decode(t, f, dst)
    _check_width(t, f, "codes")
    return C.result(res, dst, out, data, t.shape)


# ---------------------------------------------------------------- OCP MX

def _blocks(shape: tuple, axis, block_size) -> tuple:
    """``(axis, block, (O, C // block, block, I))`` with the host's checks."""
    ax = F._axis(axis, len(shape))
    block = F._block(block_size, shape[ax], ax)
    o, c, i = F._three(shape, ax)
    return ax, block, (o, c // block, block, i)


def quantize_mx(x, fmt, *, block_size=32, axis=-1, threads=None):
    """:func:`fastquant.floats.quantize_mx` with torch operations: the twin's
    ``floats_quantize_mx`` (the block maximum and its exponent in int32)."""
    f = F._mx_format(fmt)
    data = float_values(x, "x", F._floats)
    t = data.t
    if t.ndim == 0:
        raise ValueError("x: expected an array with at least 1 dimension, got a 0-d array")
    ax, block, dims = _blocks(tuple(t.shape), axis, block_size)
    _threads.count(threads, t.numel())
    sshape = tuple(t.shape[:ax]) + (dims[1],) + tuple(t.shape[ax + 1:])
    xb = t.reshape(dims)
    if xb.numel() == 0:
        codes = torch.empty(t.shape, dtype=torch.uint8, device=t.device)
        scales = torch.empty(sshape, dtype=torch.uint8, device=t.device)
        return C.result(codes, None, None, data, t.shape), C.result(scales, None, None, data, sshape)
    amax = (xb.view(torch.int32) & 0x7FFFFFFF).amax(dim=2)  # (O, nb, I)
    bad = amax >= 0x7F800000
    e = amax >> 23
    # floor(log2) of a subnormal maximum: the exponent of the integer as a float32 (exact, < 2**23)
    sub = (amax.to(torch.float32).view(torch.int32) >> 23) - (127 + 149)
    floor_log2 = torch.where(e > 0, e - 127, sub)
    shared = (floor_log2 - f.emax).clamp_(-127, 127)
    shared.masked_fill_(amax == 0, -127)
    shared.masked_fill_(bad, 0)
    mult = torch.bitwise_left_shift(127 - shared, 23).view(torch.float32)
    q = encode_bits(torch.mul(xb, mult.unsqueeze(2)), f, True)
    q.masked_fill_(bad.unsqueeze(2), 0)
    scales = (shared + 127).masked_fill_(bad, 0xFF).to(torch.uint8)
    return C.result(q, None, None, data, t.shape), C.result(scales, None, None, data, sshape)


def dequantize_mx(codes, scales, fmt, *, block_size=32, axis=-1, out=None, threads=None):
    """:func:`fastquant.floats.dequantize_mx` with torch operations: decoded codes times the
    E8M0 power of two, the code's own NaN where it is one, +NaN where the scale byte is 0xFF,
    all read from a table of the twin's results for every (scale, code) byte pair."""
    f = F._mx_format(fmt)
    data = _bytes_of(codes, f, "codes")
    sdata = _bytes_of(scales, BY_NAME["float8_e8m0fnu"], "scales")
    t = data.t
    if t.ndim == 0:
        raise ValueError("codes: expected an array with at least 1 dimension, got a 0-d array")
    ax, block, dims = _blocks(tuple(t.shape), axis, block_size)
    sshape = tuple(t.shape[:ax]) + (dims[1],) + tuple(t.shape[ax + 1:])
    if tuple(sdata.t.shape) != sshape:
        raise ValueError(f"scales: expected shape {sshape} (codes' shape with axis {ax} divided by "
                         f"block_size {block}), got {tuple(sdata.t.shape)}")
    dst = C.output(out, t.shape, torch.float32, data, (codes, scales, sdata.t))
    _threads.count(threads, t.numel())
    sc = sdata.t.to(t.device) if sdata.t.device != t.device else sdata.t
    if t.numel() == 0:
        return C.result(torch.empty(t.shape, dtype=torch.float32, device=t.device), dst, out, data, t.shape)
    # one gather from the twin's own results for every (scale byte, code byte) pair
    index = torch.bitwise_left_shift(sc.reshape(dims[0], dims[1], 1, dims[3]).to(torch.int32), 8)
    index = torch.bitwise_or(index, t.reshape(dims).to(torch.int32))
    table, index = _mx_table(f, t.device), index.reshape(-1)
    y = torch.index_select(table, 0, index) if dst is None else torch.index_select(table, 0, index, out=dst.view(-1))
    _check_width(t, f, "codes")
    return C.result(y, dst, out, data, t.shape)


# ---------------------------------------------------------------- nibbles

def _nibble_codes(codes: Any, name: str) -> C.Data:
    if not isinstance(codes, torch.Tensor):
        arr, _ = F._nibble_codes(codes, name)
        return C.Data(C.from_host(arr), None, arr)
    return C.integers(codes, name, 0, 15, torch.uint8)


def _packed_bytes(packed: Any, name: str) -> C.Data:
    if not isinstance(packed, torch.Tensor):
        arr, _ = F._packed_bytes(packed, name)
        return C.Data(C.from_host(arr), None, arr)
    t = C.checked(packed, name)
    if t.dtype not in C.INTEGERS:
        raise TypeError(f"{name}: expected integer bytes in [-128, 255], got a tensor of dtype {t.dtype}")
    if t.element_size() != 1:
        C.check_range(t, name, -128, 255)
        t = (C.widen(t) & 0xFF).to(torch.uint8)
    return C.Data(t.contiguous().view(torch.uint8), packed)


def pack_nibbles(codes, *, out=None, threads=None):
    """:func:`fastquant.floats.pack_nibbles` with torch operations."""
    data = _nibble_codes(codes, "codes")
    t = data.t
    rows = A.as_rows(t, "codes")
    shape = tuple(t.shape[:-1]) + ((t.shape[-1] + 1) // 2,)
    dst = C.output(out, shape, torch.uint8, data, (codes,))
    _threads.count(threads, t.numel())
    C.check_range(t, "codes", 0, 15)
    u = rows
    if u.shape[1] % 2:
        u = torch.nn.functional.pad(u, (0, 1))
    pairs = u.reshape(u.shape[0], u.shape[1] // 2, 2) & 0xF
    return C.result(pairs[:, :, 0] | (pairs[:, :, 1] << 4), dst, out, data, shape)


def unpack_nibbles(packed, n=None, *, out=None, threads=None):
    """:func:`fastquant.floats.unpack_nibbles` with torch operations."""
    data = _packed_bytes(packed, "packed")
    t = data.t
    rows = A.as_rows(t, "packed")
    n = F._unpacked_length(t.shape[-1], n)
    shape = tuple(t.shape[:-1]) + (n,)
    dst = C.output(out, shape, torch.uint8, data, (packed,))
    _threads.count(threads, rows.shape[0] * n)
    full = torch.stack((rows & 0xF, rows >> 4), dim=2).reshape(rows.shape[0], 2 * rows.shape[1])
    return C.result(full[:, :n], dst, out, data, shape)
