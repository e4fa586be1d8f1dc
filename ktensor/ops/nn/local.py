"""Locally connected convolutions (unshared weights) and nearest-neighbour volume resizing.

``local_conv1d`` and ``local_conv2d`` take Keras 2's kernel layout ``(output_items,
feature_dim, filters)``: one ``(feature_dim, filters)`` matrix per output position, the
positions row-major, ``feature_dim`` the window flattened in the input's own order
(``(spatial..., channels)`` for ``"channels_last"``, ``(channels, spatial...)`` for
``"channels_first"``). They are built through ``self`` on both engines: each window a
slice, the windows stacked, one batched matmul.

Examples:
    >>> kt.local_conv1d(kt.ones((1, 3, 1)), kt.ones((2, 2, 1)), (2,), (1,)).eval()
    array([[[2.],
            [2.]]], dtype=float32)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import conv_shapes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_FLOATS = ("float32", "float64")




def _ints(op: str, argument: str, value: Any, n: int, minimum: int = 1) -> tuple[int, ...]:
    """``value`` as ``n`` ints of at least ``minimum`` (one int stands for all ``n``)."""
    items = (value,) * n if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        out = tuple(items)
    except TypeError:
        out = ()
    if len(out) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out):
        expected = "an int" if n == 1 else f"an int or a tuple of {n} ints"
        raise TypeError(f"ktensor: {op}: {argument} must be {expected}; received {value!r}")
    if any(v < minimum for v in out):
        raise ValueError(f"ktensor: {op}: {argument} must be at least {minimum}; received {value!r}")
    return tuple(int(v) for v in out)


def _rank(op: str, argument: str, t: Tensor, rank: int) -> None:
    if t.ndim != rank:
        raise ValueError(
            f"ktensor: {op}: {argument} must be {rank}-D; received shape {shapes.describe(t.shape)}"
        )


def _windows(output_shape: Sequence[int], kernel_size: Sequence[int], strides: Sequence[int]) -> list[tuple[slice, ...]]:
    """The spatial slices of each output position, row-major."""
    return [
        tuple(slice(p * s, p * s + k) for p, s, k in zip(position, strides, kernel_size))
        for position in itertools.product(*(range(o) for o in output_shape))
    ]


# -- NumPy references ----------------------------------------------------------------
def _local_conv_reference(
    x: np.ndarray,
    kernel: np.ndarray,
    kernel_size: Sequence[int],
    strides: Sequence[int],
    output_shape: Sequence[int],
    data_format: str | None,
) -> np.ndarray:
    first = data_format == "channels_first"
    n = len(output_shape)
    batch, filters = x.shape[0], kernel.shape[-1]
    dtype = np.result_type(x, kernel)
    out = np.zeros((batch, *output_shape, filters), dtype)
    for item, window in enumerate(_windows(output_shape, kernel_size, strides)):
        position = tuple(w.start // s for w, s in zip(window, strides))
        key = (slice(None), slice(None), *window) if first else (slice(None), *window, slice(None))
        patch = x[key]
        for b in range(batch):
            at = (b, *position)
            out[at] = np.matmul(patch[b].reshape(-1), kernel[item])
    return np.moveaxis(out, -1, 1) if first and n else out


def local_conv1d_reference(
    x: np.ndarray, kernel: np.ndarray, kernel_size: Any, strides: Any, data_format: str | None = None
) -> np.ndarray:
    """Keras 2's ``local_conv1d`` in NumPy (a loop over positions and samples)."""
    ks = (kernel_size,) if isinstance(kernel_size, int) else tuple(kernel_size)
    st = (strides,) if isinstance(strides, int) else tuple(strides)
    return _local_conv_reference(x, kernel, ks, st, (kernel.shape[0],), data_format)


def local_conv2d_reference(
    x: np.ndarray, kernel: np.ndarray, kernel_size: Any, strides: Any, output_shape: Any, data_format: str | None = None
) -> np.ndarray:
    """Keras 2's ``local_conv2d`` in NumPy (a loop over positions and samples)."""
    return _local_conv_reference(x, kernel, tuple(kernel_size), tuple(strides), tuple(output_shape), data_format)


def resize_volumes_reference(
    x: np.ndarray, depth_factor: int, height_factor: int, width_factor: int, data_format: str | None = None
) -> np.ndarray:
    """Keras 2's ``resize_volumes`` in NumPy (``np.repeat`` along the three spatial axes)."""
    first = 2 if data_format == "channels_first" else 1
    for axis, factor in zip(range(first, first + 3), (depth_factor, height_factor, width_factor)):
        x = np.repeat(x, factor, axis=axis)
    return x


class LocalOps(Core):
    """Locally connected convolutions and ``resize_volumes``."""

    def _local_conv(
        self,
        op: str,
        inputs: Operand,
        kernel: Operand,
        kernel_size: Any,
        strides: Any,
        output_shape: Any,
        data_format: Any,
    ) -> Tensor:
        fmt = conv_shapes.data_format(op, data_format)
        n = len(output_shape)
        t = self._tensor(inputs, f"{op} inputs")
        w = self._tensor(kernel, f"{op} kernel")
        _rank(op, "inputs", t, n + 2)
        _rank(op, "kernel", w, 3)
        sizes = _ints(op, "kernel_size", kernel_size, n)
        steps = _ints(op, "strides", strides, n)
        outs = _ints(op, "output_shape", output_shape, n)
        if any(d is None for d in w.shape):
            raise ValueError(
                f"ktensor: {op}: kernel must have a known shape (output_items, feature_dim, filters); "
                f"received shape {shapes.describe(w.shape)}"
            )
        items, feature_dim, filters = (int(d) for d in w.shape)  # type: ignore[arg-type]
        if items != math.prod(outs):
            raise ValueError(
                f"ktensor: {op}: kernel must have {math.prod(outs)} output items (axis 0) for output "
                f"positions {outs}; received kernel shape {shapes.describe(w.shape)}"
            )
        spatial = t.shape[2:] if fmt == "channels_first" else t.shape[1:-1]
        channels = t.shape[1] if fmt == "channels_first" else t.shape[-1]
        if channels is not None and feature_dim != math.prod(sizes) * channels:
            raise ValueError(
                f"ktensor: {op}: kernel axis 1 must be prod(kernel_size) * input channels = "
                f"{math.prod(sizes) * channels}; received kernel shape {shapes.describe(w.shape)}"
            )
        for dim, o, s, k in zip(spatial, outs, steps, sizes):
            if dim is not None and (o - 1) * s + k > dim:
                raise ValueError(
                    f"ktensor: {op}: {o} windows of size {k} with stride {s} need {(o - 1) * s + k} "
                    f"steps; the inputs have shape {shapes.describe(t.shape)}"
                )
        patches = []
        for window in _windows(outs, sizes, steps):
            key = (slice(None), slice(None), *window) if fmt == "channels_first" else (slice(None), *window, slice(None))
            patches.append(self.reshape(self.getitem(t, key), (1, -1, feature_dim)))
        stacked = self.concatenate(patches, axis=0)  # (items, batch, feature_dim)
        out = self.matmul(stacked, w)  # (items, batch, filters)
        out = self.reshape(out, (*outs, -1, filters))
        perm = (n, n + 1, *range(n)) if fmt == "channels_first" else (n, *range(n), n + 1)
        return self.transpose(out, perm)

    @operation(
        method=False,
        reference=local_conv1d_reference,
        kit=(
            KitCase(args=((2,), (2,)), dtypes=_FLOATS, shapes=((2, 5, 3), (2, 6, 4)), grad=True),
            KitCase(args=(3, 1, "channels_first"), dtypes=_FLOATS, shapes=((2, 2, 4), (2, 6, 3)), grad=True),
        ),
    )
    def local_conv1d(
        self,
        inputs: Operand,
        kernel: Operand,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int],
        data_format: str | None = None,
    ) -> Tensor:
        """A 1-D convolution with unshared weights (Keras 2's ``LocallyConnected1D``).

        Args:
            inputs: ``(batch, steps, channels)`` (``"channels_first"``: ``(batch, channels,
                steps)``).
            kernel: ``(output_length, kernel_size * channels, filters)``, of known shape;
                axis 1 is the window flattened in the input's order.
            kernel_size: One int, or a tuple of one.
            strides: One int, or a tuple of one.
            data_format: ``"channels_last"`` (None) or ``"channels_first"``.

        Returns:
            ``(batch, output_length, filters)`` (``"channels_first"``: ``(batch, filters,
            output_length)``, as ``tf.keras``; Keras 2.3.1's own backends ignored
            ``data_format`` here), in ``np.matmul``'s dtype of the two.

        Examples:
            >>> x = kt.constant([[[1.0], [2.0], [3.0]]])
            >>> kt.local_conv1d(x, kt.constant([[[1.0], [1.0]], [[1.0], [-1.0]]]), (2,), (1,)).eval()
            array([[[ 3.],
                    [-1.]]], dtype=float32)
        """
        w = self._tensor(kernel, "local_conv1d kernel")
        _rank("local_conv1d", "kernel", w, 3)
        if w.shape[0] is None:
            raise ValueError(
                f"ktensor: local_conv1d: kernel must have a known shape (output_length, feature_dim, "
                f"filters); received shape {shapes.describe(w.shape)}"
            )
        return self._local_conv("local_conv1d", inputs, w, kernel_size, strides, (w.shape[0],), data_format)

    @operation(
        method=False,
        reference=local_conv2d_reference,
        kit=(
            KitCase(args=((2, 2), (1, 2), (2, 2)), dtypes=_FLOATS, shapes=((2, 3, 4, 2), (4, 8, 3)), grad=True),
            KitCase(args=((2, 1), (1, 1), (2, 3), "channels_first"), dtypes=_FLOATS,
                    shapes=((2, 2, 3, 3), (6, 4, 2)), grad=True),
        ),
    )
    def local_conv2d(
        self,
        inputs: Operand,
        kernel: Operand,
        kernel_size: Sequence[int],
        strides: Sequence[int],
        output_shape: Sequence[int],
        data_format: str | None = None,
    ) -> Tensor:
        """A 2-D convolution with unshared weights (Keras 2's ``LocallyConnected2D``).

        Args:
            inputs: ``(batch, rows, cols, channels)`` (``"channels_first"``: ``(batch,
                channels, rows, cols)``).
            kernel: ``(output_row * output_col, kh * kw * channels, filters)``, of known
                shape; positions row-major, axis 1 the window flattened in the input's order.
            kernel_size: ``(kh, kw)``.
            strides: ``(sh, sw)``.
            output_shape: ``(output_row, output_col)``.
            data_format: ``"channels_last"`` (None) or ``"channels_first"``.

        Returns:
            ``(batch, output_row, output_col, filters)`` (``"channels_first"``: ``(batch,
            filters, output_row, output_col)``), in ``np.matmul``'s dtype of the two.

        Examples:
            >>> y = kt.local_conv2d(kt.ones((1, 3, 3, 1)), kt.ones((4, 4, 2)), (2, 2), (1, 1), (2, 2))
            >>> y.shape
            (1, 2, 2, 2)
            >>> y[0, :, :, 0].eval()
            array([[4., 4.],
                   [4., 4.]], dtype=float32)
        """
        return self._local_conv("local_conv2d", inputs, kernel, kernel_size, strides, output_shape, data_format)

    @operation(
        reference=resize_volumes_reference,
        kit=(
            KitCase(args=(2, 1, 3, "channels_last"), dtypes=("bool", "int32", "float32", "float64"),
                    shapes=((2, 2, 2, 1, 2),), grad=True),
            KitCase(args=(1, 2, 2), kwargs={"data_format": "channels_first"}, dtypes=("uint8", "float16", "float64"),
                    shapes=((1, 2, 1, 2, 2),), grad=True),
        ),
    )
    def resize_volumes(
        self,
        x: Operand,
        depth_factor: int,
        height_factor: int,
        width_factor: int,
        data_format: str | None = None,
    ) -> Tensor:
        """A 5-D volume batch scaled up by integer factors, nearest neighbour (Keras 2:
        ``repeat_elements`` along depth, height and width); the dtype kept.

        ``data_format`` is ``"channels_last"`` (None, spatial axes 1–3) or
        ``"channels_first"`` (axes 2–4); Keras 2 required it, here it defaults to None.

        Examples:
            >>> kt.resize_volumes(kt.ones((1, 2, 2, 2, 3)), 2, 1, 3, "channels_last").shape
            (1, 4, 2, 6, 3)
        """
        t = self._tensor(x, "resize_volumes argument")
        _rank("resize_volumes", "x", t, 5)
        fmt = conv_shapes.data_format("resize_volumes", data_format)
        factors = [
            _ints("resize_volumes", name, value, 1)[0]
            for name, value in (("depth_factor", depth_factor), ("height_factor", height_factor),
                                ("width_factor", width_factor))
        ]
        first = 2 if fmt == "channels_first" else 1
        for axis, factor in zip(range(first, first + 3), factors):
            if factor != 1:
                t = self.repeat_elements(t, factor, axis=axis)
        return t
