"""Long checks of the GGUF encoders, run once and quoted (too slow for the test suite).

    python tools/gguf_encode_check.py fp16        # fq_half_round.h vs NumPy: all 2**32 floats
    python tools/gguf_encode_check.py log2        # MXFP4's log2 table vs glibc log2f and NumPy
    python tools/gguf_encode_check.py iq4         # IQ4 index rule vs best_index_int8, emulated
    python tools/gguf_encode_check.py tq1         # TQ1_0's SIMD division by 243
    python tools/gguf_encode_check.py sweep [N]   # every type vs llama.cpp, N values per family
    python tools/gguf_encode_check.py all

The llama.cpp library comes from tools/build_llama_oracle.py (tests/_llama_oracle.py finds it).
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def check_fp16() -> bool:
    """fqr_fp32_to_fp16 (software and F16C) against NumPy's astype(float16) for all 2**32
    inputs (NaN: ggml's 0x7E00 with the sign)."""
    src = r'''
#include "fq_half_round.h"
long check(uint32_t start, long n, const uint16_t *ref, int f16c) {
    long bad = 0, i;
    for (i = 0; i < n; i++) {
        float f = fqr_float(start + (uint32_t) i);
        uint16_t h = f16c ? fqr_fp32_to_fp16(f) : fqr_fp32_to_fp16_soft(f);
        bad += h != ref[i];
    }
    return bad;
}
'''
    with tempfile.TemporaryDirectory() as tmp:
        c = Path(tmp) / "h.c"
        c.write_text(src)
        lib_path = Path(tmp) / "h.so"
        subprocess.run(["cc", "-O2", "-ffp-contract=off", "-mf16c", "-shared", "-fPIC", "-I", str(ROOT / "csrc"), str(c), "-o", str(lib_path)], check=True)
        lib = ctypes.CDLL(str(lib_path))
        lib.check.argtypes = [ctypes.c_uint32, ctypes.c_long, ctypes.c_void_p, ctypes.c_int]
        lib.check.restype = ctypes.c_long
        chunk = 1 << 26
        bad = 0
        t0 = time.time()
        for k in range(1 << 32 >> 26):
            x = np.arange(k * chunk, (k + 1) * chunk, dtype=np.uint64).astype(np.uint32)
            with np.errstate(over="ignore"):
                ref = x.view(np.float32).astype(np.float16).view(np.uint16)
            nan = (x & 0x7FFFFFFF) > 0x7F800000
            ref[nan] = ((x[nan] >> 16) & 0x8000) | 0x7E00
            for f16c in (0, 1):
                bad += lib.check(k * chunk, chunk, ref.ctypes.data, f16c)
        print(f"fp16: {2 * (1 << 32)} conversions (software and F16C) vs NumPy: {bad} differ ({time.time() - t0:.0f} s)")
        return bad == 0


def check_log2() -> bool:
    """Every float within 400 ulps below a power of two (and 2**k itself), as the amax of an
    MXFP4 block: fastquant's exponent byte against llama.cpp (glibc log2f) and gguf-py
    (NumPy float32 log2)."""
    import fastquant.gguf as fg
    from _llama_oracle import _load

    llama = _load()[0]
    import gguf
    from gguf import quants as gq

    cands = []
    for k in range(-149, 129):
        top = (k + 127) << 23 if k > -127 else 1 << max(0, k + 149)
        cands.extend(range(max(1, top - 400), top + 1))
    c = np.array(cands, np.uint32).view(np.float32)
    c = c[np.isfinite(c) & (c > 0)]
    x = np.zeros((c.size, 32), np.float32)
    x[:, 0] = c
    ours = fg.quantize(x, "MXFP4")[:, 0]
    ref = llama.quantize(x, "MXFP4").reshape(-1, 17)[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        py = gq.quantize(x, gguf.GGMLQuantizationType.MXFP4)[:, 0]
    bad_c, bad_py = int((ours != ref).sum()), int((ours != py).sum())
    print(f"log2: {c.size} block maxima near powers of two: {bad_c} differ from llama.cpp, {bad_py} from gguf-py")
    return bad_c == 0 and bad_py == 0


def check_iq4(samples: int = 20_000_000) -> bool:
    """The IQ4 code rule (count of midpoints <= a) against best_index_int8 as llama.cpp writes
    it (binary search, then fl(a - v[mu-1]) < fl(v[mu] - a) in float32), on every float within
    4096 ulps of each midpoint and value, and on random floats of every magnitude."""
    from fastquant._twins.gguf_encode import KVALUES_IQ4NL, best_index_iq4

    v = KVALUES_IQ4NL.astype(np.float32)
    mids = (v[:-1] + v[1:]) / np.float32(2)
    pts = np.concatenate([v, mids, -mids, np.float32([0, 0.5, -0.5])]).astype(np.float32)
    near = (pts.view(np.int32)[:, None] + np.arange(-4096, 4097)[None, :]).astype(np.int32).view(np.float32).ravel()
    rng = np.random.default_rng(1)
    rand = (rng.standard_normal(samples) * np.exp(rng.uniform(-30, 10, samples))).astype(np.float32)
    a = np.concatenate([near, rand, np.float32([np.inf, -np.inf])])
    a = a[~np.isnan(a)]

    def c_best(a):
        out = np.empty(a.shape, np.int64)
        lo = a <= v[0]
        hi = a >= v[15]
        ml = np.zeros(a.shape, np.int64)
        mu = np.full(a.shape, 15, np.int64)
        for _ in range(5):                          # the binary search, vectorized
            mav = (ml + mu) // 2
            go = (mu - ml > 1)
            less = a < v[mav]
            mu = np.where(go & less, mav, mu)
            ml = np.where(go & ~less, mav, ml)
        with np.errstate(over="ignore", invalid="ignore"):
            first = (a - v[mu - 1]).astype(np.float32) < (v[mu] - a).astype(np.float32)
        out[:] = np.where(first, mu - 1, mu)
        return np.where(lo, 0, np.where(hi, 15, out))

    bad = int((c_best(a) != best_index_iq4(a)).sum())
    print(f"iq4: {a.size} arguments: {bad} differ from best_index_int8")
    return bad == 0


def check_tq1() -> bool:
    """TQ1_0 stores ceil(q * 256 / 243) = (q * 256 + 242) // 243 for q < 243; the SIMD code
    (gq_tq1_bytes16) computes q + ((13 q + 242) * 4316 >> 20)."""
    q = np.arange(243)
    bad = int(((q + (((13 * q + 242) * 4316) >> 20)) != (q * 256 + 242) // 243).sum())
    print(f"tq1: 243 bytes: {bad} differ")
    return bad == 0


def sweep(n: int) -> bool:
    """Every type vs llama.cpp on n values of each test family, 4 seeds, compiled kernels;
    prints the number of blocks compared."""
    import fastquant.gguf as fg
    from _llama_oracle import SIZES, _load
    from test_gguf_encode import KINDS, _same_or_iq4nl_stale, data

    llama = _load()[0]
    ok = True
    t0 = time.time()
    for qtype, (bs, _) in SIZES.items():
        blocks = 0
        for seed in range(100, 104):
            for kind in KINDS:
                x = data(kind, n, seed=seed)
                try:
                    _same_or_iq4nl_stale(qtype, x, fg.quantize(x, qtype), llama.quantize(x, qtype))
                except AssertionError as exc:
                    ok = False
                    print(f"  {qtype} {kind} seed {seed}: {exc}")
                blocks += n // bs
        print(f"sweep: {qtype:7} {blocks:9d} blocks ({blocks * bs} values) equal to llama.cpp ({time.time() - t0:.0f} s)", flush=True)
    return ok


def main(argv) -> int:
    what = argv[1] if len(argv) > 1 else "all"
    n = int(argv[2]) if len(argv) > 2 else 1 << 20
    ok = True
    if what in ("fp16", "all"):
        ok &= check_fp16()
    if what in ("log2", "all"):
        ok &= check_log2()
    if what in ("iq4", "all"):
        ok &= check_iq4()
    if what in ("tq1", "all"):
        ok &= check_tq1()
    if what in ("sweep", "all"):
        ok &= sweep(n)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
