"""The benchmark workloads written by hand in JAX, as a ``jax.jit`` user writes them.

:data:`JAX_MATH` maps each workload of :data:`benchmarks.workloads.WORKLOADS` to a
function ``(jax, params, *inputs) -> MathResult``, the same formula as the other
implementations: ``jax.numpy`` for the arithmetic, ``jax.nn`` for softmax,
``jax.lax.conv_general_dilated`` / ``reduce_window`` for the CNN, ``jax.lax.scan`` for
the LSTM, and ``jax.value_and_grad`` for the training steps. The runner
(:class:`benchmarks.runners.JaxRunner`) jit-compiles one step that takes and returns
the parameters. This module does not import JAX: the caller passes it in.

Example:
    >>> sorted(JAX_MATH) == sorted(__import__("benchmarks.workloads").workloads.WORKLOADS)
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.workloads import (
    CHAIN_ROUNDS,
    CNN_FLAT,
    CNN_PARAMS,
    LEARNING_RATE,
    MLP_PARAMS,
    RNN_PARAMS,
    RNN_UNITS,
    MathResult,
)

__all__ = ["JAX_MATH"]


def _sgd(params: dict[str, Any], names: tuple[str, ...], grads: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, params[name] - LEARNING_RATE * grads[name]) for name in names]


def _xent(jax: Any, logits: Any, y: Any) -> Any:
    return -(y * jax.nn.log_softmax(logits, axis=-1)).sum(axis=-1).mean()


def _elementwise(jax: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    return MathResult([b + c * jax.numpy.abs(d)])


def _elementwise20(jax: Any, params: dict[str, Any], b: Any, c: Any, d: Any) -> MathResult:
    jnp = jax.numpy
    t = c / (jnp.abs(b * c + d) + 1.0)
    t = jnp.tanh(jnp.maximum(jnp.square(t - jnp.tanh(b)), d))
    e = jnp.exp(t) * 0.5
    t = jnp.maximum(t - b / (jnp.abs(d) + 1.0), c)
    return MathResult([jnp.tanh(t * e + b)])


def _matmul(jax: Any, params: dict[str, Any], a: Any, b: Any) -> MathResult:
    return MathResult([a @ b])


def _reduction(jax: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([x.sum(axis=0), x.mean(axis=1), x.max(), x.sum()])


def _softmax_xent(jax: Any, params: dict[str, Any], logits: Any, labels: Any) -> MathResult:
    return MathResult([jax.nn.softmax(logits, axis=-1), _xent(jax, logits, labels)])


def _mlp_logits(jax: Any, p: dict[str, Any], x: Any) -> Any:
    return jax.numpy.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def _mlp_forward(jax: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([jax.nn.softmax(_mlp_logits(jax, params, x), axis=-1)])


def _mlp_train(jax: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    trained = {name: params[name] for name in MLP_PARAMS}
    loss, grads = jax.value_and_grad(lambda p: _xent(jax, _mlp_logits(jax, p, x), y))(trained)
    return MathResult([loss], _sgd(params, MLP_PARAMS, grads))


def _chain200(jax: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    jnp = jax.numpy
    for _ in range(CHAIN_ROUNDS):
        x = jnp.tanh(x * 0.5 + y)
        x = jnp.abs(x - y * 0.25) * y
        x = jnp.tanh(x - 0.5) + 1.0
    return MathResult([x])


def _conv(jax: Any, x: Any, kernel: Any) -> Any:
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _pool(jax: Any, x: Any) -> Any:
    return jax.lax.reduce_window(x, -jax.numpy.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _conv2d(jax: Any, params: dict[str, Any], x: Any) -> MathResult:
    return MathResult([_conv(jax, x, params["K"])])


def _cnn_train(jax: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    def loss(p: dict[str, Any]) -> Any:
        h = _pool(jax, jax.nn.relu(_conv(jax, x, p["K1"]) + p["b1"]))
        h = _pool(jax, jax.nn.relu(_conv(jax, h, p["K2"]) + p["b2"]))
        return _xent(jax, h.reshape(-1, CNN_FLAT) @ p["W"] + p["b"], y)

    value, grads = jax.value_and_grad(loss)({name: params[name] for name in CNN_PARAMS})
    return MathResult([value], _sgd(params, CNN_PARAMS, grads))


def _rnn_train(jax: Any, params: dict[str, Any], x: Any, y: Any) -> MathResult:
    jnp, u = jax.numpy, RNN_UNITS

    def loss(p: dict[str, Any]) -> Any:
        def step(states: tuple[Any, Any], x_t: Any) -> tuple[tuple[Any, Any], None]:
            h, c = states
            z = x_t @ p["Wx"] + h @ p["Wh"] + p["bg"]
            i, f = jax.nn.sigmoid(z[:, :u]), jax.nn.sigmoid(z[:, u : 2 * u])
            g, o = jnp.tanh(z[:, 2 * u : 3 * u]), jax.nn.sigmoid(z[:, 3 * u :])
            c = f * c + i * g
            return (o * jnp.tanh(c), c), None

        zeros = jnp.zeros((x.shape[0], u), x.dtype)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), jnp.transpose(x, (1, 0, 2)))
        return _xent(jax, h @ p["Wo"] + p["bo"], y)

    value, grads = jax.value_and_grad(loss)({name: params[name] for name in RNN_PARAMS})
    return MathResult([value], _sgd(params, RNN_PARAMS, grads))


JAX_MATH: dict[str, Callable[..., MathResult]] = {
    "elementwise": _elementwise,
    "elementwise20": _elementwise20,
    "matmul": _matmul,
    "reduction": _reduction,
    "softmax_xent": _softmax_xent,
    "mlp_forward": _mlp_forward,
    "mlp_train": _mlp_train,
    "chain200": _chain200,
    "conv2d": _conv2d,
    "cnn_train": _cnn_train,
    "rnn_train": _rnn_train,
}
