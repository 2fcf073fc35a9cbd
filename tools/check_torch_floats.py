"""The torch path's minifloat encoder (``fastquant/_torch/floats.py``) against the compiled
kernels on a spread-out sample of all 2**32 float32 bit patterns (every ``--step``-th pattern,
offset so that low mantissa bits vary), every format, both ``saturate`` modes, on CPU tensors
or on ``--device``. The compiled kernels are held to ml_dtypes over all 2**32 patterns by
tools/check_floats_exhaustive.py; the test suite samples far fewer patterns.

    python tools/check_torch_floats.py                 # every 97th pattern: 44M values a format
    python tools/check_torch_floats.py --step 1 --formats float8_e4m3fn --device cuda

Exit status 0 when every pattern matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "fastquant").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from fastquant import floats as F  # noqa: E402
from fastquant._backend import kernels_of  # noqa: E402
from fastquant._torch.floats import encode_bits  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--step", type=int, default=97)
    p.add_argument("--formats", default=",".join(F.FORMATS))
    p.add_argument("--device", default="cpu")
    p.add_argument("--chunk", type=int, default=1 << 24, help="patterns per call")
    args = p.parse_args(argv)
    kernels = kernels_of("cython")
    names = [n.strip() for n in args.formats.split(",")]
    device = torch.device(args.device)
    total, bad = 0, 0
    start = time.perf_counter()
    for name in names:
        f = F.FORMATS[name]
        for saturate in (False, True):
            checked = 0
            for lo in range(0, 2**32, args.step * args.chunk):
                hi = min(2**32, lo + args.step * args.chunk)
                bits = np.arange(lo, hi, args.step, dtype=np.uint64).astype(np.uint32)
                want = np.empty(bits.shape, np.uint8)
                kernels.floats_encode(bits.view(np.float32), want, f.id, saturate)
                got = encode_bits(torch.from_numpy(bits.view(np.int32)).to(device).view(torch.float32), f, saturate)
                diff = np.flatnonzero(got.cpu().numpy() != want)
                if diff.size:
                    bad += diff.size
                    i = diff[0]
                    print(f"MISMATCH {name} saturate={saturate}: bits 0x{int(bits[i]):08x}: torch "
                          f"0x{int(got[i]):02x}, kernels 0x{int(want[i]):02x} ({diff.size} in this chunk)")
                checked += bits.size
            total += checked
            print(f"{name:22s} saturate={saturate!s:5s} {checked:>12,d} patterns  "
                  f"{'identical' if not bad else 'DIFFER'}", flush=True)
    print(f"{total:,d} patterns on {device} in {time.perf_counter() - start:.0f} s: "
          f"{'all identical' if not bad else f'{bad} differ'}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
