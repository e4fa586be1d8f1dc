"""The benchmark runner's plumbing on a tiny size: it runs, the JSON has every variant, the plot exists.

Timings are not asserted here (they belong to the benchmark report, not to unit tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.runners import QUICK_VARIANTS, all_runners


def test_quick_run_writes_json_with_every_variant_and_a_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run.main(
        ["--quick", "--workloads", "elementwise,mlp_train", "--sizes", "2", "--repeat", "2",
         "--out", str(tmp_path), "--no-first-result"]
    )
    assert code == 0
    [json_path] = tmp_path.glob("benchmark-*.json")
    data = json.loads(json_path.read_text())
    assert {"date", "machine", "versions", "options", "variants", "measurements", "targets"} <= set(data)
    assert data["machine"]["cores"] and "numpy" in data["versions"]
    variants = {v["name"] for v in data["variants"]}
    assert variants == set(QUICK_VARIANTS)
    for workload in ("elementwise", "mlp_train"):
        timed = {
            m["variant"]
            for m in data["measurements"]
            if m["workload"] == workload and m["metric"] == "call" and m["samples"] and not m["error"]
        }
        assert timed == variants, (workload, variants - timed)
    for m in data["measurements"]:
        if m["samples"]:
            assert min(m["samples"]) == m["min"] <= m["median"] <= m["max"] == max(m["samples"])
    assert any(m["metric"] == "import" for m in data["measurements"])
    assert json_path.with_suffix(".png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "== call" in out and "== targets ==" in out and "elementwise n=2" in out


def test_first_result_runs_in_a_fresh_process_cold_then_warm() -> None:
    cold, warm = run.measure_first_result("ktensor/theano[CVM]", 1)
    assert cold.error is None and warm.error is None, (cold.error, warm.error)
    assert cold.samples[0] > 0 and warm.samples[0] > 0


def test_every_variant_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--list"]) == 0
    out = capsys.readouterr().out
    for runner in all_runners():
        assert runner.variant.name in out


def test_unknown_workload_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown workload"):
        run.main(["--workloads", "nope", "--out", str(tmp_path)])
