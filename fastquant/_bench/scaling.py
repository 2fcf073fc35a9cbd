"""``fastquant bench --threads 1,2,4``: how each kernel scales with threads.

Every case runs on the compiled kernels (the active backend) with ``threads=k`` for each count,
the counts timed interleaved (:func:`.timing.interleaved`) on the same data and output, so the
ratios of one run hold on a busy machine. Cases without ``threads=`` are left out.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Optional, Sequence

from .cases import Case, size_label
from .report import render, seconds
from .timing import copy_time, interleaved


@dataclasses.dataclass
class Scaling:
    """One case at one size on each thread count."""

    op: str
    family: str
    size: int
    bytes: int
    threads: tuple                  #: the thread counts, as asked
    seconds: tuple                  #: median seconds per call, one per count
    copy_s: float                   #: a one-thread memory copy of ``bytes`` (fastest sample)

    @property
    def speedups(self) -> tuple:
        """Time on the first count divided by the time on each count."""
        return tuple(self.seconds[0] / t for t in self.seconds)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(size_label=size_label(self.size), speedups=self.speedups,
                 pct_copy=[100.0 * self.copy_s / t for t in self.seconds])
        return d


def run(cases: Sequence[Case], sizes: Iterable[int], threads: Sequence[int], repeat: int = 5,
        min_sample: float = 2e-3, progress: Optional[Callable[[int, int, str], None]] = None) -> list:
    jobs = [(c, n) for n in sorted(set(sizes)) for c in cases if c.takes_threads]
    copies: dict = {}
    rows = []
    for i, (case, n) in enumerate(jobs):
        if progress:
            progress(i, len(jobs), f"{case.op} {size_label(n)}")
        args = case.args(n)
        result = case.call(args, None, threads[0])
        out = case.new_out(result) if case.takes_out else None  # no page faults in the timing
        nbytes = case.bytes_moved(args, result)
        del result
        calls = [(lambda k=k: case.call(args, out, k)) for k in threads]
        for call in calls:
            call()
        times = interleaved(calls, repeat, min_sample)
        if nbytes not in copies:
            copies[nbytes] = copy_time(nbytes, 3 * repeat, min_sample)
        rows.append(Scaling(case.op, case.family, n, nbytes, tuple(threads), tuple(times), copies[nbytes]))
    if progress:
        progress(len(jobs), len(jobs), "done")
    return rows


def table(rows: Sequence[Scaling]) -> str:
    if not rows:
        return "no case takes threads="
    counts = rows[0].threads
    head = (["op", "size"] + [f"{k} thr" for k in counts] + [f"x{k}" for k in counts[1:]]
            + [f"% copy ({k})" for k in counts])
    body = [[r.op, size_label(r.size)] + [seconds(t) for t in r.seconds]
            + [f"{s:.2f}x" for s in r.speedups[1:]]
            + [f"{100.0 * r.copy_s / t:.0f}%" for t in r.seconds] for r in rows]
    lines = [render(head, body, "<" + ">" * (len(head) - 1))]
    lines.append(f"xK: time on {counts[0]} thread(s) / time on K threads; % copy: of a one-thread "
                 "memory copy of the same bytes. Into a preallocated out= where the function takes one.")
    return "\n".join(lines)
