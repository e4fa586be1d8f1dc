"""Gathering and sorting: ``gather take one_hot sort argsort top_k in_top_k``.

Indices are integers of any shape; negative ones count from the end as in NumPy
(``one_hot`` and ``in_top_k`` excepted: as in Keras, an index outside
``[0, num_classes)`` there is no class at all). An index out of range is refused
while the expression is built when it is a constant of a known axis, else when the
function runs (a ``kt.EngineError`` naming the operation). ``sort`` and ``argsort``
are NumPy's stable sorts, NaN last; ``top_k`` gives the largest first, the lower
index first among equal values.

Examples:
    >>> kt.gather([[1, 2], [3, 4], [5, 6]], [2, 0]).eval()
    array([[5, 6],
           [1, 2]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import config, dtypes, shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

_SORTABLE = ("bool", "int8", "uint8", "int64", "float16", "float32", "float64")
_INDEX_DTYPES = ("int8", "int32", "int64")


# ----------------------------------------------------------------- NumPy references
def _gather_reference(reference: np.ndarray, indices: Any) -> np.ndarray:
    return np.take(reference, np.asarray(indices), axis=0)


def _one_hot_reference(indices: np.ndarray, num_classes: int) -> np.ndarray:
    hits = np.expand_dims(np.asarray(indices), -1) == np.arange(num_classes)
    return hits.astype(config.floatx())


def _argsort_reference(x: np.ndarray, axis: int | None = -1) -> np.ndarray:
    return np.argsort(x, axis=axis, kind="stable")


def _in_top_k_reference(predictions: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """``tf.nn.in_top_k``: ties count in; an out-of-range target or a row with a
    non-finite score is False."""
    classes = predictions.shape[-1]
    valid = (targets >= 0) & (targets < classes)
    safe = np.where(valid, targets, 0).astype(np.int64)
    score = np.take_along_axis(predictions, safe[:, None], axis=-1)
    higher = np.sum(predictions > score, axis=-1)
    finite = np.all(np.isfinite(predictions), axis=-1)
    return valid & finite & (higher < k)


def _take_kit() -> tuple[KitCase, ...]:
    plain = ("bool", "int8", "uint16", "float32", "float64")
    cases = [
        KitCase(args=([2, -1, 0],), dtypes=plain, shapes=((2, 3),)),
        KitCase(args=([[0, -3], [2, 1]],), kwargs={"axis": 1}, dtypes=plain, shapes=((2, 3),)),
        KitCase(args=(-1,), kwargs={"axis": 0}, dtypes=("int32", "float32"), shapes=((3, 2),)),
        KitCase(args=([1, -2],), kwargs={"axis": -1}, dtypes=("int64", "float32"), shapes=((2, 2, 3),),
                forms=("method",)),
        KitCase(args=([0, 2, 2],), kwargs={"axis": 1}, dtypes=("float32",), shapes=((2, 3, 2),), grad=True,
                forms=("function",)),
    ]
    for axis in (None, 0, 1, -2):
        cases.append(
            KitCase(kwargs={"axis": axis}, dtypes=(("float32", "int64"), ("int8", "int32"), ("bool", "int8")),
                    shapes=((3, 3), (2, 2)), values=("any", "index"))
        )
    return tuple(cases)


def _sort_kit(name: str, grad: bool) -> tuple[KitCase, ...]:
    cases = [
        KitCase(dtypes=_SORTABLE, shapes=((2, 3, 4),)),
        KitCase(dtypes=_SORTABLE, shapes=((2, 3, 4),), values="distinct", forms=("method",),
                label=f"t.{name}() of distinct values"),
    ]
    cases += [
        KitCase(kwargs={"axis": axis}, dtypes=_SORTABLE, shapes=((2, 3, 4),), forms=("method",))
        for axis in (0, 1, -2, None)
    ]
    cases.append(KitCase(kwargs={"axis": 0}, dtypes=("float32", "float64"), shapes=((3, 2),), grad=grad,
                         forms=("function",)))
    return tuple(cases)


class GatherOps(Core):
    """Gathering by indices, and sorting."""

    # ------------------------------------------------------------------ helpers
    def _gather_along(self, t: Tensor, indices: Any, axis: int, op: str, argument: str) -> Tensor:
        """``np.take(t, indices, axis)``, indices checked: integers, in range."""
        if isinstance(indices, list) and not indices:
            indices = np.zeros((0,), "int64")  # NumPy reads [] as an empty integer index
        idx = self._tensor(indices, f"{op} {argument}")
        if not dtypes.is_integer(idx.dtype):
            raise TypeError(
                f"ktensor: {op}: {argument} must be integers (an int tensor, array, list or int); "
                f"received dtype {idx.dtype}"
            )
        dim = t.shape[axis]
        checked = False
        if not isinstance(indices, Tensor) and dim is not None:
            values = np.asarray(indices)
            if values.size and (values.max() >= dim or values.min() < -dim):
                raise IndexError(
                    f"ktensor: {op}: {argument} {values.tolist()} is out of range for axis {axis} of "
                    f"size {dim} (expected {-dim} <= index < {dim})"
                )
            checked = True
        size: Operand = dim if dim is not None else self._wrap(self.native_dim(t.native, axis), "int64", (), t.placeholders)
        message = f"ktensor: {op}: an index of {argument} is out of range for axis {axis}"
        if idx.dtype.startswith("uint"):
            # Never negative; checked in its own dtype, before a cast could wrap 2**64 - 1 to -1.
            if not checked:
                inside = self.all(self.less(idx, size))
                native = self.native_assert(idx.native, inside.native, message)
                idx = self._wrap(native, idx.dtype, idx.shape, self._placeholders(idx, inside))
            positions = self.astype(idx, "int64")
        else:
            positions = self.astype(idx, "int64")
            positions = self.where(self.less(positions, 0), self.add(positions, size), positions)
            if not checked:
                inside = self.all(self.bitwise_and(self.greater_equal(positions, 0), self.less(positions, size)))
                native = self.native_assert(positions.native, inside.native, message)
                positions = self._wrap(native, "int64", positions.shape, self._placeholders(positions, inside))
        native = self.native_take(t.native, positions.native, axis)
        shape = t.shape[:axis] + idx.shape + t.shape[axis + 1 :]
        return self._wrap(native, t.dtype, shape, self._placeholders(t, positions))

    def _sorting_operand(self, x: Operand, op: str, axis: int | None) -> tuple[Tensor, int]:
        t = self._tensor(x, f"{op} argument")
        if axis is None:
            t = self.reshape(t, (-1,))
            return t, 0
        if t.ndim == 0:
            raise ValueError(f"ktensor: {op} needs a tensor of at least 1 dimension (or axis=None); received {t!r}")
        # np.sort takes axis=True (operator.index), np.argsort refuses it
        return t, shapes.normalize_axis(axis, t.ndim, f"{op} axis", bools=op == "sort")

    # --------------------------------------------------------------- operations
    @operation(
        reference=_gather_reference,
        kit=(
            KitCase(args=([0, 2, 1],), dtypes=("bool", "int8", "uint32", "float16", "float64"), shapes=((3, 2),)),
            KitCase(args=([[-1, 0], [1, -3]],), dtypes=("int64", "float32"), shapes=((3, 2, 2),), grad=True),
            KitCase(args=(-2,), dtypes=("int32", "float32"), shapes=((3, 2),)),
            KitCase(dtypes=(("float32", "int64"), ("int8", "int32"), ("bool", "int8"), ("float64", "int16")),
                    shapes=((3, 2), (2, 3)), values=("any", "index")),
            KitCase(dtypes=(("float32", "uint8"), ("int64", "uint64")), shapes=((4, 2), (3,)),
                    values=("any", "small"), forms=("method",), label="t.gather(u) with unsigned u"),
        ),
    )
    def gather(self, reference: Operand, indices: Operand) -> Tensor:
        """The rows of ``reference`` (entries of axis 0) at ``indices``, an integer tensor of
        any shape: ``np.take(reference, indices, axis=0)``.

        The result's shape is ``indices.shape + reference.shape[1:]``. Negative indices
        count from the end, as in NumPy; one out of range is refused (at build time for
        constant indices of a known axis, else a ``kt.EngineError`` when run).
        Gradients flow to ``reference``.

        Examples:
            >>> kt.gather([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[2], [-3]]).eval()
            array([[[5., 6.]],
            <BLANKLINE>
                   [[1., 2.]]])
        """
        t = self._tensor(reference, "gather reference")
        if t.ndim == 0:
            raise ValueError(f"ktensor: gather: reference must have at least 1 dimension; received {t!r}")
        return self._gather_along(t, indices, 0, "gather", "indices")

    @operation(reference=np.take, kit=_take_kit())
    def take(self, x: Operand, indices: Operand, axis: int | None = None) -> Tensor:
        """The entries of ``x`` at ``indices`` along ``axis``, as ``np.take``; ``axis=None``
        takes from ``x`` flattened.

        The result's shape is ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``.
        Negative indices count from the end; one out of range is refused (at build time
        for constant indices of a known axis, else a ``kt.EngineError`` when run).

        Examples:
            >>> kt.take([[1, 2, 3], [4, 5, 6]], [0, -1], axis=1).eval()
            array([[1, 3],
                   [4, 6]])
            >>> kt.take([[1, 2, 3], [4, 5, 6]], 4).eval()
            array(5)
        """
        t = self._tensor(x, "take argument")
        if axis is None:
            return self._gather_along(self.reshape(t, (-1,)), indices, 0, "take", "indices")
        ax = shapes.normalize_axis(axis, t.ndim, "take axis")
        return self._gather_along(t, indices, ax, "take", "indices")

    @operation(
        reference=_one_hot_reference,
        kit=(
            KitCase(args=(3,), dtypes=("int8", "int32", "int64", "uint8"), shapes=((2, 3),), values="index"),
            KitCase(args=(5,), dtypes=("int16", "uint64"), shapes=((4,),), values="small"),
            KitCase(kwargs={"num_classes": 1}, dtypes=("int64",), shapes=((), ), values="small"),
        ),
    )
    def one_hot(self, indices: Operand, num_classes: int) -> Tensor:
        """A floatx tensor with a class axis of length ``num_classes`` appended: 1 at each
        index, 0 elsewhere.

        As in Keras (``tf.one_hot``), an index outside ``[0, num_classes)``, negative
        ones included, gives a row of zeros.

        Examples:
            >>> kt.one_hot([0, 2, -1], 3).eval()
            array([[1., 0., 0.],
                   [0., 0., 1.],
                   [0., 0., 0.]], dtype=float32)
        """
        idx = self._tensor(indices, "one_hot indices")
        if not dtypes.is_integer(idx.dtype):
            raise TypeError(f"ktensor: one_hot: indices must be integers; received dtype {idx.dtype}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
            raise ValueError(f"ktensor: one_hot: num_classes must be an int >= 0; received {num_classes!r}")
        classes = self.arange(int(num_classes), dtype="int64")
        return self.astype(self.equal(self.expand_dims(idx, -1), classes), config.floatx())

    @operation(
        dtype=dtypes.like_numpy(np.sort),
        reference=np.sort,
        primitives=("native_sort",),
        kit=_sort_kit("sort", grad=True),
    )
    def sort(self, x: Operand, axis: int | None = -1) -> Tensor:
        """``x`` sorted ascending along ``axis`` (``None``: flattened), NaN last, as ``np.sort``.

        Gradients flow to ``x``.

        Examples:
            >>> kt.sort([[3, 1, 2], [0, -1, 5]]).eval()
            array([[ 1,  2,  3],
                   [-1,  0,  5]])
        """
        t, ax = self._sorting_operand(x, "sort", axis)
        return self._wrap(self.native_sort(t.native, ax), t.dtype, t.shape, t.placeholders)

    @operation(
        dtype=dtypes.Fixed("int64"),
        reference=_argsort_reference,
        primitives=("native_argsort",),
        kit=_sort_kit("argsort", grad=False),
    )
    def argsort(self, x: Operand, axis: int | None = -1) -> Tensor:
        """int64 indices that sort ``x`` ascending along ``axis`` (``None``: flattened).

        The sort is stable (equal values keep their order, as
        ``np.argsort(kind="stable")``) and puts NaN last.

        Examples:
            >>> kt.argsort([3, 1, 2, 1]).eval()
            array([1, 3, 2, 0])
        """
        t, ax = self._sorting_operand(x, "argsort", axis)
        native = self.native_argsort(t.native, ax)
        return self._wrap(self._cast_native(native, self.native_dtype(native), "int64"), "int64", t.shape,
                          t.placeholders)

    @operation(primitives=("native_top_k",), kit_exempt="returns a pair: checked in tests/test_ops_gathering.py")
    def top_k(self, x: Operand, k: int) -> tuple[Tensor, Tensor]:
        """The ``k`` largest entries along the last axis, largest first, and their int64
        indices: ``(values, indices)``.

        Among equal values the lower index comes first; NaN counts as the largest value
        (NumPy's sort order). Gradients flow to ``x`` through ``values``. A ``k`` larger
        than a known last axis is refused when built; than an unknown one, when run.

        Examples:
            >>> values, indices = kt.top_k([[1.0, 3.0, 2.0], [5.0, 4.0, 6.0]], 2)
            >>> values.eval()
            array([[3., 2.],
                   [6., 5.]])
            >>> indices.eval()
            array([[1, 2],
                   [2, 0]])
        """
        t = self._tensor(x, "top_k argument")
        if t.ndim == 0:
            raise ValueError(f"ktensor: top_k needs a tensor of at least 1 dimension; received {t!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"ktensor: top_k: k must be an int >= 0; received {k!r}")
        k = int(k)
        last = t.shape[-1]
        if last is not None and k > last:
            raise ValueError(
                f"ktensor: top_k: k must be at most the size of the last axis, {last} "
                f"(shape {shapes.describe(t.shape)}); received k={k}"
            )
        native = t.native
        if last is None:
            enough = self.native_elementwise(
                "greater_equal", self.native_dim(native, t.ndim - 1), self.native_constant(np.asarray(k, "int64"))
            )
            native = self.native_assert(
                native, enough, f"ktensor: top_k: k={k} is larger than the last axis of the argument"
            )
        values, indices = self.native_top_k(native, k)
        shape = t.shape[:-1] + (k,)
        out_values = self._wrap(values, t.dtype, shape, t.placeholders)
        out_indices = self._wrap(self._cast_native(indices, self.native_dtype(indices), "int64"), "int64", shape,
                                 t.placeholders)
        return out_values, out_indices

    @operation(
        dtype=dtypes.Fixed("bool"),
        reference=_in_top_k_reference,
        primitives=("native_cumulative",),
        kit=(
            KitCase(args=(2,), dtypes=(("float32", "int64"), ("float64", "int32"), ("int8", "uint8")),
                    shapes=((4, 5), (4,)), values=("any", "small")),
            KitCase(args=(1,), dtypes=(("float32", "int64"), ("float64", "int8")),
                    shapes=((6, 3), (6,)), values=("halves", "index")),
            KitCase(kwargs={"k": 3}, dtypes=(("float32", "int32"),), shapes=((3, 3), (3,)),
                    values=("any", "small"), forms=("function",)),
        ),
    )
    def in_top_k(self, predictions: Operand, targets: Operand, k: int) -> Tensor:
        """Whether each target class is among the ``k`` top-scoring ones (bool, shape ``(batch,)``).

        ``predictions`` has shape ``(batch, classes)``, ``targets`` integer classes of shape
        ``(batch,)``. True where fewer than ``k`` classes score strictly higher than the
        target, so ties count in; ``k`` >= classes makes every valid row True. As Keras
        (``tf.nn.in_top_k``): a target outside ``[0, classes)`` and a row with a
        non-finite score give False.

        Examples:
            >>> kt.in_top_k([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], [2, 0], 1).eval()
            array([False, False])
            >>> kt.in_top_k([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], [2, 0], 2).eval()
            array([ True,  True])
        """
        p = self._tensor(predictions, "in_top_k predictions")
        tg = self._tensor(targets, "in_top_k targets")
        if p.ndim != 2 or p.dtype == "bool":
            raise ValueError(
                f"ktensor: in_top_k: predictions must be numeric of shape (batch, classes); "
                f"received {p.dtype} of shape {shapes.describe(p.shape)}"
            )
        if tg.ndim != 1 or not dtypes.is_integer(tg.dtype):
            raise ValueError(
                f"ktensor: in_top_k: targets must be integers of shape (batch,); "
                f"received {tg.dtype} of shape {shapes.describe(tg.shape)}"
            )
        shapes.broadcast(p.shape[:1], tg.shape, operation="in_top_k (batch sizes of predictions and targets)")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"ktensor: in_top_k: k must be an int; received {k!r}")
        classes_dim = p.shape[1]
        if classes_dim is not None:
            classes: Tensor = self.arange(classes_dim, dtype="int64")
        else:  # the class positions 0, 1, ... counted at run time
            ones = self.native_full_like(p.native, np.ones((), "int64"))
            counted = self._wrap(self.native_cumulative("sum", ones, 1), "int64", p.shape, p.placeholders)
            classes = self.subtract(counted, 1)
        is_target = self.equal(self.expand_dims(tg, -1), classes)
        valid = self.any(is_target, axis=-1)
        score = self.sum(self.where(is_target, p, 0), axis=-1, keepdims=True)
        higher = self.sum(self.astype(self.greater(p, score), "int64"), axis=-1)
        result = self.bitwise_and(valid, self.less(higher, int(k)))
        if dtypes.is_float(p.dtype):
            finite = self.all(self.equal(self.subtract(p, p), 0), axis=-1)
            result = self.bitwise_and(result, finite)
        return result
