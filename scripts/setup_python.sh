#!/usr/bin/env bash
# Creates .venv (if missing) and installs the pinned light Python tools and test oracles
# from PyPI (requirements.txt). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "setup_python: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt; then
  echo "setup_python: pip could not install requirements.txt (is PyPI reachable?)" >&2
  exit 1
fi
echo "setup_python: .venv ready ($(.venv/bin/python -c 'import ml_dtypes, numpy; print("numpy", numpy.__version__, "ml_dtypes", ml_dtypes.__version__)'))"
