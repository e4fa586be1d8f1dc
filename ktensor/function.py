"""Compiled functions: argument checks and casting, then one engine call.

Examples:
    >>> import ktensor as kt
    >>> x = kt.placeholder(shape=(None, 2), name="x")
    >>> w = kt.variable([[1.0], [2.0]], name="w")
    >>> f = kt.function([x], x @ w, updates=[(w, w * 2)])
    >>> f([[1.0, 1.0]])
    array([[3.]], dtype=float32)
    >>> w.get_value().ravel()
    array([2., 4.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
import numpy as np

from ktensor import dtypes, shapes
from ktensor.tensor import Tensor, checked_name

if TYPE_CHECKING:
    from ktensor.backends.base import Backend, CompiledCall


class EngineError(RuntimeError):
    """An engine failed while running a compiled function (e.g. an index out of range).

    The engine's own exception is chained as ``__cause__``.
    """


class _Input(NamedTuple):
    """What a call needs to check about one placeholder, read once at compile time."""

    label: str
    dtype: str
    numpy_dtype: np.dtype[Any]
    shape: shapes.Shape
    #: The shape itself when every dimension is known: one tuple comparison per call.
    static_shape: tuple[int, ...] | None = None

    @classmethod
    def of(cls, placeholder: Tensor) -> _Input:
        """The checks for one placeholder."""
        shape = placeholder.shape
        static = None if None in shape else tuple(int(d) for d in shape if d is not None)
        return cls(placeholder.label, placeholder.dtype, np.dtype(placeholder.dtype), shape, static)


@attrs.define(eq=False)
class Function:
    """A compiled function: NumPy arrays in, NumPy arrays out.

    Build it with ``kt.function(inputs, outputs, updates=None, name=None)``.
    Each call checks the argument count (``TypeError``), each array's shape
    against its placeholder (``ValueError`` naming it) and casts each value to the
    placeholder's dtype when NumPy's ``same_kind`` rule allows (else ``TypeError``).
    It may be called from several threads at once.
    """

    backend: Backend
    name: str
    _inputs: tuple[_Input, ...]
    _single: bool
    _call: CompiledCall
    # The fast path's view of _inputs: exact dtypes and fully known shapes.
    _dtypes: tuple[np.dtype[Any], ...] = attrs.field(init=False)
    _shapes: tuple[tuple[int, ...] | None, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._dtypes = tuple(spec.numpy_dtype for spec in self._inputs)
        self._shapes = tuple(spec.static_shape for spec in self._inputs)

    @classmethod
    def build(
        cls,
        backend: Backend,
        inputs: Sequence[Tensor],
        outputs: Tensor | Sequence[Tensor],
        updates: Sequence[tuple[Tensor, Any]] | None,
        name: str | None,
    ) -> Function:
        """Check the pieces and compile them on ``backend``."""
        label = checked_name(name, "function") or "function"
        if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
            raise TypeError(f"ktensor: {label}: inputs must be a list of placeholders; received {inputs!r}")
        for i, p in enumerate(inputs):
            if not isinstance(p, Tensor) or p.role != "placeholder":
                raise TypeError(f"ktensor: {label}: inputs[{i}] must be a placeholder; received {p!r}")
            backend._check_mine(p, f"{label} inputs[{i}]")
        if len({id(p) for p in inputs}) != len(inputs):
            raise ValueError(f"ktensor: {label}: a placeholder appears twice in inputs")
        single = not isinstance(outputs, (list, tuple))
        output_list = [outputs] if single else list(outputs)
        outs = [backend._tensor(o, f"{label} outputs[{i}]") for i, o in enumerate(output_list)]
        pairs = _check_updates(backend, updates or [], label)
        needed = backend._placeholders(*outs, *(value for _, value in pairs))
        missing = [p for p in needed if all(p is not q for q in inputs)]
        if missing:
            names = ", ".join(sorted(p.label for p in missing))
            raise ValueError(
                f"ktensor: {label}: the outputs depend on {names}, which is not among the inputs; "
                f"add it to inputs (or to the feed of eval)"
            )
        call = backend.native_compile(
            [p.native for p in inputs],
            [o.native for o in outs],
            [(variable.handle, value.native) for variable, value in pairs],
        )
        if hasattr(call, "label"):  # a call that logs what it does names its function
            call.label = label
        checks = tuple(_Input.of(p) for p in inputs)
        return cls(backend, label, checks, single, call)

    def __call__(self, *arrays: Any) -> Any:
        """Run the function on ``arrays`` (one per input placeholder).

        Keras 2's calling form, one list holding an array per input (``f([a, b])``), is
        taken too, wherever reading the list as the first array would be an error.
        """
        if len(arrays) != len(self._inputs):
            if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)) and len(arrays[0]) == len(self._inputs):
                arrays = tuple(arrays[0])
            else:
                raise TypeError(
                    f"ktensor: {self.name} takes {len(self._inputs)} argument(s) "
                    f"({', '.join(i.label for i in self._inputs)}); received {len(arrays)}"
                )
        # The common case (an ndarray of the exact dtype and, when fully known, the
        # exact shape) costs three comparisons per argument and no copy; anything
        # else goes through _checked, which casts, or raises naming the placeholder.
        values: Sequence[Any] = arrays
        for value, dtype, shape in zip(arrays, self._dtypes, self._shapes):
            if type(value) is not np.ndarray or value.dtype is not dtype or value.shape != shape:
                values = self._converted(arrays)
                break
        try:
            results = self._call(values)
        except Exception as error:
            raise EngineError(
                f"ktensor: {self.backend.name} failed while running {self.name}: "
                f"{self.backend.describe_engine_error(error)} "
                f"(often an index out of range or a run-time shape mismatch)"
            ) from error
        if self._single:
            first = results[0]
            return first if type(first) is np.ndarray else np.asarray(first)
        return [r if type(r) is np.ndarray else np.asarray(r) for r in results]


    @property
    def engine_mode(self) -> str | None:
        """The engine mode this function runs in now, where the backend picks one per
        function (the theano backend's ``mode="AUTO"``: ``"CVM"``, then ``"JAX"`` if
        JAX ran it faster; the tensorflow backend's ``jit_compile="auto"``: ``"graph"``,
        then ``"xla"``); ``None`` where the backend's mode is the only one."""
        mode = getattr(self._call, "mode", None)
        return mode if isinstance(mode, str) else None

    @property
    def settled(self) -> bool:
        """``False`` while the backend is still measuring which mode runs this function
        faster (theano ``mode="AUTO"``, tensorflow ``jit_compile="auto"``), ``True`` once
        it has chosen or where there is no choice."""
        return bool(getattr(self._call, "settled", True))

    def _converted(self, arrays: Sequence[Any]) -> list[np.ndarray]:
        """Each argument checked and cast; ``f([a])`` read as Keras 2's calling form when
        reading ``[a]`` as the one array fails."""
        try:
            return [_checked(spec, value) for spec, value in zip(self._inputs, arrays)]
        except (TypeError, ValueError):
            keras_form = len(arrays) == 1 and isinstance(arrays[0], (list, tuple)) and len(arrays[0]) == 1
            if not keras_form:
                raise
            try:
                return [_checked(self._inputs[0], arrays[0][0])]
            except (TypeError, ValueError):
                pass
            raise


def _check_updates(backend: Backend, updates: Any, label: str) -> list[tuple[Tensor, Tensor]]:
    if isinstance(updates, dict):
        updates = list(updates.items())
    if not isinstance(updates, (list, tuple)):
        raise TypeError(
            f"ktensor: {label}: updates must be a list of (variable, new_value) pairs (or a dict); "
            f"received {updates!r}"
        )
    pairs: list[tuple[Tensor, Tensor]] = []
    seen: set[int] = set()
    for i, pair in enumerate(updates):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"ktensor: {label}: updates[{i}] must be a (variable, new_value) pair; received {pair!r}")
        variable, value = pair
        if not isinstance(variable, Tensor) or variable.role != "variable":
            raise TypeError(f"ktensor: {label}: updates[{i}][0] must be a variable; received {variable!r}")
        backend._check_mine(variable, f"{label} updates[{i}] variable")
        if id(variable) in seen:
            raise ValueError(f"ktensor: {label}: {variable.label} is updated twice; give each variable one update")
        seen.add(id(variable))
        new = backend._tensor(value, f"{label} updates[{i}] new value")
        if not dtypes.can_cast(new.dtype, variable.dtype):
            raise TypeError(
                f"ktensor: {label}: the update of {variable.label} has dtype {new.dtype}, which does not "
                f"cast to {variable.dtype} under the same_kind rule"
            )
        if len(new.shape) != len(variable.shape) or any(
            d is not None and d != want for d, want in zip(new.shape, variable.shape)
        ):
            raise ValueError(
                f"ktensor: {label}: the update of {variable.label} has shape "
                f"{shapes.describe(new.shape)}, expected {shapes.describe(variable.shape)}"
            )
        pairs.append((variable, backend.astype(_same_shape_at_run_time(backend, new, variable, label), variable.dtype)))
    return pairs


def _same_shape_at_run_time(backend: Backend, new: Tensor, variable: Tensor, label: str) -> Tensor:
    """``new``, checked at run time to have ``variable``'s size on each axis it does not
    know when built (as index bounds are), so the engine never sees a wrong shape."""
    native = new.native
    for axis, (d, want) in enumerate(zip(new.shape, variable.shape)):
        if d is None:
            size = backend.native_constant(np.asarray(want, "int64"))
            same = backend.native_elementwise("equal", backend.native_dim(new.native, axis), size)
            native = backend.native_assert(
                native, same,
                f"ktensor: {label}: the update of {variable.label} does not have size {want} on axis {axis} "
                f"at run time (expected shape {shapes.describe(variable.shape)})",
            )
    if native is new.native:
        return new
    return backend._wrap(native, new.dtype, variable.shape, new.placeholders)


def _checked(spec: _Input, value: Any) -> np.ndarray:
    try:
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError(f"ktensor: {spec.label}: the value given cannot be made an array ({error})") from None
    if array.dtype != spec.numpy_dtype:
        if not dtypes.can_cast(array.dtype, spec.dtype):
            raise TypeError(
                f"ktensor: {spec.label} expects dtype {spec.dtype}; received an array of dtype "
                f"{array.dtype}, which does not cast to it under the same_kind rule"
            )
        array = dtypes.cast_value(array, spec.dtype, spec.label)
    shape = array.shape
    if len(shape) != len(spec.shape) or any(
        want is not None and want != got for want, got in zip(spec.shape, shape)
    ):
        raise ValueError(
            f"ktensor: {spec.label} expects shape {shapes.describe(spec.shape)}; received an array "
            f"of shape {shapes.describe(shape)}"
        )
    return array
