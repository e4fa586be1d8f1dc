"""How each variant builds, compiles and calls a workload.

A runner is one variant: ktensor on a backend instance, hand-written native
code of an engine in one of its modes/paths, or NumPy. Every runner splits the
work the same way so the numbers compare:

* ``fresh()`` — untimed set-up of a clean context (a new backend instance, a new
  ``tf.Graph`` and session), so one build never pays for the previous one's graph;
* ``build(ctx, workload, size, params)`` — timed: placeholders, variables and the
  expression;
* ``compile(ctx, built)`` — timed together with the first call by the measurer:
  whatever the engine does before steady calls (PyTensor's Numba mode compiles on
  the first call, TensorFlow optimises the graph on the first run).

The returned call takes the list of NumPy input arrays and returns NumPy arrays,
as a user of each path would get them.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from benchmarks.model import Variant
from benchmarks.workloads import Workload

Call = Callable[[Sequence[np.ndarray]], Any]


class Runner(ABC):
    """One variant's way of building, compiling and calling a workload."""

    variant: Variant

    def unavailable(self) -> str | None:
        """Why this variant cannot run on this machine, or None."""
        return None

    def fresh(self) -> Any:
        """An untimed clean context for one build."""
        return None

    @abstractmethod
    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        """Build the workload's expression (timed)."""

    @abstractmethod
    def compile(self, ctx: Any, built: Any) -> Call:
        """Compile what ``build`` returned into a call on NumPy arrays (timed with a first call)."""


def _input_specs(workload: Workload, size: int) -> list[tuple[tuple[int, ...], str]]:
    arrays = workload.make_inputs(size, np.random.default_rng(0))
    return [(a.shape, a.dtype.name) for a in arrays]


# -- ktensor ---------------------------------------------------------------------------------
def _kt_program(workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
    """The workload as a :class:`ktensor.compare.program.Program`: ``kt.compare``'s builder."""
    import ktensor as kt
    from ktensor.compare.program import InputSpec, Program, Step

    def fn(*inputs: Any, **variables: Any) -> Step:
        result = workload.kt_math(kt, variables, *inputs)
        return Step(list(result.outputs), list(result.updates))

    specs = [InputSpec(f"x{i}", s, d) for i, (s, d) in enumerate(_input_specs(workload, size))]
    return Program(fn, specs, [], variables=list(params.items()), keyword_variables=True)


@attrs.define
class KtensorRunner(Runner):
    """ktensor on a fresh backend instance per build (``factory`` makes one).

    Built and compiled by ``kt.compare``'s own machinery (:mod:`ktensor.compare.program`):
    placeholders shaped like the inputs, ``kt.variable`` per parameter, the workload's
    ``kt_math``, then ``kt.function`` with its updates.
    """

    variant: Variant
    factory: Callable[[], Any]
    engine_module: str

    def unavailable(self) -> str | None:
        if importlib.util.find_spec(self.engine_module) is None:
            return f"{self.engine_module} is not installed"
        return None

    def fresh(self) -> Any:
        return self.factory()

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        return _kt_program(workload, size, params).build(ctx)

    def compile(self, ctx: Any, built: Any) -> Call:
        from ktensor.compare.program import compile_built

        return compile_built(built)


# -- native PyTensor ---------------------------------------------------------------------------
@attrs.define
class PyTensorRunner(Runner):
    """Hand-written PyTensor: ``pytensor.function`` in ``mode``.

    ``trust_input=True`` is the engine's fastest call path (the caller guarantees
    exact dtypes); ``False`` is the plain call a user writes by hand.
    """

    variant: Variant
    mode: str
    trust_input: bool = True

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("pytensor") is None:
            return "pytensor is not installed"
        if self.mode == "JAX" and importlib.util.find_spec("jax") is None:
            return "jax is not installed"
        return None

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        import pytensor
        import pytensor.tensor as pt

        import ktensor.backends.theano  # noqa: F401 - quiets PyTensor's BLAS log line, for native code too

        inputs = [pt.tensor(f"x{i}", dtype=d, shape=s) for i, (s, d) in enumerate(_input_specs(workload, size))]
        shared = {k: pytensor.shared(v.copy(), name=k, shape=v.shape) for k, v in params.items()}
        return inputs, shared, workload.pt_math(pt, shared, *inputs)

    def compile(self, ctx: Any, built: Any) -> Call:
        import warnings

        import pytensor

        inputs, shared, result = built
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            f = pytensor.function(
                inputs, list(result.outputs), updates=[(shared[k], v) for k, v in result.updates], mode=self.mode
            )
        f.trust_input = self.trust_input
        if self.mode != "JAX":
            return lambda arrays: f(*arrays)
        traced: list[bool] = []

        # JAX dispatches asynchronously: a call returns before XLA has computed its outputs.
        # NumPy arrays, as every other variant returns, make each timed call wait for them
        # (without, a 1024x1024 sum read 34 µs against NumPy's 400).
        def call(arrays: Sequence[np.ndarray]) -> Any:
            if traced:
                return [np.asarray(o) for o in f(*arrays)]
            traced.append(True)
            # The first call traces: JAX warns, once a line, that PyTensor's float64
            # accumulators of float32 sums are truncated (ktensor's JAX mode has none).
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Explicitly requested dtype float64")
                return [np.asarray(o) for o in f(*arrays)]

        return call


# -- native TensorFlow ------------------------------------------------------------------------
@attrs.define
class TensorFlowGraphRunner(Runner):
    """Hand-written TensorFlow graph code run by a ``tf.compat.v1.Session``.

    ``path="make_callable"`` is the engine's fastest path for NumPy feeds;
    ``"session.run"`` is the plain call a user writes by hand.
    """

    variant: Variant
    jit_compile: bool = False
    path: str = "make_callable"

    def unavailable(self) -> str | None:
        return None if importlib.util.find_spec("tensorflow") else "tensorflow is not installed"

    def fresh(self) -> Any:
        from ktensor.backends import _quiet

        with _quiet.engine_stderr_silenced():
            import tensorflow as tf
        graph = tf.Graph()
        config = tf.compat.v1.ConfigProto()
        config.graph_options.place_pruned_graph = True
        if self.jit_compile:
            config.graph_options.optimizer_options.global_jit_level = tf.compat.v1.OptimizerOptions.ON_1
        return graph, tf.compat.v1.Session(graph=graph, config=config)

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        import tensorflow as tf

        graph, session = ctx
        with graph.as_default():
            inputs = [tf.compat.v1.placeholder(d, shape=s) for s, d in _input_specs(workload, size)]
            variables = {k: tf.Variable(v, name=k) for k, v in params.items()}
            result = workload.tf_math(tf, variables, *inputs)
            if variables:
                session.run([v.initializer for v in variables.values()])
        return inputs, variables, result

    def compile(self, ctx: Any, built: Any) -> Call:
        import tensorflow as tf

        graph, session = ctx
        inputs, variables, result = built
        outputs = list(result.outputs)
        fetches: list[Any] = list(outputs)
        with graph.as_default():
            if result.updates:
                with tf.control_dependencies(outputs + [v for _, v in result.updates]):
                    fetches.append(tf.group(*[variables[k].assign(v) for k, v in result.updates]))
        count = len(outputs)
        if self.path == "session.run":
            return lambda arrays: session.run(fetches, dict(zip(inputs, arrays)))[:count]
        if count == 1 and len(fetches) == 1:
            single = session.make_callable(fetches[0], feed_list=inputs)
            return lambda arrays: [single(*arrays)]
        runner = session.make_callable(fetches, feed_list=inputs)
        return lambda arrays: runner(*arrays)[:count]


@attrs.define
class TensorFlowFunctionRunner(Runner):
    """Hand-written TensorFlow 2 code in a ``tf.function`` with eager variables.

    The default way TF2 users write it; outputs are converted to NumPy.
    """

    variant: Variant
    jit_compile: bool = False

    def unavailable(self) -> str | None:
        return None if importlib.util.find_spec("tensorflow") else "tensorflow is not installed"

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        from ktensor.backends import _quiet

        with _quiet.engine_stderr_silenced():
            import tensorflow as tf
        variables = {k: tf.Variable(v, name=k) for k, v in params.items()}
        specs = [tf.TensorSpec(s, d) for s, d in _input_specs(workload, size)]

        def step(*xs: Any) -> list[Any]:
            result = workload.tf_math(tf, variables, *xs)
            for name, value in result.updates:
                variables[name].assign(value)
            return list(result.outputs)

        return tf.function(step, input_signature=specs, jit_compile=self.jit_compile or None)

    def compile(self, ctx: Any, built: Any) -> Call:
        return lambda arrays: [o.numpy() for o in built(*arrays)]


# -- NumPy ---------------------------------------------------------------------------------------
@attrs.define
class NumPyRunner(Runner):
    """The NumPy code a user would otherwise write; updates applied in place."""

    variant: Variant

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        return workload, {k: v.copy() for k, v in params.items()}

    def compile(self, ctx: Any, built: Any) -> Call:
        workload, state = built

        def call(arrays: Sequence[np.ndarray]) -> list[Any]:
            result = workload.np_math(np, state, *arrays)
            for name, value in result.updates:
                state[name] = value
            return list(result.outputs)

        return call


# -- native JAX ---------------------------------------------------------------------------------
@attrs.define
class JaxRunner(Runner):
    """Hand-written JAX: one ``jax.jit`` step taking and returning the parameters.

    The first call traces and compiles (timed as the compile); each call converts its
    outputs to NumPy, which waits for them.
    """

    variant: Variant

    def unavailable(self) -> str | None:
        return None if importlib.util.find_spec("jax") else "jax is not installed"

    def build(self, ctx: Any, workload: Workload, size: int, params: dict[str, np.ndarray]) -> Any:
        import jax

        from benchmarks.workloads_jax import JAX_MATH

        math = JAX_MATH[workload.name]

        def step(state: dict[str, Any], *inputs: Any) -> tuple[list[Any], dict[str, Any]]:
            result = math(jax, state, *inputs)
            return list(result.outputs), {**state, **dict(result.updates)}

        state = {k: jax.numpy.asarray(v) for k, v in params.items()}
        return jax.jit(step), state

    def compile(self, ctx: Any, built: Any) -> Call:
        jitted, state = built
        held = [state]

        def call(arrays: Sequence[np.ndarray]) -> list[Any]:
            outputs, held[0] = jitted(held[0], *arrays)
            return [np.asarray(o) for o in outputs]

        return call


# -- the variant table -------------------------------------------------------------------------------
def _ktensor_theano(mode: str) -> Callable[[], Any]:
    def factory() -> Any:
        from ktensor.backends import TheanoBackend

        return TheanoBackend(mode=mode)

    return factory


def _ktensor_tensorflow(jit_compile: bool | str) -> Callable[[], Any]:
    def factory() -> Any:
        from ktensor.backends import TensorFlowBackend

        return TensorFlowBackend(jit_compile=jit_compile)

    return factory


def all_runners() -> list[Runner]:
    """Every variant, in table order: NumPy, then per engine ktensor beside its native paths, then JAX.

    Names say who wrote the code (``ktensor``: built once through ktensor; ``native``: by
    hand in the engine's own API), then the engine and its mode or path.
    """
    runners: list[Runner] = [NumPyRunner(Variant("numpy", "numpy", "numpy", "-"))]
    for mode, needs in (("CVM", "pytensor"), ("NUMBA", "pytensor"), ("JAX", "jax")):
        runners.append(
            KtensorRunner(Variant(f"ktensor theano/{mode}", "ktensor", "theano", mode), _ktensor_theano(mode), needs)
        )
        runners.append(PyTensorRunner(Variant(f"native pytensor/{mode}", "native", "theano", mode), mode))
    # AUTO: each function in CVM, moved to JAX when JAX runs it faster (no native peer).
    runners.append(KtensorRunner(Variant("ktensor theano/AUTO", "ktensor", "theano", "AUTO"), _ktensor_theano("AUTO"), "jax"))
    runners.append(
        PyTensorRunner(Variant("native pytensor/CVM plain call", "native", "theano", "plain"), "CVM", trust_input=False)
    )
    for jit, label in ((False, "graph"), (True, "xla")):
        runners.append(
            KtensorRunner(
                Variant(f"ktensor tensorflow/{label}", "ktensor", "tensorflow", label), _ktensor_tensorflow(jit),
                "tensorflow",
            )
        )
        runners.append(
            TensorFlowGraphRunner(Variant(f"native tensorflow/{label}", "native", "tensorflow", label), jit_compile=jit)
        )
    # auto: each function in the graph executor, moved to XLA when XLA runs it faster.
    runners.append(
        KtensorRunner(
            Variant("ktensor tensorflow/auto", "ktensor", "tensorflow", "auto"), _ktensor_tensorflow("auto"), "tensorflow"
        )
    )
    runners.append(
        TensorFlowGraphRunner(
            Variant("native tensorflow/session.run", "native", "tensorflow", "session.run"), path="session.run"
        )
    )
    runners.append(TensorFlowFunctionRunner(Variant("native tensorflow/tf.function", "native", "tensorflow", "tf.function")))
    runners.append(
        TensorFlowFunctionRunner(
            Variant("native tensorflow/tf.function+xla", "native", "tensorflow", "tf.function+xla"), jit_compile=True
        )
    )
    runners.append(JaxRunner(Variant("native jax/jit", "native", "jax", "jit")))
    return runners


#: Variants of a quick run: each engine's default mode (theano: AUTO, tensorflow: auto) and the
#: two modes it picks from, its native best and plain paths, JAX, NumPy.
QUICK_VARIANTS = (
    "numpy",
    "ktensor theano/AUTO",
    "ktensor theano/CVM",
    "ktensor theano/JAX",
    "native pytensor/CVM",
    "native pytensor/CVM plain call",
    "ktensor tensorflow/auto",
    "ktensor tensorflow/graph",
    "ktensor tensorflow/xla",
    "native tensorflow/graph",
    "native tensorflow/session.run",
    "native tensorflow/tf.function",
    "native tensorflow/tf.function+xla",
    "native jax/jit",
)

#: For each ktensor variant, the native variant its overhead is measured against.
NATIVE_PEER = {
    "ktensor theano/AUTO": "native pytensor/CVM",  # its functions start there; faster where moved to JAX
    "ktensor theano/CVM": "native pytensor/CVM",
    "ktensor theano/NUMBA": "native pytensor/NUMBA",
    "ktensor theano/JAX": "native pytensor/JAX",
    "ktensor tensorflow/auto": "native tensorflow/graph",  # its functions start there; faster where moved to XLA
    "ktensor tensorflow/graph": "native tensorflow/graph",
    "ktensor tensorflow/xla": "native tensorflow/xla",
}
