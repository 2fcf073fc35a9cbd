# The public API: re-exported from the per-module stubs (add one import block per codec module).
from ._backend import backend as backend, use_backend as use_backend
from ._version import __version__ as __version__
from .affine import (
    affine_qparams as affine_qparams,
    code_range as code_range,
    dequantize_func as dequantize_func,
    quantize_func as quantize_func,
)
from .embeddings import (
    calibration_ranges as calibration_ranges,
    dequantize as dequantize,
    quantize_embeddings as quantize_embeddings,
)
from . import floats as floats
from .floats import pack_nibbles as pack_nibbles, unpack_nibbles as unpack_nibbles
from .int4 import (
    dequantize_from_int4 as dequantize_from_int4,
    dequantize_packed_int4 as dequantize_packed_int4,
    pack_int4_to_int8 as pack_int4_to_int8,
    quantize_to_int4 as quantize_to_int4,
    quantize_to_packed_int4 as quantize_to_packed_int4,
    unpack_int8_to_int4 as unpack_int8_to_int4,
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
