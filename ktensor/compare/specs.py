"""Which backends a comparison runs: names, ``"name:mode"`` strings and instances.

A spec is one of:

* a backend name: ``"theano"`` (alias ``"pytensor"``), ``"tensorflow"``, or a name
  registered with ``kt.register_backend`` — a new instance in its default mode;
* ``"theano:MODE"`` with a PyTensor mode (``CVM``, ``NUMBA``, ``JAX``, ``FAST_COMPILE``,
  ``C``, ``PYTORCH``, ``MLX``; any case) or ``AUTO`` (the default: CVM, hot functions
  moved to JAX where it runs them faster) — ``TheanoBackend(mode=MODE)``;
* ``"tensorflow:graph"``, ``"tensorflow:xla"`` or ``"tensorflow:auto"`` (the default:
  the graph executor, hot functions moved to XLA where it runs them faster) —
  ``TensorFlowBackend(jit_compile=False / True / "auto")``;
* a ``Backend`` instance, of a built-in class or of a user's subclass.

``None`` means every engine and mode ktensor runs for real: ``theano:CVM``,
``theano:NUMBA``, ``theano:JAX``, ``tensorflow:graph``, ``tensorflow:xla`` (the
``AUTO``/``auto`` modes run each function in one of those, so they are not among them). A spec
this machine cannot run (an engine or a mode's package not installed, no C++
compiler for CVM) becomes an *unavailable* candidate that says why; an unknown name
or mode is a ``ValueError`` listing the valid ones.

Examples:
    >>> [c.label for c in parse_backends(["tensorflow:xla", "tensorflow"])]
    ['tensorflow/xla', 'tensorflow/auto']
    >>> parse_backends(["theano:TURBO"])
    Traceback (most recent call last):
    ...
    ValueError: ktensor: compare: unknown mode 'TURBO' in backend spec 'theano:TURBO'; valid modes of theano: AUTO, C, CVM, FAST_COMPILE, JAX, MLX, NUMBA, PYTORCH
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ktensor.backends.base import Backend

__all__ = ["DEFAULT_SPECS", "Candidate", "parse_backends", "valid_specs"]

#: PyTensor modes and the module each needs besides PyTensor ("" for none; "c++": a C++ compiler).
THEANO_MODES = {
    "AUTO": "c++",  # CVM, with hot functions moved to JAX when it is installed and faster
    "CVM": "c++",
    "C": "c++",
    "NUMBA": "numba",
    "JAX": "jax",
    "FAST_COMPILE": "",
    "PYTORCH": "torch",
    "MLX": "mlx",
}
TENSORFLOW_MODES = ("auto", "graph", "xla")
_JIT_COMPILE = {"auto": "auto", "graph": False, "xla": True}
#: What ``backends=None`` compares.
DEFAULT_SPECS = ("theano:CVM", "theano:NUMBA", "theano:JAX", "tensorflow:graph", "tensorflow:xla")
_ENGINE_MODULES = {"theano": "pytensor", "tensorflow": "tensorflow"}
_ALIASES = {"pytensor": "theano"}


@attrs.define
class Candidate:
    """One backend of a comparison.

    Attributes:
        label: the row's name, e.g. ``"theano/CVM"`` or ``"MyTheano (theano/CVM)"``.
        spec: what was asked for (a spec string, or the instance's repr).
        engine: the engine family, ``Backend.name`` (``"theano"``, ``"tensorflow"``).
        mode: the engine mode (``"CVM"``, ``"graph"``, ``"xla"``, ...), ``"-"`` if none.
        backend: the instance the first build runs on; None when unavailable.
        unavailable: why this machine cannot run it, or None.
    """

    label: str
    spec: str
    engine: str
    mode: str
    backend: Backend | None = None
    unavailable: str | None = None

    def fresh(self) -> Backend:
        """A new instance of the same class with the same options (``type(b)(**b.options())``),
        so one build never pays for the previous one's graph; the instance itself when its
        class cannot be made that way."""
        assert self.backend is not None, "an unavailable candidate has no backend"
        try:
            made = type(self.backend)(**self.backend.options())
        except Exception:  # noqa: BLE001 - a subclass with another constructor: reuse the instance
            return self.backend
        return made if isinstance(made, Backend) else self.backend


def valid_specs() -> str:
    """The valid spec strings, for error messages."""
    from ktensor.backends import _known_names

    modes = [f"theano:{m}" for m in sorted(THEANO_MODES)] + [f"tensorflow:{m}" for m in TENSORFLOW_MODES]
    return f"names {', '.join(_known_names())}; modes {', '.join(modes)}; or a ktensor.Backend instance"


def mode_of(backend: Backend) -> str:
    """The mode label of an instance: PyTensor's mode, ``"auto"``/``"graph"``/``"xla"`` for TensorFlow, else ``"-"``."""
    if backend.name == "tensorflow":
        jit = getattr(backend, "jit_compile", False)
        return "auto" if jit == "auto" else "xla" if jit is True else "graph"
    mode = getattr(backend, "mode", None)
    return str(mode) if isinstance(mode, str) else "-"


def _builtin_class(engine: str) -> type | None:
    from ktensor.backends import _BUILTIN

    if engine not in _BUILTIN or importlib.util.find_spec(_ENGINE_MODULES[engine]) is None:
        return None
    import ktensor.backends

    cls: type = getattr(ktensor.backends, _BUILTIN[engine][1])
    return cls


def _missing(requirement: str) -> str | None:
    """Why a mode's requirement is not met here, or None."""
    if requirement == "c++":
        import pytensor

        return None if pytensor.config.cxx else "PyTensor finds no C++ compiler (pytensor.config.cxx is empty)"
    if requirement and importlib.util.find_spec(requirement) is None:
        return f"{requirement} is not installed (pip install {requirement})"
    return None


def _make(spec: str, engine: str, mode: str, factory: Callable[[], Backend]) -> Candidate:
    """Build the candidate's instance; an engine that fails to load makes it unavailable."""
    try:
        backend = factory()
    except Exception as error:  # noqa: BLE001 - cannot run here: say why, in the table
        return Candidate(f"{engine}/{mode}", spec, engine, mode, unavailable=str(error).strip().splitlines()[0])
    return _from_instance(backend, spec)


def _from_instance(backend: Backend, spec: str) -> Candidate:
    mode = mode_of(backend)
    base = f"{backend.name}/{mode}" if mode != "-" else backend.name
    builtin = _builtin_class(backend.name)
    label = base if builtin is not None and type(backend) is builtin else f"{type(backend).__name__} ({base})"
    return Candidate(label, spec, backend.name, mode, backend=backend)


def _parse_string(spec: str) -> Candidate:
    from ktensor.backends import EngineNotInstalled, _known_names, resolve

    name, _, mode = (part.strip() for part in spec.partition(":"))
    key = _ALIASES.get(name.lower(), name.lower())
    if key in _ENGINE_MODULES:
        if importlib.util.find_spec(_ENGINE_MODULES[key]) is None:
            _validate_mode(spec, key, mode)
            return Candidate(key if not mode else f"{key}/{mode}", spec, key, mode or "-",
                             unavailable=str(EngineNotInstalled(key, _ENGINE_MODULES[key])))
        mode = _validate_mode(spec, key, mode)
        cls = _builtin_class(key)
        assert cls is not None
        if key == "theano":
            if not mode:
                return _make(spec, key, "default", cls)
            reason = _missing(THEANO_MODES[mode])
            if reason:
                return Candidate(f"theano/{mode}", spec, key, mode, unavailable=reason)
            return _make(spec, key, mode, lambda: cls(mode=mode))
        return _make(spec, key, mode or "auto", lambda: cls(jit_compile=_JIT_COMPILE[mode or "auto"]))
    if key not in _known_names():
        raise ValueError(f"ktensor: compare: unknown backend {spec!r}; valid: {valid_specs()}")
    if mode:
        raise ValueError(
            f"ktensor: compare: backend {name!r} takes no mode (only theano and tensorflow do); received {spec!r}"
        )
    return _make(spec, key, "-", lambda: resolve(key))


def _validate_mode(spec: str, engine: str, mode: str) -> str:
    """The mode in its canonical spelling; ``ValueError`` listing the valid ones when unknown."""
    if not mode:
        return ""
    if engine == "theano":
        valid = sorted(THEANO_MODES)
        canonical = mode.upper()
    else:
        valid = list(TENSORFLOW_MODES)
        canonical = mode.lower()
    if canonical not in valid:
        raise ValueError(
            f"ktensor: compare: unknown mode {mode!r} in backend spec {spec!r}; "
            f"valid modes of {engine}: {', '.join(valid)}"
        )
    return canonical


def parse_backends(backends: str | Backend | Sequence[str | Backend] | None) -> list[Candidate]:
    """The candidates of ``backends`` (see the module's description), labels made unique.

    Raises:
        ValueError: an unknown name or mode, or no backend at all.
        TypeError: something that is neither a string nor a ``Backend``.
    """
    if backends is None:
        specs: list[Any] = _default_specs()
    elif isinstance(backends, (str, Backend)):
        specs = [backends]
    else:
        specs = list(backends)
    if not specs:
        raise ValueError(f"ktensor: compare: backends is empty; valid: {valid_specs()}")
    candidates = []
    for spec in specs:
        if isinstance(spec, Backend):
            candidates.append(_from_instance(spec, repr(spec)))
        elif isinstance(spec, str):
            candidates.append(_parse_string(spec))
        else:
            raise TypeError(
                f"ktensor: compare: each backend must be a name, a 'name:mode' string or a ktensor.Backend; "
                f"received {spec!r}"
            )
    seen: dict[str, int] = {}
    for candidate in candidates:
        count = seen[candidate.label] = seen.get(candidate.label, 0) + 1
        if count > 1:
            candidate.label = f"{candidate.label} #{count}"
    return candidates


def _default_specs() -> list[str]:
    """Every real mode of each engine; an engine that is not installed gives one unavailable row."""
    specs: list[str] = []
    for engine, module in _ENGINE_MODULES.items():
        if importlib.util.find_spec(module) is None:
            specs.append(engine)
        else:
            specs += [s for s in DEFAULT_SPECS if s.startswith(engine + ":")]
    return specs
