"""Keep API keys out of logs, error messages and cache keys."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query/form parameter names treated as secrets in every service (case-insensitive).
DEFAULT_SECRET_PARAMS: frozenset[str] = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token"})
#: Header names whose values are secrets (lower case).
DEFAULT_SECRET_HEADERS: frozenset[str] = frozenset({"x-api-key", "api-key", "authorization", "proxy-authorization"})

MASK = "***"


def _is_secret(name: str, secret_params: Iterable[str]) -> bool:
    lowered = name.lower()
    return any(lowered == s.lower() for s in secret_params)


def redact_url(url: str, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS) -> str:
    """Return ``url`` with the values of secret query parameters replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    secrets = tuple(secret_params)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(_is_secret(k, secrets) for k, _ in pairs):
        return url
    masked = [(k, MASK if _is_secret(k, secrets) else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(masked, safe="*,")))


def strip_secrets(url: str, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS) -> str:
    """Return ``url`` without secret query parameters, with the query sorted (a stable cache key)."""
    parts = urlsplit(url)
    secrets = tuple(secret_params)
    pairs = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_secret(k, secrets))
    return urlunsplit(parts._replace(query=urlencode(pairs), fragment=""))


def strip_secret_form(body: bytes, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS) -> bytes:
    """Drop secret fields from a form-encoded body (other bodies are returned unchanged)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return body
    if "=" not in text:
        return body
    secrets = tuple(secret_params)
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(_is_secret(k, secrets) for k, _ in pairs):
        return body
    return urlencode([(k, v) for k, v in pairs if not _is_secret(k, secrets)]).encode("ascii")


def redact_headers(headers: dict[str, str], secret_headers: Iterable[str] = DEFAULT_SECRET_HEADERS) -> dict[str, str]:
    """Copy of ``headers`` with secret values masked, for logging."""
    secrets = {h.lower() for h in secret_headers}
    return {k: (MASK if k.lower() in secrets else v) for k, v in headers.items()}


class SecretLogFilter(logging.Filter):
    """Masks registered secret values in log records of the HTTP libraries.

    urllib3 logs request lines (``"GET /path?api_key=... HTTP/1.1" 200``) at DEBUG level; a user who
    turns on debug logging must not find their API key in the log file.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = list(self._secrets)
        if not secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in secrets):
            for secret in secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, ()
        return True


_LOG_FILTER = SecretLogFilter()
_LOGGERS_FILTERED = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "requests")
_installed = False
_install_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Mask ``secret`` in the log records of urllib3/requests from now on."""
    global _installed
    if not secret:
        return
    with _install_lock:
        if not _installed:
            for name in _LOGGERS_FILTERED:
                logging.getLogger(name).addFilter(_LOG_FILTER)
            _installed = True
    _LOG_FILTER.add(secret)
