"""Job metrics of online imports: what the HTTP client did and what the job stored, per batch.

The metrics live in the job record (``JobRepository.merge_metrics``, which adds numbers), so they
are flat counters that add up across batches and across the runs of a resumed job. Each committed
batch merges its share *inside the batch's transaction*: after a crash the work counters match the
rows exactly. Derived figures (records/s, hit rate) cannot be added up, so they sit in the nested
``rates`` mapping, recomputed from the totals after every merge (merge_metrics replaces mappings).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI shows metrics without loading the HTTP stack
    from cryodesk.sources.http.metrics import ClientMetrics
    from cryodesk.store import Project

#: ClientMetrics counters copied into the job metrics as they are.
HTTP_COUNTERS: tuple[str, ...] = (
    "requests_sent",
    "retries",
    "transient_failures",
    "errors",
    "not_found",
    "breaker_openings",
    "breaker_rejections",
    "cache_hits",
    "cache_misses",
    "bytes_received",
)
THROTTLE_COLOURS: tuple[str, ...] = ("Yellow", "Red", "Black")

#: What the job stored; summed per batch.
WORK_COUNTERS: tuple[str, ...] = (
    "compounds_stored",
    "compounds_new",
    "identifiers",
    "values_new",
    "rejected",
    "missing",
    "not_found_queries",
    "batches",
)


def http_metrics(delta: ClientMetrics) -> dict[str, Any]:
    """The job-metric form of a client-metrics delta: flat numbers, one per throttle colour."""
    out: dict[str, Any] = {name: getattr(delta, name) for name in HTTP_COUNTERS}
    for colour in THROTTLE_COLOURS:
        out[f"throttle_{colour.lower()}"] = int(delta.throttle_events.get(colour, 0))
    out["rate_wait_seconds"] = round(delta.rate_wait_seconds, 3)
    out["retry_wait_seconds"] = round(delta.retry_wait_seconds, 3)
    return out


class MetricsTracker:
    """Hands out what happened since the last call: HTTP counters and active seconds.

    Args:
        snapshot: returns the client's current :class:`ClientMetrics` (its counters only grow).
        clock: monotonic seconds.
    """

    def __init__(self, snapshot: Callable[[], ClientMetrics], clock: Callable[[], float] = time.monotonic) -> None:
        self._snapshot = snapshot
        self._clock = clock
        self._last = snapshot()
        self._last_at = clock()

    def take(self, **work: int) -> dict[str, Any]:
        """Metrics since the previous ``take`` plus the given work counters."""
        now_metrics, now = self._snapshot(), self._clock()
        out = http_metrics(now_metrics.delta(self._last))
        out["active_seconds"] = round(now - self._last_at, 3)
        out.update(work)
        self._last, self._last_at = now_metrics, now
        return out


def breaker_snapshot(client: Any) -> dict[str, dict[str, Any]]:
    """The client's circuit-breaker state as job metrics: ``{service: {state, failures, ...}}``.

    A GUI job runs in a child process whose breakers the window cannot see, so the state travels
    in the job record with the other metrics. ``at`` (Unix time) lets a reader count down
    ``retry_in`` (seconds to the next probe of an open breaker) from the moment it was taken.
    """
    http = getattr(client, "http", None)
    if http is None or not hasattr(http, "breaker_status"):
        return {}
    status = http.breaker_status()
    return {
        status.service: {
            "state": str(status.state),
            "consecutive_failures": status.consecutive_failures,
            "openings": status.openings,
            "retry_in": round(status.retry_in, 3),
            "at": round(time.time(), 3),
        }
    }


class JobMetricsTracker(MetricsTracker):
    """The import metrics tracker, adding the breaker state to every share it hands out.

    ``breaker`` is a mapping, so each merge replaces it: the job record always holds the latest state
    (written with every checkpoint, and once more when the run ends, failed or not).
    """

    def __init__(self, client: Any) -> None:
        super().__init__(client.metrics)
        self._client = client

    def take(self, **work: int) -> dict[str, Any]:
        out = super().take(**work)
        breaker = breaker_snapshot(self._client)
        if breaker:
            out["breaker"] = breaker
        return out


def rates(totals: Mapping[str, Any]) -> dict[str, float | None]:
    """Figures derived from summed metrics (None where the divisor is zero)."""
    seconds = float(totals.get("active_seconds") or 0.0)
    cacheable = int(totals.get("cache_hits") or 0) + int(totals.get("cache_misses") or 0)

    def per_second(value: Any) -> float | None:
        return round(float(value or 0) / seconds, 2) if seconds > 0 else None

    return {
        "records_per_s": per_second(totals.get("compounds_stored")),
        "requests_per_s": per_second(totals.get("requests_sent")),
        "cache_hit_rate": round(int(totals.get("cache_hits") or 0) / cacheable, 3) if cacheable else None,
    }


def record_metrics(project: Project, job_id: int, metrics: Mapping[str, Any]) -> None:
    """Add ``metrics`` to the job's and refresh its ``rates``; joins the caller's transaction."""
    with project.db.transaction():
        project.jobs.merge_metrics(job_id, dict(metrics))
        totals = project.jobs.get(job_id).metrics
        project.jobs.merge_metrics(job_id, {"rates": rates(totals)})


def is_import_metrics(metrics: Mapping[str, Any]) -> bool:
    """True for metrics written by an online import (they name their service)."""
    return "service" in metrics and "requests_sent" in metrics


def describe_metrics(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Readable ``(label, text)`` lines of online-import metrics, for ``jobs show`` and the GUI."""
    m = {k: v for k, v in metrics.items()}
    rate = m.get("rates") or {}

    def n(key: str) -> int:
        return int(m.get(key) or 0)

    runs = n("runs")
    lines = [("service", f"{m.get('service')}" + (f" ({runs} runs)" if runs > 1 else ""))]
    lines.append((
        "stored",
        f"{n('compounds_stored')} compounds ({n('compounds_new')} new), {n('values_new')} new values, "
        f"{n('identifiers')} identifiers; {n('batches')} batches committed",
    ))
    lines.append((
        "not stored",
        f"{n('not_found_queries')} queries without a match, {n('missing')} unknown ids, "
        f"{n('rejected')} structures rejected",
    ))
    speed = rate.get("records_per_s")
    lines.append((
        "throughput",
        f"{speed if speed is not None else '-'} records/s over {float(m.get('active_seconds') or 0):.1f} s active"
        + (f", {rate['requests_per_s']} requests/s" if rate.get("requests_per_s") is not None else ""),
    ))
    lines.append((
        "requests",
        f"{n('requests_sent')} sent, {n('retries')} retries after {n('transient_failures')} transient failures, "
        f"{n('errors')} errors, {n('not_found')} not found",
    ))
    lines.append(("throttling", ", ".join(f"{c} {n('throttle_' + c.lower())}" for c in THROTTLE_COLOURS)))
    lines.append(("circuit breaker", f"opened {n('breaker_openings')} times, {n('breaker_rejections')} calls refused"))
    hit_rate = rate.get("cache_hit_rate")
    lines.append((
        "cache",
        f"{n('cache_hits')} hits, {n('cache_misses')} misses"
        + (f" ({100 * hit_rate:.0f} % hits)" if hit_rate is not None else ""),
    ))
    lines.append((
        "waiting",
        f"{float(m.get('rate_wait_seconds') or 0):.1f} s for rate-limit tokens, "
        f"{float(m.get('retry_wait_seconds') or 0):.1f} s in backoff; {_size(n('bytes_received'))} received",
    ))
    return lines


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
