"""``mode="AUTO"``: each function starts in PyTensor's C VM and moves to JAX when JAX
runs it faster, as measured on the function's own calls (``ktensor/backends/tiering.py``
runs the choice; this module is the JAX side).

No PyTensor mode is fastest everywhere (docs/backends.md): CVM compiles fastest, has
the cheapest small call and runs elementwise work up to 13× faster than JAX, while
JAX (XLA) ran the CNN and LSTM training steps and softmax-heavy work faster.

The JAX compile is the same graph with the updates as extra outputs: ktensor stores
them into the variables itself, as NumPy arrays (so every other function sharing a
variable still reads it in place), and returns writable NumPy copies of the
outputs. A function is not moved when its graph has a random draw (its generator is
a shared variable PyTensor advances itself), when JAX cannot compile it, or when
JAX's first results differ in dtype or shape from CVM's.

Examples:
    >>> from ktensor.backends.tiering import TieredCall
    >>> tier = TieredCall(lambda arrays: [], None, "f", base="CVM")
    >>> tier([]), tier.mode, tier.settled      # no JAX candidate: CVM from the start
    ([], 'CVM', True)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

__all__ = ["MIN_CALL_SECONDS", "Candidate", "JaxAlternative"]

#: Functions whose median CVM call is shorter stay in CVM: JAX costs about 10 µs a
#: call here and runs elementwise work 2–13× slower.
MIN_CALL_SECONDS = 50e-6


@attrs.frozen
class Candidate:
    """What a :class:`JaxAlternative` needs.

    Attributes:
        build: compiles the JAX function (outputs, then the updates' new values);
            run on the background thread.
        context: a factory of the context each JAX call runs in (JAX's 64-bit mode).
        n_outputs: how many of the JAX function's results are the outputs.
        containers: the PyTensor containers of the updated variables, in order.
        lock: held around the first (compiling) call.
    """

    build: Callable[[], Callable[..., Sequence[Any]]]
    context: Callable[[], contextlib.AbstractContextManager[Any]]
    n_outputs: int
    containers: Sequence[Any]
    lock: Any  # a threading.Lock


class JaxAlternative:
    """The JAX side of an AUTO function (a :class:`ktensor.backends.tiering.Alternative`)."""

    name = "JAX"

    def __init__(self, candidate: Candidate) -> None:
        self.min_call_seconds = MIN_CALL_SECONDS
        self._candidate = candidate
        self._function: Callable[..., Sequence[Any]] | None = None
        self._lock = threading.Lock()  # a compiled PyTensor function is not thread-safe

    def prepare(self, sample: list[np.ndarray]) -> None:
        candidate = self._candidate
        function = candidate.build()
        with candidate.lock, candidate.context():
            function(*sample)  # JAX compiles on the first call; its results are dropped
        self._function = function

    def first_call(
        self, arrays: Sequence[np.ndarray], base: Callable[[Sequence[np.ndarray]], list[Any]]
    ) -> tuple[list[Any], str | None]:
        """A CVM call and a JAX call: JAX is tried only if its results have CVM's dtypes
        and shapes (updates included); the JAX call stores nothing, the CVM call is the real one."""
        candidate, function = self._candidate, self._function
        assert function is not None
        outputs = base(arrays)
        expected = [(np.asarray(r).dtype, np.shape(r)) for r in outputs]
        expected += [(np.asarray(c.storage[0]).dtype, np.shape(c.storage[0])) for c in candidate.containers]
        try:
            with self._lock, candidate.context():
                results = function(*arrays)
        except Exception as error:  # noqa: BLE001 - CVM ran this call without an error: keep CVM
            return outputs, f"JAX failed where CVM did not ({type(error).__name__}: {str(error)[:200]})"
        received = [(np.dtype(r.dtype), tuple(r.shape)) for r in results]
        if received != expected:
            return outputs, f"JAX's results differ in dtype or shape: {received} against {expected}"
        return outputs, None

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        candidate, function = self._candidate, self._function
        assert function is not None
        with self._lock, candidate.context():
            results = function(*arrays)
        n = candidate.n_outputs
        for container, value in zip(candidate.containers, results[n:]):
            container.storage[0] = np.array(value)  # NumPy, for the other functions of the variable
        return [np.array(r) for r in results[:n]]  # writable, as CVM's
