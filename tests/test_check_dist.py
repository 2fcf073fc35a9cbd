"""tools/check_dist.py, the gate CI puts on every wheel and sdist, must catch what it claims to:
a complete fake distribution passes, and each kind of defect is reported."""

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "check_dist.py"
if not SCRIPT.is_file():
    pytest.skip(f"{SCRIPT} is not here (tests copied without tools/)", allow_module_level=True)
_spec = importlib.util.spec_from_file_location("check_dist", SCRIPT)
cd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cd)

VER = cd.version()
COMPILED_TAG = "cp311-cp311-linux_x86_64"


def wheel_files(pure: bool, dispatch=cd.DISPATCH_PACKAGES) -> dict:
    info = f"fastquant-{VER}.dist-info"
    files = {f: b"" for f in cd.source_files("fastquant") if f.endswith((".py", ".pyi", "py.typed"))}
    files["fastquant/_build_config.py"] = f"NO_EXTENSION = {pure}\n".encode()
    if not pure:
        for family in cd.kernel_families():
            files[f"fastquant/_kernels/{family}.cpython-311-x86_64-linux-gnu.so"] = b"\x7fELF"
            for package in dispatch if not family.startswith("_") else ():
                files[f"fastquant/{package}/{family}.cpython-311-x86_64-linux-gnu.so"] = b"\x7fELF"
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.4\nName: fastquant\nVersion: {VER}\n".encode()
    files[f"{info}/WHEEL"] = f"Root-Is-Purelib: {'true' if pure else 'false'}\n".encode()
    files[f"{info}/licenses/LICENSE"] = b"MIT"
    return files


def write_wheel(tmp_path, files: dict, tag: str) -> Path:
    path = tmp_path / f"fastquant-{VER}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def write_sdist(tmp_path, names) -> Path:
    path = tmp_path / f"fastquant-{VER}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name in names:
            info = tarfile.TarInfo(f"fastquant-{VER}/{name}")
            tf.addfile(info, io.BytesIO(b""))
    return path


def sdist_names() -> list:
    trees = [t for t in cd.SDIST_TREES if (cd.ROOT / t).exists()]
    return list(cd.SDIST_FILES) + cd.source_files(*trees)


@pytest.mark.parametrize("pure,tag", [(False, COMPILED_TAG), (True, "py3-none-any")])
def test_complete_wheel_passes(tmp_path, pure, tag):
    assert cd.check_wheel(write_wheel(tmp_path, wheel_files(pure), tag), pure) == []


@pytest.mark.parametrize("defect,expect", [
    (lambda f: f.update({"fastquant/_kernels/int4.c": b""}), "build leftover"),
    (lambda f: f.update({"build/lib/fastquant/x.py": b""}), "build leftover"),
    (lambda f: f.update({"tests/test_int4.py": b""}), "unexpected top-level"),
    (lambda f: f.pop("fastquant/int4.pyi"), "missing fastquant/int4.pyi"),
    (lambda f: f.pop("fastquant/py.typed"), "missing fastquant/py.typed"),
    (lambda f: [f.pop(k) for k in list(f) if k.endswith(".so")], "no compiled kernel module"),
    (lambda f: [f.pop(k) for k in list(f) if k.endswith("LICENSE")], "no LICENSE"),
])
def test_wheel_defects_are_reported(tmp_path, defect, expect):
    files = wheel_files(pure=False)
    defect(files)
    problems = cd.check_wheel(write_wheel(tmp_path, files, COMPILED_TAG), pure=False)
    assert any(expect in p for p in problems), problems


@pytest.mark.parametrize("package", cd.DISPATCH_PACKAGES)
def test_x86_64_wheels_must_carry_every_cpu_build(tmp_path, package):
    files = wheel_files(pure=False)
    files.pop(f"fastquant/{package}/int4.cpython-311-x86_64-linux-gnu.so")
    for tag in (COMPILED_TAG, "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
                "cp311-cp311-macosx_10_9_x86_64"):
        problems = cd.check_wheel(write_wheel(tmp_path, files, tag), pure=False)
        assert any(f"no {package} build of csrc/int4.pyx" in p for p in problems), (tag, problems)


@pytest.mark.parametrize("tag", ["cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
                                 "cp311-cp311-win_amd64", "cp311-cp311-macosx_11_0_arm64",
                                 "cp311-cp311-macosx_10_9_universal2"])
def test_other_platforms_carry_the_baseline_only(tmp_path, tag):
    assert cd.check_wheel(write_wheel(tmp_path, wheel_files(False, dispatch=()), tag), pure=False) == []


def test_pure_wheel_must_be_untagged_and_kernel_free(tmp_path):
    compiled = write_wheel(tmp_path, wheel_files(pure=False), COMPILED_TAG)
    problems = cd.check_wheel(compiled, pure=True)
    assert any("py3-none-any" in p for p in problems) and any("compiled modules" in p for p in problems)
    pure = write_wheel(tmp_path, wheel_files(pure=True), "py3-none-any")
    assert any("should hold compiled kernels" in p for p in cd.check_wheel(pure, pure=False))


def test_complete_sdist_passes(tmp_path):
    assert cd.check_sdist(write_sdist(tmp_path, sdist_names())) == []


@pytest.mark.parametrize("change,expect", [
    (lambda n: n.remove("csrc/int4.pyx"), "missing csrc/int4.pyx"),
    (lambda n: n.remove("LICENSE"), "missing LICENSE"),
    (lambda n: n.remove("tests/conftest.py"), "missing tests/conftest.py"),
    (lambda n: n.append("csrc/int4.c"), "generated file csrc/int4.c"),
    (lambda n: n.append("fastquant/_kernels/int4.cpython-311-x86_64-linux-gnu.so"), "generated file"),
    (lambda n: n.append("fastquant/__pycache__/int4.cpython-311.pyc"), "generated file"),
])
def test_sdist_defects_are_reported(tmp_path, change, expect):
    names = sdist_names()
    change(names)
    problems = cd.check_sdist(write_sdist(tmp_path, names))
    assert any(expect in p for p in problems), problems
