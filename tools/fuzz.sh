#!/usr/bin/env bash
# Differential fuzzing of every decode function (tools/fuzz/targets.py) for a bounded time,
# then a replay of everything it found on the ASan/UBSan build of the kernels:
#
#   tools/fuzz.sh              # 60 s per target
#   tools/fuzz.sh 10           # 10 s per target
#   tools/fuzz.sh 60 unpack_int8_to_int4    # some targets only
#
# Two phases, because atheris' Python coverage needs libFuzzer's coverage callbacks, and a
# preloaded gcc libasan provides its own (empty) ones that blind the fuzzer:
#   1. coverage-guided fuzzing against the in-place build (rebuilt here), each target for the
#      given seconds; the corpus of each target grows in build/fuzz/<target>/corpus across runs;
#   2. every corpus input (and any crash-* input) replayed under tools/sanitize.sh.
# atheris goes into a venv of its own, .venv-fuzz/ (created on first use, with the system
# site-packages for numpy/torch). A failing input is saved as build/fuzz/<target>/crash-* and
# reproduced with: .venv-fuzz/bin/python tools/fuzz/run.py TARGET build/fuzz/TARGET/crash-...
# Exit status: 0 when every target ran its time clean and the replay was clean.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PER_TARGET="${1:-60}"
shift || true
VENV="$ROOT/.venv-fuzz"
PY="$VENV/bin/python"

targets() {
    if [[ $# -eq 0 ]]; then
        "$PY" -c "import sys; sys.path.insert(0, '$ROOT/tools/fuzz'); import targets; print(*targets.TARGETS, sep='\n')"
    else
        printf '%s\n' "$@"
    fi
}

if [[ "${FUZZ_INNER:-}" == replay ]]; then  # phase 2, run by tools/sanitize.sh
    status=0
    for target in $(targets "$@"); do
        dir="$ROOT/build/fuzz/$target"
        inputs=("$dir/corpus")
        shopt -s nullglob
        inputs+=("$dir"/crash-* "$dir"/timeout-* "$dir"/oom-*)
        shopt -u nullglob
        n=$(find "$dir/corpus" -type f | wc -l)
        if "$PY" "$ROOT/tools/fuzz/run.py" "$target" -runs=0 "${inputs[@]}" >"$dir/replay.txt" 2>&1; then
            echo "fuzz.sh: $target: $n corpus inputs replayed clean under ASan/UBSan" >&2
        else
            rc=$?
            echo "fuzz.sh: $target: replay under ASan/UBSan FAILED (exit $rc); end of $dir/replay.txt:" >&2
            tail -40 "$dir/replay.txt" >&2
            [[ $status -eq 0 ]] && status=$rc
        fi
    done
    exit $status
fi

if ! "$PY" -c "import atheris" 2>/dev/null; then
    echo "fuzz.sh: creating $VENV with atheris" >&2
    "${PYTHON:-python}" -m venv --system-site-packages "$VENV"
    "$VENV/bin/pip" install -q atheris
fi
# tools/fuzz/targets.py imports fastquant.onnx, which needs ml_dtypes: without it every target
# fails at import (the venv sees the base interpreter's site-packages, not a project venv's)
if ! "$PY" -c "import ml_dtypes" 2>/dev/null; then
    "$VENV/bin/pip" install -q "ml_dtypes==0.6.0"
fi
# the numcodecs codecs' target needs numcodecs (tools/fuzz/targets.py drops it without)
if ! "$PY" -c "import numcodecs" 2>/dev/null; then
    "$VENV/bin/pip" install -q numcodecs || echo "fuzz.sh: numcodecs not installed: no numcodecs_decode target" >&2
fi
cd "$ROOT"
# built by the base interpreter: the venv may carry an older setuptools that rejects pyproject.toml
"${PYTHON:-python}" setup.py -q build_ext --inplace >"$ROOT/build/fuzz-build.log" 2>&1 || { cat "$ROOT/build/fuzz-build.log" >&2; exit 1; }

status=0
for target in $(targets "$@"); do
    dir="$ROOT/build/fuzz/$target"
    mkdir -p "$dir/corpus"
    echo "fuzz.sh: $target for ${PER_TARGET}s (corpus $dir/corpus)" >&2
    if "$PY" "$ROOT/tools/fuzz/run.py" "$target" -max_total_time="$PER_TARGET" -timeout=20 \
            -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus" >"$dir/log.txt" 2>&1; then
        echo "fuzz.sh: $target clean: $(grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|cov:.*DONE' "$dir/log.txt" | tr '\n' ' ')" >&2
    else
        rc=$?
        echo "fuzz.sh: $target FAILED (exit $rc); end of $dir/log.txt:" >&2
        tail -40 "$dir/log.txt" >&2
        [[ $status -eq 0 ]] && status=$rc
    fi
done

echo "fuzz.sh: replaying the corpora on the ASan/UBSan build" >&2
BASE_PY="${PYTHON:-python}"  # before the PYTHON= below (prefix assignments expand in order)
FUZZ_INNER=replay BUILD_PYTHON="$BASE_PY" PYTHON="$PY" "$ROOT/tools/sanitize.sh" bash "$ROOT/tools/fuzz.sh" "$PER_TARGET" "$@" || status=$?
exit $status
