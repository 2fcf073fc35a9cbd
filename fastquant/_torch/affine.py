"""Torch twins of :mod:`fastquant.affine` (SPEC section 4). ``affine_qparams`` and
``code_range`` take and give Python numbers only: they have no torch twin."""

from __future__ import annotations

import numpy as np
import torch

from .. import _threads
from .. import affine as F
from . import _common as C

#: Codes the twin reads as they are (the host kernel's dtypes).
_NATIVE = (torch.int8, torch.uint8, torch.int16, torch.uint16, torch.int32)
#: Codes whose float32 conversion is exact and that torch's arithmetic kernels all take.
_SMALL = (torch.int8, torch.uint8, torch.int16)


def _channel(arr: np.ndarray, dims: tuple, device: torch.device) -> torch.Tensor:
    """Validated host parameters (one per channel) as a tensor broadcasting over ``dims``."""
    if arr.size == 1:
        return C.scalar(arr.reshape(()).item(), C.TORCH_OF[arr.dtype], device)
    return C.param(arr, (1, dims[1], 1), device)


def quantize_func(x, scales, zero_point, n_bits=8, *, axis=None, signed=True, out=None, threads=None):
    """:func:`fastquant.affine.quantize_func` with torch operations."""
    data = C.floats(x, "x")
    t = data.t
    n_bits, signed = F._n_bits(n_bits), F._signed(signed)
    qmin, qmax = F.code_range(n_bits, signed=signed)
    axis = F._axis(axis, t.ndim)
    dims = F._dims(tuple(t.shape), axis)
    sc = F._scales(scales, axis, dims[1])
    zp = F._zero_points(zero_point, axis, dims[1])
    dtype = C.TORCH_OF[F._code_dtype(n_bits, signed)]
    dst = C.output(out, t.shape, dtype, data, (x, sc, zp))
    _threads.count(threads, t.numel())
    # float32(x) / float32(scales) + float32(zero_point): a true division, then the zero
    # point as the float32 NumPy makes of the int32 (a rounding above 2**24, as in the twin)
    if C.any_nan(t):
        raise ValueError("x: expected numbers without NaN, got NaN")
    v = C.div(t.reshape(dims), _channel(sc, dims, t.device))
    v.add_(_channel(zp.astype(np.float32), dims, t.device))
    res = C.to_codes(C.round_clamp(v, qmin, qmax), dtype, None if dst is None else dst.view(dims))
    return C.result(res, dst, out, data, t.shape)


def _codes(x_q, name: str) -> C.Data:
    """:func:`fastquant.affine._codes`: int8, uint8, int16, uint16, int32 codes as they are;
    other integers and floats (truncated toward zero) as int32, after checking they fit."""
    if not isinstance(x_q, torch.Tensor):
        arr, _ = F._codes(x_q, name)
        return C.Data(C.from_host(arr), None, arr)
    t = C.checked(x_q, name)
    if t.is_floating_point():
        f = t if t.dtype in (torch.float32, torch.float64) else t.to(torch.float32)
        if f.numel():
            # NaN and +-inf fail these comparisons too; as Python floats they are exact
            lo, hi = torch.stack(torch.aminmax(f.reshape(-1))).tolist()
            if not (lo > F._INT32_MIN - 1 and hi < F._INT32_MAX + 1):
                raise ValueError(f"{name}: expected finite codes within the int32 range, got {C.describe(t)}")
        return C.Data(f.to(torch.int32).contiguous(), x_q)
    if t.dtype not in C.INTEGERS:
        raise TypeError(f"{name}: expected integer codes (or float codes), got {C.describe(t)}")
    if t.dtype in _NATIVE:
        return C.Data(t.contiguous(), x_q)
    C.check_range(t, name, F._INT32_MIN, F._INT32_MAX)
    return C.Data(C.widen(t).to(torch.int32).contiguous(), x_q)


def dequantize_func(x_q, scales, zero_point, *, axis=None, out=None, threads=None):
    """:func:`fastquant.affine.dequantize_func` with torch operations."""
    data = _codes(x_q, "x_q")
    t = data.t
    axis = F._axis(axis, t.ndim)
    dims = F._dims(tuple(t.shape), axis)
    sc = F._scales(scales, axis, dims[1])
    zp = F._zero_points(zero_point, axis, dims[1])
    dst = C.output(out, t.shape, torch.float32, data, (x_q, sc, zp))
    _threads.count(threads, t.numel())
    codes, target = t.reshape(dims), None if dst is None else dst.view(dims)
    s = _channel(sc, dims, t.device)
    small = t.dtype in _SMALL
    if (small or t.dtype == torch.int32) and not zp.any():
        # float32(q - 0) is float32(q) (one rounding for int32 codes either way)
        a, o = C.first_op(codes, target)
        res = torch.mul(s, a, out=o)
    elif small and int(np.abs(zp).max()) < (1 << 24) - (1 << 16):
        # |q - zero_point| < 2**24: float32(q) - float32(zero_point) is exact, hence the same
        a, o = C.first_op(codes, target)
        diff = torch.sub(a, _channel(zp.astype(np.float32), dims, t.device), out=o)
        res = torch.mul(s, diff, out=diff)
    else:  # the difference in integers, exactly (int64: int32 codes minus 2**30 overflows int32)
        diff = C.widen(codes) - _channel(zp.astype(np.int64), dims, t.device)
        res = torch.mul(s, diff.to(torch.float32), out=target)
    return C.result(res, dst, out, data, t.shape)
