"""Fixtures for the sources tests: the replay server, isolated HTTP state, a virtual clock.

The replay server is the only fake: every test talks real HTTP to 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cryodesk.sources.http import HttpClient, ServiceConfig, ServiceRegistry, VirtualClock
from cryodesk.sources.http.retry import RetryPolicy
from tests.replay.plugin import replay_env, replay_server

__all__ = ["replay_env", "replay_server"]


@pytest.fixture(autouse=True)
def _no_base_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Base URLs come from each test, never from the developer's environment.

    (``CRYODESK_HOME`` is already isolated per test by ``tests/conftest.py``.)
    """
    for name in ("CRYODESK_PUBCHEM_BASE", "CRYODESK_PUBCHEM_VIEW_BASE", "CRYODESK_CHEMBL_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def registry() -> ServiceRegistry:
    """Fresh per-service limiters and breakers, so tests do not share rate or breaker state."""
    return ServiceRegistry()


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def make_http(registry: ServiceRegistry) -> Iterator[Callable[..., HttpClient]]:
    """Build an :class:`HttpClient` for a base URL with test-friendly defaults (no cache, fast)."""
    clients: list[HttpClient] = []

    def build(base_url: str, *, name: str = "svc", retry: RetryPolicy | None = None, **options: Any) -> HttpClient:
        config_fields = {k: options.pop(k) for k in list(options) if k in ServiceConfig.__dataclass_fields__}
        config = ServiceConfig(
            name=name,
            base_url=base_url,
            rate=config_fields.pop("rate", 200.0),
            read_timeout=config_fields.pop("read_timeout", 5.0),
            connect_timeout=config_fields.pop("connect_timeout", 2.0),
            retry=retry or RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2),
            **config_fields,
        )
        options.setdefault("cache", False)
        client = HttpClient(config, registry=registry, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
