"""Counters of one HTTP client, snapshotted as a plain dataclass that jobs record."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ClientMetrics:
    """What one client did since it was created (or between two snapshots, see :meth:`delta`).

    Attributes:
        service: service name.
        requests_sent: HTTP requests that left the process (cache hits excluded).
        responses: replies received (any status).
        retries: attempts repeated after a transient failure.
        transient_failures: attempts that failed in a retryable way (5xx, 429, timeout,
            connection reset, truncated or non-JSON body).
        errors: calls that ended in an error (after any retries); 404s are counted apart.
        not_found: calls answered 404 (a normal "no result" for most services).
        throttle_events: replies per throttling colour other than Green ("Yellow", "Red", "Black").
        breaker_openings: times this client's failures opened the service's circuit breaker.
        breaker_rejections: calls refused because the breaker was open.
        cache_hits: calls answered from the cache.
        cache_misses: cacheable calls that had to go to the service.
        rate_wait_seconds: time spent waiting for rate-limiter tokens.
        retry_wait_seconds: time spent in backoff / Retry-After waits.
        bytes_received: body bytes received from the network.
    """

    service: str
    requests_sent: int = 0
    responses: int = 0
    retries: int = 0
    transient_failures: int = 0
    errors: int = 0
    not_found: int = 0
    throttle_events: Mapping[str, int] = field(default_factory=dict)
    breaker_openings: int = 0
    breaker_rejections: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    rate_wait_seconds: float = 0.0
    retry_wait_seconds: float = 0.0
    bytes_received: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the job record and ``cryodesk jobs show``)."""
        data = asdict(self)
        data["throttle_events"] = dict(self.throttle_events)
        return data

    def delta(self, earlier: ClientMetrics) -> ClientMetrics:
        """This snapshot minus an earlier one of the same client: what happened in between."""
        colours = set(self.throttle_events) | set(earlier.throttle_events)
        events = {c: self.throttle_events.get(c, 0) - earlier.throttle_events.get(c, 0) for c in colours}
        return ClientMetrics(
            service=self.service,
            requests_sent=self.requests_sent - earlier.requests_sent,
            responses=self.responses - earlier.responses,
            retries=self.retries - earlier.retries,
            transient_failures=self.transient_failures - earlier.transient_failures,
            errors=self.errors - earlier.errors,
            not_found=self.not_found - earlier.not_found,
            throttle_events={c: n for c, n in events.items() if n},
            breaker_openings=self.breaker_openings - earlier.breaker_openings,
            breaker_rejections=self.breaker_rejections - earlier.breaker_rejections,
            cache_hits=self.cache_hits - earlier.cache_hits,
            cache_misses=self.cache_misses - earlier.cache_misses,
            rate_wait_seconds=self.rate_wait_seconds - earlier.rate_wait_seconds,
            retry_wait_seconds=self.retry_wait_seconds - earlier.retry_wait_seconds,
            bytes_received=self.bytes_received - earlier.bytes_received,
        )


class MetricsRecorder:
    """Thread-safe mutable counters behind :class:`ClientMetrics`."""

    _COUNTERS = (
        "requests_sent",
        "responses",
        "retries",
        "transient_failures",
        "errors",
        "not_found",
        "breaker_openings",
        "breaker_rejections",
        "cache_hits",
        "cache_misses",
        "bytes_received",
    )

    def __init__(self, service: str) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._throttle: Counter[str] = Counter()
        self._rate_wait = 0.0
        self._retry_wait = 0.0

    def add(self, name: str, amount: int = 1) -> None:
        if name not in self._COUNTERS:
            raise KeyError(name)
        with self._lock:
            self._counts[name] += amount

    def throttle_event(self, colour: str) -> None:
        with self._lock:
            self._throttle[colour] += 1

    def waited(self, *, rate: float = 0.0, retry: float = 0.0) -> None:
        with self._lock:
            self._rate_wait += rate
            self._retry_wait += retry

    def snapshot(self) -> ClientMetrics:
        with self._lock:
            counts = {name: self._counts[name] for name in self._COUNTERS}
            return ClientMetrics(
                service=self.service,
                throttle_events=dict(self._throttle),
                rate_wait_seconds=self._rate_wait,
                retry_wait_seconds=self._retry_wait,
                **counts,
            )
