"""The MXFP4 encoder's table (csrc/gguf_mxfp4_log2.h, written by tools/make_gguf_log2_table.py)
equals a fresh run of its generator, and each threshold is where ``floor(log2(x))`` really
steps up, as NumPy's float32 ``log2`` computes it (llama.cpp's reference takes ``floorf(log2f(amax))``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "make_gguf_log2_table.py"


def _tool():
    if not TOOL.is_file():
        pytest.fail(f"{TOOL} not found: the tests run from a checkout or an sdist, which carry tools/")
    spec = importlib.util.spec_from_file_location("make_gguf_log2_table", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_header_equals_a_fresh_run():
    tool = _tool()
    assert tool.HEADER.read_text(encoding="utf-8") == tool.render()


def test_thresholds_are_where_float32_log2_steps_up():
    thresholds = np.asarray(_tool()._twin().LOG2_THRESHOLDS, np.uint32)
    exponents = np.arange(-149, 128)
    assert thresholds.size == exponents.size
    at = thresholds.view(np.float32)
    below = (thresholds - 1).view(np.float32)
    with np.errstate(over="ignore"):
        # the threshold itself has floor(log2) = E + 1 (unless it is 2**(E+1) exactly) ...
        assert (np.floor(np.log2(at)) == exponents + 1).all()
        # ... and the float just below it still has floor(log2) = E (when inside the binade)
        inside = below >= np.ldexp(np.float32(1), exponents).astype(np.float32)
        assert (np.floor(np.log2(below[inside])) == exponents[inside]).all()
