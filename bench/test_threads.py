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
    i8 = rng.integers(-128, 128, n, dtype=np.int8)
    u8 = i8.view(np.uint8)
    bits = u8[: n // 8]
    b_out = np.empty(n // 8, np.uint8)
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
        "embed_int8_decode": lambda t: fq.dequantize(i8, "int8", out=f_out, threads=t),
        "embed_uint8_decode": lambda t: fq.dequantize(u8, "uint8", out=f_out, threads=t),
        "embed_ubinary_decode": lambda t: fq.dequantize(bits, "ubinary", n, out=f_out, threads=t),
        "embed_int8_encode": lambda t: fq.quantize_embeddings(x, "int8", out=q_out, threads=t),
        "embed_ubinary_encode": lambda t: fq.quantize_embeddings(x, "ubinary", out=b_out, threads=t),
        "affine_quantize": lambda t: fq.quantize_func(x, 0.03, 3, out=q_out, threads=t),
        "affine_dequantize": lambda t: fq.dequantize_func(i8, 0.03, 3, out=f_out, threads=t),
    }


OPS = ["quantize", "quantize_pack", "dequantize", "pack", "unpack", "unpack_dequantize",
       "embed_int8_decode", "embed_uint8_decode", "embed_ubinary_decode", "embed_int8_encode",
       "embed_ubinary_encode", "affine_quantize", "affine_dequantize"]


_CACHE = {}


def _case(size, op):
    if size not in _CACHE:
        _CACHE.clear()  # keep one size's arrays alive at a time
        _CACHE[size] = _cases(SIZES[size])
    return _CACHE[size][op]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("big", SIZES)  # not "size": conftest parametrizes that one itself
def test_threads(benchmark, big, op, threads):
    fn = _case(big, op)
    benchmark.group = f"threads {op} {big}"
    benchmark.extra_info.update(threads=threads, elements=SIZES[big])
    benchmark.pedantic(fn, args=(threads,), rounds=7, warmup_rounds=1)
