"""The measurement method shared by ``kt.compare`` and the benchmark suite.

* **Steady calls** are sampled in rounds. Each round visits the engines in a new
  random order and, within an engine, its entries in a new random order, so a burst
  of machine noise lands on every entry instead of on one, and two entries of one
  engine (ktensor and hand-written code, a subclass and its parent) are sampled
  moments apart: their per-round ratios cancel most of the noise
  (:func:`ktensor.compare.stats.paired_ratio`).
* Before an engine is visited the sampler pauses (``Timing.engine_pause``, 200 ms),
  so the worker threads of the engine visited before have parked: NumPy's and
  SciPy's OpenBLAS threads spin about 0.1 s after a call and would steal the next
  engine's CPU (with a 5 ms pause PyTensor's MLP samples split into 2/4/8 ms modes).
* One untimed call precedes each sample, to wake the threads of the engine about to
  be timed; each sample times enough calls to last ``sample_seconds`` (at least one)
  and records the time per call. Warm-up calls are excluded, and the garbage
  collector is off while sampling.

Examples:
    >>> items = [Timed("a", "engine1", lambda: None), Timed("b", "engine1", lambda: None)]
    >>> sample_calls(items, Timing(rounds=3, engine_pause=0.0, sample_seconds=0.0))
    >>> [len(item.samples) for item in items]
    [3, 3]
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

__all__ = ["Timed", "Timing", "call_overhead", "runtime_group", "sample_calls", "short_error", "timed", "timed_entry"]


@attrs.define
class Timing:
    """How much to repeat each kind of measurement.

    Attributes:
        rounds: rounds of steady-call samples (each entry gets ``rounds *
            samples_per_visit`` samples).
        samples_per_visit: samples of each entry per visit of its engine (the entries
            of one engine are interleaved within a visit).
        build_repeat: timed builds per entry.
        compile_repeat: timed compiles (each with its first call) per entry.
        warmup_calls: untimed calls before the steady-call samples.
        sample_seconds: each sample times enough calls to last this long.
        engine_pause: seconds to wait before visiting another engine.
    """

    rounds: int = 15
    samples_per_visit: int = 1
    build_repeat: int = 3
    compile_repeat: int = 2
    warmup_calls: int = 3
    sample_seconds: float = 0.02
    engine_pause: float = 0.2

    @classmethod
    def quick(cls) -> Timing:
        """A short measurement: 7 rounds, one timed build and compile, 5 ms samples.

        Example:
            >>> Timing.quick().rounds
            7
        """
        return cls(rounds=7, build_repeat=1, compile_repeat=1, warmup_calls=2, sample_seconds=0.005)


def timed(action: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """``(seconds, result)`` of one call of ``action(*args)``."""
    start = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - start, result


def short_error(error: BaseException) -> str:
    """``"TypeName: first line of the message"``, at most 300 characters.

    Example:
        >>> short_error(ValueError("ktensor: bad\\nmore"))
        'ValueError: ktensor: bad'
    """
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


@attrs.define
class Timed:
    """One thing whose steady calls are sampled.

    Attributes:
        key: a unique label.
        group: the runtime it runs on (:func:`runtime_group`); entries of one group are
            sampled together, and the sampler pauses between groups.
        call: a call without arguments (bind the inputs in a closure).
        samples: seconds per call, one per sample, in round order.
        number: calls per sample (set by calibration).
        error: why it could not be sampled, if it could not.
    """

    key: str
    group: str
    call: Callable[[], Any]
    settled: Callable[[], bool] = attrs.field(default=lambda: True)
    regroup: Callable[[], str] | None = None
    samples: list[float] = attrs.field(factory=list)
    number: int = 1
    error: str | None = None


def runtime_group(engine: str, mode: str) -> str:
    """The group an entry of ``engine`` in ``mode`` is sampled in: the runtime whose
    threads do its work. PyTensor's JAX mode runs on XLA's threads, not on NumPy's BLAS
    threads as its C modes do: sampled in one group, each slowed the other (a CNN step
    in CVM read 81 ms beside JAX-mode calls, 68 ms alone).

    >>> runtime_group("theano", "JAX"), runtime_group("theano", "CVM"), runtime_group("jax", "jit")
    ('jax', 'theano', 'jax')
    """
    return "jax" if mode == "JAX" or engine == "jax" else engine


def timed_entry(key: str, engine: str, mode: str, call: Any, arrays: Sequence[Any]) -> Timed:
    """The :class:`Timed` of ``call(arrays)``, in the runtime group of ``engine`` and ``mode``.

    A ``call`` with ``settled`` and ``engine_mode`` attributes (``compile_built``'s, for
    a theano AUTO function) is warmed up until it has settled, then sampled in the group
    of the mode it chose.

    >>> timed_entry("f", "theano", "JAX", lambda arrays: None, []).group
    'jax'
    """
    item = Timed(key, runtime_group(engine, mode), lambda: call(arrays))
    item.settled = getattr(call, "settled", item.settled)
    mode_of = getattr(call, "engine_mode", None)
    if mode_of is not None:
        item.regroup = lambda: runtime_group(engine, str(mode_of()))
    return item


#: The longest warm-up that waits for a function to settle (a theano AUTO function's choice).
SETTLE_SECONDS = 60.0


def _calibrate(item: Timed, timing: Timing) -> bool:
    try:
        for _ in range(timing.warmup_calls):
            item.call()
        deadline = time.perf_counter() + SETTLE_SECONDS
        while not item.settled() and time.perf_counter() < deadline:
            item.call()  # steady calls are those after the engine's choice
        if item.regroup is not None:
            item.group = item.regroup()
        seconds, _ = timed(item.call)
    except Exception as error:  # noqa: BLE001 - a failing entry is a result, not a crash
        item.error = short_error(error)
        return False
    item.number = max(1, int(timing.sample_seconds / max(seconds, 1e-9)))
    return True


def sample_calls(
    items: Sequence[Timed],
    timing: Timing,
    seed: int = 0,
    on_round: Callable[[int], None] = lambda index: None,
) -> None:
    """Sample the steady calls of every item (see the module's description) into ``item.samples``.

    An item whose call raises gets ``error`` and is sampled no more; the others go on.

    Args:
        items: what to sample.
        timing: rounds, samples per visit, warm-up, sample length, pause.
        seed: of the random visiting order.
        on_round: called after each round with its index.
    """
    live = [item for item in items if _calibrate(item, timing)]
    groups: dict[str, list[Timed]] = {}
    for item in live:
        groups.setdefault(item.group, []).append(item)
    visits = list(groups.values())
    order = np.random.default_rng(seed)
    previous: str | None = None
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index in range(timing.rounds):
            for group_index in order.permutation(len(visits)):
                group = visits[group_index]
                if not group:
                    continue
                if group[0].group != previous and timing.engine_pause > 0:
                    time.sleep(timing.engine_pause)
                previous = group[0].group
                for _ in range(timing.samples_per_visit):
                    for item_index in order.permutation(len(group)):
                        _sample(group[item_index])
                group[:] = [item for item in group if item.error is None]
            on_round(index)
    finally:
        if gc_was_enabled:
            gc.enable()


def _sample(item: Timed) -> None:
    """One sample of ``item``: an untimed call, then ``item.number`` timed ones."""
    if item.error is not None:
        return
    call, number = item.call, item.number
    try:
        call()
        start = time.perf_counter()
        for _ in range(number):
            call()
        item.samples.append((time.perf_counter() - start) / number)
    except Exception as error:  # noqa: BLE001 - an entry failing after warm-up: the others go on
        item.error = short_error(error)


def call_overhead(timing: Timing) -> float:
    """Seconds per call that the sampling loop itself adds: a call of a no-op, sampled the same way.

    Example:
        >>> call_overhead(Timing(rounds=3, engine_pause=0.0, sample_seconds=0.001)) < 1e-5
        True
    """
    item = Timed("no-op", "none", lambda: None)
    sample_calls([item], attrs.evolve(timing, engine_pause=0.0))
    return float(np.median(item.samples))
