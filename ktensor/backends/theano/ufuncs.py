"""Transcendental functions in PyTensor's C code run through NumPy's SIMD ufuncs.

PyTensor's C ``Elemwise`` calls the C library per element (``tanhf``, ``expf``,
...), where NumPy 2 runs vectorised implementations. Measured here on one core
for a 256x256 float32 array: ``tanh`` 684 µs in PyTensor's C code against 17 µs
in NumPy, ``log1p``/``expm1`` 540 against 24, ``sin`` 248 against 30, ``exp``
and ``log`` 92 against 26; float64 ``tanh`` 1809 against 72. That is why
PyTensor's C mode ran an MLP forward pass 6x slower than its own Python linker
(which calls NumPy).

:data:`NUMPY_TRANSCENDENTALS` (C linkers, registered before fusion) gives those
nodes a :class:`UfuncElemwise`: its C code calls the NumPy ufunc on arrays of
at least 512 elements (4096 for ``exp`` and ``log``) and keeps PyTensor's own loop below that
(a call into NumPy costs about a microsecond); a node whose static shape is
smaller than that is left to fusion. Its scalar op reports no C
code to PyTensor's fusion, so the node stays whole; the arithmetic around it
still fuses. Only the kernels NumPy runs faster are routed (float32 and
float64 ``tanh exp log log1p expm1``, float32 ``sin cos``); ``sqrt``, ``sigmoid``
and ``erf`` stay in C, where they are as fast or faster.

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano import ufuncs
    >>> x = pt.tensor("x", dtype="float32", shape=(None,))
    >>> mode = pytensor.compile.mode.get_mode("CVM").register((ufuncs.NUMPY_TRANSCENDENTALS, 48.9))
    >>> f = pytensor.function([x], pt.tanh(x) + 1, mode=mode)
    >>> [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
    ['UfuncElemwise', 'Elemwise']
    >>> bool(np.allclose(f(np.zeros(1000, "float32")), 1.0))
    True
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytensor.scalar.basic as ps
import pytensor.tensor.math as ptm
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.rewriting.basic import in2out, node_rewriter
from pytensor.tensor.elemwise import Elemwise

__all__ = ["MIN_SIZE", "NUMPY_REDUCTIONS", "NUMPY_TRANSCENDENTALS", "REDUCE_MIN_SIZE", "UfuncElemwise"]

# Scalar op class -> (NumPy ufunc name, dtypes it is routed for, the fewest elements
# worth a call into NumPy). exp and log cost PyTensor's C code about 1.4 ns an element
# against 4-10 for the others, so they move to NumPy only on larger arrays.
_ROUTED: dict[type, tuple[str, tuple[str, ...], int]] = {
    ps.Tanh: ("tanh", ("float32", "float64"), 512),
    ps.Exp: ("exp", ("float32", "float64"), 4096),
    ps.Log: ("log", ("float32", "float64"), 4096),
    ps.Log1p: ("log1p", ("float32", "float64"), 512),
    ps.Expm1: ("expm1", ("float32", "float64"), 512),
    ps.Sin: ("sin", ("float32",), 512),
    ps.Cos: ("cos", ("float32",), 512),
}
#: The smallest of those thresholds: arrays with fewer elements always keep PyTensor's C loop.
MIN_SIZE = min(size for _, _, size in _ROUTED.values())


def _no_fusion(self: Any, inputs: Any, outputs: Any) -> bool:
    return False


def _unfused_class(cls: type) -> type:
    """``cls`` reporting no C code to the fuser (its own C code is still there); a
    module attribute, so that PyTensor can pickle it into its C cache keys."""
    name = f"Unfused{cls.__name__}"
    unfused = type(name, (cls,), {"supports_c_code": _no_fusion, "__module__": __name__, "__qualname__": name})
    globals()[name] = unfused
    return unfused


_UNFUSED = {cls: _unfused_class(cls) for cls in _ROUTED}


def _unfused(scalar_op: Any) -> Any:
    cls: Any = _UNFUSED[type(scalar_op)]
    new = cls.__new__(cls)
    new.__dict__.update(scalar_op.__dict__)
    return new


class UfuncElemwise(Elemwise):
    """A one-input ``Elemwise`` whose C code hands large arrays to a NumPy ufunc."""

    def _c_all(self, node: Apply, nodename: str, inames: list[str], onames: list[str], sub: dict[str, str]) -> Any:
        decl, checks, alloc, loop, rest = super()._c_all(node, nodename, inames, onames, sub)
        ufunc, _, min_size = _ROUTED[type(self.scalar_op).__mro__[1]]
        (x,), (z,) = inames, onames
        fail = sub["fail"]
        loop = f"""
        if (PyArray_SIZE({z}) >= {min_size}) {{
            PyObject* numpy_module = PyImport_ImportModule("numpy");
            PyObject* ufunc = numpy_module ? PyObject_GetAttrString(numpy_module, "{ufunc}") : NULL;
            Py_XDECREF(numpy_module);
            PyObject* done = ufunc ? PyObject_CallFunctionObjArgs(ufunc, (PyObject*){x}, (PyObject*){z}, NULL) : NULL;
            Py_XDECREF(ufunc);
            if (!done) {{ {fail} }}
            Py_DECREF(done);
        }} else {{
            {loop}
        }}
        """
        return decl, checks, alloc, loop, rest

    def c_code_cache_version_apply(self, node: Apply) -> tuple[Any, ...]:
        version = super().c_code_cache_version_apply(node)
        return (*version, "ktensor-ufunc", 2) if version else version


def _routed(node: Apply) -> bool:
    op = node.op
    if type(op) is not Elemwise or len(node.inputs) != 1:
        return False
    route = _ROUTED.get(type(op.scalar_op))
    out = node.outputs[0].type
    if route is None or out.dtype not in route[1] or node.inputs[0].type.dtype != out.dtype:  # type: ignore[attr-defined]
        return False
    shape = out.shape  # type: ignore[attr-defined]
    # Known to be small: leave it to fusion, which a routed node would interrupt.
    return None in shape or int(np.prod(shape)) >= route[2]


@node_rewriter([Elemwise])
def _numpy_transcendentals(fgraph: Any, node: Apply) -> list[Variable] | None:
    if not _routed(node):
        return None
    op = node.op
    routed = UfuncElemwise(_unfused(op.scalar_op), op.inplace_pattern, name=op.name, nfunc_spec=op.nfunc_spec)
    return cast(list[Variable], routed(*node.inputs, return_list=True))


#: Route the transcendental nodes through NumPy (see the module docstring); register before fusion (49).
NUMPY_TRANSCENDENTALS = in2out(_numpy_transcendentals, name="ktensor_numpy_transcendentals")


# -- reductions ---------------------------------------------------------------------------
#: Float reductions of at least this many elements run NumPy's ``ufunc.reduce``.
REDUCE_MIN_SIZE = 4096
#: ... and only where the reduced axes hold at least this many elements, when known: a
#: max over the 10 classes of 512 rows took NumPy 25 µs, PyTensor's C loop a few.
REDUCE_MIN_EXTENT = 64
_REDUCED: dict[type, str] = {ptm.Sum: "add", ptm.Max: "maximum", ptm.Min: "minimum"}
_TYPENUMS = {"float32": "NPY_FLOAT32", "float64": "NPY_FLOAT64"}


def _numpy_reduce_c_code(self: Any, node: Apply, name: str, inames: list[str], onames: list[str], sub: dict[str, str]) -> str:
    own = super(type(self), self).c_code(node, name, inames, onames, sub)
    (x,), (z,) = inames, onames
    axes = self.axis if self.axis is not None else tuple(range(node.inputs[0].type.ndim))
    ufunc = _REDUCED[type(self).__mro__[1]]
    typenum = _TYPENUMS[node.outputs[0].type.dtype]
    fail = sub["fail"]
    return f"""
    if (PyArray_SIZE({x}) >= {REDUCE_MIN_SIZE}) {{
        PyObject* numpy_module = PyImport_ImportModule("numpy");
        PyObject* ufunc = numpy_module ? PyObject_GetAttrString(numpy_module, "{ufunc}") : NULL;
        Py_XDECREF(numpy_module);
        PyObject* axes = Py_BuildValue("({"i" * len(axes)})", {", ".join(str(a) for a in axes)});
        PyObject* reduced = (ufunc && axes) ? PyObject_CallMethod(ufunc, "reduce", "OO", (PyObject*){x}, axes) : NULL;
        Py_XDECREF(ufunc);
        Py_XDECREF(axes);
        if (!reduced) {{ {fail} }}
        PyArrayObject* result = (PyArrayObject*)PyArray_FromAny(
            reduced, PyArray_DescrFromType({typenum}), 0, 0, NPY_ARRAY_CARRAY | NPY_ARRAY_ENSUREARRAY, NULL);
        Py_DECREF(reduced);
        if (!result) {{ {fail} }}
        Py_XDECREF({z});
        {z} = result;
    }} else {{
        {own}
    }}
    """


def _numpy_reduce_version(self: Any, node: Apply) -> tuple[Any, ...]:
    version = super(type(self), self).c_code_cache_version_apply(node)
    return (*version, "ktensor-reduce", 1, REDUCE_MIN_SIZE) if version else version


def _numpy_reduce_class(cls: type) -> type:
    """``cls`` (a PyTensor reduction) whose C code hands large float arrays to NumPy; a
    module attribute, so that PyTensor can pickle it into its C cache keys."""
    name = f"NumPy{cls.__name__}"
    attributes = {
        "c_code": _numpy_reduce_c_code,
        "c_code_cache_version_apply": _numpy_reduce_version,
        "__module__": __name__,
        "__qualname__": name,
    }
    reduction = type(name, (cls,), attributes)
    globals()[name] = reduction
    return reduction


_NUMPY_REDUCE: dict[type, Any] = {cls: _numpy_reduce_class(cls) for cls in _REDUCED}


@node_rewriter([ptm.Sum, ptm.Max, ptm.Min])
def _numpy_reductions(fgraph: Any, node: Apply) -> list[Variable] | None:
    op = node.op
    dtype = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    if type(op) not in _NUMPY_REDUCE or dtype not in _TYPENUMS or node.inputs[0].type.dtype != dtype:  # type: ignore[attr-defined]
        return None
    if getattr(op, "acc_dtype", None) not in (None, dtype, "float64"):
        return None
    shape = node.inputs[0].type.shape  # type: ignore[attr-defined]
    if None not in shape and int(np.prod(shape)) < REDUCE_MIN_SIZE:
        return None
    axes = op.axis if op.axis is not None else range(len(shape))
    extent = [shape[a] for a in axes]
    if None not in extent and int(np.prod(extent)) < REDUCE_MIN_EXTENT:
        return None  # NumPy's loop over a short reduced axis costs more than PyTensor's
    routed: Any = _NUMPY_REDUCE[type(op)].__new__(_NUMPY_REDUCE[type(op)])
    routed.__dict__.update(op.__dict__)
    return cast(list[Variable], routed(*node.inputs, return_list=True))


#: Large float sums, maxima and minima through NumPy's pairwise, vectorised ``ufunc.reduce``
#: (PyTensor's C loop accumulates one element at a time); register after every other rewrite.
NUMPY_REDUCTIONS = in2out(_numpy_reductions, name="ktensor_numpy_reductions")
