"""NumPy twins of ``csrc/int4.pyx``: same names, same signatures, and they define the meaning.

Every kernel takes C-contiguous arrays of the exact dtype and shape it documents (the public
functions in :mod:`fastquant.int4` make sure of that) and writes into ``out``. Kernels that
read codes return 1 when a code lies outside [-8, 7] and 0 otherwise.
"""

import numpy as np

# Overflow to +-inf is part of the formulas (decoders pass values through, quantizers
# saturate), so the twins stay silent about it, as the compiled kernels are.
quiet = np.errstate(all="ignore")

__all__ = [
    "int4_range",
    "int4_quantize",
    "int4_quantize_pack",
    "int4_dequantize",
    "int4_pack",
    "int4_unpack",
    "int4_unpack_dequantize",
    "int4_quantize_zp",
    "int4_quantize_pack_zp",
]


@quiet
def int4_range(src):
    """``(min, max, all_finite)`` of a non-empty float32 array."""
    return float(src.min()), float(src.max()), bool(np.isfinite(src).all())


def _codes(src, scale):
    # v / scale is a float32 division (never a multiply by the reciprocal); np.round is
    # half to even; clipping in float first makes +-inf saturate instead of wrapping.
    return np.clip(np.round(src / np.float32(scale)), -8, 7).astype(np.int8)


@quiet
def int4_quantize(src, out, scale):
    """``out = clip(round(src / scale), -8, 7)``; float32 ``src``, int8 ``out`` of its shape."""
    out[...] = _codes(src, scale)


def _pack(codes):
    # codes: (rows, n) int8 in [-8, 7]; first code of each pair in the low nibble.
    u = codes.view(np.uint8)
    low = u[:, 0::2] & 0xF
    high = u[:, 1::2] & 0xF
    if high.shape[1] < low.shape[1]:  # odd row length: pad with a 0 code
        high = np.concatenate([high, np.zeros((u.shape[0], 1), np.uint8)], axis=1)
    return (low | (high << 4)).view(np.int8)


@quiet
def int4_quantize_pack(src, out, scale):
    """Quantize (as :func:`int4_quantize`) and pack (as :func:`int4_pack`) rows of ``src``:
    ``(rows, n)`` float32 to ``(rows, ceil(n / 2))`` int8."""
    out[...] = _pack(_codes(src, scale))


def _out_of_range(codes):
    return int(codes.size > 0 and bool((codes.min() < -8) | (codes.max() > 7)))


@quiet
def int4_dequantize(src, out, scale, zero_point, stream=False):
    """``out = float32(src - zero_point) * float32(scale)`` for int8 codes; returns 1 if a
    code lies outside [-8, 7]. ``stream`` (non-temporal stores in the kernel) changes no value."""
    bad = _out_of_range(src)
    out[...] = (src.astype(np.int32) - np.int32(zero_point)).astype(np.float32) * np.float32(scale)
    return bad


@quiet
def int4_pack(src, out):
    """Pack ``(rows, n)`` int8 codes into ``(rows, ceil(n / 2))`` bytes; returns 1 if a code
    lies outside [-8, 7]."""
    bad = _out_of_range(src)
    out[...] = _pack(src)
    return bad


def _unpack(src, n):
    u = src.view(np.uint8)
    full = np.empty((u.shape[0], 2 * u.shape[1]), np.int8)
    # (nibble ^ 8) - 8 sign-extends a 4-bit two's complement value.
    full[:, 0::2] = ((u & 0xF).astype(np.int8) ^ 8) - 8
    full[:, 1::2] = ((u >> 4).astype(np.int8) ^ 8) - 8
    return full[:, :n]


@quiet
def int4_unpack(src, out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` sign-extended codes, ``n`` in {2m-1, 2m}."""
    out[...] = _unpack(src, out.shape[1])


@quiet
def int4_unpack_dequantize(src, out, scale, zero_point, stream=False):
    """:func:`int4_unpack` then :func:`int4_dequantize`, into float32 ``out`` of shape (rows, n);
    ``stream`` changes no value."""
    codes = _unpack(src, out.shape[1])
    out[...] = (codes.astype(np.int32) - np.int32(zero_point)).astype(np.float32) * np.float32(scale)


#: ``int4_quantize_zp`` clamps quotients to +-2**29 and zero points to +-2**30 (so the sum
#: fits int32 in the kernel); neither clamp acts on what the public functions pass.
_QUOTIENT_LIMIT = np.float32(2**29)
_ZP_LIMIT = 2**30


def _codes_zp(src, scale, zero_point):
    # the zero point is added AFTER rounding (the nearest grid point of fl(v / scale)); a NaN
    # counts as -2**29, as in the kernel (callers never pass one)
    t = src / np.float32(scale)
    t = np.where(t >= -_QUOTIENT_LIMIT, t, -_QUOTIENT_LIMIT)
    t = np.minimum(t, _QUOTIENT_LIMIT)
    zp = min(max(int(zero_point), -_ZP_LIMIT), _ZP_LIMIT)
    return np.clip(np.round(t).astype(np.int64) + zp, -8, 7).astype(np.int8)


@quiet
def int4_quantize_zp(src, out, scale, zero_point):
    """``out = clip(round(clip(src / scale, -2**29, 2**29)) + zero_point, -8, 7)``, the zero
    point (clamped to +-2**30) added to the rounded quotient; float32 ``src``, int8 ``out``."""
    out[...] = _codes_zp(src, scale, zero_point)


@quiet
def int4_quantize_pack_zp(src, out, scale, zero_point):
    """:func:`int4_quantize_zp` then :func:`int4_pack` on rows: ``(rows, n)`` float32 to
    ``(rows, ceil(n / 2))`` int8."""
    out[...] = _pack(_codes_zp(src, scale, zero_point))
