# The compiled K-quant encoders (csrc/gguf_encode_k.pyx); fastquant/_twins/gguf_encode_k.py
# has the same signatures. ``src``: C-contiguous float32 holding whole 256-value super-blocks;
# ``out``: C-contiguous uint8 of blocks * type_size bytes. Returns the status (1: NaN/inf,
# 2: scale out of range or a failed nearest_int assertion of the C reference).
import numpy as np

__all__ = [
    "gguf_quantize_q2_k",
    "gguf_quantize_q3_k",
    "gguf_quantize_q4_k",
    "gguf_quantize_q5_k",
    "gguf_quantize_q6_k",
    "gguf_quantize_iq4_xs",
]

def gguf_quantize_q2_k(src: np.ndarray, out: np.ndarray) -> int: ...
def gguf_quantize_q3_k(src: np.ndarray, out: np.ndarray) -> int: ...
def gguf_quantize_q4_k(src: np.ndarray, out: np.ndarray) -> int: ...
def gguf_quantize_q5_k(src: np.ndarray, out: np.ndarray) -> int: ...
def gguf_quantize_q6_k(src: np.ndarray, out: np.ndarray) -> int: ...
def gguf_quantize_iq4_xs(src: np.ndarray, out: np.ndarray) -> int: ...
