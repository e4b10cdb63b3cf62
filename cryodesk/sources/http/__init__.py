"""The HTTP base layer shared by every online source.

Rate limiting (:mod:`.rate_limit`), PubChem-style throttling adaptation (:mod:`.throttling`),
retries with backoff (:mod:`.retry`), circuit breaking (:mod:`.circuit_breaker`), a two-level
response cache (:mod:`.cache`) and the client that composes them (:mod:`.client`).
"""

from __future__ import annotations

from cryodesk.sources.http.cache import (
    CachedResponse,
    CacheStats,
    ResponseCache,
    clear_http_cache,
    make_cache_key,
)
from cryodesk.sources.http.circuit_breaker import BreakerState, BreakerStatus, CircuitBreaker
from cryodesk.sources.http.client import HttpClient, HttpResponse, parse_fault_default
from cryodesk.sources.http.clock import SYSTEM_CLOCK, Clock, SystemClock, VirtualClock
from cryodesk.sources.http.config import DEFAULT_CACHE_TTLS, ServiceConfig, env_base_url, user_agent
from cryodesk.sources.http.metrics import ClientMetrics
from cryodesk.sources.http.rate_limit import LimiterStatus, RateLimiterRegistry, TokenBucket
from cryodesk.sources.http.redact import redact_url
from cryodesk.sources.http.registry import ServiceRegistry, default_registry
from cryodesk.sources.http.retry import RetryPolicy, parse_retry_after
from cryodesk.sources.http.throttling import (
    Colour,
    ThrottleController,
    ThrottlePolicy,
    ThrottleState,
    parse_throttling_control,
)

__all__ = [
    "DEFAULT_CACHE_TTLS",
    "SYSTEM_CLOCK",
    "BreakerState",
    "BreakerStatus",
    "CacheStats",
    "CachedResponse",
    "CircuitBreaker",
    "ClientMetrics",
    "Clock",
    "Colour",
    "HttpClient",
    "HttpResponse",
    "LimiterStatus",
    "RateLimiterRegistry",
    "ResponseCache",
    "RetryPolicy",
    "ServiceConfig",
    "ServiceRegistry",
    "SystemClock",
    "ThrottleController",
    "ThrottlePolicy",
    "ThrottleState",
    "TokenBucket",
    "VirtualClock",
    "clear_http_cache",
    "default_registry",
    "env_base_url",
    "make_cache_key",
    "parse_fault_default",
    "parse_retry_after",
    "parse_throttling_control",
    "redact_url",
    "user_agent",
]
