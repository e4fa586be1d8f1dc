"""The kit's rows derived from the operation declarations (:mod:`ktensor.ops`).

Each :class:`~ktensor.ops.declare.KitCase` of an operation becomes a row per form
(``t.exp()`` and ``kt.exp(t)``), compared with its NumPy reference; a case with
``grad=True`` also becomes a gradient row: the gradient of ``sum(w * op(t))``, ``w``
fixed weights, against central finite differences of the reference in float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

import ktensor as kt
from ktensor.ops.declare import OPS, KitCase, OpSpec
from ktensor.testing.cases import OpCase, _method, _module_leading, _reference_with, _with_leading

_OPERAND_NAMES = ("t", "u", "v", "w")
#: Finite differences: the step, and the tolerance of their agreement with the gradient.
_STEP = 1e-6
GRADIENT_RTOL = 1e-6


def _render(spec: OpSpec, case: KitCase, form: str) -> str:
    tensors = list(_OPERAND_NAMES[: len(case.shapes)])
    extra = [repr(a) for a in case.args] + [f"{k}={v!r}" for k, v in case.kwargs.items()]
    if form == "method":
        return f"{tensors[0]}.{spec.method}({', '.join(tensors[1:] + extra)})"
    leading = [getattr(a, "__name__", None) or repr(a) for a in case.leading]
    return f"kt.{spec.name}({', '.join(leading + tensors + extra)})"


def _combos(case: KitCase) -> tuple[tuple[str, ...], ...]:
    return tuple(d if isinstance(d, tuple) else (d,) * len(case.shapes) for d in case.dtypes)


def _values(case: KitCase) -> tuple[str, ...]:
    return case.values if isinstance(case.values, tuple) else (case.values,) * len(case.shapes)


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    """Fixed weights of a gradient row's loss, so no symmetry hides a wrong gradient."""
    return np.random.default_rng(len(shape) * 31 + int(np.prod(shape))).uniform(0.5, 1.5, shape)


def _gradient_op(build: Callable[..., Any], *tensors: Any) -> Any:
    out = build(*tensors)
    weights = kt.constant(_weights(tuple(int(d) for d in out.shape)), dtype=out.dtype, backend=out.backend)
    return kt.gradients(kt.sum(out * weights), [tensors[0]])[0]


def _gradient_reference(ref: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    first = np.array(arrays[0], dtype=np.float64)
    rest = arrays[1:]
    weights = _weights(np.shape(ref(first, *rest)))

    def loss(x: np.ndarray) -> float:
        return float(np.sum(weights * ref(x, *rest)))

    grad = np.zeros_like(first)
    for i in np.ndindex(first.shape):
        up, down = first.copy(), first.copy()
        up[i] += _STEP
        down[i] -= _STEP
        grad[i] = (loss(up) - loss(down)) / (2 * _STEP)
    return grad


def _rows(spec: OpSpec, case: KitCase) -> list[OpCase]:
    reference = case.reference or spec.reference
    if reference is None:
        raise ValueError(f"ktensor: kit case of {spec.name!r} has no NumPy reference")
    ref = _with_leading(_reference_with(reference, *case.args, **dict(case.kwargs)), case.leading)
    group = case.group or f"{spec.family} {spec.name}"
    rows = []
    for form in case.forms:
        if form == "method":
            if spec.method is None or case.leading:
                continue
            build = _method(spec.method, *case.args, **dict(case.kwargs))
        else:
            build = _module_leading(spec.name, case.leading, *case.args, **dict(case.kwargs))
        label = case.label or _render(spec, case, form)
        rows.append(OpCase(label, build, ref, _combos(case), case.shapes, _values(case), group))
        if case.grad and form == "function":
            kinds = tuple("grad positive" if v == "positive" else "grad" for v in _values(case))
            rows.append(
                OpCase(
                    f"gradient of {label}",
                    functools.partial(_gradient_op, build),
                    functools.partial(_gradient_reference, ref),
                    (("float64",) * len(case.shapes),),
                    case.shapes,
                    kinds,
                    f"gradients {spec.family}",
                    tolerance=GRADIENT_RTOL,
                )
            )
    return rows


def declared_cases() -> list[OpCase]:
    """Every row the operation declarations give, in declaration order."""
    return [row for spec in OPS.values() for case in spec.kit for row in _rows(spec, case)]
