"""Embedding codecs in the formats providers and sentence-transformers use (SPEC section 2):
int8, uint8, and packed sign bits ("binary" with offset -128, "ubinary" without)."""

from __future__ import annotations

import numpy as np

from . import _arrays as A
from ._backend import kernels

__all__ = ["dequantize", "quantize_embeddings"]

QUANTS = ("fp8", "int8", "uint8", "binary", "ubinary")
PRECISIONS = ("int8", "uint8", "binary", "ubinary")

#: Code dtype and range of each integer format; "binary" bytes are stored with offset -128.
_CODES = {
    "int8": (np.int8, -128, 127),
    "uint8": (np.uint8, 0, 255),
    "binary": (np.int8, -128, 127),
    "ubinary": (np.uint8, 0, 255),
}

#: XORing a byte with 0x80 is subtracting (or adding) 128 mod 256: the "binary" offset.
_FLIP = {"binary": 0x80, "ubinary": 0}


def _orig_dim(orig_dim, packed: int) -> int:
    """``orig_dim`` for packed sign bits: an integer >= 1 with ``ceil(orig_dim / 8) == packed``."""
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


def dequantize(q, quant, orig_dim=None, *, out=None):
    """Decode embedding codes to float32.

    - ``"fp8"``: ``q`` as float32 (the values are already floats; NaN is kept)
    - ``"int8"``: ``float32(q) / float32(127)`` for codes in [-128, 127]
    - ``"uint8"``: ``float32(q) / float32(127.5) - float32(1)`` for codes in [0, 255]
    - ``"binary"`` / ``"ubinary"``: the last axis holds packed sign bits, MSB first, as int8
      bytes stored with offset -128 (``b = (q + 128) mod 256``) or as raw uint8 bytes; bit 1
      gives +1.0, bit 0 gives -1.0. ``orig_dim`` (>= 1, ``ceil(orig_dim / 8) == q.shape[-1]``)
      is required; the result has shape ``q.shape[:-1] + (orig_dim,)``.

    For the other formats ``orig_dim`` may be given, and must then equal ``q.shape[-1]``.

    >>> dequantize([127, -127, 0], "int8").tolist()
    [1.0, -1.0, 0.0]
    >>> dequantize([-77, -29, 0], "binary", orig_dim=18)[:8].tolist()
    [-1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0]
    """
    quant = A.choice(quant, "quant", QUANTS)
    if quant == "fp8":
        arr, device = A.floats(q, "q")
        _same_dim(orig_dim, arr)
        res = A.output(out, arr.shape, np.float32, (arr, q))
        np.copyto(res, arr)  # always a new array (or out), never a view of the caller's q
        return A.wrap(res, device)
    dtype, lo, hi = _CODES[quant]
    arr, device = A.integers(q, "q", lo, hi, dtype)
    if quant in _FLIP:
        rows = A.as_rows(arr, "q").view(np.uint8)
        n = _orig_dim(orig_dim, arr.shape[-1])
        shape = arr.shape[:-1] + (n,)
        res = A.output(out, shape, np.float32, (arr, q))
        kernels().signbits_unpack(rows, res.reshape(rows.shape[0], n), _FLIP[quant])
        return A.wrap(res, device)
    _same_dim(orig_dim, arr)
    res = A.output(out, arr.shape, np.float32, (arr, q))
    if quant == "int8":
        kernels().embed8_int8_decode(arr, res)
    else:
        kernels().embed8_uint8_decode(arr, res)
    return A.wrap(res, device)


def quantize_embeddings(x, precision, *, out=None):
    """Encode float embeddings (converted to float32 first); the exact inverse of
    :func:`dequantize`. NaN is a ``ValueError``; +-inf saturate.

    - ``"int8"``: ``clip(round(x * float32(127)), -128, 127)`` as int8
    - ``"uint8"``: ``clip(round((x + float32(1)) * float32(127.5)), 0, 255)`` as uint8
    - ``"binary"``: ``packbits(x > 0, axis=-1)`` (MSB first, zero pad), then -128, as int8
    - ``"ubinary"``: ``packbits(x > 0, axis=-1)`` as uint8

    ``round`` is half to even. The sign-bit formats pack the last axis into
    ``ceil(x.shape[-1] / 8)`` bytes; the others keep the shape of ``x``.

    >>> quantize_embeddings([1.0, -0.5, 0.0], "int8").tolist()
    [127, -64, 0]
    >>> quantize_embeddings([0.3, -0.2, 0.0, 1.0], "ubinary").tolist()
    [144]
    """
    precision = A.choice(precision, "precision", PRECISIONS)
    arr, device = A.floats(x, "x")
    dtype = _CODES[precision][0]
    if precision in _FLIP:
        rows = A.as_rows(arr, "x")
        m = (arr.shape[-1] + 7) // 8
        res = A.output(out, arr.shape[:-1] + (m,), dtype, (arr, x))
        nan = kernels().signbits_pack(rows, res.reshape(rows.shape[0], m).view(np.uint8), _FLIP[precision])
    elif precision == "int8":
        res = A.output(out, arr.shape, dtype, (arr, x))
        nan = kernels().embed8_int8_encode(arr, res)
    else:
        res = A.output(out, arr.shape, dtype, (arr, x))
        nan = kernels().embed8_uint8_encode(arr, res)
    if nan:
        raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
    return A.wrap(res, device)
