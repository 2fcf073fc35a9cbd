"""Shared by the storage tests (numcodecs, Zarr, dask): the modules they need, the codec cases,
an independent reference of every codec's stored bytes, and the environment of a fresh
process that finds fastquant's codecs through its entry points alone.

The integrations are test dependencies (the ``test`` extra installs them on Python >= 3.11):
where they cannot exist (Python 3.10) the modules skip; elsewhere a missing one skips on a
developer's machine and FAILS where oracles are demanded (CI), as ``_oracles.require`` does.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from _oracles import DEMANDED

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def need(*modules: str) -> list:
    """Import ``modules`` at a test module's top, or skip the module (fail it where demanded)."""
    if sys.version_info < (3, 11):
        pytest.skip("zarr 3.1 (and the dask versions tested) need Python >= 3.11", allow_module_level=True)
    found = []
    for name in modules:
        try:
            found.append(importlib.import_module(name))
        except ImportError as exc:
            msg = f"storage test dependency unavailable: {name} ({exc}); pip install '.[test]'"
            if DEMANDED:
                pytest.fail(msg + " (demanded here: CI or FASTQUANT_REQUIRE_ORACLES=1)", pytrace=False)
            pytest.skip(msg, allow_module_level=True)
    return found


# ---------------------------------------------------------------- codec cases

#: (label, codec id, config) for every codec and mode; ``dim`` (and ``ranges=None``: ranges of
#: ``dim`` values) is filled in per array.
CASES = [
    ("affine_i8", "fastquant.affine", dict(scale=0.004, zero_point=-3)),
    ("affine_u12", "fastquant.affine", dict(scale=0.0007, zero_point=2048, n_bits=12, signed=False)),
    ("int8", "fastquant.int8", {}),
    ("uint8", "fastquant.uint8", {}),
    ("binary", "fastquant.binary", dict(dim=None)),
    ("ubinary", "fastquant.ubinary", dict(dim=None)),
    ("int4_scale", "fastquant.int4", dict(dim=None, scale=0.05, zero_point=1)),
    ("int4_chunk", "fastquant.int4", dict(dim=None)),
    ("int4_chunk_absmax", "fastquant.int4", dict(dim=None, scale_method="absmax")),
    ("int8_ranges", "fastquant.int8_ranges", dict(ranges=None)),
    ("uint8_ranges", "fastquant.uint8_ranges", dict(ranges=None)),
    ("minifloat_e4m3fn", "fastquant.minifloat", dict(fmt="float8_e4m3fn")),
    ("minifloat_e5m2_saturate", "fastquant.minifloat", dict(fmt="float8_e5m2", saturate=True)),
    ("minifloat_e3m2fn", "fastquant.minifloat", dict(fmt="float6_e3m2fn")),
    ("minifloat_e2m1fn_saturate", "fastquant.minifloat", dict(fmt="float4_e2m1fn", saturate=True)),
    ("minifloat_e4m3fnuz", "fastquant.minifloat", dict(fmt="float8_e4m3fnuz")),
]

#: (label, codec id, config) of the codecs coding whole blocks of the last axis, whose ``dim``
#: is fixed here (a multiple of the block): arrays of shape ``(rows, dim)`` with chunks
#: ``(BLOCK_ROWS, dim)``.
BLOCK_CASES = [
    *[(f"gguf_{t.lower()}", "fastquant.gguf", dict(dim=256, qtype=t))
      for t in ("Q4_0", "Q8_0", "MXFP4", "BF16", "F16", "F32", "TQ2_0", "Q4_K", "Q6_K", "IQ4_XS", "NVFP4")],
    ("mx_e4m3fn", "fastquant.mx", dict(dim=64, fmt="float8_e4m3fn")),
    ("mx_e5m2_b16", "fastquant.mx", dict(dim=64, fmt="float8_e5m2", block_size=16)),
    ("mx_e2m3fn", "fastquant.mx", dict(dim=96, fmt="float6_e2m3fn")),
    ("mx_e3m2fn_b8", "fastquant.mx", dict(dim=40, fmt="float6_e3m2fn", block_size=8)),
    ("mx_e2m1fn", "fastquant.mx", dict(dim=64, fmt="float4_e2m1fn")),
    ("mx_e2m1fn_odd", "fastquant.mx", dict(dim=45, fmt="float4_e2m1fn", block_size=15)),
]
BLOCK_ROWS = 4

#: gguf-py 0.19.0 quantizes these types (``gguf.quants.quantize``); the others' oracle is
#: llama.cpp's C reference (tests/_llama_oracle.py).
GGUF_PY_QUANTIZES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4")


def ranges_for(dim: int) -> list:
    """Calibration ranges of ``dim`` values as JSON lists: widths from 0 (a zero step, which
    the codec replaces by 1) to 3, minima around -0.6, so that embeddings() falls inside,
    below and above them."""
    j = np.arange(dim)
    lo = (-0.6 + 0.05 * np.sin(j)).astype(np.float32)
    width = np.where(j % 7 == 3, 0.0, 0.2 + (j % 5) * 0.6).astype(np.float32)
    return np.vstack([lo, (lo + width).astype(np.float32)]).astype(np.float32).tolist()


def config(case_config: dict, dim: int) -> dict:
    fill = {"dim": dim, "ranges": ranges_for(dim)}
    return {k: (fill[k] if v is None and k in fill else v) for k, v in case_config.items()}


def embeddings(rng, shape) -> np.ndarray:
    """float32 values with everything a codec must get right: saturation beyond the code
    range, exact .5 ties, zeros of both signs."""
    x = (rng.standard_normal(shape) * 0.45).astype(np.float32)
    flat = x.reshape(-1)
    flat[::53] = 3.0  # beyond every code range: saturates
    flat[7::61] = -0.0
    flat[11::67] = np.float32(0.5) / np.float32(127)  # an int8 tie
    return x


# ---------------------------------------------------------------- independent reference

def _round(v):
    return np.round(v)  # half to even, as the SPEC says


def reference_codes(codec_id: str, cfg: dict, chunk: np.ndarray) -> np.ndarray:
    """The codes a codec stores for one float32 chunk, from the SPEC's formulas written here
    with NumPy (never with fastquant): the layout oracle of each codec."""
    x = chunk.astype(np.float32)
    f = np.float32
    if codec_id == "fastquant.affine":
        n, signed = cfg.get("n_bits", 8), cfg.get("signed", True)
        lo, hi = (-(2 ** (n - 1)), 2 ** (n - 1) - 1) if signed else (0, 2**n - 1)
        q = np.clip(_round(x / f(cfg["scale"]) + f(cfg.get("zero_point", 0))), lo, hi)
        dtype = ("<i1" if n <= 8 else "<i2") if signed else ("<u1" if n <= 8 else "<u2")
        return q.astype(dtype)
    if codec_id == "fastquant.int8":
        return np.clip(_round(x * f(127)), -128, 127).astype(np.int8)
    if codec_id == "fastquant.uint8":
        return np.clip(_round((x + f(1)) * f(127.5)), 0, 255).astype(np.uint8)
    if codec_id in ("fastquant.binary", "fastquant.ubinary"):
        bits = np.packbits(x > 0, axis=-1)  # MSB first, zero pad
        return (bits.astype(np.int16) - 128).astype(np.int8) if codec_id == "fastquant.binary" else bits
    if codec_id == "fastquant.int4":
        if cfg.get("scale") is not None:
            scale, zp = f(cfg["scale"]), cfg.get("zero_point", 0)
        else:
            if cfg.get("scale_method", "minmax") == "minmax":
                scale = (x.max() - x.min()) / f(15)
            else:
                scale = np.abs(x).max() / f(7)
            scale = f(1) if scale == 0 else f(scale)
            zp = 0
        q = np.clip(_round(x / scale + f(zp)), -8, 7).astype(np.int16)
        if q.shape[-1] % 2:
            q = np.concatenate([q, np.zeros(q.shape[:-1] + (1,), np.int16)], axis=-1)
        packed = ((q[..., 0::2] & 0xF) | ((q[..., 1::2] & 0xF) << 4)).astype(np.uint8)
        if cfg.get("scale") is not None:
            return packed.view(np.int8)
        return np.concatenate([np.array([scale], "<f4").view(np.uint8), packed.reshape(-1)])
    if codec_id in ("fastquant.int8_ranges", "fastquant.uint8_ranges"):
        return calibrated_codes(x, cfg["ranges"], codec_id.split(".")[1].split("_")[0])
    if codec_id == "fastquant.minifloat":
        return minifloat_codes(x, cfg["fmt"], cfg.get("saturate", False))
    if codec_id == "fastquant.mx":
        return mx_row_bytes(x, cfg["fmt"], cfg.get("block_size", 32))
    if codec_id == "fastquant.gguf":
        return gguf_codes(x, cfg["qtype"])
    raise AssertionError(codec_id)


def minifloat_codes(x, fmt: str, saturate: bool = False) -> np.ndarray:
    """ml_dtypes' ``astype`` bits (one byte a code); ``saturate``: finite overflow and +-inf
    clipped to +-max first (ONNX Cast's saturate=1), which is the same as a saturating cast."""
    from _oracles import require

    ml_dtypes = require("ml_dtypes", "0.6.0")
    t = getattr(ml_dtypes, fmt)
    x = np.asarray(x, np.float32)
    if saturate:
        top = np.float32(ml_dtypes.finfo(t).max)
        x = np.where(np.isnan(x), x, np.clip(x, -top, top)).astype(np.float32)
    return x.astype(t).view(np.uint8)


#: OCP MX v1.0: emax of each element format (the exponent of its largest power of two).
_MX_EMAX = {"float8_e4m3fn": 8, "float8_e5m2": 15, "float6_e2m3fn": 2, "float6_e3m2fn": 4, "float4_e2m1fn": 2}


def mx_reference(x, fmt: str, block_size: int):
    """``(codes, scales)`` of OCP MX blocks along the last axis from the specification (section
    6.3) with NumPy and ml_dtypes: ``e = floor(log2(amax)) - emax`` clamped to [-127, 127], the
    scale byte ``e + 127``, the codes the saturating cast of ``x * 2**-e``; a block holding NaN
    or inf: scale 0xFF and codes 0."""
    x = np.asarray(x, np.float32)
    blocks = x.reshape(x.shape[:-1] + (x.shape[-1] // block_size, block_size)).astype(np.float64)
    amax = np.abs(blocks).max(axis=-1)
    bad = ~np.isfinite(amax)
    _, exp = np.frexp(np.where(bad | (amax == 0), 1.0, amax))
    e = np.where(amax == 0, -127, np.clip(exp - 1 - _MX_EMAX[fmt], -127, 127))
    e = np.where(bad, 0, e)
    scaled = np.ldexp(np.where(bad[..., None], 0.0, blocks), -e[..., None]).astype(np.float32)
    codes = minifloat_codes(scaled, fmt, saturate=True)
    codes = np.where(bad[..., None], 0, codes).astype(np.uint8).reshape(x.shape)
    scales = np.where(bad, 255, e + 127).astype(np.uint8)
    return codes, scales


def mx_row_bytes(x, fmt: str, block_size: int) -> np.ndarray:
    """The MX codec's rows: the scale bytes, then the codes (fp4: two a byte, low nibble first,
    an odd row padded with a 0 nibble)."""
    codes, scales = mx_reference(x, fmt, block_size)
    if fmt == "float4_e2m1fn":
        if codes.shape[-1] % 2:
            codes = np.concatenate([codes, np.zeros(codes.shape[:-1] + (1,), np.uint8)], axis=-1)
        codes = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
    return np.concatenate([scales, codes], axis=-1)


def gguf_codes(x, qtype: str) -> np.ndarray:
    """GGUF blocks of ``x``'s rows by gguf-py (the types it quantizes) or llama.cpp's C
    reference quantizers; F32/F16 as their little-endian bytes."""
    from _oracles import require

    x = np.asarray(x, np.float32)
    if qtype in GGUF_PY_QUANTIZES:
        require("gguf", "0.19.0")
        from gguf import GGMLQuantizationType, quants

        res = quants.quantize(x, GGMLQuantizationType[qtype])
        return np.ascontiguousarray(res.astype(res.dtype.newbyteorder("<"))).view(np.uint8)
    from _llama_oracle import oracle

    lib = oracle()
    rows = x.reshape(-1, x.shape[-1])
    return np.stack([lib.quantize(r, qtype) for r in rows]).reshape(x.shape[:-1] + (-1,))


def calibrated_codes(x, ranges, precision: str) -> np.ndarray:
    """sentence-transformers' calibrated codes by the published formula, independently of
    fastquant: float32 operands, each operation in float64 rounded to float32 (which is exactly
    float32's correctly rounded result), ``floor``, clip to [0, 255] (``- 128`` for int8).
    (tests/test_numcodecs.py also compares the codecs with sentence-transformers itself.)"""
    f32 = np.float32
    r = np.asarray(ranges, np.float32).astype(np.float64)
    starts = r[0]
    with np.errstate(all="ignore"):
        steps = ((r[1] - starts).astype(f32).astype(np.float64) / 255.0).astype(f32)
        steps = np.where(steps == 0, f32(1), steps).astype(np.float64)
        z = (((np.asarray(x, f32).astype(np.float64) - starts).astype(f32).astype(np.float64)) / steps).astype(f32)
    q = np.clip(np.floor(z), 0, 255).astype(np.int16)
    return (q - 128).astype(np.int8) if precision == "int8" else q.astype(np.uint8)


def chunks_of(x: np.ndarray, chunks: tuple):
    """``(index, chunk)`` for every chunk of ``x`` as Zarr stores it: edge chunks padded with
    the fill value 0 to the full chunk shape."""
    grid = [range(math.ceil(n / c)) for n, c in zip(x.shape, chunks)]
    for idx in np.ndindex(*[len(g) for g in grid]):
        sl = tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks))
        block = np.zeros(chunks, np.float32)
        part = x[sl]
        block[tuple(slice(0, n) for n in part.shape)] = part
        yield idx, sl, block


# ---------------------------------------------------------------- entry points

GROUPS = ("numcodecs.codecs", "zarr.codecs")


def expected_entry_points() -> dict:
    """What the entry point tables must hold: every codec of fastquant.numcodecs.CODECS and
    fastquant.zarr3.CODECS, by id."""
    from fastquant import numcodecs as fnc
    from fastquant import zarr3 as fz

    return {
        "numcodecs.codecs": {cid: f"fastquant.numcodecs:{cls.__name__}" for cid, cls in fnc.CODECS.items()},
        "zarr.codecs": {cid: f"fastquant.zarr3:{cls.__name__}" for cid, cls in fz.CODECS.items()},
    }


def declared_entry_points() -> dict | None:
    """The tables of pyproject.toml (None without a source tree next to the tests)."""
    if not PYPROJECT.is_file():
        return None
    import tomllib

    tables = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"].get("entry-points", {})
    return {group: dict(tables.get(group, {})) for group in GROUPS}


def installed_entry_points() -> dict:
    """fastquant's entry points as ``importlib.metadata`` sees them in this environment."""
    eps = importlib.metadata.entry_points()
    return {group: {ep.name: ep.value for ep in eps.select(group=group) if ep.value.startswith("fastquant.")}
            for group in GROUPS}


def fresh_process_path(tmp_path: Path) -> list:
    """``sys.path`` entries for a fresh process that finds fastquant's codecs through entry
    points alone: the installed ones (CI installs the package: jobs 1, 3 and 4), or, in a
    developer's in-place build, a temporary ``fastquant-*.dist-info`` holding pyproject.toml's
    tables (the same entry points an install writes). In CI missing entry points FAIL."""
    want = expected_entry_points()
    if installed_entry_points() == want:
        return []
    if DEMANDED:
        pytest.fail(f"fastquant's entry points are not installed (want {want}, importlib.metadata sees "
                    f"{installed_entry_points()}): CI must test the installed package", pytrace=False)
    declared = declared_entry_points()
    if declared is None:
        pytest.skip("fastquant is not installed and no pyproject.toml is next to the tests")
    meta = tmp_path / "entry-points"
    info = meta / "fastquant-0.0.0+intree.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fastquant\nVersion: 0.0.0+intree\n")
    lines = []
    for group, table in declared.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {value}" for name, value in table.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return [str(meta)]
