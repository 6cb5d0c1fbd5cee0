"""Progress and cancellation for long jobs, without Qt.

Core functions that take a while (export, import, merge, demo, backup) accept a
:class:`TaskState` and call :meth:`TaskState.report` now and then and
:meth:`TaskState.check` between units of work. The CLI renders it as a progress bar on stderr;
the desktop adapts it to Qt signals and a Cancel button. Tests pass :data:`NULL_TASK` or a
recording subclass.
"""

from __future__ import annotations

import sys
import threading
import time

from i18n.errors import Cancelled


class TaskState:
    """Shared between the worker doing a job and whoever watches it."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.fraction = 0.0
        self.label = ""

    def report(self, fraction: float, label: str = "") -> None:
        """Record progress (0.0 to 1.0) and a short translated label of the current step."""
        self.fraction = max(0.0, min(1.0, fraction))
        if label:
            self.label = label
        self.on_progress(self.fraction, self.label)

    def on_progress(self, fraction: float, label: str) -> None:
        """Hook for subclasses (CLI bar, Qt signal)."""

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancellation was asked for."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop. Call between units of work."""
        if self._cancel.is_set():
            raise Cancelled()


NULL_TASK = TaskState()


class ConsoleTask(TaskState):
    """A progress bar on stderr, drawn only when stderr is a terminal and the job is slow."""

    def __init__(self, stream=None, delay: float = 0.5) -> None:
        super().__init__()
        self._stream = stream or sys.stderr
        self._start = time.monotonic()
        self._delay = delay
        self._last = 0.0
        self._drawn = False

    def on_progress(self, fraction: float, label: str) -> None:
        now = time.monotonic()
        if not self._stream.isatty() or now - self._start < self._delay:
            return
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        width = 30
        filled = int(width * fraction)
        bar = "█" * filled + "░" * (width - filled)
        self._stream.write(f"\r{bar} {fraction * 100:5.1f}% {label[:40]:<40}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line, if one was drawn."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
