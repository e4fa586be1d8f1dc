"""PyTensor kernels for the operations that need more than one engine call.

Plain functions on native PyTensor variables, mirrored name for name and
signature for signature by :mod:`ktensor.backends.tensorflow.kernels`. Operands
arrive already cast to the dtype to compute in and axes already normalised
(non-negative); nothing here promotes dtypes.

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano import kernels
    >>> x = pt.vector("x", dtype="int32")
    >>> values, indices = kernels.top_k(x, 2)
    >>> f = pytensor.function([x], [values, indices], mode="FAST_COMPILE")
    >>> [a.tolist() for a in f(np.array([1, 3, 3, 2], dtype="int32"))]
    [[3, 3], [1, 2]]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.builders import OpFromGraph
from pytensor.compile.mode import Mode
from pytensor.gradient import DisconnectedType, disconnected_grad
from pytensor.graph.basic import Constant, Variable
from pytensor.graph.replace import clone_replace
from pytensor.ifelse import IfElse, ifelse
from pytensor.printing import Print
from pytensor.raise_op import Assert
from pytensor.scan.op import Scan
from pytensor.tensor.subtensor import Subtensor

Native = Any

__all__ = [
    "ZeroStepShape",
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

# Integers narrower than 64 bits (and bool) cumulate through this wide type; see
# `cumulative`.
_CUMULATE_WIDE = {
    "bool": "int64",
    "int8": "int64",
    "int16": "int64",
    "int32": "int64",
    "uint8": "uint64",
    "uint16": "uint64",
    "uint32": "uint64",
}
# Φ(-2) and Φ(2) of the standard normal: the uniform range whose inverse CDF
# lands in [-2, 2).
_PHI_MINUS_2 = 0.5 * math.erfc(math.sqrt(2.0))
_PHI_PLUS_2 = 1.0 - _PHI_MINUS_2


def cumulative(op: str, x: Native, axis: int) -> Native:
    """Inclusive cumulative ``"sum"`` or ``"prod"`` of ``x`` along ``axis``
    (``np.cumsum`` / ``np.cumprod`` in ``x``'s dtype), differentiable for floats.

    Integers narrower than 64 bits (and bool) run in 64 bits: ``CumOp.perform``,
    which the Python linker (``FAST_COMPILE``) runs, calls ``np.cumsum`` without a
    dtype, and NumPy widens small integers, so it would hand back an int64 array
    under an int8 type (its C code keeps the dtype). Wrapping arithmetic is exact
    modulo 2**64, so reducing the wide result modulo 2**bits gives the values the
    narrow type wraps to; the reduction comes before the cast back because the
    Python linker's cast raises on out-of-range integers. For bool the sum is a
    running "any" and the product a running "all".

    A float product carries its own gradient (see ``_cumprod_pullback``):
    PyTensor's divides by ``x`` and is NaN wherever ``x`` has a zero.
    """
    if op not in ("sum", "prod"):
        raise ValueError(f"cumulative: op must be 'sum' or 'prod', got {op!r}")
    cumulate = pt.cumsum if op == "sum" else pt.cumprod
    dtype = x.dtype
    if op == "prod" and dtype.startswith("float"):
        stand_in = x.type()
        return OpFromGraph(
            [stand_in], [pt.cumprod(stand_in, axis=axis)], inline=True, pullback=_cumprod_pullback(axis)
        )(x)
    wide = _CUMULATE_WIDE.get(dtype)
    if wide is None:
        return cumulate(x, axis=axis)
    y = cumulate(pt.cast(x, wide), axis=axis)
    if dtype == "bool":
        return pt.neq(y, _const(0, wide))
    bits = np.dtype(dtype).itemsize * 8
    mask = _const(2**bits - 1, wide)
    if wide == "uint64":
        return pt.cast(pt.bitwise_and(y, mask), dtype)
    half = _const(2 ** (bits - 1), wide)
    return pt.cast(pt.bitwise_and(y + half, mask) - half, dtype)


def _cumprod_pullback(axis: int) -> Callable[[list[Native], list[Native], list[Native]], list[Native]]:
    """The gradient of an inclusive cumprod along ``axis``, exact where ``x`` has zeros.

    With ``p = cumprod(x)``, cotangent ``g`` and ``R`` a reverse cumsum,
    ``dx_i = R(g p)_i / x_i`` only before the first zero ``z`` of ``x``. At ``z``
    itself it is ``R(g p')_z``, ``p'`` the cumprod of ``x`` with ``x_z`` set to 1,
    and after ``z`` every product holds ``x_z = 0``, so it is 0.
    """

    def reverse_cumsum(y: Native) -> Native:
        flip = tuple(slice(None, None, -1) if i == axis else slice(None) for i in range(y.ndim))
        return pt.cumsum(y[flip], axis=axis)[flip]

    def pullback(inputs: list[Native], outputs: list[Native], cotangents: list[Native]) -> list[Native]:
        (x,), (p,), (g,) = inputs, outputs, cotangents
        zero = pt.eq(x, 0)
        zeros_before = pt.cumsum(zero.astype("int64"), axis=axis) - zero
        first_zero = pt.and_(zero, pt.eq(zeros_before, 0))
        one = pt.ones_like(x)
        p_without_first_zero = pt.cumprod(pt.where(first_zero, one, x), axis=axis)
        before = reverse_cumsum(g * p) / pt.where(pt.eq(zeros_before, 0) & ~zero, x, one)
        at = reverse_cumsum(g * p_without_first_zero)
        return [pt.where(pt.gt(zeros_before, 0), pt.zeros_like(x), pt.where(first_zero, at, before))]

    return pullback


def sort(x: Native, axis: int) -> Native:
    """``x`` sorted ascending along ``axis``, NaN last (``np.sort``)."""
    return pt.sort(x, axis=axis, kind="stable")


def argsort(x: Native, axis: int) -> Native:
    """int64 indices that sort ``x`` ascending along ``axis``, stable, NaN last
    (``np.argsort(x, axis, kind="stable")``)."""
    return pt.argsort(x, axis=axis, kind="stable")


def top_k(x: Native, k: int) -> tuple[Native, Native]:
    """The ``k`` largest entries along the last axis, largest first, and their
    int64 indices; equal values keep the lower index first (``tf.math.top_k``)
    and NaN counts as the largest value (NumPy's sort order). Gradients reach
    ``x`` through the values.

    PyTensor has no top-k op, so this is a full stable argsort. A descending
    order with ties in index order is the ascending stable order of the axis
    read backwards, read backwards again; it needs no negation, which would
    overflow the smallest signed integer, wrap unsigned ones, and keep NaN last.
    """
    if x.ndim < 1:
        raise ValueError("top_k needs at least one dimension")
    if k < 0:
        raise ValueError(f"top_k: k must be non-negative, got {k}")
    size = x.type.shape[-1]
    if size is not None and k > size:
        raise ValueError(f"top_k: k={k} exceeds the last dimension ({size})")
    n = x.shape[-1]
    order = pt.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1]
    indices: Native = pt.cast((n - 1) - order[..., :k], "int64")
    if size is None:
        # A slice past the end would silently give fewer than k entries.
        indices = Assert(f"top_k: k={k} exceeds the last dimension")(indices, pt.ge(n, k))
    return pt.take_along_axis(x, indices, axis=-1), indices


def linalg(op: str, *xs: Native) -> Native | tuple[Native, ...]:
    """A linear-algebra kernel on the last two axes, batched over the leading ones
    (every ``pt.linalg`` op here is a ``Blockwise``, which broadcasts batch dims as
    NumPy does):

    * ``"inv"``, ``"det"``, ``"cholesky"`` (lower; reads the lower triangle; NaN,
      not an error, where the matrix is not positive definite);
    * ``"solve"`` ``(a, b)``: ``a @ result = b`` for ``b`` of shape ``(..., n, k)``;
    * ``"svd"`` → ``(u, s, vh)`` reduced, as ``np.linalg.svd(full_matrices=False)``;
    * ``"qr"`` → ``(q, r)`` reduced, as ``np.linalg.qr``;
    * ``"eigh"`` → ``(w, v)``, ascending eigenvalues, lower triangle read.

    All have gradients (``qr`` and ``svd`` in their reduced forms only).
    """
    a = xs[0]
    if op == "inv":
        return pt.linalg.inv(a)
    if op == "det":
        return pt.linalg.det(a)
    if op == "solve":
        # b_ndim=2 says b's core is a matrix, so its leading dims are batch dims.
        return pt.linalg.solve(a, xs[1], b_ndim=2)
    if op == "cholesky":
        return pt.linalg.cholesky(a, lower=True)
    if op == "svd":
        u, s, vh = pt.linalg.svd(a, full_matrices=False)
        return u, s, vh
    if op == "qr":
        q, r = pt.linalg.qr(a, mode="economic")
        return q, r
    if op == "eigh":
        stand_in = a.type()
        w, v = OpFromGraph(
            [stand_in], list(pt.linalg.eigh(stand_in, lower=True)), inline=True, pullback=_eigh_pullback
        )(a)
        return w, v
    raise ValueError(f"linalg: unknown op {op!r}")


def _eigh_pullback(inputs: list[Native], outputs: list[Native], cotangents: list[Native]) -> list[Native]:
    """``Eigh``'s gradient, batched, that stays finite for eigenvalues alone.

    ``Eigh.pullback`` fills a missing eigenvector cotangent with zeros and still
    multiplies it by ``1 / (w_j - w_i)``: NaN (inf times 0) wherever eigenvalues
    repeat, even when only the eigenvalues are used (the gradient of a trace at
    the identity, say). Without eigenvector cotangent the gradient is
    ``v diag(gw) vᵀ``; with one it is the same formula as PyTensor's, undefined
    (as for any engine) where the eigenvalues repeat. The result is folded onto
    the lower triangle, the only one read.
    """
    w, v = outputs
    gw, gv = cotangents
    v_t = v.mT
    if isinstance(gw.type, DisconnectedType):
        gw = pt.zeros_like(w)
    inner = gw[..., :, None] * pt.eye(w.shape[-1], dtype=w.dtype)
    if not isinstance(gv.type, DisconnectedType):
        gap = w[..., None, :] - w[..., :, None]  # gap[..., i, j] = w_j - w_i
        diagonal = pt.eye(w.shape[-1], dtype="bool")
        factor = pt.where(diagonal, pt.zeros_like(gap), 1 / pt.where(diagonal, pt.ones_like(gap), gap))
        inner = inner + factor * (v_t @ gv)
    g = v @ inner @ v_t
    return [pt.tril(g) + pt.triu(g, k=1).mT]


def cond(condition: Native, then_fn: Callable[[], Native], else_fn: Callable[[], Native]) -> Native:
    """``then_fn()`` where the scalar bool ``condition`` holds, else ``else_fn()``.

    ``ifelse`` is lazy under PyTensor's VM linkers (``FAST_COMPILE`` and ``CVM``):
    nodes needed only by the branch not taken do not run, so a failing ``Assert``
    or a ``Print`` there has no effect. Both branches are built in the one graph,
    though, and in ``CVM`` elementwise fusion may merge a branch's elementwise
    arithmetic into a fused node the other branch needs, which then runs that
    arithmetic whatever the condition.
    """
    return ifelse(condition, then_fn(), else_fn())


def scan(
    step: Callable[[list[Native], list[Native]], tuple[Sequence[Native], Sequence[Native]]],
    sequences: list[Native],
    initial: list[Native],
    reverse: bool,
    *,
    mode: str | Mode | None = None,
) -> tuple[list[Native], list[Native]]:
    """Run ``step(items, states) -> (outputs, new_states)`` over axis 0 of every
    sequence (from the end if ``reverse``); return the outputs stacked along a new
    axis 0 in the order the steps ran, and the final states (``initial`` after
    zero steps). Gradients flow through time to sequences, initial states and
    anything ``step`` closes over.

    ``pytensor.scan`` needs one ``outputs_info`` entry per output before it calls
    its inner function, and only ``step`` knows how many outputs it has, so
    ``step`` is traced once here on stand-in variables and scan's inner function
    clones that graph onto scan's own slices. Random draws inside ``step`` are
    not supported: their RNG would not advance between steps. After zero steps
    an output whose per-step shape is not static has shape ``(0, 0, ...)`` (see
    ``_with_step_shape``).

    ``mode`` compiles scan's inner function; pass the mode the outer function
    compiles in. Scan does not inherit it: with ``None`` the inner function
    compiles in ``Mode("cvm", "fast_run")``, C code included, even inside a
    ``FAST_COMPILE`` function. (The TensorFlow kernel has no such argument.)
    """
    if not sequences:
        raise ValueError("scan needs at least one sequence (it sets the number of steps)")
    sequences = [pt.as_tensor_variable(s) for s in sequences]
    initial = [pt.as_tensor_variable(s) for s in initial]
    items = [pt.tensor(dtype=s.type.dtype, shape=s.type.shape[1:]) for s in sequences]
    states = [s.type() for s in initial]
    traced_outputs, traced_states = step(list(items), list(states))
    outputs = [pt.as_tensor_variable(o) for o in traced_outputs]
    if len(traced_states) != len(initial):
        raise ValueError(f"scan: step returned {len(traced_states)} states for {len(initial)} initial states")
    # A new state whose static shape is less known than its initial state's would
    # fail scan's type check; filter_variable adds the shape assertion (and
    # refuses another dtype).
    new_states = [s.type.filter_variable(pt.as_tensor_variable(n)) for s, n in zip(initial, traced_states)]
    if not outputs and not new_states:
        return [], []
    stand_ins = [*items, *states]

    def inner(*args: Native) -> list[Native]:
        return clone_replace([*new_states, *outputs], replace=dict(zip(stand_ins, args)))

    results = pytensor.scan(
        inner,
        sequences=sequences,
        outputs_info=[*initial, *([None] * len(outputs))],
        go_backwards=reverse,
        return_list=True,
        return_updates=False,
        mode=mode,
    )
    n_states = len(initial)
    stacked = [_with_step_shape(r, o) for r, o in zip(results[n_states:], outputs)]
    return stacked, [_last_state(r) for r in results[:n_states]]


class ZeroStepShape(IfElse):
    """The lazy ``ifelse`` of :func:`_with_step_shape`: in C and Python code PyTensor's
    own; in JAX (:mod:`ktensor.backends.theano.jax_ops`) the scan output itself, since
    JAX traces the loop with static shapes (its zero-step outputs have their shape) and
    its ``cond`` refuses branches of different shapes."""


def _with_step_shape(stacked: Native, traced: Native) -> Native:
    """A scan output, with shape ``(0, *traced.shape)`` after zero steps where that
    per-step shape is static.

    After zero steps Scan allocates an output of shape ``(0, 0, ...)``, whatever
    its type says (PyTensor's own comment calls this wrong), so a reshape would be
    rewritten away as useless; a lazy ``ifelse`` picks an empty array of the right
    shape instead. An output whose per-step shape is known only at run time keeps
    the zeros.
    """
    shape = traced.type.shape
    if traced.ndim == 0 or None in shape:
        return stacked
    empty = pt.zeros((0, *shape), dtype=stacked.dtype)
    plain = ifelse(pt.gt(stacked.shape[0], 0), stacked, empty)  # ifelse's own type checks
    assert isinstance(plain, Variable) and plain.owner is not None
    return ZeroStepShape(n_outs=1)(*plain.owner.inputs)


def _last_state(trace: Native) -> Native:
    """The last entry of a scan state's trace, or the initial state after zero steps.

    Scan returns a state's trace as ``buffer[1:]`` of a buffer that starts with the
    initial state, so ``buffer[-1]`` is right for any number of steps, where
    ``trace[-1]`` is out of bounds after zero steps.
    """
    node = trace.owner
    if node is not None and isinstance(node.op, Subtensor):
        buffer = node.inputs[0]
        if buffer.owner is not None and isinstance(buffer.owner.op, Scan):
            return buffer[-1]
    return trace[-1]


def stop_gradient(x: Native) -> Native:
    """``x``, with its gradient disconnected: ``pytensor.grad(...,
    disconnected_inputs="ignore", return_disconnected="none")`` answers ``None``
    for an input reached only through it, as ``tf.gradients`` does through
    ``tf.stop_gradient`` (``zero_grad`` would answer a zeros graph instead)."""
    return disconnected_grad(x)


def _print_value(op: Print, value: np.ndarray) -> None:
    # Flushed so the line keeps its place among output written to fd 1 directly.
    print(op.message, value, flush=True)


def print_tensor(x: Native, message: str) -> Native:
    """``x``; each time a compiled function computes it, prints ``message`` and the
    value to ``sys.stdout`` (``Print``'s default would print ``message __str__ =
    value``). ``Print`` is never constant-folded, so it prints at run time even
    for a constant ``x``; two identical prints of one ``x`` merge into one."""
    return Print(message, global_fn=_print_value)(x)


def random(distribution: str, shape: tuple[int, ...] | Native, a: float, b: float, dtype: str, seed: int) -> Native:
    """A fresh draw on each run of the compiled function:

    * ``"binomial"``: ``dtype`` zeros and ones, 1 with probability ``a`` (``b`` unused);
    * ``"truncated_normal"``: mean ``a``, stddev ``b``, values beyond 2 stddevs
      redrawn: the inverse CDF of a uniform on ``[Φ(-2), Φ(2))``, which has exactly
      that distribution without a rejection loop.

    The generator is a shared variable seeded with ``seed`` whose ``default_update``
    advances it after every call, as ``native_random`` does; the same seed gives
    the same first draw in a fresh graph.
    """
    rng = pytensor.shared(np.random.default_rng(seed))
    if distribution == "binomial":
        next_rng, u = pt.random.uniform(0.0, 1.0, size=shape, rng=rng, dtype="float64", return_next_rng=True)
        draw = pt.cast(pt.lt(u, a), dtype)
    elif distribution == "truncated_normal":
        next_rng, u = pt.random.uniform(
            _PHI_MINUS_2, _PHI_PLUS_2, size=shape, rng=rng, dtype=dtype, return_next_rng=True
        )
        z = _const(math.sqrt(2.0), dtype) * pt.erfinv(_const(2.0, dtype) * u - _const(1.0, dtype))
        # Rounding at the ends of the uniform's range can land a hair beyond ±2.
        z = pt.clip(z, _const(-2.0, dtype), _const(2.0, dtype))
        draw = _const(a, dtype) + _const(b, dtype) * z
    else:
        raise ValueError(f"random: unknown distribution {distribution!r}")
    # PyTensor 3 deprecates default_update but still honours it (see native_random).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rng.default_update = next_rng
    return draw


def _const(value: float, dtype: str) -> Native:
    return pt.constant(np.asarray(value, dtype=dtype))


def erf(x: Native) -> Native:
    """Elementwise error function, in ``x``'s float dtype."""
    return pt.erf(x)


def float_power(x: Native, y: Native) -> Native:
    """``x ** y`` of floats with IEEE 754's (and NumPy's) special values.

    PyTensor rewrites ``x ** -0.5`` with a constant exponent as ``1 / sqrt(x)``:
    ``-inf`` at ``-0.0`` and NaN at ``-inf``, where ``pow`` gives ``+inf`` and ``0``.
    For that exponent those two values are selected; any other keeps ``pow``.
    """
    result = pt.pow(x, y)
    if not isinstance(y, Constant) or not np.all(np.asarray(y.data) == -0.5):
        return result
    result = pt.switch(pt.eq(x, 0), np.asarray(np.inf, x.dtype), result)
    return pt.switch(pt.eq(x, np.asarray(-np.inf, x.dtype)), np.zeros((), x.dtype), result)
