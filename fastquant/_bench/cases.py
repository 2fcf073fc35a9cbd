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
from typing import Callable, Mapping, Optional

import numpy as np

import fastquant

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

    def args(self, n: int, seed: int = SEED) -> tuple:
        """The positional arguments for ``n`` elements; the same ``(seed, n)`` gives the same data."""
        return self.make(n, np.random.default_rng([seed, n]))

    def function(self) -> Optional[Callable]:
        """The public function, or None when this branch does not have it. ``func`` names a
        function of the ``fastquant`` namespace, or ``module.function`` of a fastquant module
        that is not re-exported there (``gguf.dequantize``)."""
        return _lookup(self.func)

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
