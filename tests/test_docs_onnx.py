"""docs/onnx.md: every Python block runs as written (each on its own: they are complete), and
every ``print(...)  # text`` prints exactly ``text``, so the page cannot drift from the code;
and the examples in fastquant.onnx's docstrings hold."""

import contextlib
import doctest
import io
import re
import textwrap
from pathlib import Path

import pytest

from _oracles import require

PAGE = Path(__file__).resolve().parent.parent / "docs" / "onnx.md"
BLOCKS = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)] \
    if PAGE.exists() else []


def _expected(block: str) -> list:
    return [line.split("  # ", 1)[1].strip() for line in block.splitlines()
            if line.lstrip().startswith("print(") and "  # " in line]


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_docs_example_runs_and_prints_what_it_says(k):
    require("ml_dtypes", "0.6.0")
    block = BLOCKS[k]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"docs/onnx.md python block {k}", "exec"), {})
    printed = [line.strip() for line in out.getvalue().splitlines()]
    assert printed == _expected(block)


def test_docs_page_has_examples():
    if not PAGE.exists():  # an installed wheel's tests run without the source tree
        pytest.skip("docs/onnx.md is not next to the tests (installed test run)")
    assert len(BLOCKS) >= 6


def test_docstring_examples():
    require("ml_dtypes", "0.6.0")
    import numpy as np

    import fastquant.onnx as fo

    result = doctest.testmod(fo, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
