"""The backend registry and the backend in force.

Names resolve to one shared default instance each. The backend in force is a
``contextvars.ContextVar``: ``use_backend`` changes it for the current thread or
asyncio task only, and ``set_backend`` changes the process default that every
context without its own choice sees. Engine modules are imported only when a
backend of theirs is first built.

Examples:
    >>> import ktensor as kt
    >>> with kt.use_backend("tensorflow") as b:
    ...     b.name
    'tensorflow'
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ktensor import config
from ktensor.backends import _quiet  # noqa: F401 - reads the user's TF log level before jax can set it
from ktensor.backends.base import Backend
from ktensor.tensor import Tensor

if TYPE_CHECKING:
    from ktensor.backends.tensorflow import TensorFlowBackend
    from ktensor.backends.theano import TheanoBackend

__all__ = [
    "Backend",
    "BackendArg",
    "EngineNotInstalled",
    "TensorFlowBackend",
    "TheanoBackend",
    "available_backends",
    "backend",
    "backend_for",
    "clear_session",
    "register_backend",
    "set_backend",
    "use_backend",
]

ENTRY_POINT_GROUP = "ktensor.backends"
BackendFactory = Callable[[], Backend]

# Built-in engines: name -> (module, class, the module that must be importable).
_BUILTIN: dict[str, tuple[str, str, str]] = {
    "theano": ("ktensor.backends.theano", "TheanoBackend", "pytensor"),
    "tensorflow": ("ktensor.backends.tensorflow", "TensorFlowBackend", "tensorflow"),
}
_ALIASES = {"pytensor": "theano"}
# The engine module's name as its users know it, for messages.
_ENGINE_TITLES = {"pytensor": "PyTensor", "tensorflow": "TensorFlow"}

_factories: dict[str, BackendFactory] = {}
_instances: dict[str, Backend] = {}
_registry_lock = threading.RLock()
_entry_points_loaded = False
_process_default: Backend | None = None
_in_force: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("ktensor_backend", default=None)


class EngineNotInstalled(ModuleNotFoundError):
    """A built-in backend was asked for, but the engine it runs on is not installed.

    Raised when the backend is first used (never by ``import ktensor``); a
    subclass of ``ModuleNotFoundError``, so ``except ImportError`` catches it.

    Attributes:
        backend: The backend's name, e.g. ``"theano"``.
        engine: The engine's module, e.g. ``"pytensor"`` (also ``self.name``).
        install: The command that installs it, e.g. ``pip install "ktensor[theano]"``.

    Examples:
        >>> error = EngineNotInstalled("theano", "pytensor")
        >>> print(error)
        ktensor: the "theano" backend runs on PyTensor, which is not installed: pip install "ktensor[theano]"
        >>> isinstance(error, ImportError), error.name
        (True, 'pytensor')
    """

    def __init__(self, backend: str, engine: str) -> None:
        self.backend = backend
        self.engine = engine
        self.install = f'pip install "ktensor[{backend}]"'
        title = _ENGINE_TITLES.get(engine, engine)
        super().__init__(
            f'ktensor: the "{backend}" backend runs on {title}, which is not installed: {self.install}',
            name=engine,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.backend, self.engine))


def _import_builtin(name: str) -> Any:
    """The module of the built-in backend ``name``; :class:`EngineNotInstalled` when its
    engine is missing. Any other import error (one inside ktensor, or a broken engine)
    is raised as it is."""
    module, _, engine = _BUILTIN[name]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != engine:
            raise
        raise EngineNotInstalled(name, engine) from None


def __getattr__(attribute: str) -> Any:
    """``TheanoBackend`` and ``TensorFlowBackend`` load their engine on first access."""
    for name, (_, cls, _) in _BUILTIN.items():
        if attribute == cls:
            return getattr(_import_builtin(name), cls)
    raise AttributeError(f"module 'ktensor.backends' has no attribute {attribute!r}")


def _builtin_factory(name: str) -> BackendFactory:
    cls = _BUILTIN[name][1]
    return lambda: getattr(_import_builtin(name), cls)()


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    import importlib.metadata  # costs ~20 ms: only when a name is not built in

    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _factories:
            _factories[entry.name] = _entry_point_factory(entry)


def _entry_point_factory(entry: Any) -> BackendFactory:
    """A factory that loads the entry point ``entry`` (an ``importlib.metadata.EntryPoint``)."""

    def factory() -> Backend:
        try:
            loaded = entry.load()
            return loaded() if callable(loaded) and not isinstance(loaded, Backend) else loaded
        except Exception as error:
            raise ImportError(
                f"ktensor: backend {entry.name!r} from the entry point {entry.value!r} "
                f"(group {ENTRY_POINT_GROUP!r}) failed to load: {error}"
            ) from error

    return factory


def _known_names() -> list[str]:
    _load_entry_points()
    return sorted(set(_BUILTIN) | set(_ALIASES) | set(_factories))


def _origin(key: str) -> str:
    """Where a configured name came from, for the unknown-name error."""
    if key != config.configured_backend_name():
        return ""
    if os.environ.get("KTENSOR_BACKEND", "").strip():
        return " (from the environment variable KTENSOR_BACKEND)"
    return f" (from {config.config_path()} or the built-in default)"


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``name`` resolve to the backend ``factory()`` builds (called once, lazily).

    Examples:
        >>> import ktensor as kt
        >>> from ktensor.backends import TensorFlowBackend
        >>> kt.register_backend("tf-xla", lambda: TensorFlowBackend(jit_compile=True))
        >>> kt.set_backend("tf-xla").name
        'tensorflow'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"ktensor: register_backend name must be a non-empty str; received {name!r}")
    if not callable(factory):
        raise TypeError(f"ktensor: register_backend factory must be callable; received {factory!r}")
    key = name.strip().lower()
    if key in _ALIASES:
        raise ValueError(f"ktensor: {name!r} is an alias of {_ALIASES[key]!r}; register under another name")
    with _registry_lock:
        _factories[key] = factory
        _instances.pop(key, None)


def resolve(name_or_instance: str | Backend) -> Backend:
    """The shared default instance for a name, or the instance itself."""
    if isinstance(name_or_instance, Backend):
        return name_or_instance
    if not isinstance(name_or_instance, str):
        raise TypeError(
            f"ktensor: a backend is a name or a Backend instance; received {name_or_instance!r}"
        )
    key = name_or_instance.strip().lower()
    key = _ALIASES.get(key, key)
    with _registry_lock:
        if key in _instances:
            return _instances[key]
        if key not in _factories and key not in _BUILTIN:
            _load_entry_points()
        if key in _factories:
            factory = _factories[key]
        elif key in _BUILTIN:
            factory = _builtin_factory(key)
        else:
            raise ValueError(
                f"ktensor: unknown backend {name_or_instance!r}{_origin(key)}; "
                f"valid names: {', '.join(_known_names())}"
            )
        instance = factory()
        if not isinstance(instance, Backend):
            raise TypeError(
                f"ktensor: the factory of backend {key!r} returned {instance!r}, not a ktensor.Backend"
            )
        _instances[key] = instance
        return instance


def backend() -> Backend:
    """The backend in force in this thread or asyncio task.

    The process default comes from ``KTENSOR_BACKEND``, then ``ktensor.json``,
    then ``"theano"``; it is resolved when first needed.
    """
    chosen = _in_force.get()
    if chosen is not None:
        return chosen
    global _process_default
    if _process_default is None:
        with _registry_lock:
            if _process_default is None:
                _process_default = resolve(config.configured_backend_name())
    return _process_default


def set_backend(name_or_instance: str | Backend) -> Backend:
    """Make a backend the process default and return the instance.

    A ``use_backend`` block in force in the calling context still wins inside it.
    """
    global _process_default
    instance = resolve(name_or_instance)
    _process_default = instance
    return instance


@contextlib.contextmanager
def use_backend(name_or_instance: str | Backend) -> Iterator[Backend]:
    """Put a backend in force inside the block, for this thread or task only.

    Examples:
        >>> import ktensor as kt
        >>> with kt.use_backend("theano") as b:
        ...     kt.backend() is b
        True
    """
    instance = resolve(name_or_instance)
    token = _in_force.set(instance)
    try:
        yield instance
    finally:
        _in_force.reset(token)


def available_backends() -> list[str]:
    """Names whose engine is installed here (checked without importing it), plus registered ones."""
    names = [n for n, (_, _, engine) in _BUILTIN.items() if importlib.util.find_spec(engine) is not None]
    if "theano" in names:
        names.append("pytensor")
    _load_entry_points()
    return sorted(set(names) | set(_factories))


def clear_session() -> None:
    """Free everything built so far (Keras 2's ``K.clear_session()``): on the backend in
    force and every shared instance the names resolved to. Tensors built before are then
    refused with a ``ktensor:`` error; compiled functions keep working. Not needed to keep
    a loop fast (compiling does not slow down with what was built before): call it to get
    the memory back. An instance of your own: ``b.clear_session()``.

    Examples:
        >>> import ktensor as kt
        >>> x = kt.constant([1.0, 2.0], backend="tensorflow")
        >>> kt.clear_session()
        >>> try:
        ...     x + 1
        ... except ValueError as error:
        ...     print(str(error).split(" freed")[0])
        ktensor: add operand 1 (unnamed constant of dtype float32 and shape (2,)) was built before clear_session()
        >>> kt.constant([1.0, 2.0], backend="tensorflow").sum().eval()
        array(3., dtype=float32)
    """
    with _registry_lock:
        instances = {id(b): b for b in (*_instances.values(), _process_default, _in_force.get()) if b is not None}
    for instance in instances.values():
        instance.clear_session()


#: What a ``backend=`` argument accepts: a registered name, an instance, or None.
BackendArg = str | Backend | None


def backend_for(*values: Any, backend_arg: BackendArg = None) -> Backend:
    """The backend an operation's ``kt.*`` function runs on.

    An explicit ``backend_arg`` first, else the backend of the first tensor among
    ``values`` (looking one level into lists and tuples), else the backend in force.

    Examples:
        >>> import ktensor as kt
        >>> t = kt.constant([1.0], backend="tensorflow")
        >>> backend_for([2.0], [t]).name
        'tensorflow'
    """
    if backend_arg is not None:
        return resolve(backend_arg)
    for value in values:
        if isinstance(value, Tensor):
            return value.backend
        if isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, Tensor):
                    return item.backend
    return backend()
