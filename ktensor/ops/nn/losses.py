"""Losses: ``categorical_crossentropy``, ``sparse_categorical_crossentropy`` and
``binary_crossentropy``, with Keras 2's semantics (target first).

From probabilities, ``categorical_crossentropy`` renormalises ``output`` along ``axis``
and clips it to ``[epsilon, 1 - epsilon]`` (``kt.epsilon()``) before the log;
``sparse_categorical_crossentropy`` clips and takes the log-softmax of the log (as
``tf.keras`` does: the same renormalisation, after the clip); ``binary_crossentropy``
clips. From logits all three are computed stably: log-softmax for the categorical ones,
``max(x, 0) - x * t + log1p(exp(-|x|))`` for the binary one.

Examples:
    >>> kt.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).eval()
    array([0.69314718])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import config, dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_FLOATS = ("float32", "float64")


# -- NumPy references (module level: the kit renders them) ---------------------------
def _categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> np.ndarray:
    """Keras 2's categorical crossentropy in NumPy."""
    t, o = np.asarray(target), np.asarray(output)
    out = np.result_type(np.logaddexp(t.flat[:1], o.flat[:1]))
    t, o = t.astype(out), o.astype(out)
    if from_logits:
        logp = references.log_softmax(o, axis=axis)
    else:
        eps = config.epsilon()
        p = np.clip(o / np.sum(o, axis=axis, keepdims=True), eps, 1 - eps)
        logp = np.log(p)
    return np.asarray(-np.sum(t * logp, axis=axis)).astype(out)


def _sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> np.ndarray:
    """Keras 2's sparse categorical crossentropy in NumPy (integer labels)."""
    o = np.asarray(output)
    out = np.result_type(np.exp(o.flat[:1]))
    o = o.astype(out)
    if not from_logits:
        eps = config.epsilon()
        o = np.log(np.clip(o, eps, 1 - eps))
    ax = axis % o.ndim
    logp = np.moveaxis(references.log_softmax(o, axis=ax), ax, -1)
    labels = np.asarray(target).astype(np.int64).reshape(logp.shape[:-1])
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    return np.asarray(-picked).astype(out)


def _binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> np.ndarray:
    """Keras 2's elementwise binary crossentropy in NumPy."""
    t, o = np.asarray(target), np.asarray(output)
    out = np.result_type(np.logaddexp(t.flat[:1], o.flat[:1]))
    t, o = t.astype(out), o.astype(out)
    if from_logits:
        res = np.maximum(o, 0) - o * t + np.log1p(np.exp(-np.abs(o)))
    else:
        eps = config.epsilon()
        p = np.clip(o, eps, 1 - eps)
        res = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return np.asarray(res).astype(out)


_ONE_HOT = np.array([[0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
_BINARY = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
_LABELS = np.array([2, 0])


def _check_logits(op: str, from_logits: Any) -> bool:
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"ktensor: {op}: from_logits must be a bool; received {from_logits!r}")
    return bool(from_logits)


class LossOps(Core):
    """The crossentropy losses."""

    def _loss_operands(self, op: str, target: Operand, output: Operand) -> tuple[Tensor, Tensor]:
        t = self._tensor(target, f"{op} target")
        o = self._tensor(output, f"{op} output")
        out = dtypes.result_dtype(op, t.dtype, o.dtype)
        shapes.broadcast(t.shape, o.shape, operation=op)
        return self.astype(t, out), self.astype(o, out)

    @operation(
        method=False,
        dtype=dtypes.like_numpy(np.logaddexp),
        reference=_categorical_crossentropy,
        kit=(
            KitCase(dtypes=_FLOATS + (("int32", "float32"),), shapes=((2, 3), (2, 3)), values=("small", "positive")),
            KitCase(leading=(_ONE_HOT,), dtypes=_FLOATS, shapes=((2, 3),), values="positive", grad=True,
                    label="kt.categorical_crossentropy(one_hot, t)"),
            KitCase(leading=(_ONE_HOT,), kwargs={"from_logits": True}, dtypes=_FLOATS, grad=True,
                    label="kt.categorical_crossentropy(one_hot, t, from_logits=True)"),
            KitCase(kwargs={"axis": 1}, dtypes=_FLOATS, shapes=((2, 3, 2), (2, 3, 2)), values=("small", "positive"),
                    grad=True),
            KitCase(kwargs={"axis": 0, "from_logits": True}, dtypes=_FLOATS, shapes=((2, 3), (2, 3)),
                    values=("small", "any"), grad=True),
        ),
    )
    def categorical_crossentropy(self, target: Operand, output: Operand, from_logits: bool = False, axis: int = -1) -> Tensor:
        """Crossentropy ``-sum(target * log(p), axis)`` between a target distribution and
        ``output``, the class axis removed.

        From probabilities (``from_logits=False``) ``output`` is renormalised along ``axis``
        and clipped to ``[epsilon, 1 - epsilon]``; from logits, ``log_softmax`` is used.
        The result is floating (floatx in, floatx out). Gradients flow to both operands.

        Examples:
            >>> kt.categorical_crossentropy([[0.0, 1.0]], [[1.0, 3.0]]).eval()
            array([0.28768207])
            >>> kt.categorical_crossentropy([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True).eval()
            array([0.69314718])
        """
        op = "categorical_crossentropy"
        logits = _check_logits(op, from_logits)
        t, o = self._loss_operands(op, target, output)
        ax = shapes.normalize_axis(axis, max(o.ndim, 1), f"{op} axis")
        if o.ndim == 0:
            raise ValueError(f"ktensor: {op}: output must have a class axis; received a 0-d tensor")
        if logits:
            logp = self.log_softmax(o, axis=ax)
        else:
            eps = config.epsilon()
            p = self.divide(o, self.sum(o, axis=ax, keepdims=True))
            logp = self.log(self.clip(p, eps, 1.0 - eps))
        return self.negative(self.sum(self.multiply(t, logp), axis=ax))

    @operation(
        method=False,
        dtype=dtypes.FLOATING,
        reference=_sparse_categorical_crossentropy,
        kit=(
            KitCase(dtypes=(("int32", "float32"), ("int64", "float64"), ("uint8", "float32")),
                    shapes=((2,), (2, 4)), values=("small", "positive")),
            KitCase(leading=(_LABELS,), dtypes=_FLOATS, shapes=((2, 3),), values="positive", grad=True,
                    label="kt.sparse_categorical_crossentropy(labels, t)"),
            KitCase(leading=(_LABELS,), kwargs={"from_logits": True}, dtypes=_FLOATS, grad=True,
                    label="kt.sparse_categorical_crossentropy(labels, t, from_logits=True)"),
            KitCase(kwargs={"axis": 1, "from_logits": True}, dtypes=(("int32", "float32"), ("int64", "float64")),
                    shapes=((2, 2), (2, 4, 2)), values=("small", "any")),
            KitCase(dtypes=(("int32", "float64"),), shapes=((2, 1), (2, 4)), values=("small", "positive"),
                    label="kt.sparse_categorical_crossentropy(t (2, 1), u)"),
        ),
    )
    def sparse_categorical_crossentropy(
        self, target: Operand, output: Operand, from_logits: bool = False, axis: int = -1
    ) -> Tensor:
        """Categorical crossentropy with integer class labels as the target.

        ``target`` holds one label per entry of ``output`` without its class ``axis``
        (a trailing axis of length 1 is allowed, as Keras flattens it). From
        probabilities ``output`` is clipped to ``[epsilon, 1 - epsilon]`` and its log
        renormalised by ``log_softmax`` (as ``tf.keras``); from logits ``log_softmax``.
        A label outside ``[0, classes)`` fails when run. Gradients flow to ``output``.

        Examples:
            >>> kt.sparse_categorical_crossentropy([1], [[0.0, 0.0]], from_logits=True).eval()
            array([0.69314718])
        """
        op = "sparse_categorical_crossentropy"
        logits = _check_logits(op, from_logits)
        t = self._tensor(target, f"{op} target")
        o = self._tensor(output, f"{op} output")
        if not (dtypes.is_integer(t.dtype)):
            raise TypeError(
                f"ktensor: {op}: target must hold integer class labels; received dtype {t.dtype} "
                f"(use categorical_crossentropy for one-hot or probability targets)"
            )
        if o.ndim == 0:
            raise ValueError(f"ktensor: {op}: output must have a class axis; received a 0-d tensor")
        ax = shapes.normalize_axis(axis, o.ndim, f"{op} axis")
        rest = o.shape[:ax] + o.shape[ax + 1 :]
        if t.ndim == o.ndim and t.shape[-1] == 1:
            t = self.squeeze(t, -1)
        if t.ndim != len(rest) or any(a is not None and b is not None and a != b for a, b in zip(t.shape, rest)):
            raise ValueError(
                f"ktensor: {op}: target must have the shape of output without its class axis, "
                f"{shapes.describe(rest)}; received {shapes.describe(t.shape)}"
            )
        work = dtypes.FLOATING(o.dtype)
        o = self.astype(o, work)
        classes = o.shape[ax]
        if classes is None:
            raise ValueError(f"ktensor: {op}: the class axis of output must have a known length; received {shapes.describe(o.shape)}")
        labels = self.astype(t, "int64")
        inside = self.all(self.logical_and(self.greater_equal(labels, 0), self.less(labels, classes)))
        native = self.native_assert(labels.native, inside.native, f"ktensor: {op}: a label of target is outside [0, {classes})")
        labels = self._wrap(native, labels.dtype, labels.shape, self._placeholders(labels, inside))
        if not logits:
            eps = config.epsilon()
            o = self.log(self.clip(o, eps, 1.0 - eps))
        logp = self.log_softmax(o, axis=ax)
        hot = self.astype(self.one_hot(labels, classes), work)
        if ax != o.ndim - 1:
            perm = list(range(ax)) + [o.ndim - 1] + list(range(ax, o.ndim - 1))
            hot = self.transpose(hot, perm)
        return self.negative(self.sum(self.multiply(hot, logp), axis=ax))

    @operation(
        method=False,
        dtype=dtypes.like_numpy(np.logaddexp),
        reference=_binary_crossentropy,
        kit=(
            KitCase(dtypes=_FLOATS + (("int32", "float32"), ("bool", "float64")), shapes=((2, 3), (2, 3)),
                    values=("small", "open unit")),
            KitCase(leading=(_BINARY,), kwargs={"from_logits": True}, dtypes=_FLOATS, grad=True,
                    label="kt.binary_crossentropy(targets, t, from_logits=True)"),
            KitCase(dtypes=_FLOATS, shapes=((2, 3), (2, 3)), values=("any", "positive"), grad=True,
                    label="kt.binary_crossentropy(t, u) (gradient to the target)"),
            KitCase(kwargs={"from_logits": True}, dtypes=_FLOATS, shapes=((3,), (2, 3)), values=("small", "any"),
                    grad=True),
        ),
    )
    def binary_crossentropy(self, target: Operand, output: Operand, from_logits: bool = False) -> Tensor:
        """Elementwise binary crossentropy ``-(t log p + (1 - t) log(1 - p))``.

        From probabilities ``output`` is clipped to ``[epsilon, 1 - epsilon]``; from logits
        it is ``max(x, 0) - x * t + log1p(exp(-|x|))``. Operands broadcast; the result is
        floating. Gradients flow to both operands.

        Examples:
            >>> kt.binary_crossentropy([1.0, 0.0], [0.5, 0.5]).eval()
            array([0.69314718, 0.69314718])
            >>> kt.binary_crossentropy([1.0], [0.0], from_logits=True).eval()
            array([0.69314718])
        """
        op = "binary_crossentropy"
        logits = _check_logits(op, from_logits)
        t, o = self._loss_operands(op, target, output)
        if logits:
            stable = self.log1p(self.exp(self.negative(self.abs(o))))
            return self.add(self.subtract(self.maximum(o, 0), self.multiply(o, t)), stable)
        eps = config.epsilon()
        p = self.clip(o, eps, 1.0 - eps)
        both = self.add(self.multiply(t, self.log(p)), self.multiply(self.subtract(1, t), self.log(self.subtract(1, p))))
        return self.negative(both)
