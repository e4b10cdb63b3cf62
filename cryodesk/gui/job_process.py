"""Run a long engine job (import, seeding, resume) in a child process, reporting back like a thread would.

Why a process and not the thread pool: an import is Python work (parsing, record building, the
writer's bookkeeping, RDKit calls that keep the GIL, garbage collections over hundreds of thousands of
records). In a thread of the GUI process all of that competes with the GUI thread for the GIL, and
the window stalls for a quarter of a second at a time. In a child process the GUI thread keeps its
interpreter to itself; the child opens the same project file (SQLite in WAL mode takes one writer
and many readers across processes), and the window reads the rows as they land.

:func:`run_in_process` is called on a pool thread by the ordinary :class:`~cryodesk.gui.worker.EngineTask`,
so progress, results, errors and cancellation reach the view exactly as for an in-thread task. The
child runs one of the module-level job functions below (picklable by reference); this module imports
no Qt, so the child never loads it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryodesk.domain import CryoDeskError, RowError

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, "int | None", str], None]
ChildJob = Callable[..., Any]  # fn(on_progress, cancel_event, *args) -> picklable result

# How often the parent's relay thread wakes to look at the cancel flag when no message came. It lives
# in the window's process: each wake-up takes the GIL, and a thread preempted while holding it (on a
# busy machine) stalls the GUI thread, so it waits on the queue rather than polling fast.
POLL_S = 0.2
CHILD_PROGRESS_INTERVAL_S = 0.05  # the child sends at most ~20 reports a second
JOIN_TIMEOUT_S = 15.0
# The child runs at a lower CPU priority than the window. Why: on a machine with few cores the job
# (and an import's process pool, which inherits the niceness) keeps every core busy, and each time
# the GUI thread wakes up to answer a click or paint it must wait for a core. At niceness 10 the
# kernel weighs the child ~1/10 of the window (nice 0), so a waking GUI thread is scheduled ahead of
# it; when the window is idle the job still gets all the CPU (niceness only matters under
# contention; with autogroup/cgroups it only ranks the job against the window's own process, not
# against other programs). Read when a job starts, so a benchmark can compare values.
CHILD_NICENESS = 10
# On few cores, native thread pools in the child (OpenBLAS, OpenMP as LightGBM and sklearn use them)
# are capped to leave one core to the window: a job with as many threads as cores takes every core
# at once however nice it is, until the kernel gets round to preempting it.
FEW_CORES = 4
ROW_ERRORS_SHOWN = 1000

# "spawn": a fork of a process with Qt's threads running is undefined behaviour; spawn is also what
# Windows and macOS (and a frozen app, with freeze_support) do anyway.
_CONTEXT = multiprocessing.get_context("spawn")


class JobProcessError(CryoDeskError):
    """The job raised in the child process (the message carries its reason)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import hands back: the outcome, its figures and the first rejected rows."""

    outcome: Any  # JobOutcome
    summary: Any  # ImportSummary, or the figures a stopped job saved (None if it saved none)
    row_errors: list[RowError]
    errors_total: int


def run_in_process(
    fn: ChildJob,
    args: tuple[Any, ...],
    on_progress: ProgressFn,
    cancel: threading.Event,
    name: str = "cryodesk-job",
) -> Any:
    """Run ``fn(on_progress, cancel_event, *args)`` in a child process and return its result.

    Progress reports are relayed to ``on_progress`` (on the calling thread); setting ``cancel`` sets
    the child's cancel event, which engine jobs poll. Raises :class:`JobProcessError` when the job
    raised, or when the child died without an answer.
    """
    messages = _CONTEXT.Queue()
    stop = _CONTEXT.Event()
    # Not a daemon: an import runs its own process pool, which daemons may not have. The child stops by
    # itself if this process goes away (see _watch_parent), and normally we join it below.
    process = _CONTEXT.Process(
        target=_child_main,
        args=(fn, args, messages, stop, os.getpid(), CHILD_NICENESS, child_thread_cap()),
        name=name,
    )
    process.start()
    try:
        while True:
            if cancel.is_set() and not stop.is_set():
                stop.set()
            try:
                kind, payload = messages.get(timeout=POLL_S)
            except queue.Empty:
                if not process.is_alive() and messages.empty():
                    raise JobProcessError(
                        f"the job process ended without an answer (exit code {process.exitcode})"
                    ) from None
                continue
            if kind == "progress":
                on_progress(*payload)
            elif kind == "done":
                return payload
            else:
                log.error("%s failed in its process:\n%s", name, payload[1])
                raise JobProcessError(payload[0])
    finally:
        process.join(JOIN_TIMEOUT_S)
        if process.is_alive():  # only after an error on our side: do not leave a writer behind
            log.warning("%s did not exit; terminating it", name)
            process.terminate()
            process.join(JOIN_TIMEOUT_S)
        messages.close()


def child_thread_cap(cpus: int | None = None) -> int | None:
    """Native threads a job child may use: all cores but one on a machine with few cores, else no cap."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, cpus - 1) if cpus <= FEW_CORES else None


THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _lower_priority(niceness: int, thread_cap: int | None) -> None:
    """In the child, first thing: drop the CPU priority and cap native thread pools (see CHILD_NICENESS)."""
    if niceness > 0 and hasattr(os, "nice"):
        try:
            os.nice(niceness)  # relative to the window: a window started at nice 5 gets a child at 15
        except OSError:
            pass
    if thread_cap is None:
        return
    for name in THREAD_ENV:  # for native libraries loaded from here on (LightGBM's OpenMP runtime ...)
        os.environ.setdefault(name, str(thread_cap))
    try:  # and for those already loaded while the job's arguments were unpickled (numpy's BLAS)
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=thread_cap)
    except ImportError:
        pass


def _child_main(
    fn: ChildJob,
    args: tuple[Any, ...],
    messages: Any,
    stop: Any,
    parent_pid: int,
    niceness: int = CHILD_NICENESS,
    thread_cap: int | None = None,
) -> None:
    _lower_priority(niceness, thread_cap)
    threading.Thread(target=_watch_parent, args=(parent_pid, stop), daemon=True).start()
    last = [0.0]

    def progress(done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] >= CHILD_PROGRESS_INTERVAL_S or (total is not None and done >= total):
            last[0] = now
            messages.put(("progress", (int(done), total, message or "")))

    try:
        result = fn(progress, stop, *args)
    except BaseException as exc:  # everything must reach the parent, which decides what the user sees
        messages.put(("failed", (f"{type(exc).__name__}: {exc}", traceback.format_exc())))
        return
    messages.put(("done", result))


def _watch_parent(parent_pid: int, stop: Any) -> None:
    # If the window's process dies, cancel: the job stops at its next checkpoint and can be resumed.
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            stop.set()


# -- the jobs a child runs (module-level: pickled by reference) --------------------------------------


def import_file_job(on_progress: ProgressFn, cancel: Any, project_path: str, params: Any) -> ImportResult:
    """Import a file into the project at ``project_path`` (FileImportParams ``params``)."""
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(project_path)
    try:
        outcome = wb.import_file(params, on_progress, cancel)
        # Everything the summary dialog shows is read here, in the child.
        job = wb.job(outcome.job_id)
        summary = outcome.result if outcome.result is not None else saved_summary(job.metrics)
        return ImportResult(
            outcome, summary, wb.row_errors(outcome.job_id, ROW_ERRORS_SHOWN), job.n_row_errors
        )
    finally:
        wb.close()


def seed_job(on_progress: ProgressFn, cancel: Any, project_path: str) -> Any:
    """Load the embedded default library into the project at ``project_path``."""
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(project_path)
    try:
        return wb.seed_default_library(on_progress, cancel)
    finally:
        wb.close()


def resume_job(on_progress: ProgressFn, cancel: Any, project_path: str, job_id: int) -> Any:
    """Resume job ``job_id``; a cancel request reaches it through the job record's control column."""
    from cryodesk.engine import views
    from cryodesk.engine.service import Workbench

    wb = Workbench.open(project_path)
    watcher = threading.Thread(target=_forward_cancel, args=(wb, job_id, cancel), daemon=True)
    watcher.start()
    try:
        return views.resume_job(wb, job_id, on_progress)
    finally:
        cancel.set()  # stops the watcher (its request, if any, was made already)
        watcher.join(5)
        wb.close()


def _forward_cancel(wb: Any, job_id: int, cancel: Any) -> None:
    # resume_job() takes no cancel event: a user's Cancel becomes a control request the job polls.
    while not cancel.wait(POLL_S * 4):
        pass
    try:
        state = wb.job(job_id).state
        if str(state) == "running":
            wb.request_job(job_id, "cancel")
    except CryoDeskError:
        pass


def saved_summary(metrics: dict[str, Any] | None) -> Any:
    """The import summary a job saved in its metrics, as an object with attributes (or None)."""
    from types import SimpleNamespace

    summary = (metrics or {}).get("summary")
    return SimpleNamespace(**summary) if isinstance(summary, dict) else None
