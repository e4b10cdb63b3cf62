"""Fault injection and throttling-header control for the replay server.

Tests steer the server through plain Python objects::

    server.faults.queue(Fault.busy(retry_after=1, colour="Black"), times=2)
    server.faults.random(rate=0.2, seed=7)          # mixed faults on 20 % of requests
    server.throttle.set("Yellow")                   # X-Throttling-Control on every PubChem reply
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Fault kinds. ``status``: an error status with a JSON or HTML body; ``stall``: no reply for
#: ``seconds`` (past the client's timeout), then the normal reply; ``truncate``: the headers
#: promise the whole body, half of it is sent and the connection closed; ``truncated_json``: a
#: well-framed 200 whose JSON body is cut; ``reset``: the connection is reset (TCP RST) unanswered.
FAULT_KINDS = ("status", "stall", "truncate", "truncated_json", "reset")

HTML_ERROR_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{status} {reason}</title>\n"
    "</head><body>\n<h1>{reason}</h1>\n<p>The server is temporarily unable to service your request.</p>\n"
    "</body></html>\n"
)

PUBCHEM_BUSY_FAULT = b'{"Fault": {"Code": "PUGREST.ServerBusy", "Message": "Too many requests or server too busy"}}'
PUBCHEM_SERVER_ERROR = b'{"Fault": {"Code": "PUGREST.ServerError", "Message": "Internal server error"}}'


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.

    Attributes:
        kind: one of :data:`FAULT_KINDS`.
        status: HTTP status for ``status`` faults.
        html: send an HTML error page instead of a JSON body.
        body: explicit body (overrides the default for the status).
        retry_after: ``Retry-After`` header value (seconds, or an HTTP date string).
        colour: throttling colour put in ``X-Throttling-Control`` (Request Count) for this reply.
        seconds: stall duration.
    """

    kind: str = "status"
    status: int = 503
    html: bool = False
    body: bytes | None = None
    retry_after: str | None = None
    colour: str | None = None
    seconds: float = 0.0

    @staticmethod
    def busy(retry_after: float | str | None = 1, colour: str | None = "Red", html: bool = False) -> Fault:
        """PubChem's over-limit reply: 503 ServerBusy, ``Retry-After``, throttling colours."""
        ra = None if retry_after is None else str(retry_after)
        return Fault("status", 503, html=html, retry_after=ra, colour=colour)

    @staticmethod
    def server_error(status: int = 500, html: bool = False) -> Fault:
        return Fault("status", status, html=html)

    @staticmethod
    def html_page(status: int = 502) -> Fault:
        return Fault("status", status, html=True)

    @staticmethod
    def rate_limited(retry_after: float | str | None = 1) -> Fault:
        return Fault("status", 429, retry_after=None if retry_after is None else str(retry_after))

    @staticmethod
    def stall(seconds: float) -> Fault:
        return Fault("stall", seconds=seconds)

    @staticmethod
    def truncate() -> Fault:
        return Fault("truncate", 200)

    @staticmethod
    def truncated_json() -> Fault:
        return Fault("truncated_json", 200)

    @staticmethod
    def reset() -> Fault:
        return Fault("reset", 0)

    @staticmethod
    def client_error(status: int = 400, body: bytes | None = None) -> Fault:
        return Fault("status", status, body=body)


#: The mix used by ``FaultInjector.random`` unless told otherwise.
def default_mix(stall_seconds: float = 1.0) -> tuple[Fault, ...]:
    return (
        Fault.busy(retry_after=1, colour="Yellow"),
        Fault.server_error(500),
        Fault.html_page(502),
        Fault.stall(stall_seconds),
        Fault.truncate(),
        Fault.truncated_json(),
        Fault.reset(),
    )


Matcher = Callable[[str, str], bool]


@dataclass
class _Queued:
    fault: Fault
    remaining: int
    match: str | None


@dataclass
class FaultInjector:
    """Decides, request by request, whether (and how) to misbehave. Thread-safe."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queue: deque[_Queued] = field(default_factory=deque)
    _rate: float = 0.0
    _mix: tuple[Fault, ...] = ()
    _rng: random.Random = field(default_factory=random.Random)
    _match: str | None = None
    _cycle: bool = False
    _turn: int = 0
    injected: list[Fault] = field(default_factory=list)

    def queue(self, fault: Fault, times: int = 1, match: str | None = None) -> None:
        """Apply ``fault`` to the next ``times`` requests (whose path contains ``match``, if given)."""
        with self._lock:
            self._queue.append(_Queued(fault, times, match))

    def random(
        self,
        rate: float,
        seed: int = 0,
        mix: Sequence[Fault] | None = None,
        match: str | None = None,
        cycle: bool = False,
    ) -> None:
        """Misbehave on a fraction ``rate`` of requests (seeded RNG).

        The fault is drawn from ``mix`` at random, or taken from it in turn with ``cycle=True``
        (so a short run still meets every kind).
        """
        with self._lock:
            self._rate = rate
            self._mix = tuple(mix or default_mix())
            self._rng = random.Random(seed)
            self._match = match
            self._cycle = cycle
            self._turn = 0

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._rate = 0.0
            self._mix = ()
            self.injected.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(q.remaining for q in self._queue)

    def next_for(self, path: str) -> Fault | None:
        """The fault for a request to ``path``, consuming a queued one if it matches."""
        with self._lock:
            for item in self._queue:
                if item.match is None or item.match in path:
                    item.remaining -= 1
                    if item.remaining <= 0:
                        self._queue.remove(item)
                    self.injected.append(item.fault)
                    return item.fault
            if self._rate > 0 and (self._match is None or self._match in path):
                if self._rng.random() < self._rate:
                    if self._cycle:
                        fault = self._mix[self._turn % len(self._mix)]
                        self._turn += 1
                    else:
                        fault = self._rng.choice(self._mix)
                    self.injected.append(fault)
                    return fault
        return None


PERCENT = {"Green": 10, "Yellow": 60, "Red": 85, "Black": 100}


@dataclass
class ThrottleControl:
    """The colours the server reports in ``X-Throttling-Control`` on PubChem replies."""

    count: str = "Green"
    time: str = "Green"
    service: str = "Green"
    tail: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, count: str = "Green", time: str | None = None, service: str | None = None, tail: str = "") -> None:
        """Set the colours of later replies (``time``/``service`` default to Green)."""
        with self._lock:
            self.count = count
            self.time = time or "Green"
            self.service = service or "Green"
            self.tail = tail

    def header(self, count_override: str | None = None) -> str:
        with self._lock:
            count = count_override or self.count
            parts = [
                f"Request Count status: {count} ({PERCENT[count]}%)",
                f"Request Time status: {self.time} ({PERCENT[self.time] // 2}%)",
                f"Service status: {self.service} ({PERCENT[self.service] // 2}%)",
            ]
            text = ", ".join(parts)
            return f"{text}, {self.tail}" if self.tail else text
