"""``jit_compile="auto"``: each function starts in TensorFlow's graph executor and moves
to XLA when XLA runs it faster, as measured on the function's own calls
(``ktensor/backends/tiering.py`` runs the choice; this module is the XLA side).

Neither is fastest everywhere (``docs/benchmarks.md``): XLA ran reductions, chains of
elementwise work and softmax up to 2.7× faster than the graph executor here, and
convolutions and the MLP training step slower; the graph executor also compiles in a
fraction of XLA's time.

The XLA side is a copy of the function's ops with the updates' new values as extra
outputs, compiled with ``_XlaMustCompile`` (as ``tf.function(jit_compile=True)``), and a
second, small graph function that assigns those values to the variables. So its
preparation, on a background thread, compiles and runs it once without changing any
variable (TensorFlow releases the GIL while XLA compiles), and a call that fails in
XLA changes nothing either. A function is not moved when it has a random draw (XLA
draws other numbers for a seed: the stream would change in the middle), a run-time
check or a print (XLA drops or refuses them).

Examples:
    >>> sorted(NOT_FOR_XLA)[:3]
    ['Assert', 'Multinomial', 'ParameterizedTruncatedNormal']
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tensorflow.python.eager import context as tf_context
from tensorflow.python.framework import ops
from tensorflow.python.ops import array_ops, gen_resource_variable_ops, resource_variable_ops

__all__ = ["MIN_CALL_SECONDS", "NOT_FOR_XLA", "XlaAlternative", "assign_function"]

#: Functions whose median graph call is shorter stay in the graph executor: an XLA
#: launch costs more than a graph call's fixed part, and short calls have little to gain.
MIN_CALL_SECONDS = 100e-6

#: Op types that keep a function in the graph executor: XLA drops ``Assert`` (ktensor's
#: run-time checks would vanish), cannot compile prints, and draws other random numbers.
NOT_FOR_XLA = frozenset({
    "Assert", "Print", "PrintV2", "StringFormat", "RandomUniform", "RandomUniformInt",
    "RandomStandardNormal", "TruncatedNormal", "ParameterizedTruncatedNormal", "RandomShuffle",
    "Multinomial", "RandomGamma", "RandomPoisson", "RandomPoissonV2",
})


def assign_function(
    register: Callable[[Any, list[Any], list[Any], list[Any], list[Any]], str],
    handles: Sequence[Any],
    values: Sequence[Any],
) -> str:
    """Register a graph function taking each variable handle, then each new value, and
    assigning them; ``handles`` are the handle placeholders of the build graph (their
    shapes and types kept), ``values`` the new values (their dtypes and shapes).
    ``register(graph, body, args, results, control_results)`` registers a graph's ops
    (C API handles) as a function and returns its name."""
    graph = ops.Graph()
    with graph.as_default():
        args, assigns = [], []
        for i, handle in enumerate(handles):
            arg = array_ops.placeholder(handle.dtype, (), name=f"handle{i}")
            data = resource_variable_ops.get_resource_handle_data(handle)
            if data.shape_and_type:
                resource_variable_ops._set_handle_shapes_and_types(arg, data, graph_mode=True)
            args.append(arg)
        placeholders = [array_ops.placeholder(v.dtype, v.shape, name=f"value{i}") for i, v in enumerate(values)]
        for arg, value in zip(args, placeholders):
            assigns.append(gen_resource_variable_ops.assign_variable_op(arg, value, validate_shape=True))
    body = [op._c_op for op in assigns]
    return register(graph, body, [a._as_tf_output() for a in [*args, *placeholders]], [], body)


class XlaAlternative:
    """The XLA side of an ``"auto"`` function (a :class:`ktensor.backends.tiering.Alternative`).

    Args:
        make: registers the XLA function and, for a function with updates, the assign
            function (:func:`assign_function`); returns their names (run on the preparing thread).
        enums: the inputs' dtype enums.
        captures: the eager handles of the variables the function reads, after the inputs.
        n_outputs: how many of the XLA function's results are the outputs.
        targets: the eager handles of the updated variables, in the updates' order.
        execute: runs a registered function eagerly: ``execute(name, tensors, count)``.
    """

    name = "xla"

    def __init__(
        self,
        make: Callable[[], tuple[str, str | None]],
        enums: list[int],
        captures: list[Any],
        n_outputs: int,
        targets: list[Any],
        execute: Callable[[str, list[Any], int], list[Any]],
    ) -> None:
        self.min_call_seconds = MIN_CALL_SECONDS
        self._make = make
        self._enums = enums
        self._captures = captures
        self._n = n_outputs
        self._targets = targets
        self._call = execute
        self._context = tf_context.context()
        self._device = self._context.device_name
        self._names: tuple[str, str | None] | None = None
        self._lock: contextlib.AbstractContextManager[Any] = threading.Lock() if targets else contextlib.nullcontext()
        self._registered: list[str] = []
        weakref.finalize(self, _remove_functions, self._context, self._registered)

    def prepare(self, sample: list[np.ndarray]) -> None:
        names = self._make()
        self._registered.extend(n for n in names if n)
        self._names = names
        self._run(sample)  # XLA compiles at the first call; nothing is assigned

    def first_call(
        self, arrays: Sequence[np.ndarray], base: Callable[[Sequence[np.ndarray]], list[Any]]
    ) -> tuple[list[Any], str | None]:
        """An XLA call; where it fails (and changes nothing), the graph's call instead."""
        try:
            return self(arrays), None
        except Exception as error:  # noqa: BLE001 - the graph runs this call: keep the graph
            return base(arrays), f"xla failed where the graph did not ({type(error).__name__}: {str(error)[:200]})"

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        with self._lock:
            results = self._run(arrays)
            if self._targets:
                assert self._names is not None and self._names[1] is not None
                self._execute(self._names[1], [*self._targets, *results[self._n :]], 0)
        return [r.numpy() for r in results[: self._n]]  # copies: XLA may alias an output to an input

    def _run(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        assert self._names is not None
        tensors = [ops.EagerTensor(a, self._device, e) for a, e in zip(arrays, self._enums)]
        return self._execute(self._names[0], [*tensors, *self._captures], self._n + len(self._targets))

    def _execute(self, name: str, tensors: list[Any], count: int) -> list[Any]:
        return self._call(name, tensors, count)


def _remove_functions(context: Any, names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # at interpreter exit the context may be gone
            context.remove_function(name)

