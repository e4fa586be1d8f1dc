"""The TensorFlow engine's execution path: pruned functions run eagerly, no growth
with what was built before, ``clear_session`` on both engines, and XLA for real.

The timing side of "no growth" (the last 100 of 1,500 build+compile+call iterations
against the first 100) is the ``churn`` benchmark workload; here the structure that
makes it hold is checked: compiling adds nothing to the build graph but its assigns,
a function is made only of the ops it needs, and a dropped function leaves TensorFlow.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor import backends


def _tf() -> Any:
    from tests.conftest import _require

    _require("tensorflow")
    return backends.TensorFlowBackend


def _fresh(name: str) -> kt.Backend:
    from tests.conftest import _require

    _require(name)
    cls = backends.TheanoBackend if name == "theano" else backends.TensorFlowBackend
    return cls()  # type: ignore[no-any-return]


def _ktensor_functions() -> set[str]:
    from tensorflow.python.eager import context

    return {n for n in context.context().list_function_names() if n.startswith("ktensor_function_")}


# -- no growth ----------------------------------------------------------------------------
def test_compiling_and_eval_add_no_ops_to_the_build_graph_but_the_assigns() -> None:
    b = _tf()()
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None, 3), dtype="float32")
        v = kt.variable(np.zeros(3, "float32"))
        y = kt.softmax(x * 2.0 + v).sum()
        before = len(b.graph.get_operations())
        f = kt.function([x], y)
        assert len(b.graph.get_operations()) == before
        f(np.ones((2, 3), "float32"))
        (y * 1).eval({x: np.ones((2, 3), "float32")})
        grown = len(b.graph.get_operations())
        assert grown == before + 2  # the multiply and its constant, built by the user
        kt.function([x], y, updates=[(v, v + 1.0)])
        assert len(b.graph.get_operations()) <= grown + 3  # add, its constant, the assign


def test_a_function_holds_only_the_ops_it_needs_however_much_was_built_before() -> None:
    from tensorflow.python.eager import context

    b = _tf()()
    sizes = []
    with kt.use_backend(b):
        for _ in range(30):
            x = kt.placeholder(shape=(None,), dtype="float32")
            kt.tanh(x * 3.0).sum()  # built, never compiled
            before = _ktensor_functions()
            f = kt.function([x], (x + 1.0).sum())
            [name] = _ktensor_functions() - before
            sizes.append(len(context.context().get_function_def(name).node_def))
            assert float(f(np.ones(4, "float32"))) == 8.0
    assert len(set(sizes)) == 1


def test_a_dropped_function_leaves_tensorflow() -> None:
    b = _tf()()
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None,), dtype="float32")
        gc.collect()
        before = _ktensor_functions()
        for i in range(20):
            f = kt.function([x], x * float(i))
            f(np.ones(2, "float32"))
        del f
        gc.collect()
        assert _ktensor_functions() <= before


def test_calls_from_threads_lose_no_update_and_match_numpy() -> None:
    b = _tf()()
    with kt.use_backend(b):
        v = kt.variable(np.zeros((), "float64"), dtype="float64")
        x = kt.placeholder(shape=(None,), dtype="float64")
        step = kt.function([x], [v * 1, (x * 2).sum()], updates=[(v, v + 1)])
        seen: list[float] = []

        def work() -> None:
            for _ in range(50):
                old, total = step(np.arange(3.0))
                assert total == 6.0 and old.dtype == np.float64
                seen.append(float(old))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert float(v.get_value()) == 200.0
    assert sorted(seen) == [float(i) for i in range(200)]  # each call saw its own value


def test_threads_building_and_compiling_at_once_all_succeed() -> None:
    b = _tf()()
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            with kt.use_backend(b):
                for i in range(25):
                    v = kt.variable(np.full(3, float(seed)), name=f"v{seed}_{i}")
                    x = kt.placeholder(shape=(None, 3))
                    f = kt.function([x], kt.softmax(x + v).sum(), updates=[(v, v + 1.0)])
                    assert f(np.zeros((2, 3), "float32")) == pytest.approx(2.0)
                    assert v.get_value().tolist() == [seed + 1.0] * 3
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]


def test_an_expression_outlives_the_variable_tensor_it_reads() -> None:
    b = _tf()()
    with kt.use_backend(b):
        v = kt.variable([1.0, 2.0])
        y = v * 2.0
        del v
        gc.collect()
        np.testing.assert_array_equal(kt.function([], y)(), np.array([2.0, 4.0], "float32"))


def test_outputs_never_share_memory_with_inputs_or_variables() -> None:
    b = _tf()()
    with kt.use_backend(b):
        x = kt.placeholder(shape=(2,), dtype="float32")
        v = kt.variable([1.0, 2.0])
        f = kt.function([x], [x, v])
        a = np.ones(2, "float32")
        got_x, got_v = f(a)
        got_x[0] = 5.0
        got_v[0] = 7.0
    assert a.tolist() == [1.0, 1.0]
    assert v.get_value().tolist() == [1.0, 2.0]



def test_outputs_handed_without_a_copy_are_the_callers_alone() -> None:
    """Computed outputs come back as TensorFlow's own buffers (no copy); anything the
    optimiser may turn into an input, a variable, a constant or another output is copied."""
    b = _tf()()
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, 6, 6, 1)).astype("float32")
    k0 = rng.standard_normal((3, 3, 1, 2)).astype("float32")
    with kt.use_backend(b):
        x = kt.placeholder(shape=(4, 6, 6, 1), dtype="float32")
        k = kt.variable(k0)
        conv = kt.conv2d(x, k)
        outputs = [
            conv,  # fresh: handed over
            kt.conv2d(x, k),  # the same computation again: the optimiser may merge the two
            x * 1.0,  # may become x
            x + 0.0,  # may become x
            kt.negative(kt.negative(x)),  # may become x
            k * 1.0,  # may become the variable's buffer
            kt.ones((4, 4)) * 2.0,  # folded to a constant kept between calls
            conv,  # the same output twice
            conv + x.sum(),  # fresh
        ]
        f = kt.function([x], outputs)
        first = f(xs)
        want = [np.asarray(o) for o in kt.function([x], outputs)(xs)]
        for got in first:
            assert got.flags.writeable
            got[...] = 123.0  # the caller may write into what it was given
        again = f(xs)
    np.testing.assert_array_equal(kt.get_value(k), k0)
    for got, expected in zip(again, want):
        np.testing.assert_array_equal(got, expected)
    for i, a in enumerate(again):
        assert not np.shares_memory(a, xs)
        for c in again[i + 1 :]:
            assert not np.shares_memory(a, c)

# -- clear_session ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["theano", "tensorflow"])
def test_clear_session_refuses_older_tensors_and_keeps_compiled_functions(name: str) -> None:
    b = _fresh(name)
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None,), dtype="float32", name="x")
        w = kt.variable([1.0, 2.0], name="w")
        f = kt.function([x], x * w, updates=[(w, w + 1.0)])
        assert (w * 1).eval().tolist() == [1.0, 2.0]
        b.clear_session()
        assert b._eval_cache == {}
        with pytest.raises(ValueError, match=r"ktensor: .*variable 'w'.* was built before clear_session\(\)"):
            w + 1
        with pytest.raises(ValueError, match="was built before clear_session"):
            kt.function([x], x * 2)
        with pytest.raises(ValueError, match="was built before clear_session"):
            w.get_value()
        with pytest.raises(ValueError, match="was built before clear_session"):
            (x * 2).eval({x: [1.0, 2.0]})
        np.testing.assert_array_equal(f(np.ones(2, "float32")), np.array([1.0, 2.0], "float32"))
        y = kt.placeholder(shape=(2,), dtype="float32")
        got = kt.function([y], kt.exp(y))(np.zeros(2, "float32"))
    np.testing.assert_array_equal(got, np.ones(2, "float32"))
    assert got.dtype == np.float32


def test_clear_session_frees_the_tensorflow_graph_and_variables() -> None:
    import weakref

    b = _tf()()
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None, 3))
        v = kt.variable(np.zeros(3))
        f = kt.function([x], kt.softmax(x + v).sum(), updates=[(v, v + 1)])
        f(np.zeros((2, 3), "float32"))
        (v * 2).eval()
        graph, variable = weakref.ref(b.graph), weakref.ref(v.handle.variable)
        assert b.graph.get_operations()
        del x, v, f
        kt.clear_session()  # the backend in force is cleared too
        gc.collect()
        assert graph() is None and variable() is None
        assert not b.graph.get_operations() and b._variables == []


def test_kt_clear_session_clears_the_shared_instances() -> None:
    b = kt.backends.resolve("tensorflow") if "tensorflow" in kt.available_backends() else _tf()
    t = kt.constant([1.0], backend=b)
    kt.clear_session()
    with pytest.raises(ValueError, match="clear_session"):
        t.eval()
    assert kt.constant([1.0, 2.0], backend=b).sum().eval() == 3.0


# -- XLA -----------------------------------------------------------------------------------
_XLA_PROBE = textwrap.dedent(
    """
    import sys
    import numpy as np
    import ktensor as kt
    from ktensor.backends import TensorFlowBackend
    with kt.use_backend(TensorFlowBackend(jit_compile=sys.argv[1] == "1")):
        x = kt.placeholder(shape=(None, 3), dtype="float32")
        print(kt.function([x], kt.tanh(x @ kt.constant(np.ones((3, 2), "float32"))).sum())(np.ones((4, 3), "float32")))
    """
)


@pytest.mark.parametrize("jit", [True, False])
def test_jit_compile_really_compiles_with_xla(tmp_path: Path, jit: bool) -> None:
    _tf()
    dump = tmp_path / "xla"
    env = {**os.environ, "XLA_FLAGS": f"--xla_dump_to={dump}", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", _XLA_PROBE, "1" if jit else "0"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) == pytest.approx(8 * np.tanh(3.0), rel=1e-5)
    modules = [p.name for p in dump.glob("*ktensor_function*")] if dump.exists() else []
    assert bool(modules) is jit, modules


def _xla_and_graph() -> tuple[kt.Backend, kt.Backend]:
    cls = _tf()
    return cls(jit_compile=True), cls()


@pytest.mark.parametrize(
    ("dtype", "build", "reference"),
    [
        ("float32", lambda x: kt.softmax(x * 2.0 - 1.0), None),
        ("float64", lambda x: (x @ x.T).sum(axis=0), lambda a: (a @ a.T).sum(axis=0)),
        ("int32", lambda x: x // 3 + x % 3, lambda a: a // 3 + a % 3),
        ("int8", lambda x: (x * 2).max(axis=1), lambda a: (a * 2).max(axis=1)),
        ("float16", lambda x: kt.exp(x).mean(), lambda a: np.exp(a).mean()),
    ],
)
def test_xla_values_and_dtypes_match_numpy_and_the_graph_path(dtype: str, build: Any, reference: Any) -> None:
    xla, graph = _xla_and_graph()
    a = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    results = []
    for b in (xla, graph):
        with kt.use_backend(b):
            x = kt.placeholder(shape=(None, 4), dtype=dtype)
            results.append(kt.function([x], build(x))(a))
    if reference is None:
        e = np.exp(a * 2.0 - 1.0)
        want = (e / e.sum(axis=1, keepdims=True)).astype(dtype)
    else:
        want = np.asarray(reference(a))
    for got in results:
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=2e-3 if dtype == "float16" else 1e-6)


def test_xla_training_step_matches_the_graph_path() -> None:
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(8, 5)).astype("float32")
    ys = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    w0 = rng.normal(size=(5, 3)).astype("float32")
    trace = []
    for b in _xla_and_graph():
        with kt.use_backend(b):
            x = kt.placeholder(shape=(None, 5))
            y = kt.placeholder(shape=(None, 3))
            w = kt.variable(w0)
            loss = -(y * kt.log_softmax(x @ w, axis=-1)).sum(axis=-1).mean()
            [g] = kt.gradients(loss, [w])
            step = kt.function([x, y], loss, updates=[(w, w - 0.5 * g)])
            losses = [float(step(xs, ys)) for _ in range(5)]
            trace.append((losses, w.get_value()))
    (xla_losses, xla_w), (graph_losses, graph_w) = trace
    assert xla_w.dtype == np.float32
    np.testing.assert_allclose(xla_losses, graph_losses, rtol=1e-5)
    np.testing.assert_allclose(xla_w, graph_w, rtol=1e-5, atol=1e-6)
    assert xla_losses[-1] < xla_losses[0]


def test_xla_keeps_run_time_checks_and_prints(capfd: pytest.CaptureFixture[str]) -> None:
    xla, _ = _xla_and_graph()
    with kt.use_backend(xla):
        i = kt.placeholder(shape=(None,), dtype="int64")
        t = kt.constant([1.0, 2.0, 3.0])[i]
        with pytest.raises(kt.EngineError, match="index is out of bounds"):
            t.eval({i: np.array([5])})
        v = kt.variable([1.0, 2.0])
        got = kt.function([], kt.print_tensor(v, "v is") * 1)()
    assert got.tolist() == [1.0, 2.0]
    assert "v is" in capfd.readouterr().out


# -- run-time checks survive TensorFlow's graph optimiser ------------------------------------
def test_a_check_inside_a_loop_body_survives_constant_folding() -> None:
    # Constant folding inferred the row's size (1) from row @ row.sum(keepdims=True) in
    # the loop body, turned the sum into the row and folded the check away: [5, 50].
    with kt.use_backend(_tf()()):
        m = kt.placeholder(shape=(None, None), dtype="float32")
        f = kt.function([m], kt.map_fn(lambda row: kt.matmul(row, row.sum(axis=-1, keepdims=True)), m))
        for _ in range(3):
            with pytest.raises(kt.EngineError) as caught:
                f(np.arange(6, dtype="float32").reshape(2, 3))
            assert "{{" not in str(caught.value)  # TensorFlow's node names are left out
        rows = np.array([[2.0], [3.0]], "float32")
        expected = np.stack([np.matmul(r, r.sum(axis=-1, keepdims=True)) for r in rows])
        got = f(rows)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
