"""``maximum`` and ``minimum`` in PyTensor's C code as selects GCC vectorises.

PyTensor's scalar ``Maximum`` compiles to ``y > x ? y : (x >= y ? x : nan(""))``:
the NaN branch calls ``nan("")``, which kept GCC from turning the comparisons
into vector selects wherever a fused node wrote more than one output (a pooling
window's maximum together with the intermediate maxima its gradient reuses). The
loop then branched on every element of random data: four 64×13×13×32 window
slices took 4.5 ms, against 0.12 ms as selects. The branch also went through
``double``, which is exact for integers only below 2**53.

:class:`Maximum` and :class:`Minimum` are NumPy's own scalar rule,
``(x > y || x != x) ? x : y`` (and ``<``): NaN from either side, a tie of 0.0
and -0.0 answered by ``y`` for float32 and float64 and by ``x`` otherwise (``>=``),
as NumPy's loops answer it, and integers compared in their own type. They keep
their operand order (not commutative: the tie is part of the result). Their
gradients, names and NumPy implementations are PyTensor's (they subclass its ops,
so its rewrites and the Numba and JAX linkers treat them as its own). The theano
backend uses them in its C modes; float16 runs in float32 there, with the operands
swapped for the float16 tie rule (``TheanoBackend._kernel``).

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano.extremes import maximum
    >>> x, y = pt.vector("x"), pt.vector("y")
    >>> f = pytensor.function([x, y], maximum(x, y), mode="CVM")
    >>> f(np.array([1.0, np.nan, 3.0]), np.array([2.0, 0.0, np.nan])).tolist()
    [2.0, nan, nan]
"""

from __future__ import annotations

from typing import Any

import pytensor.scalar.basic as ps
from pytensor.tensor.elemwise import Elemwise

from ktensor import dtypes

__all__ = ["Maximum", "Minimum", "maximum", "minimum"]


def _select(node: Any, strict: str, inputs: list[str], outputs: list[str]) -> str:
    if any(i.type in ps.complex_types for i in node.inputs):
        raise NotImplementedError()  # PyTensor's signal for "no C code", as its own Maximum's
    (x, y), (z,) = inputs, outputs
    compare = strict + "=" if dtypes.ties_to_first(node.inputs[0].type.dtype) else strict
    kind = node.outputs[0].type.dtype_specs()[1]
    # Typed copies: a constant operand is a double literal otherwise.
    return f"""{{
        const {kind} ktx = ({kind})({x}), kty = ({kind})({y});
        {z} = (ktx {compare} kty || ktx != ktx) ? ktx : kty;
    }}"""


class _Select:
    """The C code of :class:`Maximum` and :class:`Minimum`; the operand order is kept
    (which operand a tie of 0.0 and -0.0 answers is part of NumPy's result)."""

    strict: str

    def c_code(self, node: Any, name: str, inputs: list[str], outputs: list[str], sub: dict[str, str]) -> str:
        return _select(node, self.strict, inputs, outputs)

    def c_code_cache_version(self) -> tuple[Any, ...]:
        return ("ktensor-select", 3)


class Maximum(_Select, ps.Maximum):
    """PyTensor's scalar maximum with NumPy's select as its C code."""

    strict = ">"
    commutative = False
    associative = False


class Minimum(_Select, ps.Minimum):
    """PyTensor's scalar minimum with NumPy's select as its C code."""

    strict = "<"
    commutative = False
    associative = False


#: The elementwise tensor ops, as ``pt.maximum`` / ``pt.minimum``.
maximum = Elemwise(Maximum(ps.upcast_out), name="maximum")
minimum = Elemwise(Minimum(ps.upcast_out), name="minimum")
