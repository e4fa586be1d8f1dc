"""The ``Backend`` abstract base class: engine primitives and composed operations.

A backend has two layers:

* **Engine primitives** (abstract, named ``native_*``): take and return the
  engine's own symbols, and only do what truly differs per engine — one
  elementwise kernel table, reductions, slicing, gradients, compiling. Their
  operands always arrive already cast to one dtype; they never promote.
* **Operations** (concrete, named like NumPy: ``add``, ``exp``, ``sum``,
  ``softmax``, ...): take tensors or Python/NumPy operands and return a
  ``Tensor``. They apply ktensor's rules in one place — operand conversion,
  the dtype rule of :mod:`ktensor.dtypes`, the static shape checks of
  :mod:`ktensor.shapes` — then call a primitive. Compositions (``mean``, ``var``,
  ``softmax``, ``logsumexp``, ``relu``, ``clip``, ``dot``, ...) are built from
  other operations through ``self``, so overriding ``exp`` in a subclass changes
  ``softmax`` too, and overriding ``multiply`` changes ``a * b``.

Examples:
    >>> import ktensor as kt
    >>> from ktensor.backends import TensorFlowBackend
    >>> class Counting(TensorFlowBackend):
    ...     calls = 0
    ...     def multiply(self, x, y):
    ...         self.calls += 1
    ...         return super().multiply(x, y)
    >>> b = Counting()
    >>> x = kt.constant([1.0, 2.0], backend=b)
    >>> (x * 3).eval()
    array([3., 6.], dtype=float32)
    >>> b.calls
    1
"""

from __future__ import annotations

import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ktensor import config, dtypes, indexing, shapes
from ktensor.tensor import Axis, Operand, Tensor

Native = Any
CompiledCall = Callable[[Sequence[np.ndarray]], list[np.ndarray]]

# On bool operands NumPy's arithmetic and bitwise ufuncs are the logical ones.
_BOOL_KERNELS: dict[str, str] = {
    "add": "logical_or",
    "multiply": "logical_and",
    "maximum": "logical_or",
    "minimum": "logical_and",
    "bitwise_and": "logical_and",
    "bitwise_or": "logical_or",
    "bitwise_xor": "logical_xor",
    "invert": "logical_not",
    "abs": "positive",
    "max": "any",
    "min": "all",
}
# NumPy computes float16 ufuncs and reductions in float32 and rounds the result.
_FLOAT16_WORK = "float32"


def _binary_op(op: str, symbol: str) -> Callable[[Backend, Operand, Operand], Tensor]:
    def operation(self: Backend, x: Operand, y: Operand) -> Tensor:
        return self._elementwise(op, x, y)

    operation.__name__ = operation.__qualname__ = op
    operation.__doc__ = f"Elementwise ``{symbol}`` with NumPy's result dtype (``np.{op}``)."
    return operation


def _unary_op(op: str) -> Callable[[Backend, Operand], Tensor]:
    def operation(self: Backend, x: Operand) -> Tensor:
        return self._elementwise(op, x)

    operation.__name__ = operation.__qualname__ = op
    operation.__doc__ = f"Elementwise ``{op}`` with NumPy's result dtype."
    return operation


def _reduction_op(op: str) -> Callable[..., Tensor]:
    def operation(self: Backend, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return self._reduction(op, x, axis, keepdims)

    operation.__name__ = operation.__qualname__ = op
    operation.__doc__ = f"``np.{op}`` over ``axis`` (None: all axes), ``keepdims`` as in NumPy."
    return operation


def _arg_reduction_op(op: str) -> Callable[..., Tensor]:
    def operation(self: Backend, x: Operand, axis: int = -1) -> Tensor:
        return self._arg_reduction(op, x, axis)

    operation.__name__ = operation.__qualname__ = op
    operation.__doc__ = f"``np.{op}`` along ``axis`` (default -1), int64."
    return operation


class _Operand(NamedTuple):
    """One converted operand: a tensor, or a weak Python scalar kept weak.

    A NamedTuple rather than an attrs class: it is internal, built for every
    operand, and attrs would compile its methods at import (ktensor's import
    budget is 60 ms over NumPy's).
    """

    tensor: Tensor | None
    weak: Any
    key: dtypes.DtypeKey
    shape: shapes.Shape
    argument: str


class Backend(ABC):
    """Carries out every ktensor operation on one engine.

    Subclass an engine backend and override any operation (``multiply``, ``exp``,
    ``softmax``, ...) or primitive (``native_*``) to experiment; every operator and
    method of the tensors it builds goes through these methods.
    """

    #: The engine family, e.g. ``"theano"`` or ``"tensorflow"``.
    name: ClassVar[str] = "abstract"
    #: ``{operation: {dtype: wider dtype}}``: kernels the engine lacks for a dtype;
    #: the operands are widened, the kernel runs, the result is cast back.
    kernel_widening: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    #: Whether a dimension unknown (None) when the expression is built may be 1 at
    #: run time and broadcast, as in NumPy. PyTensor refuses that (it decides
    #: broadcasting from static shapes); its backend sets this to False.
    runtime_broadcasting: ClassVar[bool] = True

    def __init__(self) -> None:
        # Compiled eval functions by id(tensor), dropped when the tensor is collected.
        # Not a WeakKeyDictionary: it compares weak references with ==, which on
        # tensors builds an expression instead of answering.
        self._eval_cache: dict[int, dict[tuple[int, ...], Any]] = {}

    def options(self) -> dict[str, Any]:
        """The constructor options of this instance, shown in its repr."""
        return {}

    def __repr__(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options().items())
        return f"<{type(self).__name__} name={self.name!r}{opts} at {id(self):#x}>"

    # ======================================================================
    # Engine primitives: the whole contract a new engine has to fill in.
    # ======================================================================
    @abstractmethod
    def native_dtype(self, x: Native) -> str:
        """The dtype name of a native symbol."""

    @abstractmethod
    def native_shape(self, x: Native) -> shapes.Shape:
        """The static shape of a native symbol, ``None`` for unknown sizes."""

    @abstractmethod
    def native_constant(self, value: np.ndarray) -> Native:
        """A constant symbol holding ``value`` (dtype kept)."""

    @abstractmethod
    def native_placeholder(self, shape: shapes.Shape, dtype: str, name: str | None) -> Native:
        """A symbolic input fed at call time."""

    @abstractmethod
    def native_variable(self, value: np.ndarray, name: str | None) -> tuple[Native, Any]:
        """A variable initialised to ``value``: ``(symbol to compute with, handle)``."""

    @abstractmethod
    def native_get_value(self, handle: Any) -> np.ndarray:
        """The current value of a variable."""

    @abstractmethod
    def native_set_value(self, handle: Any, value: np.ndarray) -> None:
        """Store ``value`` (already of the right dtype and shape) in a variable."""

    @abstractmethod
    def native_random(
        self, distribution: str, shape: tuple[int, ...], a: float, b: float, dtype: str, seed: int
    ) -> Native:
        """``"uniform"`` on ``[a, b)`` or ``"normal"`` (mean ``a``, stddev ``b``), a new draw each run."""

    @abstractmethod
    def native_cast(self, x: Native, dtype: str) -> Native:
        """``x`` converted to ``dtype`` as ``ndarray.astype`` does."""

    @abstractmethod
    def native_elementwise(self, op: str, *xs: Native) -> Native:
        """One elementwise kernel on operands of one dtype.

        ``op`` is one of: add subtract multiply divide floor_divide mod power maximum
        minimum equal not_equal less less_equal greater greater_equal bitwise_and
        bitwise_or bitwise_xor logical_and logical_or logical_xor logical_not invert
        negative abs sign sqrt exp log sin cos tanh sigmoid round (half to even) floor.
        """

    @abstractmethod
    def native_reduce(self, op: str, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        """``sum prod max min any all`` over ``axes`` (non-empty, sorted)."""

    @abstractmethod
    def native_argreduce(self, op: str, x: Native, axis: int) -> Native:
        """``argmax`` or ``argmin`` along ``axis``."""

    @abstractmethod
    def native_matmul(self, x: Native, y: Native) -> Native:
        """``np.matmul`` for operands of at least 2 dimensions (batch dims broadcast)."""

    @abstractmethod
    def native_tensordot(self, x: Native, y: Native, axis_x: int, axis_y: int) -> Native:
        """Contract axis ``axis_x`` of ``x`` with axis ``axis_y`` of ``y``."""

    @abstractmethod
    def native_where(self, condition: Native, x: Native, y: Native) -> Native:
        """Elementwise choice, operands broadcast."""

    @abstractmethod
    def native_reshape(self, x: Native, shape: tuple[int, ...]) -> Native:
        """``x`` in a new shape (one entry may be -1)."""

    @abstractmethod
    def native_transpose(self, x: Native, axes: tuple[int, ...]) -> Native:
        """Permute the axes."""

    @abstractmethod
    def native_concatenate(self, xs: Sequence[Native], axis: int) -> Native:
        """Join along an existing axis."""

    @abstractmethod
    def native_slice(self, x: Native, key: tuple[Any, ...]) -> Native:
        """Basic indexing with a key of ints, slices and ``None``, one entry per axis at most."""

    @abstractmethod
    def native_take(self, x: Native, indices: Native, axis: int) -> Native:
        """Gather ``indices`` (non-negative ints, any shape) along ``axis``."""

    @abstractmethod
    def native_nonzero(self, mask: Native) -> Native:
        """The int64 positions of the true entries of a 1-D bool mask."""

    @abstractmethod
    def native_dim(self, x: Native, axis: int) -> Native:
        """The run-time size of ``axis`` as an int64 scalar symbol."""

    @abstractmethod
    def native_full_like(self, x: Native, value: np.ndarray) -> Native:
        """A symbol of ``x``'s run-time shape filled with the 0-d ``value`` (its dtype)."""

    @abstractmethod
    def native_assert(self, x: Native, condition: Native, message: str) -> Native:
        """``x``, computed only after checking at run time that the scalar bool
        ``condition`` holds; otherwise the run fails with ``message``."""

    @abstractmethod
    def native_gradients(self, loss: Native, wrt: Sequence[Native]) -> list[Native | None]:
        """Symbolic gradients of the scalar ``loss``; ``None`` where disconnected."""

    @abstractmethod
    def native_compile(
        self,
        inputs: Sequence[Native],
        outputs: Sequence[Native],
        updates: Sequence[tuple[Any, Native]],
    ) -> CompiledCall:
        """A callable: arrays of the inputs' exact dtypes in, a list of arrays out.

        ``updates`` pairs variable handles with new values, computed from the values
        before the call and applied after it. The callable must be safe to call
        from several threads at once.
        """

    def describe_engine_error(self, error: Exception) -> str:
        """The line of an engine's run-time exception that says what went wrong."""
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return lines[0] if lines else type(error).__name__

    # ======================================================================
    # Conversion: the one place operands become tensors.
    # ======================================================================
    def _check_mine(self, tensor: Tensor, argument: str) -> None:
        if tensor.backend is not self:
            raise TypeError(
                f"ktensor: {argument} was built by {tensor.backend!r}, but this operation runs "
                f"on {self!r}; tensors of two backend instances never mix "
                f"(rebuild it under kt.use_backend(...))"
            )

    def _array(self, value: Any, argument: str) -> np.ndarray:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise TypeError(f"ktensor: {argument} cannot be converted to an array: {error}") from None
        if array.dtype.name not in dtypes.SUPPORTED_DTYPES:
            raise TypeError(
                f"ktensor: {argument} must be a Tensor, a number, a list or an array of "
                f"{', '.join(dtypes.SUPPORTED_DTYPES)}; received {value!r} (dtype {array.dtype})"
            )
        return array

    def _operand(self, value: Any, argument: str) -> _Operand:
        if isinstance(value, Tensor):
            self._check_mine(value, argument)
            return _Operand(value, None, value.dtype, value.shape, argument)
        if dtypes.is_weak_scalar(value):
            return _Operand(None, value, type(value), (), argument)
        tensor = self._constant_tensor(self._array(value, argument))
        return _Operand(tensor, None, tensor.dtype, tensor.shape, argument)

    def _tensor(self, value: Any, argument: str) -> Tensor:
        """``value`` as a tensor of this backend, NumPy's dtype kept (weak scalars too)."""
        if isinstance(value, Tensor):
            self._check_mine(value, argument)
            return value
        return self._constant_tensor(self._array(value, argument))

    def _native_operand(self, operand: _Operand, dtype: str) -> Native:
        if operand.tensor is None:
            return self.native_constant(dtypes.weak_scalar_array(operand.weak, dtype, operand.argument))
        return self._cast_native(operand.tensor.native, operand.tensor.dtype, dtype)

    def _cast_native(self, native: Native, from_dtype: str, to_dtype: str) -> Native:
        return native if from_dtype == to_dtype else self.native_cast(native, to_dtype)

    def _constant_tensor(self, array: np.ndarray, name: str | None = None) -> Tensor:
        native = self.native_constant(array)
        return self._wrap(native, array.dtype.name, array.shape, role="constant", name=name)

    def _wrap(
        self,
        native: Native,
        dtype: str,
        shape: shapes.Shape | None = None,
        placeholders: frozenset[Tensor] = frozenset(),
        *,
        role: str = "expression",
        name: str | None = None,
        handle: Any = None,
    ) -> Tensor:
        engine_shape = self.native_shape(native)
        static = engine_shape if shape is None else shapes.merge(tuple(shape), engine_shape)
        return Tensor(native, self, dtype, static, name, role, placeholders, handle)

    @staticmethod
    def _placeholders(*tensors: Tensor | None) -> frozenset[Tensor]:
        found: frozenset[Tensor] = frozenset()
        for t in tensors:
            if t is not None and t.placeholders:
                found = found | t.placeholders
        return found

    def _kernel(self, op: str, natives: Sequence[Native], work: str, out: str, run: Callable[..., Native]) -> Native:
        """Run ``run(*natives)`` for ``op`` in dtype ``work`` (widened where needed), cast to ``out``."""
        wide = _FLOAT16_WORK if work == "float16" else self.kernel_widening.get(op, {}).get(work)
        if wide is not None:
            natives = [self.native_cast(n, wide) for n in natives]
        result = run(*natives)
        return self._cast_native(result, self.native_dtype(result), out)

    # ======================================================================
    # Dispatchers shared by the operation tables below.
    # ======================================================================
    def _elementwise(self, op: str, *values: Operand) -> Tensor:
        operands = [self._operand(v, f"{op} operand {i + 1}") for i, v in enumerate(values)]
        keys = tuple(o.key for o in operands)
        out = dtypes.result_dtype(op, *keys)
        comparison = out == "bool" and op in _COMPARISONS
        work = dtypes.common_dtype(*keys) if comparison else out
        if comparison and dtypes.is_integer(work):
            work = _comparison_dtype(work, [o.weak for o in operands if o.tensor is None])
        shape = shapes.broadcast(*(o.shape for o in operands), operation=op)
        placeholders = self._placeholders(*(o.tensor for o in operands))
        if comparison and _signed_against_uint64(keys) and not any(
            type(o.weak) is int and o.weak >= 0 for o in operands if o.tensor is None
        ):
            return self._wrap(self._uint64_comparison(op, operands), out, shape, placeholders)
        natives = [self._native_operand(o, work) for o in operands]
        kernel = _BOOL_KERNELS.get(op, op) if work == "bool" else op
        if dtypes.is_integer(work) and op in ("round", "floor"):
            kernel = "positive"  # integers are already whole, as np.round keeps them
        if work.startswith("uint") and op in ("abs", "sign"):
            kernel = "positive" if op == "abs" else "unsigned_sign"
        if kernel == "positive":
            native = natives[0]
        elif kernel == "unsigned_sign":  # 0 or 1; a signed kernel would see 2**63 as negative
            zero = self.native_constant(np.zeros((), work))
            native = self.native_cast(self.native_elementwise("not_equal", natives[0], zero), work)
        elif op in ("floor_divide", "mod"):
            native = self._kernel(op, natives, work, out, lambda x, y: self._division(op, x, y, work))
        else:
            native = self._kernel(kernel, natives, work, out, lambda *xs: self.native_elementwise(kernel, *xs))
        return self._wrap(native, out, shape, placeholders)

    def _uint64_comparison(self, op: str, operands: list[_Operand]) -> Native:
        """Compare a signed integer with a uint64 exactly, as NumPy 2 does (no float64 detour).

        With ``s`` signed and ``u`` unsigned: ``s < u`` is ``s < 0 or uint64(s) < u``,
        ``s == u`` is ``s >= 0 and uint64(s) == u``, and so on.
        """
        first_signed = operands[0].key != "uint64"
        signed, unsigned = operands if first_signed else operands[::-1]
        if not first_signed:
            op = _SWAPPED.get(op, op)
        s = self._native_operand(signed, "int64")
        u = self._native_operand(unsigned, "uint64")
        zero = self.native_constant(np.zeros((), "int64"))
        negative = self.native_elementwise("less", s, zero)
        # Negative values are decided by `negative` alone; cast only values >= 0.
        s_cast = self.native_cast(self.native_where(negative, zero, s), "uint64")
        same_kind = self.native_elementwise(op, s_cast, u)
        if op in ("less", "less_equal", "not_equal"):
            return self.native_elementwise("logical_or", negative, same_kind)
        return self.native_elementwise("logical_and", self.native_elementwise("logical_not", negative), same_kind)

    def _division(self, op: str, x: Native, y: Native, work: str) -> Native:
        """``//`` and ``%`` as NumPy: integer division by zero gives 0, float ``//`` is exact."""
        if work == "float16":
            work = _FLOAT16_WORK
        zero = self.native_constant(np.zeros((), work))
        is_zero = self.native_elementwise("equal", y, zero)
        if dtypes.is_integer(work):
            safe = self.native_where(is_zero, self.native_constant(np.ones((), work)), y)
            return self.native_where(is_zero, zero, self.native_elementwise(op, x, safe))
        if op == "mod":
            return self.native_elementwise("mod", x, y)
        # NumPy's float floor division: round((x - x % y) / y), and x / y when y == 0.
        remainder = self.native_elementwise("mod", x, y)
        quotient = self.native_elementwise("divide", self.native_elementwise("subtract", x, remainder), y)
        rounded = self.native_elementwise("round", quotient)
        return self.native_where(is_zero, self.native_elementwise("divide", x, y), rounded)

    def _reduction(self, op: str, x: Operand, axis: Axis, keepdims: bool) -> Tensor:
        t = self._tensor(x, f"{op} argument")
        axes = shapes.normalize_axes(axis, t.ndim)
        if op in ("max", "min"):
            _refuse_empty(op, t.shape, axes)
        out = dtypes.result_dtype(op, t.dtype)
        work = "bool" if op in ("any", "all") else out
        native = self._cast_native(t.native, t.dtype, work)
        kernel = _BOOL_KERNELS.get(op, op) if work == "bool" else op
        if axes:
            native = self._kernel(
                kernel, [native], work, out, lambda n: self.native_reduce(kernel, n, axes, keepdims)
            )
        return self._wrap(native, out, shapes.reduce(t.shape, axes, keepdims), t.placeholders)

    def _arg_reduction(self, op: str, x: Operand, axis: int) -> Tensor:
        t = self._tensor(x, f"{op} argument")
        if t.ndim == 0:
            raise ValueError(f"ktensor: {op} needs a tensor of at least 1 dimension; received {t!r}")
        ax = shapes.normalize_axis(axis, t.ndim)
        _refuse_empty(op, t.shape, (ax,))
        native = self._kernel(
            op, [t.native], t.dtype, "int64", lambda n: self.native_argreduce(op, n, ax)
        )
        return self._wrap(native, "int64", shapes.reduce(t.shape, (ax,), False), t.placeholders)

    # ======================================================================
    # Operations: operators and elementwise math, one overridable method per row.
    # ======================================================================
    add = _binary_op("add", "x + y")
    subtract = _binary_op("subtract", "x - y")
    multiply = _binary_op("multiply", "x * y")
    divide = _binary_op("divide", "x / y")
    floor_divide = _binary_op("floor_divide", "x // y")
    mod = _binary_op("mod", "x % y")
    power = _binary_op("power", "x ** y")
    maximum = _binary_op("maximum", "maximum(x, y)")
    minimum = _binary_op("minimum", "minimum(x, y)")
    equal = _binary_op("equal", "x == y")
    not_equal = _binary_op("not_equal", "x != y")
    less = _binary_op("less", "x < y")
    less_equal = _binary_op("less_equal", "x <= y")
    greater = _binary_op("greater", "x > y")
    greater_equal = _binary_op("greater_equal", "x >= y")
    bitwise_and = _binary_op("bitwise_and", "x & y")
    bitwise_or = _binary_op("bitwise_or", "x | y")
    bitwise_xor = _binary_op("bitwise_xor", "x ^ y")
    negative = _unary_op("negative")
    positive = _unary_op("positive")
    abs = _unary_op("abs")
    sign = _unary_op("sign")
    sqrt = _unary_op("sqrt")
    exp = _unary_op("exp")
    log = _unary_op("log")
    sin = _unary_op("sin")
    cos = _unary_op("cos")
    tanh = _unary_op("tanh")
    sigmoid = _unary_op("sigmoid")
    round = _unary_op("round")
    invert = _unary_op("invert")
    sum = _reduction_op("sum")
    prod = _reduction_op("prod")
    max = _reduction_op("max")
    min = _reduction_op("min")
    any = _reduction_op("any")
    all = _reduction_op("all")
    argmax = _arg_reduction_op("argmax")
    argmin = _arg_reduction_op("argmin")

    def astype(self, x: Operand, dtype: Any) -> Tensor:
        """``x`` cast to ``dtype`` (``ndarray.astype`` semantics)."""
        t = self._tensor(x, "astype argument")
        target = dtypes.dtype_name(dtype)
        if target == t.dtype:
            return t
        return self._wrap(self.native_cast(t.native, target), target, t.shape, t.placeholders)

    def square(self, x: Operand) -> Tensor:
        """Elementwise ``x * x`` in NumPy's dtype for ``np.square``."""
        t = self.astype(x, dtypes.result_dtype("square", self._operand(x, "square argument").key))
        return self.multiply(t, t)

    def relu(self, x: Operand) -> Tensor:
        """Elementwise ``maximum(x, 0)``."""
        return self.maximum(x, 0)

    def clip(self, x: Operand, min: Operand, max: Operand) -> Tensor:
        """Limit ``x`` to ``[min, max]``: ``minimum(maximum(x, min), max)``.

        Python int bounds outside an integer tensor's range are clamped to it, as
        ``np.clip`` accepts them.
        """
        t = self._tensor(x, "clip argument")
        if min is None and max is None:
            raise ValueError("ktensor: clip needs at least one of min and max (both are None)")
        if dtypes.is_integer(t.dtype):
            info = np.iinfo(t.dtype)
            min, max = (
                int(np.clip(b, info.min, info.max)) if type(b) is int else b for b in (min, max)
            )
        low = t if min is None else self.maximum(t, min)
        return low if max is None else self.minimum(low, max)

    def where(self, condition: Operand, x: Operand, y: Operand) -> Tensor:
        """Elementwise ``x`` where ``condition`` is true, else ``y`` (``np.where``)."""
        cond = self.astype(self._tensor(condition, "where condition"), "bool")
        ox, oy = self._operand(x, "where x"), self._operand(y, "where y")
        out = dtypes.result_dtype("where", "bool", ox.key, oy.key)
        shape = shapes.broadcast(cond.shape, ox.shape, oy.shape, operation="where")
        native = self.native_where(cond.native, self._native_operand(ox, out), self._native_operand(oy, out))
        return self._wrap(native, out, shape, self._placeholders(cond, ox.tensor, oy.tensor))

    # ======================================================================
    # Reductions (composed ones build on sum/max/exp/... through self).
    # ======================================================================
    def _count(self, t: Tensor, axes: tuple[int, ...], dtype: str) -> Operand:
        dims = [t.shape[a] for a in axes]
        if None not in dims:
            return float(math.prod(d for d in dims if d is not None))
        count: Tensor | None = None
        for a in axes:
            dim = self._wrap(self.native_dim(t.native, a), "int64", (), t.placeholders)
            count = dim if count is None else self.multiply(count, dim)
        assert count is not None
        return self.astype(count, dtype)

    def mean(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Arithmetic mean: ``sum / count``, in float32 for float16 as NumPy does."""
        t = self._tensor(x, "mean argument")
        out = dtypes.result_dtype("mean", t.dtype)
        work = _FLOAT16_WORK if out == "float16" else out
        axes = shapes.normalize_axes(axis, t.ndim)
        total = self.sum(self.astype(t, work), axis=axes, keepdims=keepdims)
        return self.astype(self.divide(total, self._count(t, axes, work)), out)

    def var(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population variance: ``mean(square(x - mean(x)))``."""
        t = self._tensor(x, "var argument")
        out = dtypes.result_dtype("var", t.dtype)
        work = self.astype(t, _FLOAT16_WORK if out == "float16" else out)
        axes = shapes.normalize_axes(axis, t.ndim)
        deviation = self.subtract(work, self.mean(work, axis=axes, keepdims=True))
        return self.astype(self.mean(self.square(deviation), axis=axes, keepdims=keepdims), out)

    def std(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Population standard deviation: ``sqrt(var(x))``."""
        t = self._tensor(x, "std argument")
        out = dtypes.result_dtype("std", t.dtype)
        variance = self.var(self.astype(t, _FLOAT16_WORK) if out == "float16" else t, axis, keepdims)
        return self.astype(self.sqrt(variance), out)

    def logsumexp(self, x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum for stability.

        Runs the engine's fused kernel (``native_logsumexp``) when it has one and no
        operation of the composition is overridden; else the composition.
        """
        t = self._tensor(x, "logsumexp argument")
        t = self.astype(t, dtypes.result_dtype("logsumexp", t.dtype))
        axes = shapes.normalize_axes(axis, t.ndim)
        fused = self._fused_kernel("native_logsumexp", "max", "exp", "subtract", "sum", "log", "add")
        if axes and fused is not None:
            native = self._kernel("logsumexp", [t.native], t.dtype, t.dtype, lambda n: fused(n, axes, keepdims))
            return self._wrap(native, t.dtype, shapes.reduce(t.shape, axes, keepdims), t.placeholders)
        peak = self.max(t, axis=axes, keepdims=True)
        total = self.log(self.sum(self.exp(self.subtract(t, peak)), axis=axes, keepdims=keepdims))
        return self.add(total, peak if keepdims or not axes else self.squeeze(peak, axis=axes))

    def softmax(self, x: Operand, axis: int = -1) -> Tensor:
        """``exp(x - max) / sum(exp(x - max))`` along ``axis``.

        Runs the engine's fused kernel (``native_softmax``) when it has one and no
        operation of the composition is overridden; else the composition.
        """
        t = self._tensor(x, "softmax argument")
        t = self.astype(t, dtypes.result_dtype("softmax", t.dtype))
        ax = shapes.normalize_axis(axis, t.ndim)
        fused = self._fused_kernel("native_softmax", "exp", "subtract", "max", "sum", "divide")
        if fused is not None:
            native = self._kernel("softmax", [t.native], t.dtype, t.dtype, lambda n: fused(n, ax))
            return self._wrap(native, t.dtype, t.shape, t.placeholders)
        shifted = self.exp(self.subtract(t, self.max(t, axis=ax, keepdims=True)))
        return self.divide(shifted, self.sum(shifted, axis=ax, keepdims=True))

    def log_softmax(self, x: Operand, axis: int = -1) -> Tensor:
        """``x - logsumexp(x, axis, keepdims=True)``: the log of ``softmax`` without its
        underflow.

        Runs the engine's fused kernel (``native_log_softmax``) when it has one and no
        operation of the composition is overridden; else the composition.
        """
        t = self._tensor(x, "log_softmax argument")
        t = self.astype(t, dtypes.result_dtype("softmax", t.dtype))
        ax = shapes.normalize_axis(axis, t.ndim)
        fused = self._fused_kernel(
            "native_log_softmax", "logsumexp", "subtract", "max", "exp", "sum", "log", "add"
        )
        if fused is not None:
            native = self._kernel("log_softmax", [t.native], t.dtype, t.dtype, lambda n: fused(n, ax))
            return self._wrap(native, t.dtype, t.shape, t.placeholders)
        return self.subtract(t, self.logsumexp(t, axis=ax, keepdims=True))

    def _fused_kernel(self, kernel: str, *operations: str) -> Callable[..., Native] | None:
        """The engine's optional fused ``kernel`` for a composition, if it may be used.

        An engine with a faster native op for a composition (``native_softmax``,
        ``native_logsumexp``) defines it as a method. It is used only while the
        composition is intact: none of ``operations``, nor the elementwise and
        reduction primitives, overridden below the engine class, so a subclass that
        changes ``exp`` still sees its ``exp`` inside ``softmax``.
        """
        cls = type(self)
        fused = getattr(cls, kernel, None)
        if fused is None:
            return None
        engine = next(c for c in cls.__mro__ if kernel in vars(c))
        for name in (*operations, "native_elementwise", "native_reduce"):
            if getattr(cls, name) is not getattr(engine, name):
                return None
        return getattr(self, kernel)  # type: ignore[no-any-return]

    # ======================================================================
    # Shape operations.
    # ======================================================================
    def reshape(self, x: Operand, shape: Sequence[int]) -> Tensor:
        """``x`` in a new shape; one entry may be -1; a known size must match."""
        t = self._tensor(x, "reshape argument")
        if isinstance(shape, int):
            shape = (shape,)
        static = shapes.reshape(t.shape, tuple(shape))
        native = self.native_reshape(t.native, tuple(int(d) for d in shape))
        return self._wrap(native, t.dtype, static, t.placeholders)

    def transpose(self, x: Operand, axes: Sequence[int] | None = None) -> Tensor:
        """Permute the axes; reversed when ``axes`` is None."""
        t = self._tensor(x, "transpose argument")
        if axes is None:
            perm = tuple(reversed(range(t.ndim)))
        else:
            perm = tuple(shapes.normalize_axis(a, t.ndim, "axes") for a in axes)
            if sorted(perm) != list(range(t.ndim)):
                raise ValueError(
                    f"ktensor: transpose: axes {tuple(axes)!r} is not a permutation of the "
                    f"{t.ndim} axes of a tensor of shape {shapes.describe(t.shape)}"
                )
        if perm == tuple(range(t.ndim)):
            return t
        native = self.native_transpose(t.native, perm)
        return self._wrap(native, t.dtype, tuple(t.shape[a] for a in perm), t.placeholders)

    def flatten(self, x: Operand) -> Tensor:
        """A 1-D tensor of every element: ``reshape(x, (-1,))``."""
        return self.reshape(x, (-1,))

    def expand_dims(self, x: Operand, axis: int) -> Tensor:
        """Insert a size-1 dimension at ``axis`` (``x[..., None, ...]``)."""
        t = self._tensor(x, "expand_dims argument")
        position = shapes.normalize_axis(axis, t.ndim + 1)
        return self.getitem(t, (slice(None),) * position + (None,))

    def squeeze(self, x: Operand, axis: Axis = None) -> Tensor:
        """Remove size-1 dimensions: those known to be 1, or the given ``axis``."""
        t = self._tensor(x, "squeeze argument")
        if axis is None:
            axes = tuple(i for i, d in enumerate(t.shape) if d == 1)
        else:
            axes = shapes.normalize_axes(axis, t.ndim)
            for a in axes:
                if t.shape[a] not in (1, None):
                    raise ValueError(
                        f"ktensor: squeeze: axis {a} of shape {shapes.describe(t.shape)} has size "
                        f"{t.shape[a]}, not 1"
                    )
        if not axes:
            return t
        unknown = [a for a in axes if t.shape[a] is None]
        if unknown:
            native = t.native
            for a in unknown:
                one = self.native_constant(np.ones((), "int64"))
                is_one = self.native_elementwise("equal", self.native_dim(t.native, a), one)
                native = self.native_assert(
                    native, is_one, f"ktensor: squeeze: axis {a} does not have size 1 at run time"
                )
            t = self._wrap(native, t.dtype, t.shape, t.placeholders)
        return self.getitem(t, tuple(0 if i in axes else slice(None) for i in range(t.ndim)))

    def concatenate(self, tensors: Sequence[Operand], axis: int = -1) -> Tensor:
        """Join tensors along an existing axis, in their NumPy result dtype."""
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise TypeError(f"ktensor: concatenate needs a non-empty list of tensors; received {tensors!r}")
        parts = [self._tensor(v, f"concatenate tensors[{i}]") for i, v in enumerate(tensors)]
        shape = shapes.concatenate([p.shape for p in parts], axis)
        out = dtypes.common_dtype(*(p.dtype for p in parts))
        natives = [self._cast_native(p.native, p.dtype, out) for p in parts]
        ax = shapes.normalize_axis(axis, parts[0].ndim)
        native = self.native_concatenate(natives, ax)
        return self._wrap(native, out, shape, self._placeholders(*parts))

    def stack(self, tensors: Sequence[Operand], axis: int = 0) -> Tensor:
        """Join tensors along a new axis: ``concatenate`` of ``expand_dims``."""
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise TypeError(f"ktensor: stack needs a non-empty list of tensors; received {tensors!r}")
        parts = [self._tensor(v, f"stack tensors[{i}]") for i, v in enumerate(tensors)]
        ndims = {p.ndim for p in parts}
        if len(ndims) != 1:
            raise ValueError(
                "ktensor: stack: all tensors need the same shape; received shapes "
                + ", ".join(shapes.describe(p.shape) for p in parts)
            )
        position = shapes.normalize_axis(axis, ndims.pop() + 1)
        return self.concatenate([self.expand_dims(p, position) for p in parts], axis=position)

    def getitem(self, x: Operand, key: Any) -> Tensor:
        """NumPy indexing: ints, slices, None, Ellipsis, and one int/bool array on one axis."""
        t = self._tensor(x, "indexed tensor")
        items = indexing.expand_ellipsis(list(key) if isinstance(key, tuple) else [key], t.ndim)
        advanced = [i for i, k in enumerate(items) if indexing.is_array_index(k)]
        if len(advanced) > 1:
            raise IndexError("ktensor: only one integer or boolean array index is supported per indexing")
        basic: list[Any] = []
        dim_of_item: list[int | None] = []
        axis = 0
        for k in items:
            if k is None:
                basic.append(None)
                dim_of_item.append(None)
                continue
            if axis >= t.ndim:
                raise IndexError(
                    f"ktensor: too many indices for a tensor of shape {shapes.describe(t.shape)}: {key!r}"
                )
            basic.append(indexing.check_basic_item(k, t.shape[axis], axis) if not indexing.is_array_index(k) else slice(None))
            dim_of_item.append(axis)
            axis += 1
        native = t.native
        static = t.shape
        if any(not (isinstance(b, slice) and b == slice(None)) for b in basic) or len(basic) != t.ndim:
            native = self.native_slice(t.native, tuple(basic))
            static = indexing.basic_shape(t.shape, basic)
        result = self._wrap(native, t.dtype, static, t.placeholders)
        if not advanced:
            return result
        position = indexing.result_axis(items, advanced[0])
        taken = self._take(result, items[advanced[0]], position, t.shape[dim_of_item[advanced[0]] or 0])
        if not indexing.advanced_adjacent(items):
            # NumPy: ints count as advanced indices next to an array; when they are
            # separated by a slice, the array's dimensions move to the front.
            width = taken.ndim - result.ndim + 1
            moved = list(range(position, position + width))
            rest = [a for a in range(taken.ndim) if a not in moved]
            return self.transpose(taken, moved + rest)
        return taken

    def _take(self, t: Tensor, index: Any, axis: int, source_dim: int | None) -> Tensor:
        if isinstance(index, list) and not index:
            index = np.zeros((0,), "int64")  # NumPy reads [] as an empty integer index
        idx = self._tensor(index, "array index")
        if idx.dtype == "bool":
            if idx.ndim != 1:
                raise IndexError(f"ktensor: a boolean index must be 1-D here; received shape {idx.shape}")
            if idx.shape[0] is not None and t.shape[axis] is not None and idx.shape[0] != t.shape[axis]:
                raise IndexError(
                    f"ktensor: boolean index of length {idx.shape[0]} does not match axis {axis} "
                    f"of size {t.shape[axis]}"
                )
            mask = idx.native
            if idx.shape[0] is None or t.shape[axis] is None:
                same = self.native_elementwise(
                    "equal", self.native_dim(mask, 0), self.native_dim(t.native, axis)
                )
                mask = self.native_assert(
                    mask, same, f"ktensor: a boolean index does not match the length of axis {axis} it indexes"
                )
            positions = self._wrap(self.native_nonzero(mask), "int64", (None,), idx.placeholders)
        elif dtypes.is_integer(idx.dtype):
            if idx.role == "constant" and source_dim is not None:
                values = np.asarray(index)
                if values.size and (values.max() >= source_dim or values.min() < -source_dim):
                    raise IndexError(
                        f"ktensor: index {values.tolist()} is out of bounds for axis {axis} with size {source_dim}"
                    )
            wide = self.astype(idx, "int64")
            dim = self._wrap(self.native_dim(t.native, axis), "int64", (), t.placeholders)
            positions = self.where(self.less(wide, 0), self.add(wide, dim), wide)
            if idx.role != "constant" or source_dim is None:
                inside = self.all(
                    self.bitwise_and(self.greater_equal(positions, 0), self.less(positions, dim))
                )
                checked = self.native_assert(
                    positions.native, inside.native, f"ktensor: an index is out of bounds for axis {axis}"
                )
                positions = self._wrap(checked, "int64", positions.shape, self._placeholders(positions, inside))
        else:
            raise IndexError(f"ktensor: array indices must be integer or boolean; received dtype {idx.dtype}")
        native = self.native_take(t.native, positions.native, axis)
        shape = t.shape[:axis] + positions.shape + t.shape[axis + 1 :]
        return self._wrap(native, t.dtype, shape, self._placeholders(t, positions))

    # ======================================================================
    # Linear algebra.
    # ======================================================================
    def matmul(self, x: Operand, y: Operand) -> Tensor:
        """``np.matmul``: 1-D operands are promoted and the added axis removed."""
        a, b = self._tensor(x, "matmul operand 1"), self._tensor(y, "matmul operand 2")
        shape = shapes.matmul(a.shape, b.shape)
        out, work, na, nb = self._product_operands(a, b)
        if a.ndim == 1:
            na = self.native_reshape(na, (1, -1))
        if b.ndim == 1:
            nb = self.native_reshape(nb, (-1, 1))
        native = self._kernel("matmul", [na, nb], work, out, self.native_matmul)
        if a.ndim == 1 or b.ndim == 1:
            native = self.native_reshape(native, tuple(-1 if d is None else d for d in shape))
        return self._wrap(native, out, shape, self._placeholders(a, b))

    def _product_operands(self, a: Tensor, b: Tensor) -> tuple[str, str, Native, Native]:
        """NumPy's matmul dtype, the dtype to multiply in (bool sums of products need
        an integer), and both operands cast to it."""
        out = dtypes.result_dtype("matmul", a.dtype, b.dtype)
        work = "int64" if out == "bool" else out
        return out, work, self._cast_native(a.native, a.dtype, work), self._cast_native(b.native, b.dtype, work)

    def dot(self, x: Operand, y: Operand) -> Tensor:
        """``np.dot``: multiply for scalars, matmul up to 2-D, else a contraction of
        the last axis of ``x`` with the second-to-last of ``y``."""
        a, b = self._tensor(x, "dot operand 1"), self._tensor(y, "dot operand 2")
        if a.ndim == 0 or b.ndim == 0:
            return self.multiply(a, b)
        if a.ndim <= 2 and b.ndim <= 2:
            return self.matmul(a, b)
        axis_b = -2 if b.ndim >= 2 else -1
        shape = shapes.tensordot_check(a.shape, b.shape, -1, axis_b)
        out, work, na, nb = self._product_operands(a, b)
        native = self._kernel(
            "matmul", [na, nb], work, out,
            lambda p, q: self.native_tensordot(p, q, a.ndim - 1, b.ndim + axis_b),
        )
        return self._wrap(native, out, shape, self._placeholders(a, b))

    # ======================================================================
    # Creating tensors.
    # ======================================================================
    def _default_dtype(self, array: np.ndarray, dtype: Any, argument: str) -> str:
        if dtype is not None:
            return dtypes.dtype_name(dtype, argument)
        if array.dtype.kind == "f":
            return config.floatx()
        return dtypes.dtype_name(array.dtype, argument)

    def placeholder(
        self,
        shape: Sequence[int | None] | None = None,
        ndim: int | None = None,
        dtype: Any = None,
        name: str | None = None,
    ) -> Tensor:
        """A symbolic input; ``shape`` entries may be None, or give only ``ndim``."""
        if shape is None:
            if ndim is None:
                raise TypeError("ktensor: placeholder needs shape=(...) or ndim=N")
            shape = (None,) * int(ndim)
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"ktensor: placeholder shape must be a tuple of ints or None; received {shape!r}")
        static = tuple(shape)
        for d in static:
            if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0):
                raise ValueError(f"ktensor: placeholder shape entries must be ints >= 0 or None; received {static!r}")
        static = tuple(None if d is None else int(d) for d in static)
        if ndim is not None and ndim != len(static):
            raise ValueError(f"ktensor: placeholder: ndim={ndim} contradicts shape={static!r}")
        dt = dtypes.dtype_name(dtype, "placeholder dtype") if dtype is not None else config.floatx()
        native = self.native_placeholder(static, dt, name)
        tensor = self._wrap(native, dt, static, role="placeholder", name=name)
        tensor.placeholders = frozenset((tensor,))
        return tensor

    def constant(self, value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
        """A constant; ``dtype=None`` gives floating data ``floatx()``, other data its NumPy dtype."""
        if isinstance(value, Tensor):
            self._check_mine(value, "constant value")
            return value if dtype is None else self.astype(value, dtype)
        array = self._array(value, "constant value")
        return self._constant_tensor(array.astype(self._default_dtype(array, dtype, "constant dtype")), name)

    def variable(self, value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
        """A variable holding a copy of ``value``; see ``constant`` for the dtype rule."""
        if isinstance(value, Tensor):
            value = value.eval()
        array = self._array(value, "variable value")
        array = np.array(array, dtype=self._default_dtype(array, dtype, "variable dtype"))
        native, handle = self.native_variable(array, name)
        return self._wrap(native, array.dtype.name, array.shape, role="variable", name=name, handle=handle)

    def as_tensor(self, value: Any) -> Tensor:
        """A tensor unchanged; anything else through ``constant`` (floatx for float data)."""
        return value if isinstance(value, Tensor) and value.backend is self else self.constant(value)

    def _filled(self, shape: Sequence[int], value: float, dtype: Any) -> Tensor:
        dt = dtypes.dtype_name(dtype, "dtype") if dtype is not None else config.floatx()
        return self._constant_tensor(np.full(_concrete_shape(shape), value, dtype=dt))

    def zeros(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        """A constant of zeros (``floatx()`` unless ``dtype``)."""
        return self._filled(shape, 0, dtype)

    def ones(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        """A constant of ones (``floatx()`` unless ``dtype``)."""
        return self._filled(shape, 1, dtype)

    def eye(self, n: int, m: int | None = None, dtype: Any = None) -> Tensor:
        """An identity matrix (``floatx()`` unless ``dtype``)."""
        dt = dtypes.dtype_name(dtype) if dtype is not None else config.floatx()
        return self._constant_tensor(np.eye(n, m, dtype=dt))

    def _filled_like(self, x: Operand, value: int, dtype: Any) -> Tensor:
        t = self._tensor(x, "like argument")
        dt = dtypes.dtype_name(dtype) if dtype is not None else t.dtype
        if None not in t.shape:
            return self._constant_tensor(np.full(tuple(d or 0 for d in t.shape), value, dtype=dt))
        native = self.native_full_like(t.native, np.full((), value, dtype=dt))
        return self._wrap(native, dt, t.shape, t.placeholders)

    def zeros_like(self, x: Operand, dtype: Any = None) -> Tensor:
        """Zeros of ``x``'s shape, in ``x``'s dtype unless ``dtype``."""
        return self._filled_like(x, 0, dtype)

    def ones_like(self, x: Operand, dtype: Any = None) -> Tensor:
        """Ones of ``x``'s shape, in ``x``'s dtype unless ``dtype``."""
        return self._filled_like(x, 1, dtype)

    def arange(self, start: float, stop: float | None = None, step: float = 1, dtype: Any = "int32") -> Tensor:
        """Evenly spaced values, as ``np.arange`` (dtype ``int32`` unless given)."""
        dt = dtypes.dtype_name(dtype)
        values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
        return self._constant_tensor(values.astype(dt))

    def _random(self, distribution: str, shape: Sequence[int], a: float, b: float, dtype: Any, seed: int | None) -> Tensor:
        dt = dtypes.dtype_name(dtype) if dtype is not None else config.floatx()
        if not dtypes.is_float(dt):
            raise TypeError(f"ktensor: random_{distribution} dtype must be a float dtype; received {dt!r}")
        size = _concrete_shape(shape)
        draw_seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)
        native = self.native_random(distribution, size, float(a), float(b), dt, draw_seed)
        return self._wrap(native, dt, size)

    def random_uniform(self, shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
        """Uniform draws on ``[minval, maxval)``, new ones each evaluation; ``seed`` makes them repeatable."""
        return self._random("uniform", shape, minval, maxval, dtype, seed)

    def random_normal(self, shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
        """Normal draws, new ones each evaluation; ``seed`` makes them repeatable."""
        return self._random("normal", shape, mean, stddev, dtype, seed)

    # ======================================================================
    # Variables, gradients, compiled functions, evaluation.
    # ======================================================================
    def _variable(self, v: Any, argument: str) -> Tensor:
        if not isinstance(v, Tensor) or v.role != "variable":
            raise TypeError(f"ktensor: {argument} must be a variable (kt.variable(...)); received {v!r}")
        self._check_mine(v, argument)
        return v

    def get_value(self, v: Tensor) -> np.ndarray:
        """The current value of variable ``v``."""
        return self.native_get_value(self._variable(v, "get_value").handle)

    def set_value(self, v: Tensor, value: Any) -> None:
        """Assign ``value`` to variable ``v``: same shape, ``same_kind`` castable."""
        var = self._variable(v, "set_value")
        array = self._array(value, "set_value value")
        if not dtypes.can_cast(array.dtype, var.dtype):
            raise TypeError(
                f"ktensor: set_value of {var.label}: cannot cast {array.dtype} to {var.dtype} "
                f"under the same_kind rule"
            )
        if array.shape != var.shape:
            raise ValueError(
                f"ktensor: set_value of {var.label}: expected shape {shapes.describe(var.shape)}, "
                f"received {shapes.describe(array.shape)}"
            )
        self.native_set_value(var.handle, np.array(array, dtype=var.dtype))

    def gradients(self, loss: Operand, wrt: Sequence[Tensor]) -> list[Tensor]:
        """Symbolic gradients of ``loss`` (summed first if not scalar) for each of ``wrt``.

        A disconnected tensor gets zeros; integer and bool tensors are refused.
        """
        target = self._tensor(loss, "gradients loss")
        if not dtypes.is_float(target.dtype):
            raise TypeError(f"ktensor: gradients: loss must be floating; received dtype {target.dtype}")
        if target.ndim:
            target = self.sum(target)
        if isinstance(wrt, Tensor):
            raise TypeError("ktensor: gradients: wrt must be a list of tensors, e.g. [w, b]")
        sources = [self._tensor(w, f"gradients wrt[{i}]") for i, w in enumerate(wrt)]
        for i, w in enumerate(sources):
            if not dtypes.is_float(w.dtype):
                raise TypeError(
                    f"ktensor: gradients: wrt[{i}] ({w.label}) has dtype {w.dtype}; only floating "
                    f"tensors have gradients"
                )
        grads = self.native_gradients(target.native, [w.native for w in sources])
        result = []
        for w, g in zip(sources, grads):
            if g is None:
                result.append(self.zeros_like(w))
            else:
                native = self._cast_native(g, self.native_dtype(g), w.dtype)
                result.append(self._wrap(native, w.dtype, w.shape, self._placeholders(target, w)))
        return result

    def function(
        self,
        inputs: Sequence[Tensor],
        outputs: Any,
        updates: Sequence[tuple[Tensor, Operand]] | None = None,
        name: str | None = None,
    ) -> Any:
        """Compile ``outputs`` of ``inputs`` (placeholders); see ``ktensor.Function``."""
        from ktensor.function import Function

        return Function.build(self, inputs, outputs, updates, name)

    def eval(self, tensor: Tensor, feed: Mapping[Tensor, Any] | None = None) -> np.ndarray:
        """The value of ``tensor``; ``feed`` maps placeholders to arrays. Compiled once per feed set."""
        self._check_mine(tensor, "evaluated tensor")
        feed = dict(feed or {})
        inputs = sorted(feed, key=id)
        # setdefault: a subclass whose __init__ forgot super().__init__() still works.
        caches: dict[int, dict[tuple[int, ...], Any]] = self.__dict__.setdefault("_eval_cache", {})
        cache = caches.get(id(tensor))
        if cache is None:
            cache = caches[id(tensor)] = {}
            weakref.finalize(tensor, caches.pop, id(tensor), None)
        key = tuple(id(p) for p in inputs)
        entry = cache.get(key)
        # The entry keeps its placeholders alive, so their ids cannot be reused.
        if entry is None or any(a is not b for a, b in zip(entry[0], inputs)):
            entry = cache[key] = (tuple(inputs), self.function(inputs, tensor, name="eval"))
        return entry[1](*[feed[p] for p in inputs])


_COMPARISONS = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"})




_SWAPPED = {"less": "greater", "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal"}


def _signed_against_uint64(keys: tuple[dtypes.DtypeKey, ...]) -> bool:
    """A uint64 compared with a signed integer (or a Python int): NumPy compares exactly."""
    if len(keys) != 2 or "uint64" not in keys:
        return False
    other = keys[1] if keys[0] == "uint64" else keys[0]
    return other is int or other in ("int8", "int16", "int32", "int64")


def _concrete_shape(shape: Any) -> tuple[int, ...]:
    """A shape of known sizes for creation functions; ``ValueError`` naming it otherwise."""
    entries = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        size = tuple(int(d) for d in entries if not isinstance(d, bool))
    except (TypeError, ValueError):
        size = ()
    if len(size) != len(tuple(entries)) or any(d < 0 for d in size):
        raise ValueError(
            f"ktensor: shape must be ints >= 0 (creation needs every size known); received {shape!r}"
        )
    return size


def _refuse_empty(op: str, shape: shapes.Shape, axes: tuple[int, ...]) -> None:
    """NumPy refuses max/min/argmax/argmin over an axis of length 0 (no identity)."""
    for a in axes:
        if shape[a] == 0:
            raise ValueError(
                f"ktensor: {op} over axis {a} of shape {shapes.describe(shape)}: a zero-size reduction "
                f"has no identity (NumPy refuses it too)"
            )


def _comparison_dtype(work: str, weak_values: list[Any]) -> str:
    """NumPy compares ints with Python ints of any size: widen when one does not fit."""
    info = np.iinfo(work)
    if all(type(v) is not int or info.min <= v <= info.max for v in weak_values):
        return work
    wide = np.iinfo("int64")
    fits_int64 = work != "uint64" and all(type(v) is not int or wide.min <= v <= wide.max for v in weak_values)
    return "int64" if fits_int64 else "float64"
