"""``TheanoBackend``: Theano's API, run by PyTensor, its maintained fork.

Legacy ``theano`` 1.0.5 cannot import on Python 3.11 with NumPy >= 1.24, so the
"theano" backend runs on PyTensor. PyTensor is imported when this module is,
which happens only when the backend is first used.

Mode. PyTensor's own default is its Numba linker; ktensor's default is the C VM
(``"CVM"``), chosen for users: on this project's 2-core machine a cold compile
of a small function took 1.3 s with CVM against 4.9 s with Numba, steady calls of
a 1000x1000 float32 tanh + matmul were a tie (21 vs 20 ms), a 2x2 call costs
1.5 µs with ``trust_input`` (Numba 4.0 µs), and compiled C code is cached in
``~/.pytensor`` across processes. Numba cannot run float16 at all. Pick another
mode with ``TheanoBackend(mode="NUMBA")`` (or ``"FAST_COMPILE"``, ``"JAX"``), or
for the default instance with the environment variable ``KTENSOR_THEANO_MODE``;
the test suite uses ``FAST_COMPILE`` (Python linker, no C compile) for speed.

Execution path. ``pytensor.function`` with ``trust_input = True``: ktensor's
``Function`` has already checked and cast every argument, so PyTensor's own
checks would only repeat them. Measured here for a 2x2 add in CVM mode: a plain
``pytensor.function`` call 1.8 µs, with ``trust_input`` 0.7 µs, through
``ktensor.Function`` (argument checks included) 2.1 µs. A PyTensor function
is not thread-safe, so each compiled call holds a lock.

Examples:
    >>> import ktensor as kt
    >>> from ktensor.backends import TheanoBackend
    >>> b = TheanoBackend(mode="FAST_COMPILE")
    >>> x = kt.placeholder(shape=(None,), dtype="int32", backend=b)
    >>> f = kt.function([x], x // 2)
    >>> f([-3, 4])
    array([-2,  2], dtype=int32)
"""

from __future__ import annotations

import logging
import operator
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.raise_op import Assert

from ktensor.backends.base import Backend, CompiledCall, Native
from ktensor.backends.core import ScanStep
from ktensor.backends.theano import kernels
from ktensor.shapes import Shape

# Without a BLAS library PyTensor logs "Using NumPy C-API based implementation for
# BLAS functions." at C compiles (logger pytensor.tensor.blas): the matmul still runs,
# through NumPy, so the line is only noise. Drop that one message, keep the logger's others.


class _NoBlasNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Using NumPy C-API based implementation for BLAS")


for _name in ("pytensor.tensor.blas", "pytensor.tensor.blas_headers"):
    logging.getLogger(_name).addFilter(_NoBlasNotice())


DEFAULT_MODE = "CVM"

_ELEMENTWISE: dict[str, Any] = {
    "add": pt.add,
    "subtract": pt.sub,
    "multiply": pt.mul,
    "divide": pt.true_div,
    "floor_divide": operator.floordiv,
    "mod": pt.mod,
    "power": pt.pow,
    "maximum": pt.maximum,
    "minimum": pt.minimum,
    "equal": pt.eq,
    "not_equal": pt.neq,
    "less": pt.lt,
    "less_equal": pt.le,
    "greater": pt.gt,
    "greater_equal": pt.ge,
    "bitwise_and": pt.bitwise_and,
    "bitwise_or": pt.bitwise_or,
    "bitwise_xor": pt.bitwise_xor,
    "logical_and": pt.and_,
    "logical_or": pt.or_,
    "logical_xor": pt.xor,
    "logical_not": pt.invert,
    "invert": pt.invert,
    "negative": pt.neg,
    "abs": pt.abs,
    "sign": pt.sign,
    "sqrt": pt.sqrt,
    "exp": pt.exp,
    "log": pt.log,
    "sin": pt.sin,
    "cos": pt.cos,
    "tanh": pt.tanh,
    "sigmoid": pt.sigmoid,
    "round": pt.round_half_to_even,
    "floor": pt.floor,
    "ceil": pt.ceil,
    "trunc": pt.trunc,
    "tan": pt.tan,
    "arcsin": pt.arcsin,
    "arccos": pt.arccos,
    "arctan": pt.arctan,
    "arctan2": pt.arctan2,
    "sinh": pt.sinh,
    "cosh": pt.cosh,
    "arcsinh": pt.arcsinh,
    "arccosh": pt.arccosh,
    "arctanh": pt.arctanh,
    "log1p": pt.log1p,
    "expm1": pt.expm1,
    "log2": pt.log2,
    "log10": pt.log10,
    "isnan": pt.isnan,
    "isinf": pt.isinf,
    "erf": kernels.erf,
}
_REDUCE: dict[str, Any] = {
    "sum": pt.sum,
    "prod": pt.prod,
    "max": pt.max,
    "min": pt.min,
    "any": pt.any,
    "all": pt.all,
}
# PyTensor's algebra assumes finite values: 0/x -> 0, x/x -> 1, x-x -> 0, x*0 -> 0,
# x == x -> True, x + 0 -> x, which NumPy answers otherwise for nan, inf and -0.0. Leave those rewrites
# out (fusion still merges the elementwise ops they would have removed), and the
# neg-to-mul rewrite, which fails loudly (a logged traceback) on unsigned ints.
_WIDE_INTS = ("int64", "uint64")
_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_EXCLUDED_REWRITES = (
    "local_zero_div",
    "local_mul_canonizer",
    "local_add_canonizer",
    "mul_canonizer_groups",
    "add_canonizer_group",
    "local_mul_zero",
    "local_mul_specialize",
    "local_elemwise_sub_zeros",
    "local_add_remove_zeros",
    "local_useless_elemwise",
    "local_neg_to_mul",
)

class TheanoBackend(Backend):
    """Theano's API on PyTensor.

    Args:
        mode: a PyTensor compile mode (``"CVM"``, ``"NUMBA"``, ``"FAST_COMPILE"``,
            ``"JAX"``, ...); default ``$KTENSOR_THEANO_MODE`` or ``"CVM"``.

    Examples:
        >>> import ktensor as kt
        >>> with kt.use_backend("theano"):
        ...     kt.constant([1, 2, 3]).sum().eval()
        array(6)
    """

    name = "theano"

    # PyTensor fixes broadcasting from static shapes: a dimension that was None
    # when built and is 1 at run time raises instead of broadcasting.
    runtime_broadcasting = False

    def describe_engine_error(self, error: Exception) -> str:
        if "Runtime broadcasting not allowed" in str(error):
            return (
                "PyTensor cannot broadcast a dimension that was unknown (None) when the expression "
                "was built and is 1 at run time; give that dimension as 1 in the placeholder's shape"
            )
        return super().describe_engine_error(error)

    def __init__(self, mode: str | None = None) -> None:
        super().__init__()
        self.mode = mode or os.environ.get("KTENSOR_THEANO_MODE") or DEFAULT_MODE
        query: Any = pytensor.compile.mode.get_mode(self.mode).excluding(*_EXCLUDED_REWRITES)
        # A Mode resolves its rewrite query against PyTensor's database at every
        # compile (about 3 ms); resolve it once. The rewriter object is then shared
        # by this backend's compiles, which the compile lock keeps one at a time.
        self._compile_mode = query.clone(optimizer=query.optimizer)
        # PyTensor derives modes from a function's mode (OpFromGraph and scan compile
        # their inner graphs with mode.excluding(...)), which a resolved rewriter
        # cannot do: derive from the unresolved query instead. Without this, constant
        # folding of Softmax and first calls of OpFromGraph ops failed with "'Sequential
        # GraphRewriter' object has no attribute 'excluding'" and printed tracebacks.
        for derive in ("excluding", "including", "requiring"):
            setattr(self._compile_mode, derive, getattr(query, derive))
        self._compile_lock = threading.Lock()

    def options(self) -> dict[str, Any]:
        return {"mode": self.mode}

    # -- symbols --------------------------------------------------------------
    def native_dtype(self, x: Native) -> str:
        return str(x.type.dtype)

    def native_shape(self, x: Native) -> Shape:
        return tuple(x.type.shape)

    def native_constant(self, value: np.ndarray) -> Native:
        return pt.constant(value, dtype=value.dtype.name)

    def native_placeholder(self, shape: Shape, dtype: str, name: str | None) -> Native:
        return pt.tensor(name=name, dtype=dtype, shape=shape)

    def native_variable(self, value: np.ndarray, name: str | None) -> tuple[Native, Any]:
        shared = pytensor.shared(value, name=name, shape=value.shape)
        return shared, shared

    def native_get_value(self, handle: Any) -> np.ndarray:
        return np.asarray(handle.get_value())

    def native_set_value(self, handle: Any, value: np.ndarray) -> None:
        handle.set_value(value)

    def native_random(
        self, distribution: str, shape: tuple[int, ...] | Native, a: float, b: float, dtype: str, seed: int
    ) -> Native:
        if distribution not in ("uniform", "normal"):
            return kernels.random(distribution, shape, a, b, dtype, seed)
        rng = pytensor.shared(np.random.default_rng(seed))
        next_rng, draw = getattr(pt.random, distribution)(
            a, b, size=shape, rng=rng, dtype=dtype, return_next_rng=True
        )
        # PyTensor applies a shared variable's default_update after every call, so
        # each run draws new numbers as TensorFlow does, with no update for the user
        # to thread through. PyTensor 3 deprecates the attribute but still honours it;
        # the alternative would make every random tensor carry an explicit update.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rng.default_update = next_rng
        return draw

    # -- math -----------------------------------------------------------------
    def native_cast(self, x: Native, dtype: str) -> Native:
        return pt.cast(x, dtype)

    def native_elementwise(self, op: str, *xs: Native) -> Native:
        if op in ("maximum", "minimum") and xs[0].dtype in _WIDE_INTS:
            # PyTensor's C maximum/minimum go through double (its NaN branch):
            # exact only below 2**53. A select keeps 64-bit integers exact.
            x, y = xs
            return pt.switch((pt.ge if op == "maximum" else pt.le)(x, y), x, y)
        if op == "negative" and xs[0].dtype.startswith("uint"):
            # PyTensor's neg of unsigned ints (and 0 - x, rewritten to it) logs a
            # rewrite failure, and its Python cast of negative ints to unsigned
            # overflows: the two's complement ~x + 1 wraps as NumPy does.
            return pt.add(pt.invert(xs[0]), np.ones((), xs[0].dtype))
        return _ELEMENTWISE[op](*xs)

    def native_reduce(self, op: str, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        if op == "min" and x.dtype in _INTS:
            # PyTensor's min of signed ints is -max(-x), which overflows at the dtype's
            # minimum; ~x reverses the order of any integer type without overflow.
            return pt.invert(self.native_reduce("max", pt.invert(x), axes, keepdims))
        if op == "max" and x.dtype in _WIDE_INTS:
            # The C max reduction shares that double detour; argmax compares exactly,
            # so pick the largest element axis by axis.
            for axis in sorted(axes, reverse=True):
                x = pt.take_along_axis(x, pt.argmax(x, axis=axis, keepdims=True), axis=axis)
            return x if keepdims else pt.squeeze(x, axis=axes)
        return _REDUCE[op](x, axis=axes, keepdims=keepdims)

    def native_argreduce(self, op: str, x: Native, axis: int) -> Native:
        if op == "argmin" and x.dtype in _INTS:
            return pt.argmax(pt.invert(x), axis=axis)  # PyTensor's argmax(-x) overflows, as min
        return (pt.argmax if op == "argmax" else pt.argmin)(x, axis=axis)

    def native_matmul(self, x: Native, y: Native) -> Native:
        return pt.matmul(x, y)

    def native_tensordot(self, x: Native, y: Native, axis_x: int, axis_y: int) -> Native:
        return pt.tensordot(x, y, axes=[[axis_x], [axis_y]])

    def native_where(self, condition: Native, x: Native, y: Native) -> Native:
        return pt.where(condition, x, y)

    def native_softmax(self, x: Native, axis: int) -> Native:
        return pt.special.softmax(x, axis=axis)

    def native_logsumexp(self, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        return pt.logsumexp(x, axis=axes, keepdims=keepdims)

    def native_log_softmax(self, x: Native, axis: int) -> Native:
        return pt.special.log_softmax(x, axis=axis)

    # -- shapes ---------------------------------------------------------------
    def native_reshape(self, x: Native, shape: tuple[int, ...]) -> Native:
        return pt.reshape(x, shape, ndim=len(shape))

    def native_transpose(self, x: Native, axes: tuple[int, ...]) -> Native:
        return pt.transpose(x, axes)

    def native_concatenate(self, xs: Sequence[Native], axis: int) -> Native:
        return pt.concatenate(list(xs), axis=axis)

    def native_slice(self, x: Native, key: tuple[Any, ...]) -> Native:
        return x[key]

    def native_take(self, x: Native, indices: Native, axis: int) -> Native:
        return pt.take(x, indices, axis=axis)

    def native_nonzero(self, mask: Native) -> Native:
        return pt.cast(pt.nonzero(mask)[0], "int64")

    def native_dim(self, x: Native, axis: int) -> Native:
        return pt.cast(x.shape[axis], "int64")

    def native_full_like(self, x: Native, value: np.ndarray) -> Native:
        return pt.alloc(pt.constant(value, dtype=value.dtype.name), *[x.shape[i] for i in range(x.ndim)])

    def native_assert(self, x: Native, condition: Native, message: str) -> Native:
        return Assert(message)(x, condition)

    # -- scans, sorting, linear algebra, control flow ---------------------------------
    def native_cumulative(self, op: str, x: Native, axis: int) -> Native:
        return kernels.cumulative(op, x, axis)

    def native_sort(self, x: Native, axis: int) -> Native:
        return kernels.sort(x, axis)

    def native_argsort(self, x: Native, axis: int) -> Native:
        return kernels.argsort(x, axis)

    def native_top_k(self, x: Native, k: int) -> tuple[Native, Native]:
        return kernels.top_k(x, k)

    def native_linalg(self, op: str, *xs: Native) -> Native | tuple[Native, ...]:
        return kernels.linalg(op, *xs)

    def native_cond(self, condition: Native, then_fn: Callable[[], Native], else_fn: Callable[[], Native]) -> Native:
        return kernels.cond(condition, then_fn, else_fn)

    def native_scan(
        self,
        step: ScanStep,
        sequences: list[Native],
        initial: list[Native],
        reverse: bool,
    ) -> tuple[list[Native], list[Native]]:
        # The loop body compiles in its own mode unless told: use the backend's.
        return kernels.scan(step, sequences, initial, reverse, mode=self._compile_mode)

    def native_stop_gradient(self, x: Native) -> Native:
        return kernels.stop_gradient(x)

    def native_print(self, x: Native, message: str) -> Native:
        return kernels.print_tensor(x, message)

    # -- gradients and execution ---------------------------------------------------
    def native_gradients(self, loss: Native, wrt: Sequence[Native]) -> list[Native | None]:
        grads = pytensor.grad(loss, list(wrt), disconnected_inputs="ignore", return_disconnected="none")
        return list(grads)  # type: ignore[arg-type]  # a list in, a list out

    def native_compile(
        self,
        inputs: Sequence[Native],
        outputs: Sequence[Native],
        updates: Sequence[tuple[Any, Native]],
    ) -> CompiledCall:
        with self._compile_lock, warnings.catch_warnings():
            # A pip-installed PyTensor finds no BLAS and says so at C compiles; matmul
            # still runs (through NumPy), so the warning is only noise for users.
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            function = pytensor.function(
                list(inputs),
                list(outputs),
                updates=list(updates),
                mode=self._compile_mode,
                on_unused_input="ignore",
            )
        function.trust_input = True
        lock = threading.Lock()
        acquire, release = lock.acquire, lock.release  # 60 ns a call less than `with lock`

        def call(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
            acquire()
            try:
                return function(*arrays)  # type: ignore[no-any-return]
            finally:
                release()

        return call
