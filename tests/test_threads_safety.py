"""Many threads call every kernel at once on shared inputs: every result equals the serial
one and the shared inputs stay unchanged. (That the GIL is released, i.e. that the threads
actually run in parallel, is measured by ``bench/test_gil_release.py``, not asserted here.)

``THREAD_CASES`` has one entry per public call; a new family adds its entries.
"""

from __future__ import annotations

import threading

import numpy as np

import fastquant as fq
from _support import assert_identical

THREADS = 8
ROUNDS = 3

_rng = np.random.default_rng(7)
FLOATS = (_rng.standard_normal((64, 2049)) * 3).astype(np.float32)  # odd rows: the row path
CODES = _rng.integers(-8, 8, (64, 2049), dtype=np.int8)
PACKED = _rng.integers(-128, 128, (64, 1025), dtype=np.int8)

#: (id, function, kwargs, result dtype/shape for out= or None); inputs are shared by all threads
THREAD_CASES = [
    ("quantize_to_int4", fq.quantize_to_int4, dict(values=FLOATS, scale_method="absmax"), None),
    ("quantize_to_packed_int4", fq.quantize_to_packed_int4, dict(values=FLOATS), (np.int8, (64, 1025))),
    ("dequantize_from_int4", fq.dequantize_from_int4, dict(q=CODES, scale=0.37, zero_point=2), (np.float32, CODES.shape)),
    ("pack_int4_to_int8", fq.pack_int4_to_int8, dict(values=CODES), (np.int8, (64, 1025))),
    ("unpack_int8_to_int4", fq.unpack_int8_to_int4, dict(packed=PACKED, n=2049), (np.int8, (64, 2049))),
    ("dequantize_packed_int4", fq.dequantize_packed_int4, dict(packed=PACKED, scale=0.5, zero_point=-1), (np.float32, (64, 2050))),
    ("unpack_int8_to_int4_strided", fq.unpack_int8_to_int4, dict(packed=PACKED[::2, ::-1]), None),
    # embeddings: every quant and precision
    ("dequantize_fp8", fq.dequantize, dict(q=FLOATS, quant="fp8"), (np.float32, FLOATS.shape)),
    ("dequantize_int8", fq.dequantize, dict(q=PACKED, quant="int8"), (np.float32, PACKED.shape)),
    ("dequantize_uint8", fq.dequantize, dict(q=PACKED.view(np.uint8), quant="uint8"), (np.float32, PACKED.shape)),
    ("dequantize_binary", fq.dequantize, dict(q=PACKED, quant="binary", orig_dim=8197), (np.float32, (64, 8197))),
    ("dequantize_ubinary", fq.dequantize, dict(q=PACKED.view(np.uint8), quant="ubinary", orig_dim=8200), (np.float32, (64, 8200))),
    ("dequantize_binary_strided", fq.dequantize, dict(q=PACKED[::-2], quant="binary", orig_dim=8193), None),
    ("quantize_embeddings_int8", fq.quantize_embeddings, dict(x=FLOATS, precision="int8"), (np.int8, FLOATS.shape)),
    ("quantize_embeddings_uint8", fq.quantize_embeddings, dict(x=FLOATS, precision="uint8"), (np.uint8, FLOATS.shape)),
    ("quantize_embeddings_binary", fq.quantize_embeddings, dict(x=FLOATS, precision="binary"), (np.int8, (64, 257))),
    ("quantize_embeddings_ubinary", fq.quantize_embeddings, dict(x=FLOATS, precision="ubinary"), (np.uint8, (64, 257))),
    # affine: per tensor and per channel, every code dtype
    ("quantize_func", fq.quantize_func, dict(x=FLOATS, scales=0.37, zero_point=-3, n_bits=6), (np.int8, FLOATS.shape)),
    ("quantize_func_per_channel", fq.quantize_func,
     dict(x=FLOATS, scales=np.linspace(0.1, 3, 64), zero_point=np.arange(64) - 32, n_bits=12, signed=False, axis=0),
     (np.uint16, FLOATS.shape)),
    ("quantize_func_last_axis", fq.quantize_func,
     dict(x=FLOATS, scales=np.linspace(0.1, 3, 2049), zero_point=0, n_bits=16, axis=-1), (np.int16, FLOATS.shape)),
    ("dequantize_func", fq.dequantize_func, dict(x_q=CODES, scales=0.37, zero_point=2), (np.float32, CODES.shape)),
    ("dequantize_func_per_channel", fq.dequantize_func,
     dict(x_q=PACKED.astype(np.int32) << 20, scales=np.linspace(0.1, 3, 1025), zero_point=np.arange(1025), axis=1),
     (np.float32, PACKED.shape)),
    ("dequantize_func_float_codes", fq.dequantize_func, dict(x_q=FLOATS[:, ::3], scales=0.5, zero_point=-7, axis=None), None),
]


def _calls():
    """Every case, plus its out= form with a fresh out per call."""
    for name, fn, kwargs, out in THREAD_CASES:
        yield name, fn, kwargs
        if out is not None:
            dtype, shape = out
            yield f"{name}_out", fn, {**kwargs, "out": lambda d=dtype, s=shape: np.empty(s, d)}


def _call(fn, kwargs):
    return fn(**{k: v() if callable(v) else v for k, v in kwargs.items()})


def test_threads_share_inputs(backend):
    calls = list(_calls())
    before = {id(v): v.copy() for _, _, kw in calls for v in kw.values() if isinstance(v, np.ndarray)}
    with fq.use_backend(backend):
        serial = [_call(fn, kw) for _, fn, kw in calls]

    start = threading.Barrier(THREADS)
    results: list = [None] * THREADS
    errors: list = []

    def work(t):
        try:
            with fq.use_backend(backend):  # a new thread starts with the default backend
                start.wait()
                mine = []
                for r in range(ROUNDS):
                    # each thread walks the cases in its own order, so different kernels overlap
                    order = list(range(len(calls)))
                    order = order[t % len(order):] + order[: t % len(order)]
                    if (t + r) % 2:
                        order.reverse()
                    got = {i: _call(calls[i][1], calls[i][2]) for i in order}
                    mine.append([got[i] for i in range(len(calls))])
                results[t] = mine
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for t, rounds in enumerate(results):
        for r, got in enumerate(rounds):
            for (label, _, _), a, b in zip(calls, got, serial):
                assert_identical(a, b, f"thread {t} round {r} {label}")
    for _, _, kw in calls:
        for v in kw.values():
            if isinstance(v, np.ndarray):
                assert_identical(v, before[id(v)], "shared input after the threads")
