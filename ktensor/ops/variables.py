"""Variables: reading and assigning their values.

Examples:
    >>> v = kt.variable([1.0, 2.0])
    >>> v.set_value([3.0, 4.0]); v.get_value()
    array([3., 4.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Operand


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
        self.native_set_value(var.handle, np.array(array, dtype=var.dtype))
