"""The background engine adapter: run engine calls on the Qt thread pool and report back by signals.

An engine call is a plain callable ``fn(on_progress, cancel_event)`` (the engine's own progress
callback and a ``threading.Event``), so the same jobs run under the CLI and the tests without Qt.
:class:`EngineTask` wraps one call in a ``QRunnable``; because a ``QRunnable`` is not a ``QObject``,
it owns a separate :class:`WorkerSignals` object that lives in the GUI thread, so every signal
emitted from the worker is delivered to the GUI thread by a queued connection. Workers never touch
a widget.

:class:`TaskSlot` is "one task per view" (Orange3's rule): starting a new task cancels the one
running, and results of a superseded task are dropped instead of reaching the view.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, "int | None", str], None]
TaskFn = Callable[[ProgressFn, threading.Event], Any]

UNKNOWN_TOTAL = -1  # Qt signals carry ints; -1 stands for "total not known" (a busy indicator)
PROGRESS_MIN_INTERVAL_S = 0.05  # at most ~20 updates a second: more is invisible and floods the event loop
# The view hears at most one progress update per this interval (the newest; the first and the final
# one at once): a progress bar's setValue repaints synchronously, so each update costs the GUI thread
# a paint of whatever is dirty in the window. Five a second look smooth and keep that cost flat
# however chatty the job is.
PROGRESS_DELIVERY_MS = 200
_QT_INT_MAX = 2**31 - 1


def show_progress(bar: Any, done: int, total: int) -> bool:
    """Put a task's progress on a QProgressBar; an unknown total makes it a busy indicator.

    Returns whether the total was known (callers word their caption differently).
    """
    if total == UNKNOWN_TOTAL or total <= 0:
        bar.setRange(0, 0)
        return False
    bar.setRange(0, total)
    bar.setValue(min(done, total))
    return True


@dataclass(slots=True)
class ProgressThrottle:
    """Decides whether a progress report would change what the user sees.

    A report is visible when the per-mille position or the message changes; even then reports are
    spaced by ``min_interval`` except the final one (``done >= total``), which always goes out.
    """

    min_interval: float = PROGRESS_MIN_INTERVAL_S
    _last_key: tuple[int, int, str] | None = None
    _last_time: float = field(default=-1e9)

    def visible(self, done: int, total: int | None, message: str) -> bool:
        if total is not None and total > 0:
            key = (min(done, total) * 1000 // total, total, message)
            final = done >= total
        else:
            key = (done, UNKNOWN_TOTAL, message)
            final = False
        if key == self._last_key:
            return False
        now = time.monotonic()
        if not final and now - self._last_time < self.min_interval:
            return False
        self._last_key, self._last_time = key, now
        return True


class WorkerSignals(QObject):
    """Signals of one :class:`EngineTask`; created in (and owned by) the GUI thread."""

    progress = Signal(int, int, str)  # done, total (UNKNOWN_TOTAL when not known), message
    finished = Signal(object)  # the callable's return value
    failed = Signal(str)  # a one-line reason; the traceback goes to the log


class EngineTask(QRunnable):
    """One engine call on a pool thread.

    Args:
        fn: ``fn(on_progress, cancel_event) -> result``; it must poll ``cancel_event`` (engine jobs do).
        name: what the task does, for the log.
    """

    def __init__(self, fn: TaskFn, name: str = "task") -> None:
        super().__init__()
        self.fn = fn
        self.name = name
        self.cancel_event = threading.Event()
        self.signals = WorkerSignals()
        self._throttle = ProgressThrottle()

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def _report(self, done: int, total: int | None, message: str = "") -> None:
        # Called on the worker thread by the engine; emitting from here queues to the GUI thread.
        if self._throttle.visible(done, total, message):
            shown_total = UNKNOWN_TOTAL if total is None else min(int(total), _QT_INT_MAX)
            self.signals.progress.emit(min(int(done), _QT_INT_MAX), shown_total, message or "")

    def run(self) -> None:
        """The pool thread's entry point: run the call and report how it ended."""
        started = time.perf_counter()
        try:
            result = self.fn(self._report, self.cancel_event)
        except Exception as exc:  # the pool thread must never die with an exception; the view must hear of it
            log.error("%s failed:\n%s", self.name, traceback.format_exc())
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        log.debug(
            "%s finished in %.3f s%s",
            self.name,
            time.perf_counter() - started,
            " (cancelled)" if self.cancelled else "",
        )
        self.signals.finished.emit(result)


class TaskSlot(QObject):
    """Runs at most one task for a view; a new start cancels the old one and drops its results.

    Re-emits the current task's signals, so a view connects once to its slot rather than to every
    task. ``running_changed`` tells the view when to show or hide its busy state. Progress is
    coalesced on a timer (``PROGRESS_DELIVERY_MS``): the first report goes out at once, then the
    newest one per interval; a final report (``done >= total``) and the last one before the result
    are never held back.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, name: str, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._pool = pool or QThreadPool.globalInstance()
        self._serial = 0
        self._current: int | None = None
        # Every task that has not reported yet, superseded ones included: their signal objects must
        # stay alive (and die in this thread) until they report, or queued events would be lost.
        # Each task reports to a _Relay child of this slot (not to a lambda): if the view goes away
        # first, Qt drops the relay's pending events instead of calling into a deleted object.
        self._tasks: dict[int, EngineTask] = {}
        self._held_progress: tuple[int, int, str] | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELIVERY_MS)
        self._progress_timer.timeout.connect(self._deliver_held_progress)

    @property
    def running(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> EngineTask | None:
        return None if self._current is None else self._tasks.get(self._current)

    def start(self, fn: TaskFn, name: str | None = None) -> EngineTask:
        """Start ``fn`` on the pool, cancelling (and silencing) the task this slot was running."""
        was_running = self._current is not None
        self._retire_current()
        self._serial += 1
        serial = self._serial
        task = EngineTask(fn, name or self.name)
        relay = _Relay(self, serial)
        sig = task.signals
        queued = Qt.ConnectionType.QueuedConnection
        sig.progress.connect(relay.on_progress, queued)
        sig.finished.connect(relay.on_finished, queued)
        sig.failed.connect(relay.on_failed, queued)
        self._tasks[serial] = task
        self._current = serial
        self._pool.start(task)  # the pool deletes the runnable after run(); we keep its Python side
        if not was_running:
            self.running_changed.emit(True)
        return task

    def cancel(self) -> None:
        """Ask the running task to stop; its result (usually a cancelled outcome) is still delivered."""
        task = self.current
        if task is not None:
            task.cancel()

    def discard(self) -> None:
        """Cancel the running task and drop anything it still reports."""
        if self._current is not None:
            self._retire_current()
            self.running_changed.emit(False)

    def pending(self) -> int:
        """Tasks started here that have not reported yet (superseded ones included)."""
        return len(self._tasks)

    def _retire_current(self) -> None:
        task = self.current
        if task is not None:
            task.cancel()
        self._current = None
        self._held_progress = None  # a superseded task's progress must not reach the view

    def _on_progress(self, serial: int, done: int, total: int, message: str) -> None:
        if serial != self._current:
            return
        final = total > 0 and done >= total
        if final or not self._progress_timer.isActive():
            self._held_progress = None
            self.progress.emit(done, total, message)
            self._progress_timer.start()  # the next one waits at least an interval
        else:
            self._held_progress = (done, total, message)

    def _deliver_held_progress(self) -> None:
        held, self._held_progress = self._held_progress, None
        if held is not None and self._current is not None:
            self.progress.emit(*held)
            self._progress_timer.start()

    def _on_finished(self, serial: int, result: object) -> None:
        if self._end(serial):
            self.finished.emit(result)

    def _on_failed(self, serial: int, error: str) -> None:
        if self._end(serial):
            self.failed.emit(error)

    def _end(self, serial: int) -> bool:
        """Forget task ``serial``; True when it is the current one (its result is wanted)."""
        # Drop the last reference on a later turn of the event loop, not inside its own emission.
        QTimer.singleShot(0, self, lambda: self._tasks.pop(serial, None))
        if serial != self._current:
            return False
        self._deliver_held_progress()  # the newest position before the result, as the task reported it
        self._progress_timer.stop()
        self._current = None
        self.running_changed.emit(False)
        return True


class _Relay(QObject):
    """Receives one task's queued signals in the GUI thread and hands them to its slot with the serial."""

    def __init__(self, slot: TaskSlot, serial: int) -> None:
        super().__init__(slot)
        self._slot = slot
        self._serial = serial

    @Slot(int, int, str)
    def on_progress(self, done: int, total: int, message: str) -> None:
        self._slot._on_progress(self._serial, done, total, message)

    @Slot(object)
    def on_finished(self, result: object) -> None:
        self.deleteLater()
        self._slot._on_finished(self._serial, result)

    @Slot(str)
    def on_failed(self, error: str) -> None:
        self.deleteLater()
        self._slot._on_failed(self._serial, error)
