#!/usr/bin/env bash
# Build the kernels with AddressSanitizer + UndefinedBehaviorSanitizer and run the test suite
# (or any command) against that build.
#
#   tools/sanitize.sh                      # build, then pytest tests -q
#   tools/sanitize.sh pytest tests/test_int4.py -x
#   tools/sanitize.sh python tools/fuzz/run.py 10     # what tools/fuzz.sh does
#
# The sanitized build lives in build/asan/ (never next to the sources, so the in-place build
# stays the fast one): build/asan/site/fastquant is a copy of the Python package with the
# instrumented extension in it, and commands run with that directory first on sys.path.
# CPython itself is not instrumented, so libasan is LD_PRELOADed (it must come first in the
# process), and leak detection is off because CPython keeps objects alive until exit by design.
# Any ASan report or UB (float-cast-overflow included: a NaN or out-of-range float cast to an
# integer code) aborts the process: the command fails, with the report on stderr.
# Needs gcc (or clang) with the sanitizer runtimes: `gcc -print-file-name=libasan.so`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/asan"
SITE="$OUT/site"
PY="${PYTHON:-python}"
# the interpreter that builds (fuzz.sh runs its atheris venv, whose setuptools may be older)
BUILD_PY="${BUILD_PYTHON:-$PY}"
CC="${CC:-gcc}"

LIBASAN="$("$CC" -print-file-name=libasan.so)"
if [[ ! -e "$LIBASAN" ]]; then
    echo "sanitize.sh: $CC has no libasan.so (install the sanitizer runtime, e.g. libasan8)" >&2
    exit 2
fi
SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
# GCC's ASan (12.2 here) places 64-byte-aligned locals (AVX-512 vectors spilled to the stack)
# in stack-use-after-return fake frames without that alignment, so the x86-64-v4 build faults on
# an aligned spill of correct code: Q4_K encode crashes with detect_stack_use_after_return=1
# only, and the same module compiled without fake frames passes. That build alone is compiled
# without them (--param=asan-use-after-return=0); every other check stays on for it, and every
# check for the other builds.
if "$CC" --version 2>/dev/null | grep -qi gcc; then
    export FASTQUANT_V4_EXTRA_CFLAGS="--param=asan-use-after-return=0"
    echo "sanitize.sh: $CC: x86-64-v4 build without stack-use-after-return fake frames (their alignment is too small for AVX-512 spills)" >&2
fi

cd "$ROOT"
echo "sanitize.sh: building the kernels with $SAN into $OUT" >&2
mkdir -p "$OUT"
if ! CC="$CC" CFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined,float-cast-overflow" \
    "$BUILD_PY" setup.py -q build_ext --build-lib "$OUT/lib" --build-temp "$OUT/temp" --force >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log" >&2
    exit 1
fi

# the package as sources plus the instrumented extension, nothing from the in-place build
rm -rf "$SITE"
mkdir -p "$SITE"
cp -r fastquant "$SITE/"
find "$SITE/fastquant" \( -name '*.so' -o -name '*.pyd' -o -name __pycache__ \) -prune -exec rm -rf {} +
for built in "$OUT"/lib/fastquant/*/; do  # every compiled build: _kernels, _kernels_v3, _kernels_v4
    mkdir -p "$SITE/fastquant/$(basename "$built")"
    cp -r "$built." "$SITE/fastquant/$(basename "$built")/"
done

# libstdc++ right after libasan: otherwise ASan's __cxa_throw interceptor finds no real
# __cxa_throw when torch (loaded later) throws a C++ exception, and aborts the process
LIBSTDCXX="$("$CC" -print-file-name=libstdc++.so)"
[[ -e "$LIBSTDCXX" ]] && LIBASAN="$LIBASAN:$LIBSTDCXX"
export LD_PRELOAD="$LIBASAN${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:check_initialization_order=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
export FASTQUANT_REQUIRE_EXTENSION=1
export FASTQUANT_SANITIZED=1

# run from the site dir so `python -m` puts the sanitized package, not the sources, first
cd "$SITE"
"$PY" - <<PYEOF
import fastquant, fastquant._kernels.int4 as k
from fastquant import _backend
assert k.__file__.startswith("$SITE"), f"not the sanitized build: {k.__file__}"
assert fastquant.backend() == "cython"
# every build this CPU runs (baseline, x86-64-v3, x86-64-v4) is the instrumented one, and the
# suite's cross-checks (tests/_support.both) run each of them
for name in _backend.builds():
    f = _backend.kernels_of(name).int4_pack
    mod = __import__(f.__module__, fromlist=["x"])
    assert mod.__file__.startswith("$SITE"), f"{name}: not the sanitized build: {mod.__file__}"
import sys
print("sanitize.sh: sanitized builds:", ", ".join(_backend.builds()), "- cython is", _backend.CPU_BUILD, file=sys.stderr)
PYEOF

# canary: a deliberately wrong direct kernel call (a reversed view, read as if contiguous)
# must be caught, else a clean run below would prove nothing
if ASAN_OPTIONS="$ASAN_OPTIONS:abort_on_error=0" "$PY" -c "
import numpy as np
from fastquant._kernels.int4 import int4_range
int4_range(np.zeros(100000, np.float32)[::-1])" 2>"$OUT/canary.log" \
        || ! grep -q "heap-buffer-overflow" "$OUT/canary.log"; then
    echo "sanitize.sh: the canary out-of-bounds read was NOT detected; is ASan live? ($OUT/canary.log)" >&2
    exit 3
fi
echo "sanitize.sh: ASan is live (canary out-of-bounds read detected)" >&2

if [[ $# -eq 0 ]]; then
    set -- "$PY" -m pytest -q -p no:cacheprovider tests
fi
# relative paths in the command are meant from the repository root
args=()
for a in "$@"; do
    if [[ "$a" != /* && -e "$ROOT/$a" ]]; then args+=("$ROOT/$a"); else args+=("$a"); fi
done
[[ "${args[0]}" == pytest ]] && args=("$PY" -m pytest -p no:cacheprovider "${args[@]:1}")
if [[ "${args[*]}" == *" -m pytest "* ]]; then
    args+=(-c "$ROOT/pyproject.toml" --rootdir "$ROOT")
fi
echo "sanitize.sh: ${args[*]}" >&2
# Reports also go to files: pytest captures fd 2, so a report that halts the process in the
# middle of a test would otherwise vanish with the captured output (the run just exits 1).
REPORTS="$OUT/reports"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
status=0
ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$REPORTS/asan" UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$REPORTS/ubsan" \
    "${args[@]}" || status=$?
shopt -s nullglob
reports=("$REPORTS"/*)
if (( ${#reports[@]} )); then
    echo "sanitize.sh: sanitizer report(s) in $REPORTS:" >&2
    cat "${reports[@]}" >&2
    [[ $status -eq 0 ]] && status=1
fi
exit $status
