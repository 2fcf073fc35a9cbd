"""Calibrated int8/uint8 embeddings (SPEC section 10): sentence-transformers' codec with
per-dimension ranges, behind ``quantize_embeddings(..., ranges=/calibration_embeddings=)``,
``dequantize(..., ranges=)`` and ``calibration_ranges`` of :mod:`fastquant.embeddings`.

The public functions check ``precision``/``quant`` and then hand over here; everything below
validates the ranges (or calibrates them), then runs one kernel of the ``ranges8`` family over
whole rows (threads split at row boundaries: ``unit=(D, D)``).
"""

from __future__ import annotations

import math

import numpy as np

from . import _arrays as A
from . import _threads
from ._backend import kernels

_F32, _INT8, _UINT8 = np.dtype(np.float32), np.dtype(np.int8), np.dtype(np.uint8)

#: The codes of each calibrated format: dtype and range.
CODES = {"int8": (_INT8, -128, 127), "uint8": (_UINT8, 0, 255)}

# ranges8_params status bits (csrc/ranges8_simd.h)
_NAN, _INF, _ORDER = 1, 2, 4


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _bad_ranges(r: np.ndarray, status: int, name: str) -> None:
    """Raise the ValueError for a ranges8_params ``status`` of float32 ranges ``r`` (2, D) given
    as ``name`` ("ranges", or the embeddings they were calibrated from)."""
    lo, hi = r[0], r[1]
    if status & _NAN:
        raise ValueError(f"{name}: expected numbers without NaN, got NaN in dimension {_first(np.isnan(lo) | np.isnan(hi))}")
    if status & _INF:
        with np.errstate(over="ignore", invalid="ignore"):
            j = _first(~np.isfinite(hi - lo))
        a, b = float(lo[j]), float(hi[j])
        if name == "ranges":
            raise ValueError(
                f"{name}: expected finite bounds whose difference max - min is finite in float32, "
                f"got min {a!r}, max {b!r} in dimension {j}"
            )
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"{name}: expected finite numbers, got {a if not math.isfinite(a) else b!r} in dimension {j}")
        raise ValueError(f"{name}: the range max - min of dimension {j} ({a!r} to {b!r}) overflows float32")
    j = _first(lo > hi)
    raise ValueError(
        f"{name}: expected min <= max in every dimension (row 0 the minima, row 1 the maxima), "
        f"got min {float(lo[j])!r} > max {float(hi[j])!r} in dimension {j}"
    )


def _params(r: np.ndarray, name: str) -> np.ndarray:
    """float32 (2, D) starts and steps from validated-shape float32 ranges ``r``."""
    params = np.empty(r.shape, _F32)
    status = kernels().ranges8_params(r, params)
    if status:
        _bad_ranges(r, status, name)
    return params


def params_of_ranges(ranges, d: int) -> np.ndarray:
    """The kernels' parameters from a caller's ``ranges`` for embeddings of ``d`` values."""
    r, _ = A.floats(ranges, "ranges")
    if r.shape != (2, d):
        raise ValueError(
            f"ranges: expected shape (2, {d}) (a row of minima and a row of maxima, one per value of "
            f"the last axis), got shape {r.shape}"
        )
    return _params(r, "ranges")


def check_calibration_shape(shape: tuple, name: str, d=None) -> None:
    """``ValueError`` naming ``name`` unless calibration embeddings of ``shape`` are (n >= 1, d)
    (any D when ``d`` is None)."""
    if len(shape) != 2 or shape[0] == 0 or (d is not None and shape[1] != d):
        want = "D" if d is None else str(d)
        why = "" if d is None else f" ({d}: the last axis of x)"
        raise ValueError(f"{name}: expected a 2-D array of shape (n, {want}) with n >= 1 rows{why}, got shape {shape}")


def calibrate(embeddings, name: str, d=None, threads=None):
    """``(ranges, device)``: per-dimension (min, max) of the rows of ``embeddings`` (n >= 1, D)
    as float32 (2, D), zeros as +0.0; validated, so that the ranges always encode."""
    arr, device = A.floats(embeddings, name)
    check_calibration_shape(arr.shape, name, d)
    rows, dims = arr.shape
    res = np.empty((2, dims), _F32)
    k = kernels().ranges8_minmax
    n = _threads.count(threads, arr.size)
    if n == 1 or rows == 1:
        nan = k(arr, res)
    else:  # min/max of each thread's rows, then of those (zeros are +0.0 in all of them)
        parts = _threads.ranges(rows, n)
        partial = np.empty((len(parts), 2, dims), _F32)
        nan = any(_threads._execute([(k, (arr[i:j], partial[p])) for p, (i, j) in enumerate(parts)]))
        if not nan:
            np.min(partial[:, 0], axis=0, out=res[0])
            np.max(partial[:, 1], axis=0, out=res[1])
    if nan:
        raise ValueError(f"{name}: expected numbers without NaN, got NaN")
    return res, device


def calibration_ranges(embeddings, threads=None):
    """The public :func:`fastquant.calibration_ranges` (see its docstring)."""
    res, device = calibrate(embeddings, "embeddings", threads=threads)
    _params(res, "embeddings")  # the same checks as ranges= gets: inf, max - min overflowing
    return A.wrap(res, device)


def _rows(arr: np.ndarray, d: int) -> np.ndarray:
    return arr.reshape(math.prod(arr.shape[:-1]), d)


def _last_axis(arr: np.ndarray, name: str) -> int:
    if arr.ndim == 0:
        raise ValueError(
            f"{name}: expected an array with at least 1 dimension (the last holds one value per "
            "dimension of the ranges), got a 0-d array"
        )
    return arr.shape[-1]


def check_encode_choice(precision: str, ranges, calibration_embeddings) -> None:
    """The checks of the arguments that select the calibrated encoder, before any data."""
    if precision not in CODES:
        given = "ranges" if ranges is not None else "calibration_embeddings"
        raise ValueError(f"{given}: only the 'int8' and 'uint8' precisions take ranges, got precision {precision!r}")
    if ranges is not None and calibration_embeddings is not None:
        raise ValueError(
            "calibration_embeddings: give ranges or calibration_embeddings, not both "
            "(calibration_ranges(calibration_embeddings) gives the ranges)"
        )


def check_decode_choice(quant: str) -> None:
    if quant not in CODES:
        raise ValueError(f"ranges: only 'int8' and 'uint8' codes take ranges, got quant {quant!r}")


def encode(x, precision: str, ranges, calibration_embeddings, out, threads):
    """``quantize_embeddings(x, precision, ranges=..., calibration_embeddings=...)`` for a
    checked ``precision`` and one of the two given."""
    check_encode_choice(precision, ranges, calibration_embeddings)
    arr, device = A.floats(x, "x")
    d = _last_axis(arr, "x")
    if ranges is not None:
        params = params_of_ranges(ranges, d)
    else:
        params = _params(calibrate(calibration_embeddings, "calibration_embeddings", d, threads)[0],
                         "calibration_embeddings")
    dtype = CODES[precision][0]
    res = A.output(out, arr.shape, dtype, (arr, x))
    k = kernels()
    k = k.ranges8_int8_encode if precision == "int8" else k.ranges8_uint8_encode
    nan = _threads.run(k, _rows(arr, d), _rows(res, d), params, threads=threads, unit=(d, d))
    if nan:
        raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
    return A.wrap(res, device)


def decode(q, quant: str, orig_dim, ranges, out, threads):
    """``dequantize(q, quant, orig_dim, ranges=...)`` for a checked ``quant``."""
    check_decode_choice(quant)
    from .embeddings import _same_dim  # the same orig_dim rule as without ranges

    dtype, lo, hi = CODES[quant]
    arr, device = A.integers(q, "q", lo, hi, dtype)
    d = _last_axis(arr, "q")
    _same_dim(orig_dim, arr)
    params = params_of_ranges(ranges, d)
    res = A.output(out, arr.shape, _F32, (arr, q))
    k = kernels()
    k = k.ranges8_int8_decode if quant == "int8" else k.ranges8_uint8_decode
    _threads.run(k, _rows(arr, d), _rows(res, d), params, A.streams(out, res), threads=threads, unit=(d, d))
    return A.wrap(res, device)
