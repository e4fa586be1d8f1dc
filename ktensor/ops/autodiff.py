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
from ktensor.ops.declare import KitCase, operation
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
        if feed is not None and not isinstance(feed, Mapping):
            raise TypeError(
                "ktensor: eval: feed must be a dict mapping placeholders to values, e.g. "
                f"t.eval({{x: [1.0, 2.0]}}); received {feed!r}"
            )
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

    @operation(
        reference=np.array,
        kit=(KitCase(dtypes=("bool", "int8", "float32", "float64")),),
    )
    def stop_gradient(self, variables: Any) -> Any:
        """``variables`` unchanged, with no gradient flowing through; a list of tensors
        gives a list.

        Examples:
            >>> w = kt.variable([1.0, 2.0])
            >>> [g] = kt.gradients((w * kt.stop_gradient(w)).sum(), [w])
            >>> g.eval()
            array([1., 2.], dtype=float32)
        """
        if isinstance(variables, (list, tuple)) and any(isinstance(v, Tensor) for v in variables):
            return [self.stop_gradient(v) for v in variables]
        t = self._tensor(variables, "stop_gradient argument")
        return self._wrap(self.native_stop_gradient(t.native), t.dtype, t.shape, t.placeholders)

    @operation(method=False, kit_exempt="checked against analytic Jacobians in tests/test_ops_graph.py")
    def jacobian(self, y: Operand, x: Tensor) -> Tensor:
        """``dy/dx``, of shape ``y.shape + x.shape``: one gradient per element of ``y``.

        ``y`` needs a known shape (it is differentiated element by element, fine for
        small ``y``) and ``x``'s shape must be known unless ``y`` is at most 1-D.

        Examples:
            >>> x = kt.variable([1.0, 2.0])
            >>> kt.jacobian(x * x, x).eval()
            array([[2., 0.],
                   [0., 4.]], dtype=float32)
        """
        target = self._tensor(y, "jacobian y")
        source = self._tensor(x, "jacobian x")
        for argument, t in (("y", target), ("x", source)):
            if not dtypes.is_float(t.dtype):
                raise TypeError(f"ktensor: jacobian: {argument} must be floating; received dtype {t.dtype}")
        if None in target.shape:
            raise ValueError(
                f"ktensor: jacobian needs y of known shape; received {target.label}"
            )
        if target.ndim == 0:
            return self.gradients(target, [source])[0]
        if None in source.shape and target.ndim > 1:
            raise ValueError(
                f"ktensor: jacobian of a {target.ndim}-D y needs x of known shape; received {source.label}"
            )
        n = int(np.prod([d or 0 for d in target.shape]))
        if n == 0:
            return self.zeros(tuple(int(d or 0) for d in (*target.shape, *source.shape)), dtype=source.dtype)
        flat = self.reshape(target, (-1,))
        rows = [self.gradients(self.getitem(flat, i), [source])[0] for i in range(n)]
        stacked = self.stack(rows)
        if target.ndim == 1:
            return stacked
        return self.reshape(stacked, tuple(int(d or 0) for d in (*target.shape, *source.shape)))

    @operation(method=False, kit_exempt="checked against analytic Hessians in tests/test_ops_graph.py")
    def hessian(self, y: Operand, x: Tensor) -> Tensor:
        """The second derivatives of the scalar ``y``: ``jacobian(gradient of y, x)``, of
        shape ``x.shape + x.shape`` (``x`` of known shape).

        Examples:
            >>> x = kt.variable([1.0, 2.0])
            >>> kt.hessian((x * x * x).sum(), x).eval()
            array([[ 6.,  0.],
                   [ 0., 12.]], dtype=float32)
        """
        target = self._tensor(y, "hessian y")
        if target.ndim != 0:
            raise ValueError(f"ktensor: hessian needs a scalar y; received shape {target.shape}")
        source = self._tensor(x, "hessian x")
        if None in source.shape:
            raise ValueError(f"ktensor: hessian needs x of known shape; received {source.label}")
        [grad] = self.gradients(target, [source])
        return self.jacobian(grad, source)
