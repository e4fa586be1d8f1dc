"""Linear algebra: ``matmul`` (``@``), ``dot``, contractions (``batch_dot tensordot einsum
outer trace diag``) and the ``np.linalg`` functions (``inv det solve cholesky norm svd qr
eigh``), in NumPy's result dtypes.

Contractions are compositions through ``self`` (``transpose``, ``reshape``, ``matmul``,
``multiply``, ``sum``); the decompositions run the engine's ``native_linalg``, batched over
the leading axes. As ``np.linalg``, integer operands give float64, float32 stays float32
and float16 is refused.

Examples:
    >>> kt.dot([1, 2], [3, 4]).eval()
    array(11)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core, Native
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Axis, Operand, Tensor

# ---------------------------------------------------------------------------
# NumPy references and dtype samples (the kit compares with these).
# ---------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _on_matrices(fn: Callable[..., Any], name: str, first: bool = False) -> Callable[..., Any]:
    """``fn`` run on 1x1 matrices: the dtype sample of a linalg function (its samples are 1-D)."""

    def sample(*xs: Any) -> Any:
        out = fn(*(np.reshape(np.asarray(x), (1, 1)) for x in xs))
        return out[0] if first else out

    sample.__name__ = name
    return sample


def _einsum_sample(*xs: Any) -> Any:
    return np.einsum(",".join("i" for _ in xs) + "->i", *xs)


def _tensordot_sample(a: Any, b: Any) -> Any:
    return np.tensordot(a, b, axes=1)


def _keras_axes(x_ndim: int, y_ndim: int, axes: Any) -> tuple[int, int]:
    """Keras 2's ``batch_dot`` axes: None gives ``(x.ndim - 1, y.ndim - 2)`` (``y.ndim - 1`` for 2-D ``y``)."""
    if axes is None:
        pair: Sequence[Any] = (x_ndim - 1, y_ndim - 2 if y_ndim > 2 else y_ndim - 1)
    elif isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        pair = (int(axes), int(axes))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        pair = tuple(axes)
    else:
        raise TypeError(f"ktensor: batch_dot: axes must be None, an int or a pair of ints; received {axes!r}")
    ax = shapes.normalize_axis(pair[0], x_ndim, "batch_dot axes[0]")
    ay = shapes.normalize_axis(pair[1], y_ndim, "batch_dot axes[1]")
    if ax == 0 or ay == 0:
        raise ValueError(
            f"ktensor: batch_dot: axes {axes!r} contract the batch axis 0; "
            f"expected axes of the per-sample dimensions (>= 1)"
        )
    return ax, ay


def _batch_dot_subscripts(x_ndim: int, y_ndim: int, ax: int, ay: int) -> str:
    x_labels = _LETTERS[:x_ndim]
    y_labels = ["a"] + list(_LETTERS[x_ndim : x_ndim + y_ndim - 1])
    y_labels[ay] = x_labels[ax]
    out = "a" + "".join(c for i, c in enumerate(x_labels) if i not in (0, ax))
    out += "".join(c for i, c in enumerate(y_labels) if i not in (0, ay))
    return f"{x_labels},{''.join(y_labels)}->{out}"


def batch_dot_reference(x: np.ndarray, y: np.ndarray, axes: Any = None) -> np.ndarray:
    """Keras 2's ``batch_dot`` in NumPy (``np.einsum``); a rank-1 result becomes ``(batch, 1)``."""
    ax, ay = _keras_axes(x.ndim, y.ndim, axes)
    out = np.einsum(_batch_dot_subscripts(x.ndim, y.ndim, ax, ay), x, y)
    return out[:, None] if out.ndim == 1 else out


def _diag_reference(x: np.ndarray) -> np.ndarray:
    return np.diag(x)


def _svd_values(x: np.ndarray) -> np.ndarray:
    return np.linalg.svd(x, compute_uv=False)


def _eigh_values(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(x)


# ---------------------------------------------------------------------------
# einsum subscripts
# ---------------------------------------------------------------------------
def _parse_einsum(subscripts: str, ndims: Sequence[int]) -> tuple[list[list[str]], list[str]]:
    """Each operand's labels (ellipsis dims as ``"...k"``, k counted from the right) and the output's."""
    if not isinstance(subscripts, str):
        raise TypeError(f"ktensor: einsum: subscripts must be a string; received {subscripts!r}")
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"ktensor: einsum: subscripts {subscripts!r} have more than one '->'")
    inputs_text, arrow, output_text = text.partition("->")
    terms = inputs_text.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"ktensor: einsum: subscripts {subscripts!r} name {len(terms)} operands; received {len(ndims)} operands"
        )

    def letters(term: str, where: str) -> list[str]:
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad or term.count("...") > 1:
            raise ValueError(
                f"ktensor: einsum: subscripts {subscripts!r}: {where} {term!r} may hold only letters "
                f"and one '...'"
            )
        return list(term)

    inputs: list[list[str]] = []
    ellipsis_width = 0
    for i, (term, ndim) in enumerate(zip(terms, ndims)):
        head, dots, tail = term.partition("...")
        named = letters(head, f"operand {i}") + letters(tail, f"operand {i}")
        if (not dots and len(named) != ndim) or (dots and len(named) > ndim):
            raise ValueError(
                f"ktensor: einsum: subscripts {term!r} of operand {i} name {len(named)} dimensions, "
                f"but operand {i} has {ndim} dimensions"
            )
        width = ndim - len(named) if dots else 0
        ellipsis_width = max(ellipsis_width, width)
        inputs.append(list(head) + [f"...{k}" for k in range(width - 1, -1, -1)] + list(tail))
    broadcast = [f"...{k}" for k in range(ellipsis_width - 1, -1, -1)]
    if arrow:
        head, dots, tail = output_text.partition("...")
        named = letters(head, "the output") + letters(tail, "the output")
        seen = {label for labels in inputs for label in labels}
        for c in named:
            if c not in seen:
                raise ValueError(f"ktensor: einsum: output label {c!r} of {subscripts!r} is in no operand")
        if len(set(named)) != len(named):
            raise ValueError(f"ktensor: einsum: the output of {subscripts!r} repeats a label")
        if broadcast and not dots:
            raise ValueError(
                f"ktensor: einsum: subscripts {subscripts!r}: the operands' '...' covers {ellipsis_width} "
                f"dimensions, but the output has no '...'"
            )
        output = list(head) + (broadcast if dots else []) + list(tail)
    else:
        counts: dict[str, int] = {}
        for labels in inputs:
            for label in labels:
                if not label.startswith("..."):
                    counts[label] = counts.get(label, 0) + 1
        output = broadcast + sorted(c for c, n in counts.items() if n == 1)
    return inputs, output


def _square(op: str, t: Tensor) -> None:
    if t.ndim < 2:
        raise ValueError(
            f"ktensor: {op} needs a matrix (at least 2 dimensions, batched over the leading ones); "
            f"received shape {shapes.describe(t.shape)}"
        )
    n, m = t.shape[-2], t.shape[-1]
    if n is not None and m is not None and n != m:
        raise ValueError(
            f"ktensor: {op} needs square matrices in the last two dimensions; received shape "
            f"{shapes.describe(t.shape)} ({n} != {m})"
        )


def _min_dim(n: int | None, m: int | None) -> int | None:
    return None if n is None or m is None else min(n, m)


_VECTOR_ORDS = "None, 2, 1, inf, -inf, 0 or another number"
_MATRIX_ORDS = "None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf"

_SQUARE = ((2, 3, 3),)
_FLOATS_AND_INT = ("int32", "float32", "float64")


def _named(op: str, *cases: KitCase) -> tuple[KitCase, ...]:
    """``cases`` one form each, labelled with their operand shapes (so cases that differ
    only in shapes keep distinct names)."""
    out: list[KitCase] = []
    for case in cases:
        tensors = list("tuvw"[: len(case.shapes)])
        extra = [repr(a) for a in case.args] + [f"{k}={v!r}" for k, v in case.kwargs.items()]
        on = " on " + " and ".join(shapes.describe(s) for s in case.shapes)
        for form in case.forms:
            if form == "method":
                label = f"{tensors[0]}.{op}({', '.join(tensors[1:] + extra)}){on}"
            else:
                label = f"kt.{op}({', '.join(tensors + extra)}){on}"
            out.append(attrs.evolve(case, forms=(form,), label=label))
    return tuple(out)


class LinalgOps(Core):
    """Matrix products, contractions and the ``np.linalg`` functions."""

    @operation(dtype=dtypes.like_numpy(np.matmul), covered_by_tables=True)
    def matmul(self, x: Operand, y: Operand) -> Tensor:
        """``np.matmul``: 1-D operands are promoted and the added axis removed.

        Examples:
            >>> kt.matmul([[1, 2]], [[3], [4]]).eval()
            array([[11]])
        """
        a, b = self._tensor(x, "matmul operand 1"), self._tensor(y, "matmul operand 2")
        shape = shapes.matmul(a.shape, b.shape)
        out, work, na, nb = self._product_operands(a, b)
        if a.ndim == 1:
            na = self.native_reshape(na, (1, -1))
        if b.ndim == 1:
            nb = self.native_reshape(nb, (-1, 1))
        native = self._kernel("matmul", [na, nb], work, out, self.native_matmul)
        if a.ndim == 1 or b.ndim == 1:
            native = self.native_reshape(native, tuple(-1 if d is None else d for d in shape))
        native = self._aligned("matmul", native, a, b, -1, -2 if b.ndim >= 2 else -1)
        return self._wrap(native, out, shape, self._placeholders(a, b))

    def _aligned(self, op: str, result: Native, a: Tensor, b: Tensor, axis_a: int, axis_b: int) -> Native:
        """``result``, computed only after checking at run time that the contracted sizes
        agree where one is unknown when built (an engine's 1-D product broadcast a size 1
        against any other, where NumPy refuses)."""
        da, db = a.shape[axis_a], b.shape[axis_b]
        if da is not None and db is not None:
            return result
        same = self.native_elementwise(
            "equal", self.native_dim(a.native, axis_a % a.ndim), self.native_dim(b.native, axis_b % b.ndim)
        )
        return self.native_assert(
            result, same, f"ktensor: {op}: the contracted dimensions (axis {axis_a} of operand 1, axis {axis_b} "
            "of operand 2) differ at run time"
        )

    @operation(covered_by_tables=True)
    def dot(self, x: Operand, y: Operand) -> Tensor:
        """``np.dot``: multiply for scalars, matmul up to 2-D, else a contraction of
        the last axis of ``x`` with the second-to-last of ``y``.

        Examples:
            >>> kt.dot([1, 2], [3, 4]).eval()
            array(11)
        """
        a, b = self._tensor(x, "dot operand 1"), self._tensor(y, "dot operand 2")
        if a.ndim == 0 or b.ndim == 0:
            return self.multiply(a, b)
        if a.ndim <= 2 and b.ndim <= 2:
            return self.matmul(a, b)
        axis_b = -2 if b.ndim >= 2 else -1
        shape = shapes.tensordot_check(a.shape, b.shape, -1, axis_b)
        out, work, na, nb = self._product_operands(a, b)
        native = self._kernel(
            "matmul", [na, nb], work, out,
            lambda p, q: self.native_tensordot(p, q, a.ndim - 1, b.ndim + axis_b),
        )
        native = self._aligned("dot", native, a, b, -1, axis_b)
        return self._wrap(native, out, shape, self._placeholders(a, b))

    # -- helpers ---------------------------------------------------------------------
    def _eye_mask(self, t: Tensor, p: int, q: int) -> Tensor:
        """A bool tensor broadcastable to ``t``: True where the indices of axes ``p`` and ``q`` agree."""
        n, m = t.shape[p], t.shape[q]
        if n is not None and m is not None:
            shape = [1] * t.ndim
            shape[p], shape[q] = n, m
            eye = np.eye(n, m, dtype=bool)
            return self._constant_tensor(eye.reshape(shape) if p < q else eye.T.reshape(shape))
        ones = self.native_full_like(t.native, np.ones((), "int64"))
        rows = self.native_cumulative("sum", ones, p)
        cols = self.native_cumulative("sum", ones, q)
        return self._wrap(self.native_elementwise("equal", rows, cols), "bool", t.shape, t.placeholders)

    def _linalg_operand(self, op: str, x: Operand, *others: Tensor) -> tuple[Tensor, str]:
        """``x`` as a tensor cast to ``op``'s NumPy result dtype (float64 for ints, float16 refused)."""
        t = self._tensor(x, f"{op} argument")
        out = dtypes.result_dtype(op, t.dtype, *(o.dtype for o in others))
        return self.astype(t, out), out

    def _contract_pair(self, a: Tensor, la: list[str], b: Tensor, lb: list[str], keep: set[str]) -> tuple[Tensor, list[str]]:
        """Contract ``a`` and ``b`` over their shared labels not in ``keep``; a matmul when sizes are known."""
        a, la = self._sum_labels(a, la, keep | set(lb))
        b, lb = self._sum_labels(b, lb, keep | set(la))
        batch = [c for c in la if c in lb and c in keep]
        contracted = [c for c in la if c in lb and c not in keep]
        free_a = [c for c in la if c not in lb]
        free_b = [c for c in lb if c not in la]
        size_a = dict(zip(la, a.shape))
        size_b = dict(zip(lb, b.shape))
        known = None not in a.shape and None not in b.shape
        if known and all(size_a[c] == size_b[c] for c in batch + contracted) and contracted:
            def prod(labels: list[str], sizes: dict[str, int | None]) -> int:
                return int(math.prod(int(sizes[c] or 0) for c in labels))

            pa = self.transpose(a, [la.index(c) for c in batch + free_a + contracted])
            pb = self.transpose(b, [lb.index(c) for c in batch + contracted + free_b])
            pa = self.reshape(pa, (prod(batch, size_a), prod(free_a, size_a), prod(contracted, size_a)))
            pb = self.reshape(pb, (prod(batch, size_b), prod(contracted, size_b), prod(free_b, size_b)))
            product = self.matmul(pa, pb)
            dims = [size_a[c] for c in batch + free_a] + [size_b[c] for c in free_b]
            return self.reshape(product, tuple(int(d or 0) for d in dims)), batch + free_a + free_b
        order = batch + free_a + free_b + contracted
        xa = self._arrange(a, la, order)
        xb = self._arrange(b, lb, order)
        product = self.multiply(xa, xb)
        if contracted:
            axes = tuple(range(len(order) - len(contracted), len(order)))
            product = self.astype(self.sum(product, axis=axes), a.dtype)
        return product, batch + free_a + free_b

    def _arrange(self, t: Tensor, labels: list[str], order: list[str]) -> Tensor:
        """``t`` transposed to ``order``'s label order, size-1 axes where it lacks a label."""
        present = [c for c in order if c in labels]
        t = self.transpose(t, [labels.index(c) for c in present])
        key = tuple(slice(None) if c in labels else None for c in order)
        return self.getitem(t, key) if None in key else t

    def _sum_labels(self, t: Tensor, labels: list[str], needed: set[str]) -> tuple[Tensor, list[str]]:
        """Take diagonals of repeated labels and sum the labels nobody else needs."""
        labels = list(labels)
        while len(set(labels)) != len(labels):
            c = next(c for i, c in enumerate(labels) if c in labels[:i])
            p = labels.index(c)
            q = labels.index(c, p + 1)
            dp, dq = t.shape[p], t.shape[q]
            if dp is not None and dq is not None and dp != dq:
                raise ValueError(
                    f"ktensor: einsum: label {c!r} is repeated in an operand of shape "
                    f"{shapes.describe(t.shape)} over dimensions of sizes {dp} and {dq}"
                )
            masked = self.where(self._eye_mask(t, p, q), t, self.zeros_like(t))
            t = self.astype(self.sum(masked, axis=q), t.dtype)
            del labels[q]
        unused = tuple(i for i, c in enumerate(labels) if c not in needed)
        if unused:
            t = self.astype(self.sum(t, axis=unused), t.dtype)
            labels = [c for i, c in enumerate(labels) if i not in unused]
        return t, labels

    # -- products and contractions -------------------------------------------------------
    @operation(
        dtype=dtypes.like_numpy(np.matmul),
        reference=batch_dot_reference,
        kit=_named(
            "batch_dot",
            KitCase(shapes=((2, 3), (2, 3)), dtypes=("bool", "int8", "int32", "float32", "float64"), grad=True),
            KitCase(shapes=((2, 3, 4), (2, 4, 5)), dtypes=("int32", "float32", "float64"), grad=True),
            KitCase(args=((2, 2),), shapes=((2, 3, 4), (2, 5, 4)), dtypes=("int8", "float32", "float64"), grad=True),
            KitCase(kwargs={"axes": (1, 1)}, shapes=((2, 3), (2, 3, 4)), dtypes=("uint8", "float32", "float64"),
                    grad=True),
            KitCase(kwargs={"axes": 1}, shapes=((2, 3, 4), (2, 3)), dtypes=("int32", "float64")),
            KitCase(kwargs={"axes": (-1, 1)}, shapes=((2, 3, 4), (2, 4, 2, 3)), dtypes=("float32", "float64"),
                    grad=True),
        ),
    )
    def batch_dot(self, x: Operand, y: Operand, axes: int | Sequence[int] | None = None) -> Tensor:
        """Keras 2's batch-wise dot product: per sample (axis 0), contract ``x``'s axis
        ``axes[0]`` with ``y``'s axis ``axes[1]``.

        ``axes`` is an int (the same axis of both) or a pair; None means
        ``(x.ndim - 1, y.ndim - 2)`` (``y.ndim - 1`` when ``y`` is 2-D). The result has
        the batch axis, then ``x``'s remaining axes, then ``y``'s; a rank-1 result becomes
        ``(batch, 1)``. Dtypes as ``np.matmul`` (NumPy's ``einsum``).

        Examples:
            >>> kt.batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]]).eval()
            array([[17],
                   [53]])
            >>> kt.batch_dot(kt.ones((2, 3, 4)), kt.ones((2, 4, 5))).shape
            (2, 3, 5)
        """
        a, b = self._tensor(x, "batch_dot x"), self._tensor(y, "batch_dot y")
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(
                f"ktensor: batch_dot needs x and y of at least 2 dimensions (batch first); "
                f"received shapes {shapes.describe(a.shape)} and {shapes.describe(b.shape)}"
            )
        ax, ay = _keras_axes(a.ndim, b.ndim, axes)
        for (da, db, what) in ((a.shape[0], b.shape[0], "batch sizes"), (a.shape[ax], b.shape[ay], "contracted sizes")):
            if da is not None and db is not None and da != db:
                raise ValueError(
                    f"ktensor: batch_dot: shapes {shapes.describe(a.shape)} and {shapes.describe(b.shape)} "
                    f"with axes ({ax}, {ay}) differ in their {what} ({da} != {db})"
                )
        out = self.einsum(_batch_dot_subscripts(a.ndim, b.ndim, ax, ay), a, b)
        return self.expand_dims(out, 1) if out.ndim == 1 else out

    @operation(
        dtype=dtypes.like_numpy(_tensordot_sample),
        reference=np.tensordot,
        kit=_named(
            "tensordot",
            KitCase(shapes=((2, 3, 4), (3, 4, 2)), dtypes=("bool", "int8", "int32", "float32", "float64"), grad=True),
            KitCase(args=(1,), shapes=((2, 3), (3, 4)), dtypes=("uint8", "float16", "float64"), grad=True),
            KitCase(kwargs={"axes": ([0, 2], [2, 0])}, shapes=((2, 3, 4), (4, 5, 2)),
                    dtypes=("int32", "float32", "float64"), grad=True),
            KitCase(kwargs={"axes": 0}, shapes=((2,), (3,)), dtypes=("int8", "float64"), grad=True),
            KitCase(kwargs={"axes": (1, 0)}, shapes=((2, 3), (3,)), dtypes=("float32",)),
        ),
    )
    def tensordot(self, a: Operand, b: Operand, axes: int | Sequence[Any] = 2) -> Tensor:
        """``np.tensordot``: sum the products over ``a``'s axes ``axes[0]`` and ``b``'s ``axes[1]``.

        ``axes`` an int ``N`` contracts ``a``'s last ``N`` axes with ``b``'s first ``N``.
        The result has ``a``'s remaining axes, then ``b``'s. Dtypes as ``np.tensordot``.

        Examples:
            >>> kt.tensordot([[1, 2], [3, 4]], [[1, 0], [0, 1]]).eval()
            array(5)
            >>> kt.tensordot(kt.ones((2, 3, 4)), kt.ones((4, 5)), axes=1).shape
            (2, 3, 5)
        """
        ta, tb = self._tensor(a, "tensordot a"), self._tensor(b, "tensordot b")
        if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
            n = int(axes)
            if n < 0 or n > ta.ndim or n > tb.ndim:
                raise ValueError(
                    f"ktensor: tensordot: axes={n} needs 0 <= axes <= the number of dimensions of both "
                    f"operands; received shapes {shapes.describe(ta.shape)} and {shapes.describe(tb.shape)}"
                )
            axes_a: list[int] = list(range(ta.ndim - n, ta.ndim))
            axes_b: list[int] = list(range(n))
        elif isinstance(axes, (tuple, list)) and len(axes) == 2:
            raw_a, raw_b = ([ax] if isinstance(ax, (int, np.integer)) else list(ax) for ax in axes)
            if len(raw_a) != len(raw_b):
                raise ValueError(
                    f"ktensor: tensordot: axes {axes!r} name {len(raw_a)} axes of a and {len(raw_b)} of b"
                )
            axes_a = [shapes.normalize_axis(int(v), ta.ndim, "tensordot axes[0]") for v in raw_a]
            axes_b = [shapes.normalize_axis(int(v), tb.ndim, "tensordot axes[1]") for v in raw_b]
            if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
                raise ValueError(f"ktensor: tensordot: axes {axes!r} repeat an axis")
        else:
            raise TypeError(
                f"ktensor: tensordot: axes must be an int or a pair of axis sequences; received {axes!r}"
            )
        for i, j in zip(axes_a, axes_b):
            da, db = ta.shape[i], tb.shape[j]
            if da is not None and db is not None and da != db:
                raise ValueError(
                    f"ktensor: tensordot: shapes {shapes.describe(ta.shape)} and {shapes.describe(tb.shape)} "
                    f"are not aligned: axis {i} of a has size {da}, axis {j} of b has size {db}"
                )
        la = _LETTERS[: ta.ndim]
        lb = list(_LETTERS[ta.ndim : ta.ndim + tb.ndim])
        for i, j in zip(axes_a, axes_b):
            lb[j] = la[i]
        out = "".join(c for i, c in enumerate(la) if i not in axes_a)
        out += "".join(c for j, c in enumerate(lb) if j not in axes_b)
        return self.einsum(f"{la},{''.join(lb)}->{out}", ta, tb)

    @operation(
        method=False,
        dtype=dtypes.like_numpy(_einsum_sample),
        reference=np.einsum,
        kit=(
            KitCase(leading=("ij->ji",), dtypes=("int8", "float32")),
            KitCase(leading=("ij,jk->ik",), shapes=((2, 3), (3, 4)), dtypes=("int32", "float32", "float64"), grad=True),
            KitCase(leading=("...j,j->...",), shapes=((2, 3), (3,)), dtypes=(("float32", "float64"), "int64"), grad=True),
            KitCase(leading=("bij,bjk->bik",), shapes=((2, 2, 3), (2, 3, 2)), dtypes=("float32", "float64"), grad=True),
        ),
    )
    def einsum(self, subscripts: str, *operands: Operand) -> Tensor:
        """``np.einsum``: Einstein summation over NumPy subscripts, ``...`` and the implicit
        output (the labels seen once, sorted) included; repeated labels take diagonals.

        Two operands of known shapes contract through one batched ``matmul``; otherwise
        through broadcast ``multiply`` and ``sum``. Dtypes as ``np.einsum`` (the operands'
        common dtype: ``int8`` stays ``int8``).

        Examples:
            >>> kt.einsum("ij,jk->ik", [[1, 2]], [[3], [4]]).eval()
            array([[11]])
            >>> kt.einsum("ii", [[1, 2], [3, 4]]).eval()
            array(5)
        """
        if not operands:
            raise ValueError("ktensor: einsum needs at least one operand after the subscripts")
        tensors = [self._tensor(v, f"einsum operand {i}") for i, v in enumerate(operands)]
        inputs, output = _parse_einsum(subscripts, [t.ndim for t in tensors])
        sizes: dict[str, tuple[int, int]] = {}
        for i, (t, labels) in enumerate(zip(tensors, inputs)):
            for label, d in zip(labels, t.shape):
                if d is None:
                    continue
                if label in sizes and sizes[label][0] not in (1, d) and d != 1:
                    j = sizes[label][1]
                    raise ValueError(
                        f"ktensor: einsum: subscripts {subscripts!r}: label {label.lstrip('.')!r} has size "
                        f"{sizes[label][0]} in operand {j} (shape {shapes.describe(tensors[j].shape)}) and {d} "
                        f"in operand {i} (shape {shapes.describe(t.shape)})"
                    )
                if label not in sizes or sizes[label][0] == 1:
                    sizes[label] = (d, i)
        out = dtypes.result_dtype("einsum", *(t.dtype for t in tensors))
        work = dtypes.product_work_dtype(out)
        current = [self.astype(t, work) for t in tensors]
        keep = set(output)
        result, labels = current[0], inputs[0]
        if len(current) == 1:
            result, labels = self._sum_labels(result, labels, keep)
        for k in range(1, len(current)):
            later = {c for ls in inputs[k + 1 :] for c in ls}
            result, labels = self._contract_pair(result, labels, current[k], inputs[k], keep | later)
        result, labels = self._sum_labels(result, labels, keep)
        result = self.transpose(result, [labels.index(c) for c in output])
        return self.astype(result, out)

    @operation(
        dtype=dtypes.like_numpy(np.outer),
        reference=np.outer,
        kit=_named(
            "outer",
            KitCase(shapes=((3,), (4,)), dtypes=("bool", "int8", "int32", "float32", "float64"), grad=True),
            KitCase(shapes=((2, 2), (3,)), dtypes=(("int8", "float32"), "float64"), grad=True),
            KitCase(args=(2,), shapes=((3,),), dtypes=("int8", "float32")),
            KitCase(args=([1.5, 2.0],), shapes=((2,),), dtypes=("int32", "float32")),
        ),
    )
    def outer(self, a: Operand, b: Operand) -> Tensor:
        """``np.outer``: ``a.ravel()[:, None] * b.ravel()[None, :]`` (operands flattened).

        Examples:
            >>> kt.outer([1, 2], [3, 4, 5]).eval()
            array([[ 3,  4,  5],
                   [ 6,  8, 10]])
        """
        ta, tb = self._tensor(a, "outer a"), self._tensor(b, "outer b")
        return self.multiply(self.reshape(ta, (-1, 1)), self.reshape(tb, (1, -1)))

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.trace, "trace")),
        reference=np.trace,
        kit=_named(
            "trace",
            KitCase(shapes=((3, 3),), dtypes=("bool", "int8", "uint8", "float16", "float32", "float64"), grad=True),
            KitCase(shapes=((2, 4, 3),), dtypes=("int32", "float64"), grad=True),
        ),
    )
    def trace(self, x: Operand) -> Tensor:
        """``np.trace``: the sum of the diagonal of axes 0 and 1 (offset 0); dtypes as ``np.trace``
        (``np.sum``'s: int8 gives int64).

        Examples:
            >>> kt.trace([[1, 2], [3, 4]]).eval()
            array(5)
        """
        t = self._tensor(x, "trace argument")
        if t.ndim < 2:
            raise ValueError(
                f"ktensor: trace needs at least 2 dimensions; received shape {shapes.describe(t.shape)}"
            )
        masked = self.where(self._eye_mask(t, 0, 1), t, self.zeros_like(t))
        return self.astype(self.sum(masked, axis=(0, 1)), dtypes.result_dtype("trace", t.dtype))

    @operation(
        dtype=dtypes.like_numpy(np.diag),
        reference=_diag_reference,
        kit=_named(
            "diag",
            KitCase(shapes=((3,),), dtypes=("bool", "int8", "float16", "float32", "float64"), grad=True),
            KitCase(shapes=((3, 3),), dtypes=("bool", "uint16", "float32", "float64"), grad=True),
            KitCase(shapes=((2, 4),), dtypes=("int64", "float64"), grad=True),
            KitCase(shapes=((4, 3),), dtypes=("float32",)),
        ),
    )
    def diag(self, x: Operand) -> Tensor:
        """``np.diag``: a 1-D ``x`` becomes the square matrix with ``x`` on its diagonal; a 2-D
        ``x`` gives its diagonal (``min(n, m)`` entries; both sizes must be known). Dtype kept.

        Examples:
            >>> kt.diag([1, 2]).eval()
            array([[1, 0],
                   [0, 2]])
            >>> kt.diag([[1, 2], [3, 4]]).eval()
            array([1, 4])
        """
        t = self._tensor(x, "diag argument")
        if t.ndim == 1:
            row = self.expand_dims(t, 0)
            square = self.add(self.expand_dims(self.zeros_like(t), 1), row) if t.shape[0] is None else row
            if t.shape[0] is not None:
                zeros = self._constant_tensor(np.zeros((t.shape[0], t.shape[0]), t.dtype))
            else:
                zeros = self.zeros_like(square)
            return self.where(self._eye_mask(zeros, 0, 1), row, zeros)
        if t.ndim == 2:
            n, m = t.shape
            if n is None or m is None:
                raise ValueError(
                    f"ktensor: diag: the diagonal of a matrix needs both of its sizes known when the "
                    f"expression is built; received shape {shapes.describe(t.shape)}"
                )
            return self.getitem(self.flatten(t), np.arange(min(n, m)) * (m + 1))
        raise ValueError(f"ktensor: diag needs a 1-D or 2-D tensor; received shape {shapes.describe(t.shape)}")

    # -- np.linalg ------------------------------------------------------------------------
    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.inv, "inv")),
        reference=np.linalg.inv,
        primitives=("native_linalg",),
        kit=_named(
            "inv",
            KitCase(shapes=((3, 3),), dtypes=("int8", "int32", "float32", "float64"), grad=True),
            KitCase(shapes=_SQUARE, dtypes=_FLOATS_AND_INT, grad=True),
        ),
    )
    def inv(self, x: Operand) -> Tensor:
        """``np.linalg.inv``: the inverse of each matrix of the last two axes (float64 for
        integers, float32 kept, float16 refused as NumPy refuses it).

        Examples:
            >>> kt.inv([[2.0, 0.0], [0.0, 4.0]]).eval()
            array([[0.5 , 0.  ],
                   [0.  , 0.25]])
        """
        t, out = self._linalg_operand("inv", x)
        _square("inv", t)
        return self._wrap(self.native_linalg("inv", t.native), out, t.shape, t.placeholders)

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.det, "det")),
        reference=np.linalg.det,
        primitives=("native_linalg",),
        kit=_named(
            "det",
            KitCase(shapes=((3, 3),), dtypes=("bool", "int8", "float32", "float64"), grad=True),
            KitCase(shapes=_SQUARE, dtypes=_FLOATS_AND_INT, grad=True),
        ),
    )
    def det(self, x: Operand) -> Tensor:
        """``np.linalg.det``: the determinant of each matrix of the last two axes.

        Examples:
            >>> kt.det([[1.0, 2.0], [3.0, 4.0]]).eval()
            array(-2.)
        """
        t, out = self._linalg_operand("det", x)
        _square("det", t)
        return self._wrap(self.native_linalg("det", t.native), out, t.shape[:-2], t.placeholders)

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.solve, "solve")),
        reference=np.linalg.solve,
        primitives=("native_linalg",),
        kit=_named(
            "solve",
            KitCase(shapes=((3, 3), (3,)), dtypes=("int32", "float32", "float64"), grad=True),
            KitCase(shapes=((3, 3), (3, 2)), dtypes=(("float32", "int8"), "float32", "float64"), grad=True),
            KitCase(shapes=((2, 3, 3), (2, 3, 2)), dtypes=("float32", "float64"), grad=True),
            KitCase(shapes=((2, 3, 3), (3,)), dtypes=("float64",), grad=True),
        ),
    )
    def solve(self, a: Operand, b: Operand) -> Tensor:
        """``np.linalg.solve`` (NumPy 2): ``x`` with ``a @ x == b``; ``b`` is a vector
        ``(n,)`` only when 1-D, otherwise a stack of matrices ``(..., n, k)``; batch
        dimensions broadcast.

        Examples:
            >>> kt.solve([[2.0, 0.0], [0.0, 4.0]], [1.0, 1.0]).eval()
            array([0.5 , 0.25])
        """
        ta, tb = self._tensor(a, "solve a"), self._tensor(b, "solve b")
        out = dtypes.result_dtype("solve", ta.dtype, tb.dtype)
        _square("solve", ta)
        if tb.ndim == 0:
            raise ValueError("ktensor: solve: b must have at least 1 dimension; received a scalar")
        ta, tb = self.astype(ta, out), self.astype(tb, out)
        vector = tb.ndim == 1
        n, rows = ta.shape[-1], tb.shape[0 if vector else -2]
        if n is not None and rows is not None and n != rows:
            raise ValueError(
                f"ktensor: solve: a of shape {shapes.describe(ta.shape)} and b of shape "
                f"{shapes.describe(tb.shape)} do not match ({n} != {rows})"
            )
        if vector:
            tb = self.expand_dims(tb, 1)
        batch = shapes.broadcast(ta.shape[:-2], tb.shape[:-2], operation="solve")
        native = self.native_linalg("solve", ta.native, tb.native)
        result = self._wrap(native, out, batch + (ta.shape[-1], tb.shape[-1]), self._placeholders(ta, tb))
        return self.squeeze(result, axis=-1) if vector else result

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.cholesky, "cholesky")),
        reference=np.linalg.cholesky,
        primitives=("native_linalg",),
        # The kit's samples of these kinds, shapes and dtypes are positive definite
        # (tests/test_ops_linalg.py checks that every row is compared).
        kit=_named(
            "cholesky",
            KitCase(shapes=((2, 2),), values="positive", dtypes=("int8", "uint8", "int32", "float32"), grad=True),
            KitCase(shapes=((1, 3, 3),), values="unit", dtypes=("float64",)),
            KitCase(shapes=((1, 3, 3),), values="positive", dtypes=("int8",)),
            KitCase(shapes=((2, 2, 2),), values="unit", dtypes=("float32",)),
        ),
    )
    def cholesky(self, x: Operand) -> Tensor:
        """``np.linalg.cholesky``: the lower-triangular ``l`` with ``l @ l.T == x``, reading
        only the lower triangle of ``x``. Where ``x`` is not positive definite NumPy raises;
        PyTensor gives NaN and TensorFlow fails at run time.

        Examples:
            >>> kt.cholesky([[4.0, 2.0], [2.0, 2.0]]).eval()
            array([[2., 0.],
                   [1., 1.]])
        """
        t, out = self._linalg_operand("cholesky", x)
        _square("cholesky", t)
        return self._wrap(self.native_linalg("cholesky", t.native), out, t.shape, t.placeholders)

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.svd, "svd", first=True)),
        reference=np.linalg.svd,
        primitives=("native_linalg",),
        kit_exempt="tuple results: checked by sign-free properties in tests/test_ops_linalg.py",
    )
    def svd(self, x: Operand) -> tuple[Tensor, Tensor, Tensor]:
        """``np.linalg.svd(x, full_matrices=False)``: ``(u, s, vh)`` with ``x == u @ diag(s) @ vh``,
        ``s`` descending; batched over the leading axes. The signs of the singular vectors
        are the engine's (only sign-free quantities agree with NumPy).

        Examples:
            >>> u, s, vh = kt.svd([[3.0, 0.0], [0.0, -2.0]])
            >>> s.eval()
            array([3., 2.])
        """
        t, out = self._linalg_operand("svd", x)
        if t.ndim < 2:
            raise ValueError(f"ktensor: svd needs at least 2 dimensions; received shape {shapes.describe(t.shape)}")
        m, n = t.shape[-2], t.shape[-1]
        k = _min_dim(m, n)
        u, s, vh = self.native_linalg("svd", t.native)
        batch = t.shape[:-2]
        return (
            self._wrap(u, out, batch + (m, k), t.placeholders),
            self._wrap(s, out, batch + (k,), t.placeholders),
            self._wrap(vh, out, batch + (k, n), t.placeholders),
        )

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.qr, "qr", first=True)),
        reference=np.linalg.qr,
        primitives=("native_linalg",),
        kit_exempt="tuple results: checked by sign-free properties in tests/test_ops_linalg.py",
    )
    def qr(self, x: Operand) -> tuple[Tensor, Tensor]:
        """``np.linalg.qr`` (reduced): ``(q, r)`` with ``x == q @ r``, ``q`` orthonormal columns,
        ``r`` upper triangular; batched. Signs are the engine's.

        Examples:
            >>> q, r = kt.qr([[2.0, 0.0], [0.0, 3.0]])
            >>> kt.abs(r).eval()
            array([[2., 0.],
                   [0., 3.]])
        """
        t, out = self._linalg_operand("qr", x)
        if t.ndim < 2:
            raise ValueError(f"ktensor: qr needs at least 2 dimensions; received shape {shapes.describe(t.shape)}")
        m, n = t.shape[-2], t.shape[-1]
        k = _min_dim(m, n)
        q, r = self.native_linalg("qr", t.native)
        batch = t.shape[:-2]
        return (
            self._wrap(q, out, batch + (m, k), t.placeholders),
            self._wrap(r, out, batch + (k, n), t.placeholders),
        )

    @operation(
        dtype=dtypes.like_numpy(_on_matrices(np.linalg.eigh, "eigh", first=True)),
        reference=np.linalg.eigh,
        primitives=("native_linalg",),
        kit_exempt="tuple results: checked by sign-free properties in tests/test_ops_linalg.py",
    )
    def eigh(self, x: Operand) -> tuple[Tensor, Tensor]:
        """``np.linalg.eigh``: ``(w, v)`` of a symmetric matrix (its lower triangle read), ``w``
        ascending, ``x @ v == v * w``; batched. Signs of ``v`` are the engine's.

        Examples:
            >>> w, v = kt.eigh([[2.0, 1.0], [1.0, 2.0]])
            >>> w.eval()
            array([1., 3.])
        """
        t, out = self._linalg_operand("eigh", x)
        _square("eigh", t)
        w, v = self.native_linalg("eigh", t.native)
        return (
            self._wrap(w, out, t.shape[:-1], t.placeholders),
            self._wrap(v, out, t.shape, t.placeholders),
        )

    @operation(
        dtype=dtypes.like_numpy(np.linalg.norm),
        reference=np.linalg.norm,
        primitives=("native_linalg",),
        kit=_named(
            "norm",
            KitCase(shapes=((2, 3),), dtypes=("bool", "int8", "float16", "float32", "float64"), grad=True),
            KitCase(kwargs={"keepdims": True}, shapes=((2, 3, 2),), dtypes=("int32", "float32"), forms=("method",)),
            *(
                KitCase(kwargs={"ord": o, "axis": 1}, shapes=((2, 3),), dtypes=("int32", "float32", "float64"),
                        grad=o not in (0, -np.inf))
                for o in (None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1)
            ),
            KitCase(kwargs={"ord": 1}, shapes=((4,),), dtypes=("uint8", "float64"), forms=("method",)),
            KitCase(kwargs={"axis": 0, "keepdims": True}, shapes=((3, 2),), dtypes=("float16", "float64")),
            *(
                KitCase(kwargs={"ord": o, "axis": (1, 2)}, shapes=((2, 3, 4),), dtypes=("int32", "float32", "float64"),
                        grad=o not in (-2,))
                for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
            ),
            *(
                KitCase(kwargs={"ord": o, "axis": (2, 0), "keepdims": True}, shapes=((3, 2, 4),),
                        dtypes=("float64",), forms=("method",))
                for o in ("fro", 1, -np.inf, 2)
            ),
            KitCase(kwargs={"ord": "fro"}, shapes=((3, 4),), dtypes=("int8", "float16", "float64"), grad=True),
            KitCase(kwargs={"ord": np.inf}, shapes=((3, 4),), dtypes=("float32",)),
        ),
    )
    def norm(self, x: Operand, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """``np.linalg.norm``: a vector norm over one axis, a matrix norm over two.

        With ``axis`` None: ``ord`` None is the 2-norm of every element (any rank); another
        ``ord`` needs a 1-D (vector norm) or 2-D (matrix norm) ``x``. Vector ords: None or 2,
        1, inf, -inf, 0 (the count of nonzeros) and any other number ``p``
        (``sum(|x|**p) ** (1/p)``); matrix ords: None or ``'fro'``, ``'nuc'`` (the sum of the
        singular values), 1 and -1 (the largest / smallest column sum of ``|x|``), inf and
        -inf (row sums), 2 and -2 (the largest / smallest singular value). Dtypes as NumPy:
        integers give float64, floats are kept (float16 refused where singular values are needed).

        Examples:
            >>> kt.norm([3.0, 4.0]).eval()
            array(5.)
            >>> kt.norm([[1, -2], [3, 4]], ord=1).eval()
            array(6.)
        """
        t = self._tensor(x, "norm argument")
        out = dtypes.result_dtype("norm", t.dtype)
        t = self.astype(t, out)
        if axis is None:
            if ord is None:
                total = self.sqrt(self.sum(self.multiply(t, t), keepdims=keepdims))
                return self.astype(total, out)
            if t.ndim not in (1, 2):
                raise ValueError(
                    f"ktensor: norm: ord={ord!r} with axis=None needs a 1-D or 2-D tensor; received shape "
                    f"{shapes.describe(t.shape)}"
                )
            axes: tuple[int, ...] = tuple(range(t.ndim))
        else:
            listed = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
            if not isinstance(listed, (tuple, list)) or len(listed) not in (1, 2):
                raise ValueError(
                    f"ktensor: norm: axis must be None, an int or a pair of ints (a vector or matrix norm); "
                    f"received {axis!r}"
                )
            axes = tuple(shapes.normalize_axis(int(a), t.ndim, "norm axis") for a in listed)
            if len(set(axes)) != len(axes):
                raise ValueError(f"ktensor: norm: axis {axis!r} repeats an axis")
        if len(axes) == 1:
            return self._vector_norm(t, ord, axes[0], keepdims)
        return self._matrix_norm(t, ord, axes[0], axes[1], keepdims)

    def _vector_norm(self, t: Tensor, ord: Any, axis: int, keepdims: bool) -> Tensor:
        if isinstance(ord, (str, bool)) or not (ord is None or isinstance(ord, (int, float, np.number))):
            raise ValueError(f"ktensor: norm: ord={ord!r} is not a vector norm order; expected {_VECTOR_ORDS}")
        if ord is None or ord == 2:
            return self.sqrt(self.sum(self.multiply(t, t), axis=axis, keepdims=keepdims))
        if ord == np.inf:
            return self.max(self.abs(t), axis=axis, keepdims=keepdims)
        if ord == -np.inf:
            return self.min(self.abs(t), axis=axis, keepdims=keepdims)
        if ord == 0:
            return self.sum(self.astype(self.not_equal(t, 0), t.dtype), axis=axis, keepdims=keepdims)
        if ord == 1:
            return self.sum(self.abs(t), axis=axis, keepdims=keepdims)
        p = float(ord)
        total = self.sum(self.power(self.abs(t), p), axis=axis, keepdims=keepdims)
        return self.power(total, 1.0 / p)

    def _matrix_norm(self, t: Tensor, ord: Any, row: int, col: int, keepdims: bool) -> Tensor:
        valid = ord is None or (isinstance(ord, str) and ord in ("fro", "nuc")) or (
            not isinstance(ord, (str, bool)) and isinstance(ord, (int, float, np.number)) and ord in (1, -1, 2, -2, np.inf, -np.inf)
        )
        if not valid:
            raise ValueError(f"ktensor: norm: ord={ord!r} is not a matrix norm order; expected {_MATRIX_ORDS}")
        if ord is None or ord == "fro":
            return self.sqrt(self.sum(self.multiply(t, t), axis=(row, col), keepdims=keepdims))
        if ord in ("nuc", 2, -2):
            if t.dtype == "float16":
                raise TypeError(
                    f"ktensor: norm: ord={ord!r} needs singular values, which NumPy does not compute "
                    f"for float16 (it refuses it too); cast to float32 first"
                )
            rest = [a for a in range(t.ndim) if a not in (row, col)]
            s = self.svd(self.transpose(t, [*rest, row, col]))[1]
            if ord == "nuc":
                result = self.sum(s, axis=-1)
            elif ord == 2:
                result = self.max(s, axis=-1)
            else:
                result = self.min(s, axis=-1)
        elif ord in (1, -1):
            sums = self.sum(self.abs(t), axis=row)
            reduce = self.max if ord == 1 else self.min
            result = reduce(sums, axis=col - 1 if col > row else col)
        else:
            sums = self.sum(self.abs(t), axis=col)
            reduce = self.max if ord == np.inf else self.min
            result = reduce(sums, axis=row - 1 if row > col else row)
        if keepdims:
            for a in sorted((row, col)):
                result = self.expand_dims(result, a)
        return result
