"""Errors raised by the online sources; all are :class:`cryodesk.domain.SourceError` subclasses.

Messages are written for the user and always name the service, the (redacted) URL, and the
HTTP status and fault code/message when there is one. URLs are redacted before they get here, so
an API key can never reach a log or a dialog through an exception.
"""

from __future__ import annotations

from cryodesk.domain import SourceError


class ServiceError(SourceError):
    """A call to an external service failed.

    Attributes:
        service: service name, e.g. ``"pubchem"``.
        url: request URL with secrets masked.
        method: HTTP method.
        status: HTTP status of the last reply, or ``None`` if none was received.
        fault_code: the service's own error code (e.g. ``"PUGREST.BadRequest"``), if any.
        fault_message: the service's own error message, if any.
    """

    def __init__(
        self,
        reason: str,
        *,
        service: str,
        url: str = "",
        method: str = "GET",
        status: int | None = None,
        fault_code: str | None = None,
        fault_message: str | None = None,
    ) -> None:
        self.reason = reason
        self.service = service
        self.url = url
        self.method = method
        self.status = status
        self.fault_code = fault_code
        self.fault_message = fault_message
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = [f"{self.service}: {self.reason}"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        fault = " ".join(p for p in (self.fault_code, self.fault_message) if p)
        if fault:
            parts.append(fault)
        text = "; ".join(parts)
        if self.url:
            text += f" ({self.method} {self.url})"
        return text


class RequestRejectedError(ServiceError):
    """The service refused the request (a 4xx other than 429): retrying would not help."""


class NotFoundError(RequestRejectedError):
    """The record or search has no result (HTTP 404). Service clients turn this into an empty result."""


class RetriesExhaustedError(ServiceError):
    """Transient failures (5xx, 429, timeouts, resets, truncated bodies) outlasted every retry.

    Attributes:
        attempts: attempts made.
    """

    def __init__(self, reason: str, *, attempts: int, **kwargs: object) -> None:
        self.attempts = attempts
        super().__init__(reason, **kwargs)  # type: ignore[arg-type]


class CircuitOpenError(ServiceError):
    """The service's circuit breaker is open: it failed repeatedly and is being left alone.

    Attributes:
        retry_in: seconds until the breaker lets a probe request through.
    """

    def __init__(self, reason: str, *, retry_in: float, **kwargs: object) -> None:
        self.retry_in = retry_in
        super().__init__(reason, **kwargs)  # type: ignore[arg-type]


class InvalidResponseError(ServiceError):
    """A successful reply did not have the shape the service documents."""


class PendingTimeoutError(ServiceError):
    """An asynchronous search (PubChem ListKey) was still running when we stopped waiting."""
