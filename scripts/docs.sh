#!/usr/bin/env bash
# Build the documentation site into site/ (mkdocs build --strict), or serve it with --serve.
#   bash scripts/docs.sh            # site/index.html
#   bash scripts/docs.sh --serve    # http://127.0.0.1:8000, rebuilt on every change
# Uses .venv (scripts/setup.sh installs the docs extra: mkdocs-material, mkdocstrings).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/mkdocs ]; then
    bash scripts/setup.sh
fi
export NO_MKDOCS_2_WARNING=1
if [ "${1:-}" = "--serve" ]; then
    shift
    exec .venv/bin/mkdocs serve --strict "$@"
fi
exec .venv/bin/mkdocs build --strict --site-dir site "$@"
