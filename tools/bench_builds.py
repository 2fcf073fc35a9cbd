#!/usr/bin/env python3
"""Every compiled kernel build side by side: each quantizer's (and decoder's) speed as a
percentage of ``np.copyto`` of the same bytes, on one thread, in one run.

    python tools/bench_builds.py                        # quantizers, 1M and 32M elements
    python tools/bench_builds.py --decoders             # decoders, with the v4/v3 time ratio
    python tools/bench_builds.py --sizes 1M --rounds 9 --ops quantize_func
    python tools/bench_builds.py --json results.json

For each case and size the data is made once; then, in each of ``--rounds`` rounds, every
build (``fastquant._backend.builds()``: baseline, x86-64-v3, x86-64-v4 where this CPU runs
them; the order rotates from round to round) is timed (median of ``--samples`` calls) next to
a copy of the same bytes (the memory system's speed right then): each the fastest of
``--samples`` samples, since other processes only ever slow a sample down; the round's
percentage is copy time / kernel time. The table shows each build's median
over the rounds, so noise from other processes on a shared machine hits every build alike.
Times are thread CPU time unless ``--clock wall``.
Quantizers write into a preallocated ``out=`` (``quantize_to_int4`` has none: it allocates);
``threads=1`` throughout. ``FASTQUANT_CPU=v3`` makes the "cython" backend the very module the
x86-64-v3 column times, so the columns are also what the forced builds run.

Only the public API plus ``fastquant._backend.builds()`` / ``use_backend`` are used, so the
script also times an older fastquant (``PYTHONPATH=<its build> python tools/bench_builds.py``),
e.g. the "before" numbers of a change.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time

import numpy as np

import fastquant as fq
from fastquant import _backend

ROW = 1024


def _floats(n, rng):
    return rng.standard_normal((n // ROW, ROW), dtype=np.float32)


def _quantizers():
    """(label, make(n, rng) -> (call(out) -> result, out or None, input bytes))."""

    def qf(n_bits=8, signed=True, axis=None, zp=3):
        def make(n, rng):
            x = _floats(n, rng)
            qmax = 2 ** (n_bits - 1) if signed else 2**n_bits
            if axis is None:
                scales = np.float32(8 / qmax)
            else:
                k = x.shape[axis]
                scales = (np.linspace(0.5, 2.0, k) * (8 / qmax)).astype(np.float32)
            zero = zp if axis is None else np.full(x.shape[axis] if axis is not None else 1, zp, np.int32)
            dtype = np.dtype((np.int8 if n_bits <= 8 else np.int16) if signed else (np.uint8 if n_bits <= 8 else np.uint16))
            out = np.empty(x.shape, dtype)

            def call(o):
                return fq.quantize_func(x, scales, zero, n_bits, axis=axis, signed=signed, out=o, threads=1)
            return call, out, x.nbytes
        return make

    def int4(method, packed):
        def make(n, rng):
            x = _floats(n, rng)
            if packed:
                out = np.empty((x.shape[0], x.shape[1] // 2), np.int8)
                return (lambda o: fq.quantize_to_packed_int4(x, method, out=o, threads=1)[0]), out, x.nbytes
            return (lambda o: fq.quantize_to_int4(x, method, threads=1)[0]), None, x.nbytes
        return make

    def embed(precision):
        def make(n, rng):
            x = _floats(n, rng) * np.float32(0.3)
            m = x.shape[1] // 8 if precision in ("binary", "ubinary") else x.shape[1]
            dtype = np.int8 if precision in ("int8", "binary") else np.uint8
            out = np.empty((x.shape[0], m), dtype)
            return (lambda o: fq.quantize_embeddings(x, precision, out=o, threads=1)), out, x.nbytes
        return make

    def onnx(dtype, zp, axis=None):
        def make(n, rng):
            import fastquant.onnx as fo
            x = _floats(n, rng)
            scale = np.float32(8 / 256) if dtype().itemsize == 1 else np.float32(8 / 65536)
            if axis is not None:  # one scale per element of a row, one zero point for all
                scale = (np.linspace(0.5, 2.0, x.shape[axis]) * scale).astype(np.float32)
            zero = np.array(zp, dtype) if axis is None else np.full(x.shape[axis], zp, dtype)
            out = np.empty(x.shape, dtype)
            kw = {} if axis is None else {"axis": axis}
            return (lambda o: fo.quantize_linear(x, scale, zero, out=o, threads=1, **kw)), out, x.nbytes
        return make

    return [
        ("quantize_func int8 per tensor", qf()),
        ("quantize_func uint8 per tensor", qf(signed=False, zp=128)),
        ("quantize_func int16 per tensor", qf(n_bits=16)),
        ("quantize_func int8 per channel axis=0", qf(axis=0)),
        ("quantize_func int8 per channel axis=-1", qf(axis=1)),
        ("quantize_to_int4 absmax (no out=)", int4("absmax", False)),
        ("quantize_to_int4 minmax (no out=)", int4("minmax", False)),
        ("quantize_to_packed_int4 absmax", int4("absmax", True)),
        ("quantize_embeddings int8", embed("int8")),
        ("quantize_embeddings uint8", embed("uint8")),
        ("quantize_embeddings binary", embed("binary")),
        ("quantize_embeddings ubinary", embed("ubinary")),
        ("onnx quantize_linear int8 per tensor", onnx(np.int8, 0)),
        ("onnx quantize_linear uint8 per tensor", onnx(np.uint8, 128)),
        ("onnx quantize_linear int16 per tensor", onnx(np.int16, 0)),
        ("onnx quantize_linear int8 per axis axis=-1", onnx(np.int8, 0, axis=1)),
    ]


def _decoders():
    def make_codes(kind):
        def make(n, rng):
            rows = n // ROW
            if kind == "int4":
                q = rng.integers(-8, 8, (rows, ROW), dtype=np.int8)
                out = np.empty(q.shape, np.float32)
                return (lambda o: fq.dequantize_from_int4(q, 0.05, 1, out=o, threads=1)), out, q.nbytes
            if kind == "int4 packed":
                q = rng.integers(-128, 128, (rows, ROW // 2), dtype=np.int8)
                out = np.empty((rows, ROW), np.float32)
                return (lambda o: fq.dequantize_packed_int4(q, 0.05, 1, out=o, threads=1)), out, q.nbytes
            if kind == "unpack int4":
                q = rng.integers(-128, 128, (rows, ROW // 2), dtype=np.int8)
                out = np.empty((rows, ROW), np.int8)
                return (lambda o: fq.unpack_int8_to_int4(q, out=o, threads=1)), out, q.nbytes
            if kind == "pack int4":
                q = rng.integers(-8, 8, (rows, ROW), dtype=np.int8)
                out = np.empty((rows, ROW // 2), np.int8)
                return (lambda o: fq.pack_int4_to_int8(q, out=o, threads=1)), out, q.nbytes
            if kind in ("int8", "uint8"):
                q = rng.integers(0, 256, (rows, ROW), dtype=np.uint8).view(np.int8 if kind == "int8" else np.uint8)
                out = np.empty(q.shape, np.float32)
                return (lambda o: fq.dequantize(q, kind, out=o, threads=1)), out, q.nbytes
            if kind in ("binary", "ubinary"):
                q = rng.integers(0, 256, (rows, ROW // 8), dtype=np.uint8).view(np.int8 if kind == "binary" else np.uint8)
                out = np.empty((rows, ROW), np.float32)
                return (lambda o: fq.dequantize(q, kind, ROW, out=o, threads=1)), out, q.nbytes
            if kind.startswith("affine"):
                dtype = np.int16 if "int16" in kind else np.int8
                q = rng.integers(-100, 100, (rows, ROW)).astype(dtype)
                out = np.empty(q.shape, np.float32)
                if "axis" in kind:
                    sc = np.linspace(0.01, 0.1, ROW).astype(np.float32)
                    zp = np.full(ROW, 3, np.int32)
                    return (lambda o: fq.dequantize_func(q, sc, zp, axis=1, out=o, threads=1)), out, q.nbytes
                return (lambda o: fq.dequantize_func(q, 8 / 255, 3, out=o, threads=1)), out, q.nbytes
            raise AssertionError(kind)
        return make

    kinds = ["int4", "int4 packed", "unpack int4", "pack int4", "int8", "uint8", "binary",
             "ubinary", "affine int8", "affine int16", "affine int8 axis=-1"]
    names = {"int4": "dequantize_from_int4", "int4 packed": "dequantize_packed_int4",
             "unpack int4": "unpack_int8_to_int4", "pack int4": "pack_int4_to_int8",
             "int8": "dequantize int8", "uint8": "dequantize uint8", "binary": "dequantize binary",
             "ubinary": "dequantize ubinary", "affine int8": "dequantize_func int8",
             "affine int16": "dequantize_func int16", "affine int8 axis=-1": "dequantize_func int8 axis=-1"}
    return [(names[k], make_codes(k)) for k in kinds]


#: The clock: thread CPU time by default (a busy machine's other processes then only cost
#: what they do to caches and memory bandwidth, not the time slices they take), or wall time.
CLOCK = {"thread": time.thread_time, "wall": time.perf_counter}
_clock = CLOCK["thread"]


def _time(fn, samples: int) -> float:
    """Seconds of one call: the fastest of ``samples`` samples, each of enough calls for about
    0.3 ms (on a shared machine other processes only ever slow a sample down)."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    number = max(1, int(3e-4 / max(once, 1e-7)))
    times = []
    for _ in range(samples):
        t0 = _clock()
        for _ in range(number):
            fn()
        times.append((_clock() - t0) / number)
    return min(times)


def _copy_time(nbytes: int, samples: int) -> float:
    """The fastest of ``samples`` copies moving ``nbytes`` in all (half read, half written)."""
    src = np.ones(max(1, nbytes // 2), np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return _time(lambda: np.copyto(dst, src), samples)


def _size(text: str) -> int:
    t = text.strip().upper()
    unit = {"K": 1024, "M": 1024**2}.get(t[-1:], 1)
    return int(t[:-1] if unit > 1 else t) * unit


def run(cases, sizes, names, rounds: int, samples: int, progress) -> list:
    rows = []
    for label, make in cases:
        for n in sizes:
            rng = np.random.default_rng([20261123, n])
            call, out, in_bytes = make(n, rng)
            results = {}
            for name in names:  # every build must give the same bytes, or the timing means nothing
                with fq.use_backend(name):
                    results[name] = np.array(call(out), copy=True)
            ref = results[names[0]]
            agree = all(r.dtype == ref.dtype and r.tobytes() == ref.tobytes() for r in results.values())
            out_bytes = ref.nbytes
            nbytes = in_bytes + out_bytes
            pct = {name: [] for name in names}
            secs = {name: [] for name in names}
            gc.disable()
            try:
                for r in range(rounds):
                    order = names[r % len(names):] + names[: r % len(names)]
                    copy = _copy_time(nbytes, samples)
                    for name in order:
                        with fq.use_backend(name):
                            t = _time(lambda: call(out), samples)
                        secs[name].append(t)
                        pct[name].append(100.0 * copy / t)
            finally:
                gc.enable()
            row = {"case": label, "size": n, "bytes": nbytes, "agree": agree,
                   "pct_copy": {k: statistics.median(v) for k, v in pct.items()},
                   "seconds": {k: statistics.median(v) for k, v in secs.items()}}
            if "cython-x86-64-v4" in secs and "cython-x86-64-v3" in secs:  # per round, then the median
                row["v4_over_v3"] = statistics.median(
                    a / b for a, b in zip(secs["cython-x86-64-v4"], secs["cython-x86-64-v3"]))
            rows.append(row)
            progress(row)
            del call, out, results, ref
    return rows


def _label(n: int) -> str:
    return f"{n // 1024**2}M" if n % 1024**2 == 0 else (f"{n // 1024}K" if n % 1024 == 0 else str(n))


def table(rows, names, decoders: bool) -> str:
    short = [n.replace("cython-", "").replace("x86-64-", "") for n in names]
    head = f"{'case':42} {'size':>5} " + " ".join(f"{s:>9}" for s in short)
    if decoders and "cython-x86-64-v4" in names and "cython-x86-64-v3" in names:
        head += "   v4/v3 time"  # the median over rounds of the two builds' time ratio
    lines = [head, "-" * len(head)]
    for row in rows:
        cells = " ".join(f"{row['pct_copy'][n]:8.0f}%" for n in names)
        line = f"{row['case']:42} {_label(row['size']):>5} {cells}"
        if decoders and "cython-x86-64-v4" in names and "cython-x86-64-v3" in names:
            line += f"   {row['v4_over_v3']:10.2f}"
        if not row["agree"]:
            line += "   BUILDS DISAGREE"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--decoders", action="store_true", help="time the decoders instead of the quantizers")
    p.add_argument("--sizes", default="1M,32M", help="element counts, multiples of 1024 (default 1M,32M)")
    p.add_argument("--rounds", type=int, default=7, help="rounds; the median is shown (default 7)")
    p.add_argument("--samples", type=int, default=9, help="samples per timing, the fastest counts (default 9)")
    p.add_argument("--ops", default="", help="only cases whose label contains one of these (comma-separated)")
    p.add_argument("--backends", default="", help="backends to time (default: every compiled build)")
    p.add_argument("--clock", choices=tuple(CLOCK), default="thread",
                   help="thread CPU time (default) or wall time")
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = p.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]
    names = [b for b in args.backends.split(",") if b] or list(_backend.builds())
    if not names:
        print("bench_builds: no compiled build to time", file=sys.stderr)
        return 2
    cases = _decoders() if args.decoders else _quantizers()
    wanted = [w for w in args.ops.split(",") if w]
    cases = [c for c in cases if not wanted or any(w in c[0] for w in wanted)]
    sizes = [_size(s) for s in args.sizes.split(",") if s]
    print(f"fastquant {fq.__version__} from {fq.__file__}; builds: {', '.join(names)}; "
          f"cython = {_backend.CPU_BUILD}; % of np.copyto of the same bytes, one thread, "
          f"{args.clock} clock, median of {args.rounds} interleaved rounds", flush=True)

    def progress(row):
        cells = "  ".join(f"{k.replace('cython-', '')} {v:.0f}%" for k, v in row["pct_copy"].items())
        print(f"  {row['case']} {_label(row['size'])}: {cells}", file=sys.stderr, flush=True)

    rows = run(cases, sizes, names, args.rounds, args.samples, progress)
    print(table(rows, names, args.decoders))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"builds": names, "cpu_build": _backend.CPU_BUILD, "rows": rows}, f, indent=1)
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
