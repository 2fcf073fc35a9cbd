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


#: The repository (or sdist) these tests belong to: its pyproject.toml declares the metadata.
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _pyproject() -> dict:
    assert PYPROJECT.is_file(), f"{PYPROJECT} not found: run the tests from the repository or an sdist"
    try:
        import tomllib
    except ImportError:  # Python 3.10: the few fields needed here, by pattern
        text = PYPROJECT.read_text(encoding="utf-8")
        authors = re.search(r"^authors = \[(.*)\]$", text, flags=re.M)
        return {"license": re.search(r'^license = "([^"]*)"', text, flags=re.M).group(1),
                "authors": [{"name": n} for n in re.findall(r'name = "([^"]*)"', authors.group(1))] if authors else [],
                "urls": dict(re.findall(r'^(\S+) = "(https?://[^"]*)"', text, flags=re.M))}
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def _installed_metadata():
    """The metadata of the installed distribution this fastquant came from, or None (a source
    tree, or tools/sanitize.sh's copy)."""
    try:
        dist = importlib.metadata.distribution("fastquant")
    except importlib.metadata.PackageNotFoundError:
        return None
    if Path(dist.locate_file("fastquant/__init__.py")).resolve() != PACKAGE / "__init__.py":
        return None
    return dist.metadata


def test_metadata_names_license_and_authors_and_no_placeholder_url():
    """`pip show fastquant` has a License (pip >= 25.1 shows the License-Expression field) and
    an Author; a URL is only there when it is real (none yet). Checked in pyproject.toml and,
    for an installed package, in the metadata pip reads."""
    project = _pyproject()
    assert project["license"] == "MIT"
    assert [a["name"] for a in project.get("authors", [])] == ["fastquant developers"]
    urls = list(project.get("urls", {}).values())
    meta = _installed_metadata()
    if meta is not None:
        assert meta.get("License-Expression") == "MIT"
        assert meta.get("Author") == "fastquant developers"
        urls += [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
        urls += [u for u in [meta.get("Home-page")] if u]
    for url in urls:
        assert not re.search(r"example\.|your[-_]?(name|org|user)|placeholder|TODO", url, re.I), url
