"""NumPy twins of ``csrc/onnxq.pyx``: same names, same signatures, and they define the meaning.

ONNX QuantizeLinear / DequantizeLinear for the integer code types (SPEC 9) on ``(O, C, I)``
arrays with float32 ``scales`` and int32 ``zero_points`` of shape ``(O or 1, ceil(C / block),
I or 1)``, element ``[o, c, i]`` using ``[o', c // block, i']`` (per-tensor ``(1, 1, 1)``,
per-axis ``(1, C, 1)`` with ``block = 1``, blocked ``(O, ceil(C / block), I)``); and the 2-bit
raw packers. The public functions in :mod:`fastquant.onnx` make sure of the shapes and dtypes.
"""

import numpy as np

# +-inf quotients saturate and a NaN is reported (the caller raises), so the twins stay silent.
quiet = np.errstate(all="ignore")

__all__ = ["onnxq_quantize", "onnxq_dequantize", "onnxq_pack2", "onnxq_unpack2"]


def _expand(params, block, shape):
    """``params`` repeated along axis 1 to the C entries of ``shape`` = (O, C, I)."""
    return np.repeat(params, block, axis=1)[:, : shape[1]]


@quiet
def onnxq_quantize(src, out, scales, zero_points, block, qmin, qmax, stream=False):
    """``out = clip(round(src / scale) + zero_point, qmin, qmax)`` (float32 division, round
    half to even, THEN the zero point) on 3-D ``(O, C, I)`` float32 ``src``; ``out`` is int8,
    uint8, int16 or uint16 of ``src``'s shape; a uint8 ``out`` with ``qmin < 0`` receives the
    codes' low bits only (two's complement of ``log2(qmax - qmin + 1)`` bits: int4, int2).
    Zero points must lie in ``[qmin, qmax]``. Returns 1 if ``src`` holds a NaN (its code is
    then unspecified), else 0. ``stream`` (non-temporal stores in the kernel) changes no value
    and is ignored."""
    zp = _expand(zero_points, block, src.shape).astype(np.int64)
    # a true float32 division, never a multiply by the reciprocal; np.rint is half to even;
    # the clip runs in float first, so +-inf saturate and nothing out of range is cast
    q = np.rint(src / _expand(scales, block, src.shape))
    # clip(q + zp, qmin, qmax) == clip(q, qmin - zp, qmax - zp) + zp for integer zp; a NaN
    # gets the code qmin (unspecified by the contract; the kernels write the same)
    q = np.where(np.isnan(q), qmin - zp, np.clip(q, qmin - zp, qmax - zp)).astype(np.int64) + zp
    if out.dtype == np.uint8 and qmin < 0:  # int4 / int2: the low bits, as ml_dtypes holds them
        q = q & (qmax - qmin)
    out[...] = q.astype(out.dtype)
    return int(bool(np.isnan(src).any()))


def _codes(src, bits):
    """The codes as int64: sub-byte codes from the low ``bits`` bits of each byte (int8 bytes:
    two's complement), else the values themselves."""
    if not bits:
        return src.astype(np.int64)
    low = src.view(np.uint8).astype(np.int64) & ((1 << bits) - 1)
    if src.dtype == np.int8:
        half = 1 << (bits - 1)
        low = (low ^ half) - half
    return low


@quiet
def onnxq_dequantize(src, out, scales, zero_points, block, bits, stream=False):
    """``out = float32(src - zero_point) * scale`` (the difference exact) on 3-D ``(O, C, I)``
    codes: int8, uint8, int16, uint16 or int32 ``src`` with ``bits = 0``; or, with ``bits`` 4
    or 2, bytes holding a code in their low bits (the rest ignored): uint8 ``src`` for uint4 /
    uint2, int8 ``src`` for int4 / int2 (two's complement). ``out`` float32; ``stream``
    (non-temporal stores in the kernel) changes no value and is ignored."""
    diff = _codes(src, bits) - _expand(zero_points, block, src.shape)
    out[...] = diff.astype(np.float32) * _expand(scales, block, src.shape)


def onnxq_pack2(src, out):
    """Pack ``(rows, n)`` uint8 bytes into ``(rows, ceil(n / 4))``: four 2-bit codes a byte (the
    low 2 bits of each input byte), the first in the lowest bits, a short last byte padded with
    zero bits."""
    rows, n = src.shape
    codes = np.zeros((rows, 4 * out.shape[1]), np.uint8)
    codes[:, :n] = src & 3
    quads = codes.reshape(rows, -1, 4)
    out[...] = quads[..., 0] | (quads[..., 1] << 2) | (quads[..., 2] << 4) | (quads[..., 3] << 6)


def onnxq_unpack2(src, out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` 2-bit codes (one a byte, in [0, 3]),
    ``4m - 3 <= n <= 4m``; bits past ``n`` in a row's last byte are ignored."""
    shifts = np.array([0, 2, 4, 6], np.uint8)
    codes = (src[..., None] >> shifts) & 3
    out[...] = codes.reshape(src.shape[0], -1)[:, : out.shape[1]]
