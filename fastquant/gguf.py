"""GGUF blocks, the quantization types of llama.cpp models: a drop-in for gguf-py's
``gguf.quants`` (SPEC section 7). ``import fastquant.gguf as quants`` works wherever code calls
``quants.dequantize(data, qtype)``, ``quants.quantize(data, qtype)``,
``quants.quant_shape_to_byte_shape`` or ``quants.quant_shape_from_byte_shape``; fastquant never
imports gguf.

A ``qtype`` is a ``gguf.GGMLQuantizationType`` member, its integer id or its name (``"Q4_K"``).
The kernels of one type are ``gguf_dequantize_<name>`` / ``gguf_quantize_<name>`` (lower-case
name) in the ``gguf_decode`` / ``gguf_encode`` families; this module finds them by that name.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence

import numpy as np

from . import _arrays as A
from . import _threads
from ._backend import kernels, torch_path

_UINT8 = np.dtype(np.uint8)

__all__ = [
    "dequantize",
    "quantize",
    "quant_shape_to_byte_shape",
    "quant_shape_from_byte_shape",
    "QUANT_SIZES",
    "GGMLType",
    "qtype_of",
]


@dataclasses.dataclass(frozen=True)
class GGMLType:
    """One GGML tensor type: its name and id (as ``gguf.GGMLQuantizationType`` has them), and
    ``block_size`` values stored in ``type_size`` bytes."""

    name: str
    id: int
    block_size: int
    type_size: int

    @property
    def kernel_suffix(self) -> str:
        return self.name.lower()


#: Every type gguf-py 0.19.0 lists in ``GGML_QUANT_SIZES``, in id order.
_TYPES = tuple(GGMLType(*row) for row in (
    ("F32", 0, 1, 4), ("F16", 1, 1, 2), ("Q4_0", 2, 32, 18), ("Q4_1", 3, 32, 20),
    ("Q5_0", 6, 32, 22), ("Q5_1", 7, 32, 24), ("Q8_0", 8, 32, 34), ("Q8_1", 9, 32, 40),
    ("Q2_K", 10, 256, 84), ("Q3_K", 11, 256, 110), ("Q4_K", 12, 256, 144), ("Q5_K", 13, 256, 176),
    ("Q6_K", 14, 256, 210), ("Q8_K", 15, 256, 292), ("IQ2_XXS", 16, 256, 66), ("IQ2_XS", 17, 256, 74),
    ("IQ3_XXS", 18, 256, 98), ("IQ1_S", 19, 256, 50), ("IQ4_NL", 20, 32, 18), ("IQ3_S", 21, 256, 110),
    ("IQ2_S", 22, 256, 82), ("IQ4_XS", 23, 256, 136), ("I8", 24, 1, 1), ("I16", 25, 1, 2),
    ("I32", 26, 1, 4), ("I64", 27, 1, 8), ("F64", 28, 1, 8), ("IQ1_M", 29, 256, 56),
    ("BF16", 30, 1, 2), ("TQ1_0", 34, 256, 54), ("TQ2_0", 35, 256, 66), ("MXFP4", 39, 32, 17),
    ("NVFP4", 40, 64, 36), ("Q1_0", 41, 128, 18),
))
_BY_ID = {t.id: t for t in _TYPES}
_BY_NAME = {t.name: t for t in _TYPES}

#: The types gguf-py 0.19.0 dequantizes (26), and those fastquant quantizes: gguf-py's set
#: plus the ones only llama.cpp's C reference quantizes (F32 and F16 are casts there).
DECODE_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K",
                "Q4_K", "Q5_K", "Q6_K", "TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "IQ1_S", "IQ1_M",
                "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ4_NL", "IQ4_XS")
ENCODE_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0",
                "MXFP4", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS", "NVFP4")


def qtype_of(qtype, name: str = "qtype") -> GGMLType:
    """The :class:`GGMLType` of ``qtype``: a ``gguf.GGMLQuantizationType`` member (an
    ``IntEnum``), its integer id, or its name (any case); else ``ValueError`` naming ``name``."""
    if isinstance(qtype, GGMLType):
        return qtype
    if isinstance(qtype, str):
        found = _BY_NAME.get(qtype.upper())
    elif isinstance(qtype, (int, np.integer)) and not isinstance(qtype, (bool, np.bool_)):
        found = _BY_ID.get(int(qtype))
    else:
        found = None
    if found is None:
        raise ValueError(
            f"{name}: expected a GGML quantization type (a gguf.GGMLQuantizationType, its id or "
            f"its name such as 'Q4_K'), got {A._describe(qtype)}"
        )
    return found


class _QuantSizes(Mapping):
    """``{type id: (block_size, type_size)}``, equal to gguf-py's ``GGML_QUANT_SIZES`` (whose
    ``IntEnum`` keys compare and hash as these ids); looking up also takes a member or a name."""

    def __getitem__(self, key):
        try:
            t = qtype_of(key)
        except ValueError:
            raise KeyError(key) from None
        return (t.block_size, t.type_size)

    def __iter__(self):
        return iter(_BY_ID)

    def __len__(self):
        return len(_BY_ID)

    def __repr__(self):
        return f"QUANT_SIZES({ {t.name: (t.block_size, t.type_size) for t in _TYPES} })"


QUANT_SIZES = _QuantSizes()


def _shape(shape) -> tuple:
    """``shape`` as a tuple of at least one integer >= 0, else ``ValueError`` naming it."""
    try:
        dims = tuple(shape)
        ok = len(dims) > 0 and all(isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_))
                                   and d >= 0 for d in dims)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"shape: expected a sequence of one or more integers >= 0, got {A._describe(shape)}")
    return tuple(int(d) for d in dims)


def quant_shape_to_byte_shape(shape: Sequence[int], quant_type) -> tuple:
    """The byte shape holding a tensor of ``shape`` in ``quant_type``: the last axis becomes
    ``shape[-1] // block_size * type_size``; ``ValueError`` unless it is whole blocks."""
    t = qtype_of(quant_type, "quant_type")
    shape = _shape(shape)
    if shape[-1] % t.block_size != 0:
        raise ValueError(f"shape: the last axis ({shape[-1]}) is not a multiple of the {t.name} "
                         f"block size ({t.block_size})")
    return (*shape[:-1], shape[-1] // t.block_size * t.type_size)


def quant_shape_from_byte_shape(shape: Sequence[int], quant_type) -> tuple:
    """The tensor shape that the bytes of ``shape`` hold in ``quant_type``: the last axis becomes
    ``shape[-1] // type_size * block_size``; ``ValueError`` unless it is whole blocks."""
    t = qtype_of(quant_type, "quant_type")
    shape = _shape(shape)
    if shape[-1] % t.type_size != 0:
        raise ValueError(f"shape: the last axis ({shape[-1]} bytes) is not a multiple of the "
                         f"{t.name} type size ({t.type_size})")
    return (*shape[:-1], shape[-1] // t.type_size * t.block_size)


def _kernel(prefix: str, t: GGMLType):
    return getattr(kernels(), f"{prefix}_{t.kernel_suffix}")


#: The NumPy dtype whose values a plain-float type's data may also be given as (besides bytes).
_VALUE_DTYPES = {"F32": ("float32",), "F16": ("float16",), "BF16": ("bfloat16",)}


def _data_bytes(data, t: GGMLType):
    """``(uint8 C-contiguous array of at least 1 dimension, torch device or None)``: the bytes
    of ``data`` as gguf-py's ``data.view(np.uint8)`` sees them (an integer array of wider
    items is its bytes in memory), or the values of F32/F16/BF16 given in their own float type.
    A Python list or tuple holds byte values (0..255). Any other float is a ``TypeError``."""
    if type(data) is np.ndarray and data.dtype is _UINT8 and data.ndim >= 1 and data.flags.c_contiguous:
        return data, None  # the common case: bytes, e.g. a GGUFReader tensor's memmap view
    device = A._torch_device(data)
    if device is not None:
        torch = sys.modules["torch"]
        tensor = data.detach()
        if tensor.dtype == torch.bfloat16 and t.name == "BF16":
            tensor = tensor.view(torch.int16)  # NumPy has no bfloat16: hand over the bits
        elif tensor.is_floating_point() and str(tensor.dtype).removeprefix("torch.") not in _VALUE_DTYPES.get(t.name, ()):
            raise TypeError(f"data: {_expected(t)}, got a {tensor.dtype} tensor")
        data = tensor
    arr, _ = A.to_numpy(data, "data")
    kind = arr.dtype.kind
    own_float = arr.dtype.name in _VALUE_DTYPES.get(t.name, ()) and arr.dtype.itemsize in (2, 4)
    if not (kind in "iu" or own_float):
        if kind == "f" and arr.size == 0 and not isinstance(data, np.ndarray) and device is None:
            arr = arr.astype(np.uint8)  # NumPy reads an empty list as float64: it holds no bytes
        else:
            raise TypeError(f"data: {_expected(t)}, got {A._describe(arr)}")
    if arr.ndim == 0:
        raise ValueError("data: expected an array with at least 1 dimension (the last holds the "
                         f"blocks), got a 0-d {'array' if isinstance(data, np.ndarray) else type(data).__name__}")
    if kind in "iu" and arr.dtype.itemsize > 1 and not isinstance(data, np.ndarray) and device is None:
        A.check_range(arr, "data", 0, 255)  # a list's numbers are byte values, not memory
        arr = arr.astype(np.uint8)
    if kind == "f" and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))  # values: their native bytes
    arr = np.ascontiguousarray(arr)
    if arr.dtype != _UINT8:
        arr = arr.view(np.uint8)  # C-contiguous: the last axis grows by the item size
    return arr, device


def _expected(t: GGMLType) -> str:
    values = _VALUE_DTYPES.get(t.name)
    also = f" or {values[0]} values" if values else ""
    return f"expected the bytes of {t.name} blocks (uint8, or any integer array viewed as bytes){also}"


@torch_path
def dequantize(data, qtype, *, out=None, threads=None):
    """Decode GGUF blocks to float32, bit for bit as gguf-py's ``gguf.quants.dequantize``.

    ``data`` holds whole blocks along its last axis as bytes: uint8, or any integer array,
    whose bytes in memory are read as gguf-py's ``data.view(np.uint8)`` reads them (such as a
    ``GGUFReader`` tensor's memmap), a Python list of byte values, or a torch tensor. F32, F16
    and BF16 data may also be given as float32, float16 and bfloat16 values (a GGUFReader gives
    F32/F16 tensors so). The result is float32 of shape
    ``data.shape[:-1] + (last_bytes // type_size * block_size,)``, a new array (or ``out``).

    Every NaN of a block type's result is the quiet NaN 0x7FC00000 (gguf-py's NaN payloads
    depend on the hardware); F32, F16 and BF16 keep every bit. Types gguf-py does not decode
    (Q8_1, Q8_K, Q1_0, the integer types) raise ``NotImplementedError`` as it does.

    ``out``: a C-contiguous float32 array of the result's shape to write into (one of at least
    8 MiB is written with streaming stores). ``threads``: see :mod:`fastquant._threads`
    (``None``: one thread up to 1M values); the bits are the same for any value.

    >>> import numpy as np
    >>> block = np.array([0x00, 0x3C] + [0x98] * 16, np.uint8)  # Q4_0: d = 1.0, codes 8 and 9
    >>> dequantize(block, "Q4_0")[[0, 16]].tolist()
    [0.0, 1.0]
    """
    t = qtype_of(qtype)
    if t.name not in DECODE_TYPES:
        raise NotImplementedError(f"qtype: dequantization of {t.name} is not implemented (nor in gguf-py)")
    raw, device = _data_bytes(data, t)
    nbytes = raw.shape[-1]
    if nbytes % t.type_size:
        raise ValueError(f"data: the last axis holds {nbytes} bytes, not whole {t.name} blocks of "
                         f"{t.type_size} bytes")
    shape = raw.shape[:-1] + (nbytes // t.type_size * t.block_size,)
    res = A.output(out, shape, np.float32, (raw, data))
    rows = A.as_rows(raw, "data")
    _threads.run(_kernel("gguf_dequantize", t), rows, res.reshape(rows.shape[0], shape[-1]),
                 A.streams(out, res), threads=threads, unit=(t.type_size, t.block_size))
    return A.wrap(res, device)


#: Status bits of the encode kernels (see fastquant/_twins/gguf_encode.py).
_NONFINITE = 1
_RANGE = 2


def _cast(data, t: GGMLType, out, threads):
    """F32 and F16 "quantize" as gguf-py does: ``data.astype(float32 / float16)``, NaN and inf
    kept (float16 rounds to nearest even, overflowing to inf); F16 converts NumPy input from its
    own dtype, as gguf-py does."""
    arr, device = A.to_numpy(data, "data", want_float=True)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"data: expected real numbers (float or integer), got {A._describe(arr)}")
    _threads.count(threads, arr.size)  # validated; a cast is one NumPy call
    dtype = np.dtype(np.float32 if t.name == "F32" else np.float16)
    if out is None:
        with np.errstate(over="ignore"):
            res = arr.astype(dtype, copy=False)
        return A.wrap(res if device is None else np.ascontiguousarray(res), device)
    res = A.check_out(out, arr.shape, dtype, (arr, data))
    with np.errstate(over="ignore"):
        np.copyto(res, arr, casting="unsafe")
    return A.wrap(res, device)


def _encode_error(status: int, t: GGMLType, arr: np.ndarray) -> ValueError:
    if status & _NONFINITE:
        return ValueError(f"data: expected finite numbers for {t.name} blocks, got NaN or inf")
    amax = float(np.max(np.abs(arr))) if arr.size else 0.0
    return ValueError(
        f"data: cannot encode as {t.name}: a block's values are too large or too spread for the "
        f"format (max |x| = {amax:.6g}): its fp16 scale would overflow, or llama.cpp's reference "
        "quantizer fails its nearest_int range assertion there"
    )


def quantize(data, qtype, *, out=None, threads=None):
    """Encode floats into GGUF blocks, bit for bit as llama.cpp's ``quantize_row_<type>_ref``
    (and gguf-py's ``gguf.quants.quantize`` for the types it has). F32 and F16 give float32
    and float16 arrays, as in gguf-py; every other type gives uint8 bytes of shape
    ``data.shape[:-1] + (last // block_size * type_size,)``.

    ``data``: floats (converted to float32 first; F16 converts from the input's own dtype, as
    gguf-py does), at least 1-D, the last axis a whole number of blocks. NaN or inf in a block
    type, or values for which a block's fp16 scale overflows (or the C reference's range
    assertion fails), raise ``ValueError``. ``out``: a C-contiguous array of the result's dtype
    and shape to write into (its contents are unspecified after an error). ``threads``: see
    :mod:`fastquant._threads` (``None``: one thread up to 1M values); the bytes are the same
    for any value.

    >>> import numpy as np
    >>> import fastquant.gguf as quants
    >>> x = np.linspace(-1, 1, 32, dtype=np.float32)
    >>> quants.quantize(x, "Q8_0").shape
    (34,)
    """
    t = qtype_of(qtype)
    if t.name not in ENCODE_TYPES:
        raise NotImplementedError(
            f"qtype: quantization to {t.name} is not implemented (fastquant encodes {', '.join(ENCODE_TYPES)})"
        )
    if t.name in ("F32", "F16"):
        return _cast(data, t, out, threads)
    arr, device = A.floats(data, "data")
    if arr.ndim == 0:
        raise ValueError("data: expected an array with at least 1 dimension, got a 0-d array")
    last = arr.shape[-1]
    if last % t.block_size:
        raise ValueError(
            f"data: the last axis ({last}) is not a multiple of the {t.name} block size ({t.block_size})"
        )
    width = last // t.block_size * t.type_size
    res = A.output(out, arr.shape[:-1] + (width,), np.uint8, (arr, data))
    rows = A.as_rows(arr, "data")
    status = _threads.run(_kernel("gguf_quantize", t), rows, res.reshape(rows.shape[0], width),
                          threads=threads, unit=(t.block_size, t.type_size))
    if status:
        raise _encode_error(status, t, arr)
    return A.wrap(res, device)
