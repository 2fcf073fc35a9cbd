"""The README's Python examples run as written (in order, sharing one namespace), so the API
tour cannot drift from the API."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S) if README.exists() else []


def test_readme_has_examples():
    if not README.exists():  # an installed wheel's tests run without the source tree
        pytest.skip("README.md is not next to the tests (installed test run)")
    assert len(BLOCKS) >= 4


def test_readme_examples_run():
    if not README.exists():
        pytest.skip("README.md is not next to the tests (installed test run)")
    namespace: dict = {}
    for k, block in enumerate(BLOCKS):
        exec(compile(block.replace("    ...", "    pass"), f"README.md python block {k}", "exec"), namespace)
