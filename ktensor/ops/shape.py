"""Shape operations: ``reshape transpose flatten expand_dims squeeze astype concatenate stack``,
indexing (``getitem``, behind ``t[...]``), and Keras 2's shape functions (``repeat_elements
repeat tile batch_flatten reverse slice split broadcast_to roll pad temporal_padding
spatial_2d_padding spatial_3d_padding resize_images``), composed through ``self``.

Static shapes are kept wherever they are known; a size that contradicts a known one is
refused while the expression is built (:mod:`ktensor.shapes`, :mod:`ktensor.indexing`).

Examples:
    >>> kt.reshape([1, 2, 3, 4], (2, -1)).shape
    (2, 2)
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import conv_shapes, dtypes, indexing, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Axis, Operand, Tensor


class ShapeOps(Core):
    """Shape operations and indexing."""

    @operation(covered_by_tables=True)
    def astype(self, x: Operand, dtype: Any) -> Tensor:
        """``x`` cast to ``dtype`` (``ndarray.astype`` semantics).

        Examples:
            >>> kt.astype([1.7, -1.7], "int32").eval()
            array([ 1, -1], dtype=int32)
        """
        t = self._tensor(x, "astype argument")
        target = dtypes.dtype_name(dtype)
        if target == t.dtype:
            return t
        return self._wrap(self.native_cast(t.native, target), target, t.shape, t.placeholders)

    @operation(custom_method=True, covered_by_tables=True)
    def reshape(self, x: Operand, shape: Sequence[int]) -> Tensor:
        """``x`` in a new shape; one entry may be -1; a known size must match.

        Examples:
            >>> kt.reshape([1, 2, 3, 4], (2, -1)).eval()
            array([[1, 2],
                   [3, 4]])
        """
        t = self._tensor(x, "reshape argument")
        if isinstance(shape, int):
            shape = (shape,)
        static = shapes.reshape(t.shape, tuple(shape))
        native = self.native_reshape(t.native, tuple(int(d) for d in shape))
        return self._wrap(native, t.dtype, static, t.placeholders)

    @operation(custom_method=True, covered_by_tables=True)
    def transpose(self, x: Operand, axes: Sequence[int] | None = None) -> Tensor:
        """Permute the axes; reversed when ``axes`` is None.

        Examples:
            >>> kt.transpose([[1, 2]]).eval()
            array([[1],
                   [2]])
        """
        t = self._tensor(x, "transpose argument")
        if axes is None:
            perm = tuple(reversed(range(t.ndim)))
        else:
            perm = tuple(shapes.normalize_axis(a, t.ndim, "axes") for a in axes)
            if sorted(perm) != list(range(t.ndim)):
                raise ValueError(
                    f"ktensor: transpose: axes {tuple(axes)!r} is not a permutation of the "
                    f"{t.ndim} axes of a tensor of shape {shapes.describe(t.shape)}"
                )
        if perm == tuple(range(t.ndim)):
            return t
        native = self.native_transpose(t.native, perm)
        return self._wrap(native, t.dtype, tuple(t.shape[a] for a in perm), t.placeholders)

    @operation(
        alias_of="transpose",
        reference=np.transpose,
        kit=(KitCase(args=((1, 0, 2),), shapes=((2, 3, 4),), dtypes=("bool", "int8", "float32")),),
    )
    def permute_dimensions(self, x: Operand, pattern: Sequence[int]) -> Tensor:
        """Permute the axes of ``x`` into ``pattern`` (Keras's name for ``transpose``).

        Examples:
            >>> kt.permute_dimensions(kt.zeros((2, 3, 4)), (2, 0, 1)).shape
            (4, 2, 3)
        """
        return self.transpose(x, pattern)

    @operation(covered_by_tables=True)
    def flatten(self, x: Operand) -> Tensor:
        """A 1-D tensor of every element: ``reshape(x, (-1,))``.

        Examples:
            >>> kt.flatten([[1, 2], [3, 4]]).eval()
            array([1, 2, 3, 4])
        """
        return self.reshape(x, (-1,))

    @operation(covered_by_tables=True)
    def expand_dims(self, x: Operand, axis: int | Sequence[int] = -1) -> Tensor:
        """Insert a size-1 dimension at ``axis`` (``x[..., None, ...]``; Keras's default: last).

        A tuple of axes inserts one at each, counted in the result as ``np.expand_dims`` does.

        Examples:
            >>> kt.expand_dims([1, 2], 0).shape
            (1, 2)
            >>> kt.expand_dims([1, 2]).shape
            (2, 1)
            >>> kt.expand_dims([1, 2], (0, 2)).shape
            (1, 2, 1)
        """
        t = self._tensor(x, "expand_dims argument")
        listed = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        out = t.ndim + len(listed)
        # np.expand_dims reads its axes with operator.index: a Python True is 1
        new = _axes("expand_dims", "axis", list(listed), out, bools=True)
        return self.getitem(t, tuple(None if a in new else slice(None) for a in range(out)))

    @operation(covered_by_tables=True)
    def squeeze(self, x: Operand, axis: Axis = None) -> Tensor:
        """Remove size-1 dimensions: those known to be 1, or the given ``axis``.

        Examples:
            >>> kt.squeeze([[1, 2]]).shape
            (2,)
        """
        t = self._tensor(x, "squeeze argument")
        if axis is None:
            axes = tuple(i for i, d in enumerate(t.shape) if d == 1)
        else:
            axes = shapes.normalize_axes(axis, t.ndim)
            for a in axes:
                if t.shape[a] not in (1, None):
                    raise ValueError(
                        f"ktensor: squeeze: axis {a} of shape {shapes.describe(t.shape)} has size "
                        f"{t.shape[a]}, not 1"
                    )
        if not axes:
            return t
        unknown = [a for a in axes if t.shape[a] is None]
        if unknown:
            native = t.native
            for a in unknown:
                one = self.native_constant(np.ones((), "int64"))
                is_one = self.native_elementwise("equal", self.native_dim(t.native, a), one)
                native = self.native_assert(
                    native, is_one, f"ktensor: squeeze: axis {a} does not have size 1 at run time"
                )
            t = self._wrap(native, t.dtype, t.shape, t.placeholders)
        return self.getitem(t, tuple(0 if i in axes else slice(None) for i in range(t.ndim)))

    @operation(method=False, covered_by_tables=True)
    def concatenate(self, tensors: Sequence[Operand], axis: int | None = -1) -> Tensor:
        """Join tensors along an existing axis, in their NumPy result dtype; ``axis=None``
        flattens them first, as ``np.concatenate``.

        Examples:
            >>> kt.concatenate([[1, 2], [3]]).eval()
            array([1, 2, 3])
            >>> kt.concatenate([[[1, 2]], [3]], axis=None).eval()
            array([1, 2, 3])
        """
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise TypeError(f"ktensor: concatenate needs a non-empty list of tensors; received {tensors!r}")
        # Python scalars stay weak, as in np.concatenate (int8 with 0 is int8); they can
        # only be joined flattened (axis=None), and one that does not fit is an OverflowError.
        keys = [dtypes.key_of(v) if dtypes.is_weak_scalar(v) else None for v in tensors]
        out_keys = [k for k in keys if k is not None]
        parts = [self._tensor(v, f"concatenate tensors[{i}]") for i, v in enumerate(tensors)]
        out = dtypes.common_dtype(*(p.dtype if k is None else k for p, k in zip(parts, keys)))
        if out_keys:
            parts = [
                p if k is None else self._constant_tensor(dtypes.weak_scalar_array(v, out, f"concatenate tensors[{i}]"))
                for i, (p, k, v) in enumerate(zip(parts, keys, tensors))
            ]
        if axis is None:
            parts, axis = [self.flatten(p) for p in parts], 0
        shape = shapes.concatenate([p.shape for p in parts], axis)
        natives = [self._cast_native(p.native, p.dtype, out) for p in parts]
        ax = shapes.normalize_axis(axis, parts[0].ndim)
        native = self.native_concatenate(natives, ax)
        return self._wrap(native, out, shape, self._placeholders(*parts))

    @operation(method=False, covered_by_tables=True)
    def stack(self, tensors: Sequence[Operand], axis: int = 0) -> Tensor:
        """Join tensors along a new axis: ``concatenate`` of ``expand_dims``.

        Examples:
            >>> kt.stack([[1, 2], [3, 4]], axis=1).eval()
            array([[1, 3],
                   [2, 4]])
        """
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise TypeError(f"ktensor: stack needs a non-empty list of tensors; received {tensors!r}")
        parts = [self._tensor(v, f"stack tensors[{i}]") for i, v in enumerate(tensors)]
        ndims = {p.ndim for p in parts}
        if len(ndims) != 1:
            raise ValueError(
                "ktensor: stack: all tensors need the same shape; received shapes "
                + ", ".join(shapes.describe(p.shape) for p in parts)
            )
        position = shapes.normalize_axis(axis, ndims.pop() + 1, "stack axis", bools=True)  # as np.stack
        return self.concatenate([self.expand_dims(p, position) for p in parts], axis=position)

    @operation(method=False, function=False, covered_by_tables=True)
    def getitem(self, x: Operand, key: Any) -> Tensor:
        """NumPy indexing: ints, slices, None, Ellipsis, and one int/bool array on one axis.

        Examples:
            >>> kt.constant([[1, 2], [3, 4]])[:, ::-1].eval()
            array([[2, 1],
                   [4, 3]])
        """
        t = self._tensor(x, "indexed tensor")
        items = indexing.expand_ellipsis(list(key) if isinstance(key, tuple) else [key], t.ndim)
        advanced = [i for i, k in enumerate(items) if indexing.is_array_index(k)]
        if len(advanced) > 1:
            raise IndexError("ktensor: only one integer or boolean array index is supported per indexing")
        basic: list[Any] = []
        dim_of_item: list[int | None] = []
        axis = 0
        for k in items:
            if k is None:
                basic.append(None)
                dim_of_item.append(None)
                continue
            if axis >= t.ndim:
                raise IndexError(
                    f"ktensor: too many indices for a tensor of shape {shapes.describe(t.shape)}: {key!r}"
                )
            basic.append(indexing.check_basic_item(k, t.shape[axis], axis) if not indexing.is_array_index(k) else slice(None))
            dim_of_item.append(axis)
            axis += 1
        native = t.native
        static = t.shape
        if any(not (isinstance(b, slice) and b == slice(None)) for b in basic) or len(basic) != t.ndim:
            native = self.native_slice(t.native, tuple(basic))
            static = indexing.basic_shape(t.shape, basic)
        result = self._wrap(native, t.dtype, static, t.placeholders)
        if not advanced:
            return result
        position = indexing.result_axis(items, advanced[0])
        taken = self._take(result, items[advanced[0]], position, t.shape[dim_of_item[advanced[0]] or 0])
        if not indexing.advanced_adjacent(items):
            # NumPy: ints count as advanced indices next to an array; when they are
            # separated by a slice, the array's dimensions move to the front.
            width = taken.ndim - result.ndim + 1
            moved = list(range(position, position + width))
            rest = [a for a in range(taken.ndim) if a not in moved]
            return self.transpose(taken, moved + rest)
        return taken

    # ------------------------------------------------------------------
    # Keras 2 shape functions (API.md §8), composed through ``self``.
    # ------------------------------------------------------------------
    @operation(
        reference=np.repeat,
        primitives=("native_cumulative",),
        kit=(
            KitCase(args=(2, 1), dtypes=("bool", "int8", "uint16", "float32", "float64"), shapes=((2, 3),), grad=True),
            KitCase(args=(3, -3), dtypes=("int64", "float16"), shapes=((2, 3, 2),)),
            KitCase(args=(0, 0), dtypes=("int32", "float32"), shapes=((2, 3),), forms=("method",)),
        ),
    )
    def repeat_elements(self, x: Operand, rep: int, axis: int) -> Tensor:
        """Repeat each element ``rep`` times along ``axis`` (``np.repeat`` with an int ``rep``).

        Examples:
            >>> kt.repeat_elements([[1, 2], [3, 4]], 2, axis=1).eval()
            array([[1, 1, 2, 2],
                   [3, 3, 4, 4]])
        """
        t = self._tensor(x, "repeat_elements argument")
        count = _count("repeat_elements", "rep", rep)
        a = _axis("repeat_elements", axis, t.ndim)
        if count == 1:
            return t
        dim = t.shape[a]
        if count == 0:
            empty = self.getitem(t, (slice(None),) * a + (slice(0, 0),))
            return self._wrap(empty.native, t.dtype, t.shape[:a] + (0,) + t.shape[a + 1 :], t.placeholders)
        if dim is not None:
            index: Any = np.repeat(np.arange(dim, dtype="int64"), count)
        else:
            index = self.floor_divide(self._positions(t, a, count), count)
        return self.getitem(t, (slice(None),) * a + (index,))

    @operation(
        method=False,
        reference=lambda x, n: np.repeat(x[:, None, :], n, axis=1),
        kit=(
            KitCase(args=(3,), dtypes=("bool", "int32", "uint8", "float32", "float64"), shapes=((2, 3),),
                    forms=("function",), grad=True),
        ),
    )
    def repeat(self, x: Operand, n: int) -> Tensor:
        """Keras's ``repeat``: a ``(batch, dim)`` tensor repeated ``n`` times into ``(batch, n, dim)``.

        A function only: ``ndarray.repeat`` is ``np.repeat`` (see ``repeat_elements``).

        Examples:
            >>> kt.repeat([[1, 2]], 3).eval()
            array([[[1, 2],
                    [1, 2],
                    [1, 2]]])
        """
        t = self._tensor(x, "repeat argument")
        count = _count("repeat", "n", n)
        if t.ndim != 2:
            raise ValueError(
                f"ktensor: repeat: x must be 2-D (batch, dim); received a tensor of shape {shapes.describe(t.shape)}"
            )
        return self.repeat_elements(self.expand_dims(t, 1), count, axis=1)

    @operation(
        reference=np.tile,
        kit=(
            KitCase(args=(2,), dtypes=("bool", "int8", "uint32", "float32", "float64"), shapes=((2, 3),), grad=True),
            KitCase(args=((2, 1, 3),), dtypes=("int16", "float16"), shapes=((2, 3),)),
            KitCase(args=((3, 0),), dtypes=("int64", "float32"), shapes=((2, 1, 3),), forms=("method",)),
        ),
    )
    def tile(self, x: Operand, n: int | Sequence[int]) -> Tensor:
        """``x`` repeated ``n`` times along each axis (``np.tile``: an int or one count per axis).

        Examples:
            >>> kt.tile([[1, 2]], (2, 2)).eval()
            array([[1, 2, 1, 2],
                   [1, 2, 1, 2]])
        """
        t = self._tensor(x, "tile argument")
        reps = _counts("tile", "n", n)
        if len(reps) < t.ndim:
            reps = (1,) * (t.ndim - len(reps)) + reps
        elif len(reps) > t.ndim:
            t = self.getitem(t, (None,) * (len(reps) - t.ndim))
        static = tuple(0 if r == 0 else (None if d is None else d * r) for d, r in zip(t.shape, reps))
        for a, r in enumerate(reps):
            if r == 0:
                t = self.getitem(t, (slice(None),) * a + (slice(0, 0),))
            elif r != 1:
                t = self.concatenate([t] * r, axis=a)
        return self._wrap(t.native, t.dtype, static, t.placeholders)

    @operation(
        reference=lambda x: x.reshape(x.shape[0], -1),
        kit=(
            KitCase(dtypes=("bool", "int8", "uint64", "float32", "float64"), shapes=((2, 3, 2),), grad=True),
            KitCase(dtypes=("int32",), shapes=((3,),)),
        ),
    )
    def batch_flatten(self, x: Operand) -> Tensor:
        """``(batch, ...)`` flattened into ``(batch, product of the other sizes)``.

        One of the batch size and the other sizes must be known when the expression is built.

        Examples:
            >>> kt.batch_flatten(kt.zeros((2, 3, 4))).shape
            (2, 12)
        """
        t = self._tensor(x, "batch_flatten argument")
        if t.ndim == 0:
            raise ValueError("ktensor: batch_flatten: x must have a batch axis; received a 0-d tensor")
        batch, rest = t.shape[0], t.shape[1:]
        if None not in rest:
            size = math.prod(d for d in rest if d is not None)
            if size or batch is not None:
                return self.reshape(t, (-1 if batch is None else batch, size))
        elif batch is not None and batch:
            return self.reshape(t, (batch, -1))
        raise ValueError(
            "ktensor: batch_flatten: needs the batch size or the (non-zero) product of the other sizes "
            f"known when the expression is built; received a tensor of shape {shapes.describe(t.shape)}"
        )

    @operation(
        reference=np.flip,
        kit=(
            KitCase(args=(1,), dtypes=("bool", "int8", "uint8", "float32", "float64"), shapes=((2, 3),), grad=True),
            KitCase(args=((0, 2),), dtypes=("int32", "float16"), shapes=((2, 3, 2),)),
            KitCase(args=(None,), dtypes=("int64",), shapes=((2, 3),), forms=("method",)),
        ),
    )
    def reverse(self, x: Operand, axes: Axis) -> Tensor:
        """``x`` with the order of ``axes`` reversed (``np.flip``: an int, a sequence, None for all).

        Examples:
            >>> kt.reverse([[1, 2], [3, 4]], 1).eval()
            array([[2, 1],
                   [4, 3]])
        """
        t = self._tensor(x, "reverse argument")
        flipped = _axes("reverse", "axes", axes, t.ndim, bools=True)  # np.flip takes axis=True
        if not flipped:
            return t
        return self.getitem(t, tuple(slice(None, None, -1) if a in flipped else slice(None) for a in range(t.ndim)))

    @operation(
        reference=lambda x, start, size: x[
            tuple(builtins.slice(s, None if z == -1 else s + z) for s, z in zip(start, size))
        ],
        kit=(
            KitCase(args=((1, 0), (1, -1)), dtypes=("bool", "int8", "uint16", "float32", "float64"), shapes=((2, 3),),
                    grad=True),
            KitCase(args=((0, 1, 1), (2, 2, 0)), dtypes=("int32", "float16"), shapes=((2, 3, 2),)),
        ),
    )
    def slice(self, x: Operand, start: Sequence[int], size: Sequence[int]) -> Tensor:
        """The block of ``x`` starting at ``start`` with ``size`` (Keras: one int per axis each;
        a size of -1 runs to the end). A block past the end of a dimension is refused: when
        the expression is built where the size is known, otherwise at run time.

        Examples:
            >>> kt.slice([[1, 2, 3], [4, 5, 6]], (0, 1), (2, -1)).eval()
            array([[2, 3],
                   [5, 6]])
        """
        t = self._tensor(x, "slice argument")
        begins = _ints("slice", "start", start, t.ndim, minimum=0)
        sizes = _ints("slice", "size", size, t.ndim, minimum=-1)
        key = []
        static: list[int | None] = []
        checks: list[tuple[int, int]] = []
        for a, (s, z, d) in enumerate(zip(begins, sizes, t.shape)):
            end = s if z == -1 else s + z
            if d is not None and end > d:
                raise ValueError(
                    f"ktensor: slice: start {s} and size {z} on axis {a} run past the end of a dimension of "
                    f"size {d} (x has shape {shapes.describe(t.shape)})"
                )
            if d is None:
                checks.append((a, end))
            key.append(builtins.slice(s, None if z == -1 else end))
            static.append(z if z != -1 else (None if d is None else d - s))
        result = self.getitem(t, tuple(key))
        native = result.native
        for a, end in checks:
            enough = self.native_elementwise(
                "greater_equal", self.native_dim(t.native, a), self.native_constant(np.asarray(end, "int64"))
            )
            native = self.native_assert(
                native, enough, f"ktensor: slice: the block runs past the end of axis {a} (it needs {end} entries)"
            )
        return self._wrap(native, t.dtype, tuple(static), t.placeholders)

    @operation(kit_exempt="returns a list: checked in tests/test_ops_shape.py")
    def split(self, x: Operand, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        """``x`` cut along ``axis`` into a list of tensors (``np.split``): into ``n`` equal
        sections (which must divide a known length), or at the given indices.

        Examples:
            >>> [p.eval() for p in kt.split([1, 2, 3, 4], 2)]
            [array([1, 2]), array([3, 4])]
        """
        t = self._tensor(x, "split argument")
        a = _axis("split", axis, t.ndim, bools=True)  # np.split takes axis=True
        dim = t.shape[a]
        points: list[int | None]
        if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(indices_or_sections, bool):
            sections = int(indices_or_sections)
            if sections <= 0:
                raise ValueError(f"ktensor: split: indices_or_sections must be a positive number of sections; received {sections}")
            if dim is None:
                raise ValueError(
                    f"ktensor: split: {sections} equal sections need the length of axis {a} known when the "
                    f"expression is built; received shape {shapes.describe(t.shape)} (pass split indices instead)"
                )
            if dim % sections:
                raise ValueError(
                    f"ktensor: split: {sections} sections do not divide axis {a} of length {dim} into equal parts"
                )
            points = [i * (dim // sections) for i in range(sections + 1)]
        else:
            points = [0, *_counts("split", "indices_or_sections", indices_or_sections, minimum=None), None]
        return [
            self.getitem(t, (slice(None),) * a + (slice(lo, hi),)) for lo, hi in itertools.pairwise(points)
        ]

    @operation(
        reference=np.broadcast_to,
        kit=(
            KitCase(args=((2, 3),), dtypes=("bool", "int8", "uint32", "float32", "float64"), shapes=((3,),), grad=True),
            KitCase(args=((2, 2, 3),), dtypes=("int64", "float16"), shapes=((2, 1, 3),)),
            KitCase(args=((0, 3),), dtypes=("int32",), shapes=((1, 3),), forms=("method",)),
        ),
    )
    def broadcast_to(self, x: Operand, shape: Sequence[int]) -> Tensor:
        """``x`` broadcast to ``shape`` (``np.broadcast_to``). A dimension unknown when the
        expression is built must have the target size at run time.

        Examples:
            >>> kt.broadcast_to([1, 2], (2, 2)).eval()
            array([[1, 2],
                   [1, 2]])
        """
        t = self._tensor(x, "broadcast_to argument")
        target = _counts("broadcast_to", "shape", shape)
        new = len(target) - t.ndim
        if new < 0 or any(d not in (None, 1, n) for d, n in zip(t.shape, target[new:])):
            raise ValueError(
                f"ktensor: broadcast_to: a tensor of shape {shapes.describe(t.shape)} cannot be broadcast to "
                f"shape {target} (each size must be 1 or the target's)"
            )
        if new:
            t = self.getitem(t, (None,) * new)
        native = t.native
        for a, (d, n) in enumerate(zip(t.shape, target)):
            if d == 1 and n != 1:
                t = self.getitem(t, (slice(None),) * a + (np.zeros(n, "int64"),))
                native = t.native
            elif d is None:
                same = self.native_elementwise(
                    "equal", self.native_dim(native, a), self.native_constant(np.asarray(n, "int64"))
                )
                native = self.native_assert(
                    native, same, f"ktensor: broadcast_to: axis {a} does not have size {n} at run time"
                )
        return self._wrap(native, t.dtype, target, t.placeholders)

    @operation(
        reference=np.roll,
        primitives=("native_cumulative",),
        kit=(
            KitCase(args=(2,), kwargs={"axis": 1}, dtypes=("bool", "int8", "uint8", "float32", "float64"),
                    shapes=((2, 3),), grad=True),
            KitCase(args=(-4,), dtypes=("int16", "float64"), shapes=((2, 3),), grad=True),
            KitCase(args=((1, -1, 2),), kwargs={"axis": (0, 2, 0)}, dtypes=("int64", "float16"), shapes=((2, 3, 2),)),
            KitCase(args=((1, 2),), dtypes=("uint64",), shapes=((2, 3),), forms=("method",)),
        ),
    )
    def roll(self, x: Operand, shift: int | Sequence[int], axis: Axis = None) -> Tensor:
        """Elements shifted by ``shift`` along ``axis``, those past the end coming back at the
        start (``np.roll``: ``axis=None`` rolls the flattened tensor; tuples of shifts and axes).

        Examples:
            >>> kt.roll([1, 2, 3, 4], 1).eval()
            array([4, 1, 2, 3])
        """
        t = self._tensor(x, "roll argument")
        if axis is None:
            total = sum(_counts("roll", "shift", shift, minimum=None))
            unknown = t.shape.count(None)
            if unknown > 1:
                raise ValueError(
                    "ktensor: roll: axis=None needs at most one size unknown when the expression is built; "
                    f"received shape {shapes.describe(t.shape)} (give the axes)"
                )
            rolled = self._roll_axis(self.flatten(t), total, 0)
            return self.reshape(rolled, tuple(-1 if d is None else d for d in t.shape))
        shifts = _counts("roll", "shift", shift, minimum=None)
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        try:
            pairs = np.broadcast(np.asarray(shifts), np.asarray(axes))
        except ValueError:
            raise ValueError(
                f"ktensor: roll: shift {shift!r} and axis {axis!r} must have the same length (or one be an int)"
            ) from None
        by_axis: dict[int, int] = {}
        for s, a in pairs:
            ax = _axis("roll", int(a), t.ndim)
            by_axis[ax] = by_axis.get(ax, 0) + int(s)
        for ax, s in by_axis.items():
            t = self._roll_axis(t, s, ax)
        return t

    @operation(
        reference=lambda x, pad_width, constant_values=0: np.pad(x, pad_width, constant_values=constant_values),
        kit=(
            KitCase(args=(((1, 0), (2, 1)),), dtypes=("bool", "int8", "uint16", "float32", "float64"), shapes=((2, 3),),
                    grad=True),
            KitCase(args=(1,), kwargs={"constant_values": 7}, dtypes=("int32", "uint8", "float16"), shapes=((2, 3),)),
            KitCase(args=((0, 2),), kwargs={"constant_values": ((1, 2), (3, 4), (5, 6))}, dtypes=("int64", "float32"),
                    shapes=((2, 1, 2),), forms=("method",)),
        ),
    )
    def pad(self, x: Operand, pad_width: int | Sequence[Any], constant_values: Any = 0) -> Tensor:
        """``x`` padded with ``constant_values`` (``np.pad``, constant mode): ``pad_width`` is an
        int, a ``(before, after)`` pair for every axis, or one pair per axis; the value is
        cast to ``x``'s dtype as NumPy assigns it.

        Examples:
            >>> kt.pad([1, 2], (1, 2)).eval()
            array([0, 1, 2, 0, 0])
        """
        t = self._tensor(x, "pad argument")
        widths = _pairs("pad", "pad_width", pad_width, t.ndim)
        try:
            values = np.broadcast_to(np.asarray(constant_values), (t.ndim, 2))
        except ValueError:
            raise ValueError(
                f"ktensor: pad: constant_values must be a number, a pair or one pair per axis of the "
                f"{t.ndim} axes; received {constant_values!r}"
            ) from None
        fills = np.empty(values.shape, t.dtype)
        try:
            fills[...] = values  # as np.pad stores it: by assignment
        except (TypeError, ValueError, OverflowError) as error:
            raise ValueError(
                f"ktensor: pad: constant_values {constant_values!r} cannot be stored in dtype {t.dtype}: {error}"
            ) from None
        for a, ((before, after), (low, high)) in enumerate(zip(widths, fills)):
            parts = []
            if before:
                parts.append(self._slab(t, a, before, low))
            parts.append(t)
            if after:
                parts.append(self._slab(t, a, after, high))
            if len(parts) > 1:
                t = self.concatenate(parts, axis=a)
        return t

    @operation(
        reference=lambda x, padding=(1, 1): np.pad(x, ((0, 0), padding, (0, 0))),
        kit=(
            KitCase(dtypes=("bool", "int32", "float32", "float64"), shapes=((2, 3, 2),), grad=True),
            KitCase(args=((0, 2),), dtypes=("int8", "float16"), shapes=((2, 3, 2),)),
        ),
    )
    def temporal_padding(self, x: Operand, padding: Sequence[int] = (1, 1)) -> Tensor:
        """Zeros added before and after the steps of a ``(batch, steps, features)`` tensor.

        Examples:
            >>> kt.temporal_padding(kt.ones((1, 2, 1)), (1, 0)).shape
            (1, 3, 1)
        """
        t = self._tensor(x, "temporal_padding argument")
        _rank("temporal_padding", t, 3)
        (pair,) = _pairs("temporal_padding", "padding", [padding], 1, exact=True, received=padding)
        return self.pad(t, ((0, 0), pair, (0, 0)))

    @operation(
        reference=lambda x, padding=((1, 1), (1, 1)), data_format=None: np.pad(x, _spatial_widths(padding, data_format)),
        kit=(
            KitCase(dtypes=("bool", "int32", "float32", "float64"), shapes=((1, 2, 3, 2),), grad=True),
            KitCase(args=(((0, 1), (2, 0)), "channels_first"), dtypes=("uint8", "float16"), shapes=((1, 2, 3, 2),)),
        ),
    )
    def spatial_2d_padding(
        self, x: Operand, padding: Sequence[Sequence[int]] = ((1, 1), (1, 1)), data_format: str | None = None
    ) -> Tensor:
        """Zeros around the rows and columns of a 4-D image batch (``data_format``
        ``"channels_last"``, the default, or ``"channels_first"``).

        Examples:
            >>> kt.spatial_2d_padding(kt.ones((1, 2, 2, 3))).shape
            (1, 4, 4, 3)
        """
        t = self._tensor(x, "spatial_2d_padding argument")
        _rank("spatial_2d_padding", t, 4)
        pairs = _pairs("spatial_2d_padding", "padding", padding, 2, exact=True)
        return self.pad(t, _spatial_widths(pairs, conv_shapes.data_format("spatial_2d_padding", data_format)))

    @operation(
        reference=lambda x, padding=((1, 1), (1, 1), (1, 1)), data_format=None: np.pad(
            x, _spatial_widths(padding, data_format)
        ),
        kit=(
            KitCase(dtypes=("int8", "float32", "float64"), shapes=((1, 2, 1, 2, 1),), grad=True),
            KitCase(args=(((0, 1), (2, 0), (1, 0)), "channels_first"), dtypes=("bool", "float16"),
                    shapes=((1, 2, 1, 2, 1),)),
        ),
    )
    def spatial_3d_padding(
        self,
        x: Operand,
        padding: Sequence[Sequence[int]] = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
    ) -> Tensor:
        """Zeros around the three spatial axes of a 5-D volume batch (``data_format``
        ``"channels_last"``, the default, or ``"channels_first"``).

        Examples:
            >>> kt.spatial_3d_padding(kt.ones((1, 2, 2, 2, 3))).shape
            (1, 4, 4, 4, 3)
        """
        t = self._tensor(x, "spatial_3d_padding argument")
        _rank("spatial_3d_padding", t, 5)
        pairs = _pairs("spatial_3d_padding", "padding", padding, 3, exact=True)
        return self.pad(t, _spatial_widths(pairs, conv_shapes.data_format("spatial_3d_padding", data_format)))

    @operation(
        reference=lambda x, hf, wf, data_format=None, interpolation="nearest": _resize_reference(
            x, hf, wf, data_format, interpolation
        ),
        kit=(
            KitCase(args=(2, 3), dtypes=("bool", "int32", "uint8", "float32", "float64"), shapes=((1, 2, 3, 2),),
                    grad=True),
            KitCase(args=(2, 1, "channels_first"), dtypes=("int8", "float16"), shapes=((1, 2, 3, 2),)),
            KitCase(args=(2, 3, "channels_last", "bilinear"), dtypes=("bool", "int8", "int32", "float32", "float64"),
                    shapes=((1, 2, 3, 2),), grad=True),
            KitCase(args=(3, 2), kwargs={"data_format": "channels_first", "interpolation": "bilinear"},
                    dtypes=("float16", "float64"), shapes=((2, 1, 3, 2),), grad=True),
        ),
    )
    def resize_images(
        self,
        x: Operand,
        height_factor: int,
        width_factor: int,
        data_format: str | None = None,
        interpolation: str = "nearest",
    ) -> Tensor:
        """A 4-D image batch scaled up by integer factors (Keras 2).

        ``"nearest"`` repeats each pixel (the dtype kept); ``"bilinear"`` samples at
        half-pixel centres (``align_corners=False``, as ``tf.image.resize``), edges
        clamped, in ``x``'s float dtype (NumPy's float for ints and bools, as ``np.exp``);
        bilinear needs the height and width known when the expression is built.

        Examples:
            >>> kt.resize_images(kt.ones((1, 2, 2, 3)), 2, 3).shape
            (1, 4, 6, 3)
            >>> kt.resize_images(kt.constant([[[[0.0], [1.0]]]]), 1, 2, interpolation="bilinear")[0, 0, :, 0].eval()
            array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
        """
        t = self._tensor(x, "resize_images argument")
        _rank("resize_images", t, 4)
        factors = (
            _count("resize_images", "height_factor", height_factor, minimum=1),
            _count("resize_images", "width_factor", width_factor, minimum=1),
        )
        axes = (2, 3) if conv_shapes.data_format("resize_images", data_format) == "channels_first" else (1, 2)
        if interpolation == "nearest":
            for a, f in zip(axes, factors):
                t = self.repeat_elements(t, f, axis=a)
            return t
        if interpolation != "bilinear":
            raise ValueError(
                f"ktensor: resize_images: interpolation must be 'nearest' or 'bilinear'; received {interpolation!r}"
            )
        t = self.astype(t, dtypes.FLOATING(t.dtype))
        for a, f in zip(axes, factors):
            dim = t.shape[a]
            if dim is None:
                raise ValueError(
                    f"ktensor: resize_images: bilinear needs the size of axis {a} known when the expression is "
                    f"built; received shape {shapes.describe(t.shape)}"
                )
            if f == 1:
                continue
            lower, upper, weight = _bilinear_taps(dim, f)
            w = weight.astype(t.dtype).reshape((-1,) + (1,) * (t.ndim - a - 1))
            lead = (slice(None),) * a
            t = self.add(
                self.multiply(self.getitem(t, lead + (lower,)), (1 - w).astype(t.dtype)),
                self.multiply(self.getitem(t, lead + (upper,)), w),
            )
        return t

    # -- helpers of the compositions above ------------------------------------------------
    def _positions(self, t: Tensor, axis: int, factor: int) -> Tensor:
        """``arange(dim * factor)`` as int64, for an ``axis`` whose size is known only at run time."""
        others = tuple(a for a in range(t.ndim) if a != axis)
        line = self.any(t, axis=others) if others else self.astype(t, "bool")
        ones = self._wrap(self.native_full_like(line.native, np.ones((), "int64")), "int64", (None,), line.placeholders)
        if factor != 1:
            ones = self.concatenate([ones] * factor, axis=0)
        counted = self._wrap(self.native_cumulative("sum", ones.native, 0), "int64", (None,), ones.placeholders)
        return self.subtract(counted, 1)

    def _roll_axis(self, t: Tensor, shift: int, axis: int) -> Tensor:
        dim = t.shape[axis]
        lead = (slice(None),) * axis
        if dim is None:
            size = self._wrap(self.native_dim(t.native, axis), "int64", (), t.placeholders)
            index = self.mod(self.subtract(self._positions(t, axis, 1), shift), size)
            return self.getitem(t, lead + (index,))
        if dim == 0 or shift % dim == 0:
            return t
        s = shift % dim
        return self.concatenate([self.getitem(t, lead + (slice(-s, None),)), self.getitem(t, lead + (slice(None, -s),))], axis)

    def _slab(self, t: Tensor, axis: int, size: int, value: Any) -> Tensor:
        """A block of ``t``'s shape but ``size`` along ``axis``, filled with ``value`` in ``t``'s dtype."""
        fill = np.asarray(value, t.dtype)
        shape = t.shape[:axis] + (size,) + t.shape[axis + 1 :]
        if None not in shape:
            return self._constant_tensor(np.full(tuple(d or 0 for d in shape), fill))
        base = self.any(t, axis=axis, keepdims=True)
        filled = self._wrap(self.native_full_like(base.native, fill), t.dtype, base.shape, base.placeholders)
        return self.getitem(filled, (slice(None),) * axis + (np.zeros(size, "int64"),))


# ----------------------------------------------------------------------
# Argument checks and NumPy references of the shape functions.
# ----------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _count(function: str, argument: str, value: Any, minimum: int = 0) -> int:
    if not _is_int(value):
        raise TypeError(f"ktensor: {function}: {argument} must be an int >= {minimum}; received {value!r}")
    if value < minimum:
        raise ValueError(f"ktensor: {function}: {argument} must be an int >= {minimum}; received {value!r}")
    return int(value)


def _counts(function: str, argument: str, value: Any, minimum: int | None = 0) -> tuple[int, ...]:
    """An int or a sequence of ints, each ``>= minimum`` (no bound when None)."""
    items = (value,) if _is_int(value) else value
    expected = "an int or a sequence of ints" + ("" if minimum is None else f" >= {minimum}")
    if not isinstance(items, (tuple, list, np.ndarray)) or not all(_is_int(v) for v in items):
        raise TypeError(f"ktensor: {function}: {argument} must be {expected}; received {value!r}")
    if minimum is not None and any(v < minimum for v in items):
        raise ValueError(f"ktensor: {function}: {argument} must be {expected}; received {value!r}")
    return tuple(int(v) for v in items)


def _ints(function: str, argument: str, value: Any, ndim: int, minimum: int) -> tuple[int, ...]:
    items = _counts(function, argument, value, minimum)
    if len(items) != ndim:
        raise ValueError(
            f"ktensor: {function}: {argument} needs one int per axis of the {ndim} axes; received {value!r}"
        )
    return items


def _axis(function: str, axis: Any, ndim: int, argument: str = "axis", bools: bool = False) -> int:
    try:
        return shapes.normalize_axis(int(axis) if _is_int(axis) else axis, ndim, argument, bools=bools)
    except (TypeError, ValueError) as error:
        raise type(error)(str(error).replace("ktensor: ", f"ktensor: {function}: ", 1)) from None


def _axes(function: str, argument: str, axes: Any, ndim: int, bools: bool = False) -> tuple[int, ...]:
    if _is_int(axes):
        axes = int(axes)
    elif isinstance(axes, (tuple, list)):
        axes = tuple(int(a) if _is_int(a) else a for a in axes)
    try:
        return shapes.normalize_axes(axes, ndim, argument, bools=bools)
    except (TypeError, ValueError) as error:
        raise type(error)(str(error).replace("ktensor: ", f"ktensor: {function}: ", 1)) from None


def _pairs(
    function: str, argument: str, value: Any, ndim: int, exact: bool = False, received: Any = None
) -> list[tuple[int, int]]:
    """``(before, after)`` per axis: NumPy's broadcasting of ``pad_width`` (or exactly ``ndim`` pairs);
    ``received`` is what the error messages show (default: ``value``)."""
    shown = value if received is None else received
    if exact:
        expected = "a pair (before, after)" if ndim == 1 else f"{ndim} pairs (before, after)"
        expected += " of ints >= 0"
    else:
        expected = f"an int >= 0, a pair, or {ndim} pairs of ints >= 0"
    try:
        array = np.asarray(value)
        ok = array.dtype.kind in "iu" and (array.shape == (ndim, 2) if exact else True)
        pairs = np.broadcast_to(array, (ndim, 2)) if ok else None
    except ValueError:
        pairs = None
    if pairs is None:
        raise ValueError(f"ktensor: {function}: {argument} must be {expected}; received {shown!r}")
    if (pairs < 0).any():
        raise ValueError(f"ktensor: {function}: {argument} must not be negative; received {shown!r}")
    return [(int(b), int(e)) for b, e in pairs]


def _rank(function: str, t: Tensor, ndim: int) -> None:
    if t.ndim != ndim:
        raise ValueError(
            f"ktensor: {function}: x must be {ndim}-D; received a tensor of shape {shapes.describe(t.shape)}"
        )




def _spatial_widths(padding: Sequence[Sequence[int]], data_format: str | None) -> list[tuple[int, int]]:
    """``np.pad`` widths of a spatial padding: nothing on the batch and channel axes."""
    spatial = [(int(before), int(after)) for before, after in padding]
    if data_format == "channels_first":
        return [(0, 0), (0, 0), *spatial]
    return [(0, 0), *spatial, (0, 0)]


def _bilinear_taps(size: int, factor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two source indices and the weight of the second, per output index of one axis
    (half-pixel centres, edges clamped)."""
    source = (np.arange(size * factor) + 0.5) / factor - 0.5
    below = np.floor(source)
    lower = np.clip(below, 0, size - 1).astype("int64")
    upper = np.clip(below + 1, 0, size - 1).astype("int64")
    return lower, upper, source - below


def _resize_reference(
    x: np.ndarray, height_factor: int, width_factor: int, data_format: str | None, interpolation: str
) -> np.ndarray:
    axes = (2, 3) if data_format == "channels_first" else (1, 2)
    if interpolation == "nearest":
        for a, f in zip(axes, (height_factor, width_factor)):
            x = np.repeat(x, f, axis=a)
        return x
    x = x.astype(dtypes.FLOATING(x.dtype.name))
    for a, f in zip(axes, (height_factor, width_factor)):
        if f == 1:
            continue
        lower, upper, weight = _bilinear_taps(x.shape[a], f)
        w = weight.astype(x.dtype).reshape((-1,) + (1,) * (x.ndim - a - 1))
        x = np.take(x, lower, axis=a) * (1 - w).astype(x.dtype) + np.take(x, upper, axis=a) * w
    return x
