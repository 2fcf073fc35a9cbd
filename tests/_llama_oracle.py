"""llama.cpp's C reference quantizers as a test oracle (through ctypes).

tools/build_llama_oracle.py builds ``libggml_quants_ref-<version>.so`` from the pinned
llama-cpp-python sdist; tests find it through ``$FASTQUANT_LLAMA_ORACLE`` (the path of the
library) or at the script's default place, ``build/oracle/`` of the repository. When it is
missing, :func:`oracle` skips on a developer's machine and FAILS in CI (tests/_oracles.py).

``quantize(x, "Q4_K")`` runs ``quantize_row_q4_K_ref`` on float32 ``x`` (a whole number of
blocks; the output buffer starts zeroed) and returns its bytes, or raises
:class:`OracleAssert` when the C code failed an assertion (the library's stubs turn the abort
into an error return). ``dequantize(b, "Q4_K")`` runs ``dequantize_row_q4_K``.
"""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path

import numpy as np

from _oracles import missing

#: The llama-cpp-python version the encoders were verified against (tools/build_llama_oracle.py).
VERSION = "0.3.36"
ROOT = Path(__file__).resolve().parent.parent

#: (block_size, type_size) of the types the library quantizes (``quantize_row_<name>_ref``).
SIZES = {
    "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24), "Q8_0": (32, 34),
    "Q2_K": (256, 84), "Q3_K": (256, 110), "Q4_K": (256, 144), "Q5_K": (256, 176),
    "Q6_K": (256, 210), "Q8_K": (256, 292), "IQ4_NL": (32, 18), "IQ4_XS": (256, 136),
    "TQ1_0": (256, 54), "TQ2_0": (256, 66), "MXFP4": (32, 17), "NVFP4": (64, 36),
}


class OracleAssert(Exception):
    """The C reference failed an assertion (it would have aborted)."""


def _c_name(qtype: str) -> str:
    return qtype.lower().replace("_k", "_K")


def library_path() -> Path:
    env = os.environ.get("FASTQUANT_LLAMA_ORACLE", "").strip()
    if env:
        return Path(env)
    base = os.environ.get("FASTQUANT_LLAMA_ORACLE_DIR", "").strip()
    return (Path(base) if base else ROOT / "build" / "oracle") / f"libggml_quants_ref-{VERSION}.so"


class Oracle:
    def __init__(self, path: Path):
        self.lib = ctypes.CDLL(str(path))
        self.lib.fq_oracle_call.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        self.lib.fq_oracle_call.restype = ctypes.c_int
        self.lib.fq_oracle_message.restype = ctypes.c_char_p
        self.lib.fq_oracle_version.restype = ctypes.c_char_p
        self.version = self.lib.fq_oracle_version().decode()

    def _fn(self, name: str):
        return ctypes.cast(getattr(self.lib, name), ctypes.c_void_p)

    def quantize(self, x, qtype: str) -> np.ndarray:
        bs, ts = SIZES[qtype]
        x = np.ascontiguousarray(x, np.float32).reshape(-1)
        assert x.size % bs == 0
        y = np.zeros(x.size // bs * ts, np.uint8)
        if x.size and self.lib.fq_oracle_call(self._fn(f"quantize_row_{_c_name(qtype)}_ref"), x.ctypes.data, y.ctypes.data, x.size):
            raise OracleAssert(self.lib.fq_oracle_message().decode())
        return y

    def dequantize(self, b, qtype: str) -> np.ndarray:
        bs, ts = SIZES[qtype]
        b = np.ascontiguousarray(b, np.uint8).reshape(-1)
        assert b.size % ts == 0
        x = np.zeros(b.size // ts * bs, np.float32)
        if b.size and self.lib.fq_oracle_call(self._fn(f"dequantize_row_{_c_name(qtype)}"), b.ctypes.data, x.ctypes.data, x.size):
            raise OracleAssert(self.lib.fq_oracle_message().decode())
        return x


@functools.lru_cache(maxsize=1)
def _load():
    path = library_path()
    if not path.is_file():
        return None, f"llama.cpp reference library {path} (build it: python tools/build_llama_oracle.py)"
    try:
        lib = Oracle(path)
    except (OSError, AttributeError) as exc:
        return None, f"llama.cpp reference library {path} ({exc})"
    if lib.version != VERSION:
        return None, f"llama.cpp reference {VERSION} (the library at {path} is {lib.version})"
    return lib, ""


def oracle() -> Oracle:
    """The loaded oracle, or skip/fail (tests/_oracles.missing) when it is unavailable."""
    lib, why = _load()
    if lib is None:
        missing(why)
    return lib
