"""TensorFlow kernels for the operations that need more than one engine call.

Plain functions on native graph tensors, mirrored name for name and signature
for signature by :mod:`ktensor.backends.theano.kernels`. Every function builds
into the default graph: the caller has already entered ``with
graph.as_default():`` of its backend's graph. Operands arrive already cast to
the dtype to compute in and axes already normalised (non-negative); nothing
here promotes dtypes.

Examples:
    >>> import numpy as np
    >>> import tensorflow as tf
    >>> from ktensor.backends.tensorflow import kernels
    >>> g = tf.Graph()
    >>> with g.as_default():
    ...     x = tf.constant(np.array([1, 3, 3, 2], dtype="int32"))
    ...     values, indices = kernels.top_k(x, 2)
    >>> [a.tolist() for a in tf.compat.v1.Session(graph=g).run([values, indices])]
    [[3, 3], [1, 2]]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

Native = Any

__all__ = [
    "argsort",
    "cond",
    "cumulative",
    "erf",
    "linalg",
    "print_tensor",
    "random",
    "scan",
    "sort",
    "stop_gradient",
    "top_k",
]

_FLOAT_BITS = {2: tf.int16, 4: tf.int32, 8: tf.int64}
# NumPy's own threshold for summarising an array in its repr.
_PRINT_THRESHOLD = 1000


def cumulative(op: str, x: Native, axis: int) -> Native:
    """Inclusive cumulative ``"sum"`` or ``"prod"`` of ``x`` along ``axis``
    (``np.cumsum`` / ``np.cumprod`` in ``x``'s dtype), differentiable for floats.

    TensorFlow has no bool kernels for either: a bool sum is a running "any"
    (a count above zero) and a product a running "all" (of 0/1 values). A float
    product carries its own gradient (see ``_cumprod_with_gradient``):
    TensorFlow's divides by ``x`` with ``div_no_nan`` and silently answers 0
    where ``x`` is zero.
    """
    if op not in ("sum", "prod"):
        raise ValueError(f"cumulative: op must be 'sum' or 'prod', got {op!r}")
    if x.dtype == tf.bool:
        if op == "sum":
            return tf.math.cumsum(tf.cast(x, tf.int64), axis=axis) > 0
        return tf.cast(tf.math.cumprod(tf.cast(x, tf.uint8), axis=axis), tf.bool)
    if op == "sum":
        return tf.math.cumsum(x, axis=axis)
    if x.dtype.is_floating:
        return _cumprod_with_gradient(x, axis)
    return tf.math.cumprod(x, axis=axis)


def _cumprod_with_gradient(x: Native, axis: int) -> Native:
    """An inclusive cumprod along ``axis`` whose gradient is exact where ``x`` has zeros.

    With ``p = cumprod(x)``, cotangent ``g`` and ``R`` a reverse cumsum,
    ``dx_i = R(g p)_i / x_i`` only before the first zero ``z`` of ``x``. At ``z``
    itself it is ``R(g p')_z``, ``p'`` the cumprod of ``x`` with ``x_z`` set to 1,
    and after ``z`` every product holds ``x_z = 0``, so it is 0.
    """

    @tf.custom_gradient
    def cumprod(x: Native) -> tuple[Native, Callable[[Native], Native]]:
        p = tf.math.cumprod(x, axis=axis)

        def gradient(g: Native) -> Native:
            zero = tf.equal(x, 0)
            zeros_before = tf.math.cumsum(tf.cast(zero, tf.int64), axis=axis, exclusive=True)
            first_zero = zero & tf.equal(zeros_before, 0)
            one = tf.ones_like(x)
            p_without_first_zero = tf.math.cumprod(tf.where(first_zero, one, x), axis=axis)
            before = tf.math.cumsum(g * p, axis=axis, reverse=True) / tf.where(
                tf.equal(zeros_before, 0) & ~zero, x, one
            )
            at = tf.math.cumsum(g * p_without_first_zero, axis=axis, reverse=True)
            return tf.where(zeros_before > 0, tf.zeros_like(x), tf.where(first_zero, at, before))

        return p, gradient

    return cumprod(x)


def _order_key(x: Native) -> Native:
    """An integer tensor whose order is NumPy's sort order of ``x``.

    ``tf.math.top_k`` compares floats with ``>``, so NaN lands anywhere (and
    ``tf.sort``, built on it, likewise). An IEEE float's bits read as a signed
    integer already order non-negative floats; flipping all but the sign bit of
    negative ones orders those too. NaNs are first made the one positive quiet
    NaN, which then sorts above +inf as NumPy's NaN does, and -0.0 is made 0.0,
    which NumPy treats as equal to it.
    """
    if x.dtype == tf.bool:
        return tf.cast(x, tf.uint8)
    if x.dtype.is_integer:
        return x
    bits = _FLOAT_BITS[x.dtype.size]
    canonical = tf.where(tf.math.is_nan(x), tf.constant(np.nan, x.dtype), tf.where(tf.equal(x, 0), tf.zeros_like(x), x))
    raw = tf.bitcast(canonical, bits)
    return tf.where(raw < 0, tf.bitwise.bitwise_xor(raw, tf.constant(bits.max, bits)), raw)


def _swap_last(x: Native, axis: int) -> tuple[Native, list[int] | None]:
    """``x`` with ``axis`` swapped with the last axis (top_k works on the last),
    and the permutation (its own inverse), or None when ``axis`` is already last."""
    rank = x.shape.rank
    if rank is None:
        raise ValueError("sort and argsort need a tensor of known rank")
    if axis == rank - 1:
        return x, None
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return tf.transpose(x, perm), perm


def _take_last(x: Native, indices: Native) -> Native:
    """``np.take_along_axis(x, indices, axis=-1)``."""
    rank = x.shape.rank
    return tf.gather(x, indices, axis=rank - 1, batch_dims=rank - 1)


def _ascending_last(x: Native) -> Native:
    """int64 indices of a stable ascending sort of the last axis, NaN last.

    ``top_k`` sorts descending and keeps equal values in index order, so it runs on
    the key's bitwise complement, which reverses any integer order without the
    overflow negation would have at the smallest signed value.
    """
    key = tf.bitwise.invert(_order_key(x))
    indices = tf.math.top_k(key, k=tf.shape(key)[-1], sorted=True).indices
    return tf.cast(indices, tf.int64)


def sort(x: Native, axis: int) -> Native:
    """``x`` sorted ascending along ``axis``, NaN last (``np.sort``); gradients flow
    to ``x`` through a gather."""
    moved, perm = _swap_last(x, axis)
    result = _take_last(moved, _ascending_last(moved))
    return result if perm is None else tf.transpose(result, perm)


def argsort(x: Native, axis: int) -> Native:
    """int64 indices that sort ``x`` ascending along ``axis``, stable, NaN last
    (``np.argsort(x, axis, kind="stable")``)."""
    moved, perm = _swap_last(x, axis)
    indices = _ascending_last(moved)
    return indices if perm is None else tf.transpose(indices, perm)


def top_k(x: Native, k: int) -> tuple[Native, Native]:
    """The ``k`` largest entries along the last axis, largest first, and their
    int64 indices; equal values keep the lower index first (``tf.math.top_k``) and
    NaN counts as the largest value (NumPy's sort order). Gradients reach ``x``
    through the values, gathered from ``x`` by the indices of ``top_k`` run on an
    order key (see ``_order_key``: NaN would otherwise land anywhere)."""
    if x.shape.rank is None or x.shape.rank < 1:
        raise ValueError("top_k needs a tensor of known rank, at least 1")
    indices = tf.cast(tf.math.top_k(_order_key(x), k=k, sorted=True).indices, tf.int64)
    return _take_last(x, indices), indices


def _lower_symmetric(a: Native) -> Native:
    """The symmetric matrix that ``a``'s lower triangle stands for."""
    lower = tf.linalg.band_part(a, -1, 0)
    return lower + tf.linalg.matrix_transpose(lower - tf.linalg.band_part(a, 0, 0))


def linalg(op: str, *xs: Native) -> Native | tuple[Native, ...]:
    """A linear-algebra kernel on the last two axes, batched over the leading ones:

    * ``"inv"``, ``"det"``, ``"cholesky"`` (lower; reads the lower triangle; an
      error at run time where the matrix is not positive definite);
    * ``"solve"`` ``(a, b)``: ``a @ result = b`` for ``b`` of shape ``(..., n, k)``,
      batch dims broadcast as NumPy does (``MatrixSolve`` wants them equal);
    * ``"svd"`` → ``(u, s, vh)`` reduced, as ``np.linalg.svd(full_matrices=False)``
      (TensorFlow answers ``(s, u, v)``);
    * ``"qr"`` → ``(q, r)`` reduced, as ``np.linalg.qr``;
    * ``"eigh"`` → ``(w, v)``, ascending eigenvalues, lower triangle read.

    All have gradients; TensorFlow's QR gradient needs the matrix dims known
    statically. TensorFlow's Cholesky gradient is symmetric, as if the input's
    two triangles moved together; the input goes through the symmetric matrix its
    lower triangle stands for (the same matrix to the kernel, which reads only
    that triangle) so the gradient is the true one: on the lower triangle, zero
    above it, as PyTensor's.
    """
    a = xs[0]
    if op == "inv":
        return tf.linalg.inv(a)
    if op == "det":
        return tf.linalg.det(a)
    if op == "solve":
        b = xs[1]
        if a.shape[:-2] != b.shape[:-2] or not a.shape[:-2].is_fully_defined():
            batch = tf.broadcast_dynamic_shape(tf.shape(a)[:-2], tf.shape(b)[:-2])
            a = tf.broadcast_to(a, tf.concat([batch, tf.shape(a)[-2:]], 0))
            b = tf.broadcast_to(b, tf.concat([batch, tf.shape(b)[-2:]], 0))
        return tf.linalg.solve(a, b)
    if op == "cholesky":
        return tf.linalg.cholesky(_lower_symmetric(a))
    if op == "svd":
        s, u, v = tf.linalg.svd(a, full_matrices=False, compute_uv=True)
        return u, s, tf.linalg.adjoint(v)
    if op == "qr":
        q, r = tf.linalg.qr(a, full_matrices=False)
        return q, r
    if op == "eigh":
        w, v = tf.linalg.eigh(a)
        return w, v
    raise ValueError(f"linalg: unknown op {op!r}")


def cond(condition: Native, then_fn: Callable[[], Native], else_fn: Callable[[], Native]) -> Native:
    """``then_fn()`` where the scalar bool ``condition`` holds, else ``else_fn()``.

    ``tf.cond`` builds each branch in its own function of an ``If`` op, which runs
    only the branch taken. In a plain graph (no automatic control dependencies)
    a branch's stateful ops that its result does not depend on (a print, an
    assert) are pruned, so tie them to the result with control dependencies, as
    ``print_tensor`` does.
    """
    return tf.cond(condition, then_fn, else_fn)


def scan(
    step: Callable[[list[Native], list[Native]], tuple[Sequence[Native], Sequence[Native]]],
    sequences: list[Native],
    initial: list[Native],
    reverse: bool,
) -> tuple[list[Native], list[Native]]:
    """Run ``step(items, states) -> (outputs, new_states)`` over axis 0 of every
    sequence (from the end if ``reverse``); return the outputs stacked along a new
    axis 0 in the order the steps ran, and the final states (``initial`` after
    zero steps). Gradients flow through time to sequences, initial states and
    anything ``step`` closes over.

    The loop is a ``tf.while_loop`` writing the outputs into TensorArrays, whose
    dtypes must be known before the loop is built, and only ``step`` knows them.
    So ``step`` is traced once, into a concrete ``tf.function`` on the items' and
    states' specs, which gives the output dtypes and shapes; the loop body then builds
    ``step`` again, inline (the Python function runs twice while the loop is built).
    New states are held to their initial state's static shape, which the loop
    requires of them.
    """
    if not sequences:
        raise ValueError("scan needs at least one sequence (it sets the number of steps)")
    sequences = [tf.convert_to_tensor(s) for s in sequences]
    initial = [tf.convert_to_tensor(s) for s in initial]
    n_states = len(initial)
    counts: list[int] = []

    def traced(*args: Native) -> list[Native]:
        outputs, new_states = step(list(args[: len(sequences)]), list(args[len(sequences) :]))
        if len(new_states) != n_states:
            raise ValueError(f"scan: step returned {len(new_states)} states for {n_states} initial states")
        counts.append(len(outputs))
        held = [tf.ensure_shape(tf.convert_to_tensor(n), s.shape) for s, n in zip(initial, new_states)]
        return [*held, *(tf.convert_to_tensor(o) for o in outputs)]

    specs = [tf.TensorSpec(s.shape[1:], s.dtype) for s in sequences] + [
        tf.TensorSpec(s.shape, s.dtype) for s in initial
    ]
    function = tf.function(traced, autograph=False).get_concrete_function(*specs)
    n_outputs = counts[0]
    if not n_outputs and not n_states:
        return [], []
    traced_outputs = function.structured_outputs[n_states:]

    n = tf.shape(sequences[0])[0]
    inputs = [tf.TensorArray(s.dtype, size=n, element_shape=s.shape[1:]).unstack(s) for s in sequences]
    stacks = [tf.TensorArray(o.dtype, size=n, element_shape=o.shape, infer_shape=False) for o in traced_outputs]

    def body(i: Native, *carried: Native) -> list[Native]:
        t = n - 1 - i if reverse else i
        # The step is built again inline, not called as the traced function: a gradient of
        # a function call inside a loop rewrites the call to output its intermediates
        # (the traced function only tells the output dtypes and shapes).
        results = traced(*(ta.read(t) for ta in inputs), *carried[:n_states])
        written = [ta.write(i, o) for ta, o in zip(carried[n_states:], results[n_states:])]
        return [i + 1, *results[:n_states], *written]

    final = tf.while_loop(
        lambda i, *_: i < n,
        body,
        [tf.constant(0, tf.int32), *initial, *stacks],
        maximum_iterations=n,
    )
    return [ta.stack() for ta in final[1 + n_states :]], list(final[1 : 1 + n_states])


def stop_gradient(x: Native) -> Native:
    """``x``, with no gradient: ``tf.gradients`` answers ``None`` for an input
    reached only through it."""
    return tf.stop_gradient(x)


def print_tensor(x: Native, message: str) -> Native:
    """``x``; each time a run computes it, prints ``message`` and the value to the
    process's standard output (file descriptor 1, as TensorFlow's C++ ``stdout``
    stream writes; ``tf.print`` takes ``sys.stdout`` to mean that stream).

    The print is a control dependency of the identity returned, since a graph
    runs only what its fetches depend on. Values print in full up to 1000 entries,
    beyond which TensorFlow's summary (three entries each end of every axis)
    stands in, as NumPy summarises its repr.
    """
    size = x.shape.num_elements()
    summarize = -1 if size is not None and size <= _PRINT_THRESHOLD else 3
    printed = tf.print(message, x, output_stream=sys.stdout, summarize=summarize)
    with tf.control_dependencies([printed]):
        return tf.identity(x)


def random(distribution: str, shape: tuple[int, ...] | Native, a: float, b: float, dtype: str, seed: int) -> Native:
    """A fresh draw on each run:

    * ``"binomial"``: ``dtype`` zeros and ones, 1 with probability ``a`` (``b`` unused);
    * ``"truncated_normal"``: mean ``a``, stddev ``b``, values beyond 2 stddevs
      redrawn (``tf.random.truncated_normal``).

    An op-level seed, as ``native_random``: with no graph-level seed TensorFlow
    pairs it with a fixed default, so the same seed gives the same first draw in a
    fresh graph, and the kernel's state advances from run to run.
    """
    if distribution == "binomial":
        u = tf.random.uniform(shape, 0.0, 1.0, dtype=tf.float64, seed=seed)
        return tf.cast(u < a, dtype)
    if distribution == "truncated_normal":
        return tf.random.truncated_normal(shape, a, b, dtype=dtype, seed=seed)
    raise ValueError(f"random: unknown distribution {distribution!r}")


def erf(x: Native) -> Native:
    """Elementwise error function, in ``x``'s float dtype.

    TensorFlow's float64 kernel answers NaN from about |x| = 1.34e154 on (its x²
    overflows), ±inf included. Clipping to ±1e10 changes nothing else: erf is
    exactly ±1 there in float64 and its derivative exactly 0, and NaN passes
    through the clip.
    """
    if x.dtype == tf.float64:
        x = tf.clip_by_value(x, tf.constant(-1e10, tf.float64), tf.constant(1e10, tf.float64))
    return tf.math.erf(x)


def trunc(x: Native) -> Native:
    """Round toward zero (``np.trunc``): TensorFlow has no float trunc kernel."""
    return tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x))


def log2(x: Native) -> Native:
    """Base-2 logarithm: TensorFlow has only the natural one."""
    return tf.math.log(x) / tf.math.log(tf.constant(2.0, x.dtype))


def log10(x: Native) -> Native:
    """Base-10 logarithm: TensorFlow has only the natural one."""
    return tf.math.log(x) / tf.math.log(tf.constant(10.0, x.dtype))


def nan_rows_as_numpy(softmax: Native, axis: int) -> Native:
    """TensorFlow's fused softmax with NumPy's NaN rows.

    For a row holding NaN or ``+inf`` TensorFlow gives ``[nan, 0, 0]`` where NumPy's
    ``exp(x - max(x))`` makes the whole row NaN. Such a row's sum is NaN, and adding
    ``0 * sum`` spreads it; any other row sums to 1 and is left as it is. (One reduction:
    on a (256, 128) softmax this costs a few percent, where testing the input for NaN
    and infinities cost 9 %.)
    """
    return softmax + 0 * tf.reduce_sum(softmax, axis=axis, keepdims=True)


def extreme(op: str, x: Native, y: Native, ties_first: bool) -> Native:
    """``np.maximum`` (``op="maximum"``) or ``np.minimum`` of floats, NaN and signed
    zeros as NumPy.

    NumPy answers the NaN where either operand is NaN, as TensorFlow does, and on
    equal values (``0.0`` against ``-0.0``) one operand by its dtype: ``x`` for
    float16, whose loop is ``(x >= y || isnan(x)) ? x : y``, ``y`` for float32 and
    float64, whose SIMD loops return the second operand. TensorFlow's kernels
    return the first operand on ties for one element and the second in long
    vectorised arrays, so equal values are selected. Where an operand is a constant
    without zeros, equal values have the same bits and TensorFlow's kernel alone is
    NumPy's (``clip`` by nonzero bounds, ``maximum(x, 1e-12)``). On ties the gradient
    flows to the operand answered.
    """
    kernel = tf.math.maximum if op == "maximum" else tf.math.minimum
    result = kernel(x, y)
    for operand in (x, y):
        value = tf.get_static_value(operand)
        if value is not None and not np.any(np.asarray(value) == 0):
            return result
    return tf.where(tf.math.equal(x, y), x if ties_first else y, result)


def float_power(x: Native, y: Native) -> Native:
    """``x ** y`` of floats with IEEE 754's (and NumPy's) special values.

    TensorFlow's graph optimiser (and XLA) rewrite ``x ** -0.5`` with a constant
    exponent as ``rsqrt(x)``, which is ``-inf`` at ``-0.0`` and NaN at ``-inf``,
    where ``pow`` gives ``+inf`` and ``0``. For that exponent the two values are
    selected; any other exponent keeps TensorFlow's ``pow``, which is IEEE's.
    """
    result = tf.math.pow(x, y)
    exponent = tf.get_static_value(y)
    if exponent is None or not np.all(np.asarray(exponent) == -0.5):
        return result
    zero = tf.math.equal(x, tf.zeros((), x.dtype))
    result = tf.where(zero, tf.constant(np.inf, x.dtype), result)
    return tf.where(tf.math.equal(x, tf.constant(-np.inf, x.dtype)), tf.zeros((), x.dtype), result)


def unsigned_power(x: Native, y: Native) -> Native:
    """``x ** y`` of uint64 operands, wrapping as NumPy's.

    TensorFlow has no uint64 ``Pow``, and in int64 an exponent from 2**63 on is
    negative (refused). The bits of a wrapping product are the same signed or
    unsigned, so the power runs in int64 on the same bits; an exponent ``e >= 2**63``
    is split as ``x ** (e - 2**63) * x ** (2**63)``, where ``x ** (2**63)`` is 1 modulo
    2**64 for an odd ``x`` (odd numbers modulo 2**64 have order dividing 2**62) and 0
    for an even one.
    """
    base = tf.bitcast(x, tf.int64)
    exponent = tf.bitcast(y, tf.int64)
    huge = tf.math.less(exponent, tf.zeros((), tf.int64))
    low = tf.bitwise.bitwise_and(exponent, tf.constant(np.iinfo(np.int64).max, tf.int64))
    result = tf.math.pow(base, low)
    even = tf.math.equal(tf.bitwise.bitwise_and(base, tf.ones((), tf.int64)), tf.zeros((), tf.int64))
    result = tf.where(tf.math.logical_and(huge, even), tf.zeros((), tf.int64), result)
    return tf.bitcast(result, tf.uint64)
