"""A long sweep of the calibrated int8/uint8 codec (SPEC 10) against sentence-transformers 6.2.0,
run once and quoted (the test suite runs a smaller, fixed set):

    python tools/check_calibrated.py [--seconds 300] [--seed 0]

Each round draws a configuration (rows, D, data distribution, how the ranges come about:
calibrated on a subset, random, with constant dimensions, tiny or huge steps; specials such as
+-inf, +-0, subnormals, bucket edges and their neighbours) and compares, bit for bit, the codes
of ``fastquant.quantize_embeddings(x, p, ranges=r)`` on every backend (twins, every compiled
build) with ``sentence_transformers.util.quantization.quantize_embeddings(x, p, ranges=r)``,
and ``calibration_embeddings=`` likewise where the calibration set is valid. Prints the counts;
exits 1 at the first difference, with the configuration.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the in-place build of this tree

import numpy as np  # noqa: E402

import fastquant as fq  # noqa: E402
from fastquant import _backend  # noqa: E402

SPECIALS = np.array([np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-38, 3e38, -3e38], np.float32)


def draw(rng):
    rows = int(rng.choice([1, 2, 7, 64, 300, 2000]))
    d = int(rng.choice([1, 3, 8, 31, 32, 33, 255, 256, 257, 384, 768, 1024]))
    scale = np.float32(10.0 ** rng.uniform(-30, 30))
    x = (rng.standard_normal((rows, d)) * scale).astype(np.float32)
    how = rng.choice(["subset", "random", "constant", "edges", "tight"])
    if how == "subset":
        sub = x[: max(1, rows // 4)]
        r = np.vstack([sub.min(0), sub.max(0)])
    else:
        lo = (rng.standard_normal(d) * scale).astype(np.float32)
        width = (np.abs(rng.standard_normal(d)) * scale * np.float32(10.0 ** rng.uniform(-8, 1))).astype(np.float32)
        if how == "constant":
            width[rng.random(d) < 0.5] = 0
        if how == "tight":
            width = np.nextafter(lo, np.inf) - lo  # one ulp: steps below the smallest normal
        r = np.vstack([lo, (lo + width).astype(np.float32)])
        if how == "edges":  # data on every bucket edge of the ranges, and next to it
            step = ((r[1] - r[0]) / np.float32(255)).astype(np.float32)
            k = rng.integers(-1, 258, (rows, d)).astype(np.float32)
            x = (r[0] + k * step).astype(np.float32)
            x = np.nextafter(x, np.where(rng.random((rows, d)) < 0.5, -np.inf, np.inf).astype(np.float32))
    mask = rng.random(x.shape) < 0.01
    x[mask] = rng.choice(SPECIALS, int(mask.sum()))
    return x, r.astype(np.float32), how


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    backends = ["numpy", *_backend.builds()]
    rng = np.random.default_rng(args.seed)
    counts = {"rounds": 0, "ranges codes": 0, "calibration codes": 0, "refused (overflowing range)": 0}

    def refuses(**kwargs) -> bool:
        for b in backends:
            with fq.use_backend(b):
                try:
                    fq.quantize_embeddings(x, precision, **kwargs)
                except ValueError:
                    continue
            return False
        return True

    t_end = time.perf_counter() + args.seconds
    with np.errstate(all="ignore"):
        while time.perf_counter() < t_end:
            x, r, how = draw(rng)
            valid_ranges = np.isfinite(r[1] - r[0]).all() and (r[0] <= r[1]).all()
            for precision in ("int8", "uint8"):
                if valid_ranges:
                    want = st_quantize(x, precision, ranges=r)
                    for b in backends:
                        with fq.use_backend(b):
                            got = fq.quantize_embeddings(x, precision, ranges=r)
                        if got.dtype != want.dtype or not np.array_equal(got, want):
                            print(f"DIFFERENCE ranges {precision} {b} {how} x{x.shape}: {(got != want).sum()} codes")
                            return 1
                    counts["ranges codes"] += x.size
                elif refuses(ranges=r):
                    counts["refused (overflowing range)"] += 1
                else:
                    print(f"NOT REFUSED: ranges {r!r}")
                    return 1
                cal = x[np.isfinite(x).all(axis=1)]
                if len(cal) and np.isfinite(cal.max(0) - cal.min(0)).all():
                    want = st_quantize(x, precision, calibration_embeddings=cal)
                    for b in backends:
                        with fq.use_backend(b):
                            got = fq.quantize_embeddings(x, precision, calibration_embeddings=cal)
                        if not np.array_equal(got, want):
                            print(f"DIFFERENCE calibration {precision} {b} {how} x{x.shape}")
                            return 1
                    counts["calibration codes"] += x.size
                elif len(cal):
                    if not refuses(calibration_embeddings=cal):
                        print("NOT REFUSED: an overflowing calibration set")
                        return 1
                    counts["refused (overflowing range)"] += 1
            counts["rounds"] += 1
    print(f"sentence-transformers 6.2.0 vs fastquant, each code on every one of {backends}: all equal; "
          + ", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
