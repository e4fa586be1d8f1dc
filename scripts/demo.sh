#!/usr/bin/env bash
# Set everything up, then compare the engines on one expression (quick mode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python benchmarks/demo.py --quick "$@"
