#!/usr/bin/env bash
# Differential fuzzing of every decode function (tools/fuzz/targets.py), each for a bounded
# time, on the ASan/UBSan build of the kernels:
#
#   tools/fuzz.sh              # 60 s per target
#   tools/fuzz.sh 10           # 10 s per target
#   tools/fuzz.sh 60 unpack_int8_to_int4    # some targets only
#
# atheris goes into a venv of its own, .venv-fuzz/ (created on first use, with the system
# site-packages for numpy/torch). The corpus of each target grows in build/fuzz/<target>/
# across runs; a failing input is saved there as crash-*/timeout-* and reproduced with
#   tools/sanitize.sh .venv-fuzz/bin/python tools/fuzz/run.py TARGET build/fuzz/TARGET/crash-...
# Exit status: 0 when every target ran its time clean, else the first failure's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PER_TARGET="${1:-60}"
shift || true

if [[ -z "${FUZZ_INNER:-}" ]]; then
    VENV="$ROOT/.venv-fuzz"
    if ! "$VENV/bin/python" -c "import atheris" 2>/dev/null; then
        echo "fuzz.sh: creating $VENV with atheris" >&2
        "${PYTHON:-python}" -m venv --system-site-packages "$VENV"
        "$VENV/bin/pip" install -q atheris
    fi
    # build the sanitized kernels once, then come back here to run every target on them
    FUZZ_INNER=1 PYTHON="$VENV/bin/python" exec "$ROOT/tools/sanitize.sh" bash "$ROOT/tools/fuzz.sh" "$PER_TARGET" "$@"
fi

if [[ $# -eq 0 ]]; then
    mapfile -t TARGETS < <("$PYTHON" -c "import sys; sys.path.insert(0, '$ROOT/tools/fuzz'); import targets; print(*targets.TARGETS, sep='\n')")
else
    TARGETS=("$@")
fi

status=0
for target in "${TARGETS[@]}"; do
    dir="$ROOT/build/fuzz/$target"
    mkdir -p "$dir/corpus"
    echo "fuzz.sh: $target for ${PER_TARGET}s (corpus $dir/corpus)" >&2
    if "$PYTHON" "$ROOT/tools/fuzz/run.py" "$target" -max_total_time="$PER_TARGET" -timeout=20 \
            -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus" >"$dir/log.txt" 2>&1; then
        echo "fuzz.sh: $target clean: $(grep -E '^(Done|stat::number_of_executed_units)' "$dir/log.txt" | tr '\n' ' ')" >&2
    else
        rc=$?
        echo "fuzz.sh: $target FAILED (exit $rc); last lines of $dir/log.txt:" >&2
        tail -40 "$dir/log.txt" >&2
        [[ $status -eq 0 ]] && status=$rc
    fi
done
exit $status
