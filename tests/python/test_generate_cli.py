"""`finefp8 generate` end to end on a tiny random Llama with a real tokenizer (the Llama 2 /
Mistral SentencePiece one from ../shared/data): streaming output, determinism, quantize on
load + --save, reloading the saved FP8 model, stop strings, and clear errors.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "finefp8"
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
from tiny_llama import make_tiny_llama  # noqa: E402

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
          "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_key_value_heads": 2, "vocab_size": 32000, "max_position_embeddings": 256,
          "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
          "bos_token_id": 1, "eos_token_id": 2}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_tiny_llama(tmp_path_factory, "gen", CONFIG)


def generate(*args, check=True):
    r = subprocess.run([str(BIN), "generate", *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_greedy_is_deterministic_and_reports_speed(model):
    a = generate("-m", model, "-p", "The capital of France is", "-n", "12", "--temperature", "0")
    b = generate("-m", model, "-p", "The capital of France is", "-n", "12", "--temperature", "0", "-t", "1")
    assert a.stdout == b.stdout
    assert a.stdout.startswith("The capital of France is")
    assert "tokens/s" in a.stderr and "resident" in a.stderr
    q = generate("-m", model, "-p", "x", "-n", "2", "-q")
    assert q.stderr == ""


def test_quantize_on_load_save_and_reload(model, tmp_path):
    out = tmp_path / "fp8"
    on_load = generate("-m", model, "-p", "Once upon a time", "-n", "10", "--temperature", "0",
                       "--quantize", "fp8", "--save", out)
    assert (out / "model.safetensors").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "fp8"
    reloaded = generate("-m", out, "-p", "Once upon a time", "-n", "10", "--temperature", "0")
    assert on_load.stdout == reloaded.stdout
    assert "W8A8" in reloaded.stderr
    again = generate("-m", out, "-p", "x", "--quantize", "fp8", check=False)
    assert again.returncode != 0 and "already an FP8 checkpoint" in again.stderr


def test_sampling_is_seeded(model):
    args = ["-m", model, "-p", "Hello", "-n", "10", "--temperature", "1.0", "--top-k", "40",
            "--top-p", "0.95", "--min-p", "0.01", "--repeat-penalty", "1.1"]
    assert generate(*args, "--seed", "7").stdout == generate(*args, "--seed", "7").stdout


def test_stop_string_ends_output(model):
    full = generate("-m", model, "-p", "Hello", "-n", "16", "--temperature", "0", "--ignore-eos").stdout
    tail = full[len("Hello"):].rstrip("\n")
    if len(tail.strip()) < 4:
        pytest.skip("the random model produced too little text to cut")
    stop = tail[len(tail) // 2:len(tail) // 2 + 2]
    cut = generate("-m", model, "-p", "Hello", "-n", "16", "--temperature", "0", "--ignore-eos",
                   "--stop", stop).stdout
    assert cut.rstrip("\n") == "Hello" + tail[:tail.index(stop)]


def test_errors_name_the_problem(model, tmp_path):
    bad = tmp_path / "gpt2"
    shutil.copytree(model, bad)
    cfg = dict(CONFIG, architectures=["GPT2LMHeadModel"], model_type="gpt2")
    (bad / "config.json").write_text(json.dumps(cfg))
    r = generate("-m", bad, "-p", "x", check=False)
    assert r.returncode != 0 and "LlamaForCausalLM" in r.stderr and "GPT2LMHeadModel" in r.stderr
    r = generate("-m", tmp_path / "missing", "-p", "x", check=False)
    assert r.returncode != 0 and "missing" in r.stderr
    r = generate("-m", model, "-p", "x " * 300, "--ctx", "64", check=False)
    assert r.returncode != 0 and "context" in r.stderr
