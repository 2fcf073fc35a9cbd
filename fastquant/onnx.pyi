# ONNX QuantizeLinear / DequantizeLinear (SPEC 9). Results are NumPy arrays of the dtype
# onnx.numpy_helper.to_array gives the code type (ml_dtypes dtypes for sub-byte and float codes).
from typing import Any, NamedTuple, Optional

import numpy as np

__all__ = [
    "quantize_linear",
    "dequantize_linear",
    "dynamic_quantize_linear",
    "to_raw",
    "from_raw",
    "code_type",
    "CODE_TYPES",
    "CodeType",
]

class CodeType(NamedTuple):
    name: str
    enum: int
    bits: int
    qmin: int | None
    qmax: int | None
    dtype: np.dtype
    float_format: str | None
    @property
    def is_float(self) -> bool: ...

CODE_TYPES: dict[str, CodeType]

def code_type(value: Any, name: str = "value") -> CodeType: ...
def quantize_linear(
    x: Any,
    y_scale: Any,
    y_zero_point: Any = None,
    *,
    axis: int = 1,
    block_size: int = 0,
    output_dtype: Any = None,
    saturate: bool = True,
    out: Optional[np.ndarray] = None,
    threads: Optional[int] = None,
) -> np.ndarray: ...
def dequantize_linear(
    x: Any,
    x_scale: Any,
    x_zero_point: Any = None,
    *,
    axis: int = 1,
    block_size: int = 0,
    out: Optional[np.ndarray] = None,
    threads: Optional[int] = None,
) -> np.ndarray: ...
def dynamic_quantize_linear(x: Any, *, threads: Optional[int] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def to_raw(codes: np.ndarray) -> bytes: ...
def from_raw(raw: Any, onnx_type: Any, shape: Any) -> np.ndarray: ...
