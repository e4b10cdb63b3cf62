"""The base HTTP client every online source is built on.

One :class:`HttpClient` per service. Each call goes through, in order: the two-level cache, the
service's circuit breaker, the service's shared token bucket, the request itself (always with a
timeout), throttling-header adaptation, and classification of the outcome:

* 2xx with the expected body: success (cached for the kind's TTL);
* 404: :class:`~cryodesk.sources.errors.NotFoundError` (negatively cached), which service clients
  turn into an empty result;
* other 4xx except 408/425/429: :class:`~cryodesk.sources.errors.RequestRejectedError`, no retry;
* 429, 5xx, timeouts, connection errors, truncated or unparsable bodies: retried with exponential
  backoff and full jitter (or ``Retry-After``), then
  :class:`~cryodesk.sources.errors.RetriesExhaustedError`.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from cryodesk.sources.errors import (
    CircuitOpenError,
    NotFoundError,
    RequestRejectedError,
    RetriesExhaustedError,
    ServiceError,
)
from cryodesk.sources.http.cache import CachedResponse, ResponseCache, make_cache_key
from cryodesk.sources.http.circuit_breaker import BreakerListener, BreakerStatus
from cryodesk.sources.http.clock import SYSTEM_CLOCK, Clock
from cryodesk.sources.http.config import ServiceConfig
from cryodesk.sources.http.metrics import ClientMetrics, MetricsRecorder
from cryodesk.sources.http.rate_limit import LimiterStatus
from cryodesk.sources.http.redact import redact_url, register_secret
from cryodesk.sources.http.registry import ServiceRegistry, default_registry
from cryodesk.sources.http.retry import parse_retry_after
from cryodesk.sources.http.throttling import Colour, ThrottleController, parse_throttling_control

log = logging.getLogger(__name__)

#: ``(code, message)`` parsed from an error body, or ``None`` when the body says nothing useful.
Fault = tuple[str | None, str | None]
FaultParser = Callable[[bytes, str], Fault | None]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]

_UNPARSED: Any = object()
_TITLE_RE = re.compile(rb"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)
_H1_RE = re.compile(rb"<h1>\s*(.*?)\s*</h1>", re.IGNORECASE | re.DOTALL)


@dataclass(slots=True)
class HttpResponse:
    """A completed reply (from the network or the cache).

    Attributes:
        status: HTTP status.
        content: body bytes.
        content_type: ``Content-Type`` header.
        url: final URL with secrets masked.
        headers: reply headers (empty for cache hits).
        from_cache: True when no request was sent.
        elapsed: seconds the call took (waits and retries included).
        attempts: network attempts made (0 for cache hits).
    """

    status: int
    content: bytes
    content_type: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    from_cache: bool = False
    elapsed: float = 0.0
    attempts: int = 0
    _parsed: Any = field(default=_UNPARSED, repr=False)

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.content_type), errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (parsed once, then remembered)."""
        if self._parsed is _UNPARSED:
            self._parsed = json.loads(self.content)
        return self._parsed


def _charset(content_type: str) -> str:
    match = re.search(r"charset=([\w-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else "utf-8"


def parse_fault_default(content: bytes, content_type: str) -> Fault | None:
    """Pull a code and message out of common error bodies.

    Understands PubChem's ``{"Fault": {"Code", "Message", "Details"}}``, the generic
    ``{"error": ...}``, Spring Boot / RFC 7807 ``{"title", "detail"}`` and HTML pages (their
    ``<title>`` or first ``<h1>``). Returns ``None`` for an empty or unrecognised body.
    """
    if not content or not content.strip():
        return None
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        fault = data.get("Fault")
        if isinstance(fault, dict):
            message = fault.get("Message")
            details = fault.get("Details")
            if isinstance(details, list) and details:
                message = "; ".join(str(x) for x in [message, *details] if x)
            return (fault.get("Code"), message)
        if "error" in data:
            return (None, str(data["error"]))
        if "title" in data or "detail" in data:
            return (data.get("title"), data.get("detail"))
        if "message" in data:
            return (None, str(data["message"]))
        return None
    if b"<" in content[:512]:
        match = _TITLE_RE.search(content) or _H1_RE.search(content)
        if match:
            return (None, re.sub(r"\s+", " ", match.group(1).decode("utf-8", "replace")).strip())
    return None


@dataclass(slots=True)
class _Attempt:
    """The outcome of one network attempt."""

    response: requests.Response | None = None
    transient: str | None = None  # reason, when the attempt failed in a retryable way
    retry_after: float | None = None
    parsed: Any = _UNPARSED  # the JSON body, parsed once while validating it


class HttpClient:
    """Rate-limited, retrying, circuit-broken, cached HTTP client for one service.

    Args:
        config: the service's configuration (see :class:`ServiceConfig`).
        cache: a :class:`ResponseCache`; ``None`` creates one for ``config.name`` under
            ``cache_dir`` (default: the application's HTTP cache directory); ``False`` disables
            caching.
        cache_dir: parent directory of the default cache.
        clock: time source for every wait (a ``VirtualClock`` in tests).
        registry: where the shared per-service rate limiters and breakers live; the process-wide
            default unless given (tests pass a fresh one).
        fault_parser: turns an error body into ``(code, message)``.
        breaker_listener: called with a :class:`BreakerStatus` whenever the breaker changes state.
        rng: random source for backoff jitter.
        session: a ``requests.Session`` to use (one is created and configured otherwise).

    The client is safe to share between threads.
    """

    def __init__(
        self,
        config: ServiceConfig,
        *,
        cache: ResponseCache | bool | None = None,
        cache_dir: str | Path | None = None,
        clock: Clock | None = None,
        registry: ServiceRegistry | None = None,
        fault_parser: FaultParser | None = None,
        breaker_listener: BreakerListener | None = None,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        register_secret(config.api_key)
        self.clock = clock or SYSTEM_CLOCK
        self.registry = registry or default_registry()
        self._fault_parser = fault_parser or parse_fault_default
        self._rng = rng or random.Random()
        self._metrics = MetricsRecorder(config.name)
        self.limiter = self.registry.limiter(config.name, config.rate, config.burst, self.clock)
        self.breaker = self.registry.breaker(
            config.name, config.breaker_threshold, config.breaker_recovery, self.clock
        )
        self._listener = breaker_listener
        if breaker_listener is not None:
            self.breaker.add_listener(breaker_listener)
        self._throttle = ThrottleController(self.limiter, config.throttle_policy)
        self.cache: ResponseCache | None
        if cache is None or cache is True:
            self.cache = ResponseCache(config.name, cache_dir, clock=self.clock)
            self._owns_cache = True
        elif cache is False:
            self.cache = None
            self._owns_cache = False
        else:
            self.cache = cache
            self._owns_cache = False
        self.session = session or self._make_session()

    # -- setup -----------------------------------------------------------------------------
    def _make_session(self) -> requests.Session:
        session = requests.Session()
        # Retries are ours (they must respect the breaker and the shared limiter), so urllib3's
        # own retrying stays off.
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.config.pool_size, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = self.config.user_agent
        session.headers.update(self.config.default_headers)
        return session

    def close(self) -> None:
        """Release the connection pool (and the cache, if this client created it)."""
        if self._listener is not None:
            self.breaker.remove_listener(self._listener)
            self._listener = None
        self.session.close()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- observability ---------------------------------------------------------------------
    @property
    def service(self) -> str:
        return self.config.name

    def metrics(self) -> ClientMetrics:
        """A snapshot of this client's counters."""
        return self._metrics.snapshot()

    def breaker_status(self) -> BreakerStatus:
        """The service's circuit-breaker state (shared by all clients of the service)."""
        return self.breaker.status()

    def limiter_status(self) -> LimiterStatus:
        """The service's rate-limiter state: base rate, adaptive factor, pause."""
        return self.limiter.status()

    def redact(self, url: str) -> str:
        return redact_url(url, self.config.secret_params)

    # -- requests --------------------------------------------------------------------------
    def url_for(self, path_or_url: str) -> str:
        """Join a relative path to the base URL (absolute URLs pass through)."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.config.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs).json()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        data: Params | str | bytes | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        kind: str = "default",
        expect_json: bool = True,
        use_cache: bool = True,
        timeout: tuple[float, float] | float | None = None,
    ) -> HttpResponse:
        """Send one request with caching, rate limiting, retries and the circuit breaker.

        Args:
            method: HTTP method.
            url: path relative to the base URL, or an absolute URL.
            params: query parameters.
            data: form fields (mapping or pairs) or a raw body.
            json_body: a JSON body (instead of ``data``).
            headers: extra headers for this request.
            kind: kind of data, selecting the cache TTL (``config.cache_ttls``).
            expect_json: a 2xx reply must be valid JSON; one that is not (truncated, HTML) is
                treated as a transient failure and retried.
            use_cache: read and write the cache for this call.
            timeout: overrides the configured ``(connect, read)`` timeouts.

        Returns:
            The reply (2xx).

        Raises:
            NotFoundError: HTTP 404.
            RequestRejectedError: another non-retryable 4xx.
            RetriesExhaustedError: transient failures outlasted the retry policy.
            CircuitOpenError: the service's breaker is open.
        """
        started = self.clock.monotonic()
        prepared = self._prepare(method, url, params, data, json_body, headers)
        body = _body_bytes(prepared.body)
        shown_url = self.redact(prepared.url or "")
        key: str | None = None
        if use_cache and self.cache is not None and self.config.ttl(kind) > 0:
            key = make_cache_key(method, prepared.url or "", body, self.config.secret_params)
            cached = self.cache.get(key)
            if cached is not None:
                self._metrics.add("cache_hits")
                return self._from_cache(cached, method, started)
            self._metrics.add("cache_misses")
        try:
            outcome, attempts = self._send_with_retries(
                prepared, method, shown_url, expect_json, timeout or self.config.timeout
            )
        except ServiceError:
            self._metrics.add("errors")
            raise
        return self._finish(outcome, attempts, method, shown_url, key, kind, started)

    def _prepare(
        self,
        method: str,
        url: str,
        params: Params | None,
        data: Params | str | bytes | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> requests.PreparedRequest:
        all_params: list[tuple[str, Any]] = list(params.items() if isinstance(params, Mapping) else params or [])
        all_headers = dict(headers or {})
        config = self.config
        if config.api_key:
            if config.api_key_param:
                all_params.append((config.api_key_param, config.api_key))
            if config.api_key_header:
                all_headers[config.api_key_header] = config.api_key
        request = requests.Request(
            method.upper(),
            self.url_for(url),
            params=all_params or None,
            data=data if data is not None else None,
            json=json_body,
            headers=all_headers,
        )
        return self.session.prepare_request(request)

    def _from_cache(self, cached: CachedResponse, method: str, started: float) -> HttpResponse:
        elapsed = self.clock.monotonic() - started
        if cached.status == 404:
            self._metrics.add("not_found")
            code, message = self._fault(cached.content, cached.content_type)
            raise NotFoundError(
                "not found (cached)",
                service=self.service,
                url=cached.url,
                method=method,
                status=404,
                fault_code=code,
                fault_message=message,
            )
        return HttpResponse(
            status=cached.status,
            content=cached.content,
            content_type=cached.content_type,
            url=cached.url,
            from_cache=True,
            elapsed=elapsed,
        )

    def _finish(
        self,
        outcome: _Attempt,
        attempts: int,
        method: str,
        shown_url: str,
        key: str | None,
        kind: str,
        started: float,
    ) -> HttpResponse:
        response = outcome.response
        assert response is not None
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        content = response.content
        if key is not None and self.cache is not None and (status == 200 or status == 404):
            ttl = self.config.ttl("not_found" if status == 404 else kind)
            if ttl > 0:
                now = self.clock.time()
                self.cache.set(key, CachedResponse(status, content, content_type, shown_url, now, now + ttl))
        if status >= 400:
            self._metrics.add("not_found" if status == 404 else "errors")
            code, message = self._fault(content, content_type)
            error = NotFoundError if status == 404 else RequestRejectedError
            raise error(
                "not found" if status == 404 else "request rejected",
                service=self.service,
                url=shown_url,
                method=method,
                status=status,
                fault_code=code,
                fault_message=message,
            )
        return HttpResponse(
            status=status,
            content=content,
            content_type=content_type,
            url=shown_url,
            headers=dict(response.headers),
            from_cache=False,
            elapsed=self.clock.monotonic() - started,
            attempts=attempts,
            _parsed=outcome.parsed,
        )

    def _fault(self, content: bytes, content_type: str) -> Fault:
        try:
            parsed = self._fault_parser(content, content_type)
        except Exception:  # a parser bug must not hide the real error
            log.debug("fault parser failed", exc_info=True)
            parsed = None
        return parsed or (None, None)

    # -- the retry loop --------------------------------------------------------------------
    def _send_with_retries(
        self,
        prepared: requests.PreparedRequest,
        method: str,
        shown_url: str,
        expect_json: bool,
        timeout: tuple[float, float] | float,
    ) -> tuple[_Attempt, int]:
        policy = self.config.retry
        attempts = 0
        last: _Attempt = _Attempt()
        while True:
            self._check_breaker(method, shown_url)
            self._metrics.waited(rate=self.limiter.acquire())
            attempts += 1
            last = self._attempt(prepared, expect_json, timeout)
            if last.transient is None:
                self.breaker.record_success()
                return last, attempts
            self._metrics.add("transient_failures")
            if self.breaker.record_failure():
                self._metrics.add("breaker_openings")
            log.info("%s %s %s failed (%s), attempt %d", self.service, method, shown_url, last.transient, attempts)
            if attempts >= policy.max_attempts:
                break
            if last.retry_after is not None:
                # The service asked everyone to hold off, not just this thread.
                self.limiter.pause_for(min(last.retry_after, policy.max_retry_after))
            delay = policy.delay(attempts, last.retry_after, self._rng)
            self._metrics.add("retries")
            self._metrics.waited(retry=delay)
            self.clock.sleep(delay)
        status = last.response.status_code if last.response is not None else None
        code, message = (None, None)
        if last.response is not None:
            code, message = self._fault(last.response.content, last.response.headers.get("Content-Type", ""))
        raise RetriesExhaustedError(
            f"gave up after {attempts} attempts, last failure: {last.transient}",
            attempts=attempts,
            service=self.service,
            url=shown_url,
            method=method,
            status=status,
            fault_code=code,
            fault_message=message,
        )

    def _check_breaker(self, method: str, shown_url: str) -> None:
        allowed, wait = self.breaker.allow()
        if allowed:
            return
        self._metrics.add("breaker_rejections")
        raise CircuitOpenError(
            f"service unavailable after repeated failures; next try in {wait:.0f} s",
            retry_in=wait,
            service=self.service,
            url=shown_url,
            method=method,
        )

    def _attempt(
        self, prepared: requests.PreparedRequest, expect_json: bool, timeout: tuple[float, float] | float
    ) -> _Attempt:
        self._metrics.add("requests_sent")
        try:
            response = self.session.send(prepared, timeout=timeout, allow_redirects=True)
        except requests.exceptions.Timeout as exc:
            return _Attempt(transient=f"timeout ({type(exc).__name__})")
        except requests.exceptions.ChunkedEncodingError:
            return _Attempt(transient="truncated body (connection closed early)")
        except requests.exceptions.ConnectionError as exc:
            return _Attempt(transient=f"connection error ({_root_cause(exc)})")
        except requests.exceptions.ContentDecodingError:
            return _Attempt(transient="undecodable body")
        self._metrics.add("responses")
        self._metrics.add("bytes_received", len(response.content))
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock.time())
        self._observe_throttling(response, retry_after)
        status = response.status_code
        if status >= 400:
            if self.config.retry.is_retryable_status(status):
                return _Attempt(response, f"HTTP {status}", retry_after)
            return _Attempt(response)
        if not expect_json or status == 204:
            return _Attempt(response)
        parsed = _parse_json(response.content)
        if parsed is _UNPARSED:
            what = "empty body" if not response.content.strip() else "invalid or truncated JSON"
            return _Attempt(response, f"{what} with HTTP {status}", retry_after)
        return _Attempt(response, parsed=parsed)

    def _observe_throttling(self, response: requests.Response, retry_after: float | None) -> None:
        header = self.config.throttle_header
        if not header:
            return
        state = parse_throttling_control(response.headers.get(header))
        if state is None:
            return
        colour = self._throttle.observe(state, retry_after)
        if colour is not Colour.GREEN:
            self._metrics.throttle_event(colour.label)
            log.info("%s throttling %s; rate now %.2f/s", self.service, colour.label, self.limiter.effective_rate)


def _parse_json(content: bytes) -> Any:
    """The parsed body, or ``_UNPARSED`` when it is empty or not JSON."""
    if not content.strip():
        return _UNPARSED
    try:
        return json.loads(content)
    except ValueError:
        return _UNPARSED


def _body_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or nxt is exc:
            break
        exc = nxt
    return type(exc).__name__
