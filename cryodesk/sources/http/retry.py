"""Retry policy: which failures are retried, and how long to wait between attempts.

Backoff is exponential with *full jitter* (a uniform draw in ``[0, min(cap, base * 2**n)]``), which
spreads the retries of many threads instead of having them hit the service in lock-step. A
``Retry-After`` header, when present, wins over the computed delay.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

#: Statuses that mean "try again later": rate limited, or a server-side/transient failure.
DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_attempts: total attempts per call, the first one included (1 = no retry).
        base_delay: first backoff ceiling in seconds; doubles per attempt.
        max_delay: cap of the backoff ceiling.
        max_retry_after: longest ``Retry-After`` honoured; a longer demand is clamped to this so
            one reply cannot park a job for an hour.
        retry_statuses: HTTP statuses retried (other 5xx are retried too; other 4xx never).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: DEFAULT_RETRY_STATUSES)

    def is_retryable_status(self, status: int) -> bool:
        return status in self.retry_statuses or 500 <= status <= 599

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``retry_number`` (1 for the first retry), full jitter."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, retry_number - 1)))
        return (rng or random).uniform(0.0, ceiling)

    def delay(self, retry_number: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """The wait before the next attempt: ``Retry-After`` (clamped) if given, else backoff."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return self.backoff(retry_number, rng)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header.

    Args:
        value: the header, either delta-seconds (``"30"``) or an HTTP date
            (``"Wed, 21 Oct 2026 07:28:00 GMT"``).
        now: the current wall-clock time (epoch seconds), to turn a date into a delay.

    Returns:
        Seconds (never negative), or ``None`` when the header is missing or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)
