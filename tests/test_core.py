"""The contract end to end on both engines: functions, errors, gradients, updates, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import ktensor as kt
from ktensor.tensor import Tensor


# -- the Tensor --------------------------------------------------------------------
def test_attributes_repr_hash_and_truth(kt_in):
    x = kt.placeholder(shape=(None, 4, 5), name="x")
    assert (x.shape, x.ndim, x.dtype, x.name, x.backend) == ((None, 4, 5), 3, "float32", "x", kt_in)
    assert x.native is not None
    text = repr(x)
    assert kt_in.name in text and "float32" in text and "(None, 4, 5)" in text and "'x'" in text
    y = x + 1
    assert len({x, y, x}) == 2 and hash(x) == object.__hash__(x)
    with pytest.raises(TypeError, match="truth value"):
        bool(x > 0)
    assert kt.placeholder(ndim=2).shape == (None, None)


def test_ndarray_on_the_left_reaches_the_reflected_operator(kt_in):
    t = kt.constant([1.0, 2.0, 3.0])
    for result, expected in [
        (np.ones(3) + t, np.ones(3) + np.float32([1, 2, 3])),
        (2 ** t, 2 ** np.float32([1, 2, 3])),
        ([1, 2, 3] * t, np.array([1, 2, 3]) * np.float32([1, 2, 3])),
        (np.float64(2) - t, np.float64(2) - np.float32([1, 2, 3])),
    ]:
        assert isinstance(result, Tensor)
        value = result.eval()
        assert value.dtype == expected.dtype
        np.testing.assert_allclose(value, expected)


def test_array_protocol_and_eval_feed(kt_in):
    t = kt.constant([[1, 2], [3, 4]], dtype="int32")
    assert np.asarray(t).tolist() == [[1, 2], [3, 4]]
    assert np.asarray(t).tolist() == t.eval().tolist() == t.eval().tolist()  # evaluated again: cached
    x = kt.placeholder(shape=(2,), dtype="int32", name="x")
    y = x * 3
    assert y.eval({x: [1, 2]}).tolist() == [3, 6]
    assert y.eval({x: [5, 6]}).tolist() == [15, 18]


def test_eval_cache_is_dropped_with_the_tensor(kt_in):
    import gc

    t = kt.constant([1.0]) + 1
    t.eval()
    assert id(t) in kt_in._eval_cache
    key = id(t)
    del t
    gc.collect()
    assert key not in kt_in._eval_cache


def test_numpy_dtype_rules_for_operands(kt_in):
    f32 = kt.constant([1.0, 2.0, 3.0], dtype="float32")
    i32 = kt.constant([1, 2, 3], dtype="int32")
    assert (f32 * np.ones(3)).dtype == "float64"
    assert (f32 + 2.0).dtype == "float32"
    assert (i32 + f32).dtype == "float64"
    assert (i32 / i32).dtype == "float64"
    assert (kt.constant([1], dtype="int8") + kt.constant([1], dtype="uint8")).dtype == "int16"
    assert kt.constant([1, 2]).dtype == "int64" and kt.constant(True).dtype == "bool"
    assert kt.constant(np.array([1, 2], dtype="int16")).dtype == "int16"
    assert kt.mean(kt.constant([1, 2], dtype="int32")).eval().dtype == np.float64
    with pytest.raises(OverflowError, match="300"):
        kt.constant([1], dtype="int8") + 300


def test_negative_integer_floor_division_and_modulo(kt_in):
    a = np.array([-7, 7, -7, 7, 5, -5], dtype="int32")
    b = np.array([2, -2, -2, 2, 0, 0], dtype="int32")
    x, y = kt.constant(a), kt.constant(b)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((x // y).eval(), a // b)
        np.testing.assert_array_equal((x % y).eval(), a % b)
    assert (kt.constant(1.0, dtype="float64") // 0.1).eval() == 9.0


# -- build-time errors ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: kt.placeholder(shape=(2, 3)) + kt.placeholder(shape=(4,)), r"\(2, 3\).*\(4,\)"),
        (lambda: kt.placeholder(shape=(2, 3)) @ kt.placeholder(shape=(4, 5)), r"\(2, 3\).*\(4, 5\)"),
        (lambda: kt.dot(kt.placeholder(shape=(2, 3)), kt.placeholder(shape=(2, 3))), r"\(2, 3\).*\(2, 3\)"),
        (lambda: kt.concatenate([kt.zeros((2, 3)), kt.zeros((3, 2))], axis=0), r"\(2, 3\).*\(3, 2\)"),
        (lambda: kt.placeholder(shape=(2, 3)).reshape((4, 2)), r"\(2, 3\).*\(4, 2\)"),
        (lambda: kt.zeros((2, 3)).sum(axis=2), r"axis=2"),
        (lambda: kt.zeros((2, 3)).squeeze(axis=0), r"size 2"),
    ],
)
def test_static_shape_errors_at_build_time(kt_in, build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_index_errors(kt_in):
    t = kt.zeros((2, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        t[5]
    with pytest.raises(IndexError, match="too many"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="out of bounds"):
        t[:, [0, 7]]


def test_mixing_backend_instances_is_a_type_error(B, backend_name):
    from ktensor import backends

    other = backends.TensorFlowBackend() if backend_name == "theano" else backends.TheanoBackend()
    a = kt.constant([1.0], backend=B)
    b = kt.constant([1.0], backend=other)
    with pytest.raises(TypeError) as info:
        a + b
    assert type(B).__name__ in str(info.value) and type(other).__name__ in str(info.value)
    same_class_twice = type(B)()
    with pytest.raises(TypeError, match="never mix"):
        kt.constant([1.0], backend=same_class_twice) * a


def test_bad_input_names_the_argument(kt_in):
    with pytest.raises(TypeError, match="operand 2.*'abc'"):
        kt.constant([1.0]) + "abc"
    with pytest.raises(TypeError, match="placeholder dtype.*complex"):
        kt.placeholder(shape=(2,), dtype="complex64")
    with pytest.raises(ValueError, match="float16, float32, float64|float"):
        kt.set_floatx("int8")


# -- compiled functions --------------------------------------------------------------------
def test_function_argument_checks(kt_in):
    x = kt.placeholder(shape=(None, 3), dtype="float32", name="x")
    n = kt.placeholder(shape=(), dtype="int32", name="n")
    f = kt.function([x, n], x * n)
    np.testing.assert_allclose(f(np.ones((2, 3)), 2), 2 * np.ones((2, 3)))  # float64 -> float32 same_kind
    assert f(np.ones((1, 3), dtype="int64"), np.int8(3)).dtype == np.float64  # float32 * int32, as NumPy
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'x'.*\(None, 3\).*\(2, 4\)"):
        f(np.ones((2, 4)), 1)
    with pytest.raises(TypeError, match=r"'n'.*int32.*float64"):
        f(np.ones((2, 3)), 1.5)
    with pytest.raises(OverflowError, match=r"'n'.*int32.*wrap"):
        f(np.ones((2, 3)), 2**40)
    assert f(np.ones((1, 3)), np.int64(-7)).tolist() == [[-7.0, -7.0, -7.0]]  # fits: cast


def test_missing_placeholder_is_named(kt_in):
    x = kt.placeholder(shape=(2,), name="needed")
    with pytest.raises(ValueError, match="needed"):
        (x + 1).eval()
    with pytest.raises(ValueError, match="needed"):
        kt.function([], x * 2)


def test_list_and_single_outputs(kt_in):
    x = kt.placeholder(shape=(2,), name="x")
    single = kt.function([x], x + 1)([1.0, 2.0])
    both = kt.function([x], [x + 1, x.sum()])([1.0, 2.0])
    assert isinstance(single, np.ndarray) and isinstance(both, list) and len(both) == 2


def test_updates_see_old_values_and_outputs_too(kt_in):
    a = kt.variable(1.0, name="a")
    b = kt.variable(10.0, name="b")
    f = kt.function([], [a, b], updates=[(a, b), (b, a)])
    for _ in range(20):  # a race would show up as a repeated value
        before = (float(a.get_value()), float(b.get_value()))
        out = f()
        assert (float(out[0]), float(out[1])) == before
        assert (float(a.get_value()), float(b.get_value())) == (before[1], before[0])


def test_two_updates_of_one_variable(kt_in):
    v = kt.variable([1.0])
    with pytest.raises(ValueError, match="twice"):
        kt.function([], v, updates=[(v, v + 1), (v, v * 2)])


def test_variables_get_and_set(kt_in):
    v = kt.variable(np.arange(3), name="v")
    assert v.dtype == "int64" and v.get_value().tolist() == [0, 1, 2]
    v.set_value(np.array([5, 6, 7], dtype="int8"))
    assert (v * 2).eval().tolist() == [10, 12, 14]
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        v.set_value([1, 2])
    with pytest.raises(TypeError, match="same_kind"):
        v.set_value([1.5, 2.5, 3.5])
    with pytest.raises(TypeError, match="variable"):
        kt.constant([1]).set_value([2])


def test_engine_failure_is_wrapped(kt_in):
    x = kt.placeholder(shape=(None,), dtype="int64", name="i")
    data = kt.constant([1.0, 2.0])
    f = kt.function([x], data[x])
    assert f([1, 0]).tolist() == [2.0, 1.0]
    with pytest.raises(kt.EngineError, match=kt_in.name):
        f([5])


def test_concurrent_calls_of_one_function(kt_in):
    x = kt.placeholder(shape=(None, 8), dtype="float64", name="x")
    f = kt.function([x], (x * 2).sum(axis=1) + x.max(axis=1))
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def worker(seed: int) -> None:
        rng = np.random.default_rng(seed)
        barrier.wait()
        for _ in range(50):
            data = rng.random((16, 8))
            got = f(data)
            if not np.allclose(got, (data * 2).sum(axis=1) + data.max(axis=1)):
                errors.append(f"thread {seed}: wrong result")

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- gradients and training ---------------------------------------------------------------------
def test_gradients_match_finite_differences(kt_in):
    rng = np.random.default_rng(0)
    w0, x0 = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    x = kt.placeholder(shape=(4, 3), dtype="float64", name="x")
    w = kt.variable(w0, dtype="float64", name="w")
    loss = kt.logsumexp(kt.tanh(x @ w), axis=1).mean() + (w * w).sum() * 0.1
    grad_w, grad_x = kt.gradients(loss, [w, x])
    f_loss = kt.function([x], loss)
    g = kt.function([x], [grad_w, grad_x])(x0)
    eps = 1e-6
    numeric = np.zeros_like(w0)
    for i in np.ndindex(*w0.shape):
        for sign in (1, -1):
            shifted = w0.copy()
            shifted[i] += sign * eps
            w.set_value(shifted)
            numeric[i] += sign * f_loss(x0) / (2 * eps)
    np.testing.assert_allclose(g[0], numeric, rtol=1e-5, atol=1e-8)
    assert g[0].dtype == np.float64 and g[1].shape == (4, 3)


def test_gradient_rules(kt_in):
    w = kt.variable([1.0, 2.0])
    unused = kt.variable([[3.0]])
    g_w, g_unused = kt.gradients((w * w).sum(), [w, unused])
    assert g_w.eval().tolist() == [2.0, 4.0] and g_unused.eval().tolist() == [[0.0]]
    with pytest.raises(TypeError, match="floating"):
        kt.gradients(w.sum(), [kt.variable([1, 2])])


def test_training_loop_learns(kt_in):
    rng = np.random.default_rng(1)
    true_w = np.array([[2.0], [-3.0]], dtype="float32")
    data = rng.normal(size=(64, 2)).astype("float32")
    target = data @ true_w + 0.5
    x = kt.placeholder(shape=(None, 2), name="x")
    y = kt.placeholder(shape=(None, 1), name="y")
    w = kt.variable(np.zeros((2, 1)), name="w")
    b = kt.variable(np.zeros((1,)), name="b")
    loss = kt.square(x @ w + b - y).mean()
    gw, gb = kt.gradients(loss, [w, b])
    step = kt.function([x, y], loss, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    first = step(data, target)
    for _ in range(200):
        last = step(data, target)
    assert last < first * 1e-3
    np.testing.assert_allclose(w.get_value(), true_w, atol=1e-2)
    assert w.get_value().dtype == np.float32


def test_random_tensors_are_seeded_and_fresh_each_call(kt_in):
    u = kt.random_uniform((1000,), minval=2.0, maxval=3.0, seed=7)
    f = kt.function([], u)
    first, second = f(), f()
    assert first.dtype == np.float32 and first.min() >= 2.0 and first.max() < 3.0
    assert not np.array_equal(first, second)
    again = kt.function([], kt.random_uniform((1000,), minval=2.0, maxval=3.0, seed=7))()
    np.testing.assert_array_equal(again, first)
    n = kt.random_normal((20000,), mean=1.0, stddev=2.0, dtype="float64", seed=3).eval()
    assert n.dtype == np.float64 and abs(n.mean() - 1.0) < 0.1 and abs(n.std() - 2.0) < 0.1


# -- subclassing ------------------------------------------------------------------------------
def test_subclass_override_reaches_operators_methods_and_compositions(backend_name):
    from ktensor import backends

    base = backends.TheanoBackend if backend_name == "theano" else backends.TensorFlowBackend

    class Experiment(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.calls: dict[str, int] = {}

        def _count(self, op: str) -> None:  # type: ignore[override]
            self.calls[op] = self.calls.get(op, 0) + 1

        def multiply(self, x, y):
            self._count("multiply")
            return super().multiply(x, y)

        def dot(self, x, y):
            self._count("dot")
            return super().dot(x, y)

        def exp(self, x):
            self._count("exp")
            return self.power(np.e, x)

    b = Experiment()
    with kt.use_backend(b):
        t = kt.constant([[1.0, 2.0], [3.0, 4.0]])
        _ = t * 2
        _ = 3 * t
        _ = t.dot(t)
        _ = kt.dot(t, t)
        soft = kt.softmax(t).eval()
    assert b.calls == {"multiply": 2, "dot": 2, "exp": 1}
    e = np.exp(np.float32([[1, 2], [3, 4]]) - np.float32([[2], [4]]))
    np.testing.assert_allclose(soft, e / e.sum(axis=1, keepdims=True), rtol=1e-5)


def test_broadcasting_an_unknown_dimension_at_run_time(kt_in):
    t = kt.placeholder(shape=(None, 3), name="t")
    u = kt.placeholder(shape=(4, 3), name="u")
    f = kt.function([t, u], t + u)
    if kt_in.runtime_broadcasting:
        assert f(np.ones((1, 3)), np.ones((4, 3))).shape == (4, 3)
    else:
        with pytest.raises(kt.EngineError, match="declare|give that dimension as 1"):
            f(np.ones((1, 3)), np.ones((4, 3)))
    assert f(np.ones((4, 3)), np.ones((4, 3))).shape == (4, 3)


def test_fused_kernels_only_while_the_composition_is_intact(B):
    assert B._fused_kernel("native_softmax", "exp") is not None

    class OwnExp(type(B)):  # type: ignore[misc]
        def exp(self, x):
            return super().exp(x)

    assert OwnExp()._fused_kernel("native_softmax", "exp") is None


def test_run_time_index_and_shape_checks(kt_in):
    x = kt.placeholder(shape=(None, 2), name="x")
    m = kt.placeholder(shape=(None,), dtype="bool", name="m")
    j = kt.placeholder(shape=(), dtype="int64", name="j")
    data = np.arange(8.0).reshape(4, 2)
    by_mask, by_index, squeezed = kt.function([x, m], x[m]), kt.function([x, j], x[j]), kt.function([x], x.squeeze(0))
    assert by_mask(data, [False, True, True, False]).tolist() == data[[False, True, True, False]].tolist()
    assert by_index(data, -1).tolist() == data[-1].tolist()
    assert squeezed(np.ones((1, 2))).tolist() == [1.0, 1.0]
    with pytest.raises(kt.EngineError, match="boolean index"):
        by_mask(data, [False, True])
    with pytest.raises(kt.EngineError, match="out of bounds"):
        by_index(data, -5)
    with pytest.raises(kt.EngineError, match="out of bounds"):
        by_index(data, 4)
    with pytest.raises(kt.EngineError, match="size 1"):
        squeezed(np.ones((2, 2)))


def test_gradients_through_indexing(kt_in):
    w = kt.variable([1.0, 2.0, 3.0])
    [g] = kt.gradients(w[[0, 0, 2]].sum() + w[w > 1.5].sum(), [w])
    np.testing.assert_allclose(g.eval(), [2.0, 1.0, 2.0])


def test_names_any_engine_accepts(kt_in):
    p = kt.placeholder(shape=(1,), name="my x:0")
    v = kt.variable([1.0], name="é-w")
    assert p.name == "my x:0" and v.name == "é-w"
    assert (p + v).eval({p: [1.0]}).tolist() == [2.0]


def test_concurrent_calls_keep_every_update(kt_in):
    n = kt.variable(0, dtype="int64")
    step = kt.function([], n, updates=[(n, n + 1)])
    threads = [threading.Thread(target=lambda: [step() for _ in range(100)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(n.get_value()) == 400


def test_outputs_never_alias_the_inputs(kt_in):
    x = kt.placeholder(shape=(2,), name="x")
    a = np.ones(2, np.float32)
    single, both = kt.function([x], x)(a), kt.function([x], [x, x * 2])(a)[0]
    assert not np.shares_memory(single, a) and not np.shares_memory(both, a)
