"""BENCHMARK DATA, not fastquant API, and NOT PUBLISHED CODE: NumPy transliterations of the two
seeds that were published for torch only, so the benchmark has a seed to compare with where
torch is not installed. Every table row that uses one says "NumPy port".

Each line mirrors the torch original's operations one for one (``.float()`` -> ``astype(np.float32)``,
``x.div(s)`` -> ``x / s``, ``torch.clamp`` -> ``np.clip``, ``.to(torch.int32)`` ->
``astype(np.int32)``), keeping its defects (the uint8 ``bits * 2 - 1``; ``+ 128`` on int8
codes). Where NumPy's type rules differ from torch's, the port keeps NumPy's, as a NumPy user's
copy would: ``scales * int32_array`` is float64 in NumPy (float32 in torch).
"""

import numpy as np


# port of embeddings_cookbook.dequantize (commit 4d1869f)
def _unpack_sign_bits(x_packed: np.ndarray, signed: bool, C: int) -> np.ndarray:
    arr = (x_packed + (128 if signed else 0)).astype(np.uint8)
    bits = np.unpackbits(arr, axis=-1)[..., :C]  # remove pad bits
    return (bits * 2 - 1).astype(np.float32)


def dequantize(q, quant: str, orig_dim=None) -> np.ndarray:
    if isinstance(q, list):
        q = np.array(q)
    if quant == "fp8":
        return q.astype(np.float32)
    if quant == "int8":
        return q.astype(np.float32) / 127.0
    if quant == "uint8":
        return q.astype(np.float32) / 127.5 - 1.0
    if quant in {"binary", "ubinary"}:
        if orig_dim is None:
            raise ValueError("orig_dim needed for (u)binary unpack")
        return _unpack_sign_bits(q, quant == "binary", orig_dim)
    raise ValueError(f"Invalid quantization {quant}")


# port of llmbook.quantize_func / dequantize_func (the module globals of the script)
alpha_q = -2**(8 - 1)
beta_q = 2**(8 - 1) - 1


def quantize_func(x, scales, zero_point, n_bits=8):
    x_q = np.round(x / scales + zero_point)
    x_q_clipped = np.clip(x_q, alpha_q, beta_q)
    return x_q_clipped


def dequantize_func(x_q, scales, zero_point):
    x_q = x_q.astype(np.int32)
    x = scales * (x_q - zero_point)
    x = x.astype(np.float32)
    return x
