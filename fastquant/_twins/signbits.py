"""NumPy twins of ``csrc/signbits.pyx``: same names, same signatures, and they define the meaning.

Bits run MSB first within a byte (``np.packbits`` order); ``flip`` is XORed into every byte
(0x80 for "binary", whose bytes are stored with offset -128, 0 for "ubinary"). Both kernels
work on rows: ``(rows, n)`` floats against ``(rows, ceil(n / 8))`` bytes (uint8 views).
"""

import numpy as np

# NaN is reported through the return value, so the twins stay silent about it.
quiet = np.errstate(all="ignore")

__all__ = ["signbits_unpack", "signbits_pack"]


@quiet
def signbits_unpack(src, out, flip, stream=False):
    """``out[r, j] = +1.0`` if bit ``7 - j % 8`` of ``src[r, j // 8] ^ flip`` is set, else
    ``-1.0``; ``out`` is float32 ``(rows, n)``, the pad bits of the last byte are dropped.
    ``stream`` (non-temporal stores in the kernel) changes no value and is ignored."""
    bits = np.unpackbits(src ^ np.uint8(flip), axis=1, count=out.shape[1])
    out[...] = bits.astype(np.float32) * np.float32(2) - np.float32(1)


@quiet
def signbits_pack(src, out, flip):
    """``out = packbits(src > 0, axis=1) ^ flip`` (MSB first, zero pad); returns 1 if ``src``
    holds a NaN, else 0."""
    bad = int(bool(np.isnan(src).any()))
    out[...] = np.packbits(src > 0, axis=1) ^ np.uint8(flip)
    return bad
