"""NumPy twins of ``csrc/floats.pyx``: same names, same signatures, and they define the meaning.

Minifloat encoding is integer arithmetic on the float32 bit pattern, one routine for every
format, parametrized by the traits in :mod:`fastquant._minifloats` (``fmt`` is a format id,
an index into ``FORMATS``). Decoding is a 256-entry table built from the same traits. No
ml_dtypes here: ml_dtypes is the oracle the tests compare with.

Encoding ``x`` (float32 bits ``u``) to a format with ``mb`` mantissa bits and bias ``b``,
round to nearest, ties to even, in one formula for normal and subnormal targets:

- ``a = u & 0x7FFFFFFF``, ``E = a >> 23``; the 24-bit significand ``sig`` is the mantissa with
  the implicit bit when ``E > 0``; ``|x| = sig * 2**(max(E, 1) - 150)`` exactly.
- ``t = max(E, 1) - 127 + b`` is the target's biased exponent. The significand is shifted right
  by ``sh = (23 - mb) + max(1 - t, 0)`` (capped at 25, beyond which everything rounds to 0):
  ``r = (sig + 2**(sh-1) - 1 + ((sig >> sh) & 1)) >> sh`` rounds half to even.
- ``code = (max(t - 1, 0) << mb) + r``: for a normal target the implicit bit in ``r`` adds the
  missing 1 to the exponent field, and a rounding carry moves into the exponent by itself; for
  a subnormal target the exponent field stays 0.
- ``code > max_code`` is overflow (``+-inf`` and NaN inputs land there too): ``overflow`` code
  without ``saturate``, ``max_code`` with it. Then the sign bit (not on a zero of a format
  without -0), NaN inputs to the NaN code, and for the unsigned e8m0 every negative input and
  zero to NaN (0xFF).
"""

import numpy as np

from .._minifloats import FORMATS

# Overflow to +-inf and NaN products are part of the formulas (decoders pass values through),
# so the twins stay silent about them, as the compiled kernels are.
quiet = np.errstate(all="ignore")

__all__ = [
    "floats_table",
    "floats_encode",
    "floats_decode",
    "floats_encode_scaled",
    "floats_decode_scaled",
    "floats_quantize_mx",
    "floats_dequantize_mx",
    "floats_pack_nibbles",
    "floats_unpack_nibbles",
]

_NAN32 = 0x7FC00000
_SIGN32 = 0x80000000


def _decode_bits(fmt) -> np.ndarray:
    """float32 bit patterns of all 256 byte values (bits above the format's width ignored)."""
    f = FORMATS[fmt]
    c = np.arange(256, dtype=np.uint32)
    if not f.signed:  # e8m0: 2**(c - 127); 0x00 is 2**-127 (a float32 subnormal); 0xFF NaN
        out = c << 23
        out[0] = 0x00400000
        out[255] = _NAN32
        return out
    mag = c & (f.sign_bit - 1)
    sign = np.where(c & f.sign_bit, np.uint32(_SIGN32), np.uint32(0))
    e, m = mag >> f.mantissa_bits, mag & ((1 << f.mantissa_bits) - 1)
    normal = ((e + (127 - f.bias)) << 23) | (m << (23 - f.mantissa_bits))
    # subnormal codes: m * 2**(1 - bias - mb), exact in float32 (m is a small integer)
    sub = (m.astype(np.float32) * np.float32(2.0 ** (1 - f.bias - f.mantissa_bits))).view(np.uint32)
    out = np.where(e == 0, sub, normal) | sign
    if f.kind == "ieee":
        out = np.where(mag == f.inf_code, np.uint32(0x7F800000) | sign, out)
        out = np.where(mag > f.inf_code, np.uint32(_NAN32) | sign, out)
    elif f.kind == "fn":
        out = np.where(mag == f.nan_code, np.uint32(_NAN32) | sign, out)
    elif f.kind == "fnuz":  # the code of -0 is the one NaN
        out = np.where((mag == 0) & (sign != 0), np.uint32(_NAN32 | _SIGN32), out)
    return out.astype(np.uint32)


_TABLES: dict = {}


def floats_table(fmt):
    """The decode table of format ``fmt``: float32 values of the 256 byte codes (codes above
    the format's width decode as if their extra bits were clear)."""
    table = _TABLES.get(fmt)
    if table is None:
        table = _TABLES[fmt] = _decode_bits(fmt).view(np.float32)
        table.flags.writeable = False
    return table


def _encode(x, fmt, saturate):
    """uint8 codes of float32 array ``x`` (see the module docstring)."""
    f = FORMATS[fmt]
    u = np.ascontiguousarray(x, np.float32).view(np.uint32)
    a = (u & 0x7FFFFFFF).astype(np.int64)
    neg = (u >> 31).astype(bool)
    e = a >> 23
    sig = (a & 0x7FFFFF) | np.where(e > 0, 0x800000, 0)
    t = np.maximum(e, 1) + (f.bias - 127)
    sh = np.minimum((23 - f.mantissa_bits) + np.maximum(1 - t, 0), 25)
    r = (sig + (np.int64(1) << (sh - 1)) - 1 + ((sig >> sh) & 1)) >> sh
    code = (np.maximum(t - 1, 0) << f.mantissa_bits) + r
    code = np.where(code > f.max_code, f.max_code if saturate else f.inf_code, code)
    sign = np.where(neg, f.sign_bit, 0)
    if not f.has_negative_zero:
        sign = np.where(code == 0, 0, sign)
    code = code | sign
    nan = a > 0x7F800000
    code = np.where(nan, f.nan_code ^ np.where(neg, f.nan_flip, 0), code)
    if not f.signed:  # e8m0 has no sign and no zero: negatives and zero are NaN
        code = np.where(neg | (a == 0), f.nan_code, code)
    return code.astype(np.uint8)


@quiet
def floats_encode(src, out, fmt, saturate):
    """``out = encode(src)``: float32 ``src`` to uint8 codes of format ``fmt`` (same size);
    ``saturate`` maps overflow and +-inf to +-max instead of inf/NaN."""
    out.reshape(-1)[...] = _encode(src.reshape(-1), fmt, saturate)


def _width_error(src, fmt) -> int:
    return int(src.size > 0 and int(src.max()) > FORMATS[fmt].code_limit)


@quiet
def floats_decode(src, out, fmt, stream=False):
    """``out = table[src]``: uint8 codes to float32 (same size); returns 1 when a code has bits
    set above the format's width (its value is then unspecified), else 0. ``stream`` changes
    no value."""
    bad = _width_error(src, fmt)
    np.take(floats_table(fmt), src.reshape(-1), out=out.reshape(-1))
    return bad


def _expand(scales, block, shape):
    """``scales`` of shape (O or 1, ceil(C / block), I or 1) repeated along axis 1 to the C
    entries of ``shape`` = (O, C, I), broadcastable against an (O, C, I) array."""
    return np.repeat(scales, block, axis=1)[:, : shape[1]]


@quiet
def floats_encode_scaled(src, out, scales, block, fmt, saturate):
    """``out[o, c, i] = encode(src[o, c, i] / scales[o', c // block, i'], fmt, saturate)`` on
    3-D ``(O, C, I)`` arrays, ``scales`` float32 of shape ``(O or 1, ceil(C / block), I or 1)``
    (``o' = o`` or 0, ``i' = i`` or 0): a float32 division, then the cast."""
    out[...] = _encode(src / _expand(scales, block, src.shape), fmt, saturate).reshape(src.shape)


@quiet
def floats_decode_scaled(src, out, scales, block, fmt, stream=False):
    """``out[o, c, i] = table[src[o, c, i]] * scales[o', c // block, i']`` (float32 multiply)
    on 3-D arrays shaped as in :func:`floats_encode_scaled`; returns 1 when a code has bits
    above the format's width, else 0."""
    bad = _width_error(src, fmt)
    out[...] = floats_table(fmt)[src] * _expand(scales, block, src.shape)
    return bad


def _pow2(scales):
    """float32 ``2**(s - 127)`` of E8M0 scale bytes (0x00: 2**-127, a subnormal); NaN at 0xFF."""
    return floats_table(7)[scales]  # id 7 is float8_e8m0fnu


@quiet
def floats_quantize_mx(src, codes, scales, block, fmt):
    """OCP MX quantization of 3-D ``(O, C, I)`` float32 ``src`` in blocks of ``block`` along
    axis 1: ``scales`` uint8 ``(O, C // block, I)`` (E8M0 bytes), ``codes`` uint8 like ``src``.
    Per block: ``amax = max |x|`` by the float32 bits; ``e = floor(log2(amax)) - emax`` from
    its exponent (subnormals by their bit length), clamped to [-127, 127], ``-127`` for
    ``amax == 0``; scale byte ``e + 127``; codes ``encode(x * 2**-e, saturate=True)`` (an exact
    product: 2**-e is a normal float32, and a product below 2**-126 rounds to +-0 in every MX
    element format either way). A NaN or inf in the block: scale 0xFF and codes 0."""
    f = FORMATS[fmt]
    o, c, i = src.shape
    x = src.reshape(o, c // block, block, i)
    a = x.view(np.uint32) & 0x7FFFFFFF
    amax = a.max(axis=2, initial=0).astype(np.int64)
    bad = amax >= 0x7F800000
    e = amax >> 23
    floor_log2 = np.where(e > 0, e - 127, np.frexp(amax.astype(np.float64))[1] - 1 - 149)
    shared = np.clip(floor_log2 - f.emax, -127, 127)
    shared = np.where(amax == 0, -127, shared)
    shared = np.where(bad, 0, shared)
    mult = ((127 - shared) << 23).astype(np.uint32).view(np.float32)
    q = _encode(x * mult[:, :, None, :], fmt, True).reshape(x.shape)
    q[np.broadcast_to(bad[:, :, None, :], x.shape)] = 0
    codes[...] = q.reshape(src.shape)
    scales[...] = np.where(bad, 0xFF, shared + 127).astype(np.uint8)


@quiet
def floats_dequantize_mx(src, out, scales, block, fmt, stream=False):
    """``out = table[src] * 2**(scale - 127)`` on 3-D ``(O, C, I)`` codes, ``scales`` uint8
    ``(O, C // block, I)``; +NaN (0x7FC00000) wherever the scale byte is 0xFF. Returns 1 when a
    code has bits above the format's width, else 0."""
    bad = _width_error(src, fmt)
    o, c, i = src.shape
    x = floats_table(fmt)[src].reshape(o, c // block, block, i)
    y = x * _pow2(scales)[:, :, None, :]
    y[np.broadcast_to((scales == 0xFF)[:, :, None, :], y.shape)] = np.uint32(_NAN32).view(np.float32)
    out[...] = y.reshape(src.shape)
    return bad


@quiet
def floats_pack_nibbles(src, out):
    """Pack ``(rows, n)`` uint8 codes into ``(rows, ceil(n / 2))`` bytes, first code in the low
    nibble, odd rows padded with 0; returns 1 if a code exceeds 15, else 0."""
    bad = int(src.size > 0 and int(src.max()) > 15)
    low = src[:, 0::2] & 0xF
    high = src[:, 1::2] & 0xF
    if high.shape[1] < low.shape[1]:  # odd row length: pad with a 0 code
        high = np.concatenate([high, np.zeros((src.shape[0], 1), np.uint8)], axis=1)
    out[...] = low | (high << 4)
    return bad


@quiet
def floats_unpack_nibbles(src, out):
    """Unpack ``(rows, m)`` bytes into ``(rows, n)`` codes in [0, 15], ``n`` in {2m-1, 2m}."""
    full = np.empty((src.shape[0], 2 * src.shape[1]), np.uint8)
    full[:, 0::2] = src & 0xF
    full[:, 1::2] = src >> 4
    out[...] = full[:, : out.shape[1]]
