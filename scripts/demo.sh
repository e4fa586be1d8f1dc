#!/usr/bin/env bash
# Set everything up, then run the engine comparison suite (quick mode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m benchmarks --quick "$@"
