"""pytest-benchmark suite over the registry in :mod:`fastquant._bench.cases`.

Run from the repository root (after building the kernels)::

    pytest bench --benchmark-only                          # sizes 4K and 1M, a few minutes
    pytest bench --benchmark-only --fq-sizes 4K,1M,32M     # bigger (or FASTQUANT_BENCH_SIZES=...)
    pytest bench --benchmark-only -k "dequantize and cython"

This directory has its own conftest and test files; ``pytest bench`` collects nothing from
``tests/`` (and ``pytest``/``pytest tests`` nothing from here: ``testpaths`` is ``tests``).
"""

from __future__ import annotations

import os

import pytest

from fastquant._bench.cases import parse_sizes, size_label

DEFAULT_SIZES = "4K,1M"


def pytest_addoption(parser):
    parser.addoption(
        "--fq-sizes",
        default=os.environ.get("FASTQUANT_BENCH_SIZES", DEFAULT_SIZES),
        help=f"element counts to benchmark, K/M = 1024/1024**2 (default {DEFAULT_SIZES}, "
        "or $FASTQUANT_BENCH_SIZES); out= variants run at the largest",
    )


def pytest_report_header(config):
    import fastquant
    from fastquant import _backend

    return (f"fastquant {fastquant.__version__} bench: backends {_backend.available()}, "
            f"sizes {config.getoption('--fq-sizes')}")


def pytest_generate_tests(metafunc):
    sizes = parse_sizes(metafunc.config.getoption("--fq-sizes"))
    if "size" in metafunc.fixturenames:
        metafunc.parametrize("size", sizes, ids=[size_label(n) for n in sizes])
    if "out_size" in metafunc.fixturenames:
        metafunc.parametrize("out_size", [max(sizes)], ids=[size_label(max(sizes))])


def group(op: str, size: int) -> str:
    """The pytest-benchmark group: one per op and size, so each table compares like with like."""
    return f"{op} @ {size_label(size)}"


@pytest.fixture
def group_of():
    return group
