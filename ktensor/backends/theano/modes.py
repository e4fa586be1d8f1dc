"""PyTensor compile modes as ktensor runs them.

:func:`compile_mode` turns a PyTensor mode name (``"CVM"``, ``"NUMBA"``, ``"JAX"``,
``"FAST_COMPILE"``, ``"C"``, ``"FAST_RUN"``) into the resolved ``Mode`` a backend
compiles with: PyTensor's rewrites minus those that break NumPy's answers for
nan, inf and -0.0, plus ktensor's own rewrites for the mode's linker
(:mod:`ktensor.backends.theano.rewrites`), added to this mode only.

:func:`call_context` is what a compile and every call of a mode runs inside.
For JAX it is JAX's 64-bit mode, set for the calling thread only: PyTensor's
JAX dispatch turns ``jax_enable_x64`` on for the whole process when imported
(with ``floatX = float64``, its default), which changed every JAX user's
``jnp.arange`` to int64 and their defaults to float64. ktensor imports that
module with the global setting restored afterwards, and its JAX functions
trace and run with 64-bit types on (float64 and int64 tensors must stay what
they are) in their own thread-local scope.

Examples:
    >>> from ktensor.backends.theano import modes
    >>> mode = modes.compile_mode("FAST_COMPILE")
    >>> type(mode.linker).__name__
    'VMLinker'
    >>> with modes.call_context("FAST_COMPILE")():  # nothing to set outside JAX
    ...     pass
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytensor
from pytensor.compile.mode import Mode
from pytensor.graph.rewriting.basic import MergeOptimizer
from pytensor.link.c.basic import CLinker, OpWiseCLinker

from ktensor.backends.theano import jax_checks, jax_ops, rewrites, ufuncs

__all__ = ["EXCLUDED_REWRITES", "call_context", "compile_mode", "compiles_on_first_call", "is_jax", "with_jax_inner_graphs"]

# PyTensor's algebra assumes finite values: 0/x -> 0, x/x -> 1, x-x -> 0, x*0 -> 0,
# x == x -> True, x <= x -> True, x + 0 -> x, which NumPy answers otherwise for nan, inf and
# -0.0. Leave those rewrites out (fusion still merges the elementwise ops they would have
# removed), and the neg-to-mul rewrite, which fails loudly (a logged traceback) on unsigned ints.
EXCLUDED_REWRITES = (
    "local_zero_div",
    "local_mul_canonizer",
    "local_add_canonizer",
    "mul_canonizer_groups",
    "add_canonizer_group",
    "local_mul_zero",
    "local_mul_specialize",
    "local_elemwise_sub_zeros",
    "local_add_remove_zeros",
    "local_useless_elemwise",
    "local_neg_to_mul",
    "local_useless_elemwise_comparison",
)
_JIT_LINKERS = ("JAXLinker", "NumbaLinker")
# After PyTensor's specialize pass (2), before uncanonicalize (3) and fusion (49).
_AFTER_SPECIALIZE = 2.5
_BEFORE_FUSION = 48.9
# After every PyTensor rewrite (its last, merge3, sits at 100).
_LAST = 100.5


def is_jax(mode: str) -> bool:
    """Whether the PyTensor mode named ``mode`` runs through JAX."""
    return type(pytensor.compile.mode.get_mode(mode).linker).__name__ == "JAXLinker"


def compiles_on_first_call(mode: str) -> bool:
    """Whether the PyTensor mode ``mode`` compiles a function on its first call (Numba, JAX)."""
    return type(pytensor.compile.mode.get_mode(mode).linker).__name__ in _JIT_LINKERS


def _runs_c(linker: Any) -> bool:
    return isinstance(linker, (CLinker, OpWiseCLinker)) or bool(getattr(linker, "c_thunks", False))


def compile_mode(name: str) -> Mode:
    """The resolved ``Mode`` to compile with for the PyTensor mode ``name``."""
    base = pytensor.compile.mode.get_mode(name)
    query: Any = base.excluding(*EXCLUDED_REWRITES)
    if type(base.linker).__name__ not in _JIT_LINKERS:  # those compile OpFromGraph themselves
        query = query.register((rewrites.INLINE_GRAPH_OPS, _AFTER_SPECIALIZE))
    if _runs_c(base.linker):
        query = query.register(
            # Equal subgraphs that PyTensor's merges before fusion missed (softmax and
            # log_softmax of one input each computed exp(x - max): fused apart, twice):
            # softmax and cross-entropy of 256x128 logits 114 -> 90 µs.
            (MergeOptimizer(), _BEFORE_FUSION - 0.05),
            (ufuncs.NUMPY_TRANSCENDENTALS, _BEFORE_FUSION),
            (rewrites.SPLIT_FLOAT16_FUSIONS, _LAST),
            (rewrites.FLAT_LOOPS, _LAST + 0.1),
            (ufuncs.NUMPY_REDUCTIONS, _LAST + 0.2),
        )
        if not _blas_linked():
            # Without a BLAS library PyTensor's C Gemm is NumPy calls around copies
            # of transposed operands: fusing `w - rate * (x.T @ d)` into it made an
            # MLP's SGD step 1.18x as slow as the plain dot and elementwise update.
            query = query.excluding("gemm_optimizer")
    if is_jax(name):
        _import_jax_dispatch()
        jax_checks.register()
        jax_ops.register()
        query = query.register((rewrites.REDUCE_IN_OUTPUT_DTYPE, _LAST), (jax_checks.CHECKED_ASSERTS, _LAST))
    # A Mode resolves its rewrite query against PyTensor's database at every
    # compile (about 3 ms); resolve it once. The rewriter object is then shared
    # by the backend's compiles, which its compile lock keeps one at a time.
    resolved: Mode = query.clone(optimizer=query.optimizer)
    # PyTensor derives modes from a function's mode (OpFromGraph and scan compile
    # their inner graphs with mode.excluding(...)), which a resolved rewriter
    # cannot do: derive from the unresolved query instead. Without this, constant
    # folding of Softmax and first calls of OpFromGraph ops failed with "'Sequential
    # GraphRewriter' object has no attribute 'excluding'" and printed tracebacks.
    for derive in ("excluding", "including", "requiring"):
        setattr(resolved, derive, getattr(query, derive))
    return resolved


def with_jax_inner_graphs(mode: Mode, jax_mode: Callable[[], Mode]) -> Mode:
    """``mode``, whose inner graphs compile in ``jax_mode()`` when JAX compiles them.

    PyTensor's JAX linker rewrites a scan's inner graph with the rewrites of the mode
    the scan was built with, ``mode.including("jax")``. An AUTO function's scan is
    built for CVM (its inner function compiles in CVM there), so without this its JAX
    compile ran ktensor's C rewrites (NumPy-kernel ops JAX cannot run) and missed the
    JAX ones (reductions accumulated in float64: "scan body function carry input and
    carry output must have equal types").
    """
    derive = mode.including

    def including(*tags: str) -> Any:
        return jax_mode().including(*tags) if "jax" in tags else derive(*tags)

    mode.including = including  # type: ignore[method-assign]
    return mode


def _blas_linked() -> bool:
    """Whether PyTensor's C code links a BLAS library (a pip install usually finds none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading the flag warns when there is no BLAS
        return bool(pytensor.config.blas__ldflags)


_JAX_IMPORT_LOCK = threading.Lock()


def _import_jax_dispatch() -> None:
    """Import PyTensor's JAX dispatch, leaving JAX's process-wide x64 setting as it was."""
    with _JAX_IMPORT_LOCK:
        if "pytensor.link.jax.dispatch" in sys.modules:
            return
        import jax

        state: Any = jax.enable_x64  # its process-wide value, not this thread's override
        before = bool(state.get_global() if hasattr(state, "get_global") else jax.config.read("jax_enable_x64"))
        try:
            import pytensor.link.jax.dispatch  # noqa: F401  # registers the JAX kernels
        finally:
            jax.config.update("jax_enable_x64", before)


def call_context(mode: str) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A factory of the context a compile or call of ``mode`` runs in (see the module doc)."""
    if not is_jax(mode):
        return contextlib.nullcontext
    import jax

    enable: Any = getattr(jax, "enable_x64", None)
    if enable is None:  # older JAX has the context manager in jax.experimental only
        enable = importlib.import_module("jax.experimental").enable_x64
    return lambda: enable(True)
