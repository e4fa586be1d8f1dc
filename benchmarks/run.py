"""The engine comparison: every workload on every variant, a table, JSON and a plot.

Run ``python -m benchmarks --quick`` from the repository root (``ktensor bench --quick``
from anywhere), or without ``--quick`` for every size and engine mode. The method is
``kt.compare``'s (:mod:`ktensor.compare.timing`). See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs

from benchmarks import churn, report
from benchmarks.measure import FULL, QUICK, measure_case
from benchmarks.model import Measurement, RunResult, TargetCheck
from benchmarks.runners import NATIVE_PEER, QUICK_VARIANTS, KtensorRunner, Runner, all_runners
from benchmarks.workloads import WORKLOADS
from ktensor.compare import stats
from ktensor.compare.environment import blas_info, machine_info, versions
from ktensor.compare.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
#: Engines ``--engines`` takes.
ENGINES = ("numpy", "theano", "tensorflow", "jax")
FIRST_RESULT_WORKLOAD = ("elementwise", 256)
QUICK_FIRST_RESULT_VARIANTS = ("ktensor theano/AUTO", "native pytensor/CVM", "ktensor tensorflow/auto", "native tensorflow/graph")
#: Names ``--workloads`` takes: the workloads, and the churn loop.
WORKLOAD_NAMES = (*WORKLOADS, "churn")
#: The ktensor variants the churn loop runs on: each engine's default mode.
CHURN_VARIANTS = ("ktensor theano/AUTO", "ktensor tensorflow/auto")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of the suite."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick sizes, default modes, fewer repeats (< 2 min)")
    parser.add_argument("--workloads", help=f"comma list of {', '.join(WORKLOAD_NAMES)}")
    parser.add_argument("--engines", help=f"comma list of {', '.join(ENGINES)} (default: all installed)")
    parser.add_argument("--variants", help="comma list of variant names (see --list)")
    parser.add_argument("--sizes", help="comma list of sizes, instead of each workload's own")
    parser.add_argument("--repeat", type=int, help="rounds of steady-call samples")
    parser.add_argument("--pause", type=float, help="seconds to pause before each engine's turn (default 0.2)")
    parser.add_argument("--churn-iterations", type=int, help="iterations of the churn loop (default 1500; quick 200)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results", help="folder for JSON and PNG")
    parser.add_argument("--no-first-result", action="store_true", help="skip time-to-first-result subprocesses")
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    parser.add_argument("--verbose", action="store_true", help="tables show median (min–max) in every cell")
    parser.add_argument("--list", action="store_true", help="list workloads and variants, then exit")
    return parser.parse_args(argv)


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def select_runners(args: argparse.Namespace) -> list[Runner]:
    """The variants to run: by name, engine and quick mode; unavailable ones dropped with a note on stderr.

    Raises:
        SystemExit: an unknown variant or engine (the message lists the valid ones), or nothing left to run.
    """
    runners = all_runners()
    names, engines = _split(args.variants), _split(args.engines)
    known = [r.variant.name for r in runners]
    if names is not None and (unknown := [n for n in names if n not in known]):
        raise SystemExit(f"unknown variant(s) {unknown}; choose from: {', '.join(known)}")
    if engines is not None and (unknown := [e for e in engines if e not in ENGINES]):
        raise SystemExit(f"unknown engine(s) {unknown}; choose from: {', '.join(ENGINES)}")
    chosen = []
    for runner in runners:
        v = runner.variant
        if names is not None and v.name not in names:
            continue
        if names is None and args.quick and v.name not in QUICK_VARIANTS:
            continue
        if engines is not None and v.engine not in engines:
            continue
        reason = runner.unavailable()
        if reason is None:
            chosen.append(runner)
        elif names is not None or engines is not None or v.engine != "jax" or not args.quick:
            print(f"note: {v.name} is unavailable here: {reason}", file=sys.stderr)
    if not chosen:
        raise SystemExit("nothing to measure: none of the chosen variants can run here (python -m benchmarks --list)")
    return chosen


def _subprocess_seconds(code: str, env: dict[str, str] | None = None) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure_import(repeat: int) -> list[Measurement]:
    """Seconds to import ``numpy, attrs`` and ``ktensor`` in fresh interpreters.

    With bytecode caching on, as an installed package has it (pip compiles ``.pyc``
    files at install), and after one untimed import that writes the caches: with
    ``PYTHONDONTWRITEBYTECODE`` set every import would compile ktensor's sources anew
    and measure the compiler (about 60 ms here) instead of the import.
    """
    template = "import time; s = time.perf_counter(); import {}; print(time.perf_counter() - s)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results = []
    for label, modules in (("numpy+attrs", "numpy, attrs"), ("ktensor", "ktensor")):
        _subprocess_seconds(template.format(modules), env)
        m = Measurement("import", None, label, "import")
        for _ in range(repeat):
            m.samples.append(_subprocess_seconds(template.format(modules), env))
        results.append(m)
    return results


def measure_first_result(variant: str, repeat: int) -> list[Measurement]:
    """Time to first result in a fresh process, with a cold then a warm PyTensor cache."""
    workload, size = FIRST_RESULT_WORKLOAD
    cold = Measurement(workload, size, variant, "first_result_cold")
    warm = Measurement(workload, size, variant, "first_result_warm")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="ktensor-bench-cache-") as cache:
            env = dict(os.environ)
            flags = env.get("PYTENSOR_FLAGS", "")
            env["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={cache}"]))
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
            for measurement in (cold, warm):
                try:
                    out = subprocess.run(
                        [sys.executable, "-m", "benchmarks.first_result", variant, workload, str(size)],
                        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
                    )
                    measurement.samples.append(json.loads(out.stdout.strip().splitlines()[-1])["total"])
                except (subprocess.CalledProcessError, ValueError, KeyError) as error:
                    measurement.error = str(error)[:200]
    return [cold, warm]


def _median(result: RunResult, workload: str, size: int | None, variant: str, metric: str) -> float | None:
    for m in result.measurements:
        if (m.workload, m.size, m.variant, m.metric) == (workload, size, variant, metric) and not m.error:
            return m.median
    return None


def _find(result: RunResult, workload: str, size: int | None, variant: str, metric: str) -> Measurement | None:
    for m in result.measurements:
        if (m.workload, m.size, m.variant, m.metric) == (workload, size, variant, metric) and not m.error:
            return m
    return None


def paired_ratio(ours: Measurement, native: Measurement) -> float:
    """Median of the per-round ratios when both were sampled in the same rounds, else of medians.

    Steady-call samples are taken in rounds, so sample i of ktensor and sample i of
    its native peer ran moments apart: their ratio cancels most machine noise
    (:func:`ktensor.compare.stats.paired_ratio`).
    """
    if ours.metric == "call":
        return stats.paired_ratio(ours.samples, native.samples)
    assert ours.median is not None and native.median
    return ours.median / native.median


def paired_difference(ours: Measurement, native: Measurement) -> float:
    """Median of the per-round differences (see ``paired_ratio``), in seconds."""
    return stats.paired_difference(ours.samples, native.samples)


def _ratios(result: RunResult, metric: str, min_size: int = 0) -> dict[str, list[tuple[float, str]]]:
    """For each ktensor variant: (ktensor / native peer, where) over the cases."""
    found: dict[str, list[tuple[float, str]]] = {}
    for m in result.measurements:
        peer = NATIVE_PEER.get(m.variant)
        if m.metric != metric or peer is None or m.error or m.median is None:
            continue
        if m.size is not None and m.size < min_size:
            continue
        native = _find(result, m.workload, m.size, peer, metric)
        if native is not None and native.median:
            found.setdefault(m.variant, []).append((paired_ratio(m, native), f"{m.workload} n={m.size}"))
    return found


def evaluate_targets(result: RunResult) -> list[TargetCheck]:
    """The targets of the benchmark issue, checked against this run's numbers."""
    checks: list[TargetCheck] = []
    for variant, pairs in sorted(_ratios(result, "call", min_size=256).items()):
        worst, where = max(pairs)
        geo = math.exp(statistics.fmean(math.log(r) for r, _ in pairs))
        checks.append(TargetCheck(f"call ratio {variant} / native, n >= 256", worst, 1.02, "×", worst <= 1.02,
                                  f"worst at {where}; geometric mean ×{geo:.3f} over {len(pairs)} cases"))
    for variant, peer in NATIVE_PEER.items():
        ours_m = _find(result, "elementwise", 2, variant, "call")
        native_m = _find(result, "elementwise", 2, peer, "call")
        if ours_m is None or native_m is None or ours_m.median is None or native_m.median is None:
            continue
        limit = 2e-6 if "theano" in variant else 5e-6
        added = paired_difference(ours_m, native_m)
        checks.append(TargetCheck(f"added call time {variant} vs {peer}, 2x2", added * 1e6, limit * 1e6, "µs",
                                  added <= limit,
                                  f"medians {ours_m.median * 1e6:.2f} µs vs {native_m.median * 1e6:.2f} µs; "
                                  f"median of per-round differences"))
    for variant, pairs in sorted(_ratios(result, "build").items()):
        chain = [r for r, where in pairs if where.startswith("chain200")]
        if chain:
            checks.append(TargetCheck(f"build ratio {variant} / native, chain200", chain[0], 2.0, "×",
                                      chain[0] <= 2.0, "a 200-op expression"))
    for variant, pairs in sorted(_ratios(result, "compile").items()):
        median = statistics.median(r for r, _ in pairs)
        worst, where = max(pairs)
        checks.append(TargetCheck(f"compile ratio {variant} / native (median)", median, 1.1, "×", median <= 1.1,
                                  f"worst ×{worst:.2f} at {where}"))
    ktensor_import = _median(result, "import", None, "ktensor", "import")
    base_import = _median(result, "import", None, "numpy+attrs", "import")
    if ktensor_import is not None and base_import is not None:
        extra = (ktensor_import - base_import) * 1e3
        checks.append(TargetCheck("import ktensor minus import numpy, attrs", extra, 60.0, "ms", extra <= 60.0,
                                  f"{ktensor_import * 1e3:.1f} ms vs {base_import * 1e3:.1f} ms"))
    for variant, plain in (("ktensor theano/CVM", "native pytensor/CVM plain call"),
                           ("ktensor tensorflow/auto", "native tensorflow/session.run"),
                           ("ktensor tensorflow/auto", "native tensorflow/tf.function")):
        ours = _median(result, "elementwise", 2, variant, "call")
        theirs = _median(result, "elementwise", 2, plain, "call")
        if ours is not None and theirs is not None:
            checks.append(TargetCheck(f"{variant} vs hand-written {plain}, 2x2", ours / theirs, 1.0, "×",
                                      ours <= theirs, "aim: faster than the plain call a user writes"))
    checks += report.nn_targets(result)
    checks += default_mode_targets(result)
    checks += compiler_targets(result)
    checks += churn_targets(result)
    return checks


#: ktensor on a compiler mode beside the same compiler written by hand (issue 11).
COMPILER_PAIRS = (("ktensor theano/JAX", "native jax/jit"), ("ktensor tensorflow/xla", "native tensorflow/tf.function+xla"))
COMPILER_WORKLOADS, COMPILER_LIMIT = ("mlp_forward", "mlp_train"), 1.1


def compiler_targets(result: RunResult) -> list[TargetCheck]:
    """Issue 11: ktensor on PyTensor's JAX mode within 1.1× of hand-written ``jax.jit``, and
    ktensor with XLA within 1.1× of hand-written ``tf.function(jit_compile=True)``, on the MLP
    forward pass and training step at the largest size both ran (median of per-round ratios)."""
    checks: list[TargetCheck] = []
    for variant, peer in COMPILER_PAIRS:
        ratios = []
        for workload in COMPILER_WORKLOADS:
            pair = report.largest_call(result, workload, variant, peer)
            if pair is not None:
                ratios.append((paired_ratio(*pair), f"{workload} n={pair[0].size}"))
        if ratios:
            worst, where = max(ratios)
            each = ", ".join(f"{w} ×{r:.3f}" for r, w in ratios)
            checks.append(TargetCheck(f"call ratio {variant} / {peer}, MLP", worst, COMPILER_LIMIT, "×",
                                      worst <= COMPILER_LIMIT, f"worst at {where}; {each}"))
    return checks


#: Each engine's default variant (what a user gets without choosing a mode).
DEFAULT_VARIANTS = {"theano": "ktensor theano/AUTO", "tensorflow": "ktensor tensorflow/auto"}


def default_mode_targets(result: RunResult, min_size: int = 256) -> list[TargetCheck]:
    """Issue 11: each engine's default within 1.1× of that engine's fastest ktensor mode
    measured, on every case at n >= ``min_size``; and faster than NumPy wherever one of
    the engine's modes is."""
    checks: list[TargetCheck] = []
    calls = [m for m in result.measurements if m.metric == "call" and m.error is None and m.median]
    for engine, default in DEFAULT_VARIANTS.items():
        modes = {m.variant for m in calls if m.variant.startswith(f"ktensor {engine}/")}
        if default not in modes or len(modes) < 2:
            continue
        worst: tuple[float, str] | None = None
        behind_numpy: list[str] = []
        cases = {(m.workload, m.size) for m in calls if m.variant == default and (m.size or 0) >= min_size}
        for workload, size in sorted(cases, key=lambda c: (c[0], c[1] or 0)):
            ours = _find(result, workload, size, default, "call")
            rows = [m for v in modes if (m := _find(result, workload, size, v, "call")) is not None and m.median]
            if ours is None or not rows:
                continue
            fastest = min(rows, key=lambda m: m.median or math.inf)
            ratio = 1.0 if fastest is ours else paired_ratio(ours, fastest)
            where = f"{workload} n={size} (fastest {fastest.variant.split('/')[-1]})"
            worst = max(worst or (ratio, where), (ratio, where))
            numpy = _find(result, workload, size, "numpy", "call")
            if numpy is not None and numpy.median and fastest.median and ours.median and (
                fastest.median < numpy.median <= ours.median
            ):
                behind_numpy.append(f"{workload} n={size}")
        if worst is not None:
            ratio, where = worst
            checks.append(TargetCheck(f"default {default} / fastest {engine} mode, n >= {min_size}", ratio, 1.1, "×",
                                      ratio <= 1.1, f"worst at {where}; modes: {', '.join(sorted(modes))}"))
            checks.append(TargetCheck(f"default {default} slower than NumPy where a {engine} mode is faster",
                                      float(len(behind_numpy)), 0.0, "cases", not behind_numpy,
                                      ", ".join(behind_numpy) or "none"))
    return checks


def churn_targets(result: RunResult) -> list[TargetCheck]:
    """For each variant of the churn loop: last window ÷ first window of iteration time, limit 1.5×."""
    checks = []
    found = {(m.variant, m.metric): m for m in result.measurements if m.workload == "churn" and m.error is None}
    for (variant, metric), times in sorted(found.items()):
        if metric != "churn":
            continue
        verdict = churn.churn_verdict(times, found.get((variant, "churn_rss"), Measurement("churn", None, variant, "")))
        if verdict is not None:
            ratio, detail = verdict
            checks.append(TargetCheck(f"churn {variant}: last {churn.WINDOW} / first {churn.WINDOW} iterations",
                                      ratio, churn.GOAL, "×", ratio <= churn.GOAL, detail))
    return checks


def run(args: argparse.Namespace) -> RunResult:
    """Measure everything the arguments ask for."""
    runners = select_runners(args)
    names = _split(args.workloads) or list(WORKLOAD_NAMES)
    unknown = [n for n in names if n not in WORKLOAD_NAMES]
    if unknown:
        raise SystemExit(f"unknown workload(s) {unknown}; choose from: {', '.join(WORKLOAD_NAMES)}")
    sizes = [int(s) for s in _split(args.sizes) or []]
    settings = QUICK if args.quick else FULL
    if args.repeat:
        settings = attrs.evolve(settings, rounds=args.repeat)
    if args.pause is not None:
        settings = attrs.evolve(settings, engine_pause=args.pause)
    cases = [
        (WORKLOADS[n], s)
        for n in names if n in WORKLOADS
        for s in (sizes or (WORKLOADS[n].quick_sizes if args.quick else WORKLOADS[n].sizes))
    ]
    churn_runners = [r for r in runners if isinstance(r, KtensorRunner) and r.variant.name in CHURN_VARIANTS]
    if "churn" not in names:
        churn_runners = []
    iterations = args.churn_iterations or (churn.QUICK_ITERATIONS if args.quick else churn.FULL_ITERATIONS)
    first_result = [] if args.no_first_result else [
        r.variant.name for r in runners
        if r.variant.family != "numpy" and (not args.quick or r.variant.name in QUICK_FIRST_RESULT_VARIANTS)
    ]
    result = RunResult(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        machine=machine_info(),
        versions=versions(),
        options={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()} | {
            "timing": attrs.asdict(settings)},
        variants=[r.variant for r in runners],
    )
    steps = len(cases) * len(runners) + len(churn_runners) + len(first_result) + 1
    with Progress(total=steps) as progress:
        progress.advance("import times")
        result.measurements += measure_import(3 if args.quick else 10)
        for workload, size in cases:
            result.measurements += measure_case(workload, size, runners, settings, progress.advance)
        for runner in churn_runners:
            progress.advance(f"churn {runner.variant.name}")
            result.measurements += churn.measure_churn(runner.variant.name, runner.factory, iterations)
        for variant in first_result:
            progress.advance(f"first result {variant}")
            result.measurements += measure_first_result(variant, 1 if args.quick else 3)
    result.blas = blas_info()
    result.targets = evaluate_targets(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    args = parse_args(argv)
    if args.list:
        for workload in WORKLOADS.values():
            print(f"workload {workload.name:<14} {workload.description}")
        print(f"workload {'churn':<14} {churn.__doc__.splitlines()[0] if churn.__doc__ else ''}")
        for runner in all_runners():
            reason = runner.unavailable()
            print(f"variant  {runner.variant.name:<32} {'unavailable: ' + reason if reason else ''}")
        return 0
    result = run(args)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / f"benchmark-{stamp}.json"
    report.write_json(result, json_path)
    for metric in ("call", "compile", "build", "first_result_cold", "first_result_warm", "import", "churn"):
        if any(m.metric == metric for m in result.measurements):
            print(f"\n== {metric} (median, ×ratio to the fastest in the row) ==")
            print(report.format_table(result, metric, verbose=args.verbose))
    print("\n== targets ==")
    print(report.format_targets(result))
    print(f"\nJSON: {json_path}")
    if not args.no_plot:
        plot = report.write_plot(result, json_path.with_suffix(".png"))
        if plot is not None:
            print(f"plot: {plot}")
    return 0
