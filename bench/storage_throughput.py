"""Storage throughput: fastquant's codecs in Zarr against numcodecs' nearest equivalents, and
the same quantization job on one process and on a 2-worker dask.distributed cluster.

    python bench/storage_throughput.py                    # 2 GB of float32 embeddings (rows of 1024)
    python bench/storage_throughput.py --gb 0.25 --store memory --cluster-gb 0.5
    pytest bench/test_storage.py               # the same code on 32 MB (CI runs each case once)

For every job (the same float32 array, the same chunks, format 2, no compressor) it reports
GB/s of float32 data for:

- codec encode / decode: ``codec.encode`` / ``codec.decode`` over every chunk, one thread,
  each result dropped (as a writer streaming chunks to storage does); "encode hot": the first
  chunk as many times, its floats in cache (the codec's own cost, without the memory reads);
- Zarr encode+store (``z[...] = x``) and load+decode (``z[...]``), Zarr running chunks
  concurrently as it does by default; for fastquant also in format 3;

and the ratio fastquant / numcodecs. The peers, doing the same job:

============ ============================================= ==========================================
job          fastquant                                     numcodecs
============ ============================================= ==========================================
int8         ``Int8()``                                    ``FixedScaleOffset(0, 127, astype=i1)``
uint8        ``UInt8()``                                   ``FixedScaleOffset(-1, 127.5, astype=u1)``
affine       ``Affine(scale=s, zero_point=z)``             ``FixedScaleOffset(-z*s, 1/s, astype=i1)``
int4         ``Int4(dim, scale=s)`` (4 bits, packed)       ``FixedScaleOffset(0, 1/s, astype=i1)``
                                                           (no int4 in numcodecs: 8-bit codes)
ubinary      ``UBinary(dim)`` (floats in, +-1.0 out)       ``x > 0`` then ``PackBits()`` (bool out)
fp8          ``Minifloat("float8_e4m3fn")``                ``AsType("f2", "f4")`` (no fp8 in numcodecs:
                                                           the nearest narrow float, float16)
mx_fp8       ``MX(dim, "float8_e4m3fn")``                  ``AsType("f2", "f4")``
mxfp4        ``MX(dim, "float4_e2m1fn")`` (4.25 bits)      ``AsType("f2", "f4")``
bf16         ``GGUF(dim, "BF16")``                         ``AsType("f2", "f4")``
q8_0         ``GGUF(dim, "Q8_0")`` (8.5 bits)              ``FixedScaleOffset(0, 1/s, astype=i1)``
q4_0         ``GGUF(dim, "Q4_0")`` (4.5 bits)              ``FixedScaleOffset(0, 1/s, astype=i1)``
q4_k         ``GGUF(dim, "Q4_K")`` (4.5 bits)              ``FixedScaleOffset(0, 1/s, astype=i1)``
============ ============================================= ==========================================

numcodecs has no GGUF, minifloat or MX codec: for those the peer is its nearest codec (a float16
cast for the float formats, fixed-scale 8-bit codes for the GGUF integer blocks), which stores
other codes (and, for the GGUF blocks, no per-block scale).

FixedScaleOffset wraps values beyond the code range around instead of saturating, so its codes
differ from fastquant's there; throughput is what is compared. The cluster part writes the
array to a local Zarr store and times ``fastquant.dask.quantize_embeddings(..., "int8")`` from
that store into a Zarr array of codes (dask chunks of 64 MiB, 16 Zarr chunks each): with dask's
threaded scheduler in this process (2 threads), and on a ``LocalCluster`` of 2 worker processes
(1 thread each) started and warmed up before the clock starts, once with dask's worker
environment and once without its ``MALLOC_TRIM_THRESHOLD_`` ("tuned").
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import warnings
from typing import Callable

import numpy as np

# run as a script: an installed fastquant, else the source tree this file lies in
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

D = 1024          # embedding dimension: the last axis, one chunk wide
CHUNK_ROWS = 1024  # 4 MiB float32 chunks
DASK_ROWS = 16384  # the cluster job's dask chunks: 64 MiB, 16 Zarr chunks each (dask wants tens of MB a task)
SCALE, ZERO_POINT, INT4_SCALE = 1 / 127, 0, 1 / 7


@dataclasses.dataclass
class Job:
    name: str
    fastquant: Callable  # () -> fastquant.numcodecs codec
    peer: Callable       # () -> numcodecs codec
    peer_bool: bool = False  # the peer stores bools (x > 0 is part of its encode)


def jobs() -> list:
    from numcodecs import AsType, FixedScaleOffset, PackBits

    from fastquant import numcodecs as fnc

    return [
        Job("int8", fnc.Int8, lambda: FixedScaleOffset(0, 127, "<f4", astype="i1")),
        Job("uint8", fnc.UInt8, lambda: FixedScaleOffset(-1, 127.5, "<f4", astype="u1")),
        Job("affine", lambda: fnc.Affine(scale=SCALE, zero_point=ZERO_POINT),
            lambda: FixedScaleOffset(-ZERO_POINT * SCALE, 1 / SCALE, "<f4", astype="i1")),
        Job("int4", lambda: fnc.Int4(dim=D, scale=INT4_SCALE), lambda: FixedScaleOffset(0, 1 / INT4_SCALE, "<f4", astype="i1")),
        Job("ubinary", lambda: fnc.UBinary(dim=D), PackBits, peer_bool=True),
        Job("fp8", lambda: fnc.Minifloat("float8_e4m3fn"), lambda: AsType("f2", "f4")),
        Job("mx_fp8", lambda: fnc.MX(dim=D, fmt="float8_e4m3fn"), lambda: AsType("f2", "f4")),
        Job("mxfp4", lambda: fnc.MX(dim=D, fmt="float4_e2m1fn"), lambda: AsType("f2", "f4")),
        Job("bf16", lambda: fnc.GGUF(dim=D, qtype="BF16"), lambda: AsType("f2", "f4")),
        Job("q8_0", lambda: fnc.GGUF(dim=D, qtype="Q8_0"), lambda: FixedScaleOffset(0, 127, "<f4", astype="i1")),
        Job("q4_0", lambda: fnc.GGUF(dim=D, qtype="Q4_0"), lambda: FixedScaleOffset(0, 1 / INT4_SCALE, "<f4", astype="i1")),
        Job("q4_k", lambda: fnc.GGUF(dim=D, qtype="Q4_K"), lambda: FixedScaleOffset(0, 1 / INT4_SCALE, "<f4", astype="i1")),
    ]


def make_data(gb: float, seed: int = 0) -> np.ndarray:
    rows = max(CHUNK_ROWS, int(gb * 2**30) // (4 * D) // CHUNK_ROWS * CHUNK_ROWS)
    x = np.empty((rows, D), np.float32)
    rng = np.random.default_rng(seed)
    for i in range(0, rows, CHUNK_ROWS):
        x[i:i + CHUNK_ROWS] = rng.standard_normal((CHUNK_ROWS, D), dtype=np.float32) * np.float32(0.3)
    return x


def _interleaved(calls: dict, repeat: int) -> dict:
    """``{key: best seconds}`` of each zero-argument call, the calls taking turns ``repeat``
    times (so that a busy moment of a shared machine hits all of them alike)."""
    best = {key: float("inf") for key in calls}
    for _ in range(repeat):
        for key, fn in calls.items():
            t = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t)
    return best


def codec_times(job: Job, x: np.ndarray, repeat: int) -> dict:
    """Encode and decode every chunk in this thread: ``{(who, op): seconds}``."""
    chunks = [x[i:i + CHUNK_ROWS] for i in range(0, x.shape[0], CHUNK_ROWS)]
    calls = {}
    for who, codec in (("fastquant", job.fastquant()), ("numcodecs", job.peer())):
        encode = (lambda c, k=codec: k.encode(c > 0)) if who == "numcodecs" and job.peer_bool else codec.encode
        encoded = [encode(c) for c in chunks]

        def encode_all(encode=encode):
            for c in chunks:  # each result dropped, as a writer streaming chunks out does
                encode(c)

        def decode_all(codec=codec, encoded=encoded):
            for e in encoded:
                codec.decode(e)

        def encode_hot(encode=encode):
            for _ in chunks:  # one chunk again and again: its floats stay in cache
                encode(chunks[0])

        calls[who, "encode"] = encode_all
        calls[who, "decode"] = decode_all
        calls[who, "encode hot"] = encode_hot
    return _interleaved(calls, repeat)


def _store(kind: str, root: str, name: str):
    import zarr

    if kind == "memory":
        return zarr.storage.MemoryStore()
    return zarr.storage.LocalStore(os.path.join(root, name))


def zarr_times(job: Job, x: np.ndarray, store_kind: str, root: str, repeat: int) -> dict:
    """``z[...] = x`` and ``z[...]`` through Zarr: ``{(who, op): seconds}``."""
    import zarr
    import zarr.codecs.numcodecs as zarr_numcodecs

    from fastquant import zarr3 as fz

    fq_codec = job.fastquant()
    config = {k: v for k, v in fq_codec.get_config().items() if k != "id"}
    variants = [("fastquant", 2, fq_codec), ("numcodecs", 2, job.peer()),
                ("fastquant v3", 3, fz.CODECS[fq_codec.codec_id](**config))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr: numcodecs codecs are not in the format 3 spec
        if not job.peer_bool:  # zarr's format 3 PackBits accepts no bool array (zarr 3.1)
            peer = job.peer()  # its format 3 adapter class in zarr, of the same name
            v3_class = getattr(zarr_numcodecs, type(peer).__name__)
            variants.append(("numcodecs v3", 3, v3_class(**{k: v for k, v in peer.get_config().items() if k != "id"})))
        calls = {}
        for who, fmt, codec in variants:
            peer_bool = who.startswith("numcodecs") and job.peer_bool
            z = zarr.create_array(_store(store_kind, root, f"{job.name}-{who}-{fmt}"), shape=x.shape,
                                  chunks=(CHUNK_ROWS, D), dtype=bool if peer_bool else "float32", filters=[codec],
                                  compressors=None, zarr_format=fmt, fill_value=False if peer_bool else 0,
                                  overwrite=True)

            def write(z=z, peer_bool=peer_bool):
                z[...] = (x > 0) if peer_bool else x

            calls[who, "store"] = write
            calls[who, "load"] = lambda z=z: z[...]
        times = _interleaved(calls, repeat)
    if store_kind == "disk":
        for who, fmt, _ in variants:
            shutil.rmtree(os.path.join(root, f"{job.name}-{who}-{fmt}"), ignore_errors=True)
    return times


#: dask's LocalCluster gives worker processes MALLOC_TRIM_THRESHOLD_=65536, which also turns off
#: glibc's adaptive mmap threshold: then every chunk-sized buffer is fresh memory (page faults,
#: slow on VMs). "tuned" workers start without it, with glibc's defaults as this process has.
def tuned_environ(environ: dict) -> dict:
    return {k: v for k, v in environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}


def cluster_times(x: np.ndarray, root: str, repeat: int) -> dict:
    """The int8 job from a Zarr store into a Zarr store: this process (threaded scheduler, 2
    threads) against a 2-worker LocalCluster (1 thread each), with dask's default worker
    environment and without its MALLOC_TRIM_THRESHOLD_ (:func:`tuned_environ`)."""
    import logging

    import dask
    import dask.array as da
    import distributed
    import zarr

    import fastquant.dask as fqd

    src = os.path.join(root, "cluster-src.zarr")
    z = zarr.create_array(src, shape=x.shape, chunks=(CHUNK_ROWS, D), dtype="float32", compressors=None, overwrite=True)
    z[...] = x
    counter = iter(range(10**6))

    def job():
        dst = os.path.join(root, f"cluster-codes-{next(counter)}.zarr")
        codes = fqd.quantize_embeddings(da.from_zarr(src, chunks=(DASK_ROWS, D)), "int8")
        codes.to_zarr(dst, overwrite=True, compressors=None, chunks=(CHUNK_ROWS, D))
        shutil.rmtree(dst)

    def in_process():
        with dask.config.set(scheduler="threads", num_workers=2):
            job()

    def on(client):
        def run():
            with dask.config.set(scheduler=client):
                job()
        return run

    # one cluster at a time (their idle processes would load a small machine), this process's
    # run taking turns with the cluster's on both
    times = {}
    environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    for name, env in (("2-worker cluster", environ), ("2-worker cluster, tuned", tuned_environ(environ))):
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.CRITICAL)
        with distributed.Client(cluster, set_as_default=False) as client:
            client.wait_for_workers(2)
            calls = {("single process", "job"): in_process, (name, "job"): on(client)}
            for fn in calls.values():
                fn()  # warm up: page cache, imports, worker start-up
            for key, t in _interleaved(calls, repeat).items():
                times[key] = min(t, times.get(key, t))
        cluster.close()
    return times


def report(gb_data: float, times: dict, title: str) -> None:
    print(f"\n{title}")
    ops = sorted({op for _, op in times}, key=["encode", "encode hot", "decode", "store", "load", "job"].index)
    whos = list(dict.fromkeys(who for who, _ in times))
    print(f"{'':<18}" + "".join(f"{op:>12}" for op in ops) + "   (GB/s of float32 data)")
    for who in whos:
        print(f"{who:<18}" + "".join(f"{gb_data / times[who, op]:>12.2f}" if (who, op) in times else f"{'':>12}"
                                     for op in ops))
    for who in whos:
        for base in whos:
            if who != base and who.startswith("fastquant") and base.startswith("numcodecs") and \
                    who.endswith("v3") == base.endswith("v3"):
                print(f"{who + ' / ' + base:<34}" + "".join(
                    f"{op} {times[base, op] / times[who, op]:.2f}x  " for op in ops if (who, op) in times and (base, op) in times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=2.0, help="float32 data in GiB (default 2)")
    parser.add_argument("--store", choices=("disk", "memory"), default="disk",
                        help="Zarr store for the codec jobs: a LocalStore in a temporary directory "
                             "(default), or a MemoryStore (which keeps every chunk in fresh memory)")
    parser.add_argument("--cluster-gb", type=float, default=None, help="data for the cluster job (default --gb; 0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs, taking turns (default 3)")
    parser.add_argument("--jobs", default=None, help="comma-separated job names (default all; none: the cluster job only)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows while it runs

    import fastquant

    x = make_data(args.gb)
    gb_data = x.nbytes / 1e9
    print(f"fastquant {fastquant.__version__} ({fastquant.backend()}), data {x.shape} float32 = {gb_data:.2f} GB, "
          f"chunks ({CHUNK_ROWS}, {D}), store {args.store}, best of {args.repeat}, python {sys.version.split()[0]}")
    root = tempfile.mkdtemp(prefix="fq-bench-storage-")
    try:
        selected = [j for j in jobs() if args.jobs is None or j.name in args.jobs.split(",")]
        for job in selected:
            times = codec_times(job, x, args.repeat)
            times.update(zarr_times(job, x, args.store, root, args.repeat))
            report(gb_data, times, f"== {job.name}")
        cluster_gb = args.gb if args.cluster_gb is None else args.cluster_gb
        if cluster_gb > 0:
            xc = x if cluster_gb == args.gb else make_data(cluster_gb, seed=1)
            times = cluster_times(xc, root, args.repeat)
            report(xc.nbytes / 1e9, times, "== cluster: int8 job, Zarr store to Zarr store")
            for name in ("2-worker cluster", "2-worker cluster, tuned"):
                ratio = times[name, "job"] / times["single process", "job"]
                print(f"{name} time / single-process time: {ratio:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
