"""The calibrated int8/uint8 codec (SPEC 10) against its targets, in one process, one thread:

    FASTQUANT_NUM_THREADS=1 python tools/bench_calibrated.py [--rows 100000] [--dim 1024]

- encode: ``quantize_embeddings(x, p, ranges=r)`` (new array, and into ``out=``) against
  sentence-transformers 6.2.0's ``quantize_embeddings(x, p, ranges=r)`` on the same float32
  data; target >= 8x. The codes are compared too (they must be equal).
- decode: ``dequantize(q, p, ranges=r, out=out)`` against ``np.copyto`` of the same bytes
  (half of codes in + float32 out, copied between two buffers: the traffic of the decode, the
  yardstick of ``python -m fastquant bench``); target >= 70%. Also against copying a float32
  array of the output's size into ``out`` (the stricter reading), and sentence-transformers'
  private float64 decoder.

Medians of 7 calls after a warm-up (copies: the fastest sample, as ``fastquant bench`` does).
Needs the compiled kernels and sentence-transformers (its import pulls torch). The same cases
run under pytest-benchmark: ``pytest bench --benchmark-only -k ranges --fq-sizes 102400000``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the in-place build of this tree
os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch (imported by sentence-transformers)
os.environ.setdefault("FASTQUANT_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fastquant as fq  # noqa: E402
from fastquant._bench.timing import samples  # noqa: E402


def median(fn, repeat: int = 7) -> float:
    fn()
    return float(np.median(samples(fn, repeat, 2e-3)))


def fastest(fn, repeat: int = 7) -> float:
    fn()
    return min(samples(fn, repeat, 2e-3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=1024)
    args = ap.parse_args()
    from sentence_transformers.util.quantization import _dequantize_embeddings, quantize_embeddings as st_quantize

    rng = np.random.default_rng(20261123)
    x = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    sample = rng.standard_normal((256, args.dim), dtype=np.float32)
    ranges = fq.calibration_ranges(sample)  # some values of x fall outside: as in real use
    print(f"fastquant {fq.__version__}, backend {fq.backend()} ({fq._backend.CPU_BUILD}), "
          f"threads=1, x {x.shape} float32, {x.nbytes / 1e6:.0f} MB")
    rows = []
    for precision in ("int8", "uint8"):
        dtype = np.int8 if precision == "int8" else np.uint8
        codes = np.empty(x.shape, dtype)
        st_codes = st_quantize(x, precision, ranges=ranges)
        assert np.array_equal(fq.quantize_embeddings(x, precision, ranges=ranges), st_codes)
        t_st = median(lambda: st_quantize(x, precision, ranges=ranges))
        t_new = median(lambda: fq.quantize_embeddings(x, precision, ranges=ranges, threads=1))
        t_out = median(lambda: fq.quantize_embeddings(x, precision, ranges=ranges, out=codes, threads=1))
        rows += [(f"encode {precision} (new array)", t_new, "sentence-transformers", t_st),
                 (f"encode {precision} (out=)", t_out, "sentence-transformers", t_st)]

        out = np.zeros(x.shape, np.float32)
        t_dec = median(lambda: fq.dequantize(codes, precision, ranges=ranges, out=out, threads=1))
        t_dec_new = median(lambda: fq.dequantize(codes, precision, ranges=ranges, threads=1))
        half = np.ones((codes.nbytes + out.nbytes) // 2, np.uint8)
        dst = np.empty_like(half)
        t_copy = fastest(lambda: np.copyto(dst, half))
        del half, dst
        src32 = np.ones(x.shape, np.float32)
        t_copy32 = fastest(lambda: np.copyto(out, src32))
        del src32
        t_st_dec = median(lambda: _dequantize_embeddings(codes, precision, ranges))
        rows += [(f"decode {precision} (out=)", t_dec, "np.copyto of the same bytes", t_copy),
                 (f"decode {precision} (out=)", t_dec, "np.copyto float32 into out", t_copy32),
                 (f"decode {precision} (new array)", t_dec_new, "sentence-transformers _dequantize_embeddings", t_st_dec)]
    print(f"\n| {'fastquant call':28} | {'ms':>7} | {'reference':45} | {'ms':>7} | {'speed vs reference':>18} |")
    print(f"|{'-' * 30}|{'-' * 9}|{'-' * 47}|{'-' * 9}|{'-' * 20}|")
    for name, t, ref, tr in rows:
        print(f"| {name:28} | {t * 1e3:7.1f} | {ref:45} | {tr * 1e3:7.1f} | {tr / t:17.2f}x |")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - t0:.0f} s)")
