"""Every ``Examples:`` block in ktensor's and the benchmarks' docstrings runs, on the default backend."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import ktensor as kt

MODULES = [
    "ktensor",
    "ktensor.tensor",
    "ktensor.dtypes",
    "ktensor.shapes",
    "ktensor.function",
    "ktensor.indexing",
    "ktensor.config",
    "ktensor.ops",
    "ktensor.ops.declare",
    "ktensor.ops.references",
    "ktensor.ops.math",
    "ktensor.ops.logic",
    "ktensor.ops.reductions",
    "ktensor.ops.shape",
    "ktensor.ops.linalg",
    "ktensor.ops.creation",
    "ktensor.ops.variables",
    "ktensor.ops.autodiff",
    "ktensor.ops.nn.activations",
    "ktensor._codegen",
    "ktensor.testing",
    "ktensor.backends",
    "ktensor.backends.core",
    "ktensor.backends.base",
    "ktensor.backends.theano",
    "ktensor.backends.tensorflow",
    "benchmarks.workloads",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name, globs={"kt": kt, "np": np, **vars(module)})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (see output)"
