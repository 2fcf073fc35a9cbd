"""CPU dispatch: the selected build, FASTQUANT_CPU, and every build against the twins on the
inputs that stress the exact-by-reciprocal quantizer."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from fastquant import _backend
from _support import REQUIRE_EXTENSION, assert_identical, compiled_names, need_backend, run_python


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return run_python(["-c", code], env)


SHOW = "from fastquant import _backend as b; print(b.CPU_BUILD, b.kernels_of('cython').int4_pack.__module__)"
PACKAGE = {"baseline": "fastquant._kernels", "x86-64-v3": "fastquant._kernels_v3",
           "x86-64-v4": "fastquant._kernels_v4"}
X86 = platform.machine().lower() in ("x86_64", "amd64")


def test_cpu_build_names_the_module_that_runs():
    need_backend("cython")
    assert _backend.kernels_of("cython").int4_pack.__module__ == PACKAGE[_backend.CPU_BUILD] + ".int4"
    assert f"cython-{_backend.CPU_BUILD}" in _backend.builds()


def test_fastquant_cpu_baseline_forces_the_portable_build():
    need_backend("cython")
    out = _python(SHOW, FASTQUANT_CPU="baseline")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["baseline", "fastquant._kernels.int4"]


@pytest.mark.parametrize("value,build", [("v3", "x86-64-v3"), ("x86-64-v3", "x86-64-v3"),
                                         ("v4", "x86-64-v4"), ("X86-64-V4", "x86-64-v4"),
                                         ("auto", None)])
def test_fastquant_cpu_forces_a_build_the_cpu_runs(value, build):
    need_backend("cython")
    if build is not None and f"cython-{build}" not in _backend.builds():
        pytest.skip(f"this machine cannot run {build}")
    out = _python(SHOW, FASTQUANT_CPU=value)
    assert out.returncode == 0, out.stderr
    build = build or _backend.builds()[-1].split("-", 1)[1]  # auto: the newest runnable build
    assert out.stdout.split() == [build, PACKAGE[build] + ".int4"]


def test_fastquant_cpu_rejects_unknown_values():
    out = _python(SHOW, FASTQUANT_CPU="avx9")
    assert out.returncode != 0 and "FASTQUANT_CPU: expected one of" in out.stderr


# A stand-in for the CPU probe, installed before fastquant is imported: a CPU with the given
# answers. The compiled build must be refused with the reason, never loaded and run.
FAKE_PROBE = """
import sys, types
sys.modules["fastquant._kernels._cpu"] = types.SimpleNamespace(
    PROBED=True, has_x86_64_v3=lambda: {v3}, avx512_features=lambda: {features},
    os_saves_avx512=lambda: {os_state}, has_x86_64_v4=lambda: {v3} and {features} and {os_state})
from fastquant import _backend as b
print(b.CPU_BUILD, *b.builds())
"""


@pytest.mark.parametrize("v3,features,os_state,forced,reason", [
    (True, True, False, "v4", "the OS does not enable the AVX-512 register state"),
    (True, False, True, "x86-64-v4", "this CPU lacks AVX-512"),
    (False, True, True, "v4", "lacks x86-64-v3"),
    (False, False, False, "v3", "lacks x86-64-v3"),
])
def test_forcing_a_build_the_cpu_cannot_run_is_an_error(v3, features, os_state, forced, reason):
    need_backend("cython")
    code = FAKE_PROBE.format(v3=v3, features=features, os_state=os_state)
    out = _python(code, FASTQUANT_CPU=forced)
    assert out.returncode != 0
    assert "ValueError: FASTQUANT_CPU: asks for the x86-64-v" in out.stderr and reason in out.stderr
    # without FASTQUANT_CPU the same machine quietly runs the best build it supports
    out = _python(code)
    assert out.returncode == 0, out.stderr
    best = "x86-64-v3" if v3 and "cython-x86-64-v3" in _backend.builds() else "baseline"
    assert out.stdout.split()[0] == best
    assert "cython-x86-64-v4" not in out.stdout.split()


@pytest.mark.skipif(not X86, reason="x86-64 only")
@pytest.mark.parametrize("level,build", [("v3", "x86-64-v3"), ("v4", "x86-64-v4")])
def test_x86_machines_run_and_cross_check_every_build_they_support(level, build):
    need_backend("cython")
    from fastquant._kernels import _cpu

    if not getattr(_cpu, f"has_x86_64_{level}")():
        pytest.skip(f"this CPU or OS cannot run {build}")
    if f"cython-{build}" not in _backend.builds():
        if REQUIRE_EXTENSION and sys.platform != "win32":
            pytest.fail(f"the {build} build is missing")
        pytest.skip(f"no {build} build here")
    forced = os.environ.get("FASTQUANT_CPU", "").strip().lower()
    if not forced or forced == "auto":
        assert _backend.CPU_BUILD == _backend.builds()[-1].split("-", 1)[1]
    # every build this CPU runs is cross-checked, the selected one as "cython"
    others = tuple(b for b in _backend.builds() if b != f"cython-{_backend.CPU_BUILD}")
    assert compiled_names() == ("cython",) + others
    assert f"cython-{build}" in compiled_names() or _backend.CPU_BUILD == build


@pytest.mark.skipif(not sys.platform.startswith("linux") or not X86, reason="Linux x86-64 /proc/cpuinfo")
def test_probe_agrees_with_the_kernel_flags():
    """Linux lists avx512* in /proc/cpuinfo only where it also enabled their register state."""
    need_backend("cython")
    from fastquant import _info
    from fastquant._kernels import _cpu

    flags, source = _info.cpu_flags()
    assert source == "/proc/cpuinfo"
    v4 = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= flags
    assert _cpu.has_x86_64_v4() == (v4 and _cpu.has_x86_64_v3())
    if v4:
        assert _cpu.avx512_features() and _cpu.os_saves_avx512()


def _near_ties(rng, scale: np.float32) -> np.ndarray:
    """Values whose quotient by ``scale`` lies on, or within a few ulps of, a half-integer
    (and of the clamp bounds), the cases a reciprocal multiply could round differently."""
    halves = (np.arange(-20, 20) + np.float32(0.5)).astype(np.float32) * scale
    near = [halves]
    for steps in (1, 2, 3, 8, 40):
        near.append(np.nextafter(halves, np.float32(np.inf)))
        near.append(np.nextafter(halves, np.float32(-np.inf)))
        halves = near[-1]
    x = np.concatenate(near + [rng.standard_normal(300).astype(np.float32) * scale * 4,
                               np.array([np.inf, -np.inf, 0.0, -0.0, 3e38, -3e38, 1e10, -1e10, -2.2e9,
                                         2.2e9], np.float32)])
    return rng.permutation(x)


@pytest.mark.parametrize("seed", range(6))
def test_quantize_kernels_agree_on_near_ties(seed):
    rng = np.random.default_rng(seed)
    scales = [np.float32(s) for s in (rng.uniform(1e-3, 10), 1 / 3, 0.1, 7.0, 1e-30, 3e-39)]
    for scale in scales:
        x = _near_ties(rng, scale)
        want = np.empty(x.size, np.int8)
        _backend.kernels_of("numpy").int4_quantize(x, want, scale)
        want_packed = np.empty((1, (x.size + 1) // 2), np.int8)
        _backend.kernels_of("numpy").int4_quantize_pack(x.reshape(1, -1), want_packed, scale)
        for name in compiled_names():
            got = np.empty_like(want)
            _backend.kernels_of(name).int4_quantize(x, got, scale)
            assert_identical(got, want, f"{name} quantize scale={scale!r}")
            got_packed = np.empty_like(want_packed)
            _backend.kernels_of(name).int4_quantize_pack(x.reshape(1, -1), got_packed, scale)
            assert_identical(got_packed, want_packed, f"{name} quantize_pack scale={scale!r}")


@pytest.mark.parametrize("n", [1, 3, 15, 16, 17, 33, 1000])
def test_range_kernels_find_extremes_and_non_finite_anywhere(n, rng):
    twin = _backend.kernels_of("numpy").int4_range
    x = (rng.standard_normal(n) * 5).astype(np.float32)
    for name in compiled_names():
        kernel = _backend.kernels_of(name).int4_range
        assert kernel(x) == twin(x), name
        for pos in {0, n // 2, n - 1}:
            for bad in (np.inf, -np.inf, np.nan):
                y = x.copy()
                y[pos] = bad
                lo, hi, finite = kernel(y)
                assert finite is False, (name, pos, bad)
                if bad == np.inf:
                    assert hi == np.inf
                if bad == -np.inf:
                    assert lo == -np.inf


@pytest.mark.parametrize("bad", [8, -9, 127, -128, 16])
@pytest.mark.parametrize("n", [2, 62, 64, 66, 1000, 1001])
def test_pack_kernels_flag_a_bad_code_anywhere_and_unpack_inverts(n, bad, rng):
    codes = rng.integers(-8, 8, (1, n), dtype=np.int8)
    twin = _backend.kernels_of("numpy")
    want = np.empty((1, (n + 1) // 2), np.int8)
    assert twin.int4_pack(codes, want) == 0
    for name in compiled_names():
        kernels = _backend.kernels_of(name)
        got = np.empty_like(want)
        assert kernels.int4_pack(codes, got) == 0
        assert_identical(got, want, name)
        back = np.empty_like(codes)
        kernels.int4_unpack(got, back)
        assert_identical(back, codes, f"{name} unpack")
        for pos in {0, n // 2, n - 1}:
            wrong = codes.copy()
            wrong[0, pos] = bad
            assert kernels.int4_pack(wrong, got) == 1, (name, pos)
@pytest.mark.parametrize("forced", [None, "baseline", "v3", "v4"])
def test_info_and_the_bench_header_name_the_build(forced):
    need_backend("cython")
    build = {None: _backend.builds()[-1].split("-", 1)[1], "baseline": "baseline",
             "v3": "x86-64-v3", "v4": "x86-64-v4"}[forced]
    if f"cython-{build}" not in _backend.builds():
        pytest.skip(f"this machine cannot run {build}")
    env = {"FASTQUANT_CPU": forced} if forced else {}
    how = f"forced by FASTQUANT_CPU={forced}" if forced else "chosen at import"
    info = run_python(["-m", "fastquant", "info"], env)
    assert info.returncode == 0, info.stderr
    assert f"kernel build:   {build} ({how}; runnable here: " in info.stdout
    bench = run_python(["-m", "fastquant", "bench", "--ops", "pack_int4_to_int8", "--sizes", "4K",
                        "--no-out", "--repeat", "1", "-q"], env)
    assert bench.returncode == 0, bench.stderr
    assert f"kernels: {build} ({how}" in bench.stdout.splitlines()[0]
