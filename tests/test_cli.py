"""The command line (`python -m fastquant info|bench`) and the benchmark machinery behind it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastquant
from fastquant import _backend
from fastquant.__main__ import main
from fastquant._bench import cases as C
from fastquant._bench import report, runner
from fastquant._bench.agree import difference
from _support import PACKAGE_PARENT, need_backend


def fq(*args, tmp_path, env=None, prelude=""):
    """Run ``python -m fastquant ARGS`` (or ``prelude`` then main(ARGS)) in a subprocess."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FASTQUANT_")}
    environ["PYTHONPATH"] = PACKAGE_PARENT
    environ.update(env or {})
    if prelude:
        cmd = [sys.executable, "-c",
               f"{prelude}\nimport sys\nfrom fastquant.__main__ import main\nsys.exit(main({list(args)!r}))"]
    else:
        cmd = [sys.executable, "-m", "fastquant", *args]
    return subprocess.run(cmd, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)


# --- info -------------------------------------------------------------------------------------

def test_info_prints_version_backend_and_cpu(tmp_path):
    res = fq("info", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"fastquant {fastquant.__version__}" in res.stdout
    for label in ("backend:", "compiled:", "kernel build:", "cpu features:", "threads:"):
        assert label in res.stdout


def test_info_json_matches_this_process(tmp_path):
    res = fq("info", "--json", tmp_path=tmp_path, env={"FASTQUANT_NUM_THREADS": "3"})
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["fastquant"] == fastquant.__version__
    assert data["backends_available"] == list(_backend.available())
    assert data["backend"] == _backend.available()[0]
    assert data["threads"]["FASTQUANT_NUM_THREADS"] == "3"
    assert data["threads"]["cpu_count"] == os.cpu_count()
    if "cython" in _backend.available():
        assert data["compiled_modules"] and all(Path(p).exists() for p in data["compiled_modules"])


# --- bench, end to end ------------------------------------------------------------------------

SIZES = [1001, 2048]  # a ragged 1-D size (odd last axis) and a (2, 1024) one


def test_bench_quick_json_has_documented_fields_and_agreement(tmp_path):
    need_backend("cython")
    res = fq("bench", "--quick", "--json", "--sizes", "1001,2K", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(report.DOC_FIELDS) <= set(doc)
    assert doc["ok"] is True and doc["cython"] is True and doc["sizes"] == SIZES
    runnable = C.select()
    takes_out = [c for c in runnable if c.takes_out]
    assert len(doc["rows"]) == len(runnable) * len(SIZES) + len(takes_out)
    for row in doc["rows"]:
        assert set(report.ROW_FIELDS) <= set(row)
        assert row["agree"] is True and row["mismatch"] == ""
        assert row["numpy_s"] > 0 and row["cython_s"] > 0 and row["copy_s"] > 0
        assert row["speedup"] == pytest.approx(row["numpy_s"] / row["cython_s"])
        assert row["gbps"] == pytest.approx(row["bytes"] / row["cython_s"] / 1e9)
        # the streaming-store reference: float32 outputs only, measured in this run
        if row["op"].startswith("gguf.dequantize"):  # GGUF decoders: whole blocks, at most n values
            assert 0 < row["out_bytes"] <= 4 * row["size"]
            assert row["stream_s"] > 0 and row["stream_gbps"] > 0
        elif row["op"].startswith(("dequantize", "floats.decode", "floats.dequantize_mx")):  # float32 outputs
            mx_ragged = row["op"].startswith("floats.dequantize_mx") and row["size"] % 32
            values = -(-row["size"] // 32) * 32 if mx_ragged else row["size"]  # MX: whole blocks of 32
            assert row["out_bytes"] == 4 * values
            assert row["stream_s"] > 0 and row["stream_gbps"] > 0
            assert row["pct_stream"] == pytest.approx(100 * row["stream_s"] / row["cython_s"])
        else:
            assert row["stream_s"] is None and row["pct_stream"] is None and row["stream_gbps"] is None
    assert doc["bench_threads"] is None
    out_rows = {(r["op"], r["size"]) for r in doc["rows"] if r["out"]}
    assert out_rows == {(c.op, 2048) for c in takes_out}


def test_bench_prints_table_with_agreement(tmp_path):
    need_backend("cython")
    res = fq("bench", "--quick", "--sizes", "64", "--ops", "pack", "--no-out", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = next(line for line in lines if line.startswith("op "))
    for column in ("size", "numpy", "cython", "speedup", "GB/s", "% copy", "stream GB/s", "% stream", "same"):
        assert column in header
    ops = [c.op for c in C.select(["pack"])]
    assert len(ops) >= 2
    for op in ops:
        assert any(line.startswith(op + " ") and line.endswith("yes") for line in lines), op
    assert f"agreement: {len(ops)} of {len(ops)} rows bit-identical" in res.stdout
    assert "bench [1/" in res.stderr  # the progress line


BLOCK_KERNELS = "import sys\nsys.modules['fastquant._kernels.int4'] = None  # as if never compiled"


def test_bench_without_extension_runs_numpy_and_says_so(tmp_path):
    # FASTQUANT_BACKEND=numpy: in a source tree, missing kernels are otherwise an ImportError
    res = fq("bench", "--quick", "--sizes", "64", "--ops", "int4", "--json",
             tmp_path=tmp_path, prelude=BLOCK_KERNELS, env={"FASTQUANT_BACKEND": "numpy"})
    assert res.returncode == 0, res.stderr
    assert "cython backend is unavailable" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["cython"] is False and doc["backends"] == ["numpy"] and doc["why_not_compiled"]
    assert doc["rows"] and all(r["cython_s"] is None and r["agree"] is None for r in doc["rows"])


def test_bench_without_extension_fails_when_required(tmp_path):
    res = fq("bench", "--quick", "--sizes", "64", tmp_path=tmp_path, prelude=BLOCK_KERNELS,
             env={"FASTQUANT_REQUIRE_EXTENSION": "1"})
    assert res.returncode != 0
    assert "FASTQUANT_REQUIRE_EXTENSION" in res.stderr


@pytest.mark.parametrize("argv", [["bench", "--sizes", "0"], ["bench", "--sizes", "4Q"],
                                  ["bench", "--repeat", "0"], ["bench", "--threads", "0"],
                                  ["frobnicate"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_ops_matching_nothing_exit_2(capsys):
    assert main(["bench", "--ops", "no-such-op"]) == 2
    assert "no case matches" in capsys.readouterr().err


# --- the agreement check: a disagreement must be caught ------------------------------------

def test_difference_finds_one_flipped_bit():
    a = np.arange(1000, dtype=np.float32)
    b = a.copy()
    b.view(np.uint32)[777] ^= 1
    msg = difference(a, b)
    assert msg and "1 of 4000 bytes differ" in msg and "byte 3108" in msg
    assert difference(a, a.copy()) is None


@pytest.mark.parametrize("a, b", [
    (np.float32([0.0]), np.float32([-0.0])),
    (np.int8([1, 2]), np.uint8([1, 2])),
    (np.int8([1, 2]), np.int8([[1, 2]])),
    ((np.int8([1]), 0.5, 0), (np.int8([1]), 0.25, 0)),
    ((np.int8([1]), 0.5, 0), (np.int8([1]), 0.5)),
    ((np.int8([1]), 0.5, 0), (np.int8([1]), 0.5, 0.0)),
    (np.float32(1.0), np.float32(1.0).reshape(1)),
], ids=["signed-zero", "dtype", "shape", "scale", "tuple-length", "int-vs-float", "0d-vs-1d"])
def test_difference_reports(a, b):
    assert difference(a, b)
    assert difference(a, a) is None


def _disagreeing(x):
    """Returns different bytes on the two backends: what a broken kernel would do."""
    out = np.array(x, dtype=np.float32)
    if fastquant.backend() == "cython":
        out[-1] = np.nextafter(out[-1], np.float32(np.inf))
    return out


ROGUE = C.Case("rogue", "test", "_rogue", lambda n, r: (C.floats(n, r),), takes_out=False)


def test_runner_records_a_mismatch(monkeypatch):
    need_backend("cython")
    monkeypatch.setattr(fastquant, "_rogue", _disagreeing, raising=False)
    (row,) = runner.run([ROGUE], [16], repeat=1, min_sample=0)
    assert row.agree is False and "bytes differ" in row.mismatch


def test_bench_exits_nonzero_on_a_mismatch(monkeypatch, capsys):
    need_backend("cython")
    monkeypatch.setattr(fastquant, "_rogue", _disagreeing, raising=False)
    monkeypatch.setattr(C, "CASES", C.CASES + (ROGUE,))
    assert main(["bench", "--quick", "--sizes", "16", "--ops", "rogue,pack_int4_to_int8",
                 "--no-out", "--repeat", "1"]) == 1
    captured = capsys.readouterr()
    assert "MISMATCH: rogue at 16" in captured.err and "FAILED: 1 row(s)" in captured.err
    assert "MISMATCH rogue 16" in captured.out
    assert "agreement: 1 of 2 rows" in captured.out


def test_bench_threads_reaches_every_case_and_the_stream_reference(monkeypatch):
    """--threads N: passed as threads=N to every case (split even below 1M) and used by the
    streaming-store reference; recorded in the JSON document."""
    from fastquant import _threads

    need_backend("cython")
    seen = []
    monkeypatch.setattr(_threads, "count", lambda threads, size, real=_threads.count: seen.append(threads) or real(threads, size))
    cases = [c for c in C.CASES if c.takes_threads]
    assert {c.family for c in cases} == {"int4", "embeddings", "affine", "gguf", "gguf_encode", "floats", "onnx"}
    rows = runner.run([c for c in cases if c.op in ("dequantize[int8]", "quantize_func[8bit]")], [4096],
                      repeat=1, min_sample=0, threads=2)
    assert seen and set(seen) == {2}
    assert rows[0].stream_s > 0 and rows[1].stream_s is None  # float32 output, int8 output


def test_bench_threads_option(tmp_path):
    need_backend("cython")
    res = fq("bench", "--quick", "--json", "--sizes", "2K", "--ops", "dequantize[uint8]", "--threads", "2",
             "--repeat", "1", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["bench_threads"] == 2 and doc["ok"] is True
    assert all(row["pct_stream"] > 0 for row in doc["rows"])


# --- the registry -----------------------------------------------------------------------------

def test_every_family_has_cases():
    assert {c.family for c in C.select()} == {"int4", "embeddings", "affine", "gguf", "gguf_encode", "floats", "onnx"}


def test_a_case_without_its_function_is_an_error():
    with pytest.raises(RuntimeError, match="no function '_absent'"):
        C.select(cases=[C.Case("absent", "int4", "_absent", lambda n, r: ())])


@pytest.mark.parametrize("case", C.CASES, ids=lambda c: c.op)
def test_case_data_is_seeded_and_sized(case):
    """Pending cases too: their data must be right before their codec lands."""
    for n in (2048, 1001):
        a = case.args(n)
        assert difference(a, case.args(n)) is None
        assert difference(case.args(n, seed=1), a)
        arrays = [x for x in a[:len(a) - len(case.keywords)] if isinstance(x, np.ndarray)]
        if case.func == "floats.dequantize_mx":  # codes, and their E8M0 scales: one per block of 32
            assert arrays[1].shape == arrays[0].shape[:-1] + (arrays[0].shape[-1] // 32,)
            arrays = arrays[:1]
        assert len(arrays) == 1 and arrays[0].flags.c_contiguous
        if case.func.endswith("_mx") and n % 1024:  # MX: a ragged n is rounded up to whole blocks of 32
            assert arrays[0].shape == (-(-n // 32), 32)
            continue
        lengths = [x for x in a if isinstance(x, int) and not isinstance(x, bool)]
        row = 1024 if n == 2048 else n
        if case.family == "gguf_encode":  # whole 256-value super-blocks: n rounded up to them
            assert arrays[0].size == -(-n // 256) * 256 and (n % 1024 or arrays[0].shape[-1] == row)
            continue
        # inputs hold n values (floats, codes), or n packed nibbles/bits whose unpacked row
        # length (n=, orig_dim=) is passed along, or GGUF blocks of the row's whole blocks
        if case.family == "gguf":
            from fastquant import gguf

            t = gguf.qtype_of(a[1])
            assert arrays[0].dtype == np.uint8
            assert gguf.quant_shape_from_byte_shape(arrays[0].shape, t)[-1] == max(t.block_size, row // t.block_size * t.block_size)
        elif arrays[0].size == n:
            assert arrays[0].shape[-1] == row
        else:
            per_byte = 2 if case.family == "int4" or "nibbles" in case.op else 8
            assert arrays[0].shape[-1] == -(-row // per_byte) and lengths[-1] == row


@pytest.mark.parametrize("case", C.select(), ids=lambda c: c.op)
def test_case_bytes_counted(case):
    a = case.args(2048)
    with fastquant.use_backend("numpy"):
        result = case.call(a)
    out = C.main_array(result)
    arrays = [x for x in a if isinstance(x, np.ndarray)]
    assert case.bytes_moved(a, result) == sum(x.nbytes for x in arrays) + out.nbytes
    # n counts the logical values (GGUF decode: the decoded floats, its input is bytes; GGUF
    # encode: the input floats, its output bytes are more or fewer than the values)
    sizes = {"gguf": [out.size], "gguf_encode": [x.size for x in arrays]}.get(case.family, [x.size for x in arrays + [out]])
    assert max(sizes) == 2048


@pytest.mark.parametrize("text, n, label", [("16", 16, "16"), ("4K", 4096, "4K"), ("1m", 2**20, "1M"),
                                            ("32M", 2**25, "32M"), ("1000", 1000, "1000"), ("3072", 3072, "3K")])
def test_sizes(text, n, label):
    assert C.parse_size(text) == n and C.size_label(n) == label


@pytest.mark.parametrize("text", ["", "K", "0", "-4K", "4.5M", "4X", "1e6"])
def test_bad_sizes(text):
    with pytest.raises(ValueError, match="size"):
        C.parse_size(text)


# --- what a newcomer meets: the legend, a closed pipe, a bad --ops, every build in info ------

def test_bench_table_is_followed_by_a_legend_of_every_column(tmp_path):
    res = fq("bench", "--quick", "--sizes", "16", "--ops", "pack_int4_to_int8", "--no-out", "--repeat", "1",
             tmp_path=tmp_path, env={"FASTQUANT_BACKEND": "numpy"} if "cython" not in _backend.available() else None)
    assert res.returncode == 0, res.stderr
    legend = res.stdout[res.stdout.index("agreement"):]
    for column in ("numpy, cython", "speedup", "GB/s", "copy GB/s", "% copy", "stream GB/s", "% stream", "same"):
        assert f"\n  {column} " in legend, column
    assert "exceed 100%" in legend  # why % stream can pass 100% at in-cache sizes


def _closed_pipe_run(args, tmp_path) -> subprocess.CompletedProcess:
    """``python -m fastquant ARGS`` writing into a pipe whose reader has already gone, as in
    ``fastquant bench | head -2`` once head has its lines (deterministic: closed first)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FASTQUANT_")}
    environ["PYTHONPATH"] = PACKAGE_PARENT
    if "cython" not in _backend.available():
        environ["FASTQUANT_BACKEND"] = "numpy"
    try:
        return subprocess.run([sys.executable, "-m", "fastquant", *args], cwd=tmp_path, env=environ,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ["bench", "--sizes", "16", "--ops", "pack_int4_to_int8", "--no-out", "--repeat", "1", "-q"],
    ["bench", "--sizes", "16", "--ops", "pack_int4_to_int8", "--repeat", "1", "-q", "--json"],
    ["bench", "--list"],
    ["info"],
    ["--help"],
], ids=["bench", "bench-json", "list", "info", "help"])
def test_a_closed_stdout_is_no_error(args, tmp_path):
    res = _closed_pipe_run(args, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr and "Exception ignored" not in res.stderr


def test_ops_matching_nothing_lists_the_valid_names(capsys):
    assert main(["bench", "--ops", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "no case matches --ops bogus" in err
    for case in C.CASES:
        assert f"\n  {case.op}" in err, case.op
    for family in {c.family for c in C.CASES}:
        assert family in err.splitlines()[0], family


def test_info_lists_every_compiled_build_and_the_one_in_use(tmp_path):
    """Every ``fastquant/_kernels*`` folder holding compiled modules (all builds, and helpers
    such as _membench), straight from the file system; the build behind "cython" marked."""
    from importlib.machinery import EXTENSION_SUFFIXES

    package = Path(fastquant.__file__).resolve().parent
    on_disk = {}
    for folder in package.glob("_kernels*"):
        mods = sorted(f.name.split(".")[0] for f in folder.iterdir() if f.name.endswith(tuple(EXTENSION_SUFFIXES)))
        if mods:
            on_disk[f"fastquant.{folder.name}"] = mods
    res = fq("info", "--json", tmp_path=tmp_path,
             env={"FASTQUANT_BACKEND": "numpy"} if "cython" not in _backend.available() else None)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {b["package"]: b["modules"] for b in data["compiled_builds"]} == on_disk
    assert sorted(data["compiled_modules"]) == sorted(
        str(package / p.split(".")[-1] / f) for p in on_disk for f in os.listdir(package / p.split(".")[-1])
        if f.endswith(tuple(EXTENSION_SUFFIXES)))
    in_use = [b["package"] for b in data["compiled_builds"] if b["in_use"]]
    if "cython" in _backend.available():
        assert in_use == [_backend._BUILD_PACKAGES[_backend.CPU_BUILD]]
        assert len(on_disk) >= 1 and "_membench" in on_disk["fastquant._kernels"]
        text = fq("info", tmp_path=tmp_path).stdout
        for name in on_disk:
            assert name in text
        assert "(in use)" in text
    else:
        assert in_use == []
