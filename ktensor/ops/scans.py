"""Cumulative sums and products: ``cumsum`` and ``cumprod``.

Keras 2's signatures (``axis=0`` by default; ``axis=None`` flattens first, as NumPy);
NumPy's dtypes: bools and integers narrower than 64 bits accumulate in int64 (uint64
for unsigned ones), floats keep their dtype (float16 accumulates in float32 and is
rounded back). Both are differentiable.

Examples:
    >>> kt.cumsum([[1, 2], [3, 4]]).eval()
    array([[1, 2],
           [4, 6]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_SCAN_DTYPES = ("bool", "int8", "int32", "uint8", "float16", "float32", "float64")


def _scan_kit(values: str) -> tuple[KitCase, ...]:
    cube = ((2, 3, 4),)
    return (
        KitCase(dtypes=_SCAN_DTYPES, shapes=cube, values=values),
        KitCase(kwargs={"axis": 1}, dtypes=("int8", "float32", "float64"), shapes=cube, values=values, grad=True),
        KitCase(kwargs={"axis": -1}, dtypes=("bool", "uint8", "float64"), shapes=cube, values=values,
                forms=("method",)),
        KitCase(kwargs={"axis": None}, dtypes=("int32", "float32", "float64"), shapes=cube, values=values,
                grad=True),
        KitCase(kwargs={"axis": 0}, dtypes=("int64", "float64"), shapes=((5,),), values=values, grad=True),
    )


def _cumsum(x: Any, axis: int | None = 0) -> np.ndarray:
    """``np.cumsum`` with Keras's default axis."""
    return np.cumsum(x, axis=axis)


def _cumprod(x: Any, axis: int | None = 0) -> np.ndarray:
    """``np.cumprod`` with Keras's default axis."""
    return np.cumprod(x, axis=axis)


class ScanOps(Core):
    """Cumulative sums and products."""

    @operation(dtype=dtypes.like_numpy(np.cumsum), reference=_cumsum, kit=_scan_kit("any"))
    def cumsum(self, x: Operand, axis: int | None = 0) -> Tensor:
        """Cumulative sum along ``axis`` (default 0, as Keras; None: of the flattened tensor).

        Examples:
            >>> kt.cumsum([1, 2, 3]).eval()
            array([1, 3, 6])
            >>> kt.cumsum([[1.0, 2.0], [3.0, 4.0]], axis=None).eval()
            array([ 1.,  3.,  6., 10.])
        """
        return self._cumulative("cumsum", x, axis)

    @operation(dtype=dtypes.like_numpy(np.cumprod), reference=_cumprod, kit=_scan_kit("unit"))
    def cumprod(self, x: Operand, axis: int | None = 0) -> Tensor:
        """Cumulative product along ``axis`` (default 0, as Keras; None: of the flattened tensor).

        Examples:
            >>> kt.cumprod([1, 2, 3]).eval()
            array([1, 2, 6])
        """
        return self._cumulative("cumprod", x, axis)

    def _cumulative(self, op: str, x: Operand, axis: int | None) -> Tensor:
        t = self._tensor(x, f"{op} argument")
        if axis is None:
            t = self.reshape(t, (-1,))
            ax = 0
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            if t.ndim == 0:
                raise ValueError(
                    f"ktensor: {op}: axis must be None for a 0-d tensor (NumPy refuses an axis too); "
                    f"received axis={axis!r}"
                )
            ax = shapes.normalize_axis(int(axis), t.ndim, f"{op} axis")
        else:
            raise TypeError(f"ktensor: {op}: axis must be an int or None; received {axis!r}")
        out = dtypes.result_dtype(op, t.dtype)
        t = self.astype(t, out)
        kind = "sum" if op == "cumsum" else "prod"
        native = self._kernel(op, [t.native], out, out, lambda n: self.native_cumulative(kind, n, ax))
        return self._wrap(native, out, t.shape, t.placeholders)
