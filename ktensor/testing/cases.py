"""The conformance kit's row type, :class:`OpCase`, and the helpers rows are built with."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

import ktensor as kt
from ktensor import dtypes

DTYPES: tuple[str, ...] = dtypes.SUPPORTED_DTYPES
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
        tolerance: The relative tolerance of float comparisons, instead of the
            dtype's (gradients against finite differences).
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
    tolerance: float | None = None

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



def _call_reference(ref: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *arrays: Any) -> Any:
    return ref(*arrays, *args, **kwargs)


def _reference_with(ref: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``ref(*arrays, *args, **kwargs)``."""
    return functools.partial(_call_reference, ref, args, kwargs)


def _call_leading(fn: Callable[..., Any], leading: tuple[Any, ...], *rest: Any) -> Any:
    return fn(*leading, *rest)


def _with_leading(fn: Callable[..., Any], leading: tuple[Any, ...]) -> Callable[..., Any]:
    """``fn(*leading, *rest)``: arguments that come before the tensors."""
    return functools.partial(_call_leading, fn, leading) if leading else fn


def _module_leading(name: str, leading: tuple[Any, ...], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``kt.<name>(*leading, *tensors, *args, **kwargs)``."""
    return _with_leading(functools.partial(_call_leading_module, name, args, kwargs), leading)


def _call_leading_module(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *values: Any) -> Any:
    return getattr(kt, name)(*values, *args, **kwargs)
