"""Which kernels run: the one place that knows about backends.

Every codec family ``F`` has two modules with the same kernel names and signatures:
``fastquant._kernels.F`` (compiled from ``csrc/F.pyx``) and ``fastquant._twins.F`` (NumPy,
the reference that defines the meaning). This module loads both sets, merges each into one
namespace, and hands the active one to the public functions through :func:`kernels`.

The compiled kernels exist in up to two builds of the same sources: ``fastquant._kernels``
(portable baseline) and ``fastquant._kernels_v3`` (x86-64-v3: AVX2, FMA, BMI2; built for
x86-64 targets only). The ``"cython"`` backend is the v3 build when the running CPU supports
it (probed by ``fastquant._kernels._cpu``), else the baseline; ``FASTQUANT_CPU=baseline``
forces the baseline. :data:`CPU_BUILD` names the build in use. Tests and benchmarks can name a
build directly: ``use_backend("cython-baseline")`` / ``use_backend("cython-x86-64-v3")``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Iterator

#: Codec families; each has ``csrc/<name>.pyx`` and ``fastquant/_twins/<name>.py``.
FAMILIES = ("int4", "signbits", "embed8", "affine", "ranges8", "floats", "onnxq")

BACKENDS = ("cython", "numpy")

#: Compiled builds, portable first; ``"cython-<build>"`` names one as a backend.
CPU_BUILDS = ("baseline", "x86-64-v3")
_BUILD_PACKAGES = {"baseline": "fastquant._kernels", "x86-64-v3": "fastquant._kernels_v3"}


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


def _cpu_choice() -> str:
    env = os.environ.get("FASTQUANT_CPU", "").strip().lower()
    if env not in ("", "auto", "baseline"):
        raise ValueError(f"FASTQUANT_CPU: expected 'auto' or 'baseline', got {env!r}")
    return env or "auto"


def _has_v3() -> bool:
    try:
        from ._kernels import _cpu
    except ImportError:
        return False
    return _cpu.has_x86_64_v3()


_BUILDS = {"baseline": _COMPILED, "x86-64-v3": None}
if _COMPILED is not None and _has_v3():
    try:
        _BUILDS["x86-64-v3"] = _load(_BUILD_PACKAGES["x86-64-v3"])
    except ImportError:  # not built for this target (non-x86, MSVC): the baseline runs
        pass

#: The compiled build behind the "cython" backend: "x86-64-v3", "baseline", or "" when
#: nothing is compiled.
_CPU_CHOICE = _cpu_choice()  # validated even where nothing is compiled
CPU_BUILD = ""
if _COMPILED is not None:
    CPU_BUILD = "x86-64-v3" if _BUILDS["x86-64-v3"] is not None and _CPU_CHOICE == "auto" else "baseline"

_BY_NAME = {"cython": _BUILDS.get(CPU_BUILD), "numpy": _TWINS}
_BY_NAME.update({f"cython-{build}": ns for build, ns in _BUILDS.items()})


def builds() -> tuple:
    """The compiled builds this CPU can run, as backend names (``"cython-baseline"``, ...)."""
    return tuple(f"cython-{b}" for b in CPU_BUILDS if _BUILDS[b] is not None)


def available() -> tuple:
    """The backends that can run in this process, fastest first."""
    return tuple(name for name in BACKENDS if _BY_NAME[name] is not None)


def _check_name(name: object, source: str) -> str:
    if name not in _BY_NAME:
        raise ValueError(f"{source}: expected one of {BACKENDS}, got {name!r}")
    if _BY_NAME[name] is None:
        why = WHY_NOT_COMPILED or "this CPU or platform has no such build"
        raise ImportError(f"{source}: the {name!r} backend is not available ({why})")
    return name


def _default_name() -> str:
    env = os.environ.get("FASTQUANT_BACKEND", "").strip().lower()
    if env:
        return _check_name(env, "FASTQUANT_BACKEND")
    return available()[0]


_DEFAULT = _default_name()
_ACTIVE: ContextVar = ContextVar("fastquant_backend", default=_DEFAULT)


def backend() -> str:
    """Name of the backend that runs in this thread/context: ``"cython"`` or ``"numpy"``
    (or a ``"cython-<build>"`` name chosen explicitly)."""
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
