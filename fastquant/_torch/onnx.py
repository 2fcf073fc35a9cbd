"""Torch twins of :mod:`fastquant.onnx` (SPEC 9): QuantizeLinear, DequantizeLinear and
DynamicQuantizeLinear computed on the tensor's device.

Every argument but the data is validated by the public module's own helpers (scales, zero
points, layouts, code types: small host values, then copied to the device). The arithmetic
restates the NumPy twins (``fastquant/_twins/onnxq.py`` for integer codes,
``fastquant/_twins/floats.py``'s scaled kernels for float codes): a true float32 division by
a scale tensor on the data's device, ``torch.round`` (half to even), the zero point added
after rounding by clamping to ``[qmin - zp, qmax - zp]`` first (exact in float32: every bound
and sum is an integer below 2**17), float codes by the minifloat encoder's int32 formula.

Results stay what SPEC 9 says they are for every input: NumPy arrays of the type's
``onnx.numpy_helper.to_array`` dtype (ml_dtypes for sub-byte and float codes, which torch
lacks). A device tensor is therefore computed on its device and only the result crosses to
the host, once, at the end (its codes, 1-2 bytes a value, for ``quantize_linear``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import _arrays as A
from .. import _threads
from .. import onnx as O
from .._minifloats import BY_NAME
from . import _common as C
from .floats import _table, encode_bits, float_values

#: Torch dtype the codes of each storage dtype are computed in (uint16 through int16 bits).
_STORAGE = {np.dtype(np.int8): torch.int8, np.dtype(np.uint8): torch.uint8, np.dtype(np.int16): torch.int16,
            np.dtype(np.uint16): torch.uint16}


def _to_host(res: torch.Tensor, storage: np.dtype) -> np.ndarray:
    """The result's bytes as a NumPy array of ``storage`` (no copy for a CPU tensor)."""
    if res.dtype == torch.uint16:
        return res.view(torch.int16).cpu().numpy().view(storage)
    return res.cpu().numpy()


def _dims(layout) -> tuple:
    """The shape the data is computed in: ``(O, C, I)``, or ``(O, C // block, block, I)`` for a
    blocked layout of whole blocks (the parameters then broadcast along the block instead of
    being repeated to the data's size)."""
    o, c, i = layout.dims
    if layout.block > 1 and c % layout.block == 0:
        return (o, c // layout.block, layout.block, i)
    return layout.dims


def _param(arr: np.ndarray, device: torch.device, layout) -> torch.Tensor:
    """A (P0, Cs, P2) parameter array on ``device``, broadcastable against the data in
    :func:`_dims`: ``(P0, Cs, 1, P2)`` for whole blocks, else repeated along axis 1 to the
    data's columns where blocked (element ``c`` uses block ``c // block``)."""
    t = C.from_host(np.ascontiguousarray(arr)).to(device)
    cols, block = layout.dims[1], layout.block
    if block > 1 and cols % block == 0:
        return t.unsqueeze(2)
    if block > 1:
        index = torch.div(torch.arange(cols, dtype=torch.int32, device=device), block, rounding_mode="floor")
        t = torch.index_select(t, 1, index)
    return t


def _finish(codes: np.ndarray, out, res: np.ndarray, ctype) -> np.ndarray:
    """The computed codes (of the storage dtype) as the result, or written into ``out``."""
    if out is None:
        return codes.view(ctype.dtype) if codes.dtype != ctype.dtype else codes
    res.view(codes.dtype)[...] = codes
    return res


def quantize_linear(x, y_scale, y_zero_point=None, *, axis=1, block_size=0, output_dtype=None, saturate=True,
                    out=None, threads=None):
    """:func:`fastquant.onnx.quantize_linear` with torch operations."""
    data = float_values(x, "x", O._floats)
    t = data.t
    ztype = O._zero_point_type(y_zero_point)
    if output_dtype is not None:
        ctype = O.code_type(output_dtype, "output_dtype")
        if ztype is not None and ztype is not ctype:
            raise ValueError(f"output_dtype: {ctype.name} disagrees with y_zero_point's type {ztype.name}")
    else:
        ctype = ztype or O.CODE_TYPES["uint8"]
    saturate = O._flag(saturate, "saturate")
    block_size = O._int_arg(block_size, "block_size", 0)
    sc, _ = O._scales(y_scale, "y_scale")
    shape = tuple(t.shape)
    layout = O._layout(shape, sc, axis, block_size, "y_scale")
    zp = O._zero_points(y_zero_point, ctype, sc, layout, "y_zero_point", "y_scale")
    scales = O._params(sc, layout)
    res = A.output(out, shape, ctype.dtype, (x,) if data.host is None else (x, data.host))
    if t.numel() == 0:
        return res
    _threads.count(threads, t.numel())
    device = t.device
    v = C.div(t.reshape(_dims(layout)), _param(scales, device, layout))
    storage = O._storage(ctype)
    if ctype.is_float:
        f = BY_NAME[ctype.float_format]
        codes = encode_bits(v, f, saturate)
        if zp is not None and ctype.name == "float4e2m1":
            # -0 quotient + a +0 zero point is +0 (ONNX adds the zero point before the cast)
            plus = _param(zp, device, layout)
            codes.masked_fill_((codes == f.sign_bit) & (v == 0) & plus, 0)
        return _finish(_to_host(codes.reshape(shape), storage), out, res, ctype)
    if C.any_nan(t):
        raise ValueError("x: expected numbers without NaN, got NaN")
    q = torch.round(v, out=v)
    if zp is None:
        q.clamp_(ctype.qmin, ctype.qmax)
    else:
        zpf = _param(zp, device, layout).to(torch.float32)
        q = torch.clamp(q, ctype.qmin - zpf, ctype.qmax - zpf).add_(zpf)
    if storage.kind == "u" and ctype.qmin < 0:  # int4 / int2: the low bits, as ml_dtypes holds them
        codes = (q.to(torch.int32) & (ctype.qmax - ctype.qmin)).to(torch.uint8)
    else:
        codes = C.to_codes(q, _STORAGE[storage])
    return _finish(_to_host(codes.reshape(shape), storage), out, res, ctype)


def _codes_of(x: Any, zp_type) -> tuple:
    """``(Data of the codes, CodeType)``: :func:`fastquant.onnx._codes_of` for tensors (NumPy
    int8/uint8/int16/uint16/int32 dtypes are their own types; other integers hold codes of
    the type a typed zero point names); non-tensors through the host's own helper."""
    if not isinstance(x, torch.Tensor):
        arr, ctype = O._codes_of(x, zp_type)
        return C.Data(C.from_host(arr), None, arr), ctype
    t = C.checked(x, "x")
    if t.dtype not in C.INTEGERS:
        raise TypeError(f"x: expected integer codes or an ml_dtypes array of a code type, got {C.describe(t)}")
    native = np.dtype(str(t.dtype).removeprefix("torch."))
    own = O._BY_DTYPE.get(native) or (O._INT32 if native == O._I32 else None)
    if zp_type is None or zp_type is own:
        if own is None:
            raise TypeError(f"x: expected codes of an ONNX type (NumPy int8, uint8, int16, uint16, int32, or an "
                            f"ml_dtypes array of {O._NAMES}), got {C.describe(t)}; a typed x_zero_point says "
                            f"which type other integers hold")
        return C.Data(t.contiguous(), x), own
    if (own is None or own.bits == 8) and O._ml_name(zp_type.dtype) is not None:
        if zp_type.is_float and t.element_size() == 1:
            return C.Data(t.contiguous().view(torch.uint8), x), zp_type
        lo, hi = (0, (1 << zp_type.bits) - 1) if zp_type.is_float else (zp_type.qmin, zp_type.qmax)
        C.check_range(t, "x", lo, hi)
        return C.Data(C.widen(t).to(torch.int8 if lo < 0 else torch.uint8).contiguous(), x), zp_type
    raise TypeError(f"x_zero_point: expected the type of x ({own.name if own else native}), got {zp_type.name}")


def _integer_codes(t: torch.Tensor, ctype) -> torch.Tensor:
    """The codes as int32 (a code minus its zero point then fits too: int32 codes have a zero
    point of 0): sub-byte codes from the low bits of each byte (two's complement for int4 /
    int2), else the values."""
    if ctype.bits >= 8:
        return t.to(torch.int32)
    low = t.view(torch.uint8).to(torch.int32) & ((1 << ctype.bits) - 1)
    if ctype.qmin < 0:
        half = 1 << (ctype.bits - 1)
        low = (low ^ half) - half
    return low


def dequantize_linear(x, x_scale, x_zero_point=None, *, axis=1, block_size=0, out=None, threads=None):
    """:func:`fastquant.onnx.dequantize_linear` with torch operations (a float16 / bfloat16
    result is rounded from the float32 one on the host, as the host path does)."""
    ztype = O._zero_point_type(x_zero_point)
    data, ctype = _codes_of(x, ztype)
    t = data.t
    if ztype is not None and ztype is not ctype:
        raise TypeError(f"x_zero_point: expected the type of x ({ctype.name}), got {ztype.name}")
    block_size = O._int_arg(block_size, "block_size", 0)
    sc, result = O._scales(x_scale, "x_scale")
    shape = tuple(t.shape)
    layout = O._layout(shape, sc, axis, block_size, "x_scale")
    zp = O._zero_points(x_zero_point, ctype, sc, layout, "x_zero_point", "x_scale")
    scales = O._params(sc, layout)
    inputs = (x,) if data.host is None else (x, data.host)
    if result is O._F32:
        final = A.output(out, shape, O._F32, inputs)
    else:
        final = None if out is None else A.check_out(out, shape, result, inputs)
    if t.numel() == 0:
        res = np.empty(shape, O._F32)
    else:
        device = t.device
        s = _param(scales, device, layout)
        t3 = t.reshape(_dims(layout))
        if ctype.is_float:
            f = BY_NAME[ctype.float_format]
            vals = torch.index_select(_table(f, device), 0, t3.reshape(-1).to(torch.int32)).view(t3.shape)
            y = torch.mul(vals, s)
            y = torch.where(torch.isnan(vals), vals, y)  # x86 keeps a NaN operand's bits
            if f.code_limit < 255:
                bad = int(t.max().item())
                if bad > f.code_limit:
                    raise ValueError(f"x: expected {ctype.name} codes in [0, {f.code_limit}], got {bad}")
        else:
            diff = _integer_codes(t3, ctype)
            if zp is not None:
                diff = diff - _param(zp, device, layout)
            y = torch.mul(diff.to(torch.float32), s)
        _threads.count(threads, t.numel())
        res = _to_host(y.reshape(shape), O._F32)
    if result is O._F32:
        if out is None:
            return res
        final[...] = res
        return final
    if final is None:
        return O._narrow(res, result)
    final[...] = O._narrow(res, result)
    return final


def dynamic_quantize_linear(x, *, threads=None):
    """:func:`fastquant.onnx.dynamic_quantize_linear` with torch operations: the range by one
    min/max reduction on the device, the scale and zero point by the host's own arithmetic."""
    data = float_values(x, "x", O._floats)
    t = data.t
    if t.numel() == 0:
        raise ValueError("x: expected a non-empty array (the scale comes from its range)")
    lo, hi = torch.stack(torch.aminmax(t.reshape(-1))).tolist()  # NaN if any value is NaN
    scale, zp = O._dynamic_params(lo, hi, bool(np.isfinite(lo) and np.isfinite(hi)))
    y = quantize_linear(t if data.host is None else data.host, scale, np.uint8(zp), threads=threads)
    return y, np.array(scale, O._F32), np.array(zp, O._U8)
