"""Timing: medians of repeated calls, and the memory-copy reference they are compared with."""

from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time
from typing import Callable, Optional, Sequence

import numpy as np

from fastquant import _threads

#: Upper bound on calls per sample, so a sub-microsecond call cannot make a sample endless.
MAX_NUMBER = 100_000


#: The clocks a benchmark can time with: elapsed time, or the CPU time of this process (user +
#: system, page faults included; time spent descheduled on a busy machine is not counted, so
#: ratios stay stable under load; meaningful for one-thread runs only).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def median_time(fn: Callable[[], object], repeat: int = 5, min_sample: float = 2e-3, clock: str = "wall") -> float:
    """Median seconds per call of ``fn`` over ``repeat`` samples (see :func:`samples`)."""
    return statistics.median(samples(fn, repeat, min_sample, clock))


def calls_per_sample(fn: Callable[[], object], min_sample: float, clock: str = "wall") -> int:
    """How many back-to-back calls of ``fn`` make a sample of at least ``min_sample`` seconds,
    from one timed call (short calls are otherwise lost in timer noise)."""
    now = CLOCKS[clock]
    t0 = now()
    fn()
    once = now() - t0
    return 1 if once >= min_sample else min(MAX_NUMBER, math.ceil(min_sample / max(once, 1e-8)))


def interleaved(fns: Sequence[Callable[[], object]], repeat: int = 5, min_sample: float = 2e-3,
                clock: str = "wall") -> list:
    """Median seconds per call of each of ``fns``, timed in ``repeat`` rounds of one sample of
    each, in turn: load from other processes that comes and goes hits every contender alike,
    so the ratios of one run hold even on a busy machine. The caller warms each up first."""
    return [statistics.median(t) for t in _rounds(fns, repeat, min_sample, clock)]


def _rounds(fns: Sequence[Callable[[], object]], repeat: int, min_sample: float, clock: str) -> list:
    """Seconds per call of each of ``fns`` in each of ``repeat`` rounds (one list per fn)."""
    numbers = [calls_per_sample(fn, min_sample, clock) for fn in fns]
    now = CLOCKS[clock]
    times: list = [[] for _ in fns]
    with _gc_off():
        for _ in range(max(1, repeat)):
            for fn, number, acc in zip(fns, numbers, times):
                t0 = now()
                for _ in range(number):
                    fn()
                acc.append((now() - t0) / number)
    return times


@contextlib.contextmanager
def _gc_off():
    """The garbage collector off while timing, as in :mod:`timeit`."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def samples(fn: Callable[[], object], repeat: int = 5, min_sample: float = 2e-3, clock: str = "wall") -> list:
    """Seconds per call of ``fn`` in each of ``repeat`` samples.

    Each sample times ``number`` back-to-back calls, ``number`` chosen from one calibration call
    so that a sample lasts at least ``min_sample`` seconds (short calls are otherwise lost in
    timer noise). The garbage collector is off while timing, as in :mod:`timeit`. The caller
    warms ``fn`` up first.
    """
    return _rounds([fn], repeat, min_sample, clock)[0]


def copy_time(nbytes: int, repeat: int = 5, min_sample: float = 2e-3, clock: str = "wall") -> float:
    """Seconds of ``np.copyto`` from one buffer of ``nbytes / 2`` bytes into another,
    preallocated one: a memory copy that reads and writes ``nbytes`` bytes in all, the same
    traffic as a kernel with those input + output bytes. (Large copies use glibc's memcpy,
    whose streaming stores make this the practical write-bandwidth limit of the machine.)

    Unlike the kernels' medians this is the fastest of the samples: it stands for what the
    memory system can do, and other processes on a busy machine only ever slow a copy down.
    """
    half = max(1, nbytes // 2)
    src = np.ones(half, np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the destination pages in before timing
    return min(samples(lambda: np.copyto(dst, src), repeat, min_sample, clock))


def stream_fill_function() -> Optional[Callable]:
    """``fastquant._kernels._membench.stream_fill``, or None where it is not compiled."""
    try:
        from fastquant._kernels._membench import stream_fill
    except ImportError:
        return None
    return stream_fill


def stream_time(nfloats: int, threads=None, repeat: int = 5, min_sample: float = 2e-3) -> Optional[float]:
    """Seconds of a write-only streaming-store fill of ``nfloats`` preallocated float32 values
    (``csrc/_membench.pyx``, the stores the float32 decoders use into ``out=``), split over
    as many threads as a kernel call with ``threads`` on that many elements uses; the fastest
    of the samples, like :func:`copy_time`. None where the helper is not compiled.
    """
    fill = stream_fill_function()
    if fill is None:
        return None
    out = np.zeros(max(1, nfloats), np.float32)  # pages faulted in before timing
    parts = _threads.ranges(out.size, _threads.count(threads, out.size))
    if len(parts) == 1:
        def fn():
            fill(out)
    else:
        calls = [(fill, (out[i:j],)) for i, j in parts]

        def fn():
            _threads._execute(calls)
    fn()
    return min(samples(fn, repeat, min_sample))
