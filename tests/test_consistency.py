"""Every declared operation is complete: its public forms are generated and current, it has
an example, kit rows and its engine primitives on each engine; engines keep the base
class's signatures and add nothing public; aliases forward."""

from __future__ import annotations

import inspect

import pytest

import ktensor as kt
from ktensor import _codegen, testing
from ktensor.backends.base import Backend
from ktensor.ops.declare import OPS
from ktensor.tensor import BINARY_OPERATORS, COMPARISON_OPERATORS, UNARY_OPERATORS, Tensor

OPERATOR_METHODS = {*BINARY_OPERATORS.values(), *COMPARISON_OPERATORS.values(), *UNARY_OPERATORS.values(), "getitem"}
# Engine-class names that are not operations: construction and the engine hooks.
ENGINE_HOOKS = {"options", "describe_engine_error"}


def _parameters(fn: object) -> list[tuple[str, object, object]]:
    """Names, kinds and defaults (annotations are spelled per module, so not compared)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def _engines() -> list[type[Backend]]:
    from ktensor.backends import TensorFlowBackend, TheanoBackend

    return [TheanoBackend, TensorFlowBackend]


def test_generated_files_are_current() -> None:
    for name, source in _codegen.generate().items():
        path = (_codegen.OUTPUT / name).resolve()
        assert path.read_text() == source, f"{path} is stale: run python -m ktensor._codegen"


@pytest.mark.parametrize("name", sorted(OPS))
def test_operation_is_complete(name: str) -> None:
    spec = OPS[name]
    method = getattr(Backend, name)
    assert ">>> " in (method.__doc__ or ""), f"{name}: the docstring has no example"
    if spec.function:
        generated = inspect.cleandoc(getattr(kt, name).__doc__)
        assert generated == inspect.cleandoc(method.__doc__), f"kt.{name} is not generated from Backend.{name}"
        assert name in kt.__all__
    if spec.method:
        assert callable(getattr(Tensor, spec.method)), f"Tensor.{spec.method} is missing"
    rows = [c.name for c in testing.CASES]
    if spec.kit:
        assert any(spec.name in r for r in rows)
    elif spec.kit_exempt is None:
        assert spec.covered_by_tables or name in OPERATOR_METHODS, f"{name} has no kit rows"
        forms = (f"kt.{name}(", f".{spec.method}(", f"kt.{name}([", "gradient of " if name == "gradients" else "@@")
        assert name in OPERATOR_METHODS or any(f in r for r in rows for f in forms), f"no kit row uses {name}"
    for engine in _engines():
        for primitive in spec.primitives:
            assert primitive not in engine.__abstractmethods__, f"{engine.__name__} lacks {primitive} for {name}"
    if spec.alias_of:
        source = inspect.getsource(method)
        assert f"self.{spec.alias_of}(" in source, f"{name} must forward to self.{spec.alias_of}"


@pytest.mark.parametrize("engine", ["theano", "tensorflow"])
def test_engines_keep_the_contract(engine: str) -> None:
    cls = {e.name: e for e in _engines()}[engine]
    assert not cls.__abstractmethods__, f"{cls.__name__} leaves {sorted(cls.__abstractmethods__)} abstract"
    for name, member in vars(cls).items():
        if name.startswith("_") or not callable(member):
            continue
        assert name.startswith("native_") or name in ENGINE_HOOKS, f"{cls.__name__} adds a public method {name!r}"
        if hasattr(Backend, name) and not name.startswith("__"):
            assert _parameters(member) == _parameters(getattr(Backend, name)), (
                f"{cls.__name__}.{name} changes the signature of Backend.{name}"
            )


def test_an_override_of_transpose_changes_permute_dimensions() -> None:
    from ktensor.backends import TensorFlowBackend

    seen: list[tuple[int, ...]] = []

    class Recording(TensorFlowBackend):
        def transpose(self, x, axes=None):  # type: ignore[no-untyped-def]
            seen.append(tuple(axes))
            return super().transpose(x, axes)

    b = Recording()
    assert kt.permute_dimensions(kt.zeros((2, 3), backend=b), (1, 0)).shape == (3, 2)
    assert seen == [(1, 0)]
