"""Shared fixtures: one backend instance per engine, and the CI rule on missing engines.

``KTENSOR_REQUIRE_BACKENDS=theano,tensorflow`` (set by ``.ci/run``) turns a missing
engine into a failure instead of a skip. PyTensor runs in ``FAST_COMPILE`` mode
(Python linker, no C compile) unless ``KTENSOR_THEANO_MODE`` says otherwise: a cold C
or Numba compile costs seconds per function, and the suite compiles hundreds. The
users' default mode (CVM) is exercised by the tests marked in ``test_modes.py``.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault("KTENSOR_THEANO_MODE", "FAST_COMPILE")
# Never read or write the developer's own ~/.ktensor from the suite.
os.environ["KTENSOR_HOME"] = tempfile.mkdtemp(prefix="ktensor-home-")

ENGINES = {"theano": "pytensor", "tensorflow": "tensorflow"}
REQUIRED = {n.strip() for n in os.environ.get("KTENSOR_REQUIRE_BACKENDS", "").split(",") if n.strip()}


def _require(name: str) -> None:
    if importlib.util.find_spec(ENGINES[name]) is None:
        if name in REQUIRED:
            pytest.fail(f"engine {ENGINES[name]!r} for backend {name!r} is required (KTENSOR_REQUIRE_BACKENDS) but missing")
        pytest.skip(f"{ENGINES[name]} is not installed")


def require(module: str) -> None:
    """Skip without ``module``, or fail when the run requires backends (CI: the test extra
    installs the engines and scikit-learn, so a missing one is a broken install)."""
    if importlib.util.find_spec(module) is None:
        if REQUIRED:
            pytest.fail(f"{module!r} is required in this run (KTENSOR_REQUIRE_BACKENDS is set) but missing")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(params=sorted(ENGINES), scope="session")
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each engine's name in turn."""
    _require(request.param)
    return str(request.param)


@pytest.fixture(scope="session")
def B(backend_name: str):
    """A fresh backend instance per engine, shared by the session."""
    from ktensor import backends

    return backends.TheanoBackend() if backend_name == "theano" else backends.TensorFlowBackend()


@pytest.fixture
def kt_in(B) -> Iterator[object]:
    """The backend ``B`` in force for the test."""
    import ktensor as kt

    with kt.use_backend(B):
        yield B


# Modules that use both engines throughout. Without an engine (and not in CI, where
# KTENSOR_REQUIRE_BACKENDS makes that a failure) they are left out, as a skip would be.
_MISSING = {name for name, module in ENGINES.items() if importlib.util.find_spec(module) is None}
collect_ignore = (
    [
        "test_conformance.py",
        "test_docs.py",
        "test_docstrings.py",
        "test_benchmark_workloads.py",
        "test_benchmark_run.py",
        "test_registry.py",
        "test_api_examples.py",
        "test_engine_kernels.py",
        "test_nn_losses.py",
    ]
    if _MISSING and not (_MISSING & REQUIRED)
    else []
)
