"""Build ``a = b + c * d.abs()`` once, run it on every installed engine, compare.

Prints the results' agreement with NumPy and, side by side, the time to build,
to compile and first call, and the median steady call. The full engine
comparison (modes, native baselines, plots) is the benchmark suite's job.

Run: ``python benchmarks/demo.py [--quick] [--size N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import ktensor as kt

ENGINES = ("theano", "tensorflow")


def expression(b: kt.Tensor, c: kt.Tensor, d: kt.Tensor) -> kt.Tensor:
    """The expression every engine runs, written once."""
    return b + c * d.abs()


def median_time(call: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``call`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--size", type=int, default=512, help="inputs are size x size float32")
    args = parser.parse_args()
    repeat = 20 if args.quick else 200
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((args.size, args.size)).astype("float32") for _ in range(3)]
    b0, c0, d0 = arrays
    reference = b0 + c0 * np.abs(d0)
    numpy_time = median_time(lambda: b0 + c0 * np.abs(d0), repeat)

    print(f"a = b + c * d.abs() on {args.size}x{args.size} float32, median of {repeat} calls\n")
    header = f"{'variant':<28}{'build ms':>10}{'compile+1st ms':>16}{'call ms':>10}{'vs NumPy':>10}  result"
    print(header)
    print("-" * len(header))
    print(f"{'numpy':<28}{'':>10}{'':>16}{numpy_time * 1e3:>10.3f}{1.0:>10.2f}  reference")
    for name in ENGINES:
        if name not in kt.available_backends():
            print(f"{'ktensor/' + name:<28}  not installed")
            continue
        with kt.use_backend(name) as backend:
            start = time.perf_counter()
            b, c, d = (kt.placeholder(shape=(None, args.size), name=n) for n in "bcd")
            a = expression(b, c, d)
            built = time.perf_counter()
            f = kt.function([b, c, d], a)
            first = f(*arrays)
            compiled = time.perf_counter()
        call_time = median_time(lambda: f(*arrays), repeat)
        agree = "matches" if np.allclose(first, reference, rtol=1e-5, atol=1e-6) and first.dtype == reference.dtype else "DIFFERS"
        label = f"ktensor/{name} ({', '.join(f'{k}={v}' for k, v in backend.options().items()) or 'graph'})"
        print(
            f"{label:<28}{(built - start) * 1e3:>10.1f}{(compiled - built) * 1e3:>16.1f}"
            f"{call_time * 1e3:>10.3f}{call_time / numpy_time:>10.2f}  {agree}"
        )


if __name__ == "__main__":
    main()
