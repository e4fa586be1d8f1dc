"""The benchmark runner's plumbing on a tiny size: it runs, the JSON has every variant, the plot exists.

Timings are not asserted here (they belong to the benchmark report, not to unit tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import churn, run
from benchmarks.model import Measurement
from benchmarks.runners import QUICK_VARIANTS, all_runners

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_writes_json_with_every_variant_and_a_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run.main(
        ["--quick", "--workloads", "elementwise,mlp_train,churn", "--sizes", "2", "--repeat", "2", "--pause", "0",
         "--churn-iterations", "3", "--out", str(tmp_path), "--no-first-result"]
    )
    assert code == 0
    [json_path] = tmp_path.glob("benchmark-*.json")
    data = json.loads(json_path.read_text())
    assert {"date", "machine", "versions", "options", "variants", "measurements", "targets", "blas"} <= set(data)
    assert data["machine"]["cores"] and "numpy" in data["versions"]
    assert isinstance(data["blas"]["threadpools"], list) and data["blas"]["threadpools"]
    assert {"num_threads", "internal_api", "package"} <= set(data["blas"]["threadpools"][0])
    assert data["options"]["timing"]["engine_pause"] == 0
    variants = {v["name"] for v in data["variants"]}
    assert variants == set(QUICK_VARIANTS)
    for workload in ("elementwise", "mlp_train"):
        timed = {
            m["variant"]
            for m in data["measurements"]
            if m["workload"] == workload and m["metric"] == "call" and m["samples"] and not m["error"]
        }
        assert timed == variants, (workload, variants - timed)
    churned = {m["variant"]: m for m in data["measurements"] if m["metric"] == "churn"}
    assert sorted(churned) == sorted(run.CHURN_VARIANTS)
    assert all(len(m["samples"]) == 3 and not m["error"] for m in churned.values())
    for m in data["measurements"]:
        if m["samples"]:
            assert min(m["samples"]) == m["min"] <= m["median"] <= m["max"] == max(m["samples"])
    assert any(m["metric"] == "import" for m in data["measurements"])
    assert json_path.with_suffix(".png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "== call" in out and "== targets ==" in out and "elementwise n=2" in out and "== churn" in out


def test_first_result_runs_in_a_fresh_process_cold_then_warm() -> None:
    cold, warm = run.measure_first_result("ktensor theano/CVM", 1)
    assert cold.error is None and warm.error is None, (cold.error, warm.error)
    assert cold.samples[0] > 0 and warm.samples[0] > 0


def test_every_variant_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--list"]) == 0
    out = capsys.readouterr().out
    for runner in all_runners():
        assert runner.variant.name in out
    assert "workload churn" in out


def test_variant_names_say_who_wrote_it_engine_and_mode() -> None:
    names = [r.variant.name for r in all_runners()]
    assert {"ktensor theano/CVM", "native pytensor/CVM", "ktensor tensorflow/xla", "native tensorflow/graph",
            "native jax/jit", "numpy"} <= set(names)
    assert all(n == "numpy" or n.split(" ", 1)[0] in ("ktensor", "native") for n in names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workloads", "nope"], r"unknown workload\(s\) \['nope'\]; choose from: elementwise, .*churn"),
        (["--variants", "ktensor/theano"], r"unknown variant\(s\) \['ktensor/theano'\]; choose from: numpy, ktensor theano/CVM"),
        (["--engines", "pytorch"], r"unknown engine\(s\) \['pytorch'\]; choose from: numpy, theano, tensorflow, jax"),
    ],
)
def test_unknown_names_are_refused_with_the_valid_list(tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        run.main([*args, "--out", str(tmp_path)])
    assert not list(tmp_path.iterdir())


def test_the_command_exits_nonzero_on_an_unknown_variant_from_any_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    bad = subprocess.run([sys.executable, "-m", "ktensor", "bench", "--variants", "nope"], cwd=tmp_path,
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert bad.returncode != 0 and "unknown variant(s) ['nope']" in bad.stderr
    listed = subprocess.run([sys.executable, "-m", "ktensor", "bench", "--list"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert listed.returncode == 0 and "native jax/jit" in listed.stdout


def test_churn_verdict_compares_the_last_window_with_the_first() -> None:
    times = Measurement("churn", None, "v", "churn", [0.01] * 100 + [0.012] * 100 + [0.02] * 100)
    memory = Measurement("churn", None, "v", "churn_rss", [100e6, 110e6, 120e6, 150e6])
    ratio, detail = churn.churn_verdict(times, memory) or (0.0, "")
    assert ratio == pytest.approx(2.0) and "10.0 ms -> 20.0 ms over 300 iterations" in detail
    assert "memory +40 MB after the first 100" in detail
    assert churn.churn_verdict(Measurement("churn", None, "v", "churn", [0.01] * 150), memory) is None
