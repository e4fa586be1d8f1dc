"""The result of ``kt.compare``: one entry per backend and task, a table, a JSON file.

Examples:
    >>> entry = Entry("theano/CVM", "theano", "theano", "CVM", "forward", call=[1e-5, 1.1e-5, 1e-5])
    >>> result = Comparison("f(x: float32 (2,))", [entry])
    >>> print(result.table().splitlines()[1])
    backend     build  compile  first result  memory   call median (min–max)  ×fastest  agreement
    >>> print(result.table().splitlines()[3])
    theano/CVM      -        -             -       -  10.0µs (10.0µs–11.0µs)     ×1.00  -
"""

from __future__ import annotations

import datetime
import json
import math
import statistics
from pathlib import Path
from typing import Any

import attrs

from ktensor.compare.agreement import Difference
from ktensor.compare.stats import paired_ratio, spread, summary
from ktensor.compare.timing import Timing
from ktensor.compare.units import format_bytes, format_duration, format_ratio

__all__ = ["Comparison", "Entry", "Pair"]

#: The tasks, in table order, and their titles.
TASKS = {"forward": "outputs", "gradients": "training step: outputs and gradients of their sum"}


@attrs.define
class Entry:
    """One backend on one task, and everything measured about it (seconds; bytes).

    Attributes:
        label: the backend's row name.
        spec: what was asked for.
        engine: engine family (``Backend.name``).
        mode: engine mode.
        task: ``"forward"`` or ``"gradients"``.
        backend_class: the backend's class, ``module.QualName``.
        status: ``"ok"``, ``"unavailable"`` or ``"error"``.
        reason: why unavailable, or the error (``"ValueError: ktensor: ..."``).
        build: seconds of each timed build.
        compile: seconds of each timed compile with its first call.
        first_result: seconds of the first build + compile + first call in this process.
        memory: growth of the process's resident memory during the first result.
        call: seconds per steady call, one per sample, in round order.
        outputs: ``[name, shape, dtype]`` of each output.
        agreement: each output against the float64 reference.
    """

    label: str
    spec: str
    engine: str
    mode: str
    task: str
    backend_class: str = ""
    status: str = "ok"
    reason: str | None = None
    build: list[float] = attrs.field(factory=list)
    compile: list[float] = attrs.field(factory=list)
    first_result: float | None = None
    memory: int | None = None
    call: list[float] = attrs.field(factory=list)
    outputs: list[list[Any]] = attrs.field(factory=list)
    agreement: list[Difference] = attrs.field(factory=list)

    @property
    def median(self) -> float | None:
        """Median seconds per steady call, or None."""
        return statistics.median(self.call) if self.call else None

    @property
    def agrees(self) -> bool | None:
        """Whether every output agrees with the reference (None when not compared)."""
        return all(d.ok for d in self.agreement) if self.agreement else None


@attrs.define
class Pair:
    """Two backends' difference on one output of one task."""

    a: str
    b: str
    task: str
    difference: Difference


@attrs.define
class Comparison:
    """What ``kt.compare`` measured. ``print(result)`` shows the table(s).

    Attributes:
        function: the function and its inputs, e.g. ``"model(x: float32 (256, 512))"``.
        entries: one per backend and task, in the order asked for.
        reference: the reference run's description, or why there is none.
        pairs: every two available backends' differences, per task and output.
        timing: the measurement settings.
        call_overhead: seconds per call the sampling loop itself adds (a no-op sampled alike).
        date, machine, versions, blas: where and with what it ran.
    """

    function: str
    entries: list[Entry]
    reference: str = ""
    pairs: list[Pair] = attrs.field(factory=list)
    timing: Timing = attrs.field(factory=Timing)
    call_overhead: float | None = None
    date: str = attrs.field(factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    machine: dict[str, Any] = attrs.field(factory=dict)
    versions: dict[str, str] = attrs.field(factory=dict)
    blas: dict[str, Any] = attrs.field(factory=dict)

    # -- access -------------------------------------------------------------------------
    def tasks(self) -> list[str]:
        """The tasks measured, in table order."""
        present = {e.task for e in self.entries}
        return [t for t in TASKS if t in present]

    def entry(self, label: str, task: str = "forward") -> Entry:
        """The entry of backend ``label`` on ``task``; ``KeyError`` listing the labels."""
        for e in self.entries:
            if e.label == label and e.task == task:
                return e
        raise KeyError(f"ktensor: compare: no backend {label!r} on task {task!r}; "
                       f"labels: {sorted({e.label for e in self.entries})}")

    def __getitem__(self, label: str) -> Entry:
        """``result["theano/CVM"]``: the forward entry of that backend."""
        return self.entry(label)

    def fastest(self, task: str = "forward") -> Entry | None:
        """The entry with the lowest median call on ``task``."""
        timed = [e for e in self.entries if e.task == task and e.call]
        return min(timed, key=lambda e: e.median or math.inf) if timed else None

    def ratio(self, label: str, other: str, task: str = "forward") -> float:
        """``label``'s steady call time ÷ ``other``'s: the median of per-round ratios."""
        return paired_ratio(self.entry(label, task).call, self.entry(other, task).call)

    # -- text ---------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.table()

    def table(self) -> str:
        """The table(s): one per task, rows are backends, then notes on the method."""
        blocks = []
        for task in self.tasks():
            title = f"kt.compare: {self.function}" + (f" — {TASKS[task]}" if len(self.tasks()) > 1 else "")
            blocks.append(title + "\n" + _task_table([e for e in self.entries if e.task == task], self.fastest(task)))
        notes = self._notes()
        return "\n\n".join(blocks) + ("\n\n" + "\n".join(notes) if notes else "")

    def _notes(self) -> list[str]:
        notes = []
        if self.reference:
            notes.append(f"agreement: err = max|difference| / max(max|reference|, 1) against {self.reference}; "
                         "ok when at most sqrt(eps) of the output's dtype")
        worst: dict[str, Pair] = {}
        for pair in self.pairs:
            best = worst.get(pair.task)
            if best is None or pair.difference.error > best.difference.error:
                worst[pair.task] = pair
        for task, pair in worst.items():
            d = pair.difference
            notes.append(f"pairwise ({task}): largest between {pair.a} and {pair.b}, {d.output}: "
                         f"max abs {d.max_abs:.2g}, err {d.error:.2g}" + (f" ({d.note})" if d.note else ""))
        if any(e.call for e in self.entries):
            t = self.timing
            line = (f"call: {t.rounds} rounds x {t.samples_per_visit} sample(s), engines in a new random order "
                    f"each round, {t.engine_pause * 1e3:.0f} ms pause between engines; ×fastest: median of "
                    "per-round ratios")
            if self.call_overhead is not None:
                line += f"; the sampling loop adds {format_duration(self.call_overhead)} per call"
            notes.append(line)
        return notes

    # -- files --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: every raw sample, the summaries, the machine, the versions, BLAS."""
        data = attrs.asdict(self)
        for raw, entry in zip(data["entries"], self.entries):
            for metric in ("build", "compile", "call"):
                raw[f"{metric}_summary"] = summary(getattr(entry, metric))
            fastest = self.fastest(entry.task)
            if entry.call and fastest is not None:
                ratios = [a / b for a, b in zip(entry.call, fastest.call)]
                raw["ratio_to_fastest"] = paired_ratio(entry.call, fastest.call)
                raw["ratio_to_fastest_p10_p90"] = list(spread(ratios))
        return data

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (folders made as needed); return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=_json_default)
        target.write_text(text + "\n", encoding="utf-8")
        return target

    def plot(self, path: str | Path) -> Path:
        """A PNG with one panel per metric (needs matplotlib: ``pip install "ktensor[bench]"``)."""
        from ktensor.compare.plot import write_plot

        return write_plot(self, Path(path))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _median_text(samples: list[float]) -> str:
    return format_duration(statistics.median(samples)) if samples else "-"


def _agreement_text(entry: Entry) -> str:
    if not entry.agreement:
        return "-"
    bad = [d for d in entry.agreement if not d.ok]
    if not bad:
        return f"ok (err {max(d.error for d in entry.agreement):.1e})"
    d = max(bad, key=lambda d: d.error)
    detail = d.note or f"err {d.error:.1e} > {d.tolerance:.1e}"
    return f"DIFFERS: {d.output} {detail}"


def _task_table(entries: list[Entry], fastest: Entry | None) -> str:
    header = ["backend", "build", "compile", "first result", "memory", "call median (min–max)", "×fastest", "agreement"]
    rows: list[list[str]] = []
    notes: list[tuple[int, str]] = []
    for entry in entries:
        if entry.status != "ok" and not entry.call:
            notes.append((len(rows), f"{entry.status}: {entry.reason}"))
            rows.append([entry.label])
            continue
        call = "-"
        if entry.call:
            call = f"{_median_text(entry.call)} ({format_duration(min(entry.call))}–{format_duration(max(entry.call))})"
        ratio = "-"
        if entry.call and fastest is not None:
            ratio = format_ratio(paired_ratio(entry.call, fastest.call))
        rows.append([
            entry.label,
            _median_text(entry.build),
            _median_text(entry.compile),
            "-" if entry.first_result is None else format_duration(entry.first_result),
            "-" if entry.memory is None else ("+" if entry.memory >= 0 else "") + format_bytes(entry.memory),
            call,
            ratio,
            _agreement_text(entry) if entry.status == "ok" else f"{entry.status}: {entry.reason}",
        ])
    full = [r for r in rows if len(r) == len(header)]
    widths = [max(len(header[i]), *(len(r[i]) for r in full)) if full else len(header[i]) for i in range(len(header))]
    widths[0] = max(widths[0], *(len(r[0]) for r in rows))

    def line(cells: list[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1])]
        return "  ".join(parts + [cells[-1]]).rstrip()

    lines = [line(header), "-" * (sum(widths[:-1]) + 2 * (len(widths) - 1) + len(header[-1]))]
    noted = dict(notes)
    for index, row in enumerate(rows):
        lines.append(f"{row[0].ljust(widths[0])}  {noted[index]}" if index in noted else line(row))
    return "\n".join(lines)
