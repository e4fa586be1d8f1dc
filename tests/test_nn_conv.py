"""Convolutions and pooling (API.md §9): what the kit cannot check.

Build-time errors, static shapes with unknown dimensions, the kernel's gradient, float16,
the TensorFlow fused kernels against the composition, and a small CNN trained on PyTensor.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor import conv_shapes
from ktensor.ops.nn.conv import _ref_conv, _ref_conv2d_transpose, _ref_depthwise
from ktensor.ops.nn.pooling import _ref_pool
from tests.conftest import require

RNG = np.random.default_rng(7)


def _rand(*shape: int, dtype: str = "float64") -> np.ndarray:
    return RNG.uniform(-1, 1, shape).astype(dtype)


# ----------------------------------------------------------------------
# Shape arithmetic.
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "k", "s", "d", "pad", "out", "pads"),
    [
        (7, 3, 1, 1, "valid", 5, (0, 0)),
        (7, 3, 2, 1, "same", 4, (1, 1)),
        (6, 2, 2, 1, "same", 3, (0, 0)),
        (6, 4, 1, 1, "same", 6, (1, 2)),
        (5, 2, 1, 2, "causal", 5, (2, 0)),
        (8, 3, 3, 2, "valid", 2, (0, 0)),
    ],
)
def test_output_lengths_and_pads(size: int, k: int, s: int, d: int, pad: str, out: int, pads: tuple[int, int]) -> None:
    assert conv_shapes.output_length(size, k, s, d, pad) == out
    assert conv_shapes.pads(size, k, s, d, pad) == pads


def test_same_padding_of_an_unknown_size_is_known_only_for_stride_one() -> None:
    assert conv_shapes.pads(None, 3, 1, 2, "same") == (2, 2)
    assert conv_shapes.pads(None, 3, 2, 1, "same") is None


# ----------------------------------------------------------------------
# Build-time errors name the function and the argument.
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda: kt.conv2d(kt.zeros((1, 4, 4, 3)), kt.zeros((2, 2, 2, 5))),
            ("conv2d", "kernel", "3 channels", "has 2"),
        ),
        (lambda: kt.conv2d(kt.zeros((1, 4, 4)), kt.zeros((2, 2, 2, 5))), ("conv2d", "x", "4 dimensions")),
        (lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 5))), ("conv2d", "kernel", "4 dimensions")),
        (
            lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 1)), padding="full"),
            ("conv2d", "padding", "'full'"),
        ),
        (lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 1)), padding="causal"), ("conv2d", "padding")),
        (
            lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 1)), data_format="NHWC"),
            ("conv2d", "data_format"),
        ),
        (
            lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 1)), strides=(1, 1, 1)),
            ("conv2d", "strides", "2 ints"),
        ),
        (
            lambda: kt.conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 1)), strides=0),
            ("conv2d", "strides", "at least 1"),
        ),
        (lambda: kt.conv1d(kt.zeros((1, 4, 2)), kt.zeros((2, 2, 1)), dilation_rate=(0,)), ("conv1d", "dilation_rate")),
        (lambda: kt.conv3d(kt.zeros((1, 2, 2, 2, 1)), kt.zeros((3, 3, 3, 1, 1))), ("conv3d", "larger than")),
        (lambda: kt.pool2d(kt.zeros((1, 4, 4, 2)), (2, 2), pool_mode="min"), ("pool2d", "pool_mode", "'min'")),
        (lambda: kt.pool2d(kt.zeros((1, 4, 4, 2)), (2, 2, 2)), ("pool2d", "pool_size")),
        (lambda: kt.pool3d(kt.zeros((1, 4, 4, 2)), 2), ("pool3d", "x", "5 dimensions")),
        (
            lambda: kt.depthwise_conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 3, 1))),
            ("depthwise_conv2d", "depthwise_kernel", "2 channels"),
        ),
        (
            lambda: kt.separable_conv2d(kt.zeros((1, 4, 4, 2)), kt.zeros((2, 2, 2, 2)), kt.zeros((1, 1, 3, 1))),
            ("separable_conv2d", "pointwise_kernel", "4"),
        ),
        (
            lambda: kt.conv2d_transpose(kt.zeros((1, 3, 3, 2)), kt.zeros((2, 2, 4, 2)), (1, 5, 5, 4)),
            ("conv2d_transpose", "output_shape", "(4, 4)"),
        ),
        (
            lambda: kt.conv2d_transpose(kt.zeros((1, 3, 3, 2)), kt.zeros((2, 2, 4, 2)), (1, 4, 4, 3)),
            ("conv2d_transpose", "output_shape", "kernel.shape[-2]"),
        ),
        (
            lambda: kt.conv2d_transpose(kt.zeros((1, 3, 3, 2)), kt.zeros((2, 2, 4, 3)), (1, 4, 4, 4)),
            ("conv2d_transpose", "kernel", "kernel.shape[-1]"),
        ),
        (
            lambda: kt.conv2d_transpose(kt.zeros((1, 3, 3, 2)), kt.zeros((2, 2, 4, 2)), (4, 4)),
            ("output_shape", "4 ints"),
        ),
    ],
)
def test_bad_arguments_are_refused_when_built(kt_in: Any, call: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith("ktensor: ")
    for w in words:
        assert w in message, message


# ----------------------------------------------------------------------
# Static shapes with unknown dimensions, and runs with them.
# ----------------------------------------------------------------------
def test_static_shapes_with_unknown_batch(kt_in: Any) -> None:
    x = kt.placeholder(shape=(None, 8, 8, 3))
    k = kt.zeros((3, 3, 3, 4))
    assert kt.conv2d(x, k, padding="same", strides=2).shape == (None, 4, 4, 4)
    assert kt.conv2d(x, k, dilation_rate=2).shape == (None, 4, 4, 4)
    assert kt.pool2d(x, (2, 2), (2, 2)).shape == (None, 4, 4, 3)
    assert kt.pool2d(x, (3, 3), (2, 2), padding="same", pool_mode="avg").shape == (None, 4, 4, 3)
    assert kt.depthwise_conv2d(x, kt.zeros((3, 3, 3, 2))).shape == (None, 6, 6, 6)
    assert kt.conv2d_transpose(x, kt.zeros((3, 3, 5, 3)), (None, 16, 16, 5), (2, 2), "same").shape == (None, 16, 16, 5)
    batch = kt.shape(x)[0]
    assert kt.conv2d_transpose(x, kt.zeros((2, 2, 5, 3)), (batch, 9, 9, 5)).shape == (None, 9, 9, 5)
    xf = kt.placeholder(shape=(None, 3, 8, 8))
    assert kt.conv2d(xf, k, data_format="channels_first").shape == (None, 4, 6, 6)
    seq = kt.placeholder(shape=(None, 10, 3))
    assert kt.conv1d(seq, kt.zeros((3, 3, 2)), padding="causal", dilation_rate=2).shape == (None, 10, 2)
    assert kt.separable_conv1d(seq, kt.zeros((3, 3, 2)), kt.zeros((1, 6, 4)), strides=2).shape == (None, 4, 4)
    vol = kt.placeholder(shape=(None, 4, 4, 4, 2))
    assert kt.conv3d(vol, kt.zeros((2, 2, 2, 2, 3)), strides=2).shape == (None, 2, 2, 2, 3)
    assert kt.pool3d(vol, 2, 2).shape == (None, 2, 2, 2, 2)


def test_unknown_spatial_sizes_run(kt_in: Any) -> None:
    x = kt.placeholder(shape=(None, None, None, 2), dtype="float64")
    k = _rand(3, 3, 2, 3)
    y = kt.conv2d(x, k, padding="same", dilation_rate=(1, 2))
    p = kt.pool2d(x, (2, 2), padding="same", pool_mode="avg")
    assert y.shape == (None, None, None, 3)
    data = _rand(2, 5, 6, 2)
    out_y, out_p = kt.function([x], [y, p])(data)
    np.testing.assert_allclose(out_y, _ref_conv(data, k, 1, "same", None, (1, 2)), rtol=1e-12)
    np.testing.assert_allclose(out_p, _ref_pool(data, (2, 2), (1, 1), "same", None, "avg"), rtol=1e-12)


# ----------------------------------------------------------------------
# Values beyond the kit: float16, the kernel's gradient.
# ----------------------------------------------------------------------
def test_float16_in_float16_out(kt_in: Any) -> None:
    x, k = _rand(1, 5, 5, 2, dtype="float16"), _rand(3, 3, 2, 2, dtype="float16")
    t, u, v = (kt.constant(a, dtype="float16") for a in (x, k, x[..., None]))
    for y, ref in [
        (kt.conv2d(t, u, padding="same"), _ref_conv(x, k, 1, "same", None, 1)),
        (kt.pool2d(t, (2, 2), padding="same", pool_mode="avg"), _ref_pool(x, 2, 1, "same", None, "avg")),
        (kt.pool3d(v, (2, 2, 1), pool_mode="max"), _ref_pool(x[..., None], (2, 2, 1), 1, "valid", None, "max")),
    ]:
        assert y.dtype == "float16"
        np.testing.assert_allclose(y.eval(), ref, rtol=1e-2, atol=1e-2)


def _numeric_gradient(f: Any, k: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(k)
    for i in np.ndindex(k.shape):
        up, down = k.copy(), k.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (f(up) - f(down)) / (2 * step)
    return grad


@pytest.mark.parametrize(
    ("op", "x_shape", "k_shape", "kwargs", "ref"),
    [
        (
            "conv2d",
            (2, 5, 4, 2),
            (3, 2, 2, 3),
            {"strides": (2, 1), "padding": "same"},
            lambda x, k: _ref_conv(x, k, (2, 1), "same", None, 1),
        ),
        (
            "conv1d",
            (2, 6, 2),
            (2, 2, 2),
            {"padding": "causal", "dilation_rate": 2},
            lambda x, k: _ref_conv(x, k, 1, "causal", None, 2),
        ),
        (
            "depthwise_conv2d",
            (1, 4, 4, 2),
            (2, 2, 2, 2),
            {"strides": 2, "padding": "same"},
            lambda x, k: _ref_depthwise(x, k, 2, "same", None, 1),
        ),
        (
            "conv2d_transpose",
            (1, 3, 3, 2),
            (3, 3, 2, 2),
            {"output_shape": (1, 6, 6, 2), "strides": (2, 2), "padding": "same"},
            lambda x, k: _ref_conv2d_transpose(x, k, (1, 6, 6, 2), (2, 2), "same", None),
        ),
    ],
)
def test_gradient_of_the_kernel(
    kt_in: Any, op: str, x_shape: tuple[int, ...], k_shape: tuple[int, ...], kwargs: dict[str, Any], ref: Any
) -> None:
    x, k0 = _rand(*x_shape), _rand(*k_shape)
    k = kt.placeholder(shape=k_shape, dtype="float64")
    y = getattr(kt, op)(kt.constant(x), k, **kwargs)
    w = _rand(*(int(d) for d in y.shape))
    (g,) = kt.gradients(kt.sum(y * w), [k])
    got = kt.function([k], g)(k0)
    expected = _numeric_gradient(lambda kk: float(np.sum(w * ref(x, kk))), k0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------
# TensorFlow: the fused kernels agree with the composition.
# ----------------------------------------------------------------------
def _composing_backend() -> Any:
    from ktensor.backends import TensorFlowBackend

    class Composing(TensorFlowBackend):
        calls = 0

        def matmul(self, x: Any, y: Any) -> Any:
            self.calls += 1
            return super().matmul(x, y)

        def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
            self.calls += 1
            return super().max(x, axis=axis, keepdims=keepdims)

        def sum(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
            self.calls += 1
            return super().sum(x, axis=axis, keepdims=keepdims)

    return Composing()


_CALLS = [
    ("conv1d", (2, 7, 2), [(3, 2, 3)], {"strides": 2, "padding": "same"}),
    ("conv1d", (2, 7, 2), [(3, 2, 3)], {"padding": "causal", "dilation_rate": 2, "data_format": None}),
    ("conv2d", (2, 6, 5, 2), [(3, 3, 2, 4)], {"strides": (2, 1), "padding": "same", "dilation_rate": 1}),
    ("conv2d", (2, 2, 6, 5), [(2, 2, 2, 3)], {"dilation_rate": (2, 1), "data_format": "channels_first"}),
    ("conv3d", (1, 4, 4, 3, 2), [(2, 2, 2, 2, 2)], {"strides": 2, "padding": "same"}),
    (
        "conv2d_transpose",
        (2, 3, 3, 2),
        [(3, 3, 4, 2)],
        {"output_shape": (2, 6, 5, 4), "strides": (2, 2), "padding": "same"},
    ),
    (
        "conv2d_transpose",
        (2, 2, 3, 3),
        [(2, 2, 4, 2)],
        {"output_shape": (None, 4, 4, 4), "data_format": "channels_first"},
    ),
    ("depthwise_conv2d", (2, 5, 5, 3), [(3, 3, 3, 2)], {"strides": 2, "padding": "same"}),
    ("separable_conv2d", (2, 5, 5, 2), [(2, 2, 2, 2), (1, 1, 4, 3)], {"padding": "same"}),
    ("pool2d", (2, 5, 5, 2), [], {"pool_size": (3, 2), "strides": (2, 2), "padding": "same", "pool_mode": "avg"}),
    ("pool2d", (2, 2, 5, 5), [], {"pool_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first"}),
    ("pool3d", (1, 3, 4, 5, 2), [], {"pool_size": 2, "strides": (1, 2, 2), "padding": "same", "pool_mode": "avg"}),
]


def _value_and_gradient(
    b: Any, op: str, x_shape: tuple[int, ...], k_shapes: list[tuple[int, ...]], kwargs: dict[str, Any]
) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    x = kt.placeholder(shape=x_shape, dtype="float32", backend=b)
    ks = [kt.constant(rng.uniform(-1, 1, s).astype("float32"), backend=b) for s in k_shapes]
    y = getattr(kt, op)(x, *ks, **kwargs)
    grads = kt.gradients(kt.sum(y * y), [x, *ks])
    return kt.function([x], [y, *grads])(rng.uniform(-1, 1, x_shape).astype("float32"))


@pytest.mark.parametrize(("op", "x_shape", "k_shapes", "kwargs"), _CALLS)
def test_tensorflow_fused_kernels_agree_with_the_composition(op: str, x_shape: Any, k_shapes: Any, kwargs: Any) -> None:
    require("tensorflow")
    from ktensor.backends import TensorFlowBackend

    composing = _composing_backend()
    fused = _value_and_gradient(TensorFlowBackend(), op, x_shape, k_shapes, kwargs)
    composed = _value_and_gradient(composing, op, x_shape, k_shapes, kwargs)
    assert composing.calls > 0, "the override was not reached: the composition did not run"
    for a, b in zip(fused, composed, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_tensorflow_uses_its_fused_kernels_while_the_composition_is_intact() -> None:
    require("tensorflow")
    from ktensor.backends import TensorFlowBackend

    b = TensorFlowBackend()
    y = kt.conv2d(kt.zeros((1, 4, 4, 1), backend=b), kt.zeros((2, 2, 1, 1), backend=b))
    p = kt.pool2d(kt.zeros((1, 4, 4, 1), backend=b), 2)
    ops = {op.type for op in b.graph.get_operations()}
    assert {"Conv2D", "MaxPool"} <= ops, ops
    assert y.shape == (1, 3, 3, 1) and p.shape == (1, 3, 3, 1)


# ----------------------------------------------------------------------
# A small CNN trains on PyTensor in seconds.
# ----------------------------------------------------------------------
def test_a_small_cnn_trains_on_pytensor() -> None:
    require("pytensor")
    from ktensor.backends import TheanoBackend

    b = TheanoBackend()
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (256, 8, 8, 1)).astype("float32")
    labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    with kt.use_backend(b):
        x = kt.placeholder(shape=(None, 8, 8, 1))
        onehot = kt.placeholder(shape=(None, 2))
        k1 = kt.variable(rng.normal(0, 0.3, (3, 3, 1, 8)).astype("float32"))
        k2 = kt.variable(rng.normal(0, 0.3, (3, 3, 8, 8)).astype("float32"))
        w = kt.variable(rng.normal(0, 0.3, (4 * 4 * 8, 2)).astype("float32"))
        h = kt.relu(kt.conv2d(x, k1, padding="same"))
        h = kt.pool2d(kt.relu(kt.conv2d(h, k2, padding="same")), (2, 2), (2, 2))
        logits = kt.dot(kt.reshape(h, (-1, 4 * 4 * 8)), w)
        loss = kt.mean(kt.logsumexp(logits, axis=-1) - kt.sum(logits * onehot, axis=-1))
        params = [k1, k2, w]
        grads = kt.gradients(loss, params)
        step = kt.function([x, onehot], loss, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)])
        targets = np.eye(2, dtype="float32")[labels]
        first = step(images[:64], targets[:64])
        start = time.perf_counter()
        for _ in range(3):
            for i in range(0, 256, 64):
                last = step(images[i : i + 64], targets[i : i + 64])
        per_epoch = (time.perf_counter() - start) / 3
    assert per_epoch < 5.0, f"{per_epoch:.2f} s per epoch of 256 images"
    assert float(last) < float(first)
