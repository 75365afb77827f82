"""`finefp8 perplexity` and `finefp8 bench` end to end on a tiny random Llama with a real
tokenizer (the Llama 2 SentencePiece one from ../shared/data, which adds BOS), built as
test_generate_cli.py builds its model: output formats parse, results are finite and
reproducible, --compare and every bench output format work, and bad input fails with a
message that names the problem.
"""
import csv
import io
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "finefp8"
MODEL_TOOL = BIN.parent / "tests" / "finefp8_model_tool"
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
from tiny_llama import make_tiny_llama  # noqa: E402

# hidden 128 / intermediate 256: q, o and the MLP are whole 128x128 blocks, so the FP8
# configs really quantize (k/v, 64 rows, stay bf16 under --ragged auto).
CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 128,
          "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_key_value_heads": 2, "vocab_size": 32000, "max_position_embeddings": 256,
          "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
          "bos_token_id": 1, "eos_token_id": 2}

# Genesis 1:1-10, King James Version (public domain), three times: ~1000 tokens.
TEXT = """In the beginning God created the heaven and the earth. And the earth was without form,
and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face
of the waters. And God said, Let there be light: and there was light. And God saw the light,
that it was good: and God divided the light from the darkness. And God called the light Day,
and the darkness he called Night. And the evening and the morning were the first day. And God
said, Let there be a firmament in the midst of the waters, and let it divide the waters from
the waters. And God made the firmament, and divided the waters which were under the firmament
from the waters which were above the firmament: and it was so. And God called the firmament
Heaven. And the evening and the morning were the second day. And God said, Let the waters under
the heaven be gathered together unto one place, and let the dry land appear: and it was so. And
God called the dry land Earth; and the gathering together of the waters called he Seas: and God
saw that it was good.
""" * 3

CTX, CHUNKS = 64, 4
SCORED = CHUNKS * (CTX - CTX // 2 - 1)
BENCH_KEYS = {"model", "config", "weight_bytes", "parameters", "threads", "test", "n_prompt",
              "n_gen", "tps_mean", "tps_sd", "rss_bytes", "peak_rss_bytes", "samples"}
FINAL = re.compile(r"^Final estimate: PPL = (\d+\.\d{4}) \+/- (\d+\.\d{5})$", re.M)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_tiny_llama(tmp_path_factory, "ppl", CONFIG)


@pytest.fixture(scope="module")
def fp8_model(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("ppl-fp8") / "tiny-llama-fp8"
    r = subprocess.run([str(BIN), "quantize", str(model), str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    p = tmp_path_factory.mktemp("text") / "genesis.txt"
    p.write_text(TEXT)
    return p


def finefp8(*args, check=True, input=None):
    r = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=600, input=input)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def perplexity(model, text, *args, check=True):
    return finefp8("perplexity", "-m", model, "-f", text, "--ctx", CTX, "--chunks", CHUNKS, *args, check=check)


def parse_text_output(stdout):
    running, final = stdout.split("\n", 1)
    chunks = re.fullmatch(r"((?:\[\d+\]\d+\.\d{4},)+)", running)
    assert chunks, stdout
    values = [float(v) for v in re.findall(r"\[\d+\](\d+\.\d{4}),", running)]
    m = FINAL.search(final)
    assert m, stdout
    return values, float(m.group(1)), float(m.group(2))


def test_text_output_is_llama_cpp_format_and_reproducible(model, text):
    a = perplexity(model, text, "-t", "1")
    values, ppl, sd = parse_text_output(a.stdout)
    assert len(values) == CHUNKS and values[-1] == ppl
    assert math.isfinite(ppl) and ppl > 1 and 0 < sd < ppl
    assert "BOS" in a.stderr and "tokens scored" in a.stderr
    assert perplexity(model, text, "-t", "1").stdout == a.stdout
    assert perplexity(model, text, "-t", "2").stdout == a.stdout


def test_json_output(model, text):
    values, ppl, sd = parse_text_output(perplexity(model, text).stdout)
    j = json.loads(perplexity(model, text, "--json").stdout)
    for k in ("ppl", "ppl_sd", "tokens_scored", "chunks", "seconds", "tokens_per_second", "peak_rss_bytes"):
        assert k in j, k
    assert j["chunks"] == CHUNKS and j["tokens_scored"] == SCORED and j["bos"] is True
    assert round(j["ppl"], 4) == ppl and round(j["ppl_sd"], 5) == sd
    assert j["tokens_per_second"] > 0 and j["peak_rss_bytes"] > 0


def parse_table(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert set(lines[1].replace("|", "").replace("-", "").replace(":", "")) <= {" ", ""}
    return [dict(zip(header, (c.strip() for c in l.strip("|").split("|")))) for l in lines[2:]]


def test_compare_table_and_json(model, text):
    rows = parse_table(perplexity(model, text, "--compare").stdout)
    assert [r["config"] for r in rows] == ["bf16", "w8a16", "w8a8"]
    base_ppl = float(rows[0]["PPL"].split(" ± ")[0])
    assert rows[0]["ratio"] == "1.0000" and float(rows[0]["mean KL"]) == 0 and rows[0]["top-1 agree"] == "100.000%"
    for r in rows[1:]:
        ppl, sd = (float(x) for x in r["PPL"].split(" ± "))
        assert math.isfinite(ppl) and sd > 0
        assert abs(float(r["ratio"]) - ppl / base_ppl) < 1e-3
        assert 0 <= float(r["mean KL"]) <= float(r["99.9% KL"]) + 1e-6
        assert 0 <= float(r["top-1 agree"].rstrip("%")) <= 100
    j = json.loads(perplexity(model, text, "--compare", "--json").stdout)
    variants = {v["config"]: v for v in j["variants"]}
    assert variants["w8a8"]["kl_mean"] > 0  # the FP8 weights really differ
    # The baseline is the model as loaded; each FP8 row is what --quantize fp8 --mode gives.
    assert parse_text_output(perplexity(model, text).stdout)[1] == round(variants["bf16"]["ppl"], 4)
    single = perplexity(model, text, "--quantize", "fp8", "--mode", "w8a16", "--json").stdout
    assert json.loads(single)["ppl"] == pytest.approx(variants["w8a16"]["ppl"], rel=1e-12)


def window_logits(model, ids, *args):
    """Logits [len(ids), vocab] from the runtime test driver, one forward of `ids`."""
    r = subprocess.run([str(MODEL_TOOL), "run", str(model), "--prompt", ",".join(map(str, ids)),
                        "--steps", "1", *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return np.array(json.loads(r.stdout)["logits"], dtype=np.float64)


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def test_compare_matches_numpy_on_the_driver_logits(model, text):
    """Recomputes --compare's numbers for two windows from logits dumped by another program."""
    r = finefp8("tokenize", "-m", model, "--jsonl", "--add-special", input=json.dumps(TEXT) + "\n")
    ids = json.loads(r.stdout)
    assert ids[0] == 1  # the Llama 2 tokenizer adds BOS
    first = CTX // 2
    nll = {"bf16": [], "w8a8": []}
    kl, top1 = [], []
    for chunk in range(2):
        window = [1] + ids[chunk * CTX + 1:(chunk + 1) * CTX]
        lp = {"bf16": log_softmax(window_logits(model, window)),
              "w8a8": log_softmax(window_logits(model, window, "--quantize", "--mode", "w8a8"))}
        rows, targets = slice(first, CTX - 1), window[first + 1:]
        for k in nll:
            nll[k] += list(-lp[k][rows][np.arange(len(targets)), targets])
        p = np.exp(lp["bf16"][rows])
        kl += list((p * (lp["bf16"][rows] - lp["w8a8"][rows])).sum(axis=-1))
        top1 += list(lp["bf16"][rows].argmax(-1) == lp["w8a8"][rows].argmax(-1))
    j = json.loads(finefp8("perplexity", "-m", model, "-f", text, "--ctx", CTX, "--chunks", 2,
                           "--compare", "--json").stdout)
    v = {x["config"]: x for x in j["variants"]}
    for k, x in nll.items():
        x = np.array(x)
        ppl = math.exp(x.mean())
        assert v[k]["ppl"] == pytest.approx(ppl, rel=1e-9)
        assert v[k]["ppl_sd"] == pytest.approx(ppl * math.sqrt(x.var() / (len(x) - 1)), rel=1e-6)
    assert v["w8a8"]["kl_mean"] == pytest.approx(np.mean(kl), rel=1e-5)
    assert v["w8a8"]["kl_p999"] == pytest.approx(np.percentile(np.float32(kl), 99.9), rel=1e-5)
    assert v["w8a8"]["top1_agreement"] == pytest.approx(np.mean(top1), abs=1e-12)


def test_compare_on_fp8_checkpoint_uses_dequantized_baseline(fp8_model, text):
    j = json.loads(perplexity(fp8_model, text, "--compare", "--json").stdout)
    assert [v["config"] for v in j["variants"]] == ["bf16", "w8a16", "w8a8"]
    dq = json.loads(perplexity(fp8_model, text, "--dequantize", "--json").stdout)
    assert dq["config"] == "FP8 dequantized to bf16"
    assert dq["ppl"] == pytest.approx(j["variants"][0]["ppl"], rel=1e-12)


def bench(model, *args, check=True):
    return finefp8("bench", "-m", model, "-p", "16", "-n", "4", "-r", "2", *args, check=check)


def test_bench_json(model):
    rows = json.loads(bench(model, "-o", "json").stdout)
    assert [(r["config"], r["test"]) for r in rows] == [
        (c, t) for c in ("bf16", "w8a16", "w8a8") for t in ("pp16", "tg4")]
    for r in rows:
        assert set(r) == BENCH_KEYS
        assert len(r["samples"]) == 2 and all(s > 0 for s in r["samples"])
        assert r["tps_mean"] > 0 and r["tps_sd"] >= 0 and r["rss_bytes"] > 0 and r["peak_rss_bytes"] >= r["rss_bytes"]
        assert (r["n_prompt"], r["n_gen"]) == ((16, 0) if r["test"] == "pp16" else (0, 4))
        assert r["model"] == "tiny-llama" and r["threads"] >= 1
    bf16, w8a8 = rows[0], rows[4]
    assert w8a8["weight_bytes"] < bf16["weight_bytes"] and w8a8["parameters"] == bf16["parameters"]


def test_bench_csv_and_md(model, fp8_model):
    out = bench(model, "-o", "csv", "--configs", "w8a8", "-t", "1").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert set(rows[0]) == BENCH_KEYS and [r["test"] for r in rows] == ["pp16", "tg4"]
    assert rows[0]["threads"] == "1" and len(rows[0]["samples"].split(";")) == 2
    md = bench(fp8_model, "--configs", "bf16,w8a8").stdout
    table = parse_table(md)
    assert [(r["config"], r["test"]) for r in table] == [("bf16", "pp16"), ("bf16", "tg4"), ("w8a8", "pp16"), ("w8a8", "tg4")]
    assert all(re.fullmatch(r"\d+\.\d\d ± \d+\.\d\d", r["t/s"]) for r in table)


@pytest.mark.parametrize("args, message", [
    (["perplexity", "-m", "{model}", "-f", "{missing}"], "no such text file"),
    (["perplexity", "-m", "{missing}", "-f", "{text}"], "missing"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--ctx", "4096"], "fewer than one window of --ctx 4096"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--ctx", "2"], "--ctx"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--compare", "--mode", "w8a8"], "--compare loads its own configs"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--dequantize"], "not an FP8 checkpoint"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--no-such-flag"], "--no-such-flag"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "--chunks", "-1"], "--chunks"),
    (["perplexity", "-m", "{model}", "-f", "{text}", "-t", "-3"], "--threads"),
    (["bench", "-m", "{model}", "--configs", "bf16,fp4"], "'fp4' is not a config"),
    (["bench", "-m", "{model}", "-p", "0", "-n", "0"], "nothing to time"),
    (["bench", "-m", "{model}", "-o", "xml"], "xml"),
    (["bench", "-m", "{model}", "-r", "0"], "--repetitions"),
    (["bench", "-m", "{model}", "-p", "-5"], "--n-prompt"),
    (["bench", "-m", "{missing}"], "missing"),
])
def test_errors_name_the_problem(model, text, tmp_path, args, message):
    subst = {"model": model, "text": text, "missing": tmp_path / "missing"}
    r = finefp8(*(a.format(**subst) for a in args), check=False)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert "internal error" not in r.stderr and "terminate" not in r.stderr
