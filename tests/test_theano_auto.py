"""The theano backend's ``mode="AUTO"`` (issue 11, item 4): each function starts in CVM
and moves to JAX when JAX runs it faster (``ktensor/backends/tiering.py``, ``ktensor/backends/theano/tiering.py``).

Where the choice itself is not the subject, the thresholds are patched so that the
function moves (or stays) at once: what is tested is that every call on the way is
right, against NumPy and against CVM, updates and variables included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from tests import tiering_support
from tests.conftest import _require, require


@pytest.fixture
def auto() -> kt.Backend:
    _require("theano")
    require("jax")
    from ktensor.backends import TheanoBackend

    return TheanoBackend(mode="AUTO")


@pytest.fixture
def move_at_once(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """``move_at_once(to_jax)``: see :func:`tests.tiering_support.move_at_once`."""
    from ktensor.backends.theano import tiering as side

    return lambda to_jax: tiering_support.move_at_once(monkeypatch, side, to_jax)


def _sgd(auto: kt.Backend) -> tuple[kt.Function, kt.Tensor, kt.Tensor, Callable[[np.ndarray, np.ndarray, np.ndarray], Any]]:
    rng = np.random.default_rng(0)
    w0 = (rng.standard_normal((6, 3)) * 0.3).astype("float32")
    with kt.use_backend(auto):
        x = kt.placeholder(shape=(None, 6), name="x")
        w = kt.variable(w0, name="w")
        b = kt.variable(np.zeros(3, "float32"), name="b")
        logits = x @ w + b
        loss = (logits * logits).mean()
        gw, gb = kt.gradients(loss, [w, b])
        step = kt.function([x], [loss, logits], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], name="step")

    def numpy_step(xs: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[Any, ...]:
        logits = xs @ w + b
        loss = (logits * logits).mean()
        d = 2 * logits / logits.size
        return loss, logits, w - np.float32(0.1) * (xs.T @ d), b - np.float32(0.1) * d.sum(0)

    return step, w, b, numpy_step


@pytest.mark.parametrize("to_jax", [True, False], ids=["moves-to-jax", "stays-in-cvm"])
def test_every_call_of_an_sgd_step_is_right_before_during_and_after_the_choice(
    auto: kt.Backend, move_at_once: Callable[[bool], None], to_jax: bool
) -> None:
    move_at_once(to_jax)
    step, w, b, numpy_step = _sgd(auto)
    xs = np.random.default_rng(1).standard_normal((5, 6)).astype("float32")
    assert step.engine_mode == "CVM" and not step.settled

    def one(i: int) -> Any:
        w_before, b_before = w.get_value(), b.get_value()
        loss, logits = step(xs)
        want_loss, want_logits, want_w, want_b = numpy_step(xs, w_before, b_before)
        assert loss.dtype == logits.dtype == np.float32
        np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
        np.testing.assert_allclose(logits, want_logits, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w.get_value(), want_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.get_value(), want_b, rtol=1e-5, atol=1e-6)
        assert logits.flags.writeable  # a copy, as CVM's
        return loss

    tiering_support.settle(step, one)
    for i in range(3):  # and after
        one(i)
    assert step.engine_mode == ("JAX" if to_jax else "CVM")
    assert step.settled
    tier = step._call
    assert ("JAX" in tier.reason) if not to_jax else tier.reason is None
    for variable in (w, b):  # the variables hold NumPy arrays, whatever ran the update
        assert type(variable.handle.container.storage[0]) is np.ndarray
        assert variable.get_value().dtype == np.float32


def test_a_cvm_function_sharing_a_variable_reads_what_the_jax_function_stored(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    move_at_once(True)
    tiering_support.check_a_shared_variable(auto, "JAX")


def test_a_failed_check_after_the_move_raises_a_ktensor_error_and_stores_nothing(
    auto: kt.Backend, move_at_once: Callable[[bool], None], capfd: pytest.CaptureFixture[str]
) -> None:
    move_at_once(True)
    with kt.use_backend(auto):
        i = kt.placeholder(shape=(None,), dtype="int64", name="i")
        table = kt.constant(np.arange(10.0, dtype="float32"))
        count = kt.variable(np.zeros((), "float32"), name="count")
        f = kt.function([i], table[i], updates=[(count, count + 1.0)], name="lookup")
    tiering_support.settle(f, lambda n: f(np.array([1, 2])))
    assert f.engine_mode == "JAX"
    calls = float(count.get_value())
    np.testing.assert_array_equal(f(np.array([3, 9])), [3.0, 9.0])
    with pytest.raises(kt.EngineError, match="ktensor: an index is out of bounds for axis 0"):
        f(np.array([0, 12]))
    assert float(count.get_value()) == calls + 1  # the failed call stored nothing
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_an_rnn_gradient_moves_to_jax_and_agrees_with_cvm_and_cvm_compiles_still_work(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    """PyTensor's JAX linker rewrites a scan's inner graph with the scan's own mode: an
    AUTO scan is built for CVM, and its JAX compile needs JAX's rewrites
    (modes.with_jax_inner_graphs); a CVM compile of the same graph afterwards still runs."""
    from ktensor.backends import TheanoBackend

    move_at_once(True)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((2, 5, 3)).astype("float32")
    w0 = (rng.standard_normal((3, 4)) * 0.5).astype("float32")

    def build(backend: kt.Backend) -> tuple[Any, Any, Any]:
        x, last, outputs, grad = tiering_support.rnn_graph(backend, w0)
        with kt.use_backend(backend):
            return x, [last, outputs, grad], kt.function([x], [last, outputs, grad], name="rnn")

    want = build(TheanoBackend(mode="CVM"))[2](xs)
    x, outs, f = build(auto)
    tiering_support.settle(f, lambda i: f(xs))
    assert f.engine_mode == "JAX", f._call.reason
    for got, expected in zip(f(xs), want):
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)
    with kt.use_backend(auto):
        again = kt.function([x], outs, name="again")  # a CVM compile of the graph JAX compiled
    for got, expected in zip(again(xs), want):
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


def test_small_functions_stay_in_cvm_without_a_jax_compile(auto: kt.Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from ktensor.backends import tiering
    from ktensor.backends.theano import tiering as jax_side

    monkeypatch.setattr(jax_side, "MIN_CALL_SECONDS", 10.0)
    with kt.use_backend(auto):
        x = kt.placeholder(shape=(2, 2), name="x")
        f = kt.function([x], x + 1.0, name="tiny")
    ones = np.ones((2, 2), "float32")
    for _ in range(tiering._UNTIMED + tiering._PROBE_WINDOW):
        np.testing.assert_array_equal(f(ones), ones + 1)
    assert f.settled and f.engine_mode == "CVM"
    assert "under" in f._call.reason and f._call._thread is None


def test_random_draws_and_float16_keep_a_function_in_cvm(auto: kt.Backend) -> None:
    with kt.use_backend(auto):
        noise = kt.function([], kt.random_uniform((3,), seed=1), name="noise")
        h = kt.placeholder(shape=(3,), dtype="float16", name="h")
        half = kt.function([h], h * 2, name="half")
    first, second = noise(), noise()
    assert not np.array_equal(first, second)  # the generator advances, as in CVM
    assert noise.settled and noise.engine_mode == "CVM"
    assert half.settled and half.engine_mode == "CVM"
    assert half(np.ones(3, "float16")).dtype == np.float16


def test_auto_without_jax_is_cvm_with_nothing_added(monkeypatch: pytest.MonkeyPatch) -> None:
    _require("theano")
    import importlib.util

    from ktensor.backends import TheanoBackend

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    b = TheanoBackend(mode="AUTO")
    with kt.use_backend(b):
        x = kt.placeholder(shape=(2,), name="x")
        f = kt.function([x], x * 3.0)
    assert b.mode == "AUTO" and b.options() == {"mode": "AUTO"}
    assert f.settled and f.engine_mode is None  # the plain CVM call
    np.testing.assert_array_equal(f(np.ones(2, "float32")), [3.0, 3.0])


def test_calls_from_several_threads_during_the_choice_are_each_right(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    move_at_once(True)
    tiering_support.check_calls_from_threads(auto)


def test_the_tiered_call_keeps_cvm_when_jax_results_differ_in_dtype() -> None:
    """Unit test of the state machine on plain Python callables."""
    from ktensor.backends import tiering
    from ktensor.backends.theano import tiering as jax_side

    class Container:
        def __init__(self) -> None:
            self.storage = [np.zeros(2, "float32")]

    container = Container()

    def cvm(arrays: Any) -> list[Any]:
        container.storage[0] = container.storage[0] + 1
        return [arrays[0] * 2]

    def build() -> Callable[..., list[Any]]:
        return lambda a: [a * 2.0, np.zeros(2, "float64")]  # the update comes back float64

    candidate = jax_side.Candidate(build, lambda: threading.Lock(), 1, [container], threading.Lock())
    alternative = jax_side.JaxAlternative(candidate)
    alternative.min_call_seconds = 0.0
    old = tiering.HOT_SECONDS
    tiering.HOT_SECONDS = 0.0
    try:
        tier = tiering.TieredCall(cvm, alternative, "f", base="CVM")
        arg = np.ones(2, "float32")
        for _ in range(tiering._UNTIMED + tiering._PROBE_WINDOW):
            tier([arg])
        tier.wait(10)
        for _ in range(3):
            assert tier([arg])[0].dtype == np.float32
    finally:
        tiering.HOT_SECONDS = old
    assert tier.settled and tier.mode == "CVM" and "differ" in str(tier.reason)
    np.testing.assert_array_equal(container.storage[0], np.full(2, 10.0))  # every call was CVM's
