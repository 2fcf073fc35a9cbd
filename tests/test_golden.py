"""The on-disk layouts pinned by tests/golden/ (written by tools/make_golden.py with plain
NumPy): packing must reproduce the stored bytes and unpacking must read them, on both
backends."""

from pathlib import Path

import numpy as np
import pytest

import fastquant as fq
from _support import both

GOLDEN = Path(__file__).parent / "golden"
INT4 = sorted(GOLDEN.glob("int4_*.npz"))
SIGNBITS = sorted(GOLDEN.glob("signbits_*.npz"))


def test_golden_files_present():
    assert len(INT4) == 4 and len(SIGNBITS) == 4


@pytest.mark.parametrize("path", INT4, ids=lambda p: p.stem)
def test_int4_layout(path):
    with np.load(path) as g:  # closed now: an open NpzFile is a ResourceWarning (an error here) at GC
        codes, packed = g["codes"], g["packed"]
    assert both(fq.pack_int4_to_int8, codes).tobytes() == packed.tobytes()
    np.testing.assert_array_equal(both(fq.unpack_int8_to_int4, packed, codes.shape[-1]), codes)
    assert both(fq.dequantize_packed_int4, packed, 1.0, 0, codes.shape[-1]).tolist() == codes.tolist()


@pytest.mark.parametrize("path", SIGNBITS, ids=lambda p: p.stem)
def test_signbits_layout(path):
    with np.load(path) as g:
        x, ubinary, binary = g["x"], g["ubinary"], g["binary"]
    dim = x.shape[-1]
    assert both(fq.quantize_embeddings, x, "ubinary").tobytes() == ubinary.tobytes()
    assert both(fq.quantize_embeddings, x, "binary").tobytes() == binary.tobytes()
    signs = np.where(x > 0, 1.0, -1.0).astype(np.float32)
    np.testing.assert_array_equal(both(fq.dequantize, ubinary, "ubinary", dim), signs)
    np.testing.assert_array_equal(both(fq.dequantize, binary, "binary", dim), signs)
