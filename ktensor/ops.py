"""Module functions: ``kt.sum(x, axis=2)`` and friends, plus tensor creation.

Each function runs on the backend of its first tensor argument, else on
``backend=`` where it takes one, else on the backend in force
(``kt.backend()``). Non-tensor operands (numbers, lists, arrays) keep NumPy's
dtype; only the creation functions apply ``kt.floatx()``.

Examples:
    >>> import ktensor as kt
    >>> kt.sum(kt.constant([[1, 2], [3, 4]]), axis=1).eval()
    array([3, 7])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ktensor.backends import Backend, backend, resolve
from ktensor.function import Function
from ktensor.tensor import Axis, Operand, Tensor

BackendArg = str | Backend | None


def _backend_for(*values: Any, backend_arg: BackendArg = None) -> Backend:
    """The backend an operation runs on: explicit, else the first tensor's, else in force."""
    if backend_arg is not None:
        return resolve(backend_arg)
    for value in values:
        if isinstance(value, Tensor):
            return value.backend
        if isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, Tensor):
                    return item.backend
    return backend()


# -- creation -------------------------------------------------------------------
def placeholder(
    shape: Sequence[int | None] | None = None,
    ndim: int | None = None,
    dtype: Any = None,
    name: str | None = None,
    *,
    backend: BackendArg = None,
) -> Tensor:
    """A symbolic input, fed when the function runs; ``dtype=None`` is ``kt.floatx()``.

    Examples:
        >>> x = kt.placeholder(shape=(None, 3), name="x")
        >>> x.shape, x.dtype
        ((None, 3), 'float32')
    """
    return _backend_for(backend_arg=backend).placeholder(shape, ndim, dtype, name)


def variable(value: Any, dtype: Any = None, name: str | None = None, *, backend: BackendArg = None) -> Tensor:
    """A variable holding ``value``; float data defaults to ``kt.floatx()``.

    Examples:
        >>> v = kt.variable([1.0, 2.0])
        >>> v.set_value([3.0, 4.0]); v.get_value()
        array([3., 4.], dtype=float32)
    """
    return _backend_for(backend_arg=backend).variable(value, dtype, name)


def constant(value: Any, dtype: Any = None, name: str | None = None, *, backend: BackendArg = None) -> Tensor:
    """A constant; float data defaults to ``kt.floatx()``, ints/bools keep their dtype.

    Examples:
        >>> kt.constant([1, 2]).dtype, kt.constant(1.5).dtype
        ('int64', 'float32')
    """
    return _backend_for(backend_arg=backend).constant(value, dtype, name)


def as_tensor(value: Any, *, backend: BackendArg = None) -> Tensor:
    """A tensor unchanged; a number, list or array becomes ``kt.constant(value)``.

    Examples:
        >>> kt.as_tensor([1, 2]).eval()
        array([1, 2])
    """
    return _backend_for(value, backend_arg=backend).as_tensor(value)


def zeros(shape: Sequence[int], dtype: Any = None, *, backend: BackendArg = None) -> Tensor:
    """Zeros of ``shape`` (``kt.floatx()`` unless ``dtype``).

    Examples:
        >>> kt.zeros((2,)).eval()
        array([0., 0.], dtype=float32)
    """
    return _backend_for(backend_arg=backend).zeros(shape, dtype)


def ones(shape: Sequence[int], dtype: Any = None, *, backend: BackendArg = None) -> Tensor:
    """Ones of ``shape`` (``kt.floatx()`` unless ``dtype``).

    Examples:
        >>> kt.ones((2,), dtype="int32").eval()
        array([1, 1], dtype=int32)
    """
    return _backend_for(backend_arg=backend).ones(shape, dtype)


def eye(n: int, m: int | None = None, dtype: Any = None, *, backend: BackendArg = None) -> Tensor:
    """The ``n x m`` identity matrix (``kt.floatx()`` unless ``dtype``).

    Examples:
        >>> kt.eye(2).eval()
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    return _backend_for(backend_arg=backend).eye(n, m, dtype)


def zeros_like(x: Operand, dtype: Any = None) -> Tensor:
    """Zeros of ``x``'s shape and dtype (unless ``dtype``), unknown sizes included.

    Examples:
        >>> kt.zeros_like(kt.constant([1, 2])).eval()
        array([0, 0])
    """
    return _backend_for(x).zeros_like(x, dtype)


def ones_like(x: Operand, dtype: Any = None) -> Tensor:
    """Ones of ``x``'s shape and dtype (unless ``dtype``).

    Examples:
        >>> kt.ones_like(kt.constant([1, 2]), dtype="float64").eval()
        array([1., 1.])
    """
    return _backend_for(x).ones_like(x, dtype)


def arange(
    start: float, stop: float | None = None, step: float = 1, dtype: Any = "int32", *, backend: BackendArg = None
) -> Tensor:
    """Evenly spaced values as ``np.arange`` (``int32`` unless ``dtype``).

    Examples:
        >>> kt.arange(3).eval()
        array([0, 1, 2], dtype=int32)
    """
    return _backend_for(backend_arg=backend).arange(start, stop, step, dtype)


def random_uniform(
    shape: Sequence[int],
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: int | None = None,
    *,
    backend: BackendArg = None,
) -> Tensor:
    """Uniform draws on ``[minval, maxval)``; each evaluation draws anew, ``seed`` repeats a sequence.

    Examples:
        >>> r = kt.random_uniform((2, 2), seed=1)
        >>> bool(((r.eval() >= 0) & (r.eval() < 1)).all())
        True
    """
    return _backend_for(backend_arg=backend).random_uniform(shape, minval, maxval, dtype, seed)


def random_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | None = None,
    *,
    backend: BackendArg = None,
) -> Tensor:
    """Normal draws; each evaluation draws anew, ``seed`` repeats a sequence.

    Examples:
        >>> kt.random_normal((3,), seed=0).shape
        (3,)
    """
    return _backend_for(backend_arg=backend).random_normal(shape, mean, stddev, dtype, seed)


# -- compiling and differentiating ------------------------------------------------
def function(
    inputs: Sequence[Tensor],
    outputs: Tensor | Sequence[Tensor],
    updates: Sequence[tuple[Tensor, Operand]] | None = None,
    name: str | None = None,
) -> Function:
    """Compile ``outputs`` as a function of the placeholders ``inputs``.

    ``updates`` is a list of ``(variable, new_value)`` applied after each call, every
    new value computed from the values before the call.

    Examples:
        >>> x = kt.placeholder(shape=(2,))
        >>> f = kt.function([x], [x + 1, x * 2])
        >>> f([1.0, 2.0])
        [array([2., 3.], dtype=float32), array([2., 4.], dtype=float32)]
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"ktensor: function inputs must be a list of placeholders, e.g. [x]; received {inputs!r}")
    return _backend_for(*inputs, outputs).function(inputs, outputs, updates, name)


def gradients(loss: Tensor, wrt: Sequence[Tensor]) -> list[Tensor]:
    """Gradients of ``loss`` (summed if not a scalar) with respect to each of ``wrt``.

    Examples:
        >>> w = kt.variable([1.0, 2.0])
        >>> [g] = kt.gradients((w * w).sum(), [w])
        >>> g.eval()
        array([2., 4.], dtype=float32)
    """
    return _backend_for(loss).gradients(loss, wrt)


# -- math ---------------------------------------------------------------------------
def softmax(x: Operand, axis: int = -1) -> Tensor:
    """Softmax along ``axis``.

    Examples:
        >>> kt.softmax([0.0, 0.0]).eval()
        array([0.5, 0.5])
    """
    return _backend_for(x).softmax(x, axis=axis)


def log_softmax(x: Operand, axis: int = -1) -> Tensor:
    """Log of the softmax along ``axis``: ``x - logsumexp(x, axis, keepdims=True)``.

    Examples:
        >>> kt.log_softmax([0.0, 0.0]).eval()
        array([-0.69314718, -0.69314718])
    """
    return _backend_for(x).log_softmax(x, axis=axis)


def clip(x: Operand, min: Operand, max: Operand) -> Tensor:
    """Limit values to ``[min, max]``.

    Examples:
        >>> kt.clip([-2, 0, 5], -1, 1).eval()
        array([-1,  0,  1])
    """
    return _backend_for(x, min, max).clip(x, min, max)


def maximum(x: Operand, y: Operand) -> Tensor:
    """Elementwise maximum.

    Examples:
        >>> kt.maximum([1, 5], [3, 2]).eval()
        array([3, 5])
    """
    return _backend_for(x, y).maximum(x, y)


def minimum(x: Operand, y: Operand) -> Tensor:
    """Elementwise minimum.

    Examples:
        >>> kt.minimum([1, 5], [3, 2]).eval()
        array([1, 2])
    """
    return _backend_for(x, y).minimum(x, y)


def pow(x: Operand, y: Operand) -> Tensor:
    """Elementwise power, ``x ** y``.

    Examples:
        >>> kt.pow([2, 3], 2).eval()
        array([4, 9])
    """
    return _backend_for(x, y).power(x, y)


def argmax(x: Operand, axis: int = -1) -> Tensor:
    """Index of the maximum along ``axis`` (int64).

    Examples:
        >>> kt.argmax([[1, 3], [4, 2]]).eval()
        array([1, 0])
    """
    return _backend_for(x).argmax(x, axis=axis)


def argmin(x: Operand, axis: int = -1) -> Tensor:
    """Index of the minimum along ``axis`` (int64).

    Examples:
        >>> kt.argmin([[1, 3], [4, 2]]).eval()
        array([0, 1])
    """
    return _backend_for(x).argmin(x, axis=axis)


# -- shapes ---------------------------------------------------------------------------
def reshape(x: Operand, shape: Sequence[int]) -> Tensor:
    """The same data in another shape; one entry may be -1.

    Examples:
        >>> kt.reshape([1, 2, 3, 4], (2, -1)).eval()
        array([[1, 2],
               [3, 4]])
    """
    return _backend_for(x).reshape(x, shape)


def transpose(x: Operand, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reversed when ``axes`` is None).

    Examples:
        >>> kt.transpose([[1, 2]]).eval()
        array([[1],
               [2]])
    """
    return _backend_for(x).transpose(x, axes)


def expand_dims(x: Operand, axis: int) -> Tensor:
    """Insert a dimension of size 1 at ``axis``.

    Examples:
        >>> kt.expand_dims([1, 2], 0).shape
        (1, 2)
    """
    return _backend_for(x).expand_dims(x, axis)


def squeeze(x: Operand, axis: Axis = None) -> Tensor:
    """Remove dimensions of size 1.

    Examples:
        >>> kt.squeeze([[1, 2]]).shape
        (2,)
    """
    return _backend_for(x).squeeze(x, axis)


def astype(x: Operand, dtype: Any) -> Tensor:
    """Cast to ``dtype``.

    Examples:
        >>> kt.astype([1.7, -1.7], "int32").eval()
        array([ 1, -1], dtype=int32)
    """
    return _backend_for(x).astype(x, dtype)


# -- linear algebra and joining ------------------------------------------------------------
def dot(x: Operand, y: Operand) -> Tensor:
    """``np.dot`` semantics.

    Examples:
        >>> kt.dot([1, 2], [3, 4]).eval()
        array(11)
    """
    return _backend_for(x, y).dot(x, y)


def matmul(x: Operand, y: Operand) -> Tensor:
    """``np.matmul`` semantics, the same as ``x @ y``.

    Examples:
        >>> kt.matmul([[1, 2]], [[3], [4]]).eval()
        array([[11]])
    """
    return _backend_for(x, y).matmul(x, y)


def concatenate(tensors: Sequence[Operand], axis: int = -1) -> Tensor:
    """Join tensors along an existing axis.

    Examples:
        >>> kt.concatenate([[1, 2], [3]]).eval()
        array([1, 2, 3])
    """
    return _backend_for(tensors).concatenate(tensors, axis=axis)


def stack(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """Join tensors along a new axis.

    Examples:
        >>> kt.stack([[1, 2], [3, 4]], axis=1).eval()
        array([[1, 3],
               [2, 4]])
    """
    return _backend_for(tensors).stack(tensors, axis=axis)


def where(condition: Operand, x: Operand, y: Operand) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y``.

    Examples:
        >>> kt.where([True, False], 1, [5, 6]).eval()
        array([1, 6])
    """
    return _backend_for(condition, x, y).where(condition, x, y)


def abs(x: Operand) -> Tensor:
    """Elementwise absolute value.

    Examples:
        >>> kt.abs([-1, 2]).eval()
        array([1, 2])
    """
    return _backend_for(x).abs(x)


def sign(x: Operand) -> Tensor:
    """Elementwise sign: -1, 0 or 1.

    Examples:
        >>> kt.sign([-3.0, 0.0, 2.0]).eval()
        array([-1.,  0.,  1.])
    """
    return _backend_for(x).sign(x)


def sqrt(x: Operand) -> Tensor:
    """Elementwise square root.

    Examples:
        >>> kt.sqrt([4.0, 9.0]).eval()
        array([2., 3.])
    """
    return _backend_for(x).sqrt(x)


def square(x: Operand) -> Tensor:
    """Elementwise square.

    Examples:
        >>> kt.square([2, 3]).eval()
        array([4, 9])
    """
    return _backend_for(x).square(x)


def exp(x: Operand) -> Tensor:
    """Elementwise exponential.

    Examples:
        >>> kt.exp([0.0]).eval()
        array([1.])
    """
    return _backend_for(x).exp(x)


def log(x: Operand) -> Tensor:
    """Elementwise natural logarithm.

    Examples:
        >>> kt.log([1.0]).eval()
        array([0.])
    """
    return _backend_for(x).log(x)


def sin(x: Operand) -> Tensor:
    """Elementwise sine.

    Examples:
        >>> kt.sin([0.0]).eval()
        array([0.])
    """
    return _backend_for(x).sin(x)


def cos(x: Operand) -> Tensor:
    """Elementwise cosine.

    Examples:
        >>> kt.cos([0.0]).eval()
        array([1.])
    """
    return _backend_for(x).cos(x)


def tanh(x: Operand) -> Tensor:
    """Elementwise hyperbolic tangent.

    Examples:
        >>> kt.tanh([0.0]).eval()
        array([0.])
    """
    return _backend_for(x).tanh(x)


def sigmoid(x: Operand) -> Tensor:
    """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``.

    Examples:
        >>> kt.sigmoid([0.0]).eval()
        array([0.5])
    """
    return _backend_for(x).sigmoid(x)


def relu(x: Operand) -> Tensor:
    """Elementwise ``maximum(x, 0)``.

    Examples:
        >>> kt.relu([-1.0, 2.0]).eval()
        array([0., 2.])
    """
    return _backend_for(x).relu(x)


def round(x: Operand) -> Tensor:
    """Round half to even, as ``np.round``.

    Examples:
        >>> kt.round([0.5, 1.5, 2.5]).eval()
        array([0., 2., 2.])
    """
    return _backend_for(x).round(x)


def flatten(x: Operand) -> Tensor:
    """A 1-D tensor of every element.

    Examples:
        >>> kt.flatten([[1, 2], [3, 4]]).eval()
        array([1, 2, 3, 4])
    """
    return _backend_for(x).flatten(x)


def sum(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.sum([[1, 2], [3, 4]], axis=0).eval()
        array([4, 6])
    """
    return _backend_for(x).sum(x, axis=axis, keepdims=keepdims)


def mean(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean (float64 for integers, as NumPy) over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.mean([1, 2]).eval()
        array(1.5)
    """
    return _backend_for(x).mean(x, axis=axis, keepdims=keepdims)


def max(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.max([[1, 5], [3, 4]], axis=1).eval()
        array([5, 4])
    """
    return _backend_for(x).max(x, axis=axis, keepdims=keepdims)


def min(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.min([[1, 5], [3, 4]], axis=1).eval()
        array([1, 3])
    """
    return _backend_for(x).min(x, axis=axis, keepdims=keepdims)


def prod(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.prod([1, 2, 3]).eval()
        array(6)
    """
    return _backend_for(x).prod(x, axis=axis, keepdims=keepdims)


def std(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.std([1.0, 3.0]).eval()
        array(1.)
    """
    return _backend_for(x).std(x, axis=axis, keepdims=keepdims)


def var(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.var([1.0, 3.0]).eval()
        array(1.)
    """
    return _backend_for(x).var(x, axis=axis, keepdims=keepdims)


def any(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether any element is nonzero over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.any([0, 1]).eval()
        array(True)
    """
    return _backend_for(x).any(x, axis=axis, keepdims=keepdims)


def all(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether every element is nonzero over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.all([0, 1]).eval()
        array(False)
    """
    return _backend_for(x).all(x, axis=axis, keepdims=keepdims)


def logsumexp(x: Operand, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))``, computed stably over ``axis`` (None: every axis); ``keepdims`` as in NumPy.

    Examples:
        >>> kt.logsumexp([0.0, 0.0]).eval()
        array(0.69314718)
    """
    return _backend_for(x).logsumexp(x, axis=axis, keepdims=keepdims)

