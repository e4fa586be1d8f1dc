"""The conformance kit (ktensor.testing) run on both engines and on user subclasses."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

import ktensor.testing
from ktensor.backends import TensorFlowBackend, TheanoBackend
from ktensor.testing import CASES, CheckReport, ConformanceError, check_backend


class CountingBackend(TensorFlowBackend):
    """A user-style subclass that counts the multiplications it carries out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def multiply(self, x: Any, y: Any) -> Any:
        self.calls += 1
        return super().multiply(x, y)


class BrokenExpBackend(TheanoBackend):
    """A subclass whose ``exp`` is off by one: the kit must notice."""

    def exp(self, x: Any) -> Any:
        correct: Any = super().exp(x)
        return correct + 1


def test_importing_the_kit_loads_no_engine() -> None:
    code = "import sys, ktensor.testing; print(sorted({'tensorflow', 'pytensor'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_case_names_are_unique_and_every_row_is_tried() -> None:
    names = Counter(name for case in CASES for name, _ in case.instances(quick=False))
    assert [name for name, n in names.items() if n > 1] == []
    operands = ktensor.testing._Operands(backend=None)
    dead = [
        case.name
        for case in CASES
        if all(
            ktensor.testing._reference(
                case.ref,
                [
                    operands.array((d, s, k, i))
                    for i, (d, s, k) in enumerate(zip(combo, case.shapes, case.values, strict=True))
                ],
            )
            is None
            for _, combo in case.instances(quick=False)
        )
    ]
    assert dead == [], "rows NumPy rejects for every dtype combination"


def test_tensorflow_conforms() -> None:
    report = check_backend("tensorflow")
    assert isinstance(report, CheckReport)
    assert report.backend_name == "tensorflow"
    assert report.failures == []
    assert report.checked > 5000
    assert report.skipped == []


def test_theano_conforms() -> None:
    report = check_backend(TheanoBackend(mode="FAST_COMPILE"))
    assert report.backend_name == "theano"
    assert report.checked > 5000
    # PyTensor decides broadcasting from static shapes; its backend says so.
    assert [s.split(":")[0] for s in report.skipped] == ["unknown shape t + u"]


def test_user_subclass_is_checked_through_its_own_methods() -> None:
    backend = CountingBackend()
    report = check_backend(backend, quick=True)
    assert report.backend_name == "tensorflow"
    assert backend.calls > 100


def test_a_broken_backend_fails_the_check() -> None:
    with pytest.raises(AssertionError, match=r"t\.exp\(\)\[float32\]") as caught:
        check_backend(BrokenExpBackend(mode="FAST_COMPILE"), quick=True)
    assert isinstance(caught.value, ConformanceError)
    failing = {f.case for f in caught.value.report.failures}
    assert {"kt.exp(t)[float64]", "t.exp()[float32]", "t.exp()[int8]"} <= failing
    assert not any(case.startswith(("t.sin()", "t.tanh()", "t + u")) for case in failing)
