#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the whole test suite:
#   1. Release build + every C++ test (ctest), exhaustive 2^32 cast checks included;
#   2. the Python checks against the live oracles (pytest: ml_dtypes recomputes the cast
#      tables and must agree with the committed fixtures);
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build running the C++ tests again;
#   4. the libFuzzer targets (clang, ASan + UBSan), FINEFP8_FUZZ_SECONDS (default 30) each.
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

step "real GGUF for the converter tests (SmolLM2-135M Q4_1, cached in ~/.cache/finefp8)"
FINEFP8_SMOLLM2_GGUF="${FINEFP8_SMOLLM2_GGUF:-$(bash scripts/fetch_smollm2.sh | tail -1)}"
export FINEFP8_SMOLLM2_GGUF

step "Python tests against live oracles"
.venv/bin/python -m pytest -q --durations=12 tests/python

step "sanitizer build (ASan + UBSan)"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFINEFP8_SANITIZE=ON -DFINEFP8_BUILD_BENCH=OFF
cmake --build build-sanitize
step "C++ tests (sanitizers)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"
gguf_out=$(mktemp -d)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build-sanitize/finefp8 convert -q --quantize fp8 "$FINEFP8_SMOLLM2_GGUF" "$gguf_out/fp8"
rm -rf "$gguf_out"

step "fuzzing (libFuzzer + ASan/UBSan, ${FINEFP8_FUZZ_SECONDS:-30} s per target)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DFINEFP8_FUZZ=ON
cmake --build build-fuzz
for target in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$target" | sed 's/^fuzz_//')
  work=$(mktemp -d)
  # New inputs go to the scratch directory; the committed seed corpus stays as it is.
  rc=0
  "$target" -max_total_time="${FINEFP8_FUZZ_SECONDS:-30}" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work" "fuzz/corpus/$name" > "$work.log" 2>&1 || rc=$?
  grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|Done)" "$work.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "$work.log"
    echo "fuzz_$name failed (exit $rc); reproducer(s):" "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
    exit 1
  fi
  rm -f "$work.log"
  rm -rf "$work"
done

step "all tests passed"
