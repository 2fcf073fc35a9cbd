"""Shared pieces of the GGUF decode twins (``gguf_decode.py``, ``gguf_decode_iq.py``).

A twin kernel ``gguf_dequantize_<type>(src, out, stream=False)`` takes ``src`` uint8
``(rows, nbytes)`` and float32 ``out`` ``(rows, nbytes // type_size * block_size)`` and calls
:func:`run` with a block function: uint8 ``(n, type_size)`` blocks -> float32 ``(n,
block_size)`` values, written with NumPy float32 arithmetic in the order gguf-py 0.19.0 uses.
"""

from __future__ import annotations

import numpy as np

#: The quiet NaN every NaN of a block type's output is rewritten to (``csrc/gguf_run.h``).
CANON_NAN = 0x7FC00000
#: Values per call of a block function: bounds the temporaries (a few MB each).
CHUNK_VALUES = 1 << 18


def _half_table() -> np.ndarray:
    """float32 value of each of the 65536 fp16 bit patterns, built from the bits: exact for
    every value, +-inf kept, NaN keeping sign and payload (mantissa << 13) like NumPy's cast
    on x86 (and unlike hardware casts that set the quiet bit)."""
    h = np.arange(1 << 16, dtype=np.uint32)
    sign = (h & 0x8000) << 16
    em = h & 0x7FFF
    normal = (em << 13) + 0x38000000
    special = (em << 13) | 0x7F800000
    sub = (em.astype(np.float32) * np.float32(2.0**-24)).view(np.uint32)  # m * 2**-24: exact
    bits = np.where(em >= 0x7C00, special, np.where(em >= 0x0400, normal, sub)) | sign
    return bits.astype(np.uint32).view(np.float32)


HALF = _half_table()


def u16(b: np.ndarray, at: int) -> np.ndarray:
    """The little-endian uint16 at byte ``at`` of every block, as (n,) uint32."""
    return b[:, at].astype(np.uint32) | (b[:, at + 1].astype(np.uint32) << 8)


def u32(b: np.ndarray, at: int) -> np.ndarray:
    """The little-endian uint32 at byte ``at`` of every block, as (n,) uint32."""
    return u16(b, at) | (u16(b, at + 2) << 16)


def half(bits: np.ndarray) -> np.ndarray:
    """fp16 bit patterns (any unsigned integer array) -> float32, exactly."""
    return HALF[bits]


def nonfinite(bits: np.ndarray) -> np.ndarray:
    """Whether fp16 bit patterns are +-inf or NaN."""
    return (bits & 0x7C00) == 0x7C00


def nibbles(q: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, 2k): the k low nibbles, then the k high nibbles (uint8)."""
    return np.concatenate([q & 15, q >> 4], axis=1)


def bits_of(q: np.ndarray, count: int, width: int) -> np.ndarray:
    """(n, k) unsigned ints -> (n, k, count): fields ``(q >> (width * i)) & (2**width - 1)``."""
    shifts = (np.arange(count, dtype=np.uint32) * width).astype(q.dtype)
    return (q[:, :, None] >> shifts) & q.dtype.type((1 << width) - 1)


def canon_nan(v: np.ndarray) -> np.ndarray:
    """``v`` (float32) with every NaN rewritten as :data:`CANON_NAN`, in place."""
    u = v.view(np.uint32)
    u[(u & 0x7FFFFFFF) > 0x7F800000] = CANON_NAN
    return v


def run(block_fn, src: np.ndarray, out: np.ndarray, type_size: int, block_size: int) -> None:
    """``out`` = the values of every block of ``src``, ``block_fn`` applied chunk by chunk."""
    if src.shape[0] != out.shape[0] or src.shape[1] % type_size or \
            out.shape[1] != src.shape[1] // type_size * block_size:
        raise ValueError("gguf kernel: row lengths are not whole blocks of the same count")
    blocks = src.reshape(-1, type_size)
    values = out.reshape(-1, block_size)
    step = max(1, CHUNK_VALUES // block_size)
    with np.errstate(all="ignore"):  # inf * 0 and overflow are data here, as in the kernels
        for i in range(0, blocks.shape[0], step):
            values[i:i + step] = block_fn(blocks[i:i + step])
