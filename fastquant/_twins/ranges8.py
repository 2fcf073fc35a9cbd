"""NumPy twins of ``csrc/ranges8.pyx``: same names, same signatures, and they define the meaning.

The calibrated int8/uint8 codec of sentence-transformers (SPEC section 10): per-dimension
starts (the minima) and steps ``(max - min) / 255`` (a zero step is 1), codes
``clip(floor((x - start) / step), 0, 255)`` (uint8; int8 stores ``q - 128``), decoded to the
centre of the bucket, ``start + (q + 0.5) * step``. ``params`` is a float32 ``(2, D)`` array
(starts row, steps row); element ``i`` of a flat array uses dimension ``i % D``. All
arithmetic is float32, in the order written; the encoders divide, as the kernels do.
"""

import numpy as np

# Overflow to +-inf is data (the encoders saturate it), NaN is reported through return values:
# the twins stay silent about both, as the compiled kernels are.
quiet = np.errstate(all="ignore")

__all__ = [
    "ranges8_params",
    "ranges8_minmax",
    "ranges8_int8_encode",
    "ranges8_uint8_encode",
    "ranges8_int8_decode",
    "ranges8_uint8_decode",
]



@quiet
def ranges8_params(ranges, params):
    """``params[0] = ranges[0]``, ``params[1] = (ranges[1] - ranges[0]) / 255`` with 0 -> 1.
    Returns the OR of 1 (a NaN), 2 (``max - min`` not finite in float32: an infinite bound, an
    overflowing difference, or a NaN) and 4 (a minimum above its maximum)."""
    lo, hi = ranges[0], ranges[1]
    diff = hi - lo
    steps = diff / np.float32(255)
    status = 1 if (np.isnan(lo) | np.isnan(hi)).any() else 0
    if not np.isfinite(diff).all():
        status |= 2
    if (lo > hi).any():
        status |= 4
    params[0] = lo
    params[1] = np.where(steps == 0, np.float32(1), steps)
    return status


def ranges8_minmax(src, out):
    """``out[0] = min(src, axis=0)``, ``out[1] = max(src, axis=0)`` for float32 ``src`` of
    rows >= 1 rows, zeros as +0.0 (``x + 0.0``); returns 1 if ``src`` holds a NaN."""
    if np.isnan(src).any():
        return 1
    out[0] = np.min(src, axis=0) + np.float32(0)
    out[1] = np.max(src, axis=0) + np.float32(0)
    return 0


@quiet
def _encode(src, out, params, offset):
    d = params.shape[1]
    x = src.reshape(-1, d) if d else src.reshape(0, 0)
    bad = int(bool(np.isnan(x).any()))
    q = np.clip(np.floor((x - params[0]) / params[1]), 0, 255)  # float32 division, floor, clip
    q = np.where(np.isnan(q), 0, q)  # NaN is reported; its code is unspecified
    out.reshape(x.shape)[...] = (q.astype(np.int16) - offset).astype(out.dtype)
    return bad


def ranges8_int8_encode(src, out, params):
    """``out = clip(floor((src - starts) / steps), 0, 255) - 128`` as int8; 1 if ``src`` has a
    NaN (``out`` is then unspecified), else 0."""
    return _encode(src, out, params, 128)


def ranges8_uint8_encode(src, out, params):
    """``out = clip(floor((src - starts) / steps), 0, 255)`` as uint8; 1 if ``src`` has a NaN."""
    return _encode(src, out, params, 0)


@quiet
def _decode(src, out, params, offset):
    d = params.shape[1]
    codes = src.reshape(-1, d) if d else src.reshape(0, 0)
    centre = (codes.astype(np.int16) + offset).astype(np.float32) + np.float32(0.5)
    out.reshape(codes.shape)[...] = params[0] + centre * params[1]


def ranges8_int8_decode(src, out, params, stream=False):
    """``out = starts + (float32(src + 128) + 0.5) * steps``; ``stream`` (non-temporal stores
    in the kernel) changes no value and is ignored."""
    _decode(src, out, params, 128)


def ranges8_uint8_decode(src, out, params, stream=False):
    """``out = starts + (float32(src) + 0.5) * steps``; ``stream`` is ignored."""
    _decode(src, out, params, 0)
