"""What a measurement ran on: the machine, the versions, the BLAS threads, the memory.

Examples:
    >>> sorted(machine_info())
    ['cores', 'cpu', 'platform', 'python']
    >>> rss_bytes() > 0
    True
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["blas_info", "machine_info", "rss_bytes", "versions"]

#: Packages whose versions a report records, when installed.
PACKAGES = ("ktensor", "numpy", "scipy", "attrs", "pytensor", "tensorflow", "jax", "jaxlib", "numba", "threadpoolctl")


def machine_info() -> dict[str, Any]:
    """CPU model, core count, platform and Python version of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def versions() -> dict[str, str]:
    """Versions of ktensor, NumPy and the engines that are installed."""
    found = {}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def blas_info() -> dict[str, Any]:
    """Which BLAS (and OpenMP) library each loaded package runs, with how many threads.

    ``threadpools``: threadpoolctl's view of the native thread pools loaded in this
    process (library, its file, the package it came with, version, threads, threading
    layer); ``pytensor``: the BLAS flags PyTensor's C code links with (empty: it calls
    NumPy's BLAS through the C API); ``tensorflow``: its intra-/inter-op thread
    settings (0: one per core). Engines that were never imported are not imported here.
    """
    info: dict[str, Any] = {}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["threadpools"] = "threadpoolctl is not installed (pip install threadpoolctl)"
    else:
        info["threadpools"] = [
            {
                key: pool.get(key)
                for key in ("user_api", "internal_api", "prefix", "filepath", "version", "num_threads", "threading_layer")
                if key in pool
            }
            | {"package": _package_of(str(pool.get("filepath", "")))}
            for pool in threadpool_info()
        ]
    pytensor = sys.modules.get("pytensor")
    if pytensor is not None:
        with warnings.catch_warnings():  # reading the flag runs PyTensor's BLAS search, which warns
            warnings.simplefilter("ignore")
            flags = str(pytensor.config.blas__ldflags)
        info["pytensor"] = {"blas__ldflags": flags, "cxx": str(pytensor.config.cxx)}
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "config"):
        info["tensorflow"] = {
            "intra_op_parallelism_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_parallelism_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        }
    info["environment"] = {
        k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ
    }
    return info


def _package_of(filepath: str) -> str:
    """The site-packages directory a shared library came from, e.g. ``"numpy.libs"``; ``""`` if none."""
    parts = Path(filepath).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1 :]
            return rest[0] if rest else ""
    return ""


def rss_bytes() -> int:
    """This process's resident memory now (Linux ``/proc``), else its peak (``getrusage``)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
