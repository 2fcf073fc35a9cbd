"""docs/storage.md's Python examples run as written (in order, one namespace, as a script:
``__name__ == "__main__"``), in a temporary directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _storage import need

need("numcodecs", "zarr", "dask", "distributed")

DOC = Path(__file__).resolve().parent.parent / "docs" / "storage.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S) if DOC.exists() else []


def test_storage_doc_examples_run(tmp_path, monkeypatch):
    if not DOC.exists():
        pytest.skip("docs/storage.md is not next to the tests (installed test run)")
    assert len(BLOCKS) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__main__"}
    for k, block in enumerate(BLOCKS):
        exec(compile(block, f"docs/storage.md python block {k}", "exec"), namespace)
