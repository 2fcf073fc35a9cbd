# The compiled affine kernels (csrc/affine.pyx); fastquant/_twins/affine.py has the same signatures.
# Arrays come as (outer, C, inner) blocks of the dtypes the public wrappers guarantee.
import numpy as np

__all__ = ["affine_quantize", "affine_dequantize"]

def affine_quantize(
    src: np.ndarray, out: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, qmin: int, qmax: int
) -> int: ...
def affine_dequantize(src: np.ndarray, out: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, stream: bool = False) -> None: ...
