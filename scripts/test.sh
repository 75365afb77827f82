#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the whole test suite:
#   1. Release build + every C++ test (ctest), exhaustive 2^32 cast checks included;
#   2. the Python checks against the live oracles (pytest: ml_dtypes recomputes the cast
#      tables and must agree with the committed fixtures);
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build running the C++ tests again.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - start )) s)"; }

step "system dependencies"
bash scripts/install_deps.sh
step "python tools and oracles"
bash scripts/setup_python.sh

step "release build"
bash scripts/build.sh
step "C++ tests (release)"
ctest --test-dir build --output-on-failure -j "$(nproc)"

step "Python tests against live oracles"
.venv/bin/python -m pytest -q tests/python

step "sanitizer build (ASan + UBSan)"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFINEFP8_SANITIZE=ON -DFINEFP8_BUILD_BENCH=OFF
cmake --build build-sanitize
step "C++ tests (sanitizers)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"

step "all tests passed"
