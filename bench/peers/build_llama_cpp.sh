#!/usr/bin/env bash
# Builds the llama.cpp peer for bench/side_by_side.py: llama-bench, llama-perplexity and
# llama-quantize, from the llama.cpp that the PyPI sdist llama-cpp-python==0.3.36 vendors
# (vendor/llama.cpp). Nothing of llama.cpp is committed here: the sdist is downloaded once
# with `pip download` into ${XDG_CACHE_HOME:-$HOME/.cache}/finefp8/peers/, its SHA-256 is
# checked, it is extracted there and built with CMake + Ninja (Release, GGML_NATIVE=ON,
# LLAMA_CURL=OFF) in a scratch build directory under the same cache. Idempotent: a complete
# earlier build is reused. Prints the bin directory on its last line of stdout.
#   FINEFP8_PEERS_DIR   cache directory (default as above)
#   FINEFP8_LLAMA_SDIST an already downloaded llama_cpp_python-0.3.36.tar.gz (offline)
#   JOBS                parallel build jobs (default: all cores)
set -euo pipefail
VERSION=0.3.36
SDIST_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
PEERS="${FINEFP8_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/finefp8/peers}"
SDIST="$PEERS/llama_cpp_python-$VERSION.tar.gz"
SRC="$PEERS/llama_cpp_python-$VERSION"
LLAMA="$SRC/vendor/llama.cpp"
BUILD="$PEERS/build-llama.cpp-$VERSION"
BIN="$BUILD/bin"
TOOLS=(llama-bench llama-perplexity llama-quantize)
STAMP="$BUILD/.finefp8-complete"

sha() { sha256sum "$1" | cut -d' ' -f1; }
log() { echo "build_llama_cpp: $*" >&2; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SDIST_SHA" ]; then
  ok=1
  for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || ok=0; done
  if [ "$ok" = 1 ]; then echo "$BIN"; exit 0; fi
fi
for tool in cmake ninja c++; do
  command -v "$tool" >/dev/null || { log "needs $tool (sudo bash scripts/install_deps.sh)"; exit 1; }
done
mkdir -p "$PEERS"
if [ -n "${FINEFP8_LLAMA_SDIST:-}" ] && [ ! -f "$SDIST" ]; then cp "$FINEFP8_LLAMA_SDIST" "$SDIST"; fi
if [ ! -f "$SDIST" ] || [ "$(sha "$SDIST")" != "$SDIST_SHA" ]; then
  rm -f "$SDIST"
  PY=python3
  log "downloading the llama-cpp-python==$VERSION sdist from PyPI (~77 MB) into $PEERS"
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$PEERS" "llama-cpp-python==$VERSION" >&2
fi
if [ "$(sha "$SDIST")" != "$SDIST_SHA" ]; then
  log "$SDIST has sha256 $(sha "$SDIST"), expected $SDIST_SHA; deleting it"
  rm -f "$SDIST"
  exit 1
fi
if [ ! -f "$LLAMA/CMakeLists.txt" ]; then
  log "extracting $SDIST"
  rm -rf "$SRC" "$SRC.part"
  mkdir -p "$SRC.part"
  tar -xzf "$SDIST" -C "$SRC.part"
  mv "$SRC.part/llama_cpp_python-$VERSION" "$SRC"
  rmdir "$SRC.part"
fi
log "configuring in $BUILD"
start=$(date +%s)
cmake -S "$LLAMA" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DBUILD_SHARED_LIBS=OFF -DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$BIN" >&2
log "building ${TOOLS[*]} (several minutes on 2 cores)"
nice cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target "${TOOLS[@]}" >&2
for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || { log "missing $BIN/$t after the build"; exit 1; }; done
echo "$SDIST_SHA" > "$STAMP"
log "built in $(( $(date +%s) - start )) s"
echo "$BIN"
