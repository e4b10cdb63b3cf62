"""Shared by the kill -9 tests: watch a job's progress from outside the process that runs it."""

from __future__ import annotations

from pathlib import Path

import apsw


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
