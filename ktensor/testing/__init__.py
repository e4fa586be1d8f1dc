"""Conformance kit: check a backend against NumPy, operation by operation.

The kit holds one table, :data:`CASES`, of :class:`OpCase` rows. Each row names an
expression written with ktensor (``t + 2``, ``t.sum(axis=(0, 2))``,
``kt.where(c, t, 0)``), the same expression written with NumPy, and the operand
dtypes to try. :func:`check_backend` builds every row on one backend, compiles the
expressions in a handful of batched ``kt.function`` calls, and compares each
result's values, shape and dtype (static ``Tensor.dtype`` and the returned array's)
with NumPy 2's, Python scalars being weak as in NEP 50 (API.md §5).

Example:
    Check a backend of your own before you ship it::

        import ktensor as kt
        import ktensor.testing
        from ktensor.backends import TensorFlowBackend

        class CountingBackend(TensorFlowBackend):
            multiplications = 0

            def multiply(self, x, y):
                self.multiplications += 1
                return super().multiply(x, y)

        backend = CountingBackend()
        report = ktensor.testing.check_backend(backend)   # or "theano", "tensorflow"
        print(report.checked, "cases agree with NumPy;", backend.multiplications, "went through multiply")

    ``check_backend`` raises :class:`ConformanceError` (an ``AssertionError``)
    listing every case that disagrees; the partial report is on its ``report``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

import ktensor as kt
from ktensor.testing.cases import _NUMPY_REJECTS, _RTOL, DTYPES, FLOATX, QUICK_DTYPES, OpCase
from ktensor.testing.declared import declared_cases
from ktensor.testing.operands import _Operands, _sample
from ktensor.testing.tables import table_cases

__all__ = [
    "CASES",
    "DTYPES",
    "FLOATX",
    "QUICK_DTYPES",
    "CheckReport",
    "ConformanceError",
    "Failure",
    "OpCase",
    "_Operands",
    "_reference",
    "_sample",
    "check_backend",
]

@attrs.define
class Failure:
    """A case whose result differs from NumPy's, or that raised.

    Attributes:
        case: The case name, e.g. ``"t // u[int8,int8]"``.
        expected: NumPy's dtype, shape and values.
        received: What the backend gave, or the exception it raised.
    """

    case: str
    expected: str
    received: str


@attrs.define
class CheckReport:
    """The outcome of :func:`check_backend`.

    Attributes:
        backend_name: ``Backend.name`` of the backend checked.
        checked: How many cases were compared (NumPy-rejected combinations aside).
        failures: The cases that disagreed with NumPy.
        skipped: Cases left out because the backend declares it cannot run them
            (``Backend.runtime_broadcasting`` False), with the reason.
    """

    backend_name: str
    checked: int
    failures: list[Failure]
    skipped: list[str] = attrs.field(factory=list)


class ConformanceError(AssertionError):
    """Raised by :func:`check_backend` when any case fails.

    Attributes:
        report: The full report, failures included.
    """

    def __init__(self, report: CheckReport) -> None:
        head = f"{len(report.failures)} of {report.checked} conformance cases failed on backend {report.backend_name!r}:"
        lines = [head]
        lines += [f"  {f.case}: expected {f.expected}; received {f.received}" for f in report.failures]
        super().__init__("\n".join(lines))
        self.report = report



CASES: tuple[OpCase, ...] = (*table_cases(), *declared_cases())
"""The conformance table, every row of the contract's operations."""

# --------------------------------------------------------------------- evaluation


@attrs.define
class _Built:
    """One case instance whose expression has been built."""

    name: str
    expected: np.ndarray
    output: Any
    inputs: tuple[Any, ...]
    tolerance: float | None = None


def _reference(ref: Callable[..., Any], arrays: Sequence[np.ndarray]) -> np.ndarray | None:
    """NumPy's result, or ``None`` where NumPy rejects these operands."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(ref(*arrays))
        except _NUMPY_REJECTS:
            return None


def _show(a: np.ndarray) -> str:
    """``dtype shape [first values...]``, on one line."""
    flat = a.ravel()
    values = np.array2string(flat[:8], precision=6, separator=", ", max_line_width=10**6)
    return f"{a.dtype.name} {a.shape} {values[:-1]}{', ...]' if flat.size > 8 else ']'}"


def _show_error(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"raised {type(exc).__name__}: {first_line[:300]}"


def _mismatches(expected: np.ndarray, received: np.ndarray, tolerance: float | None = None) -> np.ndarray:
    """Flat indices where ``received`` differs from ``expected`` (same shape).

    Integers and bools must be equal; floats agree to the tolerance of the
    expected dtype, relative to the largest finite expected magnitude (at least 1),
    with NaN where NaN is expected and infinities of the right sign.
    """
    if expected.dtype.kind not in "f":
        return np.flatnonzero(received.ravel() != expected.ravel())
    e = expected.astype(np.float64).ravel()
    r = received.astype(np.float64).ravel()
    finite = np.abs(e[np.isfinite(e)])
    rtol = tolerance or _RTOL[expected.dtype.name]
    atol = rtol * max(1.0, float(finite.max()) if finite.size else 1.0)
    return np.flatnonzero(~np.isclose(r, e, rtol=rtol, atol=atol, equal_nan=True))


def _compare(built: _Built, result: Any, backend: Any) -> Failure | None:
    """Compares one result with NumPy's; ``None`` when they agree."""
    expected = built.expected
    received = np.asarray(result)
    problems = []
    if getattr(built.output, "backend", None) is not backend:
        problems.append(f"built on {getattr(built.output, 'backend', None)!r}")
    if str(built.output.dtype) != expected.dtype.name:
        problems.append(f"tensor.dtype={built.output.dtype}")
    static = tuple(built.output.shape)
    if len(static) != expected.ndim or any(s is not None and s != e for s, e in zip(static, expected.shape)):
        problems.append(f"tensor.shape={static}")
    if received.dtype != expected.dtype or received.shape != expected.shape:
        problems.append("array dtype/shape differ")
    elif (bad := _mismatches(expected, received, built.tolerance)).size:
        i = int(bad[0])
        problems.append(
            f"{bad.size} values differ, first at flat index {i}: {received.ravel()[i]!r} != {expected.ravel()[i]!r}"
        )
    if not problems:
        return None
    return Failure(built.name, _show(expected), f"{_show(received)} [{'; '.join(problems)}]")


def _evaluate(batch: list[_Built], feeds: dict[Any, np.ndarray], backend: Any) -> list[Failure]:
    """Runs ``batch`` through one compiled function, bisecting when that fails."""
    inputs = list(dict.fromkeys(p for built in batch for p in built.inputs))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn = kt.function(inputs, [built.output for built in batch])
            results = fn(*(feeds[p] for p in inputs))
    except Exception as exc:  # noqa: BLE001 - any engine error is a finding
        if len(batch) == 1:
            return [Failure(batch[0].name, _show(batch[0].expected), _show_error(exc))]
        middle = len(batch) // 2
        return _evaluate(batch[:middle], feeds, backend) + _evaluate(batch[middle:], feeds, backend)
    return [
        f
        for built, result in zip(batch, results, strict=True)
        if (f := _compare(built, result, backend)) is not None
    ]


def check_backend(backend: kt.Backend | str, *, quick: bool = False) -> CheckReport:
    """Checks every operation of the contract on ``backend`` against NumPy.

    Each case is built on placeholders (scalars, lists and ndarrays used as the
    other operand are embedded in the expression, for ktensor to convert). The
    cases of a group are compiled into one ``kt.function`` and run once; when
    that call fails, the group is split until the failing cases are isolated.

    Args:
        backend: A backend instance (of any ``kt.Backend`` subclass) or a
            registered name such as ``"tensorflow"`` or ``"theano"``.
        quick: Try only dtype combinations drawn from :data:`QUICK_DTYPES`
            (trims the dtype-pair table from 144 to 49 pairs, among others).

    Returns:
        The report, when every case agrees with NumPy.

    Raises:
        ConformanceError: An ``AssertionError`` listing every failing case,
            with its expected and received dtype, shape and values.
        RuntimeError: NumPy is older than 2, whose promotion rules are the spec.
    """
    if int(np.__version__.split(".")[0]) < 2:
        raise RuntimeError(
            f"ktensor.testing needs NumPy >= 2 (NEP 50) for its references; found {np.__version__}"
        )
    with kt.use_backend(backend) as resolved:
        operands = _Operands(resolved)
        failures: list[Failure] = []
        groups: dict[str, list[_Built]] = {}
        checked = 0
        skipped: list[str] = []
        for case in CASES:
            if case.runtime_broadcast and not resolved.runtime_broadcasting:
                skipped.append(f"{case.name}: the backend declares runtime_broadcasting = False")
                continue
            for name, combo in case.instances(quick):
                keys = [
                    (token, shape, kind, slot)
                    for slot, (token, shape, kind) in enumerate(
                        zip(combo, case.shapes, case.values, strict=True)
                    )
                ]
                expected = _reference(case.ref, [operands.array(key) for key in keys])
                if expected is None:
                    continue
                checked += 1
                try:
                    inputs = tuple(operands.placeholder(key, case.static) for key in keys)
                    output = case.op(*inputs)
                except Exception as exc:  # noqa: BLE001 - any build error is a finding
                    failures.append(Failure(name, _show(expected), _show_error(exc)))
                    continue
                if getattr(output, "backend", None) is None:
                    failures.append(
                        Failure(name, _show(expected), f"returned {type(output).__name__}, not a tensor")
                    )
                else:
                    groups.setdefault(case.group, []).append(_Built(name, expected, output, inputs, case.tolerance))
        for batch in groups.values():
            failures += _evaluate(batch, operands.feeds, resolved)
        report = CheckReport(resolved.name, checked, failures, skipped)
    if failures:
        raise ConformanceError(report)
    return report
