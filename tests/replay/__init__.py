"""A local replay server for offline tests of the online sources.

``ReplayServer`` (a real threaded HTTP server on 127.0.0.1) serves the recorded fixtures of
``../shared/fixtures`` (``CRYODESK_FIXTURES`` overrides), generated replies in the same formats,
rate-limit accounting and injected faults. ``tests.replay.plugin`` holds the pytest fixtures.
"""

from __future__ import annotations

from tests.replay.faults import Fault, FaultInjector, ThrottleControl
from tests.replay.messages import RecordedRequest
from tests.replay.server import RateWindow, ReplayServer

__all__ = ["Fault", "FaultInjector", "RateWindow", "RecordedRequest", "ReplayServer", "ThrottleControl"]
