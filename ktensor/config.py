"""Process-wide configuration: ``ktensor.json``, ``KTENSOR_HOME``, ``KTENSOR_BACKEND``.

The configuration file lives at ``$KTENSOR_HOME/ktensor.json`` (``KTENSOR_HOME``
defaults to ``~/.ktensor``) and looks like::

    {"backend": "tensorflow", "floatx": "float32", "epsilon": 1e-07}

Rules, as in Keras:

* The file is read once, when this module is first imported (:func:`load` reads
  it again on demand).
* Configuration never makes ``import ktensor`` fail. An unreadable or corrupt
  file, a field of the wrong type or a bad value gives one warning that names the
  file and what was wrong; the bad fields take their defaults.
* When the file does not exist and its directory can be written, a file holding
  the defaults is created (best effort, atomically). Once the file exists it is
  never written again: :func:`set_floatx` and :func:`set_epsilon` change this
  process only.
* ``KTENSOR_BACKEND`` in the environment overrides the file's ``"backend"``. The
  name is not checked here; the backend registry rejects an unknown name, listing
  the valid ones, when a backend is first needed.

Example:
    >>> from ktensor import config
    >>> config.floatx()
    'float32'
    >>> config.set_epsilon(1e-5)
    >>> config.epsilon()
    1e-05
    >>> config.set_epsilon(1e-07)
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import stat
import tempfile
import threading
import warnings
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_BACKEND",
    "DEFAULT_EPSILON",
    "DEFAULT_FLOATX",
    "FLOATX_CHOICES",
    "ConfigWarning",
    "config_path",
    "configured_backend_name",
    "epsilon",
    "floatx",
    "home",
    "load",
    "set_epsilon",
    "set_floatx",
]

DEFAULT_FLOATX = "float32"
DEFAULT_EPSILON = 1e-07
DEFAULT_BACKEND = "theano"

#: The dtypes :func:`set_floatx` (and the file's ``"floatx"``) accept.
FLOATX_CHOICES = ("float16", "float32", "float64")

HOME_ENV = "KTENSOR_HOME"
BACKEND_ENV = "KTENSOR_BACKEND"
CONFIG_FILENAME = "ktensor.json"

_DEFAULT_HOME = "~/.ktensor"


class ConfigWarning(UserWarning):
    """Warned when the configuration file cannot be used as it is.

    Example:
        >>> import warnings
        >>> warnings.simplefilter("error", ConfigWarning)  # make it fatal in CI
    """


_NO_DATA = object()  # _read found nothing to parse (``null`` is a JSON value)

_lock = threading.Lock()
_floatx: str = DEFAULT_FLOATX
_epsilon: float = DEFAULT_EPSILON
_file_backend: str | None = None


def home() -> pathlib.Path:
    """Return the ktensor home directory: ``$KTENSOR_HOME``, else ``~/.ktensor``.

    The environment is read on each call; ``~`` is expanded (left as it is when
    the user's home directory cannot be determined).

    Returns:
        The directory that holds ``ktensor.json`` (it may not exist).

    Example:
        >>> home() == config_path().parent
        True
    """
    path = pathlib.Path(os.environ.get(HOME_ENV) or _DEFAULT_HOME)
    try:
        return path.expanduser()
    except RuntimeError:  # no HOME and no password entry for this user
        return path


def config_path() -> pathlib.Path:
    """Return the path of the configuration file, ``home() / "ktensor.json"``.

    Returns:
        The path of ``ktensor.json`` (it may not exist).

    Example:
        >>> config_path().name
        'ktensor.json'
    """
    return home() / CONFIG_FILENAME


def floatx() -> str:
    """Return the default float dtype, e.g. ``"float32"``.

    Placeholders and floating data created without a ``dtype`` take this dtype.

    Returns:
        One of ``"float16"``, ``"float32"``, ``"float64"``.

    Example:
        >>> floatx()
        'float32'
    """
    return _floatx


def set_floatx(dtype: str | np.dtype[Any] | type[np.generic]) -> None:
    """Set the default float dtype for this process (the file is not written).

    Args:
        dtype: ``"float16"``, ``"float32"`` or ``"float64"``, or the matching NumPy
            dtype (``np.dtype("float64")``) or scalar type (``np.float64``).

    Raises:
        ValueError: ``dtype`` is anything else.

    Example:
        >>> set_floatx("float64")
        >>> floatx()
        'float64'
        >>> set_floatx(np.float32)
        >>> floatx()
        'float32'
    """
    global _floatx
    name = _floatx_name(dtype)
    if name is None:
        raise ValueError(
            f"set_floatx: argument `dtype` must be one of {_choices_text()} "
            f"(a string or a NumPy dtype); received {dtype!r}."
        )
    _floatx = name


def epsilon() -> float:
    """Return the fuzz factor used to avoid division by zero, ``1e-07`` by default.

    Returns:
        A positive finite float.

    Example:
        >>> epsilon()
        1e-07
    """
    return _epsilon


def set_epsilon(e: float) -> None:
    """Set the fuzz factor for this process (the file is not written).

    Args:
        e: A positive finite real number (an ``int`` is accepted and converted).

    Raises:
        ValueError: ``e`` is not a number, or is zero, negative, infinite or NaN.

    Example:
        >>> set_epsilon(1e-5)
        >>> epsilon()
        1e-05
        >>> set_epsilon(1e-07)
    """
    global _epsilon
    value = _epsilon_value(e)
    if value is None:
        raise ValueError(
            "set_epsilon: argument `e` must be a positive finite float; "
            f"received {e!r}."
        )
    _epsilon = value


def configured_backend_name() -> str:
    """Return the name of the backend the configuration asks for.

    ``$KTENSOR_BACKEND`` (stripped and lowercased) when set and not blank, else
    the file's ``"backend"``, else :data:`DEFAULT_BACKEND`. The name is not
    validated here: the registry does that when a backend is first needed.

    Returns:
        A lowercase backend name such as ``"theano"`` or ``"tensorflow"``.

    Example:
        >>> os.environ["KTENSOR_BACKEND"] = " TensorFlow "
        >>> configured_backend_name()
        'tensorflow'
        >>> del os.environ["KTENSOR_BACKEND"]
    """
    from_env = os.environ.get(BACKEND_ENV, "").strip().lower()
    if from_env:
        return from_env
    if _file_backend is not None:
        return _file_backend
    return DEFAULT_BACKEND


def load() -> None:
    """Read the configuration file again and reset floatx, epsilon and backend.

    Called once when this module is imported. Values set with :func:`set_floatx`
    or :func:`set_epsilon` are replaced by those of the file (or the defaults).
    When the file does not exist, a file with the defaults is created if the
    home directory can be written. Problems give one :class:`ConfigWarning`
    naming the file; this function never raises because of the configuration.

    Example:
        >>> set_floatx("float64")
        >>> load()          # back to the file's floatx (float32 by default)
        >>> floatx()
        'float32'
    """
    global _floatx, _epsilon, _file_backend
    with _lock:
        path = config_path()
        data, problems = _read(path)
        if problems:
            problems.append(f"using the defaults {_default_content()}")
        new_floatx, new_epsilon, new_backend = DEFAULT_FLOATX, DEFAULT_EPSILON, None
        if data is not _NO_DATA:
            new_floatx, new_epsilon, new_backend = _parse(data, problems)
        _floatx, _epsilon, _file_backend = new_floatx, new_epsilon, new_backend
    if problems:
        warnings.warn(
            f"ktensor configuration file {str(path)!r}: {'; '.join(problems)}. "
            "Fix or delete the file (a missing file is recreated with the defaults).",
            ConfigWarning,
            stacklevel=2,
        )


# --------------------------------------------------------------------------- #
# helpers


def _choices_text() -> str:
    return ", ".join(repr(c) for c in FLOATX_CHOICES)


def _floatx_name(dtype: object) -> str | None:
    """The floatx name for ``dtype``, or ``None`` when it is not an accepted one."""
    if isinstance(dtype, str):
        return dtype if dtype in FLOATX_CHOICES else None
    if isinstance(dtype, np.dtype) or (
        isinstance(dtype, type) and issubclass(dtype, np.generic)
    ):
        name = np.dtype(dtype).name
        return name if name in FLOATX_CHOICES else None
    return None


def _epsilon_value(e: object) -> float | None:
    """``e`` as a positive finite float, or ``None`` when it is not one."""
    if isinstance(e, (bool, np.bool_)) or not isinstance(
        e, (int, float, np.integer, np.floating)
    ):
        return None
    try:
        value = float(e)
    except OverflowError:  # an int too large for a float
        return None
    if not math.isfinite(value) or value <= 0.0:
        return None
    return value


def _read(path: pathlib.Path) -> tuple[Any, list[str]]:
    """Read and decode ``path``; create it with the defaults when it is missing.

    Returns the decoded JSON (``_NO_DATA`` when there is none to use) and the
    list of problems met.
    """
    problems: list[str] = []
    directory = path.parent
    if path.parts[0].startswith("~"):
        problems.append("'~' cannot be expanded: the user's home directory is unknown")
        return _NO_DATA, problems
    if _is_non_directory(directory):
        problems.append(
            f"its directory {str(directory)!r} ({HOME_ENV}) is a file, not a directory "
            f"(point {HOME_ENV} at a directory)"
        )
        return _NO_DATA, problems
    try:
        raw = _read_regular_file(path)
    except FileNotFoundError:
        _write_default(path)
        return _NO_DATA, problems
    except IsADirectoryError:
        problems.append("it is a directory, not a file")
        return _NO_DATA, problems
    except _NotRegular as exc:
        problems.append(str(exc))
        return _NO_DATA, problems
    except OSError as exc:
        problems.append(f"it cannot be read ({exc.strerror or exc})")
        return _NO_DATA, problems
    try:
        return json.loads(raw.decode("utf-8")), problems
    except UnicodeDecodeError as exc:
        problems.append(f"it is not UTF-8 text ({exc})")
    except RecursionError:
        problems.append("it nests JSON arrays or objects too deeply to decode")
    except ValueError as exc:  # json.JSONDecodeError, or a constant such as NaN
        problems.append(f"it is not valid JSON ({exc})")
    return _NO_DATA, problems


#: A configuration file is a few hundred bytes; past this size it is not one.
MAX_CONFIG_BYTES = 1 << 20


class _NotRegular(OSError):
    """The configuration path is not a regular file of a sensible size."""


def _read_regular_file(path: pathlib.Path) -> bytes:
    """The bytes of ``path``, read only if it is a regular file of at most
    ``MAX_CONFIG_BYTES``; never blocks (a FIFO or a device is refused, not opened)."""
    info = path.stat()  # follows symlinks: what matters is what would be read
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(info.st_mode):
        raise _NotRegular("it is not a regular file (a pipe, socket or device), so it is not read")
    if info.st_size > MAX_CONFIG_BYTES:
        raise _NotRegular(f"it is {info.st_size} bytes, more than a configuration file's {MAX_CONFIG_BYTES}")
    # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open does not wait.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise _NotRegular(f"it is more than a configuration file's {MAX_CONFIG_BYTES} bytes")
    return raw


def _is_non_directory(directory: pathlib.Path) -> bool:
    """Whether ``directory`` exists as something other than a directory."""
    try:
        return directory.exists() and not directory.is_dir()
    except OSError:  # e.g. a parent without search permission; reading reports it
        return False


def _parse(data: Any, problems: list[str]) -> tuple[str, float, str | None]:
    """Validate the decoded file, appending to ``problems``; bad fields get defaults."""
    value_floatx, value_epsilon, value_backend = DEFAULT_FLOATX, DEFAULT_EPSILON, None
    if not isinstance(data, dict):
        problems.append(
            f"expected a JSON object such as {_default_content()}, "
            f"got {_json_kind(data)}; using the defaults"
        )
        return value_floatx, value_epsilon, value_backend

    if "floatx" in data:
        raw = data["floatx"]
        if isinstance(raw, str) and raw in FLOATX_CHOICES:
            value_floatx = raw
        else:
            problems.append(
                f'"floatx" must be one of {_choices_text()}, got {raw!r}; '
                f"using {DEFAULT_FLOATX!r}"
            )

    if "epsilon" in data:
        raw = data["epsilon"]
        checked = _epsilon_value(raw)
        if checked is not None:
            value_epsilon = checked
        else:
            problems.append(
                f'"epsilon" must be a positive finite number, got {raw!r}; '
                f"using {DEFAULT_EPSILON!r}"
            )

    if "backend" in data:
        raw = data["backend"]
        if isinstance(raw, str) and raw.strip():
            value_backend = raw.strip().lower()
        else:
            problems.append(
                f'"backend" must be a non-empty string, got {raw!r}; '
                f"using {DEFAULT_BACKEND!r}"
            )

    return value_floatx, value_epsilon, value_backend


def _json_kind(data: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(data), "a number")


def _defaults() -> dict[str, Any]:
    return {
        "backend": DEFAULT_BACKEND,
        "floatx": DEFAULT_FLOATX,
        "epsilon": DEFAULT_EPSILON,
    }


def _default_content() -> str:
    return json.dumps(_defaults())


def _write_default(path: pathlib.Path) -> None:
    """Create ``path`` with the defaults, atomically, never replacing a file.

    Best effort, as in Keras: a read-only or missing home is not an error.
    """
    directory = path.parent
    tmp_name: str | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            dir=directory, prefix=f".{CONFIG_FILENAME}.", suffix=".tmp"
        )
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_defaults(), handle, indent=4)
            handle.write("\n")
        os.chmod(tmp_name, 0o644)
        try:
            # A hard link never replaces an existing file, so a file written by
            # someone else in the meantime is kept.
            os.link(tmp_name, path)
        except FileExistsError:
            pass
        except OSError:
            # The file system has no hard links: fall back to a rename, which
            # is atomic but could replace a file created in the last instant.
            if not path.exists():
                os.replace(tmp_name, path)
                tmp_name = None
    except OSError:
        pass
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


load()
