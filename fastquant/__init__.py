"""fastquant: fast, bit-exact quantization codecs with Cython kernels and NumPy twins.

The public functions live in one module per codec family and are re-exported here. Which
backend runs is decided in :mod:`fastquant._backend` alone.
"""

from ._version import __version__
from ._backend import backend, use_backend
from .affine import affine_qparams, code_range, dequantize_func, quantize_func
from .embeddings import calibration_ranges, dequantize, quantize_embeddings
from . import floats
from .floats import pack_nibbles, unpack_nibbles
from .int4 import (
    dequantize_from_int4,
    dequantize_packed_int4,
    pack_int4_to_int8,
    quantize_to_int4,
    quantize_to_packed_int4,
    unpack_int8_to_int4,
)

__all__ = [
    "__version__",
    "backend",
    "use_backend",
    "dequantize",
    "quantize_embeddings",
    "calibration_ranges",
    "quantize_to_int4",
    "dequantize_from_int4",
    "pack_int4_to_int8",
    "unpack_int8_to_int4",
    "quantize_to_packed_int4",
    "dequantize_packed_int4",
    "pack_nibbles",
    "unpack_nibbles",
    "floats",
    "affine_qparams",
    "quantize_func",
    "dequantize_func",
    "code_range",
]
