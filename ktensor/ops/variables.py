"""Variables: reading and assigning their values.

Examples:
    >>> v = kt.variable([1.0, 2.0])
    >>> v.set_value([3.0, 4.0]); v.get_value()
    array([3., 4.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Operand, Tensor


class VariableOps(Core):
    """Reading and assigning variables."""

    @operation(kit_exempt="host-side access to a variable's storage (tests/test_core.py)")
    def get_value(self, x: Operand) -> np.ndarray:
        """The current value of variable ``x``.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> kt.get_value(v)
            array([1., 2.], dtype=float32)
        """
        return self.native_get_value(self._variable(x, "get_value").handle)

    @operation(kit_exempt="host-side access to a variable's storage (tests/test_core.py)")
    def set_value(self, x: Operand, value: Any) -> None:
        """Assign ``value`` to variable ``x``: same shape, ``same_kind`` castable.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> kt.set_value(v, [3.0, 4.0]); v.get_value()
            array([3., 4.], dtype=float32)
        """
        var = self._variable(x, "set_value")
        array = self._array(value, "set_value value")
        if not dtypes.can_cast(array.dtype, var.dtype):
            raise TypeError(
                f"ktensor: set_value of {var.label}: cannot cast {array.dtype} to {var.dtype} "
                f"under the same_kind rule"
            )
        if array.shape != var.shape:
            raise ValueError(
                f"ktensor: set_value of {var.label}: expected shape {shapes.describe(var.shape)}, "
                f"received {shapes.describe(array.shape)}"
            )
        self.native_set_value(var.handle, np.array(dtypes.cast_value(array, var.dtype, f"set_value of {var.label}")))

    # -- updates for kt.function(updates=...) (API.md §8) --------------------------
    def _update_pair(self, op: str, var: Tensor, new: Tensor) -> tuple[Tensor, Tensor]:
        """``(var, new)`` with ``new`` checked and cast to the variable's dtype."""
        if not dtypes.can_cast(new.dtype, var.dtype):
            raise TypeError(
                f"ktensor: {op}: the new value of {var.label} has dtype {new.dtype}, which does not "
                f"cast to {var.dtype} under the same_kind rule"
            )
        if len(new.shape) != len(var.shape) or any(
            a is not None and b is not None and a != b for a, b in zip(new.shape, var.shape)
        ):
            raise ValueError(
                f"ktensor: {op}: the new value of {var.label} has shape {shapes.describe(new.shape)}; "
                f"expected {shapes.describe(var.shape)}"
            )
        return var, self.astype(new, var.dtype)

    @operation(kit_exempt="returns a (variable, new value) pair for kt.function(updates=...) (tests/test_ops_graph.py)")
    def update(self, x: Operand, new_x: Operand) -> tuple[Tensor, Tensor]:
        """The update pair ``(x, new_x)`` for ``kt.function(updates=...)``; ``new_x`` is cast
        to ``x``'s dtype (``same_kind``) and must have its shape.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> f = kt.function([], [], updates=[kt.update(v, [5.0, 6.0])])
            >>> _ = f(); v.get_value()
            array([5., 6.], dtype=float32)
        """
        var = self._variable(x, "update x")
        return self._update_pair("update", var, self._tensor(new_x, "update new_x"))

    @operation(kit_exempt="returns a (variable, new value) pair for kt.function(updates=...) (tests/test_ops_graph.py)")
    def update_add(self, x: Operand, increment: Operand) -> tuple[Tensor, Tensor]:
        """The update pair ``(x, x + increment)`` for ``kt.function(updates=...)``.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> f = kt.function([], [], updates=[kt.update_add(v, 1.0)])
            >>> _ = f(); v.get_value()
            array([2., 3.], dtype=float32)
        """
        var = self._variable(x, "update_add x")
        return self._update_pair("update_add", var, self.add(var, increment))

    @operation(kit_exempt="returns a (variable, new value) pair for kt.function(updates=...) (tests/test_ops_graph.py)")
    def update_sub(self, x: Operand, decrement: Operand) -> tuple[Tensor, Tensor]:
        """The update pair ``(x, x - decrement)`` for ``kt.function(updates=...)``.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> f = kt.function([], [], updates=[kt.update_sub(v, 1.0)])
            >>> _ = f(); v.get_value()
            array([0., 1.], dtype=float32)
        """
        var = self._variable(x, "update_sub x")
        return self._update_pair("update_sub", var, self.subtract(var, decrement))

    @operation(kit_exempt="returns a (variable, new value) pair for kt.function(updates=...) (tests/test_ops_graph.py)")
    def moving_average_update(self, x: Operand, value: Operand, momentum: Operand) -> tuple[Tensor, Tensor]:
        """The update pair ``(x, x * momentum + value * (1 - momentum))`` (Keras 2).

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> f = kt.function([], [], updates=[kt.moving_average_update(v, [3.0, 4.0], 0.5)])
            >>> _ = f(); v.get_value()
            array([2., 3.], dtype=float32)
        """
        var = self._variable(x, "moving_average_update x")
        new = self.add(self.multiply(var, momentum), self.multiply(value, self.subtract(1, momentum)))
        return self._update_pair("moving_average_update", var, new)

    @operation(method=False, kit_exempt="host-side access to variables' storage (tests/test_ops_graph.py)")
    def batch_get_value(self, xs: Sequence[Operand]) -> list[np.ndarray]:
        """The current values of the variables ``xs``, as a list of arrays.

        Examples:
            >>> a, b = kt.variable([1.0]), kt.variable(2)
            >>> kt.batch_get_value([a, b])
            [array([1.], dtype=float32), array(2)]
        """
        if isinstance(xs, Tensor) or not isinstance(xs, (list, tuple)):
            raise TypeError(f"ktensor: batch_get_value: xs must be a list of variables; received {xs!r}")
        return [self.get_value(x) for x in xs]

    @operation(method=False, kit_exempt="host-side access to variables' storage (tests/test_ops_graph.py)")
    def batch_set_value(self, tuples: Sequence[tuple[Operand, Any]]) -> None:
        """Assign each ``(variable, value)`` pair, as ``set_value`` does; all are checked first.

        Examples:
            >>> a, b = kt.variable([1.0]), kt.variable(2)
            >>> kt.batch_set_value([(a, [3.0]), (b, 4)]); a.get_value(), b.get_value()
            (array([3.], dtype=float32), array(4))
        """
        if isinstance(tuples, Tensor) or not isinstance(tuples, (list, tuple)):
            raise TypeError(f"ktensor: batch_set_value: tuples must be a list of (variable, value) pairs; received {tuples!r}")
        pairs = []
        for i, pair in enumerate(tuples):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError(f"ktensor: batch_set_value: tuples[{i}] must be a (variable, value) pair; received {pair!r}")
            var = pair[0]
            # A variable of another backend instance is set by that backend.
            owner = var.backend if isinstance(var, Tensor) else self
            owner._variable(var, f"batch_set_value tuples[{i}][0]")
            pairs.append((owner, var, pair[1]))
        for owner, var, value in pairs:
            owner.set_value(var, value)
