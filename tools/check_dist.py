#!/usr/bin/env python3
"""Check what a built wheel or sdist holds, against the source tree this script lives in.

    python tools/check_dist.py dist/*.whl dist/*.tar.gz       # compiled wheel + sdist
    python tools/check_dist.py --pure dist/*-none-any.whl      # FASTQUANT_NO_EXTENSION=1 wheel
    python tools/check_dist.py --auditwheel wheelhouse/*.whl   # also `auditwheel show`: manylinux
    python tools/check_dist.py --list dist/*.whl               # print the file listing too

Wheel: the tag fits the build (``py3-none-any`` for a pure one, an interpreter/platform tag
otherwise); one compiled module per ``csrc/*.pyx`` (in ``fastquant/_kernels`` and, for CPU
dispatch builds, any other ``fastquant/_kernels*`` package) or none at all when pure; every
``.py``, ``.pyi`` and ``py.typed`` of the source package; the license; and no build leftovers
(C sources, ``.pyx``/``.pxd``, objects, bytecode, ``build/`` paths, tests).
Sdist: every tracked file of ``csrc/``, ``fastquant/``, ``tests/``, ``bench/``, ``tools/``,
``docs/`` and the build files, and nothing generated (C files, compiled modules, caches, virtualenvs).
Exit status 1 and one line per problem when anything is off.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "fastquant"
SDIST_TREES = ("csrc", "fastquant", "tests", "bench", "tools", "docs")
SDIST_FILES = ("README.md", "LICENSE", "setup.py", "pyproject.toml", "MANIFEST.in", "PKG-INFO")
COMPILED_SUFFIXES = (".so", ".pyd")
LEFTOVER_SUFFIXES = (".c", ".cpp", ".h", ".pyx", ".pxd", ".o", ".obj", ".pyc", ".pyo", ".html")
LEFTOVER_PARTS = ("build", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".git")
WHEEL_NAME = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl")


def version() -> str:
    text = (ROOT / PACKAGE / "_version.py").read_text(encoding="utf-8")
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def source_files(*trees: str) -> list[str]:
    """Files of ``trees`` in the source tree: git's tracked files in a checkout, else a walk
    that skips what .gitignore would (caches, build products)."""
    try:
        out = subprocess.run(["git", "ls-files", "--", *trees], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        if out:
            return sorted(f for f in out if (ROOT / f).is_file())
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for tree in trees:
        for path in (ROOT / tree).rglob("*"):
            rel = path.relative_to(ROOT)
            if (path.is_file() and not set(rel.parts) & set(LEFTOVER_PARTS)
                    and path.suffix not in COMPILED_SUFFIXES + (".pyc", ".c")
                    and path.name != "_build_config.py"):
                found.append(rel.as_posix())
    return sorted(found)


def kernel_families() -> list[str]:
    return sorted(p.stem for p in (ROOT / "csrc").glob("*.pyx"))


def leftovers(names, allow_parts=()) -> list[str]:
    bad = []
    for name in names:
        p = PurePosixPath(name)
        if p.suffix in LEFTOVER_SUFFIXES or (set(p.parts[:-1]) & set(LEFTOVER_PARTS)) - set(allow_parts):
            bad.append(name)
    return bad


def check_wheel(path: Path, pure: bool) -> list[str]:
    problems = []
    m = WHEEL_NAME.fullmatch(path.name)
    if not m:
        return [f"{path.name}: not a wheel file name"]
    ver = version()
    if m["name"] != PACKAGE or m["version"] != ver:
        problems.append(f"{path.name}: expected {PACKAGE} {ver}")
    tag = f"{m['py']}-{m['abi']}-{m['plat']}"
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        info = f"{PACKAGE}-{m['version']}.dist-info"
        wheel_meta = zf.read(f"{info}/WHEEL").decode() if f"{info}/WHEEL" in names else ""
        metadata = zf.read(f"{info}/METADATA").decode() if f"{info}/METADATA" in names else ""
    if f"Version: {ver}\n" not in metadata:
        problems.append(f"{path.name}: METADATA does not say Version: {ver}")
    purelib = "Root-Is-Purelib: true" in wheel_meta
    compiled = sorted(n for n in names if n.endswith(COMPILED_SUFFIXES))
    if pure:
        if tag != "py3-none-any":
            problems.append(f"{path.name}: a pure build must be tagged py3-none-any, not {tag}")
        if not purelib:
            problems.append(f"{path.name}: a pure build must say Root-Is-Purelib: true")
        if compiled:
            problems.append(f"{path.name}: a pure build holds compiled modules {compiled}")
    else:
        if m["abi"] == "none" or m["plat"] == "any" or purelib:
            problems.append(f"{path.name}: tagged {tag} (pure) but should hold compiled kernels")
        for family in kernel_families():
            pattern = re.compile(rf"{PACKAGE}/_kernels/{family}\.[^/]*({'|'.join(COMPILED_SUFFIXES)})")
            if not any(pattern.fullmatch(n) for n in compiled):
                problems.append(f"{path.name}: no compiled kernel module for csrc/{family}.pyx")
        for name in compiled:
            p = PurePosixPath(name)
            if not (p.parts[0] == PACKAGE and p.parent.name.startswith("_kernels")
                    and any(re.fullmatch(rf"{f}(_\w+)?", p.name.split(".")[0]) for f in kernel_families())
                    ) and not p.parts[0].endswith(".libs"):
                problems.append(f"{path.name}: unexpected compiled file {name}")
    wanted = [f for f in source_files(PACKAGE) if f.endswith((".py", ".pyi", "py.typed"))]
    wanted.append(f"{PACKAGE}/_build_config.py")
    problems += [f"{path.name}: missing {f}" for f in wanted if f not in names]
    if not any(n.startswith(f"{info}/") and n.endswith("LICENSE") for n in names):
        problems.append(f"{path.name}: no LICENSE in {info}")
    problems += [f"{path.name}: build leftover {n}" for n in leftovers(names)]
    for name in names:
        top = name.split("/")[0]
        if top not in (PACKAGE, info, f"{PACKAGE}.libs"):
            problems.append(f"{path.name}: unexpected top-level entry {name}")
    return problems


def check_sdist(path: Path) -> list[str]:
    ver = version()
    prefix = f"{PACKAGE}-{ver}/"
    if not path.name == f"{PACKAGE}-{ver}.tar.gz":
        return [f"{path.name}: expected {PACKAGE}-{ver}.tar.gz"]
    with tarfile.open(path) as tf:
        members = [t.name for t in tf.getmembers() if t.isfile()]
    problems = [f"{path.name}: {n} lies outside {prefix}" for n in members if not n.startswith(prefix)]
    names = {n[len(prefix):] for n in members if n.startswith(prefix)}
    wanted = list(SDIST_FILES) + source_files(*[t for t in SDIST_TREES if (ROOT / t).exists()])
    problems += [f"{path.name}: missing {f}" for f in wanted if f not in names]
    for name in sorted(names):
        p = PurePosixPath(name)
        generated = (p.suffix in COMPILED_SUFFIXES + (".o", ".obj", ".pyc")
                     or (p.parts[0] == "csrc" and p.suffix in (".c", ".cpp", ".html"))
                     or p.name == "_build_config.py"
                     or set(p.parts[:-1]) & set(LEFTOVER_PARTS + (".venv",))
                     or any(part.startswith(".venv") for part in p.parts))
        if generated:
            problems.append(f"{path.name}: generated file {name}")
    return problems


def check_auditwheel(path: Path) -> list[str]:
    """``auditwheel show`` must find the wheel consistent with a manylinux tag it carries."""
    run = subprocess.run([sys.executable, "-m", "auditwheel", "show", str(path)],
                         capture_output=True, text=True)
    text = " ".join((run.stdout + run.stderr).split())
    if run.returncode:
        return [f"{path.name}: auditwheel show failed: {text}"]
    m = re.search(r'consistent with the following platform tag: "([^"]+)"', text)
    if not m:
        return [f"{path.name}: auditwheel show gave no platform tag: {text}"]
    plat = WHEEL_NAME.fullmatch(path.name)["plat"].split(".")
    problems = []
    if not any(t.startswith("manylinux") for t in plat):
        problems.append(f"{path.name}: no manylinux platform tag")
    if m[1] not in plat:
        problems.append(f"{path.name}: auditwheel says {m[1]}, the file name says {plat}")
    print(f"{path.name}: auditwheel: consistent with {m[1]}")
    return problems


def listing(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            print(f"  {info.file_size:>9}  {info.filename}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dists", nargs="+", type=Path, help="wheel (.whl) and sdist (.tar.gz) files")
    parser.add_argument("--pure", action="store_true", help="wheels are FASTQUANT_NO_EXTENSION=1 builds")
    parser.add_argument("--auditwheel", action="store_true", help="also run `auditwheel show` on wheels")
    parser.add_argument("--list", action="store_true", help="print each wheel's files")
    args = parser.parse_args(argv)
    problems = []
    for dist in args.dists:
        if dist.suffix == ".whl":
            found = check_wheel(dist, args.pure)
            if args.auditwheel:
                found += check_auditwheel(dist)
            if args.list:
                print(f"{dist.name}:")
                listing(dist)
        elif dist.name.endswith(".tar.gz"):
            found = check_sdist(dist)
        else:
            found = [f"{dist}: neither a wheel nor an sdist"]
        print(f"{dist.name}: {'OK' if not found else f'{len(found)} problem(s)'}")
        problems += found
    for line in problems:
        print("  " + line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
