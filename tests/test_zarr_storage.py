"""fastquant's codecs in real Zarr arrays, format 2 and format 3.

Arrays are written here with every codec (and a compressor, sharding, the dict form of the
codec), then read back in a FRESH process that imports nothing but zarr and numpy: Zarr and
numcodecs find the codecs through fastquant's entry points. What it reads must equal the
in-memory codec (whole array; chunk by chunk where the scale comes from each chunk), and
partial reads must equal the same part. The chunk files hold the reference codes of
tests/_storage.py, and an id Zarr does not know gives Zarr's own error.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import numpy as np
import pytest

from _storage import (BLOCK_CASES, BLOCK_ROWS, CASES, GROUPS, chunks_of, config, declared_entry_points, embeddings,
                      expected_entry_points, fresh_process_path, installed_entry_points, need,
                      reference_codes)
from _oracles import DEMANDED
from _support import PACKAGE_PARENT, assert_identical, run_python

numcodecs, zarr = need("numcodecs", "zarr")

from fastquant import numcodecs as fnc  # noqa: E402
from fastquant import zarr3 as fz  # noqa: E402

SHAPE, CHUNKS = (45, 37), (16, 37)
#: numcodecs' error for an id nobody registered (a plain ValueError before numcodecs 0.15)
_UNKNOWN_CLASS = getattr(getattr(numcodecs, "errors", None), "UnknownCodecError", ValueError)
_NUMCODECS_UNKNOWN = f"{_UNKNOWN_CLASS.__module__}.{_UNKNOWN_CLASS.__qualname__}"
PART = (slice(5, 30), slice(3, 29))  # crosses chunk boundaries, inside one chunk column
ONE = (44, 36)


def _block_shape(dim: int) -> tuple:
    """The arrays of the block codecs: ``2 * BLOCK_ROWS + 1`` rows (an edge chunk of one row)."""
    return (2 * BLOCK_ROWS + 1, dim)


def _block_part(dim: int) -> tuple:
    return (slice(1, BLOCK_ROWS + 2), slice(dim // 4, dim - 3))


def _per_chunk(codec_id: str, cfg: dict) -> bool:
    """Whether each chunk has its own scale (int4 without a scale)."""
    return codec_id == "fastquant.int4" and cfg.get("scale") is None


def _expected(codec, x: np.ndarray, per_chunk: bool) -> np.ndarray:  # noqa: D401
    """The in-memory codec's result: on the whole array, or chunk by chunk (edge chunks padded
    with the fill value, as Zarr stores them) where the scale comes from each chunk."""
    if not per_chunk:
        return np.asarray(codec.decode(codec.encode(x))).reshape(x.shape)
    out = np.empty_like(x)
    for _, sl, block in chunks_of(x, CHUNKS):
        part = np.asarray(codec.decode(codec.encode(block))).reshape(CHUNKS)
        n = out[sl].shape
        out[sl] = part[: n[0], : n[1]]
    return out


def _chunk_file(path, fmt: int) -> bytes:
    return (path / ("0.0" if fmt == 2 else "c/0/0")).read_bytes()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every codec in both formats, uncompressed (so the chunk files are the codes), plus
    compressed, sharded and dict-configured variants: ``{name: (path, expected)}``."""
    root = tmp_path_factory.mktemp("zarr-arrays")
    x = embeddings(np.random.default_rng(20261124), SHAPE)
    arrays = {}
    for label, codec_id, case in CASES:
        cfg = config(case, SHAPE[1])
        codec = fnc.CODECS[codec_id](**cfg)
        expected = _expected(codec, x, _per_chunk(codec_id, cfg))
        for fmt in (2, 3):
            path = root / f"{label}-v{fmt}.zarr"
            filt = codec if fmt == 2 else fz.CODECS[codec_id](**cfg)
            z = zarr.create_array(str(path), shape=SHAPE, chunks=CHUNKS, dtype="float32", fill_value=0,
                                  filters=[filt], compressors=None, zarr_format=fmt)
            z[...] = x
            first = next(chunks_of(x, CHUNKS))[2]
            assert _chunk_file(path, fmt) == reference_codes(codec_id, cfg, first).tobytes(), (label, fmt)
            arrays[f"{label}-v{fmt}"] = (path, expected, PART, ONE)
    for label, codec_id, cfg in BLOCK_CASES:
        dim = cfg["dim"]
        shape, chunks = _block_shape(dim), (BLOCK_ROWS, dim)
        xb = embeddings(np.random.default_rng([20261130, dim]), shape) * np.float32(2.5)
        codec = fnc.CODECS[codec_id](**cfg)
        expected = _expected(codec, xb, False)
        for fmt in (2, 3):
            path = root / f"{label}-v{fmt}.zarr"
            # format 3: dim left out, taken from the array
            filt = codec if fmt == 2 else fz.CODECS[codec_id](**{k: v for k, v in cfg.items() if k != "dim"})
            z = zarr.create_array(str(path), shape=shape, chunks=chunks, dtype="float32", fill_value=0,
                                  filters=[filt], compressors=None, zarr_format=fmt)
            z[...] = xb
            assert _chunk_file(path, fmt) == reference_codes(codec_id, cfg, xb[:BLOCK_ROWS]).tobytes(), (label, fmt)
            arrays[f"{label}-v{fmt}"] = (path, expected, _block_part(dim), (shape[0] - 1, dim - 1))
    # a compressor after the codec; format 3: sharding, the codec by name, dim left to Zarr
    extra = {
        "uint8-zstd-v2": dict(zarr_format=2, filters=[fnc.UInt8()], compressors="auto"),
        "uint8-zstd-v3": dict(zarr_format=3, filters=[fz.UInt8()], compressors="auto"),
        "int4-sharded-v3": dict(zarr_format=3, filters=[fz.Int4(scale=0.05)], compressors=None, shards=(32, 37)),
        "binary-dict-v3": dict(zarr_format=3, filters=[{"name": "fastquant.binary"}], compressors=None),
    }
    codecs = {"uint8-zstd-v2": fnc.UInt8(), "uint8-zstd-v3": fnc.UInt8(), "int4-sharded-v3": fnc.Int4(dim=37, scale=0.05),
              "binary-dict-v3": fnc.Binary(dim=37)}
    for name, kwargs in extra.items():
        path = root / f"{name}.zarr"
        z = zarr.create_array(str(path), shape=SHAPE, chunks=CHUNKS, dtype="float32", fill_value=0, **kwargs)
        z[...] = x
        arrays[name] = (path, _expected(codecs[name], x, False), PART, ONE)
    meta = json.loads((root / "binary-dict-v3.zarr" / "zarr.json").read_text())
    assert meta["codecs"][0] == {"name": "fastquant.binary", "configuration": {"dim": 37}}
    return root, x, arrays


def _unknown_codec_copies(root, arrays) -> dict:
    """Copies of a format 2 and a format 3 array whose codec id nobody registered."""
    paths = {}
    for fmt, meta_name in ((2, ".zarray"), (3, "zarr.json")):
        src = arrays[f"int8-v{fmt}"][0]
        dst = root / f"unknown-v{fmt}.zarr"
        shutil.copytree(src, dst, dirs_exist_ok=True)
        meta = json.loads((dst / meta_name).read_text())
        codecs = meta["filters"] if fmt == 2 else meta["codecs"]
        codecs[0]["id" if fmt == 2 else "name"] = "fastquant.nosuch"
        (dst / meta_name).write_text(json.dumps(meta))
        paths[fmt] = str(dst)
    return paths


READER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import zarr
    assert not [m for m in sys.modules if m.startswith("fastquant")], "fastquant imported early"
    job = json.loads(sys.argv[1])
    for name, (path, (r0, r1, c0, c1), one) in job["arrays"].items():
        z = zarr.open_array(path, mode="r")
        np.save(f"{job['out']}/{name}.npy", z[...])
        np.save(f"{job['out']}/{name}.part.npy", z[r0:r1, c0:c1])
        np.save(f"{job['out']}/{name}.one.npy", z[tuple(one)])
    errors = {}
    for fmt, path in job["unknown"].items():
        try:
            zarr.open_array(path, mode="r")[...]
            errors[fmt] = None
        except Exception as exc:
            errors[fmt] = [type(exc).__module__ + "." + type(exc).__qualname__, str(exc)]
    print(json.dumps({"loaded": sorted(m for m in sys.modules if m.startswith("fastquant")),
                      "errors": errors}))
""")


def test_fresh_process_reads_every_codec_through_entry_points(written, tmp_path):
    root, x, arrays = written
    unknown = _unknown_codec_copies(root, arrays)
    extra_path = fresh_process_path(tmp_path)
    out = tmp_path / "read"
    out.mkdir()
    job = {"arrays": {name: (str(path), (part[0].start, part[0].stop, part[1].start, part[1].stop), one)
                      for name, (path, _, part, one) in arrays.items()},
           "unknown": unknown, "out": str(out)}
    script = tmp_path / "reader.py"
    script.write_text(READER)
    run = run_python([str(script), json.dumps(job)], env={"PYTHONPATH": ":".join(extra_path + [PACKAGE_PARENT])})
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    # the entry points brought in fastquant's codecs: nothing else imported it
    assert {"fastquant.numcodecs", "fastquant.zarr3"} <= set(report["loaded"]), report["loaded"]
    for name, (_, expected, part, one) in arrays.items():
        assert_identical(np.load(out / f"{name}.npy"), expected, name)
        assert_identical(np.load(out / f"{name}.part.npy"), expected[part], f"{name} part")
        assert_identical(np.load(out / f"{name}.one.npy"), np.asarray(expected[one]), f"{name} one")
    assert report["errors"]["2"][0] == _NUMCODECS_UNKNOWN, report["errors"]
    assert report["errors"]["3"][0] == "zarr.errors.UnknownCodecError", report["errors"]
    assert all("fastquant.nosuch" in e[1] for e in report["errors"].values()), report["errors"]


@pytest.mark.parametrize("fmt", [2, 3])
def test_in_process_reads_and_partial_writes(written, fmt, tmp_path):
    """Reading in this process (codecs registered by import), and a partial write: Zarr
    decodes the chunk, replaces a part and encodes it again."""
    root, x, arrays = written
    path, expected, _, _ = arrays[f"affine_i8-v{fmt}"]
    z = zarr.open_array(str(path), mode="r")
    assert_identical(z[...], expected)
    assert_identical(z[PART], expected[PART])
    copy = tmp_path / "copy.zarr"
    shutil.copytree(path, copy)
    z = zarr.open_array(str(copy), mode="r+")
    z[3:9, 10:20] = np.float32(0.25)
    want = expected.copy()
    codec = fnc.Affine(scale=0.004, zero_point=-3)
    want[3:9, 10:20] = codec.decode(codec.encode(np.full((6, 10), 0.25, np.float32))).reshape(6, 10)
    assert_identical(z[...], want)


def test_unknown_codec_id_gives_zarrs_error(written):
    root, x, arrays = written
    unknown = _unknown_codec_copies(root, arrays)
    with pytest.raises(_UNKNOWN_CLASS, match="codec not available: .*fastquant.nosuch"):
        zarr.open_array(unknown[2], mode="r")[...]
    with pytest.raises(zarr.errors.UnknownCodecError, match="fastquant.nosuch"):
        zarr.open_array(unknown[3], mode="r")[...]


def test_format3_checks_dtype_and_chunks(tmp_path):
    with pytest.raises(ValueError, match="^dtype: fastquant.int8 stores float32 arrays"):
        zarr.create_array(str(tmp_path / "a"), shape=(4, 8), chunks=(2, 8), dtype="float64", filters=[fz.Int8()])
    with pytest.raises(ValueError, match=r"^chunks: fastquant.binary codes the last axis whole .* dim=16, got chunks \(2, 8\)"):
        zarr.create_array(str(tmp_path / "b"), shape=(4, 16), chunks=(2, 8), dtype="float32", filters=[fz.Binary()])
    with pytest.raises(ValueError, match="^buf: expected a chunk whose last axis holds dim=16"):
        z = zarr.create_array(str(tmp_path / "c"), shape=(4, 16), chunks=(2, 8), dtype="float32",
                              filters=[fnc.Binary(dim=16)], zarr_format=2)
        z[...] = 1.0


@pytest.mark.parametrize("label,codec_id,case", CASES + BLOCK_CASES, ids=[c[0] for c in CASES + BLOCK_CASES])
def test_format3_codec_round_trips_its_metadata(label, codec_id, case):
    cls = fz.CODECS[codec_id]
    cases = [case] if "dim" in case and case["dim"] is not None else [config(case, SHAPE[1]), config(case, 2 * SHAPE[1])]
    for cfg in cases:
        codec = cls(**cfg)
        d = codec.to_dict()
        assert d["name"] == codec_id
        assert cls.from_dict(json.loads(json.dumps(d))) == codec
        assert d["configuration"] == {k: v for k, v in codec.codec.get_config().items() if k != "id"}
        assert zarr.registry.get_codec_class(codec_id) is cls


def test_every_codec_has_cases():
    assert set(fz.CODECS) == {c[1] for c in CASES + BLOCK_CASES} == set(fnc.CODECS)


def test_format3_calibrated_codec_needs_the_whole_last_axis(tmp_path):
    """One range per value of the last axis: the array's last axis is D, and so are the
    chunks' (format 3 checks both when the array is created)."""
    codec = fz.Int8Ranges(ranges=config(dict(ranges=None), 16)["ranges"])
    with pytest.raises(ValueError, match=r"^shape: fastquant.int8_ranges has one range per value .* dim=16, got shape \(4, 32\)"):
        zarr.create_array(str(tmp_path / "a"), shape=(4, 32), chunks=(2, 16), dtype="float32", filters=[codec])
    with pytest.raises(ValueError, match=r"^chunks: fastquant.int8_ranges codes the last axis whole .* got chunks \(2, 8\)"):
        zarr.create_array(str(tmp_path / "b"), shape=(4, 16), chunks=(2, 8), dtype="float32", filters=[codec])
    with pytest.raises(ValueError, match="^buf: expected a chunk whose last axis holds dim=16 .*chunk it whole"):
        z = zarr.create_array(str(tmp_path / "c"), shape=(4, 16), chunks=(2, 8), dtype="float32",
                              filters=[codec.codec], zarr_format=2)
        z[...] = 1.0


def test_entry_points_are_declared_for_every_codec():
    declared = declared_entry_points()
    if declared is None:
        pytest.skip("no pyproject.toml next to the tests (the installed entry points are checked below)")
    assert declared == expected_entry_points()


def test_entry_points_are_installed():
    """CI installs the package (jobs 1, 3, 4): there importlib.metadata must see every entry
    point, so a fresh process finds the codecs. An in-place build has none (the fresh-process
    test then uses a temporary dist-info made from pyproject.toml)."""
    installed = installed_entry_points()
    if installed != expected_entry_points():
        msg = f"fastquant's entry points as installed here: {installed}"
        if DEMANDED:
            pytest.fail(msg + " (CI tests the installed package: every codec must be there)")
        pytest.skip(msg + " (an in-place build without pip install)")
    import importlib.metadata

    classes = {"numcodecs.codecs": fnc.CODECS, "zarr.codecs": fz.CODECS}
    for group in GROUPS:
        for ep in importlib.metadata.entry_points(group=group):
            if ep.value.startswith("fastquant."):
                assert ep.load() is classes[group][ep.name], (group, ep)


def test_format3_block_codecs_check_the_array(tmp_path):
    """dim comes from the array's last axis: it must hold whole GGUF / MX blocks, and the
    chunks must hold the whole axis; the minifloat codec checks its format when built."""
    with pytest.raises(ValueError, match="^dim: expected whole Q4_0 blocks, a multiple of 32 values, got 48"):
        zarr.create_array(str(tmp_path / "a"), shape=(4, 48), chunks=(2, 48), dtype="float32",
                          filters=[fz.GGUF(qtype="Q4_0")])
    with pytest.raises(ValueError, match=r"^block_size: expected a divisor of dim \(48\), got 32"):
        zarr.create_array(str(tmp_path / "b"), shape=(4, 48), chunks=(2, 48), dtype="float32", filters=[fz.MX()])
    with pytest.raises(ValueError, match=r"^chunks: fastquant.mx codes the last axis whole .* got chunks \(2, 32\)"):
        zarr.create_array(str(tmp_path / "c"), shape=(4, 64), chunks=(2, 32), dtype="float32",
                          filters=[fz.MX(fmt="float4_e2m1fn")])
    with pytest.raises(ValueError, match="^fmt: expected one of"):
        fz.Minifloat(fmt="float16")
    with pytest.raises(ValueError, match="^dtype: fastquant.minifloat stores float32 arrays"):
        zarr.create_array(str(tmp_path / "d"), shape=(4, 8), chunks=(2, 8), dtype="float16",
                          filters=[fz.Minifloat(fmt="float8_e5m2")])
