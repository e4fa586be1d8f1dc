"""The engine kernels (``ktensor/backends/{theano,tensorflow}/kernels.py``) against NumPy.

Every test runs on both engines through a small harness: PyTensor graphs compile
with ``pytensor.function(..., mode="FAST_COMPILE")`` (``CVM`` too for the
laziness of ``cond``); TensorFlow graphs are built in a fresh ``tf.Graph`` and run
by a ``tf.compat.v1.Session`` on it. Gradients are checked against central
finite differences in float64.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Without an engine (and outside CI) conftest.py leaves this module out.
import pytensor
import pytensor.tensor as pt
import tensorflow as tf
from pytensor.raise_op import Assert

from ktensor.backends.tensorflow import kernels as tf_kernels
from ktensor.backends.theano import kernels as pt_kernels

FLOATS = ["float32", "float64"]
INTS = ["int8", "uint8", "int32", "int64"]
EPS = 1e-6


class PyTensorEngine:
    """Builds PyTensor graphs and compiles them in one mode."""

    name = "theano"
    K = pt_kernels

    def __init__(self, mode: str = "FAST_COMPILE") -> None:
        self.mode = mode

    def graph(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def placeholder(self, dtype: str, shape: Sequence[int | None]) -> Any:
        return pt.tensor(dtype=dtype, shape=tuple(shape))

    def function(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> Callable[..., list[np.ndarray]]:
        f = pytensor.function(list(inputs), list(outputs), mode=self.mode, on_unused_input="ignore")
        return lambda *arrays: [np.asarray(r) for r in f(*arrays)]

    def grad(self, loss: Any, wrt: Sequence[Any]) -> list[Any]:
        return list(pytensor.grad(loss, list(wrt), disconnected_inputs="ignore", return_disconnected="none"))  # type: ignore[arg-type]

    def asserted(self, x: Any, condition: Any, message: str) -> Any:
        return Assert(message)(x, condition)

    def scan(self, *args: Any) -> tuple[list[Any], list[Any]]:
        # Scan compiles its inner function in its own mode (C code by default).
        return pt_kernels.scan(*args, mode=self.mode)

    sum = staticmethod(pt.sum)
    square = staticmethod(pt.square)
    tanh = staticmethod(pt.tanh)
    matmul = staticmethod(pt.matmul)
    all = staticmethod(pt.all)

    def mT(self, x: Any) -> Any:
        return x.mT

    def diag_embed(self, s: Any) -> Any:
        return s[..., :, None] * pt.eye(s.shape[-1], dtype=s.dtype)


class TensorFlowEngine:
    """Builds into its own fresh ``tf.Graph`` and runs it with a Session."""

    name = "tensorflow"
    K = tf_kernels

    def __init__(self) -> None:
        self.g = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.g)

    def graph(self) -> contextlib.AbstractContextManager[Any]:
        return self.g.as_default()

    def placeholder(self, dtype: str, shape: Sequence[int | None]) -> Any:
        return tf.compat.v1.placeholder(dtype, shape=list(shape))

    def function(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> Callable[..., list[np.ndarray]]:
        outputs = list(outputs)
        return lambda *arrays: [np.asarray(r) for r in self.session.run(outputs, dict(zip(inputs, arrays)))]

    def grad(self, loss: Any, wrt: Sequence[Any]) -> list[Any]:
        return [None if g is None else tf.convert_to_tensor(g) for g in tf.gradients(loss, list(wrt))]

    def asserted(self, x: Any, condition: Any, message: str) -> Any:
        with tf.control_dependencies([tf.debugging.Assert(condition, [message])]):
            return tf.identity(x)

    def scan(self, *args: Any) -> tuple[list[Any], list[Any]]:
        return tf_kernels.scan(*args)

    sum = staticmethod(tf.reduce_sum)
    square = staticmethod(tf.square)
    tanh = staticmethod(tf.tanh)
    matmul = staticmethod(tf.linalg.matmul)
    all = staticmethod(tf.reduce_all)

    def mT(self, x: Any) -> Any:
        return tf.linalg.matrix_transpose(x)

    def diag_embed(self, s: Any) -> Any:
        return tf.linalg.diag(s)

    def close(self) -> None:
        self.session.close()


Engine = PyTensorEngine | TensorFlowEngine


@pytest.fixture(params=["theano", "tensorflow"])
def eng(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh engine harness: a new TensorFlow graph and session for each test."""
    if request.param == "theano":
        yield PyTensorEngine()
        return
    engine = TensorFlowEngine()
    yield engine
    engine.close()


def _check_fd(
    eng: Engine,
    build: Callable[..., Any],
    values: Sequence[np.ndarray],
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """The gradient of the scalar ``build(*inputs)`` against central finite differences."""
    with eng.graph():
        inputs = [eng.placeholder("float64", v.shape) for v in values]
        loss = build(*inputs)
        grads = eng.grad(loss, inputs)
        assert all(g is not None for g in grads)
        f_loss = eng.function(inputs, [loss])
        f_grad = eng.function(inputs, grads)
    analytic = f_grad(*values)
    for i, value in enumerate(values):
        numeric = np.zeros_like(value)
        for j in np.ndindex(value.shape):
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[i][j] += EPS
            down[i][j] -= EPS
            numeric[j] = (f_loss(*up)[0] - f_loss(*down)[0]) / (2 * EPS)
        np.testing.assert_allclose(analytic[i], numeric, rtol=rtol, atol=atol, err_msg=f"input {i}")


def _ints(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    info = np.iinfo(dtype)
    low, high = max(int(info.min), -100), min(int(info.max), 100)
    x = rng.integers(low, high, size=shape, endpoint=True).astype(dtype)
    flat = x.reshape(-1)
    flat[:2] = [info.min, info.max]  # the ends of the range, where negation would overflow
    flat[2:4] = flat[4]  # ties
    return x


def _values(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        x = (rng.integers(-4, 5, size=shape) / 2).astype(dtype)  # many ties
        flat = x.reshape(-1)
        specials = [np.nan, np.inf, -np.inf, -0.0, 0.0, np.nan]
        flat[: len(specials)] = specials
        rng.shuffle(flat)
        return x
    return _ints(rng, dtype, shape)


# -- cumulative -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS, "uint16", "bool"])
def test_cumulative_values(eng: Engine, dtype: str) -> None:
    rng = np.random.default_rng(1)
    cases = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1)]
    arrays = []
    for shape, _ in cases:
        if dtype == "bool":
            arrays.append(rng.random(shape) < 0.7)
        elif dtype in FLOATS:
            arrays.append(rng.uniform(0.5, 1.5, shape).astype(dtype))
        else:  # big enough to wrap in the narrow types, as NumPy does in the dtype
            arrays.append(_ints(rng, dtype, shape))
    with eng.graph():
        inputs = [eng.placeholder(dtype, a.shape) for a in arrays]
        outputs = [eng.K.cumulative(op, x, axis) for x, (_, axis) in zip(inputs, cases) for op in ("sum", "prod")]
        f = eng.function(inputs, outputs)
    results = f(*arrays)
    expected = [
        (np.cumsum if op == "sum" else np.cumprod)(a, axis=axis, dtype=a.dtype)
        for a, (_, axis) in zip(arrays, cases)
        for op in ("sum", "prod")
    ]
    for got, want in zip(results, expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        if dtype in FLOATS:
            np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float64" else 1e-5)
        else:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["sum", "prod"])
def test_cumulative_gradient(eng: Engine, op: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0.5, 1.5, (3, 5))
    w = rng.normal(size=(3, 5))
    _check_fd(eng, lambda t: eng.sum(eng.K.cumulative(op, t, 1) * w) + eng.sum(eng.K.cumulative(op, t, 0) * w), [x])
    if op == "prod":  # exact zeros: none, one, two in a row, apart; the engines' own gradients divide by x
        x[0, 2] = x[1, 1] = x[1, 2] = x[2, 0] = x[2, 3] = 0.0
        _check_fd(eng, lambda t: eng.sum(eng.K.cumulative(op, t, 1) * w) + eng.sum(eng.K.cumulative(op, t, 0) * w), [x])


# -- sort, argsort, top_k ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*FLOATS, "float16", *INTS, "uint64", "bool"])
def test_sort_and_argsort(eng: Engine, dtype: str) -> None:
    cases = [((9,), 0), ((4, 9), 1), ((4, 9), 0), ((3, 5, 4), 1), ((3, 5, 4), 2)]
    arrays = [_values(dtype, shape, seed) for seed, (shape, _) in enumerate(cases)]
    with eng.graph():
        inputs = [eng.placeholder(dtype, [None] * len(shape)) for shape, _ in cases]
        outputs = []
        for x, (_, axis) in zip(inputs, cases):
            outputs += [eng.K.sort(x, axis), eng.K.argsort(x, axis)]
        f = eng.function(inputs, outputs)
    results = f(*arrays)
    for i, (a, (_, axis)) in enumerate(zip(arrays, cases)):
        values, indices = results[2 * i], results[2 * i + 1]
        want = np.argsort(a, axis=axis, kind="stable")
        assert indices.dtype == np.int64 and values.dtype == a.dtype
        np.testing.assert_array_equal(indices, want)
        np.testing.assert_array_equal(values, np.sort(a, axis=axis))
        # Signed zeros keep their original order as well.
        np.testing.assert_array_equal(np.signbit(values), np.signbit(np.take_along_axis(a, want, axis)))


def _np_top_k(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest first, NaN largest, equal values in index order: sorted row by row."""
    rows = x.reshape(-1, x.shape[-1])
    indices = np.empty((rows.shape[0], k), dtype=np.int64)
    for r, row in enumerate(rows):

        def key(j: int, row: np.ndarray = row) -> tuple[int, Any, int]:
            v = row[j]
            if row.dtype.kind == "f" and np.isnan(v):
                return (0, 0, j)
            return (1, -int(v) if row.dtype.kind in "iub" else -float(v), j)

        indices[r] = sorted(range(row.shape[0]), key=key)[:k]
    indices = indices.reshape((*x.shape[:-1], k))
    return np.take_along_axis(x, indices, -1), indices


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS, "uint32", "bool"])
def test_top_k(eng: Engine, dtype: str) -> None:
    cases = [((9,), 3), ((4, 9), 9), ((2, 3, 7), 4), ((2, 5), 0)]
    arrays = [_values(dtype, shape, seed) for seed, (shape, _) in enumerate(cases)]
    with eng.graph():
        inputs = [eng.placeholder(dtype, [None] * len(shape)) for shape, _ in cases]
        outputs = []
        for x, (_, k) in zip(inputs, cases):
            outputs += list(eng.K.top_k(x, k))
        f = eng.function(inputs, outputs)
    results = f(*arrays)
    for i, (a, (_, k)) in enumerate(zip(arrays, cases)):
        want_values, want_indices = _np_top_k(a, k)
        values, indices = results[2 * i], results[2 * i + 1]
        assert values.dtype == a.dtype and indices.dtype == np.int64
        np.testing.assert_array_equal(indices, want_indices)
        np.testing.assert_array_equal(values, want_values)


def test_sort_and_top_k_gradients(eng: Engine) -> None:
    rng = np.random.default_rng(3)
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: a smooth neighbourhood
    w = rng.normal(size=(2, 3, 4))
    wk = rng.normal(size=(2, 3, 2))
    _check_fd(
        eng,
        lambda t: eng.sum(eng.K.sort(t, 1) * w) + eng.sum(eng.K.sort(t, 2) * w) + eng.sum(eng.K.top_k(t, 2)[0] * wk),
        [x],
    )


def test_top_k_rejects_k_beyond_static_size(eng: Engine) -> None:
    with eng.graph():
        x = eng.placeholder("float32", (2, 3))
        with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
            eng.K.top_k(x, 4)


# -- linear algebra --------------------------------------------------------------------


def _spd(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    m = rng.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _with_upper_garbage(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``a`` with its strict upper triangle replaced: only the lower one may matter."""
    upper = np.triu(np.ones(a.shape[-2:], bool), 1)
    return np.where(upper, rng.normal(size=a.shape) * 10, a)


@pytest.mark.parametrize("dtype", FLOATS)
def test_linalg_values(eng: Engine, dtype: str) -> None:
    rng = np.random.default_rng(4)
    tol = 2e-4 if dtype == "float32" else 1e-9
    square = [rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=(2, 3, 4, 4)) + 4 * np.eye(4)]
    rect = [rng.normal(size=(5, 3)), rng.normal(size=(3, 5)), rng.normal(size=(2, 5, 3)), rng.normal(size=(4, 4))]
    spd = [_with_upper_garbage(_spd(rng, s), rng) for s in [(4, 4), (2, 3, 4, 4)]]
    solves = [  # (a, b) with NumPy's batch broadcasting
        (square[1], rng.normal(size=(2, 3, 4, 2))),
        (square[0], rng.normal(size=(2, 4, 3))),
        (rng.normal(size=(2, 1, 4, 4)) + 4 * np.eye(4), rng.normal(size=(3, 4, 2))),
        (square[0], rng.normal(size=(4, 1))),
    ]
    arrays = [a.astype(dtype) for a in [*square, *rect, *spd, *(m for pair in solves for m in pair)]]
    with eng.graph():
        inputs = [eng.placeholder(dtype, a.shape) for a in arrays]
        sq, re, sp = inputs[:2], inputs[2:6], inputs[6:8]
        pairs = list(zip(inputs[8::2], inputs[9::2]))
        L = eng.K.linalg
        outputs: list[Any] = []
        for a in sq:
            outputs += [L("inv", a), L("det", a)]
        for a in re:
            outputs += [*L("svd", a), *L("qr", a)]
        for a in sp:
            outputs += [L("cholesky", a), *L("eigh", a)]
        for a, b in pairs:
            outputs.append(L("solve", a, b))
        f = eng.function(inputs, outputs)
    results = iter(f(*arrays))
    cast = [a.astype("float64") for a in arrays]

    def check(got: np.ndarray, want: np.ndarray) -> None:
        assert got.dtype == np.dtype(dtype) and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)

    for a in cast[:2]:
        check(next(results), np.linalg.inv(a))
        check(next(results), np.linalg.det(a))
    for a in cast[2:6]:
        u, s, vh = (next(results) for _ in range(3))
        nu, ns, nvh = np.linalg.svd(a, full_matrices=False)
        check(s, ns)
        check(np.abs(u), np.abs(nu))  # distinct singular values: columns equal up to sign
        check(np.abs(vh), np.abs(nvh))
        check(u @ (s[..., :, None] * vh), a)
        q, r = next(results), next(results)
        nq, nr = np.linalg.qr(a)
        check(np.abs(q), np.abs(nq))
        check(np.abs(r), np.abs(nr))
        check(q @ r, a)
        assert np.all(np.tril(r, -1) == 0)
    for a in cast[6:8]:
        check(next(results), np.linalg.cholesky(a))
        w, v = next(results), next(results)
        nw, nv = np.linalg.eigh(a)
        check(w, nw)
        check(np.abs(v), np.abs(nv))
    for a, b in zip(cast[8::2], cast[9::2]):
        check(next(results), np.linalg.solve(a, b))


def test_linalg_gradients(eng: Engine) -> None:
    rng = np.random.default_rng(5)
    L = eng.K.linalg
    square = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    w3 = rng.normal(size=(2, 3, 3))
    _check_fd(eng, lambda a: eng.sum(L("inv", a) * w3), [square])
    _check_fd(eng, lambda a: eng.sum(L("det", a) * np.array([1.0, -2.0])), [square])
    b = rng.normal(size=(2, 3, 2))
    w2 = rng.normal(size=(2, 3, 2))
    _check_fd(eng, lambda a, b: eng.sum(L("solve", a, b) * w2), [square, b])
    # Differentiated on the raw matrix: only the lower triangle moves the result.
    spd = _spd(rng, (2, 3, 3))
    _check_fd(eng, lambda a: eng.sum(L("cholesky", a) * w3), [spd])
    sym = spd - 3 * np.eye(3)  # distinct eigenvalues, some negative
    c = rng.normal(size=(2, 3))
    _check_fd(eng, lambda a: eng.sum(L("eigh", a)[0] * c) + eng.sum(eng.square(L("eigh", a)[1]) * w3), [sym])
    # Repeated eigenvalues, weighted alike: the eigenvalues' gradient is still
    # defined, Q diag(c) Qᵀ whatever basis the engine picks in the repeated pair
    # (folded onto the lower triangle, the one read).
    q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    repeated = np.stack([np.diag([1.0, 1.0, 2.0]), q @ np.diag([1.0, 1.0, 2.0]) @ q.T])
    weights = np.array([1.0, 1.0, 3.0])
    with eng.graph():
        a = eng.placeholder("float64", (2, 3, 3))
        (grad,) = eng.grad(eng.sum(L("eigh", a)[0] * weights), [a])
        (got,) = eng.function([a], [grad])(repeated)
    full = np.stack([np.diag(weights), q @ np.diag(weights) @ q.T])
    np.testing.assert_allclose(got, np.tril(full) + np.swapaxes(np.triu(full, 1), -1, -2), atol=1e-10)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_svd_and_qr_gradients(eng: Engine, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(6)
    a = rng.normal(size=shape)
    k = min(shape[-2:])
    L = eng.K.linalg
    cs = rng.normal(size=(*shape[:-2], k))
    wu = rng.normal(size=(*shape[:-1], k))
    wv = rng.normal(size=(*shape[:-2], k, shape[-1]))

    def svd_loss(t: Any) -> Any:
        u, s, vh = L("svd", t)
        rebuilt = eng.matmul(u, eng.matmul(eng.diag_embed(s), vh))
        # Sign-free: s, u @ diag(s) @ vh, and the squares of u and vh.
        return eng.sum(s * cs) + eng.sum(rebuilt * rebuilt) + eng.sum(eng.square(u) * wu) + eng.sum(eng.square(vh) * wv)

    _check_fd(eng, svd_loss, [a], rtol=1e-5, atol=1e-7)

    def qr_loss(t: Any) -> Any:
        q, r = L("qr", t)
        return eng.sum(eng.square(q) * wu) + eng.sum(eng.square(r) * wv)

    _check_fd(eng, qr_loss, [a], rtol=1e-5, atol=1e-7)


# -- cond ----------------------------------------------------------------------------


def test_cond_values(eng: Engine) -> None:
    with eng.graph():
        c = eng.placeholder("bool", ())
        x = eng.placeholder("int32", (None,))
        y = eng.placeholder("float32", (2,))
        out_int = eng.K.cond(c, lambda: x * 2, lambda: x - 1)
        out_float = eng.K.cond(c, lambda: y + 1, lambda: y * 3)
        f = eng.function([c, x, y], [out_int, out_float])
    xs, ys = np.array([1, 2, 3], np.int32), np.array([1.5, 2.0], np.float32)
    for flag in (True, False):
        got_int, got_float = f(np.array(flag), xs, ys)
        assert got_int.dtype == np.int32 and got_float.dtype == np.float32
        np.testing.assert_array_equal(got_int, xs * 2 if flag else xs - 1)
        np.testing.assert_array_equal(got_float, ys + 1 if flag else ys * 3)


def _lazy_cond_check(eng: Engine, capfd: pytest.CaptureFixture[str]) -> None:
    """Each branch prints, and the else branch also asserts something false: only
    the branch taken may print, and the assertion must fail only when it is taken."""
    with eng.graph():
        c = eng.placeholder("bool", ())
        x = eng.placeholder("float64", (None,))
        K = eng.K

        def then_fn() -> Any:
            return K.print_tensor(x + 1, "THEN-BRANCH")

        def else_fn() -> Any:
            return K.print_tensor(eng.asserted(x * 2, eng.all(x < 0), "else branch ran"), "ELSE-BRANCH")

        f = eng.function([c, x], [K.cond(c, then_fn, else_fn)])
    capfd.readouterr()
    np.testing.assert_array_equal(f(np.array(True), np.ones(2))[0], [2.0, 2.0])
    out = capfd.readouterr().out
    assert "THEN-BRANCH" in out and "ELSE-BRANCH" not in out
    with pytest.raises(Exception, match="else branch ran"):
        f(np.array(False), np.ones(2))
    out = capfd.readouterr().out
    assert "THEN-BRANCH" not in out
    np.testing.assert_array_equal(f(np.array(False), -np.ones(2))[0], [-2.0, -2.0])
    out = capfd.readouterr().out
    assert "ELSE-BRANCH" in out and "THEN-BRANCH" not in out


def test_cond_is_lazy(eng: Engine, capfd: pytest.CaptureFixture[str]) -> None:
    _lazy_cond_check(eng, capfd)


def test_cond_is_lazy_in_cvm_mode(capfd: pytest.CaptureFixture[str]) -> None:
    _lazy_cond_check(PyTensorEngine(mode="CVM"), capfd)


# -- scan ----------------------------------------------------------------------------


def _np_scan(
    step: Callable[[list[np.ndarray], list[np.ndarray]], tuple[list[np.ndarray], list[np.ndarray]]],
    sequences: list[np.ndarray],
    initial: list[np.ndarray],
    reverse: bool,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    n = sequences[0].shape[0]
    states, collected = list(initial), []
    for t in reversed(range(n)) if reverse else range(n):
        outputs, states = step([s[t] for s in sequences], states)
        collected.append(outputs)
    stacked = [np.stack([c[i] for c in collected]) for i in range(len(collected[0]))] if collected else []
    return stacked, states


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_map_fold_and_both(eng: Engine, reverse: bool) -> None:
    rng = np.random.default_rng(7)

    def map_step(items: list[Any], states: list[Any]) -> tuple[list[Any], list[Any]]:
        a, b = items
        return [a * 2 + b, b], []

    def fold_step(items: list[Any], states: list[Any]) -> tuple[list[Any], list[Any]]:
        (a,) = items
        total, count = states
        return [], [total + a, count + 1]

    def both_step(items: list[Any], states: list[Any]) -> tuple[list[Any], list[Any]]:
        (a,) = items
        (h,) = states
        new = h * 0.5 + a
        return [new, h], [new]

    with eng.graph():
        a = eng.placeholder("int32", (None, 3))
        b = eng.placeholder("int32", (None, 3))
        x = eng.placeholder("float32", (None, 2))
        h0 = eng.placeholder("float32", (2,))
        c0 = eng.placeholder("int64", ())
        t0 = eng.placeholder("int32", (3,))
        mapped, no_states = eng.scan(map_step, [a, b], [], reverse)
        no_outputs, folded = eng.scan(fold_step, [a], [t0, c0], reverse)
        both, final = eng.scan(both_step, [x], [h0], reverse)
        assert no_states == [] and no_outputs == []
        f = eng.function([a, b, x, h0, c0, t0], [*mapped, *folded, *both, *final])

    for n in (4, 1, 0):  # one compiled function, lengths known only at run time
        av = rng.integers(-9, 9, (n, 3)).astype(np.int32)
        bv = rng.integers(-9, 9, (n, 3)).astype(np.int32)
        xv = rng.normal(size=(n, 2)).astype(np.float32)
        hv = rng.normal(size=2).astype(np.float32)
        cv, tv = np.array(5, np.int64), np.array([1, 2, 3], np.int32)
        got = f(av, bv, xv, hv, cv, tv)
        np_map, _ = _np_scan(lambda i, s: ([i[0] * 2 + i[1], i[1]], []), [av, bv], [], reverse)
        want_fold = [tv + av.sum(0, dtype=np.int32), cv + n]
        np_both, np_final = _np_scan(lambda i, s: ([s[0] * 0.5 + i[0], s[0]], [s[0] * 0.5 + i[0]]), [xv], [hv], reverse)
        if n == 0:  # no step ran to give NumPy the outputs' shapes
            np_map = [np.zeros((0, 3), np.int32)] * 2
            np_both = [np.zeros((0, 2), np.float32)] * 2
        for g, w in zip(got, [*np_map, *want_fold, *np_both, *np_final]):
            assert g.dtype == np.asarray(w).dtype, (g.dtype, np.asarray(w).dtype)
            assert g.shape == np.shape(w), (g.shape, np.shape(w))
            np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_gradient_through_time(eng: Engine, reverse: bool) -> None:
    """An RNN: h_t = tanh(x_t @ W + h_{t-1} @ U), outputs h_t and h_t * x_t[0];
    d loss / d (x, h0, W, U), W and U reached through the step's closure."""
    rng = np.random.default_rng(8)
    xv = rng.normal(size=(4, 3))
    hv = rng.normal(size=(2,))
    wv = rng.normal(size=(3, 2)) * 0.5
    uv = rng.normal(size=(2, 2)) * 0.5
    weights = rng.normal(size=(4, 2))

    def loss(x: Any, h0: Any, w: Any, u: Any) -> Any:
        def step(items: list[Any], states: list[Any]) -> tuple[list[Any], list[Any]]:
            (xt,) = items
            (h,) = states
            new = eng.tanh(eng.matmul(xt[None, :], w)[0] + eng.matmul(h[None, :], u)[0])
            return [new, new * xt[0]], [new]

        (hs, scaled), (final,) = eng.scan(step, [x], [h0], reverse)
        return eng.sum(hs * weights) + eng.sum(scaled) + eng.sum(final * final)

    _check_fd(eng, loss, [xv, hv, wv, uv])


# -- stop_gradient, print_tensor, erf ----------------------------------------------------


def test_stop_gradient(eng: Engine) -> None:
    with eng.graph():
        x = eng.placeholder("float64", (3,))
        stopped = eng.K.stop_gradient(x)
        (through_other_path,) = eng.grad(eng.sum(stopped * x), [x])
        (only_through_stop,) = eng.grad(eng.sum(stopped * 2.0), [x])
        f = eng.function([x], [stopped, through_other_path])
    xv = np.array([1.0, -2.0, 3.0])
    value, grad = f(xv)
    np.testing.assert_array_equal(value, xv)
    np.testing.assert_array_equal(grad, xv)  # d/dx of stop(x) * x is stop(x)
    assert only_through_stop is None


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_print_tensor_prints_on_each_call(eng: Engine, dtype: str, capfd: pytest.CaptureFixture[str]) -> None:
    with eng.graph():
        x = eng.placeholder(dtype, (None,))
        printed = eng.K.print_tensor(x * 2, "VALUE-OF-X:")
        f = eng.function([x], [printed + 1])
    capfd.readouterr()
    np.testing.assert_array_equal(f(np.array([1, 2, 3], dtype))[0], [3, 5, 7])
    np.testing.assert_array_equal(f(np.array([4, 5, 6], dtype))[0], [9, 11, 13])
    lines = [line for line in capfd.readouterr().out.splitlines() if "VALUE-OF-X:" in line]
    assert len(lines) == 2
    for line, want in zip(lines, ([2, 4, 6], [8, 10, 12])):
        assert line.startswith("VALUE-OF-X: [") and line.endswith("]")
        assert [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?", line.split(":", 1)[1])] == want


@pytest.mark.parametrize("dtype", FLOATS)
def test_erf(eng: Engine, dtype: str) -> None:
    big = 1e300 if dtype == "float64" else 3e38
    xv = np.array([-np.inf, -big, -3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 30.0, big, np.inf, np.nan], dtype)
    with eng.graph():
        x = eng.placeholder(dtype, (None,))
        f = eng.function([x], [eng.K.erf(x)])
    (got,) = f(xv)
    assert got.dtype == np.dtype(dtype)
    want = [math.erf(v) if not math.isnan(v) else v for v in xv.astype(float)]
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float32" else 1e-14)
    _check_fd(eng, lambda t: eng.sum(eng.K.erf(t)), [np.array([-1.0, 0.3, 2.0])])


# -- random ---------------------------------------------------------------------------

TRUNCATED_STD = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2)))


def _draws(eng: Engine, distribution: str, a: float, b: float, dtype: str, seed: int, runs: int) -> list[np.ndarray]:
    with eng.graph():
        draw = eng.K.random(distribution, (20000,), a, b, dtype, seed)
        f = eng.function([], [draw])
    return [f()[0] for _ in range(runs)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_random_binomial(eng: Engine, dtype: str) -> None:
    first, second = _draws(eng, "binomial", 0.3, 0.0, dtype, 42, runs=2)
    for draw in (first, second):
        assert draw.dtype == np.dtype(dtype) and draw.shape == (20000,)
        assert set(np.unique(draw).tolist()) == {0, 1}
        assert abs(draw.mean() - 0.3) < 0.02
    assert not np.array_equal(first, second)  # a new draw each run
    fresh = type(eng)()
    (again,) = _draws(fresh, "binomial", 0.3, 0.0, dtype, 42, runs=1)
    np.testing.assert_array_equal(again, first)  # the seed fixes the first draw
    assert np.all(_draws(type(eng)(), "binomial", 0.0, 0.0, dtype, 1, runs=1)[0] == 0)
    assert np.all(_draws(type(eng)(), "binomial", 1.0, 0.0, dtype, 1, runs=1)[0] == 1)


@pytest.mark.parametrize("dtype", FLOATS)
def test_random_truncated_normal(eng: Engine, dtype: str) -> None:
    mean, std = 1.5, 2.0
    first, second = _draws(eng, "truncated_normal", mean, std, dtype, 7, runs=2)
    for draw in (first, second):
        assert draw.dtype == np.dtype(dtype) and draw.shape == (20000,)
        z = (draw.astype(np.float64) - mean) / std
        assert np.all(np.abs(z) <= 2 + 1e-6)
        assert abs(z.mean()) < 0.03
        assert abs(z.std() - TRUNCATED_STD) < 0.03
        assert np.mean(np.abs(z) > 1.999) < 0.002  # redrawn, not clipped to the bounds
        assert np.mean(np.abs(z) > 1.8) > 0.005  # yet the tails are reached
    assert not np.array_equal(first, second)
    (again,) = _draws(type(eng)(), "truncated_normal", mean, std, dtype, 7, runs=1)
    np.testing.assert_array_equal(again, first)
