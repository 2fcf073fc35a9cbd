"""Do the kernels release the GIL? Two threads sharing two calls against one thread making
both, on large arrays (pytest-benchmark; not part of the test suite):

    python setup.py build_ext --inplace && python -m pytest bench/test_gil_release.py

Each group (one per kernel) has a ``threads=1`` and a ``threads=2`` row doing the same total
work (two calls, each into its own preallocated ``out``). With the GIL released, ``threads=2``
takes about half the time on a machine with two free cores (memory bandwidth permitting);
with the GIL held it would take as long as ``threads=1``. The ratio is printed per kernel and
stored in the benchmark's ``extra_info``. On a busy machine the speedup is noisy; the second test
measures instead how far a Python loop in another thread gets while the kernel runs, against a
sleep of the same length (about 1 when the GIL is released), with a GIL-holding control.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastquant as fq

N = 1 << 23  # 8M elements: far beyond cache, long enough that thread hand-off is noise
_rng = np.random.default_rng(0)
FLOATS = _rng.standard_normal(N).astype(np.float32)
CODES = _rng.integers(-8, 8, N, dtype=np.int8)
PACKED = _rng.integers(-128, 128, N // 2, dtype=np.int8)
RANGES = np.vstack([FLOATS[:1024 * 256].reshape(-1, 1024).min(0), FLOATS[:1024 * 256].reshape(-1, 1024).max(0)])

#: (id, function, kwargs, out dtype and shape or None); a new family adds its kernels here
CASES = [
    ("quantize_to_int4", fq.quantize_to_int4, dict(values=FLOATS), None),
    ("quantize_to_packed_int4", fq.quantize_to_packed_int4, dict(values=FLOATS), (np.int8, (N // 2,))),
    ("dequantize_from_int4", fq.dequantize_from_int4, dict(q=CODES, scale=0.5), (np.float32, (N,))),
    ("pack_int4_to_int8", fq.pack_int4_to_int8, dict(values=CODES), (np.int8, (N // 2,))),
    ("unpack_int8_to_int4", fq.unpack_int8_to_int4, dict(packed=PACKED), (np.int8, (N,))),
    ("dequantize_packed_int4", fq.dequantize_packed_int4, dict(packed=PACKED, scale=0.5), (np.float32, (N,))),
    ("dequantize_int8", fq.dequantize, dict(q=CODES, quant="int8"), (np.float32, (N,))),
    ("dequantize_uint8", fq.dequantize, dict(q=CODES.view(np.uint8), quant="uint8"), (np.float32, (N,))),
    ("dequantize_binary", fq.dequantize, dict(q=PACKED, quant="binary", orig_dim=4 * N), (np.float32, (4 * N,))),
    ("quantize_embeddings_int8", fq.quantize_embeddings, dict(x=FLOATS, precision="int8"), (np.int8, (N,))),
    ("quantize_embeddings_uint8", fq.quantize_embeddings, dict(x=FLOATS, precision="uint8"), (np.uint8, (N,))),
    ("quantize_embeddings_binary", fq.quantize_embeddings, dict(x=FLOATS, precision="binary"), (np.int8, (N // 8,))),
    ("quantize_embeddings_int8_ranges", fq.quantize_embeddings,
     dict(x=FLOATS.reshape(-1, 1024), precision="int8", ranges=RANGES), (np.int8, (N // 1024, 1024))),
    ("dequantize_uint8_ranges", fq.dequantize,
     dict(q=CODES.view(np.uint8).reshape(-1, 1024), quant="uint8", ranges=RANGES), (np.float32, (N // 1024, 1024))),
    ("quantize_func", fq.quantize_func, dict(x=FLOATS, scales=0.37, zero_point=3), (np.int8, (N,))),
    ("quantize_func_per_channel", fq.quantize_func,
     dict(x=FLOATS.reshape(-1, 1024), scales=np.linspace(0.1, 3, 1024), zero_point=0, n_bits=12, axis=1),
     (np.int16, (N // 1024, 1024))),
    ("dequantize_func", fq.dequantize_func, dict(x_q=CODES, scales=0.37, zero_point=3), (np.float32, (N,))),
    ("dequantize_func_per_channel", fq.dequantize_func,
     dict(x_q=CODES.reshape(1024, -1), scales=np.linspace(0.1, 3, 1024), zero_point=np.arange(1024), axis=0),
     (np.float32, (1024, N // 1024))),
]

import fastquant.gguf as fg  # noqa: E402  (the GGUF codecs: their own module)

GGUF_X = FLOATS.reshape(-1, 4096)
CASES += [
    (f"gguf_quantize_{t}", fg.quantize, dict(data=GGUF_X, qtype=t),
     (np.uint8, (GGUF_X.shape[0], 4096 // fg.QUANT_SIZES[t][0] * fg.QUANT_SIZES[t][1])))
    for t in ("Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS")
]

_POOL = ThreadPoolExecutor(2)
_MEDIANS: dict = {}


def _job(fn, kwargs, out):
    with fq.use_backend("cython"):
        return fn(**kwargs) if out is None else fn(**kwargs, out=out)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_gil_release(benchmark, case, threads):
    if "cython" not in fq._backend.available():
        pytest.skip("the compiled kernels are not built")
    name, fn, kwargs, out_spec = case
    outs = [None, None] if out_spec is None else [np.empty(out_spec[1], out_spec[0]) for _ in range(2)]
    for out in outs:  # touch the outputs' pages once, outside the timing
        _job(fn, kwargs, out)

    if threads == 1:
        def run():
            for out in outs:
                _job(fn, kwargs, out)
    else:
        def run():
            for f in [_POOL.submit(_job, fn, kwargs, out) for out in outs]:
                f.result()

    benchmark.group = name
    benchmark.pedantic(run, rounds=7, warmup_rounds=1)
    if benchmark.stats is None:  # --benchmark-disable (CI runs each case once): nothing timed
        return
    median = benchmark.stats.stats.median
    _MEDIANS[name, threads] = median
    if (name, 1) in _MEDIANS and (name, 2) in _MEDIANS:
        speedup = _MEDIANS[name, 1] / _MEDIANS[name, 2]
        benchmark.extra_info["two_thread_speedup"] = round(speedup, 2)
        print(f"\n{name}: 2 threads {speedup:.2f}x faster than 1 for the same work")


def _ticks_while(work) -> int:
    """How often a pure-Python loop in this thread gets to run while ``work`` runs in another."""
    done = []
    worker = __import__("threading").Thread(target=lambda: (work(), done.append(1)))
    ticks = 0
    worker.start()
    while not done:
        ticks += 1
    worker.join()
    return ticks


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_python_runs_during_kernel(benchmark, case):
    """A second measure that a busy machine disturbs less than the speedup: while one thread
    runs the kernel, how much does a Python loop in another thread advance, against the same
    time spent in ``time.sleep`` (which surely releases the GIL)? About 1 when the kernel
    releases the GIL, about 0 when it holds it."""
    if "cython" not in fq._backend.available():
        pytest.skip("the compiled kernels are not built")
    import time

    name, fn, kwargs, out_spec = case
    out = None if out_spec is None else np.empty(out_spec[1], out_spec[0])
    _job(fn, kwargs, out)
    t0 = time.perf_counter()
    kernel_ticks = _ticks_while(lambda: [_job(fn, kwargs, out) for _ in range(4)])
    seconds = time.perf_counter() - t0
    sleep_ticks = _ticks_while(lambda: time.sleep(seconds))
    ratio = kernel_ticks / max(sleep_ticks, 1)
    benchmark.group = name
    benchmark.extra_info["python_progress_vs_sleep"] = round(ratio, 2)
    benchmark.pedantic(lambda: None, rounds=1)
    print(f"\n{name}: a Python thread ran {ratio:.2f}x as much during the kernel as during a sleep")


def test_probe_control_holds_gil(benchmark):
    """The probe's control: ``sorted`` of a big list is one C call that keeps the GIL, so the
    Python loop should barely advance (about 0.0)."""
    import random
    import time

    big = [random.random() for _ in range(1_000_000)]
    t0 = time.perf_counter()
    held = _ticks_while(lambda: [sorted(big) for _ in range(2)])
    sleep_ticks = _ticks_while(lambda: time.sleep(time.perf_counter() - t0))
    ratio = held / max(sleep_ticks, 1)
    benchmark.group = "control"
    benchmark.extra_info["python_progress_vs_sleep"] = round(ratio, 3)
    benchmark.pedantic(lambda: None, rounds=1)
    print(f"\ncontrol (sorted, GIL held): a Python thread ran {ratio:.3f}x as much as during a sleep")
