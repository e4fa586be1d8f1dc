"""Elementwise PyTensor ops whose Python implementation computes as NumPy does.

PyTensor runs an ``Elemwise`` in Python (the ``FAST_COMPILE`` linker, constant
folding, and any node without C code, such as anything in float16) through a
NumPy ufunc when the op names one (``nfunc_spec``), and otherwise through
``np.frompyfunc`` over the scalar op's ``impl``, which hands it *Python* ints:
``Cast{uint8}`` of int8 ``-1`` then raised ``OverflowError`` ("Python integer -1
out of bounds for uint8") instead of wrapping to 255, and an unsigned
``invert`` gave ``-2``. Casts here name ``np.asarray``, which PyTensor's
``Elemwise.perform`` follows with ``np.asarray(result, dtype=out)``: NumPy's
``astype``, wrapping as the C code does.

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano import casts
    >>> x = pt.vector("x", dtype="int8")
    >>> f = pytensor.function([x], casts.cast(x, "uint8"), mode="FAST_COMPILE")
    >>> f(np.array([-1, 2], dtype="int8"))
    array([255,   2], dtype=uint8)
    >>> casts.cast(pt.constant(np.array([-1], "int8")), "uint8").data
    array([255], dtype=uint8)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytensor.scalar as ps
import pytensor.tensor as pt
from pytensor.graph.basic import Constant
from pytensor.tensor.elemwise import Elemwise

__all__ = ["cast", "elemwise_for"]

Native = Any
_ASARRAY = ("asarray", 1, 1)


@functools.cache
def _cast_op(dtype: str) -> Elemwise:
    return Elemwise(ps.Cast(ps.get_scalar_type(dtype)), name=f"cast_{dtype}", nfunc_spec=_ASARRAY)


def cast(x: Native, dtype: str) -> Native:
    """``x`` as ``dtype``, as ``ndarray.astype`` does; a constant is converted by NumPy now."""
    if x.dtype == dtype:
        return x
    if isinstance(x, Constant):
        with np.errstate(all="ignore"):  # NaN to int: the engines convert without a warning too
            return pt.constant(np.asarray(x.data).astype(dtype), dtype=dtype)
    return _cast_op(dtype)(x)


@functools.cache
def _nfunc_specs() -> dict[Any, tuple[str, int, int]]:
    """PyTensor's NumPy implementations by scalar op, read off its tensor-level ops."""
    import pytensor.tensor.math as ptm

    specs: dict[Any, tuple[str, int, int]] = {}
    for module in (ptm, pt):
        for op in vars(module).values():
            if isinstance(op, Elemwise) and op.nfunc_spec and op.scalar_op not in specs:
                specs[op.scalar_op] = op.nfunc_spec
    return specs


def elemwise_for(scalar_op: Any) -> Elemwise:
    """An ``Elemwise`` of ``scalar_op`` that runs NumPy's implementation when run in Python."""
    if isinstance(scalar_op, ps.Cast):
        return _cast_op(scalar_op.o_type.dtype)
    return Elemwise(scalar_op, nfunc_spec=_nfunc_specs().get(scalar_op))
