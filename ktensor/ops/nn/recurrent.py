"""Recurrence: Keras 2's ``rnn``, a step function iterated over the time axis.

The loop runs through the engine's ``native_scan`` (``unroll=False``) or as a Python
loop over a known number of steps (``unroll=True``); both give the same results, and
gradients flow through time to the inputs, the initial states, the constants and any
tensor the step function closes over.

Examples:
    >>> def step(x, states):
    ...     h = states[0] + x
    ...     return h, [h]
    >>> last, outputs, states = kt.rnn(step, kt.ones((1, 3, 2)), [kt.zeros((1, 2))])
    >>> outputs.eval()
    array([[[1., 1.],
            [2., 2.],
            [3., 3.]]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ktensor import dtypes, shapes
from ktensor.backends.core import Core, Native
from ktensor.ops.declare import operation
from ktensor.tensor import Operand, Tensor

#: A step function: ``(inputs_t, states + constants) -> (output_t, new_states)``.
StepFunction = Callable[[Tensor, list[Tensor]], tuple[Any, Any]]


def _tensors(value: Any) -> list[Any]:
    """A list of states or constants: None is none, one tensor is a list of one."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class RecurrentOps(Core):
    """Keras 2's ``rnn``."""

    def _rnn_state(self, value: Any, like: Tensor, index: int) -> Tensor:
        """A new state from the step function, held to its initial state's dtype and shape."""
        new = self._tensor(value, f"rnn new state {index} of step_function")
        if new.dtype != like.dtype:
            if not dtypes.can_cast(new.dtype, like.dtype):
                raise TypeError(
                    f"ktensor: rnn: step_function returned state {index} of dtype {new.dtype}, which does "
                    f"not cast to its initial state's {like.dtype} under the same_kind rule"
                )
            new = self.astype(new, like.dtype)
        if len(new.shape) != len(like.shape) or any(
            a is not None and b is not None and a != b for a, b in zip(new.shape, like.shape)
        ):
            raise ValueError(
                f"ktensor: rnn: step_function returned state {index} of shape {shapes.describe(new.shape)}; "
                f"its initial state has shape {shapes.describe(like.shape)}"
            )
        return new

    def _rnn_step(
        self, step_function: StepFunction, x_t: Tensor, states: list[Tensor], constants: list[Tensor]
    ) -> tuple[Tensor, list[Tensor]]:
        """One call of the user's step: ``(output, new_states)``, checked."""
        result = step_function(x_t, [*states, *constants])
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise TypeError(
                f"ktensor: rnn: step_function must return a pair (output, new_states); received {result!r}"
            )
        output, new_states = result
        if isinstance(output, (list, tuple)):
            raise TypeError(f"ktensor: rnn: step_function must return one output tensor; received a {type(output).__name__}")
        out = self._tensor(output, "rnn output of step_function")
        news = _tensors(new_states)
        if len(news) != len(states):
            raise ValueError(
                f"ktensor: rnn: step_function returned {len(news)} new states for {len(states)} states"
            )
        return out, [self._rnn_state(n, s, i) for i, (n, s) in enumerate(zip(news, states))]

    def _rnn_keep(self, mask_t: Tensor, new: Tensor, old: Tensor) -> Tensor:
        """``new`` where the step's mask is on, ``old`` where it is off (mask_t: ``(batch,)``)."""
        m = mask_t
        for _ in range(new.ndim - 1):
            m = self.expand_dims(m, -1)
        kept = self.where(m, new, old)
        return kept if kept.dtype == old.dtype else self.astype(kept, old.dtype)

    @operation(
        method=False,
        kit_exempt="takes a Python step function and returns a tuple: checked in tests/test_nn_recurrent.py",
    )
    def rnn(
        self,
        step_function: Callable[[Tensor, list[Tensor]], Any],
        inputs: Operand,
        initial_states: Sequence[Operand],
        go_backwards: bool = False,
        mask: Operand | None = None,
        constants: Sequence[Operand] | None = None,
        unroll: bool = False,
        input_length: int | None = None,
    ) -> tuple[Tensor, Tensor, list[Tensor]]:
        """Iterate ``step_function`` over the time axis (axis 1) of ``inputs`` (Keras 2).

        ``step_function(inputs_t, states + constants)`` gets a ``(batch, ...)`` slice
        and a list of tensors and returns ``(output_t, new_states)``, the new states as
        many as ``initial_states`` and of their shapes (cast to their dtypes,
        ``same_kind``). A step whose ``mask`` (``(batch, time)``, bool or numbers, 0
        meaning masked) is off keeps the states and repeats the previous output (zeros
        before the first unmasked step). ``go_backwards`` walks time from the end, and
        ``outputs`` come in the order the steps ran. ``unroll=True`` builds one copy of
        the step per time step and needs the length known (from the shape or
        ``input_length``); otherwise one symbolic loop (``native_scan``); with a mask the
        scan calls ``step_function`` once more, outside the loop, for the output's shape.

        Args:
            step_function: ``(inputs_t, states) -> (output_t, new_states)``.
            inputs: ``(batch, time, ...)``, at least 3-D.
            initial_states: The states before the first step, a list of tensors.
            go_backwards: Iterate from the last time step to the first.
            mask: ``(batch, time)`` (or ``(batch, time, 1)``).
            constants: Tensors passed to every step after the states.
            unroll: Unroll the loop in the graph.
            input_length: The number of time steps, when the shape does not say.

        Returns:
            ``(last_output, outputs, new_states)``: the last step's output ``(batch,
            ...)``, every step's ``(batch, time, ...)``, and the final states (a list).

        Examples:
            >>> def step(x, states):
            ...     return x * 2, [states[0] + x]
            >>> last, outputs, [total] = kt.rnn(step, kt.constant([[[1.0], [2.0]]]), [kt.zeros((1, 1))],
            ...                                 go_backwards=True)
            >>> outputs.eval()[0, :, 0], total.eval()
            (array([4., 2.], dtype=float32), array([[3.]], dtype=float32))
        """
        if not callable(step_function):
            raise TypeError(f"ktensor: rnn: step_function must be a callable; received {step_function!r}")
        x = self._tensor(inputs, "rnn inputs")
        if x.ndim < 3:
            raise ValueError(
                f"ktensor: rnn: inputs must be at least 3-D (batch, time, ...); received shape {shapes.describe(x.shape)}"
            )
        states = [self._tensor(s, f"rnn initial_states[{i}]") for i, s in enumerate(_tensors(initial_states))]
        consts = [self._tensor(c, f"rnn constants[{i}]") for i, c in enumerate(_tensors(constants))]
        for flag, value in (("go_backwards", go_backwards), ("unroll", unroll)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"ktensor: rnn: {flag} must be a bool; received {value!r}")
        time = x.shape[1]
        if input_length is not None:
            if not isinstance(input_length, (int, np.integer)) or isinstance(input_length, bool) or input_length < 1:
                raise ValueError(f"ktensor: rnn: input_length must be a positive int or None; received {input_length!r}")
            if time is not None and time != input_length:
                raise ValueError(
                    f"ktensor: rnn: input_length is {input_length} but inputs have {time} time steps "
                    f"(shape {shapes.describe(x.shape)})"
                )
        length = time if time is not None else (int(input_length) if input_length is not None else None)
        if length == 0:
            raise ValueError(f"ktensor: rnn: inputs have no time steps (shape {shapes.describe(x.shape)})")
        if unroll and length is None:
            raise ValueError(
                "ktensor: rnn: unroll=True needs a known number of time steps; inputs have shape "
                f"{shapes.describe(x.shape)} and no input_length was given"
            )
        m = None if mask is None else self._rnn_mask(mask, x)
        if unroll:
            assert length is not None
            return self._rnn_unrolled(step_function, x, states, consts, m, bool(go_backwards), length)
        return self._rnn_scan(step_function, x, states, consts, m, bool(go_backwards))

    def _rnn_mask(self, mask: Operand, x: Tensor) -> Tensor:
        m = self._tensor(mask, "rnn mask")
        if m.ndim == 3 and m.shape[2] in (1, None):
            m = self.getitem(m, (slice(None), slice(None), 0))
        if m.ndim != 2 or any(a is not None and b is not None and a != b for a, b in zip(m.shape, x.shape[:2])):
            raise ValueError(
                f"ktensor: rnn: mask must have shape (batch, time) = {shapes.describe(x.shape[:2])}; "
                f"received shape {shapes.describe(m.shape)}"
            )
        return m if m.dtype == "bool" else self.not_equal(m, 0)

    def _rnn_unrolled(
        self,
        step_function: StepFunction,
        x: Tensor,
        states: list[Tensor],
        consts: list[Tensor],
        mask: Tensor | None,
        go_backwards: bool,
        length: int,
    ) -> tuple[Tensor, Tensor, list[Tensor]]:
        outputs: list[Tensor] = []
        previous: Tensor | None = None
        for t in (range(length - 1, -1, -1) if go_backwards else range(length)):
            out, new = self._rnn_step(step_function, self.getitem(x, (slice(None), t)), states, consts)
            if mask is not None:
                m_t = self.getitem(mask, (slice(None), t))
                if previous is None:
                    previous = self.zeros_like(out)
                out = self._rnn_keep(m_t, out, previous)
                new = [self._rnn_keep(m_t, n, s) for n, s in zip(new, states)]
            outputs.append(out)
            previous, states = out, new
        return outputs[-1], self.stack(outputs, axis=1), states

    def _rnn_scan(
        self,
        step_function: StepFunction,
        x: Tensor,
        states: list[Tensor],
        consts: list[Tensor],
        mask: Tensor | None,
        go_backwards: bool,
    ) -> tuple[Tensor, Tensor, list[Tensor]]:
        item_shape = (x.shape[0], *x.shape[2:])
        sequences = [self.transpose(x, (1, 0, *range(2, x.ndim)))]
        carried: list[Tensor] = []
        if mask is not None:
            sequences.append(self.transpose(mask, (1, 0)))
            # The output repeated at masked steps starts as zeros of the output's shape,
            # which only a call of the step tells (as tf.keras does).
            first, _ = self._rnn_step(step_function, self.getitem(x, (slice(None), 0)), states, consts)
            carried.append(self.zeros_like(first))
        traced: list[tuple[Tensor, list[Tensor]]] = []

        def step(items: list[Native], natives: list[Native]) -> tuple[list[Native], list[Native]]:
            x_t = self._wrap(items[0], x.dtype, item_shape)
            current = [self._wrap(n, s.dtype, s.shape) for n, s in zip(natives[len(carried):], states)]
            out, new = self._rnn_step(step_function, x_t, current, consts)
            if mask is not None:
                m_t = self._wrap(items[1], "bool", (x.shape[0],))
                previous = self._wrap(natives[0], carried[0].dtype, carried[0].shape)
                out = self._rnn_keep(m_t, out, previous)
                new = [self._rnn_keep(m_t, n, c) for n, c in zip(new, current)]
            traced.append((out, new))
            return [out.native], [*([out.native] if mask is not None else []), *(n.native for n in new)]

        initial = [c.native for c in carried] + [s.native for s in states]
        stacked, finals = self.native_scan(step, [s.native for s in sequences], initial, go_backwards)
        out_t, new_t = traced[-1]
        placeholders = self._placeholders(x, mask, *states, *consts, *carried, out_t, *new_t)
        steps = self._wrap(stacked[0], out_t.dtype, (x.shape[1], *out_t.shape), placeholders)
        outputs = self.transpose(steps, (1, 0, *range(2, steps.ndim)))
        last = self.getitem(steps, -1)
        new_states = [
            self._wrap(n, s.dtype, s.shape, placeholders) for n, s in zip(finals[len(carried):], states)
        ]
        return last, outputs, new_states
