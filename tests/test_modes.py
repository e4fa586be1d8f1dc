"""The engines' user-facing modes: PyTensor's CVM and default AUTO, PyTensor on JAX and TensorFlow with XLA.

The rest of the suite runs PyTensor in FAST_COMPILE for speed (see conftest); these
tests compile a few real functions in the modes users get, so a mode-specific
failure (a missing C kernel, float16 in C code) cannot hide.
"""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt
from ktensor import backends


@pytest.fixture(
    params=[
        pytest.param(("theano", {"mode": "CVM"}), id="theano-CVM"),
        pytest.param(("theano", {"mode": "AUTO"}), id="theano-AUTO"),
        pytest.param(("theano", {"mode": "JAX"}), id="theano-JAX"),
        pytest.param(("tensorflow", {"jit_compile": True}), id="tensorflow-XLA"),
    ]
)
def mode_backend(request: pytest.FixtureRequest) -> kt.Backend:
    name, options = request.param
    from tests.conftest import _require, require

    _require(name)
    if options.get("mode") in ("JAX", "AUTO"):
        require("jax")
    cls = backends.TheanoBackend if name == "theano" else backends.TensorFlowBackend
    return cls(**options)  # type: ignore[no-any-return]


def test_default_theano_mode_is_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import _require

    _require("theano")
    monkeypatch.delenv("KTENSOR_THEANO_MODE", raising=False)
    assert backends.TheanoBackend().mode == "AUTO"


def test_mode_runs_mixed_dtypes_and_a_training_step(mode_backend: kt.Backend) -> None:
    with kt.use_backend(mode_backend):
        x = kt.placeholder(shape=(None, 3), name="x")
        i = kt.placeholder(shape=(None, 3), dtype="int8", name="i")
        h = kt.placeholder(shape=(3,), dtype="float16", name="h")
        w = kt.variable(np.full((3, 1), 0.5), name="w")
        loss = kt.square(x @ w).mean()
        [g] = kt.gradients(loss, [w])
        f = kt.function(
            [x, i, h],
            [x + i, i // 3, i % 3, (h * 2).sum(), kt.softmax(x), loss],
            updates=[(w, w - 0.1 * g)],
        )
        xs = np.arange(6, dtype="float32").reshape(2, 3)
        ints = np.array([[-7, 7, 0], [5, -5, 1]], dtype="int8")
        halves = np.full(3, 2.0, dtype="float16")
        got = f(xs, ints, halves)
    e = np.exp(xs - xs.max(axis=1, keepdims=True))
    expected = [xs + ints, ints // 3, ints % 3, (halves * 2).sum(), e / e.sum(axis=1, keepdims=True)]
    for value, want in zip(got, expected):
        assert value.dtype == want.dtype
        np.testing.assert_allclose(value, want, rtol=1e-3 if want.dtype == np.float16 else 1e-6)
    assert float(got[-1]) == pytest.approx(float(np.square(xs @ np.full((3, 1), 0.5)).mean()))
    assert not np.allclose(w.get_value(), 0.5)


def test_nan_and_inf_survive_the_engine_rewrites(mode_backend: kt.Backend) -> None:
    with kt.use_backend(mode_backend):
        x = kt.placeholder(shape=(None,), dtype="float64", name="x")
        f = kt.function([x], [x <= x, x >= x, x / x, x - x, x * 0, x == x, 0 / x, x * 1, x * -1, x + 0])
        values = np.array([0.0, np.inf, np.nan, -0.0])
        got = f(values)
    with np.errstate(all="ignore"):
        want = [values <= values, values >= values, values / values, values - values, values * 0, values == values, 0 / values, values * 1, values * -1, values + 0]
    options = mode_backend.options()
    xla = options.get("mode") == "JAX" or bool(options.get("jit_compile"))
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g, w)
        finite = ~np.isnan(w.astype("float64"))
        if xla and i == len(want) - 1:
            continue  # XLA folds x + 0.0 to x, so -0.0 + 0 stays -0.0 (docs/backends.md)
        np.testing.assert_array_equal(np.signbit(g)[finite], np.signbit(w)[finite])  # -0.0 stays -0.0


def test_64_bit_integer_extremes_stay_exact(mode_backend: kt.Backend) -> None:
    big = np.array([[2**53 + 1, 5], [3, 2**62 + 1]], dtype="int64")
    ubig = np.array([2**64 - 1, 2**63, 7], dtype="uint64")
    with kt.use_backend(mode_backend):
        i = kt.placeholder(shape=(None, 2), dtype="int64", name="i")
        u = kt.placeholder(shape=(None,), dtype="uint64", name="u")
        outs = [i.max(), i.max(axis=1), i.min(axis=0, keepdims=True), kt.maximum(i, 0), kt.minimum(i, 2**62),
                i.relu(), u.max(), u.min(), u.clip(3, 2**64 - 2), abs(u), u.sign()]
        got = kt.function([i, u], outs)(big, ubig)
    want = [big.max(), big.max(axis=1), big.min(axis=0, keepdims=True), np.maximum(big, 0), np.minimum(big, 2**62),
            np.maximum(big, 0), ubig.max(), ubig.min(), np.clip(ubig, 3, 2**64 - 2), np.abs(ubig), np.sign(ubig)]
    for g, w in zip(got, want):
        assert g.dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)
