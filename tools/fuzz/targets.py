"""Differential fuzz targets: the registry of decode functions and how bytes become arguments.

Each target turns the fuzzer's bytes into a call (function and keyword arguments: a dtype, a
shape, array bytes, maybe a strided/transposed view, scale, zero point, n, out=). The driver
(``run.py``) runs the call on both backends and demands identical results or the same
ValueError/TypeError. A new decode function is one more entry in ``TARGETS``.
"""

from __future__ import annotations

import math

import numpy as np

import fastquant as fq

CODE_DTYPES = ["i1", "u1", "<i2", ">i2", "<u2", "<i4", "<i8", ">i8", "<u8", "<f4", "?"]


def array(fdp, lo: int, hi: int, dtypes=CODE_DTYPES, max_dims: int = 4):
    """An ndarray from the fuzzer's bytes: dtype, shape (sizes 0..6, at most ``max_dims``),
    contents (integers mostly folded into the valid range [lo, hi], so that raw bytes reach
    the kernels rather than the range check), then maybe a view with steps/negative strides,
    a transpose or a broadcast."""
    dtype = np.dtype(fdp.PickValueInList(dtypes))
    ndim = fdp.ConsumeIntInRange(0, max_dims)
    shape = tuple(fdp.ConsumeIntInRange(0, 6) for _ in range(ndim))
    size = math.prod(shape)
    raw = fdp.ConsumeBytes(size * dtype.itemsize).ljust(size * dtype.itemsize, b"\0")
    arr = np.frombuffer(raw, dtype).reshape(shape).copy()
    if dtype.kind in "iu" and fdp.ConsumeIntInRange(0, 3):
        low, high = max(lo, int(np.iinfo(dtype).min)), min(hi, int(np.iinfo(dtype).max))
        arr = np.asarray(arr.astype(object) % (high - low + 1) + low).astype(dtype)
    view = fdp.ConsumeIntInRange(0, 3)
    if view == 1 and ndim:
        arr = arr[(slice(None),) * (ndim - 1) + (slice(None, None, fdp.PickValueInList([2, -1, -2])),)]
    elif view == 2 and ndim > 1:
        arr = arr.swapaxes(0, -1)
    elif view == 3:
        arr = np.broadcast_to(arr, (fdp.ConsumeIntInRange(0, 2),) + arr.shape)
    return arr


def scale(fdp):
    """Mostly ordinary scales, sometimes any float (NaN, inf, subnormal, negative)."""
    if fdp.ConsumeIntInRange(0, 3) == 0:
        return fdp.ConsumeFloat()
    return abs(fdp.ConsumeFloatInRange(-4.0, 4.0)) + 1e-3


def zero_point(fdp):
    return fdp.ConsumeIntInRange(-8, 8) if fdp.ConsumeBool() else fdp.ConsumeInt(5)


def n_for(fdp, packed):
    if fdp.ConsumeBool():
        return None
    m = packed.shape[-1] if packed.ndim else 0
    return fdp.ConsumeIntInRange(2 * m - 2, 2 * m + 1)


def maybe_out(fdp, kwargs, result_dtype, result_shape):
    """Now and then an ``out=``: right, or wrong in dtype, shape or contiguity."""
    choice = fdp.ConsumeIntInRange(0, 5)
    if choice == 1 and result_shape is not None:
        kwargs["out"] = np.empty(result_shape, result_dtype)
    elif choice == 2 and result_shape is not None:
        kwargs["out"] = np.empty(result_shape, np.int16)
    elif choice == 3 and result_shape:
        kwargs["out"] = np.empty(result_shape[:-1] + (result_shape[-1] + 1,), result_dtype)
    elif choice == 4 and result_shape:
        kwargs["out"] = np.empty(result_shape[:-1] + (2 * result_shape[-1],), result_dtype)[..., ::2]
    return kwargs


def _unpacked_shape(packed, n):
    if packed.ndim == 0:
        return None
    m = packed.shape[-1]
    return packed.shape[:-1] + (2 * m if n is None else max(n, 0),)


def dequantize_from_int4(fdp):
    q = array(fdp, -8, 7)
    kwargs = dict(q=q, scale=scale(fdp), zero_point=zero_point(fdp))
    return fq.dequantize_from_int4, maybe_out(fdp, kwargs, np.float32, q.shape)


def unpack_int8_to_int4(fdp):
    packed = array(fdp, -128, 255)
    n = n_for(fdp, packed)
    kwargs = dict(packed=packed, n=n)
    return fq.unpack_int8_to_int4, maybe_out(fdp, kwargs, np.int8, _unpacked_shape(packed, n))


def dequantize_packed_int4(fdp):
    packed = array(fdp, -128, 255)
    n = n_for(fdp, packed)
    kwargs = dict(packed=packed, scale=scale(fdp), zero_point=zero_point(fdp), n=n)
    return fq.dequantize_packed_int4, maybe_out(fdp, kwargs, np.float32, _unpacked_shape(packed, n))


FLOAT_DTYPES = ["<f4", ">f4", "<f8", "<f2", "<i2", "i1", "?"]


def orig_dim(fdp, q):
    """Mostly a valid ``orig_dim`` for sign bits packed in ``q``'s last axis, else anything near."""
    m = q.shape[-1] if q.ndim else 0
    pick = fdp.ConsumeIntInRange(0, 4)
    if pick == 0:
        return None
    if pick == 1:
        return fdp.ConsumeIntInRange(-1, 8 * m + 9)
    return fdp.ConsumeIntInRange(max(8 * m - 7, 1), max(8 * m, 1))


def float_array(fdp):
    """Floats of any bit pattern (NaN payloads, inf, subnormals) in a few dtypes and views."""
    return array(fdp, 0, 0, dtypes=FLOAT_DTYPES)


def dequantize(quant):
    """``dequantize(q, quant, orig_dim)``: codes for the integer formats, floats for "fp8"."""

    def build(fdp):
        if quant == "fp8":
            q = float_array(fdp)
            od = q.shape[-1] if q.ndim and fdp.ConsumeBool() else None
            shape = q.shape
        else:
            lo, hi = (-128, 127) if quant in ("int8", "binary") else (0, 255)
            q = array(fdp, lo, hi)
            if quant in ("binary", "ubinary"):
                od = orig_dim(fdp, q)
                shape = q.shape[:-1] + (od,) if q.ndim and od is not None and od > 0 else None
            else:
                od = None
                shape = q.shape
        return fq.dequantize, maybe_out(fdp, dict(q=q, quant=quant, orig_dim=od), np.float32, shape)

    return build


def ranges_for(fdp, q):
    """``ranges`` for codes ``q``: mostly (2, last axis) with ordinary bounds, else any floats
    (NaN, inf, min > max, overflowing differences) or another shape, in a few dtypes."""
    last = q.shape[-1] if q.ndim else 0
    pick = fdp.ConsumeIntInRange(0, 5)
    shape = (2, last) if pick < 5 else tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    size = math.prod(shape)
    if pick == 0:  # any bit patterns
        vals = [fdp.ConsumeFloat() for _ in range(size)]
    else:
        lo = [fdp.ConsumeFloatInRange(-4.0, 4.0) for _ in range(size // 2)]
        hi = [a + abs(fdp.ConsumeFloatInRange(0.0, 8.0)) * (fdp.ConsumeIntInRange(0, 7) != 0) for a in lo]
        vals = lo + hi + [0.0] * (size - 2 * len(lo))
    with np.errstate(over="ignore"):
        return np.asarray(vals, np.float64).astype(fdp.PickValueInList(["<f4", "<f8", ">f4", "<f2"])).reshape(shape)


def dequantize_ranges(quant):
    """``dequantize(q, quant, ranges=...)``: sentence-transformers' calibrated int8/uint8."""

    def build(fdp):
        lo, hi = (-128, 127) if quant == "int8" else (0, 255)
        q = array(fdp, lo, hi)
        kwargs = dict(q=q, quant=quant, ranges=ranges_for(fdp, q))
        return fq.dequantize, maybe_out(fdp, kwargs, np.float32, q.shape)

    return build


def dequantize_func(per_channel: bool):
    """``dequantize_func(x_q, scales, zero_point[, axis])``: integer or float codes of any
    dtype; per tensor, or per channel along a random axis (now and then a wrong length)."""

    def build(fdp):
        x_q = array(fdp, -(2**15), 2**16 - 1, dtypes=CODE_DTYPES + ["<u4", "<f8", "<f2"])
        kwargs = dict(x_q=x_q)
        if not per_channel or x_q.ndim == 0:
            kwargs.update(scales=scale(fdp), zero_point=zero_point(fdp))
        else:
            axis = fdp.ConsumeIntInRange(-x_q.ndim, x_q.ndim - 1)
            c = x_q.shape[axis] + (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeIntInRange(0, 7) == 0 else 0)
            c = max(c, 0)
            sc = [scale(fdp) for _ in range(c)] if fdp.ConsumeIntInRange(0, 5) else scale(fdp)
            zp = [zero_point(fdp) for _ in range(c)] if fdp.ConsumeIntInRange(0, 5) else zero_point(fdp)
            kwargs.update(scales=np.asarray(sc, fdp.PickValueInList(["<f4", "<f8", ">f4"])),
                          zero_point=np.asarray(zp, np.int64).astype(fdp.PickValueInList(["<i4", "<i8", "i1", ">i2"])) if np.ndim(zp) else zp,
                          axis=axis)
        return fq.dequantize_func, maybe_out(fdp, kwargs, np.float32, x_q.shape)

    return build


BYTE_DTYPES = ["u1", "u1", "u1", "i1", "<u2", ">i2", "<u4"]


def gguf_dequantize(qtype: str):
    """``fastquant.gguf.dequantize(data, qtype)`` on the fuzzer's bytes: mostly whole blocks
    (so the decoder runs on every byte pattern: inf/NaN/subnormal scales, any grid index),
    sometimes a ragged last axis; now and then F32/F16 values, a view, an ``out=``."""
    from fastquant import gguf

    t = gguf.qtype_of(qtype)

    def build(fdp):
        dtype = np.dtype(fdp.PickValueInList(BYTE_DTYPES))
        lead = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 2)))
        blocks = fdp.ConsumeIntInRange(0, 4)
        nbytes = blocks * t.type_size + (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeIntInRange(0, 7) == 0 else 0)
        nbytes = max(nbytes, 0)
        if nbytes % dtype.itemsize:
            dtype = np.dtype(np.uint8)
        count = math.prod(lead) * nbytes
        raw = fdp.ConsumeBytes(count).ljust(count, b"\0")
        data = np.frombuffer(raw, np.uint8).reshape(lead + (nbytes,)).copy().view(dtype)
        if data.ndim > 1 and fdp.ConsumeIntInRange(0, 3) == 0:
            data = data[::-1]
        if qtype in ("F32", "F16") and fdp.ConsumeIntInRange(0, 3) == 0 and nbytes % 4 == 0:
            data = np.ascontiguousarray(data).view(np.uint8).view("<f4" if qtype == "F32" else "<f2")
        shape = None
        if data.ndim and data.nbytes // max(1, math.prod(data.shape[:-1])) % t.type_size == 0:
            shape = data.shape[:-1] + (data.shape[-1] * data.dtype.itemsize // t.type_size * t.block_size,)
        return gguf.dequantize, maybe_out(fdp, dict(data=data, qtype=qtype), np.float32, shape)

    return build


def _gguf_targets() -> dict:
    from fastquant.gguf import DECODE_TYPES

    return {f"gguf_dequantize_{name.lower()}": gguf_dequantize(name) for name in DECODE_TYPES}


try:  # the numcodecs codecs (fastquant.numcodecs) need numcodecs, a test dependency
    from fastquant import numcodecs as _codecs
except ImportError:  # pragma: no cover - without it there are no codec targets
    _codecs = None


def _safe_scale(fdp):
    return abs(fdp.ConsumeFloatInRange(-4.0, 4.0)) + 1e-3


def _codec(fdp):
    """A codec of any id with a valid config (the configs' checks have their own tests)."""
    pick = fdp.ConsumeIntInRange(0, 10)
    dim = fdp.ConsumeIntInRange(1, 40)
    if pick == 0:
        return _codecs.Affine(scale=_safe_scale(fdp), zero_point=fdp.ConsumeIntInRange(-300, 300),
                              n_bits=fdp.ConsumeIntInRange(2, 16), signed=fdp.ConsumeBool())
    if pick in (1, 2):
        return (_codecs.Int8, _codecs.UInt8)[pick - 1]()
    if pick in (3, 4):
        return (_codecs.Binary, _codecs.UBinary)[pick - 3](dim=dim)
    if pick == 5:
        return _codecs.Int4(dim=dim, scale=_safe_scale(fdp), zero_point=fdp.ConsumeIntInRange(-8, 8))
    if pick == 6:
        return _codecs.Int4(dim=dim, scale_method=fdp.PickValueInList(["minmax", "absmax"]))
    if pick == 7:  # calibrated: ranges of any finite floats (ordered), a zero width now and then
        lo = np.array([fdp.ConsumeFloatInRange(-1e6, 1e6) for _ in range(dim)], np.float32)
        width = np.array([fdp.ConsumeFloatInRange(0.0, 1e6) if fdp.ConsumeBool() else 0.0 for _ in range(dim)], np.float32)
        return fdp.PickValueInList([_codecs.Int8Ranges, _codecs.UInt8Ranges])(np.vstack([lo, lo + width]))
    if pick == 9:  # minifloat: any format (fp6/fp4 bytes with high bits set are rejected)
        return _codecs.Minifloat(fdp.PickValueInList(list(_float_formats())), saturate=fdp.ConsumeBool())
    if pick == 10:  # MX: any element format, a block size dividing dim
        block = fdp.PickValueInList([b for b in range(1, dim + 1) if dim % b == 0])
        return _codecs.MX(dim=dim, fmt=fdp.PickValueInList(list(_float_formats(mx=True))), block_size=block)
    qtype = fdp.PickValueInList(list(_codecs.GGUF_TYPES))  # GGUF: a row of 1 to 3 blocks
    block = {"F32": 1, "F16": 1, "BF16": 1}.get(qtype) or _gguf_block_size(qtype)
    return _codecs.GGUF(dim=block * fdp.ConsumeIntInRange(1, 3), qtype=qtype)


def _float_formats(mx: bool = False):
    from fastquant.floats import FORMATS, MX_FORMATS

    return MX_FORMATS if mx else tuple(FORMATS)


def _gguf_block_size(qtype: str) -> int:
    from fastquant.gguf import QUANT_SIZES

    return QUANT_SIZES[qtype][0]


def codec_decode(fdp):
    """``codec.decode(buf)`` of a numcodecs codec on random bytes (any length; as an array of
    the codes' dtype now and then, as Zarr format 3 passes them)."""
    codec = _codec(fdp)
    n = fdp.ConsumeIntInRange(0, 300)
    buf = np.frombuffer(fdp.ConsumeBytes(n).ljust(n, b"\0"), np.uint8).copy()
    itemsize = codec.code_dtype.itemsize
    if fdp.ConsumeBool() and buf.size % itemsize == 0:
        buf = buf.view(codec.code_dtype)
    return codec.decode, dict(buf=buf)


def gguf_quantize(fdp):
    """``fastquant.gguf.quantize(data, qtype)``: an encoder, fuzzed for its float input: raw
    float32 bit patterns (NaN, inf, subnormals, huge) or ordinary values times a random power
    of ten (so that blocks encode, or overflow their scales, or fail llama.cpp's assertion),
    rows of whole blocks (now and then not whole), every type, sometimes an ``out=``."""
    import fastquant.gguf as fg

    qtype = fdp.PickValueInList(list(fg.ENCODE_TYPES))
    bs, ts = fg.QUANT_SIZES[qtype]
    rows = fdp.ConsumeIntInRange(0, 3)
    last = bs * fdp.ConsumeIntInRange(0, 2) + (fdp.ConsumeIntInRange(1, 3) if fdp.ConsumeIntInRange(0, 9) == 0 else 0)
    n = rows * last
    if fdp.ConsumeBool():
        data = np.frombuffer(fdp.ConsumeBytes(4 * n).ljust(4 * n, b"\0"), "<f4").copy()
    else:
        raw = np.frombuffer(fdp.ConsumeBytes(n).ljust(n, b"\0"), np.int8).astype(np.float32)
        data = raw * np.float32(10.0 ** fdp.ConsumeIntInRange(-45, 38))
    data = data.reshape(rows, last)
    if qtype in ("F32", "F16"):
        shape, dtype = data.shape, (np.float32 if qtype == "F32" else np.float16)
    else:
        shape, dtype = (data.shape[:-1] + (last // bs * ts,) if last % bs == 0 else None), np.uint8
    return fg.quantize, maybe_out(fdp, dict(data=data, qtype=qtype), dtype, shape)
FLOAT_FORMATS = list(fq.floats.FORMATS)


def floats_decode(fdp):
    """``floats.decode(codes, fmt)``: raw bytes of any format (fp6/fp4 codes mostly in range,
    sometimes not), other dtypes, views; now and then an ``out=``."""
    f = fq.floats.FORMATS[fdp.PickValueInList(FLOAT_FORMATS)]
    codes = array(fdp, 0, f.code_limit)
    kwargs = dict(codes=codes, fmt=f.name)
    return fq.floats.decode, maybe_out(fdp, kwargs, np.float32, codes.shape)


def floats_dequantize_mx(fdp):
    """``floats.dequantize_mx(codes, scales, fmt, block_size, axis)``: codes of any shape,
    scales mostly of the matching shape (any byte, 0xFF included), sometimes not; any block
    size and axis, valid or not."""
    f = fq.floats.FORMATS[fdp.PickValueInList(list(fq.floats.MX_FORMATS))]
    codes = array(fdp, 0, f.code_limit, max_dims=3)
    block = fdp.ConsumeIntInRange(1, 4) if fdp.ConsumeIntInRange(0, 7) else fdp.ConsumeIntInRange(-1, 40)
    axis = fdp.ConsumeIntInRange(-3, 2)
    shape = None
    if codes.ndim and -codes.ndim <= axis < codes.ndim and block > 0:
        shape = list(codes.shape)
        shape[axis] = shape[axis] // block
    if shape is None or fdp.ConsumeIntInRange(0, 7) == 0:
        shape = [fdp.ConsumeIntInRange(0, 4) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    size = int(np.prod(shape))
    scales = np.frombuffer(fdp.ConsumeBytes(size).ljust(size, b"\0"), np.uint8).reshape(shape)
    if fdp.ConsumeIntInRange(0, 5) == 0:
        scales = scales.astype(fdp.PickValueInList(["<i2", "<f4", "i1", "<u8"]))
    kwargs = dict(codes=codes, scales=scales, fmt=f.name, block_size=block, axis=axis)
    return fq.floats.dequantize_mx, maybe_out(fdp, kwargs, np.float32, codes.shape)


def unpack_nibbles(fdp):
    packed = array(fdp, -128, 255)
    n = n_for(fdp, packed)
    kwargs = dict(packed=packed, n=n)
    return fq.floats.unpack_nibbles, maybe_out(fdp, kwargs, np.uint8, _unpacked_shape(packed, n))


import fastquant.onnx as fo  # noqa: E402  (needs ml_dtypes, which the oracles bring)

ONNX_TYPES = list(fo.CODE_TYPES)


def _onnx_layout(fdp, shape):
    """``(scale shape, axis, block_size)``: per tensor, per axis or blocked, mostly fitting
    ``shape``; sometimes any shape, axis or block size."""
    ndim = len(shape)
    kind = fdp.ConsumeIntInRange(0, 4)
    axis = fdp.ConsumeIntInRange(-ndim, ndim - 1) if ndim else fdp.ConsumeIntInRange(-1, 1)
    block = 0
    if kind == 0 or not ndim:
        sshape = ()
    elif kind == 1:
        sshape = (shape[axis],)
    elif kind in (2, 3):
        block = fdp.ConsumeIntInRange(1, 7)
        sshape = list(shape)
        sshape[axis] = -(-shape[axis] // block)
    else:
        sshape = [fdp.ConsumeIntInRange(0, 4) for _ in range(fdp.ConsumeIntInRange(0, 3))]
        axis = fdp.ConsumeIntInRange(-4, 4)
        block = fdp.ConsumeIntInRange(-1, 9)
    return tuple(sshape), axis, block


def _onnx_scales(fdp, shape):
    size = math.prod(shape)
    if fdp.ConsumeIntInRange(0, 7) == 0:  # any float32 bits: NaN, inf, 0, negative, subnormal
        raw = fdp.ConsumeBytes(4 * size).ljust(4 * size, b"\0")
        return np.frombuffer(raw, "<f4").reshape(shape).copy()
    values = [abs(fdp.ConsumeFloatInRange(-8.0, 8.0)) + 1e-3 for _ in range(size)]
    dtype = fdp.PickValueInList(["<f4", "<f4", "<f8", "<f2", ">f4"])
    return np.array(values, dtype).reshape(shape)


def _onnx_zero_point(fdp, t, shape):
    """None, a typed array of the code type (any bits), or untyped integers."""
    choice = fdp.ConsumeIntInRange(0, 3)
    size = math.prod(shape)
    if choice == 0:
        return None
    if choice == 1:
        if t.is_float:
            return np.zeros(shape, t.dtype) if fdp.ConsumeBool() else np.frombuffer(
                fdp.ConsumeBytes(size).ljust(size, b"\0"), np.uint8).reshape(shape).view(t.dtype)
        lo, hi = t.qmin, t.qmax
        return np.array([fdp.ConsumeIntInRange(lo, hi) for _ in range(size)], np.int64).reshape(shape).astype(t.dtype)
    if choice == 2:
        return fdp.ConsumeIntInRange(-3, 3)
    return np.array([fdp.ConsumeIntInRange(-300, 300) for _ in range(size)], np.int64).reshape(shape)


def onnx_dequantize_linear(fdp):
    """``onnx.dequantize_linear(x, x_scale, x_zero_point, axis, block_size)``: random bytes as
    codes of every ONNX code type (ml_dtypes arrays of any bytes, NumPy integer arrays, int8/uint8
    bytes or other integers with a typed zero point), scales mostly of the layout, zero points
    typed or not, any axis and block size; now and then an ``out=``."""
    t = fo.CODE_TYPES[fdp.PickValueInList(ONNX_TYPES)]
    if t.dtype.itemsize == 2 or (t.dtype.kind in "iu" and fdp.ConsumeIntInRange(0, 3) == 0):
        x = array(fdp, t.qmin, t.qmax, dtypes=[t.dtype.str, t.dtype.newbyteorder(">").str, "<i8"], max_dims=3)
    else:
        x = array(fdp, 0, 255, dtypes=["u1"], max_dims=3)
        if fdp.ConsumeIntInRange(0, 3):
            x = np.ascontiguousarray(x).view(t.dtype) if x.ndim else x.reshape(1).view(t.dtype).reshape(())
    sshape, axis, block = _onnx_layout(fdp, x.shape)
    scale = _onnx_scales(fdp, sshape)
    if not sshape and fdp.ConsumeBool():
        scale = float(scale)
    kwargs = dict(x=x, x_scale=scale, x_zero_point=_onnx_zero_point(fdp, t, sshape), axis=axis, block_size=block)
    return fo.dequantize_linear, maybe_out(fdp, kwargs, np.float32, x.shape)


def onnx_quantize_linear(fdp):
    """``onnx.quantize_linear`` of any float32 bits (NaN, inf, subnormals) to every code type,
    any layout, zero point and ``saturate``."""
    t = fo.CODE_TYPES[fdp.PickValueInList(ONNX_TYPES)]
    x = array(fdp, 0, 0, dtypes=["<f4", "<f4", "<f8", "<f2"], max_dims=3)
    sshape, axis, block = _onnx_layout(fdp, x.shape)
    kwargs = dict(x=x, y_scale=_onnx_scales(fdp, sshape), y_zero_point=_onnx_zero_point(fdp, t, sshape),
                  axis=axis, block_size=block, output_dtype=t.name if fdp.ConsumeIntInRange(0, 3) else None,
                  saturate=fdp.ConsumeBool())
    return fo.quantize_linear, maybe_out(fdp, kwargs, t.dtype, x.shape)


def onnx_from_raw(fdp):
    """``onnx.from_raw(raw, onnx_type, shape)``: any bytes, mostly of the length the type and
    shape need, sometimes not."""
    t = fo.CODE_TYPES[fdp.PickValueInList(ONNX_TYPES)]
    shape = tuple(fdp.ConsumeIntInRange(0, 9) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    need = -(-math.prod(shape) * t.bits // 8)
    if fdp.ConsumeIntInRange(0, 7) == 0:
        need = fdp.ConsumeIntInRange(0, need + 2)
    raw = fdp.ConsumeBytes(need).ljust(need, b"\0")
    if fdp.ConsumeBool():
        raw = np.frombuffer(raw, np.uint8)
    return fo.from_raw, dict(raw=raw, onnx_type=fdp.PickValueInList([t.name, t.enum, t.dtype]), shape=shape)


#: name -> builder(fdp) -> (function, kwargs); one per decode function
TARGETS = {
    "dequantize_from_int4": dequantize_from_int4,
    "unpack_int8_to_int4": unpack_int8_to_int4,
    "dequantize_packed_int4": dequantize_packed_int4,
    **{f"dequantize_{quant}": dequantize(quant) for quant in ("fp8", "int8", "uint8", "binary", "ubinary")},
    **{f"dequantize_ranges_{quant}": dequantize_ranges(quant) for quant in ("int8", "uint8")},
    "dequantize_func_per_tensor": dequantize_func(per_channel=False),
    "dequantize_func_per_channel": dequantize_func(per_channel=True),
    **_gguf_targets(),
    **({"numcodecs_decode": codec_decode} if _codecs is not None else {}),
    "gguf_quantize": gguf_quantize,
    "floats_decode": floats_decode,
    "floats_dequantize_mx": floats_dequantize_mx,
    "unpack_nibbles": unpack_nibbles,
    "onnx_dequantize_linear": onnx_dequantize_linear,
    "onnx_quantize_linear": onnx_quantize_linear,
    "onnx_from_raw": onnx_from_raw,
}
