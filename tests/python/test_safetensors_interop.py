"""Interoperability with the reference `safetensors` package (PyPI, pinned in
requirements.txt): files it writes, every dtype included, read back identically in finefp8;
files finefp8 writes (single and sharded) load in it with identical tensors.

Needs the C++ build: FINEFP8_BUILD_DIR (default build/) must hold
tests/finefp8_safetensors_tool.
"""
import hashlib
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest
import safetensors

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOL = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "tests" / "finefp8_safetensors_tool"

# safetensors dtype name -> (TensorSpec dtype, bytes per element or None for packed F4)
DTYPES = {
    "BOOL": ("bool", 1), "U8": ("uint8", 1), "I8": ("int8", 1), "I16": ("int16", 2),
    "U16": ("uint16", 2), "I32": ("int32", 4), "U32": ("uint32", 4), "I64": ("int64", 8),
    "U64": ("uint64", 8), "F16": ("float16", 2), "BF16": ("bfloat16", 2), "F32": ("float32", 4),
    "F64": ("float64", 8), "F8_E4M3": ("float8_e4m3fn", 1), "F8_E5M2": ("float8_e5m2", 1),
    "F8_E4M3FNUZ": ("float8_e4m3fnuz", 1), "F8_E5M2FNUZ": ("float8_e5m2fnuz", 1),
    "F8_E8M0": ("float8_e8m0fnu", 1), "C64": ("complex64", 8),
}


@pytest.fixture(scope="module")
def tool():
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is missing: build the project first (scripts/build.sh)")
    return TOOL


def reference_file(path):
    """Every dtype, odd shapes, a zero-size tensor, metadata; returns {name: (dtype, shape, bytes)}."""
    rng = np.random.default_rng(0)
    tensors, keep = {}, []
    for i, (st, (spec, size)) in enumerate(sorted(DTYPES.items())):
        shape = [3, i + 1]
        raw = rng.integers(0, 256, size=3 * (i + 1) * size, dtype=np.uint8)
        if st == "BOOL":
            raw = raw % 2
        tensors[f"t.{st}"] = (st, shape, raw)
    tensors["t.empty"] = ("F32", [0, 7], np.zeros(0, dtype=np.uint8))
    specs = {}
    for name, (st, shape, raw) in tensors.items():
        keep.append(raw)
        specs[name] = safetensors.TensorSpec(dtype=DTYPES[st][0], shape=shape,
                                             data_ptr=raw.ctypes.data, data_len=raw.nbytes)
    safetensors.serialize_file(specs, str(path), metadata={"format": "pt", "note": "interop"})
    return {name: (st, shape, raw.tobytes()) for name, (st, shape, raw) in tensors.items()}


def dump(tool, path):
    out = subprocess.run([str(tool), "dump", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return {r["name"]: r for r in rows if "name" in r}, [r["metadata"] for r in rows if "metadata" in r]


def test_reads_every_dtype_written_by_safetensors(tool, tmp_path):
    want = reference_file(tmp_path / "ref.safetensors")
    got, metadata = dump(tool, tmp_path / "ref.safetensors")
    assert set(got) == set(want)
    for name, (st, shape, raw) in want.items():
        assert got[name]["dtype"] == st, name
        assert got[name]["shape"] == shape, name
        assert got[name]["sha256"] == hashlib.sha256(raw).hexdigest(), name
    assert metadata == [{"format": "pt", "note": "interop"}]


@pytest.mark.parametrize("max_shard_bytes", [10**9, 64])
def test_files_we_write_load_in_safetensors(tool, tmp_path, max_shard_bytes):
    want = reference_file(tmp_path / "ref.safetensors")
    out = tmp_path / "out"
    subprocess.run([str(tool), "copy", str(tmp_path / "ref.safetensors"), str(out), str(max_shard_bytes)],
                   check=True)
    files = sorted(out.glob("*.safetensors"))
    if max_shard_bytes == 64:
        assert len(files) > 1
        index = json.loads((out / "model.safetensors.index.json").read_text())
        assert set(index["weight_map"]) == set(want)
        assert index["metadata"]["total_size"] == sum(len(raw) for _, _, raw in want.values())
    else:
        assert [f.name for f in files] == ["model.safetensors"]
    seen = {}
    for f in files:
        for name, t in safetensors.deserialize(f.read_bytes()):
            seen[name] = t
            if max_shard_bytes == 64:
                assert index["weight_map"][name] == f.name
    assert set(seen) == set(want)
    for name, (st, shape, raw) in want.items():
        assert list(seen[name]["shape"]) == shape, name
        assert bytes(seen[name]["data"]) == raw, name
        assert seen[name]["dtype"] == st, name


def test_hostile_corpus_is_also_rejected_by_safetensors():
    """Our corpus agrees with the reference: it rejects what we reject (where it checks)."""
    corpus = ROOT / "tests" / "fixtures" / "safetensors_hostile"
    cases = json.loads((corpus / "manifest.json").read_text())["cases"]
    for case in cases:
        data = (corpus / case["file"]).read_bytes()
        if case["expect"] is None:
            safetensors.deserialize(data)
            continue
        with pytest.raises(Exception):
            safetensors.deserialize(data)
