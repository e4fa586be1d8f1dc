"""The ``ktensor`` command (also ``python -m ktensor``).

Subcommands:
    info    ktensor's version, the backends and their engines, the modes this
            machine can run, and the configuration in force.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = "usage: ktensor info    (print the version, backends, engine modes and configuration)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(USAGE)
        return 0
    if args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if args == ["info"]:
        from ktensor import info

        print(info.format_report(info.collect()))
        return 0
    print(f"ktensor: unknown command {' '.join(args)!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
