"""Linear algebra: ``matmul`` (``@``) and ``dot``, in NumPy's result dtype.

Examples:
    >>> kt.dot([1, 2], [3, 4]).eval()
    array(11)
"""

from __future__ import annotations

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Operand, Tensor


class LinalgOps(Core):
    """Matrix products."""

    @operation(dtype=dtypes.like_numpy(np.matmul), covered_by_tables=True)
    def matmul(self, x: Operand, y: Operand) -> Tensor:
        """``np.matmul``: 1-D operands are promoted and the added axis removed.

        Examples:
            >>> kt.matmul([[1, 2]], [[3], [4]]).eval()
            array([[11]])
        """
        a, b = self._tensor(x, "matmul operand 1"), self._tensor(y, "matmul operand 2")
        shape = shapes.matmul(a.shape, b.shape)
        out, work, na, nb = self._product_operands(a, b)
        if a.ndim == 1:
            na = self.native_reshape(na, (1, -1))
        if b.ndim == 1:
            nb = self.native_reshape(nb, (-1, 1))
        native = self._kernel("matmul", [na, nb], work, out, self.native_matmul)
        if a.ndim == 1 or b.ndim == 1:
            native = self.native_reshape(native, tuple(-1 if d is None else d for d in shape))
        return self._wrap(native, out, shape, self._placeholders(a, b))

    @operation(covered_by_tables=True)
    def dot(self, x: Operand, y: Operand) -> Tensor:
        """``np.dot``: multiply for scalars, matmul up to 2-D, else a contraction of
        the last axis of ``x`` with the second-to-last of ``y``.

        Examples:
            >>> kt.dot([1, 2], [3, 4]).eval()
            array(11)
        """
        a, b = self._tensor(x, "dot operand 1"), self._tensor(y, "dot operand 2")
        if a.ndim == 0 or b.ndim == 0:
            return self.multiply(a, b)
        if a.ndim <= 2 and b.ndim <= 2:
            return self.matmul(a, b)
        axis_b = -2 if b.ndim >= 2 else -1
        shape = shapes.tensordot_check(a.shape, b.shape, -1, axis_b)
        out, work, na, nb = self._product_operands(a, b)
        native = self._kernel(
            "matmul", [na, nb], work, out,
            lambda p, q: self.native_tensordot(p, q, a.ndim - 1, b.ndim + axis_b),
        )
        return self._wrap(native, out, shape, self._placeholders(a, b))
