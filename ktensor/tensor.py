"""The backend-neutral ``Tensor``: a wrapped engine symbol whose every operator
and method is one line that asks the backend that built it.

The operators and the method form of every declared operation are generated into
:class:`ktensor._generated.tensor_methods.TensorMethods`, which ``Tensor`` inherits;
the few methods written here take NumPy's flexible arguments (``t.reshape(2, 3)``).

Examples:
    >>> import ktensor as kt
    >>> x = kt.placeholder(shape=(2,), dtype="float32", name="x")
    >>> y = 2 * x + x.abs()
    >>> y.eval({x: [1.0, -2.0]})
    array([ 3., -2.], dtype=float32)
    >>> import copy
    >>> copy.deepcopy(y) is y, x.shape
    (True, (2,))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import numpy as np

from ktensor import shapes
from ktensor._generated.tensor_methods import TensorMethods

if TYPE_CHECKING:
    from ktensor.backends.base import Backend

#: What a tensor operation accepts as an operand besides a Tensor.
Operand = Any
Axis = Any


def checked_name(name: Any, operation: str) -> str | None:
    """``name`` when it is ``None`` or a ``str``, the one rule for the names of tensors and
    functions; anything else (``5``, ``b"x"``) is a ``TypeError`` naming ``operation``.

    Examples:
        >>> checked_name("x", "placeholder") is None, checked_name(None, "placeholder")
        (False, None)
        >>> checked_name(5, "placeholder")
        Traceback (most recent call last):
        ...
        TypeError: ktensor: placeholder: name must be None or a str; received 5
    """
    if name is None or isinstance(name, str):
        return name
    raise TypeError(f"ktensor: {operation}: name must be None or a str; received {name!r}")


def _immutable(tensor: Tensor, attribute: Any, value: Any) -> NoReturn:
    raise AttributeError(
        f"ktensor: a Tensor is immutable; its {attribute.name} cannot be set (build a new tensor: "
        f"t.reshape(...), t.astype(...), kt.identity(t, name=...))"
    )


@attrs.define(eq=False, slots=True, repr=False, on_setattr=_immutable)
class Tensor(TensorMethods):
    """A symbolic tensor of one backend instance, immutable (``t.shape = ...`` is an
    ``AttributeError``).

    ``copy.copy`` and ``copy.deepcopy`` give the tensor itself (a symbol, like a Python
    int), except that a deep copy of a *variable* is a new variable holding a copy of its
    value. A tensor cannot be pickled (it is a node of one engine's graph): save the values
    of variables with ``kt.save_variables``.

    Attributes:
        native: the engine's own symbol (a PyTensor variable, a TensorFlow tensor).
        backend: the ``Backend`` instance that built it and carries out its operations.
        dtype: the dtype name, identical on every backend (NumPy's rule).
        shape: a tuple of ints, ``None`` where the size is known only at run time.
        name: the name given at creation, or ``None``.
        role: ``"placeholder"``, ``"variable"``, ``"constant"`` or ``"expression"``.
        placeholders: the placeholders this tensor depends on.
        handle: the engine's variable object, for variables.
        generation: the backend's ``clear_session`` count when it was built; a tensor
            of an earlier one is refused.
    """

    native: Any
    backend: Backend
    dtype: str
    shape: shapes.Shape
    name: str | None = None
    role: str = "expression"
    placeholders: frozenset[Tensor] = frozenset()
    handle: Any = None
    generation: int = 0

    __hash__ = object.__hash__  # tensors hash by identity; == builds a tensor

    # -- copies and pickles ---------------------------------------------------
    def __copy__(self) -> Tensor:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self.role != "variable":
            return self
        return self.backend.variable(self.backend.get_value(self), name=self.name)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(
            f"ktensor: a Tensor ({self.label}) cannot be pickled: it is a node of one {self.backend.name} "
            f"graph. Save the values of variables with kt.save_variables(path, variables) and load them "
            f"with kt.load_variables; rebuild the expressions in code"
        )

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

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``np.exp(t)``, ``np.maximum(t, 0)`` and ``ndarray + t`` build the ktensor operation.

        A ufunc called on tensors runs the backend method of the same name (``np.abs`` is
        ``abs``, ``np.remainder`` is ``mod``), so NumPy never turns a tensor into an object
        array. Reductions (``np.add.reduce``) and ``out=`` are refused: use ``kt.sum`` and
        friends.
        """
        name = _UFUNC_METHODS.get(ufunc.__name__, ufunc.__name__)
        operation = getattr(self.backend, name, None)
        if method != "__call__":
            raise TypeError(
                f"ktensor: np.{ufunc.__name__}.{method} of a Tensor is not supported; use the reductions "
                f"and scans of ktensor (kt.sum, kt.prod, kt.max, kt.cumsum, ...)"
            )
        if kwargs:
            raise TypeError(f"ktensor: np.{ufunc.__name__} of a Tensor takes no {', '.join(kwargs)}= argument")
        if operation is None or name not in _UFUNC_OPERATIONS:
            raise TypeError(
                f"ktensor: np.{ufunc.__name__} has no ktensor operation; the elementwise functions ktensor has "
                f"are listed in docs/operations.md"
            )
        return operation(*inputs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.eval()
        return value if dtype is None else value.astype(dtype)

    # -- indexing -------------------------------------------------------------
    def __getitem__(self, key: Any) -> Tensor:
        return self.backend.getitem(self, key)

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


# One table drives every operator dunder and its reflected twin (generated into
# TensorMethods by ktensor._codegen): dunder stem -> Backend method; reflected forms
# swap the operands.
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

# NumPy ufuncs whose ktensor operation has another name; the rest share NumPy's.
_UFUNC_METHODS: dict[str, str] = {"absolute": "abs", "remainder": "mod", "true_divide": "divide", "rint": "round"}
# The ufuncs a tensor takes: elementwise operations of one meaning in NumPy and ktensor.
_UFUNC_OPERATIONS: frozenset[str] = frozenset(
    ["add", "subtract", "multiply", "divide", "floor_divide", "mod", "power", "negative", "positive", "abs", "sign", "sqrt", "square", "exp", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "log1p", "expm1", "log2", "log10", "floor", "ceil", "trunc", "round", "reciprocal", "isnan", "isinf", "isfinite", "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "logical_and", "logical_or", "logical_xor", "logical_not", "arctan2", "logaddexp", "matmul"]
)
