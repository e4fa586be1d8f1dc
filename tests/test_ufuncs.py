"""NumPy ufuncs applied to tensors build the ktensor operation (API.md §4), on both engines."""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt

DATA = np.array([[0.5, -2.0, 3.0], [1.5, 0.25, -0.75]], "float32")
UNARY = ["exp", "abs", "absolute", "negative", "sqrt", "square", "sin", "tanh", "log1p", "floor", "rint", "isnan", "sign"]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum", "remainder",
          "floor_divide", "less", "equal", "arctan2", "logaddexp"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ufuncs(kt_in, name: str) -> None:
    t = kt.constant(np.abs(DATA) if name in ("sqrt", "log1p") else DATA)
    expected = getattr(np, name)(np.abs(DATA) if name in ("sqrt", "log1p") else DATA)
    got = getattr(np, name)(t)
    assert isinstance(got, kt.Tensor) and got.dtype == expected.dtype.name
    np.testing.assert_allclose(got.eval(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ufuncs_with_arrays_scalars_and_tensors(kt_in, name: str) -> None:
    ufunc = getattr(np, name)
    t = kt.constant(DATA)
    other = np.array([2.0, 0.5, 1.5])  # float64: the result is float64, as in NumPy
    with np.errstate(all="ignore"):
        pairs = [
            (ufunc(t, other), ufunc(DATA, other)),
            (ufunc(other, t), ufunc(other, DATA)),
            (ufunc(t, 2.0), ufunc(DATA, 2.0)),
            (ufunc(t, t), ufunc(DATA, DATA)),
        ]
        for got, expected in pairs:
            assert isinstance(got, kt.Tensor) and got.dtype == np.asarray(expected).dtype.name, name
            np.testing.assert_allclose(got.eval(), expected, rtol=1e-6)


def test_ndarray_operators_reach_the_tensor(kt_in) -> None:
    t = kt.constant(DATA)
    assert isinstance(np.ones(3) + t, kt.Tensor) and isinstance(np.ones(3) @ t.T, kt.Tensor)
    difference: kt.Tensor = np.ones(3) - t  # type: ignore[assignment]  # NumPy's stubs say ndarray
    np.testing.assert_allclose(difference.eval(), 1 - DATA)


def test_unsupported_ufunc_uses_are_clear_errors(kt_in) -> None:
    t = kt.constant(DATA)
    with pytest.raises(TypeError, match=r"np\.add\.reduce of a Tensor is not supported"):
        np.add.reduce(t)
    with pytest.raises(TypeError, match=r"np\.fmod has no ktensor operation"):
        np.fmod(t, 2.0)
    with pytest.raises(TypeError, match=r"np\.exp of a Tensor takes no out= argument"):
        np.exp(t, out=np.zeros((2, 3), "float32"))
