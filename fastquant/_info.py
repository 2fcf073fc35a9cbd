"""``python -m fastquant info``: what this installation runs on, and why.

Reads hooks from :mod:`fastquant._backend` with ``getattr`` so kernel selection can grow
without this module changing: ``KERNEL_BUILD`` (a string naming the kernel build chosen at
import, e.g. "x86-64-v3") and ``NUM_THREADS`` (the default thread count in force).
"""

from __future__ import annotations

import os
import platform
from importlib.machinery import EXTENSION_SUFFIXES as _SUFFIXES
from pathlib import Path

import numpy as np

import fastquant
from fastquant import _backend

#: File name endings of compiled modules on this interpreter (".cpython-311-x86_64-linux-gnu.so", ...).
EXTENSION_SUFFIXES = tuple(_SUFFIXES)
#: x86-64 micro-architecture levels by /proc/cpuinfo flag names (lzcnt is "abm" there).
X86_LEVELS = (
    ("x86-64-v2", ("cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3")),
    ("x86-64-v3", ("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave")),
    ("x86-64-v4", ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")),
)
#: The features the kernels' builds care about, in the order shown.
SHOWN = ("sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "bmi2", "f16c",
         "avx512f", "avx512bw", "avx512vl", "neon", "asimd", "sve")
#: NumPy's names for the same features, used where /proc/cpuinfo is missing.
NUMPY_NAMES = {"SSE2": "sse2", "SSSE3": "ssse3", "SSE41": "sse4_1", "SSE42": "sse4_2",
               "AVX": "avx", "AVX2": "avx2", "FMA3": "fma", "F16C": "f16c", "AVX512F": "avx512f",
               "AVX512BW": "avx512bw", "AVX512VL": "avx512vl", "NEON": "neon", "ASIMD": "asimd",
               "SVE": "sve", "POPCNT": "popcnt"}


def cpu_flags() -> tuple:
    """``(flags, source)``: the CPU's feature names (lower case) and where they were read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split()), "/proc/cpuinfo"
    except OSError:
        pass
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # NumPy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            return frozenset(), "unknown"
    return frozenset(NUMPY_NAMES.get(k, k.lower()) for k, on in feats.items() if on), "numpy"


def x86_level(flags) -> str:
    """The highest x86-64 level whose features ``flags`` all has ("" off x86)."""
    if "sse2" not in flags:
        return ""
    level = "x86-64 (baseline)"
    for name, needed in X86_LEVELS:
        if not all(f in flags for f in needed):
            break
        level = name
    return level


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def compiled_builds() -> list:
    """Every compiled build directory of this installation, each a dict: ``package``
    (``fastquant._kernels``, ``fastquant._kernels_v3``, ...: every ``fastquant/_kernels*``
    package that holds compiled modules, whether or not this CPU can run it), ``build`` (its
    name in ``_backend``, e.g. "x86-64-v3"; "" if it has none), ``in_use`` (the build behind the
    "cython" backend), ``path`` and ``modules`` (the compiled module names in it)."""
    package_dir = Path(fastquant.__file__).resolve().parent
    packages = getattr(_backend, "_BUILD_PACKAGES", {})
    names = {package: build for build, package in packages.items()}
    in_use = packages.get(getattr(_backend, "CPU_BUILD", ""), None)
    found = []
    for folder in sorted(package_dir.glob("_kernels*")):
        files = sorted(f.name for f in folder.iterdir() if f.name.endswith(EXTENSION_SUFFIXES)) if folder.is_dir() else []
        if not files:
            continue
        package = f"fastquant.{folder.name}"
        found.append({
            "package": package,
            "build": names.get(package, ""),
            "in_use": package == in_use,
            "path": str(folder),
            "modules": [f.split(".", 1)[0] for f in files],
            "files": [str(folder / f) for f in files],
        })
    return found


def compiled_modules() -> list:
    """Paths of every compiled module of this installation, all builds (see :func:`compiled_builds`)."""
    return [f for build in compiled_builds() for f in build["files"]]


def backend_reason() -> str:
    env = os.environ.get("FASTQUANT_BACKEND", "").strip()
    if _backend.WHY_NOT_COMPILED:
        return f"compiled kernels unavailable: {_backend.WHY_NOT_COMPILED}"
    if env:
        return f"FASTQUANT_BACKEND={env}"
    return "compiled kernels imported, the default when built"


def threads() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    return {
        "FASTQUANT_NUM_THREADS": os.environ.get("FASTQUANT_NUM_THREADS") or None,
        "default": getattr(_backend, "NUM_THREADS", None) or _auto_threads(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
    }


def _auto_threads() -> int:
    """The most threads ``threads=None`` uses on large arrays (``fastquant._threads``)."""
    from fastquant import _threads

    return _threads.MAX_AUTO


def kernel_build() -> str:
    """The kernel build the "cython" backend runs (``_backend.CPU_BUILD``) and the builds
    this CPU could run."""
    build = getattr(_backend, "KERNEL_BUILD", None) or getattr(_backend, "CPU_BUILD", None)
    if not build:
        return "single portable build (no CPU dispatch)"
    runnable = ", ".join(b.split("-", 1)[1] for b in _backend.builds())
    return f"{build} (chosen at import; runnable here: {runnable})"


def gather() -> dict:
    """Everything ``info`` prints, as a dict (also ``info --json``)."""
    flags, source = cpu_flags()
    return {
        "fastquant": fastquant.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "backend": fastquant.backend(),
        "backend_reason": backend_reason(),
        "backends_available": list(_backend.available()),
        "compiled_builds": [{k: v for k, v in b.items() if k != "files"} for b in compiled_builds()],
        "compiled_modules": compiled_modules(),
        "kernel_build": kernel_build(),
        "cpu": cpu_model(),
        "cpu_level": x86_level(flags),
        "cpu_features": [f for f in SHOWN if f in flags],
        "cpu_features_source": source,
        "threads": threads(),
        "require_extension": os.environ.get("FASTQUANT_REQUIRE_EXTENSION") or None,
    }


def render(info: dict) -> str:
    t = info["threads"]
    env = t["FASTQUANT_NUM_THREADS"]
    lines = [
        f"fastquant {info['fastquant']}  (Python {info['python']}, NumPy {info['numpy']}, {info['platform']})",
        f"backend:        {info['backend']}, because: {info['backend_reason']}",
        f"available:      {', '.join(info['backends_available'])}",
        "compiled:       " + ("\n                ".join(_build_lines(info["compiled_builds"])) or "none"),
        f"kernel build:   {info['kernel_build']}",
        f"cpu:            {info['cpu']}" + (f"  [{info['cpu_level']}]" if info["cpu_level"] else ""),
        f"cpu features:   {' '.join(info['cpu_features']) or 'none known'}  (from {info['cpu_features_source']})",
        f"threads:        {t['default']} by default"
        f" (FASTQUANT_NUM_THREADS={env if env else 'unset'}); os.cpu_count()={t['cpu_count']},"
        f" usable by this process: {t['usable_cpus']}",
    ]
    return "\n".join(lines)


def _build_lines(builds: list) -> list:
    """One line per compiled build directory: package, build name (and whether it is the one
    in use), its modules; then the directory they are in."""
    if not builds:
        return []
    labels = [(b["build"] or "-") + (" (in use)" if b["in_use"] else "") for b in builds]
    width = max(len(b["package"]) for b in builds)
    lwidth = max(len(label) for label in labels)
    lines = [f"{b['package']:{width}}  {label:{lwidth}}  {' '.join(b['modules'])}" for b, label in zip(builds, labels)]
    lines.append(f"in {Path(builds[0]['path']).parent}")
    return lines
