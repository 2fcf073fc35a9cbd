"""Build script: compiles every ``csrc/<family>.pyx`` into ``fastquant._kernels.<family>``.

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
        for ext in self.extensions:
            ext.extra_compile_args = list(MSVC_FLAGS if msvc else GCC_LIKE_FLAGS)
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
    exts = [
        Extension(
            f"fastquant._kernels.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
            include_dirs=[numpy.get_include(), "csrc"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        )
        for pyx in sources
    ]
    return cythonize(
        exts,
        build_dir="build/cython",
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


if NO_EXTENSION:
    print("fastquant: FASTQUANT_NO_EXTENSION=1, building the pure NumPy package", file=sys.stderr)
    setup(ext_modules=[], cmdclass={"build_py": BuildPy})
else:
    setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt, "build_py": BuildPy})
