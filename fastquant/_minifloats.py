"""The minifloat formats as data: one row of traits per format, read by the NumPy twins
(``fastquant/_twins/floats.py``), the compiled kernels (``csrc/floats.pyx`` fills its C traits
table from these rows at import), the public module :mod:`fastquant.floats` and the tests.

A format is fixed by its exponent and mantissa widths, its exponent bias and its *kind*, which
says what the codes at the edges mean (the five kinds are the five conventions ml_dtypes uses):

========  ==========================================================================
kind      special codes (``S`` = sign bit, ``E..E`` = exponent field, ``M..M`` mantissa)
========  ==========================================================================
ieee      ``S.1..1.0..0`` = +-inf, ``S.1..1.M`` (M != 0) = NaN; max = ``0.1..10.1..1``
fn        no inf; only ``S.1..1.1..1`` = NaN; max = ``0.1..1.1..10``
fnuz      no inf, no -0: ``1.0..0.0..0`` (0x80) is the one NaN; max = ``0.1..1.1..1``
mx        no inf, no NaN (OCP MX fp6/fp4); max = ``0.1..1.1..1``
e8m0      unsigned, no zero, no mantissa: value ``2**(code - 127)``, 0xFF = NaN
========  ==========================================================================

From these follow the few codes the encoder needs (``max_code``, ``overflow_code``,
``nan_code``, ...), as properties, so the twin and the kernel read the same numbers.
"""

from __future__ import annotations

import dataclasses
import math

KINDS = ("ieee", "fn", "fnuz", "mx", "e8m0")


@dataclasses.dataclass(frozen=True)
class FloatFormat:
    """One minifloat format (an ml_dtypes type) and the codes derived from it.

    ``id`` is the format's index in :data:`FORMATS` order, the number the kernels take.
    """

    name: str                 #: the ml_dtypes name, e.g. "float8_e4m3fn"
    id: int                   #: kernel format id (index in FORMATS)
    exponent_bits: int
    mantissa_bits: int
    bias: int                 #: exponent bias: value = 2**(E - bias) * 1.M (normal codes)
    kind: str                 #: one of KINDS
    onnx_type: int = 0        #: onnx.TensorProto enum of the same type, 0 when ONNX lacks it
    torch_name: str = ""      #: torch dtype name (``torch.<name>``), "" when torch lacks it

    # --- widths ---------------------------------------------------------------------------
    @property
    def signed(self) -> bool:
        return self.kind != "e8m0"

    @property
    def bits(self) -> int:
        """Bits per code: 8, 6 or 4 (codes sit in the low bits of a byte)."""
        return int(self.signed) + self.exponent_bits + self.mantissa_bits

    @property
    def code_limit(self) -> int:
        """Codes lie in ``[0, code_limit]``: 255, 63 or 15."""
        return (1 << self.bits) - 1

    @property
    def sign_bit(self) -> int:
        """The code's sign bit (0x80, 0x20, 0x08); 0 for the unsigned e8m0."""
        return 1 << (self.bits - 1) if self.signed else 0

    # --- what the format holds --------------------------------------------------------------
    @property
    def has_inf(self) -> bool:
        return self.kind == "ieee"

    @property
    def has_nan(self) -> bool:
        return self.kind != "mx"

    @property
    def has_negative_zero(self) -> bool:
        return self.kind in ("ieee", "fn", "mx")

    @property
    def has_zero(self) -> bool:
        return self.kind != "e8m0"

    # --- the codes the encoder writes ---------------------------------------------------------
    @property
    def max_code(self) -> int:
        """The code (magnitude) of the largest finite value."""
        all_ones = (1 << (self.exponent_bits + self.mantissa_bits)) - 1
        if self.kind == "ieee":  # the top exponent is inf/NaN
            return all_ones - (1 << self.mantissa_bits)
        if self.kind in ("fn", "e8m0"):  # only the all-ones code is NaN
            return all_ones - 1
        return all_ones  # fnuz, mx

    @property
    def inf_code(self) -> int:
        """What +inf, and any finite value that rounds beyond ``max``, become without
        ``saturate`` (ml_dtypes: the format's ``infinity()``): inf, else NaN, else max."""
        if self.kind == "ieee":
            return self.max_code + 1
        if self.kind == "mx":
            return self.max_code
        return self.nan_code

    @property
    def nan_code(self) -> int:
        """The code of +NaN (ml_dtypes' ``quiet_NaN()``). The mx kinds have no NaN: ml_dtypes
        writes the bit pattern of -0 for +NaN (and +0 for -NaN)."""
        if self.kind == "ieee":  # the quiet NaN: top mantissa bit set
            return ((1 << self.exponent_bits) - 1) << self.mantissa_bits | 1 << (self.mantissa_bits - 1)
        if self.kind == "fn":
            return (1 << (self.exponent_bits + self.mantissa_bits)) - 1
        if self.kind == "fnuz":
            return self.sign_bit
        if self.kind == "mx":
            return self.sign_bit
        return 0xFF  # e8m0

    @property
    def nan_flip(self) -> int:
        """XOR-ed into ``nan_code`` for a NaN with the sign bit set (ml_dtypes negates its
        NaN: a sign flip, except where the NaN code is the only one)."""
        return self.sign_bit if self.kind in ("ieee", "fn", "mx") else 0

    # --- values -------------------------------------------------------------------------------
    @property
    def max(self) -> float:
        """The largest finite value."""
        return self.value_of(self.max_code)

    @property
    def min_normal(self) -> float:
        return self.value_of(1 << self.mantissa_bits) if self.signed else self.value_of(0)

    @property
    def smallest_subnormal(self) -> float:
        return self.value_of(1) if self.signed else self.value_of(0)

    @property
    def emax(self) -> int:
        """The binary exponent of the largest normal value (``floor(log2(max))``): OCP MX's
        ``emax_elem`` (8, 15, 2, 4, 2 for e4m3fn, e5m2, e2m3fn, e3m2fn, e2m1fn)."""
        return math.frexp(self.max)[1] - 1

    def value_of(self, code: int) -> float:
        """The (finite) value of a code that is not inf or NaN, as a Python float (exact)."""
        if not self.signed:
            return math.ldexp(1.0, code - self.bias)
        sign = -1.0 if code & self.sign_bit else 1.0
        mag = code & (self.sign_bit - 1)
        e, f = mag >> self.mantissa_bits, mag & ((1 << self.mantissa_bits) - 1)
        if e == 0:
            return sign * math.ldexp(f, 1 - self.bias - self.mantissa_bits)
        return sign * math.ldexp((1 << self.mantissa_bits) + f, e - self.bias - self.mantissa_bits)


def _rows():
    rows = (
        # name, exponent bits, mantissa bits, bias, kind, onnx TensorProto enum, torch name
        ("float8_e4m3fn", 4, 3, 7, "fn", 17, "float8_e4m3fn"),
        ("float8_e4m3fnuz", 4, 3, 8, "fnuz", 18, "float8_e4m3fnuz"),
        ("float8_e5m2", 5, 2, 15, "ieee", 19, "float8_e5m2"),
        ("float8_e5m2fnuz", 5, 2, 16, "fnuz", 20, "float8_e5m2fnuz"),
        ("float8_e4m3", 4, 3, 7, "ieee", 0, ""),
        ("float8_e3m4", 3, 4, 3, "ieee", 0, ""),
        ("float8_e4m3b11fnuz", 4, 3, 11, "fnuz", 0, ""),
        ("float8_e8m0fnu", 8, 0, 127, "e8m0", 24, "float8_e8m0fnu"),
        ("float6_e2m3fn", 2, 3, 1, "mx", 0, ""),
        ("float6_e3m2fn", 3, 2, 3, "mx", 0, ""),
        ("float4_e2m1fn", 2, 1, 1, "mx", 23, ""),
    )
    return tuple(FloatFormat(name, i, eb, mb, bias, kind, onnx, torch)
                 for i, (name, eb, mb, bias, kind, onnx, torch) in enumerate(rows))


#: Every format, in kernel-id order.
FORMATS: tuple = _rows()
BY_NAME: dict = {f.name: f for f in FORMATS}

#: The element formats of OCP MX v1.0 (section 5.3) that ``quantize_mx`` takes.
MX_FORMATS = ("float8_e4m3fn", "float8_e5m2", "float6_e2m3fn", "float6_e3m2fn", "float4_e2m1fn")
