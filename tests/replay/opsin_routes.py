"""OPSIN web-service routes of the replay server (``/opsin/{name}.json``).

Recorded replies for ``Octane`` and ``cyclopropane`` (``fixtures/opsin``). Any other name gets the
failure form the documentation describes (HTTP 404, ``"status": "FAILURE"``): that shape is
unverified, no failure reply was recorded.
"""

from __future__ import annotations

from tests.replay.messages import Incoming, Reply, json_reply
from tests.replay.recorded import fixture_bytes

RECORDED = {"octane": "opsin_Octane.json", "cyclopropane": "opsin_cyclopropane.json"}


def route_opsin(request: Incoming) -> Reply:
    parts = request.segments[1:]
    if len(parts) != 1 or not parts[0].endswith(".json"):
        return Reply(404, b"", "text/plain")
    name = parts[0].removesuffix(".json")
    recorded = RECORDED.get(name.lower())
    if recorded:
        return Reply(200, fixture_bytes("opsin", recorded), "application/json")
    return json_reply({"status": "FAILURE", "message": f"{name} is unparsable"}, 404)
