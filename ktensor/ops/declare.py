"""How an operation is declared: once, as a ``Backend`` method with a decorator.

An operation is a real ``def`` on one of the family classes of :mod:`ktensor.ops`
(``MathOps``, ``ReductionOps``, ...), which :class:`ktensor.Backend` inherits. Its
decorator, :func:`operation` (or :func:`elementwise` for one engine kernel), records
everything else that is true of it in an :class:`OpSpec`: its family, whether it has a
``Tensor`` method and a ``kt.*`` function, the engine kernel and its quirks, and the
conformance-kit cases with their NumPy reference. From that one record come:

* the ``kt.*`` function and the ``Tensor`` method, generated into checked-in files
  (``ktensor/_generated``) by ``python -m ktensor._codegen`` so that mypy and IDEs see
  them; a test regenerates them and fails on any difference;
* the conformance kit's rows (:mod:`ktensor.testing`);
* the consistency test: every op has an example, kit rows and its engine primitives.

Examples:
    >>> from ktensor.ops.declare import OPS
    >>> OPS["exp"].family, OPS["exp"].method, OPS["exp"].kernel.name
    ('math', 'exp', 'exp')
    >>> OPS["permute_dimensions"].alias_of
    'transpose'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from ktensor import dtypes

F = TypeVar("F", bound=Callable[..., Any])

#: The dtype combinations every kit case tries unless it says otherwise.
ALL_DTYPES: tuple[str, ...] = dtypes.SUPPORTED_DTYPES


@attrs.frozen(eq=False)
class KitCase:
    """One conformance-kit case of an operation, tried as ``t.op(...)`` and ``kt.op(t, ...)``.

    Attributes:
        leading: Positional arguments before the tensor operands (``kt.map_fn(fn, t)``,
            ``kt.einsum("ij->ji", t)``); a case with any has the function form only.
        args: Extra positional arguments after the tensor operands.
        kwargs: Extra keyword arguments.
        dtypes: Operand dtype combinations; a plain name means that dtype for every operand.
        shapes: The shape of each tensor operand.
        values: The kind of values of each operand (see ``ktensor.testing.OpCase``);
            one string for every operand.
        reference: The NumPy reference, called as ``ref(*leading, *arrays, *args,
            **kwargs)``; defaults to the operation's own reference.
        forms: Which forms to build: ``"method"`` (``t.op(...)``), ``"function"``
            (``kt.op(t, ...)``).
        group: The kit group (cases of a group compile into one function).
        grad: Also check the gradient of the summed result against central finite
            differences, in float64.
        label: The name shown in reports instead of the rendered call.
    """

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    leading: tuple[Any, ...] = ()
    dtypes: tuple[str | tuple[str, ...], ...] = ALL_DTYPES
    shapes: tuple[tuple[int, ...], ...] = ((2, 3),)
    values: str | tuple[str, ...] = "any"
    reference: Callable[..., Any] | None = None
    forms: tuple[str, ...] = ("method", "function")
    group: str | None = None
    grad: bool = False
    label: str | None = None


@attrs.frozen
class Kernel:
    """An elementwise operation that runs one engine kernel, its quirks as fields.

    Attributes:
        name: The ``native_elementwise`` kernel.
        dtype: The operation's dtype rule (from :mod:`ktensor.dtypes`).
        on_bool: The kernel to run when the operands are bool (NumPy's bool loops
            of arithmetic are the logical ones: ``add`` is ``logical_or``).
        on_integer: The kernel for integer operands (``"identity"`` where the
            operation leaves integers as they are, as ``np.round`` does).
        on_unsigned: The kernel for unsigned integer operands.
        comparison: Operands are compared in their common dtype, not in the bool result.
        division: Integer division by zero gives 0 and float ``//`` is NumPy's exact
            one (``Core._division``).
        work: For reductions: a fixed dtype to reduce in (``any`` reduces bools).
        refuse_empty: For reductions: a zero-size axis has no identity (``max``).
    """

    name: str
    dtype: dtypes.DtypeRule
    on_bool: str | None = None
    on_integer: str | None = None
    on_unsigned: str | None = None
    comparison: bool = False
    division: bool = False
    work: str | None = None
    refuse_empty: bool = False

    def for_dtype(self, work: str) -> str:
        """The kernel to run when the operands have dtype ``work``."""
        if work == "bool" and self.on_bool:
            return self.on_bool
        if work.startswith("uint") and self.on_unsigned:
            return self.on_unsigned
        if dtypes.is_integer(work) and self.on_integer:
            return self.on_integer
        return self.name


@attrs.frozen
class OpSpec:
    """Everything declared about one operation.

    Attributes:
        name: The ``Backend`` method, and the ``kt.*`` function's name.
        family: The module of :mod:`ktensor.ops` it lives in (``"math"``, ``"shape"``, ...).
        method: The ``Tensor`` method's name, or ``None`` for a function only.
        function: Whether ``kt.<name>`` exists.
        creation: The function takes no tensor first and a keyword ``backend=``.
        custom_method: ``tensor.py`` writes the method out by hand (``reshape(*shape)``).
        kernel: For elementwise operations: the engine kernel and its quirks.
        reference: The NumPy reference the kit compares with.
        kit: The conformance-kit cases.
        alias_of: For a forwarder (``permute_dimensions``): the operation it calls.
        primitives: The ``native_*`` primitives it needs beyond the core ones.
        covered_by_tables: The kit checks it in its cross-operation tables
            (operators, indexing, creation ...) rather than through ``kit``.
        kit_exempt: Why the kit has no rows for it (a host-side call such as
            ``set_value``, tested by the unit tests instead), or ``None``.
    """

    name: str
    family: str
    method: str | None
    function: bool
    creation: bool
    custom_method: bool
    kernel: Kernel | None
    reference: Callable[..., Any] | None
    kit: tuple[KitCase, ...]
    alias_of: str | None
    primitives: tuple[str, ...]
    covered_by_tables: bool
    kit_exempt: str | None = None


#: Every declared operation, by name, in declaration order.
OPS: dict[str, OpSpec] = {}
#: The elementwise kernels, by operation name (what ``Core._elementwise`` runs).
KERNELS: dict[str, Kernel] = {}


def _family(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[2:]) if parts[:2] == ["ktensor", "ops"] else module


def _method_name(name: str, method: bool | str | None, creation: bool) -> str | None:
    if method is None:
        method = not creation
    if method is True:
        return name
    return method or None


def operation(
    *,
    method: bool | str | None = None,
    function: bool = True,
    creation: bool = False,
    custom_method: bool = False,
    kit: tuple[KitCase, ...] = (),
    reference: Callable[..., Any] | None = None,
    alias_of: str | None = None,
    primitives: tuple[str, ...] = (),
    covered_by_tables: bool = False,
    kit_exempt: str | None = None,
    dtype: dtypes.DtypeRule | None = None,
    kernel: Kernel | None = None,
) -> Callable[[F], F]:
    """Declare the decorated ``Backend`` method as a public operation.

    Args:
        method: ``True`` for a ``Tensor`` method of the same name, a string for
            another name, ``False`` for none; by default a method unless ``creation``.
        function: Whether there is a ``kt.*`` function.
        creation: Whether the function creates a tensor (takes ``backend=``).
        custom_method: The method is written by hand in ``tensor.py``.
        kit: Conformance-kit cases.
        reference: The NumPy reference of the kit cases.
        alias_of: The operation a forwarder calls.
        primitives: Extra ``native_*`` primitives the operation needs.
        covered_by_tables: The kit's cross-operation tables check it.
        kit_exempt: Why the kit has no rows for it.
        dtype: A dtype rule to register under the operation's name (what
            ``dtypes.result_dtype(name, ...)`` answers).
        kernel: The elementwise kernel (see :func:`elementwise`).

    Returns:
        The decorator; the method itself is returned unchanged.
    """

    def declare(fn: F) -> F:
        name = fn.__name__
        if name in OPS:
            raise ValueError(f"ktensor: operation {name!r} is declared twice")
        rule = dtype if dtype is not None else (kernel.dtype if kernel is not None else None)
        if rule is not None:
            dtypes.register_rule(name, rule)
        if kernel is not None:
            KERNELS[name] = kernel
        ref = reference
        if ref is None and isinstance(rule, dtypes.LikeNumpy):
            ref = rule.reference
        OPS[name] = OpSpec(
            name=name,
            family=_family(fn.__module__),
            method=_method_name(name, method, creation),
            function=function,
            creation=creation,
            custom_method=custom_method,
            kernel=kernel,
            reference=ref,
            kit=kit,
            alias_of=alias_of,
            primitives=primitives,
            covered_by_tables=covered_by_tables,
            kit_exempt=kit_exempt,
        )
        return fn

    return declare


def elementwise(
    reference: Callable[..., Any],
    *,
    kernel: str | None = None,
    values: str = "any",
    kit_dtypes: tuple[str | tuple[str, ...], ...] = ALL_DTYPES,
    grad: bool = False,
    kit: tuple[KitCase, ...] | None = None,
    **quirks: Any,
) -> Callable[[F], F]:
    """Declare an operation that runs one engine kernel, with NumPy's ``reference`` as its
    dtype rule and kit reference.

    Args:
        reference: The NumPy function (``np.log1p``); its result dtype is the rule.
        kernel: The ``native_elementwise`` kernel name (default: the operation's name).
        values: The kind of kit values (``"positive"`` for ``log``).
        kit_dtypes: The dtypes the kit tries.
        grad: Check the gradient in the kit.
        kit: Kit cases in place of the default one (a unary case on a (2, 3) tensor).
        **quirks: Fields of :class:`Kernel` (``on_bool=...``, ``comparison=True``, ...).
    """
    rule = dtypes.like_numpy(reference)

    def declare(fn: F) -> F:
        cases = kit if kit is not None else (KitCase(dtypes=kit_dtypes, values=values, grad=grad),)
        spec = Kernel(kernel or fn.__name__, rule, **quirks)
        return operation(kernel=spec, kit=cases, reference=reference)(fn)

    return declare


def public_names() -> list[str]:
    """The ``kt.*`` names that come from declarations, sorted."""
    return sorted(name for name, spec in OPS.items() if spec.function)
