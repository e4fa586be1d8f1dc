"""Linear algebra (ktensor/ops/linalg.py): what the kit cannot check.

einsum against np.einsum (its subscripts come first, so it has no kit rows), the
decompositions by sign-free properties, finite-difference gradients of svd and eigh,
static shapes with unknown dimensions, and the build-time errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ktensor as kt
import ktensor.testing as kit
from ktensor.ops.linalg import batch_dot_reference

RNG = np.random.default_rng(0)


def _arr(*shape: int, dtype: str = "float64") -> np.ndarray:
    return RNG.uniform(-2, 2, shape).astype(dtype)


def _tol(dtype: str) -> float:
    return {"float32": 1e-4, "float64": 1e-10}.get(dtype, 1e-10)


EINSUMS: list[tuple[str, tuple[tuple[int, ...], ...]]] = [
    ("ij,jk->ik", ((2, 3), (3, 4))),
    ("ij,jk", ((2, 3), (3, 4))),
    ("ij,kj->ik", ((2, 3), (4, 3))),
    ("bij,bjk->bik", ((2, 3, 4), (2, 4, 5))),
    ("ii", ((3, 3),)),
    ("ii->i", ((3, 3),)),
    ("ij->", ((2, 3),)),
    ("ji", ((2, 3),)),
    ("i,i", ((3,), (3,))),
    ("i,j->ij", ((2,), (3,))),
    ("...ij,...jk->...ik", ((2, 3, 4), (4, 2))),
    ("...i->...", ((2, 3, 4),)),
    ("ij...,jk...->ik...", ((2, 3, 5), (3, 4, 5))),
    ("ijk,ikl,lm->jm", ((2, 3, 4), (2, 4, 2), (2, 3))),
    ("abc,cd,de->abe", ((2, 2, 3), (3, 2), (2, 2))),
    ("iij->j", ((3, 3, 2),)),
    ("ba,ab->", ((3, 2), (2, 3))),
    ("i,,j", ((2,), (), (3,))),
]


@pytest.mark.parametrize(("subscripts", "shapes"), EINSUMS)
def test_einsum_matches_numpy(kt_in: Any, subscripts: str, shapes: tuple[tuple[int, ...], ...]) -> None:
    arrays = [_arr(*s) for s in shapes]
    out = kt.einsum(subscripts, *arrays)
    expected = np.einsum(subscripts, *arrays)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.eval(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "float16", "float32"])
def test_einsum_dtypes_are_numpys(kt_in: Any, dtype: str) -> None:
    a = RNG.integers(0, 3, (2, 3)).astype(dtype)
    b = RNG.integers(0, 3, (3, 2)).astype(dtype)
    for subscripts, ops in (("ij,jk->ik", (a, b)), ("ij->", (a,)), ("ij,ij->i", (a, a))):
        out = kt.einsum(subscripts, *ops)
        expected = np.einsum(subscripts, *ops)
        assert out.dtype == expected.dtype.name
        np.testing.assert_allclose(out.eval().astype(float), expected.astype(float), rtol=1e-2)
    mixed = kt.einsum("ij,jk", a, b.astype("float32"))
    assert mixed.dtype == np.einsum("ij,jk", a, b.astype("float32")).dtype.name


def _finite_difference(fn: Any, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (fn(up) - fn(down)) / (2 * step)
    return grad


def _gradient(build: Any, x: np.ndarray) -> np.ndarray:
    p = kt.placeholder(shape=x.shape, dtype="float64")
    (g,) = kt.gradients(kt.sum(build(p)), [p])
    return np.asarray(kt.function([p], g)(x))


@pytest.mark.parametrize(
    ("subscripts", "shape_b"), [("ij,jk->ik", (3, 4)), ("ii->i", None), ("ij,kj->ki", (2, 3)), ("i...,...->...", (3,))]
)
def test_einsum_gradient(kt_in: Any, subscripts: str, shape_b: tuple[int, ...] | None) -> None:
    a = _arr(3, 3) if subscripts.startswith("ii") else _arr(2, 3)
    rest = [] if shape_b is None else [_arr(*shape_b)]
    weights = RNG.uniform(0.5, 1.5, np.einsum(subscripts, a, *rest).shape)
    got = _gradient(lambda p: kt.einsum(subscripts, p, *rest) * weights, a)
    expected = _finite_difference(lambda v: float(np.sum(np.einsum(subscripts, v, *rest) * weights)), a)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_einsum_unknown_dimensions_take_the_broadcast_path(kt_in: Any) -> None:
    a = kt.placeholder(shape=(None, 3), dtype="float64")
    b = kt.placeholder(shape=(3, None), dtype="float64")
    out = kt.einsum("ij,jk->ik", a, b)
    assert out.shape == (None, None)
    x, y = _arr(2, 3), _arr(3, 4)
    np.testing.assert_allclose(kt.function([a, b], out)(x, y), x @ y)
    d = kt.placeholder(shape=(None, None), dtype="float64")
    sq = _arr(3, 3)
    np.testing.assert_allclose(kt.function([d], kt.einsum("ii", d))(sq), np.trace(sq))
    np.testing.assert_allclose(kt.function([d], kt.trace(d))(sq), np.trace(sq))
    v = kt.placeholder(shape=(None,), dtype="float32")
    diag = kt.diag(v)
    assert diag.shape == (None, None)
    np.testing.assert_array_equal(kt.function([v], diag)(np.array([1, 2, 3], "float32")), np.diag([1, 2, 3]))


def test_einsum_errors(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"einsum.*operand 1.*2 dimensions.*3 dimensions"):
        kt.einsum("ij,jk", np.ones((2, 3)), np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"einsum.*label 'j' has size 3 in operand 0.*\(2, 3\).*4 in operand 1"):
        kt.einsum("ij,jk", np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"einsum.*2 operands; received 1"):
        kt.einsum("ij,jk", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"einsum.*output label 'z'"):
        kt.einsum("ij->z", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"einsum.*only letters"):
        kt.einsum("i1", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"einsum.*no '\.\.\.'"):
        kt.einsum("...i->i", np.ones((2, 3)))


@pytest.mark.parametrize(
    ("sx", "sy", "axes", "expected"),
    [
        ((2, 3), (2, 3), None, (2, 1)),
        ((2, 3, 4), (2, 4, 5), None, (2, 3, 5)),
        ((2, 3, 4), (2, 5, 4), (2, 2), (2, 3, 5)),
        ((2, 3), (2, 3, 4), (1, 1), (2, 4)),
        ((2, 3, 4), (2, 3), 1, (2, 4)),
        ((2, 4, 3), (2, 3), None, (2, 4)),
    ],
)
def test_batch_dot_shapes(kt_in: Any, sx: tuple[int, ...], sy: tuple[int, ...], axes: Any, expected: tuple[int, ...]) -> None:
    x, y = _arr(*sx), _arr(*sy)
    out = kt.batch_dot(x, y, axes)
    assert kt.int_shape(out) == out.shape == expected
    reference = batch_dot_reference(x, y, axes)
    assert reference.shape == expected
    np.testing.assert_allclose(out.eval(), reference)


def test_batch_dot_keeps_static_shapes_with_unknown_batch(kt_in: Any) -> None:
    x = kt.placeholder(shape=(None, 3, 4))
    y = kt.placeholder(shape=(None, 4, 5))
    assert kt.batch_dot(x, y).shape == (None, 3, 5)
    assert kt.batch_dot(kt.placeholder(shape=(None, 3)), kt.placeholder(shape=(None, 3))).shape == (None, 1)
    z = kt.placeholder(shape=(None, 5, 4))
    out = kt.batch_dot(x, z, axes=(2, 2))
    assert out.shape == (None, 3, 5)
    a, c = _arr(2, 3, 4, dtype="float32"), _arr(2, 5, 4, dtype="float32")
    np.testing.assert_allclose(kt.function([x, z], out)(a, c), np.einsum("bij,bkj->bik", a, c), rtol=1e-5, atol=1e-5)


def test_batch_dot_errors(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"batch_dot.*\(2, 3, 4\).*\(2, 5, 4\).*contracted sizes \(4 != 5\)"):
        kt.batch_dot(np.ones((2, 3, 4)), np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match=r"batch_dot.*batch sizes"):
        kt.batch_dot(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"batch_dot.*batch axis 0"):
        kt.batch_dot(np.ones((2, 3)), np.ones((2, 3)), axes=(0, 1))
    with pytest.raises(ValueError, match=r"batch_dot.*at least 2 dimensions"):
        kt.batch_dot(np.ones(3), np.ones((2, 3)))


def test_tensordot_errors(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"tensordot.*\(2, 3\).*\(4, 5\).*not aligned"):
        kt.tensordot(np.ones((2, 3)), np.ones((4, 5)), axes=1)
    with pytest.raises(ValueError, match=r"tensordot: axes=3"):
        kt.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=3)
    with pytest.raises(TypeError, match=r"tensordot: axes must be"):
        kt.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes="x")


def test_square_and_dimension_errors(kt_in: Any) -> None:
    for fn in (kt.inv, kt.det, kt.cholesky, kt.eigh):
        with pytest.raises(ValueError, match=rf"{fn.__name__} needs square matrices.*\(2, 3\)"):
            fn(np.ones((2, 3)))
        with pytest.raises(ValueError, match=rf"{fn.__name__} needs a matrix"):
            fn(np.ones(3))
    with pytest.raises(ValueError, match=r"solve.*\(3, 3\).*\(4,\).*3 != 4"):
        kt.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match=r"trace needs at least 2"):
        kt.trace(np.ones(3))
    with pytest.raises(ValueError, match=r"diag needs a 1-D or 2-D"):
        kt.diag(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"diag: the diagonal of a matrix needs"):
        kt.diag(kt.placeholder(shape=(None, 3)))


def test_float16_is_refused_as_numpy_refuses_it(kt_in: Any) -> None:
    half = np.eye(2, dtype="float16")
    for fn in (kt.inv, kt.det, kt.cholesky, kt.svd, kt.qr, kt.eigh):
        with pytest.raises(TypeError, match=rf"ktensor: {fn.__name__} is not defined.*float16"):
            fn(half)
    with pytest.raises(TypeError, match=r"norm: ord=2 needs singular values.*float16"):
        kt.norm(half, ord=2)
    assert kt.norm(half).dtype == "float16"


def test_norm_errors(kt_in: Any) -> None:
    with pytest.raises(ValueError, match=r"norm: ord='fro' is not a vector norm order"):
        kt.norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match=r"norm: ord=3 is not a matrix norm order"):
        kt.norm(np.ones((2, 2)), ord=3)
    with pytest.raises(ValueError, match=r"norm: ord=1 with axis=None needs a 1-D or 2-D"):
        kt.norm(np.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match=r"norm: axis must be"):
        kt.norm(np.ones((2, 2, 2)), axis=(0, 1, 2))
    assert kt.norm(kt.placeholder(shape=(None, 3)), axis=1, keepdims=True).shape == (None, 1)


DECOMPOSITION_SHAPES = [(3, 3), (4, 3), (3, 4), (2, 4, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", DECOMPOSITION_SHAPES)
def test_svd_by_sign_free_properties(kt_in: Any, dtype: str, shape: tuple[int, ...]) -> None:
    x = _arr(*shape, dtype=dtype)
    u, s, vh = kt.svd(x)
    k = min(shape[-2:])
    assert (u.shape, s.shape, vh.shape) == (shape[:-1] + (k,), shape[:-2] + (k,), shape[:-2] + (k, shape[-1]))
    assert u.dtype == s.dtype == vh.dtype == dtype
    uu, ss, vv = kt.function([], [u, s, vh])()
    np.testing.assert_allclose(ss, np.linalg.svd(x, compute_uv=False), rtol=_tol(dtype), atol=_tol(dtype))
    np.testing.assert_allclose((uu * ss[..., None, :]) @ vv, x, atol=10 * _tol(dtype))
    np.testing.assert_allclose(np.swapaxes(uu, -1, -2) @ uu, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)), atol=10 * _tol(dtype))
    nu, _, nv = np.linalg.svd(x, full_matrices=False)
    np.testing.assert_allclose(np.abs(uu), np.abs(nu), atol=100 * _tol(dtype))
    np.testing.assert_allclose(np.abs(vv), np.abs(nv), atol=100 * _tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", DECOMPOSITION_SHAPES)
def test_qr_by_sign_free_properties(kt_in: Any, dtype: str, shape: tuple[int, ...]) -> None:
    x = _arr(*shape, dtype=dtype)
    q, r = kt.qr(x)
    k = min(shape[-2:])
    assert (q.shape, r.shape) == (shape[:-1] + (k,), shape[:-2] + (k, shape[-1]))
    assert q.dtype == r.dtype == dtype
    qq, rr = kt.function([], [q, r])()
    np.testing.assert_allclose(qq @ rr, x, atol=10 * _tol(dtype))
    np.testing.assert_allclose(np.tril(rr, -1), 0, atol=10 * _tol(dtype))
    nq, nr = np.linalg.qr(x)
    np.testing.assert_allclose(np.abs(rr), np.abs(nr), atol=100 * _tol(dtype))
    np.testing.assert_allclose(np.abs(qq), np.abs(nq), atol=100 * _tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh_by_sign_free_properties(kt_in: Any, dtype: str, shape: tuple[int, ...]) -> None:
    a = _arr(*shape, dtype=dtype)
    x = (a + np.swapaxes(a, -1, -2)).astype(dtype)
    w, v = kt.eigh(x)
    assert (w.shape, v.shape) == (shape[:-1], shape)
    ww, vv = kt.function([], [w, v])()
    nw, nv = np.linalg.eigh(x)
    np.testing.assert_allclose(ww, nw, rtol=10 * _tol(dtype), atol=10 * _tol(dtype))
    np.testing.assert_allclose((vv * ww[..., None, :]) @ np.swapaxes(vv, -1, -2), x, atol=100 * _tol(dtype))
    np.testing.assert_allclose(np.abs(vv), np.abs(nv), atol=100 * _tol(dtype))


def test_decompositions_of_integers_are_float64(kt_in: Any) -> None:
    x = np.array([[2, 1], [1, 3]], "int32")
    assert [t.dtype for t in (*kt.svd(x), *kt.qr(x), *kt.eigh(x))] == ["float64"] * 7
    np.testing.assert_allclose(kt.eigh(x)[0].eval(), np.linalg.eigvalsh(x))
    p = kt.placeholder(shape=(None, 4, 3))
    u, s, vh = kt.svd(p)
    assert (u.shape, s.shape, vh.shape) == ((None, 4, 3), (None, 3), (None, 3, 3))


def test_svd_gradient_of_the_sum_of_singular_values(kt_in: Any) -> None:
    x = _arr(3, 2)
    got = _gradient(lambda p: kt.svd(p)[1], x)
    expected = _finite_difference(lambda v: float(np.sum(np.linalg.svd(v, compute_uv=False))), x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_eigh_gradient_of_the_sum_of_eigenvalues(kt_in: Any) -> None:
    a = _arr(3, 3)
    x = a + a.T
    weights = np.array([0.5, 1.0, 2.0])
    got = _gradient(lambda p: kt.eigh(p)[0] * weights, x)
    # eigh reads the lower triangle: differentiate the matrix that triangle stands for.
    expected = _finite_difference(
        lambda v: float(np.sum(np.linalg.eigvalsh(np.tril(v) + np.tril(v, -1).T) * weights)), x
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_every_cholesky_kit_row_is_compared() -> None:
    """The cholesky rows rely on the kit's samples being positive definite: none may be skipped."""
    rows = [c for c in kit.CASES if "cholesky" in c.name]
    assert rows
    operands = kit._Operands(None)
    for case in rows:
        for _, combo in case.instances(False):
            arrays = [
                operands.array((token, shape, kind, slot))
                for slot, (token, shape, kind) in enumerate(zip(combo, case.shapes, case.values, strict=True))
            ]
            assert kit._reference(case.ref, arrays) is not None, case.name
            assert np.all(np.isfinite(kit._reference(case.ref, arrays))), case.name  # type: ignore[arg-type]
