"""Losses and CTC (API.md §9): what the kit cannot check — build-time errors, static
shapes with unknown dims, run-time label checks, and CTC against TensorFlow's own
kernels (``tf.nn.ctc_loss``, the greedy and beam-search decoders) and a brute-force
enumeration."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import tensorflow as tf  # conftest.py leaves this module out without TensorFlow (outside CI)

import ktensor as kt
from ktensor.ops.nn import ctc as ctc_module


def _probs(rng: np.random.Generator, shape: tuple[int, ...], power: float = 3.0) -> np.ndarray:
    y = rng.uniform(0.05, 1.0, shape) ** power
    return y / y.sum(-1, keepdims=True)


def _run(*outputs: Any) -> list[np.ndarray]:
    return kt.function([], list(outputs))()


# -- crossentropies ------------------------------------------------------------------
def test_sparse_crossentropy_refuses_float_labels(kt_in: Any) -> None:
    with pytest.raises(TypeError, match=r"sparse_categorical_crossentropy.*target.*float32"):
        kt.sparse_categorical_crossentropy(kt.constant([1.0, 0.0]), kt.constant([[0.5, 0.5], [0.5, 0.5]]))


def test_sparse_crossentropy_refuses_a_target_of_the_wrong_shape(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: target must have the shape .*\(2,\).*\(3,\)"):
        kt.sparse_categorical_crossentropy([0, 1, 1], kt.constant([[0.5, 0.5], [0.5, 0.5]]))


def test_sparse_crossentropy_checks_labels_when_run(kt_in: Any) -> None:
    labels = kt.placeholder(shape=(None,), dtype="int32")
    out = kt.placeholder(shape=(None, 3))
    loss = kt.sparse_categorical_crossentropy(labels, out)
    fn = kt.function([labels, out], [loss])
    good = fn(np.array([2, 0], "int32"), np.full((2, 3), 1 / 3, "float32"))[0]
    np.testing.assert_allclose(good, [np.log(3)] * 2, rtol=1e-6)
    with pytest.raises(kt.EngineError):
        fn(np.array([3, 0], "int32"), np.full((2, 3), 1 / 3, "float32"))


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"])
def test_from_logits_must_be_a_bool(kt_in: Any, name: str) -> None:
    target = [0, 1] if name.startswith("sparse") else [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(TypeError, match=rf"{name}: from_logits must be a bool"):
        getattr(kt, name)(target, kt.constant([[0.3, 0.7], [0.6, 0.4]]), from_logits="yes")


def test_losses_keep_static_shapes_with_unknown_dims(kt_in: Any) -> None:
    x = kt.placeholder(shape=(None, 5, 3))
    assert kt.categorical_crossentropy(x, x).shape == (None, 5)
    assert kt.categorical_crossentropy(x, x, axis=1).shape == (None, 3)
    assert kt.binary_crossentropy(x, x).shape == (None, 5, 3)
    labels = kt.placeholder(shape=(None, 5), dtype="int64")
    assert kt.sparse_categorical_crossentropy(labels, x).shape == (None, 5)
    assert kt.sparse_categorical_crossentropy(kt.placeholder(shape=(None, 1), dtype="int32"), kt.placeholder(shape=(None, 4))).shape == (None,)


def test_losses_are_floatx_for_floatx(kt_in: Any) -> None:
    for dtype in ("float16", "float32", "float64"):
        x = kt.placeholder(shape=(2, 3), dtype=dtype)
        assert kt.categorical_crossentropy(x, x).dtype == dtype
        assert kt.binary_crossentropy(x, x, from_logits=True).dtype == dtype
        assert kt.sparse_categorical_crossentropy([0, 1], x).dtype == dtype


def test_crossentropies_from_logits_match_tensorflow(kt_in: Any) -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5)) * 3
    target = _probs(rng, (4, 5), 1.0)
    labels = rng.integers(0, 5, 4)
    bits = (rng.random((4, 5)) < 0.5).astype(float)
    cat, sparse, binary = _run(
        kt.categorical_crossentropy(target, logits, from_logits=True),
        kt.sparse_categorical_crossentropy(labels, logits, from_logits=True),
        kt.binary_crossentropy(bits, logits, from_logits=True),
    )
    np.testing.assert_allclose(cat, tf.nn.softmax_cross_entropy_with_logits(target, logits).numpy(), rtol=1e-10)
    np.testing.assert_allclose(sparse, tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits).numpy(), rtol=1e-10)
    np.testing.assert_allclose(binary, tf.nn.sigmoid_cross_entropy_with_logits(bits, logits).numpy(), rtol=1e-10)


def test_crossentropies_from_probabilities_clip(kt_in: Any) -> None:
    eps = kt.epsilon()
    cat, binary = _run(
        kt.categorical_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]),
        kt.binary_crossentropy([1.0, 0.0], [0.0, 1.0]),
    )
    np.testing.assert_allclose(cat, [-np.log(eps)], rtol=1e-6)
    np.testing.assert_allclose(binary, [-np.log(eps)] * 2, rtol=1e-6)


# -- ctc_batch_cost ---------------------------------------------------------------------
def _tf_ctc(labels: np.ndarray, y: np.ndarray, input_length: np.ndarray, label_length: np.ndarray) -> np.ndarray:
    """Keras 2's ctc_batch_cost, in TensorFlow eager."""
    idx = [[b, k] for b in range(labels.shape[0]) for k in range(int(label_length[b, 0]))]
    sparse = tf.SparseTensor(
        np.array(idx, "int64").reshape(-1, 2), np.array([labels[b, k] for b, k in idx], "int32"), labels.shape
    )
    logits = tf.math.log(tf.transpose(tf.constant(y), (1, 0, 2)) + kt.epsilon())
    loss = tf.compat.v1.nn.ctc_loss(sparse, logits, input_length.reshape(-1).astype("int32"))
    return np.asarray(loss.numpy()).reshape(-1, 1)


def _brute_force(labels: list[int], y: np.ndarray, steps: int) -> float:
    """-log of the summed probability of every path that collapses to ``labels``."""
    p = y + kt.epsilon()
    p = p / p.sum(-1, keepdims=True)
    blank = y.shape[-1] - 1
    total = 0.0
    for path in itertools.product(range(y.shape[-1]), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == labels:
            total += float(np.prod([p[t, c] for t, c in enumerate(path)]))
    return -np.log(total)


def test_ctc_batch_cost_matches_tensorflow(kt_in: Any) -> None:
    rng = np.random.default_rng(7)
    y = _probs(rng, (4, 7, 5)).astype("float32")
    labels = np.array([[0, 1, 2], [3, 3, 0], [1, 1, 1], [2, 0, 0]])
    input_length = np.array([[7], [6], [7], [3]])
    label_length = np.array([[3], [2], [3], [1]])
    loss = kt.ctc_batch_cost(labels, y, input_length, label_length)
    assert loss.shape == (4, 1) and loss.dtype == "float32"
    np.testing.assert_allclose(loss.eval(), _tf_ctc(labels, y, input_length, label_length), rtol=2e-5)


def test_ctc_batch_cost_matches_brute_force_enumeration(kt_in: Any) -> None:
    rng = np.random.default_rng(11)
    y = _probs(rng, (3, 4, 3), 1.0)
    labels = np.array([[0, 1], [1, 1], [0, 0]])
    input_length = np.array([[4], [4], [3]])
    label_length = np.array([[2], [2], [1]])
    got = kt.ctc_batch_cost(labels, y, input_length, label_length).eval()[:, 0]
    expected = [
        _brute_force([0, 1], y[0], 4),
        _brute_force([1, 1], y[1], 4),
        _brute_force([0], y[2], 3),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(
        ctc_module._ctc_batch_cost(labels, y, input_length, label_length)[:, 0], expected, rtol=1e-10
    )


def test_ctc_batch_cost_gradient_matches_tensorflow(kt_in: Any) -> None:
    rng = np.random.default_rng(5)
    y = _probs(rng, (2, 5, 4), 1.0)
    labels = np.array([[0, 2], [1, 0]])
    input_length, label_length = np.array([[5], [4]]), np.array([[2], [1]])
    yt = kt.constant(y)
    grad = kt.gradients(kt.sum(kt.ctc_batch_cost(labels, yt, input_length, label_length)), [yt])[0].eval()
    var = tf.Variable(y)
    with tf.GradientTape() as tape:
        idx = [[0, 0], [0, 1], [1, 0]]
        sparse = tf.SparseTensor(np.array(idx, "int64"), np.array([0, 2, 1], "int32"), (2, 2))
        logits = tf.math.log(tf.transpose(var, (1, 0, 2)) + kt.epsilon())
        total = tf.reduce_sum(tf.compat.v1.nn.ctc_loss(sparse, logits, np.array([5, 4], "int32")))
    np.testing.assert_allclose(grad, tape.gradient(total, var).numpy(), rtol=1e-5, atol=1e-7)


def test_ctc_batch_cost_of_an_impossible_alignment_is_inf(kt_in: Any) -> None:
    y = np.full((1, 2, 3), 1 / 3)
    loss = kt.ctc_batch_cost([[0, 0]], y, [[2]], [[2]]).eval()
    assert np.isinf(loss[0, 0]) and loss[0, 0] > 0


def test_ctc_batch_cost_with_unknown_batch_and_time(kt_in: Any) -> None:
    y = kt.placeholder(shape=(None, None, 4))
    labels = kt.placeholder(shape=(None, 2), dtype="int32")
    lengths = kt.placeholder(shape=(None, 1), dtype="int32")
    counts = kt.placeholder(shape=(None, 1), dtype="int32")
    loss = kt.ctc_batch_cost(labels, y, lengths, counts)
    assert loss.shape == (None, 1)
    rng = np.random.default_rng(2)
    arrays = (
        np.array([[0, 1], [2, 2]], "int32"),
        _probs(rng, (2, 6, 4)).astype("float32"),
        np.array([[6], [5]], "int32"),
        np.array([[2], [2]], "int32"),
    )
    got = kt.function([labels, y, lengths, counts], [loss])(*arrays)[0]
    np.testing.assert_allclose(got, _tf_ctc(arrays[0], arrays[1], arrays[2], arrays[3]), rtol=2e-5)


def test_ctc_batch_cost_refuses_bad_operands(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"ctc_batch_cost: y_pred must be 3-D"):
        kt.ctc_batch_cost([[0]], np.ones((2, 3)), [[1]], [[1]])
    with pytest.raises(ValueError, match=r"ctc_batch_cost: y_true must be 2-D"):
        kt.ctc_batch_cost([0], np.ones((1, 2, 3)), [[1]], [[1]])
    with pytest.raises(ValueError, match=r"ctc_batch_cost: input_length must have shape \(batch, 1\)"):
        kt.ctc_batch_cost([[0]], np.ones((1, 2, 3)), [[1, 2]], [[1]])


# -- ctc_decode -------------------------------------------------------------------------
def _dense(sparse: Any) -> np.ndarray:
    return tf.sparse.to_dense(sparse, default_value=-1).numpy()


def _decode_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return _probs(rng, (3, 6, 4)).astype("float32"), np.array([6, 4, 5])


@pytest.mark.parametrize("seed", [1, 2])
def test_ctc_greedy_decode_matches_tensorflow(kt_in: Any, seed: int) -> None:
    y, lengths = _decode_case(seed)
    decoded, logp = kt.ctc_decode(y, lengths)
    assert len(decoded) == 1 and decoded[0].dtype == "int64" and logp.shape == (3, 1)
    logits = np.log(y.transpose(1, 0, 2) + kt.epsilon())
    tf_decoded, tf_logp = tf.compat.v1.nn.ctc_greedy_decoder(logits, lengths.astype("int32"))
    got, got_logp = _run(decoded[0], logp)
    np.testing.assert_array_equal(got, _dense(tf_decoded[0]))
    np.testing.assert_allclose(got_logp, tf_logp.numpy(), rtol=1e-5)


@pytest.mark.parametrize(("seed", "width", "top", "merge"), [(1, 5, 3, False), (2, 5, 2, False), (3, 8, 1, True)])
def test_ctc_beam_search_matches_tensorflow(kt_in: Any, seed: int, width: int, top: int, merge: bool) -> None:
    y, lengths = _decode_case(seed)
    decoded, logp = kt.ctc_decode(y, lengths, greedy=False, beam_width=width, top_paths=top, merge_repeated=merge)
    assert len(decoded) == top and logp.shape == (3, top)
    logits = np.log(y.transpose(1, 0, 2) + kt.epsilon())
    tf_decoded, tf_logp = tf.compat.v1.nn.ctc_beam_search_decoder(
        logits, lengths.astype("int32"), beam_width=width, top_paths=top, merge_repeated=merge
    )
    values = _run(*decoded, logp)
    for got, expected in zip(values[:-1], tf_decoded):
        np.testing.assert_array_equal(got, _dense(expected))
    np.testing.assert_allclose(values[-1], tf_logp.numpy(), rtol=1e-5)


def test_ctc_beam_search_is_exact_when_the_beam_holds_every_prefix(kt_in: Any) -> None:
    # 2 labels over 4 steps: at most 31 prefixes, so 40 beams prune nothing and each
    # path's log-probability is the exact probability of its labelling: -ctc_batch_cost.
    rng = np.random.default_rng(9)
    y = _probs(rng, (2, 4, 3), 1.0)
    decoded, log_probability = kt.ctc_decode(y, [4, 4], greedy=False, beam_width=40, top_paths=4)
    paths, logp = _run(*decoded), log_probability.eval()
    found = [([int(c) for c in paths[k][b] if c >= 0], b) for b in range(2) for k in range(4)]
    labels = np.array([f + [0] * (4 - len(f)) for f, _ in found])
    costs = kt.ctc_batch_cost(
        labels, y[[b for _, b in found]], [[4]] * len(found), [[len(f)] for f, _ in found]
    ).eval()
    np.testing.assert_allclose(logp.reshape(-1), -costs[:, 0], rtol=1e-10)
    assert np.all(np.diff(logp, axis=1) <= 0)


def test_ctc_decode_of_unknown_shapes(kt_in: Any) -> None:
    y = kt.placeholder(shape=(None, None, 4))
    lengths = kt.placeholder(shape=(None,), dtype="int32")
    (greedy,), _ = kt.ctc_decode(y, lengths)
    beams, logp = kt.ctc_decode(y, lengths, greedy=False, beam_width=4, top_paths=2)
    fn = kt.function([y, lengths], [greedy, *beams, logp])
    arrays, lens = _decode_case(4)
    out = fn(arrays, lens.astype("int32"))
    logits = np.log(arrays.transpose(1, 0, 2) + kt.epsilon())
    tf_greedy, _ = tf.compat.v1.nn.ctc_greedy_decoder(logits, lens.astype("int32"))
    np.testing.assert_array_equal(out[0], _dense(tf_greedy[0]))
    tf_beams, tf_logp = tf.compat.v1.nn.ctc_beam_search_decoder(logits, lens.astype("int32"), beam_width=4, top_paths=2, merge_repeated=False)
    np.testing.assert_array_equal(out[1], _dense(tf_beams[0]))
    np.testing.assert_array_equal(out[2], _dense(tf_beams[1]))
    np.testing.assert_allclose(out[3], tf_logp.numpy(), rtol=1e-5)


def test_ctc_decode_refuses_bad_arguments(kt_in: Any) -> None:
    y = np.full((1, 2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"ctc_decode: top_paths must be at most beam_width \(2\)"):
        kt.ctc_decode(y, [2], greedy=False, beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match=r"ctc_decode: beam_width must be an int of at least 1; received 0"):
        kt.ctc_decode(y, [2], greedy=False, beam_width=0)
    with pytest.raises(ValueError, match=r"ctc_decode: y_pred must be 3-D"):
        kt.ctc_decode(np.ones((2, 3)), [2])
    with pytest.raises(TypeError, match=r"ctc_decode: greedy must be a bool"):
        kt.ctc_decode(y, [2], greedy="no")  # type: ignore[arg-type]
