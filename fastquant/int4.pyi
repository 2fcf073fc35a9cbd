from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from ._typing import ArrayIn, FloatLike, IntLike, TensorT

__all__ = [
    "quantize_to_int4",
    "dequantize_from_int4",
    "pack_int4_to_int8",
    "unpack_int8_to_int4",
    "quantize_to_packed_int4",
    "dequantize_packed_int4",
]

SCALE_METHODS: tuple[str, ...]

_ScaleMethod = Literal["minmax", "absmax", "asymmetric"]
_Int8 = npt.NDArray[np.int8]
_F32 = npt.NDArray[np.float32]

@overload
def quantize_to_int4(values: TensorT, scale_method: _ScaleMethod = "minmax", *, threads: int | None = None) -> tuple[TensorT, float, int]: ...
@overload
def quantize_to_int4(values: ArrayIn, scale_method: _ScaleMethod = "minmax", *, threads: int | None = None) -> tuple[_Int8, float, int]: ...
@overload
def dequantize_from_int4(q: TensorT, scale: FloatLike, zero_point: IntLike = 0, *, out: Any = None, threads: int | None = None) -> TensorT: ...
@overload
def dequantize_from_int4(q: ArrayIn, scale: FloatLike, zero_point: IntLike = 0, *, out: _F32 | None = None, threads: int | None = None) -> _F32: ...
@overload
def pack_int4_to_int8(values: TensorT, *, out: Any = None, threads: int | None = None) -> TensorT: ...
@overload
def pack_int4_to_int8(values: ArrayIn, *, out: _Int8 | None = None, threads: int | None = None) -> _Int8: ...
@overload
def unpack_int8_to_int4(packed: TensorT, n: int | None = None, *, out: Any = None, threads: int | None = None) -> TensorT: ...
@overload
def unpack_int8_to_int4(packed: ArrayIn, n: int | None = None, *, out: _Int8 | None = None, threads: int | None = None) -> _Int8: ...
@overload
def quantize_to_packed_int4(
    values: TensorT, scale_method: _ScaleMethod = "minmax", *, out: Any = None, threads: int | None = None
) -> tuple[TensorT, float, int]: ...
@overload
def quantize_to_packed_int4(
    values: ArrayIn, scale_method: _ScaleMethod = "minmax", *, out: _Int8 | None = None, threads: int | None = None
) -> tuple[_Int8, float, int]: ...
@overload
def dequantize_packed_int4(
    packed: TensorT, scale: FloatLike, zero_point: IntLike = 0, n: int | None = None, *, out: Any = None, threads: int | None = None
) -> TensorT: ...
@overload
def dequantize_packed_int4(
    packed: ArrayIn, scale: FloatLike, zero_point: IntLike = 0, n: int | None = None, *, out: _F32 | None = None, threads: int | None = None
) -> _F32: ...
