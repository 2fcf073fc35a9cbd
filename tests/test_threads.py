"""threads=: any split gives the bytes of one call (and of the twins); bad values are named."""

import numpy as np
import pytest

import fastquant as fq
from fastquant import _threads
from _support import assert_identical, both, run_python

SHAPES = {
    "even_1d": (5000,),        # splits at GRAIN multiples
    "odd_1d": (4097,),         # odd last axis: row split (one row) or element split
    "small_even": (34,),       # splits at single units
    "rows_odd": (7, 33),       # odd rows: whole rows per thread
    "rows_even": (9, 50),      # even rows: joined and split at byte boundaries
    "nd": (3, 4, 5, 6),
    "few_rows_odd": (2, 301),  # fewer rows than threads
}


def _floats(shape, rng):
    return (rng.standard_normal(shape) * 3).astype(np.float32)


def _codes(shape, rng):
    return rng.integers(-8, 8, shape, dtype=np.int8)


def _packed(shape, rng):
    return rng.integers(-128, 128, shape, dtype=np.int8)


CALLS = {
    "quantize_minmax": (lambda x, **k: fq.quantize_to_int4(x, "minmax", **k), _floats),
    "quantize_absmax": (lambda x, **k: fq.quantize_to_int4(x, "absmax", **k), _floats),
    "quantize_pack": (lambda x, **k: fq.quantize_to_packed_int4(x, **k), _floats),
    "quantize_asymmetric": (lambda x, **k: fq.quantize_to_int4(x, "asymmetric", **k), _floats),
    "quantize_pack_asymmetric": (lambda x, **k: fq.quantize_to_packed_int4(x, "asymmetric", **k), _floats),
    "dequantize": (lambda x, **k: fq.dequantize_from_int4(x, 0.25, 3, **k), _codes),
    "pack": (lambda x, **k: fq.pack_int4_to_int8(x, **k), _codes),
    "unpack": (lambda x, **k: fq.unpack_int8_to_int4(x, **k), _packed),
    "unpack_odd_n": (lambda x, **k: fq.unpack_int8_to_int4(x, 2 * x.shape[-1] - 1, **k), _packed),
    "unpack_dequantize": (lambda x, **k: fq.dequantize_packed_int4(x, 0.5, -2, **k), _packed),
    "unpack_dequantize_odd_n": (
        lambda x, **k: fq.dequantize_packed_int4(x, 0.5, -2, 2 * x.shape[-1] - 1, **k), _packed),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("threads", [2, 4])
def test_threads_give_the_bytes_of_one_call(call, shape, threads, rng, monkeypatch):
    fn, make = call
    assert_split_matches_one_call(fn, make(shape, rng), threads, monkeypatch)


def assert_split_matches_one_call(fn, x, threads, monkeypatch):
    """``fn(x, threads=threads)`` is really split over threads and gives, on both backends,
    the bytes of ``fn(x, threads=1)`` (shared with tests/test_threads_codecs.py)."""
    one = both(fn, x, threads=1)
    chunks = []
    real = _threads._execute
    monkeypatch.setattr(_threads, "_execute", lambda calls: chunks.append(len(calls)) or real(calls))
    many = both(fn, x, threads=threads)
    assert_identical(many, one)
    assert chunks and max(chunks) > 1, "the call was not split"


def test_default_is_one_thread_below_the_threshold():
    assert _threads.count(None, _threads.AUTO_MIN_SIZE) == 1
    assert _threads.count(None, _threads.AUTO_MIN_SIZE + 1) == min(2, _threads.MAX_AUTO)
    assert 1 <= _threads.count(None, 1 << 30) <= _threads.MAX_AUTO
    assert _threads.count(3, 10) == 3


@pytest.mark.parametrize("units,parts", [(1, 4), (7, 2), (5000, 2), (4096, 4), (10**6, 3), (3, 3)])
def test_ranges_cover_everything_once(units, parts):
    spans = _threads.ranges(units, parts)
    assert spans[0][0] == 0 and spans[-1][1] == units
    assert all(a < b for a, b in spans) and all(b == c for (_, b), (c, _) in zip(spans, spans[1:]))
    assert len(spans) == min(units, parts)
    if units >= _threads.GRAIN * parts:
        assert all(a % _threads.GRAIN == 0 for a, _ in spans)


BAD = [0, -1, 1.5, "2", True, None.__class__]


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_bad_threads_is_a_value_error_naming_it(call, bad, rng):
    fn, make = call
    with pytest.raises(ValueError, match="threads"):
        fn(make((8,), rng), threads=bad)


def test_an_error_in_one_chunk_is_raised_after_all_chunks_ran():
    seen = []

    def kernel(a, b):
        seen.append(a.size)
        if a[0] < 0:
            raise ValueError("chunk")
        return 0

    a = np.concatenate([np.ones(10), -np.ones(10)])
    with pytest.raises(ValueError, match="chunk"):
        _threads.run(kernel, a, a.copy(), threads=2)
    assert sorted(seen) == [10, 10]


def test_env_var_caps_the_automatic_choice(tmp_path):
    code = "from fastquant import _threads; print(_threads.MAX_AUTO, _threads.count(None, 1 << 30))"
    out = run_python(["-c", code], {"FASTQUANT_NUM_THREADS": "3"}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "3"]
    bad = run_python(["-c", code], {"FASTQUANT_NUM_THREADS": "zero"}, cwd=tmp_path)
    assert bad.returncode != 0 and "FASTQUANT_NUM_THREADS" in bad.stderr


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process.*fork:DeprecationWarning")  # Python >= 3.12
def test_threads_work_in_a_forked_child_after_the_parent_used_them(rng):
    import os

    x = (rng.standard_normal(5000) * 3).astype(np.float32)
    want = fq.quantize_to_int4(x, threads=2)[0]
    pid = os.fork()
    if pid == 0:  # child: must not hang on the parent's (absent) pool threads
        ok = np.array_equal(fq.quantize_to_int4(x, threads=2)[0], want)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
