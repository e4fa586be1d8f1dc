"""The code stays ruff- and mypy-clean (STYLE.md); both tools come with the `test` extra."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        if os.environ.get("CI"):  # CI installs the test extra: a missing tool is a failure there
            pytest.fail(f"{name} is missing; the test extra installs it")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff_is_clean() -> None:
    out = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_is_clean(tmp_path: Path) -> None:
    out = subprocess.run(
        [_tool("mypy"), "--cache-dir", str(tmp_path), "ktensor", "benchmarks", "tests", "examples"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
