"""The benchmark workloads compute the same thing in every implementation.

For each workload of :mod:`benchmarks.workloads`, at size 2 (and a larger size for the
elementwise and matmul ones), every implementation runs two calls — ktensor on both
backends, native PyTensor, native TensorFlow in a ``tf.Graph`` and in a ``tf.function`` —
and its outputs of both calls and its parameters after them must agree with NumPy's,
float32 throughout. The second call sees the parameters the first one updated, so a
training step is checked end to end. Correctness only: no timings here.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from benchmarks.workloads import WORKLOADS, Workload
from tests.conftest import _require

#: Calls made per implementation; the second one runs on updated parameters.
CALLS = 2
#: Float32 agreement; the absolute part scales with the reference's magnitude.
RTOL, ATOL = 1e-4, 1e-5

#: Outputs of each call, and the parameter values after the last call.
Run = tuple[list[list[np.ndarray]], dict[str, np.ndarray]]

CASES = [(name, 2) for name in WORKLOADS] + [("elementwise", 64), ("elementwise20", 64), ("matmul", 128)]


def _data(workload: Workload, size: int) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Inputs and initial parameters, the same for every implementation."""
    rng = np.random.default_rng(zlib.crc32(f"{workload.name}-{size}".encode()))
    return workload.make_inputs(size, rng), workload.make_params(size, rng)


@functools.cache
def _numpy_run(name: str, size: int) -> Run:
    """The reference: NumPy, parameters updated by hand between calls."""
    workload = WORKLOADS[name]
    inputs, params = _data(workload, size)
    steps = []
    for _ in range(CALLS):
        result = workload.np_math(np, params, *inputs)
        steps.append([np.asarray(out) for out in result.outputs])
        params = {**params, **dict(result.updates)}
    return steps, params


@functools.cache
def _kt_backend(engine: str) -> Any:
    """One ktensor backend instance per engine for the module; PyTensor in FAST_COMPILE."""
    from ktensor import backends

    return backends.TheanoBackend(mode="FAST_COMPILE") if engine == "theano" else backends.TensorFlowBackend()


def _run_ktensor(engine: str, workload: Workload, size: int) -> Run:
    import ktensor as kt

    _require(engine)
    inputs, params = _data(workload, size)
    with kt.use_backend(_kt_backend(engine)):
        placeholders = [kt.placeholder(shape=a.shape, dtype=str(a.dtype)) for a in inputs]
        variables = {name: kt.variable(value, name=name) for name, value in params.items()}
        result = workload.kt_math(kt, variables, *placeholders)
        f = kt.function(placeholders, result.outputs, updates=[(variables[k], v) for k, v in result.updates])
    steps = [f(*inputs) for _ in range(CALLS)]
    return steps, {name: v.get_value() for name, v in variables.items()}


def _run_pytensor(workload: Workload, size: int) -> Run:
    _require("theano")
    import pytensor
    import pytensor.tensor as pt

    inputs, params = _data(workload, size)
    symbols = [pt.tensor(name=f"input{i}", dtype=str(a.dtype), shape=a.shape) for i, a in enumerate(inputs)]
    shared = {name: pytensor.shared(value, name=name, shape=value.shape) for name, value in params.items()}
    result = workload.pt_math(pt, shared, *symbols)
    f = pytensor.function(
        symbols, result.outputs, updates=[(shared[k], v) for k, v in result.updates], mode="FAST_COMPILE"
    )
    steps = [f(*inputs) for _ in range(CALLS)]
    return steps, {name: s.get_value() for name, s in shared.items()}


def _run_tf_graph(workload: Workload, size: int) -> Run:
    _require("tensorflow")
    import tensorflow as tf

    inputs, params = _data(workload, size)
    graph = tf.Graph()
    with graph.as_default():
        placeholders = [
            tf.compat.v1.placeholder(a.dtype, a.shape, name=f"input{i}") for i, a in enumerate(inputs)
        ]
        variables = {name: tf.Variable(value, name=name) for name, value in params.items()}
        result = workload.tf_math(tf, variables, *placeholders)
        # Outputs read the old values; every assign waits for all outputs and new values.
        with tf.control_dependencies([*result.outputs, *(v for _, v in result.updates)]):
            assigns = [variables[k].assign(v, read_value=False) for k, v in result.updates]
        reads = {name: v.read_value() for name, v in variables.items()}
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as session:
        session.run(init)
        feed = dict(zip(placeholders, inputs))
        steps = [session.run((result.outputs, assigns), feed)[0] for _ in range(CALLS)]
        return steps, session.run(reads)


def _run_tf_function(workload: Workload, size: int) -> Run:
    _require("tensorflow")
    import tensorflow as tf

    inputs, params = _data(workload, size)
    variables = {name: tf.Variable(value, name=name) for name, value in params.items()}

    @tf.function(input_signature=[tf.TensorSpec(a.shape, a.dtype) for a in inputs])
    def step(*args: Any) -> list[Any]:
        result = workload.tf_math(tf, variables, *args)
        for name, value in result.updates:
            variables[name].assign(value)
        return result.outputs

    steps = [[out.numpy() for out in step(*inputs)] for _ in range(CALLS)]
    return steps, {name: v.numpy() for name, v in variables.items()}


def _run_jax(workload: Workload, size: int) -> Run:
    """Hand-written JAX through the suite's runner: one jitted step taking and returning the parameters."""
    from tests.conftest import require

    require("jax")
    from benchmarks.model import Variant
    from benchmarks.runners import JaxRunner

    inputs, params = _data(workload, size)
    runner = JaxRunner(Variant("native jax/jit", "native", "jax", "jit"))
    jitted, state = runner.build(None, workload, size, params)
    call = runner.compile(None, (jitted, state))
    steps = [call(inputs) for _ in range(CALLS)]
    # the runner keeps the updated parameters in its closure: run the same steps again to read them
    for _ in range(CALLS):
        _, state = jitted(state, *inputs)
    return steps, {name: np.asarray(value) for name, value in state.items()}


IMPLEMENTATIONS: dict[str, Callable[[Workload, int], Run]] = {
    "ktensor-theano": functools.partial(_run_ktensor, "theano"),
    "ktensor-tensorflow": functools.partial(_run_ktensor, "tensorflow"),
    "pytensor": _run_pytensor,
    "tf-graph": _run_tf_graph,
    "tf-function": _run_tf_function,
    "jax": _run_jax,
}


def _assert_agrees(actual: Any, expected: np.ndarray, what: str) -> None:
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype == np.float32, (
        f"{what}: dtype {actual.dtype}, NumPy {expected.dtype}"
    )
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, NumPy {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL * scale, err_msg=what)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_implementation_agrees_with_numpy(name: str, size: int, implementation: str) -> None:
    expected_steps, expected_params = _numpy_run(name, size)
    steps, params = IMPLEMENTATIONS[implementation](WORKLOADS[name], size)
    assert len(steps) == CALLS
    for call, (outputs, expected) in enumerate(zip(steps, expected_steps)):
        assert len(outputs) == len(expected), f"call {call}: {len(outputs)} outputs, NumPy {len(expected)}"
        for i, (out, ref) in enumerate(zip(outputs, expected)):
            _assert_agrees(out, ref, f"{name} n={size} {implementation}, call {call}, output {i}")
    assert params.keys() == expected_params.keys()
    for key, ref in expected_params.items():
        _assert_agrees(
            params[key], ref, f"{name} n={size} {implementation}, parameter {key} after {CALLS} calls"
        )


def test_table_contract() -> None:
    assert list(WORKLOADS) == [
        "elementwise", "elementwise20", "matmul", "reduction",
        "softmax_xent", "mlp_forward", "mlp_train", "chain200", "conv2d", "cnn_train", "rnn_train",
    ]  # fmt: skip
    rng = np.random.default_rng(0)
    for name, w in WORKLOADS.items():
        assert w.name == name and w.description
        assert 2 in w.sizes and set(w.quick_sizes) <= set(w.sizes), name
        assert len(w.quick_sizes) >= 3 or w.quick_sizes in ((), (2,)), name  # quick plots draw curves
        arrays = w.make_inputs(3, rng)
        assert w.input_shapes(3) == [a.shape for a in arrays], name
        assert w.input_dtypes(3) == ["float32"] * len(arrays), name
        assert all(v.dtype == np.float32 for v in w.make_params(3, rng).values()), name
    assert sorted(WORKLOADS["mlp_train"].make_params(2, rng)) == ["W1", "W2", "b1", "b2"]


@pytest.mark.parametrize(("name", "operations"), [("elementwise20", 20), ("chain200", 200)])
def test_chain_lengths(name: str, operations: int) -> None:
    """The chains have the advertised number of elementwise operations (PyTensor's graph, unrewritten)."""
    _require("theano")
    import pytensor.tensor as pt
    from pytensor.graph.traversal import io_toposort
    from pytensor.tensor.elemwise import Elemwise

    w = WORKLOADS[name]
    symbols = [pt.tensor(dtype=d, shape=s) for s, d in zip(w.input_shapes(2), w.input_dtypes(2))]
    outputs = w.pt_math(pt, {}, *symbols).outputs
    assert sum(isinstance(node.op, Elemwise) for node in io_toposort(symbols, outputs)) == operations


def test_importing_the_table_imports_no_engine() -> None:
    code = "import sys, benchmarks.workloads; print(sorted({'pytensor', 'tensorflow'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_nn_workloads_run_tensorflow_kernels_through_ktensor() -> None:
    """ktensor's TensorFlow graph of the CNN step holds TF's own kernels, as the native code does."""
    _require("tensorflow")
    import ktensor as kt

    w = WORKLOADS["cnn_train"]
    inputs, params = _data(w, 2)
    with kt.use_backend(_kt_backend("tensorflow")):
        placeholders = [kt.placeholder(shape=a.shape, dtype=str(a.dtype)) for a in inputs]
        variables = {name: kt.variable(value, name=name) for name, value in params.items()}
        loss = w.kt_math(kt, variables, *placeholders).outputs[0]
    ops = {op.type for op in loss.native.graph.get_operations()}
    assert {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPool", "MaxPoolGrad"} <= ops


def _fake_call(workload: str, size: int, variant: str, samples: list[float]) -> Any:
    from benchmarks.model import Measurement

    m = Measurement(workload, size, variant, "call")
    m.samples.extend(samples)
    return m


def test_nn_targets() -> None:
    from benchmarks.model import RunResult
    from benchmarks.report import format_targets, nn_targets

    result = RunResult("d", {}, {}, {})
    for workload, ratio in (("conv2d", 1.0), ("cnn_train", 1.01), ("rnn_train", 1.5)):
        result.measurements += [
            _fake_call(workload, 2, "ktensor tensorflow/graph", [9.0]),  # smaller size: not the one judged
            _fake_call(workload, 2, "native tensorflow/graph", [1.0]),
            _fake_call(workload, 64, "ktensor tensorflow/graph", [ratio * 2, ratio * 4]),
            _fake_call(workload, 64, "native tensorflow/graph", [2.0, 4.0]),
        ]
    result.measurements.append(_fake_call("cnn_train", 64, "ktensor theano/CVM", [10.0, 10.0]))
    tf_check, composed = nn_targets(result)
    assert tf_check.value == pytest.approx(1.5) and tf_check.passed is False
    assert "worst at rnn_train n=64" in tf_check.detail and "cnn_train n=64 ×1.010" in tf_check.detail
    assert composed.value == pytest.approx(10.0 / 3.0) and composed.limit == 3.0 and composed.passed is False
    assert "cnn_train n=64" in composed.name
    result.targets = [tf_check, composed]
    assert format_targets(result).startswith("FAIL")
    assert nn_targets(RunResult("d", {}, {}, {})) == []


def test_default_mode_targets() -> None:
    """Issue 11: each engine's default against its fastest ktensor mode at n >= 256, and
    against NumPy where one of its modes beats NumPy."""
    from benchmarks.model import RunResult
    from benchmarks.run import default_mode_targets

    result = RunResult("d", {}, {}, {})
    result.measurements += [
        _fake_call("mlp_train", 64, "ktensor theano/AUTO", [9.0]),  # below 256: not judged
        _fake_call("mlp_train", 64, "ktensor theano/JAX", [1.0]),
        _fake_call("mlp_train", 256, "ktensor theano/AUTO", [1.2, 1.2]),
        _fake_call("mlp_train", 256, "ktensor theano/CVM", [1.2, 1.2]),
        _fake_call("mlp_train", 256, "ktensor theano/JAX", [1.0, 1.0]),
        _fake_call("mlp_train", 256, "numpy", [1.1, 1.1]),
        _fake_call("matmul", 512, "ktensor theano/AUTO", [2.0, 2.0]),
        _fake_call("matmul", 512, "ktensor theano/CVM", [2.1, 2.1]),
        _fake_call("matmul", 512, "ktensor tensorflow/graph", [3.0, 3.0]),  # one TF mode: no check
    ]
    within, behind = default_mode_targets(result)
    assert within.value == pytest.approx(1.2) and within.limit == 1.1 and within.passed is False
    assert "worst at mlp_train n=256 (fastest JAX)" in within.detail
    assert behind.value == 1.0 and behind.passed is False and behind.detail == "mlp_train n=256"
    assert default_mode_targets(RunResult("d", {}, {}, {})) == []
