"""fastquant.dask on a real dask.distributed LocalCluster (2 worker processes): a Zarr array of
float32 embeddings becomes a Zarr array of codes and back, identical to NumPy on the whole
array; a worker killed in the middle of the job (the cluster retries its tasks elsewhere and
restarts it) changes nothing."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from _storage import embeddings, need
from _support import assert_identical

dask, distributed, zarr = need("dask", "distributed", "zarr")

import dask.array as da  # noqa: E402

import fastquant as fq  # noqa: E402
import fastquant.dask as fqd  # noqa: E402

N, D, ROWS = 4000, 96, 250  # 16 chunks of 250 x 96 float32


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.CRITICAL, worker_dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2, timeout=60)
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A Zarr array of float32 embeddings, chunked by rows."""
    x = embeddings(np.random.default_rng(3), (N, D))
    path = tmp_path_factory.mktemp("cluster") / "embeddings.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(ROWS, D), dtype="float32")
    z[...] = x
    return path, x


def _workers(client) -> dict:
    return client.run(os.getpid)


def test_workers_run_this_fastquant(client):
    files = client.run(lambda: __import__("fastquant").__file__)
    assert len(files) == 2 and set(files.values()) == {fq.__file__}
    assert os.getpid() not in _workers(client).values()


def test_zarr_embeddings_to_codes_and_back(client, source, tmp_path):
    path, x = source
    with distributed.get_task_stream(client) as tasks:
        for precision in ("int8", "ubinary"):
            codes_path = str(tmp_path / f"{precision}.zarr")
            fqd.quantize_embeddings(da.from_zarr(str(path)), precision).to_zarr(codes_path)
            codes = zarr.open_array(codes_path, mode="r")
            assert_identical(codes[...], fq.quantize_embeddings(x, precision))
            dim = D if precision == "ubinary" else None
            back = fqd.dequantize(da.from_zarr(codes_path), precision, dim).compute()
            assert_identical(back, fq.dequantize(fq.quantize_embeddings(x, precision), precision, dim))
        # int4: the scale is a dask reduction over the whole array first
        packed, scale, zp = fqd.quantize_to_packed_int4(da.from_zarr(str(path)))
        packed.to_zarr(str(tmp_path / "int4.zarr"))
        want = fq.quantize_to_packed_int4(x)
        assert (scale, zp) == want[1:]
        assert_identical(zarr.open_array(str(tmp_path / "int4.zarr"), mode="r")[...], want[0])
        # calibrated uint8: the ranges of the first 1000 rows are two reductions first
        src = da.from_zarr(str(path))
        fqd.quantize_embeddings(src, "uint8", calibration_embeddings=src[:1000]).to_zarr(str(tmp_path / "cal.zarr"))
        assert_identical(zarr.open_array(str(tmp_path / "cal.zarr"), mode="r")[...],
                         fq.quantize_embeddings(x, "uint8", calibration_embeddings=x[:1000]))
    assert len({t["worker"] for t in tasks.data}) == 2, "both workers took part"


def _die_once(block, marker, block_info=None):
    """Identity, except that the first worker to reach chunk 9 is SIGKILLed on the spot."""
    if block_info[0]["chunk-location"][0] == 9 and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return block


def test_a_worker_killed_mid_job_changes_nothing(client, source, tmp_path):
    path, x = source
    before = _workers(client)
    marker = tmp_path / "killed"
    x_lazy = da.from_zarr(str(path)).map_blocks(_die_once, str(marker), dtype=np.float32)
    codes_path = str(tmp_path / "codes.zarr")
    fqd.quantize_embeddings(x_lazy, "binary").to_zarr(codes_path)
    assert marker.exists(), "no worker was killed"
    killed = int(marker.read_text())
    assert killed in before.values()
    assert_identical(zarr.open_array(codes_path, mode="r")[...], fq.quantize_embeddings(x, "binary"))
    # the nanny restarted the killed worker: two workers again, one of them new
    client.wait_for_workers(2, timeout=60)
    deadline = time.monotonic() + 60
    while killed in _workers(client).values() and time.monotonic() < deadline:
        time.sleep(0.1)
    after = _workers(client)
    assert len(after) == 2 and killed not in after.values()
