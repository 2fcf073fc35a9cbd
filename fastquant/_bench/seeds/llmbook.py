"""BENCHMARK DATA, not fastquant API: the LLMBook's affine quantizer, as published.

Source: the code of the LLMBook (RUCAIBox, "大语言模型"), chapter 9's quantization example:
https://github.com/LLMBook-zh/LLMBook-zh.github.io, file ``code/9.2 量化示例.py`` at commit
4bb1421b8d936dc889dc29353b622f854dbf7d2a. ``quantize_func`` and ``dequantize_func`` are copied
statement for statement. It was published for torch only (``x.div``, ``torch.clamp``).

The script's ``__main__`` block sets the module globals ``alpha_q``/``beta_q`` that
``quantize_func`` reads (``num_bits = 8``); they are set here the same way. Known behaviour,
reproduced: ``quantize_func`` ignores its ``n_bits`` argument (the clamp range is the globals')
and returns the codes as a float32 tensor, not integers.
"""

import torch


def quantize_func(x, scales, zero_point, n_bits=8):
    x_q = (x.div(scales) + zero_point).round()
    x_q_clipped = torch.clamp(x_q, min=alpha_q, max=beta_q)
    return x_q_clipped


def dequantize_func(x_q, scales, zero_point):
    x_q = x_q.to(torch.int32)
    x = scales * (x_q - zero_point)
    x = x.to(torch.float32)
    return x


# from the script's __main__ block
num_bits = 8
alpha_q = -2**(num_bits - 1)
beta_q = 2**(num_bits - 1) - 1
