"""``jit_compile="auto"``: each function starts in TensorFlow's graph executor and moves
to XLA when XLA runs it faster, as measured on the function's own calls
(``ktensor/backends/tiering.py`` runs the choice; this module is the XLA side).

Neither is fastest everywhere (``docs/benchmarks.md``): XLA ran reductions, chains of
elementwise work and softmax up to 2.7× faster than the graph executor here, and
convolutions and the MLP training step slower; the graph executor also compiles in a
fraction of XLA's time.

The XLA side is the function ``jit_compile=True`` runs (``_XlaMustCompile``, as
``tf.function(jit_compile=True)``), updates included. Its preparation, on a background
thread, registers it and runs it once on the sample arrays with *stand-in* variables
(zeros of each variable's dtype and shape): XLA compiles at that call (TensorFlow
releases the GIL while it does) and caches the executable by the arguments' types and
shapes, so the first real call finds it compiled, and no real variable changes. A
function is not moved when it has a random draw (XLA draws other numbers for a seed:
the stream would change in the middle), a run-time check or a print (XLA drops or
refuses them), float16 (XLA may skip the rounding after each op that TensorFlow's
kernels and NumPy do), or when XLA cannot compile it.

Examples:
    >>> sorted(NOT_FOR_XLA)[:3]
    ['Assert', 'Multinomial', 'ParameterizedTruncatedNormal']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tensorflow.python.eager import context as tf_context
from tensorflow.python.framework import dtypes, ops, tensor_shape
from tensorflow.python.ops import resource_variable_ops

__all__ = ["MIN_CALL_SECONDS", "NOT_FOR_XLA", "XlaAlternative"]

#: Functions whose median graph call is shorter stay in the graph executor. None
#: does: an XLA call's fixed cost is the smaller one here (a 2×2 `b + c*|d|` took 25 µs
#: compiled with XLA against 84 µs in the graph executor, a 2×2 softmax 25 against 130),
#: so small hot functions gain the most; the trial still decides.
MIN_CALL_SECONDS = 0.0

#: Op types that keep a function in the graph executor: XLA drops ``Assert`` (ktensor's
#: run-time checks would vanish), cannot compile prints, and draws other random numbers.
NOT_FOR_XLA = frozenset({
    "Assert", "Print", "PrintV2", "StringFormat", "RandomUniform", "RandomUniformInt",
    "RandomStandardNormal", "TruncatedNormal", "ParameterizedTruncatedNormal", "RandomShuffle",
    "Multinomial", "RandomGamma", "RandomPoisson", "RandomPoissonV2",
})


def _stand_in(handle: Any) -> Any:
    """A new eager variable of ``handle``'s variable's dtype and shape, holding zeros."""
    data = resource_variable_ops.get_eager_safe_handle_data(handle).shape_and_type[0]
    dtype = dtypes.as_dtype(data.dtype)
    zeros = np.zeros(tensor_shape.TensorShape(data.shape).as_list(), dtype.as_numpy_dtype)
    return resource_variable_ops.ResourceVariable(zeros, dtype=dtype)


class XlaAlternative:
    """The XLA side of an ``"auto"`` function (a :class:`ktensor.backends.tiering.Alternative`).

    Args:
        make: registers the XLA function; returns its call (as ``jit_compile=True``
            makes it) and its name (run on the preparing thread).
        enums: the inputs' dtype enums.
        captures: the eager handles of the function's variables, after the inputs.
        n_outputs: how many results the function has.
        execute: runs a registered function eagerly: ``execute(name, tensors, count)``.
    """

    name = "xla"

    def __init__(
        self,
        make: Callable[[], tuple[Callable[[Sequence[np.ndarray]], list[Any]], str]],
        enums: list[int],
        captures: list[Any],
        n_outputs: int,
        execute: Callable[[str, list[Any], int], list[Any]],
    ) -> None:
        self.min_call_seconds = MIN_CALL_SECONDS
        self._make = make
        self._enums = enums
        self._captures = captures
        self._n = n_outputs
        self._execute = execute
        self._call: Callable[[Sequence[np.ndarray]], list[Any]] | None = None

    def prepare(self, sample: list[np.ndarray]) -> None:
        call, name = self._make()
        device = tf_context.context().device_name
        stand_ins = [_stand_in(handle) for handle in self._captures]
        tensors = [ops.EagerTensor(a, device, e) for a, e in zip(sample, self._enums)]
        self._execute(name, [*tensors, *(v.handle for v in stand_ins)], self._n)  # XLA compiles here
        self._call = call

    def first_call(
        self, arrays: Sequence[np.ndarray], base: Callable[[Sequence[np.ndarray]], list[Any]]
    ) -> tuple[list[Any], str | None]:
        """An XLA call; where it fails (and so assigns nothing), the graph's call instead."""
        try:
            return self(arrays), None
        except Exception as error:  # noqa: BLE001 - the graph runs this call: keep the graph
            return base(arrays), f"xla failed where the graph did not ({type(error).__name__}: {str(error)[:200]})"

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        assert self._call is not None
        return self._call(arrays)
