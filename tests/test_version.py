"""The version lives in ``fastquant/_version.py`` only; an installed package reports the same
version in its metadata (what pip and ``importlib.metadata`` see)."""

import importlib.metadata
import os
import re
from pathlib import Path

import pytest

import fastquant
from fastquant import _version

PACKAGE = Path(fastquant.__file__).resolve().parent


def test_version_is_single_sourced():
    assert fastquant.__version__ is _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?", fastquant.__version__)


def test_version_matches_installed_metadata():
    if (PACKAGE.parent / "setup.py").is_file():
        pytest.skip(f"fastquant imported from the source tree {PACKAGE.parent} (in-place build): "
                    "no installed metadata to compare with")
    if os.environ.get("FASTQUANT_SANITIZED"):
        pytest.skip("tools/sanitize.sh runs a copy of the sources with the sanitized kernels: no installed metadata")
    dist = importlib.metadata.distribution("fastquant")
    # The metadata found must belong to the package imported, not to some other install.
    assert Path(dist.locate_file("fastquant/__init__.py")).resolve() == PACKAGE / "__init__.py"
    assert dist.version == fastquant.__version__
