"""Two threads against one on large arrays (issue 5: two threads >= 1.6x one thread).

    python -m pytest bench/test_threads.py --benchmark-only --benchmark-group-by=group

Each group is one op at one size; compare the ``threads`` rows. Outputs go into a reused
``out=`` where the function takes one (streaming stores above 8 MiB), so page zeroing of new
arrays does not hide the kernel's speed.
"""

import numpy as np
import pytest

import fastquant as fq

pytest.importorskip("pytest_benchmark")

SIZES = {"4M": 1 << 22, "32M": 1 << 25}


def _cases(n):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    q = rng.integers(-8, 8, n, dtype=np.int8)
    packed = fq.pack_int4_to_int8(q)
    f_out = np.empty(n, np.float32)
    q_out = np.empty(n, np.int8)
    p_out = np.empty(n // 2, np.int8)
    return {
        "quantize": lambda t: fq.quantize_to_int4(x, "absmax", threads=t),
        "quantize_pack": lambda t: fq.quantize_to_packed_int4(x, out=p_out, threads=t),
        "dequantize": lambda t: fq.dequantize_from_int4(q, 0.5, out=f_out, threads=t),
        "pack": lambda t: fq.pack_int4_to_int8(q, out=p_out, threads=t),
        "unpack": lambda t: fq.unpack_int8_to_int4(packed, out=q_out, threads=t),
        "unpack_dequantize": lambda t: fq.dequantize_packed_int4(packed, 0.5, out=f_out, threads=t),
    }


_CACHE = {}


def _case(size, op):
    if size not in _CACHE:
        _CACHE.clear()  # keep one size's arrays alive at a time
        _CACHE[size] = _cases(SIZES[size])
    return _CACHE[size][op]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("op", ["quantize", "quantize_pack", "dequantize", "pack", "unpack", "unpack_dequantize"])
@pytest.mark.parametrize("size", SIZES)
def test_threads(benchmark, size, op, threads):
    fn = _case(size, op)
    benchmark.group = f"threads {op} {size}"
    benchmark.extra_info.update(threads=threads, elements=SIZES[size])
    benchmark.pedantic(fn, args=(threads,), rounds=7, warmup_rounds=1)
