"""The bench table for people and the JSON document for machines."""

from __future__ import annotations

from typing import Optional, Sequence

from .cases import size_label

#: Documented keys of one JSON row (README "Benchmarks"); tests check they are all present.
ROW_FIELDS = ("op", "family", "size", "size_label", "out", "bytes", "numpy_s", "cython_s",
              "speedup", "gbps", "copy_s", "copy_gbps", "pct_copy", "agree", "mismatch",
              "out_bytes", "stream_s", "stream_gbps", "pct_stream",
              "seed", "seed_s", "vs_seed", "seed_output")
#: Documented top-level keys of the JSON document.
DOC_FIELDS = ("schema", "fastquant", "numpy", "python", "platform", "backends", "cython",
              "why_not_compiled", "kernel_build", "threads", "repeat", "sizes", "rows", "ok",
              "bench_threads")


def seconds(t: Optional[float]) -> str:
    """A time with 3 significant digits and a unit: ``1.23 ms``, ``456 us``."""
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale or unit == "ns":
            return f"{t / scale:.3g} {unit}"
    raise AssertionError  # pragma: no cover


#: Printed after the table: what each column means (the docs' benchmarks page says more).
LEGEND = """\
columns:
  numpy, cython  median time per call on each backend
  speedup        numpy / cython
  seed           median time per call of the seed's code as published (the snippet this
                 function replaces; see fastquant bench --against seeds), same data
  vs seed        seed / cython: how many times faster than the seed (* = the seed's NumPy
                 port, where torch, which the seed was published for, is not installed)
  GB/s           (input + output bytes) / cython time, in 10**9 bytes per second
  copy GB/s      np.copyto moving the same number of bytes, timed in this run
  % copy         copy time / cython time: a yardstick, not a ceiling (over 100% happens)
  stream GB/s    a write-only streaming-store fill of the output bytes (float32 outputs)
  % stream       fill time / cython time: near 100% at sizes beyond the caches means the
                 decoder writes at memory bandwidth; outputs that fit in the caches (4K,
                 often 1M) exceed 100%, as stores into cache beat streaming to memory
  same           yes = both backends' outputs bit-identical (NO fails the run: exit 1)
  size           elements (K, M = 1024, 1024**2); out= rows write a preallocated output"""

COLUMNS = (("op", "<"), ("size", ">"), ("numpy", ">"), ("cython", ">"), ("speedup", ">"),
           ("seed", ">"), ("vs seed", ">"), ("GB/s", ">"), ("copy GB/s", ">"), ("% copy", ">"),
           ("stream GB/s", ">"), ("% stream", ">"), ("same", ">"))


def _cells(row) -> list:
    same = "-" if row.agree is None else ("yes" if row.agree else "NO")
    speedup = "-" if row.speedup is None else f"{row.speedup:.1f}x"
    stream_gbps = "-" if row.stream_gbps is None else f"{row.stream_gbps:.2f}"
    pct_stream = "-" if row.pct_stream is None else f"{row.pct_stream:.0f}%"
    vs_seed = "-" if row.vs_seed is None else f"{row.vs_seed:.1f}x" + ("" if row.seed_published else "*")
    return [row.label, size_label(row.size), seconds(row.numpy_s), seconds(row.cython_s),
            speedup, seconds(row.seed_s), vs_seed, f"{row.gbps:.2f}", f"{row.copy_gbps:.2f}",
            f"{row.pct_copy:.0f}%", stream_gbps, pct_stream, same]


def render(head: Sequence[str], body: Sequence[Sequence[str]], aligns: str) -> str:
    """An aligned text table: ``head``, a rule, then ``body``; ``aligns`` has one ``<``
    (left) or ``>`` (right) per column."""
    lines_in = [list(head)] + [list(line) for line in body]
    widths = [max(len(line[i]) for line in lines_in) for i in range(len(head))]
    lines = []
    for k, line in enumerate(lines_in):
        cells = [c.ljust(w) if align == "<" else c.rjust(w) for c, w, align in zip(line, widths, aligns)]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def table(rows: Sequence) -> str:
    """The aligned text table, then notes: disagreements and whether agreement was checked."""
    lines = [render([name for name, _ in COLUMNS], [_cells(r) for r in rows],
                    "".join(align for _, align in COLUMNS))]
    bad = [r for r in rows if r.agree is False]
    for r in bad:
        lines.append(f"MISMATCH {r.label} {size_label(r.size)}: {r.mismatch}")
    checked = sum(r.agree is not None for r in rows)
    if rows and checked == 0:
        lines.append("agreement NOT checked: only the numpy backend ran")
    elif rows:
        lines.append(f"agreement: {checked - len(bad)} of {checked} rows bit-identical on both backends")
    return "\n".join(lines)


def document(rows: Sequence, meta: dict) -> dict:
    """The JSON document: ``meta`` (run facts), one dict per row, and ``ok``."""
    doc = dict(meta)
    doc["rows"] = [r.as_dict() for r in rows]
    doc["ok"] = all(r.agree is not False for r in rows)
    return doc
