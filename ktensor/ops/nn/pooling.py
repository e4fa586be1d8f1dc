"""Pooling: ``pool2d`` and ``pool3d``, max and average.

The composition (what PyTensor runs) takes the strided window slices of the padded input
(:func:`ktensor.ops.nn.conv.windows`) and reduces them elementwise, as a balanced tree of
``maximum`` or ``add`` (one fused elementwise kernel, where a reduction over a stacked
window axis of 4 or 9 is a slow inner loop): ``max`` pads with ``-inf``, ``avg`` sums
(padding with 0) and divides by the number of real elements of each window, so padding
never counts. TensorFlow's ``max_pool``/``avg_pool`` (which count the same way)
run while the composition is intact.

Examples:
    >>> kt.pool2d(kt.constant([[[[1.0], [2.0]], [[3.0], [4.0]]]]), (2, 2)).eval().ravel()
    array([4.], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ktensor import conv_shapes as cs
from ktensor import dtypes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.ops.nn.conv import _layout, _ref_windows, channels_last, restore_format, widths, windows
from ktensor.tensor import Operand, Tensor

_FLOATS = ("float32", "float64")
_COMPOSITION = ("pad", "getitem", "maximum", "add", "divide", "ones_like")


def _tree(combine: Callable[[Tensor, Tensor], Tensor], parts: Sequence[Tensor]) -> Tensor:
    """``parts`` combined pairwise as a balanced tree (a shallow graph, one fused kernel)."""
    level = list(parts)
    while len(level) > 1:
        paired = [combine(a, b) for a, b in zip(level[::2], level[1::2])]
        level = paired + level[len(paired) * 2 :]
    return level[0]


class PoolOps(Core):
    """Pooling."""

    def _pool(
        self,
        function: str,
        rank: int,
        x: Operand,
        pool_size: Any,
        strides: Any,
        padding: Any,
        data_format: Any,
        pool_mode: Any,
    ) -> Tensor:
        fmt = cs.data_format(function, data_format)
        pad = cs.padding(function, padding)
        p = cs.int_tuple(function, "pool_size", pool_size, rank)
        s = cs.int_tuple(function, "strides", strides, rank)
        if pool_mode not in ("max", "avg"):
            raise ValueError(f"ktensor: {function}: pool_mode must be 'max' or 'avg'; received {pool_mode!r}")
        t = self._tensor(x, f"{function} x")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        cs.check_rank(function, "x", t.shape, rank + 2, _layout(rank, fmt))
        t = channels_last(self, t, fmt)
        out = tuple(cs.output_length(n, k, ss, 1, pad) for n, k, ss in zip(t.shape[1:-1], p, s))
        cs.check_output(function, t.shape, out)
        fused = self._fused_kernel("native_pool", *_COMPOSITION)
        # TensorFlow has no float64 MaxPool3D/AvgPool3D kernel; the composition is exact.
        if fused is not None and not (rank == 3 and t.dtype == "float64"):
            native = self._kernel(function, [t.native], t.dtype, t.dtype, lambda a: fused(a, p, s, pad, pool_mode))
            y = self._wrap(native, t.dtype, (t.shape[0], *out, t.shape[-1]), t.placeholders)
            return restore_format(self, y, fmt)
        ones = (1,) * rank
        pad_widths = widths(function, t.shape, p, s, ones, pad)
        if pool_mode == "max":
            parts, _ = windows(self, t, p, s, ones, pad_widths, -np.inf, function)
            y = _tree(self.maximum, parts)
        else:
            parts, _ = windows(self, t, p, s, ones, pad_widths, 0.0, function)
            y = self.divide(_tree(self.add, parts), self._window_counts(function, t, p, s, pad, pad_widths))
        return restore_format(self, y, fmt)

    def _window_counts(
        self,
        function: str,
        t: Tensor,
        p: tuple[int, ...],
        s: tuple[int, ...],
        pad: str,
        pad_widths: Sequence[tuple[int, int]],
    ) -> Operand:
        """The number of real elements of each window: a constant where the sizes are known."""
        if pad == "valid" or all(w == (0, 0) for w in pad_widths):
            return float(math.prod(p))
        spatial = t.shape[1:-1]
        if None not in spatial:
            counts = cs.window_counts([int(n or 0) for n in spatial], p, s, pad)
            return counts.reshape(1, *counts.shape, 1).astype(t.dtype)
        ones = self.ones_like(self.getitem(t, (Ellipsis, slice(0, 1))))
        parts, _ = windows(self, ones, p, s, (1,) * len(p), pad_widths, 0.0, function)
        return _tree(self.add, parts)

    @operation(
        method=False,
        reference=lambda x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max": _ref_pool(
            x, pool_size, strides, padding, data_format, pool_mode
        ),
        kit=(
            KitCase(args=((2, 2),), dtypes=_FLOATS, shapes=((2, 3, 4, 2),), grad=True),
            KitCase(
                args=((2, 2),),
                kwargs={"strides": (2, 2), "padding": "same", "pool_mode": "avg"},
                dtypes=_FLOATS,
                shapes=((2, 5, 3, 2),),
                grad=True,
            ),
            KitCase(
                args=((3, 2),),
                kwargs={"strides": (2, 1), "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((2, 2, 5, 4),),
                grad=True,
            ),
            KitCase(
                args=((2, 3),),
                kwargs={"strides": (1, 2), "pool_mode": "avg", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 2, 3, 5),),
                grad=True,
            ),
        ),
    )
    def pool2d(
        self,
        x: Operand,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        pool_mode: str = "max",
    ) -> Tensor:
        """2-D max or average pooling of ``x`` ``(batch, rows, cols, channels)``.

        ``pool_mode="avg"`` averages over the real elements of each window: padding never
        counts (as TensorFlow's ``avg_pool``).

        Examples:
            >>> x = kt.constant(np.arange(9.0).reshape(1, 3, 3, 1))
            >>> kt.pool2d(x, (2, 2), (2, 2), padding="same", pool_mode="avg").eval()[0, :, :, 0]
            array([[2. , 3.5],
                   [6.5, 8. ]], dtype=float32)
        """
        return self._pool("pool2d", 2, x, pool_size, strides, padding, data_format, pool_mode)

    @operation(
        method=False,
        reference=lambda x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max": _ref_pool(
            x, pool_size, strides, padding, data_format, pool_mode
        ),
        kit=(
            KitCase(
                args=((2, 2, 2),),
                kwargs={"strides": (2, 2, 2), "padding": "same"},
                dtypes=_FLOATS,
                shapes=((1, 3, 3, 2, 2),),
                grad=True,
            ),
            KitCase(
                args=((2, 1, 2),),
                kwargs={"strides": (1, 1, 2), "padding": "same", "pool_mode": "avg", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 2, 3, 2, 3),),
                grad=True,
            ),
        ),
    )
    def pool3d(
        self,
        x: Operand,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        pool_mode: str = "max",
    ) -> Tensor:
        """3-D max or average pooling of ``x`` ``(batch, d1, d2, d3, channels)``; averages count
        only real elements.

        Examples:
            >>> kt.pool3d(kt.ones((1, 2, 2, 2, 1)), (2, 2, 2), pool_mode="avg").eval().ravel()
            array([1.], dtype=float32)
        """
        return self._pool("pool3d", 3, x, pool_size, strides, padding, data_format, pool_mode)


def _ref_pool(
    x: np.ndarray, pool_size: Any, strides: Any, padding: str, data_format: Any, pool_mode: str
) -> np.ndarray:
    rank = x.ndim - 2
    first = data_format == "channels_first"
    xl = np.moveaxis(x, 1, -1) if first else x
    p = (int(pool_size),) * rank if np.ndim(pool_size) == 0 else tuple(pool_size)
    s = (int(strides),) * rank if np.ndim(strides) == 0 else tuple(strides)
    stacked = np.stack([w for _, w in _ref_windows(xl, p, s, (1,) * rank, padding)], axis=-1)
    out = np.nanmax(stacked, axis=-1) if pool_mode == "max" else np.nanmean(stacked, axis=-1)
    out = np.moveaxis(out, -1, 1) if first else out
    return out.astype(x.dtype)
