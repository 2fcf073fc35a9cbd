"""fastquant's codecs on dask arrays, chunk by chunk (SPEC section 11).

Every function has the name and arguments of the NumPy function it applies, takes a dask
array (anything else goes through ``dask.array.asarray``) and gives a dask array whose
computed value is identical, byte for byte, to the NumPy function applied to the whole array.
Each chunk is one call of the public function (one thread per call: dask runs the chunks in
parallel), so it runs unchanged on ``dask.distributed``.

- Arguments are checked when the graph is built, by calling the function on a one-row sample
  (the same errors as NumPy, before anything runs); that call also gives the result's dtype.
- Where the last axis changes length (sign bits and int4 nibbles packed or unpacked), each
  chunk of the last axis is packed on its own: its chunks must be multiples of 8 (sign bits)
  or 2 (int4 codes), except the last (``x.rechunk({-1: -1})`` always works).
- Where the scale comes from the data (:func:`quantize_to_int4`,
  :func:`quantize_to_packed_int4`), the minimum and maximum are computed first as dask
  reductions (``compute`` runs then, one pass over the data); the codes stay lazy, and the
  scale is the Python float NumPy gives.
- Per-channel ``scales`` / ``zero_point`` (``axis=k``) are sliced to each chunk's channels.

Needs dask (the ``dask`` extra).
"""

from __future__ import annotations

import operator

import dask
import dask.array as da
import numpy as np

from . import affine as _affine
from . import embeddings as _embeddings
from . import int4 as _int4

__all__ = [
    "quantize_embeddings",
    "dequantize",
    "quantize_to_int4",
    "dequantize_from_int4",
    "pack_int4_to_int8",
    "unpack_int8_to_int4",
    "quantize_to_packed_int4",
    "dequantize_packed_int4",
    "quantize_func",
    "dequantize_func",
]

_SIGN_BITS = ("binary", "ubinary")


def _dask(x) -> da.Array:
    return x if isinstance(x, da.Array) else da.asarray(x)


def _sample(x: da.Array, axis=None) -> np.ndarray:
    """Zeros of ``x``'s dtype, one along every axis but the last (and ``axis``), which keep
    their length: the arguments of a call on it are checked as on the whole array."""
    if x.ndim == 0:
        return np.zeros((), x.dtype)
    shape = [1] * (x.ndim - 1) + [x.shape[-1]]
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim:  # else the call says what is wrong
        shape[axis] = x.shape[axis]
    return np.zeros(shape, x.dtype)


def _meta(ndim: int, dtype) -> np.ndarray:
    return np.empty((0,) * ndim, dtype)


def _call(block, fn, args, kwargs):
    return fn(block, *args, threads=1, **kwargs)


def _call_with_length(block, fn, args, kwargs, length_name, block_info=None):
    """``fn`` on one chunk, told the chunk's output length along the last axis."""
    kwargs = {**kwargs, length_name: block_info[None]["chunk-shape"][-1]}
    return fn(block, *args, threads=1, **kwargs)


def _map(x: da.Array, fn, dtype, *args, **kwargs) -> da.Array:
    """``fn(chunk, *args, **kwargs)`` on each chunk; the shape does not change."""
    return x.map_blocks(_call, fn, args, kwargs, dtype=dtype, meta=_meta(x.ndim, dtype))


def _pack_chunks(x: da.Array, name: str, unit: int) -> tuple:
    """The last axis's chunks once ``unit`` values become one byte."""
    sizes = x.chunks[-1]
    if any(c % unit for c in sizes[:-1]):
        raise ValueError(
            f"{name}: every chunk of the last axis but the last must hold a multiple of {unit} values "
            f"(each is packed on its own), got chunks {sizes}; rechunk, e.g. {name}.rechunk({{-1: -1}})"
        )
    return x.chunks[:-1] + (tuple(-(-c // unit) for c in sizes),)


def _unpack_chunks(x: da.Array, unit: int, total: int) -> tuple:
    """The last axis's chunks once each byte becomes ``unit`` values, ``total`` in all."""
    sizes = [unit * c for c in x.chunks[-1]]
    if sizes:
        sizes[-1] -= sum(sizes) - total
    return x.chunks[:-1] + (tuple(sizes),)


def _packed(x: da.Array, fn, dtype, name: str, unit: int, *args, **kwargs) -> da.Array:
    chunks = _pack_chunks(x, name, unit)
    return x.map_blocks(_call, fn, args, kwargs, dtype=dtype, chunks=chunks, meta=_meta(x.ndim, dtype))


def _unpacked(x: da.Array, fn, dtype, unit: int, total: int, length_name: str, *args, **kwargs) -> da.Array:
    chunks = _unpack_chunks(x, unit, total)
    return x.map_blocks(_call_with_length, fn, args, kwargs, length_name, dtype=dtype, chunks=chunks,
                        meta=_meta(x.ndim, dtype))


def quantize_embeddings(x, precision):
    """:func:`fastquant.quantize_embeddings` on a dask array: ``"int8"``/``"uint8"`` chunk by
    chunk; ``"binary"``/``"ubinary"`` pack the last axis (chunks of multiples of 8 but the last)."""
    x = _dask(x)
    dtype = _embeddings.quantize_embeddings(_sample(x), precision).dtype
    if precision in _SIGN_BITS:
        return _packed(x, _embeddings.quantize_embeddings, dtype, "x", 8, precision)
    return _map(x, _embeddings.quantize_embeddings, dtype, precision)


def dequantize(q, quant, orig_dim=None):
    """:func:`fastquant.dequantize` on a dask array (``orig_dim`` as there: required for the
    sign-bit formats, whose last axis is unpacked)."""
    q = _dask(q)
    _embeddings.dequantize(_sample(q), quant, orig_dim)  # checks quant, q's dtype and orig_dim
    if quant in _SIGN_BITS:
        return _unpacked(q, _embeddings.dequantize, np.float32, 8, orig_dim, "orig_dim", quant)
    return _map(q, _embeddings.dequantize, np.float32, quant, orig_dim)


def _int4_scale(x: da.Array, scale_method: str) -> float:
    """The scale :func:`fastquant.quantize_to_int4` derives from the whole of ``x``: it depends
    on the minimum and maximum alone, so fastquant computes it from those two (computed here
    as dask reductions; rounding to float32 keeps the order, so they are the float32 ones)."""
    _int4.quantize_to_int4(_sample(x).reshape(-1)[:1], scale_method)  # checks the dtype and scale_method
    if x.size == 0:
        _int4.quantize_to_int4(np.empty(0, np.float32), scale_method)  # the empty-input error
    lo, hi = dask.compute(x.min(), x.max())
    # non-finite data gives a non-finite bound, and so fastquant's own ValueError here
    return _int4.quantize_to_int4(np.array([lo, hi], np.float32), scale_method)[1]


def quantize_to_int4(values, scale_method="minmax"):
    """:func:`fastquant.quantize_to_int4` on a dask array: ``(q, scale, zero_point)`` with
    ``q`` a dask array of int8 codes and ``scale`` the float NumPy gives for the whole array
    (its minimum and maximum are computed now; the codes when ``q`` is)."""
    x = _dask(values)
    scale = _int4_scale(x, scale_method)
    return _map(x, _affine.quantize_func, np.int8, scale, 0, 4), scale, 0


def quantize_to_packed_int4(values, scale_method="minmax"):
    """:func:`fastquant.quantize_to_packed_int4` on a dask array, as :func:`quantize_to_int4`
    with the codes packed along the last axis (chunks of even length but the last)."""
    x = _dask(values)
    if x.ndim == 0:
        _int4.quantize_to_packed_int4(np.zeros((), x.dtype), scale_method)  # NumPy's 0-d error
    _pack_chunks(x, "values", 2)
    scale = _int4_scale(x, scale_method)
    return _packed(x, _quantize_pack_int4, np.int8, "values", 2, scale), scale, 0


def _quantize_pack_int4(block, scale, *, threads):
    return _int4.pack_int4_to_int8(_affine.quantize_func(block, scale, 0, 4, threads=threads), threads=threads)


def dequantize_from_int4(q, scale, zero_point=0):
    """:func:`fastquant.dequantize_from_int4` on a dask array."""
    q = _dask(q)
    _int4.dequantize_from_int4(_sample(q), scale, zero_point)
    return _map(q, _int4.dequantize_from_int4, np.float32, scale, zero_point)


def pack_int4_to_int8(values):
    """:func:`fastquant.pack_int4_to_int8` on a dask array (chunks of the last axis of even
    length but the last)."""
    x = _dask(values)
    _int4.pack_int4_to_int8(_sample(x))
    return _packed(x, _int4.pack_int4_to_int8, np.int8, "values", 2)


def _unpacked_length(x: da.Array, n) -> int:
    return 2 * x.shape[-1] if n is None else operator.index(n)


def unpack_int8_to_int4(packed, n=None):
    """:func:`fastquant.unpack_int8_to_int4` on a dask array."""
    x = _dask(packed)
    _int4.unpack_int8_to_int4(_sample(x), n)  # checks n against the last axis
    return _unpacked(x, _int4.unpack_int8_to_int4, np.int8, 2, _unpacked_length(x, n), "n")


def dequantize_packed_int4(packed, scale, zero_point=0, n=None):
    """:func:`fastquant.dequantize_packed_int4` on a dask array."""
    x = _dask(packed)
    _int4.dequantize_packed_int4(_sample(x), scale, zero_point, n)
    return _unpacked(x, _int4.dequantize_packed_int4, np.float32, 2, _unpacked_length(x, n), "n", scale, zero_point)


def _per_channel(block, fn, axis, params, kwargs, block_info=None):
    """``fn`` on one chunk with the per-channel parameters of its channels along ``axis``."""
    lo, hi = block_info[0]["array-location"][axis]
    args = [p[lo:hi] if isinstance(p, np.ndarray) and p.ndim == 1 else p for p in params]
    return fn(block, *args, axis=axis, threads=1, **kwargs)


def _affine_map(x: da.Array, fn, dtype, scales, zero_point, axis, **kwargs) -> da.Array:
    if axis is None:
        return _map(x, fn, dtype, scales, zero_point, **kwargs)
    axis = operator.index(axis) % x.ndim  # valid: the sample call checked it
    params = [p if np.ndim(p) == 0 else np.asarray(p) for p in (scales, zero_point)]
    return x.map_blocks(_per_channel, fn, axis, params, kwargs, dtype=dtype, meta=_meta(x.ndim, dtype))


def quantize_func(x, scales, zero_point, n_bits=8, *, axis=None, signed=True):
    """:func:`fastquant.quantize_func` on a dask array; per-channel parameters (``axis=k``)
    are sliced to each chunk's channels."""
    x = _dask(x)
    dtype = _affine.quantize_func(_sample(x, axis), scales, zero_point, n_bits, axis=axis, signed=signed).dtype
    return _affine_map(x, _affine.quantize_func, dtype, scales, zero_point, axis, n_bits=n_bits, signed=signed)


def dequantize_func(x_q, scales, zero_point, *, axis=None):
    """:func:`fastquant.dequantize_func` on a dask array; per-channel parameters as in
    :func:`quantize_func`."""
    x = _dask(x_q)
    _affine.dequantize_func(_sample(x, axis), scales, zero_point, axis=axis)
    return _affine_map(x, _affine.dequantize_func, np.float32, scales, zero_point, axis)
