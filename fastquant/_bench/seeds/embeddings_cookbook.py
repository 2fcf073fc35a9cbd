"""BENCHMARK DATA, not fastquant API: the embedding dequantize fastquant replaces, as published.

The int8 / uint8 / binary / ubinary embedding formats are the ones Cohere's Embed API
introduced (``embedding_types``) and Mistral's embeddings API returns too. The decoder users
copy is the "Dequantization embeddings" notebook of Mistral's cookbook:
https://github.com/mistralai/cookbook, file ``mistral/embeddings/dequantization.ipynb`` at
commit 4d1869fee2cef52ce94fa67bcdeaf750425738cf (its examples are SPEC section 6's seed
examples). ``_unpack_sign_bits`` and ``dequantize`` below are copied statement for statement
(docstrings left out).

Known defects, reproduced:
- binary/ubinary: ``bits * 2 - 1`` is computed in uint8, so a 0 bit gives 255, not -1 (the
  notebook's own output shows ``tensor([255., 255., 1., ...])``; its docstring promises +-1).
- binary: ``x_packed.cpu().numpy() + 128`` on int8 codes raises ``OverflowError`` under
  NumPy 2 (128 does not fit int8). It works on the int64 tensor ``torch.tensor(list)`` makes of
  the JSON lists an API returns, which is what the notebook's examples pass.

The encoders (``quantize_int8`` ... ``quantize_ubinary``) come from a LATER revision of the same
notebook (commit 30a9fb8992b4a4f5b91e62bb0405bb0b46735c15, "Embeddings Quantization &
Dequantization Cookbook"); the seed revision has no encoder. Differences from fastquant's
encoders, reproduced: int8 clamps to [-127, 127] (fastquant: [-128, 127]); uint8 computes
``x * 127.5 + 127.5`` (fastquant: ``(x + 1) * 127.5``, which rounds differently near ties);
the sign bits are packed over the flattened tensor (``np.packbits`` without ``axis``), so a
batch comes back 1-D.
"""

import numpy as np
import torch


# --- commit 4d1869f (the seed) ------------------------------------------------------------------
def _unpack_sign_bits(x_packed: torch.Tensor, signed: bool, C: int) -> torch.Tensor:
    arr = (x_packed.cpu().numpy() + (128 if signed else 0)).astype(np.uint8)
    bits = np.unpackbits(arr, axis=-1)[..., :C]  # remove pad bits
    return torch.from_numpy(bits * 2 - 1).float().to(x_packed.device)


def dequantize(
    q: torch.Tensor | list, quant: str, orig_dim: int | None = None
) -> torch.Tensor:
    if isinstance(q, list):
        q = torch.tensor(q)
    if quant == "fp8":
        return q.float()
    if quant == "int8":
        return q.float() / 127.0
    if quant == "uint8":
        return q.float() / 127.5 - 1.0
    if quant in {"binary", "ubinary"}:
        if orig_dim is None:
            raise ValueError("orig_dim needed for (u)binary unpack")
        return _unpack_sign_bits(q, quant == "binary", orig_dim)
    raise ValueError(f"Invalid quantization {quant}")


# --- commit 30a9fb8 (later revision: the encoders) ------------------------------------------------
def quantize_int8(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.round(x * 127.0), -127, 127).to(torch.int8)


def quantize_uint8(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.round(x * 127.5 + 127.5), 0, 255).to(torch.uint8)


def _pack_sign_bits(x: torch.Tensor, signed: bool) -> torch.Tensor:
    bits = (x > 0).to(torch.uint8)  # 1 where positive, 0 elsewhere
    arr = np.packbits(bits.cpu().numpy())
    if signed:
        arr = (arr.astype(np.int16) - 128).astype(np.int8)  # shift into signed range
    return torch.from_numpy(arr.copy())


def quantize_binary(x: torch.Tensor) -> torch.Tensor:
    return _pack_sign_bits(x, signed=True)


def quantize_ubinary(x: torch.Tensor) -> torch.Tensor:
    return _pack_sign_bits(x, signed=False)
