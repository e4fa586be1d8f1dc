"""Run-time checks (``Assert`` nodes) that still run in PyTensor's JAX mode.

PyTensor's JAX linker drops every ``Assert`` ("JAX tracing would remove it"), so
ktensor's run-time checks did nothing there: an index out of bounds was clamped
and the call returned a wrong value. :data:`CHECKED_ASSERTS` (JAX linker) turns
each ``Assert`` into a :class:`JaxCheckedAssert`, which JAX runs through
``jax.debug.callback``: the condition is computed inside the compiled function
and, when it fails, the call raises before any update is stored. Only ktensor's
own op class gets the JAX implementation; PyTensor's ``Assert`` keeps its own.

Examples:
    >>> from pytensor.raise_op import Assert
    >>> from ktensor.backends.theano.jax_checks import JaxCheckedAssert
    >>> isinstance(JaxCheckedAssert("ktensor: x"), Assert)
    True
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, cast

import numpy as np
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.rewriting.basic import in2out, node_rewriter
from pytensor.raise_op import Assert

__all__ = ["CHECKED_ASSERTS", "CheckFailed", "JaxCheckedAssert", "message_of", "register"]


class CheckFailed(AssertionError):
    """A ktensor run-time check failed inside a JAX-compiled function."""


class JaxCheckedAssert(Assert):
    """``Assert`` whose JAX implementation checks (see :func:`register`)."""


@node_rewriter([Assert])
def _checked_asserts(fgraph: Any, node: Apply) -> list[Variable] | None:
    if type(node.op) is not Assert:
        return None
    return [cast(Variable, JaxCheckedAssert(node.op.msg)(*node.inputs))]


#: Keep Assert nodes checking in JAX mode; register after every other rewrite.
CHECKED_ASSERTS = in2out(_checked_asserts, name="ktensor_checked_asserts")


def _raise_unless(message: str, *conditions: Any) -> None:
    if not all(bool(np.all(c)) for c in conditions):
        raise CheckFailed(message)


class _QuietCheckFailures(logging.Filter):
    """JAX logs a failing callback with its traceback before raising; the raise says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, CheckFailed)


@functools.cache
def register() -> None:
    """Give :class:`JaxCheckedAssert` its JAX implementation (once; after PyTensor's JAX dispatch)."""
    import jax
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(JaxCheckedAssert)
    def _funcify(op: JaxCheckedAssert, node: Any = None, **kwargs: Any) -> Any:
        check = functools.partial(_raise_unless, str(op.msg))

        def checked(value: Any, *conditions: Any) -> Any:
            jax.debug.callback(check, *conditions)
            return value

        return checked

    logging.getLogger("jax._src.debugging").addFilter(_QuietCheckFailures())


def message_of(error: Exception) -> str | None:
    """The ktensor message of a check that failed inside JAX, if ``error`` is one."""
    found = re.search(rf"{CheckFailed.__name__}: (.+)", str(error))
    return found.group(1).strip() if found else None
