"""The benchmark workloads: each expression written for ktensor, NumPy, PyTensor and TensorFlow.

A :class:`Workload` holds one computation four times over: once with ktensor (run on
every backend), and once as an expert of each engine would write it by hand — NumPy,
PyTensor (``pytensor.tensor``) and TensorFlow (graph mode and ``tf.function``) — so the
suite can compare ktensor with each engine's own best path. All four compute the same
thing in float32 throughout.

Each ``*_math`` function receives its engine's module, the workload's parameters by
name, and the inputs, and returns a :class:`MathResult`: the outputs and the new values
of the parameters (applied after the call, every new value computed from the values
before it). This module imports neither PyTensor nor TensorFlow: the caller passes the
engine in, so importing the table costs nothing.

Scalar constants are Python floats, so they stay float32 next to float32 tensors in
NumPy, ktensor and TensorFlow. PyTensor autocasts a Python float to float32 only when
the value is exact in float32 (``0.5``, ``0.25``, ``1.0``); ``0.1`` becomes float64 and
would promote, hence the explicit ``np.float32`` learning rate in the PyTensor code.

Example:
    >>> import numpy as np
    >>> from benchmarks.workloads import WORKLOADS
    >>> w = WORKLOADS["elementwise"]
    >>> inputs = w.make_inputs(2, np.random.default_rng(0))
    >>> w.input_shapes(2), w.input_dtypes(2)
    ([(2, 2), (2, 2), (2, 2)], ['float32', 'float32', 'float32'])
    >>> [out.dtype for out in w.np_math(np, {}, *inputs).outputs]
    [dtype('float32')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import attrs
import numpy as np

#: SGD step size of the training workload.
LEARNING_RATE = 0.1
#: Layer widths of the MLP workloads: input features, hidden units, classes.
MLP_FEATURES, MLP_HIDDEN, MLP_CLASSES = 256, 512, 10
#: Classes of the softmax cross-entropy workload.
XENT_CLASSES = 128
#: Operations in the long elementwise chain; one round of ``_chain_round`` is 10 of them.
CHAIN_OPS = 200
CHAIN_ROUNDS = CHAIN_OPS // 10
#: Order of the parameters of the MLP workloads.
MLP_PARAMS = ("W1", "b1", "W2", "b2")


@attrs.frozen
class MathResult:
    """What one implementation of a workload computes.

    Attributes:
        outputs: the result symbols (or arrays, for NumPy), returned by each call.
        updates: ``(parameter name, new value)`` pairs, applied after the call.
    """

    outputs: list[Any]
    updates: list[tuple[str, Any]] = attrs.field(factory=list)


@attrs.frozen
class Workload:
    """One benchmark computation, written for ktensor and for each engine by hand.

    Attributes:
        name: key in :data:`WORKLOADS`, e.g. ``"elementwise"``.
        description: one line; says what the size ``n`` means.
        sizes: values of ``n`` in a full run.
        quick_sizes: values of ``n`` in a quick run.
        make_inputs: ``(n, rng) -> arrays`` fed at each call, in order.
        make_params: ``(n, rng) -> {name: initial value}`` of the variables (``{}`` if none).
        kt_math: ``(kt, params, *inputs) -> MathResult`` with ktensor tensors.
        np_math: ``(np, params, *inputs) -> MathResult`` with NumPy arrays.
        pt_math: ``(pt, params, *inputs) -> MathResult`` with ``pytensor.tensor``; params
            are shared variables.
        tf_math: ``(tf, params, *inputs) -> MathResult`` with TensorFlow; params are
            ``tf.Variable`` s. Works in a ``tf.Graph`` (placeholders) and in a ``tf.function``.
    """

    name: str
    description: str
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    make_inputs: Callable[[int, np.random.Generator], list[np.ndarray]]
    make_params: Callable[[int, np.random.Generator], dict[str, np.ndarray]]
    kt_math: Callable[..., MathResult]
    np_math: Callable[..., MathResult]
    pt_math: Callable[..., MathResult]
    tf_math: Callable[..., MathResult]

    def _input_specs(self, size: int) -> list[tuple[tuple[int, ...], str]]:
        arrays = self.make_inputs(size, np.random.default_rng(0))
        return [(a.shape, str(a.dtype)) for a in arrays]

    def input_shapes(self, size: int) -> list[tuple[int, ...]]:
        """Shapes of the arrays ``make_inputs(size, rng)`` returns, in order.

        Example:
            >>> WORKLOADS["softmax_xent"].input_shapes(4)
            [(4, 128), (4, 128)]
        """
        return [shape for shape, _ in self._input_specs(size)]

    def input_dtypes(self, size: int) -> list[str]:
        """Dtype names of the arrays ``make_inputs(size, rng)`` returns, in order.

        Example:
            >>> WORKLOADS["matmul"].input_dtypes(2)
            ['float32', 'float32']
        """
        return [dtype for _, dtype in self._input_specs(size)]


# -- data ------------------------------------------------------------------------------
def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Float32 normal samples; ``scale`` multiplies in float32."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)


def _one_hot(rng: np.random.Generator, rows: int, classes: int) -> np.ndarray:
    """``rows`` random float32 one-hot rows of width ``classes``."""
    return np.eye(classes, dtype=np.float32)[rng.integers(0, classes, rows)]


def _square_inputs(count: int) -> Callable[[int, np.random.Generator], list[np.ndarray]]:
    """``make_inputs`` giving ``count`` float32 n x n normal arrays."""

    def make(n: int, rng: np.random.Generator) -> list[np.ndarray]:
        return [_normal(rng, (n, n)) for _ in range(count)]

    return make


def _no_params(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``make_params`` of a workload without variables."""
    return {}


def _xent_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Logits and one-hot labels, both float32 (n, XENT_CLASSES)."""
    return [_normal(rng, (n, XENT_CLASSES)), _one_hot(rng, n, XENT_CLASSES)]


def _mlp_forward_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A float32 (n, MLP_FEATURES) batch."""
    return [_normal(rng, (n, MLP_FEATURES))]


def _mlp_train_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A float32 (n, MLP_FEATURES) batch and its one-hot (n, MLP_CLASSES) targets."""
    return [_normal(rng, (n, MLP_FEATURES)), _one_hot(rng, n, MLP_CLASSES)]


def _mlp_params(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1²); all float32, independent of ``n``."""
    return {
        "W1": _normal(rng, (MLP_FEATURES, MLP_HIDDEN), MLP_FEATURES**-0.5),
        "b1": _normal(rng, (MLP_HIDDEN,), 0.1),
        "W2": _normal(rng, (MLP_HIDDEN, MLP_CLASSES), MLP_HIDDEN**-0.5),
        "b2": _normal(rng, (MLP_CLASSES,), 0.1),
    }


# -- elementwise: b + c * |d| -----------------------------------------------------------
def _elementwise_kt(kt: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    return MathResult([b + c * d.abs()])


def _elementwise_np(np: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    return MathResult([b + c * np.abs(d)])


def _elementwise_pt(pt: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    return MathResult([b + c * pt.abs(d)])


def _elementwise_tf(tf: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    return MathResult([b + c * tf.abs(d)])


# -- elementwise20: a chain of exactly 20 operations ------------------------------------
# The same formula in all four, one operation per step (numbered):
#    1 t = b * c       6 s = tanh(b)          11 e = exp(t)     16 t = t - r
#    2 t = t + d       7 t = t - s            12 e = e * 0.5    17 t = maximum(t, c)
#    3 t = |t|         8 t = square(t)        13 r = |d|        18 t = t * e
#    4 t = t + 1       9 t = maximum(t, d)    14 r = r + 1      19 t = t + b
#    5 t = c / t      10 t = tanh(t)          15 r = b / r      20 out = tanh(t)
# Every value stays bounded: the divisions are by 1 + |.|, exp takes a tanh.
def _elementwise20_kt(kt: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    t = c / ((b * c + d).abs() + 1.0)
    t = ((t - b.tanh()).square().maximum(d)).tanh()
    e = t.exp() * 0.5
    t = (t - b / (d.abs() + 1.0)).maximum(c)
    return MathResult([(t * e + b).tanh()])


def _elementwise20_np(np: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    t = c / (np.abs(b * c + d) + 1.0)
    t = np.tanh(np.maximum(np.square(t - np.tanh(b)), d))
    e = np.exp(t) * 0.5
    t = np.maximum(t - b / (np.abs(d) + 1.0), c)
    return MathResult([np.tanh(t * e + b)])


def _elementwise20_pt(pt: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    t = c / (pt.abs(b * c + d) + 1.0)
    t = pt.tanh(pt.maximum(pt.square(t - pt.tanh(b)), d))
    e = pt.exp(t) * 0.5
    t = pt.maximum(t - b / (pt.abs(d) + 1.0), c)
    return MathResult([pt.tanh(t * e + b)])


def _elementwise20_tf(tf: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    t = c / (tf.abs(b * c + d) + 1.0)
    t = tf.tanh(tf.maximum(tf.square(t - tf.tanh(b)), d))
    e = tf.exp(t) * 0.5
    t = tf.maximum(t - b / (tf.abs(d) + 1.0), c)
    return MathResult([tf.tanh(t * e + b)])


# -- matmul -----------------------------------------------------------------------------
def _matmul_kt(kt: Any, params: dict[str, Any], a: Any, b: Any) -> MathResult:
    return MathResult([a @ b])


def _matmul_np(np: Any, params: dict[str, Any], a: Any, b: Any) -> MathResult:
    return MathResult([a @ b])


def _matmul_pt(pt: Any, params: dict[str, Any], a: Any, b: Any) -> MathResult:
    return MathResult([pt.dot(a, b)])


def _matmul_tf(tf: Any, params: dict[str, Any], a: Any, b: Any) -> MathResult:
    return MathResult([tf.matmul(a, b)])


# -- reduction --------------------------------------------------------------------------
def _reduction_kt(kt: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([x.sum(axis=0), x.mean(axis=1), x.max(), x.sum()])


def _reduction_np(np: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([x.sum(axis=0), x.mean(axis=1), x.max(), x.sum()])


def _reduction_pt(pt: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([pt.sum(x, axis=0), pt.mean(x, axis=1), pt.max(x), pt.sum(x)])


def _reduction_tf(tf: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult(
        [tf.reduce_sum(x, axis=0), tf.reduce_mean(x, axis=1), tf.reduce_max(x), tf.reduce_sum(x)]
    )


# -- softmax_xent -----------------------------------------------------------------------
# outputs: softmax(logits) and mean over rows of -sum(labels * log_softmax(logits), -1)
def _softmax_xent_kt(kt: Any, params: dict[str, Any], logits: Any, labels: Any) -> MathResult:
    loss = -(labels * kt.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    return MathResult([kt.softmax(logits), loss])


def _softmax_xent_np(np: Any, params: dict[str, Any], logits: Any, labels: Any) -> MathResult:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=-1, keepdims=True)
    loss = (-(labels * (shifted - np.log(sums))).sum(axis=-1)).mean()
    return MathResult([exps / sums, loss])


def _softmax_xent_pt(pt: Any, params: dict[str, Any], logits: Any, labels: Any) -> MathResult:
    loss = -(labels * pt.special.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    return MathResult([pt.special.softmax(logits, axis=-1), loss])


def _softmax_xent_tf(tf: Any, params: dict[str, Any], logits: Any, labels: Any) -> MathResult:
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return MathResult([tf.nn.softmax(logits), loss])


# -- mlp_forward: softmax(tanh(x @ W1 + b1) @ W2 + b2) -----------------------------------
def _mlp_forward_kt(kt: Any, params: dict[str, Any], x: Any) -> MathResult:
    hidden = (x @ params["W1"] + params["b1"]).tanh()
    return MathResult([kt.softmax(hidden @ params["W2"] + params["b2"])])


def _mlp_forward_np(np: Any, params: dict[str, Any], x: Any) -> MathResult:
    hidden = np.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    exps = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return MathResult([exps / exps.sum(axis=-1, keepdims=True)])


def _mlp_forward_pt(pt: Any, params: dict[str, Any], x: Any) -> MathResult:
    hidden = pt.tanh(pt.dot(x, params["W1"]) + params["b1"])
    return MathResult([pt.special.softmax(pt.dot(hidden, params["W2"]) + params["b2"], axis=-1)])


def _mlp_forward_tf(tf: Any, params: dict[str, Any], x: Any) -> MathResult:
    hidden = tf.tanh(tf.matmul(x, params["W1"]) + params["b1"])
    return MathResult([tf.nn.softmax(tf.matmul(hidden, params["W2"]) + params["b2"])])


# -- mlp_train: one SGD step on the mean cross-entropy of the MLP -----------------------
def _mlp_train_kt(kt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    hidden = (x @ params["W1"] + params["b1"]).tanh()
    logits = hidden @ params["W2"] + params["b2"]
    loss = -(y * kt.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    grads = kt.gradients(loss, [params[name] for name in MLP_PARAMS])
    return MathResult(
        [loss], [(name, params[name] - LEARNING_RATE * g) for name, g in zip(MLP_PARAMS, grads)]
    )


def _mlp_train_np(np: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    w1, b1, w2, b2 = (params[name] for name in MLP_PARAMS)
    hidden = np.tanh(x @ w1 + b1)
    logits = hidden @ w2 + b2
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=-1, keepdims=True)
    loss = (-(y * (shifted - np.log(sums))).sum(axis=-1)).mean()
    # Backward pass of the mean cross-entropy through softmax, W2, tanh and W1.
    d_logits = (exps / sums - y) / x.shape[0]
    d_pre = (d_logits @ w2.T) * (1.0 - hidden * hidden)
    grads = (x.T @ d_pre, d_pre.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0))
    return MathResult(
        [loss], [(name, params[name] - LEARNING_RATE * g) for name, g in zip(MLP_PARAMS, grads)]
    )


def _mlp_train_pt(pt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    import pytensor

    hidden = pt.tanh(pt.dot(x, params["W1"]) + params["b1"])
    logits = pt.dot(hidden, params["W2"]) + params["b2"]
    loss = -(y * pt.special.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    grads = cast(list[Any], pytensor.grad(loss, [params[name] for name in MLP_PARAMS]))
    rate = np.float32(LEARNING_RATE)
    return MathResult([loss], [(name, params[name] - rate * g) for name, g in zip(MLP_PARAMS, grads)])


def _mlp_train_tf(tf: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    def loss_fn() -> Any:
        hidden = tf.tanh(tf.matmul(x, params["W1"]) + params["b1"])
        logits = tf.matmul(hidden, params["W2"]) + params["b2"]
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

    variables = [params[name] for name in MLP_PARAMS]
    if tf.inside_function():  # a tf.function: TF2's tape
        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, variables)
    else:  # a tf.Graph built in graph mode: symbolic gradients
        loss = loss_fn()
        grads = tf.gradients(loss, variables)
    return MathResult(
        [loss], [(name, params[name] - LEARNING_RATE * g) for name, g in zip(MLP_PARAMS, grads)]
    )


# -- chain200: 200 elementwise operations, for build time -------------------------------
# One round, 10 operations; CHAIN_ROUNDS rounds. Every round ends in tanh(.) + 1, in (0, 2).
#   x = x * 0.5 + y;  x = tanh(x);  x = x - y * 0.25;  x = |x|;  x = x * y;  x = tanh(x - 0.5) + 1
def _chain200_kt(kt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    for _ in range(CHAIN_ROUNDS):
        x = (x * 0.5 + y).tanh()
        x = (x - y * 0.25).abs() * y
        x = (x - 0.5).tanh() + 1.0
    return MathResult([x])


def _chain200_np(np: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    for _ in range(CHAIN_ROUNDS):
        x = np.tanh(x * 0.5 + y)
        x = np.abs(x - y * 0.25) * y
        x = np.tanh(x - 0.5) + 1.0
    return MathResult([x])


def _chain200_pt(pt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    for _ in range(CHAIN_ROUNDS):
        x = pt.tanh(x * 0.5 + y)
        x = pt.abs(x - y * 0.25) * y
        x = pt.tanh(x - 0.5) + 1.0
    return MathResult([x])


def _chain200_tf(tf: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    for _ in range(CHAIN_ROUNDS):
        x = tf.tanh(x * 0.5 + y)
        x = tf.abs(x - y * 0.25) * y
        x = tf.tanh(x - 0.5) + 1.0
    return MathResult([x])


# -- the neural-network workloads: shared sizes and helpers ------------------------------
#: Side of the square single-channel images of the convolution workloads (MNIST-sized).
IMAGE = 28
#: Kernel side of every convolution, and its filters: conv2d's, then the CNN's two layers.
KERNEL, CONV_FILTERS, CNN_FILTERS = 3, 32, (32, 64)
#: Classes of the CNN's and the LSTM's dense heads.
NN_CLASSES = 10
#: The CNN's spatial sizes: 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5.
CNN_SIDES = (IMAGE - KERNEL + 1, (IMAGE - KERNEL + 1) // 2, (IMAGE - KERNEL + 1) // 2 - KERNEL + 1)
CNN_FLAT = ((CNN_SIDES[2]) // 2) ** 2 * CNN_FILTERS[1]
#: Order of the CNN's parameters: two kernels with their biases, then the dense head.
CNN_PARAMS = ("K1", "b1", "K2", "b2", "W", "b")
#: The LSTM: time steps, input features per step, units.
RNN_STEPS, RNN_FEATURES, RNN_UNITS = 32, 32, 128
#: Order of the LSTM's parameters: input and recurrent weights (gates i, f, c, o side by
#: side, as in Keras), gate bias, then the dense head.
RNN_PARAMS = ("Wx", "Wh", "bg", "Wo", "bo")


def _image_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A float32 (n, IMAGE, IMAGE, 1) batch of images."""
    return [_normal(rng, (n, IMAGE, IMAGE, 1))]


def _image_train_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A float32 image batch and its one-hot (n, NN_CLASSES) targets."""
    return [_normal(rng, (n, IMAGE, IMAGE, 1)), _one_hot(rng, n, NN_CLASSES)]


def _conv_params(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One 3x3 kernel, 1 -> CONV_FILTERS channels, ~ N(0, 1/fan_in)."""
    return {"K": _normal(rng, (KERNEL, KERNEL, 1, CONV_FILTERS), KERNEL**-1)}


def _cnn_params(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Kernels and dense weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1²); independent of ``n``."""
    c1, c2 = CNN_FILTERS
    return {
        "K1": _normal(rng, (KERNEL, KERNEL, 1, c1), KERNEL**-1),
        "b1": _normal(rng, (c1,), 0.1),
        "K2": _normal(rng, (KERNEL, KERNEL, c1, c2), (KERNEL * KERNEL * c1) ** -0.5),
        "b2": _normal(rng, (c2,), 0.1),
        "W": _normal(rng, (CNN_FLAT, NN_CLASSES), CNN_FLAT**-0.5),
        "b": _normal(rng, (NN_CLASSES,), 0.1),
    }


def _rnn_inputs(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A float32 (n, RNN_STEPS, RNN_FEATURES) batch of sequences and one-hot targets."""
    return [_normal(rng, (n, RNN_STEPS, RNN_FEATURES)), _one_hot(rng, n, NN_CLASSES)]


def _rnn_params(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """LSTM weights ~ N(0, 1/fan_in), gate bias ~ N(0, 0.1²), a dense head; independent of ``n``."""
    return {
        "Wx": _normal(rng, (RNN_FEATURES, 4 * RNN_UNITS), RNN_FEATURES**-0.5),
        "Wh": _normal(rng, (RNN_UNITS, 4 * RNN_UNITS), RNN_UNITS**-0.5),
        "bg": _normal(rng, (4 * RNN_UNITS,), 0.1),
        "Wo": _normal(rng, (RNN_UNITS, NN_CLASSES), RNN_UNITS**-0.5),
        "bo": _normal(rng, (NN_CLASSES,), 0.1),
    }


def _sgd(params: dict[str, Any], names: tuple[str, ...], grads: Any, rate: Any = LEARNING_RATE) -> list[tuple[str, Any]]:
    """The SGD updates ``p - rate * g`` of the parameters ``names``."""
    return [(name, params[name] - rate * g) for name, g in zip(names, grads)]


def _tf_loss_and_grads(tf: Any, loss_fn: Callable[[], Any], variables: list[Any]) -> tuple[Any, list[Any]]:
    """The loss and its gradients as a TensorFlow user writes them in each mode."""
    if tf.inside_function():  # a tf.function: TF2's tape
        with tf.GradientTape() as tape:
            loss = loss_fn()
        return loss, tape.gradient(loss, variables)
    loss = loss_fn()  # a tf.Graph built in graph mode: symbolic gradients
    return loss, tf.gradients(loss, variables)


def _np_xent(np: Any, logits: Any, y: Any) -> tuple[Any, Any]:
    """Mean softmax cross-entropy of float32 ``logits`` against one-hot ``y``, and its gradient."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=-1, keepdims=True)
    loss = (-(y * (shifted - np.log(sums))).sum(axis=-1)).mean()
    return loss, (exps / sums - y) / logits.shape[0]


# NumPy convolution: im2col through a strided view (no copy until the reshape), one matmul.
def _np_cols(np: Any, x: Any, k: int) -> Any:
    """The (batch·out·out, k·k·channels) windows of a channels-last ``x``, C order (row, col, channel)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # (B, o, o, C, k, k)
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * x.shape[-1])


def _np_conv(np: Any, x: Any, kernel: Any) -> tuple[Any, Any]:
    """Valid correlation of channels-last ``x`` with ``kernel`` (k, k, in, out); also the columns."""
    k, out = kernel.shape[0], x.shape[1] - kernel.shape[0] + 1
    cols = _np_cols(np, x, k)
    y = cols @ kernel.reshape(-1, kernel.shape[-1])
    return y.reshape(x.shape[0], out, out, kernel.shape[-1]), cols


def _np_conv_backward(np: Any, dy: Any, cols: Any, x: Any, kernel: Any, need_dx: bool) -> tuple[Any, Any]:
    """Gradients of :func:`_np_conv` for its kernel and (if ``need_dx``) its input."""
    k, c_out, out = kernel.shape[0], kernel.shape[-1], dy.shape[1]
    flat = dy.reshape(-1, c_out)
    d_kernel = (cols.T @ flat).reshape(kernel.shape)
    if not need_dx:
        return d_kernel, None
    d_cols = (flat @ kernel.reshape(-1, c_out).T).reshape(dy.shape[0], out, out, k, k, x.shape[-1])
    dx = np.zeros_like(x)
    for i in range(k):
        for j in range(k):
            dx[:, i : i + out, j : j + out, :] += d_cols[:, :, :, i, j, :]
    return d_kernel, dx


def _np_pool(np: Any, x: Any) -> tuple[Any, Any]:
    """2x2 max pooling, stride 2, valid (an odd last row/column dropped); also the windows."""
    half = x.shape[1] // 2
    win = x[:, : 2 * half, : 2 * half].reshape(x.shape[0], half, 2, half, 2, x.shape[-1])
    return win.max(axis=(2, 4)), win


def _np_pool_backward(np: Any, dy: Any, y: Any, win: Any, x: Any) -> Any:
    """Gradient of :func:`_np_pool`: to the maxima of each window."""
    half = y.shape[1]
    routed = (win == y[:, :, None, :, None, :]) * dy[:, :, None, :, None, :]
    dx = np.zeros_like(x)
    dx[:, : 2 * half, : 2 * half] = routed.reshape(x.shape[0], 2 * half, 2 * half, x.shape[-1])
    return dx


# PyTensor convolution and pooling: PyTensor 3 has no CNN convolution or pooling op (only
# SciPy-style ``signal.convolve2d``), so a PyTensor user writes the same im2col as ktensor's
# composition: one strided slice per kernel offset, joined along the channels, one dot.
def _pt_conv(pt: Any, x: Any, kernel: Any, side: int) -> Any:
    """Valid correlation of a channels-last ``x`` (batch, side, side, C) with a static-shape ``kernel``."""
    k, _, c_in, c_out = kernel.type.shape
    out = side - k + 1
    parts = [x[:, i : i + out, j : j + out, :] for i in range(k) for j in range(k)]
    cols = pt.concatenate(parts, axis=-1)
    y = pt.dot(pt.reshape(cols, (-1, k * k * c_in)), pt.reshape(kernel, (k * k * c_in, c_out)))
    return pt.reshape(y, (x.shape[0], out, out, c_out))


def _pt_pool(pt: Any, x: Any, side: int) -> Any:
    """2x2 max pooling, stride 2, valid: the four strided slices stacked, then max."""
    stop = 2 * (side // 2)
    parts = [x[:, i:stop:2, j:stop:2, :] for i in range(2) for j in range(2)]
    return pt.max(pt.stack(parts, axis=-1), axis=-1)


# -- conv2d: one 3x3 convolution, channels last ---------------------------------------
def _conv2d_kt(kt: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([kt.conv2d(x, params["K"])])


def _conv2d_np(np: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([_np_conv(np, x, params["K"])[0]])


def _conv2d_pt(pt: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([_pt_conv(pt, x, params["K"], IMAGE)])


def _conv2d_tf(tf: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([tf.nn.conv2d(x, params["K"], strides=1, padding="VALID")])


# -- cnn_train: one SGD step of conv-relu-pool-conv-relu-pool-dense on cross-entropy ---
def _cnn_train_kt(kt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    h = kt.pool2d(kt.relu(kt.bias_add(kt.conv2d(x, params["K1"]), params["b1"])), (2, 2), strides=(2, 2))
    h = kt.pool2d(kt.relu(kt.bias_add(kt.conv2d(h, params["K2"]), params["b2"])), (2, 2), strides=(2, 2))
    logits = kt.reshape(h, (-1, CNN_FLAT)) @ params["W"] + params["b"]
    loss = kt.categorical_crossentropy(y, logits, from_logits=True).mean()
    grads = kt.gradients(loss, [params[name] for name in CNN_PARAMS])
    return MathResult([loss], _sgd(params, CNN_PARAMS, grads))


def _cnn_train_np(np: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    k1, b1, k2, b2, w, b = (params[name] for name in CNN_PARAMS)
    a1, cols1 = _np_conv(np, x, k1)
    a1 = a1 + b1
    p1, win1 = _np_pool(np, r1 := np.maximum(a1, 0.0))
    a2, cols2 = _np_conv(np, p1, k2)
    a2 = a2 + b2
    p2, win2 = _np_pool(np, r2 := np.maximum(a2, 0.0))
    flat = p2.reshape(x.shape[0], -1)
    loss, d_logits = _np_xent(np, flat @ w + b, y)
    # Backward: dense, pool, relu, conv (input too), pool, relu, conv (kernel only).
    d_a2 = _np_pool_backward(np, (d_logits @ w.T).reshape(p2.shape), p2, win2, r2) * (a2 > 0)
    d_k2, d_p1 = _np_conv_backward(np, d_a2, cols2, p1, k2, need_dx=True)
    d_a1 = _np_pool_backward(np, d_p1, p1, win1, r1) * (a1 > 0)
    d_k1, _ = _np_conv_backward(np, d_a1, cols1, x, k1, need_dx=False)
    grads = (d_k1, d_a1.sum(axis=(0, 1, 2)), d_k2, d_a2.sum(axis=(0, 1, 2)), flat.T @ d_logits, d_logits.sum(axis=0))
    return MathResult([loss], _sgd(params, CNN_PARAMS, grads))


def _cnn_train_pt(pt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    import pytensor

    h = _pt_pool(pt, pt.maximum(_pt_conv(pt, x, params["K1"], IMAGE) + params["b1"], 0.0), CNN_SIDES[0])
    h = _pt_pool(pt, pt.maximum(_pt_conv(pt, h, params["K2"], CNN_SIDES[1]) + params["b2"], 0.0), CNN_SIDES[2])
    logits = pt.dot(pt.reshape(h, (-1, CNN_FLAT)), params["W"]) + params["b"]
    loss = -(y * pt.special.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    grads = pytensor.grad(loss, [params[name] for name in CNN_PARAMS])
    return MathResult([loss], _sgd(params, CNN_PARAMS, grads, np.float32(LEARNING_RATE)))


def _cnn_train_tf(tf: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    def loss_fn() -> Any:
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, params["K1"], 1, "VALID"), params["b1"]))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, params["K2"], 1, "VALID"), params["b2"]))
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        logits = tf.matmul(tf.reshape(h, (-1, CNN_FLAT)), params["W"]) + params["b"]
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

    loss, grads = _tf_loss_and_grads(tf, loss_fn, [params[name] for name in CNN_PARAMS])
    return MathResult([loss], _sgd(params, CNN_PARAMS, grads))


# -- rnn_train: one SGD step of an LSTM over RNN_STEPS steps and a dense head ---------
# Each step: z = x_t @ Wx + h @ Wh + bg; gates i, f, o = sigmoid, candidate g = tanh of
# the four quarters of z; c = f * c + i * g; h = o * tanh(c). Loss: mean cross-entropy of
# h_T @ Wo + bo. Gradients through time; in every engine a symbolic loop, not unrolled.
def _lstm_gates(sigmoid: Any, tanh: Any, z: Any) -> tuple[Any, Any, Any, Any]:
    u = RNN_UNITS
    return sigmoid(z[:, :u]), sigmoid(z[:, u : 2 * u]), tanh(z[:, 2 * u : 3 * u]), sigmoid(z[:, 3 * u :])


def _rnn_train_kt(kt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    def step(x_t: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        h, c = states
        i, f, g, o = _lstm_gates(kt.sigmoid, kt.tanh, x_t @ params["Wx"] + h @ params["Wh"] + params["bg"])
        c = f * c + i * g
        h = o * kt.tanh(c)
        return h, [h, c]

    zeros = kt.zeros((int(x.shape[0]), RNN_UNITS))
    last, _, _ = kt.rnn(step, x, [zeros, zeros])
    logits = last @ params["Wo"] + params["bo"]
    loss = kt.categorical_crossentropy(y, logits, from_logits=True).mean()
    grads = kt.gradients(loss, [params[name] for name in RNN_PARAMS])
    return MathResult([loss], _sgd(params, RNN_PARAMS, grads))


def _rnn_train_np(np: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    wx, wh, bg, wo, bo = (params[name] for name in RNN_PARAMS)
    h = c = np.zeros((x.shape[0], RNN_UNITS), np.float32)
    tape = []
    for t in range(x.shape[1]):
        i, f, g, o = _lstm_gates(lambda v: 1.0 / (1.0 + np.exp(-v)), np.tanh, x[:, t] @ wx + h @ wh + bg)
        c_new = f * c + i * g
        tanh_c = np.tanh(c_new)
        tape.append((x[:, t], h, c, i, f, g, o, tanh_c))
        h, c = o * tanh_c, c_new
    loss, d_logits = _np_xent(np, h @ wo + bo, y)
    # Backpropagation through time.
    d_wx, d_wh, d_bg = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(bg)
    dh, dc = d_logits @ wo.T, np.zeros_like(c)
    for x_t, h_prev, c_prev, i, f, g, o, tanh_c in reversed(tape):
        dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
        dz = np.concatenate(
            [dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g), dh * tanh_c * o * (1.0 - o)],
            axis=-1,
        )
        d_wx += x_t.T @ dz
        d_wh += h_prev.T @ dz
        d_bg += dz.sum(axis=0)
        dh, dc = dz @ wh.T, dc * f
    grads = (d_wx, d_wh, d_bg, h.T @ d_logits, d_logits.sum(axis=0))
    return MathResult([loss], _sgd(params, RNN_PARAMS, grads))


def _rnn_train_pt(pt: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    import pytensor

    def step(x_t: Any, h: Any, c: Any) -> tuple[Any, Any]:
        i, f, g, o = _lstm_gates(pt.sigmoid, pt.tanh, pt.dot(x_t, params["Wx"]) + pt.dot(h, params["Wh"]) + params["bg"])
        c = f * c + i * g
        return o * pt.tanh(c), c

    zeros = pt.zeros((x.type.shape[0], RNN_UNITS), dtype="float32")
    hs, _ = pytensor.scan(
        step, sequences=[x.dimshuffle(1, 0, 2)], outputs_info=[zeros, zeros], return_updates=False
    )
    logits = pt.dot(hs[-1], params["Wo"]) + params["bo"]
    loss = -(y * pt.special.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
    grads = pytensor.grad(loss, [params[name] for name in RNN_PARAMS])
    return MathResult([loss], _sgd(params, RNN_PARAMS, grads, np.float32(LEARNING_RATE)))


def _rnn_train_tf(tf: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    def step(states: tuple[Any, Any], x_t: Any) -> tuple[Any, Any]:
        h, c = states
        z = tf.matmul(x_t, params["Wx"]) + tf.matmul(h, params["Wh"]) + params["bg"]
        i, f, g, o = _lstm_gates(tf.sigmoid, tf.tanh, z)
        c = f * c + i * g
        return o * tf.tanh(c), c

    def loss_fn() -> Any:
        zeros = tf.zeros((x.shape[0], RNN_UNITS))
        hs, _ = tf.scan(step, tf.transpose(x, (1, 0, 2)), initializer=(zeros, zeros))
        logits = tf.matmul(hs[-1], params["Wo"]) + params["bo"]
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

    loss, grads = _tf_loss_and_grads(tf, loss_fn, [params[name] for name in RNN_PARAMS])
    return MathResult([loss], _sgd(params, RNN_PARAMS, grads))


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            name="elementwise",
            description="b + c * |d|, three float32 n x n inputs",
            sizes=(2, 64, 256, 1024),
            quick_sizes=(2, 64, 256),
            make_inputs=_square_inputs(3),
            make_params=_no_params,
            kt_math=_elementwise_kt,
            np_math=_elementwise_np,
            pt_math=_elementwise_pt,
            tf_math=_elementwise_tf,
        ),
        Workload(
            name="elementwise20",
            description="20-op chain (add/mul/sub/div/abs/tanh/exp/square/maximum) of b, c, d, float32 n x n",
            sizes=(2, 64, 256, 1024),
            quick_sizes=(2, 64, 256),
            make_inputs=_square_inputs(3),
            make_params=_no_params,
            kt_math=_elementwise20_kt,
            np_math=_elementwise20_np,
            pt_math=_elementwise20_pt,
            tf_math=_elementwise20_tf,
        ),
        Workload(
            name="matmul",
            description="a @ b, float32 n x n",
            sizes=(2, 128, 256, 512, 1024),
            quick_sizes=(2, 128, 256),
            make_inputs=_square_inputs(2),
            make_params=_no_params,
            kt_math=_matmul_kt,
            np_math=_matmul_np,
            pt_math=_matmul_pt,
            tf_math=_matmul_tf,
        ),
        Workload(
            name="reduction",
            description="x.sum(axis=0), x.mean(axis=1), x.max(), x.sum(); x float32 n x n",
            sizes=(2, 64, 256, 1024),
            quick_sizes=(2, 64, 256),
            make_inputs=_square_inputs(1),
            make_params=_no_params,
            kt_math=_reduction_kt,
            np_math=_reduction_np,
            pt_math=_reduction_pt,
            tf_math=_reduction_tf,
        ),
        Workload(
            name="softmax_xent",
            description=f"softmax and mean cross-entropy of float32 (n, {XENT_CLASSES}) logits and one-hot "
            "labels; n = batch",
            sizes=(2, 64, 256, 2048),
            quick_sizes=(2, 64, 256),
            make_inputs=_xent_inputs,
            make_params=_no_params,
            kt_math=_softmax_xent_kt,
            np_math=_softmax_xent_np,
            pt_math=_softmax_xent_pt,
            tf_math=_softmax_xent_tf,
        ),
        Workload(
            name="mlp_forward",
            description=f"softmax(tanh(x @ W1 + b1) @ W2 + b2), x float32 (n, {MLP_FEATURES}), "
            f"{MLP_HIDDEN} hidden, {MLP_CLASSES} classes; n = batch",
            sizes=(2, 16, 64, 512),
            quick_sizes=(2, 16, 64),
            make_inputs=_mlp_forward_inputs,
            make_params=_mlp_params,
            kt_math=_mlp_forward_kt,
            np_math=_mlp_forward_np,
            pt_math=_mlp_forward_pt,
            tf_math=_mlp_forward_tf,
        ),
        Workload(
            name="mlp_train",
            description=f"one SGD step (lr {LEARNING_RATE}) of mlp_forward's net on mean cross-entropy, "
            f"one-hot targets (n, {MLP_CLASSES}); n = batch",
            sizes=(2, 16, 64, 512),
            quick_sizes=(2, 16, 64),
            make_inputs=_mlp_train_inputs,
            make_params=_mlp_params,
            kt_math=_mlp_train_kt,
            np_math=_mlp_train_np,
            pt_math=_mlp_train_pt,
            tf_math=_mlp_train_tf,
        ),
        Workload(
            name="chain200",
            description=f"{CHAIN_OPS}-op elementwise chain (tanh/abs/add/mul/sub) of x, y float32 n x n; "
            "for build time",
            sizes=(2,),
            quick_sizes=(2,),
            make_inputs=_square_inputs(2),
            make_params=_no_params,
            kt_math=_chain200_kt,
            np_math=_chain200_np,
            pt_math=_chain200_pt,
            tf_math=_chain200_tf,
        ),
        Workload(
            name="conv2d",
            description=f"{KERNEL}x{KERNEL} valid convolution, float32 (n, {IMAGE}, {IMAGE}, 1) -> "
            f"{CONV_FILTERS} filters, channels last; n = batch",
            sizes=(2, 16, 64),
            quick_sizes=(2, 16, 64),
            make_inputs=_image_inputs,
            make_params=_conv_params,
            kt_math=_conv2d_kt,
            np_math=_conv2d_np,
            pt_math=_conv2d_pt,
            tf_math=_conv2d_tf,
        ),
        Workload(
            name="cnn_train",
            description=f"one SGD step of conv {KERNEL}x{KERNEL}x{CNN_FILTERS[0]}-relu-maxpool 2-conv "
            f"{KERNEL}x{KERNEL}x{CNN_FILTERS[1]}-relu-maxpool 2-dense {NN_CLASSES} on cross-entropy, "
            f"(n, {IMAGE}, {IMAGE}, 1) images; n = batch",
            sizes=(2, 16, 64),
            quick_sizes=(),  # full runs only: its compiles alone would double --quick
            make_inputs=_image_train_inputs,
            make_params=_cnn_params,
            kt_math=_cnn_train_kt,
            np_math=_cnn_train_np,
            pt_math=_cnn_train_pt,
            tf_math=_cnn_train_tf,
        ),
        Workload(
            name="rnn_train",
            description=f"one SGD step of an LSTM ({RNN_UNITS} units, two states) over {RNN_STEPS} steps of "
            f"(n, {RNN_STEPS}, {RNN_FEATURES}) and a dense {NN_CLASSES} head; n = batch",
            sizes=(2, 16, 64),
            quick_sizes=(),  # full runs only: its compiles alone would double --quick
            make_inputs=_rnn_inputs,
            make_params=_rnn_params,
            kt_math=_rnn_train_kt,
            np_math=_rnn_train_np,
            pt_math=_rnn_train_pt,
            tf_math=_rnn_train_tf,
        ),
    )
}
