"""JAX implementations of ktensor's own PyTensor ops, for PyTensor's JAX linker.

ktensor builds one graph for every PyTensor mode, so the ops it adds for C code must
run in JAX too. :class:`~ktensor.backends.theano.extremes.Maximum` and ``Minimum``
subclass PyTensor's ops and inherit their JAX implementation; these two do not:

- :class:`~ktensor.backends.theano.kernels.ZeroStepShape` (a scan output after zero
  steps) is the scan output itself: JAX traces a loop with static shapes, so its
  zero-step outputs already have their shape, and ``jax.lax.cond``, what PyTensor
  makes of an ``ifelse``, refuses branches of different shapes.
- :class:`~ktensor.backends.theano.intpow.IntegerPow` is ``jax.lax.integer_pow``'s
  elementwise form, ``jnp.power``, which XLA computes exactly by squaring (and wraps
  as NumPy does).

Examples:
    >>> from ktensor.backends.theano import jax_ops
    >>> callable(jax_ops.register)
    True
"""

from __future__ import annotations

import functools
from typing import Any

from ktensor.backends.theano.intpow import IntegerPow
from ktensor.backends.theano.kernels import ZeroStepShape

__all__ = ["register"]


@functools.cache
def register() -> None:
    """Give ktensor's ops their JAX implementations (once; after PyTensor's JAX dispatch)."""
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(ZeroStepShape)
    def _zero_step_shape(op: ZeroStepShape, **kwargs: Any) -> Any:
        def stacked(condition: Any, then: Any, otherwise: Any) -> Any:
            return then

        return stacked

    @jax_funcify.register(IntegerPow)
    def _integer_pow(op: IntegerPow, **kwargs: Any) -> Any:
        return jnp.power
