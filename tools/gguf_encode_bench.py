"""One run of the GGUF encode speed table: every type on a (4096, 4096) float32 tensor,
fastquant (threads=1 and 2) against llama.cpp's reference quantizers (the oracle library of
tools/build_llama_oracle.py, same process, ctypes) and gguf-py where it has the type; the
outputs are checked equal. Prints ns per value and the ratios of the same run.

    python tools/gguf_encode_bench.py                 # all types, best of 3
    python tools/gguf_encode_bench.py Q4_K Q6_K --repeat 5

The pytest-benchmark version is bench/test_gguf_encode.py.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import fastquant  # noqa: E402
import fastquant.gguf as fg  # noqa: E402
from _llama_oracle import SIZES, _load  # noqa: E402

GGUF_PY = ("BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4")


def best(fn, repeat, clock=time.process_time):
    """Best of ``repeat`` calls. Single-threaded calls are timed in process CPU time: on a
    machine shared with other jobs that is what a call costs, while wall time also counts the
    waits for a core. Calls that use several threads are timed in wall time."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = clock()
        result = fn()
        times.append(clock() - t0)
    return min(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("types", nargs="*", default=[t for t in fg.ENCODE_TYPES if t not in ("F32", "F16")])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=4096)
    args = ap.parse_args(argv)
    llama, why = _load()
    if llama is None:
        print(f"no oracle: {why}", file=sys.stderr)
    try:
        import gguf
        from gguf import quants as gq
    except ImportError:
        gguf = None
    x = np.random.default_rng(20261123).standard_normal((args.rows, 4096), dtype=np.float32)
    import os
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    n = x.size
    print(f"fastquant {fastquant.__version__} ({fastquant.backend()}, {fastquant._backend.CPU_BUILD}), "
          f"llama.cpp oracle {llama.version if llama else '-'}, gguf-py {__import__('importlib.metadata').metadata.version('gguf') if gguf else '-'}; "
          f"x = ({args.rows}, 4096) float32, best of {args.repeat}, ns/value")
    print(f"{'type':8} {'fq t=1':>8} {'fq t=2':>8} {'C ref':>8} {'gguf-py':>8} {'C/fq':>7} {'py/fq':>7} {'t1/t2':>6}  same")
    for t in args.types:
        out = fg.quantize(x[:1], t)
        out = np.empty((x.shape[0],) + out.shape[1:], out.dtype)
        t1, want = best(lambda: fg.quantize(x, t, out=out, threads=1).copy(), args.repeat)
        w1, _ = best(lambda: fg.quantize(x, t, out=out, threads=1), args.repeat, time.perf_counter)
        w2, got2 = best(lambda: fg.quantize(x, t, out=out, threads=2).copy(), args.repeat, time.perf_counter)
        same = [np.array_equal(got2, want)]
        tc = tp = None
        if llama is not None and t in SIZES:
            tc, c = best(lambda: llama.quantize(x, t), args.repeat)
            same.append(np.array_equal(c.reshape(want.shape), want))
        if gguf is not None and t in GGUF_PY:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                tp, p = best(lambda: gq.quantize(x, gguf.GGMLQuantizationType[t]), args.repeat)
            same.append(p.shape == want.shape)   # bytes: see tests (zero-scale signs may differ)
        ns = lambda s: f"{s / n * 1e9:8.2f}" if s is not None else f"{'-':>8}"
        ratio = lambda a: f"{a / t1:6.1f}x" if a is not None else f"{'-':>7}"
        print(f"{t:8} {ns(t1)} {ns(w2)} {ns(tc)} {ns(tp)} {ratio(tc)} {ratio(tp)} {w1 / w2:5.2f}x  {'yes' if all(same) else 'NO'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
