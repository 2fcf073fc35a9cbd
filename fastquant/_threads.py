"""Splitting one kernel call across threads: the one place that knows about threads.

The kernels release the GIL, so calling one kernel on disjoint chunks of its arrays from
several threads runs them in parallel. This is portable (no OpenMP runtime to ship) and
family-agnostic: a public function hands its kernel and arrays to :func:`run` (element-wise
and row kernels that write an output) or :func:`map_flat` (reductions), with the caller's
``threads=`` keyword, and gets the same bytes as one call would give.

How many threads: ``threads=k`` (an integer >= 1) uses up to ``k``; ``threads=None`` uses one
thread up to :data:`AUTO_MIN_SIZE` elements (1M) and above that about one per
:data:`AUTO_CHUNK` elements, at most ``FASTQUANT_NUM_THREADS`` (default ``os.cpu_count()``).
"""

from __future__ import annotations

import operator
import os
import threading
from concurrent.futures import ThreadPoolExecutor

#: Up to this many elements (1M), ``threads=None`` means one thread (splitting costs ~20 us).
AUTO_MIN_SIZE = 1 << 20
#: ``threads=None`` gives each thread at least this many elements.
AUTO_CHUNK = 1 << 19
#: Chunk boundaries fall on multiples of this many units when there are enough of them, so
#: every thread's float32 output starts 64-byte aligned relative to the array (whole cache
#: lines per thread, also for streaming stores).
GRAIN = 1024


def _env_threads() -> int:
    raw = os.environ.get("FASTQUANT_NUM_THREADS", "").strip()
    if not raw:
        return os.cpu_count() or 1
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"FASTQUANT_NUM_THREADS: expected an integer >= 1, got {raw!r}")
    return value


#: The most threads ``threads=None`` uses (``FASTQUANT_NUM_THREADS``, read at import).
MAX_AUTO = _env_threads()


def count(threads, size: int) -> int:
    """The number of threads for a call on ``size`` elements (see the module docstring);
    ``ValueError`` naming ``threads`` unless it is None or an integer >= 1."""
    if threads is None:
        if size <= AUTO_MIN_SIZE:
            return 1
        return max(1, min(MAX_AUTO, size // AUTO_CHUNK))
    if isinstance(threads, bool):
        raise ValueError(f"threads: expected an integer >= 1 or None, got {threads!r}")
    try:
        value = operator.index(threads)
    except TypeError:
        raise ValueError(f"threads: expected an integer >= 1 or None, got {threads!r}") from None
    if value < 1:
        raise ValueError(f"threads: expected an integer >= 1 or None, got {threads!r}")
    return value


_pool = None
_pool_size = 0
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared pool, grown to at least ``workers`` threads."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            old = _pool
            _pool_size = max(workers, os.cpu_count() or 1)
            _pool = ThreadPoolExecutor(_pool_size, thread_name_prefix="fastquant")
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool when needed."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _execute(calls: list) -> list:
    """Run ``fn(*args)`` for each ``(fn, args)``: the first in this thread, the rest on the
    pool; waits for all (they write into shared outputs) before raising any error."""
    if len(calls) == 1:
        fn, args = calls[0]
        return [fn(*args)]
    pool = _executor(len(calls) - 1)
    futures = [pool.submit(fn, *args) for fn, args in calls[1:]]
    try:
        fn, args = calls[0]
        first = fn(*args)
    finally:
        results = [f.exception() or f.result() for f in futures]
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return [first] + results


def ranges(units: int, parts: int) -> list:
    """``parts`` (or fewer) contiguous ``(start, stop)`` ranges covering ``range(units)``,
    cut at multiples of :data:`GRAIN` when every part gets at least one grain."""
    parts = max(1, min(parts, units))
    grain = GRAIN if units >= GRAIN * parts else 1
    blocks = -(-units // grain)
    cuts = [min(units, (blocks * i // parts) * grain) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _combine(results) -> int:
    bad = 0
    for r in results:
        bad |= r or 0
    return bad


def run(kernel, a, b, *args, threads=None, unit=None):
    """``kernel(a, b, *args)`` split over threads; returns the OR of the kernels' status ints
    (or the kernel's own return value when it ran as one call).

    ``unit=None``: an element-wise kernel (``a`` and ``b`` C-contiguous with the same number
    of elements, any shapes), split at any element. ``unit=(ua, ub)``: a row kernel on 2-D
    C-contiguous ``a`` (rows, na) and ``b`` (rows, nb) in which ``ua`` elements of ``a`` go
    with ``ub`` of ``b`` (int4 pack: (2, 1); unpack: (1, 2)). When rows hold whole units they
    are joined into one long row; one row is split at unit boundaries (packed bytes stay
    whole; the last chunk takes a trailing partial unit); several rows are split into whole
    rows.
    """
    if threads is None and a.size <= AUTO_MIN_SIZE and b.size <= AUTO_MIN_SIZE:
        return kernel(a, b, *args)  # the common small call: nothing to decide
    size = max(a.size, b.size)
    n = count(threads, size)
    if n == 1 or size == 0:
        return kernel(a, b, *args)
    if unit is None:
        fa, fb = a.reshape(-1), b.reshape(-1)
        calls = [(kernel, (fa[i:j], fb[i:j]) + args) for i, j in ranges(fa.size, n)]
        return _combine(_execute(calls))
    ua, ub = unit
    rows, na = a.shape
    nb = b.shape[1]
    if rows > 1 and na % ua == 0 and nb % ub == 0 and na // ua == nb // ub:
        a, b = a.reshape(1, -1), b.reshape(1, -1)  # rows of whole units: one long row
        rows, na, nb = 1, rows * na, rows * nb
    if rows == 1:
        # split at unit boundaries; the last chunk also takes a partial unit (odd length)
        units = min(na // ua, nb // ub)
        spans = ranges(units, n) or [(0, 0)]
        cuts = [(i * ua, i * ub) for i, _ in spans] + [(na, nb)]
        calls = [(kernel, (a[:, i:j], b[:, k:l]) + args) for (i, k), (j, l) in zip(cuts, cuts[1:])]
    else:
        calls = [(kernel, (a[i:j], b[i:j]) + args) for i, j in ranges(rows, n)]
    return _combine(_execute(calls))


def map_flat(kernel, a, *args, threads=None) -> list:
    """``[kernel(chunk, *args) for chunk in flat chunks of a]`` over threads (reductions:
    the caller combines the partial results). One chunk when one thread is used."""
    if threads is None and a.size <= AUTO_MIN_SIZE:
        return [kernel(a, *args)]
    n = count(threads, a.size)
    if n == 1 or a.size == 0:
        return [kernel(a, *args)]
    fa = a.reshape(-1)
    return _execute([(kernel, (fa[i:j],) + args) for i, j in ranges(fa.size, n)])


def run_channels(kernel, a, b, scales, zero_points, *args, threads=None):
    """``kernel(a, b, scales, zero_points, *args)`` on C-contiguous 3-D ``(outer, C, inner)``
    arrays with one scale and zero point per channel (the affine kernels), split over threads
    into contiguous 3-D chunks: along ``outer`` when it is above 1, else along the channels
    (the per-channel arrays sliced with them), else along ``inner``. Returns the OR of the
    status ints, like :func:`run`."""
    if threads is None and a.size <= AUTO_MIN_SIZE and b.size <= AUTO_MIN_SIZE:
        return kernel(a, b, scales, zero_points, *args)
    size = max(a.size, b.size)
    n = count(threads, size)
    outer, channels, inner = a.shape
    if n == 1 or size == 0:
        return kernel(a, b, scales, zero_points, *args)
    if outer > 1:
        calls = [(kernel, (a[i:j], b[i:j], scales, zero_points) + args) for i, j in ranges(outer, n)]
    elif channels > 1:
        calls = [(kernel, (a[:, i:j], b[:, i:j], scales[i:j], zero_points[i:j]) + args)
                 for i, j in ranges(channels, n)]
    else:
        calls = [(kernel, (a[:, :, i:j], b[:, :, i:j], scales, zero_points) + args)
                 for i, j in ranges(inner, n)]
    return _combine(_execute(calls))


def run_scaled(kernel, a, b, scales, block, *args, threads=None):
    """``kernel(a, b, scales, block, *args)`` on C-contiguous 3-D ``(O, C, I)`` arrays ``a``
    and ``b`` with ``scales`` of shape ``(O or 1, ceil(C / block), I or 1)``: one scale per
    block of ``block`` along ``C`` (the minifloat kernels' per-tensor, per-axis, blocked and MX
    layouts), split over threads into contiguous 3-D chunks: along ``O`` when it is above 1,
    else along ``C`` in whole blocks, else along ``I`` when ``C`` is 1 (one block of several
    rows stays one call: its chunks along ``I`` would not be contiguous). Returns the OR of
    the status ints, like :func:`run`."""
    if threads is None and a.size <= AUTO_MIN_SIZE and b.size <= AUTO_MIN_SIZE:
        return kernel(a, b, scales, block, *args)
    size = max(a.size, b.size)
    n = count(threads, size)
    outer, channels, inner = a.shape
    blocks = -(-channels // block)
    if n == 1 or size == 0:
        return kernel(a, b, scales, block, *args)
    if outer > 1:
        calls = [(kernel, (a[i:j], b[i:j], scales[i:j] if scales.shape[0] > 1 else scales, block) + args)
                 for i, j in ranges(outer, n)]
    elif blocks > 1:
        calls = [(kernel, (a[:, i * block:j * block], b[:, i * block:j * block], scales[:, i:j], block) + args)
                 for i, j in ranges(blocks, n)]
    elif channels == 1:
        calls = [(kernel, (a[:, :, i:j], b[:, :, i:j], scales[:, :, i:j] if scales.shape[2] > 1 else scales,
                           block) + args) for i, j in ranges(inner, n)]
    else:
        return kernel(a, b, scales, block, *args)
    return _combine(_execute(calls))
