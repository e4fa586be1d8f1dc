"""Cases a review found giving silent wrong data or engine noise, each now NumPy's answer."""

from __future__ import annotations

import copy
import pickle
import re
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.ops import references

#: ktensor without its type hints, for calls that pass what the hints forbid on purpose.
loose: Any = kt

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


# -- run-time checks where the engines differ (as for index bounds) --------------------
@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_reduction_over_an_axis_empty_at_run_time_is_refused(kt_in, name: str) -> None:
    x = kt.placeholder(shape=(None,), dtype="float32")
    f = kt.function([x], getattr(kt, name)(x))
    assert float(f(np.array([1.0, 3.0], "float32"))) == {"max": 3.0, "min": 1.0, "argmax": 1, "argmin": 0}[name]
    with pytest.raises(kt.EngineError, match=f"ktensor: {name} over axis 0, of length 0 at run time"):
        f(np.zeros((0,), "float32"))
    m = kt.placeholder(shape=(2, None), dtype="int32")
    g = kt.function([m], getattr(kt, name)(m, axis=1))
    with pytest.raises(kt.EngineError, match="no identity"):
        g(np.zeros((2, 0), "int32"))
    with pytest.raises(ValueError, match="no identity"):
        getattr(kt, name)(kt.zeros((2, 0)), axis=1)


def test_softmax_over_an_empty_axis_is_refused_as_its_max(kt_in) -> None:
    """The engine's fused softmax (TensorFlow) and the composition (PyTensor) agree: an
    empty axis has no max to shift by; other zero-size inputs give an empty result."""
    x = kt.placeholder(shape=(2, None), dtype="float32")
    f = kt.function([x], kt.softmax(x))
    with pytest.raises(kt.EngineError, match="ktensor: softmax over axis 1, of length 0 at run time"):
        f(np.zeros((2, 0), "float32"))
    with pytest.raises(ValueError, match="no identity"):
        kt.softmax(kt.zeros((2, 0)))
    assert kt.softmax(kt.zeros((0, 3))).eval().shape == (0, 3)


@pytest.mark.parametrize(
    ("base", "exponent", "shown"),
    [([2, 3], -1, "-1"), ([2, 3], [1, -2], r"\[1, -2\]"), (np.array([2], "uint8"), np.array([-1], "int8"), r"\[-1\]"),
     ([True], np.array([-3], "int16"), r"\[-3\]"), (2, np.array([-1], "int8"), r"\[-1\]")],
)
def test_integer_power_of_a_known_negative_exponent_is_refused_when_built(
    kt_in, capfd: pytest.CaptureFixture[str], base: Any, exponent: Any, shown: str
) -> None:
    with pytest.raises(ValueError):
        np.power(np.asarray(base), exponent)  # NumPy refuses it too
    with pytest.raises(ValueError, match=f"integers to negative integer powers are not allowed.*exponent {shown}"):
        kt.power(base, exponent)
    with pytest.raises(ValueError, match="negative integer powers"):
        kt.power(base, kt.constant(exponent))
    assert "Traceback" not in "".join(capfd.readouterr())


def test_integer_power_of_an_exponent_known_at_run_time_is_checked(kt_in, capfd: pytest.CaptureFixture[str]) -> None:
    e = kt.placeholder(shape=(None,), dtype="int64")
    f = kt.function([e], kt.constant(np.array([2, 3], "int32")) ** e)
    got = f(np.array([3, 2]))
    np.testing.assert_array_equal(got, np.array([2, 3], "int32") ** np.array([3, 2]))
    assert got.dtype == np.int64
    with pytest.raises(kt.EngineError, match="negative integer powers are not allowed"):
        f(np.array([1, -1]))
    # float results, unsigned exponents and non-negative ones need no check
    assert kt.power([2.0, 4.0], -1).eval().tolist() == [0.5, 0.25]
    assert kt.power(np.array([2], "int8"), np.array([3], "uint8")).eval().tolist() == [8]
    assert kt.power([2, 3], 0).eval().tolist() == [1, 1]
    assert "Traceback" not in "".join(capfd.readouterr())


def test_an_update_of_unknown_size_is_checked_at_run_time(kt_in) -> None:
    v = kt.variable(np.zeros(3), name="v")
    p = kt.placeholder(shape=(None,), dtype="float64", name="p")
    f = kt.function([p], [], updates=[(v, p)])
    f(np.arange(3.0))
    assert v.get_value().tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(kt.EngineError, match=r"update of variable 'v' does not have size 3 on axis 0"):
        f(np.zeros(2))
    assert v.get_value().tolist() == [0.0, 1.0, 2.0]
    q = kt.placeholder(shape=(None, 3), dtype="float64")
    with pytest.raises(ValueError, match=r"update of variable 'v' has shape \(None, 3\), expected \(3,\)"):
        kt.function([q], [], updates=[(v, q)])


# -- bad arguments: a ktensor error naming the argument ---------------------------
@pytest.mark.parametrize("name", [5, b"x", 1.5, ["x"]])
@pytest.mark.parametrize(
    ("operation", "make"),
    [
        ("placeholder", lambda name: kt.placeholder(shape=(2,), name=name)),
        ("variable", lambda name: kt.variable([1.0], name=name)),
        ("constant", lambda name: kt.constant([1.0], name=name)),
        ("zeros", lambda name: kt.zeros((2,), name=name)),
        ("ones_like", lambda name: kt.ones_like([1.0], name=name)),
        ("eye", lambda name: kt.eye(2, name=name)),
        ("identity", lambda name: kt.identity([1.0], name=name)),
        ("random_normal_variable", lambda name: kt.random_normal_variable((2,), 0.0, 1.0, name=name)),
        ("map_fn", lambda name: kt.map_fn(lambda r: r, kt.constant([1.0]), name=name)),
        ("function", lambda name: kt.function([], kt.constant(1.0), name=name)),
    ],
)
def test_names_must_be_strings(kt_in, operation: str, make, name: object) -> None:
    with pytest.raises(TypeError, match=f"ktensor: {operation}: name must be None or a str; received {re.escape(repr(name))}"):
        make(name)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: loose.zeros((10**12, 10**12)), ValueError, r"zeros: shape \(1000000000000, 1000000000000\) has 10\*\*24 elements"),
        (lambda: loose.ones((2**63,)), ValueError, r"ones: shape \(9223372036854775808,\) has"),
        (lambda: loose.placeholder(shape=(2**63, None)), ValueError, r"placeholder: shape \(9223372036854775808, None\)"),
        (lambda: loose.placeholder(shape=(10**12, 10**12)), ValueError, "placeholder: shape .* more than any tensor holds"),
        (lambda: loose.random_uniform((10**12, 10**12)), ValueError, "random_uniform: shape .* more than any tensor holds"),
        (lambda: loose.random_normal((2**63,)), ValueError, "random_normal: shape .* more than any tensor holds"),
        (lambda: loose.full((2**63,), 1.0), ValueError, "full: shape .* more than any tensor holds"),
        (lambda: loose.eye(2**63), ValueError, r"eye: \(n, m\) .* more than any tensor holds"),
        (lambda: loose.zeros((2.5,)), TypeError, r"zeros: shape must be an int or a tuple of ints >= 0; received \(2\.5,\)"),
        (lambda: loose.ones(2.0), TypeError, "ones: shape must be an int or a tuple of ints"),
        (lambda: loose.random_uniform((np.float64(2),)), TypeError, "random_uniform: shape must be"),
        (lambda: loose.eye(2.5), TypeError, "eye: "),
        (lambda: loose.zeros(None), TypeError, r"zeros: shape .* received None \(use \(\) for a 0-d tensor\)"),
        (lambda: loose.zeros((-1,)), ValueError, "zeros: shape must be ints >= 0"),
        (lambda: loose.random_uniform((2,), seed=1.5), TypeError, "random_uniform: seed must be None or an int >= 0; received 1.5"),
        (lambda: loose.random_normal((2,), seed=-1), ValueError, "random_normal: seed must be None or an int from 0"),
        (lambda: loose.random_uniform_variable((2,), 0, 1, seed=2.5), TypeError, "random_uniform_variable: seed"),
        (lambda: loose.random_normal((2,), stddev=-1.0), ValueError, "random_normal: stddev must be a number >= 0"),
        (lambda: loose.truncated_normal((2,), stddev=-0.5), ValueError, "truncated_normal: stddev must be a number >= 0"),
        (lambda: loose.random_normal_variable((2,), 0.0, -1.0), ValueError, "random_normal_variable: scale must be a number >= 0"),
        (lambda: loose.constant(1.0).eval([kt.placeholder(shape=())]), TypeError, "eval: feed must be a dict"),
        (lambda: loose.constant(1.0).eval("abc"), TypeError, "eval: feed must be a dict .* received 'abc'"),
        (lambda: loose.function([], kt.constant(1.0), updates=5), TypeError, "function: updates must be a list of .* received 5"),
    ],
)
def test_bad_creation_arguments_get_a_ktensor_error(kt_in, make, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=f"^ktensor: {match}"):
        make()


def test_numpy_refuses_the_same_sizes_and_seeds() -> None:
    bad: Any
    for bad in ((2.5,), None):
        with pytest.raises(TypeError):
            np.zeros(bad)
    with pytest.raises(TypeError):
        np.random.default_rng(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        np.random.default_rng(0).normal(0.0, -1.0)


def test_tensors_are_immutable_and_copy_but_do_not_pickle(kt_in) -> None:
    t = kt.constant([1.0, 2.0])
    with pytest.raises(AttributeError, match="ktensor: a Tensor is immutable; its shape cannot be set"):
        t.shape = (5,)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable; its dtype"):
        t.dtype = "int8"  # type: ignore[misc]
    assert t.shape == (2,) and copy.copy(t) is t and copy.deepcopy(t) is t
    x = kt.placeholder(shape=(None,), name="x")
    assert copy.deepcopy([x, x])[0] is x
    v = kt.variable([1.0, 2.0], name="w")
    w = copy.deepcopy(v)
    assert w is not v and w.name == "w" and w.role == "variable" and w.dtype == v.dtype
    w.set_value([5.0, 6.0])
    assert v.get_value().tolist() == [1.0, 2.0] and w.get_value().tolist() == [5.0, 6.0]
    pair = copy.deepcopy({"a": v, "b": v})
    assert pair["a"] is pair["b"] and pair["a"] is not v
    for value in (t, x, v, x * 2):
        with pytest.raises(TypeError, match=r"ktensor: a Tensor .* cannot be pickled.*kt\.save_variables"):
            pickle.dumps(value)


# -- NumPy's argument rules ------------------------------------------------------
def test_concatenate_axis_none_flattens_as_numpy(kt_in) -> None:
    a, b = np.arange(6).reshape(2, 3), np.array([[7.5]], "float32")
    got = kt.concatenate([a, b], axis=None).eval()
    expected = np.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype
    x = kt.placeholder(shape=(None, 2), dtype="int8")
    assert kt.function([x], kt.concatenate([x, x], axis=None))(np.ones((2, 2), "int8")).tolist() == [1] * 8


@pytest.mark.parametrize("axis", [(0, 2), (-1, 0), (1, 3), [0, 1], True, (True, 0), 0])
def test_expand_dims_takes_axes_as_numpy(kt_in, axis: Any) -> None:
    a = np.arange(6).reshape(2, 3)
    expected = np.expand_dims(a, axis)
    got = kt.expand_dims(a, axis)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.eval(), expected)


def test_expand_dims_refuses_what_numpy_refuses(kt_in) -> None:
    with pytest.raises(ValueError, match="expand_dims: .*repeated axis"):
        kt.expand_dims(np.ones(2), (0, 0))
    with pytest.raises(ValueError, match="expand_dims: .*out of bounds"):
        kt.expand_dims(np.ones(2), (0, 3))


# (call, NumPy's answer): NumPy takes a Python bool axis where it reads it with
# operator.index and refuses it where it asks for an int (reductions, concatenate, ...).
BOOL_AXES = [
    ("sum", lambda m, a: m.sum(a, axis=True), lambda a: np.sum(a, axis=True)),
    ("max", lambda m, a: m.max(a, axis=False), lambda a: np.max(a, axis=False)),
    ("mean", lambda m, a: m.mean(a, axis=True), lambda a: np.mean(a, axis=True)),
    ("argmax", lambda m, a: m.argmax(a, axis=True), lambda a: np.argmax(a, axis=True)),
    ("argsort", lambda m, a: m.argsort(a, axis=True), lambda a: np.argsort(a, axis=True)),
    ("concatenate", lambda m, a: m.concatenate([a, a], axis=True), lambda a: np.concatenate([a, a], axis=True)),
    ("cumsum", lambda m, a: m.cumsum(a, axis=True), lambda a: np.cumsum(a, axis=True)),
    ("expand_dims", lambda m, a: m.expand_dims(a, True), lambda a: np.expand_dims(a, True)),
    ("stack", lambda m, a: m.stack([a, a], axis=True), lambda a: np.stack([a, a], axis=True)),
    ("sort", lambda m, a: m.sort(a, axis=True), lambda a: np.sort(a, axis=True)),
    ("reverse", lambda m, a: m.reverse(a, True), lambda a: np.flip(a, True)),
    ("reverse tuple", lambda m, a: m.reverse(a, (True, 0)), lambda a: np.flip(a, (True, 0))),
    ("roll", lambda m, a: m.roll(a, 1, axis=True), lambda a: np.roll(a, 1, axis=True)),
    ("split", lambda m, a: m.split(a, 3, axis=True)[0], lambda a: np.split(a, 3, axis=True)[0]),
]


@pytest.mark.parametrize(("label", "call", "reference"), BOOL_AXES, ids=[b[0] for b in BOOL_AXES])
def test_bool_axes_as_numpy(kt_in, label: str, call, reference) -> None:
    a = np.array([[3, 1, 2], [0, 5, 4]], "int32")
    try:
        expected = reference(a)
    except TypeError:
        with pytest.raises(TypeError, match="ktensor: .*must be"):
            call(kt, a)
        return
    got = call(kt, a)
    np.testing.assert_array_equal(got.eval(), expected)
    assert got.dtype == expected.dtype.name


@pytest.mark.parametrize(
    "build",
    [lambda x: kt.where(np.ones(3, bool), 0, x), lambda x: x // np.zeros(3, "int32"), lambda x: x + np.ones(3, "int32"),
     lambda x: kt.maximum(np.zeros((2, 3), "int32"), x)],
    ids=["where(True, 0, x)", "x // zeros", "x + ones", "maximum"],
)
def test_unknown_sizes_that_do_not_broadcast_fail_at_run_time(kt_in, build) -> None:
    # Found by tests/test_fuzz.py: an engine rewrite dropped the operand that did not
    # broadcast (where(True, 0, x) became 0) and gave a value where NumPy refuses.
    x = kt.placeholder(shape=(None,), dtype="int32")
    f = kt.function([x], build(x))
    assert f(np.arange(3, dtype="int32")).shape[-1] == 3
    with pytest.raises(kt.EngineError):
        f(np.arange(4, dtype="int32"))
    with pytest.raises(ValueError):
        build(np.arange(4, dtype="int32"))  # NumPy refuses it


def test_argmax_over_every_axis_and_of_0d_as_numpy(kt_in) -> None:
    a = np.array([[1, 5], [7, 2]], "int16")
    assert kt.argmax(a, axis=None).eval() == np.argmax(a) == 2
    assert kt.argmin(a, axis=None).eval() == np.argmin(a) == 0
    assert kt.argmax(np.float32(3), axis=0).eval() == np.argmax(np.float32(3), axis=0) == 0
    with pytest.raises(ValueError, match="argmax axis=1 is out of bounds"):
        kt.argmax(np.float32(3), axis=1)


def test_concatenate_keeps_python_scalars_weak_as_numpy(kt_in) -> None:
    a = np.array([1, 2], "int8")
    for value in (0, True, 0.5):
        got = kt.concatenate([a, value], axis=None).eval()
        expected = np.concatenate([a, value], axis=None)  # type: ignore[list-item]
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    with pytest.raises(OverflowError, match="concatenate tensors\\[1\\] is the Python integer 300"):
        kt.concatenate([a, 300], axis=None)


@pytest.mark.parametrize("op", ["matmul", "dot"])
def test_products_of_sizes_unknown_when_built_are_checked_at_run_time(kt_in, op: str) -> None:
    # Found by tests/test_fuzz.py: a 1-D product of a (None,) with a (1,) broadcast the 1
    # on TensorFlow and gave a value; NumPy refuses it.
    # (x with x.sum(keepdims=True) on TensorFlow: tests/test_fuzz.py's KNOWN_ENGINE_BUGS)
    x = kt.placeholder(shape=(None,), dtype="float32")
    others = [np.ones(1, "float32")] + ([x.sum(axis=-1, keepdims=True)] if kt_in.name == "theano" else [])
    for other in others:
        f = kt.function([x], getattr(kt, op)(x, other))
        assert f(np.ones(1, "float32")) == 1.0
        with pytest.raises(kt.EngineError):
            f(np.ones(3, "float32"))
    with pytest.raises(ValueError):
        getattr(np, op)(np.ones(3, "float32"), np.ones(1, "float32"))


def _theano_still_differs(request: pytest.FixtureRequest, kt_in: Any, why: str) -> None:
    """Mark the theano run an expected failure (strict: it fails once fixed, so drop the mark)."""
    if kt_in.name == "theano":
        request.applymarker(pytest.mark.xfail(reason=f"theano engine: {why}", strict=True))


def test_a_product_the_optimizer_could_size_is_refused_before_anything_is_assigned(kt_in) -> None:
    # TensorFlow's constant folding inferred x's size (1) from x @ x.sum(keepdims=True),
    # turned the sum into x and folded ktensor's run-time check away: f([1, 2, 3]) gave
    # [14.0, [1, 2, 3]] where NumPy refuses (3,) @ (1,).
    x = kt.placeholder(shape=(None,), dtype="float32")
    y = x.sum(axis=-1, keepdims=True)
    v = kt.variable(np.float32(0.0))
    f = kt.function([x], [kt.matmul(x, y), y], updates=[(v, v + kt.matmul(x, y))])
    with pytest.raises(ValueError):
        np.matmul(np.array([1.0, 2.0, 3.0], "float32"), np.array([6.0], "float32"))
    with pytest.raises(kt.EngineError):
        f(np.array([1.0, 2.0, 3.0], "float32"))
    assert kt.get_value(v) == 0.0
    product, total = f(np.array([3.0], "float32"))
    a = np.array([3.0], "float32")
    expected = np.matmul(a, a.sum(axis=-1, keepdims=True))
    np.testing.assert_array_equal(product, expected)
    assert product.dtype == expected.dtype
    np.testing.assert_array_equal(total, [3.0])
    assert kt.get_value(v) == 9.0


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("size", [1, 1000])
def test_maximum_and_minimum_of_signed_zeros_and_nan_as_numpy(
    request: pytest.FixtureRequest, kt_in, dtype: str, size: int
) -> None:
    # NumPy answers x on ties for float16 and y for float32/float64 (0.0 against -0.0);
    # TensorFlow's kernels answered x for one element and y for long arrays.
    _theano_still_differs(request, kt_in, "PyTensor merges the constants 0.0 and -0.0 of one graph (they compare equal)")
    values = np.array([0.0, -0.0, np.nan, 1.0, -np.inf], dtype)
    pairs = np.array([(p, q) for p in values for q in values], dtype)
    a, b = np.resize(pairs[:, 0], size * len(pairs)), np.resize(pairs[:, 1], size * len(pairs))
    x, y = kt.placeholder(shape=(None,), dtype=dtype), kt.placeholder(shape=(None,), dtype=dtype)
    f = kt.function([x, y], [kt.maximum(x, y), kt.minimum(x, y), kt.maximum(0.0, x), kt.minimum(x, -0.0)])
    got = f(a, b)
    for value, expected in zip(got, [np.maximum(a, b), np.minimum(a, b), np.maximum(0.0, a), np.minimum(a, -0.0)]):
        assert value.dtype == expected.dtype
        np.testing.assert_array_equal(value, expected)  # NaN where NumPy's is NaN
        np.testing.assert_array_equal(np.signbit(value[~np.isnan(value)]), np.signbit(expected[~np.isnan(expected)]))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_negative_zero_and_infinity_to_negative_powers_as_numpy(kt_in, dtype: str) -> None:
    # TensorFlow's graph optimiser made x ** -0.5 rsqrt(x): -inf at -0.0 and NaN at
    # -inf, where pow (IEEE 754, NumPy) gives +inf and 0.
    a = np.array([-0.0, 0.0, -np.inf, np.inf, -1.0, np.nan, 4.0, 0.25], dtype)
    z = kt.placeholder(shape=(None,), dtype=dtype)
    exponents = [-0.5, -1.0, -2.0, -3.0, -1.5, 2.0, 3.0]
    e = kt.placeholder(shape=(), dtype=dtype)
    f = kt.function([z, e], [z ** p for p in exponents] + [z ** e, kt.power(z, np.full(8, -0.5, dtype))])
    got = f(a, np.array(-0.5, dtype))
    with np.errstate(all="ignore"):
        expected = [np.power(a, np.array(p, dtype)) for p in exponents] + [np.power(a, np.array(-0.5, dtype))] * 2
    for p, value, want in zip([*exponents, "placeholder -0.5", "array -0.5"], got, expected):
        assert value.dtype == want.dtype, p
        special = np.isinf(want) | (want == 0)  # exact, signed zeros included
        np.testing.assert_array_equal(value[special], want[special], err_msg=str(p))
        np.testing.assert_array_equal(np.signbit(value[special]), np.signbit(want[special]), err_msg=str(p))
        np.testing.assert_array_equal(np.isnan(value), np.isnan(want), err_msg=str(p))
        np.testing.assert_allclose(value, want, rtol=2 * np.finfo(dtype).eps, err_msg=str(p))


def test_uint64_power_of_exponents_from_2_63_on_wraps_as_numpy(kt_in) -> None:
    # TensorFlow computed uint64 ** in int64, where an exponent >= 2**63 is negative (refused).
    top = 2**64 - 1
    base = np.array([0, 1, 2, 3, 5, 2**63 - 1, 2**63, top, 7, 6, 3, 255], "uint64")
    exponent = np.array([2**63, 2**63 + 1, 2**63, 2**63 + 1, top, 2**63 - 1, 40, 64, 2**63 + 5, 3, 0, 41], "uint64")
    x, y = kt.placeholder(shape=(None,), dtype="uint64"), kt.placeholder(shape=(None,), dtype="uint64")
    got = kt.function([x, y], x ** y)(base, exponent)
    expected = np.power(base, exponent)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    one = np.array([1], "uint64")
    np.testing.assert_array_equal(kt.power(one, np.array([2**63], "uint64")).eval(), [1])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_clip_and_extremes_against_nonzero_constants_as_numpy(kt_in, dtype: str) -> None:
    # Against a constant without zeros equal values have the same bits: TensorFlow's
    # own kernel answers (the signed-zero select is for operands that may be 0).
    a = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, 1e-4, -3.0, 0.1, 0.9], dtype)
    x = kt.placeholder(shape=(None,), dtype=dtype)
    got = kt.function([x], [kt.clip(x, 0.1, 0.9), kt.maximum(x, 1e-3), kt.minimum(-2.0, x)])(a)
    expected = [np.clip(a, np.array(0.1, dtype), np.array(0.9, dtype)), np.maximum(a, 1e-3), np.minimum(-2.0, a)]
    for value, want in zip(got, expected):
        assert value.dtype == want.dtype
        np.testing.assert_array_equal(value, want)
        np.testing.assert_array_equal(np.signbit(value[~np.isnan(want)]), np.signbit(want[~np.isnan(want)]))


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_wide_integer_max_and_min_keep_their_static_shape(kt_in, dtype: str) -> None:
    """Found by the fuzz: PyTensor's exact 64-bit max (take_along_axis) forgot that a
    kept axis has length 1, so the result no longer broadcast against a (2, 1) operand."""
    p = kt.placeholder(shape=(1, 3), dtype=dtype)
    for name in ("max", "min"):
        r = getattr(p, name)(axis=-1, keepdims=True)
        assert r.shape == (1, 1)
        f = kt.function([p], kt.maximum(np.zeros((2, 1), dtype), r))
        np.testing.assert_array_equal(f(np.ones((1, 3), dtype)), np.ones((2, 1), dtype))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_minus_one_half_power_of_signed_zero_and_infinity_as_numpy(kt_in, dtype: str) -> None:
    """Both engines' optimisers rewrite ``x ** -0.5`` as ``1 / sqrt(x)``: -inf at -0.0 and
    NaN at -inf, where NumPy (IEEE's pow) gives +inf and 0."""
    a = np.array([-0.0, 0.0, -np.inf, np.inf, -1.0, np.nan, 4.0], dtype)
    z = kt.placeholder(shape=(None,), dtype=dtype)
    got = kt.function([z], z**-0.5)(a)
    with np.errstate(all="ignore"):
        want = np.power(a, np.array(-0.5, dtype))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint64"])
def test_integer_powers_are_exact_and_wrap_as_numpy(kt_in, dtype: str) -> None:
    """PyTensor's C code computed integer powers in double: 3 ** 39 lost its low digits
    in int64 and int32 saturated where NumPy wraps."""
    b = np.array([3, 7, 5, 0, 1, 2, 9], dtype)
    e = np.array([39, 22, 27, 0, 5, 3, 7], dtype)
    x, y = kt.placeholder(shape=(None,), dtype=dtype), kt.placeholder(shape=(None,), dtype=dtype)
    got = kt.function([x, y], x**y + x)(b, e)
    with np.errstate(all="ignore"):
        want = np.power(b, e) + b
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_integer_powers_are_exact_in_pytensor_c_code() -> None:
    """The suite runs PyTensor in FAST_COMPILE (Python code); the C modes have their own kernel."""
    from ktensor.backends import TheanoBackend

    with kt.use_backend(TheanoBackend(mode="CVM")):
        base = np.array([0, 1, 2, 3, 5, 2**63 - 1, 2**63, 2**64 - 1, 7, 6], "uint64")
        exponent = np.array([0, 1, 2**63, 2**63 + 1, 2**64 - 1, 2**63 - 1, 40, 64, 2**63, 3], "uint64")
        x, y = kt.placeholder(shape=(None,), dtype="uint64"), kt.placeholder(shape=(None,), dtype="uint64")
        np.testing.assert_array_equal(kt.function([x, y], x**y)(base, exponent), np.power(base, exponent))
        s, t = kt.placeholder(shape=(None,), dtype="int32"), kt.placeholder(shape=(None,), dtype="int32")
        a, n = np.array([3, -7, 5], "int32"), np.array([39, 21, 27], "int32")
        np.testing.assert_array_equal(kt.function([s, t], s**t)(a, n), np.power(a, n))
