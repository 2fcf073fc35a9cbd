"""What the benchmark compares fastquant with (fastquant/_bench/seeds, fastquant/_bench/rivals):
the seeds' code reproduces what its published sources print, defects included; every rival in
the registry runs on the benchmark's data and every difference from fastquant is explained;
the verdicts and the ``--against`` runner say what they should.

Expected values come from the published sources (the notebook's and the script's printed
outputs) or from arithmetic written here, never from fastquant.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastquant
from fastquant._bench import against
from fastquant._bench import cases as C
from fastquant._bench import rivals as R
from fastquant._bench.seeds import int4_module, numpy_ports
from _oracles import require
from _support import PACKAGE_PARENT

# the examples of the embedding cookbook (its first cell of data) and what it printed
EMBED_INT = [-15, -35, 5, 39, -19, -15, 10, 11, -5, 28, 0, 0, -2, -7, 6, 2, 4, -3]
EMBED_UINT = [112, 93, 133, 166, 109, 112, 138, 138, 122, 156, 128, 127, 126, 121, 134, 130, 131, 124]
EMBED_BIN = [-77, -29, 0]
EMBED_UBIN = [51, 99, 128]
PRINTED_SIGNS = [255., 255., 1., 1., 255., 255., 1., 1., 255., 1., 1., 255., 255., 255., 1., 1., 1., 255.]
PRINTED_INT8 = [-0.1181, -0.2756, 0.0394, 0.3071, -0.1496, -0.1181, 0.0787, 0.0866, -0.0394, 0.2205,
                0.0000, 0.0000, -0.0157, -0.0551, 0.0472, 0.0157, 0.0315, -0.0236]
PRINTED_UINT8 = [-0.1216, -0.2706, 0.0431, 0.3020, -0.1451, -0.1216, 0.0824, 0.0824, -0.0431, 0.2235,
                 0.0039, -0.0039, -0.0118, -0.0510, 0.0510, 0.0196, 0.0275, -0.0275]
# the LLMBook script's run: its input, codes and decoded values as printed
LLM_PRINTED_X = [[-1.2136, 28.7341, 8.4974], [-1.9210, -23.7421, 16.2609]]
LLM_PRINTED_Q = [[11, 54, 25], [10, -21, 36]]
LLM_PRINTED_DQ = [[-1.4118, 28.9412, 8.4706], [-2.1176, -24.0000, 16.2353]]


def _llm_inputs():
    """The script's data and parameters, made as it makes them."""
    np.random.seed(0)
    x = np.random.uniform(low=-100.0, high=80.0, size=(2, 3)).astype(np.float32)
    scale = (80.0 - -100.0) / (127 - -128)
    zero_point = int((80.0 * -128 - -100.0 * 127) / (80.0 - -100.0))
    return x, scale, zero_point


# --- the seeds reproduce their sources --------------------------------------------------------

def test_cookbook_dequantize_prints_what_the_notebook_printed():
    torch = require("torch")
    cb = importlib.import_module("fastquant._bench.seeds.embeddings_cookbook")
    for codes, quant in ((EMBED_BIN, "binary"), (EMBED_UBIN, "ubinary")):
        got = cb.dequantize(codes, quant, orig_dim=18)
        assert got.dtype == torch.float32 and got.tolist() == PRINTED_SIGNS  # 255, not -1: the defect
    np.testing.assert_allclose(cb.dequantize(EMBED_INT, "int8").numpy(), PRINTED_INT8, atol=5e-5)
    np.testing.assert_allclose(cb.dequantize(EMBED_UINT, "uint8").numpy(), PRINTED_UINT8, atol=5e-5)


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0", reason="NumPy 1 promotes int8 + 128")
def test_cookbook_binary_raises_on_int8_codes_under_numpy_2():
    torch = require("torch")
    cb = importlib.import_module("fastquant._bench.seeds.embeddings_cookbook")
    with pytest.raises(OverflowError):
        cb.dequantize(torch.tensor(EMBED_BIN, dtype=torch.int8), "binary", orig_dim=18)
    with pytest.raises(OverflowError):
        numpy_ports.dequantize(np.int8(EMBED_BIN), "binary", orig_dim=18)


def test_numpy_port_of_the_cookbook_gives_the_notebook_values():
    assert numpy_ports.dequantize(EMBED_UBIN, "ubinary", orig_dim=18).tolist() == PRINTED_SIGNS
    np.testing.assert_allclose(numpy_ports.dequantize(EMBED_INT, "int8"), PRINTED_INT8, atol=5e-5)
    np.testing.assert_allclose(numpy_ports.dequantize(EMBED_UINT, "uint8"), PRINTED_UINT8, atol=5e-5)


def test_llmbook_functions_print_what_the_script_printed():
    torch = require("torch")
    llm = importlib.import_module("fastquant._bench.seeds.llmbook")
    x, scale, zp = _llm_inputs()
    assert zp == 13
    np.testing.assert_allclose(x, LLM_PRINTED_X, atol=5e-5)
    q = llm.quantize_func(torch.from_numpy(x), scale, zp)
    assert q.dtype == torch.float32 and q.tolist() == LLM_PRINTED_Q  # codes as floats, as published
    np.testing.assert_allclose(llm.dequantize_func(q, scale, zp).numpy(), LLM_PRINTED_DQ, atol=5e-5)
    # ... and the port gives the same
    qp = numpy_ports.quantize_func(x, scale, zp)
    assert qp.tolist() == LLM_PRINTED_Q
    np.testing.assert_allclose(numpy_ports.dequantize_func(qp, scale, zp), LLM_PRINTED_DQ, atol=5e-5)


def test_int4_module_wraps_before_clipping():
    """The published module casts round(v / scale) to int8 before clipping: on data that does
    not straddle zero the quotients (255 to 270 here) wrap around; fastquant saturates."""
    v = np.linspace(17, 18, 64, dtype=np.float32)
    q, scale, zp = int4_module.quantize_to_int4(v, "minmax")
    quotient = np.round(v / np.float32(scale)).astype(np.int64)
    wrapped = (quotient + 128) % 256 - 128
    assert q.tolist() == np.clip(wrapped, -8, 7).tolist() and len(set(q.tolist())) > 1
    assert set(fastquant.quantize_to_int4(v, "minmax")[0].tolist()) == {7}


def test_int4_module_equals_fastquant_in_1d_where_it_is_defined(rng):
    v = rng.standard_normal(1001).astype(np.float32)
    for method in ("minmax", "absmax"):
        q, scale, _ = int4_module.quantize_to_int4(v, method)
        ours, our_scale, _ = fastquant.quantize_to_int4(v, method)
        assert q.tobytes() == ours.tobytes() and float(scale) == our_scale
    codes = rng.integers(-8, 8, 1001).astype(np.int8)
    packed = int4_module.pack_int4_to_int8(codes)
    assert packed.tobytes() == fastquant.pack_int4_to_int8(codes).tobytes()
    assert int4_module.unpack_int8_to_int4(packed)[:1001].tobytes() == codes.tobytes()
    assert (int4_module.dequantize_from_int4(codes, 0.25, zero_point=3).tobytes()
            == fastquant.dequantize_from_int4(codes, 0.25).tobytes())  # zero_point ignored


def test_seeds_are_labelled_benchmark_data_with_their_source():
    for name in ("int4_module", "embeddings_cookbook", "llmbook", "numpy_ports"):
        spec = importlib.util.find_spec(f"fastquant._bench.seeds.{name}")
        text = Path(spec.origin).read_text(encoding="utf-8")
        assert "BENCHMARK DATA, not fastquant API" in text, name
        if name != "numpy_ports":
            assert "https://github.com/" in text and "commit" in text, name
        else:
            assert "NOT PUBLISHED" in text


def _bare_env() -> dict:
    """Only the package on the path, plus the sanitizer's preload and options when
    tools/sanitize.sh runs the suite (an instrumented module cannot load without them)."""
    env = {"PYTHONPATH": PACKAGE_PARENT, "PATH": ""}
    env.update({k: v for k, v in os.environ.items() if k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")})
    return env


def test_importing_fastquant_does_not_import_the_seeds_or_the_rivals(tmp_path):
    # run from an empty directory: `python -c` puts the working directory first on sys.path,
    # and a checkout's root holds the uncompiled source package
    code = ("import sys, fastquant, fastquant.gguf; "
            "print(sorted(m for m in sys.modules if m.startswith('fastquant._bench')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=_bare_env(), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
    assert not [n for n in fastquant.__all__ if "seed" in n or "rival" in n]


# --- the registry -----------------------------------------------------------------------------

def test_every_rival_names_existing_cases():
    ops = {c.op for c in C.CASES}
    for rival in R.RIVALS:
        assert rival.kind in ("seed", "peer") and rival.ops
        assert set(rival.ops) <= ops, (rival.name, set(rival.ops) - ops)


def test_every_seeded_function_has_a_published_seed():
    """Each public function of the 0.1 families with a published seed counterpart has one in the
    registry (ports only beside a published torch seed)."""
    for op in ("quantize_to_int4[absmax]", "quantize_to_int4[minmax]", "dequantize_from_int4",
               "pack_int4_to_int8", "unpack_int8_to_int4", "quantize_to_packed_int4",
               "dequantize_packed_int4", "dequantize[int8]", "dequantize[uint8]",
               "dequantize[binary]", "dequantize[ubinary]", "quantize_func[8bit]",
               "dequantize_func[8bit]"):
        seeds = R.of(op, "seed")
        assert seeds and seeds[0].published, op
        for port in (s for s in seeds if not s.published):
            assert any(s.published and s.name == port.name for s in seeds), port.name


_N = 4096  # (4, 1024): small, but 2-D like the benchmark's data


@pytest.mark.parametrize("case", [c for c in C.select() if R.of(c.op)], ids=lambda c: c.op)
def test_every_installed_rival_runs_and_every_difference_is_explained(case):
    """On the benchmark's data, each rival's output is identical to fastquant's, the same values
    held otherwise, or differs for the reason its entry gives. A rival without a reason must
    not differ."""
    args = case.args(_N)
    ours = case.call(args, None, 1)
    ran = 0
    for rival in R.of(case.op):
        if not rival.installed():
            continue
        got = R.ready(rival, args)
        if got.call is None and rival.name.startswith("onnxruntime") and "NOT_IMPLEMENTED" in got.note:
            continue  # an op this onnxruntime has no kernel for (float4e2m1 in 1.32): listed as raising
        assert got.call is not None, (rival.label, got.note)
        verdict = R.compare(rival, ours, got.result)
        assert "not explained" not in verdict, (rival.label, verdict)
        if not rival.differs:
            assert verdict == "identical" or verdict.startswith("same values"), (rival.label, verdict)
        ran += 1
    assert ran or all(not r.installed() for r in R.of(case.op))


def test_a_seed_that_raises_is_timed_on_its_fallback_and_says_why():
    case = next(c for c in C.CASES if c.op == "dequantize[binary]")
    port = next(r for r in R.of(case.op, "seed") if not r.published)
    got = R.ready(port, case.args(_N))
    assert got.call is not None and got.result.dtype == np.float32
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert got.note.startswith("raises OverflowError") and "int64" in got.note


def test_a_rival_that_returns_a_view_of_its_input_is_flagged():
    require("gguf", "0.19.0")
    case = next(c for c in C.CASES if c.op == "gguf.dequantize[F32]")
    got = R.ready(R.of(case.op, "peer")[0], case.args(_N))
    assert got.view and "view" in got.note


# --- verdicts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("theirs, expected", [
    (np.float32([[1, 2], [3, np.nan]]), "identical"),
    (np.float64([[1, 2], [3, np.nan]]), "same values (as float64)"),
    (np.float32([1, 2, 3, np.nan]), "same values (flat)"),
    (np.float32([[1, 2], [3, 5]]), "differs: why (1 of 4 values)"),
    (np.float32([[1, 2], [3, np.nan], [0, 0]]), "differs: why (6 values for fastquant's 4)"),
], ids=["identical", "dtype", "flat", "values", "size"])
def test_verdict(theirs, expected):
    assert R.verdict(np.float32([[1, 2], [3, np.nan]]), theirs, "why") == expected


def test_verdict_compares_codes_then_scale_and_says_when_a_difference_is_not_explained():
    q = np.int8([1, -2])
    assert R.verdict((q, 0.5, 0), (q, np.float32(0.5), 0)) == "identical"
    assert R.verdict((q, 0.5, 0), (q, np.float32(0.25), 0), "why").startswith("differs: why (scale")
    assert R.verdict(q, np.int8([1, 2])) == "differs: not explained (1 of 2 values)"


# --- the --against runner ---------------------------------------------------------------------

def test_against_lists_a_missing_rival_once_and_times_the_others(monkeypatch):
    case = next(c for c in C.CASES if c.op == "pack_int4_to_int8")
    ghost = R.Rival("peer", "ghost", (case.op,), lambda a: lambda: None, needs=("fastquant_no_such_module",))
    monkeypatch.setattr(R, "RIVALS", R.RIVALS + (ghost,))
    duels = against.run([case], [64, 2048], repeat=1, min_sample=0)
    missing = [d for d in duels if not d.installed]
    assert [(d.rival, d.size, d.output) for d in missing] == [
        ("ghost", 64, "not installed: pip install fastquant_no_such_module")]
    seeds = [d for d in duels if d.kind == "seed"]
    assert [d.size for d in seeds] == [64, 2048]
    for d in seeds:
        assert d.rival_s > 0 and d.fastquant_s > 0 and d.copy_s > 0 and d.fastquant_out_s > 0
        assert d.speedup == pytest.approx(d.rival_s / d.fastquant_s)
        assert d.speedup_out == pytest.approx(d.rival_s / d.fastquant_out_s)
        assert d.best_speedup == max(d.speedup, d.speedup_out)
        assert d.output == "same values (flat)" or d.size == 64 and d.output == "identical"
    assert set(against.DUEL_FIELDS) <= set(seeds[0].as_dict())


def _duel(kind, size, speedup, comparable=True, published=True, out_speedup=None):
    return against.Duel("op", "fam", size, kind, f"rival x{speedup}", published, True, comparable,
                        "identical", "", 100, 1.0, speedup, None if out_speedup is None else speedup / out_speedup,
                        0.5, 1)


def test_summary_lines_name_the_misses():
    seeds = [_duel("seed", 1 << 20, 2.5), _duel("seed", 1 << 20, 1.9), _duel("seed", 1 << 25, 1.4),
             _duel("seed", 4096, 0.5), _duel("seed", 1 << 20, 1.5, published=False)]
    lines = against.summary(seeds, "seed")
    assert lines[0].endswith("seeds as published: 1 of 3 rows met") and len(lines) == 5
    assert "1M vs rival x1.9: 1.90x" in lines[1] and "32M vs rival x1.4" in lines[2]
    assert lines[3].endswith("NumPy ports of torch seeds: 0 of 1 rows met")
    peers = [_duel("peer", 4096, 0.5), _duel("peer", 4096, 3.0), _duel("peer", 4096, 0.1, comparable=False),
             _duel("peer", 4096, 0.8, out_speedup=1.2)]  # slower than fastquant into out=: not faster
    lines = against.summary(peers, "peer")
    assert lines[0] == "peers faster than fastquant: 1 of 3 timed rows"
    assert "rival x0.5 at 2.00x fastquant's best" in lines[1] and lines[2].startswith("not counted (1 rows)")
    assert against.summary([_duel("peer", 4096, 3.0)], "peer") == ["no peer faster than fastquant (1 timed rows)"]
