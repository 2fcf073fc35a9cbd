# Results are NumPy arrays (float32 from dequantize; int8 or uint8 from quantize_embeddings),
# or torch tensors when a tensor comes in; torch is not a dependency, hence ``Any``.
from typing import Any, Literal, Optional

import numpy as np
import numpy.typing as npt

_Quant = Literal["fp8", "int8", "uint8", "binary", "ubinary"]
_Precision = Literal["int8", "uint8", "binary", "ubinary"]

__all__ = ["calibration_ranges", "dequantize", "quantize_embeddings"]

QUANTS: tuple[str, ...]
PRECISIONS: tuple[str, ...]

def dequantize(
    q: Any,
    quant: _Quant,
    orig_dim: Optional[int] = None,
    *,
    ranges: Optional[Any] = None,
    out: Optional[npt.NDArray[np.float32]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def quantize_embeddings(
    x: Any,
    precision: _Precision,
    *,
    ranges: Optional[Any] = None,
    calibration_embeddings: Optional[Any] = None,
    out: Optional[npt.NDArray[np.int8] | npt.NDArray[np.uint8]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def calibration_ranges(embeddings: Any, *, threads: Optional[int] = None) -> Any: ...
