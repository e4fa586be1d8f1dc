"""The training examples of examples/ (docs/examples.md), in their quick settings, on both engines.

Each example trains a real network from NumPy-initialised weights and reports its
figures; the thresholds are the ones the full runs of docs/examples.md are held to.
BLAS is held to one thread: on a busy machine (pytest -n 2 on 2 cores) OpenBLAS's
worker threads wait for a core at every small matmul, which makes PyTensor's
Python-linked FAST_COMPILE graphs several times slower.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import require

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _example(name: str) -> ModuleType:
    """examples/<name>.py as a module (examples/ is a folder of scripts, not a package)."""
    module_name = f"ktensor_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # comes with scikit-learn; without it, just slower
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


_RESULTS: dict[tuple[str, str], dict[str, Any]] = {}


def _run(name: str, B: Any) -> dict[str, Any]:
    """The quick run's figures, once per example and engine."""
    if (name, B.name) not in _RESULTS:
        result: dict[str, Any] = _example(name).main(B, quick=True, verbose=False)
        assert result["backend"] == B.name
        _RESULTS[name, B.name] = result
    return _RESULTS[name, B.name]


def test_digits_mlp(B: Any) -> None:
    require("sklearn")
    result = _run("digits_mlp", B)
    assert result["test_accuracy"] >= 0.95, result
    assert result["final_loss"] < result["first_loss"] / 5, result


def test_digits_mlp_engines_agree() -> None:
    """Same seed, same weights and minibatches: the engines end within 1 point (only
    the dropout masks differ)."""
    require("sklearn")
    require("pytensor")
    require("tensorflow")
    from ktensor import backends

    theano = _run("digits_mlp", backends.TheanoBackend())
    tensorflow = _run("digits_mlp", backends.TensorFlowBackend())
    assert abs(theano["test_accuracy"] - tensorflow["test_accuracy"]) <= 0.01 + 1e-9, (theano, tensorflow)


def test_digits_cnn(B: Any) -> None:
    require("sklearn")
    result = _run("digits_cnn", B)
    assert result["test_accuracy"] >= 0.95, result


def test_sequence_rnn(B: Any) -> None:
    result = _run("sequence_rnn", B)
    assert result["ratio"] >= 10, result
    # the mask matters: the same weights reading the padding as data do much worse
    assert result["unmasked_loss"] > 5 * result["final_loss"], result


def test_ctc_digits(B: Any) -> None:
    result = _run("ctc_digits", B)
    assert result["exact"] >= 0.90, result
    assert result["final_loss"] < result["first_loss"] / 10, result
