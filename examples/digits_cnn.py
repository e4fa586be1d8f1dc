"""A small convolutional network on scikit-learn's 8×8 digits, trained on either engine.

Two blocks of ``kt.conv2d`` (3×3, "same") + ``kt.bias_add`` + batch normalisation +
``kt.relu`` + ``kt.pool2d`` (2×2 max), then a dense softmax layer. Batch normalisation
works as Keras 2's ``BatchNormalization`` layer: in the training graph
``kt.normalize_batch_in_training`` normalises with the batch's statistics, and
``kt.moving_average_update`` folds them into moving averages (the variance with
Bessel's correction); the inference graph normalises with the moving averages through
``kt.batch_normalization``. Optimiser: SGD with momentum.

    python examples/digits_cnn.py [--backend theano|tensorflow] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

import ktensor as kt
from ktensor import Tensor


class BatchNorm:
    """Keras 2's BatchNormalization over the channels (last axis) of an NHWC tensor."""

    def __init__(self, channels: int, name: str, momentum: float) -> None:
        self.gamma = kt.variable(np.ones(channels, np.float32), name=f"{name}_gamma")
        self.beta = kt.variable(np.zeros(channels, np.float32), name=f"{name}_beta")
        self.moving_mean = kt.variable(np.zeros(channels, np.float32), name=f"{name}_moving_mean")
        self.moving_var = kt.variable(np.ones(channels, np.float32), name=f"{name}_moving_var")
        self.momentum = momentum
        self.updates: list[tuple[Tensor, Tensor]] = []

    def __call__(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return kt.batch_normalization(x, self.moving_mean, self.moving_var, self.beta, self.gamma, axis=-1)
        normed, mean, var = kt.normalize_batch_in_training(x, self.gamma, self.beta, reduction_axes=[0, 1, 2])
        count = int(np.prod([d for d in x.shape[:-1] if d is not None]))  # the training batch is static
        self.updates = [
            kt.moving_average_update(self.moving_mean, mean, self.momentum),
            kt.moving_average_update(self.moving_var, var * (count / (count - 1.0)), self.momentum),
        ]
        return normed


def main(backend: str | kt.Backend = "theano", quick: bool = False, seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Train and evaluate; returns the figures (``test_accuracy`` in [0, 1], ...)."""
    epochs, batch_size, lr = (4, 32, 0.05) if quick else (20, 32, 0.05)
    x_train, y_train, x_test, y_test = common.digits(seed)
    x_train, x_test = x_train[..., None], x_test[..., None]  # NHWC, one channel
    rng = np.random.RandomState(seed)
    with kt.use_backend(backend) as B:
        log = common.Log(B.name, verbose)
        k1 = kt.variable(common.glorot(rng, (3, 3, 1, 16)), name="k1")
        c1 = kt.variable(np.zeros(16, np.float32), name="c1")
        k2 = kt.variable(common.glorot(rng, (3, 3, 16, 32)), name="k2")
        c2 = kt.variable(np.zeros(32, np.float32), name="c2")
        w = kt.variable(common.glorot(rng, (2 * 2 * 32, 10)), name="w")
        b = kt.variable(np.zeros(10, np.float32), name="b")
        bn1, bn2 = BatchNorm(16, "bn1", 0.9), BatchNorm(32, "bn2", 0.9)
        params = [k1, c1, bn1.gamma, bn1.beta, k2, c2, bn2.gamma, bn2.beta, w, b]

        def forward(x: Tensor, training: bool) -> Tensor:
            h = x
            for kernel, bias, bn in ((k1, c1, bn1), (k2, c2, bn2)):
                h = kt.bias_add(kt.conv2d(h, kernel, padding="same"), bias)
                h = kt.relu(bn(h, training))
                h = kt.pool2d(h, (2, 2), strides=(2, 2))
            return kt.softmax(kt.bias_add(kt.dot(kt.batch_flatten(h), w), b))

        x = kt.placeholder(shape=(batch_size, 8, 8, 1), name="x")
        target = kt.placeholder(shape=(batch_size, 10), name="target")
        loss = kt.mean(kt.categorical_crossentropy(target, forward(x, training=True)))
        updates = common.sgd_momentum(loss, params, lr, 0.9) + bn1.updates + bn2.updates
        train = kt.function([x, target], loss, updates=updates)
        x_eval = kt.placeholder(shape=(None, 8, 8, 1), name="x_eval")
        predict = kt.function([x_eval], kt.argmax(forward(x_eval, training=False), axis=-1))
        log(f"built; {len(x_train)} training and {len(x_test)} test images")

        losses = []
        for epoch in range(epochs):
            batch_losses = [float(train(x_train[idx], common.one_hot(y_train[idx], 10))) for idx in common.minibatches(rng, len(x_train), batch_size)]
            losses.append(float(np.mean(batch_losses)))
            accuracy = float(np.mean(predict(x_test) == y_test))
            log(f"epoch {epoch + 1:3d}/{epochs}  loss {losses[-1]:.4f}  test accuracy {accuracy:.2%}")
        train_accuracy = float(np.mean(predict(x_train) == y_train))
        test_accuracy = float(np.mean(predict(x_test) == y_test))
        log(f"final: train accuracy {train_accuracy:.2%}, test accuracy {test_accuracy:.2%}")
        return {
            "backend": B.name,
            "epochs": epochs,
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "first_loss": losses[0],
            "final_loss": losses[-1],
            "losses": losses,
            "seconds": log.elapsed(),
        }


if __name__ == "__main__":
    common.cli(main, __doc__.splitlines()[0])
