"""A real threaded HTTP server on 127.0.0.1 that replays PubChem, ChEMBL and NCBI E-utilities for tests.

It serves the recorded fixtures in their recorded formats, generates format-faithful replies for
other ids, counts (and optionally rejects) requests over a rate limit, injects faults on demand,
and records every request::

    with ReplayServer(rate_limit=5) as server:
        server.faults.queue(Fault.busy(retry_after=1))
        ... client pointed at server.pubchem_base ...
        assert server.violations == 0
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.replay.cactus_routes import route_cactus
from tests.replay.chembl_routes import route_chembl
from tests.replay.cod_routes import route_cod
from tests.replay.ctx_routes import route_ctx
from tests.replay.faults import (
    HTML_ERROR_PAGE,
    PUBCHEM_BUSY_FAULT,
    PUBCHEM_SERVER_ERROR,
    Fault,
    FaultInjector,
    ThrottleControl,
)
from tests.replay.messages import Incoming, RecordedRequest, Reply, parse_incoming
from tests.replay.ncbi_routes import NcbiState, rate_limit_reply, route_ncbi
from tests.replay.opsin_routes import route_opsin
from tests.replay.pubchem_routes import PubChemState, route_pug, route_pug_view

REASONS = {
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Proxy Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
OVER_LIMIT_TAIL = "too many requests per second or blacklisted"


class RateWindow:
    """Counts requests over a limit in any sliding one-second window.

    A request is a violation when, counting itself, more than ``limit`` requests arrived in the
    1.0 s before it: stricter than fixed per-second buckets, so a client that passes here passes
    any per-second counting.
    """

    def __init__(self, limit: float | None = None, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._arrivals: deque[float] = deque()
        self.violations = 0
        self.max_in_window = 0

    def arrive(self, now: float) -> bool:
        """Register one arrival; True if it broke the limit."""
        with self._lock:
            while self._arrivals and self._arrivals[0] <= now - self.window:
                self._arrivals.popleft()
            self._arrivals.append(now)
            in_window = len(self._arrivals)
            self.max_in_window = max(self.max_in_window, in_window)
            if self.limit is not None and in_window > self.limit:
                self.violations += 1
                return True
            return False

    def reset(self) -> None:
        with self._lock:
            self._arrivals.clear()
            self.violations = 0
            self.max_in_window = 0


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not delay stop()
    replay: ReplayServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ReplayServer/1"
    disable_nagle_algorithm = True  # small replies otherwise wait ~40 ms for the delayed ACK
    timeout = 15  # an idle keep-alive connection ends its handler thread
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        replay = self.server.replay
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = replay._record(self.command, self.path, headers, body)
        incoming = parse_incoming(self.command, self.path, headers, body)
        fault = None if record.over_limit and replay.reject_over_limit else replay.faults.next_for(incoming.path)
        record.fault = fault.kind if fault else None
        try:
            if fault is not None and fault.kind == "reset":
                record.status = 0
                self._reset()
                return
            if fault is not None and fault.kind == "stall":
                replay._stopping.wait(fault.seconds)
            reply = replay._reply(incoming, record, fault)
            record.status = reply.status
            self._send(reply, incoming, fault)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (e.g. timed out during a stall)

    def _send(self, reply: Reply, incoming: Incoming, fault: Fault | None) -> None:
        body = reply.body
        declared = len(body)
        if fault is not None and fault.kind == "truncated_json" and reply.status == 200:
            body = body[: max(1, len(body) // 2)]
            declared = len(body)
        elif fault is not None and fault.kind == "truncate":
            body = body[: len(body) // 2]
            self.close_connection = True
        headers = dict(reply.headers)
        # send_response_only: the recorded "server" header (gunicorn for ChEMBL) replaces ours.
        self.send_response_only(reply.status, REASONS.get(reply.status))
        self.send_header("Server", headers.pop("server", self.version_string()))
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(declared))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if incoming.method != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0) and no reply."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class ReplayServer:
    """Local PubChem/ChEMBL replay server.

    Args:
        rate_limit: requests per second allowed (sliding 1 s window); ``None`` = unlimited.
        reject_over_limit: answer over-limit requests like PubChem (503 ServerBusy with
            ``Retry-After`` and a throttling header) instead of only counting them.
        over_limit_retry_after: the ``Retry-After`` seconds of that reply.

    Attributes:
        faults: the :class:`~tests.replay.faults.FaultInjector` control.
        throttle: the :class:`~tests.replay.faults.ThrottleControl` for ``X-Throttling-Control``.
        pubchem: PubChem switches (``smiles_keys``, ``listkey_pending_polls``).
    """

    def __init__(
        self,
        rate_limit: float | None = None,
        *,
        reject_over_limit: bool = True,
        over_limit_retry_after: int = 1,
    ) -> None:
        self.faults = FaultInjector()
        self.throttle = ThrottleControl()
        self.pubchem = PubChemState()
        self.ncbi = NcbiState()
        self.window = RateWindow(rate_limit)
        self.reject_over_limit = reject_over_limit
        self.over_limit_retry_after = over_limit_retry_after
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> ReplayServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.replay = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def pubchem_base(self) -> str:
        return f"{self.url}/rest/pug"

    @property
    def pubchem_view_base(self) -> str:
        return f"{self.url}/rest/pug_view"

    @property
    def chembl_base(self) -> str:
        return f"{self.url}/chembl/api/data"

    @property
    def ncbi_base(self) -> str:
        return f"{self.url}/entrez/eutils"

    def env(self) -> dict[str, str]:
        """Environment variables that point CryoDesk's clients at this server."""
        return {
            "CRYODESK_PUBCHEM_BASE": self.pubchem_base,
            "CRYODESK_PUBCHEM_VIEW_BASE": self.pubchem_view_base,
            "CRYODESK_CHEMBL_BASE": self.chembl_base,
            "CRYODESK_NCBI_BASE": self.ncbi_base,
            "CRYODESK_COMPTOX_BASE": f"{self.url}/ctx",
            "CRYODESK_CACTUS_BASE": f"{self.url}/cactus/chemical/structure",
            "CRYODESK_COD_BASE": f"{self.url}/cod",
            "CRYODESK_OPSIN_BASE": f"{self.url}/opsin",
        }

    # -- control ---------------------------------------------------------------------------
    def set_rate_limit(self, rate: float | None, reject: bool | None = None) -> None:
        self.window.limit = rate
        if reject is not None:
            self.reject_over_limit = reject

    @property
    def violations(self) -> int:
        return self.window.violations

    def reset(self) -> None:
        """Forget requests, faults, throttling colours and violation counts."""
        with self._lock:
            self._log.clear()
        self.faults.clear()
        self.throttle.set("Green")
        self.window.reset()

    # -- the request log -------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def count(self, path_contains: str | None = None) -> int:
        return sum(1 for r in self.requests if path_contains is None or path_contains in r.path)

    def times(self, path_contains: str | None = None) -> list[float]:
        """Arrival times (monotonic seconds) of the matching requests."""
        return [r.t for r in self.requests if path_contains is None or path_contains in r.path]

    def _record(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> RecordedRequest:
        now = time.monotonic()
        over = self.window.arrive(now)
        path, _, query = raw_path.partition("?")
        with self._lock:
            record = RecordedRequest(len(self._log), now, method, path, parse_qs(query), headers, body, over_limit=over)
            self._log.append(record)
        return record

    # -- replies ---------------------------------------------------------------------------
    def _reply(self, incoming: Incoming, record: RecordedRequest, fault: Fault | None) -> Reply:
        service = _service(incoming.path)
        if record.over_limit and self.reject_over_limit:
            reply = self._over_limit_reply(service)
        elif fault is not None and fault.kind == "status":
            reply = self._fault_reply(fault, service)
        else:
            reply = self._route(incoming, service)
        if service == "pubchem":
            colour = fault.colour if fault is not None else None
            reply.headers.setdefault("X-Throttling-Control", self.throttle.header(colour))
        return reply

    def _route(self, incoming: Incoming, service: str) -> Reply:
        segments = incoming.segments
        if segments[:2] == ["rest", "pug"]:
            return route_pug(incoming, self.pubchem)
        if segments[:2] == ["rest", "pug_view"]:
            return route_pug_view(incoming)
        if segments[:3] == ["chembl", "api", "data"]:
            return route_chembl(incoming)
        if segments[:2] == ["entrez", "eutils"]:
            return route_ncbi(incoming, self.ncbi)
        extra = {"ctx": route_ctx, "cactus": route_cactus, "cod": route_cod, "opsin": route_opsin}
        if segments and segments[0] in extra:
            return extra[segments[0]](incoming)
        return Reply(404, b"<html><body><h1>Not Found</h1></body></html>", "text/html")

    def _over_limit_reply(self, service: str) -> Reply:
        headers = {"Retry-After": str(self.over_limit_retry_after)}
        if service == "pubchem":
            headers["X-Throttling-Control"] = self.throttle.header() + ", " + OVER_LIMIT_TAIL
            return Reply(503, PUBCHEM_BUSY_FAULT, "application/json", headers)
        if service == "ncbi":
            return rate_limit_reply(headers)
        return Reply(429, b'{"error": "rate limit exceeded"}', "application/json", headers)

    def _fault_reply(self, fault: Fault, service: str) -> Reply:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.body is not None:
            return Reply(fault.status, fault.body, "application/json", headers)
        # EBI answers 5xx with HTML pages; PubChem usually with a JSON Fault.
        if fault.html or (service == "chembl" and fault.status >= 500):
            reason = REASONS.get(fault.status, "Error")
            page = HTML_ERROR_PAGE.format(status=fault.status, reason=reason).encode()
            return Reply(fault.status, page, "text/html; charset=iso-8859-1", headers)
        if service == "pubchem":
            body = PUBCHEM_BUSY_FAULT if fault.status == 503 else PUBCHEM_SERVER_ERROR
            if 400 <= fault.status < 500:
                body = b'{"Fault": {"Code": "PUGREST.BadRequest", "Message": "Injected client error"}}'
            return Reply(fault.status, body, "application/json", headers)
        return Reply(fault.status, b"", "text/html; charset=utf-8", headers)


def _service(path: str) -> str:
    if path.startswith("/rest/"):
        return "pubchem"
    if path.startswith("/chembl/"):
        return "chembl"
    if path.startswith("/entrez/"):
        return "ncbi"
    return "other"
