# Public signatures of fastquant.gguf (SPEC section 7): a drop-in for gguf-py's gguf.quants.
# A qtype (typed Any) is a gguf.GGMLQuantizationType member (an IntEnum), its integer id, its
# name, or a GGMLType.
# Array results are NumPy arrays, or torch tensors when ``data`` is one (hence ``Any``).
from collections.abc import Mapping, Sequence
from typing import Any, Iterator, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "dequantize",
    "quantize",
    "quant_shape_to_byte_shape",
    "quant_shape_from_byte_shape",
    "QUANT_SIZES",
    "GGMLType",
    "qtype_of",
]

class GGMLType:
    __match_args__ = ("name", "id", "block_size", "type_size")
    name: str
    id: int
    block_size: int
    type_size: int
    def __init__(self, name: str, id: int, block_size: int, type_size: int) -> None: ...
    @property
    def kernel_suffix(self) -> str: ...


DECODE_TYPES: Tuple[str, ...]
ENCODE_TYPES: Tuple[str, ...]

def qtype_of(qtype: Any, name: str = "qtype") -> GGMLType: ...

class _QuantSizes(Mapping[Any, Tuple[int, int]]):
    def __getitem__(self, key: Any) -> Tuple[int, int]: ...
    def __iter__(self) -> Iterator[int]: ...
    def __len__(self) -> int: ...

QUANT_SIZES: _QuantSizes

def quant_shape_to_byte_shape(shape: Sequence[int], quant_type: Any) -> Tuple[int, ...]: ...
def quant_shape_from_byte_shape(shape: Sequence[int], quant_type: Any) -> Tuple[int, ...]: ...
def dequantize(data: ArrayLike, qtype: Any, *, out: Optional[NDArray[np.float32]] = None,
               threads: Optional[int] = None) -> Any: ...
def quantize(data: ArrayLike, qtype: Any, *, out: Optional[np.ndarray] = None,
             threads: Optional[int] = None) -> Any: ...
