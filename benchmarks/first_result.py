"""Time to first result of one variant in a fresh process (run by the suite).

``python -m benchmarks.first_result VARIANT WORKLOAD SIZE`` prints one JSON object:
the seconds from before the engine import to the first result (import, build,
compile, first call), and the parts. The suite runs it with an empty PyTensor
cache directory (cold) and again with the same directory (warm).
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    """Run one variant once and print its timings as JSON."""
    variant, workload_name, size_text = sys.argv[1:4]
    size = int(size_text)
    start = time.perf_counter()
    import numpy as np

    from benchmarks.runners import all_runners
    from benchmarks.workloads import WORKLOADS

    runner = next(r for r in all_runners() if r.variant.name == variant)
    workload = WORKLOADS[workload_name]
    arrays = workload.make_inputs(size, np.random.default_rng(size))
    params = workload.make_params(size, np.random.default_rng(1))
    ctx = runner.fresh()
    imported = time.perf_counter()
    built = runner.build(ctx, workload, size, params)
    was_built = time.perf_counter()
    runner.compile(ctx, built)(arrays)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "total": done - start,
                "import": imported - start,
                "build": was_built - imported,
                "compile_and_first_call": done - was_built,
            }
        )
    )


if __name__ == "__main__":
    main()
