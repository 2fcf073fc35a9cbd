"""The benchmark cases: one registry for ``python -m fastquant bench`` and ``pytest bench``.

A case is one public call of fastquant on seeded data of ``n`` elements, where ``n`` counts
the logical values (floats or unpacked codes); packed inputs or outputs hold fewer bytes. A
case says how to make its positional arguments for ``n`` and which keywords to pass; the bytes
it moves (inputs + output, for GB/s) are measured from the actual arrays.

Adding a codec means adding entries to :data:`CASES` below, nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Callable, Mapping, Optional

import numpy as np

import fastquant
import fastquant.gguf  # noqa: F401  (cases name functions of submodules as "gguf.quantize")

#: Last-axis length of generated data (an embedding dimension); shorter or ragged sizes are 1-D.
ROW = 1024

SEED = 20261123


def shape(n: int) -> tuple:
    """``(n // ROW, ROW)`` when ``n`` is a multiple of ROW, else ``(n,)``."""
    return (n // ROW, ROW) if n >= ROW and n % ROW == 0 else (n,)


def _packed_shape(n: int, per_byte: int) -> tuple:
    s = shape(n)
    return s[:-1] + (-(-s[-1] // per_byte),)


# --- data makers: (n, rng) -> one array -------------------------------------------------------

def floats(n, rng):
    """Standard normal float32 values."""
    return rng.standard_normal(shape(n), dtype=np.float32)


def int4_codes(n, rng):
    return rng.integers(-8, 8, shape(n), dtype=np.int8)


def int4_bytes(n, rng):
    """Packed int4 bytes holding ``n`` nibbles (any byte is two valid codes)."""
    return rng.integers(-128, 128, _packed_shape(n, 2), dtype=np.int8)


def int8_codes(n, rng):
    return rng.integers(-128, 128, shape(n), dtype=np.int8)


def uint8_codes(n, rng):
    return rng.integers(0, 256, shape(n), dtype=np.uint8)


def sign_bytes(dtype):
    """Packed sign bits holding ``n`` bits, as int8 ("binary") or uint8 ("ubinary") bytes."""
    def make(n, rng):
        return rng.integers(0, 256, _packed_shape(n, 8), dtype=np.uint8).view(dtype)
    return make


def calibrated_ranges(n: int, rng) -> np.ndarray:
    """``ranges`` (2, D) for ``floats(n)``: the minima and maxima of a standard normal sample of
    256 rows (some values of the data fall outside them, as in real use)."""
    sample = rng.standard_normal((256, shape(n)[-1]), dtype=np.float32)
    return np.vstack([sample.min(axis=0), sample.max(axis=0)])
#: Byte offsets of the fp16 scales in each GGUF block type: benchmark blocks get moderate
#: finite scales there (random bytes would make 1 in 32 blocks inf/NaN, unlike a real model).
GGUF_FP16_SCALES = {
    "Q4_0": (0,), "Q4_1": (0, 2), "Q5_0": (0,), "Q5_1": (0, 2), "Q8_0": (0,),
    "Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,),
    "TQ1_0": (52,), "TQ2_0": (64,), "IQ2_XXS": (0,), "IQ2_XS": (0,), "IQ2_S": (0,),
    "IQ3_XXS": (0,), "IQ3_S": (0,), "IQ1_S": (0,), "IQ4_NL": (0,), "IQ4_XS": (0,),
}


def gguf_bytes(name: str, values_shape: tuple, rng) -> np.ndarray:
    """GGUF ``name`` blocks holding a tensor of ``values_shape`` (last axis whole blocks): F32,
    F16 and BF16 of standard normal values, other types random bytes with moderate finite
    fp16 scales (IQ1_M: its packed scale's top exponent bit cleared)."""
    from fastquant import gguf

    t = gguf.qtype_of(name)
    if t.block_size == 1:
        v = rng.standard_normal(values_shape, dtype=np.float32)
        if name == "F16":
            v = v.astype(np.float16)
        elif name == "BF16":
            v = (v.view(np.uint32) >> 16).astype(np.uint16)
        return v.view(np.uint8)
    data = rng.integers(0, 256, gguf.quant_shape_to_byte_shape(values_shape, t), dtype=np.uint8)
    blocks = data.reshape(-1, t.type_size)
    scales = (rng.random(blocks.shape[0], dtype=np.float32) * 0.02 + 1e-3).astype(np.float16)
    for at in GGUF_FP16_SCALES.get(name, ()):
        blocks[:, at:at + 2] = scales.view(np.uint8).reshape(-1, 2)
    if name == "IQ1_M":
        blocks[:, 55] &= 0xBF
    return data


def gguf_maker(name: str):
    """Case arguments for ``n`` values: (bytes, qtype), the last axis cut to whole blocks."""
    def make(n, rng):
        from fastquant import gguf

        bs = gguf.qtype_of(name).block_size
        s = shape(n)
        s = s[:-1] + (max(bs, s[-1] // bs * bs),)
        return gguf_bytes(name, s, rng), name
    return make


def minifloat_values(name):
    """float32 values spread over a minifloat format's range: standard normal times a quarter
    of its max (overflow, subnormals and ties all occur); e8m0: positive, log-uniform."""
    def make(n, rng):
        f = fastquant.floats.FORMATS[name]
        if not f.signed:
            return np.exp2(rng.uniform(-100, 100, shape(n))).astype(np.float32)
        return rng.standard_normal(shape(n), dtype=np.float32) * np.float32(f.max / 4)
    return make


def minifloat_codes(name):
    """Random codes of a minifloat format (every code, NaN codes included)."""
    def make(n, rng):
        return rng.integers(0, fastquant.floats.FORMATS[name].code_limit + 1, shape(n), dtype=np.uint8)
    return make


def mx_shape(n: int) -> tuple:
    """``shape(n)`` when its last axis holds whole MX blocks of 32, else ``(ceil(n / 32), 32)``."""
    s = shape(n)
    return s if s[-1] % 32 == 0 else (-(-n // 32), 32)


def nibble_codes(n, rng):
    return rng.integers(0, 16, shape(n), dtype=np.uint8)


#: fastquant.onnx code types and the scale that spreads standard normal data over each
ONNX_SCALES = {"int8": 3 / 127, "uint8": 6 / 255, "int16": 3 / 32767, "uint16": 6 / 65535, "int4": 3 / 7,
               "uint4": 6 / 15, "int2": 1.5, "uint2": 2.0, "float8e4m3fn": 1 / 64, "float8e4m3fnuz": 1 / 32,
               "float8e5m2": 1 / 4096, "float8e5m2fnuz": 1 / 4096, "float4e2m1": 0.5}
#: zero points of the unsigned integer types: the middle of the range
ONNX_ZERO = {"uint8": 128, "uint16": 32768, "uint4": 8, "uint2": 2}


def onnx_block_scales(name: str, block: int):
    """``(x, y_scale)``: standard normal x and a scale per block of ``block`` along the last axis
    (a ragged last block for a 1-D ``n`` that ``block`` does not divide)."""
    def make(n, rng):
        x = floats(n, rng)
        blocks = x.shape[:-1] + (-(-x.shape[-1] // block),)
        return x, rng.uniform(0.5, 2.0, blocks).astype(np.float32) * np.float32(ONNX_SCALES[name])
    return make


def onnx_codes(name: str):
    """Random codes of an ONNX code type, of its ``to_array`` dtype (ml_dtypes for most)."""
    def make(n, rng):
        from fastquant.onnx import CODE_TYPES

        t = CODE_TYPES[name]
        if t.is_float:
            limit = fastquant.floats.FORMATS[t.float_format].code_limit
            return rng.integers(0, limit + 1, shape(n), dtype=np.uint8).view(t.dtype)
        return rng.integers(t.qmin, t.qmax + 1, shape(n)).astype(t.dtype)
    return make


def last(n: int) -> int:
    """The unpacked last-axis length of ``shape(n)`` (``orig_dim`` / ``n`` of unpackers)."""
    return shape(n)[-1]


# --- the case type ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmarked call: ``fastquant.<func>(*make(n, rng), **kwargs[, out=...])``."""

    op: str                                   #: row label, unique, e.g. "quantize_to_int4[absmax]"
    family: str                               #: codec family
    func: str                                 #: public function name in the fastquant namespace
    make: Callable[[int, np.random.Generator], tuple]  #: positional arguments for n elements
    kwargs: Mapping = dataclasses.field(default_factory=dict)
    takes_out: bool = True                    #: whether the function has ``out=``
    takes_threads: bool = True                #: whether the function has ``threads=``
    #: names of the last values ``make`` returns, passed by keyword (e.g. ``("ranges",)``:
    #: parameters made with the data that the function takes as keywords only)
    keywords: tuple = ()
    #: an optional module the function needs (``"ml_dtypes"`` for fastquant.onnx): without it
    #: the case is left out of :func:`select`
    needs: str = ""

    #: Largest ``n`` at which the NumPy twin is timed (None: every size). The GGUF K-quant
    #: twins run the scale search in Python-level loops, seconds per million values.
    twin_limit: Optional[int] = None

    def args(self, n: int, seed: int = SEED) -> tuple:
        """The positional arguments for ``n`` elements; the same ``(seed, n)`` gives the same data."""
        return self.make(n, np.random.default_rng([seed, n]))

    def function(self) -> Optional[Callable]:
        """The public function, or None when this branch does not have it. ``func`` names a
        function of the ``fastquant`` namespace, or ``module.function`` of a fastquant module
        that is not re-exported there (``gguf.dequantize``)."""
        return _lookup(self.func)

    def times_twin(self, n: int) -> bool:
        """Whether the NumPy twin is timed at ``n`` elements."""
        return self.twin_limit is None or n <= self.twin_limit

    def call(self, args: tuple, out: Optional[np.ndarray] = None, threads: Optional[int] = None):
        """Run the public call on the active backend (``out`` and ``threads`` only if given,
        ``threads`` only when the function takes it)."""
        kwargs = dict(self.kwargs)
        if self.keywords:
            args, given = args[:len(args) - len(self.keywords)], args[len(args) - len(self.keywords):]
            kwargs.update(zip(self.keywords, given))
        if out is not None:
            kwargs["out"] = out
        if threads is not None and self.takes_threads:
            kwargs["threads"] = threads
        return _lookup(self.func)(*args, **kwargs)

    def new_out(self, result) -> np.ndarray:
        """An empty array to pass as ``out=``, shaped like the array ``result`` holds."""
        return np.empty_like(main_array(result))

    def bytes_moved(self, args: tuple, result) -> int:
        """Bytes read (array arguments) plus bytes written (the output array)."""
        return sum(a.nbytes for a in args if isinstance(a, np.ndarray)) + main_array(result).nbytes


def _lookup(func: str) -> Optional[Callable]:
    if "." not in func:
        return getattr(fastquant, func, None)
    module, name = func.rsplit(".", 1)
    try:
        return getattr(importlib.import_module(f"fastquant.{module}"), name, None)
    except ImportError:
        return None


def main_array(result) -> np.ndarray:
    """The output array of a call: the result, or its first item for ``(codes, scale, zp)``."""
    return result[0] if isinstance(result, tuple) else result


# --- the registry -----------------------------------------------------------------------------

def _cases():
    yield from (
        Case("quantize_to_int4[absmax]", "int4", "quantize_to_int4",
             lambda n, r: (floats(n, r), "absmax"), takes_out=False),
        Case("quantize_to_int4[minmax]", "int4", "quantize_to_int4",
             lambda n, r: (floats(n, r), "minmax"), takes_out=False),
        Case("quantize_to_int4[asymmetric]", "int4", "quantize_to_int4",
             lambda n, r: (floats(n, r), "asymmetric"), takes_out=False),
        Case("dequantize_from_int4", "int4", "dequantize_from_int4",
             lambda n, r: (int4_codes(n, r), 0.05, 1)),
        Case("pack_int4_to_int8", "int4", "pack_int4_to_int8",
             lambda n, r: (int4_codes(n, r),)),
        Case("unpack_int8_to_int4", "int4", "unpack_int8_to_int4",
             lambda n, r: (int4_bytes(n, r), last(n))),
        Case("quantize_to_packed_int4", "int4", "quantize_to_packed_int4",
             lambda n, r: (floats(n, r), "absmax")),
        Case("quantize_to_packed_int4[asymmetric]", "int4", "quantize_to_packed_int4",
             lambda n, r: (floats(n, r), "asymmetric")),
        Case("dequantize_packed_int4", "int4", "dequantize_packed_int4",
             lambda n, r: (int4_bytes(n, r), 0.05, 1, last(n))),
    )
    # embeddings: dequantize(q, quant, orig_dim) and quantize_embeddings(x, precision)
    codes = {"int8": int8_codes, "uint8": uint8_codes,
             "binary": sign_bytes(np.int8), "ubinary": sign_bytes(np.uint8)}
    for quant, make in codes.items():
        packed = quant in ("binary", "ubinary")
        yield Case(f"dequantize[{quant}]", "embeddings", "dequantize",
                   lambda n, r, make=make, quant=quant, packed=packed:
                   (make(n, r), quant) + ((last(n),) if packed else ()))
    for precision in codes:
        yield Case(f"quantize_embeddings[{precision}]", "embeddings", "quantize_embeddings",
                   lambda n, r, precision=precision: (floats(n, r), precision))
    # calibrated int8/uint8 (SPEC 10): fixed ranges, calibrated once, passed as ranges=
    for precision, make in (("int8", int8_codes), ("uint8", uint8_codes)):
        yield Case(f"quantize_embeddings[{precision},ranges]", "embeddings", "quantize_embeddings",
                   lambda n, r, precision=precision: (floats(n, r), precision, calibrated_ranges(n, r)),
                   keywords=("ranges",))
        yield Case(f"dequantize[{precision},ranges]", "embeddings", "dequantize",
                   lambda n, r, make=make, precision=precision: (make(n, r), precision, calibrated_ranges(n, r)),
                   keywords=("ranges",))
    # affine: quantize_func(x, scales, zero_point, n_bits) and dequantize_func(x_q, scales, zero_point)
    yield Case("quantize_func[8bit]", "affine", "quantize_func",
               lambda n, r: (floats(n, r), 8 / 255, 3, 8))
    yield Case("dequantize_func[8bit]", "affine", "dequantize_func",
               lambda n, r: (int8_codes(n, r), 8 / 255, 3))
    # gguf: dequantize(bytes, qtype) for every type gguf-py decodes (fastquant.gguf)
    from fastquant.gguf import DECODE_TYPES

    for name in DECODE_TYPES:
        yield Case(f"gguf.dequantize[{name}]", "gguf", "gguf.dequantize", gguf_maker(name))

    # GGUF encode: fastquant.gguf.quantize(x, qtype) on standard normal rows of 1024 values
    # (n rounded up to whole 256-value super-blocks: every type's blocks fit). The twins are
    # timed up to 64K values: the K-quant searches take them seconds per million.
    for qtype in fastquant.gguf.ENCODE_TYPES:
        if qtype in ("F32", "F16"):
            continue
        yield Case(f"gguf.quantize[{qtype}]", "gguf_encode", "gguf.quantize",
                   lambda n, r, qtype=qtype: (gguf_floats(n, r), qtype), twin_limit=1 << 16)
    # floats: every minifloat format, encode and decode; OCP MX blocks; unsigned nibbles
    for name in fastquant.floats.FORMATS:
        yield Case(f"floats.encode[{name}]", "floats", "floats.encode",
                   lambda n, r, name=name: (minifloat_values(name)(n, r), name))
        yield Case(f"floats.decode[{name}]", "floats", "floats.decode",
                   lambda n, r, name=name: (minifloat_codes(name)(n, r), name))
    for name in ("float8_e4m3fn", "float4_e2m1fn"):  # blocks of 32 along the last axis
        yield Case(f"floats.quantize_mx[{name}]", "floats", "floats.quantize_mx",
                   lambda n, r, name=name: (r.standard_normal(mx_shape(n), dtype=np.float32), name),
                   takes_out=False)
        yield Case(f"floats.dequantize_mx[{name}]", "floats", "floats.dequantize_mx",
                   lambda n, r, name=name: (
                       r.integers(0, fastquant.floats.FORMATS[name].code_limit + 1, mx_shape(n), dtype=np.uint8),
                       r.integers(110, 140, mx_shape(n)[:-1] + (mx_shape(n)[-1] // 32,), dtype=np.uint8), name))
    yield Case("pack_nibbles", "floats", "pack_nibbles", lambda n, r: (nibble_codes(n, r),))
    # onnx: QuantizeLinear / DequantizeLinear (SPEC 9) of every code type per tensor, the common
    # weight types also in blocks of 32 (and int4/int8 of 128) along the last axis; the typed
    # codes need ml_dtypes (the `onnx` extra)
    for name, scale in ONNX_SCALES.items():
        zero = ONNX_ZERO.get(name)
        yield Case(f"quantize_linear[{name}]", "onnx", "onnx.quantize_linear",
                   lambda n, r, scale=scale: (floats(n, r), scale),
                   kwargs=dict(y_zero_point=zero, output_dtype=name), needs="ml_dtypes")
        yield Case(f"dequantize_linear[{name}]", "onnx", "onnx.dequantize_linear",
                   lambda n, r, name=name, scale=scale: (onnx_codes(name)(n, r), scale),
                   kwargs=dict(x_zero_point=zero) if zero else {}, needs="ml_dtypes")
    for name, block in (("int4", 32), ("uint4", 32), ("int8", 32), ("uint8", 32), ("float8e4m3fn", 32),
                        ("int4", 128), ("int8", 128)):
        yield Case(f"quantize_linear[{name},block{block}]", "onnx", "onnx.quantize_linear",
                   onnx_block_scales(name, block), kwargs=dict(axis=-1, block_size=block, output_dtype=name),
                   keywords=("y_scale",), needs="ml_dtypes")
        yield Case(f"dequantize_linear[{name},block{block}]", "onnx", "onnx.dequantize_linear",
                   lambda n, r, name=name, block=block: (onnx_codes(name)(n, r), onnx_block_scales(name, block)(n, r)[1]),
                   kwargs=dict(axis=-1, block_size=block), keywords=("x_scale",), needs="ml_dtypes")
    yield Case("dynamic_quantize_linear", "onnx", "onnx.dynamic_quantize_linear", lambda n, r: (floats(n, r),),
               takes_out=False, needs="ml_dtypes")
    yield Case("unpack_nibbles", "floats", "unpack_nibbles", lambda n, r: (int4_bytes(n, r), last(n)))


def gguf_floats(n, rng):
    """Standard normal float32 values: ``shape(n)`` when its rows hold whole 256-value
    super-blocks, else ``n`` rounded up to them, 1-D."""
    s = shape(n)
    if s[-1] % 256:
        s = (-(-n // 256) * 256,)
    return rng.standard_normal(s, dtype=np.float32)


CASES: tuple = tuple(_cases())
assert len({c.op for c in CASES}) == len(CASES), "case labels must be unique"


def select(patterns=None, cases=None) -> list:
    """The cases matching ``patterns`` (any pattern that is a substring of the op label or
    equals the family; all when None). A case naming a function fastquant lacks is a registry
    bug: ``RuntimeError``."""
    selected = []
    for case in CASES if cases is None else cases:
        if patterns and not any(p in case.op or p == case.family for p in patterns):
            continue
        if case.needs and importlib.util.find_spec(case.needs) is None:
            continue
        if case.function() is None:
            raise RuntimeError(f"benchmark case {case.op!r}: fastquant has no function {case.func!r}")
        selected.append(case)
    return selected


# --- sizes ------------------------------------------------------------------------------------

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str) -> int:
    """``"4K"`` -> 4096, ``"32M"`` -> 33554432, ``"1000"`` -> 1000 (binary units)."""
    t = text.strip().upper()
    unit = t[-1] if t and t[-1] in "KMG" else ""
    number = t[: len(t) - len(unit)]
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"size: expected a positive count like 4096, 4K or 32M, got {text!r}")
    return int(number) * _UNITS[unit]


def parse_sizes(text: str) -> list:
    return [parse_size(part) for part in text.split(",") if part.strip()]


def size_label(n: int) -> str:
    """The shortest exact label: 4096 -> "4K", 33554432 -> "32M", 1000 -> "1000"."""
    for unit in ("G", "M", "K"):
        if n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return str(n)
