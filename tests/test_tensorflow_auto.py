"""The tensorflow backend's ``jit_compile="auto"`` (issue 11, the default): each function
starts in TensorFlow's graph executor and moves to XLA when XLA runs it faster
(``ktensor/backends/tiering.py``, ``ktensor/backends/tensorflow/tiering.py``).

Where the choice itself is not the subject, the thresholds are patched so that the
function moves (or stays) at once: what is tested is that every call on the way is
right, against NumPy and against the graph executor, updates and variables included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from tests import tiering_support
from tests.conftest import _require


@pytest.fixture
def auto() -> kt.Backend:
    _require("tensorflow")
    from ktensor.backends import TensorFlowBackend

    return TensorFlowBackend()  # "auto" is the default


@pytest.fixture
def move_at_once(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """``move_at_once(to_xla)``: see :func:`tests.tiering_support.move_at_once`."""
    from ktensor.backends.tensorflow import tiering as side

    return lambda to_xla: tiering_support.move_at_once(monkeypatch, side, to_xla)


def test_the_default_is_auto_and_bad_values_are_refused() -> None:
    _require("tensorflow")
    from ktensor.backends import TensorFlowBackend

    b = TensorFlowBackend()
    assert b.jit_compile == "auto" and b.options() == {}
    assert TensorFlowBackend(jit_compile=False).options() == {"jit_compile": False}
    assert "jit_compile=True" in repr(TensorFlowBackend(jit_compile=True))
    for bad in ("yes", 1, None):
        with pytest.raises(ValueError, match=r"TensorFlowBackend: jit_compile must be True, False or 'auto'; received"):
            TensorFlowBackend(jit_compile=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("to_xla", [True, False], ids=["moves-to-xla", "stays-in-graph"])
def test_every_call_of_an_sgd_step_is_right_before_during_and_after_the_choice(
    auto: kt.Backend, move_at_once: Callable[[bool], None], to_xla: bool
) -> None:
    move_at_once(to_xla)
    rng = np.random.default_rng(0)
    w0 = (rng.standard_normal((6, 3)) * 0.3).astype("float32")
    with kt.use_backend(auto):
        x = kt.placeholder(shape=(None, 6), name="x")
        w = kt.variable(w0, name="w")
        b = kt.variable(np.zeros(3, "float32"), name="b")
        last = kt.variable(np.zeros((), "float32"), name="last")  # assigned, never read
        logits = x @ w + b
        loss = (logits * logits).mean()
        gw, gb = kt.gradients(loss, [w, b])
        updates = [(w, w - 0.1 * gw), (b, b - 0.1 * gb), (last, loss)]
        step = kt.function([x], [loss, logits], updates=updates, name="step")
    xs = rng.standard_normal((5, 6)).astype("float32")
    assert step.engine_mode == "graph" and not step.settled

    def one(i: int) -> Any:
        w_before, b_before = w.get_value(), b.get_value()
        got_loss, got_logits = step(xs)
        want_logits = xs @ w_before + b_before
        want_loss = (want_logits * want_logits).mean()
        d = 2 * want_logits / want_logits.size
        assert got_loss.dtype == got_logits.dtype == np.float32
        np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5)
        np.testing.assert_allclose(got_logits, want_logits, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w.get_value(), w_before - np.float32(0.1) * (xs.T @ d), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.get_value(), b_before - np.float32(0.1) * d.sum(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(last.get_value(), want_loss, rtol=1e-5)
        assert got_logits.flags.writeable
        return got_loss

    tiering_support.settle(step, one)
    for i in range(3):  # and after
        one(i)
    assert step.settled and step.engine_mode == ("xla" if to_xla else "graph")
    tier = tiering_support.tier(step)
    assert ("xla" in tier.reason) if not to_xla else tier.reason is None


def test_functions_sharing_a_variable_read_what_the_xla_function_stored(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    move_at_once(True)
    tiering_support.check_a_shared_variable(auto, "xla")


def test_an_rnn_moves_to_xla_and_its_gradient_stays_where_xla_cannot_compile_it(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    """A loop (``tf.while_loop``) calls functions of the build graph: the XLA copy must
    carry them. The loop's gradient reads a TensorList of a size XLA needs as a
    constant: XLA refuses it in the preparation and the graph keeps running it."""
    from ktensor.backends import TensorFlowBackend

    move_at_once(True)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((2, 5, 3)).astype("float32")
    w0 = (rng.standard_normal((3, 4)) * 0.5).astype("float32")

    def build(backend: kt.Backend) -> tuple[kt.Function, kt.Function]:
        x, last, outputs, grad = tiering_support.rnn_graph(backend, w0)
        with kt.use_backend(backend):
            return kt.function([x], [last, outputs], name="rnn"), kt.function([x], grad, name="rnn_grad")

    forward, backward = build(TensorFlowBackend(jit_compile=False))
    want, want_grad = forward(xs), backward(xs)
    f, g = build(auto)
    tiering_support.settle(f, lambda i: f(xs))
    tiering_support.settle(g, lambda i: g(xs))
    assert f.engine_mode == "xla", tiering_support.tier(f).reason
    assert g.engine_mode == "graph" and "xla could not compile it" in tiering_support.tier(g).reason
    for got, expected in zip([*f(xs), g(xs)], [*want, want_grad]):
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


def test_small_functions_stay_in_the_graph_without_an_xla_compile(
    auto: kt.Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ktensor.backends import tiering
    from ktensor.backends.tensorflow import tiering as xla_side

    monkeypatch.setattr(xla_side, "MIN_CALL_SECONDS", 10.0)
    with kt.use_backend(auto):
        x = kt.placeholder(shape=(2, 2), name="x")
        f = kt.function([x], x + 1.0, name="tiny")
    ones = np.ones((2, 2), "float32")
    for _ in range(tiering._UNTIMED + tiering._PROBE_WINDOW):
        np.testing.assert_array_equal(f(ones), ones + 1)
    assert f.settled and f.engine_mode == "graph"
    assert "under" in tiering_support.tier(f).reason and tiering_support.tier(f)._thread is None


def test_random_draws_run_time_checks_and_float16_keep_a_function_in_the_graph(auto: kt.Backend) -> None:
    with kt.use_backend(auto):
        noise = kt.function([], kt.random_uniform((3,), seed=1), name="noise")
        i = kt.placeholder(shape=(None,), dtype="int64", name="i")
        table = kt.constant(np.arange(10.0, dtype="float32"))
        lookup = kt.function([i], table[i], name="lookup")  # an index bound checked at run time
        h = kt.placeholder(shape=(3,), dtype="float16", name="h")
        half = kt.function([h], h * 3 + 1, name="half")
    assert not np.array_equal(noise(), noise())
    assert half(np.ones(3, "float16")).dtype == np.float16
    for f, op in ((noise, "Random"), (lookup, "Assert"), (half, "float16")):
        assert f.settled and f.engine_mode == "graph"
        assert op in tiering_support.tier(f).reason
    with pytest.raises(kt.EngineError, match="out of bounds"):
        lookup(np.array([0, 12]))


def test_calls_from_several_threads_during_the_choice_are_each_right(
    auto: kt.Backend, move_at_once: Callable[[bool], None]
) -> None:
    move_at_once(True)
    tiering_support.check_calls_from_threads(auto)


class _Fake:
    """An :class:`Alternative` on plain Python: ``fail`` in ``prepare`` or ``first_call``."""

    name = "fast"
    min_call_seconds = 0.0

    def __init__(self, fail: str) -> None:
        self.fail = fail
        self.calls = 0

    def prepare(self, sample: list[np.ndarray]) -> None:
        if self.fail == "prepare":
            raise RuntimeError("no kernel for this op")

    def first_call(self, arrays: Sequence[np.ndarray], base: Callable[..., list[Any]]) -> tuple[list[Any], str | None]:
        return base(arrays), ("it failed" if self.fail == "first" else None)

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        self.calls += 1
        return [arrays[0] * 2]


@pytest.mark.parametrize("fail", ["prepare", "first"])
def test_an_alternative_that_fails_leaves_the_base_running(monkeypatch: pytest.MonkeyPatch, fail: str) -> None:
    """Unit test of the state machine on plain Python callables."""
    from ktensor.backends import tiering

    monkeypatch.setattr(tiering, "HOT_SECONDS", 0.0)
    monkeypatch.setattr(tiering, "MIN_GAIN", 0.0)
    monkeypatch.setattr(tiering, "SWITCH_SECONDS", 0.0)
    base_calls = []
    fake = _Fake(fail)

    def base(arrays: Sequence[np.ndarray]) -> list[Any]:
        base_calls.append(1)
        return [arrays[0] * 2]

    tier = tiering.TieredCall(base, fake, "f", base="slow")
    arg = np.ones(2)
    for _ in range(40):
        np.testing.assert_array_equal(tier([arg])[0], arg * 2)
        tier.wait(10)
    assert tier.settled and tier.mode == "slow" and fake.calls == 0
    assert ("could not compile" in str(tier.reason)) if fail == "prepare" else tier.reason == "it failed"
    assert len(base_calls) == 40


@pytest.mark.parametrize("close", [True, False], ids=["close", "clear"])
def test_a_close_trial_runs_more_rounds_and_a_faster_alternative_is_kept(
    monkeypatch: pytest.MonkeyPatch, close: bool
) -> None:
    from ktensor.backends import tiering

    monkeypatch.setattr(tiering, "HOT_SECONDS", 0.0)
    monkeypatch.setattr(tiering, "SWITCH_SECONDS", 0.0)
    monkeypatch.setattr(tiering, "MIN_GAIN", 0.0)
    monkeypatch.setattr(tiering, "CLOSE_CALL", float("inf") if close else 1.0)  # every result close, or none
    fake = _Fake("none")
    tier = tiering.TieredCall(lambda arrays: [arrays[0] * 2], fake, "f", base="slow")
    for _ in range(200):
        tier([np.ones(2)])
        tier.wait(10)
        if tier.settled:
            break
    assert tier.settled and tier.mode == "fast"
    rounds = tiering.MAX_TRIAL_ROUNDS if close else 1
    assert fake.calls == rounds * 2 * tiering.BLOCK_CALLS  # two blocks of the alternative a round


def test_variables_of_every_kind_move_with_the_function(auto: kt.Backend, move_at_once: Callable[[bool], None]) -> None:
    """The XLA side warms up on stand-ins of each variable's dtype and shape (int64,
    float64, bool, a matrix, a scalar): the real ones hold exactly what NumPy computes."""
    move_at_once(True)
    with kt.use_backend(auto):
        x = kt.placeholder(shape=(3, 2), dtype="float64", name="x")
        count = kt.variable(np.zeros((), "int64"), name="count")
        total = kt.variable(np.zeros((3, 2)), dtype="float64", name="total")
        flag = kt.variable(np.zeros((3, 2), bool), name="flag")
        step = kt.function(
            [x], [total.sum()],
            updates=[(count, count + 1), (total, total + x), (flag, flag | (x > 0.5))],
            name="counters",
        )
    rng = np.random.default_rng(6)
    want_total, want_flag = np.zeros((3, 2)), np.zeros((3, 2), bool)

    def one(i: int) -> Any:
        nonlocal want_total, want_flag
        xs = rng.random((3, 2))
        got = step(xs)
        np.testing.assert_allclose(got, want_total.sum(), rtol=1e-12)
        want_total, want_flag = want_total + xs, want_flag | (xs > 0.5)
        assert int(count.get_value()) == i + 1
        np.testing.assert_allclose(total.get_value(), want_total, rtol=1e-12)
        np.testing.assert_array_equal(flag.get_value(), want_flag)
        return got

    calls = len(tiering_support.settle(step, one))
    assert step.engine_mode == "xla", tiering_support.tier(step).reason
    for i in range(calls, calls + 3):
        one(i)
    assert count.get_value().dtype == np.int64 and flag.get_value().dtype == bool
