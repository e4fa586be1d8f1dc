"""Arithmetic and elementwise math: the operators' operations and NumPy's ufuncs.

Every elementwise operation here runs one engine kernel through
``Core._elementwise``; its dtype rule is NumPy's for the same ufunc (``np.exp`` of
int8 is float16), and its quirks (bool loops, integer identities) are fields of its
:class:`~ktensor.ops.declare.Kernel`. Compositions (``square``, ``clip``) call
other operations through ``self``, so a subclass's override reaches them.

Examples:
    >>> kt.exp([0.0, 1.0]).eval()
    array([1.        , 2.71828183])
"""

from __future__ import annotations

import numpy as np

from ktensor import dtypes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import KitCase, elementwise, operation
from ktensor.tensor import Operand, Tensor

_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_NUMERIC = dtypes.SUPPORTED_DTYPES[1:]
_BINARY = ((2, 3), (2, 3))


class MathOps(Core):
    """Arithmetic and elementwise math."""

    # -- the arithmetic operators (the kit's operator tables check them) ------------
    @elementwise(np.add, on_bool="logical_or", kit=())
    def add(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x + y`` with NumPy's result dtype (``np.add``).

        Examples:
            >>> kt.add([1, 2], 0.5).eval()
            array([1.5, 2.5])
        """
        return self._elementwise("add", x, y)

    @elementwise(np.subtract, kit=())
    def subtract(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x - y`` (``np.subtract``).

        Examples:
            >>> kt.subtract([3, 4], 1).eval()
            array([2, 3])
        """
        return self._elementwise("subtract", x, y)

    @elementwise(np.multiply, on_bool="logical_and", kit=())
    def multiply(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x * y`` (``np.multiply``).

        Examples:
            >>> kt.multiply([1, 2], 3).eval()
            array([3, 6])
        """
        return self._elementwise("multiply", x, y)

    @elementwise(np.true_divide, kit=())
    def divide(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x / y`` (``np.true_divide``: integers give float64).

        Examples:
            >>> kt.divide([1, 3], 2).eval()
            array([0.5, 1.5])
        """
        return self._elementwise("divide", x, y)

    @elementwise(np.floor_divide, division=True, kit=())
    def floor_divide(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x // y`` as NumPy (integer division by zero gives 0).

        Examples:
            >>> kt.floor_divide([-3, 4], 2).eval()
            array([-2,  2])
        """
        return self._elementwise("floor_divide", x, y)

    @elementwise(np.remainder, division=True, kit=())
    def mod(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x % y`` as NumPy (the sign of ``y``).

        Examples:
            >>> kt.mod([-3, 4], 3).eval()
            array([0, 1])
        """
        return self._elementwise("mod", x, y)

    @elementwise(np.power, kit=())
    def power(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x ** y`` (``np.power``).

        Examples:
            >>> kt.power([2, 3], 2).eval()
            array([4, 9])
        """
        return self._elementwise("power", x, y)

    @elementwise(np.negative, kit=())
    def negative(self, x: Operand) -> Tensor:
        """Elementwise ``-x`` (unsigned integers wrap, as NumPy).

        Examples:
            >>> kt.negative([1, -2]).eval()
            array([-1,  2])
        """
        return self._elementwise("negative", x)

    @elementwise(np.positive, kernel="identity", kit=())
    def positive(self, x: Operand) -> Tensor:
        """Elementwise ``+x``: the value unchanged.

        Examples:
            >>> kt.positive([1, -2]).eval()
            array([ 1, -2])
        """
        return self._elementwise("positive", x)

    # -- elementwise functions ---------------------------------------------------------
    @elementwise(np.abs, on_bool="identity", on_unsigned="identity")
    def abs(self, x: Operand) -> Tensor:
        """Elementwise absolute value.

        Examples:
            >>> kt.abs([-1, 2]).eval()
            array([1, 2])
        """
        return self._elementwise("abs", x)

    @elementwise(np.sign, on_unsigned="unsigned_sign")
    def sign(self, x: Operand) -> Tensor:
        """Elementwise sign: -1, 0 or 1.

        Examples:
            >>> kt.sign([-3.0, 0.0, 2.0]).eval()
            array([-1.,  0.,  1.])
        """
        return self._elementwise("sign", x)

    @elementwise(np.sqrt, values="positive", grad=True)
    def sqrt(self, x: Operand) -> Tensor:
        """Elementwise square root.

        Examples:
            >>> kt.sqrt([4.0, 9.0]).eval()
            array([2., 3.])
        """
        return self._elementwise("sqrt", x)

    @elementwise(np.exp, grad=True)
    def exp(self, x: Operand) -> Tensor:
        """Elementwise exponential.

        Examples:
            >>> kt.exp([0.0]).eval()
            array([1.])
        """
        return self._elementwise("exp", x)

    @elementwise(np.log, values="positive", grad=True)
    def log(self, x: Operand) -> Tensor:
        """Elementwise natural logarithm.

        Examples:
            >>> kt.log([1.0]).eval()
            array([0.])
        """
        return self._elementwise("log", x)

    @elementwise(np.sin, grad=True)
    def sin(self, x: Operand) -> Tensor:
        """Elementwise sine.

        Examples:
            >>> kt.sin([0.0]).eval()
            array([0.])
        """
        return self._elementwise("sin", x)

    @elementwise(np.cos, grad=True)
    def cos(self, x: Operand) -> Tensor:
        """Elementwise cosine.

        Examples:
            >>> kt.cos([0.0]).eval()
            array([1.])
        """
        return self._elementwise("cos", x)

    @elementwise(np.tanh, grad=True)
    def tanh(self, x: Operand) -> Tensor:
        """Elementwise hyperbolic tangent.

        Examples:
            >>> kt.tanh([0.0]).eval()
            array([0.])
        """
        return self._elementwise("tanh", x)

    @elementwise(
        np.exp,
        kit=(KitCase(reference=references.sigmoid, dtypes=_SIGNED_AND_FLOAT, grad=True),),
    )
    def sigmoid(self, x: Operand) -> Tensor:
        """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``, one engine kernel.

        Examples:
            >>> kt.sigmoid([0.0]).eval()
            array([0.5])
        """
        return self._elementwise("sigmoid", x)

    @elementwise(np.round, on_integer="identity", values="halves", kit_dtypes=_NUMERIC)
    def round(self, x: Operand) -> Tensor:
        """Round half to even, as ``np.round``; integers are kept as they are.

        Examples:
            >>> kt.round([0.5, 1.5, 2.5]).eval()
            array([0., 2., 2.])
        """
        return self._elementwise("round", x)

    # -- compositions -------------------------------------------------------------------
    @operation(dtype=dtypes.like_numpy(np.square), reference=np.square, kit=(KitCase(grad=True),))
    def square(self, x: Operand) -> Tensor:
        """Elementwise ``x * x`` in NumPy's dtype for ``np.square``.

        Examples:
            >>> kt.square([2, 3]).eval()
            array([4, 9])
        """
        t = self.astype(x, dtypes.result_dtype("square", self._operand(x, "square argument").key))
        return self.multiply(t, t)

    @operation(
        reference=np.clip,
        kit=(KitCase(args=(-1, 2)), KitCase(args=(0.5, 2.5))),
    )
    def clip(self, x: Operand, min: Operand, max: Operand) -> Tensor:
        """Limit ``x`` to ``[min, max]``: ``minimum(maximum(x, min), max)``.

        Python int bounds outside an integer tensor's range are clamped to it, as
        ``np.clip`` accepts them.

        Examples:
            >>> kt.clip([-2, 0, 5], -1, 1).eval()
            array([-1,  0,  1])
        """
        t = self._tensor(x, "clip argument")
        if min is None and max is None:
            raise ValueError("ktensor: clip needs at least one of min and max (both are None)")
        if dtypes.is_integer(t.dtype):
            info = np.iinfo(t.dtype)
            min, max = (int(np.clip(b, info.min, info.max)) if type(b) is int else b for b in (min, max))
        low = t if min is None else self.maximum(t, min)
        return low if max is None else self.minimum(low, max)

    @elementwise(
        np.maximum,
        on_bool="logical_or",
        kit=(KitCase(args=(0.5,)), KitCase(shapes=_BINARY)),
    )
    def maximum(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise maximum (NaN wins, as ``np.maximum``).

        Examples:
            >>> kt.maximum([1, 5], [3, 2]).eval()
            array([3, 5])
        """
        return self._elementwise("maximum", x, y)

    @elementwise(np.minimum, on_bool="logical_and", kit=(KitCase(shapes=_BINARY),))
    def minimum(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise minimum (NaN wins, as ``np.minimum``).

        Examples:
            >>> kt.minimum([1, 5], [3, 2]).eval()
            array([1, 2])
        """
        return self._elementwise("minimum", x, y)

    @operation(
        alias_of="power",
        reference=np.power,
        kit=(KitCase(args=(2,)), KitCase(shapes=_BINARY, values="small")),
    )
    def pow(self, x: Operand, a: Operand) -> Tensor:
        """Elementwise power, ``x ** a`` (Keras's name for ``power``).

        Examples:
            >>> kt.pow([2, 3], 2).eval()
            array([4, 9])
        """
        return self.power(x, a)
