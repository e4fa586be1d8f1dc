"""``TensorFlowBackend``: TensorFlow 2, symbols built in graph mode, functions run eagerly.

Each instance builds every symbol in one graph of its own (``self.graph``, a
``tf.Graph`` that is never run itself); its variables live in TensorFlow's eager
context. ``kt.function`` copies just the part of that graph its outputs and
updates need into a TensorFlow function of its own and calls it through the eager
executor (:mod:`ktensor.backends.tensorflow.execution`): compiling and calling cost
the same after a thousand functions as after one, and a function's graph is freed
with it. ``clear_session()`` frees the build graph and the variables too.
TensorFlow is imported when this module is, which happens only when the backend
is first used.

Examples:
    >>> import ktensor as kt
    >>> from ktensor.backends import TensorFlowBackend
    >>> b = TensorFlowBackend()
    >>> x = kt.placeholder(shape=(None,), dtype="int32", backend=b)
    >>> f = kt.function([x], x // 2)
    >>> f([-3, 4])
    array([-2,  2], dtype=int32)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np

from ktensor import dtypes
from ktensor.backends import _quiet
from ktensor.backends._quiet import engine_stderr_silenced
from ktensor.backends.base import Backend, CompiledCall, Native
from ktensor.backends.core import ScanStep
from ktensor.shapes import Shape

# Quiet unless the user asked TensorFlow for its logs (TF_CPP_MIN_LOG_LEVEL below 3);
# level 3 alone still lets the oneDNN/CUDA/absl start-up lines through.
_USER_CHOSE_VERBOSITY = _quiet.TF_VERBOSITY_CHOSEN
if not _USER_CHOSE_VERBOSITY:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # also over jax's default of 1
with engine_stderr_silenced(not _USER_CHOSE_VERBOSITY):
    import tensorflow as tf
if not _USER_CHOSE_VERBOSITY:
    tf.get_logger().setLevel("ERROR")

from ktensor.backends.tensorflow import execution, kernels  # noqa: E402 - imports TensorFlow, after the quiet import above
from ktensor.backends.tensorflow.nn import NNKernels  # noqa: E402 - imports TensorFlow, after the quiet import above

_ELEMENTWISE: dict[str, Any] = {
    "add": tf.math.add,
    "subtract": tf.math.subtract,
    "multiply": tf.math.multiply,
    "divide": tf.math.truediv,
    "floor_divide": tf.math.floordiv,
    "mod": tf.math.floormod,
    "power": tf.math.pow,
    "maximum": tf.math.maximum,
    "minimum": tf.math.minimum,
    "equal": tf.math.equal,
    "not_equal": tf.math.not_equal,
    "less": tf.math.less,
    "less_equal": tf.math.less_equal,
    "greater": tf.math.greater,
    "greater_equal": tf.math.greater_equal,
    "bitwise_and": tf.bitwise.bitwise_and,
    "bitwise_or": tf.bitwise.bitwise_or,
    "bitwise_xor": tf.bitwise.bitwise_xor,
    "logical_and": tf.math.logical_and,
    "logical_or": tf.math.logical_or,
    "logical_xor": tf.math.logical_xor,
    "logical_not": tf.math.logical_not,
    "invert": tf.bitwise.invert,
    "negative": tf.math.negative,
    "abs": tf.math.abs,
    "sign": tf.math.sign,
    "sqrt": tf.math.sqrt,
    "exp": tf.math.exp,
    "log": tf.math.log,
    "sin": tf.math.sin,
    "cos": tf.math.cos,
    "tanh": tf.math.tanh,
    "sigmoid": tf.math.sigmoid,
    "round": tf.math.round,  # half to even, as NumPy
    "floor": tf.math.floor,
    "ceil": tf.math.ceil,
    "trunc": kernels.trunc,
    "tan": tf.math.tan,
    "arcsin": tf.math.asin,
    "arccos": tf.math.acos,
    "arctan": tf.math.atan,
    "arctan2": tf.math.atan2,
    "sinh": tf.math.sinh,
    "cosh": tf.math.cosh,
    "arcsinh": tf.math.asinh,
    "arccosh": tf.math.acosh,
    "arctanh": tf.math.atanh,
    "log1p": tf.math.log1p,
    "expm1": tf.math.expm1,
    "log2": kernels.log2,
    "log10": kernels.log10,
    "isnan": tf.math.is_nan,
    "isinf": tf.math.is_inf,
    "erf": kernels.erf,
}
_REDUCE: dict[str, Any] = {
    "sum": tf.math.reduce_sum,
    "prod": tf.math.reduce_prod,
    "max": tf.math.reduce_max,
    "min": tf.math.reduce_min,
    "any": tf.math.reduce_any,
    "all": tf.math.reduce_all,
}

_SMALL_UNSIGNED = {"uint8": "int16", "uint16": "int32", "uint32": "int64", "uint64": "int64"}
_SMALL_INTS = {"int8": "int32", "int16": "int32", **_SMALL_UNSIGNED}
_MATMUL_INTS = {"int8": "int32", "int16": "int32", "uint8": "int32", "uint16": "int32", "uint32": "int64", "uint64": "int64"}
_BOOL_ORDER = {"bool": "int8"}


def _op_name(name: str | None) -> str | None:
    """A TensorFlow op name for a ktensor name: TF allows only ``[A-Za-z0-9_.\\-/>]``
    (and no leading ``_-/>``); the tensor keeps the name as given."""
    if name is None:
        return None
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
    return cleaned if re.match(r"[A-Za-z0-9.]", cleaned) else "t" + cleaned


@attrs.define(eq=False)
class _VariableHandle:
    """An eager resource variable, the placeholder standing for its handle in the build
    graph, and its read there."""

    variable: Any
    placeholder: Any
    read: Any


class TensorFlowBackend(NNKernels, Backend):
    """TensorFlow 2 in graph mode.

    Args:
        jit_compile: ``"auto"`` (the default): each function runs in the graph executor
            and, once hot, moves to XLA when XLA runs it faster
            (:mod:`ktensor.backends.tensorflow.tiering`); ``True``: compile every
            function with XLA, as ``tf.function(jit_compile=True)`` does; ``False``: the
            graph executor only. Functions with a run-time check or a print run without
            XLA in every mode (XLA drops the one and cannot compile the other), and so do
            functions with a random draw or float16 under ``"auto"``.

    Examples:
        >>> import ktensor as kt
        >>> with kt.use_backend("tensorflow"):
        ...     kt.constant([1, 2, 3]).sum().eval()
        array(6)
    """

    name = "tensorflow"
    # (op, dtype) pairs TensorFlow has no CPU kernel or op definition for.
    kernel_widening: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "negative": _SMALL_UNSIGNED,
        # A function's optimiser rewrites 0 - x as Neg(x), which has no unsigned kernel.
        "subtract": _SMALL_UNSIGNED,
        # uint64 has its own power (kernels.unsigned_power): int64 would refuse 2**63 on.
        "power": {k: v for k, v in _SMALL_INTS.items() if k != "uint64"},
        "matmul": _MATMUL_INTS,
        "less": _BOOL_ORDER,
        "less_equal": _BOOL_ORDER,
        "greater": _BOOL_ORDER,
        "greater_equal": _BOOL_ORDER,
        "argmax": {"bool": "int8"},
        "argmin": {"bool": "int8"},
    }

    def __init__(self, jit_compile: bool | str = "auto") -> None:
        super().__init__()
        if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
            raise ValueError(
                f"ktensor: TensorFlowBackend: jit_compile must be True, False or 'auto'; received {jit_compile!r}"
            )
        self.jit_compile: bool | str = jit_compile
        self.graph = tf.Graph()
        # The variables read in self.graph (a handle does not keep its variable alive),
        # and the eager handle each handle placeholder op of self.graph stands for.
        self._variables: list[Any] = []
        self._handles: dict[Any, Any] = {}

    def native_clear_session(self) -> None:
        self.graph = tf.Graph()
        self._variables = []
        self._handles = {}

    def options(self) -> dict[str, Any]:
        return {} if self.jit_compile == "auto" else {"jit_compile": self.jit_compile}

    def _building(self) -> contextlib.AbstractContextManager[Any]:
        """Build in this backend's graph, or in a function graph nested in it: a loop
        body (``tf.while_loop``, ``tf.cond``) is traced into a graph of its own, and the
        operations of the user's step function must land there, next to its inputs."""
        current = tf.compat.v1.get_default_graph()
        graph = current
        while graph is not None:
            if graph is self.graph:
                return contextlib.nullcontext()
            graph = getattr(graph, "outer_graph", None)
        return self.graph.as_default()

    def describe_engine_error(self, error: Exception) -> str:
        # TensorFlow leads with "Graph execution error:" and a node's stack; the
        # kernel's own words sit on the line before the "[[{{node ...}}]]" marker.
        message = getattr(error, "message", str(error))
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        for before, line in itertools.pairwise(lines):
            if line.startswith("[[{{") and "{{node " in line:  # "[[{{function_node body}}{{node ...": in a loop
                # A function's run names the function first: "{{function_node f}} ...".
                # Assert prints its message as a repr, quotes escaped.
                before = before.replace("\\'", "'").replace('\\"', '"')
                return re.sub(r"^(\{\{function_node [^}]*\}\}\s*)+", "", before)
        return super().describe_engine_error(error)

    # -- symbols --------------------------------------------------------------
    def native_dtype(self, x: Native) -> str:
        return str(x.dtype.name)

    def native_shape(self, x: Native) -> Shape:
        return tuple(x.shape.as_list())

    def native_constant(self, value: np.ndarray) -> Native:
        with self._building():
            return tf.constant(value, dtype=value.dtype)

    def native_placeholder(self, shape: Shape, dtype: str, name: str | None) -> Native:
        with self._building():
            return tf.compat.v1.placeholder(dtype, shape=shape, name=_op_name(name))

    def native_variable(self, value: np.ndarray, name: str | None) -> tuple[Native, Any]:
        with tf.init_scope():
            variable = tf.Variable(value, name=_op_name(name))
        self._variables.append(variable)
        with self.graph.as_default():  # even from a loop body: a loop reads it by capture
            placeholder, read = execution.variable_read(variable, self._handles)
        return read, _VariableHandle(variable, placeholder, read)

    def native_get_value(self, handle: Any) -> np.ndarray:
        with tf.init_scope():
            return np.asarray(handle.variable.numpy())

    def native_set_value(self, handle: Any, value: np.ndarray) -> None:
        with tf.init_scope():
            handle.variable.assign(value, read_value=False)

    def native_random(
        self, distribution: str, shape: tuple[int, ...] | Native, a: float, b: float, dtype: str, seed: int
    ) -> Native:
        with self._building():
            if distribution not in ("uniform", "normal"):
                return kernels.random(distribution, shape, a, b, dtype, seed)
            if distribution == "uniform":
                return tf.random.uniform(shape, a, b, dtype=dtype, seed=seed)
            return tf.random.normal(shape, a, b, dtype=dtype, seed=seed)

    # -- math -----------------------------------------------------------------
    def native_cast(self, x: Native, dtype: str) -> Native:
        with self._building():
            return tf.cast(x, dtype)

    def native_elementwise(self, op: str, *xs: Native) -> Native:
        with self._building():
            if op == "power" and xs[0].dtype.is_floating:
                return kernels.float_power(*xs)
            if op == "power" and xs[0].dtype == tf.uint64:
                return kernels.unsigned_power(*xs)
            return _ELEMENTWISE[op](*xs)

    def _kernel(self, op: str, natives: Sequence[Native], work: str, out: str, run: Callable[..., Native]) -> Native:
        if op in ("maximum", "minimum") and dtypes.is_float(work):
            # NumPy's answer on ties (0.0 against -0.0) depends on the dtype computed in,
            # which float16 hides here (it runs in float32).
            ties_first = dtypes.ties_to_first(work)

            def extreme(x: Native, y: Native) -> Native:
                with self._building():
                    return kernels.extreme(op, x, y, ties_first)

            return super()._kernel(op, natives, work, out, extreme)
        return super()._kernel(op, natives, work, out, run)

    def native_reduce(self, op: str, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        with self._building():
            return _REDUCE[op](x, axis=list(axes), keepdims=keepdims)

    def native_argreduce(self, op: str, x: Native, axis: int) -> Native:
        with self._building():
            reduce = tf.math.argmax if op == "argmax" else tf.math.argmin
            found = reduce(x, axis=axis, output_type=tf.int64)
            if not x.dtype.is_floating:
                return found
            # NumPy answers the first NaN; TensorFlow's kernels skip NaNs.
            nan = tf.math.is_nan(x)
            first_nan = tf.math.argmax(tf.cast(nan, tf.int8), axis=axis, output_type=tf.int64)
            return tf.where(tf.reduce_any(nan, axis=axis), first_nan, found)

    def native_matmul(self, x: Native, y: Native) -> Native:
        with self._building():
            return tf.linalg.matmul(x, y)

    def native_tensordot(self, x: Native, y: Native, axis_x: int, axis_y: int) -> Native:
        with self._building():
            return tf.tensordot(x, y, [[axis_x], [axis_y]])

    def native_where(self, condition: Native, x: Native, y: Native) -> Native:
        with self._building():
            return tf.where(condition, x, y)

    def native_softmax(self, x: Native, axis: int) -> Native:
        with self._building():
            return kernels.nan_rows_as_numpy(tf.nn.softmax(x, axis=axis), axis)

    def native_logsumexp(self, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        with self._building():
            return tf.math.reduce_logsumexp(x, axis=list(axes), keepdims=keepdims)

    def native_log_softmax(self, x: Native, axis: int) -> Native:
        with self._building():
            return tf.nn.log_softmax(x, axis=axis)  # a NaN or +inf already makes the whole row NaN

    # -- shapes ---------------------------------------------------------------
    def native_reshape(self, x: Native, shape: tuple[int, ...]) -> Native:
        with self._building():
            return tf.reshape(x, shape)

    def native_transpose(self, x: Native, axes: tuple[int, ...]) -> Native:
        with self._building():
            return tf.transpose(x, axes)

    def native_concatenate(self, xs: Sequence[Native], axis: int) -> Native:
        with self._building():
            return tf.concat(list(xs), axis)

    def native_slice(self, x: Native, key: tuple[Any, ...]) -> Native:
        with self._building():
            return x[tuple(tf.newaxis if k is None else k for k in key)]

    def native_take(self, x: Native, indices: Native, axis: int) -> Native:
        with self._building():
            return tf.gather(x, indices, axis=axis)

    def native_nonzero(self, mask: Native) -> Native:
        with self._building():
            return tf.reshape(tf.where(mask), [-1])

    def native_dim(self, x: Native, axis: int) -> Native:
        with self._building():
            return tf.shape(x, out_type=tf.int64)[axis]

    def native_full_like(self, x: Native, value: np.ndarray) -> Native:
        with self._building():
            return tf.fill(tf.shape(x), tf.constant(value, dtype=value.dtype))

    def native_assert(self, x: Native, condition: Native, message: str) -> Native:
        with self._building(), tf.control_dependencies([tf.debugging.Assert(condition, [message])]):
            return tf.identity(x)

    # -- scans, sorting, linear algebra, control flow ---------------------------------
    def native_cumulative(self, op: str, x: Native, axis: int) -> Native:
        with self._building():
            return kernels.cumulative(op, x, axis)

    def native_sort(self, x: Native, axis: int) -> Native:
        with self._building():
            return kernels.sort(x, axis)

    def native_argsort(self, x: Native, axis: int) -> Native:
        with self._building():
            return kernels.argsort(x, axis)

    def native_top_k(self, x: Native, k: int) -> tuple[Native, Native]:
        with self._building():
            return kernels.top_k(x, k)

    def native_linalg(self, op: str, *xs: Native) -> Native | tuple[Native, ...]:
        with self._building():
            return kernels.linalg(op, *xs)

    def native_cond(self, condition: Native, then_fn: Callable[[], Native], else_fn: Callable[[], Native]) -> Native:
        with self._building():
            return kernels.cond(condition, then_fn, else_fn)

    def native_scan(
        self,
        step: ScanStep,
        sequences: list[Native],
        initial: list[Native],
        reverse: bool,
    ) -> tuple[list[Native], list[Native]]:
        with self._building():
            return kernels.scan(step, sequences, initial, reverse)

    def native_stop_gradient(self, x: Native) -> Native:
        with self._building():
            return kernels.stop_gradient(x)

    def native_print(self, x: Native, message: str) -> Native:
        with self._building():
            return kernels.print_tensor(x, message)

    # -- gradients and execution ---------------------------------------------------
    def native_gradients(self, loss: Native, wrt: Sequence[Native]) -> list[Native | None]:
        with self._building():
            # A gradient of a loop or branch may rewrite its op to output intermediates:
            # functions compiled before hold their own copy, so that is safe here.
            grads = tf.gradients(loss, list(wrt))
            # Gathers (indexing) give IndexedSlices, which a function cannot return as
            # one array, so densify.
            return [None if g is None else tf.convert_to_tensor(g) for g in grads]

    def native_compile(
        self,
        inputs: Sequence[Native],
        outputs: Sequence[Native],
        updates: Sequence[tuple[Any, Native]],
    ) -> CompiledCall:
        pairs = [(handle.placeholder, value) for handle, value in updates]
        return execution.compile_function(  # type: ignore[no-any-return]
            self.graph, self._handles, inputs, outputs, pairs, self.jit_compile, keep_alive=self._variables
        )
