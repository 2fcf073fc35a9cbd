#!/usr/bin/env python3
"""The GGUF decode ratio table: fastquant.gguf.dequantize vs gguf-py and vs a memory copy.

    python tools/bench_gguf.py                      # every type, (4096, 4096), one thread
    python tools/bench_gguf.py --types Q4_0,IQ2_XXS --rounds 9 --shape 1024x4096

For each type, on the same bytes (random blocks with finite fp16 scales, as in real models):

- gguf-py: ``gguf.quants.dequantize`` (the oracle; its output is compared with fastquant's,
  NaN-aware bit for bit, and a mismatch makes the exit status 1);
- new: ``fastquant.gguf.dequantize(data, qtype, threads=1)`` (allocates its result);
- out=: the same into a preallocated float32 array (streaming stores);
- copyto: ``np.copyto`` of a float32 array of the output's size into a preallocated one.

Timings are the fastest of ``--rounds`` rounds, the calls of one round interleaved, so load
from other processes hits all columns alike; gguf-py runs ``--gguf-rounds`` times (it is slow).
``--clock cpu`` (the default) times the calling thread's CPU time (user + system, page faults
included), which a busy shared machine does not inflate with time spent descheduled;
``--clock wall`` times elapsed seconds. Everything runs on the calling thread (threads=1).
Ratios: gguf-py / new and gguf-py / out= (speedups), out= / copyto (1.0 = as fast as the copy).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fastquant  # noqa: E402
import fastquant.gguf as fg  # noqa: E402
from fastquant._bench.cases import gguf_bytes  # noqa: E402


CLOCK = time.thread_time


def _time(fn) -> float:
    t0 = CLOCK()
    fn()
    return CLOCK() - t0


def _same(ours: np.ndarray, ref: np.ndarray) -> bool:
    if ours.shape != ref.shape or ours.dtype != ref.dtype:
        return False
    a, b = ours.reshape(-1), np.ascontiguousarray(ref).reshape(-1)
    na, nb = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(na, nb) and np.array_equal(a.view(np.uint32)[~na], b.view(np.uint32)[~nb]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--types", default=",".join(fg.DECODE_TYPES))
    p.add_argument("--shape", default="4096x4096", help="values per tensor, ROWSxCOLS")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--gguf-rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-gguf", action="store_true", help="skip gguf-py (no speedup column)")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = p.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter
    shape = tuple(int(v) for v in args.shape.lower().split("x"))
    quants = None
    if not args.no_gguf:
        from gguf import GGMLQuantizationType, quants
    rng = np.random.default_rng(20261123)
    src = rng.standard_normal(shape, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    print(f"fastquant {fastquant.__version__}, backend {fastquant.backend()}, shape {shape}, "
          f"threads={args.threads}, best of {args.rounds} rounds (gguf-py: {args.gguf_rounds}), {args.clock} time")
    head = f"{'type':8s} {'gguf-py':>9s} {'new':>8s} {'out=':>8s} {'copyto':>8s} {'x new':>7s} {'x out=':>7s} {'out/copy':>8s}  same"
    print(head)
    print("-" * len(head))
    ok = True
    for name in [t for t in args.types.split(",") if t]:
        data = gguf_bytes(name, shape, rng)
        out = np.empty(shape, np.float32)
        kw = dict(threads=args.threads)
        fg.dequantize(data, name, out=out, **kw)  # warm up (pages of out faulted in)
        best = {"new": np.inf, "out": np.inf, "copy": np.inf}
        for _ in range(args.rounds):
            best["new"] = min(best["new"], _time(lambda: fg.dequantize(data, name, **kw)))
            best["out"] = min(best["out"], _time(lambda: fg.dequantize(data, name, out=out, **kw)))
            best["copy"] = min(best["copy"], _time(lambda: np.copyto(dst, src)))
        line = f"{name:8s}"
        if quants is not None:
            member = GGMLQuantizationType[name]
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                ref = quants.dequantize(data, member)
                t_g = min(_time(lambda: quants.dequantize(data, member)) for _ in range(args.gguf_rounds))
            same = _same(out, np.asarray(ref))
            ok &= same
            line += (f" {t_g * 1e3:7.1f}ms {best['new'] * 1e3:6.2f}ms {best['out'] * 1e3:6.2f}ms "
                     f"{best['copy'] * 1e3:6.2f}ms {t_g / best['new']:6.1f}x {t_g / best['out']:6.1f}x "
                     f"{best['out'] / best['copy']:8.2f}  {'yes' if same else 'NO'}")
        else:
            line += (f" {'-':>9s} {best['new'] * 1e3:6.2f}ms {best['out'] * 1e3:6.2f}ms {best['copy'] * 1e3:6.2f}ms "
                     f"{'-':>7s} {'-':>7s} {best['out'] / best['copy']:8.2f}  -")
        print(line, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
