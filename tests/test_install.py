"""The first things a new user meets (issue 10, "The install").

A missing engine is a ktensor error naming the install command, raised at first
use; ``python -m ktensor info`` / the ``ktensor`` command; an unknown ``kt.<name>``
gives a hint. A missing engine is simulated in a fresh interpreter
(``sys.modules[engine] = None`` makes its import fail as if it were not installed);
nothing is uninstalled.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ktensor as kt
from ktensor import _hints
from ktensor.backends import EngineNotInstalled

REPO_ROOT = Path(__file__).resolve().parents[1]

THEANO_MESSAGE = 'ktensor: the "theano" backend runs on PyTensor, which is not installed: pip install "ktensor[theano]"'
TF_MESSAGE = (
    'ktensor: the "tensorflow" backend runs on TensorFlow, which is not installed: pip install "ktensor[tensorflow]"'
)


def run(code: str, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (or ``python *args`` when code is empty) in a fresh interpreter."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("KTENSOR_HOME", "KTENSOR_BACKEND")}
    paths = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    full_env.update(
        KTENSOR_HOME=str(home),
        PYTHONPATH=os.pathsep.join(paths),
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
        KTENSOR_THEANO_MODE=os.environ.get("KTENSOR_THEANO_MODE", "FAST_COMPILE"),
    )
    full_env.update(env)
    command = [sys.executable, "-c", textwrap.dedent(code)] if code else [sys.executable, *args]
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=180, check=False)


# --------------------------------------------------------------------------- #
# A missing engine


def test_a_missing_engine_is_named_at_first_use_never_at_import(tmp_path: Path) -> None:
    proc = run(
        """
        import sys
        sys.modules["pytensor"] = None          # as if PyTensor were not installed
        import ktensor as kt                    # never fails
        print("IMPORTED", kt.available_backends())
        try:
            kt.placeholder(shape=(2,))
        except ImportError as error:            # EngineNotInstalled is an ImportError
            print("TYPE", type(error).__name__, isinstance(error, ModuleNotFoundError), error.name)
            print("MESSAGE", error)
            print("CHAINED", error.__cause__ is None and error.__suppress_context__)
        try:
            from ktensor.backends import TheanoBackend
        except kt.EngineNotInstalled as error:
            print("CLASS", error)
        x = kt.placeholder(shape=(2,), backend="tensorflow")   # the other engine still works
        print("TF", x.backend.name)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "IMPORTED ['tensorflow']" in out
    assert "TYPE EngineNotInstalled True pytensor" in out
    assert f"MESSAGE {THEANO_MESSAGE}" in out
    assert "CHAINED True" in out
    assert f"CLASS {THEANO_MESSAGE}" in out
    assert "TF tensorflow" in out


def test_a_missing_tensorflow_names_its_extra(tmp_path: Path) -> None:
    proc = run(
        """
        import sys
        sys.modules["tensorflow"] = None
        import ktensor as kt
        kt.set_backend("tensorflow")
        """,
        tmp_path,
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last == f"ktensor.backends.EngineNotInstalled: {TF_MESSAGE}"
    assert "No module named" not in proc.stderr  # the engine's own traceback is not chained


def test_an_uncaught_missing_engine_ends_in_the_install_command(tmp_path: Path) -> None:
    proc = run(
        """
        import sys
        sys.modules["pytensor"] = None
        import ktensor as kt
        kt.placeholder(shape=(2,))
        """,
        tmp_path,
        KTENSOR_BACKEND="pytensor",  # the alias resolves to the theano backend
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].endswith(THEANO_MESSAGE)


@pytest.mark.parametrize(
    "blocked", ["pytensor.raise_op", "ktensor.backends.theano.kernels"], ids=["broken-engine", "inside-ktensor"]
)
def test_other_import_errors_stay_visible(tmp_path: Path, blocked: str) -> None:
    proc = run(
        f"""
        import sys
        sys.modules[{blocked!r}] = None
        import ktensor as kt
        try:
            kt.placeholder(shape=(2,), backend="theano")
        except ImportError as error:
            print("TYPE", type(error).__name__, error.name)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"TYPE ModuleNotFoundError {blocked}" in proc.stdout


def test_engine_not_installed_pickles_and_is_exported() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(EngineNotInstalled("theano", "pytensor")))
    assert str(error) == THEANO_MESSAGE and error.install == 'pip install "ktensor[theano]"'
    assert kt.EngineNotInstalled is EngineNotInstalled
    assert "EngineNotInstalled" in kt.__all__


# --------------------------------------------------------------------------- #
# ktensor info


def test_python_m_ktensor_info(tmp_path: Path) -> None:
    proc = run("", tmp_path, "-m", "ktensor", "info", KTENSOR_BACKEND="tensorflow")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(f"ktensor {kt.__version__}\n")
    assert re.search(r"^  theano +PyTensor \d+\.\d+", out, re.M)
    assert re.search(r"^  tensorflow +TensorFlow \d+\.\d+", out, re.M)
    assert "FAST_COMPILE" in out and "graph, xla" in out
    assert str(tmp_path / "ktensor.json") in out
    assert "floatx      float32" in out and "epsilon     1e-07" in out
    assert "backend     tensorflow" in out and "KTENSOR_BACKEND=tensorflow" in out
    assert proc.stderr == ""


def test_info_reports_the_blas_matrix_products_run(tmp_path: Path) -> None:
    from tests.conftest import require

    require("threadpoolctl")
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_info

    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    proc = run("", tmp_path, "-m", "ktensor", "info", OPENBLAS_CORETYPE="Haswell")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split("BLAS:\n", 1)[1]
    if pools:
        assert re.search(rf"^  numpy +{pools[0]['internal_api']} ", out, re.M), out
    assert re.search(r"^  pytensor +(linked|none linked: matrix products call NumPy's)$", out, re.M), out
    from ktensor import info

    avx512 = info._cpu_has("avx512f")
    if avx512 and pools and pools[0].get("internal_api") == "openblas":
        assert "OPENBLAS_CORETYPE=Haswell is set" in out, out
    else:
        assert "hint" not in out, out


def test_info_says_why_an_engine_is_unavailable(tmp_path: Path) -> None:
    proc = run(
        """
        import sys
        sys.modules["pytensor"] = None
        from ktensor.__main__ import main
        sys.exit(main(["info"]))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"theano      unavailable: {THEANO_MESSAGE}" in proc.stdout
    assert "TensorFlow" in proc.stdout


def test_the_command_without_arguments_prints_its_usage(tmp_path: Path) -> None:
    proc = run("", tmp_path, "-m", "ktensor")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: ktensor info")
    bad = run("", tmp_path, "-m", "ktensor", "nonsense")
    assert bad.returncode == 2 and "unknown command 'nonsense'" in bad.stderr


def test_the_console_script_is_declared() -> None:
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "setup.cfg")
    scripts = [s.strip() for s in parser["options.entry_points"]["console_scripts"].splitlines() if s.strip()]
    assert "ktensor = ktensor.__main__:main" in scripts
    from ktensor.__main__ import main

    assert callable(main)


# --------------------------------------------------------------------------- #
# kt.<unknown name>


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("learning_phase", "no learning phase: pass a flag yourself"),
        ("set_learning_phase", "no learning phase (see `learning_phase`)"),
        ("in_train_phase", "`kt.switch(training, x, alt)`"),
        ("is_sparse", "no sparse tensors"),
        ("get_session", "`kt.backend().graph`"),
        ("image_data_format", "every image operation takes `data_format=`"),
        ("cast_to_floatx", "`kt.cast(x, kt.floatx())`"),
        ("get_variable_shape", "`kt.int_shape(x)`"),
        ("is_keras_tensor", "`kt.is_tensor`"),
    ],
)
def test_a_keras2_name_ktensor_lacks_says_what_to_do(name: str, words: str) -> None:
    with pytest.raises(AttributeError, match="deliberately lacks") as caught:
        getattr(kt, name)
    assert str(caught.value).startswith(f"module 'ktensor' has no attribute {name!r}; ")
    assert words in str(caught.value)
    assert not hasattr(kt, name)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("batchdot", "did you mean kt.batch_dot"),
        ("concatenat", "did you mean kt.concatenate"),
        ("expand_dim", "did you mean kt.expand_dims"),
        ("placholder", "did you mean kt.placeholder"),
        ("asarray", "use `kt.constant`"),
        ("concat", "use `kt.concatenate`"),
        ("amax", "use `kt.max`"),
        ("acos", "use `kt.arccos`"),
        ("float32", "a dtype string"),
    ],
)
def test_other_unknown_names_suggest_the_ktensor_spelling(name: str, suggestion: str) -> None:
    with pytest.raises(AttributeError, match=re.escape(suggestion)):
        getattr(kt, name)


def test_a_name_nothing_resembles_gets_the_plain_error_and_testing_stays_lazy() -> None:
    with pytest.raises(AttributeError) as caught:
        kt.zzqqxx  # type: ignore[attr-defined]  # noqa: B018
    assert str(caught.value) == "module 'ktensor' has no attribute 'zzqqxx'"
    assert caught.value.name == "zzqqxx"
    assert not hasattr(kt, "__wrapped__")
    assert kt.testing.__name__ == "ktensor.testing"  # type: ignore[attr-defined]


def test_every_hint_points_at_names_ktensor_has() -> None:
    for name, text in [*_hints.KERAS2_MISSING.items(), *_hints.OTHER_SPELLINGS.items()]:
        for spelled in re.findall(r"`kt\.(\w+)", text):
            if spelled == name:  # "not yet: ... API.md's `kt.clear_session`"
                continue
            assert spelled in kt.__all__, f"a hint names kt.{spelled}, which ktensor does not have"
    for name in [*_hints.KERAS2_MISSING, *_hints.OTHER_SPELLINGS]:
        assert name not in kt.__all__, f"{name} has a hint but ktensor has it"


def test_the_keras2_hints_are_the_words_of_docs_keras2() -> None:
    page = (REPO_ROOT / "docs" / "keras2.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| — \| (.*?) \|$", page, re.M))
    assert rows, "docs/keras2.md has no rows for the names ktensor lacks"
    assert rows == _hints.KERAS2_MISSING


# --------------------------------------------------------------------------- #
# No engine log line reaches the terminal

QUIET_PROGRAM = """
import sys
import numpy as np
import ktensor as kt
from ktensor.backends import TensorFlowBackend

which = sys.argv[1]
with kt.use_backend(TensorFlowBackend(jit_compile=True) if which == "tensorflow:xla" else which):
    x = kt.placeholder(shape=(None, 3), name="x")
    w = kt.variable(np.arange(6.0).reshape(3, 2) / 10, name="w")
    y = kt.softmax(kt.relu(x @ w) + kt.exp(x[:, :2]).sum(axis=0))
    loss = kt.mean(kt.square(y - 0.25))
    [g] = kt.gradients(loss, [w])
    images = kt.placeholder(shape=(1, 4, 4, 1), name="images")
    pooled = kt.pool2d(kt.conv2d(images, kt.ones((2, 2, 1, 1))), (2, 2))
    f = kt.function([x, images], [loss, pooled.sum()], updates=[(w, w - 0.5 * g)])
    first = f(np.arange(6.0).reshape(2, 3) / 6, np.arange(16.0).reshape(1, 4, 4, 1))
    f(np.arange(6.0).reshape(2, 3) / 6, np.arange(16.0).reshape(1, 4, 4, 1))
    print("loss", f"{float(first[0]):.5f}", "pooled", float(first[1]))
    print("w", np.round(w.get_value(), 3).ravel().tolist())
"""


def _quiet_program_reference() -> tuple[str, list[float]]:
    """QUIET_PROGRAM's first line and final ``w``, computed with NumPy in float64 (the
    gradient by central differences)."""
    import numpy as np

    x = np.arange(6.0).reshape(2, 3) / 6

    def loss(w: np.ndarray) -> float:
        z = np.maximum(x @ w, 0) + np.exp(x[:, :2]).sum(axis=0)
        y = np.exp(z - z.max(axis=-1, keepdims=True))
        y /= y.sum(axis=-1, keepdims=True)
        return float(np.mean((y - 0.25) ** 2))

    def grad(w: np.ndarray) -> np.ndarray:
        out = np.zeros_like(w)
        for i in np.ndindex(*w.shape):
            step = np.zeros_like(w)
            step[i] = 1e-6
            out[i] = (loss(w + step) - loss(w - step)) / 2e-6
        return out

    w0 = np.arange(6.0).reshape(3, 2) / 10
    w1 = w0 - 0.5 * grad(w0)
    w2 = w1 - 0.5 * grad(w1)
    images = np.arange(16.0).reshape(4, 4)
    conv = images[:-1, :-1] + images[1:, :-1] + images[:-1, 1:] + images[1:, 1:]  # 3x3
    pooled = sum(conv[i:i + 2, j:j + 2].max() for i in range(2) for j in range(2))  # 2x2 max, strides 1
    return f"loss {loss(w0):.5f} pooled {float(pooled)}", w2.ravel().tolist()


@pytest.mark.parametrize(("backend", "mode"), [("theano", "FAST_COMPILE"), ("theano", "CVM"),
                                               ("tensorflow", ""), ("tensorflow:xla", "")])
def test_no_engine_log_line_reaches_the_terminal(tmp_path: Path, backend: str, mode: str) -> None:
    """Import, build, gradients, compile and two calls of a valid program: stdout is exactly
    the program's prints, stderr is empty. TF_CPP_MIN_LOG_LEVEL is left unset, as a user has it."""
    import json

    import numpy as np

    env = {k: v for k, v in os.environ.items() if k not in ("KTENSOR_HOME", "KTENSOR_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(KTENSOR_HOME=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    if mode:
        env["KTENSOR_THEANO_MODE"] = mode
    script = tmp_path / "program.py"
    script.write_text(QUIET_PROGRAM, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), backend], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    first, w = _quiet_program_reference()
    assert lines[0] == first
    assert lines[1].startswith("w [")
    np.testing.assert_allclose(json.loads(lines[1][2:]), w, atol=1.5e-3)
    assert not np.allclose(w, np.arange(6.0) / 10, atol=1e-2)  # the updates moved w


@pytest.mark.parametrize("order", ["jax, then ktensor", "ktensor, then jax"])
def test_importing_jax_does_not_let_tensorflow_log_lines_through(tmp_path: Path, order: str) -> None:
    """``import jax`` sets TF_CPP_MIN_LOG_LEVEL=1 when unset; ktensor must not read that as
    the user asking TensorFlow for its start-up lines (PyTensor's JAX mode imports jax too)."""
    imports = "import jax\nimport ktensor as kt\n" if order.startswith("jax") else "import ktensor as kt\nimport jax\n"
    program = imports + (
        "with kt.use_backend('tensorflow'):\n"
        "    x = kt.placeholder(shape=(2,))\n"
        "    print(kt.function([x], x + 1)([1.0, 2.0]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("KTENSOR_HOME", "KTENSOR_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(KTENSOR_HOME=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == "[2. 3.]\n"
