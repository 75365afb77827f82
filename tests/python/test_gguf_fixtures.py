"""The committed GGUF fixtures: the hostile corpus is exactly what its generator writes, and
the transformers oracles were made with the pinned versions."""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
import gen_hostile_gguf  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def pins(path):
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / path).read_text(), re.M))


def test_hostile_corpus_is_what_the_generator_writes():
    manifest = json.loads((FIXTURES / "gguf_hostile" / "manifest.json").read_text())["cases"]
    assert [c["file"] for c in manifest] == [name + ".gguf" for name, _, _ in gen_hostile_gguf.CASES]
    for (name, data, expect), case in zip(gen_hostile_gguf.CASES, manifest):
        assert (FIXTURES / "gguf_hostile" / case["file"]).read_bytes() == data, name
        assert case["expect"] == expect, name


def test_oracles_were_made_with_the_pinned_transformers():
    heavy = pins("tools/fixtures/requirements-oracle.txt")
    smol = json.loads((FIXTURES / "smollm2" / "oracle.json").read_text())["versions"]
    assert smol["transformers"] == heavy["transformers"]
    assert smol["torch"].split("+")[0] == heavy["torch"]
    tiny = json.loads((FIXTURES / "gguf_tokenizers.json").read_text())
    assert tiny["transformers"] == heavy["transformers"]
