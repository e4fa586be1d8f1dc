"""The core of every backend: the engine primitives, operand conversion and the dispatchers.

A backend has two layers:

* **Engine primitives** (abstract, named ``native_*``), declared here: they take and
  return the engine's own symbols, and only do what truly differs per engine — one
  elementwise kernel table, reductions, slicing, gradients, compiling. Their
  operands always arrive already cast to one dtype; they never promote.
* **Operations** (concrete, named like NumPy: ``add``, ``exp``, ``sum``, ...), declared
  once each in the family modules of :mod:`ktensor.ops` and inherited by
  :class:`ktensor.Backend`. They apply ktensor's rules through the helpers here —
  operand conversion (:meth:`Core._operand`), the dtype rules of :mod:`ktensor.dtypes`,
  the static shape checks of :mod:`ktensor.shapes` — then call a primitive.

Examples:
    >>> import ktensor as kt
    >>> from ktensor.backends.core import Core
    >>> "native_elementwise" in Core.__abstractmethods__
    True
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

import numpy as np

from ktensor import config, dtypes, shapes
from ktensor.ops.declare import KERNELS
from ktensor.tensor import Axis, Operand, Tensor

Native = Any
CompiledCall = Callable[[Sequence[np.ndarray]], list[np.ndarray]]
#: A loop body for ``native_scan``: ``step(items, states) -> (outputs, new_states)``.
ScanStep = Callable[[list[Native], list[Native]], tuple[Sequence[Native], Sequence[Native]]]

if TYPE_CHECKING:
    # The signatures of every declared operation, generated from the declarations,
    # so that each family module sees the others' operations on ``self``.
    from ktensor._generated.signatures import OperationSignatures as _Operations
    from ktensor.backends.base import Backend
else:
    _Operations = object

_SWAPPED = {"less": "greater", "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal"}


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




class Core(_Operations, metaclass=ABCMeta):
    """The engine primitives and the rules every operation goes through.

    Subclass an engine backend (``TheanoBackend``, ``TensorFlowBackend``), not this:
    :class:`ktensor.Backend` adds every operation on top.
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
    #: How many times ``clear_session`` ran: tensors of an earlier generation are refused.
    _generation: int = 0

    def __init__(self) -> None:
        # Compiled eval functions by id(tensor), dropped when the tensor is collected.
        # Not a WeakKeyDictionary: it compares weak references with ==, which on
        # tensors builds an expression instead of answering.
        self._eval_cache: dict[int, dict[tuple[int, ...], Any]] = {}

    def options(self) -> dict[str, Any]:
        """The constructor options of this instance, shown in its repr."""
        return {}

    def clear_session(self) -> None:
        """Free everything this backend built so far (``kt.clear_session()``, Keras 2's).

        Tensors and variables built before are refused afterwards with a ``ktensor:``
        error; functions compiled before keep working (each holds what it runs).
        """
        self._generation += 1
        self.__dict__.setdefault("_eval_cache", {}).clear()
        self.native_clear_session()

    def native_clear_session(self) -> None:
        """Drop the engine's own store of what was built (a graph, caches); an engine
        that keeps none leaves this as it is."""

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
        self, distribution: str, shape: tuple[int, ...] | Native, a: float, b: float, dtype: str, seed: int
    ) -> Native:
        """A new draw each run (``shape`` a tuple, or an int64 vector symbol of sizes known at run time): ``"uniform"`` on ``[a, b)``, ``"normal"`` (mean ``a``, stddev ``b``),
        ``"truncated_normal"`` (the same, redrawn beyond 2 stddev) or ``"binomial"`` (1 with
        probability ``a``, else 0)."""

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
    def native_cumulative(self, op: str, x: Native, axis: int) -> Native:
        """Inclusive cumulative ``"sum"`` or ``"prod"`` along ``axis`` (``np.cumsum``), with gradients."""

    @abstractmethod
    def native_sort(self, x: Native, axis: int) -> Native:
        """``x`` sorted ascending along ``axis``, NaN last (``np.sort``)."""

    @abstractmethod
    def native_argsort(self, x: Native, axis: int) -> Native:
        """int64 indices that sort ``x`` along ``axis``, stable, NaN last."""

    @abstractmethod
    def native_top_k(self, x: Native, k: int) -> tuple[Native, Native]:
        """The ``k`` largest entries along the last axis, largest first, and their int64
        indices (the lower index first on ties)."""

    @abstractmethod
    def native_linalg(self, op: str, *xs: Native) -> Native | tuple[Native, ...]:
        """``inv det solve cholesky svd qr eigh`` on the last two axes, batched over the
        leading ones, as ``np.linalg`` (``svd`` reduced: ``(u, s, vh)``; ``qr``: ``(q, r)``;
        ``eigh``: ``(w, v)``); float32/float64 operands; with gradients."""

    @abstractmethod
    def native_cond(self, condition: Native, then_fn: Callable[[], Native], else_fn: Callable[[], Native]) -> Native:
        """``then_fn()`` where the scalar bool ``condition`` holds, else ``else_fn()``;
        only the branch taken runs."""

    @abstractmethod
    def native_scan(
        self,
        step: ScanStep,
        sequences: list[Native],
        initial: list[Native],
        reverse: bool,
    ) -> tuple[list[Native], list[Native]]:
        """Run ``step(items, states) -> (outputs, new_states)`` over axis 0 of every
        sequence (from the end if ``reverse``): the outputs stacked along a new axis 0
        in the order the steps ran, and the final states; gradients through time."""

    @abstractmethod
    def native_stop_gradient(self, x: Native) -> Native:
        """``x``, with no gradient flowing through it."""

    @abstractmethod
    def native_print(self, x: Native, message: str) -> Native:
        """``x``; each run that computes it prints ``message`` and the value to stdout."""

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
        if tensor.generation != self._generation:
            raise ValueError(
                f"ktensor: {argument} ({tensor.label}) was built before clear_session() freed what "
                f"{self!r} had built; build it again"
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
        return Tensor(native, cast("Backend", self), dtype, static, name, role, placeholders, handle, self._generation)

    @staticmethod
    def _placeholders(*tensors: Tensor | None) -> frozenset[Tensor]:
        found: frozenset[Tensor] = frozenset()
        for t in tensors:
            if t is not None and t.placeholders:
                found = found | t.placeholders
        return found

    def _kernel(self, op: str, natives: Sequence[Native], work: str, out: str, run: Callable[..., Native]) -> Native:
        """Run ``run(*natives)`` for ``op`` in dtype ``work`` (widened where needed), cast to ``out``."""
        wide = dtypes.FLOAT16_WORK if work == "float16" else self.kernel_widening.get(op, {}).get(work)
        if wide is not None:
            natives = [self.native_cast(n, wide) for n in natives]
        result = run(*natives)
        return self._cast_native(result, self.native_dtype(result), out)

    # ======================================================================
    # Dispatchers: the declared kernels of ktensor.ops, with their quirks as data.
    # ======================================================================
    def _elementwise(self, op: str, *values: Operand) -> Tensor:
        """Run the declared elementwise kernel ``op`` (``ktensor.ops.declare.KERNELS``)."""
        spec = KERNELS[op]
        operands = [self._operand(v, f"{op} operand {i + 1}") for i, v in enumerate(values)]
        keys = tuple(o.key for o in operands)
        out = spec.dtype(*keys)
        work = dtypes.common_dtype(*keys) if spec.comparison else out
        if spec.comparison and dtypes.is_integer(work):
            work = dtypes.comparison_dtype(work, [o.weak for o in operands if o.tensor is None])
        shape = shapes.broadcast(*(o.shape for o in operands), operation=op)
        placeholders = self._placeholders(*(o.tensor for o in operands))
        if spec.comparison and dtypes.signed_against_uint64(keys) and not any(
            type(o.weak) is int and o.weak >= 0 for o in operands if o.tensor is None
        ):
            return self._wrap(self._uint64_comparison(spec.name, operands), out, shape, placeholders)
        natives = [self._native_operand(o, work) for o in operands]
        kernel = spec.for_dtype(work)
        if kernel == "identity":
            native = natives[0]
        elif kernel in ("false", "true"):  # isnan/isinf/isfinite of integers and bools
            native = self.native_full_like(natives[0], np.asarray(kernel == "true"))
        elif kernel == "unsigned_sign":  # 0 or 1; a signed kernel would see 2**63 as negative
            zero = self.native_constant(np.zeros((), work))
            native = self.native_cast(self.native_elementwise("not_equal", natives[0], zero), work)
        elif spec.division:
            native = self._kernel(kernel, natives, work, out, lambda x, y: self._division(kernel, x, y, work))
        else:
            native = self._kernel(kernel, natives, work, out, lambda *xs: self.native_elementwise(kernel, *xs))
        native = self._broadcast_checked(op, native, natives, [o.shape for o in operands])
        return self._wrap(native, out, shape, placeholders)

    def _broadcast_checked(
        self, op: str, result: Native, natives: Sequence[Native], operand_shapes: Sequence[shapes.Shape]
    ) -> Native:
        """``result``, computed only after checking at run time (as index bounds are) that
        each dimension of an operand unknown when built broadcasts with a known size (not
        1) of another operand on that axis.

        The engines check broadcasting themselves, but their rewrites drop the check with
        an operand they drop (``where(True, 0, x)`` becomes ``0`` of the other operands'
        shape): a shape NumPy refuses gave a value. The check guards the result, which no
        rewrite removes.
        """
        ndim = max((len(s) for s in operand_shapes), default=0)
        for axis in range(-ndim, 0):
            dims = [s[axis] if len(s) >= -axis else 1 for s in operand_shapes]
            known = {d for d in dims if d is not None and d != 1}
            if len(known) != 1 or None not in dims:
                continue
            size = known.pop()
            for i, d in enumerate(dims):
                if d is not None:
                    continue
                dim = self.native_dim(natives[i], len(operand_shapes[i]) + axis)
                fits = self.native_elementwise("equal", dim, self.native_constant(np.asarray(size, "int64")))
                if self.runtime_broadcasting:
                    one = self.native_elementwise("equal", dim, self.native_constant(np.ones((), "int64")))
                    fits = self.native_elementwise("logical_or", fits, one)
                result = self.native_assert(
                    result, fits,
                    f"ktensor: {op}: operand {i + 1} does not broadcast with size {size} on axis {axis} at run time",
                )
        return result

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
        work = dtypes.compute_dtype(work)
        zero = self.native_constant(np.zeros((), work))
        is_zero = self.native_elementwise("equal", y, zero)
        if dtypes.is_integer(work):
            # y + (y == 0), not where(y == 0, 1, y): PyTensor sinks a division into the
            # branches of such a select, and its fused C code computes both branches,
            # so x // y ran with y == 0 and raised (nested divisions by one divisor).
            safe = self.native_elementwise("add", y, self.native_cast(is_zero, work))
            return self.native_where(is_zero, zero, self.native_elementwise(op, x, safe))
        if op == "mod":
            return self.native_elementwise("mod", x, y)
        # NumPy's float floor division: round((x - x % y) / y), and x / y when y == 0.
        remainder = self.native_elementwise("mod", x, y)
        quotient = self.native_elementwise("divide", self.native_elementwise("subtract", x, remainder), y)
        rounded = self.native_elementwise("round", quotient)
        result = self.native_where(is_zero, self.native_elementwise("divide", x, y), rounded)
        # By an infinite divisor NumPy divides a finite x to 0 or -1 (signed zero for 0):
        # the formula above gives (x - inf) / inf, NaN.
        inf = self.native_constant(np.asarray(np.inf, work))
        finite_x = self.native_elementwise("less", self.native_elementwise("abs", x), inf)
        infinite_y = self.native_elementwise("equal", self.native_elementwise("abs", y), inf)
        opposite = self.native_elementwise(
            "not_equal", self.native_elementwise("less", x, zero), self.native_elementwise("less", y, zero)
        )
        x_zero = self.native_elementwise("equal", x, zero)
        by_infinity = self.native_where(
            x_zero,
            self.native_elementwise("divide", x, y),
            self.native_where(opposite, self.native_constant(np.asarray(-1, work)), zero),
        )
        result = self.native_where(self.native_elementwise("logical_and", finite_x, infinite_y), by_infinity, result)
        # A zero quotient carries the sign of x / y, as NumPy's copysign(0, x / y).
        signed_zero = self.native_elementwise("multiply", self.native_elementwise("divide", x, y), zero)
        return self.native_where(self.native_elementwise("equal", result, zero), signed_zero, result)

    def _reduction(self, op: str, x: Operand, axis: Axis, keepdims: bool) -> Tensor:
        """Run the declared reduction kernel ``op`` over ``axis``."""
        spec = KERNELS[op]
        t = self._tensor(x, f"{op} argument")
        axes = shapes.normalize_axes(axis, t.ndim)
        native = t.native
        if spec.refuse_empty:
            native = self._refuse_empty(op, t, axes)
        out = spec.dtype(t.dtype)
        work = spec.work or out
        native = self._cast_native(native, t.dtype, work)
        kernel = spec.for_dtype(work)
        if axes:
            native = self._kernel(
                kernel, [native], work, out, lambda n: self.native_reduce(kernel, n, axes, keepdims)
            )
        return self._wrap(native, out, shapes.reduce(t.shape, axes, keepdims), t.placeholders)

    def _arg_reduction(self, op: str, x: Operand, axis: int | None) -> Tensor:
        t = self._tensor(x, f"{op} argument")
        if axis is None or t.ndim == 0:
            # As NumPy: axis=None is the index into the flattened tensor, and a 0-d
            # tensor is read as one element (axis 0 or -1).
            if axis is not None:
                shapes.normalize_axis(axis, 1, f"{op} axis")
            t, axis = self.reshape(t, (-1,)), 0
        ax = shapes.normalize_axis(axis, t.ndim, f"{op} axis")
        native = self._kernel(
            op, [self._refuse_empty(op, t, (ax,))], t.dtype, "int64", lambda n: self.native_argreduce(op, n, ax)
        )
        return self._wrap(native, "int64", shapes.reduce(t.shape, (ax,), False), t.placeholders)

    def _refuse_empty(self, op: str, t: Tensor, axes: tuple[int, ...]) -> Native:
        """NumPy refuses max/min/argmax/argmin over an axis of length 0 (no identity): a
        ``ValueError`` for a known size, a run-time check (as for index bounds) for a size
        known only at run time. Returns ``t``'s native symbol, checked."""
        native = t.native
        for a in axes:
            if t.shape[a] == 0:
                raise ValueError(
                    f"ktensor: {op} over axis {a} of shape {shapes.describe(t.shape)}: a zero-size reduction "
                    f"has no identity (NumPy refuses it too)"
                )
            if t.shape[a] is None:
                zero = self.native_constant(np.zeros((), "int64"))
                nonempty = self.native_elementwise("not_equal", self.native_dim(t.native, a), zero)
                native = self.native_assert(
                    native, nonempty,
                    f"ktensor: {op} over axis {a}, of length 0 at run time: a zero-size reduction has no "
                    f"identity (NumPy refuses it too)",
                )
        return native

    # ======================================================================
    # Helpers of the composed operations.
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

    def _fused_kernel(self, kernel: str, *operations: str) -> Callable[..., Native] | None:
        """The engine's optional fused ``kernel`` for a composition, if it may be used.

        An engine with a faster native op for a composition (``native_softmax``,
        ``native_conv``) defines it as a method, on its class or on a mixin base of it.
        It is used only while the composition is intact: none of ``operations``, nor the
        elementwise and reduction primitives, overridden below the engine class (the most
        basic class that derives from the kernel's and defines ``native_elementwise``), so
        a subclass that changes ``exp`` still sees its ``exp`` inside ``softmax``.
        """
        cls = type(self)
        if getattr(cls, kernel, None) is None:
            return None
        owner = next(c for c in cls.__mro__ if kernel in vars(c))
        engines = [c for c in cls.__mro__ if issubclass(c, owner) and "native_elementwise" in vars(c)]
        if not engines:
            return None
        engine = engines[-1]
        for name in (*operations, "native_elementwise", "native_reduce"):
            if getattr(cls, name) is not getattr(engine, name):
                return None
        return getattr(self, kernel)  # type: ignore[no-any-return]

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

    def _product_operands(self, a: Tensor, b: Tensor) -> tuple[str, str, Native, Native]:
        """NumPy's matmul dtype, the dtype to multiply in, and both operands cast to it."""
        out = dtypes.result_dtype("matmul", a.dtype, b.dtype)
        work = dtypes.product_work_dtype(out)
        return out, work, self._cast_native(a.native, a.dtype, work), self._cast_native(b.native, b.dtype, work)

    def _default_dtype(self, array: np.ndarray, dtype: Any, argument: str) -> str:
        if dtype is not None:
            return dtypes.dtype_name(dtype, argument)
        if array.dtype.kind == "f":
            return config.floatx()
        return dtypes.dtype_name(array.dtype, argument)

    def _filled(
        self, shape: Sequence[int], value: float, dtype: Any, name: str | None = None, operation: str = "zeros"
    ) -> Tensor:
        dt = dtypes.dtype_name(dtype, f"{operation} dtype") if dtype is not None else config.floatx()
        return self._constant_tensor(np.full(_concrete_shape(shape, operation), value, dtype=dt), name)

    def _filled_like(self, x: Operand, value: int, dtype: Any, name: str | None = None) -> Tensor:
        t = self._tensor(x, "like argument")
        dt = dtypes.dtype_name(dtype) if dtype is not None else t.dtype
        if None not in t.shape:
            return self._constant_tensor(np.full(tuple(d or 0 for d in t.shape), value, dtype=dt), name)
        native = self.native_full_like(t.native, np.full((), value, dtype=dt))
        return self._wrap(native, dt, t.shape, t.placeholders, name=name)

    def _random(self, distribution: str, shape: Sequence[int], a: float, b: float, dtype: Any, seed: int | None) -> Tensor:
        dt = dtypes.dtype_name(dtype) if dtype is not None else config.floatx()
        if not dtypes.is_float(dt):
            raise TypeError(f"ktensor: random_{distribution} dtype must be a float dtype; received {dt!r}")
        operation = distribution if distribution == "truncated_normal" else f"random_{distribution}"
        size = _concrete_shape(shape, operation)
        check_distribution(operation, distribution, a, b)
        draw_seed = checked_seed(operation, seed)
        native = self.native_random(distribution, size, float(a), float(b), dt, draw_seed)
        return self._wrap(native, dt, size)

    def _random_like(
        self, distribution: str, like: Tensor, shape: shapes.Shape, a: float, b: float, dtype: str, seed: int | None
    ) -> Tensor:
        """Draws of ``shape``, whose None entries take ``like``'s size on that axis at run
        time (a dropout mask for an unknown batch). Both engines take a symbolic size."""
        if None not in shape:
            return self._random(distribution, tuple(int(d) for d in shape if d is not None), a, b, dtype, seed)
        dims = [
            self.native_dim(like.native, i) if d is None else self.native_constant(np.asarray(d, "int64"))
            for i, d in enumerate(shape)
        ]
        size = self.native_concatenate([self.native_reshape(d, (1,)) for d in dims], 0)
        check_distribution(f"random_{distribution}", distribution, a, b)
        draw_seed = checked_seed(f"random_{distribution}", seed)
        native = self.native_random(distribution, size, float(a), float(b), dtype, draw_seed)
        if sum(d is None for d in shape) == 1:
            # A reshape with the known sizes written out gives the engine the static shape
            # back (PyTensor then knows which dimensions of size 1 broadcast).
            native = self.native_reshape(native, tuple(-1 if d is None else d for d in shape))
        return self._wrap(native, dtype, shape, like.placeholders)

    def _variable(self, v: Any, argument: str) -> Tensor:
        if not isinstance(v, Tensor) or v.role != "variable":
            raise TypeError(f"ktensor: {argument} must be a variable (kt.variable(...)); received {v!r}")
        self._check_mine(v, argument)
        return v


def _concrete_shape(shape: Any, operation: str) -> tuple[int, ...]:
    """A shape of known sizes for creation functions (:func:`ktensor.shapes.concrete`)."""
    return shapes.concrete(shape, operation)


def checked_seed(operation: str, seed: Any) -> int:
    """``seed`` as the engines take it, a fresh one for ``None``; as NumPy's
    ``default_rng``, a float or a negative seed is refused (and a bool, as ``dropout`` does)."""
    if seed is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"ktensor: {operation}: seed must be None or an int >= 0; received {seed!r}")
    if not 0 <= seed <= shapes.MAX_SIZE:
        raise ValueError(f"ktensor: {operation}: seed must be None or an int from 0 to 2**63 - 1; received {seed!r}")
    return int(seed)


def check_distribution(operation: str, distribution: str, a: Any, b: Any, argument: str = "stddev") -> None:
    """NumPy's rule for a draw's spread: the stddev (``b`` of a normal) is a number >= 0
    (``np.random.normal`` refuses ``scale < 0``)."""
    if distribution not in ("normal", "truncated_normal"):
        return
    if isinstance(b, (bool, np.bool_, Tensor)) or not isinstance(b, (int, float, np.integer, np.floating)) or not b >= 0:
        raise ValueError(f"ktensor: {operation}: {argument} must be a number >= 0 (NumPy refuses it too); received {b!r}")




