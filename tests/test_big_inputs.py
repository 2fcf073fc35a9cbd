"""Arrays over 2**31 elements: 64-bit sizes and indices end to end, checked without
allocating gigabytes.

- the wrappers' size arithmetic runs on Python ints; checked on zero-stride broadcast views
  whose logical size is far beyond 2**32 (they occupy a few bytes);
- every kernel loop index in ``csrc/*.pyx`` is declared ``Py_ssize_t`` (a static check, so a
  new family or a rewrite that indexes with ``int`` fails here);
- opt-in (``FASTQUANT_BIG_TESTS=1``): a kernel really reads past element 2**31 of an 8 GiB
  array of zeros that the OS maps lazily to its shared zero page (resident memory stays small).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from fastquant import _arrays as A
from fastquant import _backend
from fastquant import int4 as int4_module

#: The kernel sources of the repository (or sdist) these tests belong to: csrc/ beside tests/,
#: wherever the package under test was imported from (CI runs these tests from outside the
#: tree against an installed wheel; the sdist ships csrc/ and tests/ together).
CSRC = Path(__file__).resolve().parent.parent / "csrc"
#: Codec families only: ``_cpu.pyx`` (the CPU probe) and other ``_`` helpers have no data loops.
PYX = sorted(p for p in CSRC.glob("*.pyx") if not p.name.startswith("_"))
BIG = 2**31


@pytest.mark.parametrize(
    "shape",
    [(BIG + 3,), (2**20, 2**13, 3), (3, BIG + 1), (2**40, 2), (2**17, 2**17, 2**17, 2)],
    ids=["1d_2**31+3", "rows_2**33", "row_len_2**31+1", "rows_2**40", "4d_2**52"],
)
def test_as_rows_keeps_64_bit_sizes(shape):
    huge = np.broadcast_to(np.int8(0), shape)  # logical size far past 2**31, a single byte in memory
    rows = A.as_rows(huge, "x")
    assert rows.shape == (int(np.prod(shape[:-1], dtype=object)), shape[-1])
    assert rows.shape[0] * rows.shape[1] == int(np.prod(shape, dtype=object)) >= BIG


@pytest.mark.parametrize("m", [2**30, 2**31 - 1, 2**31, 2**31 + 1, 2**40])
def test_unpacked_length_is_exact_past_int32(m):
    assert int4_module._unpacked_length(m, None) == 2 * m
    assert int4_module._unpacked_length(m, 2 * m - 1) == 2 * m - 1
    with pytest.raises(ValueError, match="^n:"):
        int4_module._unpacked_length(m, (2 * m + 2**31) % 2**32 - 2**31)  # 2m wrapped to int32


def _loop_indices_and_ssize_t(source: str):
    indices = set(re.findall(r"\bfor\s+(\w+)\s+in\s+(?:p?range)\(", source))
    declared = set()
    for decl in re.findall(r"cdef\s+(?:const\s+)?Py_ssize_t\s+([^\n=]+(?:=[^\n]*)?)", source):
        declared.update(re.findall(r"(?:^|,)\s*\**(\w+)", decl))
    return indices, declared


def test_the_kernel_sources_are_found():
    """Without them the check below would be an empty parameter set: a silent pass."""
    assert PYX, (f"no kernel sources at {CSRC}: these tests must run from the repository or an "
                 "sdist (which ship csrc/ next to tests/), not from a copy of tests/ alone")


@pytest.mark.parametrize("pyx", PYX, ids=lambda p: p.name)
def test_kernel_loop_indices_are_py_ssize_t(pyx):
    text = pyx.read_text()
    indices, declared = _loop_indices_and_ssize_t(text)
    if not indices and "cdef extern" in text and re.findall(r"cdef\s+int64_t\s+\w+\s*=", text):
        # a family whose loops live in C headers (the GGUF encoders): the block counts its
        # wrappers hand to C are 64-bit, and every C function takes them as int64_t
        assert not re.findall(r"\(const float\* x, uint8_t\* y, int n", text), f"{pyx.name}: an int count"
        return
    # a family whose .pyx only calls loops written in C headers checks them where it tests them
    # (gguf_decode*: tests/test_gguf_decode.py::test_c_loops_over_blocks_use_ptrdiff_t)
    assert indices or re.search(r'cdef extern from "\w+\.h"', text), f"{pyx.name}: no loops found; has the check gone stale?"
    assert indices <= declared, f"{pyx.name}: loop indices not declared Py_ssize_t: {sorted(indices - declared)}"


def test_the_static_check_catches_an_int_index():
    bad = "cdef Py_ssize_t n = 4\ncdef int i\nfor i in range(n):\n    pass\n"
    indices, declared = _loop_indices_and_ssize_t(bad)
    assert indices - declared == {"i"}


@pytest.mark.skipif(os.environ.get("FASTQUANT_BIG_TESTS", "") != "1", reason="opt-in: FASTQUANT_BIG_TESTS=1 (8 GiB virtual, ~5 s)")
def test_kernel_reads_past_element_2_31():
    """np.zeros maps untouched pages to the zero page: 8 GiB virtual, a few MiB resident."""
    if "cython" not in _backend.available():
        pytest.skip("compiled kernels not built")
    try:
        x = np.zeros(BIG + 3, np.float32)
    except MemoryError:
        pytest.skip("the OS refused 8 GiB of virtual memory")
    x[BIG + 1] = 7.5  # only past 2**31 (an int32 index would wrap to negative before here)
    x[BIG + 2] = -3.0
    assert _backend.kernels_of("cython").int4_range(x) == (-3.0, 7.5, True)
