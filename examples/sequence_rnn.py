"""A recurrent network that sums variable-length sequences, through ``kt.rnn`` with a mask.

Each sequence holds 2 to 12 numbers in [-1, 1], padded to 12 steps with junk (numbers
of the same range): only the mask tells the network where a sequence ends. The target
is the sum of the real steps. A simple RNN cell (``h ← tanh(x·W + h·U + b)``) is the
``step_function`` of ``kt.rnn(..., mask=...)``; a masked step keeps the state, so
``last_output`` is the state after the last real step, and a dense layer reads the sum
from it. Mean squared error, Adam. The figure of merit is how far the loss falls, and
a control: the same trained weights run without the mask give a much larger error.

    python examples/sequence_rnn.py [--backend theano|tensorflow] [--quick]
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

STEPS, HIDDEN = 12, 32


def make_data(rng: np.random.RandomState, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(inputs (n, STEPS, 1), mask (n, STEPS), targets (n, 1))``, float32."""
    lengths = rng.randint(2, STEPS + 1, size=n)
    inputs = rng.uniform(-1.0, 1.0, size=(n, STEPS, 1)).astype(np.float32)  # junk after the end too
    mask = (np.arange(STEPS)[None, :] < lengths[:, None]).astype(np.float32)
    targets = (inputs[..., 0] * mask).sum(axis=1, keepdims=True).astype(np.float32)
    return inputs, mask, targets


def main(backend: str | kt.Backend = "theano", quick: bool = False, seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Train and evaluate; returns the figures (``first_loss``, ``final_loss``, ``ratio``, ...)."""
    epochs, train_size, batch_size, lr = (6, 1024, 32, 0.01) if quick else (30, 4096, 32, 0.003)
    rng = np.random.RandomState(seed)
    x_train, m_train, y_train = make_data(rng, train_size)
    x_test, m_test, y_test = make_data(rng, 512)
    with kt.use_backend(backend) as B:
        log = common.Log(B.name, verbose)
        w = kt.variable(common.glorot(rng, (1, HIDDEN)), name="w")
        u = kt.variable(np.linalg.qr(rng.normal(size=(HIDDEN, HIDDEN)))[0].astype(np.float32), name="u")  # orthogonal
        b = kt.variable(np.zeros(HIDDEN, np.float32), name="b")
        v = kt.variable(common.glorot(rng, (HIDDEN, 1)), name="v")
        c = kt.variable(np.zeros(1, np.float32), name="c")

        def step(x_t: Tensor, states: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
            h = kt.tanh(kt.bias_add(kt.dot(x_t, w) + kt.dot(states[0], u), b))
            return h, [h]

        def forward(x: Tensor, mask: Tensor | None) -> Tensor:
            h0 = kt.zeros_like(kt.dot(x[:, 0, :], w))  # (batch, HIDDEN), whatever the batch
            last, _outputs, _states = kt.rnn(step, x, [h0], mask=mask)
            return kt.bias_add(kt.dot(last, v), c)

        x = kt.placeholder(shape=(None, STEPS, 1), name="x")
        mask = kt.placeholder(shape=(None, STEPS), name="mask")
        target = kt.placeholder(shape=(None, 1), name="target")
        prediction = forward(x, mask)
        loss = kt.mean(kt.square(prediction - target))
        train = kt.function([x, mask, target], loss, updates=common.adam(loss, [w, u, b, v, c], lr))
        evaluate = kt.function([x, mask, target], loss)
        unmasked = kt.function([x, target], kt.mean(kt.square(forward(x, None) - target)))
        log(f"built; {train_size} training and {len(x_test)} test sequences of up to {STEPS} steps")

        baseline = float(np.mean((y_test - y_train.mean()) ** 2))  # predicting the mean
        first_loss = float(evaluate(x_test, m_test, y_test))
        log(f"before training: test loss {first_loss:.4f} (predicting the mean: {baseline:.4f})")
        losses = [first_loss]
        for epoch in range(epochs):
            for idx in common.minibatches(rng, train_size, batch_size):
                train(x_train[idx], m_train[idx], y_train[idx])
            losses.append(float(evaluate(x_test, m_test, y_test)))
            if epoch % max(1, epochs // 8) == 0 or epoch == epochs - 1:
                log(f"epoch {epoch + 1:3d}/{epochs}  test loss {losses[-1]:.5f}")
        final_loss = losses[-1]
        without_mask = float(unmasked(x_test, y_test))
        log(f"final: test loss {final_loss:.5f}, {first_loss / final_loss:.0f}× below the start; "
            f"the same weights without the mask: {without_mask:.4f}")
        return {
            "backend": B.name,
            "epochs": epochs,
            "first_loss": first_loss,
            "final_loss": final_loss,
            "ratio": first_loss / final_loss,
            "baseline_loss": baseline,
            "unmasked_loss": without_mask,
            "losses": losses,
            "seconds": log.elapsed(),
        }


if __name__ == "__main__":
    common.cli(main, __doc__.splitlines()[0])
