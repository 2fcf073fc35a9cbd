"""Run one differential fuzz target under atheris (libFuzzer):

    python tools/fuzz/run.py TARGET [libFuzzer flags, e.g. -max_total_time=60 corpus_dir]

Every input is decoded into a call by ``targets.TARGETS[TARGET]`` and run on every compiled
build this CPU runs (baseline, x86-64-v3, x86-64-v4), on the numpy backend, and on the torch
backend where torch is installed (the torch path on CPU tensors, fastquant/_torch): the
results must be identical (dtype, shape, bytes) or all calls must raise the same
ValueError/TypeError; inputs must be unchanged. Anything else (another
exception, a mismatch, a crash, a sanitizer report) stops the run and leaves a crash-* file
that reproduces it: ``python tools/fuzz/run.py TARGET crash-...``.
The Python code of fastquant is instrumented for coverage; the kernels are not (atheris needs
clang's -fsanitize=fuzzer-no-link for that), but run on the ASan/UBSan build via tools/fuzz.sh.
"""

from __future__ import annotations

import os
import sys

import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the in-place build when run directly; tools/fuzz.sh puts the sanitized build first on PYTHONPATH
sys.path.append(os.path.dirname(os.path.dirname(HERE)))

with atheris.instrument_imports(include=["fastquant", "targets"]):
    import numpy as np

    import fastquant as fq
    import targets

if fq._backend._COMPILED is None:
    raise SystemExit(f"fuzz: the compiled kernels are not importable ({fq._backend.WHY_NOT_COMPILED})")

BACKENDS = (*fq._backend.builds(), "numpy") + (("torch",) if "torch" in fq._backend.available() else ())


def _outcome(fn, kwargs):
    try:
        return "ok", fn(**kwargs)
    except (ValueError, TypeError) as exc:
        return "raised", type(exc)


def _same(a, b, what):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), what
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{what}: bytes differ"
    else:
        assert type(a) is type(b) and repr(a) == repr(b), f"{what}: {a!r} vs {b!r}"


def one_input(build, data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    fn, kwargs = build(fdp)
    before = {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray) and k != "out"}
    outcomes = []
    for name in BACKENDS:
        if isinstance(kwargs.get("out"), np.ndarray):
            kwargs["out"][...] = 0  # same starting bytes for every backend
        with fq.use_backend(name):
            kind, value = _outcome(fn, kwargs)
        outcomes.append((kind, value.copy() if kind == "ok" else value))
        for k, v in before.items():
            _same(kwargs[k], v, f"input {k} after the {name} call")
    ka, ra = outcomes[0]
    for name, (kb, rb) in zip(BACKENDS[1:], outcomes[1:]):
        assert ka == kb, f"{BACKENDS[0]} {ka} {ra!r} but {name} {kb} {rb!r} for {kwargs!r}"
        if ka == "raised":
            assert ra is rb, f"{BACKENDS[0]} raised {ra.__name__}, {name} {rb.__name__} for {kwargs!r}"
        else:
            _same(ra, rb, f"{name} result for {kwargs!r}")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in targets.TARGETS:
        raise SystemExit(f"usage: run.py TARGET [libFuzzer flags]; targets: {', '.join(targets.TARGETS)}")
    build = targets.TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0]] + sys.argv[2:], lambda data: one_input(build, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
