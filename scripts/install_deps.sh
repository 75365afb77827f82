#!/usr/bin/env bash
# Installs finefp8's system dependencies from Debian packages. Idempotent: packages
# already present are left alone; prints what it installs. Runs as root or via sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev libpcre2-dev libutf8proc-dev
  libgtest-dev libbenchmark-dev
  libdnnl-dev  # oneDNN: the bf16 baseline of the GEMM benchmarks (bench only)
  clang libclang-rt-14-dev
  python3 python3-venv python3-pip
  libreadline8  # the KJV reader of scripts/fetch_eval_text.sh (perplexity text)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} Debian packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install_deps: done"
