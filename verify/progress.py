"""One progress bar over all the runs of a command, with rate and ETA (drawn by tqdm).

The commands call it as ``progress(done, total, label)`` as runs complete
(:data:`~divergence_verify.verify.execution.Progress`), from whichever executor ran them. Runs
found in the cache are counted as done from the start but not in the rate, so the ETA is that of
the runs still to compute. On a terminal the bar is redrawn in place; in a log file (stderr not a
terminal) a line is written at most every ``log_seconds``, and at the end.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

CACHED_LABEL = "cached runs"
"""The label of the first call when runs were found in the cache (they do not count in the rate)."""


class ProgressBar:
    """Callable ``(done, total, label)`` that draws one bar with rate and ETA.

    Parameters
    ----------
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    log_seconds : float
        Off a terminal, the least time between two lines.
    """

    def __init__(self, stream: TextIO | None = None, log_seconds: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_seconds = log_seconds
        self.bar: Any = None
        self.last_line = -float("inf")

    def __call__(self, done: int, total: int, label: str) -> None:
        """Advance the bar to ``done`` of ``total``; ``label`` says what just finished."""
        if self.bar is None:
            # Off a terminal tqdm draws nothing itself (disable); its meter formats the lines.
            self.bar = tqdm(total=total, initial=done if label == CACHED_LABEL else 0,
                            file=self.stream, unit="run", dynamic_ncols=True, smoothing=0.1,
                            disable=not self.tty, leave=True)
            self.start = time.perf_counter()
            self.initial = done if label == CACHED_LABEL else 0
        self.bar.set_postfix_str(label, refresh=False)
        if self.tty:
            self.bar.total = total
            self.bar.update(done - self.bar.n)
            if done >= total:
                self.bar.close()
            return
        now = time.perf_counter()
        if done < total and now - self.last_line < self.log_seconds:
            return
        self.last_line = now
        elapsed = now - self.start
        rate = (done - self.initial) / elapsed if elapsed > 0 and done > self.initial else None
        line = tqdm.format_meter(done, total, elapsed, ncols=100, prefix="", unit="run",
                                 rate=rate, postfix=label, initial=self.initial,
                                 ascii=True)
        self.stream.write(line + "\n")
        self.stream.flush()
