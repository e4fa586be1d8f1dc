"""Compare the engines on your own code: ``kt.compare`` and ``ktensor compare``.

This package is imported by ``import ktensor`` but loads its machinery (and no
engine, no matplotlib) only when :func:`compare` runs. Its modules:

* :mod:`~ktensor.compare.specs` — which backends: names, ``"name:mode"``, instances;
* :mod:`~ktensor.compare.program` — ``fn`` on placeholders shaped like the inputs;
* :mod:`~ktensor.compare.timing` — the measurement method (shared with ``benchmarks/``);
* :mod:`~ktensor.compare.stats` — summaries and paired ratios;
* :mod:`~ktensor.compare.agreement` — differences from a float64 run and pairwise;
* :mod:`~ktensor.compare.core` — the procedure;
* :mod:`~ktensor.compare.result` — the result: table, JSON; :mod:`~ktensor.compare.plot` — PNG;
* :mod:`~ktensor.compare.environment` — machine, versions, BLAS threads, memory;
* :mod:`~ktensor.compare.cli` — the ``ktensor compare`` command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktensor.backends.base import Backend
    from ktensor.compare.result import Comparison
    from ktensor.compare.timing import Timing

__all__ = ["Comparison", "Timing", "compare"]


def compare(
    fn: Callable[..., Any],
    inputs: Any,
    backends: str | Backend | Sequence[str | Backend] | None = None,
    *,
    gradients: bool = False,
    variables: Any = None,
    batch_axis: int | Sequence[int | None] | None = None,
    repeat: int | None = None,
    quick: bool = False,
    timing: Timing | None = None,
    reference: str | Backend | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Build, compile and time ``fn`` on every backend given, and check that they agree.

    ``fn`` is called once per backend inside ``kt.use_backend``, on placeholders shaped
    like ``inputs``, and compiled with ``kt.function``. Each backend gets: build time,
    compile time (with the first call), time to first result, memory growth, steady
    call time (median, min, max over rounds), its ratio to the fastest, and whether its
    outputs agree with a float64 run (see ``docs/compare.md`` for the method).

    Args:
        fn: backend-neutral ktensor code: takes tensors, returns a tensor, or a list,
            tuple or dict of tensors.
        inputs: example data, fed at every call: an array, a sequence of arrays
            (positional arguments of ``fn``), or a mapping name -> array (keyword
            arguments). Dtypes are kept as given.
        backends: a name (``"theano"``, ``"tensorflow"``, a registered name), a
            ``"name:mode"`` string (``"theano:NUMBA"``, ``"theano:JAX"``,
            ``"tensorflow:xla"``, ...), a ``Backend`` instance (a subclass of your own
            too), or a list of them; None: every engine and mode ktensor runs.
        gradients: also time a training step: the outputs and the gradients of their
            sum with respect to ``variables`` (without variables: the float inputs).
        variables: initial values of trainable state, made ``kt.variable`` on each
            backend and passed to ``fn`` after the inputs (a sequence: positionally; a
            mapping: by name).
        batch_axis: leave this axis unknown (None) in every input's placeholder, or
            one axis (or None) per input.
        repeat: rounds of steady-call samples (default 15; 7 with ``quick``).
        quick: fewer repeats (a few seconds for a small function).
        timing: every measurement setting (a :class:`ktensor.compare.Timing`),
            e.g. ``Timing(engine_pause=0.5)``; ``repeat`` still overrides its rounds.
        reference: the engine of the float64 reference run; default: the first
            available backend's engine, in its default mode.
        progress: show a progress bar on stderr; default: when stderr is a terminal.

    Returns:
        A :class:`~ktensor.compare.result.Comparison`: ``print(result)`` shows the table,
        ``result.save("f.json")`` writes every sample, ``result.plot("f.png")`` a plot.

    Raises:
        ValueError: an unknown backend name or mode (the message lists the valid ones).
        TypeError: ``fn`` not callable, inputs that are not array-like.

    Example:
        >>> import numpy as np
        >>> import ktensor as kt
        >>> from ktensor.compare import Timing
        >>> fast = Timing(rounds=2, build_repeat=1, compile_repeat=1, sample_seconds=0, engine_pause=0)
        >>> result = kt.compare(lambda x: (x * 2).sum(), [np.ones(3, "float32")], ["theano"], timing=fast)
        >>> entry = result.entries[0]
        >>> entry.status, len(entry.call), entry.agrees
        ('ok', 2, True)
    """
    from ktensor.compare.core import run_comparison

    return run_comparison(
        fn, inputs, backends, gradients=gradients, variables=variables, batch_axis=batch_axis, repeat=repeat,
        quick=quick, timing=timing, reference=reference, progress=progress,
    )


def __getattr__(name: str) -> Any:
    """``Timing`` and ``Comparison`` load their modules on first access."""
    if name == "Timing":
        from ktensor.compare.timing import Timing

        return Timing
    if name == "Comparison":
        from ktensor.compare.result import Comparison

        return Comparison
    raise AttributeError(f"module 'ktensor.compare' has no attribute {name!r}")
