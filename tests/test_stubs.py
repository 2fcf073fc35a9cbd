"""The type stubs ship with the package and agree with the runtime (as pykdtree checks its
stubs): every public module has a ``.pyi``, and ``mypy.stubtest`` finds no difference between
the stubs and the imported modules, compiled kernels included (when mypy is installed)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastquant

PACKAGE = Path(fastquant.__file__).resolve().parent
ALLOWLIST = Path(__file__).with_name("stubtest-allowlist.txt")
MYPY_CONFIG = Path(__file__).with_name("stubtest.ini")


def test_package_is_marked_typed():
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "__init__.pyi").is_file()


def test_every_public_module_has_a_stub():
    """Each public module that defines part of ``fastquant.__all__`` (the codec modules) has
    its own ``.pyi``; private helpers such as ``_backend`` are typed in their source."""
    homes = {getattr(getattr(fastquant, name), "__module__", None) for name in fastquant.__all__}
    homes = sorted(m for m in homes if m and m.startswith("fastquant.") and not m.split(".")[-1].startswith("_"))
    missing = [m for m in homes if not (PACKAGE.parent / (m.replace(".", "/") + ".pyi")).is_file()]
    assert homes and not missing, f"modules of the public API without a .pyi stub: {missing}"


def test_every_kernel_module_has_a_stub():
    """``fastquant/_kernels/<family>.pyi`` for every family (stubtest demands them for the
    compiled modules; this says which is missing without needing mypy)."""
    from fastquant import _backend

    missing = [f for f in _backend.FAMILIES if not (PACKAGE / "_kernels" / f"{f}.pyi").is_file()]
    assert not missing, f"compiled kernel modules without a stub in fastquant/_kernels/: {missing}"


def test_stub_reexports_the_runtime_api():
    """``__init__.pyi`` names exactly ``fastquant.__all__`` (a cheap check that needs no mypy)."""
    stub = (PACKAGE / "__init__.pyi").read_text(encoding="utf-8")
    missing = [name for name in fastquant.__all__ if f'"{name}"' not in stub]
    assert not missing, f"fastquant.__all__ names missing from __init__.pyi: {missing}"


def test_stubtest(tmp_path):
    # mypy is in the test extra (`pip install ".[test]"`): a missing one fails, never skips
    try:
        import mypy.stubtest  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"mypy is not installed ({exc}): install the test extra, pip install '.[test]'")
    in_tree = (PACKAGE.parent / "setup.py").is_file()
    # In a source tree mypy finds the package from the working directory; an installed one it
    # finds in site-packages through py.typed (PEP 561), so run from an empty directory.
    cwd = PACKAGE.parent if in_tree else tmp_path
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / ".mypy_cache"))
    env.pop("MYPYPATH", None)
    allowlist = ALLOWLIST
    from fastquant import _backend

    if _backend.WHY_NOT_COMPILED:
        # a pure NumPy install has the kernel stubs but not the kernels: check everything else
        allowlist = tmp_path / "allowlist.txt"
        allowlist.write_text(ALLOWLIST.read_text(encoding="utf-8")
                             + "\n# no compiled kernels in this install\nfastquant\\._kernels\\..*\n")
    cmd = [sys.executable, "-m", "mypy.stubtest", "fastquant", "--allowlist", str(allowlist),
           "--ignore-unused-allowlist", "--mypy-config-file", str(MYPY_CONFIG)]
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"stubtest found differences:\n{run.stdout}\n{run.stderr}"
    assert "Success" in run.stdout, run.stdout


def test_kernels_and_twins_share_signatures():
    """Every compiled kernel takes exactly the parameters of its NumPy twin (the stubs of
    ``fastquant._kernels`` describe both)."""
    import importlib
    import inspect

    from fastquant import _backend
    from _support import need_backend

    need_backend("cython")
    for family in _backend.FAMILIES:
        kernels = importlib.import_module(f"fastquant._kernels.{family}")
        twins = importlib.import_module(f"fastquant._twins.{family}")
        assert sorted(kernels.__all__) == sorted(twins.__all__), family
        for name in twins.__all__:
            k = list(inspect.signature(getattr(kernels, name)).parameters)
            t = list(inspect.signature(getattr(twins, name)).parameters)
            assert k == t, f"{family}.{name}: kernel {k} vs twin {t}"
