"""Configuration: ``ktensor.json``, ``KTENSOR_HOME``, ``KTENSOR_BACKEND``, floatx.

The file is read at import, so most tests run a fresh interpreter on a fresh
temporary home (``KTENSOR_HOME``) and report back as JSON. Those that need no
engine never import one, to stay fast.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor import config

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {"backend": "theano", "floatx": "float32", "epsilon": 1e-07}
VALID_BACKEND_NAMES = ("theano", "pytensor", "tensorflow")

_PRELUDE = """\
import json, sys, warnings
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    import ktensor as kt
    from ktensor import config
result = {
    "warnings": [
        {"category": w.category.__name__,
         "is_user_warning": issubclass(w.category, UserWarning),
         "message": str(w.message)}
        for w in _caught
    ],
    "floatx": config.floatx(),
    "epsilon": config.epsilon(),
    "backend_name": config.configured_backend_name(),
}
"""
_EPILOGUE = '\nprint("RESULT=" + json.dumps(result))\n'


def _clean_env(home: Path | str, **extra: str) -> dict[str, str]:
    # Drop the user's own configuration; keep other settings (e.g. the
    # KTENSOR_THEANO_MODE that conftest.py chooses for fast compiles).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KTENSOR_HOME", "KTENSOR_BACKEND")
    }
    env["KTENSOR_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.update(extra)
    return env


IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = shutil.which("setpriv")
# Root ignores file permissions; without its capabilities it obeys them.
_DROP_CAPABILITIES = [SETPRIV or "setpriv", "--bounding-set=-all", "--inh-caps=-all"]
needs_permissions = pytest.mark.skipif(
    IS_ROOT and SETPRIV is None,
    reason="running as root and setpriv is missing: permissions are not enforced",
)


def run_ktensor(
    home: Path | str, code: str = "", *, obey_permissions: bool = False, **env: str
) -> dict[str, Any]:
    """Import ktensor in a fresh interpreter, run ``code``, return ``result``.

    ``code`` may add entries to the dict ``result``; ``result["warnings"]`` holds
    the warnings raised while importing ktensor. ``obey_permissions`` runs the
    interpreter without root's capabilities when the tests run as root.
    """
    script = _PRELUDE + textwrap.dedent(code) + _EPILOGUE
    prefix = _DROP_CAPABILITIES if obey_permissions and IS_ROOT else []
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", script],
        env=_clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")]
    assert lines, f"no result:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(lines[-1][len("RESULT=") :])  # type: ignore[no-any-return]


def config_warnings(result: dict[str, Any]) -> list[str]:
    return [w["message"] for w in result["warnings"] if w["is_user_warning"]]


def write_config(home: Path, content: str | bytes | dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "ktensor.json"
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


@pytest.fixture
def restore_config() -> Iterator[None]:
    """Put floatx and epsilon back after an in-process test."""
    saved = (config.floatx(), config.epsilon())
    yield
    config.set_floatx(saved[0])
    config.set_epsilon(saved[1])


# --------------------------------------------------------------------------- #
# The file: created when missing, read when present, never overwritten


def test_default_file_created_in_missing_home(tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "there"
    result = run_ktensor(home)
    assert config_warnings(result) == []
    path = home / "ktensor.json"
    assert json.loads(path.read_text()) == DEFAULTS
    assert (result["floatx"], result["epsilon"], result["backend_name"]) == (
        "float32",
        1e-07,
        "theano",
    )
    # The atomic write leaves no temporary file behind.
    assert sorted(p.name for p in home.iterdir()) == ["ktensor.json"]


def test_concurrent_first_imports_agree_on_one_default_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = _PRELUDE + _EPILOGUE
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=_clean_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        line = [ln for ln in out.splitlines() if ln.startswith("RESULT=")][-1]
        assert config_warnings(json.loads(line[len("RESULT=") :])) == []
    assert json.loads((home / "ktensor.json").read_text()) == DEFAULTS
    assert sorted(p.name for p in home.iterdir()) == ["ktensor.json"]


def test_values_from_file_are_used(tmp_path: Path) -> None:
    write_config(
        tmp_path, {"backend": "tensorflow", "floatx": "float64", "epsilon": 1e-4}
    )
    result = run_ktensor(
        tmp_path,
        """
        result["kt"] = [kt.floatx(), kt.epsilon()]
        result["engines"] = [m for m in ("tensorflow", "pytensor") if m in sys.modules]
        """,
    )
    assert config_warnings(result) == []
    assert result["floatx"] == "float64"
    assert result["epsilon"] == 1e-4
    assert result["backend_name"] == "tensorflow"
    assert result["kt"] == ["float64", 1e-4]
    assert result["engines"] == []  # reading the configuration imports no engine


def test_partial_file_uses_defaults_for_missing_keys_and_is_not_completed(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, '{"floatx": "float16"}')
    result = run_ktensor(tmp_path)
    assert config_warnings(result) == []
    assert (result["floatx"], result["epsilon"], result["backend_name"]) == (
        "float16",
        1e-07,
        "theano",
    )
    assert path.read_text() == '{"floatx": "float16"}'


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, {"floatx": "float64", "image_data_format": "channels_last"})
    result = run_ktensor(tmp_path)
    assert config_warnings(result) == []
    assert result["floatx"] == "float64"


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    content = (
        b'{ "epsilon" : 0.001,\n  "floatx":"float64", "backend": "theano",'
        b' "mine": [1, 2] }\n\n'
    )
    path = write_config(tmp_path, content)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    result = run_ktensor(
        tmp_path,
        """
        kt.set_floatx("float16")
        kt.set_epsilon(0.5)
        config.load()
        config.set_floatx("float32")
        result["after"] = [kt.floatx(), kt.epsilon()]
        """,
    )
    assert config_warnings(result) == []
    assert result["floatx"] == "float64" and result["epsilon"] == 0.001
    assert result["after"] == ["float32", 0.001]
    assert path.read_bytes() == content
    assert path.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ktensor.json"]


def test_bad_file_is_not_overwritten_either(tmp_path: Path) -> None:
    path = write_config(tmp_path, b"{oops")
    run_ktensor(tmp_path, 'kt.set_floatx("float64")')
    assert path.read_bytes() == b"{oops"


# --------------------------------------------------------------------------- #
# A bad file: import works, one warning naming the file, defaults


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b'{"floatx": "float64",}',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"float64"',
        b"null",
    ],
    ids=["syntax", "empty", "trailing-comma", "binary", "array", "string", "null"],
)
def test_corrupt_file_warns_and_uses_defaults(tmp_path: Path, content: bytes) -> None:
    path = write_config(tmp_path, content)
    result = run_ktensor(tmp_path)
    messages = config_warnings(result)
    assert len(messages) == 1, result["warnings"]
    assert str(path) in messages[0]
    assert (result["floatx"], result["epsilon"], result["backend_name"]) == (
        "float32",
        1e-07,
        "theano",
    )
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("floatx", 32),
        ("floatx", "int32"),
        ("floatx", "Float64"),
        ("floatx", None),
        ("floatx", ["float64"]),
        ("epsilon", "1e-3"),
        ("epsilon", -1e-3),
        ("epsilon", 0),
        ("epsilon", True),
        ("epsilon", None),
        ("backend", 5),
        ("backend", ""),
        ("backend", ["tensorflow"]),
    ],
)
def test_bad_field_warns_and_falls_back_for_that_field_only(
    tmp_path: Path, field: str, bad: Any
) -> None:
    good = {"backend": "tensorflow", "floatx": "float64", "epsilon": 1e-3}
    path = write_config(tmp_path, {**good, field: bad})
    result = run_ktensor(tmp_path)
    messages = config_warnings(result)
    assert len(messages) == 1, result["warnings"]
    assert str(path) in messages[0]
    assert field in messages[0]
    observed = {
        "backend": result["backend_name"],
        "floatx": result["floatx"],
        "epsilon": result["epsilon"],
    }
    assert observed == {**good, field: DEFAULTS[field]}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_epsilon_in_file_is_rejected(tmp_path: Path, constant: str) -> None:
    path = write_config(tmp_path, '{"epsilon": %s}' % constant)
    result = run_ktensor(tmp_path)
    messages = config_warnings(result)
    assert len(messages) == 1 and str(path) in messages[0]
    assert result["epsilon"] == 1e-07


def test_several_bad_fields_give_one_warning(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"floatx": "int8", "epsilon": -1, "backend": 3})
    result = run_ktensor(tmp_path)
    messages = config_warnings(result)
    assert len(messages) == 1
    for name in (str(path), "floatx", "epsilon", "backend"):
        assert name in messages[0]


def test_integer_epsilon_in_file_is_accepted_as_float(tmp_path: Path) -> None:
    write_config(tmp_path, {"epsilon": 1})
    result = run_ktensor(tmp_path, 'result["type"] = type(kt.epsilon()).__name__')
    assert config_warnings(result) == []
    assert result["epsilon"] == 1.0 and result["type"] == "float"


# --------------------------------------------------------------------------- #
# An unusable home


def test_home_that_is_a_regular_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("I am not a directory")
    result = run_ktensor(home)
    messages = config_warnings(result)
    assert len(messages) == 1
    assert str(home) in messages[0]
    assert (result["floatx"], result["epsilon"], result["backend_name"]) == (
        "float32",
        1e-07,
        "theano",
    )
    assert home.read_text() == "I am not a directory"


def test_home_below_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_ktensor(blocker / "sub" / "home")
    assert result["floatx"] == "float32"
    assert blocker.read_text() == "x"


def test_config_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "ktensor.json").mkdir()
    result = run_ktensor(tmp_path)
    messages = config_warnings(result)
    assert len(messages) == 1
    assert str(tmp_path / "ktensor.json") in messages[0]
    assert result["floatx"] == "float32"


@needs_permissions
def test_unwritable_home_is_silently_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    try:
        result = run_ktensor(home, obey_permissions=True)
    finally:
        home.chmod(0o700)
    assert config_warnings(result) == []
    assert result["floatx"] == "float32"
    assert list(home.iterdir()) == []


@needs_permissions
def test_unreadable_file_warns(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"floatx": "float64"})
    path.chmod(0o000)
    try:
        result = run_ktensor(tmp_path, obey_permissions=True)
    finally:
        path.chmod(0o600)
    messages = config_warnings(result)
    assert len(messages) == 1 and str(path) in messages[0]
    assert result["floatx"] == "float32"


# --------------------------------------------------------------------------- #
# The backend name: KTENSOR_BACKEND over the file, checked when first needed


def test_env_backend_overrides_file_and_is_used(tmp_path: Path) -> None:
    # One TensorFlow interpreter checks both the override and floatx on that engine.
    write_config(tmp_path, {"backend": "theano", "floatx": "float16"})
    result = run_ktensor(
        tmp_path,
        """
        result["at_import"] = [m for m in ("tensorflow", "pytensor")
                               if m in sys.modules]
        result["name"] = kt.backend().name
        result["dtype"] = kt.placeholder(shape=(2,)).dtype
        """,
        KTENSOR_BACKEND="tensorflow",
    )
    assert result["backend_name"] == "tensorflow"
    assert result["at_import"] == []
    assert result["name"] == "tensorflow"
    assert result["dtype"] == "float16"


@pytest.mark.parametrize(
    ("env_value", "expected"),
    [(" TensorFlow\n", "tensorflow"), ("", "tensorflow"), ("   ", "tensorflow")],
    ids=["normalised", "empty-ignored", "blank-ignored"],
)
def test_env_backend_normalisation(
    tmp_path: Path, env_value: str, expected: str
) -> None:
    write_config(tmp_path, {"backend": "tensorflow"})
    result = run_ktensor(tmp_path, KTENSOR_BACKEND=env_value)
    assert result["backend_name"] == expected


def test_env_backend_pytensor_alias_is_the_theano_family(tmp_path: Path) -> None:
    result = run_ktensor(
        tmp_path,
        """
        result["name"] = kt.backend().name
        result["engines"] = [m for m in ("tensorflow", "pytensor") if m in sys.modules]
        """,
        KTENSOR_BACKEND="pytensor",
    )
    assert result["name"] == "theano"
    assert result["engines"] == ["pytensor"]


_BAD_BACKEND_PROBE = """
try:
    kt.backend()
except ValueError as exc:
    result["error"] = str(exc)
else:
    result["error"] = None
result["engines"] = [m for m in ("tensorflow", "pytensor") if m in sys.modules]
"""


@pytest.mark.parametrize("where", ["env", "file"])
def test_unknown_backend_name_fails_when_first_needed(
    tmp_path: Path, where: str
) -> None:
    env: dict[str, str] = {}
    if where == "env":
        env["KTENSOR_BACKEND"] = "nosuchengine"
    else:
        write_config(tmp_path, {"backend": "nosuchengine"})
    result = run_ktensor(tmp_path, _BAD_BACKEND_PROBE, **env)  # type: ignore[arg-type]  # mypy reads **env as the keyword flag
    assert result["backend_name"] == "nosuchengine"
    error = result["error"]
    assert error is not None, "kt.backend() accepted an unknown backend name"
    assert "nosuchengine" in error
    for name in VALID_BACKEND_NAMES:
        assert name in error
    assert result["engines"] == []


# --------------------------------------------------------------------------- #
# floatx reaches tensor creation


def test_floatx_from_file_sets_placeholder_dtype(tmp_path: Path) -> None:
    write_config(tmp_path, {"floatx": "float64"})
    result = run_ktensor(
        tmp_path,
        """
        result["dtype"] = kt.placeholder(shape=(2,)).dtype
        kt.set_floatx("float16")
        result["after_set"] = kt.placeholder(shape=(2,)).dtype
        """,
        KTENSOR_BACKEND="theano",
    )
    assert result["dtype"] == "float64"
    assert result["after_set"] == "float16"


# --------------------------------------------------------------------------- #
# In-process API: home, config_path, floatx, epsilon, load


def test_home_and_config_path_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KTENSOR_HOME", str(tmp_path / "h"))
    assert config.home() == tmp_path / "h"
    assert config.config_path() == tmp_path / "h" / "ktensor.json"
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("KTENSOR_HOME", "~/kt")
    assert config.home() == tmp_path / "user" / "kt"
    monkeypatch.delenv("KTENSOR_HOME")
    assert config.home() == tmp_path / "user" / ".ktensor"
    monkeypatch.setenv("KTENSOR_HOME", "")
    assert config.home() == tmp_path / "user" / ".ktensor"


def test_configured_backend_name_reads_env_each_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KTENSOR_BACKEND", "  TENSORFLOW ")
    assert config.configured_backend_name() == "tensorflow"
    monkeypatch.setenv("KTENSOR_BACKEND", "whatever")
    assert config.configured_backend_name() == "whatever"  # not validated here


def test_load_rereads_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_config: None
) -> None:
    monkeypatch.delenv("KTENSOR_BACKEND", raising=False)
    original_home = os.environ.get("KTENSOR_HOME")
    write_config(tmp_path, {"floatx": "float64", "epsilon": 0.25, "backend": "x"})
    monkeypatch.setenv("KTENSOR_HOME", str(tmp_path))
    try:
        config.load()
        assert (config.floatx(), config.epsilon()) == ("float64", 0.25)
        assert config.configured_backend_name() == "x"
        config.set_floatx("float16")
        config.load()
        assert config.floatx() == "float64"
        on_disk = json.loads((tmp_path / "ktensor.json").read_text())
        assert on_disk["floatx"] == "float64"
    finally:
        if original_home is None:
            monkeypatch.delenv("KTENSOR_HOME")
        else:
            monkeypatch.setenv("KTENSOR_HOME", original_home)
        config.load()


def test_load_warns_with_a_config_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_config: None
) -> None:
    path = write_config(tmp_path, b"{")
    original_home = os.environ.get("KTENSOR_HOME")
    monkeypatch.setenv("KTENSOR_HOME", str(tmp_path))
    try:
        with pytest.warns(UserWarning, match="ktensor.json") as record:
            config.load()
        assert len(record) == 1
        assert str(path) in str(record[0].message)
        assert record[0].filename == __file__  # stacklevel points at the caller
    finally:
        if original_home is None:
            monkeypatch.delenv("KTENSOR_HOME")
        else:
            monkeypatch.setenv("KTENSOR_HOME", original_home)
        config.load()


def test_defaults_constants() -> None:
    assert config.DEFAULT_FLOATX == "float32"
    assert config.DEFAULT_EPSILON == 1e-07
    assert config.DEFAULT_BACKEND == "theano"


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", np.float64, np.dtype("float16")]
)
def test_set_floatx_accepts(dtype: Any, restore_config: None) -> None:
    kt.set_floatx(dtype)
    expected = np.dtype(dtype).name
    assert kt.floatx() == expected
    assert isinstance(kt.floatx(), str)
    assert config.floatx() == expected


@pytest.mark.parametrize(
    "bad",
    ["int32", "float", "Float32", "f4", "bfloat16", "", None, 32, np.int32, float],
)
def test_set_floatx_rejects(bad: Any, restore_config: None) -> None:
    before = kt.floatx()
    with pytest.raises(ValueError) as info:
        kt.set_floatx(bad)
    message = str(info.value)
    assert "dtype" in message  # the argument
    for name in ("float16", "float32", "float64"):  # what is expected
        assert name in message
    assert repr(bad) in message  # what was received
    assert kt.floatx() == before


@pytest.mark.parametrize("value", [1e-3, 1, np.float32(0.5), 1e-300])
def test_set_epsilon_accepts(value: Any, restore_config: None) -> None:
    kt.set_epsilon(value)
    assert kt.epsilon() == float(value)
    assert type(kt.epsilon()) is float


@pytest.mark.parametrize(
    "bad", [0, 0.0, -1e-7, math.nan, math.inf, "1e-3", None, True, [1e-3]]
)
def test_set_epsilon_rejects(bad: Any, restore_config: None) -> None:
    before = kt.epsilon()
    with pytest.raises(ValueError) as info:
        kt.set_epsilon(bad)
    message = str(info.value)
    assert "epsilon" in message
    assert repr(bad) in message
    assert kt.epsilon() == before


def test_floatx_is_process_wide(restore_config: None) -> None:
    import threading

    seen: list[str] = []
    kt.set_floatx("float64")
    thread = threading.Thread(target=lambda: seen.append(kt.floatx()))
    thread.start()
    thread.join()
    assert seen == ["float64"]


# -- files that are not configuration files never break (or hang) the import ---------
def test_deeply_nested_json_gives_a_warning(tmp_path: Path) -> None:
    write_config(tmp_path, "[" * 100_000 + "]" * 100_000)
    result = run_ktensor(tmp_path, "result['floatx'] = kt.floatx()")
    assert result["floatx"] == "float32"
    assert any("too deeply" in w for w in config_warnings(result))


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    os.mkfifo(tmp_path / "ktensor.json")
    result = run_ktensor(tmp_path, "result['floatx'] = kt.floatx()")  # would hang if opened
    assert result["floatx"] == "float32"
    assert any("not a regular file" in w for w in config_warnings(result))


def test_a_link_to_an_endless_device_is_not_read(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "ktensor.json").symlink_to("/dev/zero")
    result = run_ktensor(tmp_path, "result['floatx'] = kt.floatx()")
    assert result["floatx"] == "float32"
    assert any("not a regular file" in w for w in config_warnings(result))


def test_a_huge_file_is_not_read(tmp_path: Path) -> None:
    write_config(tmp_path, '{"floatx": "float64"}' + " " * (2 << 20))
    result = run_ktensor(tmp_path, "result['floatx'] = kt.floatx()")
    assert result["floatx"] == "float32"
    assert any("bytes" in w for w in config_warnings(result))
