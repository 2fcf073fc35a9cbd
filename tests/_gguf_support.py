"""Helpers of the GGUF tests: the oracle comparison and block makers."""

from __future__ import annotations

import numpy as np

import fastquant.gguf as fg

#: Byte offsets of the fp16 scales in each block type (the fields a decoder multiplies with).
FP16_SCALES = {
    "Q4_0": (0,), "Q4_1": (0, 2), "Q5_0": (0,), "Q5_1": (0, 2), "Q8_0": (0,),
    "Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,),
    "TQ1_0": (52,), "TQ2_0": (64,), "IQ2_XXS": (0,), "IQ2_XS": (0,), "IQ2_S": (0,),
    "IQ3_XXS": (0,), "IQ3_S": (0,), "IQ1_S": (0,), "IQ4_NL": (0,), "IQ4_XS": (0,),
}

#: fp16 bit patterns at the edges: zeros, subnormals, normals, max, inf, NaNs (quiet and
#: signalling, both signs)
SPECIAL_HALVES = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF,
                           0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0xFDFF, 0x7FFF, 0x3555],
                          dtype=np.uint16)


def assert_same_as_oracle(ours: np.ndarray, ref: np.ndarray, what: str = "result") -> int:
    """Same shape and dtype as gguf-py's result, NaN exactly where it has NaN, every other
    value bit for bit (so -0.0 and 0.0 differ). Returns the number of values compared."""
    ref = np.asarray(ref)
    assert isinstance(ours, np.ndarray), f"{what}: {type(ours)}"
    assert ours.dtype == ref.dtype and ours.shape == ref.shape, \
        f"{what}: {ours.dtype}{ours.shape} vs gguf-py {ref.dtype}{ref.shape}"
    a = np.ascontiguousarray(ours).reshape(-1)
    b = np.ascontiguousarray(ref).reshape(-1)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert np.array_equal(nan_a, nan_b), f"{what}: NaN at {np.flatnonzero(nan_a != nan_b)[:5]}"
    ua, ub = a.view(np.uint32), b.view(np.uint32)
    bad = np.flatnonzero((ua != ub) & ~nan_a)
    assert bad.size == 0, f"{what}: {bad.size} values differ, first at {bad[:5]}: {a[bad[:5]]} vs {b[bad[:5]]}"
    return a.size


def random_blocks(name: str, rows: int, blocks: int, rng, finite: bool = False) -> np.ndarray:
    """(rows, blocks * type_size) random bytes of ``name`` blocks; ``finite`` sets every fp16
    scale to a moderate finite value (benchmark-like data) instead of any bit pattern."""
    t = fg.qtype_of(name)
    data = rng.integers(0, 256, (rows, blocks * t.type_size), dtype=np.uint8)
    if finite:
        flat = data.reshape(-1, t.type_size)
        for at in FP16_SCALES.get(name, ()):
            flat[:, at:at + 2] = (rng.random(flat.shape[0]) * 0.1 + 1e-3).astype(np.float16).view(np.uint8).reshape(-1, 2)
        if name == "IQ1_M":
            flat[:, 55] &= 0xBF  # the scale's top exponent bit: finite
    return data


def with_scales(name: str, halves: np.ndarray, rng) -> np.ndarray:
    """One random block per fp16 bit pattern in ``halves``, written into every fp16 scale
    field of the type (IQ1_M: spread over the top nibbles of its four scale words)."""
    t = fg.qtype_of(name)
    data = rng.integers(0, 256, (halves.size, t.type_size), dtype=np.uint8)
    halves = halves.astype(np.uint16)
    if name == "IQ1_M":
        words = data[:, 48:56].copy().view("<u2")
        for i in range(4):
            words[:, i] = (words[:, i] & 0x0FFF) | (((halves >> (4 * i)) & 0xF) << 12)
        data[:, 48:56] = words.view(np.uint8)
    else:
        for at in FP16_SCALES[name]:
            data[:, at:at + 2] = halves.astype("<u2").view(np.uint8).reshape(-1, 2)
    return data
