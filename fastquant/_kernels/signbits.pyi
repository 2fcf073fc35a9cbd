# The compiled sign-bit kernels (csrc/signbits.pyx); fastquant/_twins/signbits.py has the same
# signatures. The packer returns 1 when the float32 input holds a NaN, else 0.
import numpy as np

__all__ = ["signbits_unpack", "signbits_pack"]

def signbits_unpack(src: np.ndarray, out: np.ndarray, flip: int, stream: bool = False) -> None: ...
def signbits_pack(src: np.ndarray, out: np.ndarray, flip: int) -> int: ...
