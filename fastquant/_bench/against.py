"""``fastquant bench --against seeds|peers``: fastquant and its rivals on the same data.

For each case that has rivals (:mod:`.rivals`) and each size, the case's data is made once;
fastquant's call and every installed rival's call are checked (:func:`.rivals.verdict`) and
then timed interleaved (:func:`.timing.interleaved`: rounds of one sample each, medians), so
the ratios of one run hold on a busy machine. A rival that is not installed is listed with
what to install, never dropped; one that raises is listed with its exception.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Optional, Sequence

from . import rivals as R
from .cases import Case, size_label
from .report import seconds, render
from .timing import copy_time, interleaved

KINDS = ("seeds", "peers")
#: The targets: fastquant's speedup over each published snippet (seed) at these sizes.
SEED_TARGETS = {1 << 20: 2.0, 1 << 25: 1.5}


@dataclasses.dataclass
class Duel:
    """One line of an ``--against`` table: fastquant and one rival on one case at one size."""

    op: str
    family: str
    size: int
    kind: str                           #: "seed" or "peer"
    rival: str                          #: the rival's label
    published: bool                     #: False for a seed's NumPy port
    installed: bool
    #: counted in the speed comparison: the rival does the whole job (not a step of it, not a
    #: view of its input)
    comparable: bool = True
    output: str = ""                    #: the verdict; "not installed: ..."; "raises ..."
    note: str = ""                      #: what was timed instead, where the rival raised
    bytes: int = 0                      #: input + output bytes of fastquant's call
    fastquant_s: Optional[float] = None  #: fastquant allocating its result (as the rivals do)
    rival_s: Optional[float] = None
    #: fastquant writing into a preallocated ``out=`` (None where the function has none)
    fastquant_out_s: Optional[float] = None
    copy_s: Optional[float] = None      #: a memory copy of ``bytes`` (fastest sample)
    threads: Optional[int] = None

    @property
    def speedup(self) -> Optional[float]:
        """How many times faster fastquant is than the rival (rival time / fastquant time)."""
        return None if not (self.rival_s and self.fastquant_s) else self.rival_s / self.fastquant_s

    @property
    def speedup_out(self) -> Optional[float]:
        """The rival's time / fastquant's time into a preallocated ``out=``."""
        return None if not (self.rival_s and self.fastquant_out_s) else self.rival_s / self.fastquant_out_s

    @property
    def best_speedup(self) -> Optional[float]:
        """The rival's time / fastquant's best time (new result or ``out=``): what a user who
        reuses an output buffer, as onnxruntime reuses its arena, gets."""
        return max(filter(None, (self.speedup, self.speedup_out)), default=None)

    @property
    def pct_copy(self) -> Optional[float]:
        """fastquant's speed as a percentage of a memory copy of the same bytes."""
        return None if not (self.copy_s and self.fastquant_s) else 100.0 * self.copy_s / self.fastquant_s

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(size_label=size_label(self.size), speedup=self.speedup, speedup_out=self.speedup_out,
                 best_speedup=self.best_speedup, pct_copy=self.pct_copy)
        return d


#: Printed after the tables: what the columns mean (docs/bench.md says more).
LEGEND = """\
columns:
  seed / peer    the rival: the seed's code as published (the snippet fastquant replaces;
                 "NumPy port" = a transliteration of a seed published for torch only), or a
                 library doing the same job
  ... time       median time per call, fastquant and the rival timed in interleaved rounds
  fastquant      fastquant allocating its result, as the rivals do
  speedup        rival time / fastquant time (above 1x: fastquant is faster)
  out=, vs out=  fastquant writing into a preallocated output (no page faults on fresh
                 memory; what onnxruntime's reused arena gets), and rival time / that time
  % copy         a memory copy of fastquant's input + output bytes / fastquant's time
  output         identical (same dtype, shape, bytes), same values (other dtype or shape),
                 or differs: why (how many values); [n]: a note below the table
  size           elements (K, M = 1024, 1024**2)"""


#: Documented keys of one JSON row of ``--against`` (tests check they are all present).
DUEL_FIELDS = tuple(f.name for f in dataclasses.fields(Duel)) + (
    "size_label", "speedup", "speedup_out", "best_speedup", "pct_copy")


def plan(cases: Sequence[Case], sizes: Iterable[int], kinds: Sequence[str]) -> list:
    """``(case, size, rivals)`` in run order, for the cases that have rivals of ``kinds``."""
    wanted = {k.rstrip("s") for k in kinds}
    jobs = []
    for n in sorted(set(sizes)):
        for case in cases:
            rs = [r for r in R.of(case.op) if r.kind in wanted]
            if rs:
                jobs.append((case, n, rs))
    return jobs


def run(
    cases: Sequence[Case],
    sizes: Iterable[int],
    kinds: Sequence[str] = KINDS,
    repeat: int = 5,
    min_sample: float = 2e-3,
    threads: Optional[int] = 1,
    clock: str = "wall",
    progress: Optional[Callable[[int, int, str], None]] = None,
) -> list:
    """Time fastquant (on ``threads`` threads, the active backend) against every rival of
    ``kinds`` on the same data; rivals with a thread setting run on as many. Returns duels."""
    R.set_threads(threads)
    sizes = sorted(set(sizes))
    jobs = plan(cases, sizes, kinds)
    copies: dict = {}
    duels = []
    for i, (case, n, rs) in enumerate(jobs):
        if progress:
            progress(i, len(jobs), f"{case.op} {size_label(n)}")
        if n == sizes[0]:  # listed once, at the first size
            duels += [Duel(case.op, case.family, n, r.kind, r.label, r.published, False,
                           output=f"not installed: {r.missing()}", threads=threads)
                      for r in rs if not r.installed()]
        present = [r for r in rs if r.installed()]
        if not present:
            continue
        args = case.args(n)

        def ours(args=args, case=case):
            return case.call(args, None, threads)

        result = ours()
        nbytes = case.bytes_moved(args, result)
        mine = [ours]
        if case.takes_out:
            out = case.new_out(result)

            def ours_out(args=args, case=case, out=out):
                return case.call(args, out, threads)

            mine.append(ours_out)
            ours_out()  # faults the output's pages in
        rows, calls = [], []
        for r in present:
            got = R.ready(r, args)
            row = Duel(case.op, case.family, n, r.kind, r.label, r.published, True,
                       r.whole_job and not got.view,
                       R.compare(r, result, got.result) if got.call else got.note,
                       got.note if got.call else "", nbytes, threads=threads)
            rows.append(row)
            if got.call:
                calls.append((row, got.call))
            del got
        del result
        with R.quiet():
            times = interleaved(mine + [c for _, c in calls], repeat, min_sample, clock)
        if nbytes not in copies:
            copies[nbytes] = copy_time(nbytes, 3 * repeat, min_sample, clock)
        for row in rows:
            row.fastquant_s, row.copy_s = times[0], copies[nbytes]
            row.fastquant_out_s = times[1] if len(mine) > 1 else None
        for (row, _), t in zip(calls, times[len(mine):]):
            row.rival_s = t
        duels += rows
    if progress:
        progress(len(jobs), len(jobs), "done")
    return duels


def table(duels: Sequence[Duel], kind: str) -> str:
    """The aligned table of one kind ("seed" or "peer"), its footnotes and its target lines."""
    rows = [d for d in duels if d.kind == kind]
    notes: list = []
    body = []
    for d in rows:
        output = d.output
        if d.note:
            notes.append(d.note)
            output += f" [{len(notes)}]"
        body.append([d.op, size_label(d.size), d.rival, seconds(d.rival_s), seconds(d.fastquant_s),
                     _times(d.speedup), seconds(d.fastquant_out_s), _times(d.speedup_out),
                     "-" if d.pct_copy is None else f"{d.pct_copy:.0f}%", output])
    head = ["op", "size", kind, f"{kind} time", "fastquant", "speedup", "out=", "vs out=", "% copy", "output"]
    lines = [render(head, body, "<><>>>>>><")]
    lines += [f"[{i}] {n}" for i, n in enumerate(notes, 1)]
    lines += summary(rows, kind)
    return "\n".join(lines)


def _times(ratio: Optional[float]) -> str:
    return "-" if ratio is None else f"{ratio:.1f}x"


def summary(rows: Sequence[Duel], kind: str) -> list:
    """The target lines under a table: seeds, fastquant's speedup at 1M and 32M elements against
    the targets; peers, any peer faster than fastquant's best (new result or ``out=``)."""
    timed = [d for d in rows if d.speedup is not None]
    if kind == "seed":
        lines = []
        for published, what in ((True, "seeds as published"), (False, "NumPy ports of torch seeds")):
            checked = [d for d in timed if d.size in SEED_TARGETS and d.published == published]
            if not checked:
                continue
            missed = [d for d in checked if d.speedup < SEED_TARGETS[d.size]]
            lines.append(f"targets (>= 2x at 1M, >= 1.5x at 32M), {what}: {len(checked) - len(missed)} "
                         f"of {len(checked)} rows met")
            lines += [f"  not met: {d.op} {size_label(d.size)} vs {d.rival}: {d.speedup:.2f}x "
                      f"(fastquant at {d.pct_copy:.0f}% of a copy)" for d in missed]
        return lines
    counted = [d for d in timed if d.comparable]
    faster = [d for d in counted if d.best_speedup < 1.0]
    lines = []
    if counted:
        lines.append(f"peers faster than fastquant: {len(faster)} of {len(counted)} timed rows"
                     if faster else f"no peer faster than fastquant ({len(counted)} timed rows)")
    lines += [f"  {d.op} {size_label(d.size)}: {d.rival} at {1 / d.best_speedup:.2f}x fastquant's best "
              f"(new result or out=)" for d in faster]
    less = [d for d in timed if not d.comparable]
    if less:
        lines.append(f"not counted ({len(less)} rows): peers that do part of the job (a step, or a "
                     "view of the input)")
    return lines
