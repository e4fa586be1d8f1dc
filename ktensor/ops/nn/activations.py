"""Activations: ``relu``, ``softmax``, ``log_softmax``.

``softmax`` and ``log_softmax`` run the engine's fused kernel while the composition
they replace is intact, and the composition through ``self`` once a subclass
overrides any part of it.

Examples:
    >>> kt.relu([-1.0, 2.0]).eval()
    array([0., 2.])
"""

from __future__ import annotations

from ktensor import dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops import references
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_SIGNED_AND_FLOAT = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
_NUMERIC = dtypes.SUPPORTED_DTYPES[1:]


class ActivationOps(Core):
    """Activation functions."""

    @operation(reference=references.relu, kit=(KitCase(dtypes=_NUMERIC),))
    def relu(self, x: Operand) -> Tensor:
        """Elementwise ``maximum(x, 0)``.

        Examples:
            >>> kt.relu([-1.0, 2.0]).eval()
            array([0., 2.])
        """
        return self.maximum(x, 0)

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
            native = self._kernel("softmax", [t.native], t.dtype, t.dtype, lambda n: fused(n, ax))
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
