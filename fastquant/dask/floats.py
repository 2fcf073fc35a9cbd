""":mod:`fastquant.floats` on dask arrays, chunk by chunk: minifloat codes, OCP MX blocks and
unsigned nibble packing.

Each function has the name and arguments of the NumPy function it applies, and its computed
value is identical, byte for byte, to that function on the whole array. Arguments are checked
when the graph is built (a call on a small sample); errors that depend on the values (fp6 /
fp4 codes with bits above the format's width) come when the chunk is computed, as NumPy
gives them.

- :func:`encode` and :func:`decode`: any chunking.
- :func:`quantize_mx` and :func:`dequantize_mx`: the chunks of ``axis`` hold whole blocks
  (multiples of ``block_size``); every other axis may be chunked freely. ``quantize_mx``
  returns ``(codes, scales)`` computed in one pass: both come from one task per chunk, so
  ``dask.compute(codes, scales)`` (or storing both in one ``da.store``) reads ``x`` once.
- :func:`pack_nibbles`: chunks of the last axis of even length but the last;
  :func:`unpack_nibbles`: any chunking.

>>> import dask.array as da
>>> import numpy as np
>>> import fastquant.dask.floats as dfloats
>>> x = da.from_array(np.linspace(-4, 4, 128, dtype=np.float32).reshape(2, 64), chunks=(1, 32))
>>> codes, scales = dfloats.quantize_mx(x, "float4_e2m1fn")
>>> codes.chunks, scales.chunks
(((1, 1), (32, 32)), ((1, 1), (1, 1)))
>>> dfloats.dequantize_mx(codes, scales, "float4_e2m1fn").compute()[0, :4].tolist()
[-4.0, -4.0, -4.0, -4.0]
"""

from __future__ import annotations

import numpy as np

from .. import floats as _floats
from ._chunks import as_dask, block_chunks, elementwise, meta, sample, unpacked
from ._chunks import packed as _packed_map

__all__ = ["encode", "decode", "quantize_mx", "dequantize_mx", "pack_nibbles", "unpack_nibbles"]

_UINT8, _F32 = np.dtype(np.uint8), np.dtype(np.float32)


def encode(x, fmt, *, saturate=False):
    """:func:`fastquant.floats.encode` on a dask array: uint8 codes of ``x``'s chunks."""
    x = as_dask(x)
    _floats.encode(sample(x), fmt, saturate=saturate)
    return elementwise(x, _floats.encode, _UINT8, fmt, saturate=saturate)


def decode(codes, fmt):
    """:func:`fastquant.floats.decode` on a dask array: float32 values of the chunks' codes."""
    c = as_dask(codes)
    _floats.decode(sample(c), fmt)
    return elementwise(c, _floats.decode, _F32, fmt)


def _axis(x, axis) -> int:
    return int(axis) % x.ndim


def _mx_both(block, fmt, block_size, axis):
    """Codes and scales of one chunk, one after the other along ``axis``."""
    codes, scales = _floats.quantize_mx(block, fmt, block_size=block_size, axis=axis, threads=1)
    return np.concatenate([codes, scales], axis=axis)


def _mx_part(block, block_size, axis, scales):
    """The codes (``scales=False``) or the scales of a chunk of :func:`_mx_both`."""
    n = block.shape[axis] * block_size // (block_size + 1)
    index = [slice(None)] * block.ndim
    index[axis] = slice(n, None) if scales else slice(0, n)
    return np.ascontiguousarray(block[tuple(index)])


def quantize_mx(x, fmt, *, block_size=32, axis=-1):
    """:func:`fastquant.floats.quantize_mx` on a dask array: ``(codes, scales)``, two dask
    arrays (uint8) from the same tasks. The chunks of ``axis`` hold whole blocks."""
    x = as_dask(x)
    _floats.quantize_mx(sample(x, axis), fmt, block_size=block_size, axis=axis)  # every argument, as NumPy checks it
    ax = _axis(x, axis)
    bs = int(block_size)
    sizes = block_chunks(x, "x", bs, f"MX blocks of {bs} values", axis=ax)
    both_chunks = x.chunks[:ax] + (tuple(c + c // bs for c in sizes),) + x.chunks[ax + 1:]
    both = x.map_blocks(_mx_both, fmt, bs, ax, dtype=_UINT8, chunks=both_chunks, meta=meta(x.ndim, _UINT8))
    codes = both.map_blocks(_mx_part, bs, ax, False, dtype=_UINT8, chunks=x.chunks, meta=meta(x.ndim, _UINT8))
    scale_chunks = x.chunks[:ax] + (tuple(c // bs for c in sizes),) + x.chunks[ax + 1:]
    scales = both.map_blocks(_mx_part, bs, ax, True, dtype=_UINT8, chunks=scale_chunks, meta=meta(x.ndim, _UINT8))
    return codes, scales


def _mx_values(codes, scales, fmt, block_size, axis):
    return _floats.dequantize_mx(codes, scales, fmt, block_size=block_size, axis=axis, threads=1)


def dequantize_mx(codes, scales, fmt, *, block_size=32, axis=-1):
    """:func:`fastquant.floats.dequantize_mx` on dask arrays: the chunks of ``codes``' ``axis``
    hold whole blocks; ``scales`` (any chunking) is rechunked to match them. float32."""
    c, s = as_dask(codes), as_dask(scales)
    probe = sample(c, axis)
    ok_axis = isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)) and -c.ndim <= axis < c.ndim
    if ok_axis and isinstance(block_size, (int, np.integer)) and block_size > 0 and probe.shape[axis] % block_size == 0:
        sshape = list(probe.shape)
        sshape[axis] //= int(block_size)
        scale_probe = np.zeros(sshape, s.dtype)
    else:
        scale_probe = np.zeros((), s.dtype)  # the call below says what is wrong with axis / block_size
    _floats.dequantize_mx(probe, scale_probe, fmt, block_size=block_size, axis=axis)
    ax = _axis(c, axis)
    bs = int(block_size)
    want = c.shape[:ax] + (c.shape[ax] // bs,) + c.shape[ax + 1:]
    if s.shape != want:
        raise ValueError(f"scales: expected shape {want} (codes' shape with axis {ax} divided by "
                         f"block_size {bs}), got {s.shape}")
    sizes = block_chunks(c, "codes", bs, f"MX blocks of {bs} codes", axis=ax)
    s = s.rechunk(c.chunks[:ax] + (tuple(n // bs for n in sizes),) + c.chunks[ax + 1:])
    return c.map_blocks(_mx_values, s, fmt, bs, ax, dtype=_F32, meta=meta(c.ndim, _F32))


def pack_nibbles(codes):
    """:func:`fastquant.floats.pack_nibbles` on a dask array (chunks of the last axis of even
    length but the last)."""
    c = as_dask(codes)
    _floats.pack_nibbles(sample(c))
    return _packed_map(c, _floats.pack_nibbles, _UINT8, "codes", 2)


def unpack_nibbles(packed, n=None):
    """:func:`fastquant.floats.unpack_nibbles` on a dask array."""
    p = as_dask(packed)
    _floats.unpack_nibbles(sample(p), n)  # checks n against the last axis
    total = 2 * p.shape[-1] if n is None else int(n)
    return unpacked(p, _floats.unpack_nibbles, _UINT8, 2, total, "n")
