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
from typing import Any

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


# The NumPy reference whose result dtype defines each ktensor operation.
_REFERENCES: dict[str, Callable[..., Any]] = {
    # elementwise, binary
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.true_divide,
    "floor_divide": np.floor_divide,
    "mod": np.remainder,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "matmul": np.matmul,
    "where": lambda c, x, y: np.where(c, x, y),
    # elementwise, unary
    "negative": np.negative,
    "positive": np.positive,
    "abs": np.abs,
    "sign": np.sign,
    "sqrt": np.sqrt,
    "square": np.square,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sigmoid": np.exp,
    "softmax": np.exp,
    "round": np.round,
    "floor": np.floor,
    "invert": np.invert,
    "logical_not": np.logical_not,
    # reductions
    "sum": np.sum,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "mean": np.mean,
    "var": np.var,
    "std": np.std,
    "any": np.any,
    "all": np.all,
    "argmax": np.argmax,
    "argmin": np.argmin,
    "logsumexp": _logsumexp,
}


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


@functools.lru_cache(maxsize=4096)
def result_dtype(operation: str, *keys: DtypeKey) -> str:
    """The dtype NumPy 2 gives for ``operation`` on operands of these dtype keys.

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
    reference = _REFERENCES[operation]
    samples = [_sample(k) for k in keys]
    try:
        with np.errstate(all="ignore"):
            out = reference(*samples)
    except (TypeError, ValueError) as error:
        described = ", ".join(_describe(k) for k in keys)
        raise TypeError(
            f"ktensor: {operation} is not defined for operands of dtype {described} "
            f"(NumPy refuses it too: {error})"
        ) from None
    name = np.asarray(out).dtype.name
    return dtype_name(name, f"result of {operation}")


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


def can_cast(from_dtype: Any, to_dtype: str) -> bool:
    """NumPy's ``same_kind`` rule, the one compiled functions and ``set_value`` apply."""
    return bool(np.can_cast(from_dtype, to_dtype, casting="same_kind"))
