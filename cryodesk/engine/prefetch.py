"""Fetch the next batches on a background thread while the current one is standardised and stored.

An online import spends most of its time waiting for the rate limiter; standardising and writing a
batch takes about as long as fetching one. Fetching batch i+1 while batch i is written keeps the
requests flowing at the allowed rate. Only the consumer thread touches the project, so checkpoints
still follow the batch order; a fetched batch that is never written (pause, crash) costs nothing
but a cache entry.

The thread is a daemon: a process that exits (or is killed) never waits for a request in flight.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

POLL_INTERVAL_S = 0.2


class PrefetchError(Exception):
    """``fetch`` raised for ``item``; the original exception is ``error`` (and ``__cause__``)."""

    def __init__(self, item: object, error: BaseException) -> None:
        super().__init__(str(error))
        self.item = item
        self.error = error


class Prefetcher(Generic[T, R]):
    """Runs ``fetch`` over ``items`` in order on one thread, at most ``depth`` results ahead.

    Args:
        fetch: called with each item on the background thread.
        items: the work, in the order results are wanted.
        depth: finished results kept waiting for the consumer.
    """

    def __init__(self, fetch: Callable[[T], R], items: Sequence[T], depth: int = 2) -> None:
        self._fetch = fetch
        self._items = list(items)
        self._queue: queue.Queue[tuple[T, R | None, BaseException | None]] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="cryodesk-prefetch", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        for item in self._items:
            if self._stop.is_set():
                return
            try:
                entry: tuple[T, R | None, BaseException | None] = (item, self._fetch(item), None)
            except BaseException as exc:  # handed to the consumer, which decides what it means
                entry = (item, None, exc)
            if not self._put(entry) or entry[2] is not None:
                return

    def _put(self, entry: tuple[T, R | None, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=POLL_INTERVAL_S)
                return True
            except queue.Full:
                continue
        return False

    def results(self, poll: Callable[[], None] | None = None) -> Iterator[tuple[T, R]]:
        """``(item, result)`` in item order.

        Args:
            poll: called while waiting, so a pause or cancel request is seen even when the service
                is slow (it stops the iteration by raising).

        Raises:
            PrefetchError: ``fetch`` failed for an item (results before it were all yielded).
        """
        for _ in self._items:
            while True:
                try:
                    item, result, error = self._queue.get(timeout=POLL_INTERVAL_S)
                    break
                except queue.Empty:
                    if poll is not None:
                        poll()
            if error is not None:
                raise PrefetchError(item, error) from error
            yield item, result  # type: ignore[misc]

    def close(self, timeout: float = 5.0) -> bool:
        """Stop fetching; True when the thread has finished (False: a request is still in flight)."""
        self._stop.set()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        self._thread.join(timeout)
        return not self._thread.is_alive()
