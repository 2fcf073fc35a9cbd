"""Torch twins of :mod:`fastquant.embeddings` (SPEC section 2)."""

from __future__ import annotations

import torch

from .. import _arrays as A
from .. import _threads
from .. import embeddings as E
from . import _calibrated
from . import _common as C

_DTYPE = {"int8": torch.int8, "uint8": torch.uint8, "binary": torch.int8, "ubinary": torch.uint8}
_SIGN_TABLES: dict = {}


def _sign_table(device: torch.device) -> torch.Tensor:
    """(256, 8) float32: the +-1.0 of each byte's bits, MSB first (the twin's ``unpackbits``
    then ``bits * 2 - 1``, exact); built once per device."""
    table = _SIGN_TABLES.get(device)
    if table is None:
        shifts = torch.arange(7, -1, -1, device=device)
        bits = (torch.arange(256, device=device).unsqueeze(1) >> shifts) & 1
        table = _SIGN_TABLES[device] = C.settled(bits.to(torch.float32) * 2 - 1)
    return table


def dequantize(q, quant, orig_dim=None, *, ranges=None, out=None, threads=None):
    """:func:`fastquant.embeddings.dequantize` with torch operations."""
    quant = A.choice(quant, "quant", E.QUANTS)
    if ranges is not None:  # SPEC 10
        return _calibrated.decode(q, quant, orig_dim, ranges, out, threads)
    if quant == "fp8":
        data = C.floats_passthrough(q, "q")
        E._same_dim(orig_dim, data.t)
        dst = C.output(out, data.t.shape, torch.float32, data, (q,))
        _threads.count(threads, data.t.numel())
        res = C.to_float32_exact(data.t)
        if dst is None and (res is data.t or res.data_ptr() == data.t.data_ptr()):
            res = res.clone()  # always a new tensor, never the caller's own
        return C.result(res, dst, out, data, data.t.shape)
    _, lo, hi = E._CODES[quant]
    data = C.integers(q, "q", lo, hi, _DTYPE[quant])
    t = data.t
    if quant in E._FLIP:
        rows = A.as_rows(t, "q").view(torch.uint8)
        n = E._orig_dim(orig_dim, t.shape[-1])
        shape = tuple(t.shape[:-1]) + (n,)
        dst = C.output(out, shape, torch.float32, data, (q,))
        _threads.count(threads, rows.shape[0] * n)
        r, m = rows.shape
        index = rows.reshape(-1).to(torch.int32)
        if E._FLIP[quant]:
            index.bitwise_xor_(E._FLIP[quant])  # "binary": b = (q + 128) mod 256, in int32
        table = _sign_table(t.device)
        if n == 8 * m:
            target = None if dst is None else dst.view(r * m, 8)
            res = torch.index_select(table, 0, index, out=target)
        else:
            res = torch.index_select(table, 0, index).view(r, 8 * m)[:, :n]
        return C.result(res, dst, out, data, shape)
    E._same_dim(orig_dim, t)
    dst = C.output(out, t.shape, torch.float32, data, (q,))
    _threads.count(threads, t.numel())
    flat, target = t.reshape(-1), None if dst is None else dst.view(-1)
    a, o = C.first_op(flat, target)
    if quant == "int8":  # float32(q) / float32(127)
        res = C.div(a, C.const(127.0, torch.float32, t.device), out=o)
    else:  # float32(q) / float32(127.5) - float32(1): two ops (one fused kernel could contract)
        res = C.div(a, C.const(127.5, torch.float32, t.device), out=o)
        res = torch.sub(res, C.const(1.0, torch.float32, t.device), out=res)
    return C.result(res, dst, out, data, t.shape)


def quantize_embeddings(x, precision, *, ranges=None, calibration_embeddings=None, out=None, threads=None):
    """:func:`fastquant.embeddings.quantize_embeddings` with torch operations."""
    precision = A.choice(precision, "precision", E.PRECISIONS)
    if ranges is not None or calibration_embeddings is not None:  # SPEC 10
        return _calibrated.encode(x, precision, ranges, calibration_embeddings, out, threads)
    data = C.floats(x, "x")
    t, dtype = data.t, _DTYPE[precision]
    if precision in E._FLIP:
        rows = A.as_rows(t, "x")
        r, n = rows.shape
        m = (n + 7) // 8
        shape = tuple(t.shape[:-1]) + (m,)
        dst = C.output(out, shape, dtype, data, (x,))
        _threads.count(threads, t.numel())
        bits = (rows > 0).view(torch.uint8)  # 0 or 1 per value
        if 8 * m != n:  # zero pad to whole bytes, as packbits does
            bits = torch.nn.functional.pad(bits, (0, 8 * m - n))
        planes = bits.view(r, m, 8)  # value j of each byte is its bit 7 - j (MSB first)
        packed = planes[:, :, 0] << 7
        for j in range(1, 8):  # OR the bit planes in: faster than a sum over groups of 8
            packed.bitwise_or_(planes[:, :, j] << (7 - j))
        if E._FLIP[precision]:
            packed = packed.bitwise_xor_(E._FLIP[precision])  # b - 128 mod 256, never in int8
        res = packed.view(dtype)
    else:
        dst = C.output(out, t.shape, dtype, data, (x,))
        _threads.count(threads, t.numel())
        flat = t.reshape(-1)
        if C.any_nan(t):
            raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
        target = None if dst is None else dst.view(-1)
        if precision == "int8":  # clip(round(x * float32(127)), -128, 127)
            v = torch.mul(flat, C.const(127.0, torch.float32, t.device))
            res = C.to_codes(C.round_clamp(v, -128, 127), dtype, target)
        else:  # clip(round((x + float32(1)) * float32(127.5)), 0, 255)
            v = torch.add(flat, C.const(1.0, torch.float32, t.device)).mul_(C.const(127.5, torch.float32, t.device))
            res = C.to_codes(C.round_clamp(v, 0, 255), dtype, target)
        return C.result(res, dst, out, data, t.shape)
    if C.any_nan(t):
        raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
    return C.result(res, dst, out, data, shape)


def calibration_ranges(embeddings, *, threads=None):
    """:func:`fastquant.embeddings.calibration_ranges` with torch operations."""
    return _calibrated.calibration_ranges(embeddings, threads)
