"""Engine-free arithmetic of convolutions and pooling: output sizes, padding, argument checks.

Every build-time check of the convolution and pooling operations lives here: the
``data_format``, ``padding``, ``strides``/``dilation_rate``/``pool_size`` arguments, the
rank of the input and kernel and the output sizes. ``padding="same"`` pads as TensorFlow:
the total ``max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)``, the odd extra one
after; ``"causal"`` (1-D) pads ``(k - 1) * dilation`` before only. Unknown sizes are ``None``.

Examples:
    >>> output_length(7, 3, 2, 1, "same")
    4
    >>> pads(7, 3, 2, 1, "same")
    (1, 1)
    >>> pads(6, 2, 2, 1, "same")
    (0, 0)
    >>> output_length(None, 3, 1, 1, "valid") is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor.shapes import Shape, describe

DATA_FORMATS = ("channels_last", "channels_first")


def data_format(function: str, value: Any) -> str:
    """``value`` checked: ``None`` means ``"channels_last"``."""
    if value is None:
        return "channels_last"
    if value not in DATA_FORMATS:
        raise ValueError(
            f"ktensor: {function}: data_format must be None, 'channels_last' or 'channels_first'; received {value!r}"
        )
    return str(value)


def padding(function: str, value: Any, allowed: Sequence[str] = ("valid", "same")) -> str:
    """``value`` checked against ``allowed`` (case-insensitive, as Keras)."""
    name = value.lower() if isinstance(value, str) else value
    if name not in allowed:
        raise ValueError(
            f"ktensor: {function}: padding must be one of {', '.join(repr(a) for a in allowed)}; received {value!r}"
        )
    return str(name)


def int_tuple(function: str, argument: str, value: Any, n: int) -> tuple[int, ...]:
    """``value`` (an int, or ``n`` ints) as ``n`` ints, each at least 1."""
    items = [value] * n if _is_int(value) else value
    if not isinstance(items, (list, tuple)) or len(items) != n or not all(_is_int(v) for v in items):
        raise ValueError(f"ktensor: {function}: {argument} must be an int or a tuple of {n} ints; received {value!r}")
    result = tuple(int(v) for v in items)
    if any(v < 1 for v in result):
        raise ValueError(f"ktensor: {function}: {argument} must be at least 1 everywhere; received {value!r}")
    return result


def check_rank(function: str, argument: str, shape: Shape, ndim: int, layout: str) -> None:
    """``ValueError`` unless ``shape`` has ``ndim`` dimensions (``layout`` says which)."""
    if len(shape) != ndim:
        raise ValueError(
            f"ktensor: {function}: {argument} must have {ndim} dimensions {layout}; received shape {describe(shape)}"
        )


def check_channels(function: str, argument: str, expected: int | None, received: int | None, what: str) -> None:
    """``ValueError`` when two known channel counts differ."""
    if expected is not None and received is not None and expected != received:
        raise ValueError(
            f"ktensor: {function}: {argument} has {received} {what}, but the input has {expected} channels"
        )


def effective_size(k: int, d: int) -> int:
    """The extent of a kernel of ``k`` taps ``d`` apart."""
    return (k - 1) * d + 1


def output_length(size: int | None, k: int, s: int, d: int, pad: str) -> int | None:
    """The output length of one spatial axis (``None`` when ``size`` is)."""
    if size is None:
        return None
    if pad in ("same", "causal"):
        return -(-size // s)
    return max((size - effective_size(k, d)) // s + 1, 0)


def pads(size: int | None, k: int, s: int, d: int, pad: str) -> tuple[int, int] | None:
    """``(before, after)`` padding of one spatial axis, ``None`` where it depends on an
    unknown ``size`` (``"same"`` with a stride above 1)."""
    extent = effective_size(k, d)
    if pad == "valid":
        return (0, 0)
    if pad == "causal":
        return (extent - 1, 0)
    if size is None:
        if s != 1:
            return None
        total = extent - 1
    else:
        out = -(-size // s)
        total = max((out - 1) * s + extent - size, 0)
    return (total // 2, total - total // 2)


def check_output(function: str, shape: Shape, out: Sequence[int | None], argument: str = "x") -> None:
    """``ValueError`` when a known output size is below 1 (a window larger than the input)."""
    if any(o is not None and o < 1 for o in out):
        raise ValueError(
            f"ktensor: {function}: the window is larger than the padded input: {argument} of shape "
            f"{describe(shape)} gives output sizes {tuple(out)}"
        )


def transpose_input_length(size: int, k: int, s: int, pad: str) -> int:
    """The input length of a transposed convolution of output length ``size`` (the output
    length of the forward convolution it is the gradient of)."""
    out = output_length(size, k, s, 1, pad)
    assert out is not None
    return out


def window_counts(sizes: Sequence[int], pool: Sequence[int], strides: Sequence[int], pad: str) -> np.ndarray:
    """How many real (not padding) elements each pooling window holds, shape ``out``."""
    ones = np.ones(tuple(sizes))
    widths = [pads(n, k, s, 1, pad) or (0, 0) for n, k, s in zip(sizes, pool, strides)]
    padded = np.pad(ones, widths)
    total = np.zeros(tuple(output_length(n, k, s, 1, pad) or 0 for n, k, s in zip(sizes, pool, strides)))
    for offset in np.ndindex(*pool):
        key = tuple(slice(o, o + (n - 1) * s + 1, s) for o, n, s in zip(offset, total.shape, strides))
        total = total + padded[key]
    return total


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
