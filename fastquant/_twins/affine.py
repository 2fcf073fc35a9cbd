"""NumPy twins of ``csrc/affine.pyx``: same names, same signatures, and they define the meaning.

Both kernels take ``src`` and ``out`` as C-contiguous 3-D arrays ``(outer, C, inner)`` of the
same shape, float32 ``scales`` and int32 ``zero_points`` of length C (one per channel; per
tensor is C = 1). The public functions in :mod:`fastquant.affine` make sure of that.
"""

import numpy as np

# Overflow to +-inf is part of the formulas (quantizers saturate, decoders pass values
# through), and a NaN code is never kept (the caller raises), so the twins stay silent.
quiet = np.errstate(all="ignore")

__all__ = ["affine_quantize", "affine_dequantize"]


def _per_channel(a, dtype):
    return a.astype(dtype).reshape(1, -1, 1)


@quiet
def affine_quantize(src, out, scales, zero_points, qmin, qmax):
    """``out = clip(round(src / scales + float32(zero_points)), qmin, qmax)`` in float32 over
    ``(outer, C, inner)`` arrays, scales and zero points indexed by C; ``out`` is int8, uint8,
    int16 or uint16. Returns 1 if ``src`` holds a NaN (``out`` is then unspecified), else 0."""
    # A true float32 division, never a multiply by the reciprocal; then the float32 zero point.
    v = src / _per_channel(scales, np.float32) + _per_channel(zero_points, np.float32)
    # np.round is half to even; clipping in float (before the cast) makes +-inf saturate.
    # Clip-then-round equals round-then-clip because the bounds are integers.
    out[...] = np.clip(np.round(v), qmin, qmax).astype(out.dtype)
    return int(bool(np.isnan(src).any()))


@quiet
def affine_dequantize(src, out, scales, zero_points, stream=False):
    """``out = scales * float32(src - zero_points)`` over ``(outer, C, inner)`` arrays, the
    difference exact; ``src`` holds int8, uint8, int16, uint16 or int32 codes, ``out`` float32.
    ``stream`` (non-temporal stores in the kernel) changes no value and is ignored."""
    # The difference is exact, as in the kernel: codes of 16 bits or fewer minus a zero point
    # in [-2**30, 2**30] fit int32; int32 codes subtract in int64.
    wide = np.int32 if src.dtype.itemsize <= 2 else np.int64
    diff = src.astype(wide) - _per_channel(zero_points, wide)
    out[...] = _per_channel(scales, np.float32) * diff.astype(np.float32)
