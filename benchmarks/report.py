"""Show a benchmark run: terminal tables, target verdicts, JSON file and PNG plot.

Tables and JSON need nothing beyond the standard library; the plot needs the optional
``bench`` extra (matplotlib) and is skipped with a warning without it.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.model import Measurement, RunResult, TargetCheck
from ktensor.compare.units import format_duration, format_ratio, scale_seconds

__all__ = ["format_duration", "format_ratio", "format_table", "format_targets", "largest_call", "load_json", "nn_targets",
           "scale_seconds", "write_json", "write_plot"]

#: What each metric's table shows, as its title.
METRIC_TITLES = {
    "call": "steady-state time per call",
    "build": "time to build the expression graph",
    "compile": "time to compile and run the first call (warm engine cache)",
    "first_result_cold": "fresh process to first result, engine cache empty",
    "first_result_warm": "fresh process to first result, engine cache filled",
    "import": "time to import in a fresh interpreter",
    "churn": "one iteration of the churn loop: build + compile + first call of a new function",
}

#: Columns between two table columns.
GAP = "  "

Row = tuple[str, int | None]


def _variants_with(result: RunResult, metric: str) -> list[str]:
    """Names of the variants that have a measurement of ``metric``, in ``result.variants`` order.

    Variants measured but missing from ``result.variants`` follow, in order of first measurement.
    """
    measured = {m.variant for m in result.measurements if m.metric == metric}
    names = [v.name for v in result.variants if v.name in measured]
    for m in result.measurements:
        if m.variant in measured and m.variant not in names:
            names.append(m.variant)
    return names


def _rows(measurements: Iterable[Measurement]) -> list[Row]:
    """(workload, size) pairs: workloads in order of first appearance, sizes ascending."""
    sizes: dict[str, set[int | None]] = {}
    for m in measurements:
        sizes.setdefault(m.workload, set()).add(m.size)
    return [
        (workload, size)
        for workload, found in sizes.items()
        for size in sorted(found, key=lambda s: (s is not None, s or 0))
    ]


def _row_label(row: Row) -> str:
    """``"elementwise n=256"``, or the bare workload name when it has no size."""
    workload, size = row
    return workload if size is None else f"{workload} n={size}"


def _cells(
    result: RunResult, metric: str
) -> tuple[list[Row], list[str], dict[tuple[str, int | None, str], Measurement]]:
    """The rows, the variant columns and the measurement of each (workload, size, variant)."""
    chosen = [m for m in result.measurements if m.metric == metric]
    grid = {(m.workload, m.size, m.variant): m for m in chosen}
    return _rows(chosen), _variants_with(result, metric), grid


def _cell_text(m: Measurement | None, fastest: float | None, verbose: bool) -> str:
    """One table cell: ``"12.3µs ×1.00"``, ``"error"`` or ``"-"``; min–max added when verbose."""
    if m is None:
        return "-"
    if m.error is not None:
        return "error"
    median = m.median
    if median is None:
        return "-"
    text = format_duration(median)
    if fastest:
        text += " " + format_ratio(median / fastest)
    if verbose and m.minimum is not None and m.maximum is not None:
        text += f" ({format_duration(m.minimum)}–{format_duration(m.maximum)})"
    return text


def _header_lines(name: str, width: int) -> tuple[str, str]:
    """A column header on two lines, split at the first space when ``name`` is wider than its cells."""
    head, space, tail = name.partition(" ")
    if space and len(name) > width:
        return head, tail
    return "", name


def _fit(widths: Sequence[int], room: int) -> list[list[int]]:
    """Split column indices into consecutive groups whose widths (plus gaps) fit ``room``.

    Every group holds at least one column, even one wider than ``room``.
    """
    groups: list[list[int]] = []
    used = room
    for index, width in enumerate(widths):
        if groups and used + len(GAP) + width <= room:
            groups[-1].append(index)
            used += len(GAP) + width
        else:
            groups.append([index])
            used = width
    return groups


def format_table(
    result: RunResult, metric: str = "call", verbose: bool = False, width: int | None = None
) -> str:
    """The medians of ``metric`` as a workload × variant table.

    Rows are workload × size (workloads in order of first measurement, sizes ascending);
    columns are the variants with a measurement of ``metric``, in ``result.variants``
    order. A cell is the median in an adaptive unit with three significant digits and
    its ratio to the fastest median of the row, e.g. ``"45.6µs ×3.71"``; ``"error"`` for
    a failed measurement (the messages are listed under the table), ``"-"`` for a
    missing one. With ``verbose`` each cell also shows the spread as
    ``"45.6µs ×3.71 (44.9µs–52.0µs)"`` (minimum–maximum of the samples); the JSON file
    always holds median, min, max and every sample.

    When the columns do not fit ``width``, the table is split into several stacked
    tables that each repeat the row labels.

    Args:
        result: the run.
        metric: one of ``benchmarks.model.METRICS``.
        verbose: add each cell's min–max.
        width: characters per line; the terminal's width by default.

    Returns:
        The table(s), without a trailing newline; a one-line note when nothing measured ``metric``.
    """
    rows, variants, grid = _cells(result, metric)
    if not rows:
        return f"{metric}: no measurements"
    width = width if width is not None else shutil.get_terminal_size().columns
    labels = [_row_label(row) for row in rows]
    body: list[list[str]] = []
    for workload, size in rows:
        medians = [grid[(workload, size, v)].median for v in variants if (workload, size, v) in grid]
        fastest = min((t for t in medians if t is not None), default=None)
        body.append([_cell_text(grid.get((workload, size, v)), fastest, verbose) for v in variants])
    cell_widths = [max(len(line[i]) for line in body) for i in range(len(variants))]
    headers = [_header_lines(name, w) for name, w in zip(variants, cell_widths)]
    widths = [max(w, len(top), len(bottom)) for w, (top, bottom) in zip(cell_widths, headers)]
    label_width = max(len("workload"), *(len(label) for label in labels))

    title = f"{metric}: {METRIC_TITLES.get(metric, metric)}\nmedian, ×ratio to the fastest in its row"
    groups = _fit(widths, max(width - label_width - len(GAP), 1))
    blocks = [title]
    for number, group in enumerate(groups, start=1):
        lines = []
        if len(groups) > 1:
            lines.append(
                f"(columns {group[0] + 1}–{group[-1] + 1} of {len(variants)}, part {number}/{len(groups)})"
            )
        tops = [headers[i][0].rjust(widths[i]) for i in group]
        if any(top.strip() for top in tops):
            lines.append(" " * label_width + GAP + GAP.join(tops))
        lines.append(
            "workload".ljust(label_width) + GAP + GAP.join(headers[i][1].rjust(widths[i]) for i in group)
        )
        lines.append("-" * (label_width + sum(len(GAP) + widths[i] for i in group)))
        for label, cells in zip(labels, body):
            lines.append(label.ljust(label_width) + GAP + GAP.join(cells[i].rjust(widths[i]) for i in group))
        blocks.append("\n".join(line.rstrip() for line in lines))
    errors = _error_lines(rows, variants, grid, width)
    if errors:
        blocks.append("\n".join(["errors:", *errors]))
    return "\n\n".join(blocks)


def _error_lines(
    rows: Sequence[Row],
    variants: Sequence[str],
    grid: dict[tuple[str, int | None, str], Measurement],
    width: int,
) -> list[str]:
    """One line per failed measurement: row, variant and the error's first line, cut to ``width``."""
    lines = []
    for workload, size in rows:
        for variant in variants:
            m = grid.get((workload, size, variant))
            if m is not None and m.error is not None:
                message = (m.error.strip().splitlines() or [""])[0]
                line = f"  {_row_label((workload, size))}  {variant}: {message}"
                lines.append(line if len(line) <= width else line[: max(width - 1, 1)] + "…")
    return lines


def _format_quantity(value: float, unit: str) -> str:
    """``value`` with its unit: durations through ``format_duration``, others with 3 significant digits."""
    if unit == "s":
        return format_duration(value)
    return f"{value:.3g}{unit}" if unit in ("x", "×", "%") else f"{value:.3g} {unit}".rstrip()


def format_targets(result: RunResult) -> str:
    """The verdict on each target, one line each: ``PASS  name  value 1.01x  limit 1.02x  detail``.

    Verdicts are PASS, FAIL or N/A (not measured); the fields are aligned in columns.

    Returns:
        The lines, without a trailing newline; ``""`` when the run checked no target.
    """
    targets = result.targets
    if not targets:
        return ""
    verdicts = [{True: "PASS", False: "FAIL", None: "N/A"}[t.passed] for t in targets]
    names = [t.name for t in targets]
    values = ["value " + ("-" if t.value is None else _format_quantity(t.value, t.unit)) for t in targets]
    limits = ["limit " + _format_quantity(t.limit, t.unit) for t in targets]
    details = [t.detail for t in targets]
    columns = [verdicts, names, values, limits, details]
    widths = [max(len(text) for text in column) for column in columns]
    lines = [
        GAP.join(text.ljust(width) for text, width in zip(parts, widths)).rstrip() for parts in zip(*columns)
    ]
    return "\n".join(lines)


#: The neural-network workloads and their targets: ktensor on TensorFlow within 2 % of
#: hand-written TensorFlow; ktensor on PyTensor, whose convolutions are a composition (PyTensor
#: 3 has no CNN convolution or pooling op), within 3x of TensorFlow's native kernels on the CNN step.
NN_WORKLOADS = ("conv2d", "cnn_train", "rnn_train")
NN_TF_LIMIT, COMPOSED_CONV_LIMIT = 1.02, 3.0
#: ktensor's TensorFlow variants beside their native peers; the PyTensor variants compared with TF's kernel.
#: ``native tensorflow/xla`` is a Session's auto-clustering, which leaves convolutions to
#: TensorFlow's kernels; ``jit_compile=True`` compiles the whole function, as
#: ``tf.function(jit_compile=True)`` does, so that is its peer here.
_NN_TF_PAIRS = (
    ("ktensor tensorflow/auto", "native tensorflow/graph"),
    ("ktensor tensorflow/graph", "native tensorflow/graph"),
    ("ktensor tensorflow/xla", "native tensorflow/tf.function+xla"),
)
_COMPOSED_VARIANTS = ("ktensor theano/CVM", "ktensor theano/NUMBA", "ktensor theano/JAX")
_NATIVE_CONV = "native tensorflow/graph"


def largest_call(result: RunResult, workload: str, variant: str, peer: str) -> tuple[Measurement, Measurement] | None:
    """The steady-call measurements of ``variant`` and ``peer`` at the largest size both have."""
    found: dict[tuple[str, int | None], Measurement] = {
        (m.variant, m.size): m
        for m in result.measurements
        if m.workload == workload and m.metric == "call" and m.error is None and m.median
    }
    sizes = [s for v, s in found if v == variant and s is not None and (peer, s) in found]
    if not sizes:
        return None
    size = max(sizes)
    return found[(variant, size)], found[(peer, size)]


def nn_targets(result: RunResult) -> list[TargetCheck]:
    """The targets of the neural-network workloads, checked on ``result``'s steady calls.

    For each ktensor TensorFlow variant: the worst over :data:`NN_WORKLOADS` of its call
    time ÷ its native peer's (median of per-round ratios), each at the largest size
    measured, limit :data:`NN_TF_LIMIT`. For each ktensor PyTensor variant: its
    ``cnn_train`` call ÷ ``native tensorflow/graph``'s, at the largest size, limit
    :data:`COMPOSED_CONV_LIMIT`. A pair measured nowhere gives no line.

    Example:
        >>> nn_targets(RunResult("d", {}, {}, {}))
        []
    """
    from benchmarks.run import paired_ratio  # run imports this module: import when called

    checks: list[TargetCheck] = []
    for variant, peer in _NN_TF_PAIRS:
        ratios = []
        for workload in NN_WORKLOADS:
            pair = largest_call(result, workload, variant, peer)
            if pair is not None:
                ratios.append((paired_ratio(*pair), f"{workload} n={pair[0].size}"))
        if ratios:
            worst, where = max(ratios)
            each = ", ".join(f"{w} ×{r:.3f}" for r, w in ratios)
            checks.append(TargetCheck(f"call ratio {variant} / {peer}, NN workloads", worst, NN_TF_LIMIT, "×",
                                      worst <= NN_TF_LIMIT, f"worst at {where}; {each}"))
    for variant in _COMPOSED_VARIANTS:
        pair = largest_call(result, "cnn_train", variant, _NATIVE_CONV)
        if pair is None:
            continue
        ours, native = pair
        assert ours.median is not None and native.median is not None
        ratio = ours.median / native.median
        checks.append(TargetCheck(f"composed conv {variant} / {_NATIVE_CONV}, cnn_train n={ours.size}", ratio,
                                  COMPOSED_CONV_LIMIT, "×", ratio <= COMPOSED_CONV_LIMIT,
                                  f"medians {format_duration(ours.median)} vs {format_duration(native.median)}; "
                                  "im2col + matmul against TensorFlow's Conv2D/MaxPool kernels"))
    return checks


def write_json(result: RunResult, path: Path) -> None:
    """Write ``result.to_json()`` (every sample, plus median, min and max) to ``path``, indented."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_json(path: Path) -> dict[str, Any]:
    """Read a file written by ``write_json`` back as a plain dict."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _tick_label(seconds: float, _position: float) -> str:
    """A y tick in an adaptive unit without trailing zeros, e.g. ``"10µs"``."""
    value, unit = scale_seconds(seconds)
    return f"{value:.3g}{unit}"


def _plot_title(result: RunResult) -> str:
    """``"ktensor benchmark — 2024-05-01 — AMD EPYC, 16 cores"``."""
    machine = result.machine
    where = ", ".join(
        part
        for part in (str(machine.get("cpu", "")), f"{machine['cores']} cores" if "cores" in machine else "")
        if part
    )
    return " — ".join(
        part
        for part in (
            "ktensor benchmark",
            result.date.replace("T", " "),
            where,
        )
        if part
    )


#: The plot's sections: steady call and compile time against size, then time to first result.
PLOT_METRICS = ("call", "compile")


def write_plot(result: RunResult, path: Path) -> Path | None:
    """Plot the run to a PNG at ``path``: steady call, compile and time to first result.

    Two sections of log–log panels of time against size, one panel per workload
    measured at several sizes: **steady call** (median; the min–max of the samples as
    whiskers at each point, drawn under the lines so they never hide them) and
    **compile** (with the first call, warm cache). A bottom row holds bar charts: time
    to first result in a fresh process (cold and warm cache, per variant), and the
    workloads measured at one size (their call time). A variant keeps its colour in
    every panel (line style by family: solid ktensor, dashed native, dotted NumPy;
    marker by engine), so one legend serves them all. Failed and missing measurements
    are left out. Drawn on a bare matplotlib ``Figure`` with the Agg canvas, so
    pyplot's global backend is never touched.

    Returns:
        ``path``, or None (after a one-line warning on stderr) when matplotlib is not
        installed or nothing was measured.
    """
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
    except ImportError:
        print(
            "warning: matplotlib is not installed (pip install ktensor[bench]); no plot written",
            file=sys.stderr,
        )
        return None
    names = [v.name for v in result.variants]
    measured = _plottable(result)
    if not measured:
        print("warning: nothing measured to plot; no plot written", file=sys.stderr)
        return None
    families = {v.name: v.family for v in result.variants}
    engines = {v.name: v.engine for v in result.variants}
    palette = colormaps["tab10" if len(names) <= 10 else "tab20"]
    style: dict[str, dict[str, Any]] = {
        name: {
            "color": palette(i % palette.N),
            "linestyle": {"ktensor": "-", "native": "--"}.get(families.get(name, ""), ":"),
            "marker": {"theano": "o", "tensorflow": "s", "jax": "D"}.get(engines.get(name, ""), "^"),
        }
        for i, name in enumerate(names)
    }
    curves = _curve_workloads(measured, "call")
    columns = max(1, min(4, len(curves)))
    curve_rows = math.ceil(len(curves) / columns) if curves else 0
    bottom_panels = [
        panel for panel, present in (
            (_first_result_panel, any(k[3].startswith("first_result") for k in measured)),
            (_single_size_panel, any(k[3] == "call" and k[0] not in curves for k in measured)),
            (_churn_panel, any(m.metric == "churn" and m.samples for m in result.measurements)),
        ) if present
    ]
    columns = max(columns, len(bottom_panels), 2)
    heights = [curve_rows, curve_rows] * bool(curves) + [1] * bool(bottom_panels)
    figure = Figure(figsize=(4.4 * columns + 1, 3.2 * sum(heights) + 1.5), dpi=90, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(_plot_title(result), fontsize=13)
    sections = list(figure.subfigures(len(heights), 1, height_ratios=heights, squeeze=False).ravel())
    for section, metric in zip(sections[:2] if curves else [], PLOT_METRICS):
        section.suptitle(f"{metric}: {METRIC_TITLES[metric]}", fontsize=12)
        axes = section.subplots(curve_rows, columns, squeeze=False).ravel()
        for ax, workload in zip(axes, curves):
            _curve_panel(ax, measured, metric, workload, names, style)
        for ax in axes[len(curves):]:
            ax.set_visible(False)
    if bottom_panels:
        axes = sections[-1].subplots(1, len(bottom_panels), squeeze=False).ravel()
        for ax, panel in zip(axes, bottom_panels):
            panel(ax, result, measured, names, style)
    shown = [n for n in names if any(key[2] == n for key in measured)]
    handles = [Line2D([], [], markersize=6, linewidth=1.6, **style[n]) for n in shown]
    figure.legend(handles, shown, loc="outside lower center", ncols=max(1, min(len(shown), columns + 1)),
                  frameon=False, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


Key = tuple[str, int | None, str, str]


def _plottable(result: RunResult) -> dict[Key, tuple[float, float, float]]:
    """(workload, size, variant, metric) -> (median, min, max) of every successful measurement."""
    return {
        (m.workload, m.size, m.variant, m.metric): (m.median, m.minimum, m.maximum)
        for m in result.measurements
        if m.error is None and m.median is not None and m.minimum is not None and m.maximum is not None
    }


def _curve_workloads(measured: dict[Key, tuple[float, float, float]], metric: str) -> list[str]:
    sizes: dict[str, set[int]] = {}
    for workload, size, _, m in measured:
        if m == metric and size is not None:
            sizes.setdefault(workload, set()).add(size)
    return [w for w, found in sizes.items() if len(found) > 1]


def _time_axis(ax: Any, label: str) -> None:
    """Log time axis in adaptive units."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)
    ax.grid(True, axis="y", which="major", alpha=0.3)


def _curve_panel(
    ax: Any, measured: dict[Key, tuple[float, float, float]], metric: str, workload: str, names: list[str],
    style: dict[str, dict[str, Any]],
) -> None:
    from matplotlib.ticker import NullFormatter

    xs = sorted({s for w, s, _, m in measured if w == workload and m == metric and s is not None})
    for variant in names:
        points = [(s, measured[(workload, s, variant, metric)]) for s in xs if (workload, s, variant, metric) in measured]
        if not points:
            continue
        at = [s for s, _ in points]
        medians = [t[0] for _, t in points]
        ax.vlines(at, [t[1] for _, t in points], [t[2] for _, t in points], color=style[variant]["color"],
                  alpha=0.35, linewidth=3, zorder=1)
        ax.plot(at, medians, markersize=4, linewidth=1.4, zorder=2, **style[variant])
    if xs:
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(s) for s in xs])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, axis="x", which="major", alpha=0.3)
    _time_axis(ax, "median (whiskers: min–max)")
    ax.set_title(workload, fontsize=11)
    ax.set_xlabel("size n")


def _bars(
    ax: Any, groups: list[tuple[str, list[tuple[str, tuple[float, float, float]]]]], style: dict[str, dict[str, Any]]
) -> None:
    """Bars per group (one per variant, min–max as error bars), log time axis."""
    spread = [t for _, bars in groups for _, t in bars]
    for index, (_, bars) in enumerate(groups):
        width = min(0.8 / max(len(bars), 1), 0.2)
        ax.bar(
            [index + (i - (len(bars) - 1) / 2) * width for i in range(len(bars))],
            [t[0] for _, t in bars],
            width * 0.9,
            yerr=[[t[0] - t[1] for _, t in bars], [t[2] - t[0] for _, t in bars]],
            color=[style[v]["color"] for v, _ in bars],
            error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "0.3"},
        )
    _time_axis(ax, "median (bars: min–max)")
    if spread:
        ax.set_ylim(min(t[1] for t in spread) / 2, max(t[2] for t in spread) * 1.5)
    ax.set_xlim(-0.5, max(len(groups), 1) - 0.5)
    ax.set_xticks(range(len(groups)), [label for label, _ in groups])


def _first_result_panel(
    ax: Any, result: RunResult, measured: dict[Key, tuple[float, float, float]], names: list[str],
    style: dict[str, dict[str, Any]],
) -> None:
    groups = []
    for metric, label in (("first_result_cold", "cold engine cache"), ("first_result_warm", "warm engine cache")):
        bars = [(v, t) for v in names for (w, s, n, m), t in measured.items() if n == v and m == metric]
        if bars:
            groups.append((label, bars))
    _bars(ax, groups, style)
    ax.set_title("fresh process to first result\n(import, build, compile, first call)", fontsize=11)


def _single_size_panel(
    ax: Any, result: RunResult, measured: dict[Key, tuple[float, float, float]], names: list[str],
    style: dict[str, dict[str, Any]],
) -> None:
    curves = set(_curve_workloads(measured, "call"))
    rows = sorted({(w, s) for w, s, _, m in measured if m == "call" and w not in curves},
                  key=lambda r: (r[0], r[1] or 0))
    groups = [
        (_row_label(row), [(v, measured[(row[0], row[1], v, "call")]) for v in names
                           if (row[0], row[1], v, "call") in measured])
        for row in rows
    ]
    _bars(ax, groups, style)
    ax.set_title("steady call, workloads measured at one size", fontsize=11)


def _churn_panel(
    ax: Any, result: RunResult, measured: dict[Key, tuple[float, float, float]], names: list[str],
    style: dict[str, dict[str, Any]],
) -> None:
    """Iteration time of the churn loop against the iteration: a running median over 25."""
    import numpy as np

    for m in result.measurements:
        if m.metric != "churn" or not m.samples or m.variant not in style:
            continue
        window = min(25, len(m.samples))
        running = [float(np.median(m.samples[max(0, i - window + 1) : i + 1])) for i in range(len(m.samples))]
        ax.plot(range(1, len(running) + 1), running, linewidth=1.4, color=style[m.variant]["color"],
                linestyle=style[m.variant]["linestyle"])
    _time_axis(ax, "iteration (running median of 25)")
    ax.set_xlabel("iteration")
    ax.set_title("churn: build + compile + first call of a new function", fontsize=11)
