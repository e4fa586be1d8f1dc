"""Run the ```python code blocks of ``docs/*.md`` and ``README.md`` as tests.

Each page runs in a fresh interpreter (so ``kt.set_backend``, ``kt.set_floatx`` and
imports on one page cannot leak into another), its blocks in order in one namespace,
so a later block sees the names of earlier ones. A block whose info string is
``python no-run`` is not run (for snippets that are not Python, or that would touch
the user's machine). The interpreter gets a temporary ``KTENSOR_HOME`` and working
directory, no ``KTENSOR_BACKEND``, and ``KTENSOR_THEANO_MODE=FAST_COMPILE`` so that
PyTensor compiles without a C compiler.

This file is also the runner used inside that interpreter::

    python tests/test_docs.py docs/backends.md
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
REQUIRED_PAGES = ("index.md", "backends.md", "subclassing.md")
RUN_TIMEOUT_S = 300

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """Every fenced block of a Markdown text: ``(first code line, info string, code)``.

    A block opens with a line of three or more backticks (or tildes) and closes with
    a line of at least as many of the same character; fences are not indented.
    """
    blocks: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        start = i + 1
        j = start
        while j < len(lines) and not (
            lines[j].startswith(fence[0] * len(fence)) and lines[j].strip() == fence[0] * len(lines[j].strip())
        ):
            j += 1
        blocks.append((start + 1, info, "\n".join(lines[start:j]) + "\n"))
        i = j + 1
    return blocks


def python_blocks(path: Path) -> list[tuple[int, str, bool]]:
    """The ```python blocks of a page: ``(first code line, code, runs)``."""
    found = []
    for line, info, code in code_blocks(path.read_text(encoding="utf-8")):
        words = info.split()
        if not words or words[0] not in ("python", "py", "python3"):
            continue
        found.append((line, code, "no-run" not in words[1:]))
    return found


def pages() -> list[Path]:
    """The pages whose blocks are run: every ``docs/*.md``, and ``README.md`` when it has Python."""
    found = sorted(DOCS.glob("*.md"))
    readme = REPO_ROOT / "README.md"
    if readme.exists() and python_blocks(readme):
        found.append(readme)
    return found


def run_page(path: Path) -> None:
    """Run the blocks of ``path`` in order in one namespace (in this interpreter)."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, code, runs in python_blocks(path):
        if not runs:
            continue
        label = f"{path}:{line}"
        try:
            exec(compile(code, label, "exec"), namespace)
        except BaseException:
            print(f"\nblock starting at {label} failed:\n", file=sys.stderr)
            traceback.print_exc()
            raise SystemExit(1) from None


# --------------------------------------------------------------------------- tests
try:
    import pytest
except ImportError:  # running as the runner in a bare interpreter
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.mark.parametrize("name", REQUIRED_PAGES)
    def test_page_exists_and_has_python(name: str) -> None:
        path = DOCS / name
        assert path.exists(), f"{path} is missing"
        assert any(runs for _, _, runs in python_blocks(path)), f"{path} has no runnable python block"

    @pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
    def test_info_strings_are_known(path: Path) -> None:
        """A typo such as ```python norun would otherwise run (or skip) a block silently."""
        for line, info, _ in code_blocks(path.read_text(encoding="utf-8")):
            words = info.split()
            if words and words[0] in ("python", "py", "python3"):
                assert words[1:] in ([], ["no-run"]), f"{path}:{line}: unknown info string {info!r}"

    @pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
    def test_page_runs(path: Path, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KTENSOR_")}
        home = tmp_path / "ktensor-home"
        home.mkdir()
        env.update(
            KTENSOR_HOME=str(home),
            KTENSOR_THEANO_MODE="FAST_COMPILE",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        )
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        assert proc.returncode == 0, (
            f"a code block of {path.relative_to(REPO_ROOT)} failed\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-8000:]}"
        )


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        run_page(Path(argument))
