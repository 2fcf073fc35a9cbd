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


def test_cpu_build_names_the_module_that_runs():
    need_backend("cython")
    package = {"baseline": "fastquant._kernels", "x86-64-v3": "fastquant._kernels_v3"}
    assert _backend.kernels_of("cython").int4_pack.__module__ == package[_backend.CPU_BUILD] + ".int4"
    assert f"cython-{_backend.CPU_BUILD}" in _backend.builds()


def test_fastquant_cpu_baseline_forces_the_portable_build():
    need_backend("cython")
    out = _python(SHOW, FASTQUANT_CPU="baseline")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["baseline", "fastquant._kernels.int4"]


def test_fastquant_cpu_rejects_unknown_values():
    out = _python(SHOW, FASTQUANT_CPU="avx9")
    assert out.returncode != 0 and "FASTQUANT_CPU" in out.stderr


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 only")
def test_avx2_machines_run_and_cross_check_the_v3_build():
    need_backend("cython")
    from fastquant._kernels import _cpu

    if not _cpu.has_x86_64_v3():
        pytest.skip("this CPU has no AVX2/FMA/BMI2")
    if "cython-x86-64-v3" not in _backend.builds():
        if REQUIRE_EXTENSION and sys.platform != "win32":
            pytest.fail("the x86-64-v3 build is missing")
        pytest.skip("no x86-64-v3 build here")
    # both builds are cross-checked whichever runs (FASTQUANT_CPU=baseline picks the portable one)
    if os.environ.get("FASTQUANT_CPU", "").strip().lower() == "baseline":
        assert _backend.CPU_BUILD == "baseline"
        assert compiled_names() == ("cython", "cython-x86-64-v3")
    else:
        assert _backend.CPU_BUILD == "x86-64-v3"
        assert compiled_names() == ("cython", "cython-baseline")


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
