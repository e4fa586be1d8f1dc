"""Creating tensors: placeholders, variables, constants, filled tensors and random draws.

``dtype=None`` means: placeholders and floating data take ``kt.floatx()`` (Keras's rule);
an integer or boolean array keeps its dtype; Python ints become int64, bools bool.

Examples:
    >>> kt.constant([1, 2]).dtype, kt.constant(1.5).dtype
    ('int64', 'float32')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import config, dtypes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Operand, Tensor


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
        if shape is None:
            if ndim is None:
                raise TypeError("ktensor: placeholder needs shape=(...) or ndim=N")
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
        if ndim is not None and ndim != len(static):
            raise ValueError(f"ktensor: placeholder: ndim={ndim} contradicts shape={static!r}")
        dt = dtypes.dtype_name(dtype, "placeholder dtype") if dtype is not None else config.floatx()
        native = self.native_placeholder(static, dt, name)
        tensor = self._wrap(native, dt, static, role="placeholder", name=name)
        tensor.placeholders = frozenset((tensor,))
        return tensor

    @operation(creation=True, covered_by_tables=True)
    def constant(self, value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
        """A constant; ``dtype=None`` gives floating data ``floatx()``, other data its NumPy dtype.

        Examples:
            >>> kt.constant([1, 2]).dtype, kt.constant(1.5).dtype
            ('int64', 'float32')
        """
        if isinstance(value, Tensor):
            self._check_mine(value, "constant value")
            return value if dtype is None else self.astype(value, dtype)
        array = self._array(value, "constant value")
        return self._constant_tensor(array.astype(self._default_dtype(array, dtype, "constant dtype")), name)

    @operation(creation=True, covered_by_tables=True)
    def variable(self, value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
        """A variable holding a copy of ``value``; see ``constant`` for the dtype rule.

        Examples:
            >>> v = kt.variable([1.0, 2.0])
            >>> v.set_value([3.0, 4.0]); v.get_value()
            array([3., 4.], dtype=float32)
        """
        if isinstance(value, Tensor):
            value = value.eval()
        array = self._array(value, "variable value")
        array = np.array(array, dtype=self._default_dtype(array, dtype, "variable dtype"))
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
    def zeros(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        """A constant of zeros (``floatx()`` unless ``dtype``).

        Examples:
            >>> kt.zeros((2,)).eval()
            array([0., 0.], dtype=float32)
        """
        return self._filled(shape, 0, dtype)

    @operation(creation=True, covered_by_tables=True)
    def ones(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        """A constant of ones (``floatx()`` unless ``dtype``).

        Examples:
            >>> kt.ones((2,), dtype="int32").eval()
            array([1, 1], dtype=int32)
        """
        return self._filled(shape, 1, dtype)

    @operation(creation=True, covered_by_tables=True)
    def eye(self, n: int, m: int | None = None, dtype: Any = None) -> Tensor:
        """An identity matrix (``floatx()`` unless ``dtype``).

        Examples:
            >>> kt.eye(2).eval()
            array([[1., 0.],
                   [0., 1.]], dtype=float32)
        """
        dt = dtypes.dtype_name(dtype) if dtype is not None else config.floatx()
        return self._constant_tensor(np.eye(n, m, dtype=dt))

    @operation(covered_by_tables=True)
    def zeros_like(self, x: Operand, dtype: Any = None) -> Tensor:
        """Zeros of ``x``'s shape, in ``x``'s dtype unless ``dtype``.

        Examples:
            >>> kt.zeros_like(kt.constant([1, 2])).eval()
            array([0, 0])
        """
        return self._filled_like(x, 0, dtype)

    @operation(covered_by_tables=True)
    def ones_like(self, x: Operand, dtype: Any = None) -> Tensor:
        """Ones of ``x``'s shape, in ``x``'s dtype unless ``dtype``.

        Examples:
            >>> kt.ones_like(kt.constant([1, 2]), dtype="float64").eval()
            array([1., 1.])
        """
        return self._filled_like(x, 1, dtype)

    @operation(creation=True, covered_by_tables=True)
    def arange(self, start: float, stop: float | None = None, step: float = 1, dtype: Any = "int32") -> Tensor:
        """Evenly spaced values, as ``np.arange`` (dtype ``int32`` unless given).

        Examples:
            >>> kt.arange(3).eval()
            array([0, 1, 2], dtype=int32)
        """
        dt = dtypes.dtype_name(dtype)
        values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
        return self._constant_tensor(values.astype(dt))

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
