"""A compiled call that starts in an engine's fast-compiling mode and moves to its
fast-running one when that runs the function faster, measured on the function's own calls.

No engine mode is fastest everywhere (``docs/backends.md``). On PyTensor, CVM compiles
fastest and runs elementwise work fastest while JAX ran the training steps faster; on
TensorFlow, XLA ran reductions and elementwise chains up to 2.7× faster than the
graph executor and convolutions slower. A :class:`TieredCall` runs the *base* compile
(CVM, TensorFlow's graph), times its calls, and once the function is *hot*
(:data:`HOT_SECONDS` spent in calls, each at least the alternative's
``min_call_seconds``) prepares the *alternative* (JAX, XLA) on a background thread.
When that is ready it runs blocks of calls of each in turn (:data:`TRIAL_BLOCKS`; in
each, calls for :data:`SWITCH_SECONDS` untimed, then :data:`BLOCK_CALLS` timed; a close
result runs them again, up to :data:`MAX_TRIAL_ROUNDS` times) and keeps the alternative
only if the base's median call is at least :data:`MIN_GAIN` times its median; either
way it then stops measuring. Every call is a real call: the
trial's calls of either side return the results and store the updates.

What an engine supplies is an :class:`Alternative`: its name, how to prepare it, its
first call (which may refuse it: JAX's results of another dtype than CVM's) and its
call. The engines' own are ``theano/tiering.py`` and ``tensorflow/tiering.py``.

Examples:
    >>> calls = []
    >>> tier = TieredCall(lambda arrays: calls.append("base") or [], None, "f", base="CVM")
    >>> tier([]), tier.mode, tier.settled      # no alternative: the base from the start
    ([], 'CVM', True)
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

__all__ = [
    "BLOCK_CALLS", "CLOSE_CALL", "HOT_SECONDS", "MAX_TRIAL_ROUNDS", "MIN_GAIN", "SWITCH_SECONDS", "TRIAL_BLOCKS",
    "Alternative", "TieredCall",
]

_log = logging.getLogger("ktensor")

#: Seconds a function spends in (timed) base calls before its alternative is prepared.
HOT_SECONDS = 0.1
#: The trial's blocks of calls, in order (it follows the base calls that made the function hot).
TRIAL_BLOCKS = ("alternative", "base", "alternative", "base")
#: Timed calls in each block of the trial.
BLOCK_CALLS = 4
#: Untimed calls at the start of each block, for at least this long.
SWITCH_SECONDS = 0.1
#: The alternative is kept only when the base's median call is at least this many times its median.
MIN_GAIN = 1.05
#: A trial whose medians are within this factor of each other (either way) is too
#: close to call on 8 calls a side: it runs :data:`TRIAL_BLOCKS` again, up to
#: :data:`MAX_TRIAL_ROUNDS` times, and decides on the medians of all its calls.
CLOSE_CALL = 1.12
MAX_TRIAL_ROUNDS = 3
#: Calls not timed at the start (modules loading, caches filling).
_UNTIMED = 2
_PROBE_WINDOW = 5

Call = Callable[[Sequence[np.ndarray]], list[Any]]


class Alternative(Protocol):
    """The fast-running side of a :class:`TieredCall`, as an engine supplies it.

    Attributes:
        name: the mode's name (``"JAX"``, ``"xla"``), what ``TieredCall.mode`` reads.
        min_call_seconds: functions whose median base call is shorter stay in the base:
            the alternative's own cost per call would eat the gain.
    """

    name: str
    min_call_seconds: float

    def prepare(self, sample: list[np.ndarray]) -> None:
        """Compile (and warm up on ``sample``, copies of a call's arrays) without
        changing any variable; run on a background thread. Raises where it cannot."""

    def first_call(self, arrays: Sequence[np.ndarray], base: Call) -> tuple[list[Any], str | None]:
        """The first call of the trial, a real one (it may run ``base`` instead): its
        results, and why the alternative must not be used, or ``None``."""

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """A call: the results, the updates stored."""


class TieredCall:
    """A compiled call that may move from its base mode to an alternative (see the module docstring).

    Attributes:
        mode: the mode running the calls now (``base``, or the alternative's name).
        settled: whether the choice is made (no more timing).
        reason: why the function stayed in the base mode, once it did (``None`` before).
    """

    def __init__(
        self, base_call: Call, alternative: Alternative | None, label: str, base: str, why_not: str = "no faster mode for it"
    ) -> None:
        self.mode = base
        self.label = label
        self.reason: str | None = None
        self._base_name = base
        self._base = base_call
        self._alternative = alternative
        self._lock = threading.Lock()
        self._calls = 0
        self._spent = 0.0
        self._recent: list[float] = []
        self._prepared = False
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._trial: dict[str, list[float]] = {"base": [], "alternative": []}
        self._blocks = list(TRIAL_BLOCKS)
        self._rounds = 1
        self._block_start: float | None = None
        self._checked = False
        self._settled = False
        self._current: Call = self._probe
        if alternative is None:
            self._settle(base, why_not)

    @property
    def settled(self) -> bool:
        return self._settled

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        return self._current(arrays)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the alternative's preparation, if one runs; whether none is left running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- the phases: probe (base, timed), prepare (background), trial, settled ----------
    # Each phase runs under the lock, and a call that finds the phase over once it holds
    # the lock (another thread moved on meanwhile) runs the next phase after letting go.
    def _probe(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        with self._lock:
            if self._current == self._probe:
                return self._probe_locked(arrays)
        return self._current(arrays)

    def _alternate(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        with self._lock:
            if self._current == self._alternate:
                return self._alternate_locked(arrays)
        return self._current(arrays)

    def _probe_locked(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        if self._thread is not None:
            if self._ready.is_set() and not self._prepared:
                self._settle(self._base_name, self.reason or "the faster mode could not compile it")
            elif self._ready.is_set():
                self._current = self._alternate
            return self._base(arrays)
        start = time.perf_counter()
        results = self._base(arrays)
        seconds = time.perf_counter() - start
        self._calls += 1
        if self._calls > _UNTIMED:
            self._spent += seconds
            self._recent = [*self._recent[-(_PROBE_WINDOW - 1) :], seconds]
            assert self._alternative is not None
            floor = self._alternative.min_call_seconds
            if len(self._recent) == _PROBE_WINDOW and statistics.median(self._recent) < floor:
                self._settle(self._base_name, f"its calls take under {floor * 1e6:.0f} µs")
            elif self._spent >= HOT_SECONDS and len(self._recent) == _PROBE_WINDOW:
                self._start_preparing(arrays)
        return results

    def _start_preparing(self, arrays: Sequence[np.ndarray]) -> None:
        assert self._alternative is not None
        sample = [np.array(a) for a in arrays]  # the caller may change its arrays meanwhile
        name = f"ktensor {self._alternative.name} compile of {self.label}"
        self._thread = threading.Thread(target=self._prepare, args=(sample,), name=name)
        self._thread.start()

    def _prepare(self, sample: list[np.ndarray]) -> None:
        alternative = self._alternative
        assert alternative is not None
        try:
            alternative.prepare(sample)
            self._prepared = True
        except Exception as error:  # noqa: BLE001 - any failure keeps the base, which works
            self.reason = f"{alternative.name} could not compile it ({type(error).__name__}: {str(error)[:200]})"
            _log.debug("ktensor: %s stays in %s: %s", self.label, self._base_name, self.reason)
        finally:
            self._ready.set()

    def _alternate_locked(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """The trial: blocks of alternative and base calls in turn; in each block, calls
        for :data:`SWITCH_SECONDS` untimed (the other mode's threads still spin: NumPy's
        OpenBLAS threads ~0.1 s after a call, which slowed JAX calls right after CVM
        ones by half), then :data:`BLOCK_CALLS` timed."""
        alternative = self._alternative
        assert alternative is not None
        if not self._checked:
            # An error here is the base's (a bad value): first_call catches the
            # alternative's own and returns them as a refusal.
            results, refusal = alternative.first_call(arrays, self._base)
            self._checked = True
            if refusal is not None:
                self._settle(self._base_name, refusal)
            return results
        side = self._blocks[0]
        run = alternative if side == "alternative" else self._base
        start = time.perf_counter()
        if self._block_start is None:
            self._block_start = start
        if start - self._block_start < SWITCH_SECONDS:
            return run(arrays)
        results = run(arrays)
        self._trial[side].append(time.perf_counter() - start)
        if len(self._trial[side]) % BLOCK_CALLS == 0:
            self._blocks.pop(0)
            self._block_start = None
        if not self._blocks:
            on_base = statistics.median(self._trial["base"])
            on_alternative = statistics.median(self._trial["alternative"])
            close = 1 / CLOSE_CALL < on_base / on_alternative < CLOSE_CALL
            if close and self._rounds < MAX_TRIAL_ROUNDS:
                self._rounds += 1
                self._blocks = list(TRIAL_BLOCKS)
                return results
            faster, slower = (alternative.name, self._base_name)
            if on_base >= MIN_GAIN * on_alternative:
                why = f"{faster} {on_alternative * 1e3:.3g} ms a call against {slower} {on_base * 1e3:.3g} ms"
                self._settle(alternative.name, why)
            else:
                why = f"{slower} {on_base * 1e3:.3g} ms a call against {faster} {on_alternative * 1e3:.3g} ms"
                self._settle(self._base_name, why)
        return results

    def _settle(self, mode: str, why: str) -> None:
        self.mode = mode
        self._settled = True
        if mode == self._base_name:
            self.reason = self.reason or why
            self._current = self._base
            self._alternative = None  # its compile is freed (a preparing thread holds its own reference)
        else:
            assert self._alternative is not None
            self._current = self._alternative
        _log.debug("ktensor: %s runs in %s: %s", self.label, mode, why)

