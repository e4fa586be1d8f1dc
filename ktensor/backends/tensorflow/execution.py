"""How a ``TensorFlowBackend`` compiles and runs a function: a small copy, run eagerly.

Every symbol a backend builds lives in one *build graph* (a ``tf.Graph`` that is never
run itself); variables live in TensorFlow's eager context, and the build graph reads
each through a resource placeholder standing for its handle (:func:`variable_read`).
Compiling finds the ops the outputs and updates need (from them back to the inputs),
copies just those into a fresh graph (a ``GraphDef`` import, in C++), and registers
that graph as one TensorFlow function; a call hands NumPy arrays to it through
TensorFlow's eager executor (``TFE_Py_Execute``), the path ``tf.function`` takes.

So building, compiling and calling cost what the function needs, never what was
built before it. A ``Session`` on one growing graph re-copied and re-optimised the
whole graph for every new callable (15 ms then 245 ms of CPU an iteration after 600
small functions), and even ``TF_GraphToFunction`` on the build graph itself copies
the stack traces of all its nodes. A function's graph and kernels are freed with it.
The eager call is also TensorFlow's fastest for NumPy arrays: 0.45x
``make_callable``'s time at 2x2 and 0.74-0.9x at 512x512 (``docs/backends.md``).
An output whose buffer the call allocated (a convolution, a sum of computed
operands: :func:`_fresh_outputs`) is returned as that buffer, writeable, instead
of the copy ``EagerTensor.numpy`` makes (which made a batch-64 ``conv2d`` 1.2-1.4x
``make_callable``'s time); anything else is copied.
With ``jit_compile=True`` the function carries ``_XlaMustCompile``, as
``tf.function(jit_compile=True)`` does; with ``"auto"`` the call starts as the graph
executor's and :mod:`ktensor.backends.tensorflow.tiering` may move it to that XLA
function once it is hot.

Examples:
    >>> import numpy as np
    >>> import tensorflow as tf
    >>> from ktensor.backends.tensorflow import execution
    >>> build, handles = tf.Graph(), {}
    >>> v = tf.Variable(np.float32(1.0))
    >>> with build.as_default():
    ...     x = tf.compat.v1.placeholder(tf.float32, ())
    ...     handle, read = execution.variable_read(v, handles)
    ...     y = x + read
    >>> step = execution.compile_function(build, handles, [x], [y], [(handle, y)], jit_compile=False)
    >>> [float(r) for r in step([np.float32(2.0)])], float(v.numpy())
    ([3.0], 3.0)
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from tensorflow.core.framework import graph_pb2
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
from tensorflow.python import pywrap_tfe
from tensorflow.python.client import pywrap_tf_session as c_api
from tensorflow.python.eager import context as tf_context
from tensorflow.python.eager import core as tf_core
from tensorflow.python.eager.polymorphic_function import attributes
from tensorflow.python.framework import c_api_util, dtypes, errors, ops
from tensorflow.python.ops import array_ops, gen_resource_variable_ops, resource_variable_ops

from ktensor.backends.tensorflow import tiering
from ktensor.backends.tiering import TieredCall

Native = Any
CompiledCall = Any

__all__ = ["compile_function", "variable_read"]

# Function names are global to the eager context, which every backend shares.
_names = itertools.count()


def variable_read(variable: Any, handles: dict[Any, Any]) -> tuple[Native, Native]:
    """``(handle placeholder, read)`` of the eager ``variable`` in the default graph;
    ``handles`` learns which eager handle the placeholder stands for.

    A placeholder of our own rather than a ``FuncGraph`` capture: a capture costs time
    in the number of captures before it (TensorFlow recomputes their lists).
    """
    handle = array_ops.placeholder(dtypes.resource, (), name="variable_handle")
    data = resource_variable_ops.get_eager_safe_handle_data(variable.handle)
    if data is not None and data.is_set:
        resource_variable_ops._set_handle_shapes_and_types(handle, data, graph_mode=True)
    read = gen_resource_variable_ops.read_variable_op(handle, variable.dtype)
    read.set_shape(variable.shape)
    handles[handle.op] = variable.handle
    return handle, read


def _subgraph(
    handles: Mapping[Any, Any], inputs: Sequence[Native], targets: Sequence[Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    """The ops that ``targets`` (ops) need, not past ``inputs``, in no particular
    order; the variable handle placeholders among them and their eager handles."""
    input_ops = {p.op for p in inputs}
    seen: set[Any] = set()
    needed: list[Any] = []
    captured: list[Any] = []
    externals: list[Any] = []
    stack = list(targets)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op in input_ops:
            continue
        if op in handles:
            captured.append(op.outputs[0])
            externals.append(handles[op])
            continue
        if op.type == "Placeholder":  # Function.build refuses unfed placeholders before this
            raise ValueError(f"ktensor: internal: placeholder {op.name} is neither an input nor a variable")
        needed.append(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return needed, captured, externals


def _functions_used(ops_: Sequence[Any], build: Any) -> list[Any]:
    """The functions of ``build`` that ``ops_`` call or name in their attributes (loop
    bodies and branches), each with the functions it calls itself."""
    names: set[str] = set()
    for op in ops_:
        if op.type in build._functions:
            names.add(op.type)
        for value in op.node_def.attr.values():
            if value.HasField("func"):
                names.add(value.func.name)
            names.update(f.name for f in value.list.func)
    found: dict[str, Any] = {}
    stack = [build._functions[name] for name in sorted(names) if name in build._functions]
    while stack:
        function = stack.pop()
        key = function.name.decode() if isinstance(function.name, bytes) else str(function.name)
        if key not in found:
            found[key] = function
            stack.extend(getattr(function, "children", ()))
    return list(found.values())


def _definition(function: Any) -> Any:
    return getattr(function, "cached_definition", None) or function.definition


def _small_graph(
    build: Any,
    needed: Sequence[Any],
    sources: Sequence[Native],
    outputs: Sequence[Native],
    controls: Sequence[Any],
    functions: Sequence[Any],
) -> tuple[Any, list[Any], list[Any], list[Any], list[Any]]:
    """A fresh graph holding a copy of ``needed`` (imported from their ``NodeDef`` s in
    C++), fed by placeholders standing for ``sources`` (shapes and variable handle
    data kept). Returns the graph and, as C API handles, the function body's ops, its
    arguments, results and control results."""
    graph = ops.Graph()
    with graph.as_default():
        args = []
        for i, t in enumerate(sources):
            arg = array_ops.placeholder(t.dtype, t.shape, name=f"arg{i}")
            data = resource_variable_ops.get_resource_handle_data(t)
            if data.shape_and_type:
                resource_variable_ops._set_handle_shapes_and_types(arg, data, graph_mode=True)
            args.append(arg)
    graph_def = graph_pb2.GraphDef()
    graph_def.versions.CopyFrom(build.graph_def_versions)
    graph_def.node.extend(op.node_def for op in needed)
    graph_def.library.function.extend(_definition(f) for f in functions)
    scoped = c_api_util.ScopedTFImportGraphDefOptions()
    options = scoped.options
    c_api.TF_ImportGraphDefOptionsSetPrefix(options, "f")
    # Colocation hints (gradients) may name ops the copy leaves out.
    c_api.TF_ImportGraphDefOptionsSetValidateColocationConstraints(options, False)
    fed = {}
    for t, arg in zip(sources, args):
        fed[t.ref()] = arg
        c_api.TF_ImportGraphDefOptionsAddInputMapping(options, t.op.name, t.value_index, arg._as_tf_output())
        c_api.TF_ImportGraphDefOptionsRemapControlDependency(options, t.op.name, arg.op._c_op)
    computed = [o for o in outputs if o.ref() not in fed]
    for o in computed:
        c_api.TF_ImportGraphDefOptionsAddReturnOutput(options, o.op.name, o.value_index)
    for op in (*needed, *controls):  # the body's ops, then the control results
        c_api.TF_ImportGraphDefOptionsAddReturnOperation(options, op.name)
    buffer = c_api.TF_NewBufferFromString(graph_def.SerializeToString())
    try:
        with graph._c_graph.get() as c_graph:
            results = c_api_util.ScopedTFImportGraphDefResults(
                c_api.TF_GraphImportGraphDefWithResults(c_graph, buffer, options)
            )
    finally:
        c_api.TF_DeleteBuffer(buffer)
    returned = iter(c_api.TF_ImportGraphDefResultsReturnOutputs(results.results))
    rets = [fed[o.ref()]._as_tf_output() if o.ref() in fed else next(returned) for o in outputs]
    returned_ops = list(c_api.TF_ImportGraphDefResultsReturnOperations(results.results))
    body, control_rets = returned_ops[: len(needed)], returned_ops[len(needed) :]
    return graph, body, [a._as_tf_output() for a in args], rets, control_rets


def compile_function(
    build: Any,
    handles: Mapping[Any, Any],
    inputs: Sequence[Native],
    outputs: Sequence[Native],
    updates: Sequence[tuple[Native, Native]],
    jit_compile: bool | str,
    keep_alive: Any = None,
) -> CompiledCall:
    """A callable running ``outputs`` of ``inputs`` (placeholders of ``build``) and
    assigning each ``(handle placeholder, new value)`` of ``updates`` after every read.

    Arrays in (the inputs' exact dtypes), a list of arrays out, safe from several
    threads; a function with updates runs one call at a time. Only the assigns are
    added to ``build``; the function is a copy of the ops it needs, found from the
    outputs back, so its cost never depends on the rest of the graph. ``handles`` maps
    each variable's handle placeholder op to its eager handle. The callable holds
    ``keep_alive`` (the variables: a handle alone does not keep its variable).
    """
    assigns: list[Any] = []
    if updates:
        # Every read (outputs, new values) happens before any assign: without
        # these dependencies the order inside one run is a race.
        reads = [*outputs, *(value for _, value in updates)]
        with build.as_default(), ops.control_dependencies(reads):
            assigns = [
                gen_resource_variable_ops.assign_variable_op(handle, value, validate_shape=True)
                for handle, value in updates
            ]
    needed, captured, externals = _subgraph(handles, inputs, [o.op for o in outputs] + assigns)
    functions = _functions_used(needed, build)
    graph, body, args, rets, control_rets = _small_graph(
        build, needed, [*inputs, *captured], outputs, assigns, functions
    )

    def register(xla: bool) -> str:
        return _register(graph, body, args, rets, control_rets, xla)

    types = _op_types(needed, functions)
    owned = None if updates else _fresh_outputs(outputs, inputs, handles)
    xla = jit_compile is True and not types & _NOT_FOR_XLA
    # Grappler's constant folding trusts the shapes it infers, and it infers them from
    # ops that would fail at run time: from ``x @ x.sum(keepdims=True)`` with ``x`` of
    # unknown size it infers size 1, turns the sum into ``x`` and folds ktensor's
    # run-time check of the sizes (an Assert) to true, giving a value where NumPy
    # refuses. Likewise it reads a variable's shape back into the value assigned to it,
    # which folded away the check of that very shape. A function holding an Assert
    # runs without constant folding; one without keeps it.
    folding = "Assert" not in types
    enums = [p.dtype.as_datatype_enum for p in inputs]
    held = [functions, keep_alive]
    call = _caller(register, xla, enums, externals, len(outputs), bool(updates), held, folding, owned)
    if jit_compile != "auto":
        return call
    why_not = _why_not_xla(types, needed, functions)
    if why_not is not None:
        return TieredCall(call, None, label="a function", base="graph", why_not=why_not)

    def xla_call() -> tuple[CompiledCall, str]:  # on the preparing thread: nothing here changes `build`
        name = register(True)
        return _caller(lambda _: name, False, enums, externals, len(outputs), bool(updates), held, folding, owned), name

    alternative = tiering.XlaAlternative(xla_call, enums, externals, len(outputs), _executor())
    return TieredCall(call, alternative, label="a function", base="graph")


def _register(graph: Any, body: list[Any], args: list[Any], rets: list[Any], control_rets: list[Any], xla: bool) -> str:
    """Register ``graph``'s ops ``body`` (C API handles) as a function of the eager
    context, with XLA's ``_XlaMustCompile`` where ``xla``; its name."""
    name = f"ktensor_function_{next(_names)}"
    with graph._c_graph.get() as c_graph:
        c_function = c_api.TF_GraphToFunction_wrapper(
            c_graph, name, False, body, args, rets, [], control_rets, [], None, ""
        )
    if xla:
        for key, value in attributes.parse_func_attrs({attributes.XLA_COMPILE: True}).items():
            c_api.TF_FunctionSetAttrValueProto(c_function, key, value.SerializeToString())
    tf_context.context().add_c_function(c_function)
    c_api.TF_DeleteFunction(c_function)
    return name


def _executor() -> Callable[[str, list[Any], int], list[Any]]:
    """``execute(name, tensors, count)``: a registered function run eagerly, its
    failure raised as TensorFlow's exception class (without TensorFlow's log line)."""
    context = tf_context.context()
    call_attrs = tuple(itertools.chain(*context.function_call_options.as_attrs().items()))
    execute = pywrap_tfe.TFE_Py_Execute

    def run(name: str, tensors: list[Any], count: int) -> list[Any]:
        try:
            return execute(context._handle, None, name, tensors, call_attrs, count)  # type: ignore[no-any-return]
        except tf_core._NotOkStatusException as status:
            raise _exception(status) from None

    return run


#: Kernels whose output is a buffer allocated by the call (or a fused kernel's):
#: TensorFlow's graph optimiser never replaces one of them by one of its inputs while
#: every input is computed from the function's inputs or variables (a constant
#: operand may be neutral: ``x * 1`` becomes ``x``). Involutions (``Neg``,
#: ``Reciprocal``), views, reductions (their axes are constants) and selects are not here.
_FRESH = frozenset({
    "Conv2D", "Conv3D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "Conv3DBackpropInputV2",
    "Conv3DBackpropFilterV2", "DepthwiseConv2dNative", "MaxPool", "MaxPoolV2", "MaxPool3D", "AvgPool",
    "AvgPool3D", "MaxPoolGrad", "AvgPoolGrad", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
    "BiasAdd", "BiasAddGrad", "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Softplus", "Softsign",
    "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt",
    "Square", "Abs", "Sin", "Cos", "Tan", "Erf", "AddV2", "Add", "Sub", "Mul", "RealDiv", "Div",
    "Maximum", "Minimum", "Pow", "SquaredDifference",
})
#: Ops whose output is their first input's buffer, looked through to the op computing it.
_VIEWS = frozenset({"Identity", "StopGradient", "EnsureShape", "PreventGradient"})


def _fresh_outputs(outputs: Sequence[Native], inputs: Sequence[Native], handles: Mapping[Any, Any]) -> list[bool]:
    """For each output, whether the array a call returns for it may be TensorFlow's own
    buffer rather than a copy (``EagerTensor.numpy`` copies, 90 µs for a 5.5 MB
    convolution output of a 400 µs call): its buffer is allocated by the call, so
    nothing else (an input, a variable, a constant kept between calls) shares it. An
    output that repeats an earlier one is copied."""
    sources = {t.op for t in inputs} | set(handles)
    live: dict[Any, bool] = {}

    def is_live(op: Any) -> bool:  # computed from an input or a variable
        stack, order = [op], []
        while stack:
            o = stack.pop()
            if o in live:
                continue
            if o in sources:
                live[o] = True
                continue
            order.append(o)
            stack.extend(t.op for t in o.inputs if t.op not in live)
        for o in reversed(order):
            if o not in live:
                live[o] = any(live.get(t.op, False) for t in o.inputs)
        return live[op]

    owned, seen = [], set()
    for t in outputs:
        op = t.op
        while op.type in _VIEWS and op.inputs:
            op = op.inputs[0].op
        fresh = op.type in _FRESH and bool(op.inputs) and all(is_live(i.op) for i in op.inputs)
        owned.append(fresh and t.ref() not in seen)
        seen.add(t.ref())
    return owned


#: Ops XLA drops (``Assert``: ktensor's run-time checks would vanish, an index out
#: of bounds read silently) or cannot compile (prints): a function holding one is
#: compiled without XLA.
_NOT_FOR_XLA = frozenset({"Assert", "Print", "PrintV2", "StringFormat"})


def _op_types(needed: Sequence[Any], functions: Sequence[Any]) -> set[str]:
    """The op types of ``needed`` and of the loop bodies and branches they call."""
    types = {op.type for op in needed}
    for function in functions:
        types.update(node.op for node in _definition(function).node_def)
    return types


def _why_not_xla(types: set[str], needed: Sequence[Any], functions: Sequence[Any]) -> str | None:
    """Why an ``"auto"`` function must stay in the graph executor, or ``None``: an op XLA
    cannot run as the graph does (:data:`tiering.NOT_FOR_XLA`), or float16 in ``needed``
    or in the arguments and results of the loop bodies and branches they call
    (TensorFlow's kernels round float16 after each op, as NumPy does; XLA may keep the
    float32 it computes in between, its excess precision)."""
    if types & tiering.NOT_FOR_XLA:
        return f"XLA cannot run it as the graph does ({', '.join(sorted(types & tiering.NOT_FOR_XLA))})"
    half = dtypes.float16.as_datatype_enum
    signatures = [_definition(function).signature for function in functions]
    if any(t.dtype == dtypes.float16 for op in needed for t in op.outputs) or any(
        a.type == half for signature in signatures for a in [*signature.input_arg, *signature.output_arg]
    ):
        return "float16 (XLA rounds it otherwise)"
    return None


def _remove_function(context: Any, name: str) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit the context may be gone
        context.remove_function(name)


def _caller(
    register: Callable[[bool], str],
    xla: bool,
    enums: list[int],
    captures: list[Any],
    count: int,
    serial: bool,
    held: list[Any],
    folding: bool,
    owned: list[bool] | None = None,
) -> CompiledCall:
    context = tf_context.context()
    options = context.function_call_options.as_attrs()
    if not folding:
        config = config_pb2.ConfigProto.FromString(options["config_proto"])
        config.graph_options.rewrite_options.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
        options["config_proto"] = config.SerializeToString()
    call_attrs = tuple(itertools.chain(*options.items()))
    execute = pywrap_tfe.TFE_Py_Execute
    eager_tensor = ops.EagerTensor
    device = context.device_name
    # The function's name in the eager context. With XLA, a run that fails to compile
    # (an op XLA lacks) registers the function again without XLA, once.
    current = [register(xla)]
    untried = [xla]
    fallback = threading.Lock()
    keep = owned if owned and any(owned) else None
    owned_count = sum(keep) if keep else 0
    shared_check = owned_count > 1

    def call(arrays: Sequence[np.ndarray], held: list[Any] = held) -> list[np.ndarray]:
        # The loop bodies and branches the function calls stay in the eager context
        # while it lives, and its variables too (`held`).
        tensors = [eager_tensor(a, device, e) for a, e in zip(arrays, enums)]
        if captures:
            tensors += captures
        try:
            results = execute(context._handle, None, current[0], tensors, call_attrs, count)
        except tf_core._NotOkStatusException as status:
            raise _exception(status) from None
        except errors.OpError as error:
            if not untried[0] or "compile" not in str(error):
                raise
            with fallback:
                if untried[0]:
                    untried[0] = False
                    old, current[0] = current[0], register(False)
                    _remove_function(context, old)
            results = execute(context._handle, None, current[0], tensors, call_attrs, count)
        if keep is None:
            return [r.numpy() for r in results]
        arrays = [r._numpy() if k else r.numpy() for r, k in zip(results, keep)]
        if shared_check and len({a.__array_interface__["data"][0] for a, k in zip(arrays, keep) if k}) < owned_count:
            # The optimiser merged equal computations: one buffer for two outputs.
            arrays = [r.numpy() for r in results]
        return arrays

    weakref.finalize(call, lambda: _remove_function(context, current[0]))
    if not serial:
        return call
    # Concurrent runs would each read the old values and both assign: one
    # update lost. A function with updates runs one call at a time.
    lock = threading.Lock()

    def call_with_updates(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        with lock:
            return call(arrays)

    return call_with_updates


def _exception(status: Any) -> Exception:
    """TensorFlow's exception for a failed run, as ``tf.errors`` classes it (without
    the error log line TensorFlow's own conversion writes)."""
    try:
        kind = errors.exception_type_from_error_code(status.code)
    except KeyError:
        return errors.UnknownError(None, None, status.message, status.code)
    return kind(None, None, status.message)  # type: ignore[no-any-return]

