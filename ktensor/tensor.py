"""The backend-neutral ``Tensor``: a wrapped engine symbol whose every operator
and method is one line that asks the backend that built it.

Examples:
    >>> import ktensor as kt
    >>> x = kt.placeholder(shape=(2,), dtype="float32", name="x")
    >>> y = 2 * x + x.abs()
    >>> y.eval({x: [1.0, -2.0]})
    array([ 3., -2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ktensor import shapes

if TYPE_CHECKING:
    from ktensor.backends.base import Backend

#: What a tensor operation accepts as an operand besides a Tensor.
Operand = Any
Axis = Any


@attrs.define(eq=False, slots=True, repr=False)
class Tensor:
    """A symbolic tensor of one backend instance.

    Attributes:
        native: the engine's own symbol (a PyTensor variable, a TensorFlow tensor).
        backend: the ``Backend`` instance that built it and carries out its operations.
        dtype: the dtype name, identical on every backend (NumPy's rule).
        shape: a tuple of ints, ``None`` where the size is known only at run time.
        name: the name given at creation, or ``None``.
        role: ``"placeholder"``, ``"variable"``, ``"constant"`` or ``"expression"``.
        placeholders: the placeholders this tensor depends on.
        handle: the engine's variable object, for variables.
    """

    native: Any
    backend: Backend
    dtype: str
    shape: shapes.Shape
    name: str | None = None
    role: str = "expression"
    placeholders: frozenset[Tensor] = frozenset()
    handle: Any = None

    __array_ufunc__ = None  # ndarray (op) tensor must reach our reflected operator
    __hash__ = object.__hash__  # tensors hash by identity; == builds a tensor

    if TYPE_CHECKING:  # the operators are installed from the tables below; typed here
        # (comparisons return tensors, hence the ignores on __eq__/__ne__)
        def __add__(self, other: Operand) -> Tensor: ...
        def __radd__(self, other: Operand) -> Tensor: ...
        def __sub__(self, other: Operand) -> Tensor: ...
        def __rsub__(self, other: Operand) -> Tensor: ...
        def __mul__(self, other: Operand) -> Tensor: ...
        def __rmul__(self, other: Operand) -> Tensor: ...
        def __truediv__(self, other: Operand) -> Tensor: ...
        def __rtruediv__(self, other: Operand) -> Tensor: ...
        def __floordiv__(self, other: Operand) -> Tensor: ...
        def __rfloordiv__(self, other: Operand) -> Tensor: ...
        def __mod__(self, other: Operand) -> Tensor: ...
        def __rmod__(self, other: Operand) -> Tensor: ...
        def __pow__(self, other: Operand) -> Tensor: ...
        def __rpow__(self, other: Operand) -> Tensor: ...
        def __matmul__(self, other: Operand) -> Tensor: ...
        def __rmatmul__(self, other: Operand) -> Tensor: ...
        def __and__(self, other: Operand) -> Tensor: ...
        def __rand__(self, other: Operand) -> Tensor: ...
        def __or__(self, other: Operand) -> Tensor: ...
        def __ror__(self, other: Operand) -> Tensor: ...
        def __xor__(self, other: Operand) -> Tensor: ...
        def __rxor__(self, other: Operand) -> Tensor: ...
        def __eq__(self, other: Operand) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Operand) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other: Operand) -> Tensor: ...
        def __le__(self, other: Operand) -> Tensor: ...
        def __gt__(self, other: Operand) -> Tensor: ...
        def __ge__(self, other: Operand) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...

    # -- attributes ---------------------------------------------------------
    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed), as ``np.ndarray.T``."""
        return self.backend.transpose(self)

    @property
    def label(self) -> str:
        """A short description for error messages: the name, or role, dtype and shape."""
        if self.name:
            return f"{self.role} {self.name!r}"
        return f"unnamed {self.role} of dtype {self.dtype} and shape {shapes.describe(self.shape)}"

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return (
            f"<ktensor.Tensor backend={self.backend.name!r} dtype={self.dtype!r} "
            f"shape={shapes.describe(self.shape)}{name}>"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "ktensor: a symbolic Tensor has no truth value; use kt.where(cond, x, y) for a "
            "choice inside the expression, or t.eval() to get the value first"
        )

    def __len__(self) -> int:
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"ktensor: len() needs a known first dimension; {self!r} has none")
        return self.shape[0]

    def __iter__(self) -> Any:
        raise TypeError("ktensor: a symbolic Tensor is not iterable; index it with t[i]")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.eval()
        return value if dtype is None else value.astype(dtype)

    # -- evaluation and variables ------------------------------------------
    def eval(self, feed: dict[Tensor, Any] | None = None) -> np.ndarray:
        """Compute the value; ``feed`` maps placeholders to arrays."""
        return self.backend.eval(self, feed)

    def get_value(self) -> np.ndarray:
        """The current value of a variable."""
        return self.backend.get_value(self)

    def set_value(self, value: Any) -> None:
        """Assign a new value to a variable (same shape, ``same_kind`` castable)."""
        self.backend.set_value(self, value)

    # -- indexing -------------------------------------------------------------
    def __getitem__(self, key: Any) -> Tensor:
        return self.backend.getitem(self, key)

    # -- math -------------------------------------------------------------------
    def abs(self) -> Tensor:
        """Elementwise absolute value."""
        return self.backend.abs(self)

    def sign(self) -> Tensor:
        """Elementwise sign (-1, 0, 1)."""
        return self.backend.sign(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return self.backend.sqrt(self)

    def square(self) -> Tensor:
        """Elementwise square."""
        return self.backend.square(self)

    def exp(self) -> Tensor:
        """Elementwise exponential."""
        return self.backend.exp(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return self.backend.log(self)

    def sin(self) -> Tensor:
        """Elementwise sine."""
        return self.backend.sin(self)

    def cos(self) -> Tensor:
        """Elementwise cosine."""
        return self.backend.cos(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return self.backend.tanh(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``."""
        return self.backend.sigmoid(self)

    def relu(self) -> Tensor:
        """Elementwise ``maximum(x, 0)``."""
        return self.backend.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """Softmax along ``axis``."""
        return self.backend.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """Log of the softmax along ``axis``, computed without underflow."""
        return self.backend.log_softmax(self, axis=axis)

    def round(self) -> Tensor:
        """Round half to even, as ``np.round``."""
        return self.backend.round(self)

    def clip(self, min: Operand, max: Operand) -> Tensor:
        """Limit values to ``[min, max]``."""
        return self.backend.clip(self, min, max)

    def maximum(self, other: Operand) -> Tensor:
        """Elementwise maximum."""
        return self.backend.maximum(self, other)

    def minimum(self, other: Operand) -> Tensor:
        """Elementwise minimum."""
        return self.backend.minimum(self, other)

    def pow(self, exponent: Operand) -> Tensor:
        """Elementwise power, the same as ``self ** exponent``."""
        return self.backend.power(self, exponent)

    # -- reductions -------------------------------------------------------------
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: all)."""
        return self.backend.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Arithmetic mean over ``axis``."""
        return self.backend.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``."""
        return self.backend.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``."""
        return self.backend.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis``."""
        return self.backend.prod(self, axis=axis, keepdims=keepdims)

    def std(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population standard deviation over ``axis``."""
        return self.backend.std(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population variance over ``axis``."""
        return self.backend.var(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """True where any element over ``axis`` is nonzero."""
        return self.backend.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """True where every element over ``axis`` is nonzero."""
        return self.backend.all(self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, computed stably."""
        return self.backend.logsumexp(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int = -1) -> Tensor:
        """Index of the maximum along ``axis`` (int64)."""
        return self.backend.argmax(self, axis=axis)

    def argmin(self, axis: int = -1) -> Tensor:
        """Index of the minimum along ``axis`` (int64)."""
        return self.backend.argmin(self, axis=axis)

    # -- shape --------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """A tensor of the same data in another shape; one entry may be -1.

        Takes a tuple or the sizes as separate arguments, as ``np.ndarray.reshape``.
        """
        new = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return self.backend.reshape(self, tuple(new))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reversed when none are given); a tuple or separate ints, as NumPy."""
        order = axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))) else axes
        return self.backend.transpose(self, order or None)

    def flatten(self) -> Tensor:
        """A 1-D tensor of every element."""
        return self.backend.flatten(self)

    def expand_dims(self, axis: int) -> Tensor:
        """Insert a dimension of size 1 at ``axis``."""
        return self.backend.expand_dims(self, axis)

    def squeeze(self, axis: Axis = None) -> Tensor:
        """Remove dimensions of size 1 (all statically known ones, or ``axis``)."""
        return self.backend.squeeze(self, axis)

    def astype(self, dtype: Any) -> Tensor:
        """The tensor cast to ``dtype``."""
        return self.backend.astype(self, dtype)

    # -- linear algebra -------------------------------------------------------------
    def dot(self, other: Operand) -> Tensor:
        """``np.dot`` of this tensor and ``other``."""
        return self.backend.dot(self, other)

    def matmul(self, other: Operand) -> Tensor:
        """``np.matmul`` of this tensor and ``other``, as ``self @ other``."""
        return self.backend.matmul(self, other)


# One table drives every operator dunder and its reflected twin:
# dunder stem -> Backend method; reflected forms swap the operands.
BINARY_OPERATORS: dict[str, str] = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "divide",
    "floordiv": "floor_divide",
    "mod": "mod",
    "pow": "power",
    "matmul": "matmul",
    "and": "bitwise_and",
    "or": "bitwise_or",
    "xor": "bitwise_xor",
}
COMPARISON_OPERATORS: dict[str, str] = {
    "eq": "equal",
    "ne": "not_equal",
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
}
UNARY_OPERATORS: dict[str, str] = {
    "neg": "negative",
    "pos": "positive",
    "abs": "abs",
    "invert": "invert",
}


def _forward(method: str) -> Callable[[Tensor, Operand], Tensor]:
    def operator(self: Tensor, other: Operand) -> Tensor:
        return getattr(self.backend, method)(self, other)

    return operator


def _reflected(method: str) -> Callable[[Tensor, Operand], Tensor]:
    def operator(self: Tensor, other: Operand) -> Tensor:
        return getattr(self.backend, method)(other, self)

    return operator


def _unary(method: str) -> Callable[[Tensor], Tensor]:
    def operator(self: Tensor) -> Tensor:
        return getattr(self.backend, method)(self)

    return operator


def _install_operators() -> None:
    tables: list[tuple[dict[str, str], Callable[[str], Callable[..., Tensor]], str]] = [
        (BINARY_OPERATORS, _forward, "__{}__"),
        (BINARY_OPERATORS, _reflected, "__r{}__"),
        (COMPARISON_OPERATORS, _forward, "__{}__"),
        (UNARY_OPERATORS, _unary, "__{}__"),
    ]
    for table, factory, pattern in tables:
        for stem, method in table.items():
            function = factory(method)
            function.__name__ = function.__qualname__ = pattern.format(stem)
            function.__doc__ = f"Carried out by ``Backend.{method}``."
            setattr(Tensor, pattern.format(stem), function)


_install_operators()
