"""NumPy twins of ``csrc/embed8.pyx``: same names, same signatures, and they define the meaning.

Decoders take int8 or uint8 ``src`` and write float32 ``out`` of the same size; encoders take
float32 ``src`` and write int8 or uint8 ``out``, returning 1 when ``src`` holds a NaN (``out``
is then unspecified) and 0 otherwise. All arithmetic is float32, in the order written.
"""

import numpy as np

# Overflow to +-inf is part of the formulas (the encoders saturate it), and NaN is reported
# through the return value, so the twins stay silent about both, as the compiled kernels are.
quiet = np.errstate(all="ignore")

__all__ = [
    "embed8_int8_decode",
    "embed8_uint8_decode",
    "embed8_int8_encode",
    "embed8_uint8_encode",
]


def _has_nan(src) -> int:
    return int(bool(np.isnan(src).any()))


@quiet
def embed8_int8_decode(src, out, stream=False):
    """``out = float32(src) / float32(127)`` (a division, never a reciprocal multiply);
    ``stream`` (non-temporal stores in the kernel) changes no value and is ignored."""
    np.divide(src.astype(np.float32), np.float32(127), out=out.reshape(src.shape))


@quiet
def embed8_uint8_decode(src, out, stream=False):
    """``out = float32(src) / float32(127.5) - float32(1)``; ``stream`` is ignored."""
    out.reshape(src.shape)[...] = src.astype(np.float32) / np.float32(127.5) - np.float32(1)


@quiet
def embed8_int8_encode(src, out):
    """``out = clip(round(src * float32(127)), -128, 127)`` as int8; 1 if ``src`` has a NaN."""
    bad = _has_nan(src)
    # clipping in float before the cast makes +-inf saturate instead of wrapping
    codes = np.clip(np.round(src * np.float32(127)), -128, 127)
    out.reshape(src.shape)[...] = codes.astype(np.int8)
    return bad


@quiet
def embed8_uint8_encode(src, out):
    """``out = clip(round((src + float32(1)) * float32(127.5)), 0, 255)`` as uint8; 1 if
    ``src`` has a NaN."""
    bad = _has_nan(src)
    codes = np.clip(np.round((src + np.float32(1)) * np.float32(127.5)), 0, 255)
    out.reshape(src.shape)[...] = codes.astype(np.uint8)
    return bad
