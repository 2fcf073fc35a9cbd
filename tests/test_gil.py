"""Every compiled kernel releases the GIL: while a worker thread makes one public call (every
case of the benchmark registry, so a new family's cases are covered as soon as it registers
them), a pure-Python loop in this thread must keep counting.

How the probe tells a released GIL from a held one on a loaded machine, without absolute times:
the interpreter's switch interval is raised to 1 s for the probe, so a thread waiting for the
GIL asks the holder to drop it only after a second. A few calls (a few ms each) that hold the
GIL therefore run to their end without the loop taking a single step, however long a busy OS
keeps the worker off the CPU; a call whose kernel releases the GIL lets the loop run at once
(once the OS wakes it). The loop sleeps 0.1 ms every few thousand steps, so a call that wants
the GIL back gets it soon without asking. Its rate during the calls is compared with its rate
during a ``time.sleep`` right after (which surely releases the GIL), so load slows both
alike; each case passes on its best of a few attempts (on a busy machine the loop may not be
woken in time). The control, ``sorted`` of a list (C calls that hold the GIL), must show no
progress at all.
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time

import pytest

import fastquant
from fastquant._bench import cases as C
from _support import need_backend

SWITCH_S = 1.0  # switch interval during the probe; CALLS held calls must be shorter than this
CALL_S = 0.002  # data grows until one call lasts this long
CALLS = 4  # calls per attempt
YIELD_EVERY = 4096  # loop steps between the loop's short sleeps ...
YIELD_S = 1e-4  # ... which hand the GIL back to a worker that wants it
CALIBRATE_S = 0.05  # length of the sleep that measures the loop's free rate
ATTEMPTS = 5
RELEASED = 0.25  # progress (relative to a sleep) a releasing call must reach in some attempt
CONTROL_MAX = 0.05  # ... and what the GIL-holding control must stay below in every attempt


def _progress(work) -> tuple:
    """``(loop iterations in this thread while work() ran in another, seconds it ran)``."""
    box = [0]
    marks = []
    finished = []
    ready = threading.Event()

    def worker():
        ready.set()  # this thread keeps the GIL from here to the end of work() unless work releases it
        marks.append((box[0], time.perf_counter()))
        work()
        marks.append((box[0], time.perf_counter()))
        finished.append(True)

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait()
    while not finished:
        box[0] += 1
        if not box[0] % YIELD_EVERY:
            time.sleep(YIELD_S)
    thread.join()
    (a, t0), (b, t1) = marks
    return b - a, t1 - t0


def _attempt(work) -> float:
    """The loop's rate while ``work`` runs, as a fraction of its rate during a sleep right
    after (about 1: the GIL was released; 0: it was held throughout)."""
    ticks, seconds = _progress(work)
    free, slept = _progress(lambda: time.sleep(CALIBRATE_S))
    return (ticks / seconds) / max(free / slept, 1.0)


def _probe(work, attempts: int = ATTEMPTS, stop_at: float = RELEASED) -> list:
    old = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_S)
    try:
        seen = []
        for _ in range(attempts):
            seen.append(_attempt(work))
            if seen[-1] >= stop_at:
                break
        return seen
    finally:
        sys.setswitchinterval(old)


@pytest.fixture(scope="module")
def control():
    """The probe on one call that holds the GIL for about as long as a kernel call here:
    ``sorted`` of a list of floats."""
    items = [random.Random(1).random() for _ in range(10_000)]
    t0 = time.perf_counter()
    sorted(items)
    reps = CALLS * max(1, math.ceil(CALL_S / max(time.perf_counter() - t0, 1e-6)))
    return _probe(lambda: [sorted(items) for _ in range(reps)], stop_at=math.inf)


def test_the_probe_sees_a_held_gil(control):
    assert max(control) < CONTROL_MAX, f"a GIL-holding call let the loop run: {control}"


def _work_for(case):
    """Up to CALLS calls of ``case`` on the compiled backend, one thread, on data doubled
    until one call lasts CALL_S; 50 ms at most in all, far below SWITCH_S (a window longer than
    that would let the loop in even where the GIL is held)."""
    kwargs = {"threads": 1} if case.takes_threads else {}
    n = 1 << 18
    while True:
        args = case.args(n)
        with fastquant.use_backend("cython"):
            case.call(args, **kwargs)  # warm
            once = math.inf
            for _ in range(3):  # the fastest of three: a busy machine only ever slows a call
                t0 = time.perf_counter()
                case.call(args, **kwargs)
                once = min(once, time.perf_counter() - t0)
        if once >= CALL_S or n >= 1 << 24:
            break
        n *= 2
    calls = max(1, min(CALLS, int(0.05 / once)))  # well below SWITCH_S even on a busy machine

    def work():
        with fastquant.use_backend("cython"):  # a new thread starts on the default backend
            for _ in range(calls):
                case.call(args, **kwargs)
    return work


@pytest.mark.parametrize("case", C.select(), ids=lambda c: c.op)
def test_kernels_release_the_gil(case, control):
    need_backend("cython")
    seen = _probe(_work_for(case))
    assert max(seen) >= RELEASED, (
        f"{case.op}: a Python thread advanced only {[round(s, 3) for s in seen]} of its free "
        f"rate while the call ran (a GIL-holding call here: {[round(s, 3) for s in control]})")
