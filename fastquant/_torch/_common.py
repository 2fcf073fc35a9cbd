"""What every torch twin shares: input coercion with the host's errors, ``out=``, giving the
result back in the caller's kind, device constants, and the exact helpers (division, casts,
widening) that keep torch bit-identical with the kernels."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import numpy as np
import torch

from .. import _arrays as A

#: NumPy dtype <-> torch dtype of the codes and results fastquant produces.
NP_OF = {
    torch.float32: np.dtype(np.float32), torch.int8: np.dtype(np.int8), torch.uint8: np.dtype(np.uint8),
    torch.int16: np.dtype(np.int16), torch.uint16: np.dtype(np.uint16), torch.int32: np.dtype(np.int32),
    torch.int64: np.dtype(np.int64),
}
TORCH_OF = {v: k for k, v in NP_OF.items()}

#: Integer dtypes NumPy can hold too (torch's 1..7-bit shell dtypes are not numbers here).
INTEGERS = (torch.int8, torch.uint8, torch.int16, torch.uint16, torch.int32, torch.uint32,
            torch.int64, torch.uint64)
_UNSIGNED_VIEW = {torch.uint16: torch.int16, torch.uint32: torch.int32, torch.uint64: torch.int64}
#: Integer dtypes torch's min/max reductions take as they are.
_MINMAX = (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)


@dataclasses.dataclass
class Data:
    """One data argument: ``t`` the contiguous tensor the twin reads; ``like`` the caller's
    tensor (the result goes back as a tensor on its device) or None (a NumPy input: the
    result goes back as an array); ``host`` the NumPy array a NumPy input became."""

    t: torch.Tensor
    like: Optional[torch.Tensor]
    host: Optional[np.ndarray] = None

    @property
    def device(self) -> torch.device:
        return self.t.device


def describe(t: torch.Tensor) -> str:
    return f"a tensor of dtype {t.dtype} and shape {tuple(t.shape)} on {t.device}"


def from_host(arr: np.ndarray) -> torch.Tensor:
    """A CPU tensor over ``arr`` (C-contiguous, native: what the ``_arrays`` helpers give).
    Copied first where torch cannot view it: read-only (torch has no read-only tensors, and
    warns; the twins never write into their inputs anyway), or strides torch refuses, which
    NumPy allows on an axis of length 1 (negative, or not a multiple of the item size)."""
    if not arr.flags.writeable or any(st < 0 or st % arr.itemsize for st in arr.strides):
        arr = arr.copy()
    return torch.from_numpy(arr)


def checked(x: torch.Tensor, name: str) -> torch.Tensor:
    """The checks ``_arrays.to_numpy`` makes of a tensor, in its order, with its messages:
    real, not bool, dense with data (not sparse, quantized or meta)."""
    t = x.detach()
    if t.dtype.is_complex:
        raise TypeError(f"{name}: expected a real tensor, got dtype {t.dtype}")
    if t.dtype == torch.bool:
        raise TypeError(f"{name}: expected numbers, got a bool tensor")
    if t.layout != torch.strided or t.is_quantized or t.device.type == "meta":
        raise TypeError(f"{name}: expected a dense tensor with data, got {t.layout}/{t.dtype} on {t.device}")
    return t.resolve_neg()


def floats(x: Any, name: str) -> Data:
    """A quantizer's input as float32 (``_arrays.floats``): real numbers, floats or
    integers; values convert exactly as NumPy converts them (NaN payloads aside, which no
    quantizer keeps: NaN is an error)."""
    if not isinstance(x, torch.Tensor):
        arr, _ = A.floats(x, name)
        return Data(from_host(arr), None, arr)
    t = checked(x, name)
    if not (t.is_floating_point() or t.dtype in INTEGERS):
        raise TypeError(f"{name}: expected real numbers (float or integer), got {describe(t)}")
    return Data(t.to(torch.float32).contiguous(), x)


def floats_passthrough(x: Any, name: str) -> Data:
    """As :func:`floats`, but a tensor keeps its dtype, for a decoder that passes values
    (NaN included) through :func:`to_float32_exact`."""
    if not isinstance(x, torch.Tensor):
        return floats(x, name)
    t = checked(x, name)
    if not (t.is_floating_point() or t.dtype in INTEGERS):
        raise TypeError(f"{name}: expected real numbers (float or integer), got {describe(t)}")
    return Data(t.contiguous(), x)


def integers(x: Any, name: str, lo: int, hi: int, dtype: torch.dtype) -> Data:
    """Integer codes in [lo, hi] as ``dtype`` (``_arrays.integers``): a tensor of ``dtype``
    passes unchecked (the twin checks its range where the kernel does), any other integer
    dtype is range-checked, then converted; floats are a ``TypeError``."""
    if not isinstance(x, torch.Tensor):
        arr, _ = A.integers(x, name, lo, hi, NP_OF[dtype])
        return Data(from_host(arr), None, arr)
    t = checked(x, name)
    if t.dtype not in INTEGERS:
        raise TypeError(f"{name}: expected integer codes in [{lo}, {hi}], got {describe(t)}")
    if t.dtype != dtype:
        check_range(t, name, lo, hi)
        t = widen(t).to(dtype)
    return Data(t.contiguous(), x)


def widen(t: torch.Tensor) -> torch.Tensor:
    """Integers as int64, exactly (uint64 values of 2**63 and above become negative: callers
    range-check first). Unsigned 16/32-bit tensors are read through a signed view, as few
    torch kernels take them directly."""
    signed = _UNSIGNED_VIEW.get(t.dtype)
    if signed is None:
        return t.to(torch.int64)
    wide = t.view(signed).to(torch.int64)
    return wide if t.dtype == torch.uint64 else wide & ((1 << (8 * t.element_size())) - 1)


def check_range(t: torch.Tensor, name: str, lo: int, hi: int) -> None:
    """``ValueError`` naming ``name`` unless every integer of ``t`` lies in [lo, hi], with
    the host's message (``_arrays.check_range``); one device sync."""
    if t.numel() == 0:
        return
    wide = t if t.dtype in _MINMAX else widen(t)
    if t.dtype == torch.uint64 and bool((wide < 0).any()):
        raise ValueError(f"{name}: expected codes in [{lo}, {hi}], got {_uint64_max(wide)}")
    amin, amax = torch.stack(torch.aminmax(wide)).tolist()
    if amin < lo or amax > hi:
        raise ValueError(f"{name}: expected codes in [{lo}, {hi}], got {amin if amin < lo else amax}")


def _uint64_max(wide: torch.Tensor) -> int:
    # values >= 2**63 read as negative int64; the largest of them is the largest value
    return int(wide[wide < 0].max().item()) + 2**64


def any_nan(t: torch.Tensor) -> bool:
    """Whether float ``t`` holds a NaN (one device sync)."""
    return t.numel() > 0 and bool(torch.isnan(t).any())


# ---------------------------------------------------------------- constants and exact helpers

_CONSTANTS: dict = {}


def const(value, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A 0-d tensor of a fixed ``value`` (127, 127.5, 1, ...) on ``device``, cached: the operand
    of the formulas' arithmetic, so that no op sees a CPU scalar (see :func:`div`)."""
    key = (value, dtype, device)
    c = _CONSTANTS.get(key)
    if c is None:
        c = _CONSTANTS[key] = settled(torch.full((), value, dtype=dtype, device=device))
    return c


def scalar(value, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A 0-d tensor of a per-call ``value`` (a scale, a zero point) on ``device``: made on the
    current stream (a fill, no host copy), never cached, so it needs no synchronization."""
    return torch.full((), value, dtype=dtype, device=device)


def settled(t: torch.Tensor) -> torch.Tensor:
    """A tensor about to be cached (a constant, a lookup table), once it is complete on its
    device: later calls may read it from another stream. One synchronization per cached
    tensor and device, ever."""
    if t.device.type != "cpu":
        accelerator = getattr(torch, "accelerator", None)
        if accelerator is not None and hasattr(accelerator, "synchronize"):
            accelerator.synchronize(t.device)
        elif t.device.type == "cuda":
            torch.cuda.synchronize(t.device)
    return t


def param(arr: np.ndarray, shape: tuple, device: torch.device) -> torch.Tensor:
    """A validated host parameter array (per-channel scales or zero points) on ``device``
    (copied there on the current stream)."""
    return torch.from_numpy(np.array(arr)).reshape(shape).to(device)


def div(num: torch.Tensor, den: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``num / den``, a true float32 division. ``den`` must be a tensor on ``num``'s device:
    CUDA computes a division by a CPU scalar (a Python number or a 0-d CPU tensor) as a
    multiplication by its reciprocal, which changes the last bit of some quotients."""
    if not isinstance(den, torch.Tensor) or den.device != num.device:
        raise AssertionError("fastquant._torch.div: the divisor must be a tensor on the dividend's device")
    return torch.div(num, den, out=out)


#: Whether integer codes enter float arithmetic uncast (the op casts them, exactly, as it
#: reads them): one pass over memory on a GPU; on the CPU torch runs such mixed-dtype ops
#: through a slow unvectorized loop, and a separate cast then float ops is many times faster.
#: Both forms give the same bits. None: by device; tests set True/False to run both on the CPU.
FUSE_CASTS: Optional[bool] = None


def first_op(codes: torch.Tensor, target: Optional[torch.Tensor]) -> tuple:
    """``(operand, out)`` for the first float32 op of a formula over integer ``codes``, whose
    result goes to ``target`` (or a new tensor): where the op fuses the (exact) cast, the codes
    as they are and ``target``; else the codes cast into ``target`` (or a new float32 tensor),
    which the op then overwrites in place. Later ops of the formula work in place on the
    result: on the CPU every fresh buffer costs page faults, on a GPU every pass bandwidth."""
    fuse = codes.device.type != "cpu" if FUSE_CASTS is None else FUSE_CASTS
    if fuse:
        return codes, target
    if target is None:
        v = codes.to(torch.float32)
    else:
        v = target.view(codes.shape).copy_(codes)
    return v, v


def to_float32_exact(t: torch.Tensor) -> torch.Tensor:
    """``t`` as float32 bit for bit as NumPy converts it, NaN payloads included (the decoders
    pass NaN through): torch quiets a float16 signalling NaN that NumPy keeps, and a GPU may
    make any NaN canonical in a float64 -> float32 conversion, so NaN lanes are rebuilt from
    the bits. Other float types convert in torch on the host path too."""
    if t.dtype == torch.float32:
        return t
    f = t.to(torch.float32)
    if t.dtype == torch.float16:
        nan = torch.isnan(t)
        if not bool(nan.any()):  # one sync; the bit surgery below costs many passes
            return f
        h = t.view(torch.int16).to(torch.int32)  # sign-extended: negative when the sign bit is set
        # sign, all-ones exponent, the payload as is (NumPy keeps a signalling NaN signalling)
        sign = torch.where(h < 0, const(-(2**31), torch.int32, t.device), 0)
        bits = sign | 0x7F800000 | ((h & 0x3FF) << 13)
        return torch.where(nan, bits.view(torch.float32), f)
    elif t.dtype == torch.float64:
        d = t.view(torch.int64)
        nan = torch.isnan(t)
        # x86's conversion (NumPy's): sign, quiet bit set, top 22 payload bits
        bits = (((d >> 32) & 0x80000000) | 0x7FC00000 | ((d >> 29) & 0x3FFFFF))
    else:
        return f
    return torch.where(nan, bits.to(torch.int32).view(torch.float32), f)


def round_clamp(v: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    """``clip(round(v), lo, hi)`` in float32, in place on the temporary ``v``: half to even,
    and clamping in float before any cast, so +-inf saturate instead of wrapping."""
    return torch.round(v, out=v).clamp_(lo, hi)


def to_codes(v: torch.Tensor, dtype: torch.dtype, target: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Float32 integral values already in ``dtype``'s range as ``dtype``, written into
    ``target`` when given; uint16 goes through int32 and an int16 view (the unsigned 16-bit
    type has few kernels)."""
    if dtype == torch.uint16:
        v = v.to(torch.int32)
        if target is None:
            return v.to(torch.int16).view(torch.uint16)
        target.view(torch.int16).view(v.shape).copy_(v)
        return target
    if target is None:
        return v.to(dtype)
    return target.view(v.shape).copy_(v)


# ---------------------------------------------------------------- out= and the result

def output(out: Any, shape: tuple, dtype: torch.dtype, data: Data, inputs: tuple = ()) -> Optional[torch.Tensor]:
    """The tensor to write the result into, or None for a new one; validates ``out``.

    A NumPy input takes a NumPy ``out`` exactly as the host path does (same checks, same
    messages). A tensor input takes a tensor ``out`` on its device (exact dtype and shape,
    contiguous, not requiring grad, not overlapping the input), or on the CPU also a NumPy
    ``out`` as on the host path."""
    shape = tuple(shape)
    if out is None:
        return None
    if data.like is None or (isinstance(out, np.ndarray) and data.device.type == "cpu"):
        originals = (data.host,) if data.like is None else (data.like,)
        res = A.check_out(out, shape, NP_OF[dtype], originals + tuple(i for i in inputs if i is not None))
        return torch.from_numpy(res)
    device = data.device
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"out: expected a tensor of dtype {dtype} and shape {shape} on {device}, got {A._describe(out)}")
    if out.layout != torch.strided or out.is_quantized:
        raise ValueError(f"out: expected a dense tensor, got {out.layout}/{out.dtype}")
    if out.dtype != dtype or tuple(out.shape) != shape:
        raise ValueError(f"out: expected dtype {dtype} and shape {shape}, got dtype {out.dtype} and shape {tuple(out.shape)}")
    if out.device != device:
        raise ValueError(f"out: expected a tensor on {device} (the input's device), got one on {out.device}")
    if not out.is_contiguous():
        raise ValueError("out: expected a contiguous tensor")
    if out.requires_grad:
        raise ValueError("out: expected a tensor that does not require grad")
    for other in (data.like, data.t) + tuple(inputs):
        if isinstance(other, torch.Tensor) and overlaps(out, other):
            raise ValueError("out: must not overlap the input")
    return out


def overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether the byte spans of ``a``'s and ``b``'s elements intersect (same device and
    memory; conservative, like ``np.may_share_memory``)."""
    if a.device != b.device or a.numel() == 0 or b.numel() == 0 or b.layout != torch.strided:
        return False
    (alo, ahi), (blo, bhi) = _span(a), _span(b)
    return alo < bhi and blo < ahi


def _span(t: torch.Tensor) -> tuple:
    size = t.element_size()
    lo = hi = t.data_ptr()
    for n, step in zip(t.shape, t.stride()):
        lo += min(0, (n - 1) * step * size)
        hi += max(0, (n - 1) * step * size)
    return lo, hi + size


def result(res: torch.Tensor, dst: Optional[torch.Tensor], out: Any, data: Data, shape: tuple):
    """``res`` (any shape holding the result's elements, of the result's dtype) given back in
    the caller's kind: copied into ``dst`` unless it was computed there, and then ``out``
    itself (a CPU tensor input with a NumPy ``out`` gets a tensor over it, as on the host
    path); else a NumPy array for a NumPy input, a new contiguous tensor of ``shape`` on the
    input's device for a tensor input."""
    if dst is not None:
        if dst.numel() and (res.data_ptr() != dst.data_ptr() or res.numel() != dst.numel()):
            dst.view(-1).copy_(res.reshape(-1))
        return dst if data.like is not None and isinstance(out, np.ndarray) else out
    res = res.reshape(shape).contiguous()
    return res.numpy() if data.like is None else res
