"""A tiny random Llama with the real Llama 2-family tokenizer of ../shared/data, for CLI tests:
a pytest skip naming the missing data outside CI, a failure under CI (which always has it)."""
import json
import os
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER = ROOT.parent / "shared" / "data" / "tokenizers" / "llama2"
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
import tiny_models  # noqa: E402


def make_tiny_llama(tmp_path_factory, name, config):
    """Writes config.json (`config`), the tokenizer files and random weights into a fresh
    directory and returns it."""
    if not TOKENIZER.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{TOKENIZER} is missing (CI must have ../shared/data)")
        pytest.skip(f"{TOKENIZER} is missing: ../shared/data is not beside the checkout")
    d = tmp_path_factory.mktemp(name) / "tiny-llama"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(config))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TOKENIZER / f, d / f)
    tiny_models.write_weights(d)
    return d
