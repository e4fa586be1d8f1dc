"""Keras 2's shape functions (ktensor/ops/shape.py): what the conformance kit cannot check.

``split`` (it returns a list), sizes unknown when the expression is built (placeholders of
shape ``(None, 3)``: static shapes, values and gradients through the run-time paths),
run-time checks, and the build-time errors with their messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops.shape import _resize_reference

_RNG = np.random.default_rng(7)
_DATA = _RNG.integers(-5, 6, (4, 3, 2)).astype("float64")


# -- split: every piece against NumPy --------------------------------------------------
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint64", "float16", "float64"])
@pytest.mark.parametrize(
    ("spec", "axis"),
    [(2, 0), (3, 1), (1, -1), ([1, 3], 0), ([2], 1), ([-1, 1], 0), ([3, 1, 5], 0), ([], 2), (np.int64(2), 2)],
)
def test_split_matches_numpy(kt_in, dtype: str, spec: Any, axis: int) -> None:
    data = _DATA.astype(dtype)
    x = kt.placeholder(shape=data.shape, dtype=dtype)
    expected = np.split(data, spec, axis=axis)
    for pieces in (kt.split(x, spec, axis=axis), x.split(spec, axis)):
        assert isinstance(pieces, list) and len(pieces) == len(expected)
        values = kt.function([x], pieces)(data)
        for piece, value, want in zip(pieces, values, expected, strict=True):
            assert piece.dtype == dtype and value.dtype == want.dtype
            assert piece.shape == want.shape and value.shape == want.shape
            np.testing.assert_array_equal(value, want)


def test_split_of_an_unknown_axis_at_indices(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3), dtype="int32")
    pieces = kt.split(x, [1, 3])
    assert [p.shape for p in pieces] == [(None, 3), (None, 3), (None, 3)]
    data = np.arange(15, dtype="int32").reshape(5, 3)
    for value, want in zip(kt.function([x], pieces)(data), np.split(data, [1, 3]), strict=True):
        np.testing.assert_array_equal(value, want)
    assert [p.shape for p in kt.split(x, 3, axis=1)] == [(None, 1)] * 3


def test_split_pieces_have_gradients(kt_in) -> None:
    w = kt.variable(np.arange(6.0).reshape(2, 3), dtype="float64")
    a, b = kt.split(w, [1], axis=1)
    [g] = kt.gradients(a.sum() * 2 + (b * b).sum(), [w])
    np.testing.assert_allclose(g.eval(), [[2.0, 2.0, 4.0], [2.0, 8.0, 10.0]])


# -- unknown sizes: static shapes, values, gradients ----------------------------------
_UNKNOWN: list[tuple[str, Callable[[Any], Any], Callable[[np.ndarray], np.ndarray], tuple[int | None, ...]]] = [
    ("repeat_elements batch", lambda x: kt.repeat_elements(x, 2, axis=0), lambda a: np.repeat(a, 2, axis=0), (None, 3)),
    ("repeat_elements known", lambda x: x.repeat_elements(3, -1), lambda a: np.repeat(a, 3, axis=1), (None, 9)),
    ("repeat", lambda x: kt.repeat(x, 2), lambda a: np.repeat(a[:, None], 2, axis=1), (None, 2, 3)),
    ("tile", lambda x: kt.tile(x, (2, 2)), lambda a: np.tile(a, (2, 2)), (None, 6)),
    ("tile zero", lambda x: x.tile((0, 1)), lambda a: np.tile(a, (0, 1)), (0, 3)),
    ("batch_flatten", lambda x: kt.batch_flatten(x[:, :, None]), lambda a: a.reshape(len(a), -1), (None, 3)),
    ("reverse", lambda x: kt.reverse(x, (0, 1)), lambda a: np.flip(a, (0, 1)), (None, 3)),
    ("slice", lambda x: kt.slice(x, (1, 1), (2, -1)), lambda a: a[1:3, 1:], (2, 2)),
    ("slice to end", lambda x: x.slice((1, 0), (-1, 2)), lambda a: a[1:, :2], (None, 2)),
    ("broadcast_to", lambda x: kt.broadcast_to(kt.slice(x, (0, 1), (1, 1)), (4, 2, 5)), lambda a: np.broadcast_to(a[:1, 1:2], (4, 2, 5)), (4, 2, 5)),
    ("roll batch", lambda x: kt.roll(x, -3, axis=0), lambda a: np.roll(a, -3, axis=0), (None, 3)),
    ("roll both", lambda x: x.roll((1, 5), (0, 1)), lambda a: np.roll(a, (1, 5), (0, 1)), (None, 3)),
    ("roll flat", lambda x: kt.roll(x, 4), lambda a: np.roll(a, 4), (None, 3)),
    ("pad", lambda x: kt.pad(x, ((1, 2), (0, 1)), constant_values=3), lambda a: np.pad(a, ((1, 2), (0, 1)), constant_values=3), (None, 4)),
    ("pad columns", lambda x: x.pad(((0, 0), (2, 1))), lambda a: np.pad(a, ((0, 0), (2, 1))), (None, 6)),
    ("temporal_padding", lambda x: kt.temporal_padding(x[..., None]), lambda a: np.pad(a[..., None], ((0, 0), (1, 1), (0, 0))), (None, 5, 1)),
    ("resize nearest", lambda x: kt.resize_images(x[:, None, :, None], 2, 2), lambda a: _resize_reference(a[:, None, :, None], 2, 2, None, "nearest"), (None, 2, 6, 1)),
    ("resize bilinear", lambda x: kt.resize_images(x[:, None, :, None], 3, 2, interpolation="bilinear"), lambda a: _resize_reference(a[:, None, :, None], 3, 2, None, "bilinear"), (None, 3, 6, 1)),
]


@pytest.mark.parametrize(("label", "build", "reference", "shape"), _UNKNOWN, ids=[u[0] for u in _UNKNOWN])
def test_unknown_sizes(kt_in, label: str, build: Any, reference: Any, shape: tuple[int | None, ...]) -> None:
    x = kt.placeholder(shape=(None, 3), dtype="float64", name="x")
    y = build(x)
    assert y.shape == shape and y.dtype == "float64"
    f = kt.function([x], y)
    for rows in (4, 5):
        data = _RNG.normal(size=(rows, 3))
        np.testing.assert_allclose(f(data), reference(data), rtol=1e-12)
    # The gradient of a weighted sum, against the one NumPy's reference implies.
    data = _RNG.normal(size=(5, 3))
    out = reference(data)
    weights = _RNG.uniform(0.5, 1.5, out.shape)
    w = kt.placeholder(shape=y.shape, dtype="float64", name="w")
    [g] = kt.gradients((y * w).sum(), [x])
    expected = np.zeros_like(data)
    for i in np.ndindex(data.shape):
        step = np.zeros_like(data)
        step[i] = 1e-6
        expected[i] = ((reference(data + step) - reference(data - step)) * weights).sum() / 2e-6
    np.testing.assert_allclose(kt.function([x, w], g)(data, weights), expected, rtol=1e-6, atol=1e-9)


def test_unknown_sizes_everywhere(kt_in) -> None:
    x = kt.placeholder(ndim=2, dtype="int32")
    data = np.arange(12, dtype="int32").reshape(3, 4)
    cases = [
        (kt.repeat_elements(x, 2, axis=1), np.repeat(data, 2, axis=1), (None, None)),
        (kt.repeat_elements(x, 0, axis=0), np.repeat(data, 0, axis=0), (0, None)),
        (kt.tile(x, 2), np.tile(data, 2), (None, None)),
        (kt.roll(x, (1, -2), axis=(0, 1)), np.roll(data, (1, -2), axis=(0, 1)), (None, None)),
        (kt.pad(x, 1, constant_values=-1), np.pad(data, 1, constant_values=-1), (None, None)),
        (kt.slice(x, (1, 2), (1, 2)), data[1:2, 2:4], (1, 2)),
        (kt.batch_flatten(kt.reshape(x, (3, -1))), data.reshape(3, -1), (3, None)),
    ]
    values = kt.function([x], [c[0] for c in cases])(data)
    for (t, want, shape), value in zip(cases, values, strict=True):
        assert t.shape == shape and value.dtype == want.dtype
        np.testing.assert_array_equal(value, want)


def test_run_time_checks(kt_in) -> None:
    x = kt.placeholder(shape=(None, 3), name="x")
    block = kt.function([x], kt.slice(x, (1, 0), (2, 3)))
    assert block(np.ones((3, 3), "float32")).shape == (2, 3)
    with pytest.raises(kt.EngineError, match="slice.*past the end of axis 0"):
        block(np.ones((2, 3), "float32"))
    wide = kt.function([x], kt.broadcast_to(x, (2, 4, 3)))
    assert wide(np.ones((4, 3), "float32")).shape == (2, 4, 3)
    with pytest.raises(kt.EngineError, match="broadcast_to: axis 1 does not have size 4"):
        wide(np.ones((5, 3), "float32"))


def test_keras_defaults(kt_in) -> None:
    assert kt.expand_dims(kt.zeros((2, 3))).shape == (2, 3, 1)
    assert kt.zeros((2, 3)).expand_dims().shape == (2, 3, 1)
    assert kt.squeeze(kt.zeros((1, 3, 1))).shape == (3,)
    image = np.arange(24.0).reshape(1, 2, 3, 4)
    assert kt.spatial_2d_padding(image).shape == (1, 4, 5, 4)
    assert kt.spatial_2d_padding(image, data_format="channels_first").shape == (1, 2, 5, 6)
    assert kt.resize_images(image, 2, 1, "channels_first").shape == (1, 2, 6, 4)
    assert kt.temporal_padding(np.zeros((2, 3, 4))).shape == (2, 5, 4)
    assert kt.spatial_3d_padding(np.zeros((1, 2, 2, 2, 3)), ((0, 1), (1, 0), (2, 2))).shape == (1, 3, 3, 6, 3)
    assert not hasattr(kt.zeros((2, 3)), "repeat")


def test_bilinear_is_half_pixel_centred(kt_in) -> None:
    image = np.array([0.0, 4.0, 8.0]).reshape(1, 3, 1, 1)
    out = kt.resize_images(image, 2, 1, interpolation="bilinear").eval()
    # Output i samples the input at (i + 0.5) / 2 - 0.5, clamped to the edges.
    np.testing.assert_allclose(out.ravel(), [0.0, 1.0, 3.0, 5.0, 7.0, 8.0])
    assert kt.resize_images(image.astype("int8"), 2, 1, interpolation="bilinear").dtype == "float16"
    assert kt.resize_images(image.astype("int32"), 2, 1).dtype == "int32"


# -- build-time errors ----------------------------------------------------------------
_ERRORS: list[tuple[Callable[[Any], Any], type[Exception], str]] = [
    (lambda x: kt.repeat_elements(x, -1, axis=0), ValueError, r"repeat_elements: rep must be an int >= 0; received -1"),
    (lambda x: kt.repeat_elements(x, 1.5, axis=0), TypeError, r"repeat_elements: rep must be an int.*1\.5"),  # type: ignore[arg-type]
    (lambda x: kt.repeat_elements(x, 2, axis=2), ValueError, r"repeat_elements: axis=2 is out of bounds.*2 dimensions"),
    (lambda x: kt.repeat(x, -2), ValueError, r"repeat: n must be an int >= 0; received -2"),
    (lambda x: kt.repeat(x[0], 2), ValueError, r"repeat: x must be 2-D.*\(3,\)"),
    (lambda x: kt.tile(x, (2, -1)), ValueError, r"tile: n must be an int or a sequence of ints >= 0; received \(2, -1\)"),
    (lambda x: kt.tile(x, "2"), TypeError, r"tile: n must be .*'2'"),  # type: ignore[arg-type]
    (lambda x: kt.batch_flatten(x[0, 0]), ValueError, r"batch_flatten: x must have a batch axis"),
    (lambda x: kt.batch_flatten(kt.placeholder(ndim=3)), ValueError, r"batch_flatten: needs the batch size.*\(None, None, None\)"),
    (lambda x: kt.reverse(x, 3), ValueError, r"reverse: axes=3 is out of bounds"),
    (lambda x: kt.reverse(x, (0, 0)), ValueError, r"reverse: axes has a repeated axis"),
    (lambda x: kt.slice(x, (0, 2), (1, 2)), ValueError, r"slice: start 2 and size 2 on axis 1 run past the end of a dimension of size 3"),
    (lambda x: kt.slice(x, (0, 4), (1, -1)), ValueError, r"slice: start 4 and size -1 on axis 1 run past the end"),
    (lambda x: kt.slice(x, (0,), (1,)), ValueError, r"slice: start needs one int per axis of the 2 axes; received \(0,\)"),
    (lambda x: kt.slice(x, (-1, 0), (1, 1)), ValueError, r"slice: start must be .*>= 0; received \(-1, 0\)"),
    (lambda x: kt.slice(x, (0, 0), (1, -2)), ValueError, r"slice: size must be .*>= -1"),
    (lambda x: kt.split(x, 2, axis=1), ValueError, r"split: 2 sections do not divide axis 1 of length 3"),
    (lambda x: kt.split(x, 0), ValueError, r"split: indices_or_sections must be a positive number"),
    (lambda x: kt.split(x, 2), ValueError, r"split: 2 equal sections need the length of axis 0 known"),
    (lambda x: kt.split(x, [1.5]), TypeError, r"split: indices_or_sections must be an int or a sequence of ints"),  # type: ignore[list-item]
    (lambda x: kt.split(x, [1], axis=-3), ValueError, r"split: axis=-3 is out of bounds"),
    (lambda x: kt.broadcast_to(x, (4, 5)), ValueError, r"broadcast_to: a tensor of shape \(None, 3\) cannot be broadcast to shape \(4, 5\)"),
    (lambda x: kt.broadcast_to(x, (3,)), ValueError, r"broadcast_to: .*cannot be broadcast to shape \(3,\)"),
    (lambda x: kt.broadcast_to(x, (2, None)), TypeError, r"broadcast_to: shape must be an int or a sequence of ints >= 0"),  # type: ignore[arg-type]
    (lambda x: kt.roll(x, 1, axis=2), ValueError, r"roll: axis=2 is out of bounds"),
    (lambda x: kt.roll(x, (1, 2, 3), axis=(0, 1)), ValueError, r"roll: shift \(1, 2, 3\) and axis \(0, 1\) must have the same length"),
    (lambda x: kt.roll(x, 1.0), TypeError, r"roll: shift must be an int or a sequence of ints"),  # type: ignore[arg-type]
    (lambda x: kt.roll(kt.placeholder(ndim=2), 1), ValueError, r"roll: axis=None needs at most one size unknown"),
    (lambda x: kt.pad(x, -1), ValueError, r"pad: pad_width must not be negative; received -1"),
    (lambda x: kt.pad(x, ((1, 2, 3),)), ValueError, r"pad: pad_width must be an int >= 0, a pair, or 2 pairs of ints >= 0; received \(\(1, 2, 3\),\)"),
    (lambda x: kt.pad(x, 1.5), ValueError, r"pad: pad_width must be an int >= 0, a pair"),  # type: ignore[arg-type]
    (lambda x: kt.pad(x, 1, constant_values=(1, 2, 3)), ValueError, r"pad: constant_values must be a number, a pair"),
    (lambda x: kt.pad(x, 1, constant_values="a"), ValueError, r"pad: constant_values 'a' cannot be stored in dtype float32"),
    (lambda x: kt.temporal_padding(x, (1, 1)), ValueError, r"temporal_padding: x must be 3-D; received a tensor of shape \(None, 3\)"),
    (lambda x: kt.temporal_padding(x[..., None], (1, -1)), ValueError, r"temporal_padding: padding must not be negative"),
    (lambda x: kt.temporal_padding(x[..., None], 1), ValueError, r"temporal_padding: padding must be a pair \(before, after\) of ints >= 0; received 1"),  # type: ignore[arg-type]
    (lambda x: kt.spatial_2d_padding(x[..., None, None], ((1, 1),)), ValueError, r"spatial_2d_padding: padding must be 2 pairs \(before, after\) of ints >= 0; received \(\(1, 1\),\)"),
    (lambda x: kt.spatial_2d_padding(x[..., None, None], data_format="NHWC"), ValueError,
     r"spatial_2d_padding: data_format must be None, 'channels_last' or 'channels_first'; received 'NHWC'"),
    (lambda x: kt.spatial_3d_padding(x[..., None, None], ((1, 1),) * 3), ValueError, r"spatial_3d_padding: x must be 5-D"),
    (lambda x: kt.resize_images(x[..., None, None], 2.0, 2), TypeError, r"resize_images: height_factor must be an int >= 1; received 2\.0"),  # type: ignore[arg-type]
    (lambda x: kt.resize_images(x[..., None, None], 2, 0), ValueError, r"resize_images: width_factor must be an int >= 1; received 0"),
    (lambda x: kt.resize_images(x[..., None, None], 2, 2, interpolation="bicubic"), ValueError,
     r"resize_images: interpolation must be 'nearest' or 'bilinear'; received 'bicubic'"),
    (lambda x: kt.resize_images(x[..., None, None], 2, 2, data_format="channels_middle"), ValueError, r"resize_images: data_format"),
    (lambda x: kt.resize_images(x[None, ..., None], 2, 2, interpolation="bilinear"), ValueError,
     r"resize_images: bilinear needs the size of axis 1 known"),
    (lambda x: kt.resize_images(x, 2, 2), ValueError, r"resize_images: x must be 4-D"),
]


@pytest.mark.parametrize(("build", "error", "message"), _ERRORS)
def test_build_time_errors(kt_in, build: Any, error: type[Exception], message: str) -> None:
    x = kt.placeholder(shape=(None, 3), name="x")
    with pytest.raises(error, match=r"^ktensor: " + message):
        build(x)
