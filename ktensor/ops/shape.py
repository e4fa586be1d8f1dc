"""Shape operations: ``reshape transpose flatten expand_dims squeeze astype concatenate stack``
and indexing (``getitem``, behind ``t[...]``).

Static shapes are kept wherever they are known; a size that contradicts a known one is
refused while the expression is built (:mod:`ktensor.shapes`, :mod:`ktensor.indexing`).

Examples:
    >>> kt.reshape([1, 2, 3, 4], (2, -1)).shape
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import dtypes, indexing, shapes
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
    def expand_dims(self, x: Operand, axis: int) -> Tensor:
        """Insert a size-1 dimension at ``axis`` (``x[..., None, ...]``).

        Examples:
            >>> kt.expand_dims([1, 2], 0).shape
            (1, 2)
        """
        t = self._tensor(x, "expand_dims argument")
        position = shapes.normalize_axis(axis, t.ndim + 1)
        return self.getitem(t, (slice(None),) * position + (None,))

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
    def concatenate(self, tensors: Sequence[Operand], axis: int = -1) -> Tensor:
        """Join tensors along an existing axis, in their NumPy result dtype.

        Examples:
            >>> kt.concatenate([[1, 2], [3]]).eval()
            array([1, 2, 3])
        """
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise TypeError(f"ktensor: concatenate needs a non-empty list of tensors; received {tensors!r}")
        parts = [self._tensor(v, f"concatenate tensors[{i}]") for i, v in enumerate(tensors)]
        shape = shapes.concatenate([p.shape for p in parts], axis)
        out = dtypes.common_dtype(*(p.dtype for p in parts))
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
        position = shapes.normalize_axis(axis, ndims.pop() + 1)
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
