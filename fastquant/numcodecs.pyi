from abc import ABCMeta
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from numcodecs.abc import Codec

__all__ = [
    "FastquantCodec",
    "ElementwiseCodec",
    "RowCodec",
    "Affine",
    "Int4",
    "Int8",
    "UInt8",
    "Binary",
    "UBinary",
    "Int8Ranges",
    "UInt8Ranges",
    "GGUF",
    "GGUF_TYPES",
    "Minifloat",
    "MX",
    "CODECS",
    "register_codecs",
]

_F32Array = npt.NDArray[np.float32]

class FastquantCodec(Codec, metaclass=ABCMeta):
    codec_id: ClassVar[str | None]  # type: ignore[misc]
    config_keys: ClassVar[tuple[str, ...]]
    @property
    def code_dtype(self) -> np.dtype[Any]: ...
    def quantize(self, x: npt.NDArray[Any]) -> npt.NDArray[Any]: ...
    def dequantize(self, codes: npt.NDArray[Any]) -> _F32Array: ...
    def encoded_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]: ...
    def get_config(self) -> dict[str, Any]: ...
    def encode(self, buf: Any) -> npt.NDArray[Any]: ...
    def decode(self, buf: Any, out: Any = None) -> Any: ...

class ElementwiseCodec(FastquantCodec):
    def encoded_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]: ...

class RowCodec(FastquantCodec):
    dim: int
    whole_axis: ClassVar[bool]
    def row_length(self, dim: int) -> int: ...
    def encoded_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]: ...

class Affine(ElementwiseCodec):
    codec_id: ClassVar[str]  # type: ignore[misc]
    scale: float
    zero_point: int
    n_bits: int
    signed: bool
    def __init__(self, scale: float, zero_point: int = 0, n_bits: int = 8, signed: bool = True) -> None: ...

class _Embedding8(ElementwiseCodec):
    precision: ClassVar[str]

class Int8(_Embedding8):
    codec_id: ClassVar[str]  # type: ignore[misc]

class UInt8(_Embedding8):
    codec_id: ClassVar[str]  # type: ignore[misc]

class _SignBits(RowCodec):
    precision: ClassVar[str]
    def __init__(self, dim: int) -> None: ...

class Binary(_SignBits):
    codec_id: ClassVar[str]  # type: ignore[misc]

class UBinary(_SignBits):
    codec_id: ClassVar[str]  # type: ignore[misc]

class Int4(RowCodec):
    codec_id: ClassVar[str]  # type: ignore[misc]
    scale: float | None
    zero_point: int
    scale_method: str
    def __init__(self, dim: int, scale: float | None = None, zero_point: int = 0, scale_method: str = "minmax") -> None: ...

class _Ranges8(RowCodec):
    precision: ClassVar[str]
    ranges: list[list[float]]
    def __init__(self, ranges: Any) -> None: ...
    @property
    def dim(self) -> int: ...  # type: ignore[override]

class Int8Ranges(_Ranges8):
    codec_id: ClassVar[str]  # type: ignore[misc]

class UInt8Ranges(_Ranges8):
    codec_id: ClassVar[str]  # type: ignore[misc]

GGUF_TYPES: tuple[str, ...]

class GGUF(RowCodec):
    codec_id: ClassVar[str]  # type: ignore[misc]
    qtype: str
    def __init__(self, dim: int, qtype: Any) -> None: ...

class Minifloat(ElementwiseCodec):
    codec_id: ClassVar[str]  # type: ignore[misc]
    fmt: str
    saturate: bool
    def __init__(self, fmt: Any, saturate: bool = False) -> None: ...

class MX(RowCodec):
    codec_id: ClassVar[str]  # type: ignore[misc]
    fmt: str
    block_size: int
    def __init__(self, dim: int, fmt: Any = "float8_e4m3fn", block_size: int = 32) -> None: ...

CODECS: dict[str, type[FastquantCodec]]

def register_codecs() -> None: ...
