"""What this installation can run: ``python -m ktensor info`` (or ``ktensor info``).

Reports ktensor's version, each backend with its engine's version or why it is
unavailable, the engine modes this machine can run, and the configuration in force.
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
    return {
        "version": ktensor.__version__,
        "backends": {name: _backend_report(name) for name in _BUILTIN},
        "registered": other,
        "config": settings,
    }


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
    return "\n".join(lines)
