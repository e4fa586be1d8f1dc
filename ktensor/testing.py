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

import functools
import operator
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np

import ktensor as kt

__all__ = [
    "CASES",
    "DTYPES",
    "QUICK_DTYPES",
    "CheckReport",
    "ConformanceError",
    "Failure",
    "OpCase",
    "check_backend",
]

DTYPES: tuple[str, ...] = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)
"""The dtypes of API.md §5."""

QUICK_DTYPES: frozenset[str] = frozenset(
    {"bool", "int8", "int32", "int64", "uint8", "float32", "float64", "floatx"}
)
"""With ``quick=True`` only dtype combinations drawn from this set are tried."""

FLOATX = "floatx"
"""Operand dtype token: a placeholder built with ``dtype=None``, fed ``kt.floatx()``."""

_NUMERIC = DTYPES[1:]
_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_FLOATS = ("float16", "float32", "float64")
_OPERATOR_DTYPES = ("bool", "int8", "int32", "int64", "uint8", "uint32", "float16", "float32", "float64")

_RTOL: dict[str, float] = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-10}

# NumPy signals "these operands are not accepted" with these; such combinations are
# skipped (bool - bool, uint8 + -3, int ** -1, matmul with a scalar, ...).
_NUMPY_REJECTS = (TypeError, ValueError, OverflowError)


@attrs.frozen
class OpCase:
    """One row of the conformance table.

    Attributes:
        name: How the expression reads, with ``t``, ``u``, ``c`` standing for the
            tensor operands in order (``"t // u"``, ``"2 ** t"``).
        op: Builds the expression from ktensor tensors, one per operand.
        ref: Computes the expected result from NumPy arrays, one per operand.
        dtypes: The operand dtype combinations to try, each with one dtype per
            operand (``"floatx"`` means a placeholder built with ``dtype=None``).
        shapes: The shape of each operand.
        values: The kind of values of each operand: ``"any"`` (negatives and
            zeros included), ``"small"`` (0 to 3), ``"positive"``, ``"unit"``
            (products stay small), ``"halves"`` (x.5 ties), ``"distinct"`` (no
            ties) or ``"index"`` (valid indices of an axis of length 3).
        group: Rows of one group are compiled into one function.
        static: Whether the placeholders know their shapes; when False they are
            built with ``ndim=`` only, every dimension unknown until fed.
        runtime_broadcast: The case broadcasts a dimension that is unknown when
            built and 1 when fed; skipped on a backend whose
            ``Backend.runtime_broadcasting`` is False (PyTensor refuses it).
    """

    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any]
    dtypes: tuple[tuple[str, ...], ...]
    shapes: tuple[tuple[int, ...], ...]
    values: tuple[str, ...]
    group: str
    static: bool = True
    runtime_broadcast: bool = False

    def instances(self, quick: bool) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Yields ``(case name, operand dtypes)`` for each combination to try.

        Args:
            quick: Keep only combinations drawn from :data:`QUICK_DTYPES`.

        Yields:
            The instance name, e.g. ``"t + 2[int8]"``, and its operand dtypes.
        """
        for combo in self.dtypes:
            if quick and not QUICK_DTYPES.issuperset(combo):
                continue
            yield (f"{self.name}[{','.join(combo)}]" if combo else self.name), combo


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


# --------------------------------------------------------------------------- rows


def _row(
    name: str,
    op: Callable[..., Any],
    ref: Callable[..., Any],
    dtypes: Sequence[str | tuple[str, ...]],
    group: str,
    shapes: tuple[tuple[int, ...], ...] = ((2, 3),),
    values: tuple[str, ...] | None = None,
) -> OpCase:
    """Builds an :class:`OpCase`, a plain dtype ``"x"`` meaning ``("x",) * len(shapes)``."""
    combos = tuple(d if isinstance(d, tuple) else (d,) * len(shapes) for d in dtypes)
    return OpCase(name, op, ref, combos, shapes, values or ("any",) * len(shapes), group)


def _left(fn: Callable[[Any, Any], Any], other: Any, t: Any) -> Any:
    """``fn(other, t)``: the other operand on the left."""
    return fn(other, t)


def _right(fn: Callable[[Any, Any], Any], other: Any, t: Any) -> Any:
    """``fn(t, other)``: the other operand on the right."""
    return fn(t, other)


def _module(name: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``kt.<name>(*tensors, *args, **kwargs)``."""
    return functools.partial(_call_module, name, args, kwargs)


def _call_module(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *tensors: Any) -> Any:
    return getattr(kt, name)(*tensors, *args, **kwargs)


def _method(name: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``t.<name>(*other_tensors, *args, **kwargs)``."""
    return functools.partial(_call_method, name, args, kwargs)


def _call_method(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], t: Any, *tensors: Any) -> Any:
    return getattr(t, name)(*tensors, *args, **kwargs)


def _here() -> Any:
    """The backend in force (the one being checked)."""
    return kt.backend()


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _np_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def _np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


def _np_logsumexp(
    x: np.ndarray, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


# (symbol, the operator, its NumPy reference, value kind). ``**``'s reference is the
# ufunc: ndarray.__pow__ swaps ``a ** 2`` for ``np.square``, whose bool loop gives
# int8 where ``np.power`` (and NEP 50) give int64.
_BINARY_OPERATORS: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any], str], ...] = (
    ("+", operator.add, operator.add, "any"),
    ("-", operator.sub, operator.sub, "any"),
    ("*", operator.mul, operator.mul, "any"),
    ("/", operator.truediv, operator.truediv, "any"),
    ("//", operator.floordiv, operator.floordiv, "any"),
    ("%", operator.mod, operator.mod, "any"),
    ("**", operator.pow, np.power, "small"),
    ("&", operator.and_, operator.and_, "any"),
    ("|", operator.or_, operator.or_, "any"),
    ("^", operator.xor, operator.xor, "any"),
    ("<", operator.lt, operator.lt, "any"),
    ("<=", operator.le, operator.le, "any"),
    (">", operator.gt, operator.gt, "any"),
    (">=", operator.ge, operator.ge, "any"),
    ("==", operator.eq, operator.eq, "any"),
    ("!=", operator.ne, operator.ne, "any"),
)

# The non-tensor operand of a binary operator on a (2, 3) tensor, with its label.
_OTHERS: tuple[tuple[Any, str], ...] = (
    (3, "3"),
    (-2, "-2"),
    (0, "0"),
    (2.5, "2.5"),
    (True, "True"),
    ([1, -2, 0], "[1, -2, 0]"),
    ([0.5, 2.0, -1.5], "[0.5, 2.0, -1.5]"),
    ([True, False, True], "[True, False, True]"),
    (np.ones(3), "np.ones(3)"),
    (np.array([2, 0, -3], dtype=np.int8), "np.array([2, 0, -3], int8)"),
)


def _operator_cases() -> list[OpCase]:
    """Every operator, with a tensor, scalar, list or ndarray on either side."""
    rows = []
    for sym, fn, ref, kind in _BINARY_OPERATORS:
        group = f"operator {sym}"
        others = [(o, label) for o, label in _OTHERS if sym not in "&|^" or np.asarray(o).dtype.kind in "biu"]
        rows.append(_row(f"t {sym} u", fn, ref, _OPERATOR_DTYPES, group, ((2, 3), (2, 3)), (kind, kind)))
        rows.append(
            _row(f"t {sym} u (broadcast)", fn, ref, ("int32", "float32"), group, ((2, 1), (3,)), (kind, kind))
        )
        for other, label in others:
            rows.append(
                _row(
                    f"t {sym} {label}",
                    functools.partial(_right, fn, other),
                    functools.partial(_right, ref, other),
                    _OPERATOR_DTYPES,
                    group,
                    values=(kind,),
                )
            )
            rows.append(
                _row(
                    f"{label} {sym} t",
                    functools.partial(_left, fn, other),
                    functools.partial(_left, ref, other),
                    _OPERATOR_DTYPES,
                    group,
                    values=(kind,),
                )
            )
    unary = (("-t", operator.neg), ("+t", operator.pos), ("abs(t)", abs), ("~t", operator.invert))
    rows += [_row(name, fn, fn, DTYPES, "operator unary") for name, fn in unary]
    matmul_others = (
        ((np.ones(3), "np.ones(3)"), False),
        (([1, 2, 0], "[1, 2, 0]"), False),
        (([1, 2], "[1, 2]"), True),
        ((np.ones((4, 2), dtype=np.float32), "np.ones((4, 2), float32)"), True),
    )
    matmul_dtypes = ("bool", "int8", "int64", "float32", "float64")
    rows.append(
        _row(
            "t @ u",
            operator.matmul,
            operator.matmul,
            matmul_dtypes,
            "operator @",
            ((2, 3), (3, 4)),
            ("small", "small"),
        )
    )
    for (other, label), on_left in matmul_others:
        fn = functools.partial(_left if on_left else _right, operator.matmul, other)
        name = f"{label} @ t" if on_left else f"t @ {label}"
        rows.append(_row(name, fn, fn, matmul_dtypes, "operator @", values=("small",)))
    return rows


def _promotion_cases(dtypes: Sequence[str]) -> list[OpCase]:
    """Every dtype pair through a few binary operations (NumPy's promotion table)."""
    ops: tuple[tuple[str, Callable[..., Any], Callable[..., Any]], ...] = (
        ("t + u", operator.add, operator.add),
        ("t - u", operator.sub, operator.sub),
        ("t * u", operator.mul, operator.mul),
        ("t / u", operator.truediv, operator.truediv),
        ("t.maximum(u)", _method("maximum"), np.maximum),
        ("t < u", operator.lt, operator.lt),
    )
    pairs = [(a, b) for a in dtypes for b in dtypes]
    return [
        _row(f"promote {name}", op, ref, pairs, f"promotion {name}", ((2, 3), (2, 3)), ("small", "positive"))
        for name, op, ref in ops
    ]


def _weak_scalar_cases() -> list[OpCase]:
    """Python scalars stay weak (NEP 50) next to a tensor of every dtype."""
    exprs: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("t + 2", lambda t: t + 2),
        ("2 * t", lambda t: 2 * t),
        ("t - 1", lambda t: t - 1),
        ("t * 2.5", lambda t: t * 2.5),
        ("2.5 + t", lambda t: 2.5 + t),
        ("t / 2", lambda t: t / 2),
        ("t // 2", lambda t: t // 2),
        ("t % 2", lambda t: t % 2),
        ("t * True", lambda t: t * True),
        ("False + t", lambda t: False + t),
        ("t < 2.5", lambda t: t < 2.5),
        ("2 == t", lambda t: t == 2),
    )
    rows = [_row(f"weak {name}", fn, fn, DTYPES, "weak scalars", values=("small",)) for name, fn in exprs]
    rows += [
        _row(name, op, ref, DTYPES, "weak scalars", values=("small",))
        for name, op, ref in (
            ("weak t ** 2", functools.partial(_right, operator.pow, 2), functools.partial(_right, np.power, 2)),
            ("weak t.maximum(1)", _method("maximum", 1), functools.partial(_right, np.maximum, 1)),
            ("weak t.minimum(1.5)", _method("minimum", 1.5), functools.partial(_right, np.minimum, 1.5)),
        )
    ]
    return rows


def _math_cases() -> list[OpCase]:
    """The math methods, each as ``t.f(...)`` and as ``kt.f(t, ...)``."""
    # (method, args, NumPy reference, dtypes, value kind, shape)
    table: tuple[
        tuple[str, tuple[Any, ...], Callable[..., Any], Sequence[str], str, tuple[int, ...]], ...
    ] = (
        ("abs", (), np.abs, DTYPES, "any", (2, 3)),
        ("sign", (), np.sign, DTYPES, "any", (2, 3)),
        ("sqrt", (), np.sqrt, DTYPES, "positive", (2, 3)),
        ("square", (), np.square, DTYPES, "any", (2, 3)),
        ("exp", (), np.exp, DTYPES, "any", (2, 3)),
        ("log", (), np.log, DTYPES, "positive", (2, 3)),
        ("sin", (), np.sin, DTYPES, "any", (2, 3)),
        ("cos", (), np.cos, DTYPES, "any", (2, 3)),
        ("tanh", (), np.tanh, DTYPES, "any", (2, 3)),
        ("sigmoid", (), _np_sigmoid, _SIGNED_AND_FLOAT, "any", (2, 3)),
        ("relu", (), _np_relu, _NUMERIC, "any", (2, 3)),
        ("softmax", (), _np_softmax, _SIGNED_AND_FLOAT, "any", (2, 3, 4)),
        ("softmax", (0,), functools.partial(_np_softmax, axis=0), _SIGNED_AND_FLOAT, "any", (2, 3, 4)),
        ("softmax", (1,), functools.partial(_np_softmax, axis=1), _SIGNED_AND_FLOAT, "any", (2, 3, 4)),
        ("log_softmax", (), _np_log_softmax, _SIGNED_AND_FLOAT, "any", (2, 3, 4)),
        ("log_softmax", (1,), functools.partial(_np_log_softmax, axis=1), _SIGNED_AND_FLOAT, "any", (2, 3, 4)),
        ("round", (), np.round, _NUMERIC, "halves", (2, 3)),
        ("clip", (-1, 2), functools.partial(np.clip, a_min=-1, a_max=2), DTYPES, "any", (2, 3)),
        ("clip", (0.5, 2.5), functools.partial(np.clip, a_min=0.5, a_max=2.5), DTYPES, "any", (2, 3)),
        ("pow", (2,), functools.partial(_right, np.power, 2), DTYPES, "any", (2, 3)),
        ("maximum", (0.5,), functools.partial(_right, np.maximum, 0.5), DTYPES, "any", (2, 3)),
    )
    rows = []
    for name, args, ref, dtypes, kind, shape in table:
        shown = ", ".join(map(repr, args))
        for label, op in (
            (f"t.{name}({shown})", _method(name, *args)),
            (f"kt.{name}({', '.join(['t', *map(repr, args)])})", _module(name, *args)),
        ):
            rows.append(_row(label, op, ref, dtypes, "math", (shape,), (kind,)))
    for name, ref in (("maximum", np.maximum), ("minimum", np.minimum), ("pow", np.power)):
        kind = "small" if name == "pow" else "any"
        rows.append(_row(f"t.{name}(u)", _method(name), ref, DTYPES, "math", ((2, 3), (2, 3)), (kind, kind)))
        rows.append(
            _row(f"kt.{name}(t, u)", _module(name), ref, DTYPES, "math", ((2, 3), (2, 3)), (kind, kind))
        )
    return rows


_REDUCTIONS: tuple[tuple[str, Callable[..., Any], str, Sequence[str]], ...] = (
    ("sum", np.sum, "any", DTYPES),
    ("mean", np.mean, "any", DTYPES),
    ("max", np.max, "any", DTYPES),
    ("min", np.min, "any", DTYPES),
    ("prod", np.prod, "unit", DTYPES),
    ("std", np.std, "any", DTYPES),
    ("var", np.var, "any", DTYPES),
    ("any", np.any, "any", DTYPES),
    ("all", np.all, "any", DTYPES),
    ("logsumexp", _np_logsumexp, "any", _SIGNED_AND_FLOAT),
)
_AXES: tuple[int | tuple[int, ...] | None, ...] = (None, 0, 1, 2, -1, -3, (0, 2), (2, -2), (0, 1, 2))


def _reduction_cases() -> list[OpCase]:
    """Reductions over every kind of axis, with and without ``keepdims``; arg-reductions."""
    rows = []
    for name, ref, kind, dtypes in _REDUCTIONS:
        for axis in _AXES:
            for keepdims in (False, True):
                rows.append(
                    _row(
                        f"t.{name}(axis={axis!r}, keepdims={keepdims})",
                        _method(name, axis=axis, keepdims=keepdims),
                        functools.partial(ref, axis=axis, keepdims=keepdims),
                        dtypes,
                        f"reduction {name}",
                        ((2, 3, 4),),
                        (kind,),
                    )
                )
        rows.append(
            _row(
                f"kt.{name}(t, axis=1)",
                _module(name, axis=1),
                functools.partial(ref, axis=1),
                dtypes,
                f"reduction {name}",
                ((2, 3, 4),),
                (kind,),
            )
        )
        rows.append(
            _row(f"t.{name}()", _method(name), ref, dtypes, f"reduction {name}", ((2, 3, 4),), (kind,))
        )
    for name, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
        dtypes = _NUMERIC
        rows.append(
            _row(
                f"t.{name}()",
                _method(name),
                functools.partial(ref, axis=-1),
                dtypes,
                "argreduction",
                ((2, 3, 4),),
                ("distinct",),
            )
        )
        rows.append(
            _row(
                f"kt.{name}(t)",
                _module(name),
                functools.partial(ref, axis=-1),
                dtypes,
                "argreduction",
                ((2, 3, 4),),
                ("distinct",),
            )
        )
        for axis in (0, 1, 2, -2):
            rows.append(
                _row(
                    f"t.{name}(axis={axis})",
                    _method(name, axis=axis),
                    functools.partial(ref, axis=axis),
                    dtypes,
                    "argreduction",
                    ((2, 3, 4),),
                    ("distinct",),
                )
            )
    return rows


def _shape_cases() -> list[OpCase]:
    """reshape, transpose, flatten, expand_dims, squeeze, astype and ``.T``."""
    dtypes = ("bool", "int8", "float32", "float64")
    t3 = ((2, 3, 4),)
    table: tuple[
        tuple[str, Callable[[Any], Any], Callable[[np.ndarray], Any], tuple[tuple[int, ...], ...]], ...
    ] = (
        ("t.reshape((4, 6))", _method("reshape", (4, 6)), functools.partial(np.reshape, shape=(4, 6)), t3),
        ("t.reshape((-1,))", _method("reshape", (-1,)), functools.partial(np.reshape, shape=(-1,)), t3),
        ("t.reshape((2, -1))", _method("reshape", (2, -1)), functools.partial(np.reshape, shape=(2, -1)), t3),
        (
            "t.reshape((4, 1, 3, 2))",
            _method("reshape", (4, 1, 3, 2)),
            functools.partial(np.reshape, shape=(4, 1, 3, 2)),
            t3,
        ),
        (
            "kt.reshape(t, (6, 4))",
            _module("reshape", (6, 4)),
            functools.partial(np.reshape, shape=(6, 4)),
            t3,
        ),
        ("t.transpose()", _method("transpose"), np.transpose, t3),
        (
            "t.transpose((1, 0, 2))",
            _method("transpose", (1, 0, 2)),
            functools.partial(np.transpose, axes=(1, 0, 2)),
            t3,
        ),
        (
            "t.transpose((2, 0, 1))",
            _method("transpose", (2, 0, 1)),
            functools.partial(np.transpose, axes=(2, 0, 1)),
            t3,
        ),
        (
            "kt.transpose(t, (0, 2, 1))",
            _module("transpose", (0, 2, 1)),
            functools.partial(np.transpose, axes=(0, 2, 1)),
            t3,
        ),
        ("t.T (3-D)", operator.attrgetter("T"), operator.attrgetter("T"), t3),
        ("t.T (2-D)", operator.attrgetter("T"), operator.attrgetter("T"), ((2, 3),)),
        ("t.flatten()", _method("flatten"), np.ravel, t3),
        ("kt.flatten(t)", _module("flatten"), np.ravel, t3),
        ("t.expand_dims(0)", _method("expand_dims", 0), functools.partial(np.expand_dims, axis=0), t3),
        ("t.expand_dims(1)", _method("expand_dims", 1), functools.partial(np.expand_dims, axis=1), t3),
        ("t.expand_dims(-1)", _method("expand_dims", -1), functools.partial(np.expand_dims, axis=-1), t3),
        ("kt.expand_dims(t, 3)", _module("expand_dims", 3), functools.partial(np.expand_dims, axis=3), t3),
        ("t.squeeze()", _method("squeeze"), np.squeeze, ((1, 3, 1),)),
        ("t.squeeze(0)", _method("squeeze", 0), functools.partial(np.squeeze, axis=0), ((1, 3, 1),)),
        ("t.squeeze(-1)", _method("squeeze", -1), functools.partial(np.squeeze, axis=-1), ((1, 3, 1),)),
        (
            "t.squeeze((0, 2))",
            _method("squeeze", (0, 2)),
            functools.partial(np.squeeze, axis=(0, 2)),
            ((1, 3, 1),),
        ),
        (
            "kt.squeeze(t, axis=2)",
            _module("squeeze", axis=2),
            functools.partial(np.squeeze, axis=2),
            ((1, 3, 1),),
        ),
    )
    rows = [_row(name, op, ref, dtypes, "shape", shapes) for name, op, ref, shapes in table]
    sources = ("bool", "int8", "uint8", "int64", "float16", "float32", "float64")
    for target in DTYPES:
        rows.append(
            _row(
                f"t.astype({target!r})",
                _method("astype", target),
                _method("astype", target),
                sources,
                "shape",
                values=("small",),
            )
        )
    rows.append(
        _row(
            "kt.astype(t, 'int16')",
            _module("astype", "int16"),
            _method("astype", "int16"),
            sources,
            "shape",
            values=("small",),
        )
    )
    return rows


_INDEXES: tuple[tuple[str, Any], ...] = (
    ("0", 0),
    ("-1", -1),
    ("1, 2", (1, 2)),
    ("0, -1, 2", (0, -1, 2)),
    ("1:", np.s_[1:]),
    (":, 1:3", np.s_[:, 1:3]),
    ("::-1", np.s_[::-1]),
    (":, ::-2", np.s_[:, ::-2]),
    ("2:0:-1", np.s_[2:0:-1]),
    ("1:-1, ::2, -2:", np.s_[1:-1, ::2, -2:]),
    (":, -1:0:-2, ::-3", np.s_[:, -1:0:-2, ::-3]),
    ("..., 1", np.s_[..., 1]),
    ("None", None),
    (":, None", np.s_[:, None]),
    ("..., None", np.s_[..., None]),
    ("0, ..., 1:", np.s_[0, ..., 1:]),
    ("-1, None, ::-1", np.s_[-1, None, ::-1]),
    ("np.array([0, 2])", np.array([0, 2])),
    ("[2, 0, 1]", [2, 0, 1]),
    ("np.array([-1, 0, -1])", np.array([-1, 0, -1])),
    (":, np.array([3, 0, 3])", np.s_[:, np.array([3, 0, 3])]),
    ("..., np.array([4, 1])", np.s_[..., np.array([4, 1])]),
    ("np.array([True, False, True])", np.array([True, False, True])),
    (":, np.array([True, False, True, False])", np.s_[:, np.array([True, False, True, False])]),
)


def _index_with(ix: Any, t: Any) -> Any:
    return t[ix]


def _index_with_constant(ix: np.ndarray, leading: tuple[slice, ...], t: Any) -> Any:
    return t[leading + (kt.constant(ix, backend=_here()),)]


def _index_with_tensor(leading: tuple[slice, ...], t: Any, i: Any) -> Any:
    return t[leading + (i,)]


def _indexing_cases() -> list[OpCase]:
    """``t[...]`` with ints, slices, None, Ellipsis, integer and boolean arrays/tensors."""
    dtypes = ("bool", "int16", "float32")
    rows = []
    for label, ix in _INDEXES:
        fn = functools.partial(_index_with, ix)
        rows.append(_row(f"t[{label}]", fn, fn, dtypes, "indexing", ((3, 4, 5),)))
    for label, ix, leading in (
        ("kt.constant([2, 0])", np.array([2, 0]), ()),
        (":, kt.constant([3, -1])", np.array([3, -1]), (slice(None),)),
        ("kt.constant([False, True, True])", np.array([False, True, True]), ()),
    ):
        rows.append(
            _row(
                f"t[{label}]",
                functools.partial(_index_with_constant, ix, leading),
                functools.partial(_index_with, (*leading, ix)),
                dtypes,
                "indexing",
                ((3, 4, 5),),
            )
        )
    for label, leading in (("t[i]", ()), ("t[:, i]", (slice(None),))):
        fn = functools.partial(_index_with_tensor, leading)
        rows.append(
            _row(
                label,
                fn,
                fn,
                (("float32", "int64"), ("int8", "int32")),
                "indexing",
                ((3, 4, 5), (4,)),
                ("any", "index"),
            )
        )
    return rows


_LINALG_FORMS: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]], ...] = (
    ("t.dot(u)", _method("dot"), np.dot),
    ("kt.dot(t, u)", _module("dot"), np.dot),
    ("t.matmul(u)", _method("matmul"), np.matmul),
    ("kt.matmul(t, u)", _module("matmul"), np.matmul),
    ("t @ u", operator.matmul, operator.matmul),
)
_LINALG_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((3,), (3,)),
    ((2, 3), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3, 4), (4, 5)),
    ((2, 3), (4, 3, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
)


def _linalg_cases() -> list[OpCase]:
    """dot and matmul on 1-D, 2-D and N-D operands, as in NumPy (invalid pairs skipped)."""
    dtypes = (
        ("float32", "float32"),
        ("float64", "float64"),
        ("int32", "int32"),
        ("int8", "int8"),
        ("int32", "float32"),
        ("bool", "bool"),
    )
    return [
        _row(f"{label} {a}x{b}", op, ref, dtypes, "linalg", (a, b), ("small", "small"))
        for label, op, ref in _LINALG_FORMS
        for a, b in _LINALG_SHAPES
    ]


def _np_where(c: np.ndarray, x: Any, y: Any) -> np.ndarray:
    return np.where(c, x, y)


def _module_function_cases() -> list[OpCase]:
    """kt.concatenate, kt.stack and kt.where, mixed dtypes included."""
    pairs = (
        ("float32", "float32"),
        ("int8", "float32"),
        ("int32", "float32"),
        ("bool", "int8"),
        ("uint8", "int8"),
        ("float16", "float64"),
        ("int64", "uint64"),
    )
    rows = []
    for label, kwargs, shapes in (
        ("kt.concatenate([t, u])", {}, ((2, 3), (2, 1))),
        ("kt.concatenate([t, u], axis=0)", {"axis": 0}, ((2, 3), (1, 3))),
        ("kt.concatenate([t, u], axis=1)", {"axis": 1}, ((2, 3, 4), (2, 1, 4))),
        ("kt.concatenate([t, u], axis=-1)", {"axis": -1}, ((2, 3), (2, 2))),
    ):
        np_kwargs = {"axis": -1, **kwargs}  # kt.concatenate's default axis is -1 (Keras), NumPy's 0
        rows.append(
            _row(
                label,
                functools.partial(_pack, "concatenate", kwargs),
                functools.partial(_pack_np, np.concatenate, np_kwargs),
                pairs,
                "module",
                shapes,
            )
        )
    for label, kwargs in (
        ("kt.stack([t, u])", {}),
        ("kt.stack([t, u], axis=1)", {"axis": 1}),
        ("kt.stack([t, u], axis=-1)", {"axis": -1}),
    ):
        rows.append(
            _row(
                label,
                functools.partial(_pack, "stack", kwargs),
                functools.partial(_pack_np, np.stack, kwargs),
                pairs,
                "module",
                ((2, 3), (2, 3)),
            )
        )
    rows.append(
        _row("kt.concatenate([t, u, t], axis=0)", _concat3, _concat3_np, pairs, "module", ((2, 3), (1, 3)))
    )
    where_dtypes = tuple(("bool", a, b) for a, b in pairs)
    rows.append(
        _row(
            "kt.where(c, t, u)", _module("where"), _np_where, where_dtypes, "module", ((2, 3), (2, 3), (2, 3))
        )
    )
    rows.append(
        _row(
            "kt.where(c, t, u) (broadcast)",
            _module("where"),
            _np_where,
            where_dtypes,
            "module",
            ((2, 1), (3,), (2, 3)),
        )
    )
    single = tuple(("bool", d) for d in DTYPES)
    for label, other, on_left in (
        ("kt.where(c, t, 0)", 0, False),
        ("kt.where(c, 2.5, t)", 2.5, True),
        ("kt.where(c, t, [1, 2, 3])", [1, 2, 3], False),
    ):
        rows.append(
            _row(
                label,
                functools.partial(_where_with, kt_where=True, other=other, on_left=on_left),
                functools.partial(_where_with, kt_where=False, other=other, on_left=on_left),
                single,
                "module",
                ((2, 3), (2, 3)),
            )
        )
    rows.append(_row("kt.where(t > 0, t, -t)", _where_cmp, _where_cmp_np, _SIGNED_AND_FLOAT, "module"))
    return rows


def _pack(name: str, kwargs: dict[str, Any], *tensors: Any) -> Any:
    return getattr(kt, name)(list(tensors), **kwargs)


def _pack_np(fn: Callable[..., Any], kwargs: dict[str, Any], *arrays: np.ndarray) -> np.ndarray:
    return fn(list(arrays), **kwargs)


def _concat3(t: Any, u: Any) -> Any:
    return kt.concatenate([t, u, t], axis=0)


def _concat3_np(t: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.concatenate([t, u, t], axis=0)


def _where_with(c: Any, t: Any, *, kt_where: bool, other: Any, on_left: bool) -> Any:
    where = kt.where if kt_where else np.where
    return where(c, other, t) if on_left else where(c, t, other)


def _where_cmp(t: Any) -> Any:
    return kt.where(t > 0, t, -t)


def _where_cmp_np(t: np.ndarray) -> np.ndarray:
    return np.where(t > 0, t, -t)


def _identity(x: Any) -> Any:
    return x


_CREATIONS: tuple[tuple[str, Callable[[], Any], Callable[[], Any]], ...] = (
    ("kt.zeros((2, 3))", lambda: kt.zeros((2, 3), backend=_here()), lambda: np.zeros((2, 3), kt.floatx())),
    (
        "kt.zeros((2, 3), dtype='int8')",
        lambda: kt.zeros((2, 3), dtype="int8", backend=_here()),
        lambda: np.zeros((2, 3), "int8"),
    ),
    ("kt.zeros((2,), dtype='bool')", lambda: kt.zeros((2,), dtype="bool"), lambda: np.zeros((2,), "bool")),
    ("kt.ones((3,))", lambda: kt.ones((3,), backend=_here()), lambda: np.ones((3,), kt.floatx())),
    (
        "kt.ones((2, 2), dtype='uint16')",
        lambda: kt.ones((2, 2), dtype="uint16"),
        lambda: np.ones((2, 2), "uint16"),
    ),
    ("kt.eye(3)", lambda: kt.eye(3, backend=_here()), lambda: np.eye(3, dtype=kt.floatx())),
    ("kt.eye(2, 4)", lambda: kt.eye(2, 4), lambda: np.eye(2, 4, dtype=kt.floatx())),
    (
        "kt.eye(3, m=2, dtype='float64')",
        lambda: kt.eye(3, m=2, dtype="float64"),
        lambda: np.eye(3, 2, dtype="float64"),
    ),
    ("kt.eye(3, dtype='int32')", lambda: kt.eye(3, dtype="int32"), lambda: np.eye(3, dtype="int32")),
    ("kt.arange(5)", lambda: kt.arange(5, backend=_here()), lambda: np.arange(5, dtype="int32")),
    ("kt.arange(2, 8)", lambda: kt.arange(2, 8), lambda: np.arange(2, 8, dtype="int32")),
    ("kt.arange(1, 10, 3)", lambda: kt.arange(1, 10, 3), lambda: np.arange(1, 10, 3, dtype="int32")),
    ("kt.arange(5, 0, -1)", lambda: kt.arange(5, 0, -1), lambda: np.arange(5, 0, -1, dtype="int32")),
    ("kt.arange(4, dtype='int64')", lambda: kt.arange(4, dtype="int64"), lambda: np.arange(4, dtype="int64")),
    (
        "kt.arange(0, 2, 0.5, dtype='float32')",
        lambda: kt.arange(0, 2, 0.5, dtype="float32"),
        lambda: np.arange(0, 2, 0.5, dtype="float32"),
    ),
    ("kt.constant(3)", lambda: kt.constant(3, backend=_here()), lambda: np.array(3, "int64")),
    ("kt.constant(2.5)", lambda: kt.constant(2.5), lambda: np.array(2.5, kt.floatx())),
    ("kt.constant(True)", lambda: kt.constant(True), lambda: np.array(True)),
    ("kt.constant([1, 2, 3])", lambda: kt.constant([1, 2, 3]), lambda: np.array([1, 2, 3], "int64")),
    (
        "kt.constant([[1, 2], [3, 4]])",
        lambda: kt.constant([[1, 2], [3, 4]]),
        lambda: np.array([[1, 2], [3, 4]], "int64"),
    ),
    ("kt.constant([1.5, 2.0])", lambda: kt.constant([1.5, 2.0]), lambda: np.array([1.5, 2.0], kt.floatx())),
    ("kt.constant([True, False])", lambda: kt.constant([True, False]), lambda: np.array([True, False])),
    (
        "kt.constant(np.arange(4, dtype=np.int8))",
        lambda: kt.constant(np.arange(4, dtype=np.int8)),
        lambda: np.arange(4, dtype=np.int8),
    ),
    (
        "kt.constant(np.ones(3, np.uint16))",
        lambda: kt.constant(np.ones(3, np.uint16)),
        lambda: np.ones(3, np.uint16),
    ),
    (
        "kt.constant(np.linspace(0, 1, 3))",
        lambda: kt.constant(np.linspace(0, 1, 3)),
        lambda: np.linspace(0, 1, 3).astype(kt.floatx()),
    ),
    (
        "kt.constant(np.ones(2, np.float16))",
        lambda: kt.constant(np.ones(2, np.float16)),
        lambda: np.ones(2, kt.floatx()),
    ),
    (
        "kt.constant([1, 2], dtype='float64')",
        lambda: kt.constant([1, 2], dtype="float64"),
        lambda: np.array([1, 2], "float64"),
    ),
    (
        "kt.constant(np.arange(3), dtype='int8')",
        lambda: kt.constant(np.arange(3), dtype="int8"),
        lambda: np.arange(3, dtype="int8"),
    ),
    ("kt.constant(3, dtype='uint8')", lambda: kt.constant(3, dtype="uint8"), lambda: np.array(3, "uint8")),
    ("kt.variable(3)", lambda: kt.variable(3, backend=_here()), lambda: np.array(3, "int64")),
    ("kt.variable(2.5)", lambda: kt.variable(2.5), lambda: np.array(2.5, kt.floatx())),
    (
        "kt.variable(np.arange(4, dtype=np.int16))",
        lambda: kt.variable(np.arange(4, dtype=np.int16)),
        lambda: np.arange(4, dtype=np.int16),
    ),
    (
        "kt.variable(np.ones((2, 2)))",
        lambda: kt.variable(np.ones((2, 2))),
        lambda: np.ones((2, 2), kt.floatx()),
    ),
    ("kt.variable([True, False])", lambda: kt.variable([True, False]), lambda: np.array([True, False])),
    (
        "kt.variable([1.5, 2.5], dtype='float64')",
        lambda: kt.variable([1.5, 2.5], dtype="float64"),
        lambda: np.array([1.5, 2.5]),
    ),
)


def _creation_cases() -> list[OpCase]:
    """Creation functions and the §3 dtype rules (``dtype=None``, floatx, int64, bool)."""
    rows = [_row(name, op, ref, [()], "creation", ()) for name, op, ref in _CREATIONS]
    like_dtypes = ("bool", "int8", "uint16", "float64")
    for name, ref in (("zeros_like", np.zeros_like), ("ones_like", np.ones_like)):
        rows.append(_row(f"kt.{name}(t)", _module(name), ref, like_dtypes, "creation"))
        rows.append(
            _row(
                f"kt.{name}(t, dtype='int32')",
                _module(name, dtype="int32"),
                functools.partial(ref, dtype="int32"),
                like_dtypes,
                "creation",
            )
        )
    rows.append(_row("kt.placeholder(shape=(2, 3))", _identity, _identity, [FLOATX], "creation"))
    rows.append(_row("kt.placeholder(shape=(2, 3), dtype=d)", _identity, _identity, DTYPES, "creation"))
    return rows


def _extreme_cases() -> list[OpCase]:
    """Dtype limits, NaN, infinities and -0.0 through the operations that mishandle them most
    often: comparisons, extremes, sign and abs, wrap-around arithmetic."""
    binary: tuple[tuple[str, Callable[..., Any]], ...] = (
        ("t == u", operator.eq), ("t != u", operator.ne), ("t < u", operator.lt),
        ("t <= u", operator.le), ("t > u", operator.gt), ("t >= u", operator.ge),
        ("kt.maximum(t, u)", np.maximum), ("kt.minimum(t, u)", np.minimum),
        ("t + u", operator.add), ("t - u", operator.sub), ("t * u", operator.mul),
    )
    pairs: tuple[str | tuple[str, ...], ...] = (*_NUMERIC, ("int64", "uint64"), ("uint64", "int32"))
    rows = [
        _row(f"extreme {name}", fn if name.startswith("t") else _module(name[3:name.index("(")]), fn,
             pairs, "extremes", ((2, 3), (2, 3)), ("extreme", "extreme"))
        for name, fn in binary
    ]
    unary: tuple[tuple[str, Callable[..., Any], Callable[..., Any]], ...] = (
        ("abs(t)", operator.abs, np.abs),
        ("-t", operator.neg, np.negative),
        ("t.sign()", _method("sign"), np.sign),
        ("t.max()", _method("max"), np.max),
        ("t.min(axis=1)", _method("min", axis=1), functools.partial(np.min, axis=1)),
        ("t.argmax(axis=1)", _method("argmax", axis=1), functools.partial(np.argmax, axis=1)),
        ("t.argmin()", _method("argmin", axis=-1), functools.partial(np.argmin, axis=-1)),
        ("t.sum(axis=0)", _method("sum", axis=0), functools.partial(np.sum, axis=0)),
        ("t.relu()", _method("relu"), _np_relu),
    )
    rows += [
        _row(f"extreme {name}", op, ref, _NUMERIC, "extremes", ((2, 3),), ("extreme",))
        for name, op, ref in unary
    ]
    return rows


def _unknown_shape_cases() -> list[OpCase]:
    """A sample of operations on placeholders whose dimensions are all unknown."""
    table: tuple[tuple[str, Callable[..., Any], Callable[..., Any], tuple[tuple[int, ...], ...]], ...] = (
        ("t + u", operator.add, operator.add, ((2, 1), (3,))),
        ("t - u (same shapes)", operator.sub, operator.sub, ((2, 3), (2, 3))),
        (
            "t * 2.5",
            functools.partial(_right, operator.mul, 2.5),
            functools.partial(_right, operator.mul, 2.5),
            ((2, 3),),
        ),
        ("t @ u", operator.matmul, operator.matmul, ((2, 3, 4), (4, 5))),
        ("t.dot(u)", _method("dot"), np.dot, ((2, 3), (4, 3, 5))),
        ("t.sum(axis=1)", _method("sum", axis=1), functools.partial(np.sum, axis=1), ((2, 3, 4),)),
        (
            "t.mean(axis=(0, 2), keepdims=True)",
            _method("mean", axis=(0, 2), keepdims=True),
            functools.partial(np.mean, axis=(0, 2), keepdims=True),
            ((2, 3, 4),),
        ),
        ("t.std()", _method("std"), np.std, ((2, 3, 4),)),
        ("t.max(axis=-1)", _method("max", axis=-1), functools.partial(np.max, axis=-1), ((2, 3, 4),)),
        ("t.argmax()", _method("argmax"), functools.partial(np.argmax, axis=-1), ((2, 3, 4),)),
        ("t.softmax()", _method("softmax"), _np_softmax, ((2, 3, 4),)),
        (
            "t.logsumexp(axis=0)",
            _method("logsumexp", axis=0),
            functools.partial(_np_logsumexp, axis=0),
            ((2, 3, 4),),
        ),
        (
            "t.reshape((-1,))",
            _method("reshape", (-1,)),
            functools.partial(np.reshape, shape=(-1,)),
            ((2, 3, 4),),
        ),
        (
            "t.reshape((4, -1))",
            _method("reshape", (4, -1)),
            functools.partial(np.reshape, shape=(4, -1)),
            ((2, 3, 4),),
        ),
        ("t.flatten()", _method("flatten"), np.ravel, ((2, 3, 4),)),
        ("t.T", operator.attrgetter("T"), operator.attrgetter("T"), ((2, 3, 4),)),
        ("t.expand_dims(1)", _method("expand_dims", 1), functools.partial(np.expand_dims, axis=1), ((2, 3),)),
        ("t.squeeze(0)", _method("squeeze", 0), functools.partial(np.squeeze, axis=0), ((1, 3),)),
        (
            "t[1:, ::-1]",
            functools.partial(_index_with, np.s_[1:, ::-1]),
            functools.partial(_index_with, np.s_[1:, ::-1]),
            ((3, 4),),
        ),
        (
            "t[-1, None]",
            functools.partial(_index_with, np.s_[-1, None]),
            functools.partial(_index_with, np.s_[-1, None]),
            ((3, 4),),
        ),
        (
            "t[np.array([2, 0])]",
            functools.partial(_index_with, np.array([2, 0])),
            functools.partial(_index_with, np.array([2, 0])),
            ((3, 4),),
        ),
        (
            "t[np.array([True, False, True])]",
            functools.partial(_index_with, np.array([True, False, True])),
            functools.partial(_index_with, np.array([True, False, True])),
            ((3, 4),),
        ),
        (
            "kt.concatenate([t, u], axis=0)",
            functools.partial(_pack, "concatenate", {"axis": 0}),
            functools.partial(_pack_np, np.concatenate, {"axis": 0}),
            ((2, 3), (1, 3)),
        ),
        (
            "kt.stack([t, u], axis=1)",
            functools.partial(_pack, "stack", {"axis": 1}),
            functools.partial(_pack_np, np.stack, {"axis": 1}),
            ((2, 3), (2, 3)),
        ),
        ("kt.zeros_like(t)", _module("zeros_like"), np.zeros_like, ((2, 3),)),
    )
    return [
        OpCase(
            f"unknown shape {name}",
            op,
            ref,
            (("int8",) * len(shapes), ("float32",) * len(shapes)),
            shapes,
            ("small",) * len(shapes),
            "unknown shapes",
            static=False,
            runtime_broadcast=name == "t + u",
        )
        for name, op, ref, shapes in table
    ]


def _build_cases() -> tuple[OpCase, ...]:
    return (
        *_operator_cases(),
        *_promotion_cases(DTYPES),
        *_weak_scalar_cases(),
        *_math_cases(),
        *_reduction_cases(),
        *_shape_cases(),
        *_indexing_cases(),
        *_linalg_cases(),
        *_module_function_cases(),
        *_creation_cases(),
        *_unknown_shape_cases(),
        *_extreme_cases(),
    )


CASES: tuple[OpCase, ...] = _build_cases()
"""The conformance table, every row of the contract's operations."""


# ----------------------------------------------------------------------- operands


def _sample(dtype: np.dtype[Any], shape: tuple[int, ...], kind: str, rng: np.random.Generator) -> np.ndarray:
    """Draws a deterministic array of ``kind`` values valid for ``dtype``.

    Float values are multiples of 1/4, so that floor division, modulo and
    rounding have no representation-dependent ties.
    """
    size = int(np.prod(shape))
    signed = dtype.kind in "if"
    if kind == "extreme":
        if dtype.kind == "f":
            info = np.finfo(dtype)
            edges: list[Any] = [np.nan, np.inf, -np.inf, -0.0, float(info.max), float(info.tiny)]
        elif dtype.kind in "iu":
            bounds = np.iinfo(dtype)
            edges = [int(bounds.min), int(bounds.max), 0, 1, int(bounds.max) - 1, int(bounds.max) // 2 + 1]
        else:
            edges = [True, False, True, False, False, True]
        return rng.permutation(np.resize(np.array(edges, dtype=dtype), size)).reshape(shape)
    if kind == "distinct":
        values: np.ndarray = rng.permutation(size) - (size // 2 if signed else 0)
    elif kind == "index":
        values = rng.integers(-3, 3, size)
    elif dtype.kind == "b":
        values = np.ones(size, bool) if kind == "positive" else rng.random(size) < 0.5
    elif kind == "positive":
        values = rng.integers(1, 13, size) / 4 if dtype.kind == "f" else rng.integers(1, 5, size)
    elif kind == "small":
        values = rng.integers(0, 16, size) / 4 if dtype.kind == "f" else rng.integers(0, 4, size)
    elif kind == "unit":
        values = (
            rng.integers(2, 7, size) / 4
            if dtype.kind == "f"
            else rng.choice([-1, 1, 2] if signed else [1, 2], size)
        )
    elif kind == "halves":
        values = (
            rng.integers(-6, 7, size) / 2 if dtype.kind == "f" else rng.integers(-4 if signed else 0, 5, size)
        )
    else:  # "any"
        values = (
            rng.integers(-12, 13, size) / 4
            if dtype.kind == "f"
            else rng.integers(-4, 5, size)
            if signed
            else rng.integers(0, 9, size)
        )
    return np.asarray(values).astype(dtype).reshape(shape)


@attrs.define
class _Operands:
    """The placeholders and arrays of one check, shared by all cases that fit."""

    backend: Any
    arrays: dict[tuple[str, tuple[int, ...], str, int], np.ndarray] = attrs.field(factory=dict)
    placeholders: dict[tuple[tuple[str, tuple[int, ...], str, int], bool], Any] = attrs.field(factory=dict)
    feeds: dict[Any, np.ndarray] = attrs.field(factory=dict)

    def array(self, key: tuple[str, tuple[int, ...], str, int]) -> np.ndarray:
        """The array of operand ``key`` = (dtype token, shape, value kind, slot)."""
        if key not in self.arrays:
            token, shape, kind, _ = key
            rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
            self.arrays[key] = _sample(np.dtype(kt.floatx() if token == FLOATX else token), shape, kind, rng)
        return self.arrays[key]

    def placeholder(self, key: tuple[str, tuple[int, ...], str, int], static: bool) -> Any:
        """The placeholder fed with :meth:`array` of ``key``, of known shape if ``static``."""
        if (key, static) not in self.placeholders:
            token, shape, _, _ = key
            dtype = None if token == FLOATX else token
            name = f"in{len(self.placeholders)}"
            if static:
                p = kt.placeholder(shape=shape, dtype=dtype, name=name, backend=self.backend)
            else:
                p = kt.placeholder(ndim=len(shape), dtype=dtype, name=name, backend=self.backend)
            self.placeholders[key, static] = p
            self.feeds[p] = self.array(key)
        return self.placeholders[key, static]


# --------------------------------------------------------------------- evaluation


@attrs.define
class _Built:
    """One case instance whose expression has been built."""

    name: str
    expected: np.ndarray
    output: Any
    inputs: tuple[Any, ...]


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


def _mismatches(expected: np.ndarray, received: np.ndarray) -> np.ndarray:
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
    rtol = _RTOL[expected.dtype.name]
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
    elif (bad := _mismatches(expected, received)).size:
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
                    groups.setdefault(case.group, []).append(_Built(name, expected, output, inputs))
        for batch in groups.values():
            failures += _evaluate(batch, operands.feeds, resolved)
        report = CheckReport(resolved.name, checked, failures, skipped)
    if failures:
        raise ConformanceError(report)
    return report
