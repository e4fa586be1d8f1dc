"""§8 elementwise functions, logic and scans: what the conformance kit cannot check.

Build-time errors, static shapes with unknown dimensions, the laziness of ``switch``
on a scalar condition, gradients on restricted domains and NumPy's edge values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.function import EngineError


def _grad_check(fn: Any, reference_grad: Any, values: np.ndarray) -> None:
    x = kt.placeholder(shape=values.shape, dtype="float64")
    (g,) = kt.gradients(kt.sum(fn(x)), [x])
    np.testing.assert_allclose(kt.function([x], [g])(values)[0], reference_grad(values), rtol=1e-10)


@pytest.mark.parametrize(
    ("name", "derivative"),
    [
        ("arcsin", lambda v: 1 / np.sqrt(1 - v**2)),
        ("arccos", lambda v: -1 / np.sqrt(1 - v**2)),
        ("arctanh", lambda v: 1 / (1 - v**2)),
        ("arccosh", lambda v: 1 / np.sqrt(v**2 - 1)),
    ],
)
def test_gradients_inside_the_domain(kt_in: Any, name: str, derivative: Any) -> None:
    values = np.array([[-0.9, -0.3, 0.0], [0.2, 0.55, 0.95]])
    if name == "arccosh":
        values = 1.5 + np.abs(values)
    _grad_check(getattr(kt, name), derivative, values)


def test_logaddexp_edges_as_numpy(kt_in: Any) -> None:
    inf, nan = np.inf, np.nan
    x = np.array([-inf, inf, inf, -inf, nan, 1.0, 1e308, 3.0])
    y = np.array([-inf, inf, -inf, 2.0, 1.0, nan, 1e308, 3.0])
    with np.errstate(all="ignore"):
        expected = np.logaddexp(x, y)
    np.testing.assert_array_equal(kt.logaddexp(x, y).eval(), expected)


def test_logaddexp_gradient_is_a_sigmoid(kt_in: Any) -> None:
    x = kt.placeholder(shape=(3,), dtype="float64")
    (g,) = kt.gradients(kt.sum(kt.logaddexp(x, 0.5)), [x])
    v = np.array([-2.0, 0.1, 3.0])
    np.testing.assert_allclose(kt.function([x], [g])(v)[0], 1 / (1 + np.exp(0.5 - v)), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "uint64"])
def test_integer_reciprocal_is_numpys_zero_included(kt_in: Any, dtype: str) -> None:
    values = np.array([0, 1, 2, 1, 0], dtype) if dtype in ("bool", "uint8", "uint64") else np.array(
        [0, 1, -1, 2, -2, np.iinfo(dtype).min], dtype
    )
    with np.errstate(all="ignore"):
        expected = np.reciprocal(values)
    out = kt.reciprocal(values)
    assert out.dtype == expected.dtype.name
    np.testing.assert_array_equal(out.eval(), expected)


def test_predicates_of_python_scalars_and_integers(kt_in: Any) -> None:
    assert kt.isnan(float("nan")).eval().item() is True
    assert kt.isinf(2).eval().item() is False
    assert kt.isfinite(np.array([1, 2], "int8")).eval().tolist() == [True, True]
    assert kt.isfinite(kt.constant([1.0, np.inf, np.nan], dtype="float16")).eval().tolist() == [True, False, False]


def test_erf_dtypes_as_scipy(kt_in: Any) -> None:
    assert kt.erf(kt.constant([0.5], dtype="float16")).dtype == "float16"
    assert kt.erf(np.array([1], "int8")).dtype == "float64"
    assert kt.erf(kt.constant([-np.inf, np.inf], dtype="float32")).eval().tolist() == [-1.0, 1.0]


def test_logical_ops_take_truth_values(kt_in: Any) -> None:
    x = np.array([0.0, np.nan, -0.0, 2.0])
    assert kt.logical_and(x, 1).eval().tolist() == [False, True, False, True]
    assert kt.logical_not(x).eval().tolist() == [True, False, True, False]
    assert kt.logical_xor(np.array([0, 3], "uint8"), True).eval().tolist() == [True, False]
    t = kt.placeholder(shape=(None, 3), dtype="int32")
    assert kt.logical_or(t, [0, 1, 0]).shape == (None, 3)


def test_clip_takes_keras_argument_names(kt_in: Any) -> None:
    assert kt.clip([-2, 0, 5], min_value=-1, max_value=1).eval().tolist() == [-1, 0, 1]
    assert kt.clip([-2.0, 5.0], None, max_value=1.0).eval().tolist() == [-2.0, 1.0]
    with pytest.raises(ValueError, match="clip needs at least one of min_value and max_value"):
        kt.clip([1, 2], None, None)


# -- scans ----------------------------------------------------------------------------


def test_scan_static_shapes_with_unknown_dims(kt_in: Any) -> None:
    t = kt.placeholder(shape=(None, 3, 4), dtype="int32")
    assert kt.cumsum(t).shape == (None, 3, 4)
    assert kt.cumsum(t).dtype == "int64"
    assert t.cumprod(axis=-1).shape == (None, 3, 4)
    assert kt.cumsum(t, axis=None).shape == (None,)
    f = kt.function([t], [kt.cumsum(t, axis=None), kt.cumprod(t, axis=2)])
    v = np.arange(24, dtype="int32").reshape(2, 3, 4) % 5 - 2
    s, p = f(v)
    np.testing.assert_array_equal(s, np.cumsum(v, axis=None))
    np.testing.assert_array_equal(p, np.cumprod(v, axis=2))


def test_scan_errors_name_the_function(kt_in: Any) -> None:
    t = kt.placeholder(shape=(2, 3))
    with pytest.raises(ValueError, match=r"cumsum axis=2 is out of bounds"):
        kt.cumsum(t, axis=2)
    with pytest.raises(TypeError, match=r"ktensor: cumprod: axis must be an int or None; received \(0, 1\)"):
        kt.cumprod(t, axis=(0, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"cumsum: axis must be None for a 0-d tensor"):
        kt.cumsum(kt.constant(3.0), axis=0)
    assert kt.cumsum(kt.constant(3.0), axis=None).eval().tolist() == [3.0]


def test_cumprod_gradient_with_a_zero(kt_in: Any) -> None:
    x = kt.placeholder(shape=(4,), dtype="float64")
    (g,) = kt.gradients(kt.sum(kt.cumprod(x)), [x])
    v = np.array([2.0, 0.0, 3.0, 0.5])
    # d/dx_i sum_k prod_{j<=k} x_j, exactly (no division by x).
    expected = [1 + 0 + 0 + 0, 2 + 2 * 3 + 2 * 3 * 0.5, 0.0, 0.0]
    np.testing.assert_allclose(kt.function([x], [g])(v)[0], expected)


# -- switch ---------------------------------------------------------------------------


def test_switch_scalar_condition_promotes_and_broadcasts(kt_in: Any) -> None:
    c = kt.placeholder(shape=(), dtype="bool")
    x = kt.placeholder(shape=(None, 3), dtype="int32")
    out = kt.switch(c, lambda: x * 2, lambda: kt.constant([[0.5, 0.5, 0.5]], dtype="float32"))
    assert out.dtype == "float64"  # np.where(c, int32, float32)
    assert out.shape == (None, 3)
    weak = kt.switch(c, x, 0.5)
    assert weak.dtype == "float64" and weak.shape == (None, 3)
    f = kt.function([c, x], [out, weak])
    v = np.array([[1, 2, 3]], "int32")
    taken, _ = f(True, v)
    np.testing.assert_array_equal(taken, [[2.0, 4.0, 6.0]])
    not_taken, weak_value = f(False, v)
    np.testing.assert_array_equal(not_taken, [[0.5, 0.5, 0.5]])
    np.testing.assert_array_equal(weak_value, [[0.5, 0.5, 0.5]])


def test_switch_callables_are_called_once(kt_in: Any) -> None:
    calls: list[str] = []

    def then() -> Any:
        calls.append("then")
        return kt.constant([1, 2], dtype="int8")

    def otherwise() -> Any:
        calls.append("else")
        return kt.constant([0.25, 0.5], dtype="float32")

    out = kt.switch(kt.constant(False), then, lambda: kt.constant([7, 8], dtype="int8"))
    assert out.eval().tolist() == [7, 8] and calls == ["then"]
    calls.clear()
    # Both callables, the second needing a wider dtype: both are built a second time.
    mixed = kt.switch(kt.constant(True), then, otherwise)
    assert mixed.dtype == "float32"
    assert mixed.eval().tolist() == [1.0, 2.0]
    assert calls.count("then") <= 2


def test_switch_tensor_condition_is_where(kt_in: Any) -> None:
    cond = kt.constant([[True], [False]])
    out = kt.switch(cond, lambda: kt.constant([1, 2, 3]), 0)
    assert out.shape == (2, 3)
    assert out.eval().tolist() == [[1, 2, 3], [0, 0, 0]]


def test_switch_refuses_shapes_that_do_not_broadcast(kt_in: Any) -> None:
    c = kt.placeholder(shape=(), dtype="bool")
    with pytest.raises(ValueError, match="switch: shapes"):
        kt.switch(c, kt.zeros((2, 3)), kt.zeros((4,)))
    x = kt.placeholder(shape=(None, 3))
    with pytest.raises(ValueError, match="switch: with a scalar condition"):
        kt.switch(c, lambda: x, 1.0)


def test_switch_runs_only_the_branch_taken(kt_in: Any) -> None:
    c = kt.placeholder(shape=(), dtype="bool")
    x = kt.placeholder(shape=(3,), dtype="float32")
    i = kt.placeholder(shape=(), dtype="int64")
    out = kt.switch(c, lambda: x[i] * 2.0, lambda: x[0] + 1.0)
    f = kt.function([c, x, i], [out])
    v = np.ones(3, "float32")
    assert f(False, v, 7)[0] == 2.0  # the out-of-bounds index is never looked up
    with pytest.raises(EngineError, match="out of bounds"):
        f(True, v, 7)


def test_switch_gradient_flows_through_the_branch_taken(kt_in: Any) -> None:
    c = kt.placeholder(shape=(), dtype="bool")
    x = kt.placeholder(shape=(3,), dtype="float64")
    out = kt.switch(c, lambda: x * x, lambda: x * 3.0)
    (g,) = kt.gradients(kt.sum(out), [x])
    f = kt.function([c, x], [g])
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(f(True, v)[0], 2 * v)
    np.testing.assert_allclose(f(False, v)[0], [3.0, 3.0, 3.0])
