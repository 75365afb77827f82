"""`finefp8 convert` on a real GGUF against transformers: SmolLM2-135M-Instruct Q4_1 (~93 MB,
fetched once by scripts/fetch_smollm2.sh, or named by FINEFP8_SMOLLM2_GGUF). The oracle,
tests/fixtures/smollm2/oracle.json, is what transformers 5.25 (from_pretrained(...,
gguf_file=...)) built from the same file (tools/fixtures/gen_smollm2_oracle.py; torch never
runs here):
  - every tensor: the same name and shape; our fp32 dequantization (Q/K rows unpermuted)
    hashes as its state dict does, and our bf16 output as its fp32 -> bf16 cast does;
  - config.json and generation_config.json carry its values;
  - our tokenizer.json, loaded by the `tokenizers` package, gives its ids on fixed strings and
    on its rendered chat template; bos/eos/pad/unk and the chat template match;
  - `convert --quantize fp8` equals `convert` then `quantize`, byte for byte.

Needs the C++ build: FINEFP8_BUILD_DIR (default build/) with finefp8 and
tests/gguf/finefp8_gguf_tool.
"""
import hashlib
import json
import os
import pathlib
import subprocess
import time

import ml_dtypes  # noqa: F401  (registers bfloat16 with numpy for safetensors.numpy)
import numpy as np
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build")
FINEFP8 = BUILD / "finefp8"
TOOL = BUILD / "tests" / "gguf" / "finefp8_gguf_tool"
ORACLE = json.loads((ROOT / "tests/fixtures/smollm2/oracle.json").read_text())

CONFIG_KEYS = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
               "num_attention_heads", "num_key_value_heads", "head_dim", "hidden_act",
               "max_position_embeddings", "rms_norm_eps", "rope_parameters", "tie_word_embeddings",
               "attention_bias", "mlp_bias", "bos_token_id", "eos_token_id", "pad_token_id",
               "initializer_range", "pretraining_tp", "attention_dropout"]


@pytest.fixture(scope="module")
def gguf_path():
    env = os.environ.get("FINEFP8_SMOLLM2_GGUF")
    if env:
        return pathlib.Path(env)
    r = subprocess.run(["bash", str(ROOT / "scripts/fetch_smollm2.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"scripts/fetch_smollm2.sh failed:\n{r.stderr}")
    path = pathlib.Path(r.stdout.strip().splitlines()[-1])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ORACLE["gguf_sha256"]
    return path


@pytest.fixture(scope="module")
def converted(gguf_path, tmp_path_factory):
    for exe in (FINEFP8, TOOL):
        if not exe.exists():
            pytest.fail(f"{exe} is missing: build the project first (scripts/build.sh)")
    out = tmp_path_factory.mktemp("smollm2") / "bf16"
    start = time.monotonic()
    subprocess.run([str(FINEFP8), "convert", "-q", str(gguf_path), str(out)], check=True)
    print(f"finefp8 convert: {time.monotonic() - start:.2f} s")
    return out


def test_tensors_equal_transformers_dequantization(gguf_path, converted):
    ours = load_file(str(converted / "model.safetensors"))
    assert sorted(ours) == sorted(ORACLE["tensors"])
    for name, want in ORACLE["tensors"].items():
        t = ours[name]
        assert list(t.shape) == want["shape"], name
        assert hashlib.sha256(t.view(np.uint16).tobytes()).hexdigest() == want["sha256_bf16"], name
    # fp32: the exact dequantization, before the bf16 rounding.
    hashes = json.loads(subprocess.run([str(TOOL), "hf-hashes", str(gguf_path)], check=True,
                                       capture_output=True, text=True).stdout)
    for name, want in ORACLE["tensors"].items():
        assert hashes[name]["sha256_f32"] == want["sha256_f32"], name


def test_config_matches_transformers(converted):
    config = json.loads((converted / "config.json").read_text())
    for key in CONFIG_KEYS:
        assert config[key] == ORACLE["config"][key], key
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert config["dtype"] == "bfloat16"
    gen = json.loads((converted / "generation_config.json").read_text())
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        assert gen[key] == ORACLE["generation_config"][key], key


def test_tokenizer_gives_transformers_ids(converted):
    tok = Tokenizer.from_file(str(converted / "tokenizer.json"))
    want = ORACLE["tokenizer"]
    assert tok.get_vocab_size(with_added_tokens=True) == want["vocab_size"]
    for e in want["encodings"]:
        assert tok.encode(e["text"], add_special_tokens=False).ids == e["ids"], repr(e["text"])
        assert tok.encode(e["text"]).ids == e["ids_with_special"], repr(e["text"])
        assert tok.decode(e["ids"], skip_special_tokens=False) == e["decoded"], repr(e["text"])
    assert tok.encode(want["chat_text"], add_special_tokens=False).ids == want["chat_ids"]
    config = json.loads((converted / "tokenizer_config.json").read_text())
    for key in ("bos_token", "eos_token", "pad_token", "unk_token", "chat_template"):
        assert config[key] == want[key], key


def test_fp8_equals_convert_then_quantize(gguf_path, converted, tmp_path):
    direct, two_step = tmp_path / "direct", tmp_path / "two_step"
    subprocess.run([str(FINEFP8), "convert", "-q", "--quantize", "fp8", str(gguf_path), str(direct)], check=True)
    subprocess.run([str(FINEFP8), "quantize", "-q", str(converted), str(two_step)], check=True,
                   capture_output=True)
    names = sorted(p.name for p in two_step.iterdir())
    assert names == sorted(p.name for p in direct.iterdir())
    for name in names:
        assert (direct / name).read_bytes() == (two_step / name).read_bytes(), name
