"""Per-service configuration of the HTTP client: where, how fast, how patient, how long to cache.

Precedence for the base URL: an explicit value, then the environment
(``CRYODESK_<SERVICE>_BASE``, e.g. ``CRYODESK_PUBCHEM_BASE=http://127.0.0.1:8765/rest/pug``), then
the user's settings, then the service default. This is what lets the same client code talk to the
real service or to the local replay server in tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import cryodesk
from cryodesk.sources.http.redact import DEFAULT_SECRET_HEADERS, DEFAULT_SECRET_PARAMS
from cryodesk.sources.http.retry import RetryPolicy
from cryodesk.sources.http.throttling import ThrottlePolicy

if TYPE_CHECKING:
    from cryodesk.config import Settings

DAY = 86_400.0

#: Default cache lifetimes per kind of data (seconds). 0 disables caching of that kind.
DEFAULT_CACHE_TTLS: Mapping[str, float] = MappingProxyType(
    {
        "default": 7 * DAY,
        "properties": 30 * DAY,  # computed properties change only with PubChem's rare recomputes
        "identifiers": 7 * DAY,  # name/InChIKey/SMILES -> ids: new depositions appear
        "synonyms": 30 * DAY,
        "xrefs": 30 * DAY,
        "view": 30 * DAY,  # PUG-View annotations
        "search": 1 * DAY,  # similarity/substructure results
        "molecule": 30 * DAY,
        "activities": 7 * DAY,
        "lookup": 30 * DAY,
        "pending": 0.0,  # ListKey polling replies must never be cached
        "not_found": 1 * DAY,  # negative caching of 404s
    }
)


def env_var_name(service: str, suffix: str = "BASE") -> str:
    """``CRYODESK_<SERVICE>_<SUFFIX>`` with the service upper-cased and non-alphanumerics as ``_``."""
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in service.upper())
    return f"CRYODESK_{cleaned}_{suffix}"


def env_base_url(service: str) -> str | None:
    """The base URL the environment sets for ``service``, if any."""
    value = os.environ.get(env_var_name(service))
    return value.strip() if value and value.strip() else None


def user_agent(contact: str | None = None) -> str:
    """``CryoDesk/<version> (+contact)``: services ask to be able to reach a tool's maintainer."""
    base = f"CryoDesk/{cryodesk.__version__}"
    return f"{base} (+{contact})" if contact else base


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything the base client needs to talk to one service.

    Attributes:
        name: service key (rate-limiter, breaker and cache namespace; env-var prefix).
        base_url: URL that relative request paths are joined to.
        rate: requests per second at full speed (shared by all threads of the process).
        burst: token-bucket capacity (1 = evenly paced).
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for each read of the reply.
        retry: retry/backoff policy.
        breaker_threshold: consecutive failures that open the circuit breaker.
        breaker_recovery: seconds before an open breaker lets a probe through.
        throttle_header: reply header carrying throttling colours (PubChem's
            ``X-Throttling-Control``), or ``None``.
        throttle_policy: how the rate reacts to those colours.
        cache_ttls: lifetime per kind of data; unknown kinds use ``cache_ttls["default"]``.
        pool_size: connections kept per host.
        contact: e-mail or URL put in the User-Agent.
        default_headers: headers sent with every request (e.g. ``Accept``).
        api_key: secret sent with every request (never logged, never in cache keys).
        api_key_param: query parameter that carries ``api_key`` (e.g. NCBI ``api_key``).
        api_key_header: header that carries ``api_key`` (e.g. CompTox ``x-api-key``).
        secret_params: query/form names masked in logs and stripped from cache keys.
        secret_headers: header names masked in logs.
    """

    name: str
    base_url: str
    rate: float = 4.0
    burst: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_threshold: int = 5
    breaker_recovery: float = 30.0
    throttle_header: str | None = None
    throttle_policy: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    cache_ttls: Mapping[str, float] = field(default_factory=lambda: DEFAULT_CACHE_TTLS)
    pool_size: int = 8
    contact: str | None = None
    default_headers: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = field(default=None, repr=False)
    api_key_param: str | None = None
    api_key_header: str | None = None
    secret_params: frozenset[str] = DEFAULT_SECRET_PARAMS
    secret_headers: frozenset[str] = DEFAULT_SECRET_HEADERS

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def user_agent(self) -> str:
        return user_agent(self.contact)

    def ttl(self, kind: str) -> float:
        """Cache lifetime for ``kind`` (falls back to ``"default"``)."""
        if kind in self.cache_ttls:
            return float(self.cache_ttls[kind])
        return float(self.cache_ttls.get("default", DEFAULT_CACHE_TTLS["default"]))

    def with_overrides(self, **changes: object) -> ServiceConfig:
        """A copy with some fields replaced (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def with_environment(self) -> ServiceConfig:
        """A copy whose base URL comes from ``CRYODESK_<NAME>_BASE`` when that is set."""
        base = env_base_url(self.name)
        return replace(self, base_url=base) if base else self

    def with_settings(self, settings: Settings) -> ServiceConfig:
        """A copy carrying the user's base URL, rate limit and contact e-mail for this service.

        The environment still wins over settings for the base URL (tests and CI set it).
        """
        changes: dict[str, object] = {}
        base = settings.service_base_urls.get(self.name)
        if base and not env_base_url(self.name):
            changes["base_url"] = base
        rate = settings.service_rate_limits.get(self.name)
        if rate:
            changes["rate"] = float(rate)
        if settings.contact_email and not self.contact:
            changes["contact"] = settings.contact_email
        return replace(self, **changes) if changes else self  # type: ignore[arg-type]
