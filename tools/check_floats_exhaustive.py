"""Encode ALL 2**32 float32 bit patterns to every minifloat format on every compiled build and
compare with ml_dtypes 0.6.0 ``astype`` (the oracle of SPEC 8), bit for bit, both modes:
``saturate=False`` against ``x.astype(fmt)``, ``saturate=True`` against
``np.clip(x, -max, max).astype(fmt)`` (ONNX's saturate_cast; NaN passes the clip).

Not part of the test suite (it takes about an hour on two cores); run it once after changing
the encoder and quote its output::

    python tools/check_floats_exhaustive.py                  # every format, both modes
    python tools/check_floats_exhaustive.py --formats float8_e4m3fn,float4_e2m1fn --jobs 2
    python tools/check_floats_exhaustive.py --twin           # also the NumPy twin (~20x slower)
    python tools/check_floats_exhaustive.py --chunks 32 --stride 8   # a spread-out 1/8 sample

Exit status 0 when every pattern matches everywhere, 1 otherwise (the first mismatches are
printed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time

import numpy as np

# the package of this checkout (an in-place build), as the other tools/ scripts do
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHUNK_BITS = 24


def _check_chunk(args):
    """(format name, chunk index, backends) -> {(backend, mode): (mismatches, first few)}."""
    name, index, backends = args
    import ml_dtypes

    from fastquant import _backend
    from fastquant._minifloats import BY_NAME

    f = BY_NAME[name]
    t = getattr(ml_dtypes, name)
    start = index << CHUNK_BITS
    u = np.arange(start, start + (1 << CHUNK_BITS), dtype=np.uint64).astype(np.uint32)
    x = u.view(np.float32)
    top = np.float32(ml_dtypes.finfo(t).max)
    result = {}
    out = np.empty(x.size, np.uint8)
    for saturate in (False, True):
        with np.errstate(all="ignore"):
            expected = (np.clip(x, -top, top) if saturate else x).astype(t).view(np.uint8)
        for backend in backends:
            _backend.kernels_of(backend).floats_encode(x, out, f.id, saturate)
            bad = np.flatnonzero(out != expected)
            result[backend, saturate] = (bad.size, [(hex(int(u[i])), int(out[i]), int(expected[i])) for i in bad[:3]])
    return name, index, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", help="comma-separated names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--twin", action="store_true", help="also check the NumPy twin")
    parser.add_argument("--chunks", type=int, default=1 << (32 - CHUNK_BITS),
                        help="check only N chunks of 2**24 patterns (a quick trial)")
    parser.add_argument("--stride", type=int, default=1,
                        help="with --chunks: take every STRIDE-th chunk (a sample of every exponent range)")
    opts = parser.parse_args(argv)

    import ml_dtypes

    import fastquant
    from fastquant import _backend
    from fastquant._minifloats import FORMATS

    names = opts.formats.split(",") if opts.formats else [f.name for f in FORMATS]
    backends = list(_backend.builds()) + (["numpy"] if opts.twin else [])
    if not _backend.builds():
        print("no compiled build: build the kernels first (python setup.py build_ext --inplace)")
        return 2
    patterns = opts.chunks << CHUNK_BITS
    print(f"fastquant {fastquant.__version__}, ml_dtypes {ml_dtypes.__version__}, NumPy {np.__version__}; "
          f"backends {backends}; {patterns} patterns per format and mode ({'all 2**32' if patterns == 1 << 32 else 'a subset'})")
    failed = False
    t0 = time.time()
    with multiprocessing.Pool(opts.jobs) as pool:
        for name in names:
            totals: dict = {}
            first: dict = {}
            jobs = [(name, (i * opts.stride) % (1 << (32 - CHUNK_BITS)), backends) for i in range(opts.chunks)]
            for _, _, result in pool.imap_unordered(_check_chunk, jobs):
                for key, (count, examples) in result.items():
                    totals[key] = totals.get(key, 0) + count
                    if examples and key not in first:
                        first[key] = examples
            for saturate in (False, True):
                mode = "saturate=True " if saturate else "saturate=False"
                line = ", ".join(f"{b}: {totals[b, saturate]} mismatches" for b in backends)
                print(f"{name:20s} {mode}  {patterns} patterns  {line}  [{time.time() - t0:7.0f} s]", flush=True)
                for b in backends:
                    if totals[b, saturate]:
                        failed = True
                        print(f"    first mismatches on {b} (pattern, ours, ml_dtypes): {first[b, saturate]}")
    print("ALL MATCH" if not failed else "MISMATCHES FOUND")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
