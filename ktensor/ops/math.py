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

import math
from typing import Any

import numpy as np

from ktensor import dtypes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import KitCase, elementwise, operation
from ktensor.tensor import Operand, Tensor

_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_NUMERIC = dtypes.SUPPORTED_DTYPES[1:]
_BINARY = ((2, 3), (2, 3))
#: The kit's dtypes of the float-valued functions: integers go to NumPy's float.
_TO_FLOAT = ("bool", "int8", "int32", "uint8", "float16", "float32", "float64")
_SMALL_TO_FLOAT = ("int8", "int32", "float16", "float32", "float64")
_ROUNDING = ("bool", "int8", "uint32", "float16", "float32", "float64")
_PREDICATE = ("bool", "int32", "uint8", "float16", "float32", "float64")


_ERF_INTEGER_DTYPE = "float64"
_vectorized_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erf(x: Any) -> np.ndarray:
    """``scipy.special.erf`` without SciPy: floats keep their dtype (float16 too),
    bools and integers give float64 (SciPy's only integer loop is ``d->d``)."""
    a = np.asarray(x)
    out = a.dtype.name if a.dtype.kind == "f" else _ERF_INTEGER_DTYPE
    with np.errstate(all="ignore"):
        return np.asarray(_vectorized_erf(a.astype(np.float64)), dtype=out)


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

        As in NumPy, integers to negative integer powers are refused: a ``ValueError`` when
        the exponent is known when the expression is built, a run-time check otherwise.

        Examples:
            >>> kt.power([2, 3], 2).eval()
            array([4, 9])
            >>> kt.power([2, 3], -1)
            Traceback (most recent call last):
            ...
            ValueError: ktensor: power: integers to negative integer powers are not allowed (NumPy refuses them too); received the exponent -1 (use a float base, e.g. x.astype('float64') ** -1)
        """
        return self._elementwise("power", *self._integer_power_operands(x, y))

    def _integer_power_operands(self, x: Operand, y: Operand) -> tuple[Operand, Operand]:
        """``x`` and ``y`` converted, ``y`` refused or checked at run time to hold no negative
        value where ``x ** y`` is an integer power (NumPy: "Integers to negative integer
        powers are not allowed")."""
        base, exponent = (self._operand(v, f"power operand {i + 1}") for i, v in enumerate((x, y)))
        values = (base.weak if base.tensor is None else base.tensor, exponent.weak if exponent.tensor is None else exponent.tensor)
        t = exponent.tensor
        if not dtypes.is_integer(dtypes.result_dtype("power", base.key, exponent.key)) or (
            t is not None and not dtypes.is_signed(t.dtype)
        ):
            return values
        known: np.ndarray | None = None
        if t is None:
            known = np.asarray(exponent.weak)
        elif not isinstance(y, Tensor) or (y.role == "constant" and not y.placeholders):
            known = np.asarray(y.eval() if isinstance(y, Tensor) else y)
        if known is not None:
            if known.size and known.min() < 0:
                shown = known.tolist() if known.ndim else int(known)
                raise ValueError(
                    "ktensor: power: integers to negative integer powers are not allowed (NumPy refuses them "
                    f"too); received the exponent {shown} (use a float base, e.g. x.astype('float64') ** -1)"
                )
            return values
        assert t is not None
        nonnegative = self.all(self.greater_equal(t, 0))
        checked = self.native_assert(
            t.native,
            nonnegative.native,
            "ktensor: power: integers to negative integer powers are not allowed (NumPy refuses them too); "
            "the exponent holds a negative value at run time",
        )
        return values[0], self._wrap(checked, t.dtype, t.shape, self._placeholders(t, nonnegative))

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

    # -- trigonometric, hyperbolic, exponential and logarithmic functions ---------------
    @elementwise(np.tan, kit_dtypes=_SMALL_TO_FLOAT, grad=True)
    def tan(self, x: Operand) -> Tensor:
        """Elementwise tangent.

        Examples:
            >>> kt.tan([0.0]).eval()
            array([0.])
        """
        return self._elementwise("tan", x)

    @elementwise(np.arcsin, values="open unit", kit_dtypes=_TO_FLOAT)
    def arcsin(self, x: Operand) -> Tensor:
        """Elementwise inverse sine (NaN outside ``[-1, 1]``).

        Examples:
            >>> kt.arcsin([0.0, 1.0]).eval()
            array([0.        , 1.57079633])
        """
        return self._elementwise("arcsin", x)

    @elementwise(np.arccos, values="open unit", kit_dtypes=_TO_FLOAT)
    def arccos(self, x: Operand) -> Tensor:
        """Elementwise inverse cosine (NaN outside ``[-1, 1]``).

        Examples:
            >>> kt.arccos([1.0]).eval()
            array([0.])
        """
        return self._elementwise("arccos", x)

    @elementwise(np.arctan, kit_dtypes=_TO_FLOAT, grad=True)
    def arctan(self, x: Operand) -> Tensor:
        """Elementwise inverse tangent.

        Examples:
            >>> kt.arctan([0.0]).eval()
            array([0.])
        """
        return self._elementwise("arctan", x)

    @elementwise(
        np.arctan2,
        kit=(
            KitCase(shapes=_BINARY, dtypes=_SMALL_TO_FLOAT, grad=True),
            KitCase(args=(-1.5,), dtypes=("int8", "float16", "float32")),
        ),
    )
    def arctan2(self, y: Operand, x: Operand) -> Tensor:
        """Elementwise angle of the point ``(x, y)``: ``arctan(y / x)`` in the right quadrant.

        Examples:
            >>> kt.arctan2([1.0, -1.0], [0.0, 0.0]).eval()
            array([ 1.57079633, -1.57079633])
        """
        return self._elementwise("arctan2", y, x)

    @elementwise(np.sinh, kit_dtypes=_SMALL_TO_FLOAT, grad=True)
    def sinh(self, x: Operand) -> Tensor:
        """Elementwise hyperbolic sine.

        Examples:
            >>> kt.sinh([0.0]).eval()
            array([0.])
        """
        return self._elementwise("sinh", x)

    @elementwise(np.cosh, kit_dtypes=_SMALL_TO_FLOAT, grad=True)
    def cosh(self, x: Operand) -> Tensor:
        """Elementwise hyperbolic cosine.

        Examples:
            >>> kt.cosh([0.0]).eval()
            array([1.])
        """
        return self._elementwise("cosh", x)

    @elementwise(np.arcsinh, kit_dtypes=_SMALL_TO_FLOAT, grad=True)
    def arcsinh(self, x: Operand) -> Tensor:
        """Elementwise inverse hyperbolic sine.

        Examples:
            >>> kt.arcsinh([0.0]).eval()
            array([0.])
        """
        return self._elementwise("arcsinh", x)

    @elementwise(np.arccosh, values="positive", kit_dtypes=_TO_FLOAT, grad=True)
    def arccosh(self, x: Operand) -> Tensor:
        """Elementwise inverse hyperbolic cosine (NaN below 1).

        Examples:
            >>> kt.arccosh([1.0]).eval()
            array([0.])
        """
        return self._elementwise("arccosh", x)

    @elementwise(np.arctanh, values="open unit", kit_dtypes=_TO_FLOAT)
    def arctanh(self, x: Operand) -> Tensor:
        """Elementwise inverse hyperbolic tangent (±inf at ±1, NaN beyond).

        Examples:
            >>> kt.arctanh([0.0]).eval()
            array([0.])
        """
        return self._elementwise("arctanh", x)

    @elementwise(np.log1p, values="positive", kit_dtypes=_TO_FLOAT, grad=True)
    def log1p(self, x: Operand) -> Tensor:
        """Elementwise ``log(1 + x)``, accurate for small ``x``.

        Examples:
            >>> kt.log1p([0.0]).eval()
            array([0.])
        """
        return self._elementwise("log1p", x)

    @elementwise(np.expm1, kit_dtypes=_SMALL_TO_FLOAT, grad=True)
    def expm1(self, x: Operand) -> Tensor:
        """Elementwise ``exp(x) - 1``, accurate for small ``x``.

        Examples:
            >>> kt.expm1([0.0]).eval()
            array([0.])
        """
        return self._elementwise("expm1", x)

    @elementwise(np.log2, values="positive", kit_dtypes=_TO_FLOAT, grad=True)
    def log2(self, x: Operand) -> Tensor:
        """Elementwise base-2 logarithm.

        Examples:
            >>> kt.log2([8.0]).eval()
            array([3.])
        """
        return self._elementwise("log2", x)

    @elementwise(np.log10, values="positive", kit_dtypes=_TO_FLOAT, grad=True)
    def log10(self, x: Operand) -> Tensor:
        """Elementwise base-10 logarithm.

        Examples:
            >>> kt.log10([100.0]).eval()
            array([2.])
        """
        return self._elementwise("log10", x)

    @elementwise(_erf, kit_dtypes=_TO_FLOAT, grad=True)
    def erf(self, x: Operand) -> Tensor:
        """Elementwise error function, as ``scipy.special.erf``.

        A float tensor keeps its dtype (float16 too, computed in float32); bools and
        integers give float64, as SciPy's ``erf`` (NumPy has none).

        Examples:
            >>> kt.erf([0.0, 10.0]).eval()
            array([0., 1.])
        """
        return self._elementwise("erf", x)

    # -- rounding -----------------------------------------------------------------------
    @elementwise(np.floor, on_integer="identity", on_bool="identity", kit_dtypes=_ROUNDING)
    def floor(self, x: Operand) -> Tensor:
        """Elementwise floor; integers and bools are kept as they are (NumPy 2).

        Examples:
            >>> kt.floor([-1.5, 1.5]).eval()
            array([-2.,  1.])
        """
        return self._elementwise("floor", x)

    @elementwise(np.ceil, on_integer="identity", on_bool="identity", kit_dtypes=_ROUNDING)
    def ceil(self, x: Operand) -> Tensor:
        """Elementwise ceiling; integers and bools are kept as they are (NumPy 2).

        Examples:
            >>> kt.ceil([-1.5, 1.5]).eval()
            array([-1.,  2.])
        """
        return self._elementwise("ceil", x)

    @elementwise(np.trunc, on_integer="identity", on_bool="identity", kit_dtypes=_ROUNDING)
    def trunc(self, x: Operand) -> Tensor:
        """Elementwise rounding toward zero; integers and bools are kept as they are (NumPy 2).

        Examples:
            >>> kt.trunc([-1.5, 1.5]).eval()
            array([-1.,  1.])
        """
        return self._elementwise("trunc", x)

    @operation(
        dtype=dtypes.like_numpy(np.reciprocal),
        reference=np.reciprocal,
        kit=(
            KitCase(dtypes=("bool", "int8", "int32", "int64", "uint8", "float16", "float32", "float64"), grad=True),
        ),
    )
    def reciprocal(self, x: Operand) -> Tensor:
        """Elementwise ``1 / x`` in ``x``'s dtype, as ``np.reciprocal``.

        For integers this is NumPy's truncating reciprocal: ``x`` itself at ±1 and 0
        elsewhere, except at 0, which gives what NumPy's integer loop gives on this
        machine (on x86-64 the smallest int32/int64, 0 for the others). Bools give int8.

        Examples:
            >>> kt.reciprocal([2.0, -4.0]).eval()
            array([ 0.5 , -0.25])
            >>> kt.reciprocal([1, -1, 2]).eval()
            array([ 1, -1,  0])
        """
        t = self._tensor(x, "reciprocal argument")
        out = dtypes.result_dtype("reciprocal", t.dtype)
        t = self.astype(t, out)
        if dtypes.is_float(out):
            return self.divide(1.0, t)
        with np.errstate(all="ignore"):
            at_zero = np.reciprocal(np.zeros((), out))
        unit = self.equal(t, 1)
        if not out.startswith("uint"):
            unit = self.logical_or(unit, self.equal(t, -1))
        zero = self._constant_tensor(np.zeros((), out))
        truncated = self.where(unit, t, zero)
        if not at_zero:
            return truncated
        return self.where(self.equal(t, 0), self._constant_tensor(at_zero), truncated)

    # -- predicates -----------------------------------------------------------------
    @elementwise(np.isnan, comparison=True, on_integer="false", on_bool="false", kit_dtypes=_PREDICATE,
                 values="extreme")
    def isnan(self, x: Operand) -> Tensor:
        """Elementwise test for NaN (bool; always False for integers and bools).

        Examples:
            >>> kt.isnan([1.0, float("nan")]).eval()
            array([False,  True])
        """
        return self._elementwise("isnan", x)

    @elementwise(np.isinf, comparison=True, on_integer="false", on_bool="false", kit_dtypes=_PREDICATE,
                 values="extreme")
    def isinf(self, x: Operand) -> Tensor:
        """Elementwise test for ±inf (bool; always False for integers and bools).

        Examples:
            >>> kt.isinf([1.0, float("-inf")]).eval()
            array([False,  True])
        """
        return self._elementwise("isinf", x)

    @operation(
        dtype=dtypes.like_numpy(np.isfinite),
        reference=np.isfinite,
        kit=(KitCase(dtypes=_PREDICATE, values="extreme"),),
    )
    def isfinite(self, x: Operand) -> Tensor:
        """Elementwise test for a finite value: neither NaN nor ±inf (bool).

        Examples:
            >>> kt.isfinite([1.0, float("inf"), float("nan")]).eval()
            array([ True, False, False])
        """
        return self.logical_not(self.logical_or(self.isnan(x), self.isinf(x)))

    @operation(
        dtype=dtypes.like_numpy(np.logaddexp),
        reference=np.logaddexp,
        kit=(
            KitCase(shapes=_BINARY, dtypes=_SMALL_TO_FLOAT, grad=True),
            KitCase(shapes=_BINARY, dtypes=("float32", "float64"), values="extreme",
                    label="kt.logaddexp(t, u) at nan, inf, -inf, -0.0, max, tiny", forms=("function",)),
            KitCase(args=(0.5,), dtypes=("int8", "float16", "float32")),
        ),
    )
    def logaddexp(self, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``log(exp(x) + exp(y))`` without overflow, as ``np.logaddexp``.

        Computed as ``maximum(x, y) + log1p(exp(-|x - y|))``; equal operands (infinities
        included) give ``x + log(2)``, so ``logaddexp(-inf, -inf)`` is ``-inf``.

        Examples:
            >>> kt.logaddexp([0.0, -float("inf")], [0.0, -float("inf")]).eval()
            array([0.69314718,       -inf])
        """
        ox, oy = self._operand(x, "logaddexp x"), self._operand(y, "logaddexp y")
        out = dtypes.result_dtype("logaddexp", ox.key, oy.key)
        work = dtypes.compute_dtype(out)
        a, b = (
            self.astype(o.tensor, work)
            if o.tensor is not None
            else self._constant_tensor(dtypes.weak_scalar_array(o.weak, work, o.argument))
            for o in (ox, oy)
        )
        gap = self.where(self.equal(a, b), 0.0, self.subtract(a, b))
        total = self.add(self.maximum(a, b), self.log1p(self.exp(self.negative(self.abs(gap)))))
        return self.astype(total, out)

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
    def clip(self, x: Operand, min_value: Operand, max_value: Operand) -> Tensor:
        """Limit ``x`` to ``[min_value, max_value]``: ``minimum(maximum(x, min_value), max_value)``.

        Keras 2's argument names; either bound may be None (not both). Python int
        bounds outside an integer tensor's range are clamped to it, as ``np.clip``
        accepts them.

        Examples:
            >>> kt.clip([-2, 0, 5], -1, 1).eval()
            array([-1,  0,  1])
        """
        t = self._tensor(x, "clip argument")
        low_bound, high_bound = min_value, max_value
        if low_bound is None and high_bound is None:
            raise ValueError("ktensor: clip needs at least one of min_value and max_value (both are None)")
        if dtypes.is_integer(t.dtype):
            info = np.iinfo(t.dtype)
            low_bound, high_bound = (
                int(np.clip(b, info.min, info.max)) if type(b) is int else b for b in (low_bound, high_bound)
            )
        low = t if low_bound is None else self.maximum(t, low_bound)
        return low if high_bound is None else self.minimum(low, high_bound)

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
