"""Every ``Examples:`` block in ktensor's and the benchmarks' docstrings runs, on the default backend."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import ktensor as kt


def _modules() -> list[str]:
    """Every module of ktensor (the generated forms repeat their declarations' examples),
    and the benchmark workloads."""
    import ktensor

    names = ["ktensor"] + [
        m.name for m in pkgutil.walk_packages(ktensor.__path__, "ktensor.") if not m.name.startswith("ktensor._generated")
    ]
    return [*names, "benchmarks.workloads", "benchmarks.churn", "benchmarks.workloads_jax"]


MODULES = _modules()


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
