#!/usr/bin/env bash
# Configures and builds finefp8 into build/ (Release) — the CLI lands at build/finefp8.
#   scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build
