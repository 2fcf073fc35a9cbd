"""Torch twins of :mod:`fastquant.gguf` (SPEC 7): the GGUF block decoders on the tensor's device.

Each block function restates the NumPy twin of its type (``fastquant/_twins/gguf_decode.py``,
``gguf_decode_iq.py``, themselves gguf-py 0.19.0's ``dequantize_blocks``) with torch
operations on a ``(blocks, type_size)`` uint8 tensor: the same float32 operations in the same
order (one ATen op each, never fused), fp16 scales converted by torch's exact float16 ->
float32 cast, integer fields taken apart with shifts and masks on uint8/int32/int64, lookup
tables (grids, sign bytes, kvalues) copied to the device once and cached there.

NaN: a block type's NaN can only come from an fp16 scale that is +-inf or NaN; the block
functions return which blocks have one, and only when some block does (one flag read back)
is every NaN of the result rewritten as the quiet NaN 0x7FC00000 (the twins' rule; a GPU's
own NaN would be 0x7FFFFFFF). F32, F16 and BF16 keep every bit.
"""

from __future__ import annotations

from typing import Optional

import torch

from .. import _arrays as A
from .. import _threads
from .. import gguf as G
from .._gguf_tables import table as _host_table
from . import _common as C

_CANON_NAN = 0x7FC00000
_TABLES: dict = {}


def _table(name: str, device: torch.device, dtype=torch.float32) -> torch.Tensor:
    """gguf-py's table ``name`` on ``device`` as ``dtype`` (grids: float32 rows of 4 or 8),
    copied there once and cached."""
    key = (name, device, dtype)
    t = _TABLES.get(key)
    if t is None:
        host = torch.from_numpy(_host_table(name).copy())
        t = _TABLES[key] = C.settled(host.to(device).to(dtype))
    return t


def _canon(device: torch.device) -> torch.Tensor:
    key = ("canon_nan", device)
    t = _TABLES.get(key)
    if t is None:
        t = _TABLES[key] = C.settled(torch.full((), _CANON_NAN, dtype=torch.int32, device=device).view(torch.float32))
    return t


def _f(value: float, device: torch.device) -> torch.Tensor:
    return C.const(value, torch.float32, device)


# ---------------------------------------------------------------- fields of a block

def _u16(b: torch.Tensor, at: int) -> torch.Tensor:
    """The little-endian uint16 at byte ``at`` of every block, as (n,) int32."""
    return b[:, at].to(torch.int32) | (b[:, at + 1].to(torch.int32) << 8)


def _u16s(q: torch.Tensor) -> torch.Tensor:
    """(n, 2k) bytes -> (n, k) little-endian uint16 as int32."""
    pairs = q.reshape(q.shape[0], -1, 2).to(torch.int32)
    return pairs[:, :, 0] | (pairs[:, :, 1] << 8)


def _u32s(q: torch.Tensor) -> torch.Tensor:
    """(n, 4k) bytes -> (n, k) little-endian uint32 as int64."""
    w = _u16s(q).to(torch.int64)
    return w[:, 0::2] | (w[:, 1::2] << 16)


def _half(b: torch.Tensor, at: int) -> tuple:
    """``(values, nonfinite)``: the fp16 at byte ``at`` of every block as (n,) float32 (torch's
    cast: exact for every value but NaN payloads, which the NaN rule rewrites anyway) and
    whether it is +-inf or NaN."""
    h = b[:, at:at + 2].contiguous().view(torch.float16).reshape(-1)
    return h.to(torch.float32), (b[:, at + 1] & 0x7C) == 0x7C


def _half_of_bits(bits: torch.Tensor) -> tuple:
    """fp16 bit patterns (int32 in [0, 65535]) -> ``(float32 values, nonfinite)``."""
    signed = torch.where(bits >= 32768, bits - 65536, bits).to(torch.int16)
    return signed.view(torch.float16).to(torch.float32), (bits & 0x7C00) == 0x7C00


def _bits_of(q: torch.Tensor, count: int, width: int) -> torch.Tensor:
    """(n, k) integers -> (n, k, count): fields ``(q >> (width * i)) & (2**width - 1)``."""
    shifts = torch.arange(0, count * width, width, dtype=q.dtype, device=q.device)
    return (q.unsqueeze(-1) >> shifts) & ((1 << width) - 1)


def _nibbles(q: torch.Tensor) -> torch.Tensor:
    """(n, k) bytes -> (n, 2k): the k low nibbles, then the k high nibbles (uint8)."""
    return torch.cat((q & 15, q >> 4), dim=1)


def _nibbles_interleaved(q: torch.Tensor) -> torch.Tensor:
    """(n, k) bytes -> (n, 2k): low nibble of byte i at 2i, high nibble at 2i + 1."""
    return _bits_of(q, 2, 4).reshape(q.shape[0], -1)


def _planes(q: torch.Tensor, groups: int, count: int, width: int) -> torch.Tensor:
    """(n, groups * L) integers -> (n, groups * count * L): value ``(g * count + j) * L + l`` is
    field ``j`` (``width`` bits) of ``q[:, g * L + l]``, produced in that order by one
    broadcast shift and one mask (no transposed copy)."""
    n = q.shape[0]
    shifts = torch.arange(0, count * width, width, dtype=q.dtype, device=q.device).view(1, 1, count, 1)
    fields = (q.reshape(n, groups, 1, -1) >> shifts).bitwise_and_((1 << width) - 1)
    return fields.view(n, -1)


def _two_bit_planes(q: torch.Tensor) -> torch.Tensor:
    """(n, 64) bytes -> (n, 256) two-bit fields: value 128h + 32j + l is field j of byte 32h + l."""
    return _planes(q, 2, 4, 2)


def _times(codes: torch.Tensor, scale: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``float32(codes) * scale`` (``scale`` broadcast; the cast exact): on a GPU one op that
    reads the integer codes, on the CPU a cast then an in-place product (``_common.first_op``);
    into ``out`` (of ``codes``' shape) when given."""
    a, o = C.first_op(codes, out)
    return torch.mul(a, scale, out=o)


def _take(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[index]`` along its first axis for an integer ``index`` of any shape (uint8 would
    be a mask to torch): a 1-D gather, the trailing axes of ``values`` appended."""
    flat = torch.index_select(values, 0, index.reshape(-1).to(torch.int32))
    return flat.view(tuple(index.shape) + tuple(values.shape[1:]))


def _float(q: torch.Tensor) -> torch.Tensor:
    return q.to(torch.float32)


# ---------------------------------------------------------------- plain floats

def _aligned(b: torch.Tensor, size: int) -> torch.Tensor:
    """``b`` contiguous, at an address a ``size``-byte dtype view may start at."""
    b = b.contiguous()
    return b if b.data_ptr() % size == 0 else b.clone()


def _f32(b):
    return _aligned(b, 4).view(torch.float32).clone(), None


def _f16(b):
    h = _aligned(b, 2).view(torch.float16)
    f = C.to_float32_exact(h)  # NaN payloads as NumPy (x86) converts them
    return (f.clone() if f.data_ptr() == h.data_ptr() else f), None


def _bf16(b):
    bits = _aligned(b, 2).view(torch.int16).to(torch.int32) << 16
    return bits.view(torch.float32), None


# ---------------------------------------------------------------- legacy, 32 values

def _split_nibbles(q: torch.Tensor, scale: torch.Tensor, offset: int) -> torch.Tensor:
    """(n, k) bytes -> (n, 2k) float32 ``float32(nibble - offset) * scale`` (``scale`` (n, 1)):
    the k low nibbles, then the k high nibbles, each half computed into its place."""
    n, k = q.shape
    res = torch.empty((n, 2 * k), dtype=torch.float32, device=q.device)
    for half, nib in ((res[:, :k], q & 15), (res[:, k:], q >> 4)):
        if offset:
            nib = nib.view(torch.int8).sub_(offset)  # in [-offset, 15 - offset]: no wrap
        _times(nib, scale, half)
    return res


def _q4_0(b):
    d, bad = _half(b, 0)
    return _split_nibbles(b[:, 2:18], d.unsqueeze(1), 8), bad


def _q4_1(b):
    (d, bad), (m, bad_m) = _half(b, 0), _half(b, 2)
    return _split_nibbles(b[:, 4:20], d.unsqueeze(1), 0).add_(m.unsqueeze(1)), bad | bad_m


def _q5(b, qh_at):
    """The 32 five-bit codes: nibbles, plus bit j of the little-endian uint32 qh (bit j % 8 of
    its byte j // 8) as bit 4 of code j."""
    high = _planes(b[:, qh_at:qh_at + 4], 4, 8, 1)  # (n, 32) uint8
    return _nibbles(b[:, qh_at + 4:qh_at + 20]).bitwise_or_(high.bitwise_left_shift_(4))


def _q5_0(b):
    d, bad = _half(b, 0)
    q = _q5(b, 2).view(torch.int8).sub_(16)
    return _times(q, d.unsqueeze(1)), bad


def _q5_1(b):
    (d, bad), (m, bad_m) = _half(b, 0), _half(b, 2)
    return _times(_q5(b, 4), d.unsqueeze(1)).add_(m.unsqueeze(1)), bad | bad_m


def _q8_0(b):
    d, bad = _half(b, 0)
    return _times(b[:, 2:34].view(torch.int8), d.unsqueeze(1)), bad


# ---------------------------------------------------------------- K-quants, 256 values

def _q2_k(b):
    n = b.shape[0]
    sc = b[:, 0:16]
    (d, bad), (dmin, bad_m) = _half(b, 80), _half(b, 82)
    dl = d.unsqueeze(1) * _float(sc & 15)  # (n, 16): one per 16 values
    ml = dmin.unsqueeze(1) * _float(sc >> 4)
    q = _two_bit_planes(b[:, 16:80]).view(n, 16, 16)
    return _times(q, dl.unsqueeze(2)).sub_(ml.unsqueeze(2)).view(n, 256), bad | bad_m


def _q3_k_scales(sc):
    """(n, 12) packed bytes -> (n, 16) six-bit scales minus 32 (int8)."""
    low = _nibbles(sc[:, 0:8])
    high = _bits_of(sc[:, 8:12], 4, 2).transpose(1, 2).reshape(-1, 16)
    return (low | (high << 4)).to(torch.int8) - 32


def _q3_k(b):
    n = b.shape[0]
    d, bad = _half(b, 108)
    dl = d.unsqueeze(1) * _float(_q3_k_scales(b[:, 96:108]))  # (n, 16)
    low = _two_bit_planes(b[:, 32:96]).view(torch.int8)
    # value 32k + l takes bit k of hmask[l]; a clear bit subtracts 4
    hbit = _planes(b[:, 0:32], 1, 8, 1).view(torch.int8)
    q = low.sub_(hbit.bitwise_xor_(1).bitwise_left_shift_(2)).view(n, 16, 16)  # in [-4, 3]
    return _times(q, dl.unsqueeze(2)).view(n, 256), bad


def _k4_scales_mins(s):
    """(n, 12) packed bytes -> two (n, 8) uint8 tensors of six-bit scales and mins."""
    a, m, c = s[:, 0:4], s[:, 4:8], s[:, 8:12]
    scales = torch.cat((a & 63, (c & 15) | ((a >> 2) & 0x30)), dim=1)
    mins = torch.cat((m & 63, (c >> 4) | ((m >> 2) & 0x30)), dim=1)
    return scales, mins


def _nibble_planes(q):
    """(n, 128) bytes -> (n, 8, 32): sub-block 2c + k is nibble k of bytes 32c .. 32c + 31."""
    return _planes(q, 4, 2, 4).view(q.shape[0], 8, 32)


def _k4(b, q):
    (d, bad), (dmin, bad_m) = _half(b, 0), _half(b, 2)
    scales, mins = _k4_scales_mins(b[:, 4:16])
    dl = (d.unsqueeze(1) * _float(scales)).unsqueeze(2)
    ml = (dmin.unsqueeze(1) * _float(mins)).unsqueeze(2)
    return _times(q, dl).sub_(ml).view(b.shape[0], 256), bad | bad_m


def _q4_k(b):
    return _k4(b, _nibble_planes(b[:, 16:144]))


def _q5_k(b):
    high = _planes(b[:, 16:48], 1, 8, 1).view(-1, 8, 32)  # sub-block s: bit s of qh[l]
    return _k4(b, _nibble_planes(b[:, 48:176]).bitwise_or_(high.bitwise_left_shift_(4)))


def _q6_k(b):
    n = b.shape[0]
    d, bad = _half(b, 208)
    dl = d.unsqueeze(1) * _float(b[:, 192:208].view(torch.int8))  # (n, 16)
    # low 4 bits: value 128h + 64k + l is nibble k of ql[64h + l]
    low = _planes(b[:, 0:128], 2, 2, 4)
    # high 2 bits: value 128h + 32j + l is field j of qh[32h + l]
    high = _two_bit_planes(b[:, 128:192])
    q = low.bitwise_or_(high.bitwise_left_shift_(4)).view(torch.int8).sub_(32)  # q6 - 32 in [-32, 31]
    return _times(q.view(n, 16, 16), dl.unsqueeze(2)).view(n, 256), bad


# ---------------------------------------------------------------- ternary

def _trits(q, digits):
    """(n, k) bytes -> (n, digits * k): digit i of byte l at i * k + l, as
    ``((uint8)(byte * 3**i) * 3) >> 8`` (the uint8 product wraps, as in gguf-py)."""
    n, k = q.shape
    pow3 = torch.tensor([1, 3, 9, 27, 81][:digits], dtype=torch.uint8, device=q.device)
    scaled = q.unsqueeze(1) * pow3.unsqueeze(1)  # uint8: wraps mod 256
    return ((scaled.to(torch.int32) * 3) >> 8).reshape(n, digits * k)


def _tq1_0(b):
    d, bad = _half(b, 52)
    t = torch.cat((_trits(b[:, 0:32], 5), _trits(b[:, 32:48], 5), _trits(b[:, 48:52], 4)), dim=1)
    q = torch.sub(t, _f(1.0, b.device))
    return q.mul_(d.unsqueeze(1)), bad


def _tq2_0(b):
    d, bad = _half(b, 64)
    q = _two_bit_planes(b[:, 0:64]).view(torch.int8).sub_(1)
    return _times(q, d.unsqueeze(1)), bad


# ---------------------------------------------------------------- FP4

def _e8m0_half(e):
    """2**(e - 128) from the bits: e < 2 gives the subnormals 2**-128, 2**-127."""
    e = e.to(torch.int32)
    bits = torch.where(e < 2, torch.bitwise_left_shift(C.const(0x00200000, torch.int32, e.device), e), (e - 1) << 23)
    return bits.view(torch.float32)


def _ue4m3_half(x):
    """Half the value of unsigned E4M3 bytes (bias 7; 0x00 and 0x7F give 0; bit 7 ignored)."""
    x = x.to(torch.int32)
    exp, man = (x >> 3) & 15, x & 7
    normal = (((exp + 119) << 23) | (man << 20)).view(torch.float32)
    sub = _float(man) * _f(2.0**-10, x.device)
    v = torch.where(exp == 0, sub, normal)
    return torch.where((x == 0) | (x == 0x7F), _f(0.0, x.device), v)


def _mxfp4(b):
    d = _e8m0_half(b[:, 0])
    kv = _table("kvalues_mxfp4", b.device)
    return _take(kv, _nibbles(b[:, 1:17])).mul_(d.unsqueeze(1)), None


def _nvfp4(b):
    n = b.shape[0]
    d = _ue4m3_half(b[:, 0:4])  # (n, 4): one per 16 values
    kv = _table("kvalues_mxfp4", b.device)
    q = _nibbles(b[:, 4:36].reshape(n * 4, 8)).view(n, 4, 16)
    return _take(kv, q).mul_(d.unsqueeze(2)).view(n, 64), None


# ---------------------------------------------------------------- IQ types

def _sign_table(device: torch.device, ksigns: bool = False) -> torch.Tensor:
    """(256, 8) float32: the factor of bit j of each sign byte, -1.0 where it is set, else 1.0;
    with ``ksigns`` (128, 8): the same of ``ksigns[i]`` (the 7 sign bits of ``i`` and a parity
    bit), so a 7-bit index gives its 8 factors in one gather. Built on the device, cached."""
    key = ("signs", device, ksigns)
    t = _TABLES.get(key)
    if t is None:
        bits = (torch.arange(256, dtype=torch.int32, device=device).unsqueeze(1)
                >> torch.arange(8, dtype=torch.int32, device=device)) & 1
        t = torch.where(bits == 0, _f(1.0, device), _f(-1.0, device))
        if ksigns:
            t = _take(t, _table("ksigns", device, torch.uint8))
        t = _TABLES[key] = C.settled(t.contiguous())
    return t


def _sign_bits(signs):
    """(n, k) sign bytes -> (n, k, 8) float32 factors: -1.0 where bit j is set, else 1.0."""
    return _take(_sign_table(signs.device), signs)


def _half_scales(d, nibble_bytes):
    """IQ2_XS/IQ2_S: per 16 values ``(d * (0.5 + nibble)) * 0.25``, nibbles low first."""
    dev = d.device
    s = torch.add(_float(_nibbles_interleaved(nibble_bytes)), _f(0.5, dev))
    return (d.unsqueeze(1) * s).mul_(_f(0.25, dev))


def _db_of_aux(d, aux, factor):
    """``(d * (0.5 + (aux >> 28))) * factor`` per group of 32 values (IQ2_XXS, IQ3_XXS)."""
    dev = d.device
    s = torch.add(_float(aux >> 28), _f(0.5, dev))
    return (d.unsqueeze(1) * s).mul_(_f(factor, dev))


def _grid_signs(db, grid, signs, n, groups):
    """``db * grid * sign`` for (n, groups) scales and grid values / sign factors of 256
    values, in that order of float32 products."""
    shape = (n, groups, 256 // groups // 8, 8)
    v = grid.reshape(shape) * db.view(n, groups, 1, 1)
    return v.mul_(signs.reshape(shape)).view(n, 256)


def _iq2_xxs(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    groups = b[:, 2:66].reshape(n, 8, 8)  # 4 grid bytes, then the uint32 aux
    aux = _u32s(groups[:, :, 4:8].reshape(n, 32))  # (n, 8)
    db = _db_of_aux(d, aux, 0.25)
    signs = _take(_sign_table(b.device, ksigns=True), _bits_of(aux, 4, 7))  # (n, 8, 4, 8)
    grid = _take(_table("iq2xxs_grid", b.device), groups[:, :, 0:4])  # (n, 8, 4, 8)
    return _grid_signs(db, grid, signs, n, 8), bad


def _iq2_xs(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    q = _u16s(b[:, 2:66])  # (n, 32)
    db = _half_scales(d, b[:, 66:74])  # (n, 16)
    signs = _take(_sign_table(b.device, ksigns=True), q >> 9)  # (n, 32, 8)
    grid = _take(_table("iq2xs_grid", b.device), q & 511)  # (n, 32, 8)
    return _grid_signs(db, grid, signs, n, 16), bad


def _iq2_s(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    db = _half_scales(d, b[:, 74:82])  # (n, 16)
    high = _bits_of(b[:, 66:74], 4, 2).reshape(n, 32).to(torch.int32)  # entry k: field k % 4 of qh[k / 4]
    grid = _take(_table("iq2s_grid", b.device), b[:, 2:34].to(torch.int32) | (high << 8))  # (n, 32, 8)
    return _grid_signs(db, grid, _sign_bits(b[:, 34:66]), n, 16), bad


def _iq3_xxs(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    aux = _u32s(b[:, 66:98])  # (n, 8)
    db = _db_of_aux(d, aux, 0.5)
    signs = _take(_sign_table(b.device, ksigns=True), _bits_of(aux, 4, 7))  # (n, 8, 4, 8)
    grid = _take(_table("iq3xxs_grid", b.device), b[:, 2:66])  # (n, 64, 4): two entries per 8
    return _grid_signs(db, grid, signs, n, 8), bad


def _iq3_s(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    scale = _nibbles_interleaved(b[:, 106:110])  # (n, 8): nibble ib
    db = d.unsqueeze(1) * _float(scale * 2 + 1)  # uint8: at most 31
    high = _bits_of(b[:, 66:74], 8, 1).reshape(n, 64).to(torch.int32)  # entry k: bit k % 8 of qh[k / 8]
    grid = _take(_table("iq3s_grid", b.device), b[:, 2:66].to(torch.int32) | (high << 8))  # (n, 64, 4)
    return _grid_signs(db, grid, _sign_bits(b[:, 74:106]), n, 8), bad


def _iq1_values(dl, index, negative):
    """``dl * (grid + delta)`` for (n, k) entries of 8 values, ``dl`` (n, k) per entry,
    delta -0.125 where ``negative``, else +0.125."""
    dev = dl.device
    delta = torch.where(negative, _f(-0.125, dev), _f(0.125, dev))
    v = _take(_table("iq1s_grid", dev), index).add_(delta.unsqueeze(2))
    return v.mul_(dl.unsqueeze(2))


def _iq1_s(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    qh = _u16s(b[:, 34:50])  # (n, 8)
    dl = d.unsqueeze(1) * _float(((qh >> 12) & 7) * 2 + 1)  # (n, 8)
    high = _bits_of(qh, 4, 3).reshape(n, 32)  # entry 4ib + l: bits 3l of qh[ib]
    index = b[:, 2:34].to(torch.int32) | (high << 8)
    negative = ((qh & 0x8000) != 0).repeat_interleave(4, dim=1)  # (n, 32)
    return _iq1_values(dl.repeat_interleave(4, dim=1), index, negative).view(n, 256), bad


def _iq1_m(b):
    n = b.shape[0]
    sc = _u16s(b[:, 48:56])  # (n, 4)
    bits = (sc[:, 0] >> 12) | ((sc[:, 1] >> 8) & 0xF0) | ((sc[:, 2] >> 4) & 0xF00) | (sc[:, 3] & 0xF000)
    d, bad = _half_of_bits(bits)
    dl = d.unsqueeze(1) * _float(_bits_of(sc, 4, 3).reshape(n, 16) * 2 + 1)  # (n, 16): 3 bits each
    nib = _nibbles_interleaved(b[:, 32:48]).to(torch.int32)  # (n, 32): entry k
    index = b[:, 0:32].to(torch.int32) | ((nib & 7) << 8)
    return _iq1_values(dl.repeat_interleave(2, dim=1), index, (nib & 8) != 0).view(n, 256), bad


def _iq4_nl(b):
    d, bad = _half(b, 0)
    kv = _table("kvalues_iq4nl", b.device)
    return _take(kv, _nibbles(b[:, 2:18])).mul_(d.unsqueeze(1)), bad


def _iq4_xs(b):
    n = b.shape[0]
    d, bad = _half(b, 0)
    low = _nibbles_interleaved(b[:, 4:8])  # (n, 8)
    high = _bits_of(_u16(b, 2).unsqueeze(1), 8, 2).reshape(n, 8).to(torch.uint8)
    dl = d.unsqueeze(1) * _float((low | (high << 4)).to(torch.int8) - 32)
    kv = _table("kvalues_iq4nl", b.device)
    q = _nibbles(b[:, 8:136].reshape(n * 8, 16)).view(n, 8, 32)
    return _take(kv, q).mul_(dl.unsqueeze(2)).view(n, 256), bad


#: The block function of every type fastquant (and gguf-py) decodes.
BLOCKS = {
    "F32": _f32, "F16": _f16, "BF16": _bf16,
    "Q4_0": _q4_0, "Q4_1": _q4_1, "Q5_0": _q5_0, "Q5_1": _q5_1, "Q8_0": _q8_0,
    "Q2_K": _q2_k, "Q3_K": _q3_k, "Q4_K": _q4_k, "Q5_K": _q5_k, "Q6_K": _q6_k,
    "TQ1_0": _tq1_0, "TQ2_0": _tq2_0, "MXFP4": _mxfp4, "NVFP4": _nvfp4,
    "IQ1_S": _iq1_s, "IQ1_M": _iq1_m, "IQ2_XXS": _iq2_xxs, "IQ2_XS": _iq2_xs, "IQ2_S": _iq2_s,
    "IQ3_XXS": _iq3_xxs, "IQ3_S": _iq3_s, "IQ4_NL": _iq4_nl, "IQ4_XS": _iq4_xs,
}


def decode_blocks(b: torch.Tensor, t: "G.GGMLType") -> torch.Tensor:
    """float32 ``(n, block_size)`` values of the ``(n, type_size)`` uint8 blocks ``b`` of type
    ``t``, NaN canonical where the type's rule asks."""
    values, nonfinite = BLOCKS[t.name](b)
    if nonfinite is not None and nonfinite.numel() and bool(nonfinite.any()):  # one flag read back
        values = torch.where(torch.isnan(values), _canon(b.device), values)
    return values.view(b.shape[0], t.block_size)


# ---------------------------------------------------------------- the public function

def _data_bytes(data, t) -> C.Data:
    """:func:`fastquant.gguf._data_bytes` for tensors: the bytes of ``data`` as a uint8 tensor
    of at least one dimension (a wider integer tensor's bytes in memory; F32/F16/BF16 values
    given in their own float type as their bytes); NumPy inputs through the host's function."""
    if not isinstance(data, torch.Tensor):
        raw, _ = G._data_bytes(data, t)
        return C.Data(C.from_host(raw), None, raw)
    x = C.checked(data, "data")
    own = G._VALUE_DTYPES.get(t.name, ())
    if x.is_floating_point() and str(x.dtype).removeprefix("torch.") not in own:
        raise TypeError(f"data: {G._expected(t)}, got a {x.dtype} tensor")
    if not x.is_floating_point() and x.dtype not in C.INTEGERS:
        raise TypeError(f"data: {G._expected(t)}, got {C.describe(x)}")
    if x.ndim == 0:
        raise ValueError("data: expected an array with at least 1 dimension (the last holds the "
                         "blocks), got a 0-d Tensor")
    x = x.contiguous()
    if x.element_size() != 1 or x.dtype != torch.uint8:
        x = x.view(torch.uint8)  # C-contiguous: the last axis grows by the item size
    return C.Data(x, data)


def dequantize(data, qtype, *, out=None, threads=None):
    """:func:`fastquant.gguf.dequantize` with torch operations."""
    t = G.qtype_of(qtype)
    if t.name not in G.DECODE_TYPES:
        raise NotImplementedError(f"qtype: dequantization of {t.name} is not implemented (nor in gguf-py)")
    data_ = _data_bytes(data, t)
    raw = data_.t
    nbytes = raw.shape[-1]
    if nbytes % t.type_size:
        raise ValueError(f"data: the last axis holds {nbytes} bytes, not whole {t.name} blocks of "
                         f"{t.type_size} bytes")
    shape = tuple(raw.shape[:-1]) + (nbytes // t.type_size * t.block_size,)
    dst = C.output(out, shape, torch.float32, data_, (data,))
    rows = A.as_rows(raw, "data")
    _threads.count(threads, rows.shape[0] * shape[-1])
    blocks = rows.reshape(-1, t.type_size)
    if blocks.shape[0] == 0:
        return C.result(torch.empty(shape, dtype=torch.float32, device=raw.device), dst, out, data_, shape)
    return C.result(decode_blocks(blocks, t), dst, out, data_, shape)


def decoder(name: str) -> Optional[object]:
    """The block function of type ``name`` (tools and benchmarks)."""
    return BLOCKS.get(name)
