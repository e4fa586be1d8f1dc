"""Integer powers in PyTensor's C code, exact and wrapping as NumPy's.

PyTensor's scalar ``Pow`` compiles to ``z = pow(x, y)``, C's double-precision
``pow``: an integer result from 2**53 on loses its low digits (``3 ** 39`` in
int64) and one past the dtype's range saturates where NumPy wraps (int32).
:class:`IntegerPow` is NumPy's square-and-multiply in unsigned 64-bit arithmetic
(products modulo 2**64 keep the low bits of any narrower width, and unsigned
overflow is defined in C), cast to the output type. ktensor refuses negative
exponents before a power reaches the engine.

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano.intpow import integer_power
    >>> x, y = pt.vector("x", dtype="int64"), pt.vector("y", dtype="int64")
    >>> f = pytensor.function([x, y], integer_power(x, y), mode="CVM")
    >>> f(np.array([3, 2]), np.array([39, 64]))
    array([4052555153018976267,                   0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytensor.scalar.basic as ps
from pytensor.tensor.elemwise import Elemwise

__all__ = ["IntegerPow", "integer_power"]


class IntegerPow(ps.BinaryScalarOp):
    """``x ** y`` of integers of one dtype, exact; its C code loops over ``y``'s bits."""

    nfunc_spec = ("power", 2, 1)

    def impl(self, x: Any, y: Any) -> Any:
        return np.power(x, y)

    def c_code(self, node: Any, name: str, inputs: list[str], outputs: list[str], sub: dict[str, str]) -> str:
        (x, y), (z,) = inputs, outputs
        out = node.outputs[0].type.dtype_specs()[1]
        return f"""{{
            npy_uint64 base = (npy_uint64){x}, exponent = (npy_uint64){y}, result = 1;
            while (exponent) {{
                if (exponent & 1) result *= base;
                base *= base;
                exponent >>= 1;
            }}
            {z} = ({out})result;
        }}"""

    def c_code_cache_version(self) -> tuple[int, ...]:
        return (1,)

    def L_op(self, inputs: Any, outputs: Any, output_gradients: Any) -> Any:
        # Integer results carry no gradient, as PyTensor's own Pow of integers.
        return [x.zeros_like().astype("float64") for x in inputs]


_INTEGER_POW = Elemwise(IntegerPow(ps.upcast_out, name="integer_pow"))


def integer_power(x: Any, y: Any) -> Any:
    """``x ** y`` for integer tensors of one dtype (see the module docstring)."""
    return _INTEGER_POW(x, y)
