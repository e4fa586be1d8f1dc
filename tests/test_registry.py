"""Backend registry and switching (API.md section 1).

``kt.backend`` / ``kt.set_backend`` / ``kt.use_backend`` / ``kt.register_backend``
/ ``kt.available_backends``, the ``ktensor.backends`` entry-point group, and lazy
engine imports. What depends on a fresh interpreter (imports, entry points) runs
in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ktensor as kt
from ktensor.backends import TensorFlowBackend, TheanoBackend

REPO_ROOT = Path(__file__).resolve().parents[1]
VALID_BACKEND_NAMES = ("theano", "pytensor", "tensorflow")


def run_python(
    code: str, home: Path, *, extra_path: Path | None = None, **env: str
) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it fills the dict ``result``."""
    # Drop the user's own configuration; keep other settings (e.g. the
    # KTENSOR_THEANO_MODE that conftest.py chooses for fast compiles).
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KTENSOR_HOME", "KTENSOR_BACKEND")
    }
    paths = [str(REPO_ROOT)]
    if extra_path is not None:
        paths.append(str(extra_path))
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    full_env.update(
        KTENSOR_HOME=str(home),
        PYTHONPATH=os.pathsep.join(paths),
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
    )
    full_env.update(env)
    script = (
        "import json, sys\nresult = {}\n"
        + textwrap.dedent(code)
        + '\nprint("RESULT=" + json.dumps(result))\n'
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")][-1]
    return json.loads(line[len("RESULT=") :])  # type: ignore[no-any-return]


ENGINES_LOADED = (
    'sorted(m for m in ("tensorflow", "pytensor", "theano") if m in sys.modules)'
)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def restore_default_backend() -> Iterator[None]:
    before = kt.backend()
    yield
    kt.set_backend(before)


# --------------------------------------------------------------------------- #
# backend / set_backend


def test_backend_is_a_backend_instance() -> None:
    backend = kt.backend()
    assert isinstance(backend, kt.Backend)
    assert backend.name in ("theano", "tensorflow")


@pytest.mark.parametrize(
    ("name", "cls", "family"),
    [
        ("theano", TheanoBackend, "theano"),
        ("pytensor", TheanoBackend, "theano"),
        ("tensorflow", TensorFlowBackend, "tensorflow"),
    ],
)
def test_set_backend_by_name(name: str, cls: type, family: str) -> None:
    backend = kt.set_backend(name)
    assert isinstance(backend, cls)
    assert isinstance(backend, kt.Backend)
    assert backend.name == family
    assert kt.backend() is backend


def test_one_shared_default_instance_per_name() -> None:
    for name in ("theano", "tensorflow"):
        first = kt.set_backend(name)
        assert kt.set_backend(name) is first
        with kt.use_backend(name) as inside:
            assert inside is first


def test_pytensor_alias_is_the_theano_instance() -> None:
    assert kt.set_backend("pytensor") is kt.set_backend("theano")
    with kt.use_backend("pytensor") as via_alias:
        assert via_alias is kt.set_backend("theano")


def test_set_backend_with_an_instance() -> None:
    mine = TensorFlowBackend()
    assert mine is not kt.set_backend("tensorflow")
    assert kt.set_backend(mine) is mine
    assert kt.backend() is mine
    assert mine.name == "tensorflow"
    # The shared default for the name is unchanged.
    assert kt.set_backend("tensorflow") is not mine


def test_set_backend_with_a_user_subclass_instance() -> None:
    class Traced(TheanoBackend):
        pass

    traced = Traced()
    assert kt.set_backend(traced) is traced
    assert kt.backend() is traced
    assert traced.name == "theano"
    assert kt.placeholder(shape=(2,)).backend is traced


def test_tensors_remember_their_backend() -> None:
    theano = kt.set_backend("theano")
    x = kt.placeholder(shape=(2,))
    tensorflow = kt.set_backend("tensorflow")
    y = kt.placeholder(shape=(2,))
    assert x.backend is theano
    assert y.backend is tensorflow
    assert (x + 1).backend is theano


def test_unknown_name_raises_value_error_listing_valid_names() -> None:
    before = kt.backend()
    with pytest.raises(ValueError) as info:
        kt.set_backend("nosuchengine")
    message = str(info.value)
    assert "nosuchengine" in message
    for name in VALID_BACKEND_NAMES:
        assert name in message
    assert kt.backend() is before
    with pytest.raises(ValueError), kt.use_backend("nosuchengine"):
        pytest.fail("the block must not run")  # pragma: no cover
    assert kt.backend() is before


@pytest.mark.parametrize("bad", [3, None, TheanoBackend])
def test_set_backend_rejects_non_backends(bad: Any) -> None:
    with pytest.raises(TypeError):
        kt.set_backend(bad)


# --------------------------------------------------------------------------- #
# use_backend


def test_use_backend_restores_on_exit() -> None:
    outer = kt.set_backend("theano")
    with kt.use_backend("tensorflow") as inner:
        assert inner is kt.backend()
        assert inner.name == "tensorflow"
    assert kt.backend() is outer


def test_use_backend_restores_on_exception() -> None:
    outer = kt.set_backend("theano")
    with pytest.raises(RuntimeError, match="boom"), kt.use_backend("tensorflow"):
        raise RuntimeError("boom")
    assert kt.backend() is outer


def test_use_backend_nests() -> None:
    outer = kt.set_backend("theano")
    mine = TheanoBackend()
    with kt.use_backend("tensorflow") as tf_backend:
        with kt.use_backend(mine) as inner:
            assert inner is mine
            assert kt.backend() is mine
            with kt.use_backend("tensorflow") as again:
                assert again is tf_backend
            assert kt.backend() is mine
        assert kt.backend() is tf_backend
    assert kt.backend() is outer


def test_use_backend_with_an_instance_and_creation_inside() -> None:
    mine = TensorFlowBackend()
    with kt.use_backend(mine) as inner:
        assert inner is mine
        assert kt.placeholder(shape=(3,)).backend is mine


def test_use_backend_exit_does_not_reset_a_default_it_never_set() -> None:
    kt.set_backend("theano")
    mine = TheanoBackend()
    with kt.use_backend("tensorflow"):
        kt.set_backend(mine)
    assert kt.backend() is mine


# --------------------------------------------------------------------------- #
# Threads and asyncio tasks


def _run_threads(
    targets: list[Callable[[], None]], barrier: threading.Barrier | None = None
) -> None:
    """Run each target in its own thread; re-raise the first error here."""
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported in the main thread
                errors.append(exc)
                if barrier is not None:
                    barrier.abort()  # do not leave the others waiting

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_threads_see_only_their_own_choice() -> None:
    default = kt.set_backend("theano")
    choices: list[Any] = ["tensorflow", TheanoBackend(), TensorFlowBackend(), "theano"]
    barrier = threading.Barrier(len(choices) + 1)  # + one thread with no block
    seen: dict[int, tuple[Any, ...]] = {}

    def chooser(index: int, choice: Any) -> Callable[[], None]:
        def run() -> None:
            with kt.use_backend(choice) as mine:
                barrier.wait(timeout=60)  # everyone is inside a block
                during = kt.backend()
                kt.placeholder(shape=(1,))
                barrier.wait(timeout=60)  # everyone has looked
                again = kt.backend()
            barrier.wait(timeout=60)  # everyone has left
            seen[index] = (mine, during, again, kt.backend())

        return run

    def bystander() -> None:
        barrier.wait(timeout=60)
        during = kt.backend()
        barrier.wait(timeout=60)
        barrier.wait(timeout=60)
        seen[-1] = (during,)

    targets = [chooser(i, c) for i, c in enumerate(choices)] + [bystander]
    _run_threads(targets, barrier)

    for index, choice in enumerate(choices):
        mine, during, again, after = seen[index]
        if isinstance(choice, kt.Backend):
            assert mine is choice
        else:
            assert mine.name == choice
        assert during is mine and again is mine
        assert after is default
    assert seen[-1] == (default,)
    assert kt.backend() is default


def test_new_threads_follow_the_process_default() -> None:
    seen: list[Any] = []
    tf_backend = kt.set_backend("tensorflow")
    _run_threads([lambda: seen.append(kt.backend())])
    theano = kt.set_backend("theano")
    _run_threads([lambda: seen.append(kt.backend())])
    assert seen[0] is tf_backend and seen[1] is theano


def test_set_backend_in_a_thread_sets_the_process_default() -> None:
    kt.set_backend("theano")

    def switch() -> None:
        kt.set_backend("tensorflow")

    _run_threads([switch])
    assert kt.backend().name == "tensorflow"


def test_asyncio_tasks_see_only_their_own_choice() -> None:
    default = kt.set_backend("theano")
    choices: list[Any] = ["tensorflow", TheanoBackend(), TensorFlowBackend()]

    async def main() -> list[tuple[Any, Any, Any]]:
        entered = 0
        all_inside = asyncio.Event()

        async def task(choice: Any) -> tuple[Any, Any, Any]:
            nonlocal entered
            with kt.use_backend(choice) as mine:
                entered += 1
                if entered == len(choices):
                    all_inside.set()
                await all_inside.wait()
                for _ in range(3):
                    await asyncio.sleep(0)
                return mine, kt.backend(), choice

        results = await asyncio.gather(*(task(c) for c in choices))
        assert kt.backend() is default
        return list(results)

    for mine, seen, choice in asyncio.run(main()):
        assert seen is mine
        if isinstance(choice, kt.Backend):
            assert mine is choice
        else:
            assert mine.name == choice
    assert kt.backend() is default


def test_asyncio_task_inherits_the_choice_of_its_creator() -> None:
    kt.set_backend("theano")

    async def main() -> Any:
        with kt.use_backend("tensorflow") as outer:
            inner = await asyncio.create_task(_current())
        return outer, inner

    async def _current() -> Any:
        return kt.backend()

    outer, inner = asyncio.run(main())
    assert inner is outer


# --------------------------------------------------------------------------- #
# register_backend


def test_register_backend_factory_called_once_and_lazily() -> None:
    calls: list[int] = []

    def factory() -> TheanoBackend:
        calls.append(1)
        return TheanoBackend()

    name = unique_name("counted")
    kt.register_backend(name, factory)
    assert calls == []
    first = kt.set_backend(name)
    assert kt.set_backend(name) is first
    with kt.use_backend(name) as inside:
        assert inside is first
    assert kt.backend() is first
    assert calls == [1]
    assert first.name == "theano"


def test_registered_subclass_keeps_its_family_name() -> None:
    class MyTensorFlow(TensorFlowBackend):
        pass

    name = unique_name("mytf")
    kt.register_backend(name, MyTensorFlow)
    backend = kt.set_backend(name)
    assert isinstance(backend, MyTensorFlow)
    assert backend.name == "tensorflow"


def test_registered_subclass_may_set_its_own_name() -> None:
    class Renamed(TheanoBackend):
        name = "renamed"

    key = unique_name("renamed")
    kt.register_backend(key, Renamed)
    backend = kt.set_backend(key)
    assert isinstance(backend, Renamed)
    assert backend.name == "renamed"


def test_registered_name_is_listed_among_valid_names() -> None:
    name = unique_name("listed")
    kt.register_backend(name, TheanoBackend)
    with pytest.raises(ValueError) as info:
        kt.set_backend("nosuchengine")
    assert name in str(info.value)


def test_factory_returning_a_non_backend_is_a_type_error() -> None:
    name = unique_name("broken")
    kt.register_backend(name, lambda: object())  # type: ignore[arg-type, return-value]  # the mistake under test
    with pytest.raises(TypeError):
        kt.set_backend(name)


def test_available_backends() -> None:
    available = kt.available_backends()
    assert "theano" in available
    assert "tensorflow" in available
    assert all(isinstance(name, str) for name in available)


# --------------------------------------------------------------------------- #
# Entry points (a real dist-info on sys.path, in a fresh interpreter)


def _make_plugin(site: Path, dist: str, module: str, entry: str, source: str) -> None:
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[ktensor.backends]\n{entry}\n")


_PLUGIN_SOURCE = """
from ktensor.backends import TheanoBackend

CALLS = []


class DemoBackend(TheanoBackend):
    pass


def make():
    CALLS.append(1)
    return DemoBackend()
"""


def test_entry_point_backend(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _make_plugin(
        site,
        "ktdemo_plugin",
        "ktdemo_plugin",
        "ktdemo = ktdemo_plugin:make",
        _PLUGIN_SOURCE,
    )
    result = run_python(
        f"""
        import ktensor as kt
        result["plugin_loaded_at_import"] = "ktdemo_plugin" in sys.modules
        backend = kt.set_backend("ktdemo")
        import ktdemo_plugin
        result["type"] = type(backend).__name__
        result["family"] = backend.name
        result["same"] = kt.set_backend("ktdemo") is backend
        with kt.use_backend("ktdemo") as inside:
            result["same_in_block"] = inside is backend
        result["calls"] = len(ktdemo_plugin.CALLS)
        result["tensor_backend_ok"] = kt.placeholder(shape=(2,)).backend is backend
        result["engines"] = {ENGINES_LOADED}
        """,
        tmp_path / "home",
        extra_path=site,
    )
    assert result["type"] == "DemoBackend"
    assert result["family"] == "theano"
    assert result["same"] and result["same_in_block"]
    assert result["calls"] == 1
    assert result["tensor_backend_ok"]
    assert result["engines"] == ["pytensor"]


def test_entry_point_plugins_are_not_imported_with_ktensor(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _make_plugin(
        site,
        "ktdemo_plugin",
        "ktdemo_plugin",
        "ktdemo = ktdemo_plugin:make",
        _PLUGIN_SOURCE,
    )
    result = run_python(
        f"""
        import ktensor as kt
        result["plugin"] = "ktdemo_plugin" in sys.modules
        result["engines"] = {ENGINES_LOADED}
        """,
        tmp_path / "home",
        extra_path=site,
    )
    assert result == {"plugin": False, "engines": []}


def test_broken_entry_point_does_not_break_ktensor(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _make_plugin(
        site,
        "ktbroken_plugin",
        "ktbroken_plugin",
        "ktbroken = ktbroken_plugin:make",
        "raise ImportError('this plugin is broken')\n",
    )
    result = run_python(
        """
        import ktensor as kt
        result["theano"] = kt.set_backend("theano").name
        try:
            kt.set_backend("ktbroken")
        except Exception as exc:
            chain, e = [], exc
            while e is not None:
                chain.append(str(e))
                e = e.__cause__ or e.__context__
            result["error"] = " | ".join(chain)
        else:
            result["error"] = None
        result["still"] = kt.backend().name
        """,
        tmp_path / "home",
        extra_path=site,
    )
    assert result["theano"] == "theano"
    assert result["error"] is not None and "ktbroken" in result["error"]
    assert result["still"] == "theano"


# --------------------------------------------------------------------------- #
# Lazy engine imports


def test_import_ktensor_imports_no_engine(tmp_path: Path) -> None:
    result = run_python(
        f"""
        import ktensor as kt
        import ktensor.backends
        kt.Backend
        result["after_import"] = {ENGINES_LOADED}
        import ktensor.testing
        result["after_testing"] = {ENGINES_LOADED}
        """,
        tmp_path,
    )
    assert result == {"after_import": [], "after_testing": []}


@pytest.mark.parametrize(
    ("name", "engine"), [("theano", "pytensor"), ("tensorflow", "tensorflow")]
)
def test_only_the_engine_used_is_imported(
    tmp_path: Path, name: str, engine: str
) -> None:
    result = run_python(
        f"""
        import ktensor as kt
        backend = kt.set_backend({name!r})
        x = kt.placeholder(shape=(2,))
        result["value"] = kt.function([x], x * 2 + 1)([1.0, 2.0]).tolist()
        result["engines"] = {ENGINES_LOADED}
        """,
        tmp_path,
    )
    assert result["value"] == [3.0, 5.0]
    assert result["engines"] == [engine]


def test_default_backend_from_config_imports_only_its_engine(tmp_path: Path) -> None:
    result = run_python(
        f"""
        import ktensor as kt
        result["name"] = kt.backend().name
        result["engines"] = {ENGINES_LOADED}
        """,
        tmp_path,
    )
    assert result == {"name": "theano", "engines": ["pytensor"]}
