"""Embedding codecs in the formats providers and sentence-transformers use (docs/embeddings.md):
int8, uint8, and packed sign bits ("binary" with offset -128, "ubinary" without); and
sentence-transformers' calibrated int8/uint8 with per-dimension ranges (docs/calibrated.md:
``ranges=``/``calibration_embeddings=``, :func:`calibration_ranges`; in ``_calibrated``)."""

from __future__ import annotations

import numpy as np

from . import _arrays as A
from . import _calibrated
from . import _threads
from ._backend import kernels, torch_path

__all__ = ["calibration_ranges", "dequantize", "quantize_embeddings"]

QUANTS = ("fp8", "int8", "uint8", "binary", "ubinary")
PRECISIONS = ("int8", "uint8", "binary", "ubinary")

_INT8, _UINT8, _F32 = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.float32)

#: Code dtype and range of each integer format; "binary" bytes are stored with offset -128.
#: (dtype instances: ``A.integers`` passes arrays of exactly that dtype through by identity.)
_CODES = {
    "int8": (_INT8, -128, 127),
    "uint8": (_UINT8, 0, 255),
    "binary": (_INT8, -128, 127),
    "ubinary": (_UINT8, 0, 255),
}

#: The common small decode (a C-contiguous int8 / uint8 array, nothing else given) goes
#: straight to its kernel: the whole call then costs well under a microsecond.
_DIRECT = {"int8": (_INT8, "embed8_int8_decode"), "uint8": (_UINT8, "embed8_uint8_decode"),
           "binary": (_INT8, None), "ubinary": (_UINT8, None), "fp8": (_F32, "copy")}

#: XORing a byte with 0x80 is subtracting (or adding) 128 mod 256: the "binary" offset.
_FLIP = {"binary": 0x80, "ubinary": 0}


def _copy(src, out):
    """The "fp8" decoder: a plain copy (NumPy releases the GIL for it), split like a kernel."""
    np.copyto(out, src)


def _orig_dim(orig_dim, packed: int) -> int:
    """``orig_dim`` for packed sign bits: an integer >= 1 with ``ceil(orig_dim / 8) == packed``."""
    if type(orig_dim) is int and 8 * packed - 7 <= orig_dim <= 8 * packed and orig_dim >= 1:
        return orig_dim  # the common case
    if orig_dim is None:
        raise ValueError("orig_dim: required for 'binary' and 'ubinary' (the number of unpacked values per row), got None")
    if isinstance(orig_dim, (bool, np.bool_)) or not isinstance(orig_dim, (int, np.integer)):
        raise ValueError(f"orig_dim: expected an integer >= 1, got {A._short(orig_dim)}")
    orig_dim = int(orig_dim)
    if orig_dim < 1 or (orig_dim + 7) // 8 != packed:
        want = f"{8 * packed - 7}..{8 * packed}" if packed else "none (q's last axis is empty)"
        raise ValueError(
            f"orig_dim: expected an integer with ceil(orig_dim / 8) == {packed} (q's last axis), "
            f"i.e. {want}, got {orig_dim}"
        )
    return orig_dim


def _same_dim(orig_dim, arr: np.ndarray) -> None:
    """For unpacked formats ``orig_dim`` is optional; when given it must be the last axis."""
    if orig_dim is None:
        return
    last = arr.shape[-1] if arr.ndim else None
    if isinstance(orig_dim, (bool, np.bool_)) or not isinstance(orig_dim, (int, np.integer)) or orig_dim != last:
        raise ValueError(f"orig_dim: expected None or q's last axis length ({last}), got {A._short(orig_dim)}")


@torch_path
def dequantize(q, quant, orig_dim=None, *, ranges=None, out=None, threads=None):
    """Decode embedding codes to float32.

    - ``"fp8"``: ``q`` as float32 (the values are already floats; NaN is kept)
    - ``"int8"``: ``float32(q) / float32(127)`` for codes in [-128, 127]
    - ``"uint8"``: ``float32(q) / float32(127.5) - float32(1)`` for codes in [0, 255]
    - ``"binary"`` / ``"ubinary"``: the last axis holds packed sign bits, MSB first, as int8
      bytes stored with offset -128 (``b = (q + 128) mod 256``) or as raw uint8 bytes; bit 1
      gives +1.0, bit 0 gives -1.0. ``orig_dim`` (>= 1, ``ceil(orig_dim / 8) == q.shape[-1]``)
      is required; the result has shape ``q.shape[:-1] + (orig_dim,)``.

    For the other formats ``orig_dim`` may be given, and must then equal ``q.shape[-1]``.

    ``ranges`` (``"int8"``/``"uint8"`` only; float32 ``(2, D)``: a row of per-dimension minima,
    a row of maxima, ``D = q.shape[-1]``) decodes sentence-transformers' calibrated codes
    (SPEC 10) to the centre of each bucket: ``starts + (float32(q') + 0.5) * steps`` with
    ``starts = ranges[0]``, ``steps = (ranges[1] - ranges[0]) / 255`` (0 -> 1) and
    ``q' = q + 128`` for int8, ``q`` for uint8 (docs/calibrated.md).

    ``out``: a C-contiguous float32 array of the result's shape to write into (one of at least
    8 MiB is written with streaming stores). ``threads``: see :mod:`fastquant._threads`
    (``None``: one thread up to 1M elements); the result is the same for any value.

    >>> dequantize([127, -127, 0], "int8").tolist()
    [1.0, -1.0, 0.0]
    >>> dequantize([-77, -29, 0], "binary", orig_dim=18)[:8].tolist()
    [-1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0]
    >>> dequantize([0, 255], "uint8", ranges=[[-1.0, 0.0], [1.0, 2.55]]).tolist()
    [-0.9960784316062927, 2.554999828338623]
    """
    if ranges is not None:  # SPEC 10: the calibrated codec
        return _calibrated.decode(q, A.choice(quant, "quant", QUANTS), orig_dim, ranges, out, threads)
    if type(q) is np.ndarray and type(quant) is str and threads is None:
        # the common small call: the general path below, in the same order, without the
        # steps that then do nothing (``out`` gets the same check, as the last one)
        direct = _DIRECT.get(quant)
        if direct is not None and q.dtype is direct[0] and q.flags.c_contiguous:
            if direct[1] == "copy":  # "fp8": a new float32 array (or out), a plain copy
                if orig_dim is None and q.flags.aligned and q.size <= _threads.AUTO_MIN_SIZE:
                    if out is None:
                        return q.copy()
                    np.copyto(A.check_out(out, q.shape, _F32, (q,)), q)
                    return out
            elif direct[1] is not None and orig_dim is None and q.size <= _threads.AUTO_MIN_SIZE:
                if out is None:
                    res = np.empty(q.shape, _F32)
                    getattr(kernels(), direct[1])(q, res)
                    return res
                res = A.check_out(out, q.shape, _F32, (q,))
                getattr(kernels(), direct[1])(q, res, A.streams(out, res))
                return res
            if direct[1] is None and type(orig_dim) is int and q.ndim and q.size <= _threads.AUTO_MIN_SIZE >> 3:
                m = q.shape[-1]
                if 8 * m - 7 <= orig_dim <= 8 * m and orig_dim >= 1:  # sign bits, orig_dim valid
                    shape = q.shape[:-1] + (orig_dim,)
                    res = np.empty(shape, _F32) if out is None else A.check_out(out, shape, _F32, (q,))
                    kernels().signbits_unpack(q.reshape(-1, m).view(_UINT8), res.reshape(-1, orig_dim),
                                              _FLIP[quant], A.streams(out, res))
                    return res
    quant = A.choice(quant, "quant", QUANTS)
    if quant == "fp8":
        arr, device = A.floats(q, "q")
        _same_dim(orig_dim, arr)
        res = A.output(out, arr.shape, np.float32, (arr, q))
        # always a new array (or out), never a view of the caller's q; a plain copy
        _threads.run(_copy, arr, res, threads=threads)
        return A.wrap(res, device)
    dtype, lo, hi = _CODES[quant]
    arr, device = A.integers(q, "q", lo, hi, dtype)
    if quant in _FLIP:
        rows = A.as_rows(arr, "q").view(_UINT8)
        n = _orig_dim(orig_dim, arr.shape[-1])
        shape = arr.shape[:-1] + (n,)
        res = A.output(out, shape, np.float32, (arr, q))
        k, b = kernels().signbits_unpack, res.reshape(rows.shape[0], n)
        if threads is None and res.size <= _threads.AUTO_MIN_SIZE:  # skip the call into _threads
            k(rows, b, _FLIP[quant], A.streams(out, res))
        else:
            _threads.run(k, rows, b, _FLIP[quant], A.streams(out, res), threads=threads, unit=(1, 8))
        return A.wrap(res, device)
    _same_dim(orig_dim, arr)
    res = A.output(out, arr.shape, np.float32, (arr, q))
    k = kernels()
    k = k.embed8_int8_decode if quant == "int8" else k.embed8_uint8_decode
    if threads is None and res.size <= _threads.AUTO_MIN_SIZE:
        k(arr, res, A.streams(out, res))
    else:
        _threads.run(k, arr, res, A.streams(out, res), threads=threads)
    return A.wrap(res, device)


@torch_path
def quantize_embeddings(x, precision, *, ranges=None, calibration_embeddings=None, out=None, threads=None):
    """Encode float embeddings (converted to float32 first); the exact inverse of
    :func:`dequantize`. NaN is a ``ValueError``; +-inf saturate.

    - ``"int8"``: ``clip(round(x * float32(127)), -128, 127)`` as int8
    - ``"uint8"``: ``clip(round((x + float32(1)) * float32(127.5)), 0, 255)`` as uint8
    - ``"binary"``: ``packbits(x > 0, axis=-1)`` (MSB first, zero pad), then -128, as int8
    - ``"ubinary"``: ``packbits(x > 0, axis=-1)`` as uint8

    ``round`` is half to even. The sign-bit formats pack the last axis into
    ``ceil(x.shape[-1] / 8)`` bytes; the others keep the shape of ``x``. ``threads`` as in
    :func:`dequantize`.

    ``ranges`` or ``calibration_embeddings`` (not both; ``"int8"``/``"uint8"`` only) select
    sentence-transformers' calibrated codec (SPEC 10), bit for bit: ``ranges`` is ``(2, D)``
    (per-dimension minima, maxima; ``D = x.shape[-1]``), ``calibration_embeddings`` an
    ``(n, D)`` array whose :func:`calibration_ranges` are used. In float32,
    ``starts = ranges[0]``, ``steps = (ranges[1] - starts) / 255`` (a zero step is 1),
    ``q = clip(floor((x - starts) / steps), 0, 255)``; uint8: ``q``, int8: ``q - 128``.
    Without either, the fixed-scale codecs above apply (sentence-transformers would calibrate
    on ``x`` itself; pass ``calibration_embeddings=x`` for that).

    >>> quantize_embeddings([1.0, -0.5, 0.0], "int8").tolist()
    [127, -64, 0]
    >>> quantize_embeddings([0.3, -0.2, 0.0, 1.0], "ubinary").tolist()
    [144]
    >>> quantize_embeddings([0.5, 3.0, -1.0], "uint8", ranges=[[0, 0, 0], [1, 1, 1]]).tolist()
    [127, 255, 0]
    """
    precision = A.choice(precision, "precision", PRECISIONS)
    if ranges is not None or calibration_embeddings is not None:  # SPEC 10
        return _calibrated.encode(x, precision, ranges, calibration_embeddings, out, threads)
    arr, device = A.floats(x, "x")
    dtype = _CODES[precision][0]
    if precision in _FLIP:
        rows = A.as_rows(arr, "x")
        m = (arr.shape[-1] + 7) // 8
        res = A.output(out, arr.shape[:-1] + (m,), dtype, (arr, x))
        k, b = kernels().signbits_pack, res.reshape(rows.shape[0], m)
        if dtype is _INT8:
            b = b.view(_UINT8)
        if threads is None and arr.size <= _threads.AUTO_MIN_SIZE:  # skip the call into _threads
            nan = k(rows, b, _FLIP[precision])
        else:
            nan = _threads.run(k, rows, b, _FLIP[precision], threads=threads, unit=(8, 1))
    else:
        res = A.output(out, arr.shape, dtype, (arr, x))
        k = kernels()
        k = k.embed8_int8_encode if precision == "int8" else k.embed8_uint8_encode
        if threads is None and arr.size <= _threads.AUTO_MIN_SIZE:
            nan = k(arr, res)
        else:
            nan = _threads.run(k, arr, res, threads=threads)
    if nan:
        raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
    return A.wrap(res, device)


@torch_path
def calibration_ranges(embeddings, *, threads=None):
    """Per-dimension ranges of calibration embeddings, for ``ranges=`` (SPEC 10).

    ``embeddings``: ``(n, D)`` with ``n >= 1``, converted to float32. Returns a float32 ``(2, D)``
    array (a tensor for a tensor): row 0 the minima over the rows, row 1 the maxima, as
    sentence-transformers computes them (``-0.0`` comes out as ``+0.0``). NaN, +-inf, and a
    dimension whose ``max - min`` overflows float32 are a ``ValueError``: ranges from here are
    always accepted by :func:`quantize_embeddings` and :func:`dequantize`. ``threads`` as in
    :func:`dequantize`. Calibrate once on a representative sample, keep the result, and
    encode every later batch (or single embedding) with ``ranges=``.

    >>> calibration_ranges([[0.5, -1.0], [2.0, -3.0]]).tolist()
    [[0.5, -3.0], [2.0, -1.0]]
    """
    return _calibrated.calibration_ranges(embeddings, threads)
