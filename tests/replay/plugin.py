"""pytest fixtures for the replay server.

Register with ``pytest_plugins = ["tests.replay.plugin"]`` in the top-level ``tests/conftest.py``
(``tests/sources/conftest.py`` imports them directly meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replay.server import ReplayServer


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A started replay server, no rate limit, no faults; stopped after the test."""
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def replay_env(replay_server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    """The replay server with ``CRYODESK_<SERVICE>_BASE`` pointing every client at it."""
    for name, value in replay_server.env().items():
        monkeypatch.setenv(name, value)
    return replay_server
