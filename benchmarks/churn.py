"""The ``churn`` workload: build, compile and call a new small function, again and again.

Keras 2's most famous complaint was "it gets slower in a loop": every new function
grew one global graph. This loop makes, on one backend instance, ``iterations`` times:
a placeholder ``x`` (None, 16), a new variable ``w`` (16, 4), ``softmax(tanh(x @ w) +
1).sum(-1)``, its ``kt.function``, and one call; every iteration is timed, and the
process's resident memory is read every :data:`WINDOW` iterations. The verdict
compares the median iteration of the last :data:`WINDOW` with that of the first
(goal: within 1.5×) and reports the memory growth after the first window. Each
iteration builds the same structure, so engine caches (PyTensor's compiled C code)
hit: what is measured is the cost of one more function, not of new code.

Example:
    >>> from ktensor.backends import TensorFlowBackend
    >>> seconds, rss = run_churn(TensorFlowBackend(), 3)
    >>> len(seconds), len(rss)
    (3, 2)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.model import Measurement
from ktensor.compare.environment import rss_bytes

__all__ = ["FULL_ITERATIONS", "GOAL", "QUICK_ITERATIONS", "WINDOW", "churn_verdict", "measure_churn", "run_churn"]

FULL_ITERATIONS, QUICK_ITERATIONS, WINDOW = 1500, 200, 100
#: The last window's median iteration ÷ the first's must stay at most this.
GOAL = 1.5


def run_churn(backend: Any, iterations: int) -> tuple[list[float], list[int]]:
    """Seconds of each iteration, and the resident memory before the first and after every window."""
    import ktensor as kt

    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((8, 16)).astype(np.float32)
    w0 = rng.standard_normal((16, 4)).astype(np.float32)
    seconds: list[float] = []
    rss = [rss_bytes()]
    with kt.use_backend(backend):
        for index in range(iterations):
            start = time.perf_counter()
            x = kt.placeholder(shape=(None, 16), dtype="float32")
            w = kt.variable(w0)
            f = kt.function([x], (kt.tanh(x @ w) + 1.0).softmax().sum(axis=-1))
            f(x0)
            seconds.append(time.perf_counter() - start)
            if (index + 1) % WINDOW == 0 or index + 1 == iterations:
                rss.append(rss_bytes())
    return seconds, rss


def measure_churn(variant: str, factory: Any, iterations: int) -> list[Measurement]:
    """The ``churn`` measurements of one ktensor variant: per-iteration seconds and RSS bytes."""
    times = Measurement("churn", None, variant, "churn")
    memory = Measurement("churn", None, variant, "churn_rss")
    try:
        times.samples, rss = run_churn(factory(), iterations)
        memory.samples = [float(r) for r in rss]
    except Exception as error:  # noqa: BLE001 - a failing variant is a result
        from ktensor.compare.timing import short_error

        times.error = memory.error = short_error(error)
    return [times, memory]


def churn_verdict(times: Measurement, memory: Measurement) -> tuple[float, str] | None:
    """``(last window ÷ first window, detail)``, or None without enough iterations."""
    if len(times.samples) < 2 * WINDOW:
        return None
    first = float(np.median(times.samples[:WINDOW]))
    last = float(np.median(times.samples[-WINDOW:]))
    detail = f"median iteration {first * 1e3:.1f} ms -> {last * 1e3:.1f} ms over {len(times.samples)} iterations"
    if len(memory.samples) >= 3:
        growth = (memory.samples[-1] - memory.samples[1]) / 1e6
        detail += f"; memory +{growth:.0f} MB after the first {WINDOW} ({memory.samples[-1] / 1e6:.0f} MB in all)"
    return last / first, detail
