"""Dropout and normalisation (API.md §9): ``dropout``, ``l2_normalize``,
``batch_normalization``, ``normalize_batch_in_training``, ``bias_add``.

Every operation is a composition through ``self`` (``multiply``, ``sqrt``, ``mean``,
``var``, ``reshape``, ``random_binomial`` ...), so a subclass's override of a part reaches
it. Floats keep their dtype; integer inputs become NumPy's float for ``np.exp``
(``dtypes.FLOATING``), except in ``bias_add``, which adds as NumPy does.

Examples:
    >>> kt.l2_normalize([3.0, 4.0]).eval()
    array([0.6, 0.8])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import conv_shapes, dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Axis, Operand, Tensor

_FLOATS = ("float32", "float64")


# -- NumPy references ----------------------------------------------------------------------
def _floating(x: Any) -> np.ndarray:
    a = np.asarray(x)
    return a.astype(dtypes.FLOATING(a.dtype.name))


def _dropout_reference(x: Any, level: float, noise_shape: Any = None, seed: Any = None) -> np.ndarray:
    """Only ``level=0`` has a deterministic value: the identity (in ``np.exp``'s dtype)."""
    assert level == 0
    return _floating(x)


def _l2_normalize_reference(x: Any, axis: Any = None) -> np.ndarray:
    a = _floating(x)
    ax = tuple(axis) if isinstance(axis, list) else axis
    return a / np.sqrt(np.maximum(np.sum(a * a, axis=ax, keepdims=True), 1e-12))


def _aligned(stat: Any, ndim: int, axis: int) -> Any:
    """A 1-D statistic reshaped to broadcast along ``axis`` of an ``ndim``-D tensor."""
    if stat is None:
        return None
    s = np.asarray(stat)
    if s.ndim == 1 and ndim > 1:
        shape = [1] * ndim
        shape[axis % ndim] = s.shape[0]
        return s.reshape(shape)
    return s


def _batch_normalization_reference(
    x: Any, mean: Any, var: Any, beta: Any, gamma: Any, axis: int = -1, epsilon: float = 0.001
) -> np.ndarray:
    a = _floating(x)
    m, v, b, g = (_aligned(s, a.ndim, axis) for s in (mean, var, beta, gamma))
    out = (a - m) / np.sqrt(v + epsilon)
    if g is not None:
        out = out * g
    if b is not None:
        out = out + b
    return np.asarray(out)


def _bias_add_reference(x: Any, bias: Any, data_format: str | None = None) -> np.ndarray:
    a, b = np.asarray(x), np.asarray(bias)
    if b.ndim == 1:
        shape = [1] * a.ndim
        shape[1 if data_format == "channels_first" else -1] = b.shape[0]
        b = b.reshape(shape)
    return np.asarray(a + b)


def _normalize_batch_reference(
    x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int], epsilon: float = 0.001
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The NumPy twin of ``normalize_batch_in_training`` (for the tests)."""
    a = _floating(x)
    axes = tuple(int(i) % a.ndim for i in reduction_axes)
    mean, var = a.mean(axis=axes, keepdims=True), a.var(axis=axes, keepdims=True)
    target = [1 if i in axes else d for i, d in enumerate(a.shape)]
    out = (a - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        out = out * np.reshape(gamma, target)
    if beta is not None:
        out = out + np.reshape(beta, target)
    return out, np.squeeze(mean, axis=axes), np.squeeze(var, axis=axes)


# -- argument checks -------------------------------------------------------------------------
def _non_negative(op: str, argument: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_, Tensor)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"ktensor: {op}: {argument} must be a number >= 0; received {value!r}")
    if not (math.isfinite(float(value)) and value >= 0):
        raise ValueError(f"ktensor: {op}: {argument} must be a finite number >= 0; received {value!r}")
    return float(value)




def _noise_shape(x_shape: shapes.Shape, noise_shape: Any) -> tuple[int | None, ...]:
    """``noise_shape`` (None entries taken from ``x``) checked to broadcast to ``x``."""
    if noise_shape is None:
        entries: list[Any] = list(x_shape)
    else:
        if isinstance(noise_shape, Tensor) or not isinstance(noise_shape, (tuple, list)):
            raise TypeError(
                f"ktensor: dropout: noise_shape must be None or a tuple of ints (None entries taken from x); "
                f"received {noise_shape!r}"
            )
        if len(noise_shape) != len(x_shape):
            raise ValueError(
                f"ktensor: dropout: noise_shape must have one entry per dimension of x {shapes.describe(x_shape)}; "
                f"received {tuple(noise_shape)!r}"
            )
        entries = [d if n is None else n for n, d in zip(noise_shape, x_shape, strict=True)]
    for n, d in zip(entries, x_shape, strict=True):
        if n is None:
            continue
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 or (n != 1 and d is not None and n != d):
            raise ValueError(
                f"ktensor: dropout: noise_shape must broadcast to x's shape {shapes.describe(x_shape)} "
                f"(each entry 1, None or x's size); received {tuple(noise_shape or ())!r}"
            )
    return tuple(None if n is None else int(n) for n in entries)


class NormalizationOps(Core):
    """Dropout and normalisation."""

    @operation(
        dtype=dtypes.FLOATING,
        reference=_dropout_reference,
        primitives=("native_random",),
        kit=(
            KitCase(args=(0.0,), dtypes=("int32", "float16", "float32", "float64"), grad=True),
            KitCase(args=(0.0,), kwargs={"noise_shape": (1, 3), "seed": 4}, dtypes=_FLOATS),
        ),
    )
    def dropout(self, x: Operand, level: float, noise_shape: Sequence[int | None] | None = None, seed: int | None = None) -> Tensor:
        """Inverted dropout: each entry is zeroed with probability ``level`` and the kept
        ones are scaled by ``1 / (1 - level)``, so the mean is kept.

        A new mask is drawn on each run; one ``seed`` gives the same first mask. The mask
        has ``noise_shape`` (broadcast to ``x``: a 1 shares the mask along that axis, a
        None entry takes ``x``'s size, also one known only at run time, such as the batch
        size). ``level=0`` is the identity.

        Args:
            x: The tensor.
            level: The probability of dropping an entry, in ``[0, 1)``.
            noise_shape: The mask's shape, or None for ``x``'s.
            seed: Makes the first mask repeatable.

        Examples:
            >>> y = kt.dropout(kt.ones((1000,)), 0.5, seed=1).eval()
            >>> sorted(set(y.tolist()))
            [0.0, 2.0]
        """
        if (
            isinstance(level, (bool, np.bool_, Tensor))
            or not isinstance(level, (int, float, np.integer, np.floating))
            or not 0.0 <= float(level) < 1.0
        ):
            raise ValueError(f"ktensor: dropout: level must be a number in [0, 1); received {level!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"ktensor: dropout: seed must be None or an int; received {seed!r}")
        t = self._tensor(x, "dropout argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        mask_shape = _noise_shape(t.shape, noise_shape)
        if level == 0:
            return t
        keep = self._random_like("binomial", t, mask_shape, 1.0 - float(level), 0.0, t.dtype, seed)
        return self.multiply(t, self.multiply(keep, 1.0 / (1.0 - float(level))))

    @operation(
        dtype=dtypes.FLOATING,
        reference=_l2_normalize_reference,
        kit=(
            KitCase(dtypes=("int32", "float16", "float32", "float64"), shapes=((2, 3, 2),), grad=True),
            KitCase(args=(1,), dtypes=_FLOATS, shapes=((2, 3, 2),), grad=True),
            KitCase(kwargs={"axis": (0, -1)}, dtypes=_FLOATS, shapes=((2, 3, 2),), grad=True),
            KitCase(args=(-1,), dtypes=_FLOATS, values="small", shapes=((2, 3),)),
        ),
    )
    def l2_normalize(self, x: Operand, axis: Axis = None) -> Tensor:
        """``x / sqrt(maximum(sum(x², axis), 1e-12))``: unit L2 norm along ``axis`` (every
        axis when None), zeros staying zeros.

        Examples:
            >>> kt.l2_normalize([[3.0, 4.0], [0.0, 2.0]], axis=1).eval()
            array([[0.6, 0.8],
                   [0. , 1. ]])
        """
        t = self._tensor(x, "l2_normalize argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        axes = shapes.normalize_axes(list(axis) if isinstance(axis, tuple) else axis, t.ndim, "l2_normalize axis")
        squares = self.sum(self.multiply(t, t), axis=axes, keepdims=True)
        return self.divide(t, self.sqrt(self.maximum(squares, 1e-12)))

    def _statistic(self, stat: Operand | None, argument: str, x: Tensor, axis: int) -> Tensor | None:
        """A ``batch_normalization`` statistic: 1-D lined up with ``axis``, else as it is."""
        if stat is None:
            return None
        s = self._tensor(stat, f"batch_normalization {argument}")
        if s.ndim > x.ndim:
            raise ValueError(
                f"ktensor: batch_normalization: {argument} has more dimensions than x "
                f"({shapes.describe(s.shape)} for x of shape {shapes.describe(x.shape)})"
            )
        if s.ndim == 1 and x.ndim > 1:
            n, size = s.shape[0], x.shape[axis]
            if n is not None and size is not None and n not in (1, size):
                raise ValueError(
                    f"ktensor: batch_normalization: {argument} of shape {shapes.describe(s.shape)} does not match "
                    f"axis {axis} of x (shape {shapes.describe(x.shape)}); expected ({size},)"
                )
            target = [1] * x.ndim
            target[axis] = -1
            return self.reshape(s, target)
        shapes.broadcast(x.shape, s.shape, operation=f"batch_normalization {argument}")
        return s

    @operation(
        reference=_batch_normalization_reference,
        kit=(
            KitCase(
                shapes=((2, 3, 4), (4,), (4,), (4,), (4,)),
                values=("any", "any", "positive", "any", "any"),
                dtypes=("float16", "float32", "float64"),
                grad=True,
                forms=("function",),
                label="kt.batch_normalization(x(2, 3, 4), mean(4,), var(4,), beta(4,), gamma(4,))",
            ),
            KitCase(
                shapes=((2, 3, 4), (3,), (3,), (3,), (3,)),
                values=("any", "any", "positive", "any", "any"),
                kwargs={"axis": 1, "epsilon": 0.01},
                dtypes=_FLOATS,
                grad=True,
                forms=("function",),
                label="kt.batch_normalization(x(2, 3, 4), 1-D statistics (3,), axis=1, epsilon=0.01)",
            ),
            KitCase(
                shapes=((2, 3, 4), (1, 3, 1), (1, 3, 1)),
                values=("any", "any", "positive"),
                args=(None, None),
                dtypes=("int32", "float32", "float64"),
                grad=True,
            ),
        ),
    )
    def batch_normalization(
        self,
        x: Operand,
        mean: Operand,
        var: Operand,
        beta: Operand | None,
        gamma: Operand | None,
        axis: int = -1,
        epsilon: float = 0.001,
    ) -> Tensor:
        """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` (Keras 2).

        1-D statistics (size ``x.shape[axis]``) line up with ``axis``; statistics of any
        other rank are used as they are (NumPy broadcasting). ``beta`` and ``gamma`` may
        be None. Integer ``x`` becomes NumPy's float; the dtypes then promote as NumPy.

        Examples:
            >>> x = kt.constant([[1.0, 2.0], [3.0, 4.0]])
            >>> mean, var = kt.constant([2.0, 3.0]), kt.constant([1.0, 1.0])
            >>> kt.batch_normalization(x, mean, var, None, None, epsilon=0.0).eval()
            array([[-1., -1.],
                   [ 1.,  1.]], dtype=float32)
        """
        eps = _non_negative("batch_normalization", "epsilon", epsilon)
        t = self._tensor(x, "batch_normalization argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        ax = shapes.normalize_axis(axis, max(t.ndim, 1), "batch_normalization axis")
        m, v, b, g = (
            self._statistic(s, name, t, ax)
            for s, name in ((mean, "mean"), (var, "var"), (beta, "beta"), (gamma, "gamma"))
        )
        if m is None or v is None:
            raise TypeError("ktensor: batch_normalization: mean and var must be tensors; received None")
        out = self.divide(self.subtract(t, m), self.sqrt(self.add(v, eps)))
        if g is not None:
            out = self.multiply(out, g)
        if b is not None:
            out = self.add(out, b)
        return out

    def _batch_parameter(self, p: Operand | None, argument: str, x: Tensor, axes: tuple[int, ...]) -> Tensor | None:
        """``gamma``/``beta`` of ``normalize_batch_in_training`` shaped to broadcast with ``x``."""
        if p is None:
            return None
        s = self._tensor(p, f"normalize_batch_in_training {argument}")
        kept = [i for i in range(x.ndim) if i not in axes]
        target = [1 if i in axes else x.shape[i] for i in range(x.ndim)]
        if s.ndim == x.ndim:
            shapes.broadcast(x.shape, s.shape, operation=f"normalize_batch_in_training {argument}")
            return s
        if s.ndim == len(kept):
            for i, d in zip(kept, s.shape, strict=True):
                if d is not None and x.shape[i] is not None and d not in (1, x.shape[i]):
                    raise ValueError(
                        f"ktensor: normalize_batch_in_training: {argument} of shape {shapes.describe(s.shape)} does "
                        f"not match the kept axes {tuple(kept)} of x (shape {shapes.describe(x.shape)})"
                    )
            for a in axes:
                s = self.expand_dims(s, a)
            return s
        if s.ndim == 1 and None not in target:
            if s.shape[0] is not None and s.shape[0] != math.prod(d for d in target if d is not None):
                raise ValueError(
                    f"ktensor: normalize_batch_in_training: {argument} of shape {shapes.describe(s.shape)} does not "
                    f"fit the kept axes {tuple(kept)} of x (shape {shapes.describe(x.shape)}); expected shape "
                    f"{shapes.describe(tuple(x.shape[i] for i in kept))} or ({math.prod(d for d in target if d is not None)},)"
                )
            return self.reshape(s, [int(d) for d in target if d is not None])
        raise ValueError(
            f"ktensor: normalize_batch_in_training: {argument} must have the kept axes' shape "
            f"{shapes.describe(tuple(x.shape[i] for i in kept))} or x's rank; received shape {shapes.describe(s.shape)}"
        )

    @operation(kit_exempt="returns a tuple (normed, mean, var): checked against NumPy in tests/test_nn_activations.py")
    def normalize_batch_in_training(
        self,
        x: Operand,
        gamma: Operand | None,
        beta: Operand | None,
        reduction_axes: Sequence[int],
        epsilon: float = 0.001,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """The batch's statistics over ``reduction_axes`` and ``x`` normalised with them.

        Returns ``(normed, mean, var)``: ``var`` is the population variance, ``mean`` and
        ``var`` have the reduced axes removed. ``gamma`` and ``beta`` (None allowed) have
        the shape of the kept axes (or ``x``'s rank, or 1-D of their size), as Keras 2.

        Examples:
            >>> x = kt.constant([[1.0, 2.0], [3.0, 6.0]])
            >>> normed, mean, var = kt.normalize_batch_in_training(x, None, None, [0], epsilon=0.0)
            >>> normed.eval(), mean.eval(), var.eval()
            (array([[-1., -1.],
                   [ 1.,  1.]], dtype=float32), array([2., 4.], dtype=float32), array([1., 4.], dtype=float32))
        """
        eps = _non_negative("normalize_batch_in_training", "epsilon", epsilon)
        t = self._tensor(x, "normalize_batch_in_training argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        if isinstance(reduction_axes, (int, np.integer)) and not isinstance(reduction_axes, bool):
            reduction_axes = [int(reduction_axes)]
        if not isinstance(reduction_axes, (list, tuple)) or not reduction_axes:
            raise ValueError(
                f"ktensor: normalize_batch_in_training: reduction_axes must be a non-empty list of axes; "
                f"received {reduction_axes!r}"
            )
        axes = shapes.normalize_axes(list(reduction_axes), t.ndim, "normalize_batch_in_training reduction_axes")
        mean = self.mean(t, axis=axes, keepdims=True)
        var = self.var(t, axis=axes, keepdims=True)
        g = self._batch_parameter(gamma, "gamma", t, axes)
        b = self._batch_parameter(beta, "beta", t, axes)
        normed = self.batch_normalization(t, mean, var, b, g, epsilon=eps)
        return normed, self.squeeze(mean, axis=axes), self.squeeze(var, axis=axes)

    @operation(
        reference=_bias_add_reference,
        kit=(
            KitCase(shapes=((2, 3, 4), (4,)), dtypes=("int32", "float16", "float32", "float64"), grad=True),
            KitCase(shapes=((2, 3, 4), (3,)), kwargs={"data_format": "channels_first"}, dtypes=_FLOATS, grad=True),
            KitCase(shapes=((2, 3, 2, 2), (3,)), args=("channels_first",), dtypes=_FLOATS, grad=True),
            KitCase(shapes=((2, 3, 4), (3, 4)), kwargs={"data_format": "channels_last"}, dtypes=_FLOATS, grad=True),
            KitCase(shapes=((2, 3), (3,)), dtypes=("bool", "int8", "uint8")),
        ),
    )
    def bias_add(self, x: Operand, bias: Operand, data_format: str | None = None) -> Tensor:
        """``x + bias``: a 1-D bias along the channels axis (last, or axis 1 for
        ``"channels_first"``), or a bias of ``x``'s non-batch shape added as it is.

        Keras 2.3's TensorFlow backend reshapes a many-dimensional bias into the
        channels-first layout instead of transposing it; ktensor adds a bias of ``x``'s
        non-batch shape as it is, in either layout. Dtypes as NumPy's addition.

        Examples:
            >>> kt.bias_add(kt.zeros((2, 3)), kt.constant([1.0, 2.0, 3.0])).eval()
            array([[1., 2., 3.],
                   [1., 2., 3.]], dtype=float32)
        """
        fmt = conv_shapes.data_format("bias_add", data_format)
        t = self._tensor(x, "bias_add argument")
        b = self._tensor(bias, "bias_add bias")
        if t.ndim < 2:
            raise ValueError(
                f"ktensor: bias_add: x must have a batch and a channels axis (at least 2 dimensions); "
                f"received shape {shapes.describe(t.shape)}"
            )
        if b.ndim == 1:
            channels = 1 if fmt == "channels_first" else t.ndim - 1
            n, size = b.shape[0], t.shape[channels]
            if n is not None and size is not None and n != size:
                raise ValueError(
                    f"ktensor: bias_add: bias of shape {shapes.describe(b.shape)} does not match the {size} channels "
                    f"(axis {channels}, {fmt}) of x (shape {shapes.describe(t.shape)})"
                )
            fused = self._fused_kernel("native_bias_add", "add", "reshape") if t.dtype == b.dtype else None
            if fused is not None and dtypes.is_float(t.dtype):  # TensorFlow's BiasAdd kernel
                native = self._kernel(
                    "bias_add", [t.native, b.native], t.dtype, t.dtype, lambda n, m: fused(n, m, channels != t.ndim - 1)
                )
                return self._wrap(native, t.dtype, t.shape, self._placeholders(t, b))
            if channels == t.ndim - 1:
                return self.add(t, b)
            target = [1] * t.ndim
            target[channels] = -1
            return self.add(t, self.reshape(b, target))
        if b.ndim != t.ndim - 1:
            raise ValueError(
                f"ktensor: bias_add: bias must have 1 or {t.ndim - 1} dimensions (x has {t.ndim}); "
                f"received shape {shapes.describe(b.shape)}"
            )
        for d, e in zip(b.shape, t.shape[1:], strict=True):
            if d is not None and e is not None and d != e:
                raise ValueError(
                    f"ktensor: bias_add: bias of shape {shapes.describe(b.shape)} does not match x's non-batch "
                    f"shape {shapes.describe(t.shape[1:])}"
                )
        return self.add(t, b)
