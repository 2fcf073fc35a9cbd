"""Build the llama.cpp oracle of the GGUF encode tests: ggml-quants.c as a shared library.

llama.cpp's reference quantizers (``quantize_row_<type>_ref``) and dequantizers
(``dequantize_row_<type>``) live in ``ggml/src/ggml-quants.c``, which compiles on its own. The
sdist of ``llama-cpp-python`` on PyPI vendors llama.cpp; this script downloads that sdist (the
pinned version, checked against its sha256), extracts the few files needed, and compiles them
with fastquant's stubs (tools/llama_oracle/) into

    <dir>/libggml_quants_ref-<version>.so

where <dir> is ``--dir``, else ``$FASTQUANT_LLAMA_ORACLE_DIR``, else ``build/oracle`` in the
repository. It is idempotent: a library whose stamp matches (version, flags, stub sources) is
kept, and the downloaded sdist is cached next to it. The last line printed is the library's
path; tests find it through ``$FASTQUANT_LLAMA_ORACLE`` or at that default place.

Nothing of llama.cpp is committed to fastquant: only the stubs and this script.

Flags: ``-O2 -ffp-contract=off`` and no ``-march``: the reference functions are plain C, so
the library computes exactly their float32 operations in their order (no FMA contraction, no
-ffast-math); asserts stay on (the stub turns a failed one into an error code, see
tools/llama_oracle/fq_oracle_stubs.c).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: The version bit-exactness was verified against, and its sdist's sha256.
VERSION = "0.3.36"
SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
CFLAGS = ["-O2", "-ffp-contract=off", "-std=gnu11", "-fPIC", "-shared"]

ROOT = Path(__file__).resolve().parent.parent
STUBS = ROOT / "tools" / "llama_oracle"
VENDOR = "vendor/llama.cpp/ggml"
#: The files of the sdist the library is built from (relative to VENDOR).
NEEDED = ("src/ggml-quants.c", "src/ggml-quants.h", "src/ggml-common.h", "src/ggml-impl.h",
          "src/ggml-cpu/ggml-cpu-impl.h", "include/")


def library_name(version: str = VERSION) -> str:
    return f"libggml_quants_ref-{version}.so"


def default_dir() -> Path:
    env = os.environ.get("FASTQUANT_LLAMA_ORACLE_DIR", "").strip()
    return Path(env) if env else ROOT / "build" / "oracle"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(cc: str) -> dict:
    sources = sorted(p for p in STUBS.rglob("*") if p.is_file())
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    return {"version": VERSION, "sha256": SHA256, "cc": cc, "cflags": CFLAGS, "stubs": digest}


def fetch_sdist(cache: Path) -> Path:
    """The pinned sdist in ``cache`` (downloaded with pip when missing), sha256 checked."""
    sdist = cache / f"llama_cpp_python-{VERSION}.tar.gz"
    if sdist.is_file() and _sha256(sdist) == SHA256:
        return sdist
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           f"llama-cpp-python=={VERSION}", "-d", str(cache)]
    try:  # pip prepares the sdist's metadata with its build backend: use ours if installed
        import scikit_build_core  # noqa: F401

        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    print("build_llama_oracle:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    if not sdist.is_file():
        raise SystemExit(f"build_llama_oracle: pip did not leave {sdist.name} in {cache}")
    got = _sha256(sdist)
    if got != SHA256:
        raise SystemExit(f"build_llama_oracle: {sdist.name} has sha256 {got}, expected {SHA256}")
    return sdist


def extract(sdist: Path, dest: Path) -> Path:
    """The needed files of the sdist under ``dest``; returns the ggml directory."""
    top = f"llama_cpp_python-{VERSION}/{VENDOR}/"
    if dest.exists():
        shutil.rmtree(dest)
    with tarfile.open(sdist, "r:gz") as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and m.name.startswith(top)
                   and any(m.name[len(top):] == n or (n.endswith("/") and m.name[len(top):].startswith(n)) for n in NEEDED)]
        for m in members:
            target = dest / m.name[len(top):]
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    return dest


def build(out_dir: Path, force: bool = False) -> Path:
    cc = os.environ.get("CC", "cc")
    lib = out_dir / library_name()
    stamp_file = out_dir / (library_name() + ".json")
    stamp = _stamp(cc)
    if not force and lib.is_file() and stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text(encoding="utf-8")) == stamp:
                return lib
        except ValueError:
            pass
    sdist = fetch_sdist(out_dir / "download")
    ggml = extract(sdist, out_dir / f"src-{VERSION}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_lib = Path(tmp) / lib.name
        cmd = [cc, *CFLAGS, f'-DFQ_ORACLE_VERSION="{VERSION}"',
               "-I", str(STUBS / "shim"), "-I", str(ggml / "include"), "-I", str(ggml / "src"),
               "-o", str(tmp_lib), str(ggml / "src" / "ggml-quants.c"), str(STUBS / "fq_oracle_stubs.c"), "-lm"]
        print("build_llama_oracle:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_lib), lib)
    stamp_file.write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    return lib


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="output directory (default: $FASTQUANT_LLAMA_ORACLE_DIR or build/oracle)")
    ap.add_argument("--force", action="store_true", help="rebuild even when the stamp matches")
    args = ap.parse_args(argv)
    lib = build((args.dir or default_dir()).resolve(), force=args.force)
    print(lib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
