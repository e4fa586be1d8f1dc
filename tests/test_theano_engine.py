"""How ktensor drives PyTensor: its rewrites, its modes and its threads (issues 8 and 11).

Each test compiles in the mode whose behaviour it is about (``CVM`` for the C code,
``JAX`` for the JAX linker, ``FAST_COMPILE`` where the Python linker is the subject).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from tests.conftest import _require, require


@pytest.fixture(scope="module")
def theano() -> Callable[[str], kt.Backend]:
    """One backend instance per PyTensor mode, made on first use."""
    _require("theano")
    from ktensor.backends import TheanoBackend

    made: dict[str, kt.Backend] = {}

    def get(mode: str) -> kt.Backend:
        if mode not in made:
            made[mode] = TheanoBackend(mode=mode)
        return made[mode]

    return get


def _compiled_nodes(monkeypatch: pytest.MonkeyPatch, build: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """``build()``'s result and the nodes of the PyTensor function it compiled last."""
    import pytensor

    seen: list[Any] = []
    original = pytensor.function

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(original(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(pytensor, "function", spy)
    built = build()
    monkeypatch.setattr(pytensor, "function", original)
    return built, list(seen[-1].maker.fgraph.toposort())


def _compiled_ops(monkeypatch: pytest.MonkeyPatch, build: Callable[[], Any]) -> list[str]:
    """The op class names of the PyTensor function ``build()`` compiles."""
    return [type(node.op).__name__ for node in _compiled_nodes(monkeypatch, build)[1]]


def _check(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    rtol = {"float16": 2e-3, "float32": 2e-6}.get(want.dtype.name, 1e-12)
    # A fused multiply-add rounds once where NumPy rounds twice: absolute error near 0.
    finite = np.abs(want[np.isfinite(want)]) if want.dtype.kind == "f" else np.abs(want)
    atol = rtol * float(finite.max(initial=1.0))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# -- static shapes and the C loops (issue 11, item 1) ------------------------------------
def test_static_shapes_compile_the_flat_loop(theano: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    b = theano("CVM")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((64, 32)).astype("float32") for _ in range(3)]
    with kt.use_backend(b):
        x, y, z = (kt.placeholder(shape=(64, 32), name=n) for n in "xyz")
        row = kt.placeholder(shape=(1, 32), name="row")
        outputs = [x + y * abs(z), x * y - row, (x + y * z).T + 1.0]
        ops = _compiled_ops(monkeypatch, lambda: kt.function([x, y, z, row], outputs))
        f = kt.function([x, y, z, row], outputs)
        got = f(*values, values[0][:1])
        # Non-contiguous arguments (a transposed view) take the general loop too.
        transposed = kt.function([x, y, z], x + y * z)(values[0], np.ascontiguousarray(values[1].T).T, values[2])
    b_, c, d = values
    _check(got[0], b_ + c * abs(d))
    _check(got[1], b_ * c - b_[:1])
    _check(got[2], (b_ + c * d).T + np.float32(1.0))
    _check(transposed, b_ + c * d)
    assert "FlatLoopElemwise" in ops


def test_static_shapes_still_give_build_time_and_call_time_shape_errors(theano: Any) -> None:
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=(3, 4), name="x")
        y = kt.placeholder(shape=(5, 4), name="y")
        with pytest.raises(ValueError, match="ktensor"):
            _ = x + y
        f = kt.function([x], x * x + x)
        with pytest.raises(ValueError, match="expects shape \\(3, 4\\)"):
            f(np.ones((4, 4), "float32"))


def test_flat_loops_with_unknown_shapes_broadcasting_and_in_place(theano: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    names = "abcdef"
    values = [rng.standard_normal((5, 3)) for _ in names]
    values[0][1, 1] = values[3][2, 0] = np.nan  # NaN reaches maximum from either side
    values[1][0, 0], values[3][0, 0] = -0.0, np.inf
    with kt.use_backend(theano("CVM")):
        xs = [kt.placeholder(shape=(None, 3), dtype="float64", name=n) for n in names]
        row = kt.placeholder(shape=(1, 3), dtype="float64", name="row")
        a, b, c, d, e, f = xs
        many = kt.maximum(a - b / (abs(c) + 1.0), d) * e * 0.5 + f  # six operands
        outputs = [many, a * b - row, (a + b).exp() * c, a + a * b, (a > b) & (c < d)]
        ops = _compiled_ops(monkeypatch, lambda: kt.function([*xs, row], outputs))
        got = kt.function([*xs, row], outputs)(*values, values[0][:1])
    va, vb, vc, vd, ve, vf = values
    _check(got[0], np.maximum(va - vb / (np.abs(vc) + 1.0), vd) * ve * 0.5 + vf)
    _check(got[1], va * vb - va[:1])
    _check(got[2], np.exp(va + vb) * vc)
    _check(got[3], va + va * vb)
    np.testing.assert_array_equal(got[4], (va > vb) & (vc < vd))
    assert "FlatLoopElemwise" in ops



@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("shape", [(4, 6, 5, 3), (7,), (0, 5, 3), (3, 1, 4)])
def test_row_loops_with_strided_broadcast_and_reversed_operands(theano: Any, dtype: str, shape: tuple[int, ...]) -> None:
    """Nodes of five operands or more over strided views (the window slices of pooling),
    broadcast rows and columns, reversed axes and size-1 axes run one loop per output row."""
    rng = np.random.default_rng(2)
    big = tuple(2 * n for n in shape)
    data = (rng.standard_normal(big) * 10).astype(dtype)
    column = (rng.standard_normal((*shape[:-1], 1)) * 10).astype(dtype)
    row = (rng.standard_normal((1,) * (len(shape) - 1) + shape[-1:]) * 10).astype(dtype)
    if dtype != "int32":
        data.flat[:: max(data.size // 7, 1)] = np.nan  # maximum propagates NaN from either side
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=big, dtype=dtype, name="x")
        col = kt.placeholder(shape=column.shape, dtype=dtype, name="col")
        r = kt.placeholder(shape=row.shape, dtype=dtype, name="r")
        even = tuple(slice(0, 2 * n, 2) for n in shape)
        odd = tuple(slice(1, 2 * n, 2) for n in shape)
        back = tuple(slice(2 * n - 1, None, -2) for n in shape)
        first = tuple(slice(0, n) for n in shape)
        slices = [x[even], x[odd], x[back], x[first]]
        pooled = kt.maximum(kt.maximum(slices[0], slices[1]), kt.maximum(slices[2], slices[3]))
        mixed = slices[0] * col - slices[1] + r * slices[2]
        f = kt.function([x, col, r], [pooled, mixed, pooled + mixed])
        got = f(data, column, row)
    parts = [data[even], data[odd], data[back], data[first]]
    want_pooled = np.maximum(np.maximum(parts[0], parts[1]), np.maximum(parts[2], parts[3]))
    want_mixed = parts[0] * column - parts[1] + row * parts[2]
    for g, w in zip(got, [want_pooled, want_mixed, want_pooled + want_mixed]):
        assert g.shape == w.shape
        _check(g, w)

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("shape", [(6, 5), (7,), (0, 5), (3, 1), (2, 3, 4), (5, 0)])
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown"])
def test_row_loops_read_a_last_axis_broadcast_once_a_row(
    theano: Any, dtype: str, shape: tuple[int, ...], static: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small nodes with an input of size 1 on the last axis (softmax's ``x - max``,
    ``e / sum``) run the row loop that reads it once a row; in place, on strided views
    (which take the strided loop), with sizes 0 and 1 and unknown sizes."""
    rng = np.random.default_rng(4)
    data = (rng.standard_normal(shape) * 10).astype(dtype)
    column = (rng.standard_normal((*shape[:-1], 1)) * 10 + 30).astype(dtype)
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=shape if static else (None,) * len(shape), dtype=dtype, name="x")
        col = kt.placeholder(shape=column.shape if static else (None,) * (len(shape) - 1) + (1,), dtype=dtype, name="col")
        outputs = [x - col, (x * 3) - col, col * x, x[..., ::-1] - col]
        if dtype != "int32":
            outputs.append(kt.exp(x / 10) / (col + 1.0))
        ops = _compiled_ops(monkeypatch, lambda: kt.function([x, col], outputs))
        got = kt.function([x, col], outputs)(data, column)
    want = [data - column, (data * 3) - column, column * data, data[..., ::-1] - column]
    if dtype != "int32":
        want.append(np.exp(data / 10) / (column + 1.0))
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        _check(g, w.astype(g.dtype))
    if shape[-1] != 1 or not static:
        assert "FlatLoopElemwise" in ops


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "uint64", "int8"])
@pytest.mark.parametrize("size", [1, 1000])
def test_maximum_and_minimum_select_as_numpy_in_c_code(theano: Any, dtype: str, size: int) -> None:
    """extremes.py: NaN from either side, NumPy's tie rule by dtype (0.0 against -0.0),
    64-bit integers exact; fused with other outputs (where PyTensor's C code branched)."""
    if np.dtype(dtype).kind == "f":
        values = np.array([0.0, -0.0, np.nan, 1.0, -np.inf, np.inf, -2.5], dtype)
    else:
        info = np.iinfo(dtype)
        values = np.array([info.min, info.max, info.max - 1, 0, 1, 2**53 + 1 if info.bits == 64 else 3], dtype)
    pairs = np.array([(p, q) for p in values for q in values], dtype)
    a, b = np.resize(pairs[:, 0], size * len(pairs)), np.resize(pairs[:, 1], size * len(pairs))
    with kt.use_backend(theano("CVM")):
        x, y = kt.placeholder(shape=(None,), dtype=dtype), kt.placeholder(shape=(None,), dtype=dtype)
        m = kt.maximum(x, y)
        f = kt.function([x, y], [m, kt.minimum(x, y), kt.maximum(m, kt.minimum(y, x))])
        got = f(a, b)
    want = [np.maximum(a, b), np.minimum(a, b), np.maximum(np.maximum(a, b), np.minimum(b, a))]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
        if w.dtype.kind == "f":
            real = ~np.isnan(w)
            np.testing.assert_array_equal(np.signbit(g[real]), np.signbit(w[real]))


# -- NumPy's transcendental kernels inside C code ----------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transcendentals_agree_with_numpy_on_both_sides_of_the_size_threshold(
    theano: Any, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=(None, None), dtype=dtype, name="x")
        outputs = [x.tanh(), x.exp(), x.log(), x.log1p(), x.expm1(), x.sin(), x.cos(), (x.tanh() + 1) * 2,
                   kt.softmax(x), x.exp().sum(axis=1)]
        ops = _compiled_ops(monkeypatch, lambda: kt.function([x], outputs))
        f = kt.function([x], outputs)
    assert "UfuncElemwise" in ops
    for n in (3, 70):  # 9 elements run PyTensor's C loop, 4900 NumPy's (every routed op's threshold)
        a = (np.random.default_rng(n).random((n, n)) + 0.1).astype(dtype)
        e = np.exp(a - a.max(axis=1, keepdims=True))
        want = [np.tanh(a), np.exp(a), np.log(a), np.log1p(a), np.expm1(a), np.sin(a), np.cos(a),
                (np.tanh(a) + 1) * 2, e / e.sum(axis=1, keepdims=True), np.exp(a).sum(axis=1)]
        for got, expected in zip(f(a), want):
            _check(got, expected.astype(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_reductions_agree_with_numpy_on_both_sides_of_the_size_threshold(
    theano: Any, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=(None, None), dtype=dtype, name="x")
        outputs = [x.sum(axis=0), x.mean(axis=1), x.max(), x.sum(), x.min(axis=1), x.max(axis=0, keepdims=True)]
        ops = _compiled_ops(monkeypatch, lambda: kt.function([x], outputs))
        f = kt.function([x], outputs)
    assert {"NumPySum", "NumPyMax", "NumPyMin"} <= set(ops)
    for n in (3, 70):  # 9 elements run PyTensor's C loop, 4900 NumPy's ufunc.reduce
        a = np.random.default_rng(n).standard_normal((n, n)).astype(dtype)
        a[1, 2] = np.nan  # propagates as in NumPy
        want = [a.sum(axis=0), a.mean(axis=1), a.max(), a.sum(), a.min(axis=1), a.max(axis=0, keepdims=True)]
        for got, expected in zip(f(a), want):
            assert got.shape == np.shape(expected)
            _check(got, np.asarray(expected))


def test_small_static_transcendentals_stay_fused(theano: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with kt.use_backend(theano("CVM")):
        x = kt.placeholder(shape=(2, 2), name="x")
        ops = _compiled_ops(monkeypatch, lambda: kt.function([x], (x.tanh() * 2).exp() + 1))
        got = kt.function([x], (x.tanh() * 2).exp() + 1)(np.eye(2, dtype="float32"))
    assert ops == ["Elemwise"]  # one fused loop: a call into NumPy would cost more than it saves
    _check(got, np.exp(np.tanh(np.eye(2, dtype="float32")) * 2) + np.float32(1))


# -- integer wrap-around in PyTensor's Python paths (issue 8) -----------------------------
_AFTER_NEGATION: dict[str, Callable[[Any], Any]] = {
    "sqrt": lambda t: t.sqrt(),
    "abs-sqrt": lambda t: abs(t).sqrt(),
    "exp": lambda t: (t * 0.01).exp(),
    "log1p": lambda t: t.log1p(),
    "sin": lambda t: t.sin(),
    "tanh": lambda t: t.tanh(),
    "times 1.5": lambda t: t * 1.5,
    "divide": lambda t: t / 3,
    "square-root of double": lambda t: (t + t).sqrt(),
}
_NUMPY: dict[str, Callable[[np.ndarray], Any]] = {
    "sqrt": np.sqrt,
    "abs-sqrt": lambda a: np.sqrt(np.abs(a)),
    "exp": lambda a: np.exp(a * 0.01),
    "log1p": np.log1p,
    "sin": np.sin,
    "tanh": np.tanh,
    "times 1.5": lambda a: a * 1.5,
    "divide": lambda a: a / 3,
    "square-root of double": lambda a: np.sqrt(a + a),
}


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64", "int8", "int16"])
def test_negation_then_float_operations_agree_with_numpy(kt_in: Any, theano: Any, dtype: str) -> None:
    info = np.iinfo(dtype)
    values = np.array([0, 1, 3, info.max, info.min, info.max // 2 + 1], dtype=dtype)
    backends = [kt_in] + ([theano("CVM")] if kt_in.name == "theano" else [])
    for backend in backends:
        with kt.use_backend(backend):
            x = kt.placeholder(shape=(None,), dtype=dtype, name="x")
            f = kt.function([x], [_AFTER_NEGATION[name](-x) for name in _AFTER_NEGATION])
            got = f(values)
        with np.errstate(all="ignore"):
            negated = -values
            for result, name in zip(got, _AFTER_NEGATION):
                want = np.asarray(_NUMPY[name](negated))
                assert result.dtype == want.dtype, (backend, name)
                np.testing.assert_allclose(result, want, rtol=2e-3 if want.dtype == np.float16 else 1e-6,
                                           err_msg=f"{backend!r} {name}")


# -- no engine tracebacks for valid programs (issue 8) -----------------------------------
@pytest.mark.parametrize("mode", ["FAST_COMPILE", "CVM"])
def test_valid_constant_programs_print_no_engine_traceback(theano: Any, mode: str, capfd: pytest.CaptureFixture[str]) -> None:
    b = theano(mode)
    with kt.use_backend(b):
        cast = kt.constant(np.array([-1, 2], "int8")).astype("uint8").eval()
        empty = kt.softmax(kt.constant(np.zeros((0, 3), "float32"))).eval()
        half = kt.softmax(kt.constant(np.array([[1, 2, 3]]), dtype="float16")).eval()
        huge = kt.log_softmax(kt.constant(np.array([3e38, 0], "float32"))).eval()
        i = kt.placeholder(shape=(None,), dtype="int8", name="i")
        cast_at_run_time = kt.function([i], i.astype("uint8"))(np.array([-1, -128, 5], "int8"))
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "Rewrite failure" not in captured.err + captured.out
    np.testing.assert_array_equal(cast, np.array([255, 2], "uint8"))
    assert empty.shape == (0, 3) and empty.dtype == np.float32
    e = np.exp(np.array([1, 2, 3], "float32") - 3)
    _check(half, (e / e.sum()).astype("float16")[None])
    _check(huge, np.array([0.0, -3e38], "float32"))
    np.testing.assert_array_equal(cast_at_run_time, np.array([255, 128, 5], "uint8"))


# -- threads (issue 8) ------------------------------------------------------------------
def test_softmax_compiles_with_its_function(theano: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # PyTensor's softmax is an OpFromGraph: left whole, it compiled its inner graph in
    # PyTensor's default mode (Numba) on the first call, outside the compile lock.
    for mode in ("FAST_COMPILE", "CVM"):
        with kt.use_backend(theano(mode)):
            x = kt.placeholder(shape=(None, 3), name="x")
            outputs = [kt.softmax(x), kt.log_softmax(x)]
            ops = _compiled_ops(monkeypatch, lambda: kt.function([x], outputs))  # noqa: B023  # called at once
        assert not {"Softmax", "LogSoftmax", "OpFromGraph"} & set(ops), (mode, ops)


def test_threads_building_and_compiling_at_once_never_fail(theano: Any) -> None:
    per_thread = int(os.environ.get("KTENSOR_THREAD_FUNCTIONS", "12"))
    b = theano("FAST_COMPILE")
    failures: list[str] = []

    def work(seed: int) -> None:
        with kt.use_backend(b):
            for i in range(per_thread):
                try:
                    v = kt.variable(np.full((3,), float(seed + i)), name="v")
                    x = kt.placeholder(shape=(None, 3), name="x")
                    f = kt.function([x], [kt.softmax(x * v), (x + v).sum()])
                    probabilities, total = f(np.ones((2, 3), "float32"))
                    if not np.allclose(probabilities.sum(axis=1), 1) or total != 6 * (1 + seed + i):
                        failures.append(f"thread {seed}: wrong result")
                except Exception as error:  # any failure is what the test counts
                    failures.append(f"thread {seed}: {error}")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# -- JAX mode (issue 11, item 3) -------------------------------------------------------
def test_jax_mode_keeps_float32_and_leaves_jax_global_settings_alone(theano: Any) -> None:
    require("jax")
    import jax
    import jax.numpy as jnp

    before = bool(jax.config.read("jax_enable_x64"))
    b = theano("JAX")
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None, 4), name="x")
        y = kt.placeholder(shape=(None, 2), name="y")
        w = kt.variable(np.full((4, 2), 0.1), name="w")
        bias = kt.variable(np.zeros(2), name="bias")
        logits = x @ w + bias
        loss = -(y * kt.log_softmax(logits, axis=-1)).sum(axis=-1).mean()
        gw, gb = kt.gradients(loss, [w, bias])
        step = kt.function([x, y], [loss, logits.mean(), x.sum(axis=0)],
                           updates=[(w, w - 0.1 * gw), (bias, bias - 0.1 * gb)])
        wide = kt.placeholder(shape=(None,), dtype="int64", name="wide")
        exact = kt.function([wide], [wide + 1, wide.astype("float64") * 0.5])
        xs = np.ones((3, 4), "float32")
        ys = np.eye(2, dtype="float32")[[0, 1, 0]]
        for _ in range(3):
            outputs = step(xs, ys)
            assert [o.dtype for o in outputs] == [np.float32] * 3
        assert w.get_value().dtype == np.float32 and bias.get_value().dtype == np.float32
        assert w.get_value().flags.writeable
        big = np.array([2**53 + 1, -(2**40)], "int64")
        plus_one, halves = exact(big)
    np.testing.assert_array_equal(plus_one, big + 1)
    assert halves.dtype == np.float64
    np.testing.assert_array_equal(halves, big.astype("float64") * 0.5)
    assert bool(jax.config.read("jax_enable_x64")) == before
    assert jnp.arange(3).dtype == (jnp.int64 if before else jnp.int32)


def test_jax_mode_runs_ktensor_run_time_checks(theano: Any, capfd: pytest.CaptureFixture[str]) -> None:
    require("jax")
    with kt.use_backend(theano("JAX")):
        x = kt.placeholder(shape=(None,), dtype="int64", name="x")
        v = kt.variable(np.zeros(2), name="v")
        f = kt.function([x], x[x], updates=[(v, v + 1)])
        np.testing.assert_array_equal(f(np.array([1, 0])), [0, 1])
        with pytest.raises(kt.EngineError, match="ktensor: an index is out of bounds for axis 0"):
            f(np.array([0, 5]))  # JAX alone clamps the index and returns 5
        np.testing.assert_array_equal(v.get_value(), [1.0, 1.0])  # the failed call stored nothing
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_jax_mode_runs_rnn_with_masks_backwards_and_gradients_through_time(theano: Any) -> None:
    """The loop's zero-step fix (a lazy ifelse) is a JAX cond of unequal shapes: JAX mode
    runs the loop as traced, and agrees with the C mode, gradients included."""
    require("jax")
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((2, 5, 3)).astype("float32")
    keep = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "float32")
    w0 = (rng.standard_normal((3, 4)) * 0.5).astype("float32")
    results = {}
    for mode in ("CVM", "JAX"):
        with kt.use_backend(theano(mode)):
            x = kt.placeholder(shape=(2, 5, 3), name="x")
            mask = kt.placeholder(shape=(2, 5), name="mask")
            w = kt.variable(w0, name="w")

            def step(x_t: Any, states: list[Any], w: Any = w) -> tuple[Any, list[Any]]:
                h = kt.tanh(x_t @ w + states[0])
                return h, [h]

            last, outputs, _ = kt.rnn(step, x, [kt.zeros((2, 4))], go_backwards=True, mask=mask)
            loss = (last**2).sum() + outputs.mean()
            (grad,) = kt.gradients(loss, [w])
            results[mode] = kt.function([x, mask], [last, outputs, grad])(xs, keep)
    for got, want in zip(results["JAX"], results["CVM"]):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_softmax_and_log_softmax_of_one_input_share_their_exp(theano: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Merged before fusion: one exp and one sum for both (they were computed twice)."""
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((256, 128)).astype("float32")  # exp through NumPy (ufuncs.py)
    labels = np.eye(128, dtype="float32")[rng.integers(0, 128, 256)]
    with kt.use_backend(theano("CVM")):
        x, y = kt.placeholder(shape=(256, 128)), kt.placeholder(shape=(256, 128))
        outputs = [kt.softmax(x), -(y * kt.log_softmax(x)).sum(axis=-1).mean()]
        f, nodes = _compiled_nodes(monkeypatch, lambda: kt.function([x, y], outputs))
        probabilities, loss = f(logits, labels)
    exps = [str(n.op) for n in nodes if str(n.op) == "Exp" or "exp(" in str(n.op)]
    assert len(exps) == 1, [str(n.op) for n in nodes]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    want = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(probabilities, want, rtol=1e-6)
    np.testing.assert_allclose(loss, -(labels * np.log(want)).sum(axis=-1).mean(), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int64"])
def test_integer_modulo_whose_c_code_can_fail_compiles_in_every_loop(theano: Any, dtype: str) -> None:
    """Found by the fuzz in CVM: integer ``%`` has a fail branch (modulo by zero), whose
    goto cannot leave the flat and row loops' lambdas; such nodes keep PyTensor's loop."""
    rng = np.random.default_rng(5)
    big = (rng.integers(1, 5, (4, 6)) if dtype != "bool" else np.ones((4, 6))).astype(dtype)
    with kt.use_backend(theano("CVM")):
        s = kt.placeholder(shape=(), dtype=dtype)
        x = kt.placeholder(shape=(4, 6), dtype=dtype)
        parts = [x[::2, ::2], x[1::2, ::2], x[::2, 1::2], x[1::2, 1::2]]
        divisor = kt.invert(kt.constant(~big))  # folded to a constant: big again
        outputs = [s % divisor, s % x, x % x, parts[0] % parts[1] + parts[2] % parts[3]]
        got = kt.function([s, x], outputs)(np.array(3 if dtype != "bool" else True, dtype), big)
    v = np.array(3 if dtype != "bool" else True, dtype)
    p = [big[::2, ::2], big[1::2, ::2], big[::2, 1::2], big[1::2, 1::2]]
    for g, w in zip(got, [v % big, v % big, big % big, p[0] % p[1] + p[2] % p[3]]):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64"])
def test_nested_integer_divisions_by_zero_give_numpys_zero_in_c_code(theano: Any, dtype: str) -> None:
    """Found by the fuzz in CVM: ``(a // b) // b`` with ``b == 0`` raised "integer division
    by zero". PyTensor sank the second division into the select guarding the first and
    computed both branches of the fused select; the guard is now arithmetic."""
    a = np.array([True, False, True] if dtype == "bool" else [7, 0, 5], dtype)
    b = np.array([False, True, False] if dtype == "bool" else [0, 3, 0], dtype)
    with kt.use_backend(theano("CVM")):
        x, y = kt.placeholder(shape=(3,), dtype=dtype), kt.placeholder(shape=(3,), dtype=dtype)
        outputs = [(x // y) // y, (x % y) % y, (x // y) % y, kt.floor_divide(x, y) // (y + y)]
        got = kt.function([x, y], outputs)(a, b)
    with np.errstate(divide="ignore"):
        want = [(a // b) // b, (a % b) % b, (a // b) % b, np.floor_divide(a, b) // (b + b)]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
