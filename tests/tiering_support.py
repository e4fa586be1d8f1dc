"""What the tests of the two per-function mode choices share (``test_theano_auto.py``,
``test_tensorflow_auto.py``): the thresholds patched so that a function moves (or
stays) at once, calling until the choice is made, and the checks that read the same
on both engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import ktensor as kt


def move_at_once(monkeypatch: pytest.MonkeyPatch, side: ModuleType, to_alternative: bool) -> None:
    """A function prepares its faster mode (``side``: the engine's tiering module) after
    its first timed calls, and keeps it (``to_alternative``) or its base whatever the trial measures."""
    from ktensor.backends import tiering

    monkeypatch.setattr(tiering, "HOT_SECONDS", 0.0)
    monkeypatch.setattr(side, "MIN_CALL_SECONDS", 0.0)
    monkeypatch.setattr(tiering, "MIN_GAIN", 0.0 if to_alternative else float("inf"))
    monkeypatch.setattr(tiering, "SWITCH_SECONDS", 0.0)


def tier(f: kt.Function) -> Any:
    """The function's :class:`ktensor.backends.tiering.TieredCall`."""
    return f._call


def settle(f: kt.Function, call: Callable[[int], Any], limit: int = 200) -> list[Any]:
    """Call ``call(i)`` until ``f`` has settled (waiting for its compile); every result."""
    results = []
    for i in range(limit):
        results.append(call(i))
        if f.settled:
            return results
        if getattr(tier(f), "_thread", None) is not None:
            tier(f).wait(120)
    raise AssertionError(f"{f.name} did not settle in {limit} calls")


def check_a_shared_variable(backend: kt.Backend, moved_to: str) -> None:
    """A function moved to ``moved_to`` and another function share a variable: each reads
    what the other stored, and what the user set."""
    with kt.use_backend(backend):
        v = kt.variable(np.zeros((4, 4), "float32"), name="v")
        bump = kt.function([], v.sum(), updates=[(v, v + 1.0)], name="bump")
        x = kt.placeholder(shape=(4, 4), name="x")
        read = kt.function([x], v * x, name="read")  # stays small: never moves
    settle(bump, lambda i: bump())
    assert bump.engine_mode == moved_to
    before = v.get_value()
    assert float(bump()) == pytest.approx(before.sum())
    np.testing.assert_array_equal(read(np.full((4, 4), 2.0, "float32")), (before + 1) * 2)
    v.set_value(np.full((4, 4), 7.0, "float32"))  # and the moved function reads what the user set
    assert float(bump()) == pytest.approx(7.0 * 16)
    np.testing.assert_array_equal(v.get_value(), np.full((4, 4), 8.0, "float32"))


def check_calls_from_threads(backend: kt.Backend) -> None:
    """Four threads call one function while it is choosing: every result is right."""
    with kt.use_backend(backend):
        x = kt.placeholder(shape=(None, 8), name="x")
        f = kt.function([x], kt.tanh(x) * 2.0, name="threads")
    rng = np.random.default_rng(5)
    data = [rng.standard_normal((16, 8)).astype("float32") for _ in range(4)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for _ in range(60):
                np.testing.assert_allclose(f(data[k]), np.tanh(data[k]) * 2, rtol=1e-5, atol=1e-6)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    tier(f).wait(120)


def rnn_graph(backend: kt.Backend, w0: np.ndarray) -> tuple[Any, Any, Any, Any]:
    """``(x, last, outputs, gradient)``: a tanh RNN over ``x`` (2, 5, 3) with the weight
    variable ``w0`` (3, 4), and the gradient of a loss of both outputs with respect to it."""
    with kt.use_backend(backend):
        x = kt.placeholder(shape=(2, 5, 3), name="x")
        w = kt.variable(w0, name="w")

        def step(x_t: Any, states: list[Any], w: Any = w) -> tuple[Any, list[Any]]:
            h = kt.tanh(x_t @ w + states[0])
            return h, [h]

        last, outputs, _ = kt.rnn(step, x, [kt.zeros((2, 4))])
        (grad,) = kt.gradients((last**2).sum() + outputs.mean(), [w])
    return x, last, outputs, grad
