"""Every public function of SPEC 2-4, 7-10 on a torch device: the torch path against a device copy of
the result's bytes, and against host round trips (the tensor to the host, decoded there,
copied back: with the compiled kernels, as fastquant 0.1 did, and with the NumPy twins, as the
seed's code did). Each result is checked bit for bit against the compiled kernels.

    python bench/torch_device.py                        # CUDA if available (256M values), else CPU
    FASTQUANT_NUM_THREADS=1 python bench/torch_device.py --device cpu --values 4M --threads 1 --clock thread
    python bench/torch_device.py --values 256M --ops decode --json gpu.json
    python bench/torch_device.py --values 256M --only gguf --no-seed    # the 26 GGUF decoders
    python bench/torch_device.py --values 256M --only floats,nibbles,onnx   # minifloats, MX, ONNX Q/DQ

Run from the repository root after building the kernels (``python setup.py build_ext
--inplace``), or anywhere against an installed fastquant. Figures:

- ``ms``: median wall time of the call on the device (synchronized), result allocated anew;
- ``Gval/s``: values (elements of the float side) per second;
- ``copy%``: a device-to-device copy of the result's bytes as a share of the call's time
  (100% = as fast as that copy; a decoder reads fewer bytes than it writes, so it can exceed it);
- ``x host``: the call's speed over the compiled kernels' host round trip; ``x seed``: over the
  NumPy twins' round trip (the seed's way), both including the two transfers. On the CPU there
  is no transfer: ``x host`` is then the torch path's speed over the compiled kernels' (below 1:
  slower), ``x seed`` over the NumPy twins'. Run with ``FASTQUANT_NUM_THREADS=1 --threads 1``
  to compare one thread with one thread.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "fastquant").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import fastquant as fq  # noqa: E402
import fastquant.floats  # noqa: E402,F401  (fq.floats)
import fastquant.gguf  # noqa: E402,F401  (fq.gguf)
from fastquant import _backend  # noqa: E402


def parse_count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "KMG" else text) * scale)


#: Byte offsets of the fp16 scales of each GGUF block type (tests/_gguf_support.py has the
#: same table): benchmark blocks get finite scales there, as real weights have.
GGUF_SCALES = {
    "Q4_0": (0,), "Q4_1": (0, 2), "Q5_0": (0,), "Q5_1": (0, 2), "Q8_0": (0,),
    "Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,),
    "TQ1_0": (52,), "TQ2_0": (64,), "IQ2_XXS": (0,), "IQ2_XS": (0,), "IQ2_S": (0,),
    "IQ3_XXS": (0,), "IQ3_S": (0,), "IQ1_S": (0,), "IQ4_NL": (0,), "IQ4_XS": (0,),
}


def gguf_blocks(name: str, n: int, device: torch.device, g: torch.Generator) -> torch.Tensor:
    """Random (rows, bytes) blocks of GGUF type ``name`` holding about ``n`` values, rows of
    4096 values where whole blocks allow, every fp16 scale finite (about 0.01)."""
    t = fq.gguf.qtype_of(name)
    per_row = max(t.block_size, 4096 // t.block_size * t.block_size)
    rows = max(1, n // per_row)
    b = torch.randint(0, 256, (rows * per_row // t.block_size, t.type_size), dtype=torch.uint8, generator=g)
    for at in GGUF_SCALES.get(name, ()):
        b[:, at + 1] = 0x21  # fp16 0x21xx: about 0.01
    if name == "F16":
        b[:, 1] &= 0xBB  # finite values
    if name == "IQ1_M":
        b[:, 55] &= 0xBF  # the scale's top exponent bit clear: finite
    return b.reshape(rows, -1).to(device)


def cases(n: int, device: torch.device) -> list:
    """``(name, kind, call)`` where ``call(fn_args_device)``: the decoders on codes for ``n``
    values, the encoders on ``n`` floats (rows of 1024, the last axis packed)."""
    g = torch.Generator(device="cpu").manual_seed(0)
    rows = max(1, n // 1024)
    floats = (torch.randn(rows, 1024, generator=g) * 0.3).to(device)
    codes = torch.randint(-128, 128, (rows, 1024), dtype=torch.int8, generator=g).to(device)
    nib = torch.randint(-8, 8, (rows, 1024), dtype=torch.int8, generator=g).to(device)
    packed = codes[:, :512].contiguous()
    signs = codes[:, :128].contiguous()
    lo = (torch.randn(1024, generator=g) * 0.3 - 1).numpy()
    ranges = np.vstack([lo, lo + 2]).astype(np.float32)  # calibrated ranges (SPEC 10), validated on the host
    return [
        ("dequantize int8", "decode", fq.dequantize, (codes, "int8"), {}),
        ("dequantize uint8", "decode", fq.dequantize, (codes.view(torch.uint8), "uint8"), {}),
        ("dequantize binary", "decode", fq.dequantize, (signs, "binary", 1024), {}),
        ("dequantize ubinary", "decode", fq.dequantize, (signs.view(torch.uint8), "ubinary", 1024), {}),
        ("dequantize fp8 (float16)", "decode", fq.dequantize, (floats.half(), "fp8"), {}),
        ("dequantize_from_int4", "decode", fq.dequantize_from_int4, (nib, 0.37, 0), {}),
        ("dequantize_from_int4 zp=3", "decode", fq.dequantize_from_int4, (nib, 0.37, 3), {}),
        ("unpack_int8_to_int4", "decode", fq.unpack_int8_to_int4, (packed,), {}),
        ("dequantize_packed_int4", "decode", fq.dequantize_packed_int4, (packed, 0.37, 0), {}),
        ("dequantize_func int8", "decode", fq.dequantize_func, (codes, 0.37, 3), {}),
        ("dequantize_func per-channel", "decode", fq.dequantize_func,
         (codes, torch.linspace(0.1, 2, 1024), torch.arange(1024) - 512), {"axis": 1}),
        ("dequantize int8 ranges", "decode", fq.dequantize, (codes, "int8"), {"ranges": ranges}),
        ("dequantize uint8 ranges", "decode", fq.dequantize, (codes.view(torch.uint8), "uint8"), {"ranges": ranges}),
        *((f"gguf.dequantize {name}", "decode", fq.gguf.dequantize, (gguf_blocks(name, n, device, g), name), {})
          for name in fq.gguf.DECODE_TYPES),
        ("quantize_embeddings int8", "encode", fq.quantize_embeddings, (floats, "int8"), {}),
        ("quantize_embeddings int8 ranges", "encode", fq.quantize_embeddings, (floats, "int8"), {"ranges": ranges}),
        ("calibration_ranges", "encode", fq.calibration_ranges, (floats,), {}),
        ("quantize_embeddings ubinary", "encode", fq.quantize_embeddings, (floats, "ubinary"), {}),
        ("quantize_to_int4", "encode", fq.quantize_to_int4, (floats, "absmax"), {}),
        ("quantize_to_int4 asymmetric", "encode", fq.quantize_to_int4, (floats + 1, "asymmetric"), {}),
        ("pack_int4_to_int8", "encode", fq.pack_int4_to_int8, (nib,), {}),
        ("quantize_to_packed_int4", "encode", fq.quantize_to_packed_int4, (floats,), {}),
        ("quantize_func 8-bit", "encode", fq.quantize_func, (floats, 0.01, 3), {}),
        *floats_cases(floats, codes, device, g),
        *onnx_cases(floats, codes, nib),
    ]


def floats_cases(floats, codes, device, g) -> list:
    """fastquant.floats: minifloat casts both ways, OCP MX blocks of 32, unsigned nibbles."""
    bytes_ = codes.view(torch.uint8)
    fp4 = torch.randint(0, 16, tuple(codes.shape), dtype=torch.uint8, generator=g).to(device)
    scales = torch.randint(118, 136, (codes.shape[0], codes.shape[1] // 32), dtype=torch.uint8, generator=g).to(device)
    wide = floats * 100
    return [
        ("floats.decode float8_e4m3fn", "decode", fq.floats.decode, (bytes_, "float8_e4m3fn"), {}),
        ("floats.decode float8_e5m2", "decode", fq.floats.decode, (bytes_, "float8_e5m2"), {}),
        ("floats.decode float4_e2m1fn", "decode", fq.floats.decode, (fp4, "float4_e2m1fn"), {}),
        ("floats.dequantize_mx e4m3fn", "decode", fq.floats.dequantize_mx, (bytes_, scales, "float8_e4m3fn"), {}),
        ("floats.dequantize_mx e2m1fn", "decode", fq.floats.dequantize_mx, (fp4, scales, "float4_e2m1fn"), {}),
        ("unpack_nibbles", "decode", fq.unpack_nibbles, (bytes_[:, :512].contiguous(),), {}),
        ("floats.encode float8_e4m3fn", "encode", fq.floats.encode, (wide, "float8_e4m3fn"), {}),
        ("floats.encode float8_e5m2", "encode", fq.floats.encode, (wide, "float8_e5m2"), {}),
        ("floats.encode float4_e2m1fn", "encode", fq.floats.encode, (floats * 10, "float4_e2m1fn"), {}),
        ("floats.quantize_mx e4m3fn", "encode", fq.floats.quantize_mx, (floats, "float8_e4m3fn"), {}),
        ("floats.quantize_mx e2m1fn", "encode", fq.floats.quantize_mx, (floats, "float4_e2m1fn"), {}),
        ("pack_nibbles", "encode", fq.pack_nibbles, (fp4,), {}),
    ]


def onnx_cases(floats, codes, nib) -> list:
    """fastquant.onnx (needs ml_dtypes; its results are NumPy arrays for every input, so a
    device run includes the result's copy to the host)."""
    try:
        import ml_dtypes

        import fastquant.onnx as fo
    except ImportError:
        return []
    rows = floats.shape[0]
    blocks = np.full((rows, 1024 // 32), 0.01, np.float32)
    return [
        ("onnx.dequantize_linear int8", "decode", fo.dequantize_linear, (codes, 0.01, np.int8(3)), {}),
        ("onnx.dequantize_linear int4 block32", "decode", fo.dequantize_linear,
         (nib, blocks, np.zeros((rows, 32), ml_dtypes.int4)), {"block_size": 32}),
        ("onnx.dequantize_linear float8e4m3fn", "decode", fo.dequantize_linear,
         (codes.view(torch.uint8), 0.01, np.zeros((), ml_dtypes.float8_e4m3fn)), {}),
        ("onnx.quantize_linear uint8", "encode", fo.quantize_linear, (floats, 0.01, np.uint8(128)), {}),
        ("onnx.quantize_linear int4 block32", "encode", fo.quantize_linear, (floats, blocks),
         {"block_size": 32, "output_dtype": "int4"}),
        ("onnx.quantize_linear float8e4m3fn", "encode", fo.quantize_linear, (floats, 0.01),
         {"output_dtype": "float8e4m3fn"}),
        ("onnx.dynamic_quantize_linear", "encode", fo.dynamic_quantize_linear, (floats,), {}),
    ]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(calls: dict, device: torch.device, repeat: dict, clock=time.perf_counter) -> dict:
    """Median seconds of each ``calls[name]()`` (after one warm-up call each), synchronized on
    ``device``; the calls take turns, so a slow spell on a shared machine hits all alike."""
    for call in calls.values():
        call()
    _sync(device)
    times: dict = {name: [] for name in calls}
    for i in range(max(repeat.values())):
        for name, call in calls.items():
            if i < repeat[name]:
                t0 = clock()
                call()
                _sync(device)
                times[name].append(clock() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def _main(res):
    return res[0] if isinstance(res, tuple) else res


def _host_round_trip(fn, args, kwargs, backend: str, device: torch.device):
    """The tensor arguments to the host, ``fn`` there on ``backend``, the result back."""
    host = tuple(a.cpu() if isinstance(a, torch.Tensor) else a for a in args)
    hkw = {k: v.cpu() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    with fq.use_backend(backend):
        res = _main(fn(*host, **hkw))
    return res.to(device) if isinstance(res, torch.Tensor) else res  # (onnx: NumPy results)


def _bytes(res) -> torch.Tensor:
    """A result's bytes as a 1-D uint8 CPU tensor (tensors and NumPy arrays alike)."""
    if isinstance(res, torch.Tensor):
        return res.reshape(-1).view(torch.uint8).cpu()
    return torch.from_numpy(np.ascontiguousarray(res).reshape(-1).view(np.uint8))


def _torch_path(fn, args, kwargs):
    """``fn`` on the torch path (which a CPU tensor takes only under the torch backend)."""
    with fq.use_backend("torch"):
        return fn(*args, **kwargs)


def run(args) -> list:
    device = torch.device(args.device)
    n = parse_count(args.values)
    rows = []
    only = [w.strip() for w in args.only.split(",")] if args.only else []
    todo = [c for c in cases(n, device) if args.ops in ("all", c[1]) and (not only or any(w in c[0] for w in only))]
    for name, kind, fn, call_args, kwargs in todo:  # one untimed round first: the allocators
        _main(_torch_path(fn, call_args, kwargs))    # settle (glibc's mmap threshold on the CPU)
    for name, kind, fn, call_args, kwargs in todo:
        calls_before = _backend.TORCH_CALLS
        res = _main(_torch_path(fn, call_args, kwargs))
        assert _backend.TORCH_CALLS == calls_before + 1, f"{name}: not the torch path"
        want = _host_round_trip(fn, call_args, kwargs, "cython" if "cython" in _backend.available() else "numpy", device)
        identical = type(res) is type(want) and res.dtype == want.dtype and tuple(res.shape) == tuple(want.shape) \
            and bool(torch.equal(_bytes(res), _bytes(want)))
        size = res.numel() if isinstance(res, torch.Tensor) else res.size
        # values: a decoder's results, an encoder's inputs (a GGUF decoder's input is bytes)
        values = size if kind == "decode" else max(
            (a.numel() for a in call_args if isinstance(a, torch.Tensor)), default=size)
        src = torch.empty(_bytes(res).numel(), dtype=torch.uint8, device=device)
        dst = torch.empty_like(src)
        calls = {"torch": lambda: _torch_path(fn, call_args, kwargs), "copy": lambda: dst.copy_(src)}
        repeat = {"torch": args.repeat, "copy": args.repeat}
        if not args.no_host and "cython" in _backend.available():
            calls["host"] = lambda: _host_round_trip(fn, call_args, kwargs, "cython", device)
            repeat["host"] = args.host_repeat if device.type != "cpu" else args.repeat
        if not (args.no_host or args.no_seed):
            calls["seed"] = lambda: _host_round_trip(fn, call_args, kwargs, "numpy", device)
            repeat["seed"] = args.host_repeat
        got = timed(calls, device, repeat, time.thread_time if args.clock == "thread" else time.perf_counter)
        del src, dst
        t, t_copy = got["torch"], got["copy"]
        t_host, t_seed = got.get("host", float("nan")), got.get("seed", float("nan"))
        rows.append(dict(op=name, kind=kind, values=values, ms=t * 1e3, gvals=values / t / 1e9,
                         copy_ms=t_copy * 1e3, copy_pct=100 * t_copy / t, host_ms=t_host * 1e3,
                         x_host=t_host / t, seed_ms=t_seed * 1e3, x_seed=t_seed / t, identical=identical))
        r = rows[-1]
        print(f"{name:30s} {r['ms']:9.3f} {r['gvals']:8.2f} {r['copy_pct']:6.0f}% {r['x_host']:8.1f} "
              f"{r['x_seed']:8.1f}  {'yes' if identical else 'NO'}", flush=True)
    return rows


def main(argv=None) -> int:
    cuda = torch.cuda.is_available()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if cuda else "cpu")
    p.add_argument("--values", default="256M" if cuda else "4M", help="values per call (K/M/G suffixes)")
    p.add_argument("--ops", choices=("all", "decode", "encode"), default="all")
    p.add_argument("--only", help="comma-separated substrings: the cases whose names hold one (e.g. 'gguf,floats')")
    p.add_argument("--repeat", type=int, default=10 if cuda else 5)
    p.add_argument("--host-repeat", type=int, default=2)
    p.add_argument("--no-host", action="store_true", help="skip both host round trips")
    p.add_argument("--no-seed", action="store_true", help="skip the NumPy twins' round trip")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    p.add_argument("--clock", choices=("wall", "thread"), default="wall",
                   help="thread: the calling thread's CPU time (user + system), for one-thread CPU runs "
                        "on a shared machine (both paths then run on the calling thread)")
    p.add_argument("--json", type=Path, help="write the rows and the setup here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    what = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {torch.get_num_threads()} torch threads"
    print(f"fastquant {fq.__version__}, torch {torch.__version__}, device {dev} ({what}), {args.values} values, "
          f"{args.clock} clock")
    print(f"{'op':30s} {'ms':>9s} {'Gval/s':>8s} {'copy%':>7s} {'x host':>8s} {'x seed':>8s}  identical")
    rows = run(args)
    if args.json:
        args.json.write_text(json.dumps(dict(device=str(dev), device_name=what, torch=torch.__version__, clock=args.clock,
                                             fastquant=fq.__version__, values=args.values, rows=rows), indent=1))
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
