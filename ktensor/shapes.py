"""Static shape rules: every build-time shape check of ktensor lives here.

A shape is a tuple whose entries are ``int`` or ``None`` (unknown until run
time). Each helper returns the static result shape and raises ``ValueError``
naming the operation and both shapes when the known dimensions contradict.

Examples:
    >>> broadcast((None, 3), (1, 3), operation="add")
    (None, 3)
    >>> matmul((2, 3), (3, 4))
    (2, 4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Shape = tuple[int | None, ...]


def _fmt(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def broadcast(*shapes: Shape, operation: str) -> Shape:
    """The NumPy broadcast of ``shapes``; ``ValueError`` when known dims disagree."""
    ndim = max((len(s) for s in shapes), default=0)
    result: list[int | None] = []
    for axis in range(-ndim, 0):
        dims = [s[axis] for s in shapes if len(s) >= -axis]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            listed = " and ".join(_fmt(s) for s in shapes)
            raise ValueError(
                f"ktensor: {operation}: shapes {listed} cannot be broadcast together "
                f"(axis {axis}: {sorted(known)})"
            )
        if known:
            result.append(known.pop())
        elif any(d is None for d in dims):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def matmul(a: Shape, b: Shape, operation: str = "matmul") -> Shape:
    """Result shape of ``np.matmul`` for shapes of at least one dimension."""
    if not a or not b:
        raise ValueError(
            f"ktensor: {operation} needs operands of at least 1 dimension; "
            f"received shapes {_fmt(a)} and {_fmt(b)} (use multiply for scalars)"
        )
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    inner_a, inner_b = a2[-1], b2[-2]
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise ValueError(
            f"ktensor: {operation}: shapes {_fmt(a)} and {_fmt(b)} are not aligned "
            f"({inner_a} != {inner_b})"
        )
    batch = broadcast(a2[:-2], b2[:-2], operation=operation)
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def tensordot_check(a: Shape, b: Shape, axis_a: int, axis_b: int, operation: str = "dot") -> Shape:
    """Result shape of contracting ``a[axis_a]`` with ``b[axis_b]``."""
    da, db = a[axis_a], b[axis_b]
    if da is not None and db is not None and da != db:
        raise ValueError(
            f"ktensor: {operation}: shapes {_fmt(a)} and {_fmt(b)} are not aligned "
            f"({da} (dim {axis_a % len(a)}) != {db} (dim {axis_b % len(b)}))"
        )
    rest_a = tuple(d for i, d in enumerate(a) if i != axis_a % len(a))
    rest_b = tuple(d for i, d in enumerate(b) if i != axis_b % len(b))
    return rest_a + rest_b


def normalize_axis(axis: int, ndim: int, argument: str = "axis", *, bools: bool = False) -> int:
    """Turn a possibly negative axis into ``0 <= axis < ndim``.

    ``bools``: NumPy reads this axis with ``operator.index`` (``np.expand_dims``,
    ``np.stack``, ``np.flip``, ``np.roll``, ``np.split``, ``np.sort``), which takes a
    Python ``True`` as 1 (not ``np.True_``); its reductions, ``concatenate``, ``take``,
    ``argsort`` and ``cumsum`` refuse bools.

    Examples:
        >>> normalize_axis(-1, 3), normalize_axis(True, 2, bools=True)
        (2, 1)
    """
    if isinstance(axis, bool) and bools:
        axis = int(axis)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"ktensor: {argument} must be an int; received {axis!r}")
    axis = int(axis)  # NumPy integers too, as NumPy takes them
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"ktensor: {argument}={axis} is out of bounds for a tensor of {ndim} dimensions "
            f"(expected {-ndim} <= {argument} < {ndim})"
        )
    return axis % ndim


def normalize_axes(
    axis: int | Sequence[int] | None, ndim: int, argument: str = "axis", *, bools: bool = False
) -> tuple[int, ...]:
    """Normalise ``None`` (every axis), an int or a tuple of ints; duplicates are refused
    (``bools`` as in :func:`normalize_axis`)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and (bools or not isinstance(axis, bool)):
        return (normalize_axis(axis, ndim, argument, bools=bools),)
    if not isinstance(axis, (tuple, list)):
        raise TypeError(f"ktensor: {argument} must be None, an int or a tuple of ints; received {axis!r}")
    axes = tuple(normalize_axis(a, ndim, argument, bools=bools) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"ktensor: {argument} has a repeated axis: {tuple(axis)!r}")
    return tuple(sorted(axes))


def reduce(shape: Shape, axes: tuple[int, ...], keepdims: bool) -> Shape:
    """Shape after reducing ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def concatenate(shapes: Sequence[Shape], axis: int, operation: str = "concatenate") -> Shape:
    """Shape of concatenating along ``axis``; other dims must agree."""
    ndims = {len(s) for s in shapes}
    if len(ndims) != 1:
        raise ValueError(
            f"ktensor: {operation}: all tensors need the same number of dimensions; "
            f"received shapes {', '.join(_fmt(s) for s in shapes)}"
        )
    ndim = ndims.pop()
    if ndim == 0:
        raise ValueError(f"ktensor: {operation}: zero-dimensional tensors cannot be concatenated")
    axis = normalize_axis(axis, ndim)
    result: list[int | None] = []
    for i in range(ndim):
        dims = [s[i] for s in shapes]
        if i == axis:
            result.append(None if None in dims else sum(d for d in dims if d is not None))
            continue
        known = {d for d in dims if d is not None}
        if len(known) > 1:
            raise ValueError(
                f"ktensor: {operation}: shapes {', '.join(_fmt(s) for s in shapes)} differ "
                f"in dimension {i}, not only in the concatenation axis {axis}"
            )
        result.append(known.pop() if known else None)
    return tuple(result)


def reshape(shape: Shape, new_shape: Sequence[int]) -> Shape:
    """Resolve a ``-1`` in ``new_shape`` and check the element count when it is known."""
    new = tuple(int(d) if isinstance(d, np.integer) else d for d in new_shape)
    for d in new:
        if isinstance(d, bool) or not isinstance(d, int) or d < -1:
            raise TypeError(f"ktensor: reshape: shape entries must be ints >= -1; received {new!r}")
    if new.count(-1) > 1:
        raise ValueError(f"ktensor: reshape: only one -1 is allowed in the new shape {new!r}")
    known_size = None if None in shape else math.prod(d for d in shape if d is not None)
    rest = math.prod(d for d in new if d != -1)
    if -1 in new:
        if known_size is None:
            return tuple(None if d == -1 else d for d in new)
        if rest == 0 or known_size % rest:
            raise ValueError(
                f"ktensor: reshape: cannot reshape a tensor of shape {_fmt(shape)} "
                f"({known_size} elements) into shape {new!r}"
            )
        return tuple(known_size // rest if d == -1 else d for d in new)
    if known_size is not None and known_size != rest:
        raise ValueError(
            f"ktensor: reshape: cannot reshape a tensor of shape {_fmt(shape)} "
            f"({known_size} elements) into shape {new!r} ({rest} elements)"
        )
    return new


#: The most elements a tensor may have: NumPy's (and the engines') sizes are int64.
MAX_SIZE = np.iinfo(np.int64).max


def _size_entry(d: object) -> int | None:
    """``d`` as a size when NumPy takes it as one (an int or NumPy integer, not a bool
    or a float: ``np.zeros((2.5,))`` is a ``TypeError``), else ``None``."""
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
        return None
    return int(d)


def check_size(shape: Shape, operation: str, argument: str = "shape") -> None:
    """Refuse a shape whose known sizes hold more elements than an int64 counts.

    Raises:
        ValueError: naming ``operation`` and ``argument``.

    Examples:
        >>> check_size((10**12, 10**12), "zeros")
        Traceback (most recent call last):
        ...
        ValueError: ktensor: zeros: shape (1000000000000, 1000000000000) has 10**24 elements, more than any tensor holds (at most 2**63 - 1)
    """
    total = math.prod(d for d in shape if d is not None)
    if total > MAX_SIZE or any(d is not None and d > MAX_SIZE for d in shape):
        exponent = len(str(total)) - 1
        count = f"10**{exponent}" if total == 10**exponent else str(total)
        raise ValueError(
            f"ktensor: {operation}: {argument} {_fmt(shape)} has {count} elements, more than any tensor holds "
            f"(at most 2**63 - 1)"
        )


def concrete(shape: object, operation: str, argument: str = "shape") -> tuple[int, ...]:
    """A shape of known sizes, as the creation functions take it (NumPy's rule): an int or
    a sequence of ints >= 0; floats, bools and ``None`` are refused, as is a size past
    :data:`MAX_SIZE`.

    Raises:
        TypeError: for a shape that is not ints (naming ``operation`` and ``argument``).
        ValueError: for a negative size or one too large.

    Examples:
        >>> concrete(3, "zeros"), concrete([2, np.int64(1)], "zeros")
        ((3,), (2, 1))
        >>> concrete((2.5,), "zeros")
        Traceback (most recent call last):
        ...
        TypeError: ktensor: zeros: shape must be an int or a tuple of ints >= 0; received (2.5,) (NumPy refuses floats too)
    """
    entries = (shape,) if not isinstance(shape, (tuple, list, np.ndarray)) else tuple(shape)
    if shape is not None and any(d is None for d in entries):
        raise ValueError(
            f"ktensor: {operation}: {argument} must be known sizes (a tensor is created with every size "
            f"known; None is a size known only at run time, for placeholders); received {shape!r}"
        )
    sizes = [_size_entry(d) for d in entries]
    if any(d is None for d in sizes):
        hint = " (NumPy refuses floats too)" if any(isinstance(d, (float, np.floating)) for d in entries) else ""
        if shape is None:
            hint = " (use () for a 0-d tensor)"
        raise TypeError(
            f"ktensor: {operation}: {argument} must be an int or a tuple of ints >= 0; received {shape!r}{hint}"
        )
    size = tuple(d for d in sizes if d is not None)
    if any(d < 0 for d in size):
        raise ValueError(f"ktensor: {operation}: {argument} must be ints >= 0; received {shape!r}")
    check_size(size, operation, argument)
    return size


def merge(ours: Shape, engine: Shape) -> Shape:
    """Combine two static views of one shape, keeping every known dimension."""
    if len(ours) != len(engine):
        return ours
    return tuple(a if a is not None else b for a, b in zip(ours, engine))


def describe(shape: Shape) -> str:
    """A shape as text, ``None`` for unknown dimensions."""
    return _fmt(shape)
