"""The chunk plumbing of :mod:`fastquant.dask`: one call of a public function per chunk, with
the output chunks it gives (same shape; the last axis packed, unpacked or turned into whole
blocks; per-channel parameters sliced to the chunk).

Every public function of fastquant.dask (and its submodules) is a few lines over these: it
checks its arguments with the NumPy function on a small sample (:func:`sample`), then maps
the function over the chunks with one of the helpers below.
"""

from __future__ import annotations

import dask.array as da
import numpy as np


def as_dask(x) -> da.Array:
    return x if isinstance(x, da.Array) else da.asarray(x)


def sample(x: da.Array, axis=None) -> np.ndarray:
    """Zeros of ``x``'s dtype, one along every axis but the last (and ``axis``), which keep
    their length: the arguments of a call on it are checked as on the whole array."""
    if x.ndim == 0:
        return np.zeros((), x.dtype)
    shape = [1] * (x.ndim - 1) + [x.shape[-1]]
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim:  # else the call says what is wrong
        shape[axis] = x.shape[axis]
    return np.zeros(shape, x.dtype)


def meta(ndim: int, dtype) -> np.ndarray:
    return np.empty((0,) * ndim, dtype)


def _call(block, fn, args, kwargs):
    return fn(block, *args, threads=1, **kwargs)


def _call_with_length(block, fn, args, kwargs, length_name, block_info=None):
    """``fn`` on one chunk, told the chunk's output length along the last axis."""
    kwargs = {**kwargs, length_name: block_info[None]["chunk-shape"][-1]}
    return fn(block, *args, threads=1, **kwargs)


def elementwise(x: da.Array, fn, dtype, *args, **kwargs) -> da.Array:
    """``fn(chunk, *args, **kwargs)`` on each chunk; the shape does not change."""
    return x.map_blocks(_call, fn, args, kwargs, dtype=dtype, meta=meta(x.ndim, dtype))


def pack_chunks(x: da.Array, name: str, unit: int) -> tuple:
    """The last axis's chunks once ``unit`` values become one byte."""
    sizes = x.chunks[-1]
    if any(c % unit for c in sizes[:-1]):
        raise ValueError(
            f"{name}: every chunk of the last axis but the last must hold a multiple of {unit} values "
            f"(each is packed on its own), got chunks {sizes}; rechunk, e.g. {name}.rechunk({{-1: -1}})"
        )
    return x.chunks[:-1] + (tuple(-(-c // unit) for c in sizes),)


def unpack_chunks(x: da.Array, unit: int, total: int) -> tuple:
    """The last axis's chunks once each byte becomes ``unit`` values, ``total`` in all."""
    sizes = [unit * c for c in x.chunks[-1]]
    if sizes:
        sizes[-1] -= sum(sizes) - total
    return x.chunks[:-1] + (tuple(sizes),)


def packed(x: da.Array, fn, dtype, name: str, unit: int, *args, **kwargs) -> da.Array:
    chunks = pack_chunks(x, name, unit)
    return x.map_blocks(_call, fn, args, kwargs, dtype=dtype, chunks=chunks, meta=meta(x.ndim, dtype))


def unpacked(x: da.Array, fn, dtype, unit: int, total: int, length_name: str, *args, **kwargs) -> da.Array:
    chunks = unpack_chunks(x, unit, total)
    return x.map_blocks(_call_with_length, fn, args, kwargs, length_name, dtype=dtype, chunks=chunks,
                        meta=meta(x.ndim, dtype))


def block_chunks(x: da.Array, name: str, unit: int, what: str, axis: int = -1) -> tuple:
    """The chunks of ``axis`` checked to hold whole blocks of ``unit`` elements each (every
    chunk, the last included: the whole axis is whole blocks, which the NumPy call checks)."""
    sizes = x.chunks[axis]
    if any(c % unit for c in sizes):
        axis_name = "last axis" if axis in (-1, x.ndim - 1) else f"axis {axis % x.ndim}"
        raise ValueError(
            f"{name}: every chunk of the {axis_name} must hold whole {what} (multiples of {unit}), "
            f"got chunks {sizes}; rechunk to multiples of {unit}, e.g. {name}.rechunk({{{axis}: -1}})"
        )
    return sizes


def blocks(x: da.Array, fn, dtype, unit_in: int, unit_out: int, *args, axis: int = -1, **kwargs) -> da.Array:
    """``fn`` on each chunk, whose ``axis`` holds whole blocks of ``unit_in`` elements that
    become ``unit_out`` elements each (checked by :func:`block_chunks` first)."""
    axis = axis % x.ndim
    out = tuple(c // unit_in * unit_out for c in x.chunks[axis])
    chunks = x.chunks[:axis] + (out,) + x.chunks[axis + 1:]
    return x.map_blocks(_call, fn, args, kwargs, dtype=dtype, chunks=chunks, meta=meta(x.ndim, dtype))


def _along_last(block, fn, params, kwargs, block_info=None):
    """``fn`` on one chunk with the per-dimension parameters (``(k, D)`` arrays, one column a
    value of the last axis) of its columns."""
    lo, hi = block_info[0]["array-location"][-1]
    return fn(block, threads=1, **{**kwargs, **{k: p[:, lo:hi] for k, p in params.items()}})


def per_column(x: da.Array, fn, dtype, params: dict, **kwargs) -> da.Array:
    """``fn(chunk, **kwargs, name=param[:, lo:hi])`` for the chunk's columns ``lo:hi`` of the
    last axis: parameters given per value of the last axis, sliced to each chunk."""
    return x.map_blocks(_along_last, fn, params, kwargs, dtype=dtype, meta=meta(x.ndim, dtype))


def _per_channel(block, fn, axis, params, kwargs, block_info=None):
    """``fn`` on one chunk with the per-channel parameters of its channels along ``axis``."""
    lo, hi = block_info[0]["array-location"][axis]
    args = [p[lo:hi] if isinstance(p, np.ndarray) and p.ndim == 1 else p for p in params]
    return fn(block, *args, axis=axis, threads=1, **kwargs)


def per_channel(x: da.Array, fn, dtype, axis: int, params: list, **kwargs) -> da.Array:
    """``fn(chunk, *params, axis=axis, **kwargs)`` with 1-D parameters sliced to the chunk's
    channels along ``axis``."""
    return x.map_blocks(_per_channel, fn, axis, params, kwargs, dtype=dtype, meta=meta(x.ndim, dtype))
