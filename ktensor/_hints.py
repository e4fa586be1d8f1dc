"""Hints for a name that ``ktensor`` does not have (``kt.<name>`` raising ``AttributeError``).

Three sources, tried in order:

* :data:`KERAS2_MISSING`: the Keras 2 ``keras.backend`` names ktensor deliberately
  lacks, with what to do instead, in the words of the table of ``docs/keras2.md``
  (a test keeps the two the same).
* :data:`OTHER_SPELLINGS`: NumPy (and Keras) names ktensor spells differently.
* A close match among ``ktensor.__all__`` (``difflib.get_close_matches``).

Examples:
    >>> print(hint("learning_phase", ["switch"]))
    learning_phase is a Keras 2 name ktensor deliberately lacks: no learning phase: pass a flag yourself (a bool placeholder and `kt.switch`) or build two functions
    >>> print(hint("asarray", ["constant"]))
    instead of asarray, use `kt.constant` (or `kt.as_tensor`, which keeps a tensor as it is)
    >>> print(hint("batchdot", ["batch_dot", "ctc_batch_cost", "sum"]))
    did you mean kt.batch_dot or kt.ctc_batch_cost?
    >>> print(hint("xyzzy", ["batch_dot"]))
    <BLANKLINE>
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["KERAS2_MISSING", "OTHER_SPELLINGS", "hint", "missing_attribute"]

#: Keras 2 ``keras.backend`` names that ktensor does not have -> what to do instead.
#: The words are those of the "—" rows of docs/keras2.md's table.
KERAS2_MISSING: dict[str, str] = {
    "cast_to_floatx": "`np.asarray(x, kt.floatx())`, or `kt.cast(x, kt.floatx())` for a tensor",
    "control_dependencies": (
        "updates are ordered by `kt.function(updates=...)` (new values from the values before the call)"
    ),
    "conv3d_transpose": (
        "not in API.md §9; `kt.conv2d_transpose` exists, or the gradient of `kt.conv3d` (`kt.gradients`)"
    ),
    "ctc_label_dense_to_sparse": ("no sparse tensors: `kt.ctc_batch_cost` takes the dense labels and their lengths"),
    "eager": "a decorator for Keras's eager mode; ktensor is always symbolic",
    "get_session": "no session: each `TensorFlowBackend` builds in its own graph (`kt.backend().graph`) and runs each compiled function eagerly; use `kt.function`",
    "get_uid": "Keras's layer naming; not a tensor operation",
    "get_variable_shape": "`kt.int_shape(x)`",
    "image_data_format": (
        "no global image format: every image operation takes `data_format=` (None means channels_last)"
    ),
    "image_dim_ordering": "Keras 1's name; no global image format",
    "in_test_phase": "no learning phase: `kt.switch(training, alt, x)`",
    "in_train_phase": "no learning phase: `kt.switch(training, x, alt)` with your own bool placeholder",
    "is_keras_tensor": "no Keras layers: `kt.is_tensor`",
    "is_sparse": "no sparse tensors",
    "is_symbolic": "every ktensor tensor is symbolic: `kt.is_tensor`",
    "learning_phase": (
        "no learning phase: pass a flag yourself (a bool placeholder and `kt.switch`) or build two functions"
    ),
    "manual_variable_initialization": "variables are initialised when created, on every backend",
    "normalize_data_format": "Keras's argument helper; ktensor checks `data_format` in each operation",
    "reset_uids": "Keras's layer naming; not a tensor operation",
    "set_image_data_format": "no global image format (see `image_data_format`)",
    "set_image_dim_ordering": "Keras 1's name; no global image format",
    "set_learning_phase": "no learning phase (see `learning_phase`)",
    "set_session": "there is no session: make another backend instance instead",
    "symbolic": "a decorator for Keras's eager mode; ktensor is always symbolic",
    "to_dense": "no sparse tensors",
    "v1_variable_initialization": "variables are initialised when created",
}

_DTYPE_NAMES: tuple[str, ...] = ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_DTYPE_NAMES += ("float16", "float32", "float64")

#: Names (mostly NumPy 2's) that ktensor spells differently -> the ktensor spelling.
OTHER_SPELLINGS: dict[str, str] = {
    "array": "`kt.constant` (or `kt.as_tensor`, which keeps a tensor as it is)",
    "asarray": "`kt.constant` (or `kt.as_tensor`, which keeps a tensor as it is)",
    "convert_to_tensor": "`kt.as_tensor`",
    "absolute": "`kt.abs`",
    "fabs": "`kt.abs`",
    "amax": "`kt.max`",
    "amin": "`kt.min`",
    "concat": "`kt.concatenate`",
    "permute_dims": "`kt.transpose` (or Keras's `kt.permute_dimensions`)",
    "acos": "`kt.arccos`",
    "acosh": "`kt.arccosh`",
    "asin": "`kt.arcsin`",
    "asinh": "`kt.arcsinh`",
    "atan": "`kt.arctan`",
    "atan2": "`kt.arctan2`",
    "atanh": "`kt.arctanh`",
    "bitwise_not": "`kt.invert`",
    "bitwise_invert": "`kt.invert`",
    "true_divide": "`kt.divide`",
    "remainder": "`kt.mod`",
    "around": "`kt.round`",
    "fix": "`kt.trunc`",
    "ravel": "`kt.flatten`",
    "cumulative_sum": "`kt.cumsum`",
    "cumulative_prod": "`kt.cumprod`",
    "empty": "`kt.zeros` (a symbolic tensor has no uninitialised memory)",
    "empty_like": "`kt.zeros_like` (a symbolic tensor has no uninitialised memory)",
    "linalg": "top-level functions: `kt.norm`, `kt.svd`, `kt.qr`, `kt.eigh`, `kt.inv`, `kt.det`, "
    "`kt.solve`, `kt.cholesky`",
    "newaxis": "`None` in an index (`t[:, None]`), or `kt.expand_dims`",
    "int_shape_of": "`kt.int_shape`",
    "cast_like": "`kt.cast(x, kt.dtype(y))`",
    **{
        dtype: f"a dtype string (`{dtype!r}`) or NumPy's `np.{dtype}` wherever ktensor takes a dtype"
        for dtype in _DTYPE_NAMES
    },
}


def hint(name: str, public: Iterable[str]) -> str:
    """What to tell a user who asked ``kt.<name>``; ``""`` when nothing fits.

    Args:
        name: The missing attribute.
        public: The names ktensor has (``ktensor.__all__``), for close matches.
    """
    if name in KERAS2_MISSING:
        return f"{name} is a Keras 2 name ktensor deliberately lacks: {KERAS2_MISSING[name]}"
    if name in OTHER_SPELLINGS:
        return f"instead of {name}, use {OTHER_SPELLINGS[name]}"
    if name.startswith("__"):  # dunder probes (copy, pickle, IPython): no suggestion
        return ""
    matches = difflib.get_close_matches(name, sorted(set(public)), n=3)
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"kt.{m}" for m in matches) + "?"


def missing_attribute(module: str, name: str, public: Iterable[str]) -> AttributeError:
    """The ``AttributeError`` for ``module.name``, with :func:`hint`'s words when any.

    Examples:
        >>> print(missing_attribute("ktensor", "to_dense", []))
        module 'ktensor' has no attribute 'to_dense'; to_dense is a Keras 2 name ktensor deliberately lacks: no sparse tensors
    """
    text = hint(name, public)
    message = f"module {module!r} has no attribute {name!r}"
    error = AttributeError(f"{message}; {text}" if text else message)
    error.name = name
    return error
