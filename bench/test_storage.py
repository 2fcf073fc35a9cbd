"""The storage benchmark (bench/storage_throughput.py) as pytest-benchmark cases on 16 MiB:
fastquant's numcodecs codecs and numcodecs' nearest equivalents, per chunk and through Zarr.
The 2 GB run with the cluster job is ``python bench/storage_throughput.py``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numcodecs", reason="the storage benchmark needs numcodecs and zarr (pip install '.[zarr]')")
pytest.importorskip("zarr", reason="the storage benchmark needs numcodecs and zarr (pip install '.[zarr]')")

import storage_throughput as st  # noqa: E402

JOBS = {job.name: job for job in st.jobs()}
X = st.make_data(1 / 64)  # 16 MiB: 4 chunks of (1024, 1024)
CHUNKS = [X[i:i + st.CHUNK_ROWS] for i in range(0, X.shape[0], st.CHUNK_ROWS)]


@pytest.mark.parametrize("who", ["fastquant", "numcodecs"])
@pytest.mark.parametrize("name", JOBS)
def test_encode_chunks(benchmark, name, who):
    job = JOBS[name]
    codec = job.fastquant() if who == "fastquant" else job.peer()
    boolean = who == "numcodecs" and job.peer_bool
    benchmark.group = f"storage encode {name}"
    encoded = benchmark(lambda: [codec.encode(c > 0 if boolean else c) for c in CHUNKS])
    assert len(encoded) == len(CHUNKS)


@pytest.mark.parametrize("name", JOBS)
def test_zarr_store_and_load(benchmark, name, tmp_path):
    times = st.zarr_times(JOBS[name], X, "memory", str(tmp_path), repeat=1)
    assert {who for who, _ in times} >= {"fastquant", "numcodecs", "fastquant v3"}
    benchmark.group = "storage zarr"
    benchmark.pedantic(lambda: None, rounds=1)
    benchmark.extra_info.update({f"{who} {op} GB/s": X.nbytes / 1e9 / t for (who, op), t in times.items()})
