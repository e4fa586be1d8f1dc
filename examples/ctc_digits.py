"""Reading digit sequences from noisy frames with CTC, on either engine.

Each example is 1 to 5 digits "spoken" as frames: a digit lasts 1 to 3 frames of its
one-hot code, silence (zeros) lasts 0 or 1 frame before, between and after the digits (at least 1 between two
equal digits), and Gaussian noise covers everything; the sequences are padded to 24
frames and have their own lengths. Nothing says where a digit starts: the network
(``kt.conv1d`` over 3 frames, "same", + ``kt.relu``, then a dense softmax over 10
digits + the blank) is trained with ``kt.ctc_batch_cost`` and read with greedy
``kt.ctc_decode``; the figure of merit is the share of test sequences decoded exactly.

    python examples/ctc_digits.py [--backend theano|tensorflow] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

import ktensor as kt

FRAMES, MAX_DIGITS, CLASSES, HIDDEN = 24, 5, 10, 64
NOISE = 0.12


def make_data(rng: np.random.RandomState, n: int) -> dict[str, np.ndarray]:
    """Frames ``(n, FRAMES, 10)``, labels ``(n, MAX_DIGITS)`` (-1 padded) and both lengths ``(n, 1)``."""
    frames = np.zeros((n, FRAMES, CLASSES), np.float32)
    labels = np.full((n, MAX_DIGITS), -1, np.int64)
    input_length = np.zeros((n, 1), np.int64)
    label_length = np.zeros((n, 1), np.int64)
    for i in range(n):  # at most 1 + 5 * 3 + 4 + 1 = 21 frames
        digits = rng.randint(0, CLASSES, size=rng.randint(1, MAX_DIGITS + 1))
        t = int(rng.randint(0, 2))
        for j, d in enumerate(digits):
            if j > 0:
                t += int(rng.randint(1 if d == digits[j - 1] else 0, 2))
            length = int(rng.randint(1, 4))
            frames[i, t : t + length, d] = 1.0
            t += length
        t += int(rng.randint(0, 2))
        labels[i, : len(digits)] = digits
        input_length[i, 0], label_length[i, 0] = t, len(digits)
    frames += rng.normal(0.0, NOISE, size=frames.shape).astype(np.float32)
    frames[np.arange(FRAMES)[None, :] >= input_length] = 0.0  # padding is silent
    return {"frames": frames, "labels": labels, "input_length": input_length, "label_length": label_length}


def main(backend: str | kt.Backend = "theano", quick: bool = False, seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Train and evaluate; returns the figures (``exact`` in [0, 1], ...)."""
    epochs, train_size, batch_size, lr = (6, 1024, 32, 0.01) if quick else (20, 4096, 32, 0.003)
    rng = np.random.RandomState(seed)
    train_data, test_data = make_data(rng, train_size), make_data(rng, 512)
    with kt.use_backend(backend) as B:
        log = common.Log(B.name, verbose)
        k = kt.variable(common.glorot(rng, (3, CLASSES, HIDDEN)), name="k")
        c = kt.variable(np.zeros(HIDDEN, np.float32), name="c")
        w = kt.variable(common.glorot(rng, (HIDDEN, CLASSES + 1)), name="w")
        b = kt.variable(np.zeros(CLASSES + 1, np.float32), name="b")

        x = kt.placeholder(shape=(None, FRAMES, CLASSES), name="frames")
        labels = kt.placeholder(shape=(None, MAX_DIGITS), dtype="int64", name="labels")
        input_length = kt.placeholder(shape=(None, 1), dtype="int64", name="input_length")
        label_length = kt.placeholder(shape=(None, 1), dtype="int64", name="label_length")
        h = kt.relu(kt.bias_add(kt.conv1d(x, k, padding="same"), c))
        probabilities = kt.softmax(kt.bias_add(kt.dot(h, w), b))  # (batch, FRAMES, 11), the blank last
        loss = kt.mean(kt.ctc_batch_cost(labels, probabilities, input_length, label_length))
        inputs = [x, labels, input_length, label_length]
        train = kt.function(inputs, loss, updates=common.adam(loss, [k, c, w, b], lr))
        evaluate = kt.function(inputs, loss)
        decoded, _log_probabilities = kt.ctc_decode(probabilities, input_length[:, 0], greedy=True)
        decode = kt.function([x, input_length], decoded[0])
        log(f"built; {train_size} training and 512 test sequences of 1 to {MAX_DIGITS} digits in up to {FRAMES} frames")

        def test_figures() -> tuple[float, float]:
            values = [test_data[key] for key in ("frames", "labels", "input_length", "label_length")]
            paths = decode(test_data["frames"], test_data["input_length"])
            width = max(paths.shape[1], MAX_DIGITS)
            padded = np.full((len(paths), width), -1, np.int64)
            padded[:, : paths.shape[1]] = paths
            truth = np.full_like(padded, -1)
            truth[:, :MAX_DIGITS] = test_data["labels"]
            return float(evaluate(*values)), float(np.mean(np.all(padded == truth, axis=1)))

        first_loss, exact = test_figures()
        log(f"before training: test loss {first_loss:.3f}, exact {exact:.2%}")
        losses = [first_loss]
        for epoch in range(epochs):
            for idx in common.minibatches(rng, train_size, batch_size):
                train(*(train_data[key][idx] for key in ("frames", "labels", "input_length", "label_length")))
            test_loss, exact = test_figures()
            losses.append(test_loss)
            if epoch % max(1, epochs // 8) == 0 or epoch == epochs - 1:
                log(f"epoch {epoch + 1:3d}/{epochs}  test loss {test_loss:.4f}  exact {exact:.2%}")
        log(f"final: test loss {losses[-1]:.4f}, {exact:.2%} of the test sequences decoded exactly")
        return {
            "backend": B.name,
            "epochs": epochs,
            "first_loss": first_loss,
            "final_loss": losses[-1],
            "exact": exact,
            "losses": losses,
            "seconds": log.elapsed(),
        }


if __name__ == "__main__":
    common.cli(main, __doc__.splitlines()[0])
