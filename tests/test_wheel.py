"""The package as a user gets it: ``python -m build`` makes a wheel and an sdist that pass
``twine check``, and the wheel installs into a fresh virtual environment.

The source tree is copied to a temporary folder first (without ``.venv``, ``build/``,
caches), so the build never sees a stale ``build/`` and never writes into the checkout.
The fresh venv has no system site-packages; ``pip`` installs the wheel and its
dependencies (NumPy, attrs) from the package index. There, without an engine,
``import ktensor`` and ``ktensor info`` work and the README's first snippet stops at its
first use of a backend with the install command. With the engines of this interpreter
on ``PYTHONPATH`` (ktensor itself still the installed wheel's), the snippet prints what
the README says it prints, and nothing reaches stderr.

``build`` and ``twine`` come with the test extra: in CI (``CI`` or
``KTENSOR_REQUIRE_BACKENDS`` set) a missing one fails; elsewhere the tests skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import ktensor as kt
from tests.conftest import require
from tests.test_docs import python_blocks

ROOT = Path(__file__).resolve().parents[1]
WHEEL = f"ktensor-{kt.__version__}-py3-none-any.whl"
SDIST = f"ktensor-{kt.__version__}.tar.gz"
_LEFT_OUT = (".venv", ".git", "build", "dist", "site", "*.egg-info", "__pycache__", ".pytest_cache",
             ".mypy_cache", ".ruff_cache", "results")



def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KTENSOR_BACKEND", "VIRTUAL_ENV")}
    full_env.update(env)
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("build")
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_LEFT_OUT))
    out = work / "dist"
    proc = _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=work)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies installed."""
    where = tmp_path_factory.mktemp("venv") / "env"
    proc = _run([sys.executable, "-m", "venv", str(where)], cwd=where.parent)
    assert proc.returncode == 0, proc.stderr
    python = where / "bin" / "python"
    proc = _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(dist / WHEEL)],
                cwd=where.parent)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return where


def _readme_snippet() -> str:
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "README.md has no python block"
    return blocks[0][1]


def test_build_makes_a_wheel_and_an_sdist_that_pass_twine_check(dist: Path) -> None:
    require("twine")
    assert sorted(p.name for p in dist.iterdir()) == sorted([WHEEL, SDIST])
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))], cwd=dist)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_the_wheel_holds_the_package_and_nothing_else(dist: Path) -> None:
    names = zipfile.ZipFile(dist / WHEEL).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"ktensor", f"ktensor-{kt.__version__}.dist-info"}, top  # no tests, benchmarks, examples, docs
    # every module of every package of the source tree (a folder with an __init__.py)
    packages = {p.parent for p in (ROOT / "ktensor").rglob("__init__.py") if "__pycache__" not in p.parts}
    modules = {p.relative_to(ROOT).as_posix() for d in packages for p in d.glob("*.py")}
    assert modules <= set(names), sorted(modules - set(names))
    assert "ktensor/py.typed" in names
    assert "ktensor/_generated/functions/_math.py" in names and "ktensor/_generated/tensor_methods.py" in names
    assert not [n for n in names if n.endswith((".pyc", ".md")) or "/tests/" in n]
    meta = zipfile.ZipFile(dist / WHEEL).read(f"ktensor-{kt.__version__}.dist-info/METADATA").decode()
    assert f"Version: {kt.__version__}" in meta
    assert re.search(r"^Requires-Dist: numpy>=2\.0$", meta, re.M) and re.search(r"^Requires-Dist: attrs", meta, re.M)
    for extra in ("theano", "tensorflow", "all"):
        assert f"Provides-Extra: {extra}" in meta
    entry = zipfile.ZipFile(dist / WHEEL).read(f"ktensor-{kt.__version__}.dist-info/entry_points.txt").decode()
    assert "ktensor = ktensor.__main__:main" in entry
    with tarfile.open(dist / SDIST) as archive:
        sdist = archive.getnames()
    base = f"ktensor-{kt.__version__}"
    for needed in ("README.md", "setup.cfg", "pyproject.toml", "ktensor/py.typed", "ktensor/__init__.py"):
        assert f"{base}/{needed}" in sdist, needed


def test_the_wheel_installs_into_a_fresh_venv_without_an_engine(venv: Path, tmp_path: Path) -> None:
    python = str(venv / "bin" / "python")
    home = {"KTENSOR_HOME": str(tmp_path / "home")}
    proc = _run([python, "-c", "import sys, ktensor as kt; print(kt.__version__, kt.available_backends(), "
                 "'tensorflow' in sys.modules, 'pytensor' in sys.modules, kt.__file__)"], cwd=tmp_path, **home)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    version, rest = proc.stdout.split(" ", 1)
    assert version == kt.__version__
    assert rest.startswith("[] False False ") and rest.split()[-1].startswith(str(venv))

    info = _run([str(venv / "bin" / "ktensor"), "info"], cwd=tmp_path, **home)
    assert info.returncode == 0 and info.stderr == "", info.stderr
    assert info.stdout.startswith(f"ktensor {kt.__version__}\n")
    assert 'theano      unavailable: ktensor: the "theano" backend runs on PyTensor, which is not installed: ' \
           'pip install "ktensor[theano]"' in info.stdout
    assert 'pip install "ktensor[tensorflow]"' in info.stdout

    snippet = tmp_path / "snippet.py"
    snippet.write_text(_readme_snippet(), encoding="utf-8")
    run = _run([python, str(snippet)], cwd=tmp_path, **home)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines()[-1] == (
        'ktensor.backends.EngineNotInstalled: ktensor: the "theano" backend runs on PyTensor, which is not '
        'installed: pip install "ktensor[theano]"'
    )
    assert "No module named" not in run.stderr


def test_the_readme_snippet_runs_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    """The engines of this interpreter on PYTHONPATH; ktensor is still the wheel's."""
    code = _readme_snippet() + "\nimport ktensor\nprint('FROM', ktensor.__file__)\n"
    snippet = tmp_path / "snippet.py"
    snippet.write_text(code, encoding="utf-8")
    engines = sysconfig.get_paths()["purelib"]
    run = _run([str(venv / "bin" / "python"), str(snippet)], cwd=tmp_path, PYTHONPATH=engines,
               KTENSOR_HOME=str(tmp_path / "home"),
               KTENSOR_THEANO_MODE=os.environ.get("KTENSOR_THEANO_MODE", "FAST_COMPILE"))
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr
    printed, origin = run.stdout.rsplit("FROM ", 1)
    assert origin.strip().startswith(str(venv)), origin
    expected = [line.split("#", 1)[1] for line in _readme_snippet().splitlines() if line.lstrip().startswith("print(")]
    assert printed.split() == " ".join(expected).split()
