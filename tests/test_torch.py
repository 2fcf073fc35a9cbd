"""The torch path (fastquant/_torch, docs/torch.md): every public function of SPEC 2-4 on CPU
tensors under ``use_backend("torch")``, bit for bit against the compiled kernels and the NumPy
twins over the shared edge-case inputs; ``out=`` tensors; what goes down which path; no host
copy; the host fallback and its warning.

A CUDA tensor takes the same code as a CPU tensor under the torch backend, which is how these
tests prove it without a GPU. On a machine with one, ``FASTQUANT_TEST_DEVICE=cuda pytest
tests/test_torch.py`` puts the tensors of the cross-checks on that device and compares each
result with the compiled kernels' result for a CPU copy of the same input.
"""

from __future__ import annotations

import os
import re
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastquant as fq
import fastquant.floats  # noqa: F401  (fq.floats)
import fastquant.gguf  # noqa: F401  (fq.gguf)
from fastquant import _arrays, _backend
from _oracles import require
from _support import assert_identical, both, float_arrays, outcome, run_python

FLOATS = float_arrays()
#: Where the cross-checks put their tensors (a GPU run sets it; CPU tensors otherwise).
DEVICE = os.environ.get("FASTQUANT_TEST_DEVICE", "cpu")
#: The host backend a result is compared with (the NumPy twins in a pure NumPy install).
HOST = _backend.available()[0]
EMBED = ("int8", "uint8", "binary", "ubinary")


@pytest.fixture(scope="module")
def torch():
    """torch, as the torch path's oracle-like dependency: missing, it fails in CI."""
    return require("torch")


@pytest.fixture(params=["separate_casts", "fused_casts"])
def casts(request, monkeypatch, torch):
    """Run a decoder test with both forms of its integer -> float32 casts (see
    ``fastquant._torch._common.FUSE_CASTS``: the CPU uses the first, a GPU the second)."""
    from fastquant._torch import _common

    monkeypatch.setattr(_common, "FUSE_CASTS", request.param == "fused_casts")
    return request.param


def as_tensor(torch, a: np.ndarray):
    """``a`` as a tensor on :data:`DEVICE` with the same values and, where torch can, the
    same layout (strided and transposed views stay views); byte-swapped or read-only arrays
    are copied."""
    return _cpu_tensor(torch, a).to(DEVICE)


def _cpu_tensor(torch, a: np.ndarray):
    if a.dtype.isnative and a.flags.writeable and all(s >= 0 for s in a.strides):
        if a.flags.c_contiguous or a.base is None:
            return torch.from_numpy(a)
        base = a.base if isinstance(a.base, np.ndarray) else a
        if a.ndim == 1 and base.ndim == 1 and a.strides[0] % a.itemsize == 0:  # [::k]
            return torch.from_numpy(base)[:: a.strides[0] // a.itemsize][: a.size]
        if a.ndim == 2 and a.T.flags.c_contiguous:  # a transposed C-contiguous array
            return torch.from_numpy(np.ascontiguousarray(a.T)).T
    return torch.tensor(np.asarray(a, a.dtype.newbyteorder("=")))


def torch_cases(torch, cases: dict) -> dict:
    """Each case as NumPy (through CPU tensors under the torch backend) and as a tensor."""
    out = {}
    for name, a in cases.items():
        out[f"{name}-numpy"] = a
        out[f"{name}-tensor"] = as_tensor(torch, a)
    return out


def cross(fn, *args, **kwargs):
    """:func:`_support.both` (compiled kernels, twins and the torch path on CPU tensors or
    NumPy inputs), and the call must have taken the torch path. With tensors on another
    device: the torch path there against the compiled kernels on a CPU copy."""
    torch = sys.modules["torch"]
    calls = _backend.TORCH_CALLS
    if not any(isinstance(a, torch.Tensor) and a.device.type != "cpu" for a in args):
        res = both(fn, *args, **kwargs)
    else:
        host = [a.cpu() if isinstance(a, torch.Tensor) else a for a in args]
        with fq.use_backend(HOST):
            want = outcome(fn, *host, **kwargs)
        res = outcome(fn, *args, **kwargs)
        if isinstance(want, tuple) and len(want) == 2 and isinstance(want[0], type):
            assert res == want, f"{fn.__name__}: {res!r} on {DEVICE}, {want!r} on the host"
            raise want[0](want[1])
        main = res[0] if isinstance(res, tuple) else res
        if isinstance(main, torch.Tensor):  # (fastquant.onnx answers NumPy arrays for every input)
            assert main.device.type == DEVICE.split(":")[0], main.device
        moved = tuple(r.cpu() if isinstance(r, torch.Tensor) else r for r in res) if isinstance(res, tuple) else res.cpu()
        assert_identical(moved, want, f"{fn.__name__} on {DEVICE} vs compiled kernels")
    assert _backend.TORCH_CALLS > calls, f"{fn.__name__} did not take the torch path"
    return res


# ---------------------------------------------------------------- quantizers over float_arrays

QUANTIZERS = {
    **{f"quantize_embeddings-{p}": (fq.quantize_embeddings, (p,), {}) for p in EMBED},
    "quantize_to_int4-minmax": (fq.quantize_to_int4, ("minmax",), {}),
    "quantize_to_int4-absmax": (fq.quantize_to_int4, ("absmax",), {}),
    "quantize_to_packed_int4-minmax": (fq.quantize_to_packed_int4, ("minmax",), {}),
    "quantize_to_packed_int4-absmax": (fq.quantize_to_packed_int4, ("absmax",), {}),
    "quantize_to_int4-asymmetric": (fq.quantize_to_int4, ("asymmetric",), {}),
    "quantize_to_packed_int4-asymmetric": (fq.quantize_to_packed_int4, ("asymmetric",), {}),
    "quantize_func-8": (fq.quantize_func, (0.37, -3, 8), {}),
    "quantize_func-13u": (fq.quantize_func, (0.125, 4000, 13), {"signed": False}),
    "quantize_func-16-zp2**30": (fq.quantize_func, (3e-3, 2**30 - 1, 16), {}),
    "quantize_func-per_channel": (fq.quantize_func, ("channels", "zero_points", 7), {"axis": -1}),
}


@pytest.mark.parametrize("case", list(QUANTIZERS))
def test_quantizers_on_the_torch_path_equal_the_kernels(torch, case):
    fn, extra, kwargs = QUANTIZERS[case]
    checked = 0
    for name, x in torch_cases(torch, FLOATS).items():
        args = list(extra)
        if extra and extra[0] == "channels":
            c = x.shape[-1] if x.ndim else 1
            if not x.ndim:
                continue
            args[:2] = [np.linspace(0.05, 3, c, dtype=np.float32), np.arange(c, dtype=np.int32) - c // 2]
        res = cross(fn, x, *args, **kwargs)
        main = res[0] if isinstance(res, tuple) else res
        assert isinstance(main, torch.Tensor) == isinstance(x, torch.Tensor), name
        checked += 1
    assert checked >= len(FLOATS)


def _near_ties(scale: np.float32, rng) -> np.ndarray:
    """Quotients by ``scale`` on and a few ulps around every half-integer (where a reciprocal
    multiply would round differently), the clamp bounds, and +-inf."""
    halves = (np.arange(-140, 140) + np.float32(0.5)).astype(np.float32) * scale
    near = [halves]
    for _ in range(3):
        near.append(np.nextafter(near[-1], np.float32(np.inf)))
    near.append(np.nextafter(halves, np.float32(-np.inf)))
    x = np.concatenate(near + [np.array([np.inf, -np.inf, 0.0, -0.0], np.float32)])
    return rng.permutation(x).astype(np.float32)


@pytest.mark.parametrize("scale", [0.1, 1 / 3, 7.0, 0.37, 1e-30])
def test_true_division_near_ties(torch, scale, rng):
    """int4 and affine quantizers divide by the scale: on ties the torch path must round the
    exact float32 quotient, as the kernels do."""
    s = np.float32(scale)
    x = _near_ties(s, rng)
    t = as_tensor(torch, x)
    for data in (x, t):
        cross(fq.quantize_func, data, float(s), 0, 8)
        cross(fq.quantize_func, data, float(s), 5, 12, signed=False)
    # the int4 scale comes from the data: put its range where the scale is `s`
    y = np.concatenate([x[np.isfinite(x)], [np.float32(7.5) * s * np.float32(1.9)]]).astype(np.float32)
    for data in (y, as_tensor(torch, y)):
        cross(fq.quantize_to_int4, data, "absmax")
        cross(fq.quantize_to_packed_int4, data, "minmax")
        cross(fq.quantize_to_int4, data, "asymmetric")


@pytest.mark.parametrize("offset", [0.0, 3.0, 1e3, 1e7, -4e6, 1e30])
def test_asymmetric_int4_zero_points(torch, offset, rng):
    """Data far from zero relative to its range gives large zero points: below 2**23 (the
    float32 route) and above it (the int32 route), and a constant (the max(|v|) / 8 scale)."""
    x = (rng.standard_normal(300) + offset).astype(np.float32)
    for data in (x, as_tensor(torch, x), np.full(7, np.float32(offset)), x[:1]):
        q, scale, zp = cross(fq.quantize_to_int4, data, "asymmetric")
        cross(fq.quantize_to_packed_int4, data, "asymmetric")
        cross(fq.dequantize_from_int4, q, scale, zp)


# ---------------------------------------------------------------- decoders over code layouts

def code_cases(rng) -> dict:
    """Byte and code layouts for the decoders: every byte value, odd lengths, N-D, empty,
    strided and transposed views."""
    every = np.arange(-128, 128, dtype=np.int8)
    odd = rng.integers(-128, 128, (3, 5, 7), dtype=np.int8)
    return {
        "every_byte": every.reshape(16, 16),
        "every_byte_1d": every,
        "odd_3d": odd,
        "len1": every[:1],
        "len3": every[5:8],
        "empty": every[:0],
        "empty_rows": np.zeros((0, 4), np.int8),
        "empty_last": np.zeros((3, 0), np.int8),
        "strided": every[::3],
        "transposed": every.reshape(16, 16).T,
    }


def _nibbles(a: np.ndarray) -> np.ndarray:
    return ((a.astype(np.int16) % 16) - 8).astype(np.int8)


INT4_PARAMS = [(0.37, 0), (0.25, -3), (1e-38, 5), (3e38, 7), (1.5, 2**30), (2.0**-20, -(2**30))]


def test_embedding_decoders(torch, rng, casts):
    for name, c in torch_cases(torch, code_cases(rng)).items():
        u = c.view(torch.uint8) if isinstance(c, torch.Tensor) else c.view(np.uint8)
        cross(fq.dequantize, c, "int8")
        cross(fq.dequantize, u, "uint8")
        if c.ndim and c.shape[-1]:
            for dim in {8 * c.shape[-1], 8 * c.shape[-1] - 7, 8 * c.shape[-1] - 3}:
                cross(fq.dequantize, c, "binary", dim)
                cross(fq.dequantize, u, "ubinary", dim)


def test_int4_decoders(torch, rng, casts):
    for name, c in torch_cases(torch, code_cases(rng)).items():
        nib = as_tensor(torch, _nibbles(c.cpu().numpy())) if isinstance(c, torch.Tensor) else _nibbles(c)
        for scale, zp in INT4_PARAMS:
            cross(fq.dequantize_from_int4, nib, scale, zp)
        if c.ndim:
            cross(fq.pack_int4_to_int8, nib)
            m = c.shape[-1]
            for n in {2 * m, max(2 * m - 1, 0)}:
                cross(fq.unpack_int8_to_int4, c, n)
                for scale, zp in INT4_PARAMS:
                    cross(fq.dequantize_packed_int4, c, scale, zp, n)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "int64", "uint32", "float32", "float64"])
def test_affine_decoder(torch, dtype, rng, casts):
    for name, c in code_cases(rng).items():
        codes = (c.view(np.uint8) if dtype.startswith("u") else c).astype(dtype)
        codes = codes * np.asarray(3 if dtype in ("int16", "int32", "int64", "uint32") else 1, dtype)
        if dtype.startswith("float"):
            codes = codes * np.asarray(1.7, dtype)  # truncated toward zero by int32
        for data in (codes, as_tensor(torch, codes)):
            cross(fq.dequantize_func, data, 0.37, 0)
            cross(fq.dequantize_func, data, 0.37, -5)
            cross(fq.dequantize_func, data, 3e-3, 2**30)
            if codes.ndim:
                ch = codes.shape[-1]
                cross(fq.dequantize_func, data, np.linspace(0.1, 2, ch), np.arange(ch) * 1000 - 2**29, axis=-1)
                cross(fq.dequantize_func, data, np.linspace(0.1, 2, ch), np.zeros(ch, np.int32), axis=-1)


# ---------------------------------------------------------------- calibrated ranges (SPEC 10)

def _ranges(d: int, rng) -> np.ndarray:
    """(2, d) float32 minima and maxima, every third dimension with a zero step."""
    lo = (rng.standard_normal(d) * 2).astype(np.float32)
    hi = (lo + np.abs(rng.standard_normal(d)) * 3).astype(np.float32)
    hi[::3] = lo[::3]
    return np.vstack([lo, hi])


@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_calibrated_codec(torch, precision, rng, casts):
    """``ranges=`` (as an array and as a tensor), ``calibration_embeddings=`` (reduced on the
    tensor's device) and ``calibration_ranges`` over the shared float inputs, and the decoder
    of the codes they give."""
    checked = 0
    for name, x in torch_cases(torch, FLOATS).items():
        d = x.shape[-1]
        r = _ranges(d, rng)
        for ranges in (r, as_tensor(torch, r)):
            q = cross(fq.quantize_embeddings, x, precision, ranges=ranges)
            cross(fq.dequantize, q, precision, ranges=ranges)
        cal = x.reshape(-1, d)
        cross(fq.calibration_ranges, cal)
        cross(fq.quantize_embeddings, x, precision, calibration_embeddings=cal)
        checked += 1
    assert checked == 2 * len(FLOATS)
    for name, c in torch_cases(torch, code_cases(rng)).items():  # every code, layouts, empty
        codes = c if precision == "int8" else (c.view(torch.uint8) if isinstance(c, torch.Tensor) else c.view(np.uint8))
        if codes.ndim:
            cross(fq.dequantize, codes, precision, ranges=_ranges(codes.shape[-1], rng))


@pytest.mark.parametrize("given", ["ranges", "calibration_embeddings"])
def test_calibrated_floor_of_true_quotients(torch, given):
    """Quotients ``(x - start) / step`` within an ulp of an integer, for steps of every
    exponent: a reciprocal multiply (CUDA's division by a CPU scalar) floors some of them
    differently. With calibration embeddings the steps are divided out on the device too."""
    rng = np.random.default_rng(7)
    d = 256
    exps = rng.integers(-30, 30, d).astype(np.float64)
    lo = (rng.uniform(-1, 1, d) * 2.0**exps).astype(np.float32)
    hi = (lo + rng.uniform(0.01, 300, d) * 2.0**exps).astype(np.float32)
    steps = ((hi - lo) / np.float32(255)).astype(np.float32)
    k = rng.integers(0, 257, (16, d)).astype(np.float32)
    x = (lo + k * steps).astype(np.float32)
    x[1::2] = np.nextafter(x[1::2], np.where(rng.random((8, d)) < 0.5, -np.inf, np.inf).astype(np.float32))
    r = np.vstack([lo, hi])
    for data in (x, as_tensor(torch, x)):
        for precision in ("int8", "uint8"):
            cross(fq.quantize_embeddings, data, precision, **{given: as_tensor(torch, r)})


# ---------------------------------------------------------------- GGUF blocks (SPEC 7)

@pytest.mark.parametrize("name", fq.gguf.DECODE_TYPES)
def test_gguf_decoders(torch, name, rng, casts):
    """Every type: random bytes (one fp16 scale in 32 non-finite: the NaN rule), every special
    fp16 scale (or every fp4 scale byte), N-D and strided layouts, wider integer tensors read
    as their bytes; NumPy inputs and tensors on :data:`DEVICE`, against the compiled kernels
    (which tests/test_gguf_decode.py holds bit for bit to gguf-py)."""
    from _gguf_support import FP16_SCALES, SPECIAL_HALVES, random_blocks, with_scales

    t = fq.gguf.qtype_of(name)
    data = random_blocks(name, 4, max(3, 1024 // t.block_size), rng)
    cases = {"random": data, "3d": data.reshape(2, 2, -1), "every_other_row": data[::2], "one_row": data[0]}
    if name in FP16_SCALES or name == "IQ1_M":
        cases["special_scales"] = with_scales(name, SPECIAL_HALVES, rng)
    if name in ("MXFP4", "NVFP4"):
        every = rng.integers(0, 256, (256, t.type_size), dtype=np.uint8)
        every[:, :1 if name == "MXFP4" else 4] = np.arange(256, dtype=np.uint8)[:, None]
        cases["every_scale_byte"] = every
    for case, c in cases.items():
        for x in (c, as_tensor(torch, c)):
            cross(fq.gguf.dequantize, x, name)
    wide = as_tensor(torch, data)
    for dtype in (torch.int8, torch.int16, torch.int32):
        cross(fq.gguf.dequantize, wide.view(dtype), name)


def test_gguf_float_values(torch, rng):
    """F32, F16 and BF16 data given as values of their own float type keep every bit (all
    65536 fp16 and bf16 patterns, NaN payloads and signalling NaNs included)."""
    bits = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).to(DEVICE)
    cross(fq.gguf.dequantize, bits.view(torch.float16).reshape(256, 256), "F16")
    cross(fq.gguf.dequantize, bits.view(torch.bfloat16).reshape(256, 256), "BF16")
    x = torch.from_numpy(rng.standard_normal((4, 6)).astype(np.float32))
    x.view(torch.int32)[0, :3] = torch.tensor([0x7F800001, 0xFFC00001 - 2**32, 0x7FA5A5A5], dtype=torch.int32)
    cross(fq.gguf.dequantize, x.to(DEVICE), "F32")
    cross(fq.gguf.dequantize, x.to(DEVICE)[:, 1:], "F32")  # an odd-offset view: realigned


# ---------------------------------------------------------------- minifloats (SPEC 8)

def _onnx():
    """fastquant.onnx (it needs ml_dtypes, the oracle of the float types: missing, it fails
    in CI)."""
    require("ml_dtypes")
    import fastquant.onnx as fo

    return fo


def _float_samples() -> np.ndarray:
    """float32 inputs of every kind: a stride through all 2**32 bit patterns (both NaN signs,
    subnormals, +-inf), and for every format its values, the midpoints between neighbours
    (ties to even) and the float32 values either side of each, and the overflow boundary."""
    bits = np.arange(0, 2**32, 12 * 65537 + 2, dtype=np.uint64).astype(np.uint32)
    parts = [bits.view(np.float32), np.float32([0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 3.4e38])]
    for f in fq.floats.FORMATS.values():
        values = fq.floats.decode(np.arange(f.code_limit + 1, dtype=np.uint8), f.name).astype(np.float64)
        pos = np.unique(np.abs(values[np.isfinite(values)]))
        mids = (pos[:-1] + pos[1:]) / 2
        top = pos[-1] + (pos[-1] - pos[-2]) / 2  # where values round beyond max
        v = np.concatenate([pos, mids, [top]]).astype(np.float32)
        parts += [v, -v, np.nextafter(v, np.float32(np.inf)), np.nextafter(v, np.float32(-np.inf))]
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("fmt", list(fq.floats.FORMATS))
def test_minifloat_encode(torch, fmt):
    """Every float32 kind, ties and boundaries of the format, with and without saturation;
    float32, float16, bfloat16 and float64 tensors (NaN signs and payloads: the NaN's sign
    picks its code)."""
    x = _float_samples()
    halves = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16)
    with np.errstate(invalid="ignore"):  # (signalling NaNs become quiet)
        doubles = np.concatenate([x.astype(np.float64) * (1 + 2.0**-30),
                                  np.array([-np.nan, np.nan, 1e300, -1e-300], np.float64)])
    doubles[-4:-2] = np.array([0xFFF8000000000001, 0x7FF0000000000001], np.uint64).view(np.float64)
    for sat in (False, True):
        for data in (x, as_tensor(torch, x), as_tensor(torch, doubles)):
            cross(fq.floats.encode, data, fmt, saturate=sat)
    # layouts, and every float16 / bfloat16 pattern (the tools/check_torch_floats.py script
    # compares the encoder with the kernels over a 1/97 sample of all float32 patterns)
    for data in (x[: x.size // 7 * 7].reshape(-1, 7).T, as_tensor(torch, x[::3]),
                 halves.view(torch.float16).to(DEVICE), halves.view(torch.bfloat16).to(DEVICE)):
        cross(fq.floats.encode, data, fmt)
    for name, a in torch_cases(torch, FLOATS).items():
        cross(fq.floats.encode, a, fmt)


@pytest.mark.parametrize("fmt", list(fq.floats.FORMATS))
def test_minifloat_decode(torch, fmt, rng):
    """Every code of the format in every layout, as uint8 / int8 bytes, wider integers, the
    format's torch float8 dtype; fp6/fp4 bytes above the width raise on every path."""
    f = fq.floats.FORMATS[fmt]
    every = np.arange(f.code_limit + 1, dtype=np.uint8)
    cases = {"every": every, "2d": np.tile(every, 2).reshape(-1, 16 if f.bits > 4 else 8),
             "strided": every[::3], "empty": every[:0], "3d": rng.integers(0, f.code_limit + 1, (3, 5, 7), dtype=np.uint8)}
    for name, c in torch_cases(torch, cases).items():
        cross(fq.floats.decode, c, fmt)
        if isinstance(c, torch.Tensor):
            cross(fq.floats.decode, c.view(torch.int8), fmt)
            cross(fq.floats.decode, c.to(torch.int16), fmt)
            if f.torch_name:
                cross(fq.floats.decode, c.view(getattr(torch, f.torch_name)), fmt)
    if f.code_limit < 255:
        for data in (np.uint8([0, f.code_limit + 1]), as_tensor(torch, np.uint8([0, 255]))):
            with pytest.raises(ValueError, match="every backend"):
                cross(fq.floats.decode, data, fmt)


def _mx_data(rng) -> np.ndarray:
    """(6, 96) float32, three blocks of 32 a row, each row at its own magnitude (2**-149 to
    2**127), with a NaN block, an inf block, a zero block, a subnormal block and blocks whose
    maximum is an exact power of two."""
    x = rng.standard_normal((6, 96)).astype(np.float64)
    x *= 2.0 ** np.array([-140, -60, -3, 0, 40, 120])[:, None]
    x = x.astype(np.float32)
    x[0, 5] = np.nan
    x[1, 32:64] = 0
    x[2, 70] = -np.inf
    x[3, :32] = np.float32(1e-45) * rng.integers(-40, 40, 32)
    x[4, 40] = np.float32(2.0**45)
    x[5, 64:] = np.float32(3.3e38) * np.sign(rng.standard_normal(32))
    return x


@pytest.mark.parametrize("fmt", fq.floats.MX_FORMATS)
def test_mx_blocks(torch, fmt, rng):
    """quantize_mx along the last axis, axis 0 and a middle axis; dequantize_mx of every
    scale byte (0x00, 0xFE, 0xFF included) with random and NaN codes, scales given as bytes,
    as int16 tensors and as torch float8_e8m0fnu tensors."""
    f = fq.floats.FORMATS[fmt]
    x = _mx_data(rng)
    for data in (x, as_tensor(torch, x), as_tensor(torch, x.astype(np.float64))):
        cross(fq.floats.quantize_mx, data, fmt)
    for data in (x.T, as_tensor(torch, x.T)):
        cross(fq.floats.quantize_mx, data, fmt, axis=0)
    cross(fq.floats.quantize_mx, x, fmt, block_size=2, axis=0)
    cross(fq.floats.quantize_mx, as_tensor(torch, x.reshape(2, 3, 96)), fmt, block_size=3, axis=1)
    codes = rng.integers(0, f.code_limit + 1, (8, 96), dtype=np.uint8)
    scales = rng.integers(0, 256, (8, 3), dtype=np.uint8)
    scales[0] = [0, 254, 255]
    scales[1] = [127, 1, 200]
    for c, s in ((codes, scales), (as_tensor(torch, codes), as_tensor(torch, scales)),
                 (as_tensor(torch, codes), as_tensor(torch, scales).view(torch.float8_e8m0fnu)),
                 (as_tensor(torch, codes), as_tensor(torch, scales.astype(np.int16)))):
        cross(fq.floats.dequantize_mx, c, s, fmt)
        if f.torch_name and isinstance(c, torch.Tensor):
            cross(fq.floats.dequantize_mx, c.view(getattr(torch, f.torch_name)), s, fmt)
    cross(fq.floats.dequantize_mx, codes.T.copy(), scales.reshape(3, 8).copy(), fmt, block_size=32, axis=0)
    cross(fq.floats.dequantize_mx, as_tensor(torch, codes), as_tensor(torch, scales.reshape(8, 3)[:, :1].repeat(6, 1)),
          fmt, block_size=16)


def test_nibbles(torch, rng):
    for name, c in torch_cases(torch, code_cases(rng)).items():
        u = c.view(torch.uint8) if isinstance(c, torch.Tensor) else c.view(np.uint8)
        if not c.ndim:
            continue
        cross(fq.pack_nibbles, u & 0xF if isinstance(u, torch.Tensor) else (u & 0xF))
        m = c.shape[-1]
        for n in {2 * m, max(2 * m - 1, 0)}:
            cross(fq.unpack_nibbles, c, n)
            cross(fq.unpack_nibbles, u, n)
    with pytest.raises(ValueError, match="every backend"):
        cross(fq.pack_nibbles, as_tensor(torch, np.uint8([1, 16])))


# ---------------------------------------------------------------- ONNX Q/DQ (SPEC 9)

def _layouts(shape: tuple, rng) -> list:
    """(scale, axis, block_size) for x of 2-D ``shape`` (an even number of columns): per
    tensor, per axis 0 and 1, blocked along either axis with a short last block, and in whole
    blocks of 2."""
    r, c = shape
    pos = lambda *s: (rng.uniform(0.05, 3, s) * 2.0 ** rng.integers(-4, 4, s)).astype(np.float32)
    return [(np.float32(0.37), 1, 0), (pos(1), 0, 0), (pos(c), 1, 0), (pos(r), 0, 0),
            (pos(r, -(-c // 4)), 1, 4), (pos(-(-r // 4), c), 0, 4), (pos(r, c // 2), 1, 2)]


def _zero_points(fo, ctype, scale, rng):
    """None, and a zero point of the type and the scale's shape (floats: zeros, -0 included)."""
    shape = np.shape(scale)
    if ctype.is_float:
        z = np.zeros(shape, np.float32)
        if z.size:
            z.reshape(-1)[::2] = -0.0
        return [None, z.astype(ctype.dtype)]
    return [None, rng.integers(ctype.qmin, ctype.qmax + 1, shape).astype(ctype.dtype)]


def _onnx_names() -> list:
    try:
        import fastquant.onnx as fo
    except ImportError:  # the tests below fail through _onnx() where ml_dtypes is demanded
        return ["uint8"]
    return list(fo.CODE_TYPES)


@pytest.mark.parametrize("name", _onnx_names())
def test_onnx_quantize_linear(torch, name, rng):
    """Every code type, every layout, with and without a zero point; quotients near ties,
    +-inf, signed zeros; saturate off for the float types; NumPy, float32 and float16 tensor
    inputs."""
    fo = _onnx()
    ctype = fo.CODE_TYPES[name]
    x = (rng.standard_normal((6, 10)) * 40).astype(np.float32)
    x[0, :4] = [np.inf, -np.inf, 0.0, -0.0]
    x[1] = (np.arange(10) - 4.5).astype(np.float32) * np.float32(0.37)  # ties under the 0.37 scale
    for scale, axis, block in _layouts(x.shape, rng):
        for zp in _zero_points(fo, ctype, scale, rng):
            for data in (x, as_tensor(torch, x), as_tensor(torch, x.astype(np.float16))):
                cross(fq.onnx.quantize_linear, data, scale, zp, axis=axis, block_size=block, output_dtype=name)
                if ctype.is_float:
                    cross(fq.onnx.quantize_linear, data, scale, zp, axis=axis, block_size=block, output_dtype=name,
                          saturate=False)
    nan = np.float32([1.0, np.nan, -np.nan])
    if ctype.is_float:
        cross(fq.onnx.quantize_linear, as_tensor(torch, nan), 0.5, output_dtype=name)
    else:
        with pytest.raises(ValueError, match="every backend"):
            cross(fq.onnx.quantize_linear, as_tensor(torch, nan), 0.5, output_dtype=name)


@pytest.mark.parametrize("name", _onnx_names() + ["int32"])
def test_onnx_dequantize_linear(torch, name, rng):
    """Every code of every type in every layout, with and without a zero point, float32 /
    float16 / bfloat16 scales; codes as ml_dtypes or NumPy arrays and as tensors (their own
    dtype, or int8/uint8 bytes whose type a typed zero point names)."""
    fo = _onnx()
    import ml_dtypes

    if name == "int32":
        codes = rng.integers(-(2**31), 2**31, (16, 12)).astype(np.int32)
        codes[0, :4] = [-(2**31), 2**31 - 1, 2**24 + 1, 0]
        for scale, axis, block in _layouts(codes.shape, rng):
            for data in (codes, as_tensor(torch, codes)):
                cross(fq.onnx.dequantize_linear, data, scale, axis=axis, block_size=block)
        return
    ctype = fo.CODE_TYPES[name]
    if ctype.is_float:
        raw = np.arange(fq.floats.FORMATS[ctype.float_format].code_limit + 1, dtype=np.uint8)
        values = raw.view(ctype.dtype)
    else:
        raw = np.arange(ctype.qmin, ctype.qmax + 1)
        values = raw.astype(ctype.dtype)
    cols = 16 if values.size >= 256 else 4
    values = np.resize(values, (max(values.size // cols, 8), cols))
    raw = np.resize(raw, values.shape)
    for scale, axis, block in _layouts(values.shape, rng):
        for zp in _zero_points(fo, ctype, scale, rng):
            cross(fq.onnx.dequantize_linear, values, scale, zp, axis=axis, block_size=block)
            if ctype.dtype.kind in "iu":  # a NumPy code type: a tensor of the same dtype
                cross(fq.onnx.dequantize_linear, as_tensor(torch, values), scale, zp, axis=axis, block_size=block)
            elif zp is not None:  # bytes (float types) or values (int4, int2, ...) named by the zero point
                byte = np.uint8 if ctype.is_float or ctype.qmin == 0 else np.int8
                cross(fq.onnx.dequantize_linear, as_tensor(torch, raw.astype(byte)), scale, zp, axis=axis, block_size=block)
                cross(fq.onnx.dequantize_linear, as_tensor(torch, raw.astype(np.int64)), scale, zp, axis=axis,
                      block_size=block)
        for half in (np.float16, ml_dtypes.bfloat16):
            s = np.asarray(scale).astype(half)
            cross(fq.onnx.dequantize_linear, values, s, axis=axis, block_size=block)


def test_onnx_dynamic_quantize_linear(torch):
    fo = _onnx()
    checked = 0
    for name, x in torch_cases(torch, FLOATS).items():
        if name.startswith(("huge", "tiny")):  # (these raise: infinite or underflowing scales)
            continue
        cross(fq.onnx.dynamic_quantize_linear, x)
        checked += 1
    assert checked == 2 * (len(FLOATS) - 2)
    for bad in (np.float32([1.0, np.inf]), np.float32([np.nan]), np.float32([3e38, -3e38]), np.zeros(0, np.float32),
                np.float32([1e-45, 0.0])):
        for data in (bad, as_tensor(torch, bad)):
            with pytest.raises(ValueError, match="every backend"):
                cross(fq.onnx.dynamic_quantize_linear, data)


#: Public modules beyond the top level whose functions have torch twins.
SUBMODULES = ("gguf", "floats", "onnx")


def test_every_public_function_is_cross_checked_here():
    """Each function with a torch twin appears above (SPEC 2-4 and 10: affine_qparams
    and code_range take Python numbers and have none; floats.format_of and onnx.code_type,
    to_raw and from_raw take no tensors)."""
    source = Path(__file__).read_text(encoding="utf-8")
    hooked = {n for n in fq.__all__ if getattr(getattr(fq, n), "torch_path", False) is True}
    assert hooked == {"dequantize", "quantize_embeddings", "calibration_ranges", "quantize_to_int4", "dequantize_from_int4",
                      "pack_int4_to_int8", "unpack_int8_to_int4", "quantize_to_packed_int4",
                      "dequantize_packed_int4", "quantize_func", "dequantize_func", "pack_nibbles", "unpack_nibbles"}
    missing = [n for n in hooked if not re.search(rf"cross\(fq\.{n}\b|fq\.{n}, \(", source)]
    assert not missing, missing
    for module in SUBMODULES:
        if module == "onnx":
            _onnx()
        mod = getattr(fq, module)
        hooked = {n for n in mod.__all__ if getattr(getattr(mod, n), "torch_path", False) is True}
        assert hooked, module
        missing = [n for n in hooked if getattr(fq, n, None) is not getattr(mod, n)  # also top-level: checked above
                   and not re.search(rf"cross\(fq\.{module}\.{n}\b|fq\.{module}\.{n}, \(", source)]
        assert not missing, (module, missing)


# ---------------------------------------------------------------- values torch converts its own way

def test_fp8_passes_nan_payloads_through_as_numpy_does(torch):
    """dequantize(q, "fp8") keeps NaN: float16 signalling NaNs (which torch's own cast
    quiets), float64 payloads, bfloat16 and float8 tensors, bit for bit with the host path."""
    h = np.arange(65536, dtype=np.uint16).view(np.float16)
    with np.errstate(invalid="ignore"):
        d = np.array([0x7FF0000000000001, 0x7FF8000000000001, 0xFFF4000000000000, 0x7FF0123456789ABC,
                      0x3FF0000000000001, 0x47EFFFFFF0000000, 0x1], np.uint64).view(np.float64)
    for x in (h, as_tensor(torch, h), d, as_tensor(torch, d), h.reshape(256, 256)[:, ::3]):
        cross(fq.dequantize, x, "fp8")
    bits = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).to(DEVICE)
    cross(fq.dequantize, bits.view(torch.bfloat16), "fp8")
    for name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"):
        if hasattr(torch, name):
            b8 = torch.arange(256, dtype=torch.int32).to(torch.uint8).to(DEVICE)
            cross(fq.dequantize, b8.view(getattr(torch, name)), "fp8")


def test_integer_tensors_convert_exactly(torch, rng):
    """int64 / uint64 inputs beyond 2**53 round once to float32 (as NumPy's cast does)."""
    big = np.concatenate([rng.integers(-(2**63), 2**63 - 1, 500, dtype=np.int64),
                          (2**53 + rng.integers(0, 2**40, 500)).astype(np.int64), [2**63 - 1, -(2**63)]])
    ubig = rng.integers(0, 2**64 - 1, 500, dtype=np.uint64)
    for x in (big, ubig, as_tensor(torch, big), as_tensor(torch, ubig)):
        cross(fq.quantize_func, x, 1e15, 0, 16)
        cross(fq.dequantize, x, "fp8")
    for codes, bad in ((torch.tensor([0, 2**63 + 5], dtype=torch.uint64), 2**63 + 5),
                       (torch.tensor([1, 2**32 - 1], dtype=torch.uint32), 2**32 - 1)):
        for name in (HOST, "torch"):  # the same words on both paths
            with fq.use_backend(name):
                with pytest.raises(ValueError, match=rf"^x_q: expected codes in \[-2147483648, 2147483647\], got {bad}$"):
                    fq.dequantize_func(codes, 0.5, 0)
                with pytest.raises(ValueError, match=rf"^packed: expected codes in \[-128, 255\], got {bad}$"):
                    fq.unpack_int8_to_int4(codes)


# ---------------------------------------------------------------- tensors in, tensors out

#: (2, 5) ranges for the (3, 5) data of the ``out=`` calls, one zero step.
RANGES = np.array([[-3.0, -2.0, -1.0, 0.0, 0.5], [3.0, 2.0, -1.0, 0.5, 4.0]], np.float32)

OUT_CALLS = {
    "dequantize-int8": (fq.dequantize, ("codes", "int8"), {}, "float32"),
    "dequantize-uint8": (fq.dequantize, ("bytes", "uint8"), {}, "float32"),
    "dequantize-binary": (fq.dequantize, ("codes", "binary", 36), {}, "float32"),
    "dequantize-binary-full": (fq.dequantize, ("codes", "binary", 40), {}, "float32"),
    "dequantize-fp8": (fq.dequantize, ("floats", "fp8"), {}, "float32"),
    "quantize_embeddings-int8": (fq.quantize_embeddings, ("floats", "int8"), {}, "int8"),
    "quantize_embeddings-uint8": (fq.quantize_embeddings, ("floats", "uint8"), {}, "uint8"),
    "quantize_embeddings-ubinary": (fq.quantize_embeddings, ("floats", "ubinary"), {}, "uint8"),
    "dequantize_from_int4": (fq.dequantize_from_int4, ("nibbles", 0.5, 3), {}, "float32"),
    "dequantize_from_int4-zp2**30": (fq.dequantize_from_int4, ("nibbles", 0.5, 2**30), {}, "float32"),
    "pack_int4_to_int8": (fq.pack_int4_to_int8, ("nibbles",), {}, "int8"),
    "unpack_int8_to_int4": (fq.unpack_int8_to_int4, ("codes",), {}, "int8"),
    "unpack_int8_to_int4-odd": (fq.unpack_int8_to_int4, ("codes", 9), {}, "int8"),
    "quantize_to_packed_int4": (fq.quantize_to_packed_int4, ("floats",), {}, "int8"),
    "dequantize_packed_int4": (fq.dequantize_packed_int4, ("codes", 0.25, -2), {}, "float32"),
    "dequantize_packed_int4-odd": (fq.dequantize_packed_int4, ("codes", 0.25, -2, 9), {}, "float32"),
    "quantize_func": (fq.quantize_func, ("floats", 0.1, 3, 8), {}, "int8"),
    "quantize_func-uint16": (fq.quantize_func, ("floats", 0.01, 9, 16), {"signed": False}, "uint16"),
    "dequantize_func": (fq.dequantize_func, ("codes", 0.1, 3), {}, "float32"),
    "dequantize_func-per_channel": (fq.dequantize_func, ("codes", [1.0, 2.0, 3.0], [0, 1, 2]), {"axis": 0}, "float32"),
    "quantize_embeddings-int8-ranges": (fq.quantize_embeddings, ("floats", "int8"), {"ranges": RANGES}, "int8"),
    "quantize_embeddings-uint8-calibration": (fq.quantize_embeddings, ("floats", "uint8"),
                                              {"calibration_embeddings": RANGES * 0.5}, "uint8"),
    "dequantize-int8-ranges": (fq.dequantize, ("codes", "int8"), {"ranges": RANGES}, "float32"),
    "dequantize-uint8-ranges": (fq.dequantize, ("bytes", "uint8"), {"ranges": RANGES}, "float32"),
    "gguf.dequantize-Q4_K": (fq.gguf.dequantize, ("q4_k", "Q4_K"), {}, "float32"),
    "floats.encode": (fq.floats.encode, ("floats", "float8_e4m3fn"), {}, "uint8"),
    "floats.encode-saturate": (fq.floats.encode, ("floats", "float6_e3m2fn"), {"saturate": True}, "uint8"),
    "floats.decode": (fq.floats.decode, ("bytes", "float8_e5m2"), {}, "float32"),
    "floats.decode-fp4": (fq.floats.decode, ("nibble_codes", "float4_e2m1fn"), {}, "float32"),
    "floats.dequantize_mx": (fq.floats.dequantize_mx, ("nibble_codes", np.uint8([[120], [127], [140]]),
                                                       "float4_e2m1fn"), {"block_size": 5}, "float32"),
    "pack_nibbles": (fq.pack_nibbles, ("nibble_codes",), {}, "uint8"),
    "unpack_nibbles": (fq.unpack_nibbles, ("bytes", 9), {}, "uint8"),
}


def _data(torch, kind: str, rng, device: str = "cpu"):
    return {
        "codes": torch.from_numpy(rng.integers(-128, 128, (3, 5), dtype=np.int8)),
        "bytes": torch.from_numpy(rng.integers(0, 256, (3, 5), dtype=np.uint8)),
        "nibbles": torch.from_numpy(rng.integers(-8, 8, (3, 5), dtype=np.int8)),
        "floats": torch.from_numpy((rng.standard_normal((3, 5)) * 2).astype(np.float32)),
        "q4_k": torch.from_numpy(rng.integers(0, 256, (3, 144), dtype=np.uint8)),
        "nibble_codes": torch.from_numpy(rng.integers(0, 16, (3, 5), dtype=np.uint8)),
    }[kind].to(device)


@pytest.mark.parametrize("case", list(OUT_CALLS))
def test_tensor_out(torch, case, rng, casts):
    """``out=`` a tensor on the input's device: written, returned, equal to the plain call
    (on any backend: a tensor out= takes the torch path)."""
    fn, args, kwargs, dtype = OUT_CALLS[case]
    x = _data(torch, args[0], rng, DEVICE)
    before = x.clone()
    want = fn(x, *args[1:], **kwargs)
    want = want[0] if isinstance(want, tuple) else want
    assert isinstance(want, torch.Tensor) and str(want.dtype) == f"torch.{dtype}" and want.is_contiguous()
    for name in (HOST, "torch"):
        with fq.use_backend(name):
            out = torch.full(want.shape, 99, dtype=want.dtype, device=DEVICE)
            got = fn(x, *args[1:], out=out, **kwargs)
            got = got[0] if isinstance(got, tuple) else got
            assert got is out
            assert_identical(out, want)
            if DEVICE != "cpu":
                continue
            # a NumPy out= with a CPU tensor input: as on the host path, a tensor over it comes back
            arr = np.full(tuple(want.shape), 99, want.cpu().numpy().dtype)
            got = fn(x, *args[1:], out=arr, **kwargs)
            got = got[0] if isinstance(got, tuple) else got
            assert isinstance(got, torch.Tensor) and got.data_ptr() == arr.ctypes.data
            assert_identical(got, want)
    assert torch.equal(x, before)


def test_results_follow_the_input(torch, rng):
    """Tensor in: a new contiguous tensor on its device, no grad, the input untouched (even
    when it requires grad or is a view); NumPy in under the torch backend: NumPy out."""
    x = torch.from_numpy((rng.standard_normal((4, 6)) * 2).astype(np.float32)).requires_grad_()
    xt = x.detach().T  # a non-contiguous view
    with fq.use_backend("torch"):
        for data in (x, xt):
            q = fq.quantize_embeddings(data, "int8")
            assert isinstance(q, torch.Tensor) and q.is_contiguous() and not q.requires_grad
            assert q.device == data.device and tuple(q.shape) == tuple(data.shape)
            d = fq.dequantize(data, "fp8")
            assert d.data_ptr() != data.data_ptr()  # always a new tensor, never the input
        arr = fq.dequantize(np.arange(5, dtype=np.int8), "int8")
        assert type(arr) is np.ndarray
    assert x.grad is None


# ---------------------------------------------------------------- which path runs

def test_paths_are_chosen_by_device_out_and_backend(torch):
    x = torch.linspace(-1, 1, 12)
    calls = _backend.TORCH_CALLS
    fq.quantize_embeddings(x, "int8")  # a CPU tensor: the compiled kernels
    fq.quantize_embeddings(x.numpy(), "int8")
    assert _backend.TORCH_CALLS == calls
    fq.quantize_embeddings(x, "int8", out=torch.empty(12, dtype=torch.int8))
    assert _backend.TORCH_CALLS == calls + 1
    with fq.use_backend("torch"):
        assert fq.backend() == "torch"
        fq.quantize_embeddings(x.numpy(), "int8")
        fq.quantize_embeddings([0.5, 1.0], "int8")
    assert _backend.TORCH_CALLS == calls + 3
    # a tensor on any other device goes to torch on that device; a meta tensor has no data,
    # and says so in the torch path's own words (the host path would speak of NumPy)
    with pytest.raises(TypeError, match=r"^x: expected a dense tensor with data, got torch\.strided/torch\.float32 on meta$"):
        fq.quantize_embeddings(torch.empty(3, device="meta"), "int8")


def test_the_torch_path_makes_no_host_copy(torch, monkeypatch, rng):
    """On the torch path a tensor is never turned into an array or moved: every way to the
    host is closed while each function runs (results are compared with the host path after)."""
    cases = [(fn, (_data(torch, args[0], rng),) + tuple(args[1:]), kwargs) for fn, args, kwargs, _ in OUT_CALLS.values()]
    cases.append((fq.quantize_to_int4, (_data(torch, "floats", rng), "absmax"), {}))
    cases.append((fq.dequantize_func, (_data(torch, "floats", rng) * 9, 0.5, 0), {}))
    floats = _data(torch, "floats", rng)
    cases.append((fq.calibration_ranges, (floats,), {}))
    cases.append((fq.floats.quantize_mx, (floats, "float4_e2m1fn"), {"block_size": 5}))
    cases.append((fq.floats.encode, (floats.to(torch.float16), "float8_e5m2"), {}))
    cases.append((fq.quantize_embeddings, (floats, "int8"), {"calibration_embeddings": floats}))
    want = [fn(*args, **kwargs) for fn, args, kwargs in cases]

    def closed(*_, **__):
        raise AssertionError("a host copy on the torch path")

    to_numpy = _arrays.to_numpy

    def parameters_only(x, *args, **kwargs):  # lists of scales may still become arrays
        if isinstance(x, torch.Tensor):
            closed()
        return to_numpy(x, *args, **kwargs)

    with monkeypatch.context() as m, fq.use_backend("torch"):
        for name in ("numpy", "cpu", "__array__"):
            m.setattr(torch.Tensor, name, closed)
        m.setattr(_arrays, "to_numpy", parameters_only)
        got = [fn(*args, **kwargs) for fn, args, kwargs in cases]
    for g, w in zip(got, want):
        assert_identical(g, w)


def test_import_fastquant_and_numpy_calls_never_import_torch():
    code = ("import sys, numpy as np, fastquant as fq\n"
            "fq.dequantize(np.arange(4, dtype=np.int8), 'int8'); fq.quantize_func([0.5, 1.5], 0.5, 0)\n"
            "fq.dequantize([1, 2], 'int8'); fq.unpack_int8_to_int4([1, 2])\n"
            "print('torch' in sys.modules, fq._backend.available()[-1])")
    res = run_python(["-c", code])
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "False"


def test_backend_torch_by_environment(torch):
    code = ("import numpy as np, fastquant as fq\n"
            "fq.quantize_to_int4(np.ones(3, np.float32))\n"
            "print(fq.backend(), fq._backend.TORCH_CALLS)")
    res = run_python(["-c", code], env={"FASTQUANT_BACKEND": "torch"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["torch", "1"]


def test_torch_backend_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import fastquant as fq\n"
            "assert 'torch' not in fq._backend.available()\n"
            "try:\n"
            "    fq.use_backend('torch').__enter__()\n"
            "except ImportError as exc:\n"
            "    print(exc)\n")
    res = run_python(["-c", code])
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("name: the 'torch' backend is not available")


def test_the_torch_backend_is_per_thread(torch):
    import threading

    seen = []
    with fq.use_backend("torch"):
        t = threading.Thread(target=lambda: seen.append(fq.backend()))
        t.start()
        t.join()
    assert seen == [_backend._DEFAULT]


# ---------------------------------------------------------------- the host fallback

@pytest.fixture
def fake_family(monkeypatch):
    """A public module ``fastquant.fake`` with a decorated function, and its torch twin
    module, which lacks the ``extra`` argument."""
    monkeypatch.setattr(_backend, "_TWIN_CACHE", {})
    twin = types.ModuleType("fastquant._torch.fake")

    def scaled(x, scale=2.0, *, extra=None):
        return ("torch", scale)

    twin.scaled = scaled
    monkeypatch.setitem(sys.modules, "fastquant._torch.fake", twin)

    def scaled_public(x, scale=2.0, *, extra=None, flag="a"):
        return ("host", scale, extra, flag)

    scaled_public.__name__ = "scaled"
    scaled_public.__module__ = "fastquant.fake"

    def absent(x):
        return "host"

    absent.__module__ = "fastquant.fake"
    return _backend.torch_path(scaled_public), _backend.torch_path(absent)


def test_arguments_without_a_torch_path_fall_back_with_a_warning(torch, fake_family):
    scaled, absent = fake_family
    with fq.use_backend("torch"):
        assert scaled(1, 3.0) == ("torch", 3.0)
        assert scaled(1, flag="a") == ("torch", 2.0)  # a default value needs no torch path
        with pytest.warns(_backend.HostFallbackWarning, match=r"^fastquant\.scaled: no torch path .*\['flag'\]"):
            assert scaled(1, flag="b") == ("host", 2.0, None, "b")
        with pytest.warns(_backend.HostFallbackWarning, match="has no absent"):
            assert absent(1) == "host"
    assert scaled(np.ones(1), 5.0) == ("host", 5.0, None, "a")


def test_a_new_scale_method_falls_back_to_the_host(torch, monkeypatch):
    """A method the torch twin does not implement yet (as int4's "asymmetric" was once) is
    computed on the host with a warning, never silently wrong."""
    monkeypatch.setattr(fq.int4, "SCALE_METHODS", fq.int4.SCALE_METHODS + ("newer",))
    x = torch.linspace(-2, 3, 10)
    with fq.use_backend("torch"), pytest.warns(_backend.HostFallbackWarning, match="scale_method='newer'"):
        q, scale, zp = fq.quantize_to_int4(x, "newer")
    assert isinstance(q, torch.Tensor)
    with fq.use_backend("torch"), pytest.raises(ValueError, match="^scale_method:"):
        fq.quantize_to_int4(x, "unknown")


def test_torch_path_keeps_the_signature():
    import inspect

    _onnx()
    for fn in [getattr(fq, n) for n in fq.__all__] + [getattr(getattr(fq, m), n) for m in SUBMODULES
                                                     for n in getattr(fq, m).__all__]:
        name = getattr(fn, "__name__", "")
        if getattr(fn, "torch_path", False) is True:
            assert inspect.signature(fn) == inspect.signature(fn.__wrapped__), name
            assert fn.__doc__ == fn.__wrapped__.__doc__ and fn.__module__ == fn.__wrapped__.__module__


def test_docs_examples_run(torch):
    doc = Path(__file__).resolve().parent.parent / "docs" / "torch.md"
    if not doc.exists():
        pytest.skip("docs/torch.md is not next to the tests (installed test run)")
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for k, block in enumerate(blocks):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(compile(block, f"docs/torch.md python block {k}", "exec"), {})


def test_an_old_torch_computes_on_the_host(torch, monkeypatch):
    monkeypatch.setattr(torch, "__version__", "2.2.1")
    monkeypatch.setattr(_backend, "_TWIN_CACHE", {})
    x = torch.linspace(-1, 1, 8)
    with fq.use_backend("torch"), pytest.warns(_backend.HostFallbackWarning, match=r"torch 2\.2\.1 is older than 2\.3"):
        q = fq.quantize_embeddings(x, "int8")
    assert_identical(q, fq.quantize_embeddings(x, "int8"))


def test_arrays_torch_cannot_view_directly(torch):
    """Found by the fuzzer: a one-element view with a negative or odd stride is C-contiguous to
    NumPy but not viewable by torch; an empty out= may have any strides."""
    buf = np.arange(-8, 8, dtype=np.int8)
    odd = np.ndarray((1,), np.int16, buffer=np.zeros(8, np.uint8), offset=2, strides=(3,))
    for q in (buf[6:5:-2], buf[::-2][:1], odd):
        cross(fq.dequantize, q, "int8")
        cross(fq.dequantize_from_int4, q, 0.5)
        cross(fq.unpack_int8_to_int4, q)
        cross(fq.dequantize_func, q, 0.5, 1)
    empty = np.zeros((2, 3), np.float32)[:, :0]
    for fn, args in ((fq.unpack_int8_to_int4, (np.zeros((2, 0), np.int8),)),
                     (fq.dequantize_packed_int4, (np.zeros((2, 0), np.int8), 0.5))):
        out = np.zeros((2, 0), np.int8 if fn is fq.unpack_int8_to_int4 else np.float32)
        out = np.lib.stride_tricks.as_strided(out, strides=(0, 0)) if out.dtype == np.int8 else empty
        with fq.use_backend("torch"):
            assert fn(*args, out=out) is out
