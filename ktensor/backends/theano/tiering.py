"""``mode="AUTO"``: each function starts in PyTensor's C VM and moves to JAX when JAX
runs it faster, as measured on the function's own calls.

No PyTensor mode is fastest everywhere (docs/backends.md): CVM compiles fastest, has
the cheapest small call and runs elementwise work up to 13× faster than JAX, while
JAX (XLA) ran the CNN and LSTM training steps and softmax-heavy work faster. A
:class:`TieredCall` runs a function's CVM compile, times its calls, and once the
function is *hot* (:data:`HOT_SECONDS` spent in calls, each at least
:data:`MIN_CALL_SECONDS`) compiles the same graph in JAX on a background thread. When
that is ready it runs blocks of calls of each in turn (:data:`TRIAL_BLOCKS`; in each,
calls for :data:`SWITCH_SECONDS` untimed, then :data:`BLOCK_CALLS` timed) and keeps JAX
only if CVM's median call is at least :data:`MIN_GAIN` times JAX's; either way it then
stops measuring. Every call is a real call: the trial's JAX calls return the results
and store the updates.

The JAX compile is the same graph with the updates as extra outputs: ktensor stores
them into the variables itself, as NumPy arrays (so every other function sharing a
variable still reads it in place), and returns writable NumPy copies of the
outputs. A function is not moved when its graph has a random draw (its generator is
a shared variable PyTensor advances itself), when JAX cannot compile it, or when
JAX's first results differ in dtype or shape from CVM's.

Examples:
    >>> calls = []
    >>> tier = TieredCall(lambda arrays: calls.append("cvm") or [], candidate=None, label="f")
    >>> tier([]), tier.mode, tier.settled      # no JAX candidate: CVM from the start
    ([], 'CVM', True)
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

__all__ = ["BLOCK_CALLS", "HOT_SECONDS", "MIN_CALL_SECONDS", "MIN_GAIN", "SWITCH_SECONDS", "TRIAL_BLOCKS", "Candidate", "TieredCall"]

_log = logging.getLogger("ktensor")

#: Seconds a function spends in (timed) CVM calls before its JAX compile starts.
HOT_SECONDS = 0.1
#: Functions whose median CVM call is shorter stay in CVM: JAX costs about 10 µs a
#: call here and runs elementwise work 2–13× slower.
MIN_CALL_SECONDS = 50e-6
#: The trial's blocks of calls, in order (it follows the CVM calls that made the function hot).
TRIAL_BLOCKS = ("JAX", "CVM", "JAX", "CVM")
#: Timed calls in each block of the trial.
BLOCK_CALLS = 4
#: Untimed calls at the start of each block, for at least this long.
SWITCH_SECONDS = 0.1
#: JAX is kept only when CVM's median call is at least this many times its median.
MIN_GAIN = 1.05
#: Calls not timed at the start (C modules loading, caches filling).
_UNTIMED = 2
_PROBE_WINDOW = 5


@attrs.frozen
class Candidate:
    """What the JAX side of a :class:`TieredCall` needs.

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


class TieredCall:
    """A compiled call that may move from CVM to JAX (see the module docstring).

    Attributes:
        mode: ``"CVM"`` or ``"JAX"``, what runs the calls now.
        settled: whether the choice is made (no more timing).
        reason: why the function stayed in CVM, once it did (``None`` before).
    """

    def __init__(self, cvm: Callable[[Sequence[np.ndarray]], list[Any]], candidate: Candidate | None, label: str) -> None:
        self.mode = "CVM"
        self.label = label
        self.reason: str | None = None
        self._cvm = cvm
        self._candidate = candidate
        self._lock = threading.Lock()
        self._calls = 0
        self._spent = 0.0
        self._recent: list[float] = []
        self._jax: Callable[..., Sequence[Any]] | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._trial: dict[str, list[float]] = {"CVM": [], "JAX": []}
        self._blocks = list(TRIAL_BLOCKS)
        self._block_start: float | None = None
        self._checked = False
        self._settled = False
        self._jax_lock = threading.Lock()  # a compiled PyTensor function is not thread-safe
        self._current: Callable[[Sequence[np.ndarray]], list[Any]] = self._probe
        if candidate is None:
            self._settle("CVM", "no JAX candidate (JAX not installed, or a random draw in the graph)")

    @property
    def settled(self) -> bool:
        return self._settled

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        return self._current(arrays)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the JAX compile, if one runs; whether none is left running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- the phases: probe (CVM, timed), compile (background), trial, settled ----------
    def _probe(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        with self._lock:
            if self._current != self._probe:  # another thread moved on meanwhile
                return self._current(arrays)
            if self._thread is not None:
                if self._ready.is_set() and self._jax is None:
                    self._settle("CVM", self.reason or "JAX could not compile it")
                elif self._ready.is_set():
                    self._current = self._alternate
                return self._cvm(arrays)
            start = time.perf_counter()
            results = self._cvm(arrays)
            seconds = time.perf_counter() - start
            self._calls += 1
            if self._calls > _UNTIMED:
                self._spent += seconds
                self._recent = [*self._recent[-(_PROBE_WINDOW - 1) :], seconds]
                if len(self._recent) == _PROBE_WINDOW and statistics.median(self._recent) < MIN_CALL_SECONDS:
                    self._settle("CVM", f"its calls take under {MIN_CALL_SECONDS * 1e6:.0f} µs")
                elif self._spent >= HOT_SECONDS and len(self._recent) == _PROBE_WINDOW:
                    self._start_compile(arrays)
            return results

    def _start_compile(self, arrays: Sequence[np.ndarray]) -> None:
        sample = [np.array(a) for a in arrays]  # the caller may change its arrays meanwhile
        self._thread = threading.Thread(target=self._compile, args=(sample,), name=f"ktensor JAX compile of {self.label}")
        self._thread.start()

    def _compile(self, sample: list[np.ndarray]) -> None:
        candidate = self._candidate
        assert candidate is not None
        try:
            function = candidate.build()
            with candidate.lock, candidate.context():
                function(*sample)  # JAX compiles on the first call; its results are dropped
            self._jax = function
        except Exception as error:  # noqa: BLE001 - any failure keeps the CVM function, which works
            self.reason = f"JAX could not compile it ({type(error).__name__}: {str(error)[:200]})"
            _log.debug("ktensor: %s stays in CVM: %s", self.label, self.reason)
        finally:
            self._ready.set()

    def _alternate(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """The trial: blocks of JAX and CVM calls in turn; in each block, calls for
        :data:`SWITCH_SECONDS` untimed (the other mode's threads still spin: NumPy's
        OpenBLAS threads ~0.1 s after a call, which slowed JAX calls right after CVM
        ones by half), then :data:`BLOCK_CALLS` timed."""
        with self._lock:
            if self._current != self._alternate:
                return self._current(arrays)
            if not self._checked:
                return self._first_jax_call(arrays)
            mode = self._blocks[0]
            run = self._run_jax if mode == "JAX" else self._cvm
            start = time.perf_counter()
            if self._block_start is None:
                self._block_start = start
            if start - self._block_start < SWITCH_SECONDS:
                return run(arrays)
            results = run(arrays)
            self._trial[mode].append(time.perf_counter() - start)
            if len(self._trial[mode]) % BLOCK_CALLS == 0:
                self._blocks.pop(0)
                self._block_start = None
            if not self._blocks:
                on_cvm, on_jax = statistics.median(self._trial["CVM"]), statistics.median(self._trial["JAX"])
                if on_cvm >= MIN_GAIN * on_jax:
                    self._settle("JAX", f"JAX {on_jax * 1e3:.3g} ms a call against CVM {on_cvm * 1e3:.3g} ms")
                else:
                    self._settle("CVM", f"CVM {on_cvm * 1e3:.3g} ms a call against JAX {on_jax * 1e3:.3g} ms")
            return results

    def _first_jax_call(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """A CVM call and a JAX call: JAX is tried only if its results have CVM's dtypes
        and shapes (updates included); the JAX call stores nothing until then."""
        candidate, function = self._candidate, self._jax
        assert candidate is not None and function is not None
        outputs = self._cvm(arrays)
        expected = [(np.asarray(r).dtype, np.shape(r)) for r in outputs]
        expected += [(np.asarray(c.storage[0]).dtype, np.shape(c.storage[0])) for c in candidate.containers]
        self._checked = True
        try:
            with self._jax_lock, candidate.context():
                results = function(*arrays)
        except Exception as error:  # noqa: BLE001 - CVM ran this call without an error: keep CVM
            self._settle("CVM", f"JAX failed where CVM did not ({type(error).__name__}: {str(error)[:200]})")
            return outputs
        received = [(np.dtype(r.dtype), tuple(r.shape)) for r in results]
        if received != expected:
            self._settle("CVM", f"JAX's results differ in dtype or shape: {received} against {expected}")
        # The CVM call above was the real one; the JAX results are dropped.
        return outputs

    def _run_jax(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        candidate, function = self._candidate, self._jax
        assert candidate is not None and function is not None
        with self._jax_lock, candidate.context():
            results = function(*arrays)
        n = candidate.n_outputs
        for container, value in zip(candidate.containers, results[n:]):
            container.storage[0] = np.array(value)  # NumPy, for the other functions of the variable
        return [np.array(r) for r in results[:n]]  # writable, as CVM's

    def _settle(self, mode: str, why: str) -> None:
        self.mode = mode
        self._settled = True
        if mode == "CVM":
            self.reason = self.reason or why
            self._jax = self._candidate = None  # the JAX compile is freed
            self._current = self._cvm
        else:
            self._current = self._run_jax
        _log.debug("ktensor: %s runs in %s: %s", self.label, mode, why)
