#!/usr/bin/env python3
"""Exhaustive-ish oracle check of fastquant.gguf.dequantize against gguf-py, once, outside CI.

    python tools/check_gguf_oracle.py                   # every type, about 4M random values each
    python tools/check_gguf_oracle.py --values 1e6 --types Q4_K,IQ1_M

For every type gguf-py 0.19.0 decodes, on every backend this machine runs (the NumPy twins and
each compiled build):

- random blocks (every byte random, so fp16 scales are subnormal, inf and NaN too);
- every one of the 65536 fp16 bit patterns in every fp16 scale field of the type (IQ1_M: in
  its scale assembled from four nibbles), the other bytes random;
- MXFP4 / NVFP4: every one of the 256 scale bytes in every scale position;
- F16 / BF16: all 65536 bit patterns.

The comparison is the tests' (tests/_gguf_support.py): same shape and dtype, NaN exactly where
gguf-py has NaN, every other value bit for bit. Prints the values compared per type and exits
1 on any difference. The unit tests run a sample of this; this is the long run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import fastquant.gguf as fg  # noqa: E402
from fastquant import _backend, use_backend  # noqa: E402
from _gguf_support import FP16_SCALES, assert_same_as_oracle, with_scales  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--types", default=",".join(fg.DECODE_TYPES))
    p.add_argument("--values", type=float, default=4e6, help="random values per type")
    p.add_argument("--seed", type=int, default=20261123)
    args = p.parse_args(argv)
    from gguf import GGMLQuantizationType, quants

    backends = ["numpy", *_backend.builds()]
    rng = np.random.default_rng(args.seed)
    print(f"backends {backends}; gguf-py oracle; {int(args.values)} random values per type")
    failed = 0
    total = 0
    for name in [t for t in args.types.split(",") if t]:
        t = fg.qtype_of(name)
        member = GGMLQuantizationType[name]
        inputs = {}
        blocks = max(1, int(args.values) // t.block_size)
        inputs["random"] = rng.integers(0, 256, (blocks, t.type_size), dtype=np.uint8)
        if name in FP16_SCALES or name == "IQ1_M":
            inputs["all fp16 scales"] = with_scales(name, np.arange(1 << 16, dtype=np.uint32), rng)
        if name in ("MXFP4", "NVFP4"):
            data = rng.integers(0, 256, (256 * 4, t.type_size), dtype=np.uint8)
            for pos in range(1 if name == "MXFP4" else 4):
                data[256 * pos:256 * (pos + 1), pos] = np.arange(256, dtype=np.uint8)
            inputs["all scale bytes"] = data
        if name in ("F16", "BF16"):
            inputs["all patterns"] = np.arange(1 << 16, dtype="<u2").view(np.uint8).reshape(-1, 2)
        counts = {}
        t0 = time.perf_counter()
        for what, data in inputs.items():
            with np.errstate(all="ignore"):
                ref = np.asarray(quants.dequantize(data, member))
            n = 0
            for b in backends:
                with use_backend(b):
                    ours = fg.dequantize(data, name, threads=2)
                try:
                    n = assert_same_as_oracle(ours, ref, f"{name} {what} {b}")
                except AssertionError as exc:
                    failed += 1
                    print("MISMATCH", exc)
            counts[what] = n
        total += sum(counts.values())
        parts = ", ".join(f"{what} {n:,}" for what, n in counts.items())
        print(f"{name:8s} {sum(counts.values()):>11,} values x {len(backends)} backends ({parts}) "
              f"{time.perf_counter() - t0:5.1f} s", flush=True)
    print(f"total {total:,} values per backend, {failed} mismatches")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
