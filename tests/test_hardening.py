"""Cases a review found giving silent wrong data or engine noise, each now NumPy's answer."""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops import references

ROWS = np.array(
    [[np.nan, 1, 2], [np.inf, -np.inf, 0], [np.inf, 0, 0], [1, 2, 3], [-np.inf, 0, 1], [-np.inf] * 3],
    "float32",
)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_rows_with_nan_or_inf_is_numpys(kt_in, name: str) -> None:
    with np.errstate(all="ignore"):
        expected = getattr(references, name)(ROWS)
    got = getattr(kt, name)(kt.constant(ROWS)).eval()
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # NaN where NaN, inf where inf


def test_logsumexp_of_rows_with_nan_or_inf(kt_in) -> None:
    with np.errstate(all="ignore"):
        expected = np.log(np.sum(np.exp(ROWS.astype("float64")), axis=1)).astype("float32")
    np.testing.assert_allclose(kt.logsumexp(kt.constant(ROWS), axis=1).eval(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floor_division_by_infinity_and_signed_zeros(kt_in, dtype: str) -> None:
    values = np.array([-1.0, -0.0, 0.0, 1.0, 2.5, -3.25, np.inf, -np.inf, np.nan], dtype)
    x, y = np.meshgrid(values, values)
    with np.errstate(all="ignore"):
        expected = x // y
    a = kt.placeholder(shape=x.shape, dtype=dtype)
    b = kt.placeholder(shape=y.shape, dtype=dtype)
    got = kt.function([a, b], a // b)(x, y)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_constant_softmax_prints_no_engine_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    from ktensor.backends import TheanoBackend

    b = TheanoBackend(mode="FAST_COMPILE")
    for value in (ROWS, np.ones((2, 3), "float16"), np.array([[3e38, 0.0]], "float32")):
        kt.softmax(kt.constant(value, backend=b)).eval()
        kt.log_softmax(kt.constant(value, dtype=value.dtype, backend=b)).eval()
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    "make",
    [
        lambda: kt.constant(300, dtype="int8"),
        lambda: kt.constant(-1, dtype="uint8"),
        lambda: kt.constant(np.array([2**40]), dtype="int32"),
        lambda: kt.constant([np.nan], dtype="int32"),
        lambda: kt.variable([300], dtype="int8"),
        lambda: kt.arange(3e9, 3e9 + 3, dtype="int32"),
    ],
    ids=["constant 300 int8", "constant -1 uint8", "constant 2**40 int32", "constant nan int32", "variable", "arange"],
)
def test_creation_refuses_integers_that_would_wrap(kt_in, make) -> None:
    with pytest.raises(OverflowError, match="would wrap around|no integer holds"):
        make()


def test_set_value_refuses_integers_that_would_wrap(kt_in) -> None:
    v = kt.variable(np.array([1], "int8"))
    with pytest.raises(OverflowError, match="set_value"):
        v.set_value([300])
    assert v.get_value().tolist() == [1]
    v.set_value([-128])
    assert v.get_value().tolist() == [-128]


def test_gradients_of_loops_and_branches_after_they_ran(kt_in) -> None:
    # TensorFlow rewrote a loop's op to build its gradient, which a graph that already
    # ran cannot take ("Connecting to invalid output").
    x = kt.placeholder(shape=(3,), dtype="float64")
    product = kt.foldl(lambda a, b: a * b, x)
    c = kt.placeholder(shape=(), dtype="bool")
    branch = kt.switch(c, lambda: x * x, lambda: x * 3.0)
    assert product.eval({x: [1.0, 2.0, 3.0]}) == 6.0
    assert branch.eval({c: True, x: [1.0, 2.0, 3.0]}).tolist() == [1.0, 4.0, 9.0]
    (g,) = kt.gradients(product, [x])
    (h,) = kt.gradients(kt.sum(branch), [x])
    assert g.eval({x: [1.0, 2.0, 3.0]}).tolist() == [6.0, 3.0, 2.0]
    assert h.eval({c: True, x: [1.0, 2.0, 3.0]}).tolist() == [2.0, 4.0, 6.0]


def test_numpy_integer_axes_are_taken(kt_in) -> None:
    t = kt.constant(np.ones((2, 3)))
    assert t.sum(axis=np.int64(1)).shape == (2,)
    assert kt.softmax(t, axis=np.int32(0)).shape == (2, 3)
    assert t.argmax(axis=np.int64(0)).shape == (3,)
    assert kt.concatenate([t, t], axis=np.int64(0)).shape == (4, 3)
    assert t.mean(axis=(np.int64(0), 1)).shape == ()
