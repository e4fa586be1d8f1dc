"""Reductions over axes: ``sum prod max min any all mean var std logsumexp argmax argmin``.

``axis`` is None (every axis), an int or a tuple of ints; ``keepdims`` is NumPy's. The
dtypes are NumPy's (``sum`` of int8 is int64, ``mean`` of ints float64); ``max`` and
``min`` over an axis of length 0 are refused, as NumPy refuses them. Compositions
(``mean``, ``var``, ``std``, ``logsumexp``) are built through ``self``.

Examples:
    >>> kt.sum([[1, 2], [3, 4]], axis=0).eval()
    array([4, 6])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import ALL_DTYPES, Kernel, KitCase, operation
from ktensor.tensor import Axis, Operand, Tensor

_AXES: tuple[int | tuple[int, ...] | None, ...] = (None, 0, 1, 2, -1, -3, (0, 2), (2, -2), (0, 1, 2))
_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_NUMERIC = dtypes.SUPPORTED_DTYPES[1:]


def _reduction_kit(
    values: str = "any", kit_dtypes: tuple[str, ...] = ALL_DTYPES, grad: bool = False
) -> tuple[KitCase, ...]:
    """Every kind of axis with and without keepdims, as methods; a function form; no axis."""
    cases = [
        KitCase(kwargs={"axis": axis, "keepdims": keepdims}, dtypes=kit_dtypes, shapes=((2, 3, 4),),
                values=values, forms=("method",))
        for axis in _AXES
        for keepdims in (False, True)
    ]
    cases.append(KitCase(kwargs={"axis": 1}, dtypes=kit_dtypes, shapes=((2, 3, 4),), values=values,
                         forms=("function",), grad=grad))
    cases.append(KitCase(dtypes=kit_dtypes, shapes=((2, 3, 4),), values=values, forms=("method",)))
    return tuple(cases)


def _along(reference: Callable[..., Any], axis: int) -> Callable[..., Any]:
    return functools.partial(reference, axis=axis)


def _arg_kit(reference: Callable[..., Any]) -> tuple[KitCase, ...]:
    common: dict[str, Any] = {"dtypes": _NUMERIC, "shapes": ((2, 3, 4),), "values": "distinct", "group": "argreduction"}
    cases = [KitCase(reference=_along(reference, -1), **common)]
    cases += [
        KitCase(kwargs={"axis": axis}, reference=_along(reference, axis), forms=("method",), **common)
        for axis in (0, 1, 2, -2)
    ]
    return tuple(cases)


def _reduction_kernel(reference: Callable[..., Any], **quirks: Any) -> Kernel:
    return Kernel(reference.__name__, dtypes.like_numpy(reference), **quirks)


class ReductionOps(Core):
    """Reductions over axes."""

    @operation(kernel=_reduction_kernel(np.sum), reference=np.sum, kit=_reduction_kit(grad=True))
    def sum(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

        Examples:
            >>> kt.sum([[1, 2], [3, 4]], axis=0).eval()
            array([4, 6])
        """
        return self._reduction("sum", x, axis, keepdims)

    @operation(kernel=_reduction_kernel(np.prod), reference=np.prod, kit=_reduction_kit("unit", grad=True))
    def prod(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

        Examples:
            >>> kt.prod([1, 2, 3]).eval()
            array(6)
        """
        return self._reduction("prod", x, axis, keepdims)

    @operation(kernel=_reduction_kernel(np.max, on_bool="any", refuse_empty=True), reference=np.max,
               kit=_reduction_kit())
    def max(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

        Examples:
            >>> kt.max([[1, 5], [3, 4]], axis=1).eval()
            array([5, 4])
        """
        return self._reduction("max", x, axis, keepdims)

    @operation(kernel=_reduction_kernel(np.min, on_bool="all", refuse_empty=True), reference=np.min,
               kit=_reduction_kit())
    def min(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

        Examples:
            >>> kt.min([[1, 5], [3, 4]], axis=1).eval()
            array([1, 3])
        """
        return self._reduction("min", x, axis, keepdims)

    @operation(kernel=_reduction_kernel(np.any, work="bool"), reference=np.any, kit=_reduction_kit())
    def any(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Whether any element is nonzero over ``axis`` (None: every axis).

        Examples:
            >>> kt.any([0, 1]).eval()
            array(True)
        """
        return self._reduction("any", x, axis, keepdims)

    @operation(kernel=_reduction_kernel(np.all, work="bool"), reference=np.all, kit=_reduction_kit())
    def all(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Whether every element is nonzero over ``axis`` (None: every axis).

        Examples:
            >>> kt.all([0, 1]).eval()
            array(False)
        """
        return self._reduction("all", x, axis, keepdims)

    @operation(dtype=dtypes.like_numpy(np.mean), reference=np.mean, kit=_reduction_kit(grad=True))
    def mean(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Arithmetic mean: ``sum / count`` (float64 for integers; float16 summed in float32, as NumPy).

        Examples:
            >>> kt.mean([1, 2]).eval()
            array(1.5)
        """
        t = self._tensor(x, "mean argument")
        out = dtypes.result_dtype("mean", t.dtype)
        work = dtypes.compute_dtype(out)
        axes = shapes.normalize_axes(axis, t.ndim)
        total = self.sum(self.astype(t, work), axis=axes, keepdims=keepdims)
        return self.astype(self.divide(total, self._count(t, axes, work)), out)

    @operation(dtype=dtypes.like_numpy(np.var), reference=np.var, kit=_reduction_kit(grad=True))
    def var(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population variance: ``mean(square(x - mean(x)))``.

        Examples:
            >>> kt.var([1.0, 3.0]).eval()
            array(1.)
        """
        t = self._tensor(x, "var argument")
        out = dtypes.result_dtype("var", t.dtype)
        work = self.astype(t, dtypes.compute_dtype(out))
        axes = shapes.normalize_axes(axis, t.ndim)
        deviation = self.subtract(work, self.mean(work, axis=axes, keepdims=True))
        return self.astype(self.mean(self.square(deviation), axis=axes, keepdims=keepdims), out)

    @operation(dtype=dtypes.like_numpy(np.std), reference=np.std, kit=_reduction_kit(grad=True))
    def std(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population standard deviation: ``sqrt(var(x))``.

        Examples:
            >>> kt.std([1.0, 3.0]).eval()
            array(1.)
        """
        t = self._tensor(x, "std argument")
        out = dtypes.result_dtype("std", t.dtype)
        variance = self.var(self.astype(t, dtypes.compute_dtype(out)), axis, keepdims)
        return self.astype(self.sqrt(variance), out)

    @operation(
        dtype=dtypes.like_numpy(references.logsumexp),
        reference=references.logsumexp,
        kit=_reduction_kit(kit_dtypes=_SIGNED_AND_FLOAT, grad=True),
    )
    def logsumexp(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum for stability.

        Runs the engine's fused kernel (``native_logsumexp``) when it has one and no
        operation of the composition is overridden; else the composition.

        Examples:
            >>> kt.logsumexp([0.0, 0.0]).eval()
            array(0.69314718)
        """
        t = self._tensor(x, "logsumexp argument")
        t = self.astype(t, dtypes.result_dtype("logsumexp", t.dtype))
        axes = shapes.normalize_axes(axis, t.ndim)
        fused = self._fused_kernel("native_logsumexp", "max", "exp", "subtract", "sum", "log", "add")
        if axes and fused is not None:
            native = self._kernel("logsumexp", [t.native], t.dtype, t.dtype, lambda n: fused(n, axes, keepdims))
            return self._wrap(native, t.dtype, shapes.reduce(t.shape, axes, keepdims), t.placeholders)
        peak = self.max(t, axis=axes, keepdims=True)
        total = self.log(self.sum(self.exp(self.subtract(t, peak)), axis=axes, keepdims=keepdims))
        return self.add(total, peak if keepdims or not axes else self.squeeze(peak, axis=axes))

    @operation(dtype=dtypes.Fixed("int64"), reference=np.argmax, kit=_arg_kit(np.argmax))
    def argmax(self, x: Operand, axis: int | None = -1) -> Tensor:
        """Index of the maximum along ``axis`` (default -1), int64; the first NaN wins;
        ``axis=None``: the index into the flattened tensor, as ``np.argmax``.

        Examples:
            >>> kt.argmax([[1, 3], [4, 2]]).eval()
            array([1, 0])
            >>> kt.argmax([[1, 3], [4, 2]], axis=None).eval()
            array(2)
        """
        return self._arg_reduction("argmax", x, axis)

    @operation(dtype=dtypes.Fixed("int64"), reference=np.argmin, kit=_arg_kit(np.argmin))
    def argmin(self, x: Operand, axis: int | None = -1) -> Tensor:
        """Index of the minimum along ``axis`` (default -1), int64; ``axis=None`` as ``np.argmin``.

        Examples:
            >>> kt.argmin([[1, 3], [4, 2]]).eval()
            array([0, 1])
        """
        return self._arg_reduction("argmin", x, axis)
