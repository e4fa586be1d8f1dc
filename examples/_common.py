"""What the examples share: the command line, the data, NumPy initialisation, optimisers.

Everything random here is NumPy's, drawn from one seed, so both engines start from the
same weights and see the same minibatches in the same order; only random ops inside the
graph (dropout masks) differ between engines.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

import ktensor as kt
from ktensor import Tensor


def cli(main: Callable[..., dict[str, Any]], description: str) -> None:
    """``python examples/x.py [--backend theano|tensorflow] [--quick]``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", default=None, help="theano or tensorflow (default: the configured one)")
    parser.add_argument("--quick", action="store_true", help="the small settings the tests use")
    args = parser.parse_args()
    result = main(args.backend if args.backend is not None else kt.backend(), quick=args.quick)
    print({k: v for k, v in result.items() if not isinstance(v, (list, np.ndarray))})


class Log:
    """Prints progress lines prefixed by the engine's name and the seconds elapsed."""

    def __init__(self, name: str, verbose: bool = True) -> None:
        self.name = name
        self.verbose = verbose
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        if self.verbose:
            print(f"[{self.name:>10} {self.elapsed():6.1f}s] {message}", flush=True)


def digits(seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (bundled, no download) scaled to [0, 1], split by class.

    Returns ``(x_train, y_train, x_test, y_test)``: images ``(n, 8, 8)`` float32 and
    integer labels.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, data.target, test_size=test_fraction, random_state=seed, stratify=data.target
    )
    return x_train, y_train, x_test, y_test


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """``(n,)`` integer labels as ``(n, classes)`` float32."""
    return np.eye(classes, dtype=np.float32)[labels]


def glorot(rng: np.random.RandomState, shape: Sequence[int]) -> np.ndarray:
    """Glorot-uniform weights (Keras's default) for a dense ``(in, out)`` or conv
    ``(spatial..., in, out)`` kernel."""
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=tuple(shape)).astype(np.float32)


def minibatches(rng: np.random.RandomState, n: int, batch_size: int) -> Iterator[np.ndarray]:
    """One epoch of shuffled index batches of exactly ``batch_size`` (the rest is dropped,
    so the training graph can have a static batch size)."""
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        yield order[start : start + batch_size]


def sgd_momentum(loss: Tensor, params: Sequence[Tensor], lr: float, momentum: float = 0.9) -> list[tuple[Tensor, Tensor]]:
    """Keras 2's SGD with momentum as ``kt.function`` updates:
    ``v ← momentum·v − lr·g``, ``p ← p + v``."""
    updates: list[tuple[Tensor, Tensor]] = []
    for p, g in zip(params, kt.gradients(loss, list(params))):
        v = kt.variable(np.zeros(p.shape, dtype=p.dtype), name=f"{p.name}_velocity")
        new_v = v * momentum - g * lr
        updates += [kt.update(v, new_v), kt.update(p, p + new_v)]
    return updates


def adam(loss: Tensor, params: Sequence[Tensor], lr: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
         epsilon: float = 1e-7) -> list[tuple[Tensor, Tensor]]:
    """Keras 2's Adam as ``kt.function`` updates (bias-corrected step size)."""
    t = kt.variable(0.0, name="adam_iterations")
    t_new = t + 1.0
    step = lr * kt.sqrt(1.0 - beta_2**t_new) / (1.0 - beta_1**t_new)
    updates: list[tuple[Tensor, Tensor]] = [kt.update(t, t_new)]
    for p, g in zip(params, kt.gradients(loss, list(params))):
        m = kt.variable(np.zeros(p.shape, dtype=p.dtype), name=f"{p.name}_m")
        v = kt.variable(np.zeros(p.shape, dtype=p.dtype), name=f"{p.name}_v")
        m_new = m * beta_1 + g * (1.0 - beta_1)
        v_new = v * beta_2 + kt.square(g) * (1.0 - beta_2)
        updates += [kt.update(m, m_new), kt.update(v, v_new), kt.update(p, p - step * m_new / (kt.sqrt(v_new) + epsilon))]
    return updates
