"""Comparisons, bitwise and logical operations, and the elementwise choice ``where``.

Comparisons compare their operands in the operands' common dtype (a Python int of any
size against an integer tensor, a signed integer against a uint64, exactly as NumPy 2);
on bool tensors the bitwise operations are the logical ones.

Examples:
    >>> (kt.constant([1, 2, 3]) > 2).eval()
    array([False, False,  True])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, elementwise, operation
from ktensor.tensor import Operand, Tensor

#: Truth values of every kind of operand: bools, integers, floats (NaN is true).
_LOGICAL_DTYPES = ("bool", "int8", "uint8", "int64", "float16", "float32")
_LOGICAL_KIT = (
    KitCase(shapes=((2, 3), (2, 3)), dtypes=_LOGICAL_DTYPES, values="small"),
    KitCase(shapes=((2, 3), (2, 3)), dtypes=(("bool", "int32"), ("float32", "bool"), ("uint8", "float64"))),
    KitCase(args=(0.5,), dtypes=("bool", "int8", "float32")),
    KitCase(args=(0,), dtypes=("bool", "float32")),
)


def _switch_reference(condition: Any, then_expression: Any, else_expression: Any) -> np.ndarray:
    """``np.where`` of the condition's truth value."""
    return np.asarray(np.where(np.asarray(condition).astype(bool), then_expression, else_expression))


@attrs.frozen
class _SwitchPlan:
    """The dtype and static shape both branches of a lazy ``switch`` are brought to."""

    dtype: str
    shape: shapes.Shape

    @classmethod
    def of(cls, then_operand: Any, else_operand: Any) -> _SwitchPlan:
        dtype = dtypes.result_dtype("where", "bool", then_operand.key, else_operand.key)
        shape = shapes.broadcast(then_operand.shape, else_operand.shape, operation="switch")
        return cls(dtype, shape)


class _Replan(Exception):
    """Raised inside a branch being built: the branches need another plan."""

    def __init__(self, plan: _SwitchPlan) -> None:
        super().__init__(plan)
        self.plan = plan


class LogicOps(Core):
    """Comparisons, bitwise and logical operations."""

    @elementwise(np.equal, comparison=True, kit=())
    def equal(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x == y`` (bool).

        Examples:
            >>> kt.equal([1, 2], 2).eval()
            array([False,  True])
        """
        return self._elementwise("equal", x, y)

    @elementwise(np.not_equal, comparison=True, kit=())
    def not_equal(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x != y`` (bool).

        Examples:
            >>> kt.not_equal([1, 2], 2).eval()
            array([ True, False])
        """
        return self._elementwise("not_equal", x, y)

    @elementwise(np.less, comparison=True, kit=())
    def less(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x < y`` (bool).

        Examples:
            >>> kt.less([1, 2], 2).eval()
            array([ True, False])
        """
        return self._elementwise("less", x, y)

    @elementwise(np.less_equal, comparison=True, kit=())
    def less_equal(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x <= y`` (bool).

        Examples:
            >>> kt.less_equal([1, 3], 2).eval()
            array([ True, False])
        """
        return self._elementwise("less_equal", x, y)

    @elementwise(np.greater, comparison=True, kit=())
    def greater(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x > y`` (bool).

        Examples:
            >>> kt.greater([1, 3], 2).eval()
            array([False,  True])
        """
        return self._elementwise("greater", x, y)

    @elementwise(np.greater_equal, comparison=True, kit=())
    def greater_equal(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x >= y`` (bool).

        Examples:
            >>> kt.greater_equal([1, 2], 2).eval()
            array([False,  True])
        """
        return self._elementwise("greater_equal", x, y)

    @elementwise(np.bitwise_and, on_bool="logical_and", kit=())
    def bitwise_and(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x & y``; on bool tensors the logical and.

        Examples:
            >>> kt.bitwise_and([6, 3], 5).eval()
            array([4, 1])
        """
        return self._elementwise("bitwise_and", x, y)

    @elementwise(np.bitwise_or, on_bool="logical_or", kit=())
    def bitwise_or(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x | y``; on bool tensors the logical or.

        Examples:
            >>> kt.bitwise_or([6, 3], 5).eval()
            array([7, 7])
        """
        return self._elementwise("bitwise_or", x, y)

    @elementwise(np.bitwise_xor, on_bool="logical_xor", kit=())
    def bitwise_xor(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x ^ y``; on bool tensors the logical exclusive or.

        Examples:
            >>> kt.bitwise_xor([6, 3], 5).eval()
            array([3, 6])
        """
        return self._elementwise("bitwise_xor", x, y)

    @elementwise(np.invert, on_bool="logical_not", kit=())
    def invert(self, x: Operand) -> Tensor:
        """Elementwise ``~x``; on bool tensors the logical not.

        Examples:
            >>> kt.invert([True, False]).eval()
            array([False,  True])
        """
        return self._elementwise("invert", x)

    @operation(method=False, covered_by_tables=True)
    def where(self, condition: Operand, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x`` where ``condition`` is true, else ``y`` (``np.where``).

        Examples:
            >>> kt.where([True, False], 1, [5, 6]).eval()
            array([1, 6])
        """
        cond = self.astype(self._tensor(condition, "where condition"), "bool")
        ox, oy = self._operand(x, "where x"), self._operand(y, "where y")
        out = dtypes.result_dtype("where", "bool", ox.key, oy.key)
        shape = shapes.broadcast(cond.shape, ox.shape, oy.shape, operation="where")
        natives = [cond.native, self._native_operand(ox, out), self._native_operand(oy, out)]
        native = self._broadcast_checked("where", self.native_where(*natives), natives, [cond.shape, ox.shape, oy.shape])
        return self._wrap(native, out, shape, self._placeholders(cond, ox.tensor, oy.tensor))

    # -- logical operations: operands by truth value, bool out -----------------------
    def _truth(self, x: Operand, argument: str) -> Operand:
        """``x`` as bool by truth value (``x != 0``, NaN true), a Python scalar kept weak."""
        if dtypes.is_weak_scalar(x):
            return bool(x)
        return self.astype(self._tensor(x, argument), "bool")

    @elementwise(np.logical_and, kit=_LOGICAL_KIT)
    def logical_and(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise logical and of the operands' truth values (bool).

        Examples:
            >>> kt.logical_and([0, 1, 2], [1.5, 0.0, -1.0]).eval()
            array([False, False,  True])
        """
        return self._elementwise("logical_and", self._truth(x, "logical_and x"), self._truth(y, "logical_and y"))

    @elementwise(np.logical_or, kit=_LOGICAL_KIT)
    def logical_or(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise logical or of the operands' truth values (bool).

        Examples:
            >>> kt.logical_or([0, 0, 2], [0.0, 0.5, 0.0]).eval()
            array([False,  True,  True])
        """
        return self._elementwise("logical_or", self._truth(x, "logical_or x"), self._truth(y, "logical_or y"))

    @elementwise(np.logical_xor, kit=_LOGICAL_KIT)
    def logical_xor(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise exclusive or of the operands' truth values (bool).

        Examples:
            >>> kt.logical_xor([0, 1, 2], [1, 1, 0]).eval()
            array([ True, False,  True])
        """
        return self._elementwise("logical_xor", self._truth(x, "logical_xor x"), self._truth(y, "logical_xor y"))

    @elementwise(np.logical_not, kit_dtypes=_LOGICAL_DTYPES)
    def logical_not(self, x: Operand) -> Tensor:
        """Elementwise logical not of the truth value (bool).

        Examples:
            >>> kt.logical_not([0, 3]).eval()
            array([ True, False])
        """
        return self._elementwise("logical_not", self._truth(x, "logical_not argument"))

    # -- switch --------------------------------------------------------------------
    @operation(
        method=False,
        dtype=dtypes.like_numpy(_switch_reference),
        reference=_switch_reference,
        kit=(
            KitCase(shapes=((2, 3), (2, 3), (2, 3)), dtypes=(("bool", "int32", "float32"), ("int8", "float64", "float64"))),
            KitCase(shapes=((), (2, 3), (2, 3)), dtypes=(("bool", "int32", "float32"), ("bool", "int8", "int8")),
                    label="kt.switch(scalar t, u, v)"),
            KitCase(shapes=((), (2, 3)), args=(0.5,), dtypes=(("bool", "float32"), ("bool", "int8")),
                    label="kt.switch(scalar t, u, 0.5)"),
            KitCase(shapes=((3,), (2, 3)), args=(-1,), dtypes=(("bool", "int32"), ("float32", "float32"))),
        ),
    )
    def switch(self, condition: Operand, then_expression: Any, else_expression: Any) -> Tensor:
        """``then_expression`` where ``condition`` holds, else ``else_expression`` (Keras 2).

        Each branch is a tensor (or anything ``kt.constant`` takes) or a callable of no
        arguments returning one. Both are brought to their NumPy result dtype
        (``np.where``'s) and broadcast together; the static shape is their broadcast.

        * A scalar (0-d) ``condition`` runs only the branch taken (``native_cond``): a
          callable branch is called once, while the condition is being built into the
          graph, and what it builds runs only when its branch is taken.
          A lower-rank branch is broadcast inside its own branch, which needs the
          broadcast shape known when built, or the other branch given as a tensor
          (not a callable); else a ``ValueError``.
        * A tensor ``condition`` is ``where(condition, then, else)`` with NumPy
          broadcasting (callables are called first; both branches run). Keras 2 instead
          lines a lower-rank condition up with the leading axes; ktensor follows NumPy.

        Examples:
            >>> kt.switch(kt.constant(True), lambda: kt.constant([1, 2]), 0.5).eval()
            array([1., 2.])
            >>> kt.switch([True, False], 1, [5, 6]).eval()
            array([1, 6])
        """
        cond = self._tensor(condition, "switch condition")
        if cond.ndim > 0:
            then_value = then_expression() if callable(then_expression) else then_expression
            else_value = else_expression() if callable(else_expression) else else_expression
            return self.where(cond, then_value, else_value)
        return self._lazy_switch(self.astype(cond, "bool"), then_expression, else_expression)

    def _lazy_switch(self, cond: Tensor, then_expression: Any, else_expression: Any) -> Tensor:
        branches = (then_expression, else_expression)
        names = ("switch then_expression", "switch else_expression")
        fixed = [None if callable(b) else self._operand(b, n) for b, n in zip(branches, names)]
        # The engines build the first branch first: let a callable go first, so that
        # when it is built the other branch's dtype and shape are known.
        swap = fixed[0] is not None and fixed[1] is None
        plan = _SwitchPlan.of(fixed[0], fixed[1]) if None not in fixed else None
        for _attempt in range(2):
            try:
                return self._switch_cond(cond, branches, names, fixed, plan, swap)
            except _Replan as replan:
                plan = replan.plan
        raise AssertionError("unreachable: a second plan always fits")  # pragma: no cover

    def _switch_cond(
        self,
        cond: Tensor,
        branches: tuple[Any, Any],
        names: tuple[str, str],
        fixed: list[Any],
        plan: _SwitchPlan | None,
        swap: bool,
    ) -> Tensor:
        built: dict[int, Any] = {}
        chosen: list[_SwitchPlan] = [] if plan is None else [plan]
        found: list[frozenset[Tensor]] = []

        def branch(i: int) -> Callable[[], Any]:
            def build() -> Any:
                operand = fixed[i]
                if operand is None:
                    value = branches[i]()
                    operand = self._operand(value, f"{names[i]} (the callable's result)")
                built[i] = operand
                other = fixed[1 - i] if fixed[1 - i] is not None else built.get(1 - i)
                if other is not None:
                    final = _SwitchPlan.of(*((operand, other) if i == 0 else (other, operand)))
                    if chosen and chosen[0] != final:
                        raise _Replan(final)  # the first branch guessed; build both again
                    chosen[:] = [final]
                elif not chosen:  # both callables, this one first: guess its own type
                    chosen.append(_SwitchPlan(operand.tensor.dtype if operand.tensor is not None else
                                              dtypes.result_dtype("where", "bool", operand.key, operand.key),
                                              operand.shape))
                result = self._switch_branch(operand, chosen[0], fixed[1 - i])
                found.append(result.placeholders)
                return result.native

            return build

        first, second = (branch(1), branch(0)) if swap else (branch(0), branch(1))
        condition = self.logical_not(cond) if swap else cond
        native = self.native_cond(condition.native, first, second)
        final = chosen[0]
        placeholders = self._placeholders(condition).union(*found)
        return self._wrap(native, final.dtype, final.shape, placeholders)

    def _switch_branch(self, operand: Any, plan: _SwitchPlan, other: Any) -> Tensor:
        """One branch in the plan's dtype, broadcast to the plan's shape (against the
        other branch's run-time shape where it is a tensor given as such)."""
        if operand.tensor is None:
            t = self._constant_tensor(dtypes.weak_scalar_array(operand.weak, plan.dtype, operand.argument))
        else:
            t = self.astype(operand.tensor, plan.dtype)
        if t.shape == plan.shape or (len(t.shape) == len(plan.shape) and all(
            a is None or b is None or a == b for a, b in zip(t.shape, plan.shape)
        )):
            return t
        if None in plan.shape and other is not None and other.tensor is not None:
            return self.add(t, self.zeros_like(other.tensor, dtype=plan.dtype))
        if None in plan.shape:
            raise ValueError(
                f"ktensor: switch: with a scalar condition, a branch of shape {shapes.describe(t.shape)} "
                f"is broadcast to {shapes.describe(plan.shape)} only when that shape is known or the "
                f"other branch is a tensor (not a callable); broadcast it inside the branch"
            )
        zeros = self._constant_tensor(np.zeros(tuple(d or 0 for d in plan.shape), plan.dtype))
        return self.add(t, zeros)
