"""``kt.compare`` and ``ktensor compare``: the plumbing, on tiny inputs, on both engines.

Timings are never asserted (they belong to reports); what is checked is that every
entry is measured the way the method says (sample counts, labels, pairing), that the
agreement check catches a backend that computes something else, that errors and
unavailable backends are reported per backend, and that the files and the command work.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor.compare import Timing
from ktensor.compare.program import Program
from ktensor.compare.specs import parse_backends

#: No pauses, two rounds: the plumbing, not the timings.
FAST = Timing(rounds=2, build_repeat=2, compile_repeat=1, warmup_calls=1, sample_seconds=0.0, engine_pause=0.0)
BOTH = ["theano", "tensorflow"]
RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype("float32")
W = RNG.standard_normal((3, 2)).astype("float32")


def model(x: Any, w: Any) -> Any:
    return kt.softmax(kt.tanh(x @ w))


@pytest.fixture(scope="module")
def result() -> Any:
    return kt.compare(model, [X, W], BOTH, timing=FAST)


def test_every_backend_is_measured_the_same_way(result: Any) -> None:
    labels = [e.label for e in result.entries]
    assert labels == ["theano/FAST_COMPILE", "tensorflow/auto"]
    for entry in result.entries:
        assert entry.status == "ok", entry.reason
        assert len(entry.build) == 2 and len(entry.compile) == 1 and len(entry.call) == 2
        assert entry.first_result > 0 and entry.memory is not None
        assert entry.outputs == [["out", [4, 2], "float32"]]
        assert entry.agrees is True
        assert all(d.tolerance == pytest.approx(math.sqrt(np.finfo(np.float32).eps)) for d in entry.agreement)
    assert result.reference == "a float64 run on theano/FAST_COMPILE"
    [pair] = result.pairs
    assert pair.difference.ok and pair.difference.max_abs < 1e-5
    assert result.fastest() in result.entries


def test_the_table_has_a_row_per_backend_and_the_columns(result: Any) -> None:
    text = str(result)
    assert text.startswith("kt.compare: model(x: float32 (4, 3), w: float32 (3, 2))")
    for column in ("build", "compile", "first result", "memory", "call median (min–max)", "×fastest", "agreement"):
        assert column in text
    rows = [line for line in text.splitlines() if line.startswith(("theano/", "tensorflow/"))]
    assert len(rows) == 2 and all("ok (err" in row for row in rows)
    assert "×1.00" in text and "pause between engines" in text


def test_save_writes_every_sample_machine_versions_and_blas(result: Any, tmp_path: Path) -> None:
    path = result.save(tmp_path / "sub" / "model.json")
    data = json.loads(path.read_text())
    assert {"function", "entries", "reference", "pairs", "timing", "machine", "versions", "blas", "date"} <= set(data)
    assert data["machine"]["cores"] and "numpy" in data["versions"]
    assert isinstance(data["blas"]["threadpools"], list) and "pytensor" in data["blas"]
    for raw, entry in zip(data["entries"], result.entries):
        assert raw["call"] == entry.call and raw["build"] == entry.build
        assert raw["call_summary"]["min"] == min(entry.call)
        assert raw["ratio_to_fastest"] >= 1.0 or raw["ratio_to_fastest"] == pytest.approx(1.0, rel=0.5)
    assert data["timing"]["engine_pause"] == 0.0


def test_plot_writes_a_png(result: Any, tmp_path: Path) -> None:
    path = result.plot(tmp_path / "model.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_a_subclass_is_compared_with_its_parent_and_a_wrong_one_is_flagged() -> None:
    from ktensor.backends import TheanoBackend

    class Traced(TheanoBackend):
        calls = 0

        def tanh(self, x: Any) -> Any:
            type(self).calls += 1
            return super().tanh(x)

    class Wrong(TheanoBackend):
        def tanh(self, x: Any) -> Any:
            return super().tanh(x) * 1.1

    result = kt.compare(model, [X, W], ["theano", Traced(), Wrong()], timing=FAST)
    parent, traced, wrong = result.entries
    assert traced.label == "Traced (theano/FAST_COMPILE)" and traced.backend_class.endswith("Traced")
    assert Traced.calls >= 1 + FAST.build_repeat + FAST.compile_repeat  # every build ran on a Traced
    assert parent.agrees and traced.agrees and wrong.agrees is False
    assert "DIFFERS: out err" in str(result)
    ratio = result.ratio(traced.label, parent.label)
    assert 0 < ratio < math.inf


def test_comparing_a_function_with_itself_pairs_the_samples() -> None:
    result = kt.compare(lambda x: (x * 2.0).sum(), [X], ["tensorflow", "tensorflow"], timing=FAST)
    a, b = result.entries
    assert (a.label, b.label) == ("tensorflow/auto", "tensorflow/auto #2")
    assert len(a.call) == len(b.call) == FAST.rounds
    assert result.ratio(a.label, b.label) == pytest.approx(
        float(np.median([p / q for p, q in zip(a.call, b.call)]))
    )
    raw = result.to_json()["entries"]
    assert all(len(r["ratio_to_fastest_p10_p90"]) == 2 for r in raw)
    assert result.call_overhead is not None and 0 < result.call_overhead < 1e-4


def test_mode_strings() -> None:
    from ktensor.backends import TensorFlowBackend, TheanoBackend

    fast, numba, xla, graph, auto = parse_backends(
        ["pytensor:fast_compile", "theano:NUMBA", "tensorflow:XLA", "tensorflow:graph", "tensorflow"]
    )
    assert (fast.label, numba.label, xla.label, graph.label, auto.label) == (
        "theano/FAST_COMPILE", "theano/NUMBA", "tensorflow/xla", "tensorflow/graph", "tensorflow/auto")
    assert isinstance(numba.backend, TheanoBackend) and numba.backend.mode == "NUMBA"
    assert isinstance(xla.backend, TensorFlowBackend) and xla.backend.jit_compile is True
    assert isinstance(graph.backend, TensorFlowBackend) and graph.backend.jit_compile is False
    assert isinstance(auto.backend, TensorFlowBackend) and auto.backend.jit_compile == "auto"
    assert parse_backends(["tensorflow:Auto"])[0].label == "tensorflow/auto"
    fresh = xla.fresh()
    assert fresh is not xla.backend and fresh.options() == xla.backend.options()
    assert [c.label for c in parse_backends(None)] == [
        "theano/CVM", "theano/NUMBA", "theano/JAX", "tensorflow/graph", "tensorflow/xla"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pytorch", r"unknown backend 'pytorch'; valid: names .*theano.*modes .*theano:NUMBA.*tensorflow:xla"),
        ("theano:TURBO", r"unknown mode 'TURBO' .*valid modes of theano: AUTO, C, CVM, FAST_COMPILE, JAX, MLX, NUMBA"),
        ("tensorflow:eager", r"valid modes of tensorflow: auto, graph, xla"),
    ],
)
def test_unknown_backend_or_mode_lists_the_valid_ones(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kt.compare(model, [X, W], [spec], timing=FAST)


def test_wrong_arguments_get_ktensor_errors() -> None:
    with pytest.raises(TypeError, match="ktensor: compare: each backend must be"):
        kt.compare(model, [X, W], [3], timing=FAST)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="ktensor: compare: fn must be callable"):
        kt.compare("model", [X, W], BOTH, timing=FAST)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ktensor: compare: repeat must be a positive int"):
        kt.compare(model, [X, W], BOTH, repeat=0)
    with pytest.raises(TypeError, match="ktensor: compare: input 'x' must hold bool, integer or float"):
        kt.compare(model, [np.array(["a"]), W], BOTH, timing=FAST)
    with pytest.raises(ValueError, match="gradients=True needs a float"):
        kt.compare(lambda i: i + 1, [np.arange(3)], BOTH, gradients=True, timing=FAST)


def test_a_backend_that_cannot_run_here_is_reported_and_the_others_run() -> None:
    spec = "theano:PYTORCH"
    result = kt.compare(model, [X, W], [spec, "tensorflow"], timing=FAST)
    torch, tf = result.entries
    if torch.status == "ok":
        pytest.skip("torch is installed here")
    assert torch.status == "unavailable" and "torch is not installed" in (torch.reason or "")
    assert tf.status == "ok" and tf.call
    assert re.search(r"^theano/PYTORCH +unavailable: torch is not installed", str(result), re.MULTILINE)


def test_fn_failing_on_one_engine_is_reported_with_the_ktensor_error() -> None:
    from ktensor.backends import TheanoBackend

    class Broken(TheanoBackend):
        def tanh(self, x: Any) -> Any:
            raise ValueError("ktensor: tanh: this backend refuses")

    result = kt.compare(model, [X, W], [Broken(), "tensorflow"], timing=FAST)
    broken, tf = result.entries
    assert broken.status == "error" and broken.reason == "ValueError: ktensor: tanh: this backend refuses"
    assert tf.status == "ok" and tf.agrees
    assert "error: ValueError: ktensor: tanh: this backend refuses" in str(result)


def test_gradients_of_the_summed_outputs_with_numpy_variables() -> None:
    def linear(x: Any, w: Any, b: Any) -> Any:
        return [x @ w + b, (x * x).mean()]

    b0 = np.zeros(2, "float32")
    result = kt.compare(linear, [X], BOTH, gradients=True, variables={"w": W, "b": b0}, timing=FAST)
    assert result.tasks() == ["forward", "gradients"]
    assert len(result.entries) == 4
    for entry in result.entries:
        assert entry.status == "ok" and entry.agrees, (entry.label, entry.reason, entry.agreement)
    step = result.entry("tensorflow/auto", "gradients")
    assert [o[0] for o in step.outputs] == ["out0", "out1", "d/dw", "d/db"]
    assert step.outputs[2][1:] == [[3, 2], "float32"]
    assert "training step" in str(result)
    # the gradient itself, against NumPy: d(sum(x @ w + b))/dw = x.sum(0) repeated per column
    program = Program.from_arrays(linear, [X], {"w": W, "b": b0}, task="gradients")
    from ktensor.compare.program import compile_built

    with kt.use_backend("tensorflow") as backend:
        values = compile_built(program.build(backend))(program.feed())
    np.testing.assert_allclose(values[2], np.repeat(X.sum(0)[:, None], 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(values[3], np.full(2, 4.0), rtol=1e-6)


def test_batch_axis_leaves_that_dimension_unknown() -> None:
    program = Program.from_arrays(model, [X, W], batch_axis=[0, None])
    assert [s.shape for s in program.inputs] == [(None, 3), (3, 2)]
    assert [s.shape for s in Program.from_arrays(model, [X, W], batch_axis=0).inputs] == [(None, 3), (None, 2)]
    result = kt.compare(model, {"x": X, "w": W}, BOTH, batch_axis=[0, None], timing=FAST)
    assert all(e.status == "ok" and e.agrees for e in result.entries)
    assert "x: float32 (None, 3)" in result.function
    with pytest.raises(TypeError, match="batch_axis must be"):
        Program.from_arrays(model, [X, W], batch_axis="0")  # type: ignore[arg-type]


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    kt.compare(lambda x: x + 1.0, [X], ["tensorflow"], timing=FAST)
    assert capsys.readouterr().err == ""  # stderr is not a terminal here
    kt.compare(lambda x: x + 1.0, [X], ["tensorflow"], timing=FAST, progress=True)
    assert "] " in capsys.readouterr().err


def test_import_ktensor_loads_no_engine_no_matplotlib_and_not_the_machinery() -> None:
    code = (
        "import sys, ktensor as kt; assert callable(kt.compare) and 'compare' in kt.__all__; "
        "print(sorted(m for m in ('tensorflow', 'pytensor', 'matplotlib', 'ktensor.compare.core') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


SCRIPT = '''
import numpy as np
import ktensor as kt

def model(x, w):
    return kt.softmax(kt.tanh(x @ w))

def other(x):
    return (x * 2.0).sum()

def inputs():
    rng = np.random.default_rng(1)
    return [rng.standard_normal((4, 3)).astype("float32"), rng.standard_normal((3, 2)).astype("float32")]

if __name__ == "__main__":
    raise SystemExit("must not run")
'''


def test_the_command_compares_a_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ktensor.__main__ import main

    script = tmp_path / "net.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out = tmp_path / "out"
    assert main(["compare", str(script), "--backends", "theano,tensorflow", "--repeat", "2", "--quick",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kt.compare: model(x: float32 (4, 3), w: float32 (3, 2))" in text and "tensorflow/auto" in text
    assert json.loads((out / "net-model.json").read_text())["entries"][0]["status"] == "ok"
    assert (out / "net-model.png").stat().st_size > 10_000
    assert main(["compare", f"{script}:other", "--inputs", "5x3:float32", "--backends", "tensorflow",
                 "--repeat", "2", "--quick", "--gradients", "--batch-axis", "0", "--out", str(out), "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert "other(x: float32 (None, 3))" in text and "training step" in text
    assert not (out / "net-other.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backends", "pytorch"], "unknown backend 'pytorch'; valid: names"),
        (["--inputs", "3xq"], "a shape is sizes joined by 'x'"),
        (["--inputs", "3:complex64"], "not a bool, integer or float dtype"),
    ],
)
def test_the_command_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from ktensor.__main__ import main

    script = tmp_path / "net.py"
    script.write_text(textwrap.dedent(SCRIPT))
    assert main(["compare", f"{script}:other", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_the_command_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ktensor.__main__ import main

    assert main(["compare", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    script = tmp_path / "two.py"
    script.write_text("def f(x):\n    return x\n\ndef g(x):\n    return x\n")
    assert main(["compare", str(script)]) == 2
    err = capsys.readouterr().err
    assert "say which function" in err and "its functions: f, g" in err
    assert main(["compare", f"{script}:f"]) == 2
    assert "give --inputs" in capsys.readouterr().err
