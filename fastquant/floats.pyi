# Results are NumPy arrays (uint8 codes, float32 values), or torch tensors when a tensor comes
# in; torch is not a dependency, hence ``Any`` where a tensor may be returned.
from types import MappingProxyType
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from ._minifloats import FloatFormat as FloatFormat

__all__ = [
    "encode",
    "decode",
    "quantize_mx",
    "dequantize_mx",
    "pack_nibbles",
    "unpack_nibbles",
    "format_of",
    "FORMATS",
    "MX_FORMATS",
    "FloatFormat",
]

FORMATS: MappingProxyType[str, FloatFormat]
MX_FORMATS: tuple[str, ...]

def format_of(fmt: Any, name: str = "fmt") -> FloatFormat: ...
def encode(
    x: Any,
    fmt: Any,
    *,
    saturate: bool = False,
    out: Optional[npt.NDArray[np.uint8]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def decode(
    codes: Any,
    fmt: Any,
    *,
    out: Optional[npt.NDArray[np.float32]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def quantize_mx(
    x: Any,
    fmt: Any,
    *,
    block_size: int = 32,
    axis: int = -1,
    threads: Optional[int] = None,
) -> tuple[Any, Any]: ...
def dequantize_mx(
    codes: Any,
    scales: Any,
    fmt: Any,
    *,
    block_size: int = 32,
    axis: int = -1,
    out: Optional[npt.NDArray[np.float32]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def pack_nibbles(
    codes: Any,
    *,
    out: Optional[npt.NDArray[np.uint8]] = None,
    threads: Optional[int] = None,
) -> Any: ...
def unpack_nibbles(
    packed: Any,
    n: Optional[int] = None,
    *,
    out: Optional[npt.NDArray[np.uint8]] = None,
    threads: Optional[int] = None,
) -> Any: ...
