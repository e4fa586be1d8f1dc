"""``TheanoBackend``: Theano's API, run by PyTensor, its maintained fork.

Legacy ``theano`` 1.0.5 cannot import on Python 3.11 with NumPy >= 1.24, so the
"theano" backend runs on PyTensor. PyTensor is imported when this module is,
which happens only when the backend is first used.

Mode. PyTensor's own default is its Numba linker; ktensor's default is the C VM
(``"CVM"``), chosen from the measurements in docs/backends.md: it has the
cheapest small call (about 1.5 µs), caches compiled C code in ``~/.pytensor``
across processes, runs every ktensor check (JAX drops run-time assertions) and
float16, and needs nothing beyond PyTensor. Numba's first calls took seconds to
minutes per function on a cold cache. :mod:`ktensor.backends.theano.modes` adds
ktensor's rewrites to each mode: NumPy's SIMD kernels for the transcendental
functions and large reductions in C code, C loops GCC vectorises, no BLAS-less
``Gemm``, softmax inlined, float16 fusions split, JAX reductions in their
output dtype. Pick another mode with ``TheanoBackend(mode="NUMBA")`` (or
``"FAST_COMPILE"``, ``"JAX"``), or for the default instance with the environment
variable ``KTENSOR_THEANO_MODE``; the test suite uses ``FAST_COMPILE`` (Python
linker, no C compile) for speed.

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

import contextlib
import importlib.util
import logging
import operator
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.traversal import ancestors
from pytensor.raise_op import Assert
from pytensor.tensor.type import TensorType

from ktensor import dtypes
from ktensor.backends.base import Backend, CompiledCall, Native
from ktensor.backends.core import ScanStep
from ktensor.backends.theano import casts, extremes, jax_checks, kernels, modes, tiering
from ktensor.backends.theano.intpow import integer_power
from ktensor.backends.tiering import TieredCall
from ktensor.shapes import Shape

# Without a BLAS library PyTensor logs "Using NumPy C-API based implementation for
# BLAS functions." at C compiles (logger pytensor.tensor.blas): the matmul still runs,
# through NumPy, so the line is only noise. Drop that one message, keep the logger's others.


class _NoBlasNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Using NumPy C-API based implementation for BLAS")


for _name in ("pytensor.tensor.blas", "pytensor.tensor.blas_headers"):
    logging.getLogger(_name).addFilter(_NoBlasNotice())


#: The mode whose functions start in CVM and move to JAX when JAX runs them faster.
AUTO = "AUTO"
DEFAULT_MODE = AUTO

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
_WIDE_INTS = ("int64", "uint64")
_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


class TheanoBackend(Backend):
    """Theano's API on PyTensor.

    Args:
        mode: a PyTensor compile mode (``"CVM"``, ``"NUMBA"``, ``"FAST_COMPILE"``,
            ``"JAX"``, ...) or ``"AUTO"`` (each function in CVM, moved to JAX when JAX
            runs it faster: :mod:`ktensor.backends.theano.tiering`); default
            ``$KTENSOR_THEANO_MODE`` or ``"AUTO"``.

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
        checked = jax_checks.message_of(error)  # a ktensor check that failed inside JAX
        return checked if checked is not None else super().describe_engine_error(error)

    def __init__(self, mode: str | None = None) -> None:
        super().__init__()
        self.mode = mode or os.environ.get("KTENSOR_THEANO_MODE") or DEFAULT_MODE
        # AUTO compiles in CVM first (tiering.py); the engine mode is what the graph is built for.
        engine_mode = "CVM" if self.mode == AUTO else self.mode
        try:  # an unknown mode fails here, not at the first compile
            pytensor.compile.mode.get_mode(engine_mode)
        except ValueError:
            known = ", ".join(sorted([*pytensor.compile.mode.predefined_modes, AUTO, "FAST_RUN"]))
            raise ValueError(
                f"ktensor: TheanoBackend mode must be {AUTO!r} or a PyTensor mode ({known}); received {self.mode!r}"
            ) from None
        if modes.is_jax(engine_mode) and importlib.util.find_spec("jax") is None:
            raise ModuleNotFoundError(
                f"ktensor: TheanoBackend(mode={self.mode!r}) runs PyTensor through JAX, which is not "
                f"installed: pip install jax",
                name="jax",
            )
        self._engine_mode = engine_mode
        self._resolved_mode: Any = None
        self._resolved_jax_mode: Any = None
        self._jax_context: Callable[[], contextlib.AbstractContextManager[Any]] | None = None
        self._engine_context = modes.call_context(engine_mode)
        self._jit = modes.compiles_on_first_call(engine_mode)
        self._compile_lock = threading.Lock()
        # Without JAX installed, AUTO is CVM and costs nothing more.
        self._tiered = self.mode == AUTO and importlib.util.find_spec("jax") is not None

    def options(self) -> dict[str, Any]:
        return {"mode": self.mode}

    @property
    def _compile_mode(self) -> Any:
        """The resolved PyTensor mode, made at the first compile: finding out whether
        PyTensor links a BLAS takes about 0.3 s, which a first C compile pays anyway."""
        if self._resolved_mode is None:
            mode = modes.compile_mode(self._engine_mode)  # two threads at once make two equal modes
            self._resolved_mode = modes.with_jax_inner_graphs(mode, lambda: self._jax_mode) if self._tiered else mode
        return self._resolved_mode

    @property
    def _jax_mode(self) -> Any:
        """The resolved JAX mode of an AUTO backend's JAX compiles (made at the first)."""
        if self._resolved_jax_mode is None:
            self._resolved_jax_mode = modes.compile_mode("JAX")
        return self._resolved_jax_mode

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
        value = handle.get_value()
        # In JAX mode a variable holds a JAX array after its first update: a copy
        # that the caller may write to, as in the other modes.
        return value if type(value) is np.ndarray else np.array(value)

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
        return casts.cast(x, dtype)

    def _kernel(self, op: str, natives: Sequence[Native], work: str, out: str, run: Callable[..., Native]) -> Native:
        runs_in = dtypes.compute_dtype(work)
        if op in ("maximum", "minimum") and not self._jit and dtypes.ties_to_first(work) != dtypes.ties_to_first(runs_in):
            # NumPy's tie rule (0.0 against -0.0) is the work dtype's, but float16 runs in
            # float32 here: swap, so the float32 select's second operand is x (NaN still
            # comes from either side).
            extreme = extremes.maximum if op == "maximum" else extremes.minimum
            return super()._kernel(op, natives, work, out, lambda x, y: extreme(y, x))
        return super()._kernel(op, natives, work, out, run)

    def native_elementwise(self, op: str, *xs: Native) -> Native:
        if op in ("maximum", "minimum") and not self._jit:
            # PyTensor's C code branches through a NaN call and double: extremes.py.
            return (extremes.maximum if op == "maximum" else extremes.minimum)(*xs)
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
        if op == "power" and xs[0].dtype.startswith("float"):
            return kernels.float_power(*xs)
        if op == "power" and xs[0].dtype in _INTS and not self._jit:
            # C's double pow in PyTensor's C code (Numba and JAX are exact): intpow.py.
            return integer_power(*xs)
        return _ELEMENTWISE[op](*xs)

    def native_reduce(self, op: str, x: Native, axes: tuple[int, ...], keepdims: bool) -> Native:
        if op == "min" and x.dtype in _INTS:
            # PyTensor's min of signed ints is -max(-x), which overflows at the dtype's
            # minimum; ~x reverses the order of any integer type without overflow.
            return pt.invert(self.native_reduce("max", pt.invert(x), axes, keepdims))
        if op == "max" and x.dtype in _WIDE_INTS:
            # The C max reduction shares that double detour; argmax compares exactly,
            # so pick the largest element axis by axis.
            # take_along_axis forgets the static shape: state it again.
            kept = tuple(1 if a in axes else n for a, n in enumerate(x.type.shape))
            for axis in sorted(axes, reverse=True):
                x = pt.take_along_axis(x, pt.argmax(x, axis=axis, keepdims=True), axis=axis)
            x = pt.specify_shape(x, kept)
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
        mode = self._compile_mode  # resolved outside the engine context (it reads JAX's global settings)
        with self._compile_lock, self._engine_context(), _quiet_compile():
            function = pytensor.function(
                list(inputs),
                list(outputs),
                updates=list(updates),
                mode=mode,
                on_unused_input="ignore",
            )
        function.trust_input = True
        lock = threading.Lock()
        acquire, release = lock.acquire, lock.release  # 60 ns a call less than `with lock`
        context = self._engine_context
        if self._jit:
            # Numba and JAX compile on the first call: that call holds the compile lock.
            compiled = [False]
            compile_lock = self._compile_lock

            def call_jit(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
                with lock, context():
                    if compiled[0]:
                        return function(*arrays)  # type: ignore[no-any-return]
                    with compile_lock:
                        results = function(*arrays)
                    compiled[0] = True
                    return results  # type: ignore[no-any-return]

            return call_jit

        def call(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
            acquire()
            try:
                return function(*arrays)  # type: ignore[no-any-return]
            finally:
                release()

        if not self._tiered:
            return call
        why_not = _why_not_jax([*outputs, *(value for _, value in updates)])
        if why_not is not None:
            return TieredCall(call, None, label="a function", base="CVM", why_not=why_not)
        alternative = tiering.JaxAlternative(self._jax_candidate(inputs, outputs, updates))
        return TieredCall(call, alternative, label="a function", base="CVM")

    def _jax_candidate(
        self, inputs: Sequence[Native], outputs: Sequence[Native], updates: Sequence[tuple[Any, Native]]
    ) -> tiering.Candidate:
        """The JAX side of an AUTO function: its graph with the updates as outputs (tiering.py)."""
        values = [value for _, value in updates]

        def context() -> contextlib.AbstractContextManager[Any]:  # JAX is imported at the first use
            if self._jax_context is None:
                self._jax_context = modes.call_context("JAX")
            return self._jax_context()

        def build() -> Any:
            mode = self._jax_mode  # resolved outside the engine context, as in native_compile
            with self._compile_lock, context(), _quiet_compile():
                function = pytensor.function(list(inputs), [*outputs, *values], mode=mode, on_unused_input="ignore")
            function.trust_input = True
            return function

        containers = [handle.container for handle, _ in updates]
        return tiering.Candidate(build, context, len(outputs), containers, self._compile_lock)


def _why_not_jax(results: Sequence[Native]) -> str | None:
    """Why an AUTO function computing ``results`` (outputs and updates) must stay in CVM, or ``None``."""
    for variable in ancestors(results):
        if isinstance(variable, SharedVariable) and (
            not isinstance(variable.type, TensorType) or getattr(variable, "default_update", None) is not None
        ):
            return "a random draw (its generator is a shared variable PyTensor advances itself)"
        if getattr(variable.type, "dtype", None) == "float16":
            return "float16 (CVM computes it in float32 and rounds, as NumPy; XLA's rounding differs)"
    return None


@contextlib.contextmanager
def _quiet_compile() -> Iterator[None]:
    """The warnings PyTensor gives at a compile that are only noise for ktensor's users."""
    with warnings.catch_warnings():
        # A pip-installed PyTensor finds no BLAS and says so at C compiles; matmul
        # still runs (through NumPy).
        warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
        # The JAX linker warns for each Assert it would drop; ktensor's run through
        # jax.debug.callback instead (jax_checks), PyTensor's own are dropped.
        warnings.filterwarnings("ignore", message="Skipping .* as JAX tracing would remove it")
        # ... and compiles a random draw with a copy of its generator, advanced as in other modes.
        warnings.filterwarnings("ignore", message="The RandomType SharedVariables")
        yield
