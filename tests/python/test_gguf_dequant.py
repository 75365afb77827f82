"""finefp8's GGUF dequantization against the reference: the `gguf` package (PyPI, pinned in
requirements.txt). For each of the 11 supported types, a GGUF file written by gguf.GGUFWriter
holding quantized blocks (gguf.quants.quantize where the package implements it, else random
blocks with sane fp16 scales; all 65536 bit patterns for F16 and BF16) must dequantize in
finefp8 bit for bit as gguf.quants.dequantize does.

Needs the C++ build: FINEFP8_BUILD_DIR (default build/) must hold
tests/gguf/finefp8_gguf_tool.
"""
import os
import pathlib
import subprocess

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOL = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "tests" / "gguf" / "finefp8_gguf_tool"

QUANTIZABLE = [Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0]
K_QUANTS = [Q.Q4_K, Q.Q5_K, Q.Q6_K]
ROWS, COLS = 8, 512


@pytest.fixture(scope="module")
def tool():
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is missing: build the project first (scripts/build.sh)")
    return TOOL


def fp16_bytes(rng, n, lo, hi):
    sign = rng.choice([-1.0, 1.0], size=n)
    return (sign * rng.uniform(lo, hi, size=n)).astype(np.float16).view(np.uint8).reshape(n, 2)


def random_blocks(rng, qtype, n_blocks):
    """Random blocks whose fp16 fields are finite scales; every other byte random."""
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    b = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    if qtype in (Q.Q4_0, Q.Q5_0, Q.Q8_0):
        b[:, 0:2] = fp16_bytes(rng, n_blocks, 1e-6, 2.0)
    elif qtype in (Q.Q4_1, Q.Q5_1, Q.Q4_K, Q.Q5_K):
        b[:, 0:2] = fp16_bytes(rng, n_blocks, 1e-6, 2.0)
        b[:, 2:4] = fp16_bytes(rng, n_blocks, 1e-6, 2.0)
    elif qtype == Q.Q6_K:
        b[:, block_bytes - 2:] = fp16_bytes(rng, n_blocks, 1e-6, 2.0)
    return b.reshape(-1)


def cases():
    rng = np.random.default_rng(8)
    out = []  # (name, qtype, raw uint8 bytes, rows, cols)
    every16 = np.arange(65536, dtype=np.uint16)
    out.append(("f32", Q.F32, rng.normal(0, 1, ROWS * COLS).astype(np.float32).view(np.uint8), ROWS, COLS))
    out.append(("f16_all", Q.F16, every16.view(np.uint8), 1, 65536))
    out.append(("bf16_all", Q.BF16, every16.view(np.uint8), 1, 65536))
    x = rng.normal(0, 0.05, size=(ROWS, COLS)).astype(np.float32)
    x[0, :64] = 0.0  # an all-zero block
    for qtype in QUANTIZABLE:
        out.append((f"{qtype.name.lower()}_quantized", qtype, gguf.quants.quantize(x, qtype).reshape(-1), ROWS, COLS))
    for qtype in QUANTIZABLE + K_QUANTS:
        block_elems, _ = gguf.GGML_QUANT_SIZES[qtype]
        n_blocks = ROWS * COLS // block_elems
        out.append((f"{qtype.name.lower()}_random", qtype, random_blocks(rng, qtype, n_blocks), ROWS, COLS))
    return out


@pytest.fixture(scope="module")
def gguf_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gguf") / "types.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    for name, qtype, raw, rows, cols in cases():
        block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        # uint8 rows of blocks; the writer derives the element shape (rows, cols) from them.
        w.add_tensor(name, raw.reshape(rows, cols // block_elems * block_bytes), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_all_eleven_types_are_covered():
    assert {q for _, q, _, _, _ in cases()} == {Q.F32, Q.F16, Q.BF16, *QUANTIZABLE, *K_QUANTS}


@pytest.mark.parametrize("name,qtype,raw,rows,cols", cases(), ids=[c[0] for c in cases()])
def test_dequantization_is_bit_identical(tool, gguf_file, tmp_path, name, qtype, raw, rows, cols):
    out = tmp_path / f"{name}.f32"
    subprocess.run([str(tool), "dequant", str(gguf_file), name, str(out)], check=True)
    ours = np.fromfile(out, dtype=np.float32)
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    ref = gguf.quants.dequantize(raw.reshape(rows, cols // block_elems * block_bytes), qtype)
    ref = np.asarray(ref, dtype=np.float32).reshape(-1)
    assert ours.shape == ref.shape
    mismatch = np.flatnonzero(ours.view(np.uint32) != ref.view(np.uint32))
    assert mismatch.size == 0, (
        f"{name}: {mismatch.size} of {ref.size} values differ, first at {mismatch[0]}: "
        f"finefp8 {ours[mismatch[0]]!r} vs gguf {ref[mismatch[0]]!r}")
