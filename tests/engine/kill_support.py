"""Shared by the kill -9 tests: watch a job's progress from outside the process that runs it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import apsw

from cryodesk.store import Project


def jobs_done(project: Path) -> int:
    """The highest ``done`` count of any job, read without a write lock (0 while the file is being created)."""
    try:
        conn = apsw.Connection(f"file:{project}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
        conn.set_busy_timeout(2000)
        row = conn.execute("SELECT max(done) FROM jobs").fetchone()
        conn.close()
        return int(row[0] or 0)
    except apsw.Error:
        return 0


def kill_at_thresholds(
    command: Sequence[str],
    env: Mapping[str, str],
    target: Path,
    thresholds: Iterable[int],
    rng: random.Random,
    *,
    max_delay: float = 0.05,
    progress: Callable[[Path], int] = jobs_done,
    check_integrity: bool = True,
) -> int:
    """Start ``command`` once per threshold and SIGKILL it when ``progress(target)`` reaches the
    threshold, after a random 0..``max_delay`` s (so kills land inside and between write
    transactions). After every kill the project must pass SQLite's integrity check.

    Returns how many runs were really killed (a run that finished first is not counted)."""
    kills = 0
    for threshold in thresholds:
        child = subprocess.Popen(list(command), env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while child.poll() is None and progress(target) < threshold:
            time.sleep(0.004)
        time.sleep(rng.uniform(0.0, max_delay))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            if check_integrity:
                with Project.open(target, read_only=True) as project:
                    assert project.integrity_check() == "ok"
    return kills
