"""The x86-64-v4 (AVX-512) build of ``fastquant._kernels``: same modules, same kernels, built
from the same ``csrc/*.pyx`` with the v3 flags plus AVX-512 F/BW/CD/DQ/VL. Imported only when
the running CPU has those features and the OS saves the AVX-512 state (see
``fastquant._backend``)."""
