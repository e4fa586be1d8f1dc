"""The benchmark report: terminal tables, target lines, JSON, PNG plot and progress bar.

Built on a fake run, so no engine is needed.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.model import Measurement, RunResult, TargetCheck, Variant
from benchmarks.report import format_duration, format_table, format_targets, load_json, write_json, write_plot
from ktensor.compare.progress import Progress, format_clock

VARIANTS = [
    Variant("ktensor theano/CVM", "ktensor", "theano", "CVM"),
    Variant("ktensor theano/NUMBA", "ktensor", "theano", "NUMBA"),
    Variant("ktensor tensorflow/tf.function", "ktensor", "tensorflow", "tf.function"),
    Variant("native pytensor/CVM", "native", "theano", "CVM"),
    Variant("native tensorflow/tf.function", "native", "tensorflow", "tf.function"),
    Variant("numpy", "numpy", "numpy", "-"),
]
SIZES = (64, 256, 1024)


def fake_run() -> RunResult:
    """Three sizes of two workloads, one single-size workload, an error and missing cells."""
    speed = {v.name: 1.0 + 0.4 * i for i, v in enumerate(VARIANTS)}
    measurements = []
    for workload, base in (("elementwise", 2e-6), ("matmul", 8e-6)):
        for size in SIZES:
            for variant in VARIANTS:
                if workload == "matmul" and variant.name == "ktensor theano/NUMBA" and size == 1024:
                    measurements.append(
                        Measurement(
                            workload, size, variant.name, "call", error="RuntimeError: numba failed\nline 2"
                        )
                    )
                    continue
                if workload == "matmul" and variant.name == "native pytensor/CVM" and size == 64:
                    continue  # missing cell
                median = base * speed[variant.name] * (size / 64) ** 1.5
                measurements.append(
                    Measurement(workload, size, variant.name, "call", [median * 0.95, median, median * 1.2])
                )
    for variant in VARIANTS[:3]:
        measurements.append(Measurement("logsumexp", 512, variant.name, "call", [3e-3, 3.1e-3, 2.9e-3]))
        measurements.append(Measurement("elementwise", 256, variant.name, "build", [0.5, 0.6]))
    return RunResult(
        date="2024-05-01T12:00:00",
        machine={"cpu": "Fake CPU 9000", "cores": 16},
        versions={"ktensor": "0.1"},
        options={"repeat": 3},
        variants=VARIANTS,
        measurements=measurements,
        targets=[
            TargetCheck("call ratio ktensor/native theano", 1.013, 1.02, "x", True, "elementwise n=1024"),
            TargetCheck("import time", 0.35, 0.25, "s", False),
            TargetCheck("call ratio ktensor/native tensorflow", None, 1.02, "x", None, "not measured"),
        ],
    )


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough for every column."""
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((400, 50)))


def table_row(text: str, label: str) -> str:
    """The first line of ``text`` that starts with the row label ``label``."""
    return next(line for line in text.splitlines() if re.match(re.escape(label) + r"\s{2}", line))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1.234e-8, "12.3ns"),
        (4.56e-5, "45.6µs"),
        (1e-3, "1.00ms"),
        (0.2, "200ms"),
        (12.34, "12.3s"),
        (9.996e-7, "1.00µs"),
    ],
)
def test_duration_units(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_table_cells(wide: None) -> None:
    text = format_table(fake_run())
    row = table_row(text, "elementwise n=64")
    cells = re.findall(r"\S+ ×[\d.]+", row)
    assert len(cells) == len(VARIANTS)
    assert cells[0] == "2.00µs ×1.00"  # the fastest column
    assert cells[1] == "2.80µs ×1.40"
    assert "µs" in row and "ms" in table_row(text, "matmul n=1024")
    assert "error" in table_row(text, "matmul n=1024")
    assert re.search(r"\s-(\s|$)", table_row(text, "matmul n=64"))
    assert "RuntimeError: numba failed" in text and "line 2" not in text
    # workloads in order of first measurement, sizes ascending; single-size workloads too
    labels = [
        line.split("  ")[0]
        for line in text.splitlines()
        if re.match(r"(elementwise|matmul|logsumexp) ", line)
    ]
    assert labels == [f"elementwise n={s}" for s in SIZES] + [f"matmul n={s}" for s in SIZES] + [
        "logsumexp n=512"
    ]
    # logsumexp only ran on three variants: the others show "-"
    assert table_row(text, "logsumexp n=512").split()[-1] == "-"


def test_table_other_metric_has_only_its_variants(wide: None) -> None:
    text = format_table(fake_run(), metric="build")
    assert "numpy" not in text and "tensorflow/tf.function" in text
    assert table_row(text, "elementwise n=256").count("×1.00") == 3
    assert format_table(fake_run(), metric="import") == "import: no measurements"


def test_table_verbose_shows_min_max(wide: None) -> None:
    row = table_row(format_table(fake_run(), verbose=True), "elementwise n=64")
    assert "2.00µs ×1.00 (1.90µs–2.40µs)" in row


def test_table_splits_when_narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((70, 24)))
    text = format_table(fake_run())
    assert all(len(line) <= 70 for line in text.splitlines())
    parts = re.findall(r"part (\d)/(\d)", text)
    assert len(parts) >= 2 and parts[-1][0] == parts[-1][1]
    # every part repeats every row label, and every variant appears once
    assert sum(line.startswith("elementwise n=64  ") for line in text.splitlines()) == len(parts)
    for variant in VARIANTS:
        tail = variant.name.partition(" ")[2] or variant.name
        assert tail in text
    assert text.count("×1.00") == format_table(fake_run(), width=1000).count("×1.00")


def test_targets() -> None:
    lines = format_targets(fake_run()).splitlines()
    assert len(lines) == 3
    assert (
        lines[0].startswith("PASS")
        and "1.01x" in lines[0]
        and "1.02x" in lines[0]
        and "elementwise n=1024" in lines[0]
    )
    assert lines[1].startswith("FAIL") and "350ms" in lines[1] and "250ms" in lines[1]
    assert lines[2].startswith("N/A") and "value -" in lines[2] and "not measured" in lines[2]
    assert format_targets(RunResult("d", {}, {}, {})) == ""


def test_json_round_trip(tmp_path: Path) -> None:
    run = fake_run()
    path = tmp_path / "out" / "run.json"
    write_json(run, path)
    data = load_json(path)
    assert data["machine"] == run.machine and data["date"] == run.date
    assert [v["name"] for v in data["variants"]] == [v.name for v in VARIANTS]
    assert len(data["measurements"]) == len(run.measurements)
    for raw, m in zip(data["measurements"], run.measurements):
        assert raw["samples"] == m.samples
        assert (raw["median"], raw["min"], raw["max"]) == (m.median, m.minimum, m.maximum)
        assert raw["error"] == m.error
    assert data["targets"][0]["passed"] is True


def test_plot_written(tmp_path: Path) -> None:
    path = write_plot(fake_run(), tmp_path / "run.png")
    assert path == tmp_path / "run.png"
    content = path.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 20_000


def test_plot_shows_first_result_churn_and_single_sizes(tmp_path: Path) -> None:
    run = fake_run()
    for variant in VARIANTS[:2]:
        run.measurements.append(Measurement("elementwise", 256, variant.name, "first_result_cold", [2.0]))
        run.measurements.append(Measurement("elementwise", 256, variant.name, "first_result_warm", [0.5]))
        run.measurements.append(Measurement("churn", None, variant.name, "churn", [0.01 + i * 1e-5 for i in range(300)]))
    plain = write_plot(fake_run(), tmp_path / "plain.png")
    full = write_plot(run, tmp_path / "full.png")
    assert plain is not None and full is not None
    assert full.stat().st_size > plain.stat().st_size  # a bottom row more


def test_two_line_headers_split_engine_from_author(wide: None) -> None:
    head = format_table(fake_run()).splitlines()[3]
    assert "ktensor" in head and "native" in head and "theano/CVM" not in head


def test_plot_skipped_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert write_plot(RunResult("d", {}, {}, {}, VARIANTS), tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
    assert "warning" in capsys.readouterr().err


def test_progress_not_a_tty_prints_tenths() -> None:
    stream = io.StringIO()
    with Progress(total=40, stream=stream) as progress:
        for i in range(40):
            progress.advance(f"elementwise n={i} ktensor theano/CVM")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("[##..................] 4/40") and "eta" in lines[0]
    assert lines[-1].startswith("[" + "#" * 20 + "] 40/40") and lines[-1].endswith("n=39 ktensor theano/CVM")


def test_progress_tty_redraws_one_line() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with Progress(total=3, stream=stream) as progress:
        progress.advance("a long first label")
        progress.advance("b")
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    last = text.split("\r")[-1]
    assert last.startswith("[#############.......] 2/3") and "b " in last  # padded over the longer line


def test_clock() -> None:
    assert [format_clock(s) for s in (4.2, 187, 3720)] == ["4s", "3m07s", "1h02m"]


def test_plot_without_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert write_plot(fake_run(), tmp_path / "run.png") is None
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err and err.count("\n") == 1
