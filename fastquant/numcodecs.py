"""numcodecs codecs over fastquant's public functions, for Zarr format 2 and 3 (SPEC section 11).

Each codec is a :class:`numcodecs.abc.Codec` whose ``encode`` turns a float32 chunk into
codes with one of fastquant's quantizers and whose ``decode`` gives back exactly what the
matching decoder gives for those codes. The codecs never compute a code themselves: they
call the public functions, and only lay the codes out in the chunk.

Two layouts:

- :class:`ElementwiseCodec`: one code per value, the codes keep the chunk's shape (``Affine``,
  ``Int8``, ``UInt8``, ``Minifloat``).
- :class:`RowCodec`: the last axis (``dim`` values) becomes ``row_length(dim)`` code units
  (``Int4`` packs two codes a byte, ``Binary``/``UBinary`` eight sign bits a byte, ``GGUF``
  whole blocks of bytes, ``MX`` a row's E8M0 scales followed by its codes), or keeps its length but needs the whole axis (``Int8Ranges``:
  a range per dimension). Zarr hands a numcodecs codec the chunk as a flat buffer on decode,
  so ``dim`` is part of the config (or of the ranges), and a chunk must hold whole rows: its
  last axis is ``dim`` (chunk the last axis whole).

Registered with numcodecs under ids ``fastquant.<name>`` on import, and through the
``numcodecs.codecs`` entry point group for readers that never import fastquant; the Zarr
format 3 classes live in :mod:`fastquant.zarr3`. numcodecs is needed (the ``zarr`` extra).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ensure_ndarray, ndarray_copy
from numcodecs.registry import register_codec

from . import _arrays as A
from . import floats, gguf
from .affine import _code_dtype, code_range, dequantize_func, quantize_func
from .embeddings import dequantize, quantize_embeddings
from .int4 import SCALE_METHODS, dequantize_packed_int4, pack_int4_to_int8, quantize_to_packed_int4

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

_F32 = np.dtype("<f4")
#: Codes are stored little-endian whatever the machine (the Zarr convention for raw bytes).
_I8, _U8 = np.dtype("i1"), np.dtype("u1")

#: Chunks decode and encode in one thread: Zarr and Dask already run chunks in parallel.
_THREADS = 1


def _dim(dim) -> int:
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim: expected an integer >= 1 (the length of the chunks' last axis), got {A._short(dim)}")
    return int(dim)


def _buffer(buf) -> np.ndarray:
    """``buf`` as an ndarray sharing its memory (an array, or anything with the buffer protocol)."""
    try:
        return ensure_ndarray(buf)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"buf: expected an array or a bytes-like buffer, got {A._describe(buf)} ({exc})") from None


def _about_buf(exc: Exception) -> Exception:
    """An error of the function a codec called, as an error about the codec's ``buf``."""
    msg = str(exc)
    if msg.startswith("buf:"):
        return exc
    return (TypeError if isinstance(exc, TypeError) else ValueError)(f"buf: {msg}")


class FastquantCodec(Codec):
    """Base of fastquant's numcodecs codecs: the config, the chunk checks and the layout.

    A subclass sets ``codec_id`` (``"fastquant.<name>"``), ``config_keys`` (the constructor's
    keyword arguments, stored as attributes of those names and written by ``get_config``), and
    defines ``code_dtype``, ``quantize(x)`` (float32 chunk to codes) and ``dequantize(codes)``
    (codes to float32), each one call of a public fastquant function.
    """

    codec_id: ClassVar[str]
    config_keys: ClassVar[tuple[str, ...]] = ()

    #: the dtype of the stored codes (little-endian)
    @property
    def code_dtype(self) -> np.dtype:
        raise NotImplementedError

    def quantize(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def encoded_shape(self, shape: tuple) -> tuple:
        """The shape of the codes of a chunk of ``shape`` (Zarr format 3 stores them so)."""
        raise NotImplementedError

    # --- numcodecs API -------------------------------------------------------------------

    def get_config(self) -> dict:
        return {"id": self.codec_id, **{k: getattr(self, k) for k in self.config_keys}}

    def encode(self, buf):
        """The codes of a float32 chunk (any shape; :class:`RowCodec`: last axis ``dim``)."""
        x = _buffer(buf)
        if x.dtype.kind != "f" or x.dtype.itemsize != 4:
            raise ValueError(
                f"buf: expected a float32 chunk (fastquant codecs decode to float32: store a "
                f"float32 array), got an array of dtype {x.dtype}"
            )
        try:
            return self._encode(x)
        except (ValueError, TypeError) as exc:
            raise _about_buf(exc) from exc

    def decode(self, buf, out=None):
        """float32 values of the codes in ``buf``: exactly what the public decoder gives."""
        try:
            res = self.dequantize(self._codes(_buffer(buf)))
        except (ValueError, TypeError) as exc:
            raise _about_buf(exc) from exc
        return res if out is None else ndarray_copy(res, out)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.config_keys)
        return f"{type(self).__name__}({args})"

    # --- layout --------------------------------------------------------------------------

    def _as_codes(self, arr: np.ndarray) -> np.ndarray:
        """``arr`` as an array of ``code_dtype``: itself when it already is one (any shape and
        byte order), else its bytes (a flat buffer, as Zarr format 2 passes it) viewed so."""
        dtype = self.code_dtype
        if arr.dtype.kind == dtype.kind and arr.dtype.itemsize == dtype.itemsize:
            return arr
        flat = ensure_contiguous_ndarray(arr).view(np.uint8)
        if flat.size % dtype.itemsize:
            raise ValueError(f"buf: expected whole {dtype} codes, got {flat.size} bytes")
        return flat.view(dtype)

    def _encode(self, x: np.ndarray):
        raise NotImplementedError

    def _codes(self, arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ElementwiseCodec(FastquantCodec):
    """One code per value: the codes have the chunk's shape (and, for a Fortran-ordered chunk
    as Zarr format 2 passes it with ``order="F"``, its memory order)."""

    def encoded_shape(self, shape: tuple) -> tuple:
        return tuple(shape)

    def _encode(self, x: np.ndarray):
        if x.ndim >= 2 and x.flags.f_contiguous and not x.flags.c_contiguous:
            return self.quantize(x.T).T  # element-wise: keep the caller's memory order
        return self.quantize(x)

    def _codes(self, arr: np.ndarray) -> np.ndarray:
        return self._as_codes(arr)


class RowCodec(FastquantCodec):
    """The last axis, ``dim`` values, becomes ``row_length(dim)`` code units: a chunk's last
    axis must be ``dim``, and a flat buffer of codes decodes as rows of ``row_length(dim)``."""

    dim: int
    #: how a chunk of the wrong width is put right (said by the encode error)
    _dim_hint: ClassVar[str] = "chunk the array's last axis whole, or set dim to the chunks' last axis"
    #: whether the array's last axis must be ``dim`` (not only its chunks')
    whole_axis: ClassVar[bool] = False

    def row_length(self, dim: int) -> int:
        raise NotImplementedError

    def encoded_shape(self, shape: tuple) -> tuple:
        return tuple(shape[:-1]) + (self.row_length(shape[-1]),)

    def _encode(self, x: np.ndarray):
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(
                f"buf: expected a chunk whose last axis holds dim={self.dim} values, got shape "
                f"{x.shape} ({self._dim_hint})"
            )
        if x.ndim >= 2 and x.flags.f_contiguous and not x.flags.c_contiguous:
            raise ValueError("buf: expected a C-ordered chunk (the codec codes the last axis row by row), got a Fortran-ordered one")
        return self.quantize(x)

    def _codes(self, arr: np.ndarray) -> np.ndarray:
        codes = self._as_codes(arr)
        n = self.row_length(self.dim)
        if codes.ndim >= 1 and codes.shape[-1] == n:
            return codes
        if codes.size % n:
            raise ValueError(f"buf: expected whole rows of {n} codes (dim={self.dim}), got {codes.size} codes")
        return codes.reshape(-1, n)


class Affine(ElementwiseCodec):
    """``fastquant.affine``: :func:`fastquant.quantize_func` codes with a fixed scale and zero
    point, per tensor. Values beyond the code range saturate (numcodecs' ``FixedScaleOffset``
    wraps them around). Codes are int8/int16 (``signed``) or uint8/uint16, the smallest that
    holds ``n_bits``; decoding is :func:`fastquant.dequantize_func`.

    >>> codec = Affine(scale=180 / 255, zero_point=13)
    >>> codec.encode(np.array([-1.2136, 28.7341, 8.4974, 1e9], np.float32)).tolist()
    [11, 54, 25, 127]
    """

    codec_id = "fastquant.affine"
    config_keys = ("scale", "zero_point", "n_bits", "signed")

    def __init__(self, scale, zero_point=0, n_bits=8, signed=True):
        A.scale_f32(scale, "scale")
        self.scale = float(scale)
        self.zero_point = A.zero_point_int(zero_point, "zero_point")
        code_range(n_bits, signed=signed)  # checks n_bits and signed
        self.n_bits, self.signed = int(n_bits), bool(signed)
        self._dtype = _code_dtype(self.n_bits, self.signed).newbyteorder("<")

    @property
    def code_dtype(self) -> np.dtype:
        return self._dtype

    def quantize(self, x):
        codes = quantize_func(x, self.scale, self.zero_point, self.n_bits, signed=self.signed, threads=_THREADS)
        return codes.astype(self._dtype, copy=False)

    def dequantize(self, codes):
        return dequantize_func(codes, self.scale, self.zero_point, threads=_THREADS)


class _Embedding8(ElementwiseCodec):
    precision: ClassVar[str]
    _dtype: ClassVar[np.dtype]

    @property
    def code_dtype(self) -> np.dtype:
        return self._dtype

    def quantize(self, x):
        return quantize_embeddings(x, self.precision, threads=_THREADS)

    def dequantize(self, codes):
        return dequantize(codes, self.precision, threads=_THREADS)


class Int8(_Embedding8):
    """``fastquant.int8``: ``quantize_embeddings(x, "int8")`` (``round(x * 127)``, saturating
    to int8); decoding is ``dequantize(q, "int8")``, ``q / 127``."""

    codec_id, precision, _dtype = "fastquant.int8", "int8", _I8


class UInt8(_Embedding8):
    """``fastquant.uint8``: ``quantize_embeddings(x, "uint8")`` (``round((x + 1) * 127.5)``,
    saturating to uint8); decoding is ``dequantize(q, "uint8")``."""

    codec_id, precision, _dtype = "fastquant.uint8", "uint8", _U8


class _SignBits(RowCodec):
    config_keys = ("dim",)
    precision: ClassVar[str]
    _dtype: ClassVar[np.dtype]

    def __init__(self, dim):
        self.dim = _dim(dim)

    @property
    def code_dtype(self) -> np.dtype:
        return self._dtype

    def row_length(self, dim):
        return (dim + 7) // 8

    def quantize(self, x):
        return quantize_embeddings(x, self.precision, threads=_THREADS)

    def dequantize(self, codes):
        return dequantize(codes, self.precision, orig_dim=self.dim, threads=_THREADS)


class Binary(_SignBits):
    """``fastquant.binary``: the sign bits of the last axis (``x > 0``), eight a byte, MSB
    first, as int8 bytes with offset -128 (``quantize_embeddings(x, "binary")``); decoding is
    ``dequantize(q, "binary", orig_dim=dim)``: +1.0 / -1.0."""

    codec_id, precision, _dtype = "fastquant.binary", "binary", _I8


class UBinary(_SignBits):
    """``fastquant.ubinary``: as :class:`Binary`, as raw uint8 bytes (``"ubinary"``)."""

    codec_id, precision, _dtype = "fastquant.ubinary", "ubinary", _U8


class Int4(RowCodec):
    """``fastquant.int4``: int4 codes packed two a byte along the last axis (first code in the
    low nibble, an odd ``dim`` padded with a 0 code), decoded by
    :func:`fastquant.dequantize_packed_int4`.

    - ``scale`` given: the codes are ``quantize_func(x, scale, zero_point, n_bits=4)`` (that
      is ``clip(round(x / scale + zero_point), -8, 7)``), packed by
      :func:`fastquant.pack_int4_to_int8`; the chunk stores int8 bytes of shape
      ``(..., ceil(dim / 2))``.
    - ``scale=None``: each chunk gets its own scale from its data,
      :func:`fastquant.quantize_to_packed_int4` with ``scale_method``; the chunk stores the
      scale (4 bytes, float32 little-endian) followed by the packed bytes, as uint8.
    """

    codec_id = "fastquant.int4"
    config_keys = ("dim", "scale", "zero_point", "scale_method")

    def __init__(self, dim, scale=None, zero_point=0, scale_method="minmax"):
        self.dim = _dim(dim)
        self.scale_method = A.choice(scale_method, "scale_method", SCALE_METHODS)
        if scale is not None:
            A.scale_f32(scale, "scale")
        self.scale = None if scale is None else float(scale)
        self.zero_point = A.zero_point_int(zero_point, "zero_point")
        if scale is None and self.zero_point != 0:
            raise ValueError(f"zero_point: a scale per chunk (scale=None) comes with zero point 0, got {self.zero_point}")

    @property
    def code_dtype(self) -> np.dtype:
        return _I8 if self.scale is not None else _U8

    def row_length(self, dim):
        return (dim + 1) // 2

    def encoded_shape(self, shape):
        if self.scale is not None:
            return super().encoded_shape(shape)
        return (4 + math.prod(shape[:-1]) * self.row_length(shape[-1]),)

    def quantize(self, x):
        if self.scale is not None:
            codes = quantize_func(x, self.scale, self.zero_point, 4, threads=_THREADS)
            return pack_int4_to_int8(codes, threads=_THREADS)
        packed_shape = x.shape[:-1] + (self.row_length(self.dim),)
        res = np.empty(4 + math.prod(packed_shape), _U8)
        packed = res[4:].view(_I8).reshape(packed_shape)
        _, scale, _ = quantize_to_packed_int4(x, self.scale_method, out=packed, threads=_THREADS)
        res[:4] = np.array([scale], _F32).view(_U8)
        return res

    def dequantize(self, codes):
        if self.scale is not None:
            return dequantize_packed_int4(codes, self.scale, self.zero_point, self.dim, threads=_THREADS)
        scale = float(codes[:4].view(_F32)[0])
        packed = codes[4:].view(_I8).reshape(-1, self.row_length(self.dim))
        return dequantize_packed_int4(packed, scale, 0, self.dim, threads=_THREADS)

    def _codes(self, arr):
        if self.scale is not None:
            return super()._codes(arr)
        codes = self._as_codes(arr).reshape(-1)
        n = self.row_length(self.dim)
        if codes.size < 4 + n or (codes.size - 4) % n:
            raise ValueError(
                f"buf: expected a 4-byte scale and whole rows of {n} bytes (dim={self.dim}), got {codes.size} bytes"
            )
        return codes


class _Ranges8(RowCodec):
    config_keys = ("ranges",)
    precision: ClassVar[str]
    _dtype: ClassVar[np.dtype]
    _dim_hint = "the ranges hold one (min, max) per value of the last axis: chunk it whole"
    #: the array's last axis must be ``dim`` too (the ranges are per value of the whole axis)
    whole_axis = True

    def __init__(self, ranges):
        r, _ = A.floats(ranges, "ranges")
        if r.ndim != 2 or r.shape[0] != 2 or r.shape[1] == 0:
            raise ValueError(
                f"ranges: expected shape (2, D) with D >= 1 (a row of minima and a row of maxima, one per "
                f"value of the last axis), got shape {r.shape}"
            )
        # the public function's own checks of the values (NaN, inf, min > max, overflow)
        quantize_embeddings(np.zeros((1, r.shape[1]), _F32), self.precision, ranges=r, threads=_THREADS)
        self._ranges = r.copy()
        self.ranges = r.tolist()  # float32 values as JSON numbers: exact both ways

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self._ranges.shape[1]

    @property
    def code_dtype(self) -> np.dtype:
        return self._dtype

    def row_length(self, dim):
        return dim

    def quantize(self, x):
        return quantize_embeddings(x, self.precision, ranges=self._ranges, threads=_THREADS)

    def dequantize(self, codes):
        return dequantize(codes, self.precision, ranges=self._ranges, threads=_THREADS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ranges=<2 x {self.dim} float32>)"


class Int8Ranges(_Ranges8):
    """``fastquant.int8_ranges``: sentence-transformers' calibrated int8 codes,
    ``quantize_embeddings(x, "int8", ranges=ranges)`` (``floor((x - min) / step) - 128``,
    clipped, a step of ``(max - min) / 255`` per dimension); decoding is
    ``dequantize(q, "int8", ranges=ranges)``, the centre of each bucket. ``ranges``: float32
    ``(2, D)``, a row of per-dimension minima and a row of maxima (``calibration_ranges``);
    chunks hold the last axis (``D`` values) whole."""

    codec_id, precision, _dtype = "fastquant.int8_ranges", "int8", _I8


class UInt8Ranges(_Ranges8):
    """``fastquant.uint8_ranges``: as :class:`Int8Ranges` with uint8 codes (no ``- 128``)."""

    codec_id, precision, _dtype = "fastquant.uint8_ranges", "uint8", _U8


#: The GGUF types the codec stores: those fastquant both quantizes and dequantizes.
GGUF_TYPES = tuple(t for t in gguf.ENCODE_TYPES if t in gguf.DECODE_TYPES)


class GGUF(RowCodec):
    """``fastquant.gguf``: the last axis (``dim`` values, whole blocks) as GGUF blocks of
    ``qtype`` (a name such as ``"Q4_K"``, an id or a ``gguf.GGMLQuantizationType``; stored by
    name), ``dim // block_size * type_size`` bytes a row, uint8:
    :func:`fastquant.gguf.quantize` and :func:`fastquant.gguf.dequantize`. ``F32``, ``F16``
    and ``BF16`` store the values' little-endian bytes."""

    codec_id = "fastquant.gguf"
    config_keys = ("dim", "qtype")

    def __init__(self, dim, qtype):
        t = gguf.qtype_of(qtype)
        if t.name not in GGUF_TYPES:
            raise ValueError(f"qtype: expected a GGML type fastquant encodes and decodes ({', '.join(GGUF_TYPES)}), "
                             f"got {t.name}")
        self._type = t
        self.dim, self.qtype = _dim(dim), t.name
        if self.dim % t.block_size:
            raise ValueError(f"dim: expected whole {t.name} blocks, a multiple of {t.block_size} values, got {self.dim}")

    @property
    def code_dtype(self) -> np.dtype:
        return _U8

    def row_length(self, dim):
        return dim // self._type.block_size * self._type.type_size

    def quantize(self, x):
        codes = gguf.quantize(x, self._type, threads=_THREADS)
        if codes.dtype != _U8:  # F32 and F16 give their values, as in gguf-py: store the bytes
            codes = codes.astype(codes.dtype.newbyteorder("<"), copy=False).view(_U8)
        return codes

    def dequantize(self, codes):
        return gguf.dequantize(codes, self._type, threads=_THREADS)


def _flag(value, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}: expected True or False, got {A._short(value)}")


class Minifloat(ElementwiseCodec):
    """``fastquant.minifloat``: each value as a minifloat code of format ``fmt`` (a name of
    :data:`fastquant.floats.FORMATS`, or an ml_dtypes / torch dtype of one; stored by name),
    one uint8 byte a value (fp6 and fp4 codes in the low bits):
    ``fastquant.floats.encode(x, fmt, saturate=saturate)``, the bits of ml_dtypes'
    ``astype``; ``saturate=True`` clips overflow and +-inf to +-max (ONNX Cast's
    ``saturate``). Decoding is :func:`fastquant.floats.decode`. NaN is a value here (coded as
    the format codes it), never an error."""

    codec_id = "fastquant.minifloat"
    config_keys = ("fmt", "saturate")

    def __init__(self, fmt, saturate=False):
        self._format = floats.format_of(fmt)
        self.fmt = self._format.name
        self.saturate = _flag(saturate, "saturate")

    @property
    def code_dtype(self) -> np.dtype:
        return _U8

    def quantize(self, x):
        return floats.encode(x, self._format, saturate=self.saturate, threads=_THREADS)

    def dequantize(self, codes):
        return floats.decode(codes, self._format, threads=_THREADS)


class MX(RowCodec):
    """``fastquant.mx``: OCP MX blocks along the last axis (``dim`` values, ``block_size`` of
    them a block, ``block_size`` dividing ``dim``):
    :func:`fastquant.floats.quantize_mx` with element format ``fmt`` (an MX format:
    ``float8_e4m3fn``, ``float8_e5m2``, ``float6_e2m3fn``, ``float6_e3m2fn``,
    ``float4_e2m1fn``), decoded by :func:`fastquant.floats.dequantize_mx`. Each row of the
    chunk is stored as uint8 bytes: its ``dim // block_size`` E8M0 scale bytes, then its codes,
    one byte a value, except ``float4_e2m1fn`` codes packed two a byte (first code in the low
    nibble, :func:`fastquant.floats.pack_nibbles`; an odd ``dim`` ends with a 0 nibble)."""

    codec_id = "fastquant.mx"
    config_keys = ("dim", "fmt", "block_size")

    def __init__(self, dim, fmt="float8_e4m3fn", block_size=32):
        self._format = floats.format_of(fmt)
        if self._format.name not in floats.MX_FORMATS:
            raise ValueError(f"fmt: expected an MX element format {floats.MX_FORMATS}, got {self._format.name!r}")
        self.fmt = self._format.name
        self.dim = _dim(dim)
        if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
            raise ValueError(f"block_size: expected an integer >= 1, got {A._short(block_size)}")
        if self.dim % block_size:
            raise ValueError(f"block_size: expected a divisor of dim ({self.dim}), got {block_size}")
        self.block_size = int(block_size)
        self._packed = self.fmt == "float4_e2m1fn"

    @property
    def code_dtype(self) -> np.dtype:
        return _U8

    def _code_bytes(self, dim: int) -> int:
        return (dim + 1) // 2 if self._packed else dim

    def row_length(self, dim):
        return dim // self.block_size + self._code_bytes(dim)

    def quantize(self, x):
        codes, scales = floats.quantize_mx(x, self._format, block_size=self.block_size, threads=_THREADS)
        if self._packed:
            codes = floats.pack_nibbles(codes, threads=_THREADS)
        return np.concatenate([scales, codes], axis=-1)

    def dequantize(self, codes):
        nscales = self.dim // self.block_size
        scales, body = np.ascontiguousarray(codes[..., :nscales]), np.ascontiguousarray(codes[..., nscales:])
        if self._packed:
            body = floats.unpack_nibbles(body, n=self.dim, threads=_THREADS)
        return floats.dequantize_mx(body, scales, self._format, block_size=self.block_size, threads=_THREADS)


#: Every codec class, by id.
CODECS: dict = {cls.codec_id: cls for cls in (Affine, Int4, Int8, UInt8, Binary, UBinary, Int8Ranges, UInt8Ranges,
                                              GGUF, Minifloat, MX)}


def register_codecs() -> None:
    """Register every codec with numcodecs' registry (done on import; the entry points do it
    for readers that never import fastquant)."""
    for codec_id, cls in CODECS.items():
        register_codec(cls, codec_id)


register_codecs()
