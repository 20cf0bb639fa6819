"""A dependency-free progress bar on stderr (redrawn in place on a terminal, lines otherwise)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Callable ``(done, total, label)`` that draws a progress bar.

    Parameters
    ----------
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    width : int
        Bar width in characters.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int, label: str) -> None:
        """Draw the bar at ``done`` of ``total`` with a label and the elapsed time."""
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"[{bar}] {done}/{total} {elapsed:6.1f}s  {label}"
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
