"""A source tree without compiled kernels refuses to run instead of falling back to NumPy in
silence: ``import fastquant`` (and so ``python -m pytest tests``) there is an ImportError that
says how to build, unless NumPy-only was asked for with ``FASTQUANT_BACKEND=numpy``. An
installed package without kernels (the pure wheel) keeps running on NumPy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


import fastquant

PACKAGE = Path(fastquant.__file__).resolve().parent


def _unbuilt_copy(root: Path, source_tree: bool) -> Path:
    """The package's Python files (no compiled modules) under ``root``; with ``source_tree``
    also a setup.py and csrc/ beside it, as in a fresh clone."""
    shutil.copytree(PACKAGE, root / "fastquant",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "_build_config.py"))
    if source_tree:
        (root / "setup.py").write_text("# a fresh clone's build script\n")
        (root / "csrc").mkdir()
    return root


def _run(args, cwd: Path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("FASTQUANT_") and k not in ("PYTHONPATH", "CI")}
    environ.update(env)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


IMPORT = "import fastquant; print(fastquant.backend())"


def test_import_in_an_unbuilt_source_tree_refuses_and_says_how_to_build(tmp_path):
    tree = _unbuilt_copy(tmp_path, source_tree=True)
    res = _run(["-c", IMPORT], cwd=tree)
    assert res.returncode != 0, res.stdout
    assert "ImportError" in res.stderr and "not built" in res.stderr
    for hint in ("python setup.py build_ext --inplace", "pip install -e .", "FASTQUANT_BACKEND=numpy"):
        assert hint in res.stderr, hint


def test_pytest_in_an_unbuilt_source_tree_fails_loudly(tmp_path):
    tree = _unbuilt_copy(tmp_path, source_tree=True)
    (tree / "tests").mkdir()
    (tree / "tests" / "conftest.py").write_text("import fastquant\n")
    (tree / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    res = _run(["-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], cwd=tree,
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert res.returncode not in (0, 5), res.stdout
    assert "build_ext --inplace" in res.stdout + res.stderr


def test_numpy_only_when_asked_explicitly(tmp_path):
    tree = _unbuilt_copy(tmp_path, source_tree=True)
    res = _run(["-c", IMPORT], cwd=tree, FASTQUANT_BACKEND="numpy")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["numpy"]


def test_demanding_the_kernels_in_an_unbuilt_tree_names_the_build_command(tmp_path):
    tree = _unbuilt_copy(tmp_path, source_tree=True)
    res = _run(["-c", IMPORT], cwd=tree, FASTQUANT_BACKEND="numpy", FASTQUANT_REQUIRE_EXTENSION="1")
    assert res.returncode != 0
    assert "FASTQUANT_REQUIRE_EXTENSION" in res.stderr and "build_ext --inplace" in res.stderr


def test_an_installed_package_without_kernels_still_runs_on_numpy(tmp_path):
    """Not a source tree (no setup.py beside it): as a pure wheel runs, on NumPy."""
    site = _unbuilt_copy(tmp_path / "site", source_tree=False)
    res = _run(["-c", IMPORT], cwd=tmp_path, PYTHONPATH=str(site))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["numpy"]
