"""The generated lookup tables of the GGUF decoders (tools/make_gguf_tables.py) equal gguf-py's
published tables, and the checked-in files equal a fresh run of the generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fastquant import _gguf_tables
from _oracles import require

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "make_gguf_tables.py"


@pytest.fixture(scope="module")
def quants():
    return require("gguf", "0.19.0").quants


def _tool():
    if not TOOL.is_file():  # an installed wheel's tests run without the source tree
        pytest.skip("tools/make_gguf_tables.py is not next to the tests (installed test run)")
    spec = importlib.util.spec_from_file_location("make_gguf_tables", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GRIDS = {"iq2xxs_grid": "IQ2_XXS", "iq2xs_grid": "IQ2_XS", "iq2s_grid": "IQ2_S",
         "iq3xxs_grid": "IQ3_XXS", "iq3s_grid": "IQ3_S", "iq1s_grid": "IQ1_S"}


@pytest.mark.parametrize("name", GRIDS)
def test_grids_equal_gguf_py(quants, name):
    """Each grid entry's values, as gguf-py's init_grid unpacks its hex table (float32)."""
    cls = getattr(quants, GRIDS[name])
    cls.init_grid()
    ours = _gguf_tables.table(name)
    assert ours.shape == tuple(cls.grid_shape)
    np.testing.assert_array_equal(ours.astype(np.float32), np.asarray(cls.grid).reshape(cls.grid_shape))


def test_iq1m_shares_the_iq1s_grid(quants):
    quants.IQ1_M.init_grid()
    np.testing.assert_array_equal(_gguf_tables.table("iq1s_grid").astype(np.float32),
                                  np.asarray(quants.IQ1_M.grid).reshape(quants.IQ1_M.grid_shape))


def test_small_tables_equal_gguf_py(quants):
    assert _gguf_tables.table("ksigns").tobytes() == quants.IQ2_XXS.ksigns
    assert _gguf_tables.table("kvalues_iq4nl").tolist() == list(quants.IQ4_NL.kvalues)
    assert _gguf_tables.table("kvalues_mxfp4").tolist() == list(quants.MXFP4.kvalues)
    assert list(quants.NVFP4.kvalues) == list(quants.MXFP4.kvalues)  # NVFP4 decodes with the same table


def test_ksigns_is_seven_bits_plus_parity():
    """An independent statement of the sign table: bit 7 makes the popcount even."""
    i = np.arange(128)
    parity = np.array([bin(v).count("1") & 1 for v in i])
    np.testing.assert_array_equal(_gguf_tables.table("ksigns"), i | (parity << 7))


def test_generated_files_are_fresh(quants):
    """csrc/gguf_tables.h and fastquant/_gguf_tables.py are what the generator writes now."""
    tool = _tool()
    for path, text in tool.generate(quants).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs: rerun {TOOL.name}"


def test_tables_are_read_only():
    with pytest.raises(ValueError):
        _gguf_tables.table("iq2xxs_grid")[0, 0] = 1
