"""What this installation can run: ``python -m ktensor info`` (or ``ktensor info``).

Reports ktensor's version, each backend with its engine's version or why it is
unavailable, the engine modes this machine can run, the configuration in force, and
the BLAS that matrix products run (NumPy's, which PyTensor's CPU code calls without
one of its own), with a hint where OpenBLAS runs older kernels than the CPU has.
Engines are imported only here, one at a time, when the report is made.

Examples:
    >>> from ktensor import info
    >>> report = info.collect()
    >>> sorted(report["backends"])
    ['tensorflow', 'theano']
    >>> report["config"]["floatx"]
    'float32'
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

__all__ = ["collect", "engine_modes", "format_report"]


def _importable(module: str) -> bool:
    """Whether ``module`` imports here (it is imported, so it is truly usable)."""
    if importlib.util.find_spec(module) is None:
        return False
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - an installed but broken optional engine: not usable
        return False
    return True


def engine_modes(backend: str, engine: Any) -> list[str]:
    """The modes of ``backend`` that this machine can run, given its imported ``engine``."""
    if backend == "theano":
        modes = []
        if getattr(engine.config, "cxx", ""):  # the C VM needs a C++ compiler
            modes.append("CVM")
        modes.append("FAST_COMPILE")
        if _importable("numba"):
            modes.append("NUMBA")
        if _importable("jax"):
            modes.append("JAX")
        return modes
    if backend == "tensorflow":
        return ["graph", "xla"]
    return []


def _backend_report(name: str) -> dict[str, Any]:
    from ktensor.backends import _BUILTIN, _ENGINE_TITLES, EngineNotInstalled, _import_builtin

    engine = _BUILTIN[name][2]
    report: dict[str, Any] = {"engine": _ENGINE_TITLES.get(engine, engine), "version": None, "modes": []}
    if importlib.util.find_spec(engine) is None:
        report["unavailable"] = str(EngineNotInstalled(name, engine))
        return report
    try:
        _import_builtin(name)
        module = importlib.import_module(engine)
    except Exception as error:  # noqa: BLE001 - installed but cannot be imported: say why
        report["unavailable"] = f"{engine} is installed but fails to import: {type(error).__name__}: {error}"
        return report
    report["version"] = str(getattr(module, "__version__", "unknown"))
    report["modes"] = engine_modes(name, module)
    return report


def collect() -> dict[str, Any]:
    """The report as a dict: ``version``, ``backends`` (name -> engine, version, modes or
    ``unavailable``), ``registered`` (other backends' names) and ``config``."""
    import ktensor
    from ktensor import config
    from ktensor.backends import _BUILTIN, available_backends

    path = config.config_path()
    settings: dict[str, Any] = {
        "path": str(path),
        "exists": path.is_file(),
        "backend": config.configured_backend_name(),
        "floatx": config.floatx(),
        "epsilon": config.epsilon(),
        "KTENSOR_BACKEND": os.environ.get(config.BACKEND_ENV) or None,
    }
    other = [n for n in available_backends() if n not in _BUILTIN and n != "pytensor"]
    backends = {name: _backend_report(name) for name in _BUILTIN}
    return {
        "version": ktensor.__version__,
        "backends": backends,
        "registered": other,
        "config": settings,
        "blas": _blas_report("unavailable" not in backends["theano"]),
    }


def _blas_report(pytensor_usable: bool) -> dict[str, Any]:
    """NumPy's BLAS libraries (through ``threadpoolctl`` when installed), whether PyTensor
    links one, and whether OpenBLAS runs older kernels than this CPU has."""
    report: dict[str, Any] = {"numpy": None, "pytensor_linked": None, "hint": None}
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_info  # numpy, loaded by ktensor, holds the BLAS

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        numpy_pools = [p for p in pools if "numpy" in str(p.get("filepath", ""))] or pools[:1]
        if numpy_pools:
            pool = numpy_pools[0]
            report["numpy"] = {
                "library": pool.get("internal_api"),
                "version": pool.get("version"),
                "kernels": pool.get("architecture"),
                "threads": pool.get("num_threads"),
            }
    if pytensor_usable:
        from ktensor.backends.theano import modes

        report["pytensor_linked"] = modes._blas_linked()
    numpy_blas = report["numpy"] or {}
    if numpy_blas.get("library") == "openblas" and numpy_blas.get("kernels") == "Haswell" and _cpu_has("avx512f"):
        forced = os.environ.get("OPENBLAS_CORETYPE")
        why = f"OPENBLAS_CORETYPE={forced} is set" if forced else "OpenBLAS runs its Haswell kernels"
        report["hint"] = (
            f"this CPU has AVX-512 but {why}: OPENBLAS_CORETYPE=SkylakeX in the environment "
            "may make matrix products faster (docs/backends.md)"
        )
    return report


def _cpu_has(flag: str) -> bool:
    """Whether ``/proc/cpuinfo`` (Linux) lists ``flag``; False where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return any(line.startswith("flags") and flag in line.split() for line in cpuinfo)
    except OSError:
        return False


def format_report(report: dict[str, Any]) -> str:
    """The text ``ktensor info`` prints for :func:`collect`'s ``report``."""
    lines = [f"ktensor {report['version']}", "", "backends:"]
    for name, entry in report["backends"].items():
        if "unavailable" in entry:
            lines.append(f"  {name:<11} unavailable: {entry['unavailable']}")
        else:
            lines.append(f"  {name:<11} {entry['engine']} {entry['version']}")
            lines.append(f"  {'':<11} modes: {', '.join(entry['modes'])}")
    if report["registered"]:
        lines.append(f"  registered: {', '.join(report['registered'])}")
    conf = report["config"]
    state = "exists" if conf["exists"] else "does not exist (defaults in force)"
    lines += [
        "",
        "configuration:",
        f"  file        {conf['path']} ({state})",
        f"  backend     {conf['backend']}",
        f"  floatx      {conf['floatx']}",
        f"  epsilon     {conf['epsilon']!r}",
    ]
    if conf["KTENSOR_BACKEND"]:
        lines.append(f"  KTENSOR_BACKEND={conf['KTENSOR_BACKEND']} (overrides the file's backend)")
    blas = report.get("blas") or {}
    lines += ["", "BLAS:"]
    numpy_blas = blas.get("numpy")
    if numpy_blas:
        lines.append(
            f"  numpy       {numpy_blas['library']} {numpy_blas['version']} "
            f"({numpy_blas['kernels']} kernels, {numpy_blas['threads']} threads)"
        )
    else:
        lines.append("  numpy       (pip install threadpoolctl to see which library and kernels)")
    if blas.get("pytensor_linked") is not None:
        linked = "linked" if blas["pytensor_linked"] else "none linked: matrix products call NumPy's"
        lines.append(f"  pytensor    {linked}")
    if blas.get("hint"):
        lines.append(f"  hint        {blas['hint']}")
    return "\n".join(lines)
