"""The one dtype rule of ktensor: NumPy 2's, with NEP 50 weak Python scalars.

Every operation asks this module for its result dtype. The answer is computed
by running the NumPy reference of the operation on a one-element sample of each
operand dtype, so ktensor agrees with NumPy by construction instead of by a
hand-copied promotion table. Python ``bool``, ``int`` and ``float`` operands
stay *weak* (NEP 50): ``float32 + 2.0`` is ``float32``, ``int8 + 300`` is an
``OverflowError``, exactly as in NumPy.

Examples:
    >>> result_dtype("add", "int32", "float32")
    'float64'
    >>> result_dtype("add", "float32", float)
    'float32'
    >>> result_dtype("divide", "int32", "int32")
    'float64'
    >>> result_dtype("add", "int8", "uint8")
    'int16'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import attrs
import numpy as np

#: The dtypes a tensor may have, on every backend.
SUPPORTED_DTYPES: tuple[str, ...] = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)
FLOAT_DTYPES: tuple[str, ...] = ("float16", "float32", "float64")

#: A dtype as ktensor reasons about it: a supported dtype name, or the type of a
#: weak Python scalar (``bool``, ``int`` or ``float``).
DtypeKey = str | type

WEAK_TYPES: tuple[type, ...] = (bool, int, float)


def _logsumexp(x: np.ndarray, axis: Any = None) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=axis))


class DtypeRule(Protocol):
    """A dtype rule: the result dtype of an operation for its operands' dtype keys."""

    def __call__(self, *keys: DtypeKey) -> str: ...


@attrs.frozen
class LikeNumpy:
    """The dtype NumPy's ``reference`` gives on one-element samples of the operands.

    Examples:
        >>> like_numpy(np.exp)("int8")
        'float16'
    """

    reference: Callable[..., Any]

    def __call__(self, *keys: DtypeKey) -> str:
        return _numpy_result(self.reference, keys)


@attrs.frozen
class Fixed:
    """Always one dtype, whatever the operands (``argmax`` gives int64).

    Examples:
        >>> Fixed("int64")("float32")
        'int64'
    """

    dtype: str

    def __call__(self, *keys: DtypeKey) -> str:
        return self.dtype


def like_numpy(reference: Callable[..., Any]) -> LikeNumpy:
    """The rule "as NumPy's ``reference`` does", for an operation NumPy has."""
    return LikeNumpy(reference)


#: "Float like a transcendental ufunc": int8 -> float16, int32 -> float64, floats kept.
FLOATING = LikeNumpy(np.exp)

# The rules of engine kernels and helpers that are not public operations; the
# public operations register theirs from their declarations (ktensor.ops).
_RULES: dict[str, DtypeRule] = {
    "where": LikeNumpy(lambda c, x, y: np.where(c, x, y)),
    "floor": LikeNumpy(np.floor),
    "logical_not": LikeNumpy(np.logical_not),
}


def register_rule(operation: str, rule: DtypeRule) -> None:
    """Make ``rule`` the answer of :func:`result_dtype` for ``operation``."""
    _RULES[operation] = rule


def dtype_name(dtype: Any, argument: str = "dtype") -> str:
    """Normalise a dtype given as a string, NumPy dtype or type to its name.

    Raises:
        TypeError: naming ``argument`` when the dtype is not one ktensor supports.

    Examples:
        >>> dtype_name(np.float32)
        'float32'
        >>> dtype_name("int64")
        'int64'
    """
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = repr(dtype)
    if name not in SUPPORTED_DTYPES:
        raise TypeError(
            f"ktensor: {argument} must be one of {', '.join(SUPPORTED_DTYPES)}; "
            f"received {dtype!r}"
        )
    return name


def is_weak_scalar(value: object) -> bool:
    """True for Python ``bool``, ``int`` and ``float`` values (not NumPy scalars)."""
    return type(value) in WEAK_TYPES


def key_of(value: object) -> DtypeKey:
    """The dtype key of a weak Python scalar (its type) or of anything else (its dtype name)."""
    if is_weak_scalar(value):
        return type(value)
    return str(np.asarray(value).dtype.name)


def _sample(key: DtypeKey) -> Any:
    if isinstance(key, type):
        return key(1)
    return np.ones((1,), dtype=key)


def _describe(key: DtypeKey) -> str:
    return f"Python {key.__name__}" if isinstance(key, type) else key


def result_dtype(operation: str, *keys: DtypeKey) -> str:
    """The dtype of ``operation``'s result on operands of these dtype keys.

    Args:
        operation: a ktensor operation name, e.g. ``"add"`` or ``"mean"``.
        *keys: one dtype key per operand: a dtype name, or ``bool``/``int``/``float``
            for a weak Python scalar.

    Raises:
        TypeError: when NumPy itself refuses the dtypes (e.g. ``bool - bool``).

    Examples:
        >>> result_dtype("sum", "int8")
        'int64'
        >>> result_dtype("mean", "int32")
        'float64'
    """
    try:
        rule = _RULES[operation]
    except KeyError:
        raise KeyError(f"ktensor: no dtype rule is declared for {operation!r}") from None
    return rule(*keys)


@functools.lru_cache(maxsize=4096)
def _numpy_result(reference: Callable[..., Any], keys: tuple[DtypeKey, ...]) -> str:
    samples = [_sample(k) for k in keys]
    try:
        with np.errstate(all="ignore"):
            out = reference(*samples)
    except (TypeError, ValueError) as error:
        described = ", ".join(_describe(k) for k in keys)
        name = getattr(reference, "__name__", "the operation")
        raise TypeError(
            f"ktensor: {name} is not defined for operands of dtype {described} "
            f"(NumPy refuses it too: {error})"
        ) from None
    name = np.asarray(out).dtype.name
    return dtype_name(name, "result")


@functools.lru_cache(maxsize=4096)
def common_dtype(*keys: DtypeKey) -> str:
    """The dtype operands are brought to before an operation compares them.

    Examples:
        >>> common_dtype("int8", float)
        'float64'
        >>> common_dtype("float16", int)
        'float16'
    """
    return dtype_name(np.result_type(*[_sample(k) for k in keys]).name)


def weak_scalar_array(value: bool | float, dtype: str, argument: str) -> np.ndarray:
    """Convert a weak Python scalar to a 0-d array of ``dtype`` the way NumPy 2 does.

    Raises:
        OverflowError: when a Python int does not fit ``dtype`` (NumPy 2 raises too).
    """
    try:
        return np.asarray(value, dtype=dtype)
    except OverflowError:
        raise OverflowError(
            f"ktensor: {argument} is the Python integer {value}, which is out of bounds "
            f"for the operation's dtype {dtype} (NumPy 2 refuses it too); "
            f"cast the tensor first, e.g. t.astype('int64')"
        ) from None


def is_float(dtype: str) -> bool:
    """True for float16, float32 and float64."""
    return dtype in FLOAT_DTYPES


def is_integer(dtype: str) -> bool:
    """True for the signed and unsigned integer dtypes."""
    return dtype.startswith(("int", "uint"))


def is_signed(dtype: str) -> bool:
    """True for the signed integer dtypes (``int8`` ... ``int64``), the ones that hold negatives
    among the integers and bool."""
    return dtype.startswith("int")


def can_cast(from_dtype: Any, to_dtype: str) -> bool:
    """NumPy's ``same_kind`` rule, the one compiled functions and ``set_value`` apply."""
    return bool(np.can_cast(from_dtype, to_dtype, casting="same_kind"))


#: NumPy computes float16 ufuncs and reductions in float32 and rounds the result.
FLOAT16_WORK = "float32"


def compute_dtype(dtype: str) -> str:
    """The dtype an engine kernel runs in for ``dtype``: float16 in float32, as NumPy.

    Examples:
        >>> compute_dtype("float16"), compute_dtype("int8")
        ('float32', 'int8')
    """
    return FLOAT16_WORK if dtype == "float16" else dtype


def ties_to_first(dtype: str) -> bool:
    """Whether NumPy's ``maximum``/``minimum`` of ``dtype`` answers its first operand on a
    tie (``0.0`` against ``-0.0``): float16's scalar loop does, float32's and float64's
    SIMD loops answer the second. Integers tie only on equal values (either will do).

    Examples:
        >>> ties_to_first("float16"), ties_to_first("float32")
        (True, False)
    """
    return dtype not in ("float32", "float64")


def product_work_dtype(out: str) -> str:
    """The dtype a matrix product of result ``out`` multiplies in: a sum of bool products
    needs an integer (NumPy's bool matmul is an ``any`` of ``and``)."""
    return "int64" if out == "bool" else out


def comparison_dtype(work: str, weak_values: list[Any]) -> str:
    """NumPy compares ints with Python ints of any size: widen when one does not fit.

    Examples:
        >>> comparison_dtype("int8", [300]), comparison_dtype("int8", [3])
        ('int64', 'int8')
    """
    info = np.iinfo(work)
    if all(type(v) is not int or info.min <= v <= info.max for v in weak_values):
        return work
    wide = np.iinfo("int64")
    fits_int64 = work != "uint64" and all(type(v) is not int or wide.min <= v <= wide.max for v in weak_values)
    return "int64" if fits_int64 else "float64"


def signed_against_uint64(keys: tuple[DtypeKey, ...]) -> bool:
    """A uint64 compared with a signed integer (or a Python int): NumPy compares exactly.

    Examples:
        >>> signed_against_uint64(("int8", "uint64")), signed_against_uint64(("uint8", "uint64"))
        (True, False)
    """
    if len(keys) != 2 or "uint64" not in keys:
        return False
    other = keys[1] if keys[0] == "uint64" else keys[0]
    return other is int or other in ("int8", "int16", "int32", "int64")


def cast_value(array: np.ndarray, dtype: str, argument: str) -> np.ndarray:
    """``array`` as ``dtype``, refusing integer results that would wrap around.

    The one rule for every place where a Python or NumPy value becomes a tensor's or a
    variable's value (``constant``, ``variable``, ``set_value``, ``arange``, the arguments
    of a compiled function): NumPy 2 refuses ``np.array(300, dtype="int8")``, so an
    integer or float value outside an integer dtype's range (or NaN, or an infinity) is
    an ``OverflowError`` naming ``argument``, never silently wrapped data.

    Examples:
        >>> cast_value(np.array([1, 2]), "int8", "value")
        array([1, 2], dtype=int8)
        >>> cast_value(np.array([300]), "int8", "value")
        Traceback (most recent call last):
        ...
        OverflowError: ktensor: value expects dtype int8 (-128 to 127); received values from 300 to 300, which would wrap around
    """
    target = np.dtype(dtype)
    if array.dtype == target:
        return array
    if target.kind in "iu" and array.dtype.kind in "iuf" and array.size:
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise OverflowError(f"ktensor: {argument} expects dtype {dtype}; received NaN or an infinity, which no integer holds")
        info = np.iinfo(target)
        low, high = array.min(), array.max()
        if low < info.min or high > info.max:
            raise OverflowError(
                f"ktensor: {argument} expects dtype {dtype} ({info.min} to {info.max}); "
                f"received values from {low} to {high}, which would wrap around"
            )
    return array.astype(target)
