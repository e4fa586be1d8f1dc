"""The examples of the public contract (shared/API.md), as written, on both engines.

Each block below is the contract's own code with its free names (value, shape,
inputs, ...) bound to concrete values; results are compared with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt


def test_section_1_backends(B, backend_name):
    from ktensor.backends import TensorFlowBackend, TheanoBackend

    assert isinstance(kt.backend(), kt.Backend)
    with kt.use_backend(B) as inside:
        assert kt.backend() is inside is B
    assert isinstance(B, TheanoBackend if backend_name == "theano" else TensorFlowBackend)
    assert B.name == backend_name
    assert {"theano", "pytensor", "tensorflow"} <= set(kt.available_backends())
    xla = TensorFlowBackend(jit_compile=True)
    with kt.use_backend(xla):
        assert (kt.constant([1.0, 2.0]) * 2).eval().tolist() == [2.0, 4.0]


def test_section_3_creating_tensors(kt_in):
    value, shape, n, start = np.arange(6.0).reshape(2, 3), (2, 3), 3, 2
    x = kt.placeholder(shape=(None, 4, 5), dtype=None, name=None)   # or ndim=3
    v = kt.variable(value, dtype=None, name=None)
    c = kt.constant(value, dtype=None, name=None)
    zeros, ones, eye = kt.zeros(shape, dtype=None), kt.ones(shape, dtype=None), kt.eye(n, m=None, dtype=None)
    zl, ol = kt.zeros_like(x, dtype=None), kt.ones_like(x, dtype=None)
    r = kt.arange(start, stop=None, step=1, dtype="int32")
    u = kt.random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None)
    g = kt.random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)
    t = kt.as_tensor(value)

    assert x.shape == (None, 4, 5) and kt.placeholder(ndim=3).shape == (None, None, None)
    assert x.dtype == v.dtype == c.dtype == zeros.dtype == eye.dtype == u.dtype == g.dtype == "float32"
    np.testing.assert_array_equal(v.get_value(), value.astype("float32"))
    np.testing.assert_array_equal(c.eval(), value.astype("float32"))
    np.testing.assert_array_equal(ones.eval(), np.ones(shape, "float32"))
    np.testing.assert_array_equal(eye.eval(), np.eye(n, dtype="float32"))
    feed = {x: np.ones((2, 4, 5), "float32")}
    assert zl.eval(feed).shape == (2, 4, 5) and ol.eval(feed).sum() == 40 and zl.dtype == "float32"
    assert r.eval().tolist() == [0, 1] and r.dtype == "int32"
    assert u.eval().shape == shape and g.eval().shape == shape
    assert t.shape == shape
    assert kt.as_tensor(t) is t
    # dtype=None: integer/bool ndarrays keep their dtype; Python ints -> int64, bools -> bool
    assert kt.constant(np.array([1, 2], "int16")).dtype == "int16"
    assert kt.constant([1, 2]).dtype == "int64" and kt.constant([True]).dtype == "bool"


def test_section_4_the_tensor(kt_in):
    data = np.arange(1.0, 7.0, dtype="float32").reshape(2, 3)
    t = kt.constant(data)
    float32_tensor = t
    assert isinstance(np.ones(3) + t, kt.Tensor) and isinstance(2 ** t, kt.Tensor)
    assert (float32_tensor * np.ones(3)).dtype == "float64"
    np.testing.assert_allclose((np.ones(3) + t).eval(), np.ones(3) + data)
    np.testing.assert_allclose((2 ** t).eval(), 2 ** data, rtol=1e-6)
    assert kt.sum(t, axis=1).eval().tolist() == data.sum(axis=1).tolist()
    i = kt.constant(np.array([[1, 2], [3, 4]], "int32"))
    assert ((~i) & 3 | 4 ^ i).eval().tolist() == ((~np.array([[1, 2], [3, 4]], "int32")) & 3 | 4 ^ np.array([[1, 2], [3, 4]], "int32")).tolist()
    assert t[..., ::-1][None, 0, [0, 2]].eval().tolist() == data[..., ::-1][None, 0, [0, 2]].tolist()
    assert t.T.shape == (3, 2) and t[np.array([True, False])].eval().tolist() == data[[True, False]].tolist()
    np.testing.assert_allclose(kt.concatenate([t, t], axis=-1).eval(), np.concatenate([data, data], -1))
    np.testing.assert_allclose(kt.stack([t, t], axis=0).eval(), np.stack([data, data]))
    np.testing.assert_allclose(kt.where(t > 3, t, 0.0).eval(), np.where(data > 3, data, 0.0))
    for name in ("abs", "sign", "sqrt", "square", "exp", "log", "sin", "cos", "tanh", "round"):
        np.testing.assert_allclose(getattr(t, name)().eval(), getattr(np, name)(data), rtol=1e-6)
    for name in ("sum", "mean", "max", "min", "prod", "std", "var", "any", "all"):
        for axis in (None, 0, (0, 1)):
            for keepdims in (False, True):
                got = getattr(t, name)(axis=axis, keepdims=keepdims).eval()
                want = getattr(np, name)(data, axis=axis, keepdims=keepdims)
                assert got.dtype == want.dtype
                np.testing.assert_allclose(got, want, rtol=1e-5)
    assert t.argmax(axis=-1).eval().tolist() == [2, 2] and t.argmin(axis=0).dtype == "int64"
    assert t.reshape((3, 2)).shape == (3, 2) and t.flatten().shape == (6,)
    assert t.expand_dims(0).squeeze(axis=None).shape == (2, 3) and t.astype("int8").dtype == "int8"
    assert t.transpose((1, 0)).shape == (3, 2) and t.dot(t.T).shape == (2, 2) and t.matmul(t.T).shape == (2, 2)
    assert t.clip(2, 4).eval().tolist() == np.clip(data, 2, 4).tolist()
    assert t.maximum(3).eval().tolist() == np.maximum(data, 3).tolist() and t.pow(2).eval().tolist() == (data**2).tolist()
    with pytest.raises(TypeError):
        bool(t)


def test_section_6_compiling_differentiating_updating(kt_in):
    x = kt.placeholder(shape=(None, 3), name="x")
    w = kt.variable(np.ones((3, 1)), name="w")
    b = kt.variable(np.zeros((1,)), name="b")
    loss = kt.square(x @ w + b).mean()
    inputs, outputs, arrays = [x], [loss, x @ w], [np.ones((4, 3), "float32")]

    grads = kt.gradients(loss, [w, b])                       # list of tensors, same backend
    f = kt.function(inputs, outputs, updates=[(w, w - 0.01 * grads[0])], name="step")
    y = f(*arrays)                                           # NumPy in, NumPy out; a list of outputs gives a list
    assert isinstance(y, list) and float(y[0]) == pytest.approx(9.0) and y[1].shape == (4, 1)
    array = np.full((3, 1), 2.0)
    w.get_value(); w.set_value(array)  # noqa: E702 - as the contract writes it
    assert kt.function(inputs, loss)(*arrays) == pytest.approx(36.0)
