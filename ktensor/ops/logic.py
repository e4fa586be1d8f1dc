"""Comparisons, bitwise and logical operations, and the elementwise choice ``where``.

Comparisons compare their operands in the operands' common dtype (a Python int of any
size against an integer tensor, a signed integer against a uint64, exactly as NumPy 2);
on bool tensors the bitwise operations are the logical ones.

Examples:
    >>> (kt.constant([1, 2, 3]) > 2).eval()
    array([False, False,  True])
"""

from __future__ import annotations

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import elementwise, operation
from ktensor.tensor import Operand, Tensor


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
        native = self.native_where(cond.native, self._native_operand(ox, out), self._native_operand(oy, out))
        return self._wrap(native, out, shape, self._placeholders(cond, ox.tensor, oy.tensor))
