"""Run benchmark cases on both backends, check their outputs agree, and collect rows."""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

import fastquant
from fastquant import _backend

from .agree import difference
from .cases import Case, main_array, size_label
from .timing import copy_time, median_time, stream_time


@dataclasses.dataclass
class Row:
    """One line of the table: a case at one size, with or without a preallocated ``out=``."""

    op: str
    family: str
    size: int
    out: bool
    bytes: int                          #: input + output bytes of one call
    numpy_s: Optional[float]            #: median seconds per call, NumPy twins (None: not timed, Case.twin_limit)
    cython_s: Optional[float]           #: median seconds per call, compiled kernels (None: unavailable)
    copy_s: float                       #: median seconds of a memory copy moving ``bytes``
    agree: Optional[bool]               #: outputs bit-identical (None: only one backend ran)
    mismatch: str = ""                  #: where they first differ, when they do
    out_bytes: int = 0                  #: bytes of the output array
    stream_s: Optional[float] = None    #: streaming-store fill of the output bytes (float32 outputs only)

    @property
    def best_s(self) -> float:
        return self.cython_s if self.cython_s is not None else self.numpy_s

    @property
    def speedup(self) -> Optional[float]:
        return None if self.cython_s is None or self.numpy_s is None else self.numpy_s / self.cython_s

    @property
    def gbps(self) -> float:
        """GB/s (10**9 bytes) of the compiled kernels (of NumPy when they are unavailable)."""
        return self.bytes / self.best_s / 1e9

    @property
    def copy_gbps(self) -> float:
        return self.bytes / self.copy_s / 1e9

    @property
    def pct_copy(self) -> float:
        """The kernel's speed as a percentage of the memory copy of the same bytes."""
        return 100.0 * self.copy_s / self.best_s

    @property
    def stream_gbps(self) -> Optional[float]:
        """Write bandwidth of the streaming-store fill (10**9 bytes per second)."""
        return None if self.stream_s is None else self.out_bytes / self.stream_s / 1e9

    @property
    def pct_stream(self) -> Optional[float]:
        """The kernel's speed as a percentage of a streaming-store fill of its output bytes
        (float32 outputs only): how close a decoder comes to the write bandwidth."""
        return None if self.stream_s is None else 100.0 * self.stream_s / self.best_s

    @property
    def label(self) -> str:
        return self.op + (" out=" if self.out else "")

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(size_label=size_label(self.size), speedup=self.speedup, gbps=self.gbps,
                 copy_gbps=self.copy_gbps, pct_copy=self.pct_copy,
                 stream_gbps=self.stream_gbps, pct_stream=self.pct_stream)
        return d


def jobs(cases: Sequence[Case], sizes: Iterable[int], out_sizes: Iterable[int]) -> list:
    """``(case, size, with_out)`` in run order: sizes ascending, each case plain and then, at
    the ``out_sizes``, with a preallocated ``out=`` when it takes one."""
    out_sizes = set(out_sizes)
    plan = []
    for n in sorted(set(sizes)):
        for case in cases:
            plan.append((case, n, False))
            if case.takes_out and n in out_sizes:
                plan.append((case, n, True))
    return plan


def _measure(case: Case, args: tuple, name: str, out, repeat: int, min_sample: float, threads=None):
    with fastquant.use_backend(name):
        def fn():
            return case.call(args, out, threads)
        result = fn()  # warm-up; its output is what the agreement check compares
        return result, median_time(fn, repeat, min_sample)


def run(
    cases: Sequence[Case],
    sizes: Iterable[int],
    out_sizes: Iterable[int] = (),
    repeat: int = 5,
    min_sample: float = 2e-3,
    progress: Optional[Callable[[int, int, str], None]] = None,
    on_row: Optional[Callable[[Row], None]] = None,
    threads: Optional[int] = None,
) -> list:
    """Time every job on NumPy and (when built) Cython, on the same data; return the rows.

    ``threads`` is passed as ``threads=`` to every case that takes it (None: not passed, the
    functions choose); the streaming-store reference of float32 outputs uses the same count.

    The two backends' outputs are compared bit for bit; a difference is recorded in the row
    (``agree=False``), not raised, so one run reports every disagreement.
    """
    backends = [b for b in ("numpy", "cython") if b in _backend.available()]
    plan = jobs(cases, sizes, out_sizes)
    copies: dict = {}
    streams: dict = {}
    rows = []
    args_for = template = None
    for i, (case, n, with_out) in enumerate(plan):
        if progress:
            progress(i, len(plan), f"{case.op}{' out=' if with_out else ''} {size_label(n)}")
        if not with_out:  # the out= job right after reuses this data and output shape
            args_for, template = case.args(n), None
        args = args_for
        results, times = {}, {}
        for name in [b for b in backends if b != "numpy" or case.times_twin(n) or len(backends) == 1]:
            out = None
            if with_out:
                out = case.new_out(template)
            results[name], times[name] = _measure(case, args, name, out, repeat, min_sample, threads)
            if template is None:
                template = results[name]
        agree, mismatch = None, ""
        if len(results) == 2:
            mismatch = difference(results["cython"], results["numpy"]) or ""
            agree = not mismatch
        first = next(iter(results))
        nbytes = case.bytes_moved(args, results[first])
        if nbytes not in copies:
            # 3x the samples: the reference is cheap and the yardstick for every row of this size
            copies[nbytes] = copy_time(nbytes, 3 * repeat, min_sample)
        output = main_array(results[first])
        stream_s = None
        if output.dtype == np.float32:
            if output.size not in streams:
                streams[output.size] = stream_time(output.size, threads, 3 * repeat, min_sample)
            stream_s = streams[output.size]
        row = Row(case.op, case.family, n, with_out, nbytes, times.get("numpy"), times.get("cython"),
                  copies[nbytes], agree, mismatch, output.nbytes, stream_s)
        rows.append(row)
        if on_row:
            on_row(row)
        del results
    if progress:
        progress(len(plan), len(plan), "done")
    return rows
