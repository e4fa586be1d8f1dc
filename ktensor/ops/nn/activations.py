"""Activations: ``relu`` (Keras 2's, with ``alpha``/``max_value``/``threshold``), ``elu``,
``selu``, ``gelu``, ``softplus``, ``softsign``, ``hard_sigmoid``, ``silu``, ``softmax``,
``log_softmax``.

Every activation is a composition through ``self``, so a subclass's override of a part
(``exp``, ``erf``, ``maximum`` ...) reaches it. ``softmax`` and ``log_softmax`` run the
engine's fused kernel while the composition they replace is intact. Floats keep their
dtype; integer inputs become NumPy's float for ``np.exp`` (``dtypes.FLOATING``) — except
``relu`` with its default arguments, which is ``maximum(x, 0)`` and keeps integers.

Examples:
    >>> kt.relu([-1.0, 2.0]).eval()
    array([0., 2.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_NUMERIC = dtypes.SUPPORTED_DTYPES[1:]
#: The kit's dtypes of the float-valued activations: integers become NumPy's float.
_ACTIVATION_DTYPES = ("int8", "int32", "float16", "float32", "float64")

#: SELU's constants (Klambauer et al. 2017), as Keras 2.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_vectorized_erf = np.vectorize(math.erf, otypes=[np.float64])


# -- NumPy references ----------------------------------------------------------------------
def _floating(x: Any) -> np.ndarray:
    """``x`` in ``np.exp``'s dtype (floats as they are, integers and bools to NumPy's float)."""
    a = np.asarray(x)
    return a.astype(dtypes.FLOATING(a.dtype.name))


def _relu_reference(x: Any, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> np.ndarray:
    """Keras 2 (TensorFlow backend) ``relu``."""
    a = np.asarray(x)
    if alpha == 0 and max_value is None and threshold == 0:
        return np.maximum(a, 0)
    above = a * (a > threshold) if threshold != 0 else np.maximum(a, 0)
    if max_value is not None:
        above = np.clip(above, 0, max_value)
    if alpha != 0:
        above = above - alpha * np.maximum(threshold - a, 0)
    return np.asarray(above)


def _elu_reference(x: Any, alpha: float = 1.0) -> np.ndarray:
    a = _floating(x)
    with np.errstate(over="ignore"):
        return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))


def _selu_reference(x: Any) -> np.ndarray:
    return SELU_SCALE * _elu_reference(x, SELU_ALPHA)


def _gelu_reference(x: Any, approximate: bool = False) -> np.ndarray:
    a = _floating(x)
    if approximate:
        return 0.5 * a * (1 + np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a**3)))
    erf = np.asarray(_vectorized_erf(a.astype(np.float64) / math.sqrt(2.0)), dtype=a.dtype)
    return 0.5 * a * (1 + erf)


def _softplus_reference(x: Any) -> np.ndarray:
    a = _floating(x)
    return np.log1p(np.exp(-np.abs(a))) + np.maximum(a, 0)


def _softsign_reference(x: Any) -> np.ndarray:
    a = _floating(x)
    return a / (1 + np.abs(a))


def _hard_sigmoid_reference(x: Any) -> np.ndarray:
    a = _floating(x)
    return np.clip(0.2 * a + 0.5, 0, 1)


def _silu_reference(x: Any) -> np.ndarray:
    a = _floating(x)
    return a * references.sigmoid(a)


def _number(op: str, argument: str, value: Any, optional: bool = False) -> None:
    """Refuse anything but a real Python/NumPy number (``None`` too where ``optional``)."""
    if optional and value is None:
        return
    if isinstance(value, (bool, np.bool_, Tensor)) or not isinstance(value, (int, float, np.integer, np.floating)):
        expected = "a number or None" if optional else "a number"
        raise TypeError(f"ktensor: {op}: {argument} must be {expected}; received {value!r}")
    if not math.isfinite(float(value)) and not (optional and argument == "max_value"):
        raise ValueError(f"ktensor: {op}: {argument} must be finite; received {value!r}")


class ActivationOps(Core):
    """Activation functions."""

    def _floating_operand(self, x: Operand, op: str) -> Tensor:
        """``x`` as a tensor in ``np.exp``'s dtype (floats unchanged)."""
        t = self._tensor(x, f"{op} argument")
        return self.astype(t, dtypes.FLOATING(t.dtype))

    @operation(
        reference=_relu_reference,
        kit=(
            KitCase(dtypes=_NUMERIC),
            KitCase(kwargs={"alpha": 0.1}, dtypes=("int32", "float16", "float32", "float64"), grad=True),
            KitCase(kwargs={"max_value": 1.0}, dtypes=("int8", "float32", "float64"), grad=True),
            KitCase(kwargs={"max_value": 6}, dtypes=("int8", "int32", "float32")),
            KitCase(kwargs={"threshold": 0.5}, dtypes=("int32", "float32", "float64"), grad=True),
            KitCase(kwargs={"threshold": -1.0}, dtypes=("float32", "float64"), grad=True),
            KitCase(
                kwargs={"alpha": 0.3, "max_value": 1.5, "threshold": 0.1},
                dtypes=("float16", "float32", "float64"),
                grad=True,
            ),
        ),
    )
    def relu(self, x: Operand, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Tensor:
        """Keras 2's rectified linear unit.

        With the defaults it is ``maximum(x, 0)`` (integers stay integers). Otherwise, as
        Keras 2's TensorFlow backend: ``x`` where ``x > threshold`` (0 elsewhere), clipped to
        ``[0, max_value]`` when ``max_value`` is given, minus ``alpha * maximum(threshold -
        x, 0)``: so ``max_value`` for ``x >= max_value``, ``x`` for ``threshold < x <
        max_value`` and ``alpha * (x - threshold)`` below the threshold. Dtypes as NumPy's
        for the same arithmetic (an integer tensor with a float ``alpha`` gives float64).

        Args:
            x: The tensor.
            alpha: The slope below the threshold.
            max_value: The saturation value, or None.
            threshold: Where the unit turns on.

        Examples:
            >>> kt.relu([-2.0, 0.5, 3.0], alpha=0.1, max_value=2.0).eval()
            array([-0.2,  0.5,  2. ])
        """
        _number("relu", "alpha", alpha)
        _number("relu", "max_value", max_value, optional=True)
        _number("relu", "threshold", threshold)
        t = self._tensor(x, "relu argument")
        if alpha == 0 and max_value is None and threshold == 0:
            fused = self._fused_kernel("native_relu", "maximum") if dtypes.is_float(t.dtype) else None
            if fused is not None:  # TensorFlow's Relu kernel, while maximum is not overridden
                native = self._kernel("relu", [t.native], t.dtype, t.dtype, fused)
                return self._wrap(native, t.dtype, t.shape, t.placeholders)
            return self.maximum(t, 0)
        above = self.multiply(t, self.greater(t, threshold)) if threshold != 0 else self.maximum(t, 0)
        if max_value is not None:
            above = self.clip(above, 0, max_value)
        if alpha != 0:
            above = self.subtract(above, self.multiply(alpha, self.maximum(self.subtract(threshold, t), 0)))
        return above

    @operation(
        dtype=dtypes.FLOATING,
        reference=_elu_reference,
        kit=(
            KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),
            KitCase(args=(0.5,), dtypes=("float32", "float64"), grad=True),
        ),
    )
    def elu(self, x: Operand, alpha: float = 1.0) -> Tensor:
        """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

        The negative side is ``alpha * expm1(minimum(x, 0))``, so a large ``x`` never
        overflows the branch it does not take (nor its gradient).

        Examples:
            >>> kt.elu([-1.0, 2.0]).eval()
            array([-0.63212056,  2.        ])
        """
        _number("elu", "alpha", alpha)
        t = self._floating_operand(x, "elu")
        negative = self.multiply(alpha, self.expm1(self.minimum(t, 0)))
        return self.where(self.greater(t, 0), t, negative)

    @operation(
        dtype=dtypes.FLOATING,
        reference=_selu_reference,
        kit=(KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),),
    )
    def selu(self, x: Operand) -> Tensor:
        """Scaled exponential linear unit: ``scale * elu(x, alpha)`` with Keras 2's constants
        (``alpha = 1.6732632...``, ``scale = 1.0507009...``).

        Examples:
            >>> kt.selu([0.0, 1.0]).eval()
            array([0.        , 1.05070099])
        """
        return self.multiply(SELU_SCALE, self.elu(self._floating_operand(x, "selu"), SELU_ALPHA))

    @operation(
        dtype=dtypes.FLOATING,
        reference=_gelu_reference,
        kit=(
            KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),
            KitCase(kwargs={"approximate": True}, dtypes=_ACTIVATION_DTYPES, grad=True),
        ),
    )
    def gelu(self, x: Operand, approximate: bool = False) -> Tensor:
        """Gaussian error linear unit: ``0.5 x (1 + erf(x / √2))``; with ``approximate``
        the tanh form ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.

        Examples:
            >>> kt.gelu([0.0, 1.0]).eval()
            array([0.        , 0.84134475])
        """
        if not isinstance(approximate, (bool, np.bool_)):
            raise TypeError(f"ktensor: gelu: approximate must be a bool; received {approximate!r}")
        t = self._floating_operand(x, "gelu")
        if approximate:
            cube = self.multiply(self.multiply(t, t), t)
            inner = self.multiply(_SQRT_2_OVER_PI, self.add(t, self.multiply(0.044715, cube)))
            return self.multiply(self.multiply(0.5, t), self.add(1, self.tanh(inner)))
        return self.multiply(self.multiply(0.5, t), self.add(1, self.erf(self.divide(t, math.sqrt(2.0)))))

    @operation(
        dtype=dtypes.FLOATING,
        reference=_softplus_reference,
        kit=(
            KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),
            KitCase(dtypes=("float32", "float64"), values="extreme", forms=("function",), label="kt.softplus(extreme t)"),
        ),
    )
    def softplus(self, x: Operand) -> Tensor:
        """``log(1 + exp(x))``, computed stably as ``log1p(exp(-|x|)) + maximum(x, 0)``.

        Examples:
            >>> kt.softplus([0.0, 100.0]).eval()
            array([  0.69314718, 100.        ])
        """
        t = self._floating_operand(x, "softplus")
        return self.add(self.log1p(self.exp(self.negative(self.abs(t)))), self.maximum(t, 0))

    @operation(
        dtype=dtypes.FLOATING,
        reference=_softsign_reference,
        kit=(KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),),
    )
    def softsign(self, x: Operand) -> Tensor:
        """``x / (1 + |x|)``.

        Examples:
            >>> kt.softsign([-1.0, 3.0]).eval()
            array([-0.5 ,  0.75])
        """
        t = self._floating_operand(x, "softsign")
        return self.divide(t, self.add(1, self.abs(t)))

    @operation(
        dtype=dtypes.FLOATING,
        reference=_hard_sigmoid_reference,
        kit=(KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),),
    )
    def hard_sigmoid(self, x: Operand) -> Tensor:
        """Keras 2's piecewise-linear sigmoid: ``clip(0.2 x + 0.5, 0, 1)``.

        Examples:
            >>> kt.hard_sigmoid([-3.0, 0.0, 1.0]).eval()
            array([0. , 0.5, 0.7])
        """
        t = self._floating_operand(x, "hard_sigmoid")
        return self.clip(self.add(self.multiply(0.2, t), 0.5), 0, 1)

    @operation(
        dtype=dtypes.FLOATING,
        reference=_silu_reference,
        kit=(KitCase(dtypes=_ACTIVATION_DTYPES, grad=True),),
    )
    def silu(self, x: Operand) -> Tensor:
        """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

        Examples:
            >>> kt.silu([0.0, 1.0]).eval()
            array([0.        , 0.73105858])
        """
        t = self._floating_operand(x, "silu")
        return self.multiply(t, self.sigmoid(t))

    @operation(
        dtype=dtypes.FLOATING,
        reference=references.softmax,
        kit=tuple(KitCase(args=a, dtypes=_SIGNED_AND_FLOAT, shapes=((2, 3, 4),), grad=True) for a in ((), (0,), (1,))),
    )
    def softmax(self, x: Operand, axis: int = -1) -> Tensor:
        """``exp(x - max) / sum(exp(x - max))`` along ``axis``.

        Runs the engine's fused kernel (``native_softmax``) when it has one and no
        operation of the composition is overridden; else the composition.

        Examples:
            >>> kt.softmax([0.0, 0.0]).eval()
            array([0.5, 0.5])
        """
        t = self._tensor(x, "softmax argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        ax = shapes.normalize_axis(axis, t.ndim)
        fused = self._fused_kernel("native_softmax", "exp", "subtract", "max", "sum", "divide")
        if fused is not None:
            # The fused kernel refuses an empty axis as the composition's max does.
            checked = self._refuse_empty("softmax", t, (ax,))
            native = self._kernel("softmax", [checked], t.dtype, t.dtype, lambda n: fused(n, ax))
            return self._wrap(native, t.dtype, t.shape, t.placeholders)
        shifted = self.exp(self.subtract(t, self.max(t, axis=ax, keepdims=True)))
        return self.divide(shifted, self.sum(shifted, axis=ax, keepdims=True))

    @operation(
        dtype=dtypes.FLOATING,
        reference=references.log_softmax,
        kit=tuple(KitCase(args=a, dtypes=_SIGNED_AND_FLOAT, shapes=((2, 3, 4),), grad=True) for a in ((), (1,))),
    )
    def log_softmax(self, x: Operand, axis: int = -1) -> Tensor:
        """``x - logsumexp(x, axis, keepdims=True)``: the log of ``softmax`` without its
        underflow.

        Runs the engine's fused kernel (``native_log_softmax``) when it has one and no
        operation of the composition is overridden; else the composition.

        Examples:
            >>> kt.log_softmax([0.0, 0.0]).eval()
            array([-0.69314718, -0.69314718])
        """
        t = self._tensor(x, "log_softmax argument")
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        ax = shapes.normalize_axis(axis, t.ndim)
        fused = self._fused_kernel(
            "native_log_softmax", "logsumexp", "subtract", "max", "exp", "sum", "log", "add"
        )
        if fused is not None:
            native = self._kernel("log_softmax", [t.native], t.dtype, t.dtype, lambda n: fused(n, ax))
            return self._wrap(native, t.dtype, t.shape, t.placeholders)
        return self.subtract(t, self.logsumexp(t, axis=ax, keepdims=True))
