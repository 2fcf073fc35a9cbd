"""The ratio table of fastquant.onnx against onnxruntime and onnx.reference, measured in one
run (docs/onnx.md quotes it):

    python tools/bench_onnx.py                 # 16M values, 7 rounds
    python tools/bench_onnx.py --size 1M --rounds 3 --types int8,int4

For every code type, per tensor and in blocks of 32 and 128 along the last axis of (n / 1024,
1024) float32 data: QuantizeLinear and DequantizeLinear by fastquant (one thread, into a
preallocated ``out=``, and returning a new array) and by a one-node onnxruntime session with one
intra-op thread (inputs and a preallocated output bound once: onnxruntime's fastest path).
Rounds interleave the contenders, each round times one call of each, and the table shows the
medians over the rounds (the machine is shared: ratios within a run are what counts). Outputs
are compared byte for byte with onnxruntime's wherever it runs the op. Then the int4/uint4
weight path: QuantizeLinear in blocks of 32 to TensorProto raw bytes, fastquant
(``quantize_linear`` + ``to_raw``) against ``onnx.reference`` + ``numpy_helper.from_array``.
Targets (issue 15): int8/uint8 ratio >= 1.0 both ways; float8 quantize >= 10x onnxruntime;
int4/uint4 blocked quantize to raw >= 50x onnx.reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import fastquant  # noqa: E402
import fastquant.onnx as fo  # noqa: E402
from fastquant._bench.cases import parse_size  # noqa: E402
from onnx_peers import OrtCall, reference_quantize_to_raw, scales_for  # noqa: E402

LAYOUTS = {"tensor": 0, "block32": 32, "block128": 128}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def race(contenders: dict, rounds: int) -> dict:
    """Median seconds per call of each contender, calls interleaved round by round (the order
    rotating, so none always runs right after another's cache traffic)."""
    names = [k for k, v in contenders.items() if v is not None]
    for name in names:  # warm up: page faults, lazy initialisation
        contenders[name]()
    times = {k: [] for k in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(timed(contenders[name]))
    return {k: statistics.median(v) for k, v in times.items()}


def fmt_ratio(a, b) -> str:
    return "" if a is None or b is None else f"{a / b:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="16M")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--types", default=",".join(fo.CODE_TYPES))
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--no-reference", action="store_true", help="skip the onnx.reference rows")
    args = ap.parse_args()
    n = parse_size(args.size)
    rng = np.random.default_rng(20261123)
    x = rng.standard_normal((n // 1024, 1024), dtype=np.float32)
    print(f"fastquant {fastquant.__version__} ({fastquant.backend()}, build {fastquant._backend.CPU_BUILD}); "
          f"onnxruntime {__import__('onnxruntime').__version__}; {n} values {x.shape}, {args.rounds} rounds, "
          f"one thread each; load average {os.getloadavg()[0]:.1f}")
    print("ns/value: fastquant into out= | fastquant new array | onnxruntime; ratio = onnxruntime / fastquant out=")
    print(f"{'op':<11} {'type':<15} {'layout':<9} {'fq out=':>8} {'fq new':>8} {'ort':>8} {'ratio':>6}  same")
    for name in args.types.split(","):
        t = fo.CODE_TYPES[name]
        for layout in args.layouts.split(","):
            block = LAYOUTS[layout]
            s = scales_for(x, t, block)
            kw = dict(axis=-1, block_size=block) if block else {}
            codes = np.empty(x.shape, t.dtype)
            values = np.empty(x.shape, np.float32)
            q_out = lambda: fo.quantize_linear(x, s, output_dtype=name, threads=1, out=codes, **kw)  # noqa: E731
            q_new = lambda: fo.quantize_linear(x, s, output_dtype=name, threads=1, **kw)  # noqa: E731
            q_out()
            d_out = lambda: fo.dequantize_linear(codes, s, threads=1, out=values, **kw)  # noqa: E731
            d_new = lambda: fo.dequantize_linear(codes, s, threads=1, **kw)  # noqa: E731
            for op, fq_out, fq_new, data, mine in (("Quantize", q_out, q_new, x, lambda: fo.to_raw(codes)),
                                                  ("Dequantize", d_out, d_new, codes, lambda: values.tobytes())):
                ort = OrtCall(f"{op}Linear", t, data, s, block, axis=-1)
                got = race({"out": fq_out, "new": fq_new, "ort": ort.run}, args.rounds)
                same = "n/a: " + ort.error[:60] if ort.run is None else ("yes" if ort.raw() == mine() else "NO")
                ns = {k: v * 1e9 / n for k, v in got.items()}
                print(f"{op:<11} {name:<15} {layout:<9} {ns['out']:8.3f} {ns['new']:8.3f} "
                      f"{ns['ort'] if 'ort' in ns else float('nan'):8.3f} {fmt_ratio(got.get('ort'), got['out']):>6}  {same}",
                      flush=True)
    if args.no_reference:
        return
    print("\nQuantizeLinear to TensorProto raw bytes, blocks of 32 along the last axis (ns/value; ratio = reference / fastquant)")
    for name in ("int4", "uint4"):
        t = fo.CODE_TYPES[name]
        s = scales_for(x, t, 32)
        mine = lambda: fo.to_raw(fo.quantize_linear(x, s, axis=-1, block_size=32, output_dtype=name, threads=1))  # noqa: E731
        ref = reference_quantize_to_raw(x, s, t, 32)
        same = "yes" if mine() == ref() else "NO"
        got = race({"fastquant": mine, "reference": ref}, max(3, args.rounds // 2))
        print(f"{name:<6} fastquant {got['fastquant'] * 1e9 / n:8.3f}  onnx.reference {got['reference'] * 1e9 / n:8.3f}  "
              f"ratio {got['reference'] / got['fastquant']:.1f}  same {same}", flush=True)


if __name__ == "__main__":
    main()
