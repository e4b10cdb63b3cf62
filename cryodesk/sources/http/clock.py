"""Clocks the HTTP layer reads and sleeps on, injectable so backoff can be tested without waiting.

Everything that waits (rate limiter, retry backoff, ListKey polling, circuit-breaker recovery) goes
through a :class:`Clock`, never through :mod:`time` directly.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """What the HTTP layer needs from time."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale (for intervals)."""
        ...

    def time(self) -> float:
        """Wall-clock seconds since the epoch (for HTTP dates and cache expiry)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` (no-op for values <= 0)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock whose ``sleep`` advances time instantly; for tests of backoff and recovery.

    ``slept`` records every sleep so tests can assert on the delays the code asked for.
    """

    def __init__(self, start: float = 1_000.0, wall_start: float | None = None) -> None:
        self._now = start
        self._start = start
        self._wall_start = time.time() if wall_start is None else wall_start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._wall_start + (self._now - self._start)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(max(0.0, seconds))
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        with self._lock:
            self._now += seconds


SYSTEM_CLOCK = SystemClock()
