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


def _counts(text: str) -> list:
    """``"1,2,4"`` -> [1, 2, 4]: thread counts, each a positive integer, no repeats."""
    counts = [_positive(part.strip()) for part in text.split(",") if part.strip()]
    if not counts or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"expected distinct positive integers like 1,2,4, got {text!r}")
    return counts


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
                   help=f"sizes {QUICK_SIZES} and shorter samples (about 30 s)")
    b.add_argument("--sizes", type=_sizes, metavar="LIST",
                   help=f"comma-separated element counts, K/M = 1024/1024**2 (default {DEFAULT_SIZES})")
    b.add_argument("--ops", type=lambda s: [p for p in s.split(",") if p], metavar="LIST",
                   help="only cases whose op label contains one of these (or whose family is one), e.g. int4,dequantize")
    b.add_argument("--repeat", type=_positive, default=5, metavar="N",
                   help="timed samples per measurement; the median is reported (default 5)")
    b.add_argument("--threads", type=_counts, metavar="N[,N...]",
                   help="pass threads=N to every case that takes it (default: not passed, so "
                   "one thread up to 1M elements and more above; see fastquant info); several "
                   "counts (1,2,4) print how each kernel scales instead; --against runs "
                   "fastquant and the rivals on N threads (default 1)")
    b.add_argument("--against", choices=("seeds", "peers", "all"),
                   help="time fastquant against the seeds' code as published (the snippets it "
                   "replaces) or against the peer libraries (gguf-py, ml_dtypes, numcodecs, onnxruntime, "
                   "onnx.reference, sentence-transformers, torch, NumPy), on the same data, outputs compared")
    b.add_argument("--plot", metavar="FILE",
                   help="draw the --against comparison (all rivals unless --against says) at "
                   "the largest size to FILE (.png or .svg; needs matplotlib: fastquant[plot])")
    b.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="--against: time elapsed seconds (default) or this process's CPU time "
                   "(steadier on a busy machine; one-thread runs only)")
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
    from fastquant import _backend
    from fastquant._bench import cases as C
    from fastquant._bench import report, runner

    sizes = args.sizes or _sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.plot:
        from fastquant._bench.plot import check_path

        why = check_path(args.plot)
        if why:
            print(f"fastquant bench: {why}", file=sys.stderr)
            return 2
        args.against = args.against or "all"
    if args.against and args.threads and len(args.threads) > 1:
        print("fastquant bench: --against takes one thread count", file=sys.stderr)
        return 2
    if args.clock == "cpu" and (not args.against or (args.threads or [1])[0] > 1):
        print("fastquant bench: --clock cpu is for --against on one thread", file=sys.stderr)
        return 2
    selected = C.select(args.ops)
    if args.list:
        lines = []
        for case in selected:
            lines.append(f"{case.op:32} {case.family:11} fastquant.{case.func}{' (out=)' if case.takes_out else ''}")
            if args.against:
                lines += _rival_lines(case.op, args.against)
        _emit("\n".join(lines))
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
    min_sample = 5e-4 if args.quick else 2e-3
    if args.against:
        return _against(args, selected, sizes, min_sample)
    if args.threads and len(args.threads) > 1:
        return _scaling(args, selected, sizes, min_sample)
    threads = args.threads[0] if args.threads else None
    out_sizes = () if args.no_out else (max(sizes),)
    rows = runner.run(
        selected, sizes, out_sizes, repeat=args.repeat, min_sample=min_sample,
        progress=Progress(not args.quiet), on_row=_loud_mismatch, threads=threads,
    )
    meta = _meta(args, sizes, threads)
    doc = report.document(rows, meta)
    _emit_json(args, doc)
    if args.json != "-":
        _emit(_headline(meta) + (f", threads={threads}" if threads else "")
              + f"; seeds written for torch on {threads or 1} torch thread(s)\n"
              + report.table(rows) + "\n\n" + report.LEGEND)
    if not doc["ok"]:
        bad = sum(r.agree is False for r in rows)
        print(f"fastquant bench: FAILED: {bad} row(s) where the cython and numpy outputs differ",
              file=sys.stderr)
        return 1
    return 0


def _rival_lines(op: str, against: str) -> list:
    """``--list --against``: the rivals of ``op``, with what to install for those missing."""
    from fastquant._bench import rivals

    return [f"    {r.kind} {r.label}" + ("" if r.installed() else f" (not installed: {r.missing()})")
            for r in rivals.of(op, None if against == "all" else against.rstrip("s"))]


def _meta(args, sizes, threads) -> dict:
    from fastquant import _backend, _info

    return {
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
        "bench_threads": threads,
    }


def _headline(meta: dict) -> str:
    return (f"fastquant {meta['fastquant']} bench: NumPy {meta['numpy']}, kernels: {meta['kernel_build']}, "
            f"median of {meta['repeat']} samples per cell")


def _emit_json(args, doc: dict) -> None:
    if args.json:
        text = json.dumps(doc, indent=1)
        if args.json == "-":
            _emit(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")


def _against(args, selected, sizes, min_sample) -> int:
    """``--against seeds|peers|all`` (and ``--plot``): the rival tables."""
    from fastquant._bench import against

    kinds = against.KINDS if args.against == "all" else (args.against,)
    threads = args.threads[0] if args.threads else 1
    duels = against.run(selected, sizes, kinds, repeat=args.repeat, min_sample=min_sample,
                        threads=threads, clock=args.clock, progress=Progress(not args.quiet))
    meta = _meta(args, sizes, threads)
    meta.update(against=list(kinds), clock=args.clock)
    _emit_json(args, dict(meta, duels=[d.as_dict() for d in duels], ok=True))
    if args.json != "-":
        _emit(_headline(meta) + f", interleaved, {args.clock} clock; fastquant and every rival "
              f"on {threads} thread(s) (torch, onnxruntime set so)\n"
              + "".join(f"\n{against.table(duels, kind.rstrip('s'))}\n" for kind in kinds)
              + "\n" + against.LEGEND)
    if args.plot:
        from fastquant._bench.plot import draw

        drawn = draw(duels, args.plot)
        print(f"fastquant bench: wrote {args.plot} ({drawn} operations)", file=sys.stderr)
    return 0


def _scaling(args, selected, sizes, min_sample) -> int:
    """``--threads 1,2,4``: each kernel's time on each thread count."""
    from fastquant._bench import scaling

    rows = scaling.run(selected, sizes, args.threads, repeat=args.repeat, min_sample=min_sample,
                       progress=Progress(not args.quiet))
    meta = _meta(args, sizes, args.threads)
    _emit_json(args, dict(meta, scaling=[r.as_dict() for r in rows], ok=True))
    if args.json != "-":
        _emit(_headline(meta) + f", interleaved; {os.cpu_count()} CPU(s) here\n" + scaling.table(rows))
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
