"""Graph control: loops over the first axis (``map_fn``, ``foldl``, ``foldr``) and
``print_tensor``.

The loops run through the engine's ``native_scan``: the user's function is called once,
on tensors of this backend standing for one element (and the accumulator), to build the
loop body; gradients flow through the loop, to the elements, the initializer and any
tensor the function closes over.

Examples:
    >>> kt.map_fn(lambda x: x * x, kt.constant([1.0, 2.0, 3.0])).eval()
    array([1., 4., 9.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core, Native
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor, checked_name


# -- the kit's functions and NumPy references (module level: the kit renders them) ---
def square(x: Any) -> Any:
    """``x * x``, for tensors and arrays alike (a kit row's ``fn``)."""
    return x * x


def add(a: Any, x: Any) -> Any:
    """``a + x``, for tensors and arrays alike (a kit row's ``fn``)."""
    return a + x


def _map_reference(fn: Callable[[Any], Any], elems: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(fn(e)) for e in elems])


def _foldl_reference(fn: Callable[[Any, Any], Any], elems: np.ndarray, initializer: Any = None) -> np.ndarray:
    items = list(elems)
    acc = np.asarray(initializer) if initializer is not None else items.pop(0)
    for e in items:
        new = np.asarray(fn(acc, e))
        if not np.can_cast(new.dtype, acc.dtype, "same_kind"):
            raise TypeError(f"fn gives {new.dtype}, the accumulator is {acc.dtype}")
        acc = new.astype(acc.dtype)
    return np.asarray(acc)


def _foldr_reference(fn: Callable[[Any, Any], Any], elems: np.ndarray, initializer: Any = None) -> np.ndarray:
    return _foldl_reference(fn, elems[::-1], initializer)


def _print_reference(x: np.ndarray, message: str = "") -> np.ndarray:
    return np.array(x)


_KIT_DTYPES = ("int8", "int32", "float32", "float64")


class ControlOps(Core):
    """Loops over the first axis, and printing."""

    def _loop_arguments(self, op: str, fn: Any, elems: Any) -> tuple[Callable[..., Any], Tensor]:
        if not callable(fn):
            raise TypeError(f"ktensor: {op}: fn must be a callable; received {fn!r}")
        seq = self._tensor(elems, f"{op} elems")
        if seq.ndim == 0:
            raise ValueError(f"ktensor: {op}: elems must have at least 1 dimension (the one looped over); received {seq!r}")
        return fn, seq

    def _result(self, op: str, value: Any, dtype: str | None, shape: shapes.Shape | None) -> Tensor:
        """A step's result as a tensor, cast to ``dtype`` (same_kind) of ``shape``."""
        if isinstance(value, (list, tuple)):
            raise TypeError(f"ktensor: {op}: fn must return one tensor; received a {type(value).__name__}")
        out = self._tensor(value, f"{op} result of fn")
        if dtype is not None and out.dtype != dtype:
            if not dtypes.can_cast(out.dtype, dtype):
                raise TypeError(
                    f"ktensor: {op}: fn returned dtype {out.dtype}, which does not cast to the "
                    f"accumulator's {dtype} under the same_kind rule"
                )
            out = self.astype(out, dtype)
        if shape is not None and (
            len(out.shape) != len(shape) or any(a is not None and b is not None and a != b for a, b in zip(out.shape, shape))
        ):
            raise ValueError(
                f"ktensor: {op}: fn returned shape {shapes.describe(out.shape)}; the accumulator has "
                f"shape {shapes.describe(shape)}"
            )
        return out

    @operation(
        method=False,
        reference=_map_reference,
        kit=(
            KitCase(leading=(square,), dtypes=_KIT_DTYPES, grad=True),
            KitCase(leading=(square,), dtypes=("bool", "float32"), shapes=((3,),), label="kt.map_fn(square, t) of 1-D"),
        ),
    )
    def map_fn(self, fn: Callable[[Tensor], Any], elems: Operand, name: str | None = None, dtype: Any = None) -> Tensor:
        """``fn`` applied to each element of ``elems`` along axis 0, the results stacked.

        ``fn`` is called once, on a tensor standing for one element, to build the loop;
        its result's dtype and shape are the output's (``dtype`` casts it). Gradients
        flow through the loop.

        Examples:
            >>> kt.map_fn(lambda row: row.sum(), kt.constant([[1, 2], [3, 4]])).eval()
            array([3, 7])
        """
        name = checked_name(name, "map_fn")
        fn, seq = self._loop_arguments("map_fn", fn, elems)
        target = dtypes.dtype_name(dtype, "map_fn dtype") if dtype is not None else None
        traced: list[Tensor] = []

        def step(items: list[Native], states: list[Native]) -> tuple[list[Native], list[Native]]:
            item = self._wrap(items[0], seq.dtype, seq.shape[1:])
            out = self._result("map_fn", fn(item), None, None)
            if target is not None:
                out = self.astype(out, target)
            traced.append(out)
            return [out.native], []

        outputs, _ = self.native_scan(step, [seq.native], [], False)
        out = traced[-1]
        return self._wrap(outputs[0], out.dtype, (seq.shape[0], *out.shape), self._placeholders(seq, out), name=name)

    def _fold(self, op: str, fn: Any, elems: Any, initializer: Any, reverse: bool, name: str | None) -> Tensor:
        name = checked_name(name, op)
        fn, seq = self._loop_arguments(op, fn, elems)
        if initializer is None:
            if seq.shape[0] == 0:
                raise ValueError(f"ktensor: {op}: elems is empty and there is no initializer to start from")
            init = self.getitem(seq, -1 if reverse else 0)
            rest = self.getitem(seq, slice(None, -1) if reverse else slice(1, None))
        else:
            init = self._tensor(initializer, f"{op} initializer")
            rest = seq
        used: list[Tensor] = []

        def step(items: list[Native], states: list[Native]) -> tuple[list[Native], list[Native]]:
            acc = self._wrap(states[0], init.dtype, init.shape)
            item = self._wrap(items[0], seq.dtype, seq.shape[1:])
            new = self._result(op, fn(acc, item), init.dtype, init.shape)
            used.append(new)
            return [], [new.native]

        _, (final,) = self.native_scan(step, [rest.native], [init.native], reverse)
        placeholders = self._placeholders(seq, init, *used[-1:])
        return self._wrap(final, init.dtype, init.shape, placeholders, name=name)

    @operation(
        method=False,
        reference=_foldl_reference,
        kit=(
            KitCase(leading=(add,), dtypes=_KIT_DTYPES, grad=True),
            KitCase(leading=(add,), args=(0.5,), dtypes=("int8", "float32"), shapes=((3,),)),
        ),
    )
    def foldl(self, fn: Callable[[Tensor, Tensor], Any], elems: Operand, initializer: Any = None, name: str | None = None) -> Tensor:
        """Reduce ``elems`` along axis 0 from the first element: ``acc = fn(acc, x)``.

        Without ``initializer`` the first element is the start and the loop runs over
        the others. The accumulator keeps its dtype and shape: ``fn``'s result is cast to
        it (``same_kind``). Gradients flow through the loop.

        Examples:
            >>> kt.foldl(lambda acc, x: acc * 10 + x, kt.constant([1, 2, 3])).eval()
            array(123)
        """
        return self._fold("foldl", fn, elems, initializer, False, name)

    @operation(
        method=False,
        reference=_foldr_reference,
        kit=(
            KitCase(leading=(add,), dtypes=_KIT_DTYPES, grad=True),
            KitCase(leading=(add,), args=(2,), dtypes=("int8", "int32"), shapes=((3,),)),
        ),
    )
    def foldr(self, fn: Callable[[Tensor, Tensor], Any], elems: Operand, initializer: Any = None, name: str | None = None) -> Tensor:
        """Reduce ``elems`` along axis 0 from the last element: ``acc = fn(acc, x)``.

        Without ``initializer`` the last element is the start and the loop runs over
        the others, last to first. As ``foldl`` otherwise.

        Examples:
            >>> kt.foldr(lambda acc, x: acc * 10 + x, kt.constant([1, 2, 3])).eval()
            array(321)
        """
        return self._fold("foldr", fn, elems, initializer, True, name)

    @operation(
        reference=_print_reference,
        kit=(KitCase(args=("kit print_tensor: ",), dtypes=("bool", "int32", "float32")),),
    )
    def print_tensor(self, x: Operand, message: str = "") -> Tensor:
        """``x`` unchanged; each run that computes it prints ``message`` and the value
        (to standard output).

        Examples:
            >>> kt.print_tensor(kt.constant([1, 2]), "x =").shape
            (2,)
        """
        if not isinstance(message, str):
            raise TypeError(f"ktensor: print_tensor: message must be a string; received {message!r}")
        t = self._tensor(x, "print_tensor argument")
        return self._wrap(self.native_print(t.native, message), t.dtype, t.shape, t.placeholders)
