"""``rnn``, ``local_conv1d`` / ``local_conv2d`` and ``resize_volumes``: what the kit cannot check.

``rnn`` (a Python step function in, a tuple out) is checked here against a NumPy loop,
unrolled and scanned, with masks, ``go_backwards``, several states and constants, and its
gradients through time against finite differences in float64 on both engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops.nn.local import local_conv1d_reference, local_conv2d_reference

RNG = np.random.default_rng(7)
X = RNG.normal(size=(2, 4, 3))
MASK = np.array([[1, 0, 1, 1], [0, 1, 1, 0]])
W_IN = RNG.normal(size=(3, 5)) * 0.5
W_REC = RNG.normal(size=(5, 5)) * 0.5
W_LSTM = RNG.normal(size=(3 + 5, 4 * 5)) * 0.5


def _reference(
    step: Callable[[np.ndarray, list[np.ndarray]], tuple[np.ndarray, list[np.ndarray]]],
    x: np.ndarray,
    states: list[np.ndarray],
    mask: np.ndarray | None = None,
    go_backwards: bool = False,
    constants: tuple[np.ndarray, ...] = (),
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Keras 2's rnn as a NumPy loop."""
    outputs: list[np.ndarray] = []
    previous: np.ndarray | None = None
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in order:
        out, new = step(x[:, t], [*states, *constants])
        if mask is not None:
            m = mask[:, t].astype(bool)
            if previous is None:
                previous = np.zeros_like(out)
            out = np.where(m.reshape(-1, *[1] * (out.ndim - 1)), out, previous)
            new = [np.where(m.reshape(-1, *[1] * (n.ndim - 1)), n, s) for n, s in zip(new, states)]
        outputs.append(out)
        previous, states = out, new
    return outputs[-1], np.stack(outputs, axis=1), states


def _sigmoid(x: Any, lib: Any) -> Any:
    return 1 / (1 + lib.exp(-x))


def _simple_step(lib: Any, w_in: Any, w_rec: Any) -> Callable[[Any, list[Any]], tuple[Any, list[Any]]]:
    def step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        h = lib.tanh(lib.dot(x_t, w_in) + lib.dot(states[0], w_rec))
        return h, [h]

    return step


def _lstm_step(lib: Any) -> Callable[[Any, list[Any]], tuple[Any, list[Any]]]:
    """An LSTM step: states (h, c), the weights as the one constant."""

    def step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        h, c, w = states
        z = lib.dot(lib.concatenate([x_t, h], axis=-1), w)
        i, f, o = (_sigmoid(z[:, k * 5 : (k + 1) * 5], lib) for k in range(3))
        g = lib.tanh(z[:, 15:20])
        c_new = f * c + i * g
        h_new = o * lib.tanh(c_new)
        return h_new, [h_new, c_new]

    return step


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_simple_rnn_matches_numpy(kt_in, unroll: bool, go_backwards: bool, masked: bool) -> None:
    mask = MASK if masked else None
    last, outputs, states = kt.rnn(
        _simple_step(kt, kt.constant(W_IN, dtype="float64"), kt.constant(W_REC, dtype="float64")),
        kt.constant(X, dtype="float64"),
        [kt.zeros((2, 5), dtype="float64")],
        go_backwards=go_backwards,
        mask=None if mask is None else kt.constant(mask),
        unroll=unroll,
    )
    r_last, r_outputs, r_states = _reference(_simple_step(np, W_IN, W_REC), X, [np.zeros((2, 5))], mask, go_backwards)
    assert isinstance(states, list) and len(states) == 1
    assert outputs.shape == (2, 4, 5) and last.shape == (2, 5) and states[0].shape == (2, 5)
    assert outputs.dtype == "float64"
    np.testing.assert_allclose(outputs.eval(), r_outputs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(last.eval(), r_last, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(states[0].eval(), r_states[0], rtol=1e-12, atol=1e-12)
    if masked:
        # masked steps repeat the previous output, zeros before the first unmasked one
        ran = outputs.eval()
        first = 3 if go_backwards else 0
        assert MASK[1, first] == 0 and np.all(ran[1, 0] == 0)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_two_states_and_constants_unrolled_equals_scanned(kt_in, go_backwards: bool) -> None:
    h0, c0 = RNG.normal(size=(2, 5)), RNG.normal(size=(2, 5))
    results = []
    for unroll in (False, True):
        last, outputs, (h, c) = kt.rnn(
            _lstm_step(kt),
            kt.constant(X, dtype="float64"),
            [kt.constant(h0, dtype="float64"), kt.constant(c0, dtype="float64")],
            go_backwards=go_backwards,
            mask=kt.constant(MASK.astype(bool)),
            constants=[kt.constant(W_LSTM, dtype="float64")],
            unroll=unroll,
        )
        results.append([t.eval() for t in (last, outputs, h, c)])
    r_last, r_outputs, (r_h, r_c) = _reference(_lstm_step(np), X, [h0, c0], MASK, go_backwards, (W_LSTM,))
    for got in results:
        for a, b in zip(got, (r_last, r_outputs, r_h, r_c)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def _finite_differences(loss: Callable[[np.ndarray], float], point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(point)
    for i in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (loss(up) - loss(down)) / (2 * step)
    return grad


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_gradients_through_time_match_finite_differences(kt_in, unroll: bool, go_backwards: bool) -> None:
    h0, c0 = RNG.normal(size=(2, 5)), RNG.normal(size=(2, 5))
    weights = RNG.uniform(0.5, 1.5, size=(2, 4, 5))
    x = kt.placeholder(shape=(2, 4, 3), dtype="float64", name="x")
    h = kt.placeholder(shape=(2, 5), dtype="float64", name="h")
    c = kt.placeholder(shape=(2, 5), dtype="float64", name="c")
    w = kt.placeholder(shape=W_LSTM.shape, dtype="float64", name="w")
    last, outputs, (_, c_n) = kt.rnn(
        _lstm_step(kt), x, [h, c], go_backwards=go_backwards, mask=kt.constant(MASK), constants=[w], unroll=unroll
    )
    loss = kt.sum(outputs * kt.constant(weights, dtype="float64")) + kt.sum(c_n) + 2 * kt.sum(last)
    f = kt.function([x, h, c, w], kt.gradients(loss, [x, h, c, w]))
    got = f(X, h0, c0, W_LSTM)
    values = [X, h0, c0, W_LSTM]

    def np_loss(k: int, value: np.ndarray) -> float:
        args = list(values)
        args[k] = value
        r_last, r_out, (_, r_c) = _reference(_lstm_step(np), args[0], [args[1], args[2]], MASK, go_backwards, (args[3],))
        return float(np.sum(r_out * weights) + np.sum(r_c) + 2 * np.sum(r_last))

    for k, (g, v) in enumerate(zip(got, values)):
        expected = _finite_differences(lambda p, k=k: np_loss(k, p), v)  # type: ignore[misc]
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7, err_msg=f"gradient {k}")
    # the masked-out steps of sample 0 give x no gradient
    assert np.all(got[0][0, 1] == 0)


def test_gradient_to_a_closed_over_variable(kt_in) -> None:
    w_rec = kt.variable(W_REC, dtype="float64")
    x = kt.placeholder(shape=(None, None, 3), dtype="float64", name="x")
    _, outputs, _ = kt.rnn(_simple_step(kt, kt.constant(W_IN, dtype="float64"), w_rec), x, [kt.zeros((2, 5), dtype="float64")])
    assert x in outputs.placeholders
    [g] = kt.gradients(kt.sum(outputs), [w_rec])
    got = kt.function([x], g)(X)

    def np_loss(value: np.ndarray) -> float:
        return float(np.sum(_reference(_simple_step(np, W_IN, value), X, [np.zeros((2, 5))])[1]))

    np.testing.assert_allclose(got, _finite_differences(np_loss, W_REC), rtol=1e-6, atol=1e-7)


def test_placeholders_closed_over_reach_the_results(kt_in) -> None:
    x = kt.placeholder(shape=(None, 4, 3), name="x")
    w = kt.placeholder(shape=(3, 5), name="w")
    last, outputs, [state] = kt.rnn(
        _simple_step(kt, w, kt.constant(W_REC, dtype="float32")), x, [kt.zeros((2, 5))], mask=kt.constant(MASK)
    )
    for t in (last, outputs, state):
        assert w in t.placeholders and x in t.placeholders
    out = kt.function([x, w], outputs)(X.astype("float32"), W_IN.astype("float32"))
    r = _reference(_simple_step(np, W_IN, W_REC), X, [np.zeros((2, 5))], MASK)[1]
    np.testing.assert_allclose(out, r, rtol=1e-5, atol=1e-5)


def test_static_shapes_with_unknown_dims(kt_in) -> None:
    x = kt.placeholder(shape=(None, 4, 3), name="x")
    s = kt.placeholder(shape=(None, 5), name="s")
    step = _simple_step(kt, kt.constant(W_IN, dtype="float32"), kt.constant(W_REC, dtype="float32"))
    last, outputs, [state] = kt.rnn(step, x, [s])
    assert (last.shape, outputs.shape, state.shape) == ((None, 5), (None, 4, 5), (None, 5))
    last, outputs, [state] = kt.rnn(step, x, [s], unroll=True)
    assert (last.shape, outputs.shape, state.shape) == ((None, 5), (None, 4, 5), (None, 5))
    y = kt.placeholder(shape=(None, None, 3), name="y")
    _, outputs, _ = kt.rnn(step, y, [s], mask=kt.placeholder(shape=(None, None), dtype="bool"))
    assert outputs.shape == (None, None, 5)
    # a length unknown to the shape but given as input_length unrolls
    _, outputs, _ = kt.rnn(step, y, [s], unroll=True, input_length=4)
    assert outputs.shape[2] == 5
    got = kt.function([y, s], outputs)(X.astype("float32"), np.zeros((2, 5), "float32"))
    np.testing.assert_allclose(got, _reference(_simple_step(np, W_IN, W_REC), X, [np.zeros((2, 5))])[1], atol=1e-5)


def test_state_dtype_is_kept(kt_in) -> None:
    def step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        return x_t * 2, [states[0] + kt.sum(x_t, axis=-1, keepdims=True)]

    _, outputs, [total] = kt.rnn(step, kt.constant(X, dtype="float32"), [kt.zeros((2, 1), dtype="float64")])
    assert outputs.dtype == "float32" and total.dtype == "float64"
    np.testing.assert_allclose(total.eval(), X.astype("float32").sum(axis=(1, 2))[:, None], rtol=1e-6)


def test_rnn_refuses_bad_arguments(kt_in) -> None:
    step = _simple_step(kt, kt.constant(W_IN, dtype="float64"), kt.constant(W_REC, dtype="float64"))
    x, s = kt.constant(X), kt.zeros((2, 5), dtype="float64")
    with pytest.raises(ValueError, match=r"rnn: inputs must be at least 3-D"):
        kt.rnn(step, kt.constant(X[:, :, 0]), [s])
    with pytest.raises(TypeError, match=r"rnn: step_function must be a callable"):
        kt.rnn("step", x, [s])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"rnn: mask must have shape \(batch, time\) = \(2, 4\); received shape \(2, 3\)"):
        kt.rnn(step, x, [s], mask=kt.constant(MASK[:, :3]))
    with pytest.raises(ValueError, match=r"rnn: unroll=True needs a known number of time steps"):
        kt.rnn(step, kt.placeholder(shape=(2, None, 3), dtype="float64"), [s], unroll=True)
    with pytest.raises(ValueError, match=r"rnn: input_length is 3 but inputs have 4 time steps"):
        kt.rnn(step, x, [s], input_length=3)
    with pytest.raises(ValueError, match=r"rnn: step_function returned 1 new states for 2 states"):
        kt.rnn(step, x, [s, s])
    with pytest.raises(ValueError, match=r"rnn: step_function returned state 0 of shape \(2, 2, 5\); its initial state has shape \(2, 1, 5\)"):
        kt.rnn(step, x, [kt.zeros((2, 1, 5), dtype="float64")])
    with pytest.raises(TypeError, match=r"rnn: step_function must return a pair"):
        kt.rnn(lambda x_t, states: x_t, x, [s])
    with pytest.raises(TypeError, match=r"rnn: step_function returned state 0 of dtype float64, which does not cast"):
        kt.rnn(step, x, [kt.zeros((2, 5), dtype="int32")])
    with pytest.raises(ValueError, match=r"rnn: inputs have no time steps"):
        kt.rnn(step, kt.zeros((2, 0, 3)), [s])


# -- local convolutions --------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_conv2d_kernel_gradient(kt_in, data_format: str) -> None:
    shape = (2, 3, 4, 2) if data_format == "channels_last" else (2, 2, 3, 4)
    x_value = RNG.normal(size=shape)
    k_value = RNG.normal(size=(4, 8, 3))
    args = ((2, 2), (1, 2), (2, 2), data_format)
    out_shape = local_conv2d_reference(x_value, k_value, *args).shape
    weights = RNG.uniform(0.5, 1.5, size=out_shape)
    k = kt.placeholder(shape=k_value.shape, dtype="float64", name="k")
    y = kt.local_conv2d(kt.constant(x_value, dtype="float64"), k, *args)
    assert y.shape == out_shape
    [g] = kt.gradients(kt.sum(y * kt.constant(weights, dtype="float64")), [k])
    got = kt.function([k], g)(k_value)
    expected = _finite_differences(lambda v: float(np.sum(weights * local_conv2d_reference(x_value, v, *args))), k_value)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_local_conv1d_kernel_gradient_and_unknown_batch(kt_in) -> None:
    x_value, k_value = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 6, 4))
    x = kt.placeholder(shape=(None, 5, 3), dtype="float64", name="x")
    k = kt.placeholder(shape=(2, 6, 4), dtype="float64", name="k")
    y = kt.local_conv1d(x, k, (2,), (2,))
    assert y.shape == (None, 2, 4)
    [g] = kt.gradients(kt.sum(y * y), [k])
    got_y, got_g = kt.function([x, k], [y, g])(x_value, k_value)
    np.testing.assert_allclose(got_y, local_conv1d_reference(x_value, k_value, (2,), (2,)), rtol=1e-12)
    expected = _finite_differences(
        lambda v: float(np.sum(local_conv1d_reference(x_value, v, (2,), (2,)) ** 2)), k_value
    )
    np.testing.assert_allclose(got_g, expected, rtol=1e-6, atol=1e-7)


def test_local_conv_refuses_bad_arguments(kt_in) -> None:
    x = kt.ones((2, 5, 3))
    with pytest.raises(ValueError, match=r"local_conv1d: kernel axis 1 must be prod\(kernel_size\) \* input channels = 6"):
        kt.local_conv1d(x, kt.ones((2, 5, 4)), (2,), (2,))
    with pytest.raises(ValueError, match=r"local_conv1d: 3 windows of size 2 with stride 2 need 6 steps"):
        kt.local_conv1d(x, kt.ones((3, 6, 4)), (2,), (2,))
    with pytest.raises(ValueError, match=r"local_conv1d: data_format must be None, 'channels_last' or 'channels_first'"):
        kt.local_conv1d(x, kt.ones((2, 6, 4)), (2,), (2,), data_format="NHWC")
    with pytest.raises(ValueError, match=r"local_conv1d: inputs must be 3-D; received shape \(2, 5\)"):
        kt.local_conv1d(kt.ones((2, 5)), kt.ones((2, 6, 4)), (2,), (2,))
    with pytest.raises(ValueError, match=r"local_conv1d: strides must be at least 1"):
        kt.local_conv1d(x, kt.ones((2, 6, 4)), (2,), (0,))
    with pytest.raises(TypeError, match=r"local_conv2d: kernel_size must be an int or a tuple of 2 ints"):
        kt.local_conv2d(kt.ones((2, 3, 3, 1)), kt.ones((4, 4, 2)), (2, 2, 2), (1, 1), (2, 2))
    with pytest.raises(ValueError, match=r"local_conv2d: kernel must have 4 output items \(axis 0\)"):
        kt.local_conv2d(kt.ones((2, 3, 3, 1)), kt.ones((3, 4, 2)), (2, 2), (1, 1), (2, 2))
    with pytest.raises(ValueError, match=r"local_conv2d: kernel must have a known shape"):
        kt.local_conv2d(kt.ones((2, 3, 3, 1)), kt.placeholder(shape=(4, None, 2)), (2, 2), (1, 1), (2, 2))


# -- resize_volumes ------------------------------------------------------------------
def test_resize_volumes_static_shapes_and_errors(kt_in) -> None:
    x = kt.placeholder(shape=(None, 2, None, 3, 4), name="x")
    assert kt.resize_volumes(x, 2, 3, 1, "channels_last").shape == (None, 4, None, 3, 4)
    assert kt.resize_volumes(x, 2, 1, 2, "channels_first").shape == (None, 2, None, 3, 8)
    value = RNG.normal(size=(1, 2, 2, 3, 4)).astype("float32")
    got = kt.function([x], kt.resize_volumes(x, 2, 3, 1, None))(value)
    np.testing.assert_array_equal(got, value.repeat(2, 1).repeat(3, 2))
    with pytest.raises(ValueError, match=r"resize_volumes: x must be 5-D; received shape \(1, 2, 2, 2\)"):
        kt.resize_volumes(kt.ones((1, 2, 2, 2)), 2, 2, 2, "channels_last")
    with pytest.raises(ValueError, match=r"resize_volumes: data_format must be"):
        kt.resize_volumes(x, 2, 2, 2, "channels_middle")
    with pytest.raises(ValueError, match=r"resize_volumes: height_factor must be at least 1; received 0"):
        kt.resize_volumes(x, 2, 0, 2, "channels_last")
    with pytest.raises(TypeError, match=r"resize_volumes: width_factor must be an int; received 1.5"):
        kt.resize_volumes(x, 2, 1, 1.5, "channels_last")  # type: ignore[arg-type]
