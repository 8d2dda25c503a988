"""A progress line for long work: on stderr, only when stderr is a terminal, kept below the log
lines the work prints, redrawn at most ten times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import click

CLEAR = "\r\x1b[K"


class Progress:
    def __init__(self, total: int, what: str, stream: TextIO | None = None, interval: float = 0.1) -> None:
        self.total = total
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.shown = self.stream.isatty() and total > 1
        self.interval = interval
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0

    def step(self, line: str) -> None:
        """One piece done: print its log line (stdout), then the progress line under it."""
        self.done += 1
        if self.shown:
            self.stream.write(CLEAR)
        click.echo(line)
        now = time.monotonic()
        if self.shown and (now - self._drawn_at >= self.interval or self.done == self.total):
            self._drawn_at = now
            self.stream.write(f"{self.what} {self.done}/{self.total} ({100 * self.done // self.total}%), {self.elapsed():.1f}s")
            self.stream.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        """Take the progress line away (the summary that follows says how it went)."""
        if self.shown:
            self.stream.write(CLEAR)
            self.stream.flush()
