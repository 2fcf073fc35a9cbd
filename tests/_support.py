"""Shared test helpers: run a call on both backends and demand bit-identical results, and the
edge-case arrays every cross-check draws from."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import fastquant
from fastquant import _backend, use_backend
from _oracles import DEMANDED, missing

REQUIRE_EXTENSION = os.environ.get("FASTQUANT_REQUIRE_EXTENSION", "").strip() not in ("", "0")

#: The directory holding the fastquant this process imported (in-place build, installed wheel
#: or the sanitized copy): subprocesses must import that one.
PACKAGE_PARENT = str(Path(fastquant.__file__).resolve().parent.parent)


def run_python(args, env=None, cwd=None) -> subprocess.CompletedProcess:
    """``python ARGS`` in a subprocess that imports the same fastquant as this process: that
    package first on ``sys.path``, and a working directory outside the source tree, where
    ``./fastquant`` (not compiled in a fresh clone) would shadow an installed package."""
    environ = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
    environ.update(env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd or tempfile.gettempdir(), env=environ,
                          capture_output=True, text=True, timeout=300)


def need_backend(name: str) -> None:
    """Skip (visibly) when ``name`` is not built here; fail instead when CI demands it. The
    torch backend follows the oracles' rule (tests/_oracles.py): torch missing fails in CI."""
    if name == "torch":
        if name not in _backend.available():
            missing("torch (the torch backend)")
        return
    if name not in _backend.available():
        msg = f"backend {name!r} unavailable: {_backend.WHY_NOT_COMPILED}"
        if REQUIRE_EXTENSION:
            pytest.fail(msg)
        pytest.skip(msg)


def compiled_module(name: str):
    """Import the compiled module ``name`` (e.g. ``"fastquant._kernels._quickcheck"``): a
    visible skip where the kernels are not built, a FAILURE where they are demanded
    (``FASTQUANT_REQUIRE_EXTENSION=1``). Never ``pytest.importorskip`` a compiled module: that
    skips silently even in CI."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        msg = f"compiled module {name} unavailable ({exc})"
        if REQUIRE_EXTENSION:
            pytest.fail(msg + " (compiled kernels are demanded: FASTQUANT_REQUIRE_EXTENSION=1)")
        pytest.skip(msg)


def assert_identical(a, b, path: str = "result") -> None:
    """Same kind, dtype, shape and bytes (so -0.0 != 0.0 and NaN payloads count)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), f"{path}: tensor vs {type(b)}"
        assert a.device == b.device and a.dtype == b.dtype, f"{path}: {a.device}/{a.dtype} vs {b.device}/{b.dtype}"
        a, b = a.cpu().numpy(), b.cpu().numpy()
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{path}[{i}]")
        return
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{path}: ndarray vs {type(b)}"
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} vs {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} vs {b.shape}"
        if a.tobytes() != b.tobytes():
            diff = np.flatnonzero(a.view(np.uint8).ravel() != b.view(np.uint8).ravel())
            raise AssertionError(f"{path}: {diff.size} bytes differ, first at byte {diff[0]}")
        return
    assert type(a) is type(b), f"{path}: {type(a)} vs {type(b)}"
    assert repr(a) == repr(b), f"{path}: {a!r} vs {b!r}"


def compiled_names() -> tuple:
    """The compiled backends to cross-check: the selected build ("cython") and every other
    build this CPU can run (the portable baseline on an AVX2 machine), so both builds of every
    kernel are compared with the twins."""
    need_backend("cython")
    others = tuple(b for b in _backend.builds() if b != f"cython-{_backend.CPU_BUILD}")
    return ("cython",) + others


def _outcome(name, fn, args, kwargs):
    with use_backend(name):
        try:
            return "ok", fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            return "raised", type(exc)


#: Calls :func:`both` sent down the torch path and found identical (the session summary
#: prints it: the torch cross-check count).
TORCH_CROSS_CHECKS = 0


def torch_names() -> tuple:
    """``("torch",)`` where the torch backend can run; where it cannot, nothing, or a failure
    where torch is demanded (CI): the torch cross-checks must not vanish silently there."""
    if "torch" in _backend.available():
        return ("torch",)
    if DEMANDED:
        pytest.fail("torch cannot be imported: the torch path is not cross-checked (torch is demanded in CI)")
    return ()


def both(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on every compiled build (see :func:`compiled_names`), on the
    torch backend (where torch is installed) and on the numpy backend; asserts the results are
    identical (or that all raise the same exception type) and returns the numpy one. Inputs
    are checked to be unchanged by every call."""
    global TORCH_CROSS_CHECKS
    names = compiled_names() + torch_names()
    before = [a.copy() for a in args if isinstance(a, np.ndarray)]
    kb, rb = _outcome("numpy", fn, args, kwargs)
    for name in names:
        calls = _backend.TORCH_CALLS
        ka, ra = _outcome(name, fn, args, kwargs)
        assert ka == kb, f"{name} {ka} {ra!r} but numpy {kb} {rb!r}"
        if ka == "raised":
            assert ra is rb, f"{name} raised {ra.__name__} but numpy {rb.__name__}"
        else:
            assert_identical(ra, rb, f"{name} vs numpy")
        if name == "torch" and _backend.TORCH_CALLS > calls:
            TORCH_CROSS_CHECKS += 1
    if kb == "raised":
        raise rb(f"every backend raised {rb.__name__}")
    after = [a for a in args if isinstance(a, np.ndarray)]
    for x, y in zip(before, after):
        assert_identical(x, y, "input after the call")
    return rb


def outcome(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or ``(exception type, message)`` when it raises ValueError or
    TypeError: what a fast path and the general path it shortcuts must agree on."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)


def same_outcome(a, b) -> bool:
    """Two :func:`outcome` results agree: arrays bit for bit (dtype, shape, bytes), errors
    word for word."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))
    return a == b


def float_arrays(rng_seed: int = 1234) -> dict:
    """Named float inputs covering the layouts and values every quantizer must handle
    (finite values and +-inf; NaN is for error tests)."""
    rng = np.random.default_rng(rng_seed)
    base = (rng.standard_normal(1001) * 3).astype(np.float32)
    ties = np.arange(-16, 17, dtype=np.float32) * np.float32(0.5)
    cases = {
        "1d_odd": base,
        "len1": base[:1],
        "len2": base[:2],
        "len17": base[:17],
        "2d": base[:1000].reshape(40, 25),
        "3d_odd": base[:105].reshape(3, 5, 7),
        "strided": base[::3],
        "transposed": base[:1000].reshape(40, 25).T,
        "big_endian_f4": base.astype(">f4"),
        "big_endian_f8": base.astype(">f8"),
        "float16": base.astype(np.float16),
        "float64": base.astype(np.float64) * 1.0000001,
        "readonly": _readonly(base),
        "ties": ties,
        "ties_2d": np.tile(ties[1:], 3).reshape(4, 24),
        "signed_zeros": np.array([0.0, -0.0, 1.0, -0.0, -1.0], np.float32),
        "ints": np.arange(-20, 21, dtype=np.int64),
        "huge": np.array([3e38, 1e38, -1e-45, 1e-45, 0.0], np.float32),
        "tiny": np.array([1e-45, -1e-45, 2e-45, 0.0], np.float32),
    }
    return cases


def _readonly(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def params(cases: dict):
    """pytest parameters with readable ids from a dict of named inputs."""
    return [pytest.param(v, id=k) for k, v in cases.items()]
