"""A circuit breaker per service: stop calling a service that keeps failing, probe it later.

States: CLOSED (calls flow), OPEN (calls fail fast until ``recovery_time`` has passed) and
HALF_OPEN (one probe call is let through; its success closes the breaker, its failure opens it
again). The state is observable through :meth:`CircuitBreaker.status` and an optional listener,
so the engine and the GUI can show "PubChem unavailable, retrying in 25 s".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryodesk.sources.http.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """A snapshot of a breaker.

    Attributes:
        service: service name.
        state: closed, open or half-open.
        consecutive_failures: failures since the last success.
        openings: how many times the breaker has opened since it was created.
        retry_in: seconds until an open breaker lets a probe through (0 otherwise).
        last_outcome_at: Unix time of the last success or failure recorded, None if the breaker has
            seen no call yet (a reader comparing breakers of several processes needs to know which
            one actually saw the service last).
    """

    service: str
    state: BreakerState
    consecutive_failures: int
    openings: int
    retry_in: float
    last_outcome_at: float | None = None


BreakerListener = Callable[[BreakerStatus], None]


class CircuitBreaker:
    """Thread-safe circuit breaker.

    Args:
        service: service name (for status and messages).
        failure_threshold: consecutive failures that open the breaker.
        recovery_time: seconds an open breaker waits before letting a probe through.
        clock: time source.
        listener: called with the new status on every state change (outside the lock).
    """

    def __init__(
        self,
        service: str,
        failure_threshold: int = 5,
        recovery_time: float = 30.0,
        clock: Clock | None = None,
        listener: BreakerListener | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.service = service
        self.failure_threshold = failure_threshold
        self.recovery_time = recovery_time
        self._clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._openings = 0
        self._opened_at = 0.0
        self._probe_started: float | None = None
        self._last_outcome_at: float | None = None
        self._listeners: list[BreakerListener] = [listener] if listener else []

    def add_listener(self, listener: BreakerListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: BreakerListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # -- queries ---------------------------------------------------------------------------
    def _status_locked(self, now: float) -> BreakerStatus:
        retry_in = 0.0
        if self._state is BreakerState.OPEN:
            retry_in = max(0.0, self._opened_at + self.recovery_time - now)
        return BreakerStatus(self.service, self._state, self._failures, self._openings, retry_in, self._last_outcome_at)

    def status(self) -> BreakerStatus:
        with self._lock:
            return self._status_locked(self._clock.monotonic())

    @property
    def state(self) -> BreakerState:
        return self.status().state

    # -- transitions -----------------------------------------------------------------------
    def allow(self) -> tuple[bool, float]:
        """Ask to make a call.

        Returns:
            ``(True, 0)`` when the call may go ahead (possibly as the half-open probe), or
            ``(False, seconds)`` with the time until a probe will be allowed.
        """
        changed: BreakerStatus | None = None
        with self._lock:
            now = self._clock.monotonic()
            if self._state is BreakerState.CLOSED:
                return True, 0.0
            if self._state is BreakerState.OPEN:
                wait = self._opened_at + self.recovery_time - now
                if wait > 0:
                    return False, wait
                self._state = BreakerState.HALF_OPEN
                self._probe_started = now
                changed = self._status_locked(now)
                allowed = (True, 0.0)
            # HALF_OPEN: only one probe at a time; a probe that never reported back (its thread
            # died) is considered lost after recovery_time, so the breaker cannot wedge.
            elif self._probe_started is not None and now - self._probe_started < self.recovery_time:
                return False, self.recovery_time - (now - self._probe_started)
            else:
                self._probe_started = now
                allowed = (True, 0.0)
        if changed:
            self._notify(changed)
        return allowed

    def record_success(self) -> None:
        changed: BreakerStatus | None = None
        with self._lock:
            was = self._state
            self._failures = 0
            self._last_outcome_at = self._clock.time()
            self._probe_started = None
            if was is not BreakerState.CLOSED:
                self._state = BreakerState.CLOSED
                changed = self._status_locked(self._clock.monotonic())
        if changed:
            log.info("%s circuit closed again", self.service)
            self._notify(changed)

    def record_failure(self) -> bool:
        """Count a failure. Returns True if this failure opened the breaker."""
        changed: BreakerStatus | None = None
        with self._lock:
            now = self._clock.monotonic()
            self._failures += 1
            self._last_outcome_at = self._clock.time()
            reopen = self._state is BreakerState.HALF_OPEN
            if reopen or (self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold):
                self._state = BreakerState.OPEN
                self._opened_at = now
                self._openings += 1
                self._probe_started = None
                changed = self._status_locked(now)
        if changed:
            log.warning(
                "%s circuit opened after %d consecutive failures; next probe in %.1f s",
                self.service,
                changed.consecutive_failures,
                changed.retry_in,
            )
            self._notify(changed)
            return True
        return False

    def reset(self) -> None:
        """Close the breaker and forget failures (e.g. the user pressed "retry now")."""
        with self._lock:
            was = self._state
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probe_started = None
            changed = self._status_locked(self._clock.monotonic())
        if was is not BreakerState.CLOSED:
            self._notify(changed)

    def _notify(self, status: BreakerStatus) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # a broken GUI callback must not break the import
                log.exception("circuit-breaker listener failed")


class BreakerRegistry:
    """One :class:`CircuitBreaker` per service name, shared by all clients of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(
        self, service: str, failure_threshold: int = 5, recovery_time: float = 30.0, clock: Clock | None = None
    ) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(service)
            if breaker is None:
                breaker = CircuitBreaker(service, failure_threshold, recovery_time, clock=clock)
                self._breakers[service] = breaker
            return breaker

    def statuses(self) -> list[BreakerStatus]:
        with self._lock:
            breakers = list(self._breakers.values())
        return [b.status() for b in breakers]

    def clear(self) -> None:
        with self._lock:
            self._breakers.clear()
