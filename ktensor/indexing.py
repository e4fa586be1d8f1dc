"""NumPy indexing keys, normalised: the one place index rules live.

``Backend.getitem`` splits a key into basic indexing (ints, slices, None, with
Ellipsis expanded) and at most one integer or boolean array on one axis; these
helpers do the parts that need no engine.

Examples:
    >>> expand_ellipsis([0, Ellipsis], 3)
    [0, slice(None, None, None), slice(None, None, None)]
    >>> basic_shape((4, 5), [slice(1, None), None])
    (3, 1, 5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import shapes
from ktensor.tensor import Tensor


def is_array_index(k: Any) -> bool:
    """Whether an index item is an integer/boolean array (a tensor, list or ndarray)."""
    return isinstance(k, (Tensor, list, np.ndarray)) and not (isinstance(k, np.ndarray) and k.ndim == 0)


def expand_ellipsis(items: list[Any], ndim: int) -> list[Any]:
    """Replace the one ``...`` by as many full slices as the other items leave axes."""
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise IndexError("ktensor: an index can only have a single Ellipsis (...)")
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if Ellipsis in [k for k in items if not is_array_index(k)]:
        at = next(i for i, k in enumerate(items) if k is Ellipsis)
        items = items[:at] + [slice(None)] * max(ndim - consumed, 0) + items[at + 1 :]
    return items


def check_basic_item(k: Any, dim: int | None, axis: int) -> Any:
    """An int or slice item, validated (and bounds-checked where ``dim`` is known)."""
    if isinstance(k, (bool, np.bool_)):
        raise IndexError("ktensor: a Python bool is not a valid index; use a boolean array")
    if isinstance(k, (int, np.integer)) or (isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu"):
        i = int(k)
        if dim is not None and not -dim <= i < dim:
            raise IndexError(f"ktensor: index {i} is out of bounds for axis {axis} with size {dim}")
        return i
    if isinstance(k, slice):
        for part in (k.start, k.stop, k.step):
            if part is not None and not isinstance(part, (int, np.integer)):
                raise IndexError(f"ktensor: slice bounds must be ints or None; received {k!r}")
        if k.step == 0:
            raise ValueError("ktensor: slice step cannot be zero")
        return slice(*(None if p is None else int(p) for p in (k.start, k.stop, k.step)))
    raise IndexError(
        f"ktensor: invalid index {k!r}: use ints, slices, None, Ellipsis, or one integer/boolean "
        f"array or tensor"
    )


def basic_shape(shape: shapes.Shape, basic: list[Any]) -> shapes.Shape:
    """The static shape after basic indexing with ints, slices and ``None``."""
    out: list[int | None] = []
    axis = 0
    for b in basic:
        if b is None:
            out.append(1)
            continue
        dim = shape[axis]
        axis += 1
        if isinstance(b, slice):
            out.append(None if dim is None else len(range(dim)[b]))
    return tuple(out) + tuple(shape[axis:])


def advanced_adjacent(items: list[Any]) -> bool:
    """Whether the array index and the ints (advanced indices, for NumPy) sit side by side."""
    positions = [
        i for i, k in enumerate(items)
        if is_array_index(k) or (isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)))
    ]
    return positions[-1] - positions[0] + 1 == len(positions)


def result_axis(items: list[Any], at: int) -> int:
    """Where the array index's axis lands after the basic indexing dropped int axes."""
    return sum(1 for k in items[:at] if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool)))
