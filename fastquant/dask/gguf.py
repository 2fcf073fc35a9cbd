""":mod:`fastquant.gguf`'s ``quantize`` and ``dequantize`` on dask arrays, chunk by chunk.

The last axis holds whole GGUF blocks, so each of its chunks must too: multiples of the type's
``block_size`` values (``quantize``) or of its ``type_size`` bytes (``dequantize``; for data
given as wider integers, the chunk's bytes). Every other axis may be chunked freely. The
computed result is identical, byte for byte, to the NumPy function on the whole array.

>>> import dask.array as da
>>> import numpy as np
>>> import fastquant.dask.gguf as dgguf
>>> dgguf.dequantize(da.zeros((4, 288), dtype=np.uint8, chunks=(2, 144)), "Q4_K").chunks
((2, 2), (256, 256))
"""

from __future__ import annotations

import math

import numpy as np

from .. import gguf as _gguf
from ._chunks import as_dask, block_chunks, blocks, sample

__all__ = ["quantize", "dequantize"]

_UINT8 = np.dtype(np.uint8)


def quantize(data, qtype):
    """:func:`fastquant.gguf.quantize` on a dask array: chunks of the last axis hold whole
    blocks (multiples of ``block_size`` values); F32 and F16 give float32 / float16 values,
    every other type uint8 bytes (``block_size`` values become ``type_size`` bytes)."""
    x = as_dask(data)
    t = _gguf.qtype_of(qtype)
    dtype = _gguf.quantize(sample(x), t).dtype  # qtype, data's dtype and whole blocks, as NumPy checks them
    block_chunks(x, "data", t.block_size, f"{t.name} blocks of {t.block_size} values")
    unit_out = t.type_size if dtype == _UINT8 else t.block_size
    return blocks(x, _gguf.quantize, dtype, t.block_size, unit_out, t)


def dequantize(data, qtype):
    """:func:`fastquant.gguf.dequantize` on a dask array: chunks of the last axis hold whole
    blocks (``type_size`` bytes each, counted in bytes of ``data``'s dtype); float32 values."""
    x = as_dask(data)
    t = _gguf.qtype_of(qtype)
    _gguf.dequantize(sample(x), t)  # qtype, data's dtype and whole blocks, as NumPy checks them
    item = x.dtype.itemsize
    unit_in = t.type_size // math.gcd(t.type_size, item)  # elements of data a chunk holds a multiple of
    block_chunks(x, "data", unit_in, f"{t.name} blocks of {t.type_size} bytes")
    return blocks(x, _gguf.dequantize, np.float32, unit_in, unit_in * item // t.type_size * t.block_size, t)
