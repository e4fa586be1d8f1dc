"""Summaries of samples, and the paired ratios that cancel machine noise.

Steady-call samples are taken in rounds (:mod:`ktensor.compare.timing`): sample *i*
of two entries of one engine ran moments apart, so the median of their per-round
ratios is a far steadier number than the ratio of their medians.

Examples:
    >>> paired_ratio([2.0, 4.0, 2.2], [1.0, 2.0, 1.0])
    2.0
    >>> summary([3.0, 1.0, 2.0])
    {'median': 2.0, 'min': 1.0, 'max': 3.0}
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

__all__ = ["paired_difference", "paired_ratio", "spread", "summary"]


def summary(samples: Sequence[float]) -> dict[str, float | None]:
    """``{"median", "min", "max"}`` of ``samples`` (None each when there are none)."""
    if not samples:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def paired_ratio(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """Median of the per-round ratios ``ours[i] / theirs[i]`` when both have as many
    samples, else the ratio of the medians."""
    if ours and len(ours) == len(theirs) and all(t > 0 for t in theirs):
        return statistics.median(a / b for a, b in zip(ours, theirs))
    return statistics.median(ours) / statistics.median(theirs)


def paired_difference(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """Median of the per-round differences (see :func:`paired_ratio`), in seconds."""
    if ours and len(ours) == len(theirs):
        return statistics.median(a - b for a, b in zip(ours, theirs))
    return statistics.median(ours) - statistics.median(theirs)


def spread(ratios: Sequence[float]) -> tuple[float, float]:
    """The 10th and 90th percentiles of per-round ratios (the ``±`` of a paired ratio).

    Example:
        >>> spread([1.0, 1.1, 0.9, 1.0, 1.05])
        (0.94, 1.08)
    """
    if len(ratios) < 2:
        return (ratios[0], ratios[0]) if ratios else (float("nan"), float("nan"))
    deciles = statistics.quantiles(ratios, n=10, method="inclusive")
    return round(deciles[0], 6), round(deciles[-1], 6)
