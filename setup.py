"""Build script: compiles every ``csrc/<family>.pyx`` into ``fastquant._kernels.<family>``.

``FASTQUANT_NO_EXTENSION=1`` builds a pure-Python package that runs on the NumPy twins.
Otherwise a compile error fails the build: a broken compiler must never silently give a slow
package.
"""

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
NO_EXTENSION = os.environ.get("FASTQUANT_NO_EXTENSION", "") == "1"

# Portable flags only: no -march=native (a wheel must run on every CPU its tag names),
# no -ffast-math (rounding and division must stay bit-identical to the NumPy twins), and
# no fused multiply-add contraction that NumPy would not do.
GCC_LIKE_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]
MSVC_FLAGS = ["/O2", "/fp:precise"]


class BuildExt(build_ext):
    """Pick optimisation flags by the compiler actually used, not by the platform name."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        for ext in self.extensions:
            ext.extra_compile_args = list(MSVC_FLAGS if msvc else GCC_LIKE_FLAGS)
        super().build_extensions()


def extensions():
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension

    exts = [
        Extension(
            f"fastquant._kernels.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
            include_dirs=[numpy.get_include(), "csrc"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        )
        for pyx in sorted((HERE / "csrc").glob("*.pyx"))
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
    setup(ext_modules=[])
else:
    setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
