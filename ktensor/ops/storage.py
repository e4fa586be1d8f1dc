"""Storage: saving variables' values to an ``.npz`` file and loading them back.

The file is a plain NumPy ``.npz`` archive keyed by each variable's name, so it is
read the same by every engine (save on ``theano``, load on ``tensorflow``) and by
``np.load``. Saving is atomic: the archive is written to a temporary file in the same
directory and moved over the target with ``os.replace``, so an interrupted save
leaves the previous file whole. Loading checks every name, shape and dtype before
assigning any value: on any mismatch nothing changes.

Examples:
    >>> import os, tempfile
    >>> v = kt.variable([1.0, 2.0], name="v")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     kt.save_variables(os.path.join(d, "w"), [v])
    ...     v.set_value([0.0, 0.0])
    ...     kt.load_variables(os.path.join(d, "w.npz"), [v])
    >>> v.get_value()
    array([1., 2.], dtype=float32)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from ktensor import shapes
from ktensor.backends.core import Core
from ktensor.ops.declare import operation
from ktensor.tensor import Tensor

_EXEMPT = "host-side file I/O: tests/test_storage.py"


def _npz_path(op: str, path: Any) -> str:
    """``path`` as a str, with ``.npz`` appended when missing (``np.savez``'s rule)."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"ktensor: {op}: path must be a str or os.PathLike; received {path!r}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"ktensor: {op}: path must be a str or os.PathLike of str; received {path!r}")
    if not text:
        raise ValueError(f"ktensor: {op}: path must not be empty")
    return text if text.endswith(".npz") else text + ".npz"


def _named(backend: Core, op: str, variables: Any) -> list[tuple[str, Tensor]]:
    """``(name, variable)`` for each variable; unnamed or duplicate names refused."""
    if isinstance(variables, Tensor) or not isinstance(variables, (list, tuple)):
        raise TypeError(f"ktensor: {op}: variables must be a list of variables; received {variables!r}")
    named: list[tuple[str, Tensor]] = []
    seen: dict[str, int] = {}
    for i, v in enumerate(variables):
        var = backend._variable(v, f"{op}: variables[{i}]")
        name = var.name
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"ktensor: {op}: variables[{i}] ({var.label}) has no name; the file is keyed by "
                f"name, so give each variable one (kt.variable(..., name=...))"
            )
        if name in seen:
            raise ValueError(
                f"ktensor: {op}: variables[{seen[name]}] and variables[{i}] share the name {name!r}; "
                f"the file is keyed by name, so names must be unique"
            )
        seen[name] = i
        named.append((name, var))
    return named


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to the open binary ``file`` as ``np.savez`` does (one ``name.npy`` each).

    Written out here rather than through ``np.savez(file, **arrays)`` so that a variable
    named ``file`` or ``allow_pickle`` cannot collide with ``np.savez``'s own parameters.
    """
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)


def _file_mode(target: str) -> int:
    """The permissions the saved file gets: the old file's, else ``0o666`` less the umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class StorageOps(Core):
    """Saving and loading variables' values (host-side file I/O)."""

    @operation(method=False, kit_exempt=_EXEMPT)
    def save_variables(self, path: Any, variables: Sequence[Tensor]) -> None:
        """Save the values of ``variables`` to the ``.npz`` file ``path``, keyed by name.

        Each variable needs a name (``kt.variable(..., name=...)``), unique among
        ``variables``. As with ``np.savez``, ``.npz`` is appended to ``path`` when it
        does not end with it. The write is atomic: a temporary file in the same
        directory is written and then moved over ``path`` (``os.replace``), so an
        interrupted save leaves any previous file whole and no temporary file behind.
        The file is a plain ``.npz``: ``np.load`` reads it, and so does
        ``load_variables`` on either engine.

        Args:
            path: A str or ``os.PathLike``; ``.npz`` is appended if missing.
            variables: A list of named variables of this backend.

        Examples:
            >>> import os, tempfile, numpy as np
            >>> w = kt.variable([[1.0, 2.0]], name="w")
            >>> b = kt.variable(3, name="b")
            >>> with tempfile.TemporaryDirectory() as d:
            ...     kt.save_variables(os.path.join(d, "weights"), [w, b])
            ...     with np.load(os.path.join(d, "weights.npz")) as f:
            ...         print(sorted(f.files), f["w"], f["b"])
            ['b', 'w'] [[1. 2.]] 3
        """
        target = _npz_path("save_variables", path)
        arrays = {name: np.asarray(self.get_value(var), dtype=var.dtype) for name, var in _named(self, "save_variables", variables)}
        directory = os.path.dirname(os.path.abspath(target))
        mode = _file_mode(target)
        fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as file:
                _write_npz(file, arrays)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise

    @operation(method=False, kit_exempt=_EXEMPT)
    def load_variables(self, path: Any, variables: Sequence[Tensor]) -> None:
        """Assign to ``variables`` the values saved under their names in the ``.npz`` file ``path``.

        All or nothing: every variable's name must be in the file, with the variable's
        exact shape and dtype; all are checked before any is assigned, and on any
        mismatch a ``ValueError`` naming it is raised and no variable changes. Entries of
        the file that no variable asks for are ignored. ``.npz`` is appended to ``path``
        when missing, as ``save_variables`` does. The file is read with
        ``allow_pickle=False``: an entry holding pickled objects is refused.

        Args:
            path: A str or ``os.PathLike``; ``.npz`` is appended if missing.
            variables: A list of named variables of this backend, unique names.

        Examples:
            >>> import os, tempfile
            >>> v = kt.variable([1.0, 2.0], name="v")
            >>> with tempfile.TemporaryDirectory() as d:
            ...     kt.save_variables(os.path.join(d, "w.npz"), [v])
            ...     v.set_value([5.0, 6.0])
            ...     kt.load_variables(os.path.join(d, "w.npz"), [v])
            >>> v.get_value()
            array([1., 2.], dtype=float32)
        """
        op = "load_variables"
        source = _npz_path(op, path)
        named = _named(self, op, variables)
        try:
            loaded = np.load(source, allow_pickle=False)
        except FileNotFoundError:
            raise
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"ktensor: {op}: cannot read {source!r} as an .npz file: {error}") from error
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"ktensor: {op}: {source!r} is not an .npz archive (np.load gave {type(loaded).__name__})")
        values: list[tuple[Tensor, np.ndarray]] = []
        with loaded:
            for name, var in named:
                if name not in loaded.files:
                    raise ValueError(
                        f"ktensor: {op}: {source!r} has no entry for {var.label}; it holds {sorted(loaded.files)}"
                    )
                try:
                    array = loaded[name]
                except (OSError, ValueError) as error:
                    raise ValueError(f"ktensor: {op}: cannot read entry {name!r} of {source!r}: {error}") from error
                if not isinstance(array, np.ndarray):  # NpzFile gives a non-.npy member as raw bytes
                    raise ValueError(f"ktensor: {op}: cannot read entry {name!r} of {source!r}: it is not a .npy array")
                if array.shape != var.shape:
                    raise ValueError(
                        f"ktensor: {op}: entry {name!r} of {source!r} has shape {shapes.describe(array.shape)}; "
                        f"{var.label} expects {shapes.describe(var.shape)}"
                    )
                if array.dtype.name != var.dtype:
                    raise ValueError(
                        f"ktensor: {op}: entry {name!r} of {source!r} has dtype {array.dtype.name}; "
                        f"{var.label} expects {var.dtype}"
                    )
                values.append((var, array))
        # Every check passed; set_value repeats them, and should it still fail the
        # variables already assigned get their old values back.
        old = [(var, self.get_value(var)) for var, _ in values]
        done = 0
        try:
            for var, array in values:
                self.set_value(var, array)
                done += 1
        except BaseException:
            for var, value in old[:done]:
                self.set_value(var, value)
            raise
