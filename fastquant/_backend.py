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

The ``"torch"`` backend computes with torch operations on the tensor's own device: each
public function that has a torch twin (``fastquant/_torch/<module>.py``, same name and
signature) carries the :func:`torch_path` decorator, which sends it there when the data is a
tensor on a device other than the CPU, when ``out=`` is a tensor, or always under
``use_backend("torch")`` (NumPy inputs then go through CPU tensors and come back as arrays).
Everything else, CPU tensors included, runs on the compiled kernels (or the twins). torch is
imported only when a tensor arrives or the torch backend is chosen. See docs/torch.md.

Without compiled kernels an installed package (the pure ``FASTQUANT_NO_EXTENSION=1`` wheel)
runs on the twins and says why (:data:`WHY_NOT_COMPILED`); a source tree that was never built
raises ImportError with the build command instead, unless ``FASTQUANT_BACKEND=numpy`` asks
for the twins, and ``FASTQUANT_REQUIRE_EXTENSION=1`` makes a missing build an error anywhere.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import os
import sys
import threading
import warnings
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import numpy as np

#: Codec families; each has ``csrc/<name>.pyx`` and ``fastquant/_twins/<name>.py``.
FAMILIES = ("int4", "signbits", "embed8", "affine", "ranges8", "gguf_decode", "gguf_decode_iq", "gguf_encode",
            "gguf_encode_k", "floats", "onnxq")

BACKENDS = ("cython", "numpy", "torch")

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


def _source_tree() -> str:
    """The repository this package is imported from, or "" for an installed package: a
    source tree has ``setup.py`` and ``csrc/`` beside ``fastquant/`` and no
    ``_build_config.py`` (setup.py writes that into every build, never into the sources)."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    if (os.path.isfile(os.path.join(root, "setup.py")) and os.path.isdir(os.path.join(root, "csrc"))
            and not os.path.isfile(os.path.join(here, "_build_config.py"))):
        return root
    return ""


#: How to get compiled kernels into a source tree, or past one (every message says it).
BUILD_HINT = (
    "build them in place with `python setup.py build_ext --inplace` (or `pip install -e .`), "
    "or install the package (`pip install .`) and run from outside the source tree"
)


def _no_kernels_error(exc: ImportError, why: str) -> ImportError | None:
    """The ImportError to raise when the compiled kernels are missing, or None to run on NumPy.

    Missing kernels are an error where the caller demanded them (FASTQUANT_REQUIRE_EXTENSION)
    and in a source tree that was never built (a `python -m pytest tests` or `import
    fastquant` there would otherwise run on the slow twins without a word), unless NumPy was
    asked for explicitly with FASTQUANT_BACKEND=numpy. An installed pure build runs on NumPy."""
    tree = _source_tree()
    where = f" (imported from the source tree {tree})" if tree else ""
    if _env_flag("FASTQUANT_REQUIRE_EXTENSION"):
        hint = BUILD_HINT if tree else (
            "rebuild with a C compiler, e.g. `pip install --force-reinstall --no-binary fastquant fastquant`")
        return ImportError(
            "FASTQUANT_REQUIRE_EXTENSION is set but the compiled fastquant kernels could not "
            f"be imported{where} ({why}); {hint}"
        )
    if tree and os.environ.get("FASTQUANT_BACKEND", "").strip().lower() != "numpy":
        return ImportError(
            f"fastquant: the compiled kernels are not built{where} ({why}).\n"
            f"To use them, {BUILD_HINT}.\n"
            "To run on the NumPy twins only (same results, much slower), set FASTQUANT_BACKEND=numpy."
        )
    return None


_TWINS = _load("fastquant._twins")
_COMPILED: SimpleNamespace | None
try:
    _COMPILED = _load("fastquant._kernels")
    WHY_NOT_COMPILED = ""
except ImportError as exc:  # the package was built without a compiler, or the build is broken
    _COMPILED = None
    WHY_NOT_COMPILED = _why_not_compiled(exc)
    _error = _no_kernels_error(exc, WHY_NOT_COMPILED)
    if _error is not None:
        raise _error from exc


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
#: Under the torch backend, a function without a torch twin (or a host fallback) runs on the
#: best host kernels.
_BY_NAME["torch"] = _BY_NAME["cython"] or _TWINS


def _torch_importable() -> bool:
    """Whether ``import torch`` can work, without importing it."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def builds() -> tuple:
    """The compiled builds this CPU can run, as backend names (``"cython-baseline"``, ...)."""
    return tuple(f"cython-{b}" for b in CPU_BUILDS if _BUILDS[b] is not None)


def available() -> tuple:
    """The backends that can run in this process, fastest first (``"torch"`` last: on the
    CPU it is the slowest, and it is never the default unless ``FASTQUANT_BACKEND`` says so)."""
    return tuple(name for name in BACKENDS if _BY_NAME[name] is not None
                 and (name != "torch" or _torch_importable()))


def _check_name(name: object, source: str) -> str:
    if name not in _BY_NAME:
        raise ValueError(f"{source}: expected one of {BACKENDS}, got {name!r}")
    if name == "torch" and not _torch_importable():
        raise ImportError(f"{source}: the 'torch' backend is not available (torch cannot be imported)")
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

#: How many ``use_backend("torch")`` blocks are open, in any thread (1 more when
#: ``FASTQUANT_BACKEND=torch``): while it is 0, :func:`torch_path` answers a NumPy input
#: without looking up the context variable.
_TORCH_OPEN = int(_DEFAULT == "torch")
_TORCH_OPEN_LOCK = threading.Lock()


def backend() -> str:
    """Name of the backend that runs in this thread/context: ``"cython"``, ``"numpy"`` or
    ``"torch"`` (or a ``"cython-<build>"`` name chosen explicitly)."""
    return _ACTIVE.get()


def kernels() -> SimpleNamespace:
    """The active kernel namespace (used by the public functions, never by users)."""
    return _BY_NAME[_ACTIVE.get()]


def kernels_of(name: str) -> SimpleNamespace:
    """The kernel namespace of backend ``name`` (tests and benchmarks)."""
    return _BY_NAME[_check_name(name, "name")]


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[str]:
    """Run the enclosed block on backend ``name`` (``"cython"``, ``"numpy"`` or ``"torch"``).

    ``"torch"`` sends every function with a torch twin to torch operations, CPU tensors and
    NumPy inputs included (these go through CPU tensors and come back as NumPy arrays); the
    rest runs on the host kernels.

    The choice is held in a :class:`contextvars.ContextVar`, so it applies to the current
    thread (or asyncio task) only; other threads keep their own backend.

    >>> import fastquant
    >>> with fastquant.use_backend("numpy"):
    ...     fastquant.backend()
    'numpy'
    """
    global _TORCH_OPEN
    token = _ACTIVE.set(_check_name(name, "name"))
    torch = name == "torch"
    if torch:
        with _TORCH_OPEN_LOCK:
            _TORCH_OPEN += 1
    try:
        yield name
    finally:
        _ACTIVE.reset(token)
        if torch:
            with _TORCH_OPEN_LOCK:
                _TORCH_OPEN -= 1


# ---------------------------------------------------------------- the torch path

class NoTorchPath(Exception):
    """Raised by a torch twin for an argument it does not implement (yet): :func:`torch_path`
    then computes on the host and says so with a :class:`HostFallbackWarning`."""


class HostFallbackWarning(RuntimeWarning):
    """A call that should have run on the torch path ran on the host kernels instead (its
    module or an argument has no torch implementation yet): the result is the same, but a
    device tensor made a round trip through host memory."""


#: Torch-path calls made in this process (tests read it to know a call took the torch path).
TORCH_CALLS = 0

_TWIN_CACHE: dict = {}


def _wants_torch(x: Any, out: Any) -> bool:
    """The torch path runs under ``use_backend("torch")``, for a tensor on a device other
    than the CPU, and when ``out=`` is a tensor; never when torch was not even imported."""
    if _TORCH_OPEN and _ACTIVE.get() == "torch":
        return True
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    tensor = torch.Tensor
    return (isinstance(x, tensor) and x.device.type != "cpu") or isinstance(out, tensor)


#: The oldest torch the twins run on (they use its unsigned 16/32/64-bit dtypes); with an older
#: one every call computes on the host, with a :class:`HostFallbackWarning`.
TORCH_MIN = (2, 3)


def _torch_too_old() -> str:
    """Why this torch cannot run the twins, or "" (imports torch: the torch path needs it)."""
    version = str(getattr(importlib.import_module("torch"), "__version__", ""))
    parts = version.split(".")
    try:
        if (int(parts[0]), int(parts[1])) >= TORCH_MIN:
            return ""
    except (ValueError, IndexError):
        pass
    return f"torch {version or '?'} is older than {'.'.join(map(str, TORCH_MIN))}"


def _torch_twin(module: str, name: str):
    """``fastquant._torch.<module>.<name>`` and the keywords it takes, or None without one."""
    key = (module, name)
    if key not in _TWIN_CACHE:
        if _torch_too_old():
            return None
        path = f"{__package__}._torch.{module}"
        try:
            twin = getattr(importlib.import_module(path), name)
        except ModuleNotFoundError as exc:
            if exc.name != path:  # a missing dependency of the module is an error, not a gap
                raise
            twin = None
        except AttributeError:
            twin = None
        _TWIN_CACHE[key] = None if twin is None else (twin, frozenset(inspect.signature(twin).parameters))
    return _TWIN_CACHE[key]


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and isinstance(default, (str, int, float))
                                and value == default)


def _run_torch(fn: Callable, module: str, bound: dict):
    """Call the torch twin of ``fn`` with the call's arguments ``bound`` (by name), or, where
    it has none or does not take an argument given a value other than its default, ``fn``
    itself, with a :class:`HostFallbackWarning`."""
    global TORCH_CALLS
    found = _torch_twin(module, fn.__name__)
    if found is None:
        why = _torch_too_old() or f"fastquant._torch.{module} has no {fn.__name__}"
    else:
        twin, takes = found
        defaults = _DEFAULTS[fn]
        extra = sorted(k for k, v in bound.items() if k not in takes and not _is_default(v, defaults[k]))
        if extra:
            why = f"its torch twin does not take {extra}"
        else:
            try:
                TORCH_CALLS += 1
                return twin(**{k: v for k, v in bound.items() if k in takes})
            except NoTorchPath as exc:
                why = str(exc)
    warnings.warn(f"fastquant.{fn.__name__}: no torch path for this call ({why}); computed on the host",
                  HostFallbackWarning, stacklevel=3)
    return fn(**bound)


_DEFAULTS: dict = {}

#: The wrapper :func:`torch_path` writes for each function, with the function's own
#: parameters (a ``*args, **kwargs`` wrapper costs twice as much on a small call).
_WRAPPER = """
def make(_fn, _module, {defaults}):
    def {name}({params}):
        if type({data}) is _ndarray and not _TORCH_OPEN or not _wants_torch({data}, {out}):
            return _fn({call})
        return _run_torch(_fn, _module, {{{bound}}})
    return {name}
"""


def torch_path(fn: Callable) -> Callable:
    """Decorator of a public function ``f`` of ``fastquant.<module>``: sends a call to its
    torch twin ``fastquant._torch.<module>.f`` (same signature) when the first argument, the
    data, is a tensor on a device other than the CPU, when ``out=`` is a tensor, or always
    under ``use_backend("torch")``; anything else runs ``f`` itself. A NumPy array outside
    the torch backend costs one type check and one call (60 ns in isolation, 0.1-0.2 us
    measured on a loaded machine)."""
    params = list(inspect.signature(fn).parameters.values())
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if not params or any(p.kind not in kinds for p in params):
        raise TypeError(f"torch_path: {fn.__name__} must take named parameters only")
    text, star = [], False
    for p in params:
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            text.append("*")
            star = True
        text.append(p.name if p.default is p.empty else f"{p.name}=_d_{p.name}")
    defaults = {f"_d_{p.name}": p.default for p in params if p.default is not p.empty}
    call = ", ".join(p.name if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else f"{p.name}={p.name}"
                     for p in params)
    source = _WRAPPER.format(defaults=", ".join(defaults) or "_", name=fn.__name__, params=", ".join(text),
                             data=params[0].name, out="out" if any(p.name == "out" for p in params) else "None",
                             call=call, bound=", ".join(f"{p.name!r}: {p.name}" for p in params))
    namespace: dict = {}
    exec(compile(source, f"<fastquant.torch_path {fn.__name__}>", "exec"), globals(), namespace)
    public = namespace["make"](fn, fn.__module__.rpartition(".")[2], **(defaults or {"_": None}))
    functools.update_wrapper(public, fn)
    public.torch_path = True  # type: ignore[attr-defined]
    _DEFAULTS[fn] = {p.name: p.default for p in params}
    return public


_ndarray = np.ndarray
