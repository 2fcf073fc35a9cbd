"""Which kernels run: the one place that knows about backends.

Every codec family ``F`` has two modules with the same kernel names and signatures:
``fastquant._kernels.F`` (compiled from ``csrc/F.pyx``) and ``fastquant._twins.F`` (NumPy,
the reference that defines the meaning). This module loads both sets, merges each into one
namespace, and hands the active one to the public functions through :func:`kernels`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Iterator

#: Codec families; each has ``csrc/<name>.pyx`` and ``fastquant/_twins/<name>.py``.

FAMILIES = ("int4", "signbits", "embed8", "affine")

BACKENDS = ("cython", "numpy")


def _load(package: str) -> SimpleNamespace:
    merged: dict = {}
    for family in FAMILIES:
        module = importlib.import_module(f"{package}.{family}")
        for name in module.__all__:
            if name in merged:
                raise RuntimeError(f"kernel {name!r} is defined by two families")
            merged[name] = getattr(module, name)
    return SimpleNamespace(**merged)


def _why_not_compiled(exc: ImportError) -> str:
    """Why the compiled kernels are missing: a deliberate pure build says so (setup.py writes
    ``_build_config.py`` into every wheel), anything else is the import error itself."""
    try:
        pure = importlib.import_module(f"{__package__}._build_config").NO_EXTENSION
    except ImportError:  # a source tree: not built by setup.py's build_py
        pure = False
    if pure:
        return "built with FASTQUANT_NO_EXTENSION=1: pure NumPy package, no compiled kernels"
    return f"{type(exc).__name__}: {exc}"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0")


_TWINS = _load("fastquant._twins")
_COMPILED: SimpleNamespace | None
try:
    _COMPILED = _load("fastquant._kernels")
    WHY_NOT_COMPILED = ""
except ImportError as exc:  # the package was built without a compiler, or the build is broken
    _COMPILED = None
    WHY_NOT_COMPILED = _why_not_compiled(exc)
    if _env_flag("FASTQUANT_REQUIRE_EXTENSION"):
        raise ImportError(
            "FASTQUANT_REQUIRE_EXTENSION is set but the compiled fastquant kernels could not "
            f"be imported ({WHY_NOT_COMPILED}); rebuild with a C compiler, e.g. "
            "`pip install --force-reinstall --no-binary fastquant fastquant`"
        ) from exc

_BY_NAME: dict = {"cython": _COMPILED, "numpy": _TWINS}


def available() -> tuple:
    """The backends that can run in this process, fastest first."""
    return tuple(name for name in BACKENDS if _BY_NAME[name] is not None)


def _check_name(name: object, source: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"{source}: expected one of {BACKENDS}, got {name!r}")
    if _BY_NAME[name] is None:
        raise ImportError(
            f"{source}: the 'cython' backend is not available ({WHY_NOT_COMPILED})"
        )
    return name


def _default_name() -> str:
    env = os.environ.get("FASTQUANT_BACKEND", "").strip().lower()
    if env:
        return _check_name(env, "FASTQUANT_BACKEND")
    return available()[0]


_DEFAULT = _default_name()
_ACTIVE: ContextVar = ContextVar("fastquant_backend", default=_DEFAULT)


def backend() -> str:
    """Name of the backend that runs in this thread/context: ``"cython"`` or ``"numpy"``."""
    return _ACTIVE.get()


def kernels() -> SimpleNamespace:
    """The active kernel namespace (used by the public functions, never by users)."""
    return _BY_NAME[_ACTIVE.get()]


def kernels_of(name: str) -> SimpleNamespace:
    """The kernel namespace of backend ``name`` (tests and benchmarks)."""
    return _BY_NAME[_check_name(name, "name")]


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[str]:
    """Run the enclosed block on backend ``name`` (``"cython"`` or ``"numpy"``).

    The choice is held in a :class:`contextvars.ContextVar`, so it applies to the current
    thread (or asyncio task) only; other threads keep their own backend.

    >>> import fastquant
    >>> with fastquant.use_backend("numpy"):
    ...     fastquant.backend()
    'numpy'
    """
    token = _ACTIVE.set(_check_name(name, "name"))
    try:
        yield name
    finally:
        _ACTIVE.reset(token)
