"""Every registered case on every backend: one benchmark group per op and size."""

from __future__ import annotations

import pytest

import fastquant
from fastquant import _backend
from fastquant._bench.cases import main_array, select

CASES = [pytest.param(c, id=c.op) for c in select()]
OUT_CASES = [p for p in CASES if p.values[0].takes_out]
BACKENDS = [
    pytest.param(name, marks=() if name in _backend.available() else
                 pytest.mark.skip(reason=f"backend unavailable: {_backend.WHY_NOT_COMPILED}"))
    for name in _backend.BACKENDS
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES)
def test_codec(benchmark, group_of, case, backend, size):
    if backend == "numpy" and not case.times_twin(size):
        pytest.skip(f"the NumPy twin of {case.op} is timed up to {case.twin_limit} values")
    args = case.args(size)
    benchmark.group = group_of(case.op, size)
    with fastquant.use_backend(backend):
        result = benchmark(case.call, args)
    benchmark.extra_info["bytes"] = case.bytes_moved(args, result)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", OUT_CASES)
def test_codec_out(benchmark, group_of, case, backend, out_size):
    """The same call into a preallocated ``out=`` (in the plain call's group, to compare)."""
    if backend == "numpy" and not case.times_twin(out_size):
        pytest.skip(f"the NumPy twin of {case.op} is timed up to {case.twin_limit} values")
    args = case.args(out_size)
    benchmark.group = group_of(case.op, out_size)
    with fastquant.use_backend(backend):
        out = case.new_out(case.call(args))
        result = benchmark(case.call, args, out)
    assert main_array(result) is out
    benchmark.extra_info["bytes"] = case.bytes_moved(args, result)
