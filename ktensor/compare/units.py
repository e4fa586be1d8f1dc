"""Durations, sizes and ratios for humans, with three significant digits.

Examples:
    >>> format_duration(1.234e-5), format_duration(0.5), format_duration(12.0)
    ('12.3µs', '500ms', '12.0s')
    >>> format_ratio(3.714), format_bytes(12_500_000)
    ('×3.71', '12.5 MB')
"""

from __future__ import annotations

__all__ = ["format_bytes", "format_duration", "format_ratio", "scale_seconds", "three_digits"]


def scale_seconds(seconds: float) -> tuple[float, str]:
    """Express ``seconds`` in the unit (ns, µs, ms, s) that puts it in [1, 1000).

    Returns:
        The scaled value and the unit's symbol; seconds for anything from 1 s up.
    """
    for factor, unit in ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms")):
        if abs(seconds) < factor * 999.9995:  # 1e-6 is 9.99...e-7 in binary: call it 1µs
            return seconds / factor, unit
    return seconds, "s"


def three_digits(value: float) -> str:
    """``value`` (expected in [0, 1000)) with three significant digits."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_duration(seconds: float) -> str:
    """``seconds`` in an adaptive unit with three significant digits, e.g. ``"12.3µs"``."""
    value, unit = scale_seconds(seconds)
    text = three_digits(value)
    if abs(float(text)) >= 1000 and unit != "s":  # 999.7ns rounds up to the next unit
        value, unit = scale_seconds(float(text) * {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3}[unit])
        text = three_digits(value)
    return text + unit


def format_ratio(ratio: float) -> str:
    """A ratio with three significant digits, e.g. ``"×3.71"``."""
    return "×" + (three_digits(ratio) if ratio < 1000 else f"{ratio:.0f}")


def format_bytes(count: float) -> str:
    """A memory size in decimal units, e.g. ``"12.5 MB"``; negative sizes keep their sign."""
    for factor, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(count) >= factor:
            return f"{three_digits(count / factor)} {unit}"
    return f"{count:.0f} B"
