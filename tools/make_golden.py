"""Write the golden on-disk layouts under tests/golden/ with plain NumPy (no fastquant).

The files pin the byte layouts of packed int4 (first code in the low nibble, odd rows padded
with 0) and of sign bits (MSB first, zero pad; "binary" = bytes - 128) across releases:
tests/test_golden.py checks that packing reproduces them and unpacking reads them. Rerun only
on purpose (a layout change is a format break): ``python tools/make_golden.py``.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden"


def int4_case(rng, rows, n):
    codes = rng.integers(-8, 8, size=(rows, n)).astype(np.int8)
    padded = np.concatenate([codes, np.zeros((rows, n % 2), np.int8)], axis=1).view(np.uint8)
    packed = ((padded[:, 0::2] & 0x0F) | ((padded[:, 1::2] & 0x0F) << 4)).astype(np.uint8)
    return codes, packed.view(np.int8)


def signbits_case(rng, rows, dim):
    x = rng.standard_normal((rows, dim)).astype(np.float32)
    x[:, ::7] = 0.0  # zero is not positive: bit 0
    ubinary = np.packbits(x > 0, axis=-1)
    binary = (ubinary.astype(np.int16) - 128).astype(np.int8)
    return x, ubinary, binary


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026_11_23)
    for rows, n in [(1, 1), (3, 7), (4, 64), (2, 33)]:
        codes, packed = int4_case(rng, rows, n)
        np.savez(OUT / f"int4_{rows}x{n}.npz", codes=codes, packed=packed)
    for rows, dim in [(1, 1), (3, 18), (2, 64), (5, 1023)]:
        x, ubinary, binary = signbits_case(rng, rows, dim)
        np.savez(OUT / f"signbits_{rows}x{dim}.npz", x=x, ubinary=ubinary, binary=binary)


if __name__ == "__main__":
    main()
