"""Running engine jobs: state, progress, cancellation, pause and resume, with no Qt.

A job is an object with ``kind``, ``params()``, ``fingerprint()`` and ``run(ctx)``. ``run_job``
creates the job record (or picks up the unfinished one that did the same work), reports progress,
and records how it ended. The same code runs under the CLI, the tests and the GUI's thread pool.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cryodesk.domain import CryoDeskError, JobState
from cryodesk.store import Project

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None, str], None]
R = TypeVar("R", covariant=True)

PROGRESS_DB_INTERVAL_S = 0.5
CONTROL_POLL_INTERVAL_S = 0.5


class JobStopped(CryoDeskError):
    """Raised inside a job when the user cancelled or paused it; carries which one."""

    def __init__(self, state: JobState) -> None:
        super().__init__(f"job {state}")
        self.state = state


class Job(Protocol[R]):
    kind: str

    def params(self) -> dict[str, Any]: ...

    def fingerprint(self) -> str | None: ...

    def run(self, ctx: JobContext) -> R: ...


@dataclass(slots=True)
class JobContext:
    """What a running job sees: progress reporting, cancellation and its checkpoint."""

    project: Project
    job_id: int
    on_progress: ProgressCallback | None = None
    cancel_event: threading.Event | None = None
    resumed: bool = False
    _last_db_progress: float = 0.0
    _last_poll: float = 0.0
    _control: str | None = None

    def progress(self, done: int, total: int | None, message: str = "") -> None:
        """Report progress; the job record is updated at most twice a second."""
        now = time.monotonic()
        if now - self._last_db_progress >= PROGRESS_DB_INTERVAL_S or (total is not None and done >= total):
            self.project.jobs.update_progress(self.job_id, done, total, message or None)
            self._last_db_progress = now
        if self.on_progress is not None:
            self.on_progress(done, total, message)

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        return self.project.jobs.get(self.job_id).checkpoint

    def stop_requested(self) -> JobState | None:
        """CANCELLED or PAUSED if someone asked (this process or another), else None."""
        if self.cancel_event is not None and self.cancel_event.is_set():
            return JobState.CANCELLED
        now = time.monotonic()
        if now - self._last_poll >= CONTROL_POLL_INTERVAL_S:
            self._control = self.project.jobs.control(self.job_id)
            self._last_poll = now
        return {"cancel": JobState.CANCELLED, "pause": JobState.PAUSED}.get(self._control or "")

    def raise_if_stopped(self) -> None:
        state = self.stop_requested()
        if state is not None:
            raise JobStopped(state)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job_id: int
    state: JobState
    result: Any = None
    error: str | None = None
    resumed: bool = False


def run_job(
    project: Project,
    job: Job[Any],
    on_progress: ProgressCallback | None = None,
    cancel_event: threading.Event | None = None,
    resume: bool = True,
    resume_job_id: int | None = None,
) -> JobOutcome:
    """Run ``job`` to its end and record the outcome; never raises for a failure inside the job."""
    job_id, resumed = _job_record(project, job, resume, resume_job_id)
    project.jobs.set_state(job_id, JobState.RUNNING)
    ctx = JobContext(project, job_id, on_progress, cancel_event, resumed)
    try:
        result = job.run(ctx)
    except JobStopped as stop:
        project.jobs.set_state(job_id, stop.state, message=f"{stop.state} by the user")
        return JobOutcome(job_id, stop.state, resumed=resumed)
    except CryoDeskError as exc:
        project.jobs.set_state(job_id, JobState.FAILED, error=str(exc))
        return JobOutcome(job_id, JobState.FAILED, error=str(exc), resumed=resumed)
    except Exception as exc:  # a bug must not leave the job "running" forever
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        message = f"{type(exc).__name__}: {exc}"
        project.jobs.set_state(job_id, JobState.FAILED, error=message)
        return JobOutcome(job_id, JobState.FAILED, error=message, resumed=resumed)
    project.jobs.set_state(job_id, JobState.DONE, message="done")
    return JobOutcome(job_id, JobState.DONE, result, resumed=resumed)


def _job_record(project: Project, job: Job[Any], resume: bool, resume_job_id: int | None) -> tuple[int, bool]:
    if resume_job_id is not None:
        record = project.jobs.get(resume_job_id)
        if record.kind != job.kind:
            raise CryoDeskError(f"job {resume_job_id} is a {record.kind} job, not {job.kind}")
        return record.id, True
    fingerprint = job.fingerprint()
    if resume and fingerprint:
        record = project.jobs.find_resumable(job.kind, fingerprint)
        if record is not None:
            return record.id, True
    return project.jobs.create(job.kind, job.params(), fingerprint), False
