"""Gathering and sorting (ktensor/ops/gathering.py): what the conformance kit cannot check —
build-time errors, run-time index checks, static shapes with unknown dimensions, ``top_k``'s
pair of results, and ``in_top_k`` at its edges — on both engines."""

from __future__ import annotations

import numpy as np
import pytest

import ktensor as kt


def _run(inputs, outputs, *arrays):
    return kt.function(list(inputs), list(outputs))(*arrays)


# ------------------------------------------------------------------------ gather, take
def test_gather_keeps_static_shapes(kt_in):
    x = kt.placeholder(shape=(None, 4))
    i = kt.placeholder(shape=(2, 3), dtype="int32")
    g = kt.gather(x, i)
    assert g.shape == (2, 3, 4)
    assert x.gather(i).shape == (2, 3, 4)
    assert kt.gather(x, [[0, 1, 2]]).shape == (1, 3, 4)
    assert kt.gather(x, 0).shape == (4,)
    data = np.arange(12.0, dtype="float32").reshape(3, 4)
    idx = np.array([[0, -1, 2], [1, 1, -3]], "int32")
    assert np.array_equal(_run([x, i], [g], data, idx)[0], data[idx])


def test_take_keeps_static_shapes(kt_in):
    x = kt.placeholder(shape=(2, None, 5))
    assert kt.take(x, [[0, 1]], axis=1).shape == (2, 1, 2, 5)
    assert x.take([0, 1, 2], axis=-1).shape == (2, None, 3)
    assert kt.take(x, [0, 1, 2]).shape == (3,)
    assert kt.take(x, -1, axis=2).shape == (2, None)
    data = np.arange(30.0, dtype="float32").reshape(2, 3, 5)
    t = kt.take(x, [[-1], [0]], axis=1)
    assert np.array_equal(_run([x], [t], data)[0], np.take(data, [[-1], [0]], axis=1))
    assert kt.take([], [], axis=0).shape == (0,)


@pytest.mark.parametrize("name", ["gather", "take"])
def test_float_and_bool_indices_are_refused(kt_in, name):
    x = kt.zeros((3, 2))
    with pytest.raises(TypeError, match=rf"{name}: indices must be integers.*float32"):
        getattr(kt, name)(x, kt.placeholder(shape=(2,)))
    with pytest.raises(TypeError, match=rf"{name}: indices must be integers.*float64"):
        getattr(kt, name)(x, [0.0, 1.0])
    with pytest.raises(TypeError, match=rf"{name}: indices must be integers.*bool"):
        getattr(kt, name)(x, [True, False])


def test_constant_indices_out_of_range_are_refused_when_built(kt_in):
    with pytest.raises(IndexError, match=r"gather: indices \[0, 3\] is out of range for axis 0 of size 3"):
        kt.gather(kt.zeros((3, 2)), [0, 3])
    with pytest.raises(IndexError, match="gather: indices"):
        kt.gather(kt.zeros((3, 2)), -4)
    with pytest.raises(IndexError, match="take: indices .* axis 1 of size 2"):
        kt.take(kt.zeros((3, 2)), [2], axis=1)
    with pytest.raises(ValueError, match="take axis=2"):
        kt.take(kt.zeros((3, 2)), [0], axis=2)
    with pytest.raises(ValueError, match="gather: reference must have at least 1 dimension"):
        kt.gather(kt.constant(1.0), [0])


def test_indices_out_of_range_fail_at_run_time(kt_in):
    x = kt.placeholder(shape=(None, 2), name="x")
    i = kt.placeholder(shape=(None,), dtype="int64", name="i")
    gathered = kt.function([x, i], kt.gather(x, i))
    taken = kt.function([x, i], kt.take(x, i, axis=1))
    data = np.arange(6.0, dtype="float32").reshape(3, 2)
    assert gathered(data, [2, -3]).tolist() == data[[2, -3]].tolist()
    for bad in ([3], [-4], [0, 5]):
        with pytest.raises(kt.EngineError, match="gather: an index of indices is out of range"):
            gathered(data, bad)
    with pytest.raises(kt.EngineError, match="take: an index of indices is out of range for axis 1"):
        taken(data, [2])
    # A constant index on an axis unknown when built is checked when run.
    late = kt.function([x], kt.gather(x, [5]))
    with pytest.raises(kt.EngineError, match="gather"):
        late(data)


def test_unsigned_indices(kt_in):
    x = kt.constant(np.arange(4.0))
    i = kt.placeholder(shape=(2,), dtype="uint64")
    f = kt.function([i], kt.gather(x, i))
    assert f(np.array([3, 0], "uint64")).tolist() == [3.0, 0.0]
    with pytest.raises(kt.EngineError, match="gather"):
        f(np.array([2**64 - 1, 0], "uint64"))  # not -1: unsigned indices never wrap


def test_gradients_flow_to_the_reference(kt_in):
    w = kt.variable(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    [g] = kt.gradients(kt.sum(kt.gather(w, [0, 0, -1])), [w])
    assert g.eval().tolist() == [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]


# ------------------------------------------------------------------------ one_hot
def test_one_hot(kt_in):
    i = kt.placeholder(shape=(None, 2), dtype="int32")
    h = kt.one_hot(i, 4)
    assert (h.shape, h.dtype) == ((None, 2, 4), kt.floatx())
    assert i.one_hot(4).shape == (None, 2, 4)
    out = _run([i], [h], np.array([[0, 3], [-1, 4]], "int32"))[0]
    assert out.tolist() == [[[1, 0, 0, 0], [0, 0, 0, 1]], [[0, 0, 0, 0], [0, 0, 0, 0]]]
    assert kt.one_hot([1], 2).eval().dtype == np.dtype(kt.floatx())
    with pytest.raises(TypeError, match="one_hot: indices must be integers.*float"):
        kt.one_hot([0.0, 1.0], 2)
    with pytest.raises(ValueError, match="one_hot: num_classes must be an int >= 0; received -1"):
        kt.one_hot([0], -1)
    with pytest.raises(ValueError, match="one_hot: num_classes"):
        kt.one_hot([0], 2.5)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ sort, argsort
def test_sort_and_argsort_with_nan_and_unknown_shapes(kt_in):
    x = kt.placeholder(shape=(None, 4))
    s, a = kt.sort(x), kt.argsort(x, axis=0)
    assert (s.shape, s.dtype) == ((None, 4), "float32")
    assert (a.shape, a.dtype) == ((None, 4), "int64")
    assert kt.sort(x, axis=None).shape == (None,)
    data = np.array([[np.nan, 1.0, -np.inf, 1.0], [0.0, np.nan, 2.0, -1.0], [3.0, 1.0, 1.0, 1.0]], "float32")
    out_s, out_a, out_f = _run([x], [s, a, kt.argsort(x, axis=None)], data)
    np.testing.assert_array_equal(out_s, np.sort(data))
    np.testing.assert_array_equal(out_a, np.argsort(data, axis=0, kind="stable"))
    np.testing.assert_array_equal(out_f, np.argsort(data, axis=None, kind="stable"))


def test_sort_errors(kt_in):
    with pytest.raises(ValueError, match="sort needs a tensor of at least 1 dimension"):
        kt.sort(kt.constant(1.0))
    with pytest.raises(ValueError, match="argsort axis=2"):
        kt.argsort(kt.zeros((2, 2)), axis=2)


# ------------------------------------------------------------------------ top_k
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int64", "float16", "float32", "float64"])
def test_top_k_against_numpy(kt_in, dtype):
    rng = np.random.default_rng(0)
    data = rng.integers(-3, 4, (2, 3, 6)).astype(dtype)  # ties: the lower index first
    x = kt.placeholder(shape=(2, 3, 6), dtype=dtype)
    for k in (0, 1, 4, 6):
        for values, indices in (kt.top_k(x, k), x.top_k(k)):
            assert (values.dtype, values.shape) == (dtype, (2, 3, k))
            assert (indices.dtype, indices.shape) == ("int64", (2, 3, k))
            got_values, got_indices = _run([x], [values, indices], data)
            # The stable descending order: stable ascending of the reversed axis, reversed.
            order = (data.shape[-1] - 1 - np.argsort(data[..., ::-1], axis=-1, kind="stable")[..., ::-1])[..., :k]
            np.testing.assert_array_equal(got_indices, order)
            np.testing.assert_array_equal(got_values, np.take_along_axis(data, order, axis=-1))
            assert got_values.dtype == np.dtype(dtype) and got_indices.dtype == np.dtype("int64")


def test_top_k_nan_counts_as_largest(kt_in):
    values, indices = kt.top_k(kt.constant([1.0, np.nan, 3.0]), 2)
    assert indices.eval().tolist() == [1, 2]
    assert np.isnan(values.eval()[0]) and values.eval()[1] == 3.0


def test_top_k_unknown_shapes_and_errors(kt_in):
    x = kt.placeholder(shape=(None, None))
    values, indices = kt.top_k(x, 2)
    assert values.shape == (None, 2) and indices.shape == (None, 2)
    f = kt.function([x], [values, indices])
    got_v, got_i = f(np.array([[1.0, 5.0, 3.0]], "float32"))
    assert got_v.tolist() == [[5.0, 3.0]] and got_i.tolist() == [[1, 2]]
    with pytest.raises(kt.EngineError, match="top_k"):
        f(np.array([[1.0]], "float32"))
    with pytest.raises(ValueError, match=r"top_k: k must be at most the size of the last axis, 3 .*received k=4"):
        kt.top_k(kt.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match="top_k: k must be an int >= 0; received -1"):
        kt.top_k(kt.zeros((2, 3)), -1)
    with pytest.raises(ValueError, match="top_k needs a tensor of at least 1 dimension"):
        kt.top_k(kt.constant(1.0), 1)


def test_top_k_gradient_through_values(kt_in):
    rng = np.random.default_rng(1)
    data = rng.permutation(12).reshape(3, 4).astype("float64")
    weights = rng.uniform(0.5, 1.5, (3, 2))
    x = kt.placeholder(shape=(3, 4), dtype="float64")
    values, _ = kt.top_k(x, 2)
    [g] = kt.gradients(kt.sum(values * kt.constant(weights)), [x])
    got = kt.function([x], g)(data)

    def loss(a: np.ndarray) -> float:
        top = -np.sort(-a, axis=-1)[..., :2]
        return float(np.sum(top * weights))

    expected = np.zeros_like(data)
    for i in np.ndindex(data.shape):
        up, down = data.copy(), data.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        expected[i] = (loss(up) - loss(down)) / 2e-6
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------ in_top_k
def test_in_top_k_edges(kt_in):
    p = np.array([[1.0, 2.0, 2.0, 0.0], [np.nan, 1.0, 0.0, 0.0], [np.inf, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
                 "float32")
    predictions = kt.placeholder(shape=(None, None))
    targets = kt.placeholder(shape=(None,), dtype="int32")
    result = {k: kt.in_top_k(predictions, targets, k) for k in (0, 1, 2, 4, 9)}
    assert result[1].shape == (None,) and result[1].dtype == "bool"
    assert predictions.in_top_k(targets, 1).shape == (None,)
    for t in ([2, 0, 3, 0], [1, 0, 0, 4], [-1, 1, 1, 2]):
        got = _run([predictions, targets], list(result.values()), p, np.array(t, "int32"))
        for k, out in zip(result, got):
            # tf.nn.in_top_k's rules, which Keras's in_top_k is: ties count in, a
            # target out of range or a row with a non-finite score is False.
            valid = [0 <= c < 4 for c in t]
            higher = [int(np.sum(p[r] > p[r, c])) if valid[r] else 0 for r, c in enumerate(t)]
            finite = np.isfinite(p).all(axis=1)
            expected = [valid[r] and finite[r] and higher[r] < k for r in range(4)]
            assert out.tolist() == expected, (t, k)


def test_in_top_k_errors(kt_in):
    p = kt.zeros((2, 3))
    with pytest.raises(ValueError, match="in_top_k: targets must be integers.*float"):
        kt.in_top_k(p, [0.0, 1.0], 1)
    with pytest.raises(ValueError, match=r"in_top_k: predictions must be numeric of shape \(batch, classes\)"):
        kt.in_top_k(kt.zeros((3,)), [0], 1)
    with pytest.raises(ValueError, match="in_top_k"):
        kt.in_top_k(p, [0, 1, 2], 1)
    with pytest.raises(ValueError, match="in_top_k: k must be an int"):
        kt.in_top_k(p, [0, 1], 1.5)  # type: ignore[arg-type]
