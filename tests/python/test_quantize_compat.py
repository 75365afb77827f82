"""`finefp8 quantize` still writes exactly the bytes that transformers was shown to load
(tests/fixtures/tiny_models/compat.json, made by tools/fixtures/gen_quantize_compat.py with
the pinned torch/transformers): the tiny models are rebuilt here with numpy only, quantized with
every --ragged policy, and each written tensor must hash to what the oracle run recorded.
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import safetensors

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "finefp8"
FIX = ROOT / "tests" / "fixtures" / "tiny_models"
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
import tiny_models  # noqa: E402

COMPAT = json.loads((FIX / "compat.json").read_text())
CASES = [(m, v) for m, e in COMPAT["models"].items() for v in e["variants"]]


@pytest.mark.parametrize("model,variant", CASES)
def test_quantize_writes_the_bytes_transformers_loaded(tmp_path, model, variant):
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: build the project first (scripts/build.sh)")
    src = tmp_path / model
    shutil.copytree(FIX / model, src)
    tiny_models.write_weights(src)
    expect = COMPAT["models"][model]["variants"][variant]
    out = tmp_path / "out"
    subprocess.run([str(BIN), "quantize", str(src), str(out), "-q"] + expect["args"], check=True,
                   capture_output=True)
    got = {name: hashlib.sha256(bytes(t["data"])).hexdigest()
           for name, t in safetensors.deserialize((out / "model.safetensors").read_bytes())}
    assert got == expect["finefp8_tensors_sha256"]
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"] == expect["quantization_config"]


def test_default_policy_is_never_misread_silently():
    """What the oracle run found, as a contract: with the default --ragged auto, transformers
    either loads the checkpoint with weights identical to `finefp8 dequantize`, or refuses it."""
    for model, entry in COMPAT["models"].items():
        v = entry["variants"]["auto"]
        if v["transformers_loads"]:
            assert v["dequantized_weights_identical"] in (True, "no FP8 weights"), model
            assert v["logits"]["rel_rms_error"] < 0.1, model
        for name, v in entry["variants"].items():
            if v["transformers_loads"] and v["dequantized_weights_identical"] is False:
                assert name == "ceil", (model, name)  # only the explicit DeepSeek-format option
