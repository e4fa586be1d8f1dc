"""The kit's cross-operation tables: operators with every kind of operand, NumPy's
promotion table, weak scalars, shapes, indexing, products, joins, creation, extremes
and unknown shapes. Rows of single operations come from their declarations
(:mod:`ktensor.testing.declared`)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ktensor as kt
from ktensor.ops import references
from ktensor.testing.cases import (
    _NUMERIC,
    _OPERATOR_DTYPES,
    _SIGNED_AND_FLOAT,
    DTYPES,
    FLOATX,
    OpCase,
    _here,
    _left,
    _method,
    _module,
    _right,
    _row,
)

# (symbol, the operator, its NumPy reference, value kind). ``**``'s reference is the
# ufunc: ndarray.__pow__ swaps ``a ** 2`` for ``np.square``, whose bool loop gives
# int8 where ``np.power`` (and NEP 50) give int64.
_BINARY_OPERATORS: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any], str], ...] = (
    ("+", operator.add, operator.add, "any"),
    ("-", operator.sub, operator.sub, "any"),
    ("*", operator.mul, operator.mul, "any"),
    ("/", operator.truediv, operator.truediv, "any"),
    ("//", operator.floordiv, operator.floordiv, "any"),
    ("%", operator.mod, operator.mod, "any"),
    ("**", operator.pow, np.power, "small"),
    ("&", operator.and_, operator.and_, "any"),
    ("|", operator.or_, operator.or_, "any"),
    ("^", operator.xor, operator.xor, "any"),
    ("<", operator.lt, operator.lt, "any"),
    ("<=", operator.le, operator.le, "any"),
    (">", operator.gt, operator.gt, "any"),
    (">=", operator.ge, operator.ge, "any"),
    ("==", operator.eq, operator.eq, "any"),
    ("!=", operator.ne, operator.ne, "any"),
)

# The non-tensor operand of a binary operator on a (2, 3) tensor, with its label.
_OTHERS: tuple[tuple[Any, str], ...] = (
    (3, "3"),
    (-2, "-2"),
    (0, "0"),
    (2.5, "2.5"),
    (True, "True"),
    ([1, -2, 0], "[1, -2, 0]"),
    ([0.5, 2.0, -1.5], "[0.5, 2.0, -1.5]"),
    ([True, False, True], "[True, False, True]"),
    (np.ones(3), "np.ones(3)"),
    (np.array([2, 0, -3], dtype=np.int8), "np.array([2, 0, -3], int8)"),
)


def _operator_cases() -> list[OpCase]:
    """Every operator, with a tensor, scalar, list or ndarray on either side."""
    rows = []
    for sym, fn, ref, kind in _BINARY_OPERATORS:
        group = f"operator {sym}"
        others = [(o, label) for o, label in _OTHERS if sym not in "&|^" or np.asarray(o).dtype.kind in "biu"]
        rows.append(_row(f"t {sym} u", fn, ref, _OPERATOR_DTYPES, group, ((2, 3), (2, 3)), (kind, kind)))
        rows.append(
            _row(f"t {sym} u (broadcast)", fn, ref, ("int32", "float32"), group, ((2, 1), (3,)), (kind, kind))
        )
        for other, label in others:
            rows.append(
                _row(
                    f"t {sym} {label}",
                    functools.partial(_right, fn, other),
                    functools.partial(_right, ref, other),
                    _OPERATOR_DTYPES,
                    group,
                    values=(kind,),
                )
            )
            rows.append(
                _row(
                    f"{label} {sym} t",
                    functools.partial(_left, fn, other),
                    functools.partial(_left, ref, other),
                    _OPERATOR_DTYPES,
                    group,
                    values=(kind,),
                )
            )
    unary = (("-t", operator.neg), ("+t", operator.pos), ("abs(t)", abs), ("~t", operator.invert))
    rows += [_row(name, fn, fn, DTYPES, "operator unary") for name, fn in unary]
    matmul_others = (
        ((np.ones(3), "np.ones(3)"), False),
        (([1, 2, 0], "[1, 2, 0]"), False),
        (([1, 2], "[1, 2]"), True),
        ((np.ones((4, 2), dtype=np.float32), "np.ones((4, 2), float32)"), True),
    )
    matmul_dtypes = ("bool", "int8", "int64", "float32", "float64")
    rows.append(
        _row(
            "t @ u",
            operator.matmul,
            operator.matmul,
            matmul_dtypes,
            "operator @",
            ((2, 3), (3, 4)),
            ("small", "small"),
        )
    )
    for (other, label), on_left in matmul_others:
        fn = functools.partial(_left if on_left else _right, operator.matmul, other)
        name = f"{label} @ t" if on_left else f"t @ {label}"
        rows.append(_row(name, fn, fn, matmul_dtypes, "operator @", values=("small",)))
    return rows


def _promotion_cases(dtypes: Sequence[str]) -> list[OpCase]:
    """Every dtype pair through a few binary operations (NumPy's promotion table)."""
    ops: tuple[tuple[str, Callable[..., Any], Callable[..., Any]], ...] = (
        ("t + u", operator.add, operator.add),
        ("t - u", operator.sub, operator.sub),
        ("t * u", operator.mul, operator.mul),
        ("t / u", operator.truediv, operator.truediv),
        ("t.maximum(u)", _method("maximum"), np.maximum),
        ("t < u", operator.lt, operator.lt),
    )
    pairs = [(a, b) for a in dtypes for b in dtypes]
    return [
        _row(f"promote {name}", op, ref, pairs, f"promotion {name}", ((2, 3), (2, 3)), ("small", "positive"))
        for name, op, ref in ops
    ]


def _weak_scalar_cases() -> list[OpCase]:
    """Python scalars stay weak (NEP 50) next to a tensor of every dtype."""
    exprs: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("t + 2", lambda t: t + 2),
        ("2 * t", lambda t: 2 * t),
        ("t - 1", lambda t: t - 1),
        ("t * 2.5", lambda t: t * 2.5),
        ("2.5 + t", lambda t: 2.5 + t),
        ("t / 2", lambda t: t / 2),
        ("t // 2", lambda t: t // 2),
        ("t % 2", lambda t: t % 2),
        ("t * True", lambda t: t * True),
        ("False + t", lambda t: False + t),
        ("t < 2.5", lambda t: t < 2.5),
        ("2 == t", lambda t: t == 2),
    )
    rows = [_row(f"weak {name}", fn, fn, DTYPES, "weak scalars", values=("small",)) for name, fn in exprs]
    rows += [
        _row(name, op, ref, DTYPES, "weak scalars", values=("small",))
        for name, op, ref in (
            ("weak t ** 2", functools.partial(_right, operator.pow, 2), functools.partial(_right, np.power, 2)),
            ("weak t.maximum(1)", _method("maximum", 1), functools.partial(_right, np.maximum, 1)),
            ("weak t.minimum(1.5)", _method("minimum", 1.5), functools.partial(_right, np.minimum, 1.5)),
        )
    ]
    return rows



def _shape_cases() -> list[OpCase]:
    """reshape, transpose, flatten, expand_dims, squeeze, astype and ``.T``."""
    dtypes = ("bool", "int8", "float32", "float64")
    t3 = ((2, 3, 4),)
    table: tuple[
        tuple[str, Callable[[Any], Any], Callable[[np.ndarray], Any], tuple[tuple[int, ...], ...]], ...
    ] = (
        ("t.reshape((4, 6))", _method("reshape", (4, 6)), functools.partial(np.reshape, shape=(4, 6)), t3),
        ("t.reshape((-1,))", _method("reshape", (-1,)), functools.partial(np.reshape, shape=(-1,)), t3),
        ("t.reshape((2, -1))", _method("reshape", (2, -1)), functools.partial(np.reshape, shape=(2, -1)), t3),
        (
            "t.reshape((4, 1, 3, 2))",
            _method("reshape", (4, 1, 3, 2)),
            functools.partial(np.reshape, shape=(4, 1, 3, 2)),
            t3,
        ),
        (
            "kt.reshape(t, (6, 4))",
            _module("reshape", (6, 4)),
            functools.partial(np.reshape, shape=(6, 4)),
            t3,
        ),
        ("t.transpose()", _method("transpose"), np.transpose, t3),
        (
            "t.transpose((1, 0, 2))",
            _method("transpose", (1, 0, 2)),
            functools.partial(np.transpose, axes=(1, 0, 2)),
            t3,
        ),
        (
            "t.transpose((2, 0, 1))",
            _method("transpose", (2, 0, 1)),
            functools.partial(np.transpose, axes=(2, 0, 1)),
            t3,
        ),
        (
            "kt.transpose(t, (0, 2, 1))",
            _module("transpose", (0, 2, 1)),
            functools.partial(np.transpose, axes=(0, 2, 1)),
            t3,
        ),
        ("t.T (3-D)", operator.attrgetter("T"), operator.attrgetter("T"), t3),
        ("t.T (2-D)", operator.attrgetter("T"), operator.attrgetter("T"), ((2, 3),)),
        ("t.flatten()", _method("flatten"), np.ravel, t3),
        ("kt.flatten(t)", _module("flatten"), np.ravel, t3),
        ("t.expand_dims(0)", _method("expand_dims", 0), functools.partial(np.expand_dims, axis=0), t3),
        ("t.expand_dims(1)", _method("expand_dims", 1), functools.partial(np.expand_dims, axis=1), t3),
        ("t.expand_dims(-1)", _method("expand_dims", -1), functools.partial(np.expand_dims, axis=-1), t3),
        ("kt.expand_dims(t, 3)", _module("expand_dims", 3), functools.partial(np.expand_dims, axis=3), t3),
        ("t.squeeze()", _method("squeeze"), np.squeeze, ((1, 3, 1),)),
        ("t.squeeze(0)", _method("squeeze", 0), functools.partial(np.squeeze, axis=0), ((1, 3, 1),)),
        ("t.squeeze(-1)", _method("squeeze", -1), functools.partial(np.squeeze, axis=-1), ((1, 3, 1),)),
        (
            "t.squeeze((0, 2))",
            _method("squeeze", (0, 2)),
            functools.partial(np.squeeze, axis=(0, 2)),
            ((1, 3, 1),),
        ),
        (
            "kt.squeeze(t, axis=2)",
            _module("squeeze", axis=2),
            functools.partial(np.squeeze, axis=2),
            ((1, 3, 1),),
        ),
    )
    rows = [_row(name, op, ref, dtypes, "shape", shapes) for name, op, ref, shapes in table]
    sources = ("bool", "int8", "uint8", "int64", "float16", "float32", "float64")
    for target in DTYPES:
        rows.append(
            _row(
                f"t.astype({target!r})",
                _method("astype", target),
                _method("astype", target),
                sources,
                "shape",
                values=("small",),
            )
        )
    rows.append(
        _row(
            "kt.astype(t, 'int16')",
            _module("astype", "int16"),
            _method("astype", "int16"),
            sources,
            "shape",
            values=("small",),
        )
    )
    return rows


_INDEXES: tuple[tuple[str, Any], ...] = (
    ("0", 0),
    ("-1", -1),
    ("1, 2", (1, 2)),
    ("0, -1, 2", (0, -1, 2)),
    ("1:", np.s_[1:]),
    (":, 1:3", np.s_[:, 1:3]),
    ("::-1", np.s_[::-1]),
    (":, ::-2", np.s_[:, ::-2]),
    ("2:0:-1", np.s_[2:0:-1]),
    ("1:-1, ::2, -2:", np.s_[1:-1, ::2, -2:]),
    (":, -1:0:-2, ::-3", np.s_[:, -1:0:-2, ::-3]),
    ("..., 1", np.s_[..., 1]),
    ("None", None),
    (":, None", np.s_[:, None]),
    ("..., None", np.s_[..., None]),
    ("0, ..., 1:", np.s_[0, ..., 1:]),
    ("-1, None, ::-1", np.s_[-1, None, ::-1]),
    ("np.array([0, 2])", np.array([0, 2])),
    ("[2, 0, 1]", [2, 0, 1]),
    ("np.array([-1, 0, -1])", np.array([-1, 0, -1])),
    (":, np.array([3, 0, 3])", np.s_[:, np.array([3, 0, 3])]),
    ("..., np.array([4, 1])", np.s_[..., np.array([4, 1])]),
    ("np.array([True, False, True])", np.array([True, False, True])),
    (":, np.array([True, False, True, False])", np.s_[:, np.array([True, False, True, False])]),
)


def _index_with(ix: Any, t: Any) -> Any:
    return t[ix]


def _index_with_constant(ix: np.ndarray, leading: tuple[slice, ...], t: Any) -> Any:
    return t[leading + (kt.constant(ix, backend=_here()),)]


def _index_with_tensor(leading: tuple[slice, ...], t: Any, i: Any) -> Any:
    return t[leading + (i,)]


def _indexing_cases() -> list[OpCase]:
    """``t[...]`` with ints, slices, None, Ellipsis, integer and boolean arrays/tensors."""
    dtypes = ("bool", "int16", "float32")
    rows = []
    for label, ix in _INDEXES:
        fn = functools.partial(_index_with, ix)
        rows.append(_row(f"t[{label}]", fn, fn, dtypes, "indexing", ((3, 4, 5),)))
    for label, ix, leading in (
        ("kt.constant([2, 0])", np.array([2, 0]), ()),
        (":, kt.constant([3, -1])", np.array([3, -1]), (slice(None),)),
        ("kt.constant([False, True, True])", np.array([False, True, True]), ()),
    ):
        rows.append(
            _row(
                f"t[{label}]",
                functools.partial(_index_with_constant, ix, leading),
                functools.partial(_index_with, (*leading, ix)),
                dtypes,
                "indexing",
                ((3, 4, 5),),
            )
        )
    for label, leading in (("t[i]", ()), ("t[:, i]", (slice(None),))):
        fn = functools.partial(_index_with_tensor, leading)
        rows.append(
            _row(
                label,
                fn,
                fn,
                (("float32", "int64"), ("int8", "int32")),
                "indexing",
                ((3, 4, 5), (4,)),
                ("any", "index"),
            )
        )
    return rows


_LINALG_FORMS: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]], ...] = (
    ("t.dot(u)", _method("dot"), np.dot),
    ("kt.dot(t, u)", _module("dot"), np.dot),
    ("t.matmul(u)", _method("matmul"), np.matmul),
    ("kt.matmul(t, u)", _module("matmul"), np.matmul),
    ("t @ u", operator.matmul, operator.matmul),
)
_LINALG_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((3,), (3,)),
    ((2, 3), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3, 4), (4, 5)),
    ((2, 3), (4, 3, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
)


def _linalg_cases() -> list[OpCase]:
    """dot and matmul on 1-D, 2-D and N-D operands, as in NumPy (invalid pairs skipped)."""
    dtypes = (
        ("float32", "float32"),
        ("float64", "float64"),
        ("int32", "int32"),
        ("int8", "int8"),
        ("int32", "float32"),
        ("bool", "bool"),
    )
    return [
        _row(f"{label} {a}x{b}", op, ref, dtypes, "linalg", (a, b), ("small", "small"))
        for label, op, ref in _LINALG_FORMS
        for a, b in _LINALG_SHAPES
    ]


def _np_where(c: np.ndarray, x: Any, y: Any) -> np.ndarray:
    return np.where(c, x, y)


def _module_function_cases() -> list[OpCase]:
    """kt.concatenate, kt.stack and kt.where, mixed dtypes included."""
    pairs = (
        ("float32", "float32"),
        ("int8", "float32"),
        ("int32", "float32"),
        ("bool", "int8"),
        ("uint8", "int8"),
        ("float16", "float64"),
        ("int64", "uint64"),
    )
    rows = []
    for label, kwargs, shapes in (
        ("kt.concatenate([t, u])", {}, ((2, 3), (2, 1))),
        ("kt.concatenate([t, u], axis=0)", {"axis": 0}, ((2, 3), (1, 3))),
        ("kt.concatenate([t, u], axis=1)", {"axis": 1}, ((2, 3, 4), (2, 1, 4))),
        ("kt.concatenate([t, u], axis=-1)", {"axis": -1}, ((2, 3), (2, 2))),
    ):
        np_kwargs = {"axis": -1, **kwargs}  # kt.concatenate's default axis is -1 (Keras), NumPy's 0
        rows.append(
            _row(
                label,
                functools.partial(_pack, "concatenate", kwargs),
                functools.partial(_pack_np, np.concatenate, np_kwargs),
                pairs,
                "module",
                shapes,
            )
        )
    for label, kwargs in (
        ("kt.stack([t, u])", {}),
        ("kt.stack([t, u], axis=1)", {"axis": 1}),
        ("kt.stack([t, u], axis=-1)", {"axis": -1}),
    ):
        rows.append(
            _row(
                label,
                functools.partial(_pack, "stack", kwargs),
                functools.partial(_pack_np, np.stack, kwargs),
                pairs,
                "module",
                ((2, 3), (2, 3)),
            )
        )
    rows.append(
        _row("kt.concatenate([t, u, t], axis=0)", _concat3, _concat3_np, pairs, "module", ((2, 3), (1, 3)))
    )
    where_dtypes = tuple(("bool", a, b) for a, b in pairs)
    rows.append(
        _row(
            "kt.where(c, t, u)", _module("where"), _np_where, where_dtypes, "module", ((2, 3), (2, 3), (2, 3))
        )
    )
    rows.append(
        _row(
            "kt.where(c, t, u) (broadcast)",
            _module("where"),
            _np_where,
            where_dtypes,
            "module",
            ((2, 1), (3,), (2, 3)),
        )
    )
    single = tuple(("bool", d) for d in DTYPES)
    for label, other, on_left in (
        ("kt.where(c, t, 0)", 0, False),
        ("kt.where(c, 2.5, t)", 2.5, True),
        ("kt.where(c, t, [1, 2, 3])", [1, 2, 3], False),
    ):
        rows.append(
            _row(
                label,
                functools.partial(_where_with, kt_where=True, other=other, on_left=on_left),
                functools.partial(_where_with, kt_where=False, other=other, on_left=on_left),
                single,
                "module",
                ((2, 3), (2, 3)),
            )
        )
    rows.append(_row("kt.where(t > 0, t, -t)", _where_cmp, _where_cmp_np, _SIGNED_AND_FLOAT, "module"))
    return rows


def _pack(name: str, kwargs: dict[str, Any], *tensors: Any) -> Any:
    return getattr(kt, name)(list(tensors), **kwargs)


def _pack_np(fn: Callable[..., Any], kwargs: dict[str, Any], *arrays: np.ndarray) -> np.ndarray:
    return fn(list(arrays), **kwargs)


def _concat3(t: Any, u: Any) -> Any:
    return kt.concatenate([t, u, t], axis=0)


def _concat3_np(t: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.concatenate([t, u, t], axis=0)


def _where_with(c: Any, t: Any, *, kt_where: bool, other: Any, on_left: bool) -> Any:
    where = kt.where if kt_where else np.where
    return where(c, other, t) if on_left else where(c, t, other)


def _where_cmp(t: Any) -> Any:
    return kt.where(t > 0, t, -t)


def _where_cmp_np(t: np.ndarray) -> np.ndarray:
    return np.where(t > 0, t, -t)


def _identity(x: Any) -> Any:
    return x


_CREATIONS: tuple[tuple[str, Callable[[], Any], Callable[[], Any]], ...] = (
    ("kt.zeros((2, 3))", lambda: kt.zeros((2, 3), backend=_here()), lambda: np.zeros((2, 3), kt.floatx())),
    (
        "kt.zeros((2, 3), dtype='int8')",
        lambda: kt.zeros((2, 3), dtype="int8", backend=_here()),
        lambda: np.zeros((2, 3), "int8"),
    ),
    ("kt.zeros((2,), dtype='bool')", lambda: kt.zeros((2,), dtype="bool"), lambda: np.zeros((2,), "bool")),
    ("kt.ones((3,))", lambda: kt.ones((3,), backend=_here()), lambda: np.ones((3,), kt.floatx())),
    (
        "kt.ones((2, 2), dtype='uint16')",
        lambda: kt.ones((2, 2), dtype="uint16"),
        lambda: np.ones((2, 2), "uint16"),
    ),
    ("kt.eye(3)", lambda: kt.eye(3, backend=_here()), lambda: np.eye(3, dtype=kt.floatx())),
    ("kt.eye(2, 4)", lambda: kt.eye(2, 4), lambda: np.eye(2, 4, dtype=kt.floatx())),
    (
        "kt.eye(3, m=2, dtype='float64')",
        lambda: kt.eye(3, m=2, dtype="float64"),
        lambda: np.eye(3, 2, dtype="float64"),
    ),
    ("kt.eye(3, dtype='int32')", lambda: kt.eye(3, dtype="int32"), lambda: np.eye(3, dtype="int32")),
    ("kt.arange(5)", lambda: kt.arange(5, backend=_here()), lambda: np.arange(5, dtype="int32")),
    ("kt.arange(2, 8)", lambda: kt.arange(2, 8), lambda: np.arange(2, 8, dtype="int32")),
    ("kt.arange(1, 10, 3)", lambda: kt.arange(1, 10, 3), lambda: np.arange(1, 10, 3, dtype="int32")),
    ("kt.arange(5, 0, -1)", lambda: kt.arange(5, 0, -1), lambda: np.arange(5, 0, -1, dtype="int32")),
    ("kt.arange(4, dtype='int64')", lambda: kt.arange(4, dtype="int64"), lambda: np.arange(4, dtype="int64")),
    (
        "kt.arange(0, 2, 0.5, dtype='float32')",
        lambda: kt.arange(0, 2, 0.5, dtype="float32"),
        lambda: np.arange(0, 2, 0.5, dtype="float32"),
    ),
    ("kt.as_tensor([1, 2])", lambda: kt.as_tensor([1, 2], backend=_here()), lambda: np.array([1, 2], "int64")),
    ("kt.as_tensor(2.5)", lambda: kt.as_tensor(2.5), lambda: np.array(2.5, kt.floatx())),
    (
        "kt.random_uniform((2, 3), 1.0, 2.0) in [1, 2)",
        lambda: _within(kt.random_uniform((2, 3), 1.0, 2.0, seed=3), 1.0, 2.0),
        lambda: np.ones((2, 3), bool),
    ),
    (
        "kt.random_normal((2, 3), 5.0, 0.1) near 5",
        lambda: _within(kt.random_normal((2, 3), 5.0, 0.1, dtype="float64", seed=3), 4.0, 6.0),
        lambda: np.ones((2, 3), bool),
    ),
    ("kt.constant(3)", lambda: kt.constant(3, backend=_here()), lambda: np.array(3, "int64")),
    ("kt.constant(2.5)", lambda: kt.constant(2.5), lambda: np.array(2.5, kt.floatx())),
    ("kt.constant(True)", lambda: kt.constant(True), lambda: np.array(True)),
    ("kt.constant([1, 2, 3])", lambda: kt.constant([1, 2, 3]), lambda: np.array([1, 2, 3], "int64")),
    (
        "kt.constant([[1, 2], [3, 4]])",
        lambda: kt.constant([[1, 2], [3, 4]]),
        lambda: np.array([[1, 2], [3, 4]], "int64"),
    ),
    ("kt.constant([1.5, 2.0])", lambda: kt.constant([1.5, 2.0]), lambda: np.array([1.5, 2.0], kt.floatx())),
    ("kt.constant([True, False])", lambda: kt.constant([True, False]), lambda: np.array([True, False])),
    (
        "kt.constant(np.arange(4, dtype=np.int8))",
        lambda: kt.constant(np.arange(4, dtype=np.int8)),
        lambda: np.arange(4, dtype=np.int8),
    ),
    (
        "kt.constant(np.ones(3, np.uint16))",
        lambda: kt.constant(np.ones(3, np.uint16)),
        lambda: np.ones(3, np.uint16),
    ),
    (
        "kt.constant(np.linspace(0, 1, 3))",
        lambda: kt.constant(np.linspace(0, 1, 3)),
        lambda: np.linspace(0, 1, 3).astype(kt.floatx()),
    ),
    (
        "kt.constant(np.ones(2, np.float16))",
        lambda: kt.constant(np.ones(2, np.float16)),
        lambda: np.ones(2, kt.floatx()),
    ),
    (
        "kt.constant([1, 2], dtype='float64')",
        lambda: kt.constant([1, 2], dtype="float64"),
        lambda: np.array([1, 2], "float64"),
    ),
    (
        "kt.constant(np.arange(3), dtype='int8')",
        lambda: kt.constant(np.arange(3), dtype="int8"),
        lambda: np.arange(3, dtype="int8"),
    ),
    ("kt.constant(3, dtype='uint8')", lambda: kt.constant(3, dtype="uint8"), lambda: np.array(3, "uint8")),
    ("kt.variable(3)", lambda: kt.variable(3, backend=_here()), lambda: np.array(3, "int64")),
    ("kt.variable(2.5)", lambda: kt.variable(2.5), lambda: np.array(2.5, kt.floatx())),
    (
        "kt.variable(np.arange(4, dtype=np.int16))",
        lambda: kt.variable(np.arange(4, dtype=np.int16)),
        lambda: np.arange(4, dtype=np.int16),
    ),
    (
        "kt.variable(np.ones((2, 2)))",
        lambda: kt.variable(np.ones((2, 2))),
        lambda: np.ones((2, 2), kt.floatx()),
    ),
    ("kt.variable([True, False])", lambda: kt.variable([True, False]), lambda: np.array([True, False])),
    (
        "kt.variable([1.5, 2.5], dtype='float64')",
        lambda: kt.variable([1.5, 2.5], dtype="float64"),
        lambda: np.array([1.5, 2.5]),
    ),
)


def _within(draws: Any, low: float, high: float) -> Any:
    """Whether every draw lies in ``[low, high)``: random values can be checked by their range only."""
    return (draws >= low) & (draws < high)


def _creation_cases() -> list[OpCase]:
    """Creation functions and the §3 dtype rules (``dtype=None``, floatx, int64, bool)."""
    rows = [_row(name, op, ref, [()], "creation", ()) for name, op, ref in _CREATIONS]
    like_dtypes = ("bool", "int8", "uint16", "float64")
    for name, ref in (("zeros_like", np.zeros_like), ("ones_like", np.ones_like)):
        rows.append(_row(f"kt.{name}(t)", _module(name), ref, like_dtypes, "creation"))
        rows.append(
            _row(
                f"kt.{name}(t, dtype='int32')",
                _module(name, dtype="int32"),
                functools.partial(ref, dtype="int32"),
                like_dtypes,
                "creation",
            )
        )
    rows.append(_row("kt.placeholder(shape=(2, 3))", _identity, _identity, [FLOATX], "creation"))
    rows.append(_row("kt.placeholder(shape=(2, 3), dtype=d)", _identity, _identity, DTYPES, "creation"))
    return rows


def _extreme_cases() -> list[OpCase]:
    """Dtype limits, NaN, infinities and -0.0 through the operations that mishandle them most
    often: comparisons, extremes, sign and abs, wrap-around arithmetic."""
    binary: tuple[tuple[str, Callable[..., Any]], ...] = (
        ("t == u", operator.eq), ("t != u", operator.ne), ("t < u", operator.lt),
        ("t <= u", operator.le), ("t > u", operator.gt), ("t >= u", operator.ge),
        ("kt.maximum(t, u)", np.maximum), ("kt.minimum(t, u)", np.minimum),
        ("t + u", operator.add), ("t - u", operator.sub), ("t * u", operator.mul),
    )
    pairs: tuple[str | tuple[str, ...], ...] = (*_NUMERIC, ("int64", "uint64"), ("uint64", "int32"))
    rows = [
        _row(f"extreme {name}", fn if name.startswith("t") else _module(name[3:name.index("(")]), fn,
             pairs, "extremes", ((2, 3), (2, 3)), ("extreme", "extreme"))
        for name, fn in binary
    ]
    unary: tuple[tuple[str, Callable[..., Any], Callable[..., Any]], ...] = (
        ("abs(t)", operator.abs, np.abs),
        ("-t", operator.neg, np.negative),
        ("t.sign()", _method("sign"), np.sign),
        ("t.max()", _method("max"), np.max),
        ("t.min(axis=1)", _method("min", axis=1), functools.partial(np.min, axis=1)),
        ("t.argmax(axis=1)", _method("argmax", axis=1), functools.partial(np.argmax, axis=1)),
        ("t.argmin()", _method("argmin", axis=-1), functools.partial(np.argmin, axis=-1)),
        ("t.sum(axis=0)", _method("sum", axis=0), functools.partial(np.sum, axis=0)),
        ("t.relu()", _method("relu"), references.relu),
    )
    rows += [
        _row(f"extreme {name}", op, ref, _NUMERIC, "extremes", ((2, 3),), ("extreme",))
        for name, op, ref in unary
    ]
    return rows


def _unknown_shape_cases() -> list[OpCase]:
    """A sample of operations on placeholders whose dimensions are all unknown."""
    table: tuple[tuple[str, Callable[..., Any], Callable[..., Any], tuple[tuple[int, ...], ...]], ...] = (
        ("t + u", operator.add, operator.add, ((2, 1), (3,))),
        ("t - u (same shapes)", operator.sub, operator.sub, ((2, 3), (2, 3))),
        (
            "t * 2.5",
            functools.partial(_right, operator.mul, 2.5),
            functools.partial(_right, operator.mul, 2.5),
            ((2, 3),),
        ),
        ("t @ u", operator.matmul, operator.matmul, ((2, 3, 4), (4, 5))),
        ("t.dot(u)", _method("dot"), np.dot, ((2, 3), (4, 3, 5))),
        ("t.sum(axis=1)", _method("sum", axis=1), functools.partial(np.sum, axis=1), ((2, 3, 4),)),
        (
            "t.mean(axis=(0, 2), keepdims=True)",
            _method("mean", axis=(0, 2), keepdims=True),
            functools.partial(np.mean, axis=(0, 2), keepdims=True),
            ((2, 3, 4),),
        ),
        ("t.std()", _method("std"), np.std, ((2, 3, 4),)),
        ("t.max(axis=-1)", _method("max", axis=-1), functools.partial(np.max, axis=-1), ((2, 3, 4),)),
        ("t.argmax()", _method("argmax"), functools.partial(np.argmax, axis=-1), ((2, 3, 4),)),
        ("t.softmax()", _method("softmax"), references.softmax, ((2, 3, 4),)),
        (
            "t.logsumexp(axis=0)",
            _method("logsumexp", axis=0),
            functools.partial(references.logsumexp, axis=0),
            ((2, 3, 4),),
        ),
        (
            "t.reshape((-1,))",
            _method("reshape", (-1,)),
            functools.partial(np.reshape, shape=(-1,)),
            ((2, 3, 4),),
        ),
        (
            "t.reshape((4, -1))",
            _method("reshape", (4, -1)),
            functools.partial(np.reshape, shape=(4, -1)),
            ((2, 3, 4),),
        ),
        ("t.flatten()", _method("flatten"), np.ravel, ((2, 3, 4),)),
        ("t.T", operator.attrgetter("T"), operator.attrgetter("T"), ((2, 3, 4),)),
        ("t.expand_dims(1)", _method("expand_dims", 1), functools.partial(np.expand_dims, axis=1), ((2, 3),)),
        ("t.squeeze(0)", _method("squeeze", 0), functools.partial(np.squeeze, axis=0), ((1, 3),)),
        (
            "t[1:, ::-1]",
            functools.partial(_index_with, np.s_[1:, ::-1]),
            functools.partial(_index_with, np.s_[1:, ::-1]),
            ((3, 4),),
        ),
        (
            "t[-1, None]",
            functools.partial(_index_with, np.s_[-1, None]),
            functools.partial(_index_with, np.s_[-1, None]),
            ((3, 4),),
        ),
        (
            "t[np.array([2, 0])]",
            functools.partial(_index_with, np.array([2, 0])),
            functools.partial(_index_with, np.array([2, 0])),
            ((3, 4),),
        ),
        (
            "t[np.array([True, False, True])]",
            functools.partial(_index_with, np.array([True, False, True])),
            functools.partial(_index_with, np.array([True, False, True])),
            ((3, 4),),
        ),
        (
            "kt.concatenate([t, u], axis=0)",
            functools.partial(_pack, "concatenate", {"axis": 0}),
            functools.partial(_pack_np, np.concatenate, {"axis": 0}),
            ((2, 3), (1, 3)),
        ),
        (
            "kt.stack([t, u], axis=1)",
            functools.partial(_pack, "stack", {"axis": 1}),
            functools.partial(_pack_np, np.stack, {"axis": 1}),
            ((2, 3), (2, 3)),
        ),
        ("kt.zeros_like(t)", _module("zeros_like"), np.zeros_like, ((2, 3),)),
    )
    return [
        OpCase(
            f"unknown shape {name}",
            op,
            ref,
            (("int8",) * len(shapes), ("float32",) * len(shapes)),
            shapes,
            ("small",) * len(shapes),
            "unknown shapes",
            static=False,
            runtime_broadcast=name == "t + u",
        )
        for name, op, ref, shapes in table
    ]




def table_cases() -> list[OpCase]:
    """Every row of the cross-operation tables."""
    return [
        *_operator_cases(),
        *_promotion_cases(DTYPES),
        *_weak_scalar_cases(),
        *_shape_cases(),
        *_indexing_cases(),
        *_linalg_cases(),
        *_module_function_cases(),
        *_creation_cases(),
        *_unknown_shape_cases(),
        *_extreme_cases(),
    ]
