"""Progress of a long step, shown on a terminal and nowhere else.

:class:`Progress` rewrites one line on standard error (``\\r``) at most a few
times a second: what is being done, a count with its rate, and, where the total
is known, a bar. On anything but a terminal (a notebook's captured stderr, a log
file, CI) it stays silent unless asked with ``enabled=True``.

Examples
--------
>>> with Progress("reading roads", unit="ways", enabled=False) as p:
...     for _ in range(3):
...         p.advance()
>>> p.count
3
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_EVERY_S = 0.25
_BAR = 24


class Progress:
    """A one-line progress display for a loop.

    Parameters
    ----------
    what
        What is being done, e.g. ``"reading korea.osm.pbf"``.
    unit
        What is counted, e.g. ``"ways"``.
    total
        How many there will be, if known (a bar is drawn).
    enabled
        ``None``: only when standard error is a terminal.
    stream
        Where to write (standard error by default).
    """

    def __init__(
        self,
        what: str,
        *,
        unit: str = "",
        total: int | None = None,
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.what, self.unit, self.total = what, unit, total
        self.count = 0
        self.note = ""
        self._t0 = time.perf_counter()
        self._last = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled:
            self._draw(final=True)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more; redraw if a quarter second has passed."""
        self.count += n
        if self.enabled:
            now = time.perf_counter()
            if now - self._last >= _EVERY_S:
                self._last = now
                self._draw()

    def set(self, note: str) -> None:
        """Show ``note`` after the count (the current phase) and redraw."""
        self.note = note
        if self.enabled:
            self._draw()

    def line(self) -> str:
        """The text of the line as it would be drawn now."""
        elapsed = time.perf_counter() - self._t0
        rate = self.count / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.what}:"]
        if self.total:
            done = min(self.count / self.total, 1.0)
            filled = int(done * _BAR)
            parts.append(f"[{'#' * filled}{'.' * (_BAR - filled)}] {done:4.0%}")
            parts.append(f"{self.count:,}/{self.total:,} {self.unit}".rstrip())
        else:
            parts.append(f"{self.count:,} {self.unit}".rstrip())
        parts.append(f"({rate:,.0f}/s, {elapsed:.1f} s)")
        if self.note:
            parts.append(self.note)
        return " ".join(parts)

    def _draw(self, *, final: bool = False) -> None:
        self.stream.write("\r\x1b[K" + self.line() + ("\n" if final else ""))
        self.stream.flush()
