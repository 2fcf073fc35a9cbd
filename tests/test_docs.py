"""The documentation runs and stands alone: every ```python block of README.md and of every
docs/*.md page runs on its own in a fresh namespace (so each is complete, imports included),
every page is linked from the README, links resolve, and no page leans on documents a user
does not have.

A block whose first line is ``# needs: torch`` (importable names, comma-separated) is skipped,
visibly, where one of them is missing.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = ([README] if README.is_file() else []) + sorted(DOCS.glob("*.md"))

FENCE = re.compile(r"^(`{3,})(\S*)\s*$")


def python_blocks(page: Path) -> list:
    """``(first line number, source)`` of every fenced block whose info string is ``python``."""
    blocks, lines = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2), i + 1
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            i += 1
        if lang == "python":
            blocks.append((start + 1, "\n".join(lines[start:i]) + "\n"))
        i += 1
    return blocks


BLOCKS = [pytest.param(page, line, src, id=f"{page.relative_to(ROOT).as_posix()}:{line}")
          for page in PAGES for line, src in python_blocks(page)]


def test_the_docs_are_found():
    """Without them every check below would be an empty, silent pass."""
    assert README.is_file() and (DOCS / "int4.md").is_file(), (
        f"README.md and docs/ not found beside {Path(__file__).parent}: run the tests from the "
        "repository or an sdist")
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("page, line, source", BLOCKS)
def test_python_block_runs_on_its_own(page, line, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files (Zarr arrays) write them there
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    needs = re.match(r"#\s*needs:\s*(.+)", first)
    if needs:
        missing = [m.strip() for m in needs.group(1).split(",") if importlib.util.find_spec(m.strip()) is None]
        if missing:
            pytest.skip(f"needs {', '.join(missing)}")
    code = compile(source, f"{page.name} line {line}", "exec")
    exec(code, {"__name__": "__docs__"})


def _links(page: Path) -> list:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)  # not in code blocks
    return re.findall(r"\]\(([^)\s]+)\)", text)


def _anchors(page: Path) -> set:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+\s+(.*)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_resolve(page):
    for link in _links(page):
        if re.match(r"[a-z]+://", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: link {link!r}: {target} does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"{page.name}: link {link!r}: no such heading in {target.name}"


def test_every_docs_page_is_linked_from_the_readme():
    """The README's Documentation list has one line per docs/ page (add yours there)."""
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in _links(README)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"docs pages not linked from README.md: {missing}"


#: References to documents a user does not have (the project's internal spec, issue tracker
#: or seed scripts): a page must state the rule itself.
NOT_STANDALONE = re.compile(r"\bSPEC\b|(?i:\bseed (module|code|script|\d{3})\b|\bthe seeds?\b|\bthe issue's\b|\bissue \d+)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pages_stand_alone(page):
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        assert not NOT_STANDALONE.search(line), f"{page.name}:{n}: cites a document users do not have: {line.strip()}"
