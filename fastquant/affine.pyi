# Public signatures of fastquant.affine. Array results are NumPy arrays, or torch tensors when
# ``x`` / ``x_q`` is one (torch is never a dependency, hence ``Any``).
from typing import Any, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["affine_qparams", "quantize_func", "dequantize_func", "code_range"]

def code_range(n_bits: int = 8, *, signed: bool = True) -> Tuple[int, int]: ...
def affine_qparams(alpha: float, beta: float, n_bits: int = 8, *, signed: bool = True) -> Tuple[float, int]: ...
def quantize_func(
    x: ArrayLike,
    scales: ArrayLike,
    zero_point: ArrayLike,
    n_bits: int = 8,
    *,
    axis: Optional[int] = None,
    signed: bool = True,
    out: Optional[NDArray[np.integer]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def dequantize_func(
    x_q: ArrayLike,
    scales: ArrayLike,
    zero_point: ArrayLike,
    *,
    axis: Optional[int] = None,
    out: Optional[NDArray[np.float32]] = None,
    threads: Optional[int] = None,
) -> Any: ...
