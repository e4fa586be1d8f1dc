"""Gradients, compiled functions and evaluation.

Examples:
    >>> w = kt.variable([1.0, 2.0])
    >>> [g] = kt.gradients((w * w).sum(), [w])
    >>> g.eval()
    array([2., 4.], dtype=float32)
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ktensor import dtypes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Operand, Tensor

if TYPE_CHECKING:
    from ktensor.backends.base import Backend


class AutodiffOps(Core):
    """Gradients, compiled functions and evaluation."""

    @operation(method=False, covered_by_tables=True)
    def gradients(self, loss: Operand, wrt: Sequence[Tensor]) -> list[Tensor]:
        """Symbolic gradients of ``loss`` (summed first if not scalar) for each of ``wrt``.

        A disconnected tensor gets zeros; integer and bool tensors are refused.

        Examples:
            >>> w = kt.variable([1.0, 2.0])
            >>> [g] = kt.gradients((w * w).sum(), [w])
            >>> g.eval()
            array([2., 4.], dtype=float32)
        """
        target = self._tensor(loss, "gradients loss")
        if not dtypes.is_float(target.dtype):
            raise TypeError(f"ktensor: gradients: loss must be floating; received dtype {target.dtype}")
        if target.ndim:
            target = self.sum(target)
        if isinstance(wrt, Tensor):
            raise TypeError("ktensor: gradients: wrt must be a list of tensors, e.g. [w, b]")
        sources = [self._tensor(w, f"gradients wrt[{i}]") for i, w in enumerate(wrt)]
        for i, w in enumerate(sources):
            if not dtypes.is_float(w.dtype):
                raise TypeError(
                    f"ktensor: gradients: wrt[{i}] ({w.label}) has dtype {w.dtype}; only floating "
                    f"tensors have gradients"
                )
        grads = self.native_gradients(target.native, [w.native for w in sources])
        result = []
        for w, g in zip(sources, grads):
            if g is None:
                result.append(self.zeros_like(w))
            else:
                native = self._cast_native(g, self.native_dtype(g), w.dtype)
                result.append(self._wrap(native, w.dtype, w.shape, self._placeholders(target, w)))
        return result

    @operation(method=False, kit_exempt="every kit row is compiled and run with kt.function")
    def function(
        self,
        inputs: Sequence[Tensor],
        outputs: Any,
        updates: Sequence[tuple[Tensor, Operand]] | None = None,
        name: str | None = None,
    ) -> Any:
        """Compile ``outputs`` of ``inputs`` (placeholders); see ``ktensor.Function``.

        Examples:
            >>> x = kt.placeholder(shape=(2,))
            >>> f = kt.function([x], [x + 1, x * 2])
            >>> f([1.0, 2.0])
            [array([2., 3.], dtype=float32), array([2., 4.], dtype=float32)]
        """
        from ktensor.function import Function

        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"ktensor: function inputs must be a list of placeholders, e.g. [x]; received {inputs!r}")
        return Function.build(cast("Backend", self), inputs, outputs, updates, name)

    @operation(kit_exempt="a host-side call of a compiled function (tests/test_core.py)")
    def eval(self, x: Operand, feed: Mapping[Tensor, Any] | None = None) -> np.ndarray:
        """The value of ``x``; ``feed`` maps placeholders to arrays. Compiled once per feed set.

        Examples:
            >>> x = kt.placeholder(shape=(2,))
            >>> kt.eval(x * 2, {x: [1.0, 2.0]})
            array([2., 4.], dtype=float32)
        """
        self._check_mine(x, "evaluated tensor")
        feed = dict(feed or {})
        inputs = sorted(feed, key=id)
        # setdefault: a subclass whose __init__ forgot super().__init__() still works.
        caches: dict[int, dict[tuple[int, ...], Any]] = self.__dict__.setdefault("_eval_cache", {})
        cache = caches.get(id(x))
        if cache is None:
            cache = caches[id(x)] = {}
            weakref.finalize(x, caches.pop, id(x), None)
        key = tuple(id(p) for p in inputs)
        entry = cache.get(key)
        # The entry keeps its placeholders alive, so their ids cannot be reused.
        if entry is None or any(a is not b for a, b in zip(entry[0], inputs)):
            entry = cache[key] = (tuple(inputs), self.function(inputs, x, name="eval"))
        return entry[1](*[feed[p] for p in inputs])
