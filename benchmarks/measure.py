"""Timing: build, compile and steady calls of every variant on one workload and size.

Steady calls are sampled in rounds, every variant once per round, engine by engine
in a new random order, so a burst of machine noise lands on every variant instead of on one, which
keeps the ratios honest on a busy 2-core machine. Each sample times enough calls
to last ``sample_seconds`` (at least one), right after one untimed call of the
same variant; warm-up calls are excluded.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from benchmarks.model import Measurement
from benchmarks.runners import Call, Runner
from benchmarks.workloads import Workload


@attrs.define
class Settings:
    """How much to repeat each kind of measurement."""

    repeat: int = 15
    build_repeat: int = 3
    compile_repeat: int = 2
    warmup_calls: int = 3
    sample_seconds: float = 0.02
    engine_pause: float = 0.005


def _timed(action: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - start, result


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


@attrs.define
class _Prepared:
    runner: Runner
    call: Call
    number: int = 1


def measure_case(
    workload: Workload,
    size: int,
    runners: Sequence[Runner],
    settings: Settings,
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
                seconds, built = _timed(runner.build, ctx, workload, size, params)
                build.samples.append(seconds)
            # One untimed compile fills the engine's cache; the timed ones then all
            # see a warm cache, the same for ktensor and the native code.
            ctx = runner.fresh()
            runner.compile(ctx, runner.build(ctx, workload, size, params))(arrays)
            for _ in range(settings.compile_repeat):
                ctx = runner.fresh()
                built = runner.build(ctx, workload, size, params)
                seconds, call = _timed(_compile_and_call, runner, ctx, built, arrays)
                compile_.samples.append(seconds)
            assert call is not None
            prepared.append(_Prepared(runner, call))
        except Exception as error:  # noqa: BLE001 - a variant's failure is a result, not a crash
            build.error = compile_.error = _short(error)
    results += _sample_calls(workload, size, prepared, arrays, settings)
    return results


def _compile_and_call(runner: Runner, ctx: Any, built: Any, arrays: list[np.ndarray]) -> Call:
    call = runner.compile(ctx, built)
    call(arrays)
    return call


def _sample_calls(
    workload: Workload, size: int, prepared: list[_Prepared], arrays: list[np.ndarray], settings: Settings
) -> list[Measurement]:
    measurements = {p.runner.variant.name: Measurement(workload.name, size, p.runner.variant.name, "call") for p in prepared}
    live: list[_Prepared] = []
    for p in prepared:
        try:
            for _ in range(settings.warmup_calls):
                p.call(arrays)
            seconds, _ = _timed(p.call, arrays)
            p.number = max(1, int(settings.sample_seconds / max(seconds, 1e-9)))
            live.append(p)
        except Exception as error:  # noqa: BLE001
            measurements[p.runner.variant.name].error = _short(error)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        order = np.random.default_rng(size)
        engines: dict[str, list[_Prepared]] = {}
        for p in live:
            engines.setdefault(p.runner.variant.engine, []).append(p)
        groups = list(engines.values())
        for _ in range(settings.repeat):
            # Each round visits the engines in a new random order and, within an
            # engine, its variants in a new random order, so ktensor and its native
            # peer are sampled moments apart. Between engines it pauses briefly: an
            # engine's worker threads keep spinning after a call and would steal the
            # next engine's CPU. One untimed call precedes each sample, to wake the
            # threads of the engine about to be timed.
            for group_index in order.permutation(len(groups)):
                time.sleep(settings.engine_pause)
                group = groups[group_index]
                for index in order.permutation(len(group)):
                    p = group[index]
                    call, number = p.call, p.number
                    call(arrays)
                    start = time.perf_counter()
                    for _ in range(number):
                        call(arrays)
                    measurements[p.runner.variant.name].samples.append((time.perf_counter() - start) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return list(measurements.values())
