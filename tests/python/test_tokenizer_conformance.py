"""`finefp8 tokenize` against the Hugging Face `tokenizers` library (PyPI, pinned in
requirements.txt): for every tokenizer directory, 10,000 strings from the committed generator
(tools/tokenizer_corpus.py) must give identical ids (special-token text parsed and not parsed,
with and without BOS/EOS), and decoding the library's ids must give the library's text (plain,
skipping special tokens, and through the streaming decoder).

Tokenizer directories: every ../shared/data/tokenizers/*/ holding tokenizer.json, the tiny
committed ones in tests/fixtures/tokenizers/ (Metaspace, byte fallback, normalizers, added-token
flags the real ones lack), plus those listed in FINEFP8_TOKENIZER_DIRS (os.pathsep-separated), e.g. SmolLM2's. Without the shared
data the test skips, except under CI, where it fails.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("FINEFP8_BIN", ROOT / os.environ.get("FINEFP8_BUILD_DIR", "build") / "finefp8"))
SHARED = ROOT.parent / "shared" / "data" / "tokenizers"
sys.path.insert(0, str(ROOT / "tools"))
import tokenizer_corpus  # noqa: E402

N_STRINGS = int(os.environ.get("FINEFP8_TOKENIZER_CORPUS", "10000"))


def tokenizer_dirs():
    dirs = sorted(p.parent for p in SHARED.glob("*/tokenizer.json")) if SHARED.is_dir() else []
    if dirs:  # the committed tiny tokenizers (tools/fixtures/gen_tiny_tokenizers.py)
        dirs += sorted(p.parent for p in (ROOT / "tests/fixtures/tokenizers").glob("*/tokenizer.json"))
    extra = os.environ.get("FINEFP8_TOKENIZER_DIRS", "")
    dirs += [pathlib.Path(d) for d in extra.split(os.pathsep) if d]
    return dirs


DIRS = tokenizer_dirs()


def need_data():
    if not DIRS:
        msg = f"no tokenizer directories: {SHARED} is missing"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: build the project first (scripts/build.sh)")


def run_jsonl(model_dir, lines, *flags):
    data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
    p = subprocess.run([str(BIN), "tokenize", "-m", str(model_dir), "--jsonl", *flags], input=data,
                       capture_output=True, check=False)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    out = [json.loads(line) for line in p.stdout.decode().split("\n")[:-1]]
    assert len(out) == len(lines)
    return out


def oracle(model_dir):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def mismatches(corpus, got, want, limit=5):
    bad = [i for i in range(len(corpus)) if got[i] != want[i]]
    detail = [f"{corpus[i][:80]!r}: finefp8 {str(got[i])[:200]} != tokenizers {str(want[i])[:200]}"
              for i in bad[:limit]]
    return len(bad), "\n".join(detail)


def vector_strings():
    """The strings of the llama.cpp vectors (../shared/data/tokenizer-vectors/*.inp)."""
    out = []
    for p in sorted((SHARED.parent / "tokenizer-vectors").glob("*.inp")):
        out += p.read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")[:-1]
    return out


def corpus_for(tok):
    specials = [t.content for t in tok.get_added_tokens_decoder().values()]
    seed = int(os.environ.get("FINEFP8_TOKENIZER_SEED", "20260"))
    return vector_strings() + tokenizer_corpus.make(N_STRINGS, seed=seed, specials=specials)


@pytest.mark.parametrize("model_dir", DIRS or [None], ids=lambda d: d.name if d else "none")
def test_encode_and_decode_match_tokenizers(model_dir):
    need_data()
    tok = oracle(model_dir)
    corpus = corpus_for(tok)

    # Special-token text parsed (the library's default).
    want = [e.ids for e in tok.encode_batch(corpus, add_special_tokens=False)]
    got = run_jsonl(model_dir, corpus, "--parse-special")
    n, detail = mismatches(corpus, got, want)
    assert n == 0, f"{model_dir.name} --parse-special: {n}/{len(corpus)} differ\n{detail}"

    # Special-token text as plain text (the library's encode_special_tokens).
    tok.encode_special_tokens = True
    want_plain = [e.ids for e in tok.encode_batch(corpus, add_special_tokens=False)]
    tok.encode_special_tokens = False
    got = run_jsonl(model_dir, corpus)
    n, detail = mismatches(corpus, got, want_plain)
    assert n == 0, f"{model_dir.name} plain: {n}/{len(corpus)} differ\n{detail}"

    # BOS/EOS as the post-processor adds them.
    sub = corpus[:500]
    want_bos = [e.ids for e in tok.encode_batch(sub, add_special_tokens=True)]
    got = run_jsonl(model_dir, sub, "--parse-special", "--add-special")
    n, detail = mismatches(sub, got, want_bos)
    assert n == 0, f"{model_dir.name} --add-special: {n}/{len(sub)} differ\n{detail}"

    # Decoding the library's ids.
    for flags, skip in [((), False), (("--skip-special",), True), (("--stream", "--skip-special"), True)]:
        want_text = tok.decode_batch(want, skip_special_tokens=skip)
        got = run_jsonl(model_dir, want, "--decode", *flags)
        n, detail = mismatches(corpus, got, want_text)
        assert n == 0, f"{model_dir.name} decode {flags}: {n}/{len(corpus)} differ\n{detail}"
