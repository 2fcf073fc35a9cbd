"""Build script: compiles every ``csrc/<family>.pyx`` into ``fastquant._kernels.<family>``
(portable baseline) and, for x86-64 targets built by GCC or clang, twice more: into
``fastquant._kernels_v3.<family>`` (x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE) and
``fastquant._kernels_v4.<family>`` (x86-64-v4: the v3 set plus AVX-512 F/BW/CD/DQ/VL).
``fastquant._backend`` picks one at import from the running CPU's (and OS's) features, which
the tiny ``csrc/_cpu.pyx`` probe (compiled once, baseline) reports. Files starting with ``_``
are not families and are compiled once.

``FASTQUANT_NO_EXTENSION=1`` builds a pure-Python package (a ``py3-none-any`` wheel) that runs
on the NumPy twins. Otherwise the kernels must compile: a missing compiler, a missing
``csrc/`` or a compile error fails the build, so a broken toolchain never silently gives a
slow package.

Every wheel gets a generated ``fastquant/_build_config.py`` that records how it was built, so
an installed package can say why it runs on NumPy (``fastquant._backend.WHY_NOT_COMPILED``).
"""

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.errors import CCompilerError, ExecError, PlatformError

HERE = Path(__file__).parent
NO_EXTENSION = os.environ.get("FASTQUANT_NO_EXTENSION", "") == "1"

# Portable flags only: no -march=native (a wheel must run on every CPU its tag names),
# no -ffast-math (rounding and division must stay bit-identical to the NumPy twins), and
# no fused multiply-add contraction that NumPy would not do.
GCC_LIKE_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]
MSVC_FLAGS = ["/O2", "/fp:precise"]
# The x86-64-v3 feature set, spelled out (works on every GCC/clang, unlike -march=x86-64-v3
# before GCC 11); _cpu.pyx checks exactly these at run time. FMA may be *used* by intrinsics
# but never by contraction (-ffp-contract=off above), so results stay bit-identical.
V3_FLAGS = ["-mavx2", "-mfma", "-mbmi", "-mbmi2", "-mf16c", "-mlzcnt", "-mmovbe", "-mpopcnt"]
V3_PACKAGE = "fastquant._kernels_v3"
# x86-64-v4 as the x86-64 psABI defines the level: the v3 set plus AVX-512 F, BW, CD, DQ and
# VL, spelled out (GCC < 11 has no -march=x86-64-v4). Nothing beyond the level (no VBMI,
# VNNI, BF16, GFNI): the build runs on every AVX-512 CPU since Skylake-SP, and _cpu.pyx checks
# exactly these features plus the OS's AVX-512 state (XCR0 opmask/ZMM bits) at run time.
V4_FLAGS = V3_FLAGS + ["-mavx512f", "-mavx512bw", "-mavx512cd", "-mavx512dq", "-mavx512vl"]
# tools/sanitize.sh only: extra flags for this build alone (see the GCC < 14 note there)
V4_FLAGS += os.environ.get("FASTQUANT_V4_EXTRA_CFLAGS", "").split()
V4_PACKAGE = "fastquant._kernels_v4"
#: The CPU-dispatch builds on x86-64 (GCC/clang): package, extra flags, Cython build dir.
DISPATCH_BUILDS = ((V3_PACKAGE, V3_FLAGS, "build/cython-v3"), (V4_PACKAGE, V4_FLAGS, "build/cython-v4"))


def builds_v3() -> bool:
    """Whether the target (not the build machine's CPU) is x86-64: cross builds (macOS arm64,
    universal2) set the target platform through sysconfig/_PYTHON_HOST_PLATFORM."""
    import sysconfig

    plat = sysconfig.get_platform().lower()
    return plat.endswith(("x86_64", "amd64")) and "universal" not in plat

NO_COMPILER_HINT = (
    "fastquant: compiling the Cython kernels failed ({error}).\n"
    "Install a C compiler (gcc/clang, or MSVC Build Tools on Windows) and retry, or build the\n"
    "pure NumPy package (same results, much slower) with FASTQUANT_NO_EXTENSION=1."
)


class BuildExt(build_ext):
    """Pick optimisation flags by the compiler actually used, not by the platform name, and
    turn a missing or broken compiler into one clear error."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        if msvc:  # MSVC gets the baseline only (its /arch:AVX2 may contract multiply-adds)
            self.extensions = [e for e in self.extensions
                               if not e.name.startswith(tuple(p + "." for p, _, _ in DISPATCH_BUILDS))]
        for ext in self.extensions:
            ext.extra_compile_args = list(MSVC_FLAGS if msvc else GCC_LIKE_FLAGS)
            for package, flags, _ in DISPATCH_BUILDS:
                if ext.name.startswith(package + "."):
                    ext.extra_compile_args += flags
        try:
            super().build_extensions()
        except (CCompilerError, ExecError, PlatformError, OSError) as exc:
            raise PlatformError(NO_COMPILER_HINT.format(error=exc)) from exc


class BuildPy(build_py):
    """Also write ``fastquant/_build_config.py`` into the build tree (never the source tree)."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, "fastquant", "_build_config.py")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            '"""Written by setup.py when this package was built; absent in a source tree."""\n\n'
            f"#: True when built with FASTQUANT_NO_EXTENSION=1 (no compiled kernels, NumPy only).\n"
            f"NO_EXTENSION = {NO_EXTENSION!r}\n",
            encoding="utf-8",
        )

    def get_outputs(self, include_bytecode=1):
        outputs = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs.append(str(Path(self.build_lib, "fastquant", "_build_config.py")))
        return outputs


def extensions():
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension

    sources = sorted((HERE / "csrc").glob("*.pyx"))
    if not sources:
        # An sdist without csrc/ would otherwise give a wheel without kernels.
        raise PlatformError(
            f"fastquant: no csrc/*.pyx next to {Path(__file__).name}; the source tree is "
            "incomplete (set FASTQUANT_NO_EXTENSION=1 to build the pure NumPy package)"
        )

    def ext(package, pyx):
        return Extension(
            f"{package}.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
            include_dirs=[numpy.get_include(), "csrc"],
            # shared headers: rebuild when they change, and ship them in the sdist
            depends=[str(p.relative_to(HERE)) for pattern in ("*.pxd", "*.h")
                     for p in sorted((HERE / "csrc").glob(pattern))],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        )

    families = [pyx for pyx in sources if not pyx.name.startswith("_")]
    options = dict(
        include_path=["csrc"],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "cdivision": True,
            "embedsignature": True,
        },
    )
    # One .pyx gives three modules: each build gets its own build_dir, so the generated .c
    # files (which carry the full module name) never overwrite each other.
    exts = cythonize([ext("fastquant._kernels", pyx) for pyx in sources], build_dir="build/cython", **options)
    if builds_v3():
        for package, _, build_dir in DISPATCH_BUILDS:
            exts += cythonize([ext(package, pyx) for pyx in families], build_dir=build_dir, **options)
    return exts


if NO_EXTENSION:
    print("fastquant: FASTQUANT_NO_EXTENSION=1, building the pure NumPy package", file=sys.stderr)
    setup(ext_modules=[], cmdclass={"build_py": BuildPy})
else:
    setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt, "build_py": BuildPy})
