"""fastquant.gguf.dequantize against its oracle, gguf-py 0.19.0's gguf.quants.dequantize, bit
for bit (NaN where it has NaN), on every backend (``both`` checks the compiled builds against
the twins): random bytes of every type, blocks from gguf-py's quantizers, every special fp16
scale, N-D input, a GGUFReader memmap, out=, threads=, torch tensors, the drop-in import."""

from __future__ import annotations

import numpy as np
import pytest

import fastquant.gguf as fg
from fastquant import _arrays, _backend, _threads
from _gguf_support import FP16_SCALES, SPECIAL_HALVES, assert_same_as_oracle, random_blocks, with_scales
from _oracles import require
from _support import assert_identical, both, compiled_names, run_python

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

TYPES = fg.DECODE_TYPES
BLOCK_TYPES = [t for t in TYPES if fg.qtype_of(t).block_size > 1]


@pytest.fixture(scope="module")
def gguf():
    return require("gguf", "0.19.0")


def oracle(gguf, data, name):
    """gguf-py's result (its RuntimeWarnings about inf * 0 and overflow silenced)."""
    with np.errstate(all="ignore"):
        return gguf.quants.dequantize(data, gguf.GGMLQuantizationType[name])


def blocks_for(name: str) -> int:
    """Random blocks per type: about 150k values, many scales of every kind (1 in 32 is
    non-finite, 1 in 32 subnormal)."""
    return max(600, 150_000 // fg.qtype_of(name).block_size)


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("name", TYPES)
def test_random_bytes_equal_gguf_py(gguf, name, rng):
    t = fg.qtype_of(name)
    n = blocks_for(name)
    data = random_blocks(name, 3, -(-n // 3), rng)
    ours = both(fg.dequantize, data, name)
    assert_same_as_oracle(ours, oracle(gguf, data, name), name)


@pytest.mark.parametrize("name", [t for t in BLOCK_TYPES if t in FP16_SCALES or t == "IQ1_M"])
def test_special_fp16_scales_equal_gguf_py(gguf, name, rng):
    """Every scale field at zero, subnormal, max, inf and NaN (quiet and signalling), and a
    sweep of 4096 patterns spread over all exponents."""
    halves = np.concatenate([SPECIAL_HALVES, np.arange(0, 1 << 16, 16, dtype=np.uint16)])
    data = with_scales(name, halves, rng)
    ours = both(fg.dequantize, data, name)
    assert_same_as_oracle(ours, oracle(gguf, data, name), name)


@pytest.mark.parametrize("name", ["MXFP4", "NVFP4"])
def test_every_fp4_scale_byte_equals_gguf_py(gguf, name, rng):
    """E8M0 / UE4M3 scales: all 256 byte values in every scale position."""
    t = fg.qtype_of(name)
    data = rng.integers(0, 256, (256, t.type_size), dtype=np.uint8)
    scales = 1 if name == "MXFP4" else 4
    data[:, :scales] = np.arange(256, dtype=np.uint8)[:, None]
    ours = both(fg.dequantize, data, name)
    assert_same_as_oracle(ours, oracle(gguf, data, name), name)


def test_every_fp16_pattern_equals_numpy(gguf):
    """F16: all 65536 bit patterns, NaN payloads included (NumPy's cast keeps them)."""
    data = np.arange(1 << 16, dtype=np.uint16).view(np.uint8)
    ours = both(fg.dequantize, data, "F16")
    assert_identical(ours, oracle(gguf, data, "F16"))


def test_every_bf16_pattern_equals_gguf_py(gguf):
    data = np.arange(1 << 16, dtype="<u2").view(np.uint8)
    assert_identical(both(fg.dequantize, data, "BF16"), oracle(gguf, data, "BF16"))


QUANTIZED_BY_GGUF = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4", "BF16"]


@pytest.mark.parametrize("name", QUANTIZED_BY_GGUF)
def test_blocks_from_gguf_py_quantize(gguf, name, rng):
    """Real blocks: gguf-py quantizes normal data (with outliers and all-zero blocks)."""
    x = (rng.standard_normal((16, 1024)) * rng.choice([0.01, 1.0, 300.0], (16, 1))).astype(np.float32)
    x[3, 256:512] = 0.0
    x[5, 7] = 60000.0
    data = gguf.quants.quantize(x, gguf.GGMLQuantizationType[name])
    ours = both(fg.dequantize, data, name)
    assert_same_as_oracle(ours, oracle(gguf, data, name), name)


@pytest.mark.parametrize("name", ["F32", "F16"])
def test_float_data_of_the_plain_types(gguf, name, rng):
    """gguf-py's "quantize" of F32/F16 gives float arrays; dequantize takes them as values
    (a GGUFReader gives F32/F16 tensors so), and bytes of the same floats give the same."""
    x = rng.standard_normal((4, 6)).astype(np.float32)
    x[0, :3] = [np.inf, -0.0, np.nan]
    values = gguf.quants.quantize(x, gguf.GGMLQuantizationType[name])
    ours = both(fg.dequantize, values, name)
    assert_identical(ours, np.asarray(oracle(gguf, values, name)))
    assert_identical(both(fg.dequantize, values.view(np.uint8), name), ours)
    assert_identical(fg.dequantize(values.astype(values.dtype.newbyteorder(">")), name), ours)


def test_bfloat16_values(rng):
    ml_dtypes = require("ml_dtypes", "0.6.0")
    x = rng.standard_normal((3, 5)).astype(ml_dtypes.bfloat16)
    assert_identical(both(fg.dequantize, x, "BF16"), x.astype(np.float32))


@pytest.mark.parametrize("name", ["Q4_K", "F32", "IQ2_XXS"])
def test_wider_integer_arrays_are_their_bytes(gguf, name, rng):
    """An int16/uint32 array is read as its bytes in memory (SPEC: any array viewable as
    uint8). gguf-py's view does that for F32; for block types it computes the result shape
    from the element count instead and fails, so the oracle gets the same bytes as uint8."""
    data = random_blocks(name, 2, 8, rng)
    ref = oracle(gguf, data, name)
    for dtype in ("<u2", "<i4", ">i2"):
        wide = data.view(dtype)
        assert_same_as_oracle(both(fg.dequantize, wide, name), ref, f"{name} {dtype}")


def test_a_list_holds_byte_values(gguf, rng):
    data = random_blocks("Q8_0", 2, 3, rng)
    assert_identical(both(fg.dequantize, data.tolist(), "Q8_0"), fg.dequantize(data, "Q8_0"))


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", ["Q4_0", "Q6_K", "IQ3_S", "NVFP4", "BF16"])
def test_nd_input(gguf, name, rng):
    t = fg.qtype_of(name)
    data = random_blocks(name, 2 * 3, 5, rng).reshape(2, 3, 5 * t.type_size)
    ours = both(fg.dequantize, data, name)
    assert ours.shape == (2, 3, 5 * t.block_size)
    assert_same_as_oracle(ours, oracle(gguf, data, name), name)
    view = data[:, ::-1, :]  # a strided view: copied, same values
    assert_same_as_oracle(both(fg.dequantize, view, name), oracle(gguf, np.ascontiguousarray(view), name))


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 36), (2, 0, 36)])
def test_empty_input_gives_empty_output(shape):
    ours = both(fg.dequantize, np.zeros(shape, np.uint8), "Q4_0")
    assert ours.dtype == np.float32 and ours.shape == shape[:-1] + (shape[-1] // 18 * 32,)


def test_qtype_forms(gguf, rng):
    data = random_blocks("Q5_K", 2, 3, rng)
    ref = fg.dequantize(data, "Q5_K")
    member = gguf.GGMLQuantizationType.Q5_K
    for q in (member, int(member), "q5_k", np.int64(13)):
        assert_identical(fg.dequantize(data, q), ref)


@pytest.mark.parametrize("name", ["Q8_1", "Q8_K", "Q1_0", "I8", "I16", "I32", "I64", "F64"])
def test_types_gguf_py_does_not_decode(gguf, name):
    t = fg.qtype_of(name)
    data = np.zeros((2, t.type_size), np.uint8)
    with pytest.raises(NotImplementedError):
        oracle(gguf, data, name)
    with pytest.raises(NotImplementedError, match="qtype"):
        fg.dequantize(data, name)


# ---------------------------------------------------------------- the drop-in


def test_sizes_and_shapes_equal_gguf_py(gguf):
    assert dict(fg.QUANT_SIZES) == {int(k): v for k, v in gguf.GGML_QUANT_SIZES.items()}
    for member, sizes in gguf.GGML_QUANT_SIZES.items():
        assert fg.QUANT_SIZES[member] == fg.QUANT_SIZES[member.name] == sizes
        shape = (3, 4 * sizes[0])
        byte_shape = gguf.quants.quant_shape_to_byte_shape(shape, member)
        assert fg.quant_shape_to_byte_shape(shape, member) == byte_shape
        assert fg.quant_shape_from_byte_shape(byte_shape, member) == gguf.quants.quant_shape_from_byte_shape(byte_shape, member)
    assert {t.name for t in gguf.GGMLQuantizationType} == {t.name for t in fg._TYPES}
    decoded = set()
    for member in gguf.GGMLQuantizationType:
        try:
            oracle(gguf, np.zeros((1, gguf.GGML_QUANT_SIZES[member][1]), np.uint8), member.name)
            decoded.add(member.name)
        except NotImplementedError:
            pass
    assert decoded == set(TYPES)


def test_fastquant_never_imports_gguf():
    """gguf-py is a test dependency only: decoding (and the bench cases) import none of it."""
    code = ("import sys, numpy as np, fastquant.gguf as q, fastquant._bench.cases as c\n"
            "q.dequantize(np.zeros(18, np.uint8), 'Q4_0'); c.select(['gguf'])\n"
            "assert not [m for m in sys.modules if m == 'gguf' or m.startswith('gguf.')], sorted(sys.modules)\n")
    res = run_python(["-c", code])
    assert res.returncode == 0, res.stderr


def test_drop_in_import(gguf, rng):
    """The same code with ``import fastquant.gguf as quants`` in place of gguf-py's."""
    def load(quants, data, qtype):
        shape = quants.quant_shape_from_byte_shape(data.shape, qtype)
        values = quants.dequantize(data, qtype)
        assert values.shape == shape
        return values

    data = random_blocks("Q4_K", 4, 2, rng, finite=True)
    member = gguf.GGMLQuantizationType.Q4_K
    assert_same_as_oracle(load(fg, data, member), load(gguf.quants, data, member))


def test_gguf_reader_memmap(gguf, tmp_path, rng):
    """A .gguf file written by gguf.GGUFWriter, read back by gguf.GGUFReader: every tensor's
    memmap decodes as gguf-py decodes it (F32/F16 tensors come as float arrays)."""
    path = tmp_path / "small.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    tensors = {}
    for name in TYPES:
        member = gguf.GGMLQuantizationType[name]
        if name in ("F32", "F16"):
            data = gguf.quants.quantize(rng.standard_normal((3, 64)).astype(np.float32), member)
            writer.add_tensor(name.lower(), data)
        else:
            data = random_blocks(name, 3, 2, rng, finite=True) if name not in ("BF16",) else \
                rng.integers(0, 256, (3, 128), dtype=np.uint8)
            writer.add_tensor(name.lower(), data, raw_dtype=member)  # shape: from the bytes
        tensors[name.lower()] = name
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    reader = gguf.GGUFReader(str(path))
    seen = 0
    for tensor in reader.tensors:
        name = tensors[tensor.name]
        assert tensor.tensor_type.name == name
        ours = both(fg.dequantize, tensor.data, tensor.tensor_type)
        ref = oracle(gguf, tensor.data, name)
        assert_same_as_oracle(ours, np.asarray(ref), name)
        seen += 1
    assert seen == len(TYPES)


# ---------------------------------------------------------------- out=, threads=, streaming


def _out_at(offset_bytes: int, shape) -> np.ndarray:
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    return raw[start:start + count * 4].view(np.float32).reshape(shape)


@pytest.mark.parametrize("name", TYPES)
def test_out_and_streaming(name, rng, monkeypatch):
    """out= gets the values of a plain call, with streaming stores too (threshold lowered),
    at aligned and misaligned starts of out."""
    t = fg.qtype_of(name)
    data = random_blocks(name, 3, max(1, 3000 // t.block_size), rng)
    ref = fg.dequantize(data, name)
    monkeypatch.setattr(_arrays, "STREAM_MIN_BYTES", 0)
    for offset in (0, 4, 16, 36):
        out = _out_at(offset, ref.shape)
        out.fill(1.0)
        assert both(fg.dequantize, data, name, out=out) is not None
        assert_identical(out, ref, f"{name} offset {offset}")


@pytest.mark.parametrize("name", ["F16", "Q4_0", "Q2_K", "NVFP4", "IQ2_S", "IQ4_XS"])
def test_stream_kernels_at_every_alignment(name, rng):
    """The kernels' stream=True path writes the bytes of stream=False at every float
    offset from a 64-byte line and for lengths around the group size."""
    t = fg.qtype_of(name)
    kernel = f"gguf_dequantize_{t.kernel_suffix}"
    for blocks in (2048 // t.block_size + 1, 4096 // t.block_size + 3):
        src = random_blocks(name, 1, blocks, rng)
        reference = np.empty((1, blocks * t.block_size), np.float32)
        getattr(_backend.kernels_of("numpy"), kernel)(src, reference)
        for backend in compiled_names():
            for offset in range(0, 64, 4):
                out = _out_at(offset, reference.shape)
                getattr(_backend.kernels_of(backend), kernel)(src, out, True)
                assert_identical(out, reference, f"{backend} offset={offset} blocks={blocks}")


THREAD_SHAPES = {"one_row": (1, 2500), "rows": (7, 30), "nd": (2, 3, 11)}


@pytest.mark.parametrize("shape", THREAD_SHAPES.values(), ids=THREAD_SHAPES.keys())
@pytest.mark.parametrize("name", ["F32", "Q5_1", "Q3_K", "TQ1_0", "IQ1_M"])
def test_threads_split_at_blocks(name, shape, rng, monkeypatch):
    t = fg.qtype_of(name)
    data = random_blocks(name, int(np.prod(shape[:-1])), shape[-1], rng).reshape(*shape[:-1], -1)
    one = both(fg.dequantize, data, name, threads=1)
    calls = []
    real = _threads._execute
    monkeypatch.setattr(_threads, "_execute", lambda c: calls.append(len(c)) or real(c))
    for threads in (2, 3):
        assert_identical(both(fg.dequantize, data, name, threads=threads), one)
    assert calls and max(calls) > 1, "never split"


# ---------------------------------------------------------------- 64-bit sizes


def test_c_loops_over_blocks_use_ptrdiff_t():
    """The C decoders count blocks and values with ptrdiff_t (64-bit), never int: a static
    check of every loop bounded by a count the caller passes (nb, n, total, pending...)."""
    from pathlib import Path
    import re

    csrc = Path(__file__).resolve().parent.parent / "csrc"
    if not csrc.is_dir():
        pytest.skip("csrc/ is not next to the tests (installed test run)")
    checked = 0
    for header in ["fq_half.h", "gguf_run.h", "gguf_decode.h", "gguf_decode_iq.h"]:
        for function in re.split(r"\n(?=static |FQ_INLINE )", (csrc / header).read_text()):
            wide = set()
            for decl in re.findall(r"\bptrdiff_t\s+([^;()]+);", function):
                wide.update(re.findall(r"(?:^|,)\s*\**(\w+)", decl))
            for var, bound in re.findall(r"for \((?:ptrdiff_t )?(\w+) = [^;]*; \w+(?: \+ \d+)? <=? (\w+);", function):
                if bound in ("nb", "n", "total"):
                    assert var in wide, f"{header}: loop index {var} over {bound} is not ptrdiff_t"
                    checked += 1
    assert checked >= 20, f"only {checked} loops found: has the check gone stale?"


# ---------------------------------------------------------------- torch


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_torch_tensors_in_give_tensors_out(gguf, rng):
    data = random_blocks("Q6_K", 2, 2, rng)
    ref = fg.dequantize(data, "Q6_K")
    got = both(fg.dequantize, torch.from_numpy(data), "Q6_K")
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
    assert_identical(got.numpy(), ref)
    assert_identical(fg.dequantize(torch.from_numpy(data.view(np.int8)), "Q6_K").numpy(), ref)
    bf = torch.randn(3, 5).to(torch.bfloat16)
    assert torch.equal(fg.dequantize(bf, "BF16"), bf.float())
    half = torch.randn(4).half()
    assert torch.equal(fg.dequantize(half, "F16"), half.float())
    x = torch.randn(2, 3)
    assert torch.equal(fg.dequantize(x, "F32"), x)
