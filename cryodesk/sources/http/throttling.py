"""PubChem's ``X-Throttling-Control`` header: parsing, and adapting the request rate to it.

The header looks like (documented)::

    Request Count status: Green (0%), Request Time status: Green (0%), Service status: Green (20%)

and may end in free text (observed on a real 503: ``..., too many requests per second or
blacklisted``), so the colours are pulled out with a regex and the rest is ignored.

Policy (external-services.md): slow down on Yellow/Red, stop on Black, recover gradually on Green.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from cryodesk.sources.http.rate_limit import TokenBucket


class Colour(IntEnum):
    """Throttling colours, ordered by severity so ``max()`` gives the worst."""

    GREEN = 0
    YELLOW = 1
    RED = 2
    BLACK = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


_STATUS_RE = re.compile(
    r"(?P<what>Request\s+Count|Request\s+Time|Service)\s+status\s*:\s*"
    r"(?P<colour>Green|Yellow|Red|Black)(?:\s*\(\s*(?P<pct>\d+(?:\.\d+)?)\s*%\s*\))?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    colour: Colour
    percent: float | None = None


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """The three statuses of one ``X-Throttling-Control`` header (any may be missing)."""

    request_count: ComponentStatus | None
    request_time: ComponentStatus | None
    service: ComponentStatus | None

    @property
    def worst(self) -> Colour:
        colours = [c.colour for c in (self.request_count, self.request_time, self.service) if c]
        return max(colours, default=Colour.GREEN)


def parse_throttling_control(value: str | None) -> ThrottleState | None:
    """Parse an ``X-Throttling-Control`` header; ``None`` when it holds no recognisable status."""
    if not value:
        return None
    found: dict[str, ComponentStatus] = {}
    for match in _STATUS_RE.finditer(value):
        what = " ".join(match.group("what").lower().split())
        colour = Colour[match.group("colour").upper()]
        pct = float(match.group("pct")) if match.group("pct") else None
        found.setdefault(what, ComponentStatus(colour, pct))
    if not found:
        return None
    return ThrottleState(found.get("request count"), found.get("request time"), found.get("service"))


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How the rate reacts to each colour.

    Attributes:
        yellow_factor: rate factor ceiling while Yellow is reported.
        red_factor: rate factor ceiling while Red is reported.
        black_factor: factor used once a Black pause ends.
        black_pause: seconds to stop sending on Black (a ``Retry-After`` on the same reply wins
            when it is longer).
        recovery_step: factor added back per Green reply, so the rate climbs back gradually
            instead of jumping to full speed and tripping the limit again.
    """

    yellow_factor: float = 0.5
    red_factor: float = 0.25
    black_factor: float = 0.1
    black_pause: float = 30.0
    recovery_step: float = 0.1


class ThrottleController:
    """Applies a :class:`ThrottlePolicy` to a shared :class:`TokenBucket`."""

    def __init__(self, bucket: TokenBucket, policy: ThrottlePolicy | None = None) -> None:
        self.bucket = bucket
        self.policy = policy or ThrottlePolicy()

    def observe(self, state: ThrottleState, retry_after: float | None = None) -> Colour:
        """Adapt the bucket to one reply's state and return the colour acted upon."""
        colour = state.worst
        policy = self.policy
        current = self.bucket.factor
        if colour is Colour.BLACK:
            self.bucket.set_factor(min(current, policy.black_factor))
            self.bucket.pause_for(max(policy.black_pause, retry_after or 0.0))
        elif colour is Colour.RED:
            self.bucket.set_factor(min(current, policy.red_factor))
        elif colour is Colour.YELLOW:
            self.bucket.set_factor(min(current, policy.yellow_factor))
        elif current < 1.0:
            self.bucket.set_factor(current + policy.recovery_step)
        return colour
