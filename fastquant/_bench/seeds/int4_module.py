"""BENCHMARK DATA, not fastquant API: the int4 module fastquant replaces, as published.

Source: https://github.com/aarora79/quantize, file ``quantize/quantize.py`` at commit
ef3b890b6a565982ad9ac1296ec30ba9a501bb18. The function bodies are copied statement for
statement (docstrings and comments left out; type hints kept). The module is written for 1-D
arrays: ``pack_int4_to_int8`` pairs the flattened array and ``unpack_int8_to_int4`` sizes its
result with ``len``, so the benchmark hands it the flattened (1-D) view of the same data.

Known defects, reproduced: ``quantize_to_int4`` casts ``round(values / scale)`` to int8 BEFORE
clipping, so a quotient outside [-128, 127] wraps around (``minmax`` on data that does not
straddle zero, e.g. values in [100, 101]) where fastquant saturates; ``dequantize_from_int4``
ignores ``zero_point``.
"""

from typing import List, Tuple, Union

import numpy as np


def quantize_to_int4(
    values: Union[List[float], np.ndarray],
    scale_method: str = "minmax"
) -> Tuple[np.ndarray, float, float]:
    values = np.asarray(values, dtype=np.float32)

    if scale_method == "minmax":
        data_min = values.min()
        data_max = values.max()

        scale = (data_max - data_min) / 15
        zero_point = 0

    elif scale_method == "absmax":
        abs_max = np.max(np.abs(values))

        scale = abs_max / 7
        zero_point = 0

    else:
        raise ValueError(f"Unknown scale_method: {scale_method}")

    if scale == 0:
        scale = 1.0

    quantized = np.round(values / scale).astype(np.int8)

    quantized = np.clip(quantized, -8, 7)

    return quantized, scale, zero_point


def dequantize_from_int4(
    quantized_values: np.ndarray,
    scale: float,
    zero_point: float = 0
) -> np.ndarray:
    return (quantized_values.astype(np.float32)) * scale


def pack_int4_to_int8(int4_values: np.ndarray) -> np.ndarray:
    if len(int4_values) % 2 != 0:
        int4_values = np.pad(int4_values, (0, 1), 'constant')

    pairs = int4_values.reshape(-1, 2)

    packed = (pairs[:, 0] & 0xF) | ((pairs[:, 1] & 0xF) << 4)

    return packed.astype(np.int8)


def unpack_int8_to_int4(packed_values: np.ndarray) -> np.ndarray:
    lower = packed_values & 0xF

    upper = (packed_values >> 4) & 0xF

    lower = np.where(lower > 7, lower - 16, lower)
    upper = np.where(upper > 7, upper - 16, upper)

    unpacked = np.empty(len(packed_values) * 2, dtype=np.int8)
    unpacked[0::2] = lower
    unpacked[1::2] = upper

    return unpacked
