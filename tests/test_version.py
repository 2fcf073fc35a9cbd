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


def _declared_metadata() -> dict:
    """Author, license and URLs as pip will show them: the installed distribution's metadata,
    or in a source tree (no installed metadata) what pyproject.toml declares."""
    pyproject = PACKAGE.parent / "pyproject.toml"
    if (PACKAGE.parent / "setup.py").is_file() and pyproject.is_file():
        try:
            import tomllib
        except ImportError:  # Python 3.10
            tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10")
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        return {"author": ", ".join(a["name"] for a in project.get("authors", [])),
                "license": project.get("license", ""),
                "urls": list(project.get("urls", {}).values())}
    meta = importlib.metadata.metadata("fastquant")
    return {"author": meta.get("Author") or meta.get("Author-email") or "",
            "license": meta.get("License-Expression") or meta.get("License") or "",
            "urls": [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
            + [u for u in [meta.get("Home-page")] if u]}


def test_metadata_names_license_and_authors_and_no_placeholder_url():
    """`pip show fastquant` has a License (pip >= 25.1 shows the License-Expression field) and
    an Author; a URL is only there when it is real (none yet)."""
    meta = _declared_metadata()
    assert meta["license"] == "MIT"
    assert meta["author"] == "fastquant developers"
    for url in meta["urls"]:
        assert not re.search(r"example\.|your[-_]?(name|org|user)|placeholder|TODO", url, re.I), url
