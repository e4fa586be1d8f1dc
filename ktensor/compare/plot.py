"""The PNG of a comparison: one panel per metric, one bar per backend (and task).

Panels: build, compile (with the first call), first result, steady call (bars: median;
whiskers: min–max of the samples), and memory growth during the first result. Bars
of the training step (``gradients=True``) sit beside the forward ones in a second
colour. Drawn on a bare matplotlib ``Figure`` with the Agg canvas: pyplot's global
state is never touched, and matplotlib is imported only here.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from ktensor.compare.units import format_bytes, format_duration, scale_seconds

if TYPE_CHECKING:
    from ktensor.compare.result import Comparison, Entry

__all__ = ["write_plot"]

#: (title, how to read an entry: (median, low, high) or None, whether a duration).
_PANELS = ("build", "compile + first call", "first result", "steady call", "memory growth, first result")
_COLOURS = {"forward": "#1f77b4", "gradients": "#ff7f0e"}


def _values(entry: Entry, panel: str) -> tuple[float, float, float] | None:
    samples = {"build": entry.build, "compile + first call": entry.compile, "steady call": entry.call}.get(panel)
    if samples is not None:
        return (statistics.median(samples), min(samples), max(samples)) if samples else None
    if panel == "first result":
        return None if entry.first_result is None else (entry.first_result,) * 3
    return None if entry.memory is None else (entry.memory / 1e6,) * 3


def _seconds_tick(seconds: float, _position: float) -> str:
    value, unit = scale_seconds(seconds)
    return f"{value:.3g}{unit}"


def write_plot(result: Comparison, path: Path) -> Path:
    """Draw ``result`` to the PNG ``path`` (folders made as needed) and return it.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError:
        raise ImportError('ktensor: Comparison.plot needs matplotlib: pip install "ktensor[bench]"') from None
    labels = list(dict.fromkeys(e.label for e in result.entries))
    tasks = result.tasks()
    figure = Figure(figsize=(15, 3.2 + 0.9 * len(labels)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(f"kt.compare: {result.function} — {result.date.replace('T', ' ')}", fontsize=12)
    axes = figure.subplots(1, len(_PANELS), sharey=True, squeeze=False)[0]
    height = 0.8 / len(tasks)
    for ax, panel in zip(axes, _PANELS):
        memory = panel.startswith("memory")
        for t_index, task in enumerate(tasks):
            for row, label in enumerate(labels):
                entry = next((e for e in result.entries if e.label == label and e.task == task), None)
                values = None if entry is None else _values(entry, panel)
                y = row + (t_index - (len(tasks) - 1) / 2) * height
                if values is None:
                    if entry is not None and entry.status != "ok" and panel == _PANELS[0] and t_index == 0:
                        ax.text(0.02, y, entry.status, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
                    continue
                median, low, high = values
                ax.barh(y, median, height * 0.9, color=_COLOURS[task],
                        xerr=[[median - low], [high - median]] if high > low else None,
                        error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "0.25"})
                text = format_bytes(median * 1e6) if memory else format_duration(median)
                ax.text(high, y, " " + text, va="center", fontsize=8)
        ax.set_title(panel, fontsize=11)
        if not memory:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(_seconds_tick))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.set_xlabel("MB")
        ax.grid(True, axis="x", alpha=0.3)
        ax.margins(x=0.25)
    axes[0].set_yticks(range(len(labels)), labels)
    axes[0].invert_yaxis()
    if len(tasks) > 1:
        from matplotlib.patches import Patch

        handles = [Patch(color=_COLOURS[t], label=t) for t in tasks]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(tasks), frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
