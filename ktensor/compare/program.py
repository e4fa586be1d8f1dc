"""What ``kt.compare`` builds on each backend: the user's function on placeholders.

A :class:`Program` holds the function, the placeholders' shapes and dtypes (taken from
the example inputs, ``batch_axis`` left unknown), the variables, and the task:
``"forward"`` (the function's outputs) or ``"gradients"`` (its outputs and the
gradients of their sum with respect to the variables — a training step's forward and
backward pass, without an update, so every call sees the same values).

:meth:`Program.build` runs the function once inside ``kt.use_backend`` and returns a
:class:`Built`; :func:`compile_built` compiles it with ``kt.function`` into a call on
NumPy arrays. The benchmark suite builds its ktensor variants with these too; its
training workloads return a :class:`Step` (outputs and ``(variable, new value)``
updates) instead of plain outputs.

Examples:
    >>> import numpy as np
    >>> import ktensor as kt
    >>> program = Program.from_arrays(lambda x, w: kt.tanh(x @ w), [np.ones((2, 3), "float32")],
    ...                               {"w": np.ones((3, 1), "float32")}, task="gradients")
    >>> [(s.name, s.shape, s.dtype) for s in program.inputs]
    [('x', (2, 3), 'float32')]
    >>> call = compile_built(program.build(kt.backend()))
    >>> [out.shape for out in call(program.feed())]
    [(2, 1), (3, 1)]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ktensor.backends.base import Backend
from ktensor.tensor import Tensor

__all__ = ["Built", "InputSpec", "Program", "Step", "compile_built", "float64_program"]

Call = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


@attrs.frozen
class InputSpec:
    """One placeholder: its name, shape (None where unknown) and dtype."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str


@attrs.frozen
class Step:
    """A function's result with updates (used by the benchmark suite's training workloads).

    Attributes:
        outputs: tensors returned by each call.
        updates: ``(variable or variable name, new value)`` pairs applied after each call.
    """

    outputs: Sequence[Tensor]
    updates: Sequence[tuple[Tensor | str, Any]] = ()


@attrs.define
class Built:
    """A program built on one backend: placeholders, variables, named outputs, updates."""

    placeholders: list[Tensor]
    variables: list[Tensor]
    names: list[str]
    outputs: list[Tensor]
    updates: list[tuple[Tensor, Any]] = attrs.field(factory=list)


def _error(message: str) -> TypeError:
    return TypeError(f"ktensor: compare: {message}")


def _as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        raise _error(f"{what} must be a NumPy array, list or scalar (example data), not a symbolic tensor; "
                     f"received {value!r}")
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - anything NumPy cannot take
        raise _error(f"{what} must be array-like; received {value!r} ({error})") from None
    if array.dtype.kind not in "biuf":
        raise _error(f"{what} must hold bool, integer or float data; received dtype {array.dtype}")
    return array


def _parameter_names(fn: Callable[..., Any], count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    names = params[:count]
    return names + [f"input{i}" for i in range(len(names), count)]


@attrs.define
class Program:
    """The function, its placeholders, its variables and the task (see the module)."""

    fn: Callable[..., Any]
    inputs: list[InputSpec]
    arrays: list[np.ndarray]
    keyword_inputs: bool = False
    variables: list[tuple[str, np.ndarray]] = attrs.field(factory=list)
    keyword_variables: bool = False
    task: str = "forward"

    @classmethod
    def from_arrays(
        cls,
        fn: Callable[..., Any],
        inputs: Any,
        variables: Any = None,
        batch_axis: int | Sequence[int | None] | None = None,
        task: str = "forward",
    ) -> Program:
        """A program for ``fn`` on placeholders shaped like ``inputs``.

        Args:
            fn: the function; called with one placeholder per input (positionally for a
                sequence, by name for a mapping), then the variables (positionally for a
                sequence, by name for a mapping).
            inputs: example data: an array, a sequence of arrays, or a mapping name -> array.
            variables: initial values of the variables (``kt.variable`` per backend), a
                sequence or a mapping name -> array, or None.
            batch_axis: the axis left unknown (None) in every input's placeholder, or one
                axis (or None) per input, e.g. ``[0, None]`` for a batch and a weight.
            task: ``"forward"`` or ``"gradients"``.
        """
        if not callable(fn):
            raise _error(f"fn must be callable; received {fn!r}")
        if task not in ("forward", "gradients"):
            raise ValueError(f"ktensor: compare: task must be 'forward' or 'gradients'; received {task!r}")
        keyword = isinstance(inputs, Mapping)
        if keyword:
            names, values = [str(k) for k in inputs], list(inputs.values())
        elif isinstance(inputs, (list, tuple)):
            values = list(inputs)
            names = _parameter_names(fn, len(values))
        else:
            values = [inputs]
            names = _parameter_names(fn, 1)
        arrays = [_as_array(v, f"input {n!r}") for n, v in zip(names, values)]
        axes = _batch_axes(batch_axis, len(arrays))
        specs = []
        for name, array, axis in zip(names, arrays, axes):
            shape: list[int | None] = list(array.shape)
            if axis is not None and -array.ndim <= axis < array.ndim:
                shape[axis] = None
            specs.append(InputSpec(name, tuple(shape), array.dtype.name))
        if variables is None:
            named: list[tuple[str, np.ndarray]] = []
            keyword_variables = False
        elif isinstance(variables, Mapping):
            named = [(str(k), _as_array(v, f"variable {k!r}")) for k, v in variables.items()]
            keyword_variables = True
        elif isinstance(variables, (list, tuple)):
            offset = len(arrays)
            labels = _parameter_names(fn, offset + len(variables))[offset:]
            named = [(n, _as_array(v, f"variable {n!r}")) for n, v in zip(labels, variables)]
            keyword_variables = False
        else:
            raise _error(f"variables must be a sequence or a mapping of arrays, or None; received {variables!r}")
        if task == "gradients":
            floating = [a for _, a in named] if named else [a for a in arrays]
            if not any(a.dtype.kind == "f" for a in floating):
                raise ValueError(
                    "ktensor: compare: gradients=True needs a float variable (or, without variables, a float input) "
                    "to differentiate with respect to; received none"
                )
        return cls(fn, specs, arrays, keyword, named, keyword_variables, task)

    def feed(self) -> list[np.ndarray]:
        """The arrays each call is fed, in placeholder order."""
        return list(self.arrays)

    def describe(self) -> str:
        """``"model(x: float32 (256, 512), w: float32 (512, 10))"``."""
        name = getattr(self.fn, "__qualname__", None) or type(self.fn).__name__
        parts = [f"{s.name}: {s.dtype} {_shape_text(s.shape)}" for s in self.inputs]
        parts += [f"{n}: variable {a.dtype.name} {_shape_text(a.shape)}" for n, a in self.variables]
        return f"{name}({', '.join(parts)})"

    def build(self, backend: Backend) -> Built:
        """Placeholders, variables and ``fn`` on ``backend`` (the timed "build")."""
        import ktensor as kt

        with kt.use_backend(backend):
            placeholders = [kt.placeholder(shape=s.shape, dtype=s.dtype, name=s.name) for s in self.inputs]
            variables = [kt.variable(v, dtype=v.dtype.name, name=n) for n, v in self.variables]
            args: list[Any] = [] if self.keyword_inputs else list(placeholders)
            kwargs: dict[str, Any] = (
                {s.name: p for s, p in zip(self.inputs, placeholders)} if self.keyword_inputs else {}
            )
            if self.keyword_variables:
                kwargs.update({n: v for (n, _), v in zip(self.variables, variables)})
            else:
                args += variables
            result = self.fn(*args, **kwargs)
            names, outputs, updates = _normalize(result, {n: v for (n, _), v in zip(self.variables, variables)})
            if self.task == "gradients":
                wrt = variables or [p for p in placeholders if p.dtype.startswith("float")]
                wrt_names = [n for n, _ in self.variables] or [s.name for s in self.inputs if s.dtype.startswith("float")]
                floating = [o for o in outputs if o.dtype.startswith("float")]
                if not floating:
                    raise ValueError("ktensor: compare: gradients=True needs a float output to differentiate; "
                                     f"received outputs of dtypes {[o.dtype for o in outputs]}")
                loss = floating[0].sum()
                for out in floating[1:]:
                    loss = loss + out.sum()
                names += [f"d/d{n}" for n in wrt_names]
                outputs += kt.gradients(loss, wrt)
        return Built(placeholders, variables, names, outputs, updates)


def _batch_axes(batch_axis: Any, count: int) -> list[int | None]:
    """One axis (or None) per input, from ``batch_axis``."""

    def valid(axis: Any) -> bool:
        return axis is None or (isinstance(axis, (int, np.integer)) and not isinstance(axis, bool))

    if valid(batch_axis):
        return [None if batch_axis is None else int(batch_axis)] * count
    if isinstance(batch_axis, (list, tuple)) and len(batch_axis) == count and all(valid(a) for a in batch_axis):
        return [None if a is None else int(a) for a in batch_axis]
    raise _error(f"batch_axis must be an int, None, or one int or None per input ({count}); received {batch_axis!r}")


def _shape_text(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _normalize(result: Any, variables: dict[str, Tensor]) -> tuple[list[str], list[Tensor], list[tuple[Tensor, Any]]]:
    """Names, outputs and updates of what ``fn`` returned."""
    updates: list[tuple[Tensor, Any]] = []
    if isinstance(result, Step):
        for target, value in result.updates:
            updates.append((variables[target] if isinstance(target, str) else target, value))
        result = list(result.outputs)
    if isinstance(result, Tensor):
        pairs = [("out", result)]
    elif isinstance(result, Mapping):
        pairs = [(str(k), v) for k, v in result.items()]
    elif isinstance(result, (list, tuple)):
        pairs = [(f"out{i}", v) for i, v in enumerate(result)]
    else:
        raise _error(f"fn must return a tensor, or a list, tuple or dict of tensors; received {result!r}")
    for name, value in pairs:
        if not isinstance(value, Tensor):
            raise _error(f"fn must return tensors; output {name!r} is {value!r}")
    if not pairs:
        raise _error("fn returned no output")
    return [n for n, _ in pairs], [v for _, v in pairs], updates


def compile_built(built: Built) -> Call:
    """``kt.function`` of ``built``: a call on the input arrays returning the list of outputs."""
    import ktensor as kt

    f = kt.function(built.placeholders, list(built.outputs), updates=built.updates or None)

    def call(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        return f(*arrays)  # type: ignore[no-any-return]

    call.settled = lambda: f.settled  # type: ignore[attr-defined]  # read by the timing's warm-up
    call.engine_mode = lambda: f.engine_mode  # type: ignore[attr-defined]  # and its grouping
    return call


def _widen(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def float64_program(program: Program) -> Program:
    """The same program on float64 inputs and variables (the agreement reference).

    Example:
        >>> p = Program.from_arrays(lambda x: x * 2, [np.ones(2, "float32")])
        >>> float64_program(p).inputs[0].dtype
        'float64'
    """
    inputs = [attrs.evolve(s, dtype="float64") if np.dtype(s.dtype).kind == "f" else s for s in program.inputs]
    return attrs.evolve(
        program,
        inputs=inputs,
        arrays=[_widen(a) for a in program.arrays],
        variables=[(n, _widen(v)) for n, v in program.variables],
    )
