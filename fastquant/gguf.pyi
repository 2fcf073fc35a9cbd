import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "dequantize",
    "quantize",
    "quant_shape_to_byte_shape",
    "quant_shape_from_byte_shape",
    "QUANT_SIZES",
    "GGMLType",
    "qtype_of",
]

# A qtype: a gguf.GGMLQuantizationType member (an IntEnum), its integer id, or its name.
_QType = int | str | GGMLType

@dataclasses.dataclass(frozen=True)
class GGMLType:
    name: str
    id: int
    block_size: int
    type_size: int
    @property
    def kernel_suffix(self) -> str: ...

DECODE_TYPES: tuple[str, ...]
ENCODE_TYPES: tuple[str, ...]

def qtype_of(qtype: Any, name: str = "qtype") -> GGMLType: ...

class _QuantSizes(Mapping[int, tuple[int, int]]):
    def __getitem__(self, key: Any) -> tuple[int, int]: ...
    def __iter__(self) -> Iterator[int]: ...
    def __len__(self) -> int: ...

QUANT_SIZES: _QuantSizes

def quant_shape_to_byte_shape(shape: Sequence[int], quant_type: _QType) -> tuple[int, ...]: ...
def quant_shape_from_byte_shape(shape: Sequence[int], quant_type: _QType) -> tuple[int, ...]: ...
def dequantize(
    data: npt.ArrayLike, qtype: _QType, *, out: np.ndarray | None = None, threads: int | None = None
) -> Any: ...
def quantize(
    data: npt.ArrayLike, qtype: _QType, *, out: np.ndarray | None = None, threads: int | None = None
) -> Any: ...
