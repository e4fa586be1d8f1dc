"""Timing: build, compile and steady calls of every variant on one workload and size.

The method is ``kt.compare``'s (:mod:`ktensor.compare.timing`): steady calls are
sampled in rounds, engine by engine in a new random order each round, with a pause
(200 ms) before each engine so the previous engine's worker threads have parked, one
untimed call before each sample, and samples of enough calls to last
``sample_seconds``; warm-up calls are excluded. Build and compile are timed on a
fresh context each time (a new backend instance, a new ``tf.Graph``), compiles after
one untimed compile has filled the engine's cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from benchmarks.model import Measurement
from benchmarks.runners import Call, Runner
from benchmarks.workloads import Workload
from ktensor.compare.timing import Timing, sample_calls, short_error, timed, timed_entry

__all__ = ["FULL", "QUICK", "Timing", "measure_case"]

#: The suite's settings: a full run, and ``--quick`` (fewer rounds, several samples per
#: visit of an engine, so the 200 ms pauses stay few).
FULL = Timing(rounds=15, samples_per_visit=1, build_repeat=3, compile_repeat=2, sample_seconds=0.02)
QUICK = Timing(rounds=2, samples_per_visit=4, build_repeat=1, compile_repeat=1, warmup_calls=2, sample_seconds=0.006)


@attrs.define
class _Prepared:
    runner: Runner
    call: Call


def measure_case(
    workload: Workload,
    size: int,
    runners: Sequence[Runner],
    settings: Timing,
    on_step: Callable[[str], None] = lambda label: None,
) -> list[Measurement]:
    """Build, compile and call ``workload`` at ``size`` on every runner."""
    rng = np.random.default_rng(size)
    arrays = workload.make_inputs(size, rng)
    params = workload.make_params(size, np.random.default_rng(1))
    results: list[Measurement] = []
    prepared: list[_Prepared] = []
    for runner in runners:
        name = runner.variant.name
        on_step(f"{workload.name} n={size} {name}")
        if runner.variant.family == "numpy":  # nothing to build or compile: calls only
            prepared.append(_Prepared(runner, runner.compile(None, runner.build(None, workload, size, params))))
            continue
        build = Measurement(workload.name, size, name, "build")
        compile_ = Measurement(workload.name, size, name, "compile")
        results += [build, compile_]
        try:
            call = None
            for _ in range(settings.build_repeat):
                ctx = runner.fresh()
                seconds, built = timed(runner.build, ctx, workload, size, params)
                build.samples.append(seconds)
            # One untimed compile fills the engine's cache; the timed ones then all
            # see a warm cache, the same for ktensor and the native code.
            ctx = runner.fresh()
            runner.compile(ctx, runner.build(ctx, workload, size, params))(arrays)
            for _ in range(settings.compile_repeat):
                ctx = runner.fresh()
                built = runner.build(ctx, workload, size, params)
                seconds, call = timed(_compile_and_call, runner, ctx, built, arrays)
                compile_.samples.append(seconds)
            assert call is not None
            prepared.append(_Prepared(runner, call))
        except Exception as error:  # noqa: BLE001 - a variant's failure is a result, not a crash
            build.error = compile_.error = short_error(error)
    items = [timed_entry(p.runner.variant.name, p.runner.variant.engine, p.runner.variant.mode, p.call, arrays)
             for p in prepared]
    sample_calls(items, settings, seed=size)
    for item in items:
        results.append(Measurement(workload.name, size, item.key, "call", item.samples, item.error))
    return results


def _compile_and_call(runner: Runner, ctx: Any, built: Any, arrays: list[np.ndarray]) -> Call:
    call = runner.compile(ctx, built)
    call(arrays)
    return call
