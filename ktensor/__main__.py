"""The ``ktensor`` command (also ``python -m ktensor``).

Subcommands:
    info       ktensor's version, the backends and their engines, the modes this
               machine can run, and the configuration in force.
    compare    compare the engines on a function of your own (``kt.compare``):
               ``ktensor compare FILE[:FUNCTION] [--inputs ...] [--backends ...]``.
    bench      the built-in engine comparison suite of a source checkout
               (``python -m benchmarks``), from any directory.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = """usage: ktensor info                        print the version, backends, engine modes and configuration
       ktensor compare FILE[:FUNCTION] ...   compare the engines on your function (ktensor compare --help)
       ktensor bench [--quick] ...           run the built-in benchmark suite of a source checkout"""


def _bench(args: list[str]) -> int:
    """``python -m benchmarks`` of the checkout this ktensor was installed from (editable installs)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "run.py").is_file():
        print("ktensor bench: the benchmark suite ships with the source repository (benchmarks/), which is not "
              f"next to this ktensor ({root}); run it from a clone: python -m benchmarks", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.run import main as bench_main

    return bench_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if args == ["info"]:
        from ktensor import info

        print(info.format_report(info.collect()))
        return 0
    if args[0] == "compare":
        from ktensor.compare.cli import main as compare_main

        return compare_main(args[1:])
    if args[0] == "bench":
        return _bench(args[1:])
    print(f"ktensor: unknown command {' '.join(args)!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
