"""What fastquant is compared with: the seeds' code and the peer libraries, one registry.

A :class:`Rival` does the job of one or more benchmark cases (:mod:`.cases`, by op label) on the
same data: its ``prepare`` turns the case's arguments into a zero-argument call. Two kinds:

- ``"seed"``: the code fastquant replaces, as published (:mod:`.seeds`), defects included;
- ``"peer"``: a library a user would otherwise call (NumPy, gguf-py, sentence-transformers,
  numcodecs, onnxruntime, torch, ...), run on one thread where it has a setting for it.

Every rival's output is compared with fastquant's (:func:`verdict`): "identical", "same values"
(the same numbers in another dtype or shape), or "differs: <why>", where ``why`` is the entry's
``differs`` text (tests/test_rivals.py checks that every entry that differs on the benchmark
data says why). Read by ``fastquant bench --against``, the seed column of the default table
and the pytest-benchmark groups in ``bench/``.

Adding a peer for a new family is one :class:`Rival` in :data:`PEERS` naming the family's ops.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import warnings
from typing import Callable, Optional, Sequence

import numpy as np

#: pip requirement of each module a rival needs (what "not installed" tells the user to get).
PIP = {"torch": "torch", "sentence_transformers": "sentence-transformers", "gguf": "gguf",
       "numcodecs": "numcodecs", "onnxruntime": "onnxruntime", "onnx": "onnx",
       "ml_dtypes": "ml_dtypes"}
#: Threads of the rivals that have a setting (onnxruntime sessions, torch); None: their default.
THREADS: list = [None]


@dataclasses.dataclass(frozen=True)
class Rival:
    """Another implementation of the ops ``ops`` (case labels), run on the case's data."""

    kind: str                                   #: "seed" or "peer"
    name: str                                   #: what the tables show, e.g. "np.packbits"
    ops: tuple                                  #: the case ops it does the job of
    prepare: Callable[[tuple], Callable[[], object]]  #: case arguments -> zero-argument call
    needs: tuple = ()                           #: modules that must be importable
    #: why its output differs from fastquant's on the benchmark data (empty: it should not)
    differs: str = ""
    #: where ``prepare``'s call raises on the case's data: the same call on the nearest input it
    #: accepts (converted outside the timed call), and what the table says about it
    fallback: Optional[Callable[[tuple], Callable[[], object]]] = None
    fallback_note: str = ""
    #: seeds: False for the NumPy ports of torch-only seeds (not published code)
    published: bool = True
    #: False where the rival does only part of the job (e.g. the bits of a sign-bit decode,
    #: not the floats): a yardstick, not counted when peers are compared on speed
    whole_job: bool = True
    #: fastquant's output as the rival holds its own, for the verdict (e.g. ONNX codes as
    #: TensorProto raw bytes); None: as it is
    ours_as: Optional[Callable[[object], object]] = None

    def installed(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.needs)

    def missing(self) -> str:
        """``pip install ...`` for what is missing ("" when installed)."""
        gone = [PIP.get(m, m) for m in self.needs if importlib.util.find_spec(m) is None]
        return f"pip install {' '.join(gone)}" if gone else ""

    @property
    def label(self) -> str:
        return self.name if self.published else f"{self.name} (NumPy port, not published)"


@dataclasses.dataclass
class Ready:
    """A rival prepared on one case's data: the call to time and what its first call gave."""

    call: Optional[Callable[[], object]]        #: None when it raised (and had no fallback)
    result: object = None                       #: its output (NumPy), for the verdict
    note: str = ""                              #: a raise and the fallback used, or the error
    view: bool = False                          #: its output is a view of its input (no copy made)


def ready(rival: Rival, args: tuple) -> Ready:
    """Prepare ``rival`` on ``args`` and call it once; on an exception use its fallback (also
    called once), or report the exception. Warnings are silenced (see :func:`quiet`).

    ``prepare`` returns the call to time, or ``(call, read)`` where the call's output is read
    afterwards by ``read(what the call returned)`` (a session writing into a bound buffer; raw
    bytes made outside the timed call)."""
    with quiet():
        try:
            call, result = _first(rival.prepare(args))
            return _checked(Ready(call, result), args)
        except Exception as exc:  # a rival's own failure is a result, not a benchmark crash
            raised = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            if rival.fallback is None:
                return Ready(None, note=f"raises {raised}")
        call, result = _first(rival.fallback(args))
        return _checked(Ready(call, result, f"raises {raised}; {rival.fallback_note}"), args)


def _first(made) -> tuple:
    """``(call, its first output as NumPy)`` of what a ``prepare`` returned."""
    call, read = made if isinstance(made, tuple) else (made, None)
    got = call()
    return call, as_numpy(read(got) if read else got)


def compare(rival: Rival, ours, theirs) -> str:
    """The verdict on ``theirs`` against fastquant's output ``ours`` (held as the rival holds
    its own, see :attr:`Rival.ours_as`)."""
    return verdict(rival.ours_as(ours) if rival.ours_as else ours, theirs, rival.differs)


def _checked(got: Ready, args: tuple) -> Ready:
    """Flags an output that is a view of an input (the rival made no copy: nothing to time)."""
    out = got.result[0] if isinstance(got.result, tuple) else got.result
    if isinstance(out, np.ndarray) and any(isinstance(a, np.ndarray) and np.may_share_memory(out, a) for a in args):
        got.view = True
        got.note = "; ".join(filter(None, [got.note, "returns a view of its input: no copy, no work to time"]))
    return got


@contextlib.contextmanager
def quiet():
    """Silences warnings and NumPy floating-point errors (peers warn on the out-of-range values
    of the benchmark data, e.g. numcodecs' wrapping casts). Timing loops run inside it, so no
    rival pays for the silencing per call."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def as_numpy(x):
    """A rival's output as NumPy: torch tensors (quantized ones as their integer codes),
    tuples item by item, bytes as uint8."""
    if isinstance(x, tuple):
        return tuple(as_numpy(v) for v in x)
    if isinstance(x, (bytes, bytearray, memoryview)):
        return np.frombuffer(x, np.uint8)
    if type(x).__module__.startswith("torch"):
        if getattr(x, "is_quantized", False):
            x = x.int_repr()
        return x.detach().cpu().numpy()
    if isinstance(x, list) and len(x) == 1:  # onnxruntime returns a list of outputs
        return np.asarray(x[0])
    return x


def verdict(ours, theirs, differs: str = "") -> str:
    """How a rival's output compares with fastquant's: ``"identical"`` (same dtype, shape and
    bytes), ``"same values (<how they are held>)"``, or ``"differs: <why> (<how much>)"``.
    For ``(codes, scale, zero_point)`` results the codes are compared, then the scale's value.
    NaN equals NaN (payloads aside)."""
    a = ours[0] if isinstance(ours, tuple) else ours
    b = theirs[0] if isinstance(theirs, tuple) else theirs
    why = differs or "not explained"
    a, b = np.asarray(a), np.asarray(b)
    extra = ""
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(theirs) > 1:
        s_ours, s_theirs = np.asarray(ours[1]).reshape(-1), np.asarray(theirs[1]).reshape(-1)
        if s_ours.size == 1 and float(s_ours[0]) != float(s_theirs[0]):
            return f"differs: {why} (scale {float(s_theirs[0])!r} vs {float(s_ours[0])!r})"
        if s_ours.size > 1 and (s_ours.size != s_theirs.size or np.count_nonzero(
                s_ours.astype(np.float64) != s_theirs.astype(np.float64))):
            return f"differs: {why} (scales: {s_theirs.size} for fastquant's {s_ours.size}, not all equal)"
    if a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes():
        return "identical" + extra
    if a.size != b.size:
        return f"differs: {why} ({b.size} values for fastquant's {a.size})"
    x, y = a.reshape(-1), b.reshape(-1)
    with np.errstate(invalid="ignore"):
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            x64, y64 = x.astype(np.float64), y.astype(np.float64)
            unequal = (x64 != y64) & ~(np.isnan(x64) & np.isnan(y64))
        elif x.dtype.kind in "iub" and y.dtype.kind in "iub":
            unequal = x.astype(np.int64) != y.astype(np.int64)
        else:
            unequal = np.ones(x.size, bool)
    k = int(np.count_nonzero(unequal))
    if k == 0:
        how = []
        if a.dtype != b.dtype:
            how.append(f"as {b.dtype}")
        if a.shape != b.shape:
            how.append("flat" if b.ndim == 1 else f"shape {b.shape}")
        return f"same values ({', '.join(how)})"
    return f"differs: {why} ({k} of {x.size} values)"


# --- helpers for entries ---------------------------------------------------------------------

def _flat(a: np.ndarray) -> np.ndarray:
    """The 1-D view of the case's array (the int4 module is written for 1-D arrays)."""
    return a.reshape(-1)


def _torch():
    import torch

    if THREADS[0] is not None and torch.get_num_threads() != THREADS[0]:
        torch.set_num_threads(THREADS[0])
    return torch


def _seed(module: str):
    return importlib.import_module(f"fastquant._bench.seeds.{module}")


def _t(a: np.ndarray):
    """A torch tensor sharing the case's array (no copy: the seed gets the same bytes)."""
    return _torch().from_numpy(a)


# --- the seeds --------------------------------------------------------------------------------

_INT4 = "int4 module"
_IGNORES_ZP = "the int4 module ignores zero_point (1 in this case)"


def _seeds():
    i4 = lambda: _seed("int4_module")  # noqa: E731
    for method in ("absmax", "minmax"):
        yield Rival("seed", f"{_INT4} quantize_to_int4", (f"quantize_to_int4[{method}]",),
                    lambda a: (lambda m, x: lambda: m.quantize_to_int4(x, a[1]))(i4(), _flat(a[0])))
    yield Rival("seed", f"{_INT4} dequantize_from_int4", ("dequantize_from_int4",),
                lambda a: (lambda m, q: lambda: m.dequantize_from_int4(q, a[1], a[2]))(i4(), _flat(a[0])),
                differs=_IGNORES_ZP)
    yield Rival("seed", f"{_INT4} pack_int4_to_int8", ("pack_int4_to_int8",),
                lambda a: (lambda m, q: lambda: m.pack_int4_to_int8(q))(i4(), _flat(a[0])),
                differs="the int4 module pads the flattened array, not each row")
    yield Rival("seed", f"{_INT4} unpack_int8_to_int4", ("unpack_int8_to_int4",),
                lambda a: (lambda m, p: lambda: m.unpack_int8_to_int4(p))(i4(), _flat(a[0])),
                differs="the int4 module has no n=: an odd count keeps its padding nibble")
    yield Rival("seed", f"{_INT4} quantize_to_int4 + pack_int4_to_int8", ("quantize_to_packed_int4",),
                lambda a: (lambda m, x: lambda: m.pack_int4_to_int8(m.quantize_to_int4(x, a[1])[0]))(i4(), _flat(a[0])),
                differs="the int4 module pads the flattened array, not each row")
    yield Rival("seed", f"{_INT4} unpack_int8_to_int4 + dequantize_from_int4", ("dequantize_packed_int4",),
                lambda a: (lambda m, p: lambda: m.dequantize_from_int4(m.unpack_int8_to_int4(p), a[1], a[2]))(i4(), _flat(a[0])),
                differs=_IGNORES_ZP)

    # the embedding dequantize (torch, as published; then its NumPy port)
    cb = lambda: _seed("embeddings_cookbook")  # noqa: E731
    port = lambda: _seed("numpy_ports")  # noqa: E731
    uint8_pm1 = "bits * 2 - 1 in uint8: a 0 bit decodes to 255.0, not -1.0"
    binary_note = ("timed on the codes as int64, what the notebook's own input (the list an "
                   "API returns) becomes")
    for published, make, needs in ((True, cb, ("torch",)), (False, port, ())):
        wrap = _t if published else (lambda a: a)
        for quant in ("int8", "uint8"):
            yield Rival("seed", "cookbook dequantize", (f"dequantize[{quant}]",),
                        lambda a, make=make, wrap=wrap: (lambda m, q: lambda: m.dequantize(q, a[1]))(make(), wrap(a[0])),
                        needs=needs, published=published)
        yield Rival("seed", "cookbook dequantize", ("dequantize[ubinary]",),
                    lambda a, make=make, wrap=wrap: (lambda m, q: lambda: m.dequantize(q, a[1], a[2]))(make(), wrap(a[0])),
                    needs=needs, published=published, differs=uint8_pm1)
        yield Rival("seed", "cookbook dequantize", ("dequantize[binary]",),
                    lambda a, make=make, wrap=wrap: (lambda m, q: lambda: m.dequantize(q, a[1], a[2]))(make(), wrap(a[0])),
                    needs=needs, published=published, differs=uint8_pm1,
                    fallback=lambda a, make=make, wrap=wrap: (lambda m, q: lambda: m.dequantize(q, a[1], a[2]))(
                        make(), wrap(a[0].astype(np.int64))),
                    fallback_note=binary_note)
    # the encoders of the cookbook's later revision (torch)
    for precision, differs in (("int8", "the cookbook clamps to [-127, 127] (fastquant: [-128, 127])"),
                               ("uint8", "the cookbook rounds x * 127.5 + 127.5 (fastquant: (x + 1) * 127.5)"),
                               ("binary", ""), ("ubinary", "")):
        yield Rival("seed", f"cookbook quantize_{precision} (later revision)", (f"quantize_embeddings[{precision}]",),
                    lambda a, p=precision: (lambda f, x: lambda: f(x))(getattr(cb(), f"quantize_{p}"), _t(a[0])),
                    needs=("torch",), differs=differs)

    # the LLMBook's affine functions (torch, as published; then the NumPy port)
    llm = lambda: _seed("llmbook")  # noqa: E731
    for published, make, needs in ((True, llm, ("torch",)), (False, port, ())):
        wrap = _t if published else (lambda a: a)
        yield Rival("seed", "LLMBook quantize_func", ("quantize_func[8bit]",),
                    lambda a, make=make, wrap=wrap: (lambda m, x: lambda: m.quantize_func(x, a[1], a[2], a[3]))(make(), wrap(a[0])),
                    needs=needs, published=published)
        yield Rival("seed", "LLMBook dequantize_func", ("dequantize_func[8bit]",),
                    lambda a, make=make, wrap=wrap: (lambda m, q: lambda: m.dequantize_func(q, a[1], a[2]))(make(), wrap(a[0])),
                    needs=needs, published=published,
                    differs="" if published else "NumPy computes float scales * int32 codes in float64, then rounds to float32")


SEEDS: tuple = tuple(_seeds())


# --- the peers --------------------------------------------------------------------------------

def _st_quantize(a):
    from sentence_transformers.util.quantization import quantize_embeddings

    ranges = a[2] if len(a) > 2 else None
    return lambda: quantize_embeddings(a[0], a[1], ranges=ranges)


def _st_dequantize(a):
    from sentence_transformers.util.quantization import _dequantize_embeddings

    return lambda: _dequantize_embeddings(a[0], a[1], a[2])


def _fso(offset: float, scale: float, dtype: str, astype: str):
    from numcodecs import FixedScaleOffset

    return FixedScaleOffset(offset=offset, scale=scale, dtype=dtype, astype=astype)


def _fso_encode(offset, scale, astype):
    def prepare(a):
        codec = _fso(offset(a) if callable(offset) else offset, scale(a) if callable(scale) else scale, "<f4", astype)
        return lambda: codec.encode(a[0])
    return prepare


def _fso_decode(offset, scale, astype):
    def prepare(a):
        codec = _fso(offset(a) if callable(offset) else offset, scale(a) if callable(scale) else scale, "<f4", astype)
        return lambda: codec.decode(a[0])
    return prepare


def _packbits_codec_decode(a):
    from numcodecs import PackBits

    codec = PackBits()
    encoded = codec.encode(np.unpackbits(a[0], axis=-1, count=a[2]).astype(bool))
    return lambda: codec.decode(encoded)


def _packbits_codec_encode(a):
    from numcodecs import PackBits

    codec = PackBits()
    return lambda: codec.encode(a[0] > 0)


def _gguf_py(a):
    import gguf

    member = gguf.GGMLQuantizationType[a[1]]
    return lambda: gguf.quants.dequantize(a[0], member)


def _onnx_type(name: str):
    from fastquant.onnx import CODE_TYPES

    return CODE_TYPES[name]


def _raw(codes) -> np.ndarray:
    """fastquant's ONNX codes as TensorProto raw bytes (how the ONNX peers' codes are read)."""
    from fastquant.onnx import to_raw

    return np.frombuffer(to_raw(np.asarray(codes)), np.uint8)


def _raw_affine(codes) -> np.ndarray:
    """fastquant.quantize_func's int8 codes as bytes."""
    return np.ascontiguousarray(codes).view(np.uint8).reshape(-1)


def _onnx_peer(engine: str, op: str, name: str, zero=None, block: int = 0, scale_at: int = 1):
    """QuantizeLinear / DequantizeLinear of ONNX code type ``name`` on a case's data
    ``(x or codes, ..., scale at args[scale_at])``: a one-node onnxruntime session (inputs and
    a preallocated output bound once; :data:`THREADS` intra-op threads) or ``onnx.reference``.
    ``zero``: a zero point, or a function of the case's arguments giving it."""
    def prepare(a):
        from .onnx_peers import OrtCall, reference_call

        t = _onnx_type(name)
        zp = zero(a) if callable(zero) else zero
        s = np.asarray(a[scale_at], np.float32)
        if engine == "ort":
            call = OrtCall(op, t, a[0], s, block, axis=-1, zero_point=zp, threads=THREADS[0] or 0)
            if call.run is None:
                raise RuntimeError(call.error)
            return call.run, lambda _: call.result()
        return reference_call(op, t, a[0], s, block, axis=-1, zero_point=zp)
    return prepare


def _ort_dynamic(a):
    """DynamicQuantizeLinear as a one-node onnxruntime session; returns (codes, scale, zp)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    x = a[0]
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])
    graph = helper.make_graph([node], "dql", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, None),
                               helper.make_tensor_value_info("s", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("z", TensorProto.UINT8, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS[0] or 0
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return lambda: tuple(sess.run(None, {"x": x}))


def _reference_dynamic(a):
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    ev = ReferenceEvaluator(helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"]))
    return lambda: tuple(ev.run(None, {"x": a[0]}))


def _ml_dtypes_encode(name: str):
    def prepare(a):
        import ml_dtypes

        dtype = getattr(ml_dtypes, name)
        return lambda: a[0].astype(dtype), lambda y: y.view(np.uint8)
    return prepare


def _ml_dtypes_decode(name: str):
    def prepare(a):
        import ml_dtypes

        codes = a[0].view(getattr(ml_dtypes, name))
        return lambda: codes.astype(np.float32)
    return prepare


def mx_numpy_quantize(x: np.ndarray, name: str):
    """OCP MX blocks of 32 along the last axis with NumPy and ml_dtypes, what a user writes
    without fastquant: ``(codes as the ml_dtypes type, E8M0 scale bytes)``."""
    import ml_dtypes

    from fastquant.floats import FORMATS

    f, t = FORMATS[name], getattr(ml_dtypes, name)
    v = x.reshape(x.shape[:-1] + (-1, 32))
    amax = np.abs(v).max(axis=-1, keepdims=True)
    _, e = np.frexp(amax)
    e = np.clip(e - 1 - f.emax, -127, 127).astype(np.int32)
    with np.errstate(invalid="ignore", over="ignore"):
        q = np.clip(np.ldexp(v, -e), -f.max, f.max).astype(t)
    return q.reshape(x.shape), (e + 127).astype(np.uint8).reshape(x.shape[:-1] + (-1,))


def mx_numpy_dequantize(codes: np.ndarray, scales: np.ndarray, name: str) -> np.ndarray:
    """The inverse of :func:`mx_numpy_quantize` with NumPy and ml_dtypes: float32 values."""
    import ml_dtypes

    v = codes.view(getattr(ml_dtypes, name)).astype(np.float32).reshape(codes.shape[:-1] + (-1, 32))
    return np.ldexp(v, scales.astype(np.int32)[..., None] - 127).reshape(codes.shape)


def _gguf_py_quantize(a):
    import gguf

    member = gguf.GGMLQuantizationType[a[1]]
    return lambda: gguf.quants.quantize(a[0], member)


def _torch_quantize_per_tensor(a):
    torch = _torch()
    x = _t(a[0])
    return lambda: torch.quantize_per_tensor(x, a[1], a[2], torch.qint8)


def _torch_dequantize(a):
    torch = _torch()
    q = torch._make_per_tensor_quantized_tensor(_t(a[0]), a[1], a[2])  # the codes, no copy
    return lambda: q.dequantize()


_RANGED = ("quantize_embeddings[int8,ranges]", "quantize_embeddings[uint8,ranges]")
_RANGED_DECODE = ("dequantize[int8,ranges]", "dequantize[uint8,ranges]")
_WRAPS = "numcodecs casts without clipping: out-of-range values wrap around"
_ONNX_ORDER = "ONNX rounds x / scale, then adds the zero point (fastquant: round(x / scale + zero_point))"


def _peers():
    yield Rival("peer", "np.packbits(x > 0)", ("quantize_embeddings[ubinary]",),
                lambda a: lambda: np.packbits(a[0] > 0, axis=-1))
    yield Rival("peer", "np.unpackbits", ("dequantize[ubinary]",),
                lambda a: lambda: np.unpackbits(a[0], axis=-1, count=a[2]),
                differs="0/1 bits as uint8, not +-1.0 float32 (the first step of a decode)", whole_job=False)
    st = ("sentence_transformers",)
    yield Rival("peer", "sentence-transformers quantize_embeddings",
                _RANGED + ("quantize_embeddings[binary]", "quantize_embeddings[ubinary]"), _st_quantize, st)
    yield Rival("peer", "sentence-transformers _dequantize_embeddings (private)", _RANGED_DECODE, _st_dequantize, st,
                differs="the bucket's lower edge in float64 (fastquant: its centre, in float32)")
    nc = ("numcodecs",)
    yield Rival("peer", "numcodecs FixedScaleOffset encode", ("quantize_embeddings[int8]",),
                _fso_encode(0, 127, "|i1"), nc, differs=_WRAPS)
    yield Rival("peer", "numcodecs FixedScaleOffset encode", ("quantize_embeddings[uint8]",),
                _fso_encode(-1, 127.5, "|u1"), nc, differs=_WRAPS)
    yield Rival("peer", "numcodecs FixedScaleOffset decode", ("dequantize[int8]",),
                _fso_decode(0, 127, "|i1"), nc,
                differs="numcodecs divides in float64, then rounds to float32")
    yield Rival("peer", "numcodecs FixedScaleOffset decode", ("dequantize[uint8]",),
                _fso_decode(-1, 127.5, "|u1"), nc,
                differs="numcodecs divides in float64, then rounds to float32")
    yield Rival("peer", "numcodecs FixedScaleOffset encode", ("quantize_func[8bit]",),
                _fso_encode(lambda a: -a[2] * a[1], lambda a: 1 / a[1], "|i1"), nc,
                differs="numcodecs multiplies (x - offset) by 1/scale, and wraps out-of-range values")
    yield Rival("peer", "numcodecs FixedScaleOffset decode", ("dequantize_func[8bit]",),
                _fso_decode(lambda a: -a[2] * a[1], lambda a: 1 / a[1], "|i1"), nc,
                differs="numcodecs computes codes / (1/scale) + offset in float64")
    yield Rival("peer", "numcodecs PackBits encode", ("quantize_embeddings[ubinary]",),
                _packbits_codec_encode, nc,
                differs="a header byte (the pad count), then the bits of the flattened array")
    yield Rival("peer", "numcodecs PackBits decode", ("dequantize[ubinary]",),
                _packbits_codec_decode, nc, differs="booleans, not +-1.0 float32", whole_job=False)
    ort = ("onnxruntime", "onnx")
    yield Rival("peer", "onnxruntime QuantizeLinear", ("quantize_func[8bit]",),
                _onnx_peer("ort", "QuantizeLinear", "int8", lambda a: a[2]), ort, differs=_ONNX_ORDER,
                ours_as=_raw_affine)
    yield Rival("peer", "onnxruntime DequantizeLinear", ("dequantize_func[8bit]",),
                _onnx_peer("ort", "DequantizeLinear", "int8", lambda a: a[2]), ort)
    yield Rival("peer", "torch.quantize_per_tensor", ("quantize_func[8bit]",),
                _torch_quantize_per_tensor, ("torch",),
                differs="torch multiplies x by the float32 reciprocal of the scale (fastquant divides)")
    yield Rival("peer", "torch dequantize (per-tensor qint8)", ("dequantize_func[8bit]",),
                _torch_dequantize, ("torch",))
    from fastquant.gguf import DECODE_TYPES as types

    yield Rival("peer", "gguf-py quants.dequantize", tuple(f"gguf.dequantize[{t}]" for t in types),
                _gguf_py, ("gguf",))
    yield from _new_family_peers()


#: The GGUF types gguf-py's quants.quantize encodes (the others raise NotImplementedError)
GGUF_PY_ENCODE = ("BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4")


def _new_family_peers():
    """Peers of the GGUF encoder, the minifloats and fastquant.onnx."""
    from fastquant import floats as fl
    from fastquant.gguf import ENCODE_TYPES
    from .cases import ONNX_BLOCKS, ONNX_SCALES, ONNX_ZERO

    yield Rival("peer", "gguf-py quants.quantize",
                tuple(f"gguf.quantize[{t}]" for t in GGUF_PY_ENCODE if t in ENCODE_TYPES), _gguf_py_quantize,
                ("gguf",), differs="where a block's stored scale or minimum is zero, gguf-py keeps the "
                "sign of the zero NumPy's argmax/min finds, llama.cpp's C (and fastquant) the first one's")
    ml = ("ml_dtypes",)
    for name in fl.FORMATS:
        yield Rival("peer", "ml_dtypes astype", (f"floats.encode[{name}]",), _ml_dtypes_encode(name), ml,
                    ours_as=lambda r: np.asarray(r).view(np.uint8))
        yield Rival("peer", "ml_dtypes astype", (f"floats.decode[{name}]",), _ml_dtypes_decode(name), ml)
    mx = "NumPy + ml_dtypes MX pipeline"
    for name in ("float8_e4m3fn", "float4_e2m1fn"):
        yield Rival("peer", mx, (f"floats.quantize_mx[{name}]",),
                    lambda a: (lambda: mx_numpy_quantize(a[0], a[1]), lambda r: (r[0].view(np.uint8), r[1])), ml)
        yield Rival("peer", mx, (f"floats.dequantize_mx[{name}]",),
                    lambda a: lambda: mx_numpy_dequantize(a[0], a[1], a[2]), ml)
    ort, ref = ("onnxruntime", "onnx", "ml_dtypes"), ("onnx", "ml_dtypes")
    for name in ONNX_SCALES:
        zero = ONNX_ZERO.get(name)
        q, d = f"quantize_linear[{name}]", f"dequantize_linear[{name}]"
        for engine, label, needs in (("ort", "onnxruntime", ort), ("ref", "onnx.reference", ref)):
            yield Rival("peer", f"{label} QuantizeLinear", (q,), _onnx_peer(engine, "QuantizeLinear", name, zero),
                        needs, ours_as=_raw)
            yield Rival("peer", f"{label} DequantizeLinear", (d,), _onnx_peer(engine, "DequantizeLinear", name, zero),
                        needs)
    for name, block in ONNX_BLOCKS:
        q, d = f"quantize_linear[{name},block{block}]", f"dequantize_linear[{name},block{block}]"
        for engine, label, needs in (("ort", "onnxruntime", ort), ("ref", "onnx.reference", ref)):
            yield Rival("peer", f"{label} QuantizeLinear", (q,),
                        _onnx_peer(engine, "QuantizeLinear", name, None, block), needs, ours_as=_raw)
            yield Rival("peer", f"{label} DequantizeLinear", (d,),
                        _onnx_peer(engine, "DequantizeLinear", name, None, block), needs)
    yield Rival("peer", "onnxruntime DynamicQuantizeLinear", ("dynamic_quantize_linear",), _ort_dynamic, ort)
    yield Rival("peer", "onnx.reference DynamicQuantizeLinear", ("dynamic_quantize_linear",), _reference_dynamic, ref)


PEERS: tuple = tuple(_peers())
RIVALS: tuple = SEEDS + PEERS


def of(op: str, kind: Optional[str] = None, rivals: Optional[Sequence[Rival]] = None) -> list:
    """The rivals of case ``op`` (of one kind, or both), in registry order (:data:`RIVALS`)."""
    return [r for r in (RIVALS if rivals is None else rivals)
            if op in r.ops and (kind is None or r.kind == kind)]


def default_seed(op: str) -> Optional[Rival]:
    """The seed of the default table's seed column: the published one when it can run here,
    else its NumPy port; None when ``op`` has no seed."""
    runnable = [r for r in of(op, "seed") if r.installed()]
    return runnable[0] if runnable else None


def set_threads(n: Optional[int]) -> None:
    """Run the rivals that have a thread setting (torch, onnxruntime) on ``n`` threads from
    their next preparation on (None: their own default)."""
    THREADS[0] = n
