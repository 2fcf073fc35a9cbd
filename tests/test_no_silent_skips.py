"""Checks that cannot quietly stop checking: a missing compiled module fails where the kernels
are demanded, a missing source tree fails the static kernel check, and the stub check's mypy
comes with the test extra."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from _support import PACKAGE_PARENT, need_backend, run_python

TESTS = Path(__file__).resolve().parent


def test_no_test_importorskips_a_compiled_module():
    """pytest.importorskip of a fastquant module skips even under
    FASTQUANT_REQUIRE_EXTENSION=1; _support.compiled_module fails there instead."""
    pattern = re.compile(r"importorskip\(\s*[\"']fastquant")
    offenders = [p.name for p in TESTS.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"use _support.compiled_module instead of importorskip in {offenders}"


#: No third-party pytest plugins in the pytest runs below (hypothesis, zarr's...): these tests
#: need none, and loading them costs seconds per run.
QUICK_PYTEST = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

BLOCKED_RUN = """
import sys
sys.modules["fastquant._kernels._quickcheck"] = None  # as if this module had not been built
import pytest
sys.exit(pytest.main([{path!r}, "-q", "-p", "no:cacheprovider", "-rs", "--tb=line"]))
"""


def _quickcheck_tests_without_their_module(require: bool):
    one = str(TESTS / "test_quickcheck.py") + "::test_random_views_agree_with_may_share_memory"
    return run_python(["-c", BLOCKED_RUN.format(path=one)],
                      env={"FASTQUANT_REQUIRE_EXTENSION": "1" if require else "0", **QUICK_PYTEST})


def test_quickcheck_tests_fail_without_their_module_when_kernels_are_demanded():
    need_backend("cython")  # a pure install cannot even import with the kernels demanded
    res = _quickcheck_tests_without_their_module(require=True)
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(r"\d+ (failed|errors?)\b", res.stdout), res.stdout[-2000:]
    assert not re.search(r"\d+ skipped", res.stdout), res.stdout[-2000:]
    assert "FASTQUANT_REQUIRE_EXTENSION" in res.stdout


def test_quickcheck_tests_skip_visibly_otherwise():
    res = _quickcheck_tests_without_their_module(require=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"\d+ skipped", res.stdout) and not re.search(r"\d+ (failed|errors?)\b", res.stdout)


def test_kernel_source_check_fails_without_the_sources(tmp_path):
    """tests/test_big_inputs.py run from a copy of the tests without csrc/ beside them fails
    (before, its loop-index check became an empty parameter set and passed)."""
    shutil.copy(TESTS / "test_big_inputs.py", tmp_path / "test_big_inputs.py")
    res = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path / "test_big_inputs.py"), "-q",
                          "-p", "no:cacheprovider", "-k", "sources or loop_indices", "--tb=line"],
                         cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env={**_environ(), "PYTHONPATH": PACKAGE_PARENT, **QUICK_PYTEST})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "no kernel sources at" in res.stdout and "1 failed" in res.stdout


def _environ() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_the_test_extra_installs_mypy_for_the_stub_check():
    """The README's test command (`pip install ".[test]" && pytest tests`) runs the stub
    check, which fails (never skips) without mypy: the extra must bring it."""
    pyproject = TESTS.parent / "pyproject.toml"
    assert pyproject.is_file(), f"{pyproject} not found: run the tests from the repository or an sdist"
    extra = re.search(r"^test = \[(.*?)^\]", pyproject.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert extra and re.search(r'"mypy\b', extra.group(1)), "pyproject.toml: the test extra lacks mypy"
