"""A differential fuzz: random expression DAGs on each engine, against NumPy (Hypothesis).

Each example is a small program. Its leaves are placeholders (fed at run time, some
dimensions unknown when built), constants, NumPy arrays, Python lists and Python scalars
of all 12 dtypes; its steps are operators, functions, methods, reductions, indexing and
shape functions over earlier nodes. NumPy runs the program as the reference; ktensor
builds it on the engine, compiles every step as an output of one ``kt.function``, runs
it, and must give NumPy's dtype, shape and values: exactly where every value was
computed exactly (small integers and dyadic floats through exact operations), within a
tolerance by the result dtype otherwise. Where NumPy raises, ktensor must raise too (a
``ktensor:`` error when built, or ``kt.EngineError`` when run). No engine traceback may
reach stderr.

Steps that would compare engines on what is not defined are not drawn: a float cast to
an integer outside its range (C leaves it undefined), ``INT_MIN // -1``, a discontinuous
operation (``floor``, ``//``, comparisons, ``argmax``, casts to integers) of a value
already rounded differently by two libms, and the one documented difference of
``docs/backends.md`` that a program can meet (PyTensor's ``FAST_COMPILE`` refuses integer
casts that wrap around).

The theano engine is fuzzed twice: in the suite's ``FAST_COMPILE`` and in ``CVM``, the
default mode, whose C code ktensor changes (60 programs in ``ci``).

Profiles, chosen by ``KTENSOR_FUZZ_PROFILE``: ``ci`` (the default: a fixed set of programs
per engine, seconds) and ``long`` (``KTENSOR_FUZZ_EXAMPLES`` programs per engine, default
2000, random each run)::

    KTENSOR_FUZZ_PROFILE=long KTENSOR_FUZZ_EXAMPLES=3000 python -m pytest -p no:xdist tests/test_fuzz.py
"""

from __future__ import annotations

import operator
import os
import warnings
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ktensor as kt
from ktensor import dtypes

_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=int(os.environ.get("KTENSOR_FUZZ_EXAMPLES", "150")), deadline=None, derandomize=True,
    suppress_health_check=_HEALTH, database=None, print_blob=True,
)
settings.register_profile(
    "long", max_examples=int(os.environ.get("KTENSOR_FUZZ_EXAMPLES", "2000")), deadline=None,
    suppress_health_check=_HEALTH, database=None, print_blob=True,
)
PROFILE = os.environ.get("KTENSOR_FUZZ_PROFILE", "ci")

DTYPES = dtypes.SUPPORTED_DTYPES
SHAPES: tuple[tuple[int, ...], ...] = ((), (3,), (2, 3), (1, 3), (2, 1), (4,))
FLOATS = (-2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.5)
SPECIAL = (np.inf, -np.inf, np.nan)
#: Relative tolerance by result dtype for values computed inexactly (transcendentals, division).
RTOL = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-9}
#: NumPy refusals ktensor must match with an error of its own.
REFUSALS = (TypeError, ValueError, OverflowError, IndexError, ZeroDivisionError)


@attrs.define
class Node:
    """One value of a program: its NumPy reference and how it enters ktensor."""

    ref: Any
    kind: str  # placeholder, constant, array, list, scalar, step
    exact: bool
    scale: float
    declared: tuple[int | None, ...] = ()
    label: str = ""
    #: The loosest tolerance of the inexact values it was computed from (a float32
    #: arctan2 added to a float64 is as exact as the float32).
    rtol: float = 0.0

    @property
    def tensor_like(self) -> bool:
        """A Tensor on ktensor's side (an ndarray leaf is not: its methods are NumPy's)."""
        return self.kind in ("placeholder", "constant", "step")


@attrs.frozen
class Op:
    """A fuzzed operation: ``call(lib, operands, params)`` with ``lib`` NumPy or ktensor."""

    name: str
    arity: int
    call: Callable[[Any, list[Any], dict[str, Any]], Any]
    exact: bool = True  # exact operands give an exact result
    discontinuous: bool = False  # needs exact operands
    tensor_first: bool = True  # the first operand must be a Tensor (a method, or indexing)
    params: Callable[[Any, int], dict[str, Any]] = lambda data, ndim: {}


def _axis(data: Any, ndim: int, none: bool = True) -> Any:
    choices: list[Any] = list(range(-ndim, ndim)) + ([None] if none else [])
    return data.draw(st.sampled_from(choices)) if choices else None


def _reduction(data: Any, ndim: int) -> dict[str, Any]:
    return {"axis": _axis(data, ndim), "keepdims": data.draw(st.booleans())}


def _binary(name: str, symbol: Callable[[Any, Any], Any] | None, exact: bool = True, discontinuous: bool = False) -> Op:
    def call(lib: Any, xs: list[Any], p: dict[str, Any]) -> Any:
        if symbol is not None and p["operator"]:
            return symbol(xs[0], xs[1])
        return getattr(lib, name)(xs[0], xs[1])

    return Op(name, 2, call, exact, discontinuous, tensor_first=False,
              params=lambda data, ndim: {"operator": symbol is not None and data.draw(st.booleans())})


def _unary(name: str, exact: bool = False, discontinuous: bool = False) -> Op:
    def call(lib: Any, xs: list[Any], p: dict[str, Any]) -> Any:
        # the ufunc on a Tensor builds the ktensor operation too (np.exp(t))
        return getattr(np if p["ufunc"] else lib, name)(xs[0])

    ufunc = isinstance(getattr(np, name, None), np.ufunc)
    return Op(name, 1, call, exact, discontinuous,
              params=lambda data, ndim: {"ufunc": ufunc and data.draw(st.booleans())})


def _method(name: str, exact: bool = True, discontinuous: bool = False,
            params: Callable[[Any, int], dict[str, Any]] = _reduction) -> Op:
    return Op(name, 1, lambda lib, xs, p: getattr(xs[0], name)(**p), exact, discontinuous, params=params)


def _index(data: Any, ndim: int) -> dict[str, Any]:
    keys: list[Any] = [(None,), (Ellipsis, None)]
    if ndim:
        keys += [(0,), (-1,), (slice(None, None, -1),), (slice(1, None),), ([0, 0],), ([-1, 0, 0],),
                 (Ellipsis, slice(None, 2)), (slice(None), None)]
    if ndim >= 2:
        keys += [(0, -1), (slice(None), 0), (slice(None), [0, -1]), (Ellipsis, 0)]
    return {"key": data.draw(st.sampled_from(keys))}


def _astype(data: Any, ndim: int) -> dict[str, Any]:
    return {"dtype": data.draw(st.sampled_from(DTYPES))}


OPS: tuple[Op, ...] = (
    _binary("add", operator.add), _binary("subtract", operator.sub), _binary("multiply", operator.mul),
    _binary("divide", operator.truediv, exact=False), _binary("floor_divide", operator.floordiv, discontinuous=True),
    _binary("mod", operator.mod, discontinuous=True), _binary("power", operator.pow, exact=False),
    _binary("bitwise_and", operator.and_), _binary("bitwise_or", operator.or_), _binary("bitwise_xor", operator.xor),
    _binary("less", operator.lt, discontinuous=True), _binary("less_equal", operator.le, discontinuous=True),
    _binary("greater", operator.gt, discontinuous=True), _binary("equal", operator.eq, discontinuous=True),
    _binary("not_equal", operator.ne, discontinuous=True), _binary("maximum", None), _binary("minimum", None),
    _binary("logical_and", None, discontinuous=True), _binary("arctan2", None, exact=False),
    _binary("logaddexp", None, exact=False),
    Op("where", 3, lambda lib, xs, p: lib.where(xs[0], xs[1], xs[2]), discontinuous=False, tensor_first=False),
    _unary("negative", exact=True), _unary("abs", exact=True), _unary("square", exact=True),
    _unary("exp"), _unary("log"), _unary("sqrt"), _unary("sin"), _unary("tanh"), _unary("log1p"),
    _unary("floor", exact=True, discontinuous=True), _unary("ceil", exact=True, discontinuous=True),
    _unary("round", exact=True, discontinuous=True), _unary("sign", exact=True, discontinuous=True),
    _unary("isnan", exact=True, discontinuous=True), _unary("isfinite", exact=True, discontinuous=True),
    _unary("invert", exact=True), _unary("logical_not", exact=True, discontinuous=True),
    Op("neg operator", 1, lambda lib, xs, p: -xs[0]), Op("abs builtin", 1, lambda lib, xs, p: abs(xs[0])),
    Op("invert operator", 1, lambda lib, xs, p: ~xs[0]),
    _method("sum"), _method("prod"), _method("max"), _method("min"), _method("any", discontinuous=True),
    _method("all", discontinuous=True), _method("mean", exact=False), _method("std", exact=False),
    _method("argmax", discontinuous=True, params=lambda data, ndim: {"axis": _axis(data, ndim)}),
    _method("argmin", discontinuous=True, params=lambda data, ndim: {"axis": _axis(data, ndim)}),
    Op("cumsum", 1, lambda lib, xs, p: lib.cumsum(xs[0], axis=p["axis"]),
       params=lambda data, ndim: {"axis": _axis(data, ndim)}),
    Op("sort", 1, lambda lib, xs, p: lib.sort(xs[0], axis=p["axis"]), discontinuous=True,
       params=lambda data, ndim: {"axis": _axis(data, ndim)}),
    Op("clip", 1, lambda lib, xs, p: lib.clip(xs[0], -1, 2), discontinuous=True),
    Op("astype", 1, lambda lib, xs, p: xs[0].astype(p["dtype"]), discontinuous=True, params=_astype),
    Op("index", 1, lambda lib, xs, p: xs[0][p["key"]], params=_index),
    Op("transpose", 1, lambda lib, xs, p: xs[0].T),
    Op("reshape", 1, lambda lib, xs, p: xs[0].reshape(-1)),
    Op("expand_dims", 1, lambda lib, xs, p: lib.expand_dims(xs[0], p["axis"]),
       params=lambda data, ndim: {"axis": _axis(data, ndim + 1, none=False)}),
    Op("concatenate", 2, lambda lib, xs, p: lib.concatenate([xs[0], xs[1]], axis=p["axis"]), tensor_first=False,
       params=lambda data, ndim: {"axis": _axis(data, max(ndim, 1))}),
    Op("matmul", 2, lambda lib, xs, p: lib.matmul(xs[0], xs[1]), tensor_first=False),
)


# -- drawing a program --------------------------------------------------------------
def _values(data: Any, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    if dtype == "bool":
        items: list[Any] = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    elif dtype.startswith("uint"):
        items = data.draw(st.lists(st.integers(0, 16), min_size=size, max_size=size))
    elif dtype.startswith("int"):
        items = data.draw(st.lists(st.integers(-8, 8), min_size=size, max_size=size))
    else:
        pool = FLOATS + SPECIAL if data.draw(st.booleans()) else FLOATS
        items = data.draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
    return np.array(items, dtype=dtype).reshape(shape)


def _leaf(data: Any) -> Node:
    kind = data.draw(st.sampled_from(["placeholder", "placeholder", "constant", "array", "list", "scalar"]))
    if kind == "scalar":
        value = data.draw(st.one_of(st.booleans(), st.integers(-3, 9), st.sampled_from([2.5, -0.5, 0.0, np.inf, np.nan]),
                                    st.sampled_from([300, -1, 2**40])))
        return Node(value, kind, True, float(min(abs(value), 1e6)) if value == value else 1.0, label=repr(value))
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(st.sampled_from(SHAPES))
    array = _values(data, dtype, shape)
    declared: tuple[int | None, ...] = shape
    if kind == "placeholder":
        # unknown when built only where the size is not 1 (PyTensor does not broadcast a
        # dimension unknown when built: docs/backends.md, known differences)
        declared = tuple(None if d != 1 and data.draw(st.booleans()) else d for d in shape)
    ref: Any = array.tolist() if kind == "list" else array
    return Node(ref, kind, True, _scale(array), declared, f"{kind} {dtype}{shape}")


def _scale(value: Any) -> float:
    a = np.asarray(value)
    if a.dtype.kind not in "iuf" or not a.size:
        return 1.0
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    return float(max(1.0, np.abs(finite.astype("float64")).max())) if finite.size else 1.0


def _undefined(op: Op, nodes: list[Node], params: dict[str, Any], backend: str) -> bool:
    """Whether comparing this step would compare what no engine defines (a float cast to
    an integer type it does not fit)."""
    if op.name == "astype":
        source = np.asarray(nodes[0].ref)
        target = np.dtype(params["dtype"])
        if target.kind in "iu" and source.size and source.dtype.kind == "f":
            with np.errstate(all="ignore"):
                if not np.isfinite(source).all():
                    return True
                low, high = float(source.min()), float(source.max())
            info = np.iinfo(target)
            if low <= (info.min - 1 if info.min else -1) or high >= info.max + 1:
                return True
    if any(bug.applies(op, nodes, params, backend) for bug in KNOWN_ENGINE_BUGS):
        return True
    if op.name in ("floor_divide", "mod"):
        # INT_MIN // -1 traps in C (SIGFPE) for 32 and 64 bits; NumPy special-cases it
        a, b = (np.asarray(n.ref) for n in nodes)
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and np.any(b == -1):
            return bool(np.any(a == np.iinfo(np.int32).min) or np.any(a == np.iinfo(np.int64).min))
    if op.name == "where" and any(type(n.ref) is int for n in nodes[1:]):
        # np.where wraps a Python int that does not fit the result (int8 with 300 gives 44);
        # ktensor refuses it, as everywhere a value would wrap (docs/backends.md)
        others = [np.asarray(n.ref) for n in nodes[1:] if type(n.ref) is not int]
        kinds = [a.dtype for a in others if a.dtype.kind in "iu"]
        if kinds:
            info = np.iinfo(np.result_type(*kinds))
            return any(type(n.ref) is int and not info.min <= n.ref <= info.max for n in nodes[1:])
    if op.name == "concatenate" and params["axis"] is None:
        # a Python int that does not fit: np.concatenate wraps it, ktensor refuses it
        # (an OverflowError, as everywhere a value would wrap: docs/backends.md)
        scalars = [n.ref for n in nodes if n.kind in ("scalar", "list") and type(n.ref) is int]
        arrays = [np.asarray(n.ref) for n in nodes if n.kind not in ("scalar", "list") or type(n.ref) is not int]
        kinds = [a.dtype for a in arrays if a.dtype.kind in "iu"]
        if scalars and kinds:
            info = np.iinfo(np.result_type(*kinds))
            return any(not info.min <= v <= info.max for v in scalars)
    return False


@attrs.frozen
class KnownBug:
    """An engine bug the fuzz found and reported, skipped until fixed: ``example`` shows it
    (``test_known_engine_bugs_are_still_there`` fails once it is fixed: remove the entry)."""

    description: str
    backend: str
    applies: Callable[[Op, list[Node], dict[str, Any], str], bool]
    example: Callable[[], None]


KNOWN_ENGINE_BUGS: tuple[KnownBug, ...] = ()


@attrs.define
class Program:
    """Leaves, then steps; ``refused`` is the step NumPy refused (the last one), if any."""

    nodes: list[Node] = attrs.field(factory=list)
    steps: list[tuple[Op, list[int], dict[str, Any]]] = attrs.field(factory=list)
    refused: str | None = None

    def describe(self) -> str:
        lines = [f"  n{i} = {n.label}" for i, n in enumerate(self.nodes) if n.kind != "step"]
        lines += [f"  n{len(self.nodes) - len(self.steps) + j} = {op.name}({', '.join(f'n{a}' for a in args)}; {p})"
                  for j, (op, args, p) in enumerate(self.steps)]
        return "\n".join(lines) + (f"\n  NumPy refuses the last step: {self.refused}" if self.refused else "")


def _draw_program(data: Any, backend: str) -> Program:
    program = Program()
    for _ in range(data.draw(st.integers(1, 4))):
        program.nodes.append(_leaf(data))
    target = data.draw(st.integers(1, 8))
    for _ in range(4 * target):
        if len(program.steps) == target:
            break
        op = data.draw(st.sampled_from(OPS))
        candidates = list(range(len(program.nodes)))
        firsts = [i for i in candidates if program.nodes[i].tensor_like] if op.tensor_first else candidates
        if not firsts:
            continue
        args = [data.draw(st.sampled_from(firsts))] + [data.draw(st.sampled_from(candidates)) for _ in range(op.arity - 1)]
        operands = [program.nodes[i] for i in args]
        if op.arity > 1 and not any(n.tensor_like or n.kind == "array" for n in operands):
            continue  # NumPy of Python values only is not ktensor's business
        if op.discontinuous and not all(n.exact for n in operands):
            continue
        params = op.params(data, np.ndim(operands[0].ref))
        if params.get("operator") and not any(n.tensor_like for n in operands):
            params["operator"] = False  # an operator of NumPy values alone is NumPy's own
        if _undefined(op, operands, params, backend):
            continue
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = op.call(np, [n.ref for n in operands], params)
        except REFUSALS as error:
            program.steps.append((op, args, params))
            program.nodes.append(Node(None, "step", False, 1.0))
            program.refused = f"{type(error).__name__}: {error}"
            break
        ref = np.asarray(ref)
        if ref.dtype.name not in DTYPES:
            continue
        exact = op.exact and all(n.exact for n in operands)
        scale = max([_scale(ref), *(n.scale for n in operands)])
        rtol = max([n.rtol for n in operands] + [0.0 if exact else RTOL.get(ref.dtype.name, 0.0)])
        program.steps.append((op, args, params))
        program.nodes.append(Node(ref, "step", exact, scale, rtol=rtol))
    return program


# -- running it on ktensor ------------------------------------------------------------
def _build_leaf(node: Node) -> Any:
    if node.kind == "placeholder":
        return kt.placeholder(shape=node.declared, dtype=node.ref.dtype)
    if node.kind == "constant":
        return kt.constant(node.ref, dtype=node.ref.dtype)
    return node.ref  # array, list or scalar: passed as they are


def _compare(got: np.ndarray, node: Node, where: str) -> None:
    expected = node.ref
    assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype}, NumPy {expected.dtype}"
    assert got.shape == expected.shape, f"{where}: shape {got.shape}, NumPy {expected.shape}"
    if node.exact or expected.dtype.kind not in "f":
        np.testing.assert_array_equal(got, expected, err_msg=where)
        return
    rtol = max(RTOL[expected.dtype.name], node.rtol)
    np.testing.assert_allclose(got.astype("float64"), expected.astype("float64"), rtol=rtol,
                               atol=rtol * node.scale, equal_nan=True, err_msg=where)


def _run(program: Program, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    built: list[Any] = [_build_leaf(n) for n in program.nodes[: len(program.nodes) - len(program.steps)]]
    placeholders = [(t, n) for t, n in zip(built, program.nodes) if n.kind == "placeholder"]
    outputs: list[tuple[Any, Node, str]] = []
    for j, (op, args, params) in enumerate(program.steps):
        where = f"step {j} ({op.name}) of\n{program.describe()}"
        last_refused = program.refused is not None and j == len(program.steps) - 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = op.call(kt, [built[a] for a in args], params)
        except REFUSALS as error:
            assert last_refused, f"ktensor refuses what NumPy computes: {type(error).__name__}: {error}\n{where}"
            assert str(error).startswith("ktensor:"), f"an error without the ktensor: prefix: {error!r}\n{where}"
            return
        assert kt.is_tensor(value), f"{where}: ktensor gave {value!r}, not a Tensor"
        built.append(value)
        outputs.append((value, program.nodes[len(built) - 1], where))
    feeds = [np.asarray(n.ref) for _, n in placeholders]
    f = kt.function([t for t, _ in placeholders], [t for t, _, _ in outputs])
    try:
        results = f(*feeds)
    except kt.EngineError as error:
        assert program.refused is not None, f"ktensor fails at run time: {error}\n{program.describe()}"
        return
    assert program.refused is None, f"NumPy refuses but ktensor gives a value\n{program.describe()}"
    for got, (_, node, where) in zip(results, outputs):
        _compare(np.asarray(got), node, where)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out, f"engine noise on stderr:\n{captured.err}\n{program.describe()}"


@settings(parent=settings.get_profile(PROFILE))
@given(data=st.data())
def test_random_programs_agree_with_numpy(kt_in, backend_name: str, capfd: pytest.CaptureFixture[str], data: Any) -> None:
    program = _draw_program(data, backend_name)
    event("steps", len(program.steps))
    event("refused by NumPy", program.refused is not None)
    if not program.steps:
        return
    _run(program, capfd)


#: Programs per run in PyTensor's C mode: each compiles C code (about 0.5 s cold).
CVM_EXAMPLES = int(os.environ.get("KTENSOR_FUZZ_EXAMPLES", "60" if PROFILE == "ci" else "2000"))


@pytest.fixture(scope="module")
def cvm() -> Any:
    """A theano backend in CVM, the default mode (the suite's own runs in FAST_COMPILE,
    whose Python linker never reaches ktensor's C code)."""
    from tests.conftest import _require

    _require("theano")
    from ktensor import backends

    return backends.TheanoBackend(mode="CVM")


@settings(parent=settings.get_profile(PROFILE), max_examples=CVM_EXAMPLES)
@given(data=st.data())
def test_random_programs_agree_with_numpy_in_pytensor_c_code(cvm: Any, capfd: pytest.CaptureFixture[str], data: Any) -> None:
    """Two bugs only C code had were found this way (a fail branch inside a flat loop,
    nested integer divisions by zero)."""
    program = _draw_program(data, "theano")
    if not program.steps:
        return
    with kt.use_backend(cvm):
        _run(program, capfd)


@pytest.mark.parametrize("bug", KNOWN_ENGINE_BUGS, ids=[b.description[:40] for b in KNOWN_ENGINE_BUGS])
def test_known_engine_bugs_are_still_there(bug: KnownBug) -> None:
    """Each skipped bug still shows on its engine; once fixed, this fails: drop its entry."""
    from ktensor import backends

    engine = backends.TheanoBackend() if bug.backend == "theano" else backends.TensorFlowBackend()
    with kt.use_backend(engine), pytest.raises((AssertionError, kt.EngineError)):
        bug.example()
