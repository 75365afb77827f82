"""The real built-in model end to end: SmolLM2-135M-Instruct's GGUF, converted by
`finefp8 convert`, generates what transformers generates from the same GGUF.

Oracle: tests/fixtures/smollm2/generation.json (tools/fixtures/gen_smollm2_generation_oracle.py,
transformers 5.25 + torch, run by hand): greedy continuations of 5 prompts (3 raw, 2 chat),
40 steps each, EOS ignored, with each step's top-2 logit gap relative to the logit range.
  - fp32 compute over the converted bf16 weights (`--dtype f32`) against transformers' fp32 run
    of the same bf16-rounded weights: only summation order differs, so the continuations must
    be identical unless a step's top-2 gap is below 1e-4 of the range (the issue's fp32 logit
    tolerance), which the fixture shows never happens here;
  - bf16 compute against transformers' bf16 run: identical except at steps whose gap is within
    the bf16 logit tolerance of tests/python/test_runtime_golden.py (2e-2), printed if any;
  - the FP8 checkpoint (`convert --quantize fp8`, W8A8) says "Paris" after "The capital of
    France is", and on a fixed text its next-token distributions stay close to bf16's (mean
    KL and top-1 agreement printed and bounded).

Needs the C++ build (FINEFP8_BUILD_DIR, default build/) and the GGUF (scripts/fetch_smollm2.sh,
or FINEFP8_SMOLLM2_GGUF).
"""
import hashlib
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest
from tokenizers import Tokenizer

from greedy_check import check_greedy

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build")
FINEFP8 = BUILD / "finefp8"
TOOL = BUILD / "tests" / "finefp8_model_tool"
ORACLE = json.loads((ROOT / "tests/fixtures/smollm2/generation.json").read_text())

F32_TIE_TOL = 1e-4
BF16_TIE_TOL = 2e-2
FIXED_TEXT = (
    "The French Revolution was a period of political and societal change in France that began "
    "with the Estates General of 1789 and ended with the coup of 18 Brumaire in November 1799 "
    "and the formation of the French Consulate. Many of its ideas are considered fundamental "
    "principles of liberal democracy, while its values and institutions remain central to "
    "modern French political discourse.")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    for exe in (FINEFP8, TOOL):
        if not exe.exists():
            pytest.fail(f"{exe} is missing: build the project first (scripts/build.sh)")
    gguf = os.environ.get("FINEFP8_SMOLLM2_GGUF")
    if not gguf:
        r = subprocess.run(["bash", str(ROOT / "scripts/fetch_smollm2.sh")], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.fail(f"scripts/fetch_smollm2.sh failed:\n{r.stderr}")
        gguf = r.stdout.strip().splitlines()[-1]
    gguf = pathlib.Path(gguf)
    assert hashlib.sha256(gguf.read_bytes()).hexdigest() == ORACLE["gguf_sha256"]
    out = tmp_path_factory.mktemp("smollm2-gen")
    for name, extra in (("bf16", []), ("fp8", ["--quantize", "fp8"])):
        r = subprocess.run([str(FINEFP8), "convert", "-q", *extra, str(gguf), str(out / name)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    return out


def run_tool(model_dir, *args):
    prompts = [a for p in ORACLE["prompts"] for a in ("--prompt", ",".join(map(str, p)))]
    r = subprocess.run([str(TOOL), "run", str(model_dir), *args, *prompts,
                        "--steps", str(ORACLE["steps"])], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_fp32_greedy_equals_transformers(converted):
    got = run_tool(converted / "bf16", "--dtype", "f32")
    check_greedy(got["greedy"], ORACLE["runs"]["f32_bf16_weights"], F32_TIE_TOL, "f32")


def test_bf16_greedy_equals_transformers(converted):
    got = run_tool(converted / "bf16", "--dtype", "bf16")
    check_greedy(got["greedy"], ORACLE["runs"]["bf16"], BF16_TIE_TOL, "bf16")


def test_fp8_capital_of_france_is_paris(converted):
    r = subprocess.run([str(FINEFP8), "generate", "-m", str(converted / "fp8"), "-p",
                        "The capital of France is", "--chat", "off", "-n", "12", "--temperature", "0",
                        "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    print("FP8:", repr(r.stdout))
    assert "Paris" in r.stdout


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("mode", ["w8a8", "w8a16"])
def test_fp8_stays_close_to_bf16_on_a_fixed_text(converted, mode):
    ids = Tokenizer.from_file(str(converted / "bf16" / "tokenizer.json")).encode(
        FIXED_TEXT, add_special_tokens=False).ids
    assert len(ids) > 60

    def logits(model_dir, *args):
        r = subprocess.run([str(TOOL), "run", str(model_dir), *args, "--prompt", ",".join(map(str, ids)),
                            "--steps", "1"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return log_softmax(json.loads(r.stdout)["logits"])

    base = logits(converted / "bf16", "--dtype", "bf16")
    fp8 = logits(converted / "fp8", "--mode", mode)
    kl = (np.exp(base) * (base - fp8)).sum(axis=-1)
    top1 = float((base.argmax(-1) == fp8.argmax(-1)).mean())
    print(f"FP8 {mode} vs bf16 on {len(ids)} tokens: mean KL {kl.mean():.4f}, max KL {kl.max():.4f}, "
          f"top-1 agreement {top1:.3f}")
    assert kl.mean() < 0.05 and top1 >= 0.85, (kl.mean(), top1)
