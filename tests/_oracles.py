"""Oracles: implementations outside fastquant whose output the tests compare with bit for bit
(ml_dtypes, gguf-py, onnx, sentence-transformers, llama.cpp's C reference, torch).

Twins agreeing with kernels proves nothing about a format; an oracle does. So an oracle that
cannot be imported must not turn its tests into silent passes: :func:`require` skips (with the
reason) on a developer's machine that lacks the package, and FAILS the test where the oracles
are demanded: in CI (``CI`` set to ``true``/``1``, as every CI service does) or with
``FASTQUANT_REQUIRE_ORACLES=1``.
"""

from __future__ import annotations

import importlib
import os

import pytest


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


#: Missing oracles fail instead of skipping.
DEMANDED = _flag("CI") or _flag("FASTQUANT_REQUIRE_ORACLES")


def missing(what: str) -> None:
    """Skip, or fail where oracles are demanded, because the oracle ``what`` is unavailable."""
    msg = f"oracle unavailable: {what}"
    if DEMANDED:
        pytest.fail(msg + " (oracles are demanded here: CI or FASTQUANT_REQUIRE_ORACLES=1)")
    pytest.skip(msg)


def require(module: str, version: str | None = None):
    """Import and return the oracle ``module`` (e.g. ``"ml_dtypes"``); with ``version``, the
    installed distribution must be exactly that version (the one bit-exactness was verified
    against). Otherwise :func:`missing`."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        missing(f"{module} ({exc})")
    if version is not None:
        got = getattr(mod, "__version__", None)
        if got is None:
            from importlib.metadata import version as dist_version

            got = dist_version(module.replace("_", "-"))
        if got != version:
            missing(f"{module} {version} (installed: {got})")
    return mod
