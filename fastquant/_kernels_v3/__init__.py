"""The x86-64-v3 (AVX2) build of ``fastquant._kernels``: same modules, same kernels, built
from the same ``csrc/*.pyx`` with AVX2-level flags. Imported only when the running CPU has
those features (see ``fastquant._backend``)."""
