"""What a third-party estimator prints and warns during a run, kept apart from the suite's output.

:func:`capture` runs a block (one run of a user's estimator) with what it writes to
``sys.stdout`` and ``sys.stderr``, and the warnings it raises, kept in a :class:`Capture`
instead of shown: its text goes into the run's record
(:class:`~divergence_verify.verify.units.Record` ``stdout``, ``stderr``, ``warnings``), never
into a table the suite prints. Each stream keeps its first :data:`MAX_CHARS` characters (a note
says how many more there were); the warnings are kept as ``"Category: message"``, each distinct
one once (with its count), at most :data:`MAX_WARNINGS` of them. Every warning is caught, also
one shown before (the ``"always"`` filter), so what a run records does not depend on the runs
before it in the same process.

Captures are per thread, so units may run on several threads of one process at once (a thread
pool, a Dask worker): while any capture is active, ``sys.stdout`` and ``sys.stderr`` are
routers that send a capturing thread's writes to its capture and every other thread's to the
stream they replaced, and one warnings hook does the same (other threads' warnings are shown as
before, though under the ``"always"`` filter while a capture lasts). Not captured: output
written to the file descriptors directly (C code, a subprocess), output of threads the estimator
starts itself, and logging handlers that hold the original stream.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO

MAX_CHARS = 4000
"""Characters of each stream kept per run."""
MAX_WARNINGS = 20
"""Distinct warnings kept per run."""


class _Sink(io.TextIOBase):
    """A text stream that keeps the first :data:`MAX_CHARS` characters written and counts all."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[str] = []
        self._kept = 0
        self._total = 0

    @property
    def encoding(self) -> str:  # type: ignore[override]  # StringIO's is None; some code reads it
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = MAX_CHARS - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(len(text), room)
        self._total += len(text)
        return len(text)

    def text(self) -> str | None:
        """What was written (None if nothing), cut at :data:`MAX_CHARS` with a note."""
        if not self._total:
            return None
        kept = "".join(self._parts)
        if self._total > self._kept:
            kept += f"\n[... {self._total - self._kept} more characters not kept]"
        return kept


class Capture:
    """What one run wrote and warned; read its properties after the :func:`capture` block."""

    def __init__(self) -> None:
        self.sinks = {"stdout": _Sink(), "stderr": _Sink()}
        self._warned: Counter[str] = Counter()

    def warn(self, category: type[Warning], message: Warning | str) -> None:
        """Keep one warning (called by the warnings hook)."""
        self._warned[f"{category.__name__}: {message}"] += 1

    @property
    def stdout(self) -> str | None:
        """What the run wrote to ``sys.stdout``, or None."""
        return self.sinks["stdout"].text()

    @property
    def stderr(self) -> str | None:
        """What the run wrote to ``sys.stderr``, or None."""
        return self.sinks["stderr"].text()

    @property
    def warnings(self) -> tuple[str, ...]:
        """The distinct warnings in the order first raised, ``" (N times)"`` when repeated."""
        out = [text if count == 1 else f"{text} ({count} times)"
               for text, count in list(self._warned.items())[:MAX_WARNINGS]]
        if len(self._warned) > MAX_WARNINGS:
            out.append(f"... {len(self._warned) - MAX_WARNINGS} more distinct warnings not kept")
        return tuple(out)


_local = threading.local()  # .run: the Capture of this thread's run, if one is active


def _current() -> Capture | None:
    return getattr(_local, "run", None)


class _Router:
    """Stands for ``sys.stdout`` or ``sys.stderr`` while captures are active (module docstring)."""

    __slots__ = ("name", "stream")

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name = name
        self.stream = stream

    def __getattr__(self, attr: str) -> Any:
        run = _current()
        return getattr(self.stream if run is None else run.sinks[self.name], attr)


class _Hub:
    """The process-wide part: routers and the warnings hook, installed while any run captures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.routers: tuple[_Router, _Router] | None = None
        self.catcher: warnings.catch_warnings | None = None
        self.shown: Any = None  # warnings.showwarning as it was: for the other threads

    def show(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        """The ``warnings.showwarning`` of the captures: keep a capturing thread's warning."""
        run = _current()
        if run is None:
            self.shown(message, category, filename, lineno, file, line)
        else:
            run.warn(category, message)

    def enter(self) -> None:
        """Count one more active capture; the first installs the routers and the hook."""
        with self.lock:
            if not self.active:
                self.routers = (_Router("stdout", sys.stdout), _Router("stderr", sys.stderr))
                sys.stdout, sys.stderr = self.routers  # type: ignore[assignment]
                self.catcher = warnings.catch_warnings()
                self.catcher.__enter__()
                warnings.simplefilter("always")
                self.shown = warnings.showwarning
                warnings.showwarning = self.show
            self.active += 1

    def leave(self) -> None:
        """Count one capture less; the last one puts the streams and warnings back."""
        with self.lock:
            self.active -= 1
            if self.active:
                return
            assert self.routers is not None and self.catcher is not None
            out, err = self.routers
            # Put back only what is still ours: a stream someone replaced meanwhile stays.
            if sys.stdout is out:
                sys.stdout = out.stream
            if sys.stderr is err:
                sys.stderr = err.stream
            self.catcher.__exit__(None, None, None)
            self.routers = self.catcher = self.shown = None


_HUB = _Hub()


@contextlib.contextmanager
def capture(enabled: bool = True) -> Iterator[Capture]:
    """Run a block with its prints and warnings kept in the :class:`Capture` yielded.

    Parameters
    ----------
    enabled : bool
        False: capture nothing (a built-in estimator's run); the capture stays empty.

    Notes
    -----
    Only what goes through ``sys.stdout``, ``sys.stderr`` and :mod:`warnings` on this thread is
    captured: text that C code writes to file descriptor 1 or 2 directly still reaches the
    terminal (see the module docstring).
    """
    run = Capture()
    if not enabled:
        yield run
        return
    _HUB.enter()
    outer = _current()
    _local.run = run
    try:
        yield run
    finally:
        _local.run = outer
        _HUB.leave()
