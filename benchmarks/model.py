"""Plain data of a benchmark run: what was measured, on what, and the verdicts.

Everything the runner measures becomes a ``Measurement``; a run is a ``RunResult``
that the report module prints as a table, writes as JSON and plots.
"""

from __future__ import annotations

import statistics
from typing import Any

import attrs

#: Metrics a measurement may have.
#: call: steady-state seconds per call (warm-up excluded).
#: build: seconds to build the expression graph.
#: compile: seconds to compile and run the first call (warm engine cache).
#: first_result_cold / first_result_warm: seconds from a fresh process's engine import
#:   to the first result (build + compile + first call), engine cache empty / filled.
#: import: seconds to import a module in a fresh interpreter.
#: churn: seconds of each iteration of the churn loop (build + compile + first call of a new function).
#: churn_rss: the process's resident memory (bytes) before the churn loop and after every 100 iterations.
METRICS = ("call", "build", "compile", "first_result_cold", "first_result_warm", "import", "churn", "churn_rss")


@attrs.define
class Variant:
    """One way of running a workload.

    Attributes:
        name: unique label shown in the table, e.g. ``"ktensor theano/CVM"``, ``"native pytensor/CVM"``.
        family: ``"ktensor"``, ``"native"`` (hand-written engine code) or ``"numpy"``.
        engine: ``"theano"``, ``"tensorflow"``, ``"jax"`` or ``"numpy"``.
        mode: the engine mode or path, e.g. ``"CVM"``, ``"NUMBA"``, ``"graph"``, ``"xla"``,
            ``"session.run"``, ``"tf.function"``, ``"plain"``; ``"-"`` for NumPy.
    """

    name: str
    family: str
    engine: str
    mode: str


@attrs.define
class Measurement:
    """Repeated timings of one (workload, size, variant, metric), in seconds."""

    workload: str
    size: int | None
    variant: str
    metric: str
    samples: list[float] = attrs.field(factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        """Median of the samples, or None when nothing was measured."""
        return statistics.median(self.samples) if self.samples else None

    @property
    def minimum(self) -> float | None:
        """Fastest sample."""
        return min(self.samples) if self.samples else None

    @property
    def maximum(self) -> float | None:
        """Slowest sample."""
        return max(self.samples) if self.samples else None


@attrs.define
class TargetCheck:
    """One target of the benchmark issue, e.g. call ratio <= 1.02, with its verdict."""

    name: str
    value: float | None
    limit: float
    unit: str
    passed: bool | None
    detail: str = ""


@attrs.define
class RunResult:
    """A whole run: the machine, the versions, the options, every measurement, the BLAS threads."""

    date: str
    machine: dict[str, Any]
    versions: dict[str, str]
    options: dict[str, Any]
    variants: list[Variant] = attrs.field(factory=list)
    measurements: list[Measurement] = attrs.field(factory=list)
    targets: list[TargetCheck] = attrs.field(factory=list)
    blas: dict[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; every raw sample is kept."""
        data = attrs.asdict(self)
        for m, raw in zip(self.measurements, data["measurements"]):
            raw.update(median=m.median, min=m.minimum, max=m.maximum)
        return data
