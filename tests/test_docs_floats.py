"""docs/floats.md: every Python block runs as written (each on its own: they are complete), and
every ``print(...)  # text`` prints exactly ``text``, so the page cannot drift from the code."""

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "floats.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S) if PAGE.exists() else []


def _expected(block: str) -> list:
    return [line.split("  # ", 1)[1].strip() for line in block.splitlines()
            if line.lstrip().startswith("print(") and "  # " in line]


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_docs_example_runs_and_prints_what_it_says(k):
    block = BLOCKS[k]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"docs/floats.md python block {k}", "exec"), {})
    printed = [line.strip() for line in out.getvalue().splitlines()]
    assert printed == _expected(block)


def test_docs_page_has_examples():
    if not PAGE.exists():  # an installed wheel's tests run without the source tree
        pytest.skip("docs/floats.md is not next to the tests (installed test run)")
    assert len(BLOCKS) >= 5
