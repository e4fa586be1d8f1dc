"""Activations, dropout and normalisation (ktensor/ops/nn/activations.py, normalization.py):
what the conformance kit cannot check.

Dropout's statistics (mean kept, fraction zeroed, a new mask each run, seeds,
``noise_shape`` sharing the mask), ``normalize_batch_in_training`` (it returns a tuple),
shapes unknown when built, overrides reaching the compositions, and the build-time errors
with their messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops.nn.activations import _relu_reference
from ktensor.ops.nn.normalization import _batch_normalization_reference, _normalize_batch_reference

_RNG = np.random.default_rng(11)


# -- relu: Keras 2's arguments ---------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"alpha": 0.2},
        {"max_value": 6},
        {"max_value": 1.0, "alpha": 0.5},
        {"threshold": 1.0},
        {"threshold": -1.0},
        {"threshold": -1.0, "max_value": 2.0},
        {"alpha": 0.1, "threshold": 0.5, "max_value": 2.0},
    ],
)
def test_relu_matches_keras2(kt_in, kwargs: dict[str, Any]) -> None:
    data = np.linspace(-3, 8, 23, dtype="float32")
    got = kt.relu(kt.constant(data), **kwargs).eval()
    np.testing.assert_allclose(got, _relu_reference(data, **kwargs), rtol=1e-6)
    assert got.dtype == np.float32


def test_relu_pieces(kt_in) -> None:
    x = kt.constant([-2.0, 0.5, 1.5, 3.0], dtype="float64")
    np.testing.assert_allclose(kt.relu(x, alpha=0.1, max_value=2.0, threshold=1.0).eval(), [-0.3, -0.05, 1.5, 2.0])
    # Keras 2 (TensorFlow backend): a negative threshold without max_value lets x through above it.
    np.testing.assert_allclose(kt.relu([-2.0, -0.5, 1.0], threshold=-1.0).eval(), [0.0, -0.5, 1.0])


def test_relu_keeps_integers_by_default(kt_in) -> None:
    x = kt.constant(np.array([-2, 3], dtype="int8"))
    assert kt.relu(x).dtype == "int8"
    assert kt.relu(x, max_value=2).dtype == "int8"
    np.testing.assert_array_equal(kt.relu(x, max_value=2).eval(), [0, 2])


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"alpha": "a"}, TypeError, ["relu", "alpha", "'a'"]),
        ({"max_value": [1.0]}, TypeError, ["relu", "max_value", "[1.0]"]),
        ({"threshold": None}, TypeError, ["relu", "threshold", "None"]),
        ({"threshold": float("nan")}, ValueError, ["relu", "threshold", "nan"]),
    ],
)
def test_relu_refuses_bad_arguments(kt_in, kwargs: dict[str, Any], error: type[Exception], words: list[str]) -> None:
    with pytest.raises(error) as info:
        kt.relu(kt.constant([1.0]), **kwargs)
    for w in words:
        assert w in str(info.value)


# -- the other activations ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "softplus", "softsign", "hard_sigmoid", "silu"])
def test_activations_keep_unknown_shapes_and_float_dtypes(kt_in, name: str) -> None:
    x = kt.placeholder(shape=(None, 3), dtype="float16")
    y = getattr(kt, name)(x)
    assert y.shape == (None, 3) and y.dtype == "float16"
    data = np.linspace(-2, 2, 6).reshape(2, 3).astype("float16")
    assert kt.function([x], [y])(data)[0].shape == (2, 3)
    assert getattr(kt, name)(kt.constant(np.array([1], dtype="int32"))).dtype == "float64"


def test_softplus_is_stable(kt_in) -> None:
    got = kt.softplus(kt.constant([-1000.0, 0.0, 1000.0], dtype="float32")).eval()
    np.testing.assert_allclose(got, [0.0, np.log(2.0), 1000.0], rtol=1e-6)


def test_elu_gradient_is_finite_for_large_inputs(kt_in) -> None:
    x = kt.placeholder(shape=(2,), dtype="float32")
    grad = kt.gradients(kt.sum(kt.elu(x)), [x])[0]
    np.testing.assert_allclose(kt.function([x], [grad])(np.array([1000.0, -1.0], "float32"))[0], [1.0, np.exp(-1.0)], rtol=1e-6)


def test_gelu_override_reaches_the_composition(backend_name: str) -> None:
    from ktensor import backends

    base = backends.TheanoBackend if backend_name == "theano" else backends.TensorFlowBackend

    class CountingErf(base):  # type: ignore[valid-type, misc]
        calls = 0

        def erf(self, x: Any) -> Any:
            self.calls += 1
            return super().erf(x)

    b = CountingErf()
    kt.gelu(kt.constant([1.0], backend=b))
    assert b.calls == 1


def test_gelu_refuses_a_non_bool_approximate(kt_in) -> None:
    with pytest.raises(TypeError, match="gelu: approximate must be a bool; received 'tanh'"):
        kt.gelu([1.0], approximate="tanh")  # type: ignore[arg-type]


# -- dropout ---------------------------------------------------------------------------------------
def test_dropout_statistics(kt_in) -> None:
    x = kt.ones((200, 100))
    y = kt.dropout(x, 0.3, seed=5)
    assert y.shape == (200, 100) and y.dtype == "float32"
    value = y.eval()
    kept = value != 0
    np.testing.assert_allclose(value[kept], 1 / 0.7, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.3) < 0.02
    assert abs(value.mean() - 1.0) < 0.04


def test_dropout_draws_a_new_mask_each_run_and_seeds_repeat(kt_in) -> None:
    x = kt.placeholder(shape=(50, 40))
    data = np.ones((50, 40), "float32")
    f = kt.function([x], [kt.dropout(x, 0.5, seed=3)])
    first, second = f(data)[0], f(data)[0]
    assert not np.array_equal(first, second)
    again = kt.function([x], [kt.dropout(x, 0.5, seed=3)])(data)[0]
    np.testing.assert_array_equal(first, again)


def test_dropout_noise_shape_drops_whole_rows(kt_in) -> None:
    x = kt.ones((400, 5), dtype="float64")
    value = kt.dropout(x, 0.5, noise_shape=(400, 1), seed=2).eval()
    assert value.dtype == np.float64
    rows_zero = (value == 0).all(axis=1)
    rows_kept = (value == 2.0).all(axis=1)
    assert (rows_zero | rows_kept).all()
    assert 0.4 < rows_zero.mean() < 0.6
    # None entries take x's sizes.
    shared = kt.dropout(kt.ones((3, 200)), 0.5, noise_shape=(1, None), seed=2).eval()
    assert (shared == shared[0]).all() and 0 < (shared[0] == 0).mean() < 1


def test_dropout_gradient_is_the_mask(kt_in) -> None:
    x = kt.placeholder(shape=(30, 20), dtype="float64")
    y = kt.dropout(x, 0.25, seed=9)
    grad = kt.gradients(kt.sum(y), [x])[0]
    out, g = kt.function([x], [y, grad])(np.ones((30, 20)))
    np.testing.assert_allclose(g, out)


def test_dropout_level_zero_is_the_identity_for_unknown_shapes(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3))
    y = kt.dropout(x, 0.0)
    assert y.shape == (None, 3)
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(kt.function([x], [y])(data)[0], data)
    z = kt.dropout(x, 0.5, noise_shape=(1, 3), seed=1)
    assert z.shape == (None, 3)
    assert kt.function([x], [z])(data)[0].shape == (2, 3)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((1.0,), {}, ValueError, ["dropout", "level", "[0, 1)", "1.0"]),
        ((-0.1,), {}, ValueError, ["dropout", "level", "-0.1"]),
        (("half",), {}, ValueError, ["dropout", "level", "'half'"]),
        ((0.5,), {"noise_shape": (2, 2)}, ValueError, ["dropout", "noise_shape", "(2, 3)", "(2, 2)"]),
        ((0.5,), {"noise_shape": (2,)}, ValueError, ["dropout", "noise_shape", "(2,)"]),
        ((0.5,), {"noise_shape": 3}, TypeError, ["dropout", "noise_shape", "3"]),
        ((0.5,), {"seed": 1.5}, TypeError, ["dropout", "seed", "1.5"]),
    ],
)
def test_dropout_refuses_bad_arguments(
    kt_in, args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        kt.dropout(kt.ones((2, 3)), *args, **kwargs)
    for w in words:
        assert w in str(info.value)


def test_dropout_of_an_unknown_batch_size(kt_in) -> None:
    x = kt.placeholder(shape=(None, 4))
    y = kt.dropout(x, 0.5, seed=1)
    rows = kt.dropout(x, 0.5, noise_shape=(None, 1), seed=2)
    assert y.shape == (None, 4) and rows.shape == (None, 4)
    f = kt.function([x], [y, rows])
    out, whole = f(np.ones((2000, 4), "float32"))
    assert set(np.unique(out).tolist()) == {0.0, 2.0} and abs((out == 0).mean() - 0.5) < 0.05
    assert all(len(set(row.tolist())) == 1 for row in whole)  # (None, 1): whole rows share one draw
    assert f(np.ones((3, 4), "float32"))[0].shape == (3, 4)


# -- l2_normalize, batch_normalization -----------------------------------------------------------
def test_l2_normalize_unknown_shape_and_errors(kt_in) -> None:
    x = kt.placeholder(shape=(None, 2))
    y = kt.l2_normalize(x, axis=-1)
    assert y.shape == (None, 2)
    got = kt.function([x], [y])(np.array([[3.0, 4.0], [0.0, 0.0]], "float32"))[0]
    np.testing.assert_allclose(got, np.array([[0.6, 0.8], [0.0, 0.0]]), rtol=1e-6)
    with pytest.raises(ValueError, match="l2_normalize axis=2 is out of bounds"):
        kt.l2_normalize(x, axis=2)


def test_batch_normalization_unknown_batch(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3, 2))
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([1.0, 4.0, 0.25])
    y = kt.batch_normalization(x, mean, var, None, np.array([2.0, 1.0, 0.5]), axis=1)
    assert y.shape == (None, 3, 2)
    data = _RNG.normal(size=(4, 3, 2)).astype("float32")
    want = _batch_normalization_reference(data, mean, var, None, np.array([2.0, 1.0, 0.5]), axis=1)
    np.testing.assert_allclose(kt.function([x], [y])(data)[0], want, rtol=1e-5)


@pytest.mark.parametrize(
    ("stats", "kwargs", "error", "words"),
    [
        (([0.0] * 4, [1.0] * 4), {}, ValueError, ["batch_normalization", "mean", "(4,)", "(3,)"]),
        (([0.0] * 3, [1.0] * 3), {"axis": 3}, ValueError, ["batch_normalization axis=3", "out of bounds"]),
        ((np.zeros((2, 2)), [1.0] * 3), {}, ValueError, ["batch_normalization mean", "(2, 2)"]),
        ((np.zeros((1, 1, 1, 3)), [1.0] * 3), {}, ValueError, ["batch_normalization", "mean", "more dimensions"]),
        (([0.0] * 3, [1.0] * 3), {"epsilon": -1.0}, ValueError, ["batch_normalization", "epsilon", "-1.0"]),
    ],
)
def test_batch_normalization_refuses_bad_arguments(
    kt_in, stats: tuple[Any, Any], kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        kt.batch_normalization(kt.ones((2, 2, 3)), stats[0], stats[1], None, None, **kwargs)
    for w in words:
        assert w in str(info.value)


# -- normalize_batch_in_training ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "axes", "param_shape"),
    [
        ((4, 3), [0], (3,)),
        ((2, 3, 2, 4), [0, 1, 2], (4,)),
        ((2, 3, 4), [0, 2], (3,)),
        ((2, 3, 4), [0], (3, 4)),
        ((2, 3, 4), [-1], (2, 3)),
    ],
)
def test_normalize_batch_in_training_matches_numpy(kt_in, shape: tuple[int, ...], axes: list[int], param_shape: tuple[int, ...]) -> None:
    data = _RNG.normal(size=shape)
    gamma, beta = _RNG.uniform(0.5, 1.5, param_shape), _RNG.normal(size=param_shape)
    x = kt.placeholder(shape=shape, dtype="float64")
    outs = kt.normalize_batch_in_training(x, gamma, beta, axes, epsilon=0.01)
    assert isinstance(outs, tuple) and len(outs) == 3
    wants = _normalize_batch_reference(data, gamma, beta, axes, epsilon=0.01)
    for out, got, want in zip(outs, kt.function([x], list(outs))(data), wants, strict=True):
        assert out.shape == want.shape and out.dtype == "float64"
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_normalize_batch_in_training_without_parameters_and_unknown_batch(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3))
    normed, mean, var = kt.normalize_batch_in_training(x, None, None, [0])
    assert normed.shape == (None, 3) and mean.shape == (3,) and var.shape == (3,)
    data = _RNG.normal(size=(5, 3)).astype("float32")
    got = kt.function([x], [normed, mean, var])(data)
    for g, w in zip(got, _normalize_batch_reference(data, None, None, [0]), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_normalize_batch_in_training_gradient(kt_in) -> None:
    data = _RNG.normal(size=(4, 3))
    weights = _RNG.uniform(0.5, 1.5, (4, 3))
    x = kt.placeholder(shape=(4, 3), dtype="float64")
    normed, _, _ = kt.normalize_batch_in_training(x, np.full(3, 2.0), np.zeros(3), [0])
    grad = kt.gradients(kt.sum(normed * weights), [x])[0]
    got = kt.function([x], [grad])(data)[0]

    def loss(a: np.ndarray) -> float:
        return float(np.sum(weights * _normalize_batch_reference(a, np.full(3, 2.0), np.zeros(3), [0])[0]))

    want = np.zeros_like(data)
    for i in np.ndindex(data.shape):
        up, down = data.copy(), data.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        want[i] = (loss(up) - loss(down)) / 2e-6
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("gamma", "axes", "error", "words"),
    [
        (np.ones(4), [0], ValueError, ["normalize_batch_in_training", "gamma", "(4,)", "(2, 3)"]),
        (np.ones(3), [], ValueError, ["normalize_batch_in_training", "reduction_axes", "[]"]),
        (np.ones(3), [3], ValueError, ["normalize_batch_in_training reduction_axes=3", "out of bounds"]),
        (np.ones((2, 2)), [0, 1], ValueError, ["normalize_batch_in_training", "gamma", "(2, 2)"]),
    ],
)
def test_normalize_batch_in_training_refuses_bad_arguments(
    kt_in, gamma: Any, axes: list[int], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        kt.normalize_batch_in_training(kt.ones((4, 2, 3)), gamma, None, axes)
    for w in words:
        assert w in str(info.value)


# -- bias_add ----------------------------------------------------------------------------------------
def test_bias_add_unknown_batch_and_layouts(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3, 2))
    bias = np.array([1.0, 2.0, 3.0], "float32")
    y = kt.bias_add(x, bias, data_format="channels_first")
    assert y.shape == (None, 3, 2)
    data = np.zeros((2, 3, 2), "float32")
    np.testing.assert_array_equal(kt.function([x], [y])(data)[0], data + bias[None, :, None])
    z = kt.bias_add(x, np.ones((3, 2), "float32"))
    assert z.shape == (None, 3, 2)


@pytest.mark.parametrize(
    ("shape", "bias_shape", "kwargs", "words"),
    [
        ((2, 3, 4), (3,), {}, ["bias_add", "bias", "(3,)", "4 channels"]),
        ((2, 3, 4), (4,), {"data_format": "channels_first"}, ["bias_add", "(4,)", "3 channels", "channels_first"]),
        ((2, 3, 4), (3, 4), {"data_format": "NHWC"}, ["bias_add", "data_format", "'NHWC'"]),
        ((2, 3, 4), (2, 3, 4), {}, ["bias_add", "bias must have 1 or 2 dimensions", "(2, 3, 4)"]),
        ((2, 3, 4), (4, 3), {}, ["bias_add", "(4, 3)", "(3, 4)"]),
        ((3,), (3,), {}, ["bias_add", "at least 2 dimensions", "(3,)"]),
    ],
)
def test_bias_add_refuses_bad_arguments(
    kt_in, shape: tuple[int, ...], bias_shape: tuple[int, ...], kwargs: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(ValueError) as info:
        kt.bias_add(kt.ones(shape), np.ones(bias_shape, "float32"), **kwargs)
    for w in words:
        assert w in str(info.value)
