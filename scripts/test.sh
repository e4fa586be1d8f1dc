#!/usr/bin/env bash
# Set everything up, then run the whole test suite; a missing engine fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export KTENSOR_REQUIRE_BACKENDS="${KTENSOR_REQUIRE_BACKENDS:-theano,tensorflow}"
exec .venv/bin/python -m pytest -n 2 -q "$@"
