"""Process-wide, per-service shared state: rate limiters and circuit breakers.

Limits apply to the user, not to one client object, so every client of a service in this
process must share one token bucket and one breaker. Tests create their own
:class:`ServiceRegistry` to stay independent of each other.
"""

from __future__ import annotations

import threading

from cryodesk.sources.http.circuit_breaker import BreakerRegistry, BreakerStatus, CircuitBreaker
from cryodesk.sources.http.clock import Clock
from cryodesk.sources.http.rate_limit import LimiterStatus, RateLimiterRegistry, TokenBucket


class ServiceRegistry:
    """Shared rate limiters and circuit breakers, keyed by service name."""

    def __init__(self) -> None:
        self.limiters = RateLimiterRegistry()
        self.breakers = BreakerRegistry()

    def limiter(self, service: str, rate: float, burst: float = 1.0, clock: Clock | None = None) -> TokenBucket:
        return self.limiters.get(service, rate, burst, clock)

    def breaker(
        self, service: str, failure_threshold: int = 5, recovery_time: float = 30.0, clock: Clock | None = None
    ) -> CircuitBreaker:
        return self.breakers.get(service, failure_threshold, recovery_time, clock)

    def breaker_statuses(self) -> list[BreakerStatus]:
        """Every service's breaker state, for a status bar."""
        return self.breakers.statuses()

    def limiter_statuses(self) -> list[LimiterStatus]:
        return self.limiters.statuses()


_DEFAULT: ServiceRegistry | None = None
_DEFAULT_LOCK = threading.Lock()


def default_registry() -> ServiceRegistry:
    """The process-wide registry every client uses unless given another."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ServiceRegistry()
        return _DEFAULT
