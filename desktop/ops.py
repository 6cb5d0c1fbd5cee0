"""One way to run slow work off the UI thread: ``run_op``.

Every export, import, merge (and any other job that may take more than a frame) goes through
:func:`run_op`. The work function receives a :class:`kexie.tasks.TaskState` and must not touch
widgets ("may crash Qt"); its result or exception comes back to the UI thread by a queued signal.
Jobs run one at a time on a single worker thread because SQLite has one writer. A progress dialog
appears only when a job takes longer than :data:`SHOW_DELAY_MS`, so quick jobs never flash one;
its Cancel button calls ``task.cancel()``, which the core honours at its next ``task.check()``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from i18n import tr
from i18n.errors import Cancelled
from kexie.tasks import TaskState

SHOW_DELAY_MS = 600


class _Bridge(QObject):
    """Carries a job's progress and outcome from the worker thread to the UI thread.

    Signals:
        progress: (fraction 0..1, label) whenever the rounded percentage or label changes.
        finished: the job's return value.
        failed: the exception it raised (Cancelled included).
    """

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)


class QtTask(TaskState):
    """A :class:`TaskState` whose progress becomes a Qt signal (throttled to whole percents)."""

    def __init__(self, bridge: _Bridge) -> None:
        super().__init__()
        self._bridge = bridge
        self._last: tuple[int, str] | None = None

    def on_progress(self, fraction: float, label: str) -> None:
        key = (int(fraction * 100), label)
        if key != self._last:
            self._last = key
            self._bridge.progress.emit(fraction, label)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskState], Any], task: QtTask, bridge: _Bridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._task, self._bridge = fn, task, bridge

    def run(self) -> None:
        try:
            result = self._fn(self._task)
        except BaseException as exc:
            self._bridge.failed.emit(exc)
        else:
            self._bridge.finished.emit(result)
        finally:
            _queued_done()


_pool: QThreadPool | None = None
_queued = 0
_queued_lock = threading.Lock()


def _queued_add() -> None:
    global _queued
    with _queued_lock:
        _queued += 1


def _queued_done() -> None:
    global _queued
    with _queued_lock:
        _queued = max(0, _queued - 1)


def worker_busy() -> bool:
    """Whether a job is running or waiting on the worker thread."""
    with _queued_lock:
        return _queued > 0


def worker_pool() -> QThreadPool:
    """The single worker thread shared by every job (jobs queue behind each other)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
        _pool.setExpiryTimeout(-1)
    return _pool


_running = 0


def _job_started() -> None:
    # A full (generation 2) collection triggered by the worker's allocations holds the GIL for
    # 60-110 ms with tens of thousands of rows alive, freezing the UI thread. While jobs run,
    # automatic collection pauses: their garbage is freed by reference counting anyway, and
    # whatever cycles remain are collected once the last job has finished.
    global _running
    if _running == 0:
        gc.disable()
    _running += 1


def _job_finished() -> None:
    global _running
    _running = max(0, _running - 1)
    if _running == 0:
        gc.enable()


class Op(QObject):
    """A running job: keep a reference while it runs (``run_op`` does, via its parent).

    Signals:
        done: emitted after ``success`` or ``failure`` ran, with the result or exception.
        progress: forwarded from the worker (fraction, label).
    """

    done = Signal(object)
    progress = Signal(float, str)

    def __init__(
        self,
        parent: QWidget | None,
        fn: Callable[[TaskState], Any],
        *,
        title: str = "",
        success: Callable[[Any], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        show_progress: bool = True,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._success = success
        self._failure = failure
        self._title = title
        self.bridge = _Bridge()
        self.task = QtTask(self.bridge)
        self.dialog: QProgressDialog | None = None
        self._fraction = 0.0
        self._label = ""
        self.bridge.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self.bridge.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self.bridge.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._show_dialog)
        if show_progress:
            self._timer.start(SHOW_DELAY_MS)
        self._runnable = _Runnable(fn, self.task, self.bridge)
        _job_started()
        _queued_add()
        worker_pool().start(self._runnable)

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self.task.cancel()

    def _show_dialog(self) -> None:
        dialog = QProgressDialog(self._parent)
        dialog.setWindowTitle(self._title or tr("ui.progress.title"))
        dialog.setLabelText(self._label or tr("ui.progress.working"))
        dialog.setCancelButtonText(tr("ui.button.cancel"))
        dialog.setRange(0, 1000)
        dialog.setValue(int(self._fraction * 1000))
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self.dialog = dialog

    def _on_progress(self, fraction: float, label: str) -> None:
        self._fraction, self._label = fraction, label or self._label
        if self.dialog is not None:
            self.dialog.setValue(int(fraction * 1000))
            if label:
                self.dialog.setLabelText(label)
        self.progress.emit(fraction, label)

    def _close(self) -> None:
        _job_finished()
        self._timer.stop()
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_finished(self, result: object) -> None:
        self._close()
        try:
            if self._success is not None:
                self._success(result)
        finally:
            self.done.emit(result)
            self.deleteLater()

    def _on_failed(self, exc: BaseException) -> None:
        self._close()
        try:
            if self._failure is not None:
                self._failure(exc)
            elif not isinstance(exc, Cancelled):
                from desktop.errors import show_error

                show_error(self._parent, exc)
        finally:
            self.done.emit(exc)
            self.deleteLater()


def run_op(
    parent: QWidget | None,
    fn: Callable[[TaskState], Any],
    *,
    title: str = "",
    success: Callable[[Any], None] | None = None,
    failure: Callable[[BaseException], None] | None = None,
    show_progress: bool = True,
) -> Op:
    """Run ``fn(task)`` on the worker thread; call ``success(result)`` or ``failure(exc)`` on the
    UI thread. Without ``failure``, errors go to :func:`desktop.errors.show_error` and a
    cancellation passes silently."""
    return Op(
        parent, fn, title=title, success=success, failure=failure, show_progress=show_progress
    )


# -- the single writer ------------------------------------------------------------------------
WRITE_WAIT_S = 30.0  # an idle worker finishes a save in milliseconds; this is a safety net


class _WriteBridge(QObject):
    finished = Signal(object)


class Write:
    """One queued write: ``finished`` once it ran, then ``ok`` and ``result`` or ``error``."""

    def __init__(self, fn: Callable[[Any], Any], done: Any, failed: Any) -> None:
        self.fn, self._done, self._failed = fn, done, failed
        self.finished = False
        self.delivered = False
        self.ok = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.event = threading.Event()

    def deliver(self) -> None:
        """Run the caller's callback on the UI thread (once)."""
        if self.delivered or not self.event.is_set():
            return
        self.delivered = True
        self.finished = True
        if self.ok:
            if self._done is not None:
                self._done(self.result)
        elif self._failed is not None:
            self._failed(self.error)
        else:
            from desktop.errors import show_error

            show_error(None, self.error)  # type: ignore[arg-type]


class _WriteRunnable(QRunnable):
    def __init__(self, store: Any, write: Write, bridge: _WriteBridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._store, self._write, self._bridge = store, write, bridge

    def run(self) -> None:
        w = self._write
        try:
            w.result = w.fn(self._store)
            w.ok = True
        except BaseException as exc:
            w.error = exc
        finally:
            _queued_done()  # before the event: a write asked right after sees an idle worker
            w.event.set()
            self._bridge.finished.emit(w)


class DbWriter(QObject):
    """Every write the UI makes (autosave, finalise, delete, status, settings) runs here: on
    the single worker thread, the store's only writer, in the order asked, queued behind any
    import or merge. The UI thread reads through its own read-only connection.

    ``write(fn, done=..., failed=...)`` runs ``fn(store)`` there. When the worker is idle the
    call waits for it (a save takes milliseconds) and the callback runs before ``write``
    returns, so the page behaves as if the save were immediate; when a job is running it
    returns at once with a pending :class:`Write` whose callback runs on the UI thread when the
    write has been made — after the job, even a cancelled one, has committed or rolled back.

    Signals:
        pending_changed: (number of writes not yet made) whenever it changes.
    """

    pending_changed = Signal(int)

    def __init__(self, store: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._bridge = _WriteBridge()
        self._bridge.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._pending: list[Write] = []
        self._handed_back = False
        # the worker becomes the writer; the built-in forms and their tables are made there
        self.write(lambda s: (s.claim_writer(), s.forms()), failed=_reraise)

    @property
    def pending(self) -> int:
        """Writes asked for and not made yet."""
        return sum(1 for w in self._pending if not w.event.is_set())

    def write(
        self,
        fn: Callable[[Any], Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Write:
        """Run ``fn(store)`` on the writer thread (see the class docstring)."""
        w = Write(fn, done, failed)
        if self._handed_back:
            # the window is going away and the UI thread writes again (e.g. a last edit
            # committed as its box loses focus): make it here, now
            try:
                w.result, w.ok = fn(self.store), True
            except Exception as exc:
                w.error = exc
            w.event.set()
            w.deliver()
            return w
        idle = not worker_busy()
        self._pending.append(w)
        _queued_add()
        worker_pool().start(_WriteRunnable(self.store, w, self._bridge))
        if idle and w.event.wait(WRITE_WAIT_S):
            self._finish(w)
        else:
            self.pending_changed.emit(self.pending)
        return w

    def _on_finished(self, w: Write) -> None:
        self._finish(w)

    def _finish(self, w: Write) -> None:
        if w in self._pending:
            self._pending.remove(w)
        if not w.delivered:
            w.deliver()
            self.pending_changed.emit(self.pending)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Process events until every write asked for has been made and reported (for closing
        the app and for tests). Returns False on timeout."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = QDeadlineTimer(int(timeout * 1000))
        while self._pending or worker_busy():
            if deadline.hasExpired():
                return False
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            worker_pool().waitForDone(10)
        return True

    def hand_back(self, timeout: float = 60.0) -> None:
        """Wait for the queued writes, then make the calling (UI) thread the writer again
        (before the store is closed, or when the window goes away)."""
        self.wait_idle(timeout)
        worker_pool().waitForDone(int(timeout * 1000))
        self.store.claim_writer()
        self._handed_back = True


def _reraise(exc: BaseException) -> None:
    raise exc
