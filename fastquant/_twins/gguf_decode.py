"""NumPy twins of ``csrc/gguf_decode.pyx``: same names, same signatures; they define the meaning.

``gguf_dequantize_<type>(src, out, stream=False)``: uint8 ``src`` ``(rows, nbytes)`` of whole
blocks into float32 ``out`` ``(rows, nbytes // type_size * block_size)``; ``stream`` (the
kernels' non-temporal stores) changes no value. Each block function below restates gguf-py
0.19.0's ``dequantize_blocks`` for its type: the same float32 operations in the same order,
fp16 scales converted exactly. Block types then rewrite every NaN as the quiet NaN 0x7FC00000
(NaN only arises from an fp16 scale that is +-inf or NaN), so both backends give the same bits
whichever NaN operand the hardware propagates. Layouts: docs/gguf.md.
"""

from __future__ import annotations

import numpy as np

from .._gguf_tables import table
from ._gguf_blocks import bits_of, canon_nan, half, nibbles, run, u16, u32

__all__ = [
    "gguf_dequantize_f32",
    "gguf_dequantize_f16",
    "gguf_dequantize_bf16",
    "gguf_dequantize_q4_0",
    "gguf_dequantize_q4_1",
    "gguf_dequantize_q5_0",
    "gguf_dequantize_q5_1",
    "gguf_dequantize_q8_0",
    "gguf_dequantize_q2_k",
    "gguf_dequantize_q3_k",
    "gguf_dequantize_q4_k",
    "gguf_dequantize_q5_k",
    "gguf_dequantize_q6_k",
    "gguf_dequantize_tq1_0",
    "gguf_dequantize_tq2_0",
    "gguf_dequantize_mxfp4",
    "gguf_dequantize_nvfp4",
]


def _col(v: np.ndarray) -> np.ndarray:
    return v[:, None]


# ------------------------------------------------------------------ plain floats


def gguf_dequantize_f32(src, out, stream=False):
    """np.float32: the bytes are the float32 values (little-endian)."""
    run(lambda b: b.copy().view("<f4").astype(np.float32), src, out, 4, 1)


def gguf_dequantize_f16(src, out, stream=False):
    """F16: fp16 values converted exactly (NaN keeps its payload)."""
    run(lambda b: half(u16(b, 0))[:, None], src, out, 2, 1)


def gguf_dequantize_bf16(src, out, stream=False):
    """BF16: the 16 bits become the top half of a float32."""
    run(lambda b: (u16(b, 0) << 16).view(np.float32)[:, None], src, out, 2, 1)


# ------------------------------------------------------------------ legacy, 32 values


def _q4_0(b):
    d = half(u16(b, 0))
    q = nibbles(b[:, 2:18]).astype(np.int8) - np.int8(8)
    return canon_nan(_col(d) * q.astype(np.float32))


def _q4_1(b):
    d, m = half(u16(b, 0)), half(u16(b, 2))
    q = nibbles(b[:, 4:20]).astype(np.float32)
    return canon_nan(_col(d) * q + _col(m))


def _q5(b, qh_at):
    """The 32 five-bit codes: nibbles, plus bit j of the uint32 qh as bit 4 of code j."""
    qh = u32(b, qh_at)
    high = ((qh[:, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)
    return nibbles(b[:, qh_at + 4:qh_at + 20]) | (high << np.uint8(4))


def _q5_0(b):
    d = half(u16(b, 0))
    q = _q5(b, 2).astype(np.int8) - np.int8(16)
    return canon_nan(_col(d) * q.astype(np.float32))


def _q5_1(b):
    d, m = half(u16(b, 0)), half(u16(b, 2))
    return canon_nan(_col(d) * _q5(b, 4).astype(np.float32) + _col(m))


def _q8_0(b):
    d = half(u16(b, 0))
    return canon_nan(b[:, 2:34].view(np.int8).astype(np.float32) * _col(d))


def gguf_dequantize_q4_0(src, out, stream=False):
    """Q4_0: ``d * (nibble - 8)``."""
    run(_q4_0, src, out, 18, 32)


def gguf_dequantize_q4_1(src, out, stream=False):
    """Q4_1: ``d * nibble + m``."""
    run(_q4_1, src, out, 20, 32)


def gguf_dequantize_q5_0(src, out, stream=False):
    """Q5_0: ``d * (q5 - 16)``."""
    run(_q5_0, src, out, 22, 32)


def gguf_dequantize_q5_1(src, out, stream=False):
    """Q5_1: ``d * q5 + m``."""
    run(_q5_1, src, out, 24, 32)


def gguf_dequantize_q8_0(src, out, stream=False):
    """Q8_0: ``q * d``."""
    run(_q8_0, src, out, 34, 32)


# ------------------------------------------------------------------ K-quants, 256 values


def _two_bit_planes(q):
    """(n, 64) bytes -> (n, 256) two-bit fields: value 128h + 32j + l is field j of byte
    32h + l."""
    n = q.shape[0]
    planes = bits_of(q.reshape(n * 2, 32), 4, 2)  # (2n, 32, 4)
    return planes.transpose(0, 2, 1).reshape(n, 256)


def _q2_k(b):
    n = b.shape[0]
    sc = b[:, 0:16]
    d, dmin = half(u16(b, 80)), half(u16(b, 82))
    dl = _col(d) * (sc & 15).astype(np.float32)  # (n, 16): one per 16 values
    ml = _col(dmin) * (sc >> 4).astype(np.float32)
    q = _two_bit_planes(b[:, 16:80]).reshape(n, 16, 16).astype(np.float32)
    return canon_nan((dl[:, :, None] * q - ml[:, :, None]).reshape(n, 256))


def _q3_k_scales(sc):
    """(n, 12) packed bytes -> (n, 16) six-bit scales minus 32, as int8."""
    low = nibbles(sc[:, 0:8])  # scale i < 8: low nibble of byte i; else high nibble of byte i - 8
    high = bits_of(sc[:, 8:12], 4, 2).transpose(0, 2, 1).reshape(-1, 16)  # i: byte 8 + i % 4, field i // 4
    return (low | (high << np.uint8(4))).astype(np.int8) - np.int8(32)


def _q3_k(b):
    n = b.shape[0]
    d = half(u16(b, 108))
    dl = _col(d) * _q3_k_scales(b[:, 96:108]).astype(np.float32)  # (n, 16)
    low = _two_bit_planes(b[:, 32:96]).astype(np.int8)
    # value 32k + l takes bit k of hmask[l]; a clear bit subtracts 4
    hbit = bits_of(b[:, 0:32], 8, 1).transpose(0, 2, 1).reshape(n, 256).astype(np.int8)
    q = (low - ((hbit ^ np.int8(1)) << np.int8(2))).astype(np.float32).reshape(n, 16, 16)
    return canon_nan((dl[:, :, None] * q).reshape(n, 256))


def _k4_scales_mins(s):
    """(n, 12) packed bytes -> two (n, 8) arrays of six-bit scales and mins."""
    a, m, c = s[:, 0:4], s[:, 4:8], s[:, 8:12]
    scales = np.concatenate([a & 63, (c & 15) | ((a >> 2) & 0x30)], axis=1)
    mins = np.concatenate([m & 63, (c >> 4) | ((m >> 2) & 0x30)], axis=1)
    return scales, mins


def _nibble_planes(q):
    """(n, 128) bytes -> (n, 8, 32): sub-block 2c + k is nibble k of bytes 32c .. 32c + 31."""
    n = q.shape[0]
    return bits_of(q.reshape(n * 4, 32), 2, 4).transpose(0, 2, 1).reshape(n, 8, 32)


def _q4_k(b):
    n = b.shape[0]
    d, dmin = half(u16(b, 0)), half(u16(b, 2))
    scales, mins = _k4_scales_mins(b[:, 4:16])
    dl = (_col(d) * scales.astype(np.float32))[:, :, None]
    ml = (_col(dmin) * mins.astype(np.float32))[:, :, None]
    q = _nibble_planes(b[:, 16:144]).astype(np.float32)
    return canon_nan((dl * q - ml).reshape(n, 256))


def _q5_k(b):
    n = b.shape[0]
    d, dmin = half(u16(b, 0)), half(u16(b, 2))
    scales, mins = _k4_scales_mins(b[:, 4:16])
    dl = (_col(d) * scales.astype(np.float32))[:, :, None]
    ml = (_col(dmin) * mins.astype(np.float32))[:, :, None]
    high = bits_of(b[:, 16:48], 8, 1).transpose(0, 2, 1)  # (n, 8, 32): sub-block s, bit s of qh[l]
    q = (_nibble_planes(b[:, 48:176]) | (high << np.uint8(4))).astype(np.float32)
    return canon_nan((dl * q - ml).reshape(n, 256))


def _q6_k(b):
    n = b.shape[0]
    d = half(u16(b, 208))
    dl = _col(d) * b[:, 192:208].view(np.int8).astype(np.float32)  # (n, 16)
    # low 4 bits: value 128h + 64k + l is nibble k of ql[64h + l]
    low = bits_of(b[:, 0:128].reshape(n * 2, 64), 2, 4).transpose(0, 2, 1).reshape(n, 256)
    # high 2 bits: value 128h + 32j + l is field j of qh[32h + l]
    high = _two_bit_planes(b[:, 128:192])
    q = ((low | (high << np.uint8(4))).astype(np.int8) - np.int8(32)).astype(np.float32)
    return canon_nan((dl[:, :, None] * q.reshape(n, 16, 16)).reshape(n, 256))


def gguf_dequantize_q2_k(src, out, stream=False):
    """Q2_K: ``(d * scale) * q - (dmin * min)`` per 16 values."""
    run(_q2_k, src, out, 84, 256)


def gguf_dequantize_q3_k(src, out, stream=False):
    """Q3_K: ``(d * (scale - 32)) * q3`` per 16 values, q3 in [-4, 3]."""
    run(_q3_k, src, out, 110, 256)


def gguf_dequantize_q4_k(src, out, stream=False):
    """Q4_K: ``(d * scale) * q4 - (dmin * min)`` per 32 values."""
    run(_q4_k, src, out, 144, 256)


def gguf_dequantize_q5_k(src, out, stream=False):
    """Q5_K: ``(d * scale) * q5 - (dmin * min)`` per 32 values."""
    run(_q5_k, src, out, 176, 256)


def gguf_dequantize_q6_k(src, out, stream=False):
    """Q6_K: ``(d * scale) * (q6 - 32)`` per 16 values."""
    run(_q6_k, src, out, 210, 256)


# ------------------------------------------------------------------ ternary


_POW3 = np.array([1, 3, 9, 27, 81], dtype=np.uint8)


def _trits(q, digits):
    """(n, k) bytes -> (n, digits * k): digit i of byte l at i * k + l, as
    ``((uint8)(byte * 3**i) * 3) >> 8`` (uint8 products wrap, as in gguf-py and llama.cpp)."""
    n, k = q.shape
    scaled = q[:, None, :] * _POW3[:digits, None]  # uint8: wraps mod 256
    return ((scaled.astype(np.uint16) * 3) >> 8).reshape(n, digits * k)


def _tq1_0(b):
    d = half(u16(b, 52))
    t = np.concatenate([_trits(b[:, 0:32], 5), _trits(b[:, 32:48], 5), _trits(b[:, 48:52], 4)], axis=1)
    q = t.astype(np.int8) - np.int8(1)
    return canon_nan(_col(d) * q.astype(np.float32))


def _tq2_0(b):
    d = half(u16(b, 64))
    q = _two_bit_planes(b[:, 0:64]).astype(np.int8) - np.int8(1)
    return canon_nan(_col(d) * q.astype(np.float32))


def gguf_dequantize_tq1_0(src, out, stream=False):
    """TQ1_0: ``d * (trit - 1)``, five trits per byte."""
    run(_tq1_0, src, out, 54, 256)


def gguf_dequantize_tq2_0(src, out, stream=False):
    """TQ2_0: ``d * (field - 1)``, four 2-bit fields per byte."""
    run(_tq2_0, src, out, 66, 256)


# ------------------------------------------------------------------ FP4


def _e8m0_half(e):
    """2**(e - 128) from the bits: e < 2 gives the subnormals 2**-128, 2**-127."""
    e = e.astype(np.uint32)
    bits = np.where(e < 2, np.uint32(0x00200000) << e, (e - np.uint32(1)) << np.uint32(23))
    return bits.astype(np.uint32).view(np.float32)


def _ue4m3_half(x):
    """Half the value of unsigned E4M3 bytes (bias 7; 0x00 and 0x7F give 0; bit 7 ignored)."""
    x = x.astype(np.uint32)
    exp, man = (x >> 3) & 15, x & 7
    normal = (((exp + 119) << 23) | (man << 20)).view(np.float32)
    sub = man.astype(np.float32) * np.float32(2.0**-10)
    v = np.where(exp == 0, sub, normal).astype(np.float32)
    return np.where((x == 0) | (x == 0x7F), np.float32(0.0), v)


def _mxfp4(b):
    d = _e8m0_half(b[:, 0])
    kv = table("kvalues_mxfp4").astype(np.float32)
    return _col(d) * kv[nibbles(b[:, 1:17])]


def _nvfp4(b):
    n = b.shape[0]
    d = _ue4m3_half(b[:, 0:4])  # (n, 4): one per 16 values
    kv = table("kvalues_mxfp4").astype(np.float32)
    q = nibbles(b[:, 4:36].reshape(n * 4, 8)).reshape(n, 4, 16)
    return (d[:, :, None] * kv[q]).reshape(n, 64)


def gguf_dequantize_mxfp4(src, out, stream=False):
    """MXFP4: ``2**(e - 128) * kvalue``, kvalues twice the E2M1 values."""
    run(_mxfp4, src, out, 17, 32)


def gguf_dequantize_nvfp4(src, out, stream=False):
    """NVFP4: ``ue4m3(scale) / 2 * kvalue`` per 16 values."""
    run(_nvfp4, src, out, 36, 64)
