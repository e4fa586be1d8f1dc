"""Graph rewrites ktensor adds to PyTensor's pipeline, per linker.

Each is added to the backend's own compile mode (``Mode.register``), never to
PyTensor's global rewrite database, so other users of PyTensor in the process
see PyTensor unchanged.

* :data:`FLAT_LOOPS` (C linkers). GCC 12 leaves most of PyTensor's C ``Elemwise``
  loops scalar: the "contiguous" loop PyTensor takes when every operand has one
  fully static shape (``b + c * abs(d)`` at 512x512 float32 took 2.5x as long with
  static shapes as with ``(None, None)`` ones), and its general strided loop past
  four or so operands (a five-operand node of 256x256 took 422 µs, a four-operand
  one 11). A node of two or more operands becomes a :class:`FlatLoopElemwise`:
  contiguous operands of the output's size run one flat loop GCC vectorises;
  strided or broadcast operands of a node of five operands or more run one loop
  per output row (:func:`_row_loop`: four window slices of a max pool took 4.6 ms
  in PyTensor's loop, 0.13 in rows), and so do nodes of any size with an input
  broadcast along the last axis, read once a row (softmax's ``e / e.sum(-1,
  keepdims=True)`` at 256x128: 20 µs, 1.7 in rows); anything else PyTensor's general loop. The graph, its types (ktensor's
  build-time shape checks) and its broadcasting are unchanged.
* :data:`SPLIT_FLOAT16_FUSIONS` (C linkers). PyTensor has no C code for an
  ``Elemwise`` touching float16, yet its fusion merges a float16 cast into the
  C-able chain before it; the fused node then ran per element in Python on
  Python ints (see :mod:`ktensor.backends.theano.casts`), so ``sqrt(-x)`` of a
  uint8 ``x`` raised "Python integer -2 out of bounds for uint8" and ``x + x``
  past 255 the same. Such a node is split back into one ``Elemwise`` per
  scalar op: the integer and float32 ones get C code, the float16 ones NumPy's.
* :data:`INLINE_GRAPH_OPS` (C and Python linkers). PyTensor 3 builds ``softmax``
  and ``log_softmax`` as ``OpFromGraph`` ops that stay whole to the end; without
  a C implementation such an op compiles its inner graph on the first call,
  in PyTensor's *default* mode (Numba): 10 s and more of a first call on a cold
  cache, outside the backend's compile lock (threads compiling at once then
  failed in PyTensor's module cache), in another mode than the user chose.
  Inlined after PyTensor's algebraic rewrites, the inner graph compiles with
  the function, in its mode, fused with its neighbours.
* :data:`REDUCE_IN_OUTPUT_DTYPE` (JAX linker). PyTensor's JAX ``CAReduce``
  returns its accumulator dtype instead of the node's output dtype: a float32
  sum came back float64, and through a training step's updates every float32
  variable turned float64. ``jnp.sum`` reduces in the operand's dtype whatever the
  accumulator says (the accumulator dtype only casts the result), so accumulating
  in the output dtype changes no value, only the dtype returned.

Examples:
    >>> import numpy as np
    >>> import pytensor
    >>> import pytensor.tensor as pt
    >>> from ktensor.backends.theano import rewrites
    >>> x, y = (pt.tensor(name, dtype="float32", shape=(2, 2)) for name in "xy")
    >>> mode = pytensor.compile.mode.get_mode("CVM").register((rewrites.FLAT_LOOPS, 100.5))
    >>> f = pytensor.function([x, y], x * y + x, mode=mode)
    >>> [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
    ['FlatLoopElemwise']
    >>> f(np.ones((2, 2), "float32"), np.ones((2, 2), "float32")).tolist()
    [[2.0, 2.0], [2.0, 2.0]]
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytensor.tensor as pt
from pytensor.compile.builders import OpFromGraph
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.rewriting.basic import in2out, node_rewriter
from pytensor.scalar.basic import Composite
from pytensor.tensor.elemwise import CAReduce, Elemwise

from ktensor.backends.theano import casts

__all__ = [
    "FLAT_LOOPS",
    "INLINE_GRAPH_OPS",
    "REDUCE_IN_OUTPUT_DTYPE",
    "SPLIT_FLOAT16_FUSIONS",
    "FlatLoopElemwise",
]


class FlatLoopElemwise(Elemwise):
    """An ``Elemwise`` with one flat, vectorisable loop for contiguous operands of one size.

    Strided or broadcast operands of a node of :data:`ROW_LOOP_OPERANDS` or more, or of
    a node with an input broadcast along the last axis, run a loop per output row;
    everything else takes PyTensor's general strided loop,
    generated as if no size were known statically: sizes of 1 stay known (they
    decide broadcasting), and every other size is checked at run time.
    """

    def _c_all(self, node: Apply, nodename: str, inames: list[str], onames: list[str], sub: dict[str, str]) -> Any:
        relaxed: dict[Variable, Variable] = {}

        def relax(v: Variable) -> Variable:
            if v not in relaxed:  # an operand used twice stays one variable (PyTensor dedups inputs)
                shape = tuple(1 if s == 1 else None for s in v.type.shape)  # type: ignore[attr-defined]
                relaxed[v] = v.type.clone(shape=shape)()  # type: ignore[attr-defined]
            return relaxed[v]

        stand_in = Apply(self, [relax(i) for i in node.inputs], [relax(o) for o in node.outputs])
        stand_in.tag.fake_node = node.tag.fake_node  # the scalar node prepare_node made
        decl, checks, alloc, loop, rest = super()._c_all(stand_in, nodename, inames, onames, sub)
        return decl, checks, alloc, _flat_loop(self, node, nodename, inames, onames, sub, loop), rest

    def c_code_cache_version_apply(self, node: Apply) -> tuple[Any, ...]:
        version = super().c_code_cache_version_apply(node)
        return (*version, "ktensor-flat", "rows", 4) if version else version


#: Strided nodes of this many operands (inputs and outputs) or more run :func:`_row_loop`.
ROW_LOOP_OPERANDS = 5


def _flat_loop(
    op: Elemwise, node: Apply, nodename: str, inames: list[str], onames: list[str], sub: dict[str, str], general: str
) -> str:
    """C code: one ``npy_intp`` loop over contiguous operands of the output's size, else
    ``general``.

    The loop is a function of its own (a C++ lambda, ``hot``): GCC 12 estimated the
    contiguous branch of PyTensor's code a cold path and left its loop scalar ("Not
    unswitching cold loops"), which is why static shapes made ``b + c * abs(d)`` 2.5x as
    slow, and why a five-operand node of 256x256 float32 took 422 µs where a four-operand
    one took 11. The loop is marked free of loop-carried dependences (``ivdep``: an output
    written in place reads only its own element), so no run-time alias checks are needed.
    """
    inputs = list(dict.fromkeys(inames))
    aliased = {onames[o]: inames[i] for o, i in op.inplace_pattern.items()}
    outputs = [o for o in onames if o not in aliased]
    task = op.scalar_op.c_code(
        node.tag.fake_node, f"{nodename}_flat_", [f"{x}_i" for x in inames], [f"{z}_i" for z in onames], sub
    )
    size = f"PyArray_SIZE({onames[0]})"
    condition = " && ".join(
        [f"PyArray_IS_C_CONTIGUOUS({x})" for x in inputs + outputs] + [f"PyArray_SIZE({x}) == {size}" for x in inputs]
    )
    pointers = "".join(f"dtype_{x}* {x}_flat = (dtype_{x}*)PyArray_DATA({x});\n" for x in inputs + outputs)
    elements = "".join(f"dtype_{x}& {x}_i = {x}_flat[i];\n" for x in inputs + outputs)
    defines = "".join(f"#define {z}_i {x}_i\n" for z, x in aliased.items())
    undefines = "".join(f"#undef {z}_i\n" for z in aliased)
    if sub["fail"] in task or "goto " in task:
        # The scalar code can fail (integer modulo by zero): its goto cannot leave the
        # lambdas below. Scalar ops re-indent the fail code, so look for the goto too.
        return general
    # Inputs broadcast along the last axis (a row's max or sum against the matrix, as in
    # softmax): one value per row, read once a row.
    last = node.outputs[0].type.shape[-1]  # type: ignore[attr-defined]
    row_values = (
        []
        if last == 1
        else list(dict.fromkeys(x for x, v in zip(inames, node.inputs) if v.type.shape[-1] == 1))  # type: ignore[attr-defined]
    )
    if len(inputs) + len(outputs) < ROW_LOOP_OPERANDS and not row_values:
        rows, row_condition = general, "1"  # PyTensor's own loop vectorises these
    else:
        rows = _row_loop(node, inputs, outputs, onames[0], defines, undefines, task, row_values)
        row_condition = " && ".join(f"PyArray_IS_C_CONTIGUOUS({z})" for z in outputs) or "1"
    return f"""
    if ({condition}) {{
        const npy_intp n = {size};
        {pointers}
        {defines}
        auto flat_loop = [&]() __attribute__((noinline, hot)) {{
            #pragma GCC ivdep
            for (npy_intp i = 0; i < n; ++i) {{
                {elements}
                {task}
            }}
        }};
        flat_loop();
        {undefines}
    }} else if ({row_condition}) {{
        {rows}
    }} else {{
        {general}
    }}
    """


def _row_loop(
    node: Apply,
    inputs: list[str],
    outputs: list[str],
    first: str,
    defines: str,
    undefines: str,
    task: str,
    row_values: list[str],
) -> str:
    """C code: the output's rows (its last axis) in C order, each row one loop of its own.

    For strided or broadcast operands with C-contiguous outputs (a window slice of
    pooling, a row or column added to a matrix). PyTensor's general loop addresses every
    element from all its indices, which GCC stops vectorising past three operands (and
    then branches on each element of a ``maximum``: four window slices took 4.6 ms where
    three took 0.12). Where every operand's last axis has unit stride the rows run a
    loop over unit strides, which GCC vectorises; otherwise (a column broadcast along
    the rows, a step > 1) a strided loop. Where the only operands without unit stride
    are ``row_values`` (inputs of size 1 on the last axis: a row's maximum or sum
    against the matrix, as in softmax), each of those is read once a row and the rest
    run over unit strides (PyTensor's loop took 20 µs for ``e / e.sum(-1, keepdims=True)``
    at 256x128, NumPy 9.5). A size-1 axis of an operand is broadcast (stride 0). The
    output's axes are walked in C order, so it must be C-contiguous.
    """
    nd = node.outputs[0].type.ndim  # type: ignore[attr-defined]
    operands = inputs + outputs
    strides = "".join(
        f"npy_intp {x}_st[{nd}];\n"
        + "".join(
            f"{x}_st[{d}] = (PyArray_DIMS({x})[{d}] == 1 && dims[{d}] != 1) ? 0 : PyArray_STRIDES({x})[{d}];\n"
            for d in range(nd)
        )
        for x in operands
    )
    unit = " && ".join(f"{x}_st[{nd - 1}] == sizeof(dtype_{x})" for x in operands)
    spread = [x for x in operands if x not in row_values]
    row_reads = "".join(f"const dtype_{x} {x}_i = *(dtype_{x}*){x}_row;\n" for x in row_values)
    spread_elements = "".join(f"dtype_{x}& {x}_i = ((dtype_{x}*){x}_row)[i];\n" for x in spread)
    unit_but_row_values = " && ".join(f"{x}_st[{nd - 1}] == sizeof(dtype_{x})" for x in spread) or "1"
    # Only a node with row values has their loop.
    row_value_loop = f"""
        auto row_value_row = [&]() __attribute__((noinline, hot)) {{
            {row_reads}
            #pragma GCC ivdep
            for (npy_intp i = 0; i < inner; ++i) {{
                {spread_elements}
                {task}
            }}
        }};""" if row_values else ""
    pick = (
        "if (unit) unit_row(); else if (unit_but_row_values) row_value_row(); else strided_row();"
        if row_values
        else "if (unit) unit_row(); else strided_row();"
    )
    starts = "".join(f"char* {x}_row = PyArray_BYTES({x});\n" for x in operands)
    unit_elements = "".join(f"dtype_{x}& {x}_i = ((dtype_{x}*){x}_row)[i];\n" for x in operands)
    strided_elements = "".join(f"dtype_{x}& {x}_i = *(dtype_{x}*)({x}_row + i * {x}_st[{nd - 1}]);\n" for x in operands)
    advance = "".join(
        f"""
            if (++idx[{d}] < dims[{d}]) {{
                {"".join(f"{x}_row += {x}_st[{d}];" for x in operands)}
                continue;
            }}
            idx[{d}] = 0;
            {"".join(f"{x}_row -= {x}_st[{d}] * (dims[{d}] - 1);" for x in operands)}
        """
        for d in reversed(range(nd - 1))
    )
    return f"""
        const npy_intp* dims = PyArray_DIMS({first});
        const npy_intp inner = dims[{nd - 1}];
        npy_intp outer = 1;
        for (int d = 0; d < {nd - 1}; ++d) outer *= dims[d];
        {strides}
        {starts}
        const bool unit = {unit};
        {f"const bool unit_but_row_values = {unit_but_row_values};" if row_values else ""}
        npy_intp idx[{max(nd - 1, 1)}] = {{0}};
        {defines}
        auto unit_row = [&]() __attribute__((noinline, hot)) {{
            #pragma GCC ivdep
            for (npy_intp i = 0; i < inner; ++i) {{
                {unit_elements}
                {task}
            }}
        }};
        {row_value_loop}
        auto strided_row = [&]() __attribute__((noinline, hot)) {{
            #pragma GCC ivdep
            for (npy_intp i = 0; i < inner; ++i) {{
                {strided_elements}
                {task}
            }}
        }};
        if (inner > 0) {{
            for (npy_intp o = 0; o < outer; ++o) {{
                {pick}
                {advance}
                break;
            }}
        }}
        {undefines}
    """


def _wants_flat_loop(node: Apply) -> bool:
    """Whether this Elemwise node has the operands :class:`FlatLoopElemwise` is for."""
    if len(set(node.inputs)) < 2 or node.outputs[0].type.ndim < 1:  # type: ignore[attr-defined]
        return False  # PyTensor's loop for one operand vectorises already
    if any(v.type.dtype == "float16" for v in [*node.inputs, *node.outputs]):  # type: ignore[attr-defined]
        return False  # no C code at all
    return not all(s == 1 for s in node.outputs[0].type.shape)  # type: ignore[attr-defined]


@node_rewriter([Elemwise])
def _flat_loops(fgraph: Any, node: Apply) -> list[Variable] | None:
    op = node.op
    if type(op) is not Elemwise or not _wants_flat_loop(node):
        return None
    flat = FlatLoopElemwise(op.scalar_op, op.inplace_pattern, name=op.name, nfunc_spec=op.nfunc_spec)
    return cast(list[Variable], flat(*node.inputs, return_list=True))


@node_rewriter([Elemwise])
def _split_float16_fusions(fgraph: Any, node: Apply) -> list[Variable] | None:
    composite = node.op.scalar_op
    if not isinstance(composite, Composite):
        return None
    inner = composite.fgraph
    if not any(v.type.dtype == "float16" for v in [*node.inputs, *node.outputs, *inner.variables]):
        return None
    values: dict[Variable, Variable] = dict(zip(inner.inputs, node.inputs))
    for scalar_node in inner.toposort():
        args = [
            values[v] if v in values else pt.constant(np.asarray(v.data, dtype=v.type.dtype))  # type: ignore[attr-defined]
            for v in scalar_node.inputs
        ]
        outputs = cast(list[Variable], casts.elemwise_for(scalar_node.op)(*args, return_list=True))
        values.update(zip(scalar_node.outputs, outputs))
    return [values[v] for v in inner.outputs]


@node_rewriter([OpFromGraph])
def _inline_graph_ops(fgraph: Any, node: Apply) -> list[Variable] | None:
    from pytensor.tensor.rewriting.ofg import inline_ofg_node

    return list(inline_ofg_node(node))


@node_rewriter([CAReduce])
def _reduce_in_output_dtype(fgraph: Any, node: Apply) -> list[Variable] | None:
    op = node.op
    out = node.outputs[0].type.dtype  # type: ignore[attr-defined]
    if getattr(op, "acc_dtype", None) in (None, out):
        return None
    return [op.clone(acc_dtype=out)(*node.inputs)]


#: Give C linkers the flat loop (see the module docstring); register after inplace.
FLAT_LOOPS = in2out(_flat_loops, name="ktensor_flat_loops")
#: Split fused nodes that touch float16 (see the module docstring); register after fusion.
SPLIT_FLOAT16_FUSIONS = in2out(_split_float16_fusions, name="ktensor_split_float16_fusions")
#: Inline OpFromGraph ops (see the module docstring); register after specialize (2).
INLINE_GRAPH_OPS = in2out(_inline_graph_ops, name="ktensor_inline_graph_ops")
#: Keep JAX reductions in their output dtype (see the module docstring).
REDUCE_IN_OUTPUT_DTYPE = in2out(_reduce_in_output_dtype, name="ktensor_reduce_in_output_dtype")
