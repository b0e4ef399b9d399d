"""A live progress line on stderr for long solves (elapsed, coverage, bound, gap)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from matcher.solver.params import Progress


class StderrProgress:
    """A progress callback: rewrites one line on a terminal, prints plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.2):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0
        self._shown = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < self.min_interval and (p.gap or 0) > 0:
            return
        self._last = now
        gap = "-" if p.gap is None else f"{100 * p.gap:.2f}%"
        line = (f"[{p.elapsed:7.1f}s] {p.stage:<9} coverage {p.coverage} "
                f"bound {p.bound:g} gap {gap}")
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()
