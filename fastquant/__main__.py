"""Command line: ``python -m fastquant bench`` (the main job) and ``python -m fastquant info``.

Exit status: 0 on success; 1 when the two backends disagree on any output (or, under
``FASTQUANT_REQUIRE_EXTENSION=1``, when the compiled kernels are missing); 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

DEFAULT_SIZES = "4K,1M,32M"
QUICK_SIZES = "4K,1M"


def _sizes(text: str) -> list:
    from fastquant._bench.cases import parse_sizes

    try:
        sizes = parse_sizes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not sizes:
        raise argparse.ArgumentTypeError("expected at least one size")
    return sizes


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fastquant",
        description="fastquant: fast, bit-exact quantization codecs. `bench` is the main job: "
        "every codec on both backends, outputs checked identical, speedups and GB/s.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{bench,info}")
    b = sub.add_parser(
        "bench",
        help="time every codec on both backends and check their outputs are identical",
        description="Time every public codec on the NumPy twins and the Cython kernels, on the "
        "same seeded data, check the outputs are bit-identical, and print speedups, GB/s and "
        "the percentage of a memory copy of the same bytes.",
    )
    b.add_argument("--quick", action="store_true",
                   help=f"sizes {QUICK_SIZES} and shorter samples (well under 30 s)")
    b.add_argument("--sizes", type=_sizes, metavar="LIST",
                   help=f"comma-separated element counts, K/M = 1024/1024**2 (default {DEFAULT_SIZES})")
    b.add_argument("--ops", type=lambda s: [p for p in s.split(",") if p], metavar="LIST",
                   help="only cases whose op label contains one of these (or whose family is one), e.g. int4,dequantize")
    b.add_argument("--repeat", type=_positive, default=5, metavar="N",
                   help="timed samples per measurement; the median is reported (default 5)")
    b.add_argument("--threads", type=_positive, metavar="N",
                   help="pass threads=N to every case that takes it (default: not passed, so "
                   "one thread up to 1M elements and more above; see fastquant info)")
    b.add_argument("--no-out", action="store_true",
                   help="skip the out= rows (preallocated outputs, run at the largest size)")
    b.add_argument("--json", nargs="?", const="-", metavar="PATH",
                   help="write the results as JSON to PATH (or stdout, instead of the table)")
    b.add_argument("--list", action="store_true", help="list the cases and exit")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress line on stderr")
    i = sub.add_parser("info", help="version, backend and why, compiled modules, CPU features, threads")
    i.add_argument("--json", action="store_true", help="print the same as JSON")
    return p


class Progress:
    """One line on stderr, rewritten in place on a terminal, a line per step otherwise."""

    def __init__(self, enabled: bool, stream=sys.stderr):
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            end = "\n" if done == total else ""
            self.stream.write(f"\r\033[Kbench [{done}/{total}] {what}{end}")
        elif done < total:
            self.stream.write(f"bench [{done + 1}/{total}] {what}\n")
        self.stream.flush()


def _loud_mismatch(row) -> None:
    from fastquant._bench.cases import size_label

    if row.agree is False:
        print(f"\nMISMATCH: {row.label} at {size_label(row.size)}: the cython and numpy outputs "
              f"differ ({row.mismatch})", file=sys.stderr, flush=True)


def bench(args) -> int:
    from fastquant import _backend, _info
    from fastquant._bench import cases as C
    from fastquant._bench import report, runner

    sizes = args.sizes or _sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    selected = C.select(args.ops)
    if args.list:
        _emit("\n".join(f"{case.op:32} {case.family:11} fastquant.{case.func}{' (out=)' if case.takes_out else ''}"
                         for case in selected))
        return 0
    if not selected:
        families = sorted({c.family for c in C.CASES})
        print(f"fastquant bench: no case matches --ops {','.join(args.ops or [])}; give families "
              f"({', '.join(families)}) or parts of op labels:\n  " + "\n  ".join(c.op for c in C.CASES),
              file=sys.stderr)
        return 2
    if "cython" not in _backend.available():
        print(f"fastquant bench: the cython backend is unavailable ({_backend.WHY_NOT_COMPILED}); "
              "timing the numpy backend only, agreement NOT checked", file=sys.stderr)
    out_sizes = () if args.no_out else (max(sizes),)
    rows = runner.run(
        selected, sizes, out_sizes, repeat=args.repeat,
        min_sample=5e-4 if args.quick else 2e-3,
        progress=Progress(not args.quiet), on_row=_loud_mismatch, threads=args.threads,
    )
    meta = {
        "schema": 1,
        "fastquant": _fastquant_version(),
        "numpy": _numpy_version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backends": [b for b in _backend.available() if b in ("numpy", "cython")],  # those timed
        "cython": "cython" in _backend.available(),
        "why_not_compiled": _backend.WHY_NOT_COMPILED,
        "kernel_build": _info.kernel_build(),
        "threads": _info.threads(),
        "repeat": args.repeat,
        "sizes": sorted(set(sizes)),
        "bench_threads": args.threads,
    }
    doc = report.document(rows, meta)
    if args.json:
        text = json.dumps(doc, indent=1)
        if args.json == "-":
            _emit(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    if args.json != "-":
        _emit(f"fastquant {meta['fastquant']} bench: NumPy {meta['numpy']}, kernels: {meta['kernel_build']}, "
              f"median of {args.repeat} samples per cell"
              + (f", threads={args.threads}" if args.threads else "") + "\n"
              + report.table(rows) + "\n\n" + report.LEGEND)
    if not doc["ok"]:
        bad = sum(r.agree is False for r in rows)
        print(f"fastquant bench: FAILED: {bad} row(s) where the cython and numpy outputs differ",
              file=sys.stderr)
        return 1
    return 0


def _emit(text: str) -> None:
    """Print ``text`` to stdout; a reader that went away (``fastquant bench | head -2``) is no
    error: the rest is dropped and the exit status stays what the command decided."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    """Point stdout at the null device, so that what is still buffered (flushed at exit) does
    not raise a second BrokenPipeError (the recipe of Python's signal module docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fastquant_version() -> str:
    import fastquant

    return fastquant.__version__


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def info(args) -> int:
    from fastquant import _info

    data = _info.gather()
    _emit(json.dumps(data, indent=1) if args.json else _info.render(data))
    return 0


def main(argv=None) -> int:
    try:
        args = parser().parse_args(argv)
        return {"bench": bench, "info": info}[args.command](args)
    except BrokenPipeError:  # output not written through _emit (argparse's --help): nothing failed
        _drop_stdout()
        return 0


if __name__ == "__main__":
    sys.exit(main())
