# The compiled ONNX Q/DQ kernels (csrc/onnxq.pyx); fastquant/_twins/onnxq.py has the same
# signatures. The 3-D kernels take (O, C, I) arrays and float32 scales / int32 zero points of
# one shape (O or 1, ceil(C / block), I or 1).
import numpy as np

__all__ = ["onnxq_quantize", "onnxq_dequantize", "onnxq_pack2", "onnxq_unpack2"]

def onnxq_quantize(
    src: np.ndarray, out: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, block: int, qmin: int, qmax: int,
    stream: bool = False,
) -> int: ...
def onnxq_dequantize(
    src: np.ndarray, out: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, block: int, bits: int, stream: bool = False
) -> None: ...
def onnxq_pack2(src: np.ndarray, out: np.ndarray) -> None: ...
def onnxq_unpack2(src: np.ndarray, out: np.ndarray) -> None: ...
