#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs finefp8's main job on the
# built-in default. Until the default model lands that job is the FP8 quantize/dequantize
# round trip of a generated weight tensor.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
./build/finefp8 cpu-info
./build/finefp8 roundtrip "$@"
