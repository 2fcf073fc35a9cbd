"""The seeds and the peer libraries, in the same benchmark groups as fastquant's cases.

    pytest bench --benchmark-only --benchmark-group-by=group

Each group is one op at one size (``dequantize[int8] @ 1M``): fastquant on both backends
(bench/test_codecs.py), the seed's code as published and every peer library that does the same
job (:mod:`fastquant._bench.rivals`, the registry ``fastquant bench --against`` reads), on the
same data. A rival whose module is not installed is skipped with the package to install; one
that raises on the data is timed on its fallback input where the registry gives one. torch and
onnxruntime run on one thread. Outputs are compared by ``fastquant bench --against``, not here.
"""

from __future__ import annotations

import pytest

from fastquant._bench import rivals as R
from fastquant._bench.cases import CASES

_BY_OP = {c.op: c for c in CASES}


def _params():
    for rival in R.RIVALS:
        marks = () if rival.installed() else pytest.mark.skip(reason=f"not installed: {rival.missing()}")
        for op in rival.ops:
            yield pytest.param(rival, _BY_OP[op], id=f"{rival.kind}-{rival.label}-{op}", marks=marks)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    R.set_threads(1)
    yield
    R.set_threads(None)


@pytest.mark.parametrize("rival, case", list(_params()))
def test_rival(benchmark, group_of, rival, case, size):
    got = R.ready(rival, case.args(size))
    if got.call is None:
        pytest.skip(got.note)
    benchmark.group = group_of(case.op, size)
    benchmark.name = f"{rival.kind}: {rival.label}"
    with R.quiet():
        benchmark(got.call)
