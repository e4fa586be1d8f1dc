"""Creating tensors: placeholders, variables, constants, filled tensors and random draws.

``dtype=None`` means: placeholders and floating data take ``kt.floatx()`` (Keras's rule);
an integer or boolean array keeps its dtype; Python ints become int64, bools bool.

Examples:
    >>> kt.constant([1, 2]).dtype, kt.constant(1.5).dtype
    ('int64', 'float32')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import config, dtypes, shapes
from ktensor.backends.core import Core, check_distribution, checked_seed
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor, checked_name


# -- NumPy references of the kit rows (module level: the kit renders them) -----------
def _astype(x: np.ndarray, dtype: str) -> np.ndarray:
    """``x.astype(dtype)``."""
    return x.astype(dtype)


def _full(shape: Sequence[int], value: Any, dtype: Any = None) -> np.ndarray:
    """``np.full`` with Keras's rule for ``dtype=None``: a float fill gives floatx."""
    if dtype is None:
        dtype = config.floatx() if isinstance(value, float) else np.asarray(value).dtype
    return np.full(shape, value, dtype=dtype)


def _linspace(start: float, stop: float, num: int, dtype: Any = None) -> np.ndarray:
    """``np.linspace`` in floatx unless ``dtype``."""
    return np.linspace(start, stop, num).astype(dtype or config.floatx())


def _shape(x: np.ndarray) -> np.ndarray:
    """``x.shape`` as an int64 array."""
    return np.array(x.shape, dtype="int64")


def _size(x: np.ndarray) -> np.ndarray:
    """``x.size`` as a 0-d int64 array."""
    return np.array(x.size, dtype="int64")



class CreationOps(Core):
    """Creating tensors."""

    @operation(creation=True, covered_by_tables=True)
    def placeholder(
        self,
        shape: Sequence[int | None] | None = None,
        ndim: int | None = None,
        dtype: Any = None,
        name: str | None = None,
    ) -> Tensor:
        """A symbolic input; ``shape`` entries may be None, or give only ``ndim``.

        Examples:
            >>> x = kt.placeholder(shape=(None, 3), name="x")
            >>> x.shape, x.dtype
            ((None, 3), 'float32')
        """
        name = checked_name(name, "placeholder")
        if shape is None:
            if ndim is None:
                raise TypeError("ktensor: placeholder needs shape=(...) or ndim=N")
            if isinstance(ndim, (bool, np.bool_)) or not isinstance(ndim, (int, np.integer)) or ndim < 0:
                raise TypeError(f"ktensor: placeholder: ndim must be an int >= 0; received {ndim!r}")
            shape = (None,) * int(ndim)
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"ktensor: placeholder shape must be a tuple of ints or None; received {shape!r}")
        static = tuple(shape)
        for d in static:
            if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0):
                raise ValueError(f"ktensor: placeholder shape entries must be ints >= 0 or None; received {static!r}")
        static = tuple(None if d is None else int(d) for d in static)
        shapes.check_size(static, "placeholder")
        if ndim is not None and ndim != len(static):
            raise ValueError(f"ktensor: placeholder: ndim={ndim} contradicts shape={static!r}")
        dt = dtypes.dtype_name(dtype, "placeholder dtype") if dtype is not None else config.floatx()
        native = self.native_placeholder(static, dt, name)
        tensor = self._wrap(native, dt, static, role="placeholder", name=name)
        object.__setattr__(tensor, "placeholders", frozenset((tensor,)))  # tensors are immutable once built
        return tensor

    @operation(creation=True, covered_by_tables=True)
    def constant(self, value: Any, dtype: Any = None, name: str | None = None, shape: Sequence[int] | None = None) -> Tensor:
        """A constant; ``dtype=None`` gives floating data ``floatx()``, other data its NumPy dtype.

        ``shape`` (Keras 2) fills that shape with a single value, or reshapes a value of as
        many elements. An integer value that does not fit ``dtype`` is an ``OverflowError``,
        as in NumPy 2.

        Examples:
            >>> kt.constant([1, 2]).dtype, kt.constant(1.5).dtype
            ('int64', 'float32')
            >>> kt.constant(0.5, shape=(2,)).eval()
            array([0.5, 0.5], dtype=float32)
        """
        name = checked_name(name, "constant")
        if shape is not None:
            value = self._shaped(value, shape)
        if isinstance(value, Tensor):
            self._check_mine(value, "constant value")
            return value if dtype is None else self.astype(value, dtype)
        array = self._array(value, "constant value")
        target = self._default_dtype(array, dtype, "constant dtype")
        return self._constant_tensor(dtypes.cast_value(array, target, "constant value"), name)

    def _shaped(self, value: Any, shape: Sequence[int]) -> np.ndarray:
        array = self._array(value, "constant value")
        size = shapes.concrete(shape, "constant")
        if array.size == 1:
            return np.full(size, array.reshape(()), dtype=array.dtype)
        if array.size == int(np.prod(size)):
            return array.reshape(size)
        raise ValueError(
            f"ktensor: constant: shape={tuple(shape)!r} needs a single value or {int(np.prod(size))} values; "
            f"received {array.size}"
        )

    @operation(creation=True, covered_by_tables=True)
    def variable(self, value: Any, dtype: Any = None, name: str | None = None, constraint: Any = None) -> Tensor:
        """A variable holding a copy of ``value``; see ``constant`` for the dtype rule.

        ``constraint`` (Keras 2's, applied by its optimizers after each update) is refused:
        ktensor has no optimizers; apply a constraint in your update, e.g.
        ``(w, kt.clip(w - lr * g, -1, 1))``.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> v.set_value([3.0, 4.0]); v.get_value()
            array([3., 4.], dtype=float32)
        """
        name = checked_name(name, "variable")
        if constraint is not None:
            raise TypeError(
                "ktensor: variable: constraint is not supported (ktensor has no optimizers to apply "
                f"it); apply it in the update instead; received {constraint!r}"
            )
        if isinstance(value, Tensor):
            value = value.eval()
        array = self._array(value, "variable value")
        array = np.array(dtypes.cast_value(array, self._default_dtype(array, dtype, "variable dtype"), "variable value"))
        native, handle = self.native_variable(array, name)
        return self._wrap(native, array.dtype.name, array.shape, role="variable", name=name, handle=handle)

    @operation(creation=True, covered_by_tables=True)
    def as_tensor(self, value: Any) -> Tensor:
        """A tensor unchanged; anything else through ``constant`` (floatx for float data).

        Examples:
            >>> kt.as_tensor([1, 2]).eval()
            array([1, 2])
        """
        return value if isinstance(value, Tensor) and value.backend is self else self.constant(value)

    @operation(creation=True, covered_by_tables=True)
    def zeros(self, shape: Sequence[int], dtype: Any = None, name: str | None = None) -> Tensor:
        """A constant of zeros (``floatx()`` unless ``dtype``).

        Examples:
            >>> kt.zeros((2,)).eval()
            array([0., 0.], dtype=float32)
        """
        return self._filled(shape, 0, dtype, checked_name(name, "zeros"), "zeros")

    @operation(creation=True, covered_by_tables=True)
    def ones(self, shape: Sequence[int], dtype: Any = None, name: str | None = None) -> Tensor:
        """A constant of ones (``floatx()`` unless ``dtype``).

        Examples:
            >>> kt.ones((2,), dtype="int32").eval()
            array([1, 1], dtype=int32)
        """
        return self._filled(shape, 1, dtype, checked_name(name, "ones"), "ones")

    @operation(creation=True, covered_by_tables=True)
    def eye(self, n: int, m: Any = None, dtype: Any = None, name: str | None = None) -> Tensor:
        """An ``n x m`` identity matrix (``floatx()`` unless ``dtype``).

        Keras 2 writes ``K.eye(size, dtype)``: a dtype given in the place of ``m`` is
        taken as the dtype.

        Examples:
            >>> kt.eye(2).eval()
            array([[1., 0.],
                   [0., 1.]], dtype=float32)
            >>> kt.eye(2, "int32").dtype
            'int32'
        """
        if m is not None and not isinstance(m, (int, np.integer)):
            if dtype is not None or isinstance(m, (float, np.floating)):
                raise TypeError(f"ktensor: eye: m must be an int; received {m!r}")
            m, dtype = None, m
        rows, columns = shapes.concrete((n, n if m is None else m), "eye", "(n, m)")
        dt = dtypes.dtype_name(dtype, "eye dtype") if dtype is not None else config.floatx()
        return self._constant_tensor(np.eye(rows, columns, dtype=dt), checked_name(name, "eye"))

    @operation(covered_by_tables=True)
    def zeros_like(self, x: Operand, dtype: Any = None, name: str | None = None) -> Tensor:
        """Zeros of ``x``'s shape, in ``x``'s dtype unless ``dtype``.

        Examples:
            >>> kt.zeros_like(kt.constant([1, 2])).eval()
            array([0, 0])
        """
        return self._filled_like(x, 0, dtype, checked_name(name, "zeros_like"))

    @operation(covered_by_tables=True)
    def ones_like(self, x: Operand, dtype: Any = None, name: str | None = None) -> Tensor:
        """Ones of ``x``'s shape, in ``x``'s dtype unless ``dtype``.

        Examples:
            >>> kt.ones_like(kt.constant([1, 2]), dtype="float64").eval()
            array([1., 1.])
        """
        return self._filled_like(x, 1, dtype, checked_name(name, "ones_like"))

    @operation(creation=True, covered_by_tables=True)
    def arange(self, start: float, stop: float | None = None, step: float = 1, dtype: Any = "int32") -> Tensor:
        """Evenly spaced values, as ``np.arange`` (dtype ``int32`` unless given).

        Examples:
            >>> kt.arange(3).eval()
            array([0, 1, 2], dtype=int32)
        """
        dt = dtypes.dtype_name(dtype)
        values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
        return self._constant_tensor(dtypes.cast_value(values, dt, "arange values"))

    @operation(creation=True, primitives=("native_random",), covered_by_tables=True)
    def random_uniform(self, shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
        """Uniform draws on ``[minval, maxval)``, new ones each evaluation; ``seed`` makes them repeatable.

        Examples:
            >>> r = kt.random_uniform((2, 2), seed=1)
            >>> bool(((r.eval() >= 0) & (r.eval() < 1)).all())
            True
        """
        return self._random("uniform", shape, minval, maxval, dtype, seed)

    @operation(creation=True, primitives=("native_random",), covered_by_tables=True)
    def random_normal(self, shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
        """Normal draws, new ones each evaluation; ``seed`` makes them repeatable.

        Examples:
            >>> kt.random_normal((3,), seed=0).shape
            (3,)
        """
        return self._random("normal", shape, mean, stddev, dtype, seed)

    # -- creation and information (API.md §8) -------------------------------------
    @operation(
        reference=np.array,
        kit=(KitCase(dtypes=("bool", "int8", "uint8", "float32", "float64")),),
    )
    def identity(self, x: Operand, name: str | None = None) -> Tensor:
        """A tensor of the same value, dtype and shape as ``x``.

        Examples:
            >>> kt.identity(kt.constant([1, 2])).eval()
            array([1, 2])
        """
        t = self._tensor(x, "identity argument")
        return self._wrap(t.native, t.dtype, t.shape, t.placeholders, name=checked_name(name, "identity"))

    @operation(
        alias_of="astype",
        reference=_astype,
        kit=(
            KitCase(args=("int32",), dtypes=("bool", "float32", "float64")),
            KitCase(args=("float16",), dtypes=("int8", "uint8", "float64")),
            KitCase(args=("bool",), dtypes=("int32", "float32")),
        ),
    )
    def cast(self, x: Operand, dtype: Any) -> Tensor:
        """``x`` converted to ``dtype`` (Keras's name for ``astype``).

        Examples:
            >>> kt.cast(kt.constant([1.7, -1.7]), "int32").eval()
            array([ 1, -1], dtype=int32)
        """
        return self.astype(x, dtype)

    @operation(
        creation=True,
        reference=_full,
        kit=(
            KitCase(args=((2, 3), 1.5), shapes=(), dtypes=((),), label="kt.full((2, 3), 1.5)"),
            KitCase(args=((2,), 7), shapes=(), dtypes=((),), label="kt.full((2,), 7)"),
            KitCase(args=((2, 2), True), shapes=(), dtypes=((),), label="kt.full((2, 2), True)"),
            KitCase(args=((3,), 2), kwargs={"dtype": "int8"}, shapes=(), dtypes=((),), label="kt.full((3,), 2, dtype='int8')"),
        ),
    )
    def full(self, shape: Sequence[int], value: Any, dtype: Any = None) -> Tensor:
        """A constant of ``shape`` filled with ``value``.

        Without ``dtype``: a float fill gives ``floatx()``, an int fill int64, a bool
        fill bool (a NumPy scalar or 0-d array keeps its dtype unless floating).

        Examples:
            >>> kt.full((2,), 1.5).eval()
            array([1.5, 1.5], dtype=float32)
            >>> kt.full((2,), 3).dtype
            'int64'
        """
        if isinstance(value, Tensor):
            raise TypeError(f"ktensor: full: value must be a number; received {value!r} (use full_like or fill with a tensor op)")
        array = self._array(value, "full value")
        if array.ndim:
            raise ValueError(f"ktensor: full: value must be a scalar; received an array of shape {array.shape}")
        dt = self._default_dtype(array, dtype, "full dtype")
        return self._constant_tensor(np.full(_known_shape("full", shape), array, dtype=dt))

    @operation(
        reference=np.full_like,
        kit=(
            KitCase(args=(2,), dtypes=("bool", "int8", "float32")),
            KitCase(args=(1.5,), dtypes=("int32", "float16", "float64")),
            KitCase(args=(3,), kwargs={"dtype": "float64"}, dtypes=("int8", "float32")),
        ),
    )
    def full_like(self, x: Operand, value: Any, dtype: Any = None) -> Tensor:
        """A tensor of ``x``'s shape (unknown sizes too) filled with ``value``, in ``x``'s
        dtype unless ``dtype`` (``np.full_like``: ``value`` is converted to it).

        Examples:
            >>> kt.full_like(kt.constant([1, 2]), 7).eval()
            array([7, 7])
        """
        t = self._tensor(x, "full_like argument")
        array = self._array(value, "full_like value")
        if array.ndim:
            raise ValueError(f"ktensor: full_like: value must be a scalar; received an array of shape {array.shape}")
        dt = dtypes.dtype_name(dtype, "full_like dtype") if dtype is not None else t.dtype
        fill = np.full((), array, dtype=dt)
        if None not in t.shape:
            return self._constant_tensor(np.full(tuple(d or 0 for d in t.shape), fill, dtype=dt))
        return self._wrap(self.native_full_like(t.native, fill), dt, t.shape, t.placeholders)

    @operation(
        creation=True,
        reference=_linspace,
        kit=(
            KitCase(args=(0, 1, 5), shapes=(), dtypes=((),), label="kt.linspace(0, 1, 5)"),
            KitCase(args=(-2.5, 3, 4), kwargs={"dtype": "float64"}, shapes=(), dtypes=((),), label="kt.linspace(-2.5, 3, 4, dtype='float64')"),
            KitCase(args=(1, 1, 1), shapes=(), dtypes=((),), label="kt.linspace(1, 1, 1)"),
        ),
    )
    def linspace(self, start: float, stop: float, num: int, dtype: Any = None) -> Tensor:
        """``num`` evenly spaced values from ``start`` to ``stop`` included (``np.linspace``),
        in ``floatx()`` unless ``dtype``.

        Examples:
            >>> kt.linspace(0, 1, 3).eval()
            array([0. , 0.5, 1. ], dtype=float32)
        """
        for argument, v in (("start", start), ("stop", stop)):
            if isinstance(v, Tensor) or not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
                raise TypeError(f"ktensor: linspace: {argument} must be a number; received {v!r}")
        if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
            raise ValueError(f"ktensor: linspace: num must be an int >= 0; received {num!r}")
        dt = dtypes.dtype_name(dtype, "linspace dtype") if dtype is not None else config.floatx()
        return self._constant_tensor(np.linspace(float(start), float(stop), int(num)).astype(dt))

    @operation(creation=True, primitives=("native_random",),
               kit_exempt="random draws: range and statistics checked in tests/test_ops_graph.py")
    def random_binomial(self, shape: Sequence[int], p: float = 0.0, dtype: Any = None, seed: int | None = None) -> Tensor:
        """Zeros and ones, 1 with probability ``p``, in ``floatx()`` unless ``dtype`` (a
        float dtype); new draws each evaluation, ``seed`` makes them repeatable.

        Examples:
            >>> kt.random_binomial((4,), p=1.0, seed=0).eval()
            array([1., 1., 1., 1.], dtype=float32)
        """
        if isinstance(p, Tensor) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"ktensor: random_binomial: p must be a number in [0, 1]; received {p!r}")
        _float_dtype("random_binomial", dtype)
        return self._random("binomial", _known_shape("random_binomial", shape), p, 0.0, dtype, seed)

    @operation(creation=True, primitives=("native_random",),
               kit_exempt="random draws: range and statistics checked in tests/test_ops_graph.py")
    def truncated_normal(
        self, shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: int | None = None
    ) -> Tensor:
        """Normal draws cut at ``mean ± 2 stddev`` (values beyond are redrawn, not clipped),
        new ones each evaluation; ``seed`` makes them repeatable.

        Examples:
            >>> r = kt.truncated_normal((100,), stddev=0.5, seed=1).eval()
            >>> bool((abs(r) <= 1.0).all())
            True
        """
        _float_dtype("truncated_normal", dtype)
        return self._random("truncated_normal", _known_shape("truncated_normal", shape), mean, stddev, dtype, seed)

    @operation(creation=True, kit_exempt="a variable of random values: checked in tests/test_ops_graph.py")
    def random_uniform_variable(
        self,
        shape: Sequence[int],
        low: float,
        high: float,
        dtype: Any = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """A variable whose initial value is uniform on ``[low, high)`` (``floatx()`` unless
        ``dtype``); drawn by NumPy's generator, so one ``seed`` gives the same value on
        every engine.

        Examples:
            >>> v = kt.random_uniform_variable((2, 2), 0, 1, seed=3)
            >>> v.shape, bool(((v.get_value() >= 0) & (v.get_value() < 1)).all())
            ((2, 2), True)
        """
        dt = _float_dtype("random_uniform_variable", dtype)
        size = _known_shape("random_uniform_variable", shape)
        rng = np.random.default_rng(checked_seed("random_uniform_variable", seed) if seed is not None else None)
        value = rng.uniform(float(low), float(high), size)
        return self.variable(value.astype(dt), dtype=dt, name=checked_name(name, "random_uniform_variable"))

    @operation(creation=True, kit_exempt="a variable of random values: checked in tests/test_ops_graph.py")
    def random_normal_variable(
        self,
        shape: Sequence[int],
        mean: float,
        scale: float,
        dtype: Any = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """A variable whose initial value is normal (mean ``mean``, stddev ``scale``;
        ``floatx()`` unless ``dtype``); drawn by NumPy's generator, so one ``seed`` gives
        the same value on every engine.

        Examples:
            >>> v = kt.random_normal_variable((3,), 0.0, 1.0, seed=3)
            >>> v.dtype, v.shape
            ('float32', (3,))
        """
        dt = _float_dtype("random_normal_variable", dtype)
        size = _known_shape("random_normal_variable", shape)
        check_distribution("random_normal_variable", "normal", mean, scale, "scale")
        rng = np.random.default_rng(checked_seed("random_normal_variable", seed) if seed is not None else None)
        value = rng.normal(float(mean), float(scale), size)
        return self.variable(value.astype(dt), dtype=dt, name=checked_name(name, "random_normal_variable"))

    @operation(method=False, kit_exempt="returns a Python int (tests/test_ops_graph.py)")
    def count_params(self, x: Operand) -> int:
        """The number of elements of ``x``, as a Python int; every size must be known.

        Examples:
            >>> kt.count_params(kt.zeros((2, 3)))
            6
        """
        t = self._tensor(x, "count_params argument")
        if None in t.shape:
            raise ValueError(
                f"ktensor: count_params needs every size known; {t.label} has shape {shapes.describe(t.shape)}"
            )
        return int(math.prod(d for d in t.shape if d is not None))

    @operation(method=False, kit_exempt="returns a Python tuple, the static shape (tests/test_ops_graph.py)")
    def int_shape(self, x: Operand) -> tuple[int | None, ...]:
        """The static shape of ``x`` (``x.shape``): ints, ``None`` where known only at run time.

        Examples:
            >>> kt.int_shape(kt.placeholder(shape=(None, 3)))
            (None, 3)
        """
        return self._tensor(x, "int_shape argument").shape

    @operation(method=False, kit_exempt="returns a Python int (tests/test_ops_graph.py)")
    def ndim(self, x: Operand) -> int:
        """The number of dimensions of ``x`` (``x.ndim``).

        Examples:
            >>> kt.ndim(kt.zeros((2, 3)))
            2
        """
        return self._tensor(x, "ndim argument").ndim

    @operation(method=False, kit_exempt="returns a dtype name (tests/test_ops_graph.py)")
    def dtype(self, x: Operand) -> str:
        """The dtype name of ``x`` (``x.dtype``).

        Examples:
            >>> kt.dtype(kt.zeros((2,), dtype="int8"))
            'int8'
        """
        return self._tensor(x, "dtype argument").dtype

    @operation(method=False, kit_exempt="a Python predicate (tests/test_ops_graph.py)")
    def is_tensor(self, x: Any) -> bool:
        """Whether ``x`` is a ktensor ``Tensor`` (placeholder, variable, constant or expression).

        Examples:
            >>> kt.is_tensor(kt.zeros((2,))), kt.is_tensor([1.0])
            (True, False)
        """
        return isinstance(x, Tensor)

    @operation(method=False, kit_exempt="a Python predicate (tests/test_ops_graph.py)")
    def is_placeholder(self, x: Any) -> bool:
        """Whether ``x`` is a placeholder (``kt.placeholder``).

        Examples:
            >>> kt.is_placeholder(kt.placeholder(shape=(2,))), kt.is_placeholder(kt.zeros((2,)))
            (True, False)
        """
        return isinstance(x, Tensor) and x.role == "placeholder"

    @operation(method=False, kit_exempt="a Python predicate (tests/test_ops_graph.py)")
    def is_variable(self, x: Any) -> bool:
        """Whether ``x`` is a variable (``kt.variable``).

        Examples:
            >>> kt.is_variable(kt.variable([1.0])), kt.is_variable(kt.constant([1.0]))
            (True, False)
        """
        return isinstance(x, Tensor) and x.role == "variable"

    @operation(
        method=False,
        reference=_shape,
        kit=(KitCase(dtypes=("bool", "int8", "float32"), shapes=((2, 3, 4),)), KitCase(dtypes=("float64",), shapes=((),))),
    )
    def shape(self, x: Operand) -> Tensor:
        """The run-time shape of ``x``: a 1-D int64 tensor (``int_shape`` is the static one).

        Examples:
            >>> x = kt.placeholder(shape=(None, 3))
            >>> kt.shape(x).eval({x: [[1.0, 2.0, 3.0]] * 2})
            array([2, 3])
        """
        t = self._tensor(x, "shape argument")
        if not t.ndim:
            return self._constant_tensor(np.zeros((0,), "int64"))
        return self.stack([self._dim(t, a) for a in range(t.ndim)])

    @operation(
        method=False,
        reference=_size,
        kit=(KitCase(dtypes=("bool", "int8", "float32"), shapes=((2, 3, 4),)), KitCase(dtypes=("float64",), shapes=((),))),
    )
    def size(self, x: Operand) -> Tensor:
        """The run-time number of elements of ``x``: a 0-d int64 tensor.

        Examples:
            >>> x = kt.placeholder(shape=(None, 3))
            >>> kt.size(x).eval({x: [[1.0, 2.0, 3.0]] * 2})
            array(6)
        """
        t = self._tensor(x, "size argument")
        if None not in t.shape:
            return self._constant_tensor(np.array(math.prod(d for d in t.shape if d is not None), "int64"))
        total: Tensor | None = None
        for a in range(t.ndim):
            dim = self._dim(t, a)
            total = dim if total is None else self.multiply(total, dim)
        assert total is not None
        return total

    def _dim(self, t: Tensor, axis: int) -> Tensor:
        """Axis ``axis``'s size as a 0-d int64 tensor: a constant where known."""
        known = t.shape[axis]
        if known is not None:
            return self._constant_tensor(np.array(known, "int64"))
        return self._wrap(self.native_dim(t.native, axis), "int64", (), t.placeholders)


def _known_shape(op: str, shape: Any) -> tuple[int, ...]:
    """A creation shape of known sizes (:func:`ktensor.shapes.concrete`), naming ``op``."""
    return shapes.concrete(shape, op)


def _float_dtype(op: str, dtype: Any) -> str:
    """``dtype`` (``floatx()`` for None), refused with a ``TypeError`` unless floating."""
    dt = dtypes.dtype_name(dtype, f"{op} dtype") if dtype is not None else config.floatx()
    if not dtypes.is_float(dt):
        raise TypeError(f"ktensor: {op}: dtype must be a float dtype; received {dt!r}")
    return dt
