"""A multilayer perceptron on scikit-learn's 8×8 digits, trained on either engine.

64 → 256 → 128 → 10: dense layers as ``kt.dot`` + ``kt.bias_add``, ``kt.relu``,
``kt.dropout`` in the training graph only, softmax and ``kt.categorical_crossentropy``,
SGD with momentum through ``kt.function(..., updates=...)``. ktensor has no learning
phase: the training output (with dropout) and the inference output (without) are two
expressions over the same variables.

    python examples/digits_mlp.py [--backend theano|tensorflow] [--quick]
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

import ktensor as kt
from ktensor import Tensor


def main(backend: str | kt.Backend = "theano", quick: bool = False, seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Train and evaluate; returns the figures (``test_accuracy`` in [0, 1], ...)."""
    epochs, batch_size, lr, rate = (8, 32, 0.05, 0.2) if quick else (40, 32, 0.05, 0.2)
    x_train, y_train, x_test, y_test = common.digits(seed)
    x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
    rng = np.random.RandomState(seed)
    with kt.use_backend(backend) as B:
        log = common.Log(B.name, verbose)
        sizes = [64, 256, 128, 10]
        weights = [kt.variable(common.glorot(rng, (a, b)), name=f"w{i}") for i, (a, b) in enumerate(itertools.pairwise(sizes))]
        biases = [kt.variable(np.zeros(b, np.float32), name=f"b{i}") for i, b in enumerate(sizes[1:])]

        def forward(x: Tensor, training: bool) -> Tensor:
            h = x
            for i, (w, b) in enumerate(zip(weights, biases)):
                h = kt.bias_add(kt.dot(h, w), b)
                if i < len(weights) - 1:
                    h = kt.relu(h)
                    if training:
                        h = kt.dropout(h, rate, seed=seed + i)
            return kt.softmax(h)

        x = kt.placeholder(shape=(batch_size, 64), name="x")
        target = kt.placeholder(shape=(batch_size, 10), name="target")
        loss = kt.mean(kt.categorical_crossentropy(target, forward(x, training=True)))
        train = kt.function([x, target], loss, updates=common.sgd_momentum(loss, weights + biases, lr, 0.9))
        x_eval = kt.placeholder(shape=(None, 64), name="x_eval")
        predict = kt.function([x_eval], kt.argmax(forward(x_eval, training=False), axis=-1))
        log(f"built; {len(x_train)} training and {len(x_test)} test images")

        losses = []
        for epoch in range(epochs):
            batch_losses = [float(train(x_train[idx], common.one_hot(y_train[idx], 10))) for idx in common.minibatches(rng, len(x_train), batch_size)]
            losses.append(float(np.mean(batch_losses)))
            if epoch % max(1, epochs // 8) == 0 or epoch == epochs - 1:
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
