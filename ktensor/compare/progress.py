"""A dependency-free progress bar, for ``kt.compare`` and the benchmark suite.

On a terminal it redraws one line on stderr::

    [#####...............] 12/40  1m05s, eta 2m48s  elementwise n=256 ktensor theano/CVM

When stderr is not a terminal (CI logs, a file), it prints one such line each time
another tenth of the work is done, so a log holds at most ten of them, or nothing at
all with ``log=False`` (what ``kt.compare`` uses).

Examples:
    >>> import io
    >>> with Progress(total=2, stream=io.StringIO(), log=False) as progress:
    ...     progress.advance("one")
    ...     progress.line("two")[:26]
    '[##########..........] 1/2'
"""

from __future__ import annotations

import shutil
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from typing_extensions import Self


def format_clock(seconds: float) -> str:
    """A short duration for humans: ``"42s"``, ``"3m07s"``, ``"1h02m"``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Progress of ``total`` steps, used as a context manager around the loop.

    Example::

        with Progress(total=len(jobs)) as progress:
            for job in jobs:
                run(job)
                progress.advance(job.label)

    Attributes:
        total: number of steps expected.
        done: number of steps advanced so far.
    """

    def __init__(self, total: int, stream: TextIO | None = None, bar_width: int = 20, log: bool = True) -> None:
        """Start the clock.

        Args:
            total: number of steps expected.
            stream: where to draw; stderr by default.
            bar_width: characters between the bar's brackets.
            log: when ``stream`` is not a terminal, print a line per tenth of the work
                (True) or nothing (False).
        """
        self.total = max(total, 0)
        self.done = 0
        self._stream = sys.stderr if stream is None else stream
        self._tty = self._stream.isatty()
        self._log = log
        self._bar_width = bar_width
        self._start = time.monotonic()
        self._tenths_shown = 0
        self._drawn_width = 0

    def __enter__(self) -> Self:
        """Restart the clock and return the bar."""
        self._start = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the redrawn line so that whatever follows starts on a fresh one."""
        if self._drawn_width:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn_width = 0

    def advance(self, label: str) -> None:
        """Count one more step done and show it.

        Args:
            label: what the step was, e.g. ``"elementwise n=256 ktensor theano/CVM"``.
        """
        self.done += 1
        line = self.line(label)
        if self._tty:
            columns = shutil.get_terminal_size().columns
            line = line[: max(columns - 1, 1)]
            self._stream.write("\r" + line.ljust(self._drawn_width))
            self._drawn_width = len(line)
            self._stream.flush()
            return
        if not self._log:
            return
        tenths = self.done * 10 // self.total if self.total else 0
        if tenths > self._tenths_shown:
            self._tenths_shown = tenths
            self._stream.write(line + "\n")
            self._stream.flush()

    def line(self, label: str) -> str:
        """The progress line for the current count, ending with ``label``."""
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self._bar_width)
        bar = "[" + "#" * filled + "." * (self._bar_width - filled) + "]"
        elapsed = time.monotonic() - self._start
        clock = format_clock(elapsed)
        if 0 < self.done < self.total:
            clock += ", eta " + format_clock(elapsed / self.done * (self.total - self.done))
        return f"{bar} {self.done}/{self.total}  {clock}  {label}"
