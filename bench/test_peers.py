"""Other libraries doing a comparable job on the same data, benchmarked in the same groups as
fastquant's cases (`np.packbits`/`np.unpackbits`, NumPy `astype`, `ml_dtypes` float8/int4 casts
when ml_dtypes is importable, for every minifloat format ml_dtypes' own `astype`, which gives the
same bytes, sentence-transformers' calibrated int8/uint8 when it is importable, and a memory copy
of the same bytes). They are yardsticks of speed only: their outputs differ, except ml_dtypes'
minifloat casts and sentence-transformers' `quantize_embeddings`, whose codes fastquant's equal
bit for bit."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable

import numpy as np
import pytest

import fastquant
from fastquant._bench.cases import CASES


def _ml_dtypes():
    try:
        return importlib.import_module("ml_dtypes")
    except ImportError:
        return None


ML = _ml_dtypes()
#: the minifloat formats of fastquant.floats (all named as ml_dtypes names them)
ML_FLOATS = tuple(fastquant.floats.FORMATS)


def _copy_buffers(nbytes: int):
    """Two buffers of ``nbytes / 2`` bytes: copying one into the other moves ``nbytes`` (the
    input + output bytes of a decode), the yardstick the runner's "% copy" uses."""
    src = np.ones(nbytes // 2, np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return src, dst


@dataclasses.dataclass(frozen=True)
class Peer:
    name: str
    ops: tuple                              #: the cases whose data and group it shares
    prepare: Callable[[tuple], Callable]    #: case arguments -> a zero-argument call
    needs: str = ""                         #: module that must be importable


PEERS = (
    Peer("np.unpackbits", ("dequantize[ubinary]", "unpack_int8_to_int4"),
         lambda a: lambda: np.unpackbits(a[0].view(np.uint8), axis=-1)),
    Peer("np.packbits(x > 0)", ("quantize_embeddings[ubinary]",),
         lambda a: lambda: np.packbits(a[0] > 0, axis=-1)),
    Peer("astype int8->float32", ("dequantize[int8]", "dequantize_from_int4", "dequantize_func[8bit]"),
         lambda a: lambda: a[0].astype(np.float32)),
    Peer("astype float32->int8", ("quantize_embeddings[int8]", "quantize_to_int4[absmax]", "quantize_func[8bit]"),
         lambda a: lambda: a[0].astype(np.int8)),
    Peer("ml_dtypes float8_e4m3fn->float32", ("dequantize[int8]",),
         lambda a: lambda: a[0].view(ML.float8_e4m3fn).astype(np.float32), needs="ml_dtypes"),
    Peer("ml_dtypes float32->float8_e4m3fn", ("quantize_embeddings[int8]",),
         lambda a: lambda: a[0].astype(ML.float8_e4m3fn), needs="ml_dtypes"),
    Peer("ml_dtypes int4->float32", ("dequantize_from_int4",),
         lambda a: (lambda q: lambda: q.astype(np.float32))(a[0].astype(ML.int4)), needs="ml_dtypes"),
    Peer("ml_dtypes float32->int4", ("quantize_to_int4[absmax]",),
         lambda a: lambda: a[0].astype(ML.int4), needs="ml_dtypes"),
    # every minifloat format: ml_dtypes astype on the same data as floats.encode / floats.decode
    *(Peer(f"ml_dtypes float32->{name}", (f"floats.encode[{name}]",),
           lambda a, name=name: lambda: a[0].astype(getattr(ML, name)), needs="ml_dtypes")
      for name in ML_FLOATS),
    *(Peer(f"ml_dtypes {name}->float32", (f"floats.decode[{name}]",),
           lambda a, name=name: (lambda v: lambda: v.astype(np.float32))(a[0].view(getattr(ML, name))), needs="ml_dtypes")
      for name in ML_FLOATS),
    Peer("np.copyto of the same bytes", tuple(f"floats.decode[{name}]" for name in ML_FLOATS),
         lambda a: (lambda src, dst: lambda: np.copyto(dst, src))(*_copy_buffers(a[0].nbytes * 5))),
)

def _st_quantize(a):
    from sentence_transformers.util.quantization import quantize_embeddings

    return lambda: quantize_embeddings(a[0], a[1], ranges=a[2])


def _st_dequantize(a):
    """sentence-transformers' private decoder (float64, the bucket's lower edge), the only one
    it has."""
    from sentence_transformers.util.quantization import _dequantize_embeddings

    return lambda: _dequantize_embeddings(a[0], a[1], a[2])


def _copy_of(nbytes: int):
    """``np.copyto`` between two preallocated buffers of ``nbytes`` (pages faulted in first)."""
    src = np.ones(nbytes, np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return lambda: np.copyto(dst, src)


def _float32_copy_into_out(a):
    """Copying a float32 array the size of the decoded output into a preallocated ``out=``."""
    src = np.ones(a[0].shape, np.float32)
    out = np.empty_like(src)
    np.copyto(out, src)
    return lambda: np.copyto(out, src)


_RANGED = ("quantize_embeddings[int8,ranges]", "quantize_embeddings[uint8,ranges]")
_RANGED_DECODE = ("dequantize[int8,ranges]", "dequantize[uint8,ranges]")
PEERS += (
    Peer("sentence-transformers quantize_embeddings", _RANGED, _st_quantize, needs="sentence_transformers"),
    Peer("sentence-transformers _dequantize_embeddings", _RANGED_DECODE, _st_dequantize, needs="sentence_transformers"),
    # the traffic of a decode (codes in + float32 out) as a plain copy: half of it copied
    Peer("np.copyto of the same bytes", _RANGED_DECODE, lambda a: _copy_of(a[0].size * 5 // 2)),
    Peer("np.copyto float32 into out", _RANGED_DECODE, _float32_copy_into_out),
)

_BY_OP = {c.op: c for c in CASES}


def _params():
    for peer in PEERS:
        skip = peer.needs and importlib.util.find_spec(peer.needs) is None
        marks = pytest.mark.skip(reason=f"{peer.needs} is not installed") if skip else ()
        for op in peer.ops:
            yield pytest.param(peer, _BY_OP[op], id=f"{peer.name}-{op}", marks=marks)


@pytest.mark.parametrize("peer, case", list(_params()))
def test_peer(benchmark, group_of, peer, case, size):
    call = peer.prepare(case.args(size))
    benchmark.group = group_of(case.op, size)
    benchmark.name = f"{peer.name} [{case.op}]"
    benchmark(call)
