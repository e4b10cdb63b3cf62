"""Structure depictions for table cells and the detail panel: rendered off the GUI thread, cached.

The engine renders PNG bytes (``Workbench.depiction_png``); this module turns them into pixmaps.
Rendering happens on a small private thread pool so a screenful of new structures never starves
the engine's jobs on the global pool, and newest requests are served first: after a fast scroll
the rows now on screen are drawn before the ones that flew past.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QPixmap

log = logging.getLogger(__name__)

RenderFn = Callable[[str, int, int], "bytes | None"]
DepictionKey = tuple[str, int, int]  # smiles, width and height in device pixels

SIZE_STEP = 16  # cell sizes are rounded up to this, so resizing a column does not re-render every pixel
MAX_SIDE = 1200
PENDING_LIMIT = 300  # requests beyond this (rows long scrolled past) are dropped; visible ones come back


def size_bucket(width: int, height: int) -> tuple[int, int]:
    """Round a device-pixel size up to the cache's grid."""

    def up(v: int) -> int:
        return max(SIZE_STEP, min(MAX_SIDE, -(-v // SIZE_STEP) * SIZE_STEP))

    return up(width), up(height)


class _RenderSignals(QObject):
    rendered = Signal(object, object, int)  # key, PNG bytes or None, renderer generation


class _DrainTask(QRunnable):
    """Renders queued requests, newest first, until the queue is empty."""

    def __init__(self, cache: DepictionCache) -> None:
        super().__init__()
        self._cache = cache
        self.signals = cache._signals

    def run(self) -> None:
        while (key := self._cache._next_request()) is not None:
            smiles, width, height = key
            generation = self._cache._generation  # a renderer swapped meanwhile makes this drawing stale
            try:
                data = self._cache._render(smiles, width, height)
            except Exception:  # a broken renderer must cost one warning, not a crash per cell
                if not self._cache._render_error_logged:
                    self._cache._render_error_logged = True
                    log.warning("structure depiction failed; structures are shown as SMILES", exc_info=True)
                data = None
            with self._cache._lock:
                self._cache._undelivered += 1  # counted as pending until the GUI thread has it
            self.signals.rendered.emit(key, data, generation)


class DepictionCache(QObject):
    """Pixmaps of structure depictions keyed by SMILES and device-pixel size, rendered in the background.

    Args:
        render: ``render(smiles, width, height) -> PNG bytes | None`` (the engine's depiction call).
        capacity: pixmaps kept (least recently used go first); a 200x150 pixmap is about 120 kB.
        threads: render threads.

    ``ready(smiles)`` is emitted (in the GUI thread) when a requested depiction arrives, so views
    can repaint.
    """

    ready = Signal(str)

    FAILED = object()  # returned by :meth:`lookup` for structures the engine cannot draw

    def __init__(self, render: RenderFn, capacity: int = 600, threads: int = 1,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._render = render
        self._capacity = capacity
        self._pixmaps: OrderedDict[DepictionKey, QPixmap] = OrderedDict()
        self._failed: set[DepictionKey] = set()
        self._lock = threading.Lock()  # guards _pending and _draining (shared with the render thread)
        self._pending: OrderedDict[DepictionKey, None] = OrderedDict()
        self._draining = False
        self._undelivered = 0  # drawings sent to the GUI thread that it has not handled yet
        self._render_error_logged = False
        self._generation = 0
        self._signals = _RenderSignals()
        self._signals.rendered.connect(self._on_rendered, Qt.ConnectionType.QueuedConnection)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.renders = 0  # depictions delivered (for tests and the log)

    def lookup(self, smiles: str, width: int, height: int, dpr: float = 1.0) -> QPixmap | object | None:
        """The pixmap for ``smiles`` at about ``width`` x ``height`` logical pixels.

        Returns the pixmap, :attr:`FAILED`, or None when it is not ready yet (it is then requested).
        """
        if not smiles:
            return self.FAILED
        w, h = size_bucket(round(width * dpr), round(height * dpr))
        key = (smiles, w, h)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if key in self._failed:
            return self.FAILED
        self._request(key)
        return None

    def pending_count(self) -> int:
        """Drawings asked for and not yet in the cache (queued, being drawn, or on their way)."""
        with self._lock:
            return len(self._pending) + (1 if self._draining else 0) + self._undelivered

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
        self._pixmaps.clear()
        self._failed.clear()

    def set_renderer(self, render: RenderFn) -> None:
        """Draw with ``render`` from now on (e.g. light-on-dark for the dark theme); forgets every pixmap."""
        self._render = render
        self._generation += 1
        self.clear()
        # Drawings in flight were made by the old renderer: they are dropped when they arrive (see
        # _on_rendered), and the views repaint, which asks for new ones.

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Drop queued work and wait for the render thread (call before the application quits)."""
        with self._lock:
            self._pending.clear()
        self.pool.waitForDone(wait_ms)

    # -- internals -----------------------------------------------------------------------------
    def _request(self, key: DepictionKey) -> None:
        with self._lock:
            if key in self._pending:
                self._pending.move_to_end(key)
            else:
                self._pending[key] = None
                while len(self._pending) > PENDING_LIMIT:
                    self._pending.popitem(last=False)
            if self._draining:
                return
            self._draining = True
        self.pool.start(_DrainTask(self))

    def _next_request(self) -> DepictionKey | None:
        # Render thread: newest request first (the rows on screen now).
        with self._lock:
            if not self._pending:
                self._draining = False
                return None
            key, _ = self._pending.popitem(last=True)
            return key

    @Slot(object, object, int)
    def _on_rendered(self, key: DepictionKey, data: bytes | None, generation: int) -> None:
        # GUI thread: QPixmap may only be made here.
        with self._lock:
            self._undelivered -= 1
        if generation != self._generation:
            self.ready.emit(key[0])  # the view repaints and asks again, now of the current renderer
            return
        self.renders += 1
        pixmap = QPixmap()
        if not data or not pixmap.loadFromData(data, "PNG"):
            self._failed.add(key)
        else:
            self._pixmaps[key] = pixmap
            while len(self._pixmaps) > self._capacity:
                self._pixmaps.popitem(last=False)
        self.ready.emit(key[0])
