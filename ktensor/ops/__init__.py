"""The operations of ktensor, declared once each, in modules by family.

=================  =============================================================
module             operations
=================  =============================================================
``math``           arithmetic and elementwise functions (``add``, ``exp``, ``clip`` ...)
``logic``          comparisons, bitwise and logical operations, ``where``
``reductions``     ``sum``, ``mean``, ``max``, ``logsumexp``, ``argmax`` ...
``shape``          ``reshape``, ``transpose``, ``concatenate``, indexing, ``astype`` ...
``linalg``         ``matmul``, ``dot``
``creation``       ``placeholder``, ``variable``, ``constant``, ``zeros``, random draws ...
``variables``      ``get_value``, ``set_value``
``autodiff``       ``gradients``, ``function``, ``eval``
``nn``             neural-network operations (``relu``, ``softmax`` ...)
=================  =============================================================

Each family is a class of ``Backend`` methods (:class:`ktensor.Backend` inherits them
all); :mod:`ktensor.ops.declare` explains how an operation is declared and what is
derived from the declaration.

``ktensor.ops.sum`` and the other module functions that lived here are still reachable
under their old names: they are the ``kt.*`` functions.

Examples:
    >>> import ktensor.ops
    >>> ktensor.ops.sum is kt.sum
    True
"""

from __future__ import annotations

import importlib.util
from typing import Any


def __getattr__(name: str) -> Any:
    # The module functions moved to ktensor._generated.functions (the kt.* namespace);
    # the old import path keeps working. Imported lazily: the family modules of this
    # package are imported while ktensor.backends is still being set up.
    if name.startswith("__") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        raise AttributeError(name)  # a submodule: the import system loads it
    from ktensor._generated import functions

    try:
        return getattr(functions, name)
    except AttributeError:
        raise AttributeError(f"module 'ktensor.ops' has no attribute {name!r}") from None
