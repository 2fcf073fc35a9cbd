"""docs/gguf.md's Python examples run as written (in order, one namespace), and the examples in
fastquant.gguf's docstrings hold."""

import doctest
import re
from pathlib import Path

import pytest

import fastquant.gguf

DOC = Path(__file__).resolve().parent.parent / "docs" / "gguf.md"


def test_docs_examples_run():
    if not DOC.exists():  # an installed wheel's tests run without the source tree
        pytest.skip("docs/gguf.md is not next to the tests (installed test run)")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"docs/gguf.md python block {k}", "exec"), namespace)


def test_docstring_examples():
    result = doctest.testmod(fastquant.gguf, verbose=False)
    assert result.attempted >= 1 and result.failed == 0
