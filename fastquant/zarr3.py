"""fastquant's codecs as Zarr format 3 array-to-array codecs (SPEC section 11).

Each class here wraps the numcodecs codec of the same name in :mod:`fastquant.numcodecs`
(one implementation for both formats) as a :class:`zarr.abc.codec.ArrayArrayCodec` named
``fastquant.<name>`` in the array metadata, the id the numcodecs codec has in format 2.
Zarr finds them by that name through the ``zarr.codecs`` entry point group, so an array
written with them opens with nothing but ``zarr.open``; importing this module registers them
by hand (for a source checkout without installed entry points).

The codes are what the numcodecs codec stores, with their shape: an element-wise codec keeps
the chunk's shape and gives the codes' dtype; a row codec (``Int4``, ``Binary``, ``UBinary``,
``GGUF``, ``MX``, ``Int8Ranges``, ``UInt8Ranges``) turns the last axis into ``row_length(dim)`` codes.
``dim`` may be left out here: it is taken from the array's last axis when the array is created.
Arrays must be float32, and a row codec's chunks must hold the last axis whole
(``chunks[-1] == dim``; for the calibrated codecs the array's last axis is ``dim`` too, one
range per value). Needs zarr >= 3.1.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from zarr.abc.codec import ArrayArrayCodec
from zarr.core.chunk_grids import RegularChunkGrid
from zarr.core.common import parse_named_configuration
from zarr.dtype import parse_dtype
from zarr.registry import register_codec

from . import numcodecs as _nc

if TYPE_CHECKING:
    from typing import Self

    from zarr.core.array_spec import ArraySpec
    from zarr.core.buffer import NDBuffer

__all__ = ["FastquantZarr3Codec", "Affine", "Int4", "Int8", "UInt8", "Binary", "UBinary", "Int8Ranges", "UInt8Ranges",
           "GGUF", "Minifloat", "MX", "CODECS", "register_codecs"]


@dataclass(frozen=True)
class FastquantZarr3Codec(ArrayArrayCodec):
    """A numcodecs codec of :mod:`fastquant.numcodecs` as a Zarr format 3 array-to-array codec;
    a subclass only names the numcodecs class (``numcodec``)."""

    numcodec: ClassVar[type[_nc.FastquantCodec]]
    is_fixed_size = True
    configuration: dict

    def __init__(self, **configuration: Any) -> None:
        if "dim" in self.numcodec.config_keys and configuration.get("dim") is None:
            configuration.pop("dim", None)  # filled in from the array (evolve_from_array_spec)
            codec = None
        else:
            codec = self.numcodec(**configuration)
            configuration = {k: v for k, v in codec.get_config().items() if k != "id"}
        object.__setattr__(self, "configuration", configuration)
        object.__setattr__(self, "_codec_or_none", codec)

    @property
    def codec(self) -> _nc.FastquantCodec:
        """The numcodecs codec doing the work."""
        codec = self._codec_or_none
        if codec is None:
            raise ValueError(f"dim: {self.numcodec.codec_id} needs the length of the chunks' last axis, got none")
        return codec

    @classmethod
    def from_dict(cls, data: dict) -> Self:
        _, configuration = parse_named_configuration(data, cls.numcodec.codec_id, require_configuration=False)
        return cls(**(configuration or {}))

    def to_dict(self) -> dict:
        return {"name": self.numcodec.codec_id, "configuration": dict(self.configuration)}

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> Self:
        if self._codec_or_none is None and array_spec.shape:
            return type(self)(**self.configuration, dim=array_spec.shape[-1])
        return self

    def validate(self, *, shape, dtype, chunk_grid) -> None:
        native = dtype.to_native_dtype()
        if native != np.dtype(np.float32):
            raise ValueError(
                f"dtype: {self.numcodec.codec_id} stores float32 arrays (it decodes to float32), got {native}"
            )
        codec = self.codec
        if not isinstance(codec, _nc.RowCodec):
            return
        if codec.whole_axis and (not shape or shape[-1] != codec.dim):
            raise ValueError(
                f"shape: {self.numcodec.codec_id} has one range per value of the last axis and needs "
                f"arrays whose last axis is dim={codec.dim}, got shape {tuple(shape)}"
            )
        if isinstance(chunk_grid, RegularChunkGrid):
            chunks = chunk_grid.chunk_shape
            if not chunks or chunks[-1] != codec.dim:
                raise ValueError(
                    f"chunks: {self.numcodec.codec_id} codes the last axis whole and needs chunks whose "
                    f"last axis is dim={codec.dim}, got chunks {chunks}"
                )

    def resolve_metadata(self, chunk_spec: ArraySpec) -> ArraySpec:
        codec = self.codec
        dtype = parse_dtype(codec.code_dtype, zarr_format=3)
        return replace(chunk_spec, shape=codec.encoded_shape(chunk_spec.shape), dtype=dtype,
                       fill_value=dtype.cast_scalar(0))

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        codec = self.codec
        return math.prod(codec.encoded_shape(chunk_spec.shape)) * codec.code_dtype.itemsize

    def _encode(self, chunk: np.ndarray, shape: tuple) -> np.ndarray:
        return np.asarray(self.codec.encode(np.ascontiguousarray(chunk))).reshape(shape)

    def _decode(self, codes: np.ndarray, shape: tuple) -> np.ndarray:
        return np.asarray(self.codec.decode(codes)).reshape(shape)

    async def _encode_single(self, chunk_data: NDBuffer, chunk_spec: ArraySpec) -> NDBuffer:
        shape = self.codec.encoded_shape(chunk_spec.shape)
        codes = await asyncio.to_thread(self._encode, chunk_data.as_numpy_array(), shape)
        return chunk_spec.prototype.nd_buffer.from_numpy_array(codes)

    async def _decode_single(self, chunk_data: NDBuffer, chunk_spec: ArraySpec) -> NDBuffer:
        values = await asyncio.to_thread(self._decode, chunk_data.as_numpy_array(), chunk_spec.shape)
        return chunk_spec.prototype.nd_buffer.from_numpy_array(values)


class Affine(FastquantZarr3Codec):
    __doc__ = _nc.Affine.__doc__
    numcodec = _nc.Affine


class Int4(FastquantZarr3Codec):
    __doc__ = _nc.Int4.__doc__
    numcodec = _nc.Int4


class Int8(FastquantZarr3Codec):
    __doc__ = _nc.Int8.__doc__
    numcodec = _nc.Int8


class UInt8(FastquantZarr3Codec):
    __doc__ = _nc.UInt8.__doc__
    numcodec = _nc.UInt8


class Binary(FastquantZarr3Codec):
    __doc__ = _nc.Binary.__doc__
    numcodec = _nc.Binary


class UBinary(FastquantZarr3Codec):
    __doc__ = _nc.UBinary.__doc__
    numcodec = _nc.UBinary


class Int8Ranges(FastquantZarr3Codec):
    __doc__ = _nc.Int8Ranges.__doc__
    numcodec = _nc.Int8Ranges


class UInt8Ranges(FastquantZarr3Codec):
    __doc__ = _nc.UInt8Ranges.__doc__
    numcodec = _nc.UInt8Ranges


class GGUF(FastquantZarr3Codec):
    __doc__ = _nc.GGUF.__doc__
    numcodec = _nc.GGUF


class Minifloat(FastquantZarr3Codec):
    __doc__ = _nc.Minifloat.__doc__
    numcodec = _nc.Minifloat


class MX(FastquantZarr3Codec):
    __doc__ = _nc.MX.__doc__
    numcodec = _nc.MX


#: Every format 3 codec class, by name (the numcodecs id).
CODECS: dict = {cls.numcodec.codec_id: cls for cls in (Affine, Int4, Int8, UInt8, Binary, UBinary, Int8Ranges,
                                                       UInt8Ranges, GGUF, Minifloat, MX)}


def register_codecs() -> None:
    """Register every codec with Zarr's codec registry (done on import; Zarr loads them
    through the ``zarr.codecs`` entry points when fastquant is installed)."""
    for name, cls in CODECS.items():
        register_codec(name, cls)


register_codecs()
