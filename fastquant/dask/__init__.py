"""fastquant's codecs on dask arrays, chunk by chunk (SPEC section 11).

Every function has the name and arguments of the NumPy function it applies, takes a dask
array (anything else goes through ``dask.array.asarray``) and gives a dask array whose
computed value is identical, byte for byte, to the NumPy function applied to the whole array.
Each chunk is one call of the public function (one thread per call: dask runs the chunks in
parallel), so it runs unchanged on ``dask.distributed``. The functions of
:mod:`fastquant.gguf` are in :mod:`fastquant.dask.gguf`, those of :mod:`fastquant.floats` in
:mod:`fastquant.dask.floats`, with the same names.

- Arguments are checked when the graph is built, by calling the function on a one-row sample
  (the same errors as NumPy, before anything runs); that call also gives the result's dtype.
- Where the last axis changes length (sign bits and int4 nibbles packed or unpacked), each
  chunk of the last axis is packed on its own: its chunks must be multiples of 8 (sign bits)
  or 2 (int4 codes), except the last (``x.rechunk({-1: -1})`` always works).
- Where the scale comes from the data (:func:`quantize_to_int4`,
  :func:`quantize_to_packed_int4`, :func:`calibration_ranges` and ``calibration_embeddings=``),
  the minima and maxima are computed first as dask reductions (``compute`` runs then, one pass
  over the data); the codes stay lazy, and the scale (or ranges) is what NumPy gives.
- Per-channel ``scales`` / ``zero_point`` (``axis=k``) and per-dimension ``ranges`` are sliced
  to each chunk's channels.

Needs dask (the ``dask`` extra).
"""

from __future__ import annotations

import operator

import dask
import dask.array as da
import numpy as np

from .. import _arrays as A
from .. import _calibrated
from .. import affine as _affine
from .. import embeddings as _embeddings
from .. import int4 as _int4
from ._chunks import as_dask as _dask
from ._chunks import elementwise as _map
from ._chunks import pack_chunks as _pack_chunks
from ._chunks import packed as _packed
from ._chunks import per_channel, per_column
from ._chunks import sample as _sample
from ._chunks import unpacked as _unpacked

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
    "calibration_ranges",
]

_SIGN_BITS = ("binary", "ubinary")


def quantize_embeddings(x, precision, *, ranges=None, calibration_embeddings=None):
    """:func:`fastquant.quantize_embeddings` on a dask array: ``"int8"``/``"uint8"`` chunk by
    chunk; ``"binary"``/``"ubinary"`` pack the last axis (chunks of multiples of 8 but the last).

    ``ranges`` (``(2, D)``) are sliced to each chunk's columns of the last axis (any chunking);
    ``calibration_embeddings`` (``(n, D)``, a dask array or not) are reduced to their ranges
    first, as :func:`calibration_ranges` does (``compute`` runs then)."""
    x = _dask(x)
    if ranges is None and calibration_embeddings is None:
        dtype = _embeddings.quantize_embeddings(_sample(x), precision).dtype
        if precision in _SIGN_BITS:
            return _packed(x, _embeddings.quantize_embeddings, dtype, "x", 8, precision)
        return _map(x, _embeddings.quantize_embeddings, dtype, precision)
    s = _sample(x)
    both_given = ranges is not None and calibration_embeddings is not None
    if ranges is None:  # calibrate first: everything but the data checked as NumPy does, then one pass
        _calibrated.check_encode_choice(precision, None, calibration_embeddings)
        _embeddings.quantize_embeddings(s, precision)  # x's dtype
        ranges = _ranges_of(calibration_embeddings, "calibration_embeddings", _calibrated._last_axis(s, "x"))
    dtype = _embeddings.quantize_embeddings(s, precision, ranges=ranges,
                                            calibration_embeddings=calibration_embeddings if both_given else None).dtype
    r = A.floats(ranges, "ranges")[0]
    return per_column(x, _embeddings.quantize_embeddings, dtype, {"ranges": r}, precision=precision)


def dequantize(q, quant, orig_dim=None, *, ranges=None):
    """:func:`fastquant.dequantize` on a dask array (``orig_dim`` as there: required for the
    sign-bit formats, whose last axis is unpacked; ``ranges`` sliced to each chunk's columns)."""
    q = _dask(q)
    _embeddings.dequantize(_sample(q), quant, orig_dim, ranges=ranges)  # checks quant, q, orig_dim, ranges
    if ranges is not None:
        r = A.floats(ranges, "ranges")[0]
        return per_column(q, _embeddings.dequantize, np.float32, {"ranges": r}, quant=quant, orig_dim=orig_dim)
    if quant in _SIGN_BITS:
        return _unpacked(q, _embeddings.dequantize, np.float32, 8, orig_dim, "orig_dim", quant)
    return _map(q, _embeddings.dequantize, np.float32, quant, orig_dim)


def _ranges_of(embeddings, name: str, d=None) -> np.ndarray:
    """The float32 ``(2, D)`` ranges NumPy's ``calibration_ranges`` gives for ``embeddings``
    (errors naming ``name``), from two dask reductions: the minimum and maximum of each column
    are exact, so only the sign of a zero (+0.0 there) and NaN need care."""
    e = _dask(embeddings)
    _calibrated.check_calibration_shape(e.shape, name, d)
    _calibrated.calibrate(_sample(e), name, d)  # the dtype (and nothing else: one zero row)
    if e.dtype != np.float32:
        e = e.astype(np.float32)  # as NumPy converts: float32 first (rounding keeps the order)
    lo, hi = dask.compute(e.min(axis=0), e.max(axis=0))
    r = np.stack([lo, hi]).astype(np.float32) + np.float32(0)  # -0.0 + 0.0 is +0.0
    if np.isnan(r).any():
        raise ValueError(f"{name}: expected numbers without NaN, got NaN")
    _calibrated._params(r, name)  # inf, or a max - min overflowing float32: NumPy's errors
    return r


def calibration_ranges(embeddings):
    """:func:`fastquant.calibration_ranges` of a dask array ``(n, D)``: the float32 ``(2, D)``
    NumPy array of per-dimension minima and maxima, computed now as dask reductions."""
    return _ranges_of(embeddings, "embeddings")


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


def _affine_map(x: da.Array, fn, dtype, scales, zero_point, axis, **kwargs) -> da.Array:
    if axis is None:
        return _map(x, fn, dtype, scales, zero_point, **kwargs)
    axis = operator.index(axis) % x.ndim  # valid: the sample call checked it
    params = [p if np.ndim(p) == 0 else np.asarray(p) for p in (scales, zero_point)]
    return per_channel(x, fn, dtype, axis, params, **kwargs)


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


from . import floats, gguf  # noqa: E402  (fastquant.dask.floats/.gguf: after this module's names)
