"""NumPy twins of ``csrc/gguf_decode_iq.pyx``: same names, same signatures; they define the
meaning of the IQ decoders.

Same contract as ``gguf_decode.py``. The grid types look values up in the tables generated
from gguf-py into ``fastquant/_gguf_tables.py`` (``tools/make_gguf_tables.py``); a sign bit
multiplies by -1.0 as gguf-py does (a sign flip for every non-NaN value; NaN is rewritten to
0x7FC00000 afterwards, as in every block type). Layouts: docs/gguf.md.
"""

from __future__ import annotations

import numpy as np

from .._gguf_tables import table
from ._gguf_blocks import bits_of, canon_nan, half, nibbles, run, u16, u32

__all__ = [
    "gguf_dequantize_iq1_s",
    "gguf_dequantize_iq1_m",
    "gguf_dequantize_iq2_xxs",
    "gguf_dequantize_iq2_xs",
    "gguf_dequantize_iq2_s",
    "gguf_dequantize_iq3_xxs",
    "gguf_dequantize_iq3_s",
    "gguf_dequantize_iq4_nl",
    "gguf_dequantize_iq4_xs",
]


def _sign_bits(signs):
    """(n, k) sign bytes -> (n, k, 8) float32 factors: -1.0 where bit j is set, else 1.0."""
    return np.where(bits_of(signs, 8, 1) == 0, np.float32(1.0), np.float32(-1.0))


def _grid(name, index):
    """Grid entries ``index`` (any int array) as float32, one more axis of 4 or 8 values."""
    return table(name).astype(np.float32)[index]


def _half_scales(d, nibble_bytes):
    """IQ2_XS/IQ2_S: per 16 values ``d * (0.5 + nibble) * 0.25``, nibbles low first."""
    return (d[:, None] * (np.float32(0.5) + nibbles_interleaved(nibble_bytes).astype(np.float32))) * np.float32(0.25)


def nibbles_interleaved(q):
    """(n, k) bytes -> (n, 2k): low nibble of byte i at 2i, high nibble at 2i + 1."""
    return bits_of(q, 2, 4).reshape(q.shape[0], -1)


def _iq2_xxs(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    groups = b[:, 2:66].reshape(n, 8, 8)  # 4 grid bytes, then the uint32 aux
    aux = u32(groups.reshape(n * 8, 8), 4).reshape(n, 8)
    db = (d[:, None] * (np.float32(0.5) + (aux >> 28).astype(np.float32))) * np.float32(0.25)  # (n, 8)
    signs = table("ksigns")[bits_of(aux, 4, 7)]  # (n, 8, 4): part l uses aux bits 7l..7l+6
    grid = _grid("iq2xxs_grid", groups[:, :, 0:4])  # (n, 8, 4, 8)
    v = db[:, :, None, None] * grid * _sign_bits(signs.reshape(n, 32)).reshape(n, 8, 4, 8)
    return canon_nan(v.reshape(n, 256))


def _iq2_xs(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    q = b[:, 2:66].copy().view("<u2").astype(np.uint32)  # (n, 32)
    db = _half_scales(d, b[:, 66:74])  # (n, 16)
    signs = table("ksigns")[q >> 9]
    grid = _grid("iq2xs_grid", q & 511)  # (n, 32, 8)
    v = db[:, :, None, None] * grid.reshape(n, 16, 2, 8) * _sign_bits(signs).reshape(n, 16, 2, 8)
    return canon_nan(v.reshape(n, 256))


def _iq2_s(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    db = _half_scales(d, b[:, 74:82])  # (n, 16)
    high = bits_of(b[:, 66:74], 4, 2).reshape(n, 32).astype(np.uint32)  # entry k: field k % 4 of qh[k / 4]
    grid = _grid("iq2s_grid", b[:, 2:34].astype(np.uint32) | (high << 8))  # (n, 32, 8)
    v = db[:, :, None, None] * grid.reshape(n, 16, 2, 8) * _sign_bits(b[:, 34:66]).reshape(n, 16, 2, 8)
    return canon_nan(v.reshape(n, 256))


def _iq3_xxs(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    aux = b[:, 66:98].copy().view("<u4").astype(np.uint32)  # (n, 8)
    db = (d[:, None] * (np.float32(0.5) + (aux >> 28).astype(np.float32))) * np.float32(0.5)
    signs = table("ksigns")[bits_of(aux, 4, 7)]  # (n, 8, 4)
    grid = _grid("iq3xxs_grid", b[:, 2:66])  # (n, 64, 4): two entries per part of 8
    v = db[:, :, None, None] * grid.reshape(n, 8, 4, 8) * _sign_bits(signs.reshape(n, 32)).reshape(n, 8, 4, 8)
    return canon_nan(v.reshape(n, 256))


def _iq3_s(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    scale = nibbles_interleaved(b[:, 106:110])  # (n, 8): nibble ib
    db = d[:, None] * (np.uint8(1) + np.uint8(2) * scale).astype(np.float32)
    high = bits_of(b[:, 66:74], 8, 1).reshape(n, 64).astype(np.uint32)  # entry k: bit k % 8 of qh[k / 8]
    grid = _grid("iq3s_grid", b[:, 2:66].astype(np.uint32) | (high << 8))  # (n, 64, 4)
    v = db[:, :, None, None] * grid.reshape(n, 8, 4, 8) * _sign_bits(b[:, 74:106]).reshape(n, 8, 4, 8)
    return canon_nan(v.reshape(n, 256))


_DELTA = np.float32(0.125)


def _iq1_values(dl, index, delta_negative):
    """``dl * (grid + delta)`` for (n, k) entries of 8 values, ``dl`` broadcast per entry."""
    delta = np.where(delta_negative, -_DELTA, _DELTA)
    return dl * (_grid("iq1s_grid", index) + delta[..., None])


def _iq1_s(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    qh = b[:, 34:50].copy().view("<u2").astype(np.uint32)  # (n, 8)
    dl = d[:, None] * (2 * ((qh >> 12) & 7) + 1).astype(np.float32)  # (n, 8)
    high = bits_of(qh, 4, 3).reshape(n, 32)  # entry 4ib + l: bits 3l of qh[ib]
    index = b[:, 2:34].astype(np.uint32) | (high << 8)
    neg = np.repeat((qh & 0x8000) != 0, 4, axis=1)  # (n, 32)
    v = _iq1_values(np.repeat(dl, 4, axis=1)[:, :, None], index, neg)
    return canon_nan(v.reshape(n, 256))


def _iq1_m(b):
    n = b.shape[0]
    sc = b[:, 48:56].copy().view("<u2").astype(np.uint32)  # (n, 4)
    bits = (sc[:, 0] >> 12) | ((sc[:, 1] >> 8) & 0xF0) | ((sc[:, 2] >> 4) & 0xF00) | (sc[:, 3] & 0xF000)
    d = half(bits)
    dl = d[:, None] * (2 * bits_of(sc, 4, 3).reshape(n, 16) + 1).astype(np.float32)  # (n, 16): 3 bits each
    nib = nibbles_interleaved(b[:, 32:48]).astype(np.uint32)  # (n, 32): entry k
    index = b[:, 0:32].astype(np.uint32) | ((nib & 7) << 8)
    v = _iq1_values(np.repeat(dl, 2, axis=1)[:, :, None], index, (nib & 8) != 0)
    return canon_nan(v.reshape(n, 256))


def _iq4_nl(b):
    d = half(u16(b, 0))
    kv = table("kvalues_iq4nl").astype(np.float32)
    return canon_nan(d[:, None] * kv[nibbles(b[:, 2:18])])


def _iq4_xs(b):
    n = b.shape[0]
    d = half(u16(b, 0))
    low = nibbles_interleaved(b[:, 4:8])  # (n, 8)
    high = bits_of(u16(b, 2)[:, None], 8, 2).reshape(n, 8).astype(np.uint8)
    dl = d[:, None] * ((low | (high << np.uint8(4))).astype(np.int8) - np.int8(32)).astype(np.float32)
    kv = table("kvalues_iq4nl").astype(np.float32)
    q = nibbles(b[:, 8:136].reshape(n * 8, 16)).reshape(n, 8, 32)
    return canon_nan((dl[:, :, None] * kv[q]).reshape(n, 256))


def gguf_dequantize_iq1_s(src, out, stream=False):
    """IQ1_S: ``d * (2s + 1) * (grid + delta)``, grid in {-1, 0, 1}, delta +-0.125."""
    run(_iq1_s, src, out, 50, 256)


def gguf_dequantize_iq1_m(src, out, stream=False):
    """IQ1_M: as IQ1_S with a 3-bit scale per 16 values and a delta per 8."""
    run(_iq1_m, src, out, 56, 256)


def gguf_dequantize_iq2_xxs(src, out, stream=False):
    """IQ2_XXS: ``d * (0.5 + s) * 0.25 * grid * sign``."""
    run(_iq2_xxs, src, out, 66, 256)


def gguf_dequantize_iq2_xs(src, out, stream=False):
    """IQ2_XS: ``d * (0.5 + s) * 0.25 * grid * sign``, 9-bit grid indices."""
    run(_iq2_xs, src, out, 74, 256)


def gguf_dequantize_iq2_s(src, out, stream=False):
    """IQ2_S: ``d * (0.5 + s) * 0.25 * grid * sign``, 10-bit grid indices."""
    run(_iq2_s, src, out, 82, 256)


def gguf_dequantize_iq3_xxs(src, out, stream=False):
    """IQ3_XXS: ``d * (0.5 + s) * 0.5 * grid * sign``."""
    run(_iq3_xxs, src, out, 98, 256)


def gguf_dequantize_iq3_s(src, out, stream=False):
    """IQ3_S: ``d * (1 + 2s) * grid * sign``, 9-bit grid indices."""
    run(_iq3_s, src, out, 110, 256)


def gguf_dequantize_iq4_nl(src, out, stream=False):
    """IQ4_NL: ``d * kvalue``."""
    run(_iq4_nl, src, out, 18, 32)


def gguf_dequantize_iq4_xs(src, out, stream=False):
    """IQ4_XS: ``d * (scale - 32) * kvalue`` per 32 values."""
    run(_iq4_xs, src, out, 136, 256)
