"""§8 creation/info, variables and graph functions: what the conformance kit cannot check
(random draws, update pairs, host-side calls, closures, printing, errors, Jacobians)."""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops.control import add, square

# -- creation and information -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "dtype", "expected"),
    [(1.5, None, "float32"), (2, None, "int64"), (True, None, "bool"), (2, "int8", "int8"), (np.float64(1), None, "float32")],
)
def test_full_dtype_rule(kt_in, value, dtype, expected) -> None:
    t = kt.full((2, 3), value, dtype=dtype)
    assert (t.dtype, t.shape) == (expected, (2, 3))
    np.testing.assert_array_equal(t.eval(), np.full((2, 3), value, dtype=expected))


def test_full_refuses_bad_arguments(kt_in) -> None:
    with pytest.raises(ValueError, match="full: shape"):
        kt.full((None, 2), 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="full: value must be a scalar"):
        kt.full((2,), [1.0, 2.0])


def test_full_like_keeps_unknown_dims(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3), dtype="int8")
    y = kt.full_like(x, 5)
    assert (y.dtype, y.shape) == ("int8", (None, 3))
    np.testing.assert_array_equal(y.eval({x: np.zeros((2, 3), "int8")}), np.full((2, 3), 5, "int8"))
    z = kt.full_like(x, 0.5, dtype="float64")
    assert z.eval({x: np.zeros((1, 3), "int8")}).tolist() == [[0.5, 0.5, 0.5]]


def test_linspace(kt_in) -> None:
    t = kt.linspace(0, 2, 5)
    assert (t.dtype, t.shape) == ("float32", (5,))
    np.testing.assert_allclose(t.eval(), [0, 0.5, 1, 1.5, 2])
    with pytest.raises(ValueError, match="linspace: num must be an int >= 0"):
        kt.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="linspace: start must be a number"):
        kt.linspace("a", 1, 3)  # type: ignore[arg-type]


def test_identity_and_cast(kt_in) -> None:
    x = kt.placeholder(shape=(None, 2), name="x")
    assert kt.identity(x).shape == (None, 2)
    assert kt.cast(x, "int32").dtype == "int32"
    assert kt.identity(x).eval({x: [[1.0, 2.0]]}).tolist() == [[1.0, 2.0]]


def test_random_binomial(kt_in) -> None:
    r = kt.random_binomial((2000,), p=0.3, seed=4)
    assert (r.dtype, r.shape) == ("float32", (2000,))
    values = r.eval()
    assert set(np.unique(values).tolist()) <= {0.0, 1.0}
    assert abs(values.mean() - 0.3) < 0.05
    assert not kt.random_binomial((10,), p=0.0).eval().any()
    assert kt.random_binomial((10,), p=1.0, dtype="float64").eval().all()
    # the same seed, the same first draw
    np.testing.assert_array_equal(kt.random_binomial((50,), 0.5, seed=9).eval(), kt.random_binomial((50,), 0.5, seed=9).eval())
    with pytest.raises(ValueError, match=r"random_binomial: p must be a number in \[0, 1\]"):
        kt.random_binomial((2,), p=1.5)
    with pytest.raises(TypeError, match="random_binomial: dtype must be a float dtype"):
        kt.random_binomial((2,), p=0.5, dtype="int32")


def test_truncated_normal(kt_in) -> None:
    r = kt.truncated_normal((4000,), mean=1.0, stddev=0.5, seed=2)
    assert (r.dtype, r.shape) == ("float32", (4000,))
    values = r.eval()
    assert values.min() >= 1.0 - 2 * 0.5 - 1e-6 and values.max() <= 1.0 + 2 * 0.5 + 1e-6
    assert abs(values.mean() - 1.0) < 0.05
    # a truncated normal's stddev is 0.88 of the normal's; clipping would keep mass at the edges
    assert 0.40 < values.std() < 0.47
    assert np.mean(np.abs(values - 1.0) > 0.99) < 0.01
    np.testing.assert_array_equal(kt.truncated_normal((5,), seed=3).eval(), kt.truncated_normal((5,), seed=3).eval())
    with pytest.raises(TypeError, match="truncated_normal: dtype must be a float dtype"):
        kt.truncated_normal((2,), dtype="int8")


def test_random_variables(kt_in) -> None:
    u = kt.random_uniform_variable((3, 4), -1.0, 2.0, seed=5, name="u")
    assert kt.is_variable(u) and (u.dtype, u.shape, u.name) == ("float32", (3, 4), "u")
    value = u.get_value()
    assert value.min() >= -1.0 and value.max() < 2.0
    np.testing.assert_array_equal(value, kt.random_uniform_variable((3, 4), -1.0, 2.0, seed=5).get_value())
    n = kt.random_normal_variable((1000,), 3.0, 0.5, dtype="float64", seed=5)
    assert n.dtype == "float64" and abs(n.get_value().mean() - 3.0) < 0.1
    assert abs(n.get_value().std() - 0.5) < 0.05


def test_random_variables_agree_across_engines() -> None:
    values = [
        kt.random_normal_variable((4,), 0.0, 1.0, seed=11, backend=name).get_value() for name in ("theano", "tensorflow")
    ]
    np.testing.assert_array_equal(*values)  # type: ignore[arg-type]


def test_information(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3), dtype="int8", name="x")
    v = kt.variable(np.zeros((2, 5)))
    assert kt.int_shape(x) == (None, 3) and kt.ndim(x) == 2 and kt.dtype(x) == "int8"
    assert kt.count_params(v) == 10 and isinstance(kt.count_params(v), int)
    with pytest.raises(ValueError, match="count_params needs every size known"):
        kt.count_params(x)
    assert kt.is_tensor(x) and kt.is_tensor(v) and not kt.is_tensor(np.zeros(2))
    assert kt.is_placeholder(x) and not kt.is_placeholder(v)
    assert kt.is_variable(v) and not kt.is_variable(x) and not kt.is_variable(x + 1)
    assert not hasattr(x, "int_shape") and not hasattr(x, "is_tensor")


def test_shape_and_size_at_run_time(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3, None), name="x")
    s, n = kt.shape(x), kt.size(x)
    assert (s.dtype, s.shape, n.dtype, n.shape) == ("int64", (3,), "int64", ())
    f = kt.function([x], [s, n])
    got_shape, got_size = f(np.zeros((2, 3, 5), "float32"))
    assert got_shape.tolist() == [2, 3, 5] and int(got_size) == 30
    assert kt.shape(kt.constant(1.0)).eval().shape == (0,)
    assert int(kt.size(kt.constant(1.0)).eval()) == 1


# -- variables ------------------------------------------------------------------------


def test_update_pairs_in_a_function(kt_in) -> None:
    a, b, c, d = (kt.variable(np.array([1.0, 2.0]), name=n) for n in "abcd")
    x = kt.placeholder(shape=(2,), name="x")
    updates = [kt.update(a, x * 2), kt.update_add(b, x), kt.update_sub(c, 1), kt.moving_average_update(d, x, 0.9)]
    for var, new in updates:
        assert var.role == "variable" and new.dtype == var.dtype
    f = kt.function([x], a + 0, updates=updates)
    out = f([10.0, 20.0])
    np.testing.assert_allclose(out, [1.0, 2.0])  # computed from the values before the call
    np.testing.assert_allclose(a.get_value(), [20.0, 40.0])
    np.testing.assert_allclose(b.get_value(), [11.0, 22.0])
    np.testing.assert_allclose(c.get_value(), [0.0, 1.0])
    np.testing.assert_allclose(d.get_value(), [0.9 + 1.0, 1.8 + 2.0], rtol=1e-6)
    f([10.0, 20.0])
    np.testing.assert_allclose(c.get_value(), [-1.0, 0.0])


def test_update_casts_and_refuses(kt_in) -> None:
    i = kt.variable(np.array([1, 2], "int32"))
    var, new = kt.update_add(i, np.array([1, 1], "int64"))
    assert new.dtype == "int32"
    kt.function([], [], updates=[(var, new)])()
    assert i.get_value().tolist() == [2, 3]
    with pytest.raises(TypeError, match="update_add: the new value of .* has dtype float64, which does not cast to int32"):
        kt.update_add(i, 0.5)
    with pytest.raises(TypeError, match="update x must be a variable"):
        kt.update(kt.constant([1.0]), [2.0])
    with pytest.raises(ValueError, match="update: the new value of .* has shape"):
        kt.update(i, [1, 2, 3])


def test_batch_values(kt_in) -> None:
    a, b = kt.variable([1.0]), kt.variable(np.array([[1, 2]], "int8"))
    kt.batch_set_value([(a, [5.0]), (b, [[3, 4]])])
    got = kt.batch_get_value([a, b])
    assert isinstance(got, list) and got[0].tolist() == [5.0] and got[1].dtype == np.int8
    assert got[1].tolist() == [[3, 4]]
    with pytest.raises(TypeError, match="batch_set_value: tuples\\[0\\] must be a \\(variable, value\\) pair"):
        kt.batch_set_value([a])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="batch_get_value: xs must be a list"):
        kt.batch_get_value(a)  # type: ignore[arg-type]


# -- graph --------------------------------------------------------------------------


def test_stop_gradient(kt_in) -> None:
    w = kt.variable([1.0, 3.0])
    v = kt.variable([2.0, 2.0])
    stopped = kt.stop_gradient([w, v])
    assert isinstance(stopped, list) and len(stopped) == 2
    g_w, g_v = kt.gradients((stopped[0] * stopped[1] + w * v).sum(), [w, v])
    np.testing.assert_allclose(g_w.eval(), [2.0, 2.0])
    np.testing.assert_allclose(g_v.eval(), [1.0, 3.0])


def test_map_fn_closes_over_placeholders(kt_in) -> None:
    x = kt.placeholder(shape=(None, 2), name="x")
    c = kt.placeholder(shape=(2,), name="c")
    y = kt.map_fn(lambda row: row * c + 1, x)
    assert (y.dtype, y.shape) == ("float32", (None, 2))
    assert c in y.placeholders and x in y.placeholders
    f = kt.function([x, c], [y, kt.gradients(y.sum(), [c])[0]])
    out, grad = f([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [10.0, 100.0])
    np.testing.assert_allclose(out, [[11, 201], [31, 401], [51, 601]])
    np.testing.assert_allclose(grad, [9.0, 12.0])


def test_map_fn_dtype_and_errors(kt_in) -> None:
    y = kt.map_fn(lambda r: r.sum(), kt.constant([[1, 2], [3, 4]]), dtype="float32")
    assert (y.dtype, y.shape) == ("float32", (2,))
    assert y.eval().tolist() == [3.0, 7.0]
    assert kt.map_fn(square, kt.constant([1.0, 2.0])).eval().tolist() == [1.0, 4.0]
    with pytest.raises(TypeError, match="map_fn: fn must be a callable"):
        kt.map_fn(1, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="map_fn: elems must have at least 1 dimension"):
        kt.map_fn(square, kt.constant(1.0))


def test_folds_order_and_initializer(kt_in) -> None:
    elems = kt.constant([1, 2, 3])

    def digits(acc, x):
        return acc * 10 + x

    assert int(kt.foldl(digits, elems).eval()) == 123
    assert int(kt.foldr(digits, elems).eval()) == 321
    assert int(kt.foldl(digits, elems, initializer=kt.constant(9)).eval()) == 9123
    assert int(kt.foldr(digits, elems, 9).eval()) == 9321
    assert int(kt.foldl(add, kt.constant([4])).eval()) == 4  # zero steps: the first element
    with pytest.raises(ValueError, match="foldl: elems is empty and there is no initializer"):
        kt.foldl(add, kt.zeros((0,)))
    with pytest.raises(TypeError, match="foldl: fn returned dtype float64, which does not cast"):
        kt.foldl(lambda a, x: a + 0.5 * kt.cast(x, "float64"), kt.constant([1, 2]))


def test_foldl_gradient_and_unknown_length(kt_in) -> None:
    x = kt.placeholder(shape=(None, 2), dtype="float64", name="x")
    w = kt.variable(np.array([2.0, 3.0]))
    total = kt.foldl(lambda acc, row: acc * w + row, x)
    assert total.shape == (2,)
    f = kt.function([x], [total, kt.gradients(total.sum(), [w])[0]])
    value, grad = f(np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]))
    # ((x0 * w + x1) * w + x2) = w^2 + w + 1; d/dw = 2w + 1
    np.testing.assert_allclose(value, [7.0, 13.0])
    np.testing.assert_allclose(grad, [5.0, 7.0])


def test_print_tensor_prints_when_run(kt_in, capfd) -> None:
    x = kt.placeholder(shape=(2,), name="x")
    y = kt.print_tensor(x * 2, message="the value is")
    assert (y.dtype, y.shape) == ("float32", (2,))
    capfd.readouterr()
    out = kt.function([x], y + 1)([1.0, 2.0])
    np.testing.assert_allclose(out, [3.0, 5.0])
    printed = capfd.readouterr()
    text = printed.out + printed.err
    assert "the value is" in text and "2" in text and "4" in text
    with pytest.raises(TypeError, match="print_tensor: message must be a string"):
        kt.print_tensor(x, 3)  # type: ignore[arg-type]


def test_jacobian_and_hessian(kt_in) -> None:
    x = kt.placeholder(shape=(3,), dtype="float64", name="x")
    a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    y = kt.matmul(kt.constant(a), x * x)  # y_i = sum_j a_ij x_j^2
    j = kt.jacobian(y, x)
    assert (j.dtype, j.shape) == ("float64", (2, 3))
    point = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(kt.function([x], j)(point), a * 2 * point)
    m = kt.jacobian(kt.reshape(x * x, (3, 1)), x)
    assert m.shape == (3, 1, 3)
    np.testing.assert_allclose(kt.function([x], m)(point)[:, 0, :], np.diag(2 * point))
    h = kt.hessian(kt.sum(x * x * x) + x[0] * x[1], x)
    assert h.shape == (3, 3)
    expected = np.diag(6 * point)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(kt.function([x], h)(point), expected)
    with pytest.raises(ValueError, match="hessian needs a scalar y"):
        kt.hessian(x * 2, x)
    with pytest.raises(TypeError, match="jacobian: y must be floating"):
        kt.jacobian(kt.constant([1, 2]), x)


def test_jacobian_against_finite_differences(kt_in) -> None:
    x = kt.placeholder(shape=(2, 2), dtype="float64", name="x")
    y = kt.exp(x).sum(axis=0) * x[0, 1]
    j = kt.function([x], kt.jacobian(y, x))
    point = np.array([[0.3, -0.2], [0.1, 0.7]])

    def ref(p: np.ndarray) -> np.ndarray:
        return np.exp(p).sum(axis=0) * p[0, 1]

    numeric = np.zeros((2, 2, 2))
    for idx in np.ndindex(2, 2):
        up, down = point.copy(), point.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        numeric[(slice(None),) + tuple(idx)] = (ref(up) - ref(down)) / 2e-6
    np.testing.assert_allclose(j(point), numeric, rtol=1e-6, atol=1e-8)
