"""Convolutions: ``conv1d``, ``conv2d``, ``conv3d``, ``conv2d_transpose``, ``depthwise_conv2d``,
``separable_conv1d``, ``separable_conv2d``.

Correlations (TensorFlow's meaning) with kernels ``(spatial..., in_channels, out_channels)``,
channels last unless ``data_format="channels_first"``. The composition, which every engine
can run and PyTensor does, is im2col through ``self``: each kernel offset is a strided
slice of the padded input, the slices are joined along the channels and one ``matmul``
with the reshaped kernel gives the result; the engine differentiates it. An engine with
fused kernels (TensorFlow: ``native_conv``, ...) runs them while the composition is intact
(no part of it overridden) and the kernel can do what was asked. Output shapes come from
:mod:`ktensor.conv_shapes`.

Examples:
    >>> kt.conv1d(kt.ones((1, 3, 1)), kt.ones((2, 1, 1))).eval()
    array([[[2.],
            [2.]]], dtype=float32)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import conv_shapes as cs
from ktensor import dtypes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_FLOATS = ("float32", "float64")
#: The operations of the im2col composition: overriding one of them disables fused kernels.
COMPOSITION = ("pad", "getitem", "concatenate", "reshape", "matmul", "tensordot", "expand_dims", "zeros_like")


# ----------------------------------------------------------------------
# The composition, shared with pooling.
# ----------------------------------------------------------------------
def channels_last(b: Core, t: Tensor, fmt: str) -> Tensor:
    """``t`` with its channels moved last (a no-op for ``"channels_last"``)."""
    if fmt == "channels_last":
        return t
    return b.transpose(t, (0, *range(2, t.ndim), 1))


def restore_format(b: Core, t: Tensor, fmt: str) -> Tensor:
    """The inverse of :func:`channels_last`."""
    if fmt == "channels_last":
        return t
    return b.transpose(t, (0, t.ndim - 1, *range(1, t.ndim - 1)))


def widths(
    function: str,
    shape: Sequence[int | None],
    sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    pad: str,
) -> list[tuple[int, int]]:
    """The padding of every spatial axis of a channels-last ``shape``; ``ValueError`` where it
    depends on a size unknown when built."""
    result = []
    for n, k, s, d in zip(shape[1:-1], sizes, strides, dilations):
        w = cs.pads(n, k, s, d, pad)
        if w is None:
            raise ValueError(
                f"ktensor: {function}: padding='same' with strides > 1 needs the spatial sizes known "
                f"when the expression is built; received an input of shape {tuple(shape)}"
            )
        result.append(w)
    return result


def windows(
    b: Core,
    x: Tensor,
    sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    pad_widths: Sequence[tuple[int, int]],
    fill: float,
    function: str,
) -> tuple[list[Tensor], tuple[int | None, ...]]:
    """One strided slice of the padded channels-last ``x`` per window offset (C order over the
    offsets), each ``(batch, out..., channels)``, and the output's spatial sizes."""
    if any(w != (0, 0) for w in pad_widths):
        x = b.pad(x, [(0, 0), *pad_widths, (0, 0)], constant_values=fill)
    out = tuple(
        None if n is None else max((n - cs.effective_size(k, d)) // s + 1, 0)
        for n, k, s, d in zip(x.shape[1:-1], sizes, strides, dilations)
    )
    cs.check_output(function, x.shape, out)
    parts = []
    for offset in itertools.product(*(range(k) for k in sizes)):
        key: list[slice] = [slice(None)]
        for o, k, s, d, m in zip(offset, sizes, strides, dilations, out):
            start = o * d
            if m is not None:
                key.append(slice(start, start + (m - 1) * s + 1, s))
            else:
                back = (k - 1 - o) * d
                key.append(slice(start, -back if back else None, s))
        key.append(slice(None))
        parts.append(b.getitem(x, tuple(key)))
    return parts, out


def correlate(
    b: Core,
    function: str,
    x: Tensor,
    kernel: Tensor,
    strides: Sequence[int],
    dilations: Sequence[int],
    pad_widths: Sequence[tuple[int, int]],
) -> Tensor:
    """im2col: the channels-last correlation of ``x`` with ``kernel`` ``(spatial..., in, out)``."""
    sizes = tuple(int(d or 0) for d in kernel.shape[:-2])
    c_in, c_out = int(kernel.shape[-2] or 0), int(kernel.shape[-1] or 0)
    parts, out = windows(b, x, sizes, strides, dilations, pad_widths, 0.0, function)
    cols = parts[0] if len(parts) == 1 else b.concatenate(parts, axis=-1)
    depth = math.prod(sizes) * c_in
    flat = b.reshape(kernel, (depth, c_out))
    if None in out:
        return b.tensordot(cols, flat, axes=1)
    rows = b.matmul(b.reshape(cols, (-1, depth)), flat)
    return b.reshape(rows, (-1, *(int(m or 0) for m in out), c_out))


def float_operands(b: Core, function: str, *named: tuple[str, Operand]) -> list[Tensor]:
    """The operands as tensors of one float dtype (floatx in, floatx out; ints widened)."""
    ts = [b._tensor(v, f"{function} {name}") for name, v in named]
    out = dtypes.FLOATING(dtypes.common_dtype(*(t.dtype for t in ts)))
    return [b.astype(t, out) for t in ts]


def check_kernel(function: str, argument: str, kernel: Tensor, ndim: int, layout: str) -> None:
    """``kernel`` has ``ndim`` dimensions, all known when built."""
    cs.check_rank(function, argument, kernel.shape, ndim, layout)
    if None in kernel.shape:
        raise ValueError(
            f"ktensor: {function}: {argument} needs a shape known when built; received shape {kernel.shape}"
        )


def _layout(rank: int, fmt: str) -> str:
    spatial = ", ".join(("steps",) if rank == 1 else ("rows", "cols") if rank == 2 else ("d1", "d2", "d3"))
    if fmt == "channels_first":
        return f"(batch, channels, {spatial}) for data_format='channels_first'"
    return f"(batch, {spatial}, channels) for data_format='channels_last'"


class ConvOps(Core):
    """Convolutions."""

    def _conv(
        self,
        function: str,
        rank: int,
        x: Operand,
        kernel: Operand,
        strides: Any,
        padding: Any,
        data_format: Any,
        dilation_rate: Any,
    ) -> Tensor:
        fmt = cs.data_format(function, data_format)
        pad = cs.padding(function, padding, ("valid", "same", "causal") if rank == 1 else ("valid", "same"))
        s = cs.int_tuple(function, "strides", strides, rank)
        d = cs.int_tuple(function, "dilation_rate", dilation_rate, rank)
        t, k = float_operands(self, function, ("x", x), ("kernel", kernel))
        cs.check_rank(function, "x", t.shape, rank + 2, _layout(rank, fmt))
        check_kernel(function, "kernel", k, rank + 2, "(spatial..., in_channels, out_channels)")
        t = channels_last(self, t, fmt)
        cs.check_channels(function, "kernel", t.shape[-1], k.shape[-2], "input channels (kernel.shape[-2])")
        if pad == "causal":
            t = self.pad(t, [(0, 0), ((int(k.shape[0] or 0) - 1) * d[0], 0), (0, 0)])
            pad = "valid"
        return restore_format(self, self._convolve(function, t, k, s, d, pad), fmt)

    def _convolve(
        self, function: str, t: Tensor, k: Tensor, s: tuple[int, ...], d: tuple[int, ...], pad: str
    ) -> Tensor:
        sizes = tuple(int(n or 0) for n in k.shape[:-2])
        out = tuple(cs.output_length(n, kk, ss, dd, pad) for n, kk, ss, dd in zip(t.shape[1:-1], sizes, s, d))
        cs.check_output(function, t.shape, out)
        fused = self._fused_kernel("native_conv", *COMPOSITION)
        if fused is not None and (max(s) == 1 or max(d) == 1):
            native = self._kernel(function, [t.native, k.native], t.dtype, t.dtype, lambda a, b: fused(a, b, s, pad, d))
            return self._wrap(native, t.dtype, (t.shape[0], *out, k.shape[-1]), self._placeholders(t, k))
        return correlate(self, function, t, k, s, d, widths(function, t.shape, sizes, s, d, pad))

    @operation(
        method=False,
        reference=lambda x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1: _ref_conv(
            x, kernel, strides, padding, data_format, dilation_rate
        ),
        kit=(
            KitCase(dtypes=_FLOATS, shapes=((2, 5, 2), (3, 2, 3)), grad=True),
            KitCase(
                kwargs={"strides": 2, "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((2, 2, 6), (3, 2, 2)),
                grad=True,
            ),
            KitCase(
                kwargs={"padding": "causal", "dilation_rate": 2},
                dtypes=_FLOATS,
                shapes=((2, 5, 2), (2, 2, 3)),
                grad=True,
            ),
        ),
    )
    def conv1d(
        self,
        x: Operand,
        kernel: Operand,
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
    ) -> Tensor:
        """1-D convolution (a correlation) of ``x`` ``(batch, steps, channels)`` with ``kernel``
        ``(width, in_channels, out_channels)``.

        ``padding`` is ``"valid"``, ``"same"`` (the odd extra pad after) or ``"causal"``
        (``(width - 1) * dilation_rate`` zeros before: output ``t`` sees inputs up to ``t``).

        Examples:
            >>> kt.conv1d(kt.ones((1, 3, 1)), kt.ones((2, 1, 1)), padding="causal").eval()[0, :, 0]
            array([1., 2., 2.], dtype=float32)
        """
        return self._conv("conv1d", 1, x, kernel, strides, padding, data_format, dilation_rate)

    @operation(
        method=False,
        reference=lambda x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1): _ref_conv(
            x, kernel, strides, padding, data_format, dilation_rate
        ),
        kit=(
            KitCase(dtypes=_FLOATS, shapes=((2, 4, 4, 2), (2, 3, 2, 3)), grad=True),
            KitCase(
                kwargs={"strides": (2, 1), "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((2, 2, 5, 4), (3, 2, 2, 2)),
                grad=True,
            ),
            KitCase(
                kwargs={"padding": "same", "dilation_rate": (2, 1)},
                dtypes=_FLOATS,
                shapes=((2, 5, 4, 1), (2, 2, 1, 2)),
                grad=True,
            ),
            KitCase(
                kwargs={"strides": 2, "dilation_rate": 2},
                dtypes=_FLOATS,
                shapes=((1, 6, 6, 2), (2, 2, 2, 2)),
                grad=True,
            ),
        ),
    )
    def conv2d(
        self,
        x: Operand,
        kernel: Operand,
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
    ) -> Tensor:
        """2-D convolution (a correlation) of ``x`` ``(batch, rows, cols, channels)`` with
        ``kernel`` ``(rows, cols, in_channels, out_channels)``.

        ``padding="same"`` pads as TensorFlow (the odd extra pad after); strides and
        dilation together work on both engines.

        Examples:
            >>> kt.conv2d(kt.ones((1, 3, 3, 1)), kt.ones((2, 2, 1, 1))).eval()[0, :, :, 0]
            array([[4., 4.],
                   [4., 4.]], dtype=float32)
        """
        return self._conv("conv2d", 2, x, kernel, strides, padding, data_format, dilation_rate)

    @operation(
        method=False,
        reference=lambda x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1): (
            _ref_conv(x, kernel, strides, padding, data_format, dilation_rate)
        ),
        kit=(
            KitCase(dtypes=_FLOATS, shapes=((1, 3, 3, 3, 2), (2, 2, 2, 2, 2)), grad=True),
            KitCase(
                kwargs={"strides": (1, 2, 1), "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 2, 3, 3, 2), (2, 2, 1, 2, 2)),
                grad=True,
            ),
        ),
    )
    def conv3d(
        self,
        x: Operand,
        kernel: Operand,
        strides: int | Sequence[int] = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1, 1),
    ) -> Tensor:
        """3-D convolution (a correlation) of ``x`` ``(batch, d1, d2, d3, channels)`` with
        ``kernel`` ``(d1, d2, d3, in_channels, out_channels)``.

        Examples:
            >>> kt.conv3d(kt.ones((1, 2, 2, 2, 1)), kt.ones((2, 2, 2, 1, 1))).eval().ravel()
            array([8.], dtype=float32)
        """
        return self._conv("conv3d", 3, x, kernel, strides, padding, data_format, dilation_rate)

    @operation(
        method=False,
        reference=lambda x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None: (
            _ref_conv2d_transpose(x, kernel, output_shape, strides, padding, data_format)
        ),
        kit=(
            KitCase(args=((2, 4, 5, 3),), dtypes=_FLOATS, shapes=((2, 3, 4, 2), (2, 2, 3, 2)), grad=True),
            KitCase(
                args=((2, 3, 6, 5),),
                kwargs={"strides": (2, 2), "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((2, 2, 3, 3), (3, 3, 3, 2)),
                grad=True,
            ),
            KitCase(
                args=((1, 7, 5, 1),),
                kwargs={"strides": (3, 2)},
                dtypes=_FLOATS,
                shapes=((1, 2, 2, 2), (2, 2, 1, 2)),
                grad=True,
            ),
        ),
    )
    def conv2d_transpose(
        self,
        x: Operand,
        kernel: Operand,
        output_shape: Sequence[Any],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
    ) -> Tensor:
        """The transposed 2-D convolution: the gradient of ``conv2d`` (same ``strides`` and
        ``padding``) with respect to its input, for ``kernel`` ``(rows, cols, out_channels,
        in_channels)``.

        ``output_shape`` is the full result shape, batch included, in ``data_format``'s layout
        (Keras 2); its batch may be ``None``. ``conv2d`` of a tensor of ``output_shape`` must
        give ``x``'s spatial sizes.

        Examples:
            >>> kt.conv2d_transpose(kt.ones((1, 2, 2, 1)), kt.ones((2, 2, 1, 1)), (1, 3, 3, 1)).eval()[0, :, :, 0]
            array([[1., 2., 1.],
                   [2., 4., 2.],
                   [1., 2., 1.]], dtype=float32)
        """
        fn = "conv2d_transpose"
        fmt = cs.data_format(fn, data_format)
        pad = cs.padding(fn, padding)
        s = cs.int_tuple(fn, "strides", strides, 2)
        t, k = float_operands(self, fn, ("x", x), ("kernel", kernel))
        cs.check_rank(fn, "x", t.shape, 4, _layout(2, fmt))
        check_kernel(fn, "kernel", k, 4, "(rows, cols, out_channels, in_channels)")
        target = _output_shape(fn, output_shape, fmt)
        t = channels_last(self, t, fmt)
        cs.check_channels(fn, "kernel", t.shape[-1], k.shape[-1], "input channels (kernel.shape[-1])")
        kh, kw, c_out, _ = (int(n or 0) for n in k.shape)
        if target[-1] != c_out:
            raise ValueError(
                f"ktensor: {fn}: output_shape {tuple(output_shape)!r} has {target[-1]} channels, but "
                f"kernel.shape[-2] (its out_channels) is {c_out}"
            )
        sizes = (kh, kw)
        inputs = tuple(cs.transpose_input_length(int(n or 0), kk, ss, pad) for n, kk, ss in zip(target[1:3], sizes, s))
        for axis, (have, want) in enumerate(zip(t.shape[1:3], inputs)):
            if have is not None and have != want:
                raise ValueError(
                    f"ktensor: {fn}: output_shape {tuple(output_shape)!r} with strides={s} and padding={pad!r} "
                    f"needs an input of spatial size {inputs}, but x has {tuple(t.shape[1:3])} (axis {axis})"
                )
        if target[0] is not None and t.shape[0] is not None and target[0] != t.shape[0]:
            raise ValueError(f"ktensor: {fn}: output_shape has batch {target[0]}, but x has batch {t.shape[0]}")
        static = (t.shape[0] if t.shape[0] is not None else target[0], *target[1:])
        fused = self._fused_kernel("native_conv_transpose", *COMPOSITION)
        if fused is not None:
            spatial = tuple(int(n or 0) for n in target[1:3])
            native = self._kernel(fn, [t.native, k.native], t.dtype, t.dtype, lambda a, b: fused(a, b, spatial, s, pad))
            y = self._wrap(native, t.dtype, static, self._placeholders(t, k))
        else:
            y = self._transpose_composition(t, k, tuple(int(n or 0) for n in target[1:3]), inputs, s, pad)
        return restore_format(self, y, fmt)

    def _transpose_composition(
        self, t: Tensor, k: Tensor, lengths: tuple[int, ...], inputs: tuple[int, ...], s: tuple[int, ...], pad: str
    ) -> Tensor:
        """Zeros between the inputs (``s - 1`` of them), padded, correlated with the flipped kernel."""
        channels = int(k.shape[-1] or 0)
        current = list(inputs)
        for i, (stride, j) in enumerate(zip(s, inputs)):
            if stride == 1:
                continue
            axis = i + 1
            e = self.expand_dims(t, axis + 1)
            e = self.concatenate([e] + [self.zeros_like(e)] * (stride - 1), axis=axis + 1)
            merged = (-1, *current[:i], j * stride, *current[i + 1 :], channels)
            e = self.reshape(e, merged)
            key = [slice(None)] * e.ndim
            key[axis] = slice(0, (j - 1) * stride + 1)
            t = self.getitem(e, tuple(key))
            current[i] = (j - 1) * stride + 1
        sizes = tuple(int(n or 0) for n in k.shape[:-2])
        pad_widths = []
        for length, kk, ss, j in zip(lengths, sizes, s, inputs):
            before = (cs.pads(length, kk, ss, 1, pad) or (0, 0))[0]
            pad_widths.append((kk - 1 - before, length + before - (j - 1) * ss - 1))
        flipped = self.getitem(k, (slice(None, None, -1),) * len(sizes) + (slice(None), slice(None)))
        flipped = self.transpose(flipped, (*range(len(sizes)), len(sizes) + 1, len(sizes)))
        ones = (1,) * len(sizes)
        return correlate(self, "conv2d_transpose", t, flipped, ones, ones, pad_widths)

    @operation(
        method=False,
        reference=lambda x, k, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1): _ref_depthwise(
            x, k, strides, padding, data_format, dilation_rate
        ),
        kit=(
            KitCase(dtypes=_FLOATS, shapes=((2, 4, 4, 2), (2, 2, 2, 2)), grad=True),
            KitCase(
                kwargs={"strides": (2, 2), "padding": "same", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 3, 5, 4), (3, 3, 3, 1)),
                grad=True,
            ),
            KitCase(
                kwargs={"strides": (1, 2), "dilation_rate": (2, 1)},
                dtypes=_FLOATS,
                shapes=((1, 5, 5, 2), (2, 2, 2, 2)),
                grad=True,
            ),
        ),
    )
    def depthwise_conv2d(
        self,
        x: Operand,
        depthwise_kernel: Operand,
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
    ) -> Tensor:
        """Each input channel correlated with its own ``multiplier`` kernels: ``depthwise_kernel``
        ``(rows, cols, in_channels, multiplier)``, output channel ``c * multiplier + m``.

        The composition runs it as ``conv2d`` with a block-diagonal kernel.

        Examples:
            >>> kt.depthwise_conv2d(kt.ones((1, 2, 2, 2)), kt.ones((2, 2, 2, 1))).eval().ravel()
            array([4., 4.], dtype=float32)
        """
        fn = "depthwise_conv2d"
        fmt = cs.data_format(fn, data_format)
        pad = cs.padding(fn, padding)
        s = cs.int_tuple(fn, "strides", strides, 2)
        d = cs.int_tuple(fn, "dilation_rate", dilation_rate, 2)
        t, k = float_operands(self, fn, ("x", x), ("depthwise_kernel", depthwise_kernel))
        cs.check_rank(fn, "x", t.shape, 4, _layout(2, fmt))
        check_kernel(fn, "depthwise_kernel", k, 4, "(rows, cols, in_channels, multiplier)")
        t = channels_last(self, t, fmt)
        cs.check_channels(fn, "depthwise_kernel", t.shape[-1], k.shape[-2], "input channels (shape[-2])")
        return restore_format(self, self._depthwise(fn, t, k, s, d, pad), fmt)

    def _depthwise(self, fn: str, t: Tensor, k: Tensor, s: tuple[int, ...], d: tuple[int, ...], pad: str) -> Tensor:
        kh, kw, channels, multiplier = (int(n or 0) for n in k.shape)
        fused = self._fused_kernel("native_depthwise_conv", *COMPOSITION, "multiply")
        if fused is not None and s[0] == s[1] and (max(s) == 1 or max(d) == 1):
            out = tuple(cs.output_length(n, kk, ss, dd, pad) for n, kk, ss, dd in zip(t.shape[1:3], (kh, kw), s, d))
            cs.check_output(fn, t.shape, out)
            native = self._kernel(fn, [t.native, k.native], t.dtype, t.dtype, lambda a, b: fused(a, b, s, pad, d))
            return self._wrap(native, t.dtype, (t.shape[0], *out, channels * multiplier), self._placeholders(t, k))
        eye = np.eye(channels, dtype=t.dtype).reshape(channels, channels, 1)
        block = self.reshape(self.multiply(self.expand_dims(k, -2), eye), (kh, kw, channels, channels * multiplier))
        return correlate(self, fn, t, block, s, d, widths(fn, t.shape, (kh, kw), s, d, pad))

    @operation(
        method=False,
        reference=lambda x, dk, pk, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1): _ref_conv(
            _ref_depthwise(x, dk, strides, padding, data_format, dilation_rate), pk, 1, "valid", data_format, 1
        ),
        kit=(
            KitCase(
                kwargs={"padding": "same"}, dtypes=_FLOATS, shapes=((2, 3, 4, 2), (2, 2, 2, 2), (1, 1, 4, 3)), grad=True
            ),
            KitCase(
                kwargs={"strides": 2, "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 2, 5, 5), (3, 3, 2, 1), (1, 1, 2, 2)),
                grad=True,
            ),
        ),
    )
    def separable_conv2d(
        self,
        x: Operand,
        depthwise_kernel: Operand,
        pointwise_kernel: Operand,
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
    ) -> Tensor:
        """``depthwise_conv2d`` then a 1x1 ``conv2d`` with ``pointwise_kernel``
        ``(1, 1, in_channels * multiplier, out_channels)``.

        Examples:
            >>> kt.separable_conv2d(kt.ones((1, 2, 2, 1)), kt.ones((2, 2, 1, 2)), kt.ones((1, 1, 2, 1))).eval().ravel()
            array([8.], dtype=float32)
        """
        fn = "separable_conv2d"
        pk = self._tensor(pointwise_kernel, f"{fn} pointwise_kernel")
        dk = self._tensor(depthwise_kernel, f"{fn} depthwise_kernel")
        check_kernel(fn, "depthwise_kernel", dk, 4, "(rows, cols, in_channels, multiplier)")
        check_kernel(fn, "pointwise_kernel", pk, 4, "(1, 1, in_channels * multiplier, out_channels)")
        _check_pointwise(fn, dk, pk, 2)
        y = self.depthwise_conv2d(x, dk, strides, padding, data_format, dilation_rate)
        return self.conv2d(y, pk, (1, 1), "valid", data_format)

    @operation(
        method=False,
        reference=lambda x, dk, pk, strides=1, padding="valid", data_format=None, dilation_rate=1: (
            _ref_separable_conv1d(x, dk, pk, strides, padding, data_format, dilation_rate)
        ),
        kit=(
            KitCase(kwargs={"padding": "same"}, dtypes=_FLOATS, shapes=((2, 5, 2), (3, 2, 2), (1, 4, 3)), grad=True),
            KitCase(
                kwargs={"strides": 2, "padding": "causal", "data_format": "channels_first"},
                dtypes=_FLOATS,
                shapes=((1, 2, 6), (2, 2, 1), (1, 2, 2)),
                grad=True,
            ),
        ),
    )
    def separable_conv1d(
        self,
        x: Operand,
        depthwise_kernel: Operand,
        pointwise_kernel: Operand,
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
    ) -> Tensor:
        """The 1-D ``separable_conv2d``: ``depthwise_kernel`` ``(width, in_channels, multiplier)``,
        ``pointwise_kernel`` ``(1, in_channels * multiplier, out_channels)``; ``padding`` may be
        ``"causal"`` as in ``conv1d``.

        Examples:
            >>> kt.separable_conv1d(kt.ones((1, 3, 1)), kt.ones((2, 1, 1)), kt.ones((1, 1, 1))).eval().ravel()
            array([2., 2.], dtype=float32)
        """
        fn = "separable_conv1d"
        fmt = cs.data_format(fn, data_format)
        pad = cs.padding(fn, padding, ("valid", "same", "causal"))
        (s,) = cs.int_tuple(fn, "strides", strides, 1)
        (d,) = cs.int_tuple(fn, "dilation_rate", dilation_rate, 1)
        t = self._tensor(x, f"{fn} x")
        dk = self._tensor(depthwise_kernel, f"{fn} depthwise_kernel")
        pk = self._tensor(pointwise_kernel, f"{fn} pointwise_kernel")
        cs.check_rank(fn, "x", t.shape, 3, _layout(1, fmt))
        check_kernel(fn, "depthwise_kernel", dk, 3, "(width, in_channels, multiplier)")
        check_kernel(fn, "pointwise_kernel", pk, 3, "(1, in_channels * multiplier, out_channels)")
        _check_pointwise(fn, dk, pk, 1)
        axis = 1 if fmt == "channels_last" else 2
        if pad == "causal":
            widths_ = [(0, 0)] * 3
            widths_[axis] = ((int(dk.shape[0] or 0) - 1) * d, 0)
            t = self.pad(t, widths_)
            pad = "valid"
        y = self.separable_conv2d(
            self.expand_dims(t, axis), self.expand_dims(dk, 0), self.expand_dims(pk, 0), (1, s), pad, fmt, (1, d)
        )
        return self.squeeze(y, axis)


def _check_pointwise(fn: str, dk: Tensor, pk: Tensor, rank: int) -> None:
    depth = int(dk.shape[-2] or 0) * int(dk.shape[-1] or 0)
    if tuple(pk.shape[:rank]) != (1,) * rank or pk.shape[-2] != depth:
        raise ValueError(
            f"ktensor: {fn}: pointwise_kernel must have shape {(1,) * rank + (depth, 'out_channels')} "
            f"(in_channels * multiplier = {depth}); received shape {pk.shape}"
        )


def _output_shape(fn: str, output_shape: Any, fmt: str) -> tuple[int | None, ...]:
    """``output_shape`` checked and in channels-last order; a batch given as a tensor
    (``kt.shape(x)[0]``, as Keras 2 code writes it) is read as ``None``: the batch is x's."""
    items = tuple(output_shape) if isinstance(output_shape, (list, tuple)) else None
    if items and isinstance(items[0], Tensor):
        items = (None, *items[1:])
    ok = (
        items is not None
        and len(items) == 4
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in items[1:])
    )
    if not ok or items is None or not (items[0] is None or (isinstance(items[0], (int, np.integer)) and items[0] >= 1)):
        raise ValueError(
            f"ktensor: {fn}: output_shape must be 4 ints (batch, spatial..., channels in data_format's "
            f"layout; the batch may be None or a tensor); received {output_shape!r}"
        )
    shape = tuple(None if v is None else int(v) for v in items)
    return shape if fmt == "channels_last" else (shape[0], shape[2], shape[3], shape[1])


# ----------------------------------------------------------------------
# NumPy references: direct loops over the kernel offsets, written apart from the composition.
# ----------------------------------------------------------------------
def _ref_tuple(v: Any, n: int) -> tuple[int, ...]:
    return (int(v),) * n if np.ndim(v) == 0 else tuple(int(i) for i in v)


def _ref_pads(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    extent = (k - 1) * d + 1
    if padding == "causal":
        return (extent - 1, 0)
    if padding == "valid":
        return (0, 0)
    total = max((math.ceil(n / s) - 1) * s + extent - n, 0)
    return (total // 2, total - total // 2)


def _ref_windows(x: np.ndarray, ks: Sequence[int], s: Sequence[int], d: Sequence[int], padding: str) -> Any:
    """Yields ``(offset, window)`` of channels-last ``x``; the padding is NaN."""
    w = [_ref_pads(n, k, ss, dd, padding) for n, k, ss, dd in zip(x.shape[1:-1], ks, s, d)]
    xp = np.pad(x.astype(np.float64), [(0, 0), *w, (0, 0)], constant_values=np.nan)
    out = [(n - (k - 1) * dd - 1) // ss + 1 for n, k, ss, dd in zip(xp.shape[1:-1], ks, s, d)]
    for offset in np.ndindex(*ks):
        key = tuple(slice(o * dd, o * dd + (m - 1) * ss + 1, ss) for o, m, ss, dd in zip(offset, out, s, d))
        yield offset, xp[(slice(None),) + key]


def _ref_conv(x: np.ndarray, k: np.ndarray, strides: Any, padding: str, data_format: Any, dilation: Any) -> np.ndarray:
    rank = x.ndim - 2
    dtype = np.result_type(x, k)
    first = data_format == "channels_first"
    xl = np.moveaxis(x, 1, -1) if first else x
    total: Any = 0.0
    for offset, window in _ref_windows(
        xl, k.shape[:rank], _ref_tuple(strides, rank), _ref_tuple(dilation, rank), padding
    ):
        total = total + np.einsum("...c,co->...o", np.nan_to_num(window), k[offset].astype(np.float64))
    out = np.asarray(total)
    return (np.moveaxis(out, -1, 1) if first else out).astype(dtype)


def _ref_depthwise(
    x: np.ndarray, k: np.ndarray, strides: Any, padding: str, data_format: Any, dilation: Any
) -> np.ndarray:
    dtype = np.result_type(x, k)
    first = data_format == "channels_first"
    xl = np.moveaxis(x, 1, -1) if first else x
    total: Any = 0.0
    for offset, window in _ref_windows(xl, k.shape[:2], _ref_tuple(strides, 2), _ref_tuple(dilation, 2), padding):
        total = total + np.einsum("...c,cm->...cm", np.nan_to_num(window), k[offset].astype(np.float64))
    out = np.asarray(total)
    out = out.reshape(*out.shape[:-2], -1)
    return (np.moveaxis(out, -1, 1) if first else out).astype(dtype)


def _ref_separable_conv1d(
    x: np.ndarray, dk: np.ndarray, pk: np.ndarray, strides: Any, padding: str, data_format: Any, dilation: Any
) -> np.ndarray:
    first = data_format == "channels_first"
    xl = np.moveaxis(x, 1, -1) if first else x
    if padding == "causal":
        xl = np.pad(xl, [(0, 0), ((dk.shape[0] - 1) * int(dilation), 0), (0, 0)])
        padding = "valid"
    y = _ref_depthwise(xl[:, None], dk[None], (1, int(strides)), padding, None, (1, int(dilation)))
    out = _ref_conv(y, pk[None], 1, "valid", None, 1)[:, 0]
    return np.moveaxis(out, -1, 1) if first else out


def _ref_conv2d_transpose(
    x: np.ndarray, k: np.ndarray, output_shape: Sequence[int], strides: Any, padding: str, data_format: Any
) -> np.ndarray:
    """Scatter each input element times the kernel into the padded output, then crop."""
    dtype = np.result_type(x, k)
    first = data_format == "channels_first"
    xl = np.moveaxis(x, 1, -1) if first else x
    shape = tuple(output_shape)
    target = (shape[0], shape[2], shape[3], shape[1]) if first else shape
    s = _ref_tuple(strides, 2)
    w = [_ref_pads(n, kk, ss, 1, padding) for n, kk, ss in zip(target[1:3], k.shape[:2], s)]
    full = np.zeros((xl.shape[0], target[1] + sum(w[0]), target[2] + sum(w[1]), k.shape[2]))
    for j in np.ndindex(*xl.shape[1:3]):
        for i in np.ndindex(*k.shape[:2]):
            full[:, j[0] * s[0] + i[0], j[1] * s[1] + i[1], :] += xl[:, j[0], j[1], :] @ k[i].T.astype(np.float64)
    out = full[:, w[0][0] : w[0][0] + target[1], w[1][0] : w[1][0] + target[2]]
    return (np.moveaxis(out, -1, 1) if first else out).astype(dtype)
