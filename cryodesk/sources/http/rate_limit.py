"""Token-bucket rate limiting shared by every thread of the process, one bucket per service.

Services limit a *user*, not a thread, so all clients of one service in this process must draw
from the same bucket: :class:`RateLimiterRegistry` hands out one :class:`TokenBucket` per service
name. The bucket also carries the adaptive part of the rate (a factor in ``(0, 1]`` that the
throttling controller lowers on Yellow/Red) and a pause (Black, ``Retry-After``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryodesk.sources.http.clock import SYSTEM_CLOCK, Clock

MIN_FACTOR = 0.01
# Float slack: a deficit this small counts as a whole token, and no wait is shorter than
# MIN_WAIT, so accumulated rounding can never make the wait loop spin without progress.
EPSILON = 1e-9
MIN_WAIT = 1e-4


@dataclass(frozen=True, slots=True)
class LimiterStatus:
    """A snapshot of one bucket, for progress displays and job metrics."""

    service: str
    base_rate: float
    factor: float
    effective_rate: float
    paused_for: float


class TokenBucket:
    """A thread-safe token bucket.

    Args:
        rate: tokens (requests) per second at full speed.
        burst: bucket capacity. 1 paces requests evenly, which is what a "N per second"
            limit measured over a sliding window needs; larger values allow short bursts.
        clock: time source (a :class:`~cryodesk.sources.http.clock.VirtualClock` in tests).
        service: name used in status snapshots.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Clock | None = None, service: str = "") -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._base_rate = float(rate)
        self._burst = max(1.0, float(burst))
        self._factor = 1.0
        self._tokens = self._burst
        self._updated = self._clock.monotonic()
        self._paused_until = 0.0
        self.service = service

    # -- configuration -------------------------------------------------------------------
    @property
    def base_rate(self) -> float:
        return self._base_rate

    @property
    def factor(self) -> float:
        return self._factor

    @property
    def effective_rate(self) -> float:
        return self._base_rate * self._factor

    def set_rate(self, rate: float, burst: float | None = None) -> None:
        """Change the full-speed rate (and optionally the burst) without losing accrued tokens."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        with self._lock:
            self._refill(self._clock.monotonic())
            self._base_rate = float(rate)
            if burst is not None:
                self._burst = max(1.0, float(burst))
                self._tokens = min(self._tokens, self._burst)

    def set_factor(self, factor: float) -> None:
        """Scale the rate by ``factor`` (clamped to ``[MIN_FACTOR, 1]``)."""
        with self._lock:
            self._refill(self._clock.monotonic())
            self._factor = min(1.0, max(MIN_FACTOR, float(factor)))

    def pause_for(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` from now (extends, never shortens, a running pause)."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock.monotonic()
            self._paused_until = max(self._paused_until, now + seconds)
            # A paused service should not see a burst of saved-up tokens when the pause ends.
            self._tokens = min(self._tokens, 1.0)

    def status(self) -> LimiterStatus:
        with self._lock:
            now = self._clock.monotonic()
            return LimiterStatus(
                service=self.service,
                base_rate=self._base_rate,
                factor=self._factor,
                effective_rate=self._base_rate * self._factor,
                paused_for=max(0.0, self._paused_until - now),
            )

    # -- acquiring -----------------------------------------------------------------------
    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - max(self._updated, self._paused_until))
        self._tokens = min(self._burst, self._tokens + elapsed * self._base_rate * self._factor)
        self._updated = max(self._updated, now)

    def _reserve(self) -> float:
        """Take a token if one is there (returns 0) or say how long to wait before trying again."""
        with self._lock:
            now = self._clock.monotonic()
            if now < self._paused_until:
                return self._paused_until - now
            self._refill(now)
            if self._tokens >= 1.0 - EPSILON:
                self._tokens = max(0.0, self._tokens - 1.0)
                return 0.0
            return max(MIN_WAIT, (1.0 - self._tokens) / (self._base_rate * self._factor))

    def try_acquire(self) -> bool:
        """Take a token without waiting; False when none is available."""
        return self._reserve() == 0.0

    def acquire(self, timeout: float | None = None) -> float:
        """Wait for a token and take it.

        Args:
            timeout: give up after this many seconds (``None`` waits as long as needed).

        Returns:
            The seconds spent waiting.

        Raises:
            TimeoutError: no token became available within ``timeout``.
        """
        start = self._clock.monotonic()
        while True:
            wait = self._reserve()
            if wait == 0.0:
                return self._clock.monotonic() - start
            if timeout is not None and self._clock.monotonic() - start + wait > timeout:
                raise TimeoutError(f"no {self.service or 'rate-limit'} token within {timeout:.1f} s")
            # Sleep in slices so a rate change (recovery, new settings) takes effect promptly.
            self._clock.sleep(min(wait, 0.25))


class RateLimiterRegistry:
    """One :class:`TokenBucket` per service name, shared by whoever asks with the same name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def get(self, service: str, rate: float, burst: float = 1.0, clock: Clock | None = None) -> TokenBucket:
        """Return the service's bucket, creating it on first use.

        A later call with a different ``rate``/``burst`` updates the shared bucket (the newest
        configuration wins), so changing the settings at run time needs no restart.
        """
        with self._lock:
            bucket = self._buckets.get(service)
            if bucket is None:
                bucket = TokenBucket(rate, burst, clock=clock, service=service)
                self._buckets[service] = bucket
            elif bucket.base_rate != rate:
                bucket.set_rate(rate, burst)
            return bucket

    def statuses(self) -> list[LimiterStatus]:
        with self._lock:
            buckets = list(self._buckets.values())
        return [b.status() for b in buckets]

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
