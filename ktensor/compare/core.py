"""``kt.compare``'s procedure: build, compile and time ``fn`` on every backend, then check agreement.

For each backend (a :class:`~ktensor.compare.specs.Candidate`) and task (forward;
also the training step with ``gradients=True``), in this order:

1. **first result**: the first build + compile + first call in this process (the
   engine import excluded, caches as found: PyTensor's C cache in ``~/.pytensor`` may
   already hold the code), and the growth of resident memory meanwhile;
2. **build**: ``timing.build_repeat`` builds, each on a fresh instance of the backend;
3. **compile**: ``timing.compile_repeat`` compiles with their first call, each of a
   fresh build, all on a warm engine cache;
4. **steady calls** of every backend together, in rounds
   (:func:`ktensor.compare.timing.sample_calls`);
5. **agreement**: the outputs of the first call against a float64 run of the same
   ``fn`` on a reference engine (inputs and variables widened, ``floatx`` float64
   while it builds), and every two backends against each other.

A backend that fails is reported with its error and left out of later steps; the
others go on.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ktensor.backends.base import Backend
from ktensor.compare.agreement import difference
from ktensor.compare.environment import blas_info, machine_info, rss_bytes, versions
from ktensor.compare.program import Program, compile_built, float64_program
from ktensor.compare.progress import Progress
from ktensor.compare.result import Comparison, Entry, Pair
from ktensor.compare.specs import Candidate, parse_backends
from ktensor.compare.timing import Timing, call_overhead, sample_calls, short_error, timed, timed_entry

__all__ = ["run_comparison"]


@contextlib.contextmanager
def _floatx(dtype: str) -> Iterator[None]:
    from ktensor import config

    before = config.floatx()
    config.set_floatx(dtype)
    try:
        yield
    finally:
        config.set_floatx(before)


class _Run:
    """One entry's live state while it is measured."""

    def __init__(self, candidate: Candidate, program: Program, entry: Entry) -> None:
        self.candidate = candidate
        self.program = program
        self.entry = entry
        self.call: Callable[[Sequence[np.ndarray]], list[np.ndarray]] | None = None
        self.first: list[np.ndarray] = []

    def fail(self, error: BaseException) -> None:
        self.entry.status = "error"
        self.entry.reason = short_error(error)
        self.call = None

    def first_result(self, arrays: list[np.ndarray]) -> None:
        assert self.candidate.backend is not None
        before = rss_bytes()
        seconds, (call, outputs) = timed(self._build_compile_call, self.candidate.backend, arrays)
        self.entry.memory = rss_bytes() - before
        self.entry.first_result = seconds
        self.call, self.first = call, [np.asarray(o) for o in outputs]
        self.entry.outputs = [[n, list(o.shape), o.dtype.name] for n, o in zip(self._names, self.first)]

    def _build_compile_call(self, backend: Backend, arrays: list[np.ndarray]) -> tuple[Any, list[np.ndarray]]:
        built = self.program.build(backend)
        self._names = built.names
        call = compile_built(built)
        return call, call(arrays)

    def builds(self, repeat: int) -> None:
        for _ in range(repeat):
            backend = self.candidate.fresh()
            self.entry.build.append(timed(self.program.build, backend)[0])

    def compiles(self, repeat: int, arrays: list[np.ndarray]) -> None:
        for _ in range(repeat):
            built = self.program.build(self.candidate.fresh())
            seconds, call = timed(_compile_and_call, built, arrays)
            self.entry.compile.append(seconds)
            self.call = call


def _compile_and_call(built: Any, arrays: list[np.ndarray]) -> Any:
    call = compile_built(built)
    call(arrays)
    return call


def _reference(runs: list[_Run], reference: str | Backend | None) -> tuple[str, dict[str, list[np.ndarray]]]:
    """The float64 outputs per task, and the reference's description (or why there is none)."""
    if reference is None:
        engines = [r.candidate.engine for r in runs if r.candidate.backend is not None]
        if not engines:
            return "", {}
        reference = engines[0]
    [candidate] = parse_backends([reference])
    if candidate.backend is None:
        return f"no reference ({candidate.label}: {candidate.unavailable})", {}
    backend = candidate.fresh()
    found: dict[str, list[np.ndarray]] = {}
    for task in dict.fromkeys(r.program.task for r in runs):
        program = float64_program(next(r.program for r in runs if r.program.task == task))
        try:
            with _floatx("float64"):
                call = compile_built(program.build(backend))
                found[task] = [np.asarray(o) for o in call(program.feed())]
        except Exception as error:  # noqa: BLE001 - no reference: say so, compare pairwise only
            return f"no reference ({candidate.label}, float64: {short_error(error)})", found
    return f"a float64 run on {candidate.label}", found


def run_comparison(
    fn: Callable[..., Any],
    inputs: Any,
    backends: Any = None,
    *,
    gradients: bool = False,
    variables: Any = None,
    batch_axis: Any = None,
    repeat: int | None = None,
    quick: bool = False,
    timing: Timing | None = None,
    reference: str | Backend | None = None,
    progress: bool | None = None,
) -> Comparison:
    """See :func:`ktensor.compare.compare`."""
    settings = timing if timing is not None else (Timing.quick() if quick else Timing())
    if repeat is not None:
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
            raise ValueError(f"ktensor: compare: repeat must be a positive int (rounds of calls); received {repeat!r}")
        settings = Timing(**{**_fields(settings), "rounds": repeat})
    tasks = ["forward", "gradients"] if gradients else ["forward"]
    programs = {t: Program.from_arrays(fn, inputs, variables, batch_axis, t) for t in tasks}
    candidates = parse_backends(backends)
    arrays = programs["forward"].feed()

    result = Comparison(programs["forward"].describe(), [], timing=settings)
    runs: list[_Run] = []
    for candidate, task in itertools.product(candidates, tasks):
        entry = Entry(candidate.label, candidate.spec, candidate.engine, candidate.mode, task,
                      backend_class=_class_name(candidate.backend))
        result.entries.append(entry)
        if candidate.backend is None:
            entry.status, entry.reason = "unavailable", candidate.unavailable
        else:
            runs.append(_Run(candidate, programs[task], entry))

    steps = 3 * len(runs) + settings.rounds + 2
    stream = sys.stderr
    show = stream.isatty() if progress is None else progress
    bar_or_none = Progress(total=steps, stream=stream, log=progress is True) if show else None
    with bar_or_none if bar_or_none is not None else contextlib.nullcontext() as bar:

        def advance(label: str) -> None:
            if bar is not None:
                bar.advance(label)

        for phase, action in (
            ("first result", lambda r: r.first_result(arrays)),
            ("build", lambda r: r.builds(settings.build_repeat)),
            ("compile", lambda r: r.compiles(settings.compile_repeat, arrays)),
        ):
            for run in runs:
                if run.entry.status == "ok":
                    try:
                        action(run)
                    except Exception as error:  # noqa: BLE001 - this engine failed; the others go on
                        run.fail(error)
                advance(f"{phase} {run.entry.label} {run.entry.task}")

        live = [r for r in runs if r.call is not None]
        items = [timed_entry(f"{r.entry.label} {r.entry.task}", r.candidate.engine, r.candidate.mode, r.call, arrays)
                 for r in live]
        sample_calls(items, settings, on_round=lambda i: advance(f"calls, round {i + 1}/{settings.rounds}"))
        for run, item in zip(live, items):
            if item.error is not None:
                run.fail(RuntimeError(item.error))
            else:
                run.entry.call = item.samples
        result.call_overhead = call_overhead(settings) if items else None
        advance("reference")
        result.reference, expected = _reference(runs, reference)
        advance("agreement")
    _agreement(result, runs, expected)
    result.machine, result.versions, result.blas = machine_info(), versions(), blas_info()
    return result


def _fields(timing: Timing) -> dict[str, Any]:
    import attrs

    return attrs.asdict(timing)


def _class_name(backend: Backend | None) -> str:
    return "" if backend is None else f"{type(backend).__module__}.{type(backend).__qualname__}"


def _dtypes(done: list[_Run]) -> None:
    """ktensor gives every engine the same result dtypes: flag an output whose dtype is not the most common one."""
    for task in dict.fromkeys(r.program.task for r in done):
        same = [r for r in done if r.program.task == task]
        for index in range(min(len(r.first) for r in same) if same else 0):
            kinds = [r.first[index].dtype.name for r in same]
            usual = max(set(kinds), key=kinds.count)
            for run, kind in zip(same, kinds):
                if kind != usual and index < len(run.entry.agreement):
                    d = run.entry.agreement[index]
                    d.ok, d.note = False, f"dtype {kind}, the other engines give {usual}"


def _agreement(result: Comparison, runs: list[_Run], expected: dict[str, list[np.ndarray]]) -> None:
    done = [r for r in runs if r.first]
    for run in done:
        ref = expected.get(run.program.task)
        if ref is not None:
            run.entry.agreement = [difference(o, e, n) for (n, *_), o, e in zip(run.entry.outputs, run.first, ref)]
    _dtypes(done)
    for a, b in itertools.combinations(done, 2):
        if a.program.task != b.program.task:
            continue
        for (name, *_), x, y in zip(a.entry.outputs, a.first, b.first):
            result.pairs.append(Pair(a.entry.label, b.entry.label, a.program.task, difference(x, y, name)))
