"""The live progress display of `matcher solve` on stderr.

On a terminal, a rich live line redrawn four times a second: a spinner (the heartbeat: it
turns while the solver works, even between improvements), the stage, elapsed and time left
against the time limit, a bar, and coverage, bound and gap.  Elsewhere (a log file, CI), one
plain line per improvement and a heartbeat line at least once a second.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from matcher.solver.params import Progress

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class StderrProgress:
    """A progress callback for `solve` with a heartbeat of its own; call `close()` at the end.

    `time_limit` gives the time left; `heartbeat` is the longest silence in seconds between
    two lines when the stream is not a terminal.
    """

    def __init__(self, stream: TextIO | None = None, time_limit: float | None = None,
                 heartbeat: float = 1.0, force_terminal: bool | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if force_terminal is None else force_terminal
        self.time_limit = time_limit
        self.heartbeat = heartbeat
        self.t0 = time.monotonic()
        self._last: Progress | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: Live | None = None
        self._thread: threading.Thread | None = None
        if self.tty:
            console = Console(file=self.stream, force_terminal=True, highlight=False)
            self._live = Live(_View(self), console=console, refresh_per_second=4,
                              transient=False, redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        else:
            self._thread = threading.Thread(target=self._beat, name="progress-heartbeat",
                                            daemon=True)
            self._thread.start()

    def __call__(self, p: Progress) -> None:
        with self._lock:
            changed = self._last is None or (p.stage, p.coverage, p.bound) != (
                self._last.stage, self._last.coverage, self._last.bound)
            self._last = p
        if changed and not self.tty:
            self._write(self.line())

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def line(self) -> str:
        """The current state as one line: stage, elapsed, time left, coverage, bound, gap."""
        el = self.elapsed()
        with self._lock:
            p = self._last
        clock = f"{_clock(el)} elapsed"
        if self.time_limit is not None:
            clock += f", {_clock(self.time_limit - el)} left"
        if p is None:
            return f"[{clock}] stage: starting"
        gap = "-" if p.gap is None else f"{100 * p.gap:.2f}%"
        cov = "-" if p.coverage is None else str(p.coverage)
        bound = "-" if p.bound is None else f"{p.bound:g}"
        return f"[{clock}] stage: {p.stage} | coverage {cov}, bound {bound}, gap {gap}"

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            self._write(self.line())

    def close(self) -> None:
        """Stop the display (idempotent)."""
        self._stop.set()
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class _View:
    """What the live display draws on each refresh (rich calls `__rich__`)."""

    def __init__(self, owner: StderrProgress):
        self.owner = owner

    def __rich__(self) -> Text:
        o = self.owner
        el = o.elapsed()
        spin = _SPINNER[int(el * 8) % len(_SPINNER)]
        text = Text()
        text.append(f"{spin} ", style="bold cyan")
        text.append(o.line())
        if o.time_limit:
            width = 10
            done = min(width, int(width * el / o.time_limit))
            text.append("  " + "█" * done + "░" * (width - done), style="green")
        return text
